/* Proves the dlogits of softmax cross-entropy and of MSE-on-softmax (every ISA this CPU runs, the SIMDe-emulated AVX-512 build, the scalar oracle and oneDNN) are the gradient of the loss each returns: they agree with a fourth-order central difference of that loss in every logit, on batches of 10 and 17 classes. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "harness/validate_eltwise.h"
#include "test_util.h"

/* A small batch so 1/n keeps the gradients large against the float loss's rounding. The stencil's
 * rounding error is about 18 ulp(L) / 12h: 2e-6 for L ~ 2.3 at H = 0.05 (truncation h^4 L^(5) / 30,
 * about 1e-7); the tolerance, 1e-3 of the largest gradient entry plus 1e-6, is far below a missing
 * 1/n, a sign, or a dropped Jacobian term (each off by O(100%)). */
#define ROWS 3
#define MAXC 17
#define H 0.05f
#define REL_TOL 1e-3
#define ABS_TOL 1e-6

typedef gs_status_t loss_fn(long, long, const float *, const int32_t *, float *, long *, float *);

static float loss_at(loss_fn *fn, int mse, long c, const float *x, const int32_t *y)
{
    float loss = NAN;
    long hits;
    gs_status_t st = mse ? gs_softmax_mse_with(fn, ROWS, c, x, y, &loss, &hits, NULL)
                         : gs_softmax_ce_with(fn, ROWS, c, x, y, &loss, &hits, NULL);
    return st == GS_OK ? loss : NAN;
}

static void check(const char *name, loss_fn *fn, int mse, long c)
{
    float x[ROWS * MAXC], dx[ROWS * MAXC], loss;
    int32_t y[ROWS];
    long hits;
    for (long i = 0; i < ROWS * c; i++)
        x[i] = (float)((i * 7919) % 23) / 8.0f - 1.4f;
    for (int r = 0; r < ROWS; r++)
        y[r] = (int32_t)((r * 5 + 3) % c);
    gs_status_t st = mse ? gs_softmax_mse_with(fn, ROWS, c, x, y, &loss, &hits, dx)
                         : gs_softmax_ce_with(fn, ROWS, c, x, y, &loss, &hits, dx);
    double worst = 0.0, gmax = 0.0, fd[ROWS * MAXC];
    for (long i = 0; i < ROWS * c; i++) {
        float xp[ROWS * MAXC];
        double f[4];
        const float offs[4] = {-2 * H, -H, H, 2 * H};
        for (int k = 0; k < 4; k++) {
            memcpy(xp, x, sizeof xp);
            xp[i] += offs[k];
            f[k] = loss_at(fn, mse, c, xp, y);
        }
        fd[i] = (8.0 * (f[2] - f[1]) - (f[3] - f[0])) / (12.0 * (double)H);
        gmax = fabs(fd[i]) > gmax ? fabs(fd[i]) : gmax;
    }
    long at = 0;
    for (long i = 0; i < ROWS * c; i++) {
        const double e = fabs((double)dx[i] - fd[i]);
        if (!(e <= worst))
            worst = e, at = i;
    }
    const double tol = REL_TOL * gmax + ABS_TOL;
    gs_check(st == GS_OK && worst <= tol, "%s %s c=%ld: max |dlogits - finite difference| = %.3g at [%ld,%ld] "
             "(largest gradient %.3g, tolerance %.3g)", name, mse ? "mse" : "ce", c, worst, at / c, at % c, gmax, tol);
}

int main(void)
{
    gs_softmax_ce_impl_t impls[GS_ISA_COUNT + 2];
    int n = 0;
    for (int i = 0; i < GS_ISA_COUNT; i++) {
        const gs_softmax_ce_impl_t im = gs_softmax_ce_impl_for_isa((gs_isa_t)i);
        if (im.ce)
            impls[n++] = im;
    }
    impls[n++] = (gs_softmax_ce_impl_t){"avx512_emu", gs_softmax_ce_avx512_emu, gs_softmax_mse_avx512_emu};
    impls[n++] = (gs_softmax_ce_impl_t){"onednn", gs_softmax_ce_onednn, gs_softmax_mse_onednn};
    const long classes[2] = {10, 17};
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            check(impls[i].name, impls[i].ce, 0, classes[k]);
            check(impls[i].name, impls[i].mse, 1, classes[k]);
        }
    return gs_test_done("test_softmax_ce_backward_matches_finite_differences");
}
