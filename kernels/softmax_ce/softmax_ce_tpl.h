/* The row loop and the entries of the SIMD softmax losses, written once for cross-entropy and MSE
 * and both ISAs: softmax_ce_avx2.c and softmax_ce_avx512.c define W (rows per block: one per
 * lane), NARROW_MAX (the most classes a block's row or a narrow row holds), the per-row kernels
 * ce_row_narrow / ce_row_wide / mse_row_narrow / mse_row_wide, the block kernels ce_block /
 * mse_block (W rows, one per lane) and ce_block_loss, then include this file and export
 * softmax_ce / softmax_mse under their ISA's names. */
#ifndef GS_SOFTMAX_CE_TPL_H
#define GS_SOFTMAX_CE_TPL_H

#include <stdbool.h>

#include "kernels/softmax_ce/softmax_ce_rows.h"

/* Rows [r0, r1): full blocks of W rows of 2..NARROW_MAX classes one row per lane, the rest row by
 * row; the loss terms are tallied in row order either way. */
static inline __attribute__((always_inline)) void rows_tpl(const bool mse, const gs_softmax_rows_t *job, long r0,
                                                           long r1, double *loss, long *hits)
{
    gs_softmax_row_t r[W];
    float terms[W];
    const long c = job->c;
    const bool blocks = c >= 2 && c <= NARROW_MAX;
    for (long i0 = r0; i0 < r1; i0 += W) {
        const int nb = (int)(r1 - i0 < W ? r1 - i0 : W);
        if (blocks && nb == W) {
            if (mse)
                mse_block(job, i0, r, terms);
            else
                ce_block(job, i0, r, terms);
        } else {
            for (int b = 0; b < nb; b++) {
                const long i = i0 + b;
                const float *x = job->x + i * c;
                float *dx = job->dx ? job->dx + i * c : NULL;
                if (mse && c <= NARROW_MAX)
                    mse_row_narrow(x, c, job->y[i], job->scale2, dx, &r[b]);
                else if (mse)
                    mse_row_wide(x, c, job->y[i], job->scale2, dx, &r[b]);
                else if (c <= NARROW_MAX)
                    ce_row_narrow(x, c, job->y[i], job->inv_n, dx, &r[b]);
                else
                    ce_row_wide(x, c, job->y[i], job->inv_n, dx, &r[b]);
                if (mse)
                    terms[b] = r[b].sq;
            }
            if (!mse)
                ce_block_loss(r, nb, terms);
        }
        gs_softmax_rows_tally(r, terms, nb, job->y + i0, loss, hits);
    }
}

static void ce_rows(const gs_softmax_rows_t *job, long r0, long r1, double *loss, long *hits)
{
    rows_tpl(false, job, r0, r1, loss, hits);
}

static void mse_rows(const gs_softmax_rows_t *job, long r0, long r1, double *loss, long *hits)
{
    rows_tpl(true, job, r0, r1, loss, hits);
}

static gs_status_t softmax_ce(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                              long *correct, float *dlogits)
{
    const gs_softmax_rows_t job = gs_softmax_rows_job(n, classes, logits, labels, dlogits);
    return gs_softmax_rows_run(&job, ce_rows, 0, loss, correct);
}

static gs_status_t softmax_mse(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                               long *correct, float *dlogits)
{
    const gs_softmax_rows_t job = gs_softmax_rows_job(n, classes, logits, labels, dlogits);
    return gs_softmax_rows_run(&job, mse_rows, 1, loss, correct);
}

#endif
