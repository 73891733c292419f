/* Proves every BatchNorm implementation updates the running statistics as documented: r = (1 - m) r + m * batch stat with the unbiased (n-1) variance, biased variance for y; momentum 0 keeps and 1 replaces them; repeated steps converge to the batch's statistics; inference uses them. */
#include <math.h>
#include <stdlib.h>

#include "core/cpu.h"
#include "kernels/bn/bn.h"
#include "test_util.h"

typedef struct {
    const char *name;
    gs_bn_fwd_train_fn *train;
    gs_bn_fwd_infer_fn *infer;
} impl_t;

static bool near(double got, double want, double tol) { return fabs(got - want) <= tol * fmax(1.0, fabs(want)); }

/* One channel of 1, 2, 3, 4 (mean 2.5, biased variance 1.25, unbiased 5/3) and one of 2, 2, 2, 2
 * (variance 0), as 2-D (n = 4) and as NCHW (n = 2, hw = 2). */
static void check_update(const impl_t *im, const gs_bn_shape_t *s)
{
    const float x2d[8] = {1, 2, 2, 2, 3, 2, 4, 2}, x4d[8] = {1, 2, 2, 2, 3, 4, 2, 2};
    const float *x = s->hw == 1 ? x2d : x4d;
    const float gamma[2] = {1, 1}, beta[2] = {0, 0};
    float y[8], mean[2], var[2], rm[2] = {0.0f, 1.0f}, rv[2] = {1.0f, 2.0f};
    const char *layout = s->hw == 1 ? "2-D" : "NCHW";
    gs_status_t st = gs_bn_fwd_train_with(im->train, s, x, gamma, beta, y, mean, var, rm, rv, 0.1f);
    gs_check(st == GS_OK && near(mean[0], 2.5, 1e-7) && near(var[0], 1.25, 1e-7) && near(var[1], 0.0, 1e-7),
             "%s %s: batch mean 2.5 and biased variance 1.25 (got %g, %g)", im->name, layout, mean[0], var[0]);
    gs_check(near(rm[0], 0.25, 1e-6) && near(rm[1], 0.9 + 0.2, 1e-6),
             "%s %s: running mean 0.9 * r + 0.1 * mean (got %g, %g)", im->name, layout, rm[0], rm[1]);
    gs_check(near(rv[0], 0.9 + 0.1 * 5.0 / 3.0, 1e-6) && near(rv[1], 1.8, 1e-6),
             "%s %s: running var 0.9 * r + 0.1 * unbiased var 5/3 (got %.7g, want %.7g)", im->name, layout, rv[0],
             0.9 + 0.1 * 5.0 / 3.0);
    const double rstd = 1.0 / sqrt(1.25 + (double)s->eps);
    gs_check(near(y[0], (1.0 - 2.5) * rstd, 1e-6), "%s %s: y uses the biased variance (y[0] = %g)", im->name, layout,
             y[0]);

    float keep_m[2] = {0.5f, -1.0f}, keep_v[2] = {3.0f, 4.0f};
    st = gs_bn_fwd_train_with(im->train, s, x, gamma, beta, y, mean, var, keep_m, keep_v, 0.0f);
    gs_check(st == GS_OK && keep_m[0] == 0.5f && keep_m[1] == -1.0f && keep_v[0] == 3.0f && keep_v[1] == 4.0f,
             "%s %s: momentum 0 leaves the running stats unchanged", im->name, layout);
    st = gs_bn_fwd_train_with(im->train, s, x, gamma, beta, y, mean, var, keep_m, keep_v, 1.0f);
    gs_check(st == GS_OK && near(keep_m[0], 2.5, 1e-6) && near(keep_v[0], 5.0 / 3.0, 1e-6),
             "%s %s: momentum 1 replaces them by the batch mean and unbiased variance", im->name, layout);

    float cm[2] = {0, 0}, cv[2] = {1, 1};
    for (int step = 0; step < 300; step++)
        gs_bn_fwd_train_with(im->train, s, x, gamma, beta, y, mean, var, cm, cv, 0.1f);
    gs_check(near(cm[0], 2.5, 1e-5) && near(cv[0], 5.0 / 3.0, 1e-5) && near(cv[1], 0.0, 1e-5),
             "%s %s: 300 steps on one batch converge to its mean and unbiased variance (%g, %g)", im->name, layout,
             cm[0], cv[0]);

    /* inference: y = gamma (x - r_mean) / sqrt(r_var + eps) + beta, batch statistics unused */
    const float g2[2] = {2.0f, 1.0f}, b2[2] = {0.5f, 0.0f}, rmi[2] = {1.0f, 0.0f}, rvi[2] = {4.0f, 1.0f};
    float yi[8];
    st = gs_bn_fwd_infer_with(im->infer, s, x, g2, b2, rmi, rvi, yi);
    const double want = 2.0 * (4.0 - 1.0) / sqrt(4.0 + (double)s->eps) + 0.5;
    const int last0 = s->hw == 1 ? 6 : 5; /* the element 4 of channel 0 */
    gs_check(st == GS_OK && near(yi[last0], want, 1e-6), "%s %s: inference uses the running stats (%g, want %g)",
             im->name, layout, yi[last0], want);
}

int main(void)
{
    impl_t impls[6];
    int ni = 0;
    impls[ni++] = (impl_t){"ref", gs_bn_fwd_train_ref, gs_bn_fwd_infer_ref};
    if (gs_isa_supported(GS_ISA_AVX2))
        impls[ni++] = (impl_t){"avx2", gs_bn_fwd_train_avx2, gs_bn_fwd_infer_avx2};
    if (gs_isa_supported(GS_ISA_AVX512))
        impls[ni++] = (impl_t){"avx512", gs_bn_fwd_train_avx512, gs_bn_fwd_infer_avx512};
    impls[ni++] = (impl_t){"avx512_emu", gs_bn_fwd_train_avx512_emu, gs_bn_fwd_infer_avx512_emu};
    impls[ni++] = (impl_t){"onednn", gs_bn_fwd_train_onednn, gs_bn_fwd_infer_onednn};
    const gs_bn_shape_t two_d = {4, 2, 1, 1e-5f}, nchw = {2, 2, 2, 1e-5f};
    for (int k = 0; k < ni; k++) {
        check_update(&impls[k], &two_d);
        check_update(&impls[k], &nchw);
    }
    return gs_test_done("test_bn_running_stats");
}
