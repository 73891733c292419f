/* Softmax cross-entropy, fused: one pass over the logits (n x classes, row-major) gives the mean loss
 * (stable log-sum-exp), the number of rows whose argmax equals the label, and
 * dlogits = (softmax - onehot) / n. Also MSE on softmax (the mse_loss scenario):
 * loss = mean over n*classes of (p - onehot)^2, with its exact gradient through the softmax. */
#ifndef GS_SOFTMAX_CE_H
#define GS_SOFTMAX_CE_H

#include <stdint.h>

#include "core/status.h"

/* dlogits may be NULL (evaluation: loss and accuracy only). Labels must be in [0, classes). A row's
 * prediction is the first index of its largest logit. Implementations may assume the checks of
 * gs_softmax_ce_with passed. */
typedef gs_status_t gs_softmax_ce_fn(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                                     long *correct, float *dlogits);
typedef gs_status_t gs_softmax_mse_fn(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                                      long *correct, float *dlogits);

/* The public entries: check the arguments, run the dispatched kernel, record it in the profiler
 * ("softmax_ce" / "softmax_mse", shape "mb<n>c<classes>"). GS_EINVAL (naming the argument) for
 * n <= 0, classes <= 0, a NULL logits/labels/loss/correct, a label outside [0, classes) (naming
 * the row), or dlogits overlapping logits. NaN or Inf logits are not an error: the loss comes out
 * non-finite, which the training loop reports as divergence. */
gs_status_t gs_softmax_ce(long n, long classes, const float *logits, const int32_t *labels, float *loss, long *correct,
                          float *dlogits);
gs_status_t gs_softmax_mse(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                           long *correct, float *dlogits);

/* The same checks, then one given implementation (tests, validation, benchmarks); no profiling. */
gs_status_t gs_softmax_ce_with(gs_softmax_ce_fn *fn, long n, long classes, const float *logits,
                               const int32_t *labels, float *loss, long *correct, float *dlogits);
gs_status_t gs_softmax_mse_with(gs_softmax_mse_fn *fn, long n, long classes, const float *logits,
                                const int32_t *labels, float *loss, long *correct, float *dlogits);

/* Bytes one call moves, STREAM-style: the logits and labels read, dlogits written when asked for. */
double gs_softmax_ce_bytes(long n, long classes, int with_grad);

#ifdef GS_AVX512_EMULATED
#define gs_softmax_ce_avx512 gs_softmax_ce_avx512_emu
#define gs_softmax_mse_avx512 gs_softmax_mse_avx512_emu
#endif

gs_softmax_ce_fn gs_softmax_ce_ref, gs_softmax_ce_avx2, gs_softmax_ce_avx512, gs_softmax_ce_avx512_emu,
    gs_softmax_ce_onednn;
gs_softmax_mse_fn gs_softmax_mse_ref, gs_softmax_mse_avx2, gs_softmax_mse_avx512, gs_softmax_mse_avx512_emu,
    gs_softmax_mse_onednn;

#endif
