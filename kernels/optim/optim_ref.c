/* Scalar optimizer oracle: every update in double from the float inputs, rounded once when stored;
 * the noise is Box-Muller in double on the same Philox words as gs_rng_normal. */
#include <float.h>
#include <math.h>

#include "core/rng.h"
#include "kernels/optim/optim_impl.h"

static void sgd(const gs_opt_t *o, long n, float *w, const float *g)
{
    for (long i = 0; i < n; i++)
        w[i] = (float)((double)w[i] - (double)o->lr * g[i]);
}

static void momentum(const gs_opt_t *o, long n, float *w, const float *g, float *v)
{
    for (long i = 0; i < n; i++) {
        v[i] = (float)((double)o->momentum * v[i] - (double)o->lr * g[i]);
        w[i] = (float)((double)w[i] + v[i]);
    }
}

static void adam(const gs_opt_t *o, long n, float *w, const float *g, float *m, float *v, long t)
{
    const double c1 = 1.0 - pow((double)o->beta1, (double)t), c2 = 1.0 - pow((double)o->beta2, (double)t);
    const double b1 = o->beta1, b2 = o->beta2;
    for (long i = 0; i < n; i++) {
        const double gi = g[i];
        m[i] = (float)(b1 * m[i] + (1.0 - b1) * gi);
        v[i] = (float)(b2 * v[i] + (1.0 - b2) * gi * gi);
        w[i] = (float)((double)w[i] - (double)o->lr / c1 * m[i] / (sqrt((double)v[i]) / sqrt(c2) + (double)o->eps));
    }
}

static void sdagd(const gs_opt_t *o, long n, float *w, const float *g, float *h)
{
    double ss = 0.0;
    for (long i = 0; i < n; i++)
        ss += (double)g[i] * g[i];
    const double mu = sqrt(ss) / (double)o->sdagd_r, d = o->sdagd_decay;
    for (long i = 0; i < n; i++) {
        h[i] = (float)(d * h[i] + (1.0 - d) * g[i] * g[i]);
        const double den = mu + (double)h[i];
        w[i] = (float)((double)w[i] - g[i] / (den > FLT_MIN ? den : FLT_MIN));
    }
}

gs_status_t gs_opt_step_ref(const gs_opt_t *opt, long n, float *w, const float *g, float *state, long step)
{
    switch (opt->kind) {
    case GS_OPT_SGD: sgd(opt, n, w, g); break;
    case GS_OPT_MOMENTUM: momentum(opt, n, w, g, state); break;
    case GS_OPT_ADAM: adam(opt, n, w, g, state, state + n, step); break;
    case GS_OPT_SDAGD: sdagd(opt, n, w, g, state); break;
    default: break;
    }
    return GS_OK;
}

gs_status_t gs_sumsq_ref(long n, const float *g, double *sumsq)
{
    double s = 0.0;
    for (long i = 0; i < n; i++)
        s += (double)g[i] * g[i];
    *sumsq = s;
    return GS_OK;
}

gs_status_t gs_scale_ref(long n, float *g, float scale)
{
    for (long i = 0; i < n; i++)
        g[i] = (float)((double)g[i] * scale);
    return GS_OK;
}

static double open01(uint32_t w) { return ((double)(w >> 8) + 1.0) * (double)GS_NOISE_U_SCALE; }

gs_status_t gs_add_noise_ref(long n, float *g, float std, uint64_t seed, uint64_t stream)
{
    const double two_pi = 6.28318530717958647692;
    for (long b = 0; 4 * b < n; b++) {
        uint32_t w[4];
        gs_philox4x32(seed, stream, (uint64_t)b, w);
        double z[4];
        for (int p = 0; p < 2; p++) {
            const double r = sqrt(-2.0 * log(open01(w[2 * p]))), t = two_pi * open01(w[2 * p + 1]);
            z[2 * p] = r * cos(t);
            z[2 * p + 1] = r * sin(t);
        }
        for (long l = 0; l < 4 && 4 * b + l < n; l++)
            g[4 * b + l] = (float)((double)g[4 * b + l] + (double)std * z[l]);
    }
    return GS_OK;
}
