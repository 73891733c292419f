/* Proves the BatchNorm backward of every implementation (oracle, each ISA, emulated AVX-512, oneDNN) is the derivative of its training forward: dx, dgamma and dbeta against central differences of a double-precision forward, on small 2-D and NCHW shapes. */
#include <math.h>
#include <stdlib.h>

#include "core/cpu.h"
#include "core/rng.h"
#include "kernels/bn/bn.h"
#include "test_util.h"

/* Central differences in double: step H leaves truncation error ~H^2 * |f'''| < 1e-9 here and
 * rounding ~1e-16 / H. The float kernels' own error is ~1e-6 of the size of the terms a gradient is
 * computed from: for dx the largest |gamma * rstd * dy| (with two values per channel dx nearly
 * cancels to zero, so its own size would be the wrong yardstick), for dgamma and dbeta the largest
 * gradient. TOL of that separates rounding from a wrong formula, whose errors are of the order of
 * the terms themselves. */
#define H 1e-4
#define TOL 2e-5

typedef struct {
    const char *name;
    gs_bn_fwd_train_fn *train;
    gs_bn_bwd_fn *bwd;
} impl_t;

/* L = sum dy * y(x, gamma, beta), the training forward in double. */
static double loss(const gs_bn_shape_t *s, const double *x, const double *gamma, const double *beta, const float *dy)
{
    const double m = (double)s->n * (double)s->hw;
    double l = 0.0;
    for (long c = 0; c < s->c; c++) {
        double sum = 0.0, sq = 0.0;
        for (long i = 0; i < s->n; i++)
            for (long p = 0; p < s->hw; p++)
                sum += x[(i * s->c + c) * s->hw + p];
        const double mu = sum / m;
        for (long i = 0; i < s->n; i++)
            for (long p = 0; p < s->hw; p++) {
                const double d = x[(i * s->c + c) * s->hw + p] - mu;
                sq += d * d;
            }
        const double rstd = 1.0 / sqrt(sq / m + (double)s->eps);
        for (long i = 0; i < s->n; i++)
            for (long p = 0; p < s->hw; p++) {
                const long k = (i * s->c + c) * s->hw + p;
                l += (double)dy[k] * (gamma[c] * (x[k] - mu) * rstd + beta[c]);
            }
    }
    return l;
}

/* d loss / d v[i] by central differences, v one of the double inputs. */
static double central(const gs_bn_shape_t *s, double *x, double *g, double *b, const float *dy, double *v, long i)
{
    const double keep = v[i];
    v[i] = keep + H;
    const double up = loss(s, x, g, b, dy);
    v[i] = keep - H;
    const double down = loss(s, x, g, b, dy);
    v[i] = keep;
    return (up - down) / (2.0 * H);
}

/* Worst |analytic - numeric| over `scale`, or over the largest |numeric| when scale is 0. */
static double rel_err(const float *got, const double *want, long n, double scale)
{
    double worst = 0.0, big = 0.0;
    for (long i = 0; i < n; i++) {
        worst = fmax(worst, fabs((double)got[i] - want[i]));
        big = fmax(big, fabs(want[i]));
    }
    big = scale > 0.0 ? scale : big;
    return worst / (big > 0.0 ? big : 1.0);
}

/* Element e (image-major) of channel c. */
static long at(const gs_bn_shape_t *s, long c, long e) { return (e / s->hw * s->c + c) * s->hw + e % s->hw; }

/* The largest |gamma * rstd * dy|: the size of the terms of dx. */
static double dx_term_scale(const gs_bn_shape_t *s, const double *x, const double *gamma, const float *dy)
{
    const long m = s->n * s->hw;
    double big = 0.0;
    for (long c = 0; c < s->c; c++) {
        double sum = 0.0, sq = 0.0;
        for (long e = 0; e < m; e++)
            sum += x[at(s, c, e)];
        for (long e = 0; e < m; e++)
            sq += (x[at(s, c, e)] - sum / (double)m) * (x[at(s, c, e)] - sum / (double)m);
        const double g = fabs(gamma[c]) / sqrt(sq / (double)m + (double)s->eps);
        for (long e = 0; e < m; e++)
            big = fmax(big, g * fabs(dy[at(s, c, e)]));
    }
    return big;
}

