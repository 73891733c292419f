/* oneDNN BatchNorm on its own blocked layout (nChw16c or nChw8c), for benchmarks that measure its
 * fast path: the data is reordered in from and out to NCHW outside the timed calls. The plain-NCHW
 * oneDNN reference (what --impl onednn runs) is gs_bn_*_onednn in bn.h. */
#ifndef GS_BN_ONEDNN_H
#define GS_BN_ONEDNN_H

#include "kernels/bn/bn.h"

typedef struct gs_bn_blocked gs_bn_blocked_t;

/* Primitives and blocked buffers for x, y, dy, dx of one shape; `block` is 8 or 16 (channels per
 * block; C is padded up to a multiple). GS_EBACKEND when oneDNN has no such implementation. */
gs_status_t gs_bn_blocked_create(const gs_bn_shape_t *s, int block, gs_bn_blocked_t **out);
void gs_bn_blocked_free(gs_bn_blocked_t *b);

/* Reorders NCHW x and dy (dy may be NULL) into the blocked buffers. */
gs_status_t gs_bn_blocked_load(gs_bn_blocked_t *b, const float *x, const float *dy);
/* Reorders the blocked y (forward) or dx (backward) out to NCHW. */
gs_status_t gs_bn_blocked_store(gs_bn_blocked_t *b, float *y, float *dx);

/* The three passes on the blocked buffers; per-channel vectors as in bn.h. The training forward
 * leaves running statistics alone (use gs_bn_update_running). */
gs_status_t gs_bn_blocked_fwd_train(gs_bn_blocked_t *b, const float *gamma, const float *beta, float *mean,
                                    float *var);
gs_status_t gs_bn_blocked_fwd_infer(gs_bn_blocked_t *b, const float *gamma, const float *beta,
                                    const float *running_mean, const float *running_var);
gs_status_t gs_bn_blocked_bwd(gs_bn_blocked_t *b, const float *gamma, const float *mean, const float *var,
                              float *dgamma, float *dbeta);

#endif
