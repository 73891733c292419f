/* The network's small ops between the dispatched kernels: bias broadcast and reduction, tensor
 * addition (skip connections, gradient accumulation) and scaling (auxiliary loss weights). Natively
 * they are plain C loops (profiled as impl "native", isa "c"); under --impl onednn they run on
 * oneDNN's binary, reduction and eltwise primitives (impl "onednn"), so a oneDNN run does no native
 * arithmetic outside the ops oneDNN has no primitive for (optimizers, CustomNorm, GradientNorm). */
#ifndef GS_NN_OPS_H
#define GS_NN_OPS_H

#include <stdint.h>

#include "core/status.h"

/* y[r][j] += b[j] for rows x cols row-major y. */
gs_status_t gs_nn_bias_add(long rows, long cols, const float *b, float *y);

/* db[j] = sum over r of dy[r][j]. */
gs_status_t gs_nn_bias_grad(long rows, long cols, const float *dy, float *db);

/* y = a + b over n floats; y may be a. */
gs_status_t gs_nn_add(long n, const float *a, const float *b, float *y);

/* x *= s over n floats. */
gs_status_t gs_nn_scale(long n, float s, float *x);

/* Profiling of a harness op that has no oneDNN form (CustomNorm, GradientNorm): begin returns 0
 * when the profiler is off, end records kernel / native / c / "n<n>" with `bytes` moved. */
uint64_t gs_nn_prof_begin(void);
void gs_nn_prof_end(uint64_t t0, const char *kernel, long n, double bytes);

#endif
