/* Max-pooling micro-benchmarks: ours per ISA vs oneDNN, forward and backward, GB/s and % of triad. */
#ifndef GS_BENCH_POOL_H
#define GS_BENCH_POOL_H

#include "harness/bench_ops.h"

/* Registers "pool_fwd/<problem>/<impl>/threads:<n>" and "pool_bwd/..." for LeNet's two poolings and
 * a map larger than the caches (left out by --quick), each implementation checked against oneDNN
 * before it is timed. */
gs_bench_op_register_fn gs_bench_pool_register;
gs_bench_op_free_fn gs_bench_pool_free;

#endif
