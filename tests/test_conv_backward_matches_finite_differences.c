/* Proves every convolution's backward passes are the gradient of its forward: diff_src, diff_wei and diff_bias of L = sum(dst * G) equal double-precision central differences of L, for every implementation on small shapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/cpu.h"
#include "core/rng.h"
#include "core/topo.h"
#include "harness/validate_conv.h"
#include "test_util.h"

/* L is linear in each input, so a central difference is exact but for rounding: in double, with
 * |L| of order sum(|dst||G|), that is ~1e-16 * |L| / STEP, far below the float kernels' error. */
#define STEP 1e-2

/* A kernel's gradient element is a float sum of R products of numbers in [-1, 1); any summation
 * order stays within R * eps * sum(|terms|) of the exact value. 4x that bound still sits far below
 * one lost term (~|term| ~ 0.3). */
#define ORDER_SLACK 4.0

typedef struct {
    gs_conv_shape_t s;
    double *src, *wei, *bias, *g; /* the point of evaluation and L's weights on dst */
} point_t;

/* L = sum over dst of G * conv(src, wei, bias), all in double. */
static double loss(const point_t *pt)
{
    const gs_conv_shape_t *s = &pt->s;
    double l = 0.0;
    for (long n = 0; n < s->mb; n++)
        for (long o = 0; o < s->oc; o++)
            for (long oy = 0; oy < s->oh; oy++)
                for (long ox = 0; ox < s->ow; ox++) {
                    double acc = pt->bias[o];
                    for (long c = 0; c < s->ic; c++)
                        for (long ky = 0; ky < s->kh; ky++)
                            for (long kx = 0; kx < s->kw; kx++) {
                                const long y = oy * s->sh - s->ph + ky, x = ox * s->sw - s->pw + kx;
                                if (y >= 0 && y < s->ih && x >= 0 && x < s->iw)
                                    acc += pt->wei[((o * s->ic + c) * s->kh + ky) * s->kw + kx] *
                                           pt->src[((n * s->ic + c) * s->ih + y) * s->iw + x];
                            }
                    l += pt->g[((n * s->oc + o) * s->oh + oy) * s->ow + ox] * acc;
                }
    return l;
}

/* dL/dx[i] by central differences, x one of the point's arrays. */
static double central_difference(point_t *pt, double *x, long i)
{
    const double keep = x[i];
    x[i] = keep + STEP;
    const double up = loss(pt);
    x[i] = keep - STEP;
    const double down = loss(pt);
    x[i] = keep;
    return (up - down) / (2.0 * STEP);
}

/* |x| copies of the point, so the loss of them bounds the sum of |terms| of each gradient element. */
static double magnitude(point_t *pt, double *x, long i)
{
    point_t a = *pt;
    const gs_conv_shape_t *s = &pt->s;
    const long n[4] = {s->mb * s->ic * s->ih * s->iw, s->oc * s->ic * s->kh * s->kw, s->oc,
                       s->mb * s->oc * s->oh * s->ow};
    double *arrs[4] = {pt->src, pt->wei, pt->bias, pt->g}, *abs_arrs[4];
    for (int k = 0; k < 4; k++) {
        abs_arrs[k] = malloc((size_t)n[k] * sizeof(double));
        for (long j = 0; j < n[k]; j++)
            abs_arrs[k][j] = fabs(arrs[k][j]);
    }
    a.src = abs_arrs[0], a.wei = abs_arrs[1], a.bias = abs_arrs[2], a.g = abs_arrs[3];
    double *ax = x == pt->src ? a.src : x == pt->wei ? a.wei : a.bias;
    const double m = central_difference(&a, ax, i);
    for (int k = 0; k < 4; k++)
        free(abs_arrs[k]);
    return m;
}

static double *to_double(const float *x, long n)
{
    double *d = malloc((size_t)n * sizeof(double));
    for (long i = 0; i < n; i++)
        d[i] = (double)x[i];
    return d;
}

/* The worst |kernel - finite difference| / (R eps sum|terms|) over the elements of one gradient. */
static double worst_ratio(point_t *pt, double *x, const float *grad, long n, double r)
{
    double worst = 0.0;
    for (long i = 0; i < n; i++) {
        const double fd = central_difference(pt, x, i), bound = r * 1.1920929e-7 * (magnitude(pt, x, i) + 1.0);
        const double ratio = isfinite((double)grad[i]) ? fabs((double)grad[i] - fd) / bound : INFINITY;
        worst = ratio > worst ? ratio : worst;
    }
    return worst;
}

