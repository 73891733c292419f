/* Deterministic row-block driver of the vectorized softmax losses. */
#include "kernels/softmax_ce/softmax_ce_rows.h"

#include <omp.h>
#include <stdlib.h>

#include "core/par.h"

/* Rows per chunk (a multiple of the 16-row log blocks), and the logits each thread must get (one
 * thread does everything below 64K): the scenarios' batches (64 or 256 rows of 10) are far below
 * it, where a fork would cost more than the whole loss. */
#define ROWS_PER_CHUNK 1024L
#define PER_THREAD_LOGITS 32768L /* a second thread joins at 64K logits */
#define STACK_CHUNKS 64

gs_softmax_rows_t gs_softmax_rows_job(long n, long c, const float *x, const int32_t *y, float *dx)
{
    return (gs_softmax_rows_t){n, c, x, y, dx, 1.0f / (float)n, (float)(2.0 / ((double)n * (double)c))};
}

void gs_softmax_rows_tally(const gs_softmax_row_t *r, const float *terms, int nb, const int32_t *y, double *loss,
                           long *hits)
{
    for (int b = 0; b < nb; b++) {
        *loss += (double)terms[b];
        *hits += r[b].argmax == (long)y[b] && r[b].s == r[b].s;
    }
}

static void run_chunk(const gs_softmax_rows_t *job, gs_softmax_rows_fn *fn, long k, double *loss, long *hits)
{
    const long r0 = k * ROWS_PER_CHUNK, r1 = r0 + ROWS_PER_CHUNK < job->n ? r0 + ROWS_PER_CHUNK : job->n;
    *loss = 0.0;
    *hits = 0;
    fn(job, r0, r1, loss, hits);
}

gs_status_t gs_softmax_rows_run(const gs_softmax_rows_t *job, gs_softmax_rows_fn *fn, int mse, float *loss,
                                long *correct)
{
    const long nchunks = (job->n + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
    double stack_loss[STACK_CHUNKS], *part = stack_loss;
    long stack_hits[STACK_CHUNKS], *hits = stack_hits;
    if (nchunks > STACK_CHUNKS) {
        part = malloc((size_t)nchunks * sizeof *part);
        hits = malloc((size_t)nchunks * sizeof *hits);
        if (!part || !hits) {
            free(part);
            free(hits);
            return gs_error(GS_ENOMEM, "softmax: cannot allocate %ld chunk sums", nchunks);
        }
    }
    const int nt = gs_par_threads((double)(job->n * job->c), (double)PER_THREAD_LOGITS);
    if (nt > 1 && nchunks > 1) {
#pragma omp parallel for num_threads(nt) schedule(static)
        for (long k = 0; k < nchunks; k++)
            run_chunk(job, fn, k, &part[k], &hits[k]);
    } else { /* no OpenMP region at all: even an inactive one costs microseconds */
        for (long k = 0; k < nchunks; k++)
            run_chunk(job, fn, k, &part[k], &hits[k]);
    }
    double total = 0.0;
    long hit = 0;
    for (long k = 0; k < nchunks; k++) {
        total += part[k];
        hit += hits[k];
    }
    if (part != stack_loss) {
        free(part);
        free(hits);
    }
    *loss = (float)(mse ? total / ((double)job->n * (double)job->c) : total / (double)job->n);
    *correct = hit;
    return GS_OK;
}
