/* Softmax cross-entropy, fused: one pass over the logits (n x classes, row-major) gives the mean loss
 * (stable log-sum-exp), the number of rows whose argmax equals the label, and
 * dlogits = (softmax - onehot) / n. Also MSE on softmax (the mse_loss scenario):
 * loss = mean over n*classes of (p - onehot)^2, with its exact gradient through the softmax. */
#ifndef GS_SOFTMAX_CE_H
#define GS_SOFTMAX_CE_H

#include <stdint.h>

#include "core/status.h"

/* dlogits may be NULL (evaluation: loss and accuracy only). Labels must be in [0, classes). */
typedef gs_status_t gs_softmax_ce_fn(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                                     long *correct, float *dlogits);
typedef gs_status_t gs_softmax_mse_fn(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                                      long *correct, float *dlogits);

gs_status_t gs_softmax_ce(long n, long classes, const float *logits, const int32_t *labels, float *loss, long *correct,
                          float *dlogits);
gs_status_t gs_softmax_mse(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                           long *correct, float *dlogits);

#ifdef GS_AVX512_EMULATED
#define gs_softmax_ce_avx512 gs_softmax_ce_avx512_emu
#define gs_softmax_mse_avx512 gs_softmax_mse_avx512_emu
#endif

gs_softmax_ce_fn gs_softmax_ce_ref, gs_softmax_ce_avx2, gs_softmax_ce_avx512, gs_softmax_ce_avx512_emu,
    gs_softmax_ce_onednn;
gs_softmax_mse_fn gs_softmax_mse_ref, gs_softmax_mse_avx2, gs_softmax_mse_avx512, gs_softmax_mse_avx512_emu,
    gs_softmax_mse_onednn;

#endif