static void check_shape(const gs_bn_shape_t *s, const impl_t *impls, int ni)
{
    const long ne = s->n * s->c * s->hw, nc = s->c;
    float *xf = malloc((size_t)ne * sizeof(float)), *dy = malloc((size_t)ne * sizeof(float));
    float *gf = malloc((size_t)nc * sizeof(float)), *bf = malloc((size_t)nc * sizeof(float));
    double *x = malloc((size_t)ne * sizeof(double)), *g = malloc((size_t)nc * sizeof(double));
    double *b = malloc((size_t)nc * sizeof(double)), *ndx = malloc((size_t)ne * sizeof(double));
    double *ndg = malloc((size_t)nc * sizeof(double)), *ndb = malloc((size_t)nc * sizeof(double));
    float *y = malloc((size_t)ne * sizeof(float)), *dx = malloc((size_t)ne * sizeof(float));
    float *mean = malloc((size_t)nc * sizeof(float)), *var = malloc((size_t)nc * sizeof(float));
    float *dg = malloc((size_t)nc * sizeof(float)), *db = malloc((size_t)nc * sizeof(float));
    gs_rng_uniform(7, 1, xf, (size_t)ne, -1.0f, 2.0f);
    gs_rng_uniform(7, 2, dy, (size_t)ne, -1.0f, 1.0f);
    gs_rng_uniform(7, 3, gf, (size_t)nc, 0.5f, 1.5f);
    gs_rng_uniform(7, 4, bf, (size_t)nc, -0.5f, 0.5f);
    for (long i = 0; i < ne; i++)
        x[i] = xf[i];
    for (long c = 0; c < nc; c++)
        g[c] = gf[c], b[c] = bf[c];
    for (long i = 0; i < ne; i++)
        ndx[i] = central(s, x, g, b, dy, x, i);
    for (long c = 0; c < nc; c++) {
        ndg[c] = central(s, x, g, b, dy, g, c);
        ndb[c] = central(s, x, g, b, dy, b, c);
    }
    const double dx_scale = dx_term_scale(s, x, g, dy);
    char shape[96];
    gs_bn_shape_str(s, shape, sizeof shape);
    for (int k = 0; k < ni; k++) {
        /* backward at the implementation's own statistics, as training runs it */
        gs_status_t st = gs_bn_fwd_train_with(impls[k].train, s, xf, gf, bf, y, mean, var, NULL, NULL, 0.0f);
        if (st == GS_OK)
            st = gs_bn_bwd_with(impls[k].bwd, s, xf, dy, gf, mean, var, dx, dg, db);
        const double ex = rel_err(dx, ndx, ne, dx_scale), eg = rel_err(dg, ndg, nc, 0.0);
        const double eb = rel_err(db, ndb, nc, 0.0);
        gs_check(st == GS_OK && ex <= TOL && eg <= TOL && eb <= TOL,
                 "%s %s: dx %.2g of its largest term, dgamma %.2g and dbeta %.2g of the largest gradient from "
                 "central differences (<= %g)",
                 shape, impls[k].name, ex, eg, eb, TOL);
    }
    free(xf), free(dy), free(gf), free(bf), free(x), free(g), free(b), free(ndx), free(ndg), free(ndb);
    free(y), free(dx), free(mean), free(var), free(dg), free(db);
}

int main(void)
{
    impl_t impls[6];
    int ni = 0;
    impls[ni++] = (impl_t){"ref", gs_bn_fwd_train_ref, gs_bn_bwd_ref};
    if (gs_isa_supported(GS_ISA_AVX2))
        impls[ni++] = (impl_t){"avx2", gs_bn_fwd_train_avx2, gs_bn_bwd_avx2};
    if (gs_isa_supported(GS_ISA_AVX512))
        impls[ni++] = (impl_t){"avx512", gs_bn_fwd_train_avx512, gs_bn_bwd_avx512};
    impls[ni++] = (impl_t){"avx512_emu", gs_bn_fwd_train_avx512_emu, gs_bn_bwd_avx512_emu};
    impls[ni++] = (impl_t){"onednn", gs_bn_fwd_train_onednn, gs_bn_bwd_onednn};
    const gs_bn_shape_t shapes[] = {{4, 3, 1, 1e-3f}, {2, 17, 1, 1e-5f}, {2, 2, 9, 1e-3f}, {3, 3, 19, 1e-5f}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_shape(&shapes[i], impls, ni);
    return gs_test_done("test_bn_backward_matches_finite_differences");
}
