/* What the optimizer kernels share beyond the public API: per-step coefficients computed once per
 * call, a deterministic chunked sum of squares, and the Box-Muller word layout of the noise. */
#ifndef GS_OPTIM_IMPL_H
#define GS_OPTIM_IMPL_H

#include "core/rng.h"
#include "kernels/optim/optim.h"

/* Adam's bias-corrected step for step t >= 1 (PyTorch's form): w -= step_size * m / (sqrt(v) *
 * inv_sqrt_c2 + eps), step_size = lr / (1 - beta1^t), inv_sqrt_c2 = 1 / sqrt(1 - beta2^t). Computed
 * in double, once per call, outside the vector loops. */
typedef struct {
    float step_size, inv_sqrt_c2;
} gs_adam_coef_t;

gs_adam_coef_t gs_adam_coef(const gs_opt_t *opt, long step);

/* SDAGD's per-buffer mu = ||g|| / R from the sum of squares (sqrt in double, once per call). */
float gs_sdagd_mu(const gs_opt_t *opt, double sumsq);

/* Floats per sum-of-squares chunk. Chunks are fixed by n alone and summed in order, so the result
 * is the same bits for any thread count. */
#define GS_SUMSQ_CHUNK 16384L

/* Sum of squares of g[0, n) in double, by one ISA's kernel for a chunk. */
typedef double gs_sumsq_chunk_fn(long n, const float *g);

/* Runs chunk over the fixed chunks (in parallel when n is large) and adds their sums in order. */
gs_status_t gs_sumsq_chunked(long n, const float *g, gs_sumsq_chunk_fn *chunk, double *sumsq);

/* A 24-bit Philox word as a uniform in (0, 1]: never 0, so log() stays finite (as gs_rng_normal). */
#define GS_NOISE_U_SCALE (1.0f / 16777216.0f)

#endif
