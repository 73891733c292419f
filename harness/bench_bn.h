/* BatchNorm micro-benchmarks: ours per ISA vs oneDNN on plain NCHW and on its blocked layout. */
#ifndef GS_BENCH_BN_H
#define GS_BENCH_BN_H

#include "harness/bench_ops.h"

/* Registers "bn_fwd_train/<problem>/<impl>/threads:<n>", "bn_fwd_infer/..." and "bn_bwd/...", impl
 * one of our ISAs, "onednn" (plain nchw / nc memory, what --impl onednn runs) or "onednn_nChw16c"
 * ("onednn_nChw8c" without AVX-512): oneDNN's fast blocked path, data reordered before timing. Each
 * is checked against plain oneDNN first. Shapes: the batchnorm scenario's layers (batch 64, 256),
 * LeNet-sized maps, and NCHW and 2-D tensors larger than the caches (left out by --quick). */
gs_bench_op_register_fn gs_bench_bn_register;
gs_bench_op_free_fn gs_bench_bn_free;

#endif