static void check_shape(const char *prob, const gs_conv_impl_t *impls, size_t ni)
{
    gs_conv_shape_t s;
    if (!gs_check(gs_conv_problem_parse(prob, &s) == GS_OK, "%s parses", prob))
        return;
    const long ns = s.mb * s.ic * s.ih * s.iw, nw = s.oc * s.ic * s.kh * s.kw, nd = s.mb * s.oc * s.oh * s.ow;
    float *src = malloc((size_t)ns * sizeof(float)), *wei = malloc((size_t)nw * sizeof(float));
    float *bias = malloc((size_t)s.oc * sizeof(float)), *g = malloc((size_t)nd * sizeof(float));
    float *dsrc = malloc((size_t)ns * sizeof(float)), *dwei = malloc((size_t)nw * sizeof(float));
    float *dbias = malloc((size_t)s.oc * sizeof(float));
    gs_rng_uniform(7, 1, src, (size_t)ns, -1.0f, 1.0f);
    gs_rng_uniform(7, 2, wei, (size_t)nw, -1.0f, 1.0f);
    gs_rng_uniform(7, 3, bias, (size_t)s.oc, -1.0f, 1.0f);
    gs_rng_uniform(7, 4, g, (size_t)nd, -1.0f, 1.0f);
    point_t pt = {s, to_double(src, ns), to_double(wei, nw), to_double(bias, s.oc), to_double(g, nd)};
    /* Lengths of the kernels' sums: backward-data sums oc*kh*kw products, backward-weights (and
     * the bias gradient) mb*oh*ow. */
    const double r_data = (double)(s.oc * s.kh * s.kw), r_wei = (double)(s.mb * s.oh * s.ow);
    for (size_t i = 0; i < ni; i++) {
        gs_status_t st = gs_conv_bwd_data_with(impls[i].bwd_data, &s, g, wei, dsrc);
        if (st == GS_OK)
            st = gs_conv_bwd_weights_with(impls[i].bwd_weights, &s, src, g, dwei, dbias);
        if (!gs_check(st == GS_OK, "%s %s: backward passes run (%s)", prob, impls[i].name, gs_error_detail()))
            continue;
        const double e_src = worst_ratio(&pt, pt.src, dsrc, ns, r_data);
        const double e_wei = worst_ratio(&pt, pt.wei, dwei, nw, r_wei);
        const double e_bias = worst_ratio(&pt, pt.bias, dbias, s.oc, r_wei);
        gs_check(e_src <= ORDER_SLACK, "%s %s: diff_src = dL/dsrc (worst error %.3g of the rounding bound)", prob,
                 impls[i].name, e_src);
        gs_check(e_wei <= ORDER_SLACK, "%s %s: diff_wei = dL/dwei (worst error %.3g of the rounding bound)", prob,
                 impls[i].name, e_wei);
        gs_check(e_bias <= ORDER_SLACK, "%s %s: diff_bias = dL/dbias (worst error %.3g of the rounding bound)", prob,
                 impls[i].name, e_bias);
    }
    free(pt.src);
    free(pt.wei);
    free(pt.bias);
    free(pt.g);
    free(src);
    free(wei);
    free(bias);
    free(g);
    free(dsrc);
    free(dwei);
    free(dbias);
}

int main(void)
{
    gs_topo_init();
    gs_threads_init(2);
    gs_conv_impl_t impls[GS_ISA_COUNT + 3];
    size_t ni = 0;
    for (int i = 0; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i))
            impls[ni++] = gs_conv_impl_for_isa((gs_isa_t)i);
    impls[ni++] = (gs_conv_impl_t){"avx512_emu", gs_conv_fwd_avx512_emu, gs_conv_bwd_data_avx512_emu,
                                   gs_conv_bwd_weights_avx512_emu};
    impls[ni++] = gs_conv_impl_onednn();
    /* LeNet-like (5x5, one input channel), stride and padding, non-square, 1x1 with stride 2. */
    const char *shapes[] = {"mb2ic1ih9oc3kh5", "mb2ic3ih7oc4kh3sh2ph1pw1", "mb1ic2ih6iw9oc3kh2kw4ph1",
                            "mb2ic3ih5oc2kh1sh2sw2", "mb3ic4ih6oc5kh3"};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_shape(shapes[i], impls, ni);
    return gs_test_done("test_conv_backward_matches_finite_differences");
}
