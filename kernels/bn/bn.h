/* Batch normalization over (N, C) or (N, C, H, W) data (hw = 1 for 2-D), oneDNN's formula: per
 * channel c, mean and biased variance over N*H*W, y = gamma * (x - mean) / sqrt(var + eps) + beta.
 * Training forward also updates running stats with momentum m: r = (1 - m) * r + m * batch_stat,
 * where the running variance takes the unbiased batch variance (N*H*W - 1 divisor), as PyTorch does.
 * Layout: x[n][c][p], p < hw (NCHW; 2-D is the same with hw = 1). y may be x (in place), dx may be dy.
 * Every implementation computes the variance stably (two passes over blocks that stay in cache,
 * merged with Chan's formula), never as E[x^2] - E[x]^2. */
#ifndef GS_BN_H
#define GS_BN_H

#include "core/status.h"

typedef struct {
    long n, c, hw; /* hw = H*W, 1 for 2-D input */
    float eps;
} gs_bn_shape_t;

/* GS_OK, or GS_EINVAL naming the field: n, c, hw > 0, eps finite and >= 0, n*c*hw <= 2^40. */
gs_status_t gs_bn_shape_check(const gs_bn_shape_t *s);
/* "mb64ic128" (2-D) or "mb64ic20hw576" (hw > 1), then "eps<E>": the profiler's shape column. */
const char *gs_bn_shape_str(const gs_bn_shape_t *s, char *buf, unsigned long size);

/* Training forward: y, and the batch mean/var (biased) that backward needs; running stats updated
 * in place when running_mean/var are non-NULL (both or neither; then n*hw >= 2 and momentum in
 * [0, 1]). */
typedef gs_status_t gs_bn_fwd_train_fn(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                       float *y, float *mean, float *var, float *running_mean, float *running_var,
                                       float momentum);
/* Inference forward with the running statistics. */
typedef gs_status_t gs_bn_fwd_infer_fn(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                       const float *running_mean, const float *running_var, float *y);
/* Backward of the training forward (batch statistics, so dx includes the terms through mean and
 * var): with xhat = (x - mean) / sqrt(var + eps) and M = n*hw,
 *   dbeta = sum dy, dgamma = sum dy * xhat, dx = gamma / sqrt(var + eps) * (dy - dbeta/M - xhat * dgamma/M).
 * dx, dgamma, dbeta are overwritten. */
typedef gs_status_t gs_bn_bwd_fn(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma,
                                 const float *mean, const float *var, float *dx, float *dgamma, float *dbeta);

/* The public entries: argument checks, the dispatched implementation, a profiler record
 * ("bn_fwd_train", "bn_fwd_infer", "bn_bwd"; bytes: every tensor element read or written once). */
gs_status_t gs_bn_fwd_train(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta, float *y,
                            float *mean, float *var, float *running_mean, float *running_var, float momentum);
gs_status_t gs_bn_fwd_infer(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var, float *y);
gs_status_t gs_bn_bwd(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma, const float *mean,
                      const float *var, float *dx, float *dgamma, float *dbeta);

/* One given implementation through the same checks (tests and the validation driver). */
gs_status_t gs_bn_fwd_train_with(gs_bn_fwd_train_fn *fn, const gs_bn_shape_t *s, const float *x, const float *gamma,
                                 const float *beta, float *y, float *mean, float *var, float *running_mean,
                                 float *running_var, float momentum);
gs_status_t gs_bn_fwd_infer_with(gs_bn_fwd_infer_fn *fn, const gs_bn_shape_t *s, const float *x, const float *gamma,
                                 const float *beta, const float *running_mean, const float *running_var, float *y);
gs_status_t gs_bn_bwd_with(gs_bn_bwd_fn *fn, const gs_bn_shape_t *s, const float *x, const float *dy,
                           const float *gamma, const float *mean, const float *var, float *dx, float *dgamma,
                           float *dbeta);

/* The running-statistics update every implementation ends its training forward with (computed in
 * double, so all of them agree bit for bit): r_mean = (1 - m) r_mean + m mean,
 * r_var = (1 - m) r_var + m var * M / (M - 1). No-op when running_mean is NULL. */
void gs_bn_update_running(const gs_bn_shape_t *s, const float *mean, const float *var, float *running_mean,
                          float *running_var, float momentum);

#ifdef GS_AVX512_EMULATED
#define gs_bn_fwd_train_avx512 gs_bn_fwd_train_avx512_emu
#define gs_bn_fwd_infer_avx512 gs_bn_fwd_infer_avx512_emu
#define gs_bn_bwd_avx512 gs_bn_bwd_avx512_emu
#endif

gs_bn_fwd_train_fn gs_bn_fwd_train_ref, gs_bn_fwd_train_avx2, gs_bn_fwd_train_avx512, gs_bn_fwd_train_avx512_emu,
    gs_bn_fwd_train_onednn;
gs_bn_fwd_infer_fn gs_bn_fwd_infer_ref, gs_bn_fwd_infer_avx2, gs_bn_fwd_infer_avx512, gs_bn_fwd_infer_avx512_emu,
    gs_bn_fwd_infer_onednn;
gs_bn_bwd_fn gs_bn_bwd_ref, gs_bn_bwd_avx2, gs_bn_bwd_avx512, gs_bn_bwd_avx512_emu, gs_bn_bwd_onednn;

#endif
