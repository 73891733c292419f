/* Fused, vectorized optimizer updates over one parameter buffer w with gradient g (n floats), plus
 * the gradient-norm and gradient-noise helpers the training loop composes with them. */
#ifndef GS_OPTIM_H
#define GS_OPTIM_H

#include <stdint.h>

#include "core/status.h"

typedef enum { GS_OPT_SGD = 0, GS_OPT_MOMENTUM, GS_OPT_ADAM, GS_OPT_SDAGD, GS_OPT_COUNT } gs_opt_kind_t;

typedef struct {
    gs_opt_kind_t kind;
    float lr;
    float momentum;             /* momentum: v = mu*v - lr*g; w += v */
    float beta1, beta2, eps;    /* adam */
    float sdagd_r, sdagd_decay; /* sdagd: w -= g / (||g||/R + h), h = decay*h + (1-decay)*g^2 */
} gs_opt_t;
/* Update rules, per element, state updated first and then used:
 *   sgd:      w -= lr g
 *   momentum: v = mu v - lr g; w += v
 *   adam:     m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 *             w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *   sdagd:    h = decay h + (1 - decay) g^2 (a running mean of g^2: the empirical-Fisher diagonal,
 *             standing in for the papers' truncated Hessian diagonal); w -= g / (||g|| / R + h) with
 *             ||g|| the 2-norm of this buffer's gradient and the denominator kept >= FLT_MIN (it is 0
 *             only when g is 0, and 0 / FLT_MIN = 0). R bounds the step (|w change| <= R), so lr is
 *             not used. Two passes: the norm, then the update. */

/* One step for one buffer. `state` holds the optimizer's per-parameter state (momentum: v; adam:
 * m then v, 2n floats; sdagd: h; sgd: unused, may be NULL); `step` counts from 1 (Adam's bias
 * correction). */
typedef gs_status_t gs_opt_step_fn(const gs_opt_t *opt, long n, float *w, const float *g, float *state, long step);

/* Sum of squares of g (double accumulation): the global norm is the sqrt of the sum over buffers. */
typedef gs_status_t gs_sumsq_fn(long n, const float *g, double *sumsq);
/* g *= scale (gradient clipping). */
typedef gs_status_t gs_scale_fn(long n, float *g, float scale);
/* g += Normal(0, std) from the core RNG: element i draws (seed, stream, i), so the noise does not
 * depend on the thread count. Element i takes the numbers gs_rng_normal(seed, stream) puts at i
 * (Philox block i / 4, Box-Muller on words 0-1 for i % 4 < 2 and 2-3 otherwise, cos for even i,
 * sin for odd), up to the rounding of the vector math. */
typedef gs_status_t gs_add_noise_fn(long n, float *g, float std, uint64_t seed, uint64_t stream);

/* Floats of optimizer state per parameter (0, 1 or 2). */
int gs_opt_state_per_param(gs_opt_kind_t kind);
const char *gs_opt_name(gs_opt_kind_t kind);

/* Bytes one step moves per parameter, STREAM-style: sgd 12 (w, g read, w written), momentum 20,
 * adam 28, sdagd 24 (its norm pass reads g once more). */
double gs_opt_bytes_per_param(gs_opt_kind_t kind);

/* The public entries: check the arguments, run the dispatched kernel, record it in the profiler
 * ("opt_step", "sumsq", "scale", "add_noise"; shape "n<count>[<kind>]"). GS_EINVAL (naming the
 * argument) for a NULL opt/buffer/state the kind needs, n <= 0, step < 1, overlapping w/g/state,
 * a kind out of range or a hyper-parameter outside its domain, a non-finite scale, a negative std. */
gs_status_t gs_opt_step(const gs_opt_t *opt, long n, float *w, const float *g, float *state, long step);
gs_status_t gs_sumsq(long n, const float *g, double *sumsq);
gs_status_t gs_scale(long n, float *g, float scale);
gs_status_t gs_add_noise(long n, float *g, float std, uint64_t seed, uint64_t stream);

/* The same checks, then one given implementation (tests, validation, benchmarks); no profiling. */
gs_status_t gs_opt_step_with(gs_opt_step_fn *fn, const gs_opt_t *opt, long n, float *w, const float *g, float *state,
                             long step);
gs_status_t gs_sumsq_with(gs_sumsq_fn *fn, long n, const float *g, double *sumsq);
gs_status_t gs_scale_with(gs_scale_fn *fn, long n, float *g, float scale);
gs_status_t gs_add_noise_with(gs_add_noise_fn *fn, long n, float *g, float std, uint64_t seed, uint64_t stream);

#ifdef GS_AVX512_EMULATED
#define gs_opt_step_avx512 gs_opt_step_avx512_emu
#define gs_sumsq_avx512 gs_sumsq_avx512_emu
#define gs_scale_avx512 gs_scale_avx512_emu
#define gs_add_noise_avx512 gs_add_noise_avx512_emu
#endif

gs_opt_step_fn gs_opt_step_ref, gs_opt_step_avx2, gs_opt_step_avx512, gs_opt_step_avx512_emu;
gs_sumsq_fn gs_sumsq_ref, gs_sumsq_avx2, gs_sumsq_avx512, gs_sumsq_avx512_emu;
gs_scale_fn gs_scale_ref, gs_scale_avx2, gs_scale_avx512, gs_scale_avx512_emu;
gs_add_noise_fn gs_add_noise_ref, gs_add_noise_avx2, gs_add_noise_avx512, gs_add_noise_avx512_emu;

#endif
