/* Micro-benchmarks of the memory-bound element-wise ops: activations, softmax losses and optimizer updates, ours per ISA vs oneDNN where it has the op, in GB/s and % of the measured triad bandwidth. */
#ifndef GS_BENCH_ELTWISE_H
#define GS_BENCH_ELTWISE_H

#include "harness/bench_ops.h"

/* "act_fwd/n737280sigmoid/avx512/threads:1", "act_bwd/..." (the profiler's kernel names): sigmoid,
 * tanh, relu, elu, sigmoid_linear forward and backward, sigmoid_modderiv backward (its forward is
 * sigmoid's), on the MLP's 64x128 activations, LeNet conv1's 64x20x24x24 and buffers the size of
 * the triad's arrays (past every cache); ours per vector ISA and oneDNN. */
gs_bench_op_register_fn gs_bench_act_register;
gs_bench_op_free_fn gs_bench_act_free;

/* "softmax_ce/mb64c10/...", "softmax_mse/...": batches 64 and 256 of 10 classes with dlogits (a
 * training step), batch 256 without (evaluation), and logits the size of a triad array
 * (bandwidth); ours vs oneDNN. */
gs_bench_op_register_fn gs_bench_softmax_ce_register;
gs_bench_op_free_fn gs_bench_softmax_ce_free;

/* "opt_step/n100352adam/...", "sumsq/...", "scale/...", "add_noise/...": the MLP's largest weight
 * (784x128, L2-resident) and buffers the size of the triad's arrays (past every cache); ours per
 * vector ISA (oneDNN has no optimizers). */
gs_bench_op_register_fn gs_bench_optim_register;
gs_bench_op_free_fn gs_bench_optim_free;

#endif
