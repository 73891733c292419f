/* Scalar softmax cross-entropy / MSE oracle: every row in double precision (stable log-sum-exp),
 * the mean loss accumulated in double, results rounded once to float. */
#include <math.h>
#include <stdlib.h>

#include "kernels/softmax_ce/softmax_ce.h"

/* p[j] = softmax(x)[j] in double; returns the row's log-sum-exp and sets *argmax (first maximum). */
static double row_softmax(const float *x, long c, double *p, long *argmax)
{
    double m = x[0];
    *argmax = 0;
    for (long j = 1; j < c; j++)
        if (x[j] > m) {
            m = x[j];
            *argmax = j;
        }
    double s = 0.0;
    for (long j = 0; j < c; j++)
        s += p[j] = exp((double)x[j] - m);
    for (long j = 0; j < c; j++)
        p[j] /= s;
    return m + log(s);
}

/* A row's probabilities in double: on the stack up to SEG classes, on the heap beyond. */
enum { SEG = 256 };

/* Both losses share the softmax; `mse` picks the loss and its gradient. A row whose log-sum-exp is
 * NaN (NaN logits) predicts nothing. */
static gs_status_t softmax_loss_ref(int mse, long n, long c, const float *logits, const int32_t *labels, float *loss,
                                    long *correct, float *dlogits)
{
    double total = 0.0;
    long hits = 0;
    double pbuf[SEG], *p = pbuf;
    double *heap = NULL;
    if (c > SEG) {
        heap = malloc((size_t)c * sizeof *heap);
        if (!heap)
            return gs_error(GS_ENOMEM, "softmax ref: cannot allocate %ld doubles", c);
        p = heap;
    }
    for (long i = 0; i < n; i++) {
        const float *x = logits + i * c;
        const long y = labels[i];
        long am;
        const double lse = row_softmax(x, c, p, &am);
        hits += am == y && !isnan(lse);
        if (!mse) {
            total += lse - (double)x[y];
            for (long j = 0; dlogits && j < c; j++)
                dlogits[i * c + j] = (float)((p[j] - (j == y)) / (double)n);
            continue;
        }
        /* MSE: L = sum (p - t)^2 / (n c); dL/dp = 2 (p - t) / (n c); dL/dz_k = p_k (g_k - sum_j g_j p_j) */
        double gp = 0.0;
        for (long j = 0; j < c; j++) {
            const double d = p[j] - (j == y);
            total += d * d;
            gp += 2.0 * d * p[j];
        }
        for (long j = 0; dlogits && j < c; j++)
            dlogits[i * c + j] = (float)(p[j] * (2.0 * (p[j] - (j == y)) - gp) / ((double)n * (double)c));
    }
    free(heap);
    *loss = (float)(mse ? total / ((double)n * (double)c) : total / (double)n);
    *correct = hits;
    return GS_OK;
}

gs_status_t gs_softmax_ce_ref(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                              long *correct, float *dlogits)
{
    return softmax_loss_ref(0, n, classes, logits, labels, loss, correct, dlogits);
}

gs_status_t gs_softmax_mse_ref(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                               long *correct, float *dlogits)
{
    return softmax_loss_ref(1, n, classes, logits, labels, loss, correct, dlogits);
}
