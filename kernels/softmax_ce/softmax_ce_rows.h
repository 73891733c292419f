/* What the vectorized softmax losses share: per-row results, the job, and a deterministic driver that
 * runs blocks of rows (in parallel for large batches) and sums their losses in a fixed order, so
 * the loss does not depend on the thread count. */
#ifndef GS_SOFTMAX_CE_ROWS_H
#define GS_SOFTMAX_CE_ROWS_H

#include <stdint.h>

#include "core/status.h"

/* One row: max m, s = sum e^(x - m), the label's logit x_y, MSE's sum (p - t)^2, first argmax
 * (-1 when the row has none, e.g. NaN). */
typedef struct {
    float m, s, xy, sq;
    long argmax;
} gs_softmax_row_t;

typedef struct {
    long n, c;
    const float *x;
    const int32_t *y;
    float *dx;    /* NULL: no gradient */
    float inv_n;  /* CE gradient scale 1/n */
    float scale2; /* MSE gradient scale 2/(n c) */
} gs_softmax_rows_t;

/* Rows [r0, r1) of a job: adds their loss terms to *loss and their correct predictions to *hits. */
typedef void gs_softmax_rows_fn(const gs_softmax_rows_t *job, long r0, long r1, double *loss, long *hits);

gs_softmax_rows_t gs_softmax_rows_job(long n, long c, const float *x, const int32_t *y, float *dx);

/* Adds nb rows' loss terms (in order, in double) and their hits; a row with a NaN sum predicts nothing. */
void gs_softmax_rows_tally(const gs_softmax_row_t *r, const float *terms, int nb, const int32_t *y, double *loss,
                           long *hits);

/* Runs fn over the rows in fixed chunks, sums the chunks' losses in chunk order and writes the mean:
 * over n rows (cross-entropy) or n * c entries (mse != 0). */
gs_status_t gs_softmax_rows_run(const gs_softmax_rows_t *job, gs_softmax_rows_fn *fn, int mse, float *loss,
                                long *correct);

#endif
