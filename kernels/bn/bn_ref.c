/* Scalar BatchNorm in double precision: the oracle the vector kernels and oneDNN are checked against.
 * The variance is the textbook two-pass sum of squared deviations from the exact-in-double mean. */
#include <math.h>

#include "kernels/bn/bn.h"

/* Element p of channel c in image i. */
static long at(const gs_bn_shape_t *s, long i, long c, long p) { return (i * s->c + c) * s->hw + p; }

gs_status_t gs_bn_fwd_train_ref(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                float *y, float *mean, float *var, float *running_mean, float *running_var,
                                float momentum)
{
    const double count = (double)s->n * (double)s->hw;
    for (long c = 0; c < s->c; c++) {
        double sum = 0.0, sq = 0.0;
        for (long i = 0; i < s->n; i++)
            for (long p = 0; p < s->hw; p++)
                sum += x[at(s, i, c, p)];
        const double mu = sum / count;
        for (long i = 0; i < s->n; i++)
            for (long p = 0; p < s->hw; p++) {
                const double d = x[at(s, i, c, p)] - mu;
                sq += d * d;
            }
        const double v = sq / count, rstd = 1.0 / sqrt(v + (double)s->eps);
        for (long i = 0; i < s->n; i++)
            for (long p = 0; p < s->hw; p++) {
                const long k = at(s, i, c, p);
                y[k] = (float)((double)gamma[c] * ((double)x[k] - mu) * rstd + (double)beta[c]);
            }
        mean[c] = (float)mu;
        var[c] = (float)v;
    }
    gs_bn_update_running(s, mean, var, running_mean, running_var, momentum);
    return GS_OK;
}

gs_status_t gs_bn_fwd_infer_ref(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                const float *running_mean, const float *running_var, float *y)
{
    for (long c = 0; c < s->c; c++) {
        const double rstd = 1.0 / sqrt((double)running_var[c] + (double)s->eps);
        for (long i = 0; i < s->n; i++)
            for (long p = 0; p < s->hw; p++) {
                const long k = at(s, i, c, p);
                y[k] = (float)((double)gamma[c] * ((double)x[k] - running_mean[c]) * rstd + (double)beta[c]);
            }
    }
    return GS_OK;
}

gs_status_t gs_bn_bwd_ref(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma,
                          const float *mean, const float *var, float *dx, float *dgamma, float *dbeta)
{
    const double count = (double)s->n * (double)s->hw;
    for (long c = 0; c < s->c; c++) {
        const double mu = mean[c], rstd = 1.0 / sqrt((double)var[c] + (double)s->eps);
        double sum_dy = 0.0, sum_dy_xmu = 0.0;
        for (long i = 0; i < s->n; i++)
            for (long p = 0; p < s->hw; p++) {
                const long k = at(s, i, c, p);
                sum_dy += dy[k];
                sum_dy_xmu += (double)dy[k] * ((double)x[k] - mu);
            }
        const double db = sum_dy, dg = sum_dy_xmu * rstd, g = (double)gamma[c] * rstd;
        for (long i = 0; i < s->n; i++)
            for (long p = 0; p < s->hw; p++) {
                const long k = at(s, i, c, p);
                const double xhat = ((double)x[k] - mu) * rstd;
                dx[k] = (float)(g * ((double)dy[k] - db / count - xhat * dg / count));
            }
        dgamma[c] = (float)dg;
        dbeta[c] = (float)db;
    }
    return GS_OK;
}
