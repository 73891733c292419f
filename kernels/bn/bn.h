/* Batch normalization over (N, C) or (N, C, H, W) data (hw = 1 for 2-D), oneDNN's formula: per
 * channel c, mean and biased variance over N*H*W, y = gamma * (x - mean) / sqrt(var + eps) + beta.
 * Training forward also updates running stats with momentum m: r = (1 - m) * r + m * batch_stat,
 * where the running variance takes the unbiased batch variance (N*H*W - 1 divisor), as PyTorch does. */
#ifndef GS_BN_H
#define GS_BN_H

#include "core/status.h"

typedef struct {
    long n, c, hw; /* hw = H*W, 1 for 2-D input */
    float eps;
} gs_bn_shape_t;

gs_status_t gs_bn_shape_check(const gs_bn_shape_t *s);
const char *gs_bn_shape_str(const gs_bn_shape_t *s, char *buf, unsigned long size);

/* Training forward: y, and the batch mean/var (biased) that backward needs; running stats updated
 * in place when running_mean/var are non-NULL. */
typedef gs_status_t gs_bn_fwd_train_fn(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                       float *y, float *mean, float *var, float *running_mean, float *running_var,
                                       float momentum);
/* Inference forward with the running statistics. */
typedef gs_status_t gs_bn_fwd_infer_fn(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                       const float *running_mean, const float *running_var, float *y);
/* Backward of the training forward: dx, dgamma, dbeta (overwritten). */
typedef gs_status_t gs_bn_bwd_fn(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma,
                                 const float *mean, const float *var, float *dx, float *dgamma, float *dbeta);

gs_status_t gs_bn_fwd_train(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta, float *y,
                            float *mean, float *var, float *running_mean, float *running_var, float momentum);
gs_status_t gs_bn_fwd_infer(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var, float *y);
gs_status_t gs_bn_bwd(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma, const float *mean,
                      const float *var, float *dx, float *dgamma, float *dbeta);

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
