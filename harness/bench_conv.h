/* Convolution micro-benchmarks: forward, backward-data and backward-weights, ours per ISA vs oneDNN, on LeNet's layers and a ResNet-style one. */
#ifndef GS_BENCH_CONV_H
#define GS_BENCH_CONV_H

#include "harness/bench_ops.h"

/* Registers every (pass, shape, thread count, implementation) benchmark, named like
 * "conv_fwd/mb64ic20ih12oc50kh5/avx512/threads:1" (passes conv_fwd with bias, conv_bwd_data,
 * conv_bwd_weights with bias gradient; the profiler's kernel names). Shapes: LeNet conv1 and conv2 at
 * batch 64 and the ResNet-style mb16ic64ih56oc64kh3ph1pw1 (left out with quick). oneDNN's label
 * says which implementation and layout it picked (gs_conv_onednn_describe). */
gs_bench_op_register_fn gs_bench_conv_register;
gs_bench_op_free_fn gs_bench_conv_free;

#endif
