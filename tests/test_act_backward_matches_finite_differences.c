/* Proves each activation's backward (every ISA this CPU runs, the SIMDe-emulated AVX-512 build, the scalar oracle and oneDNN) is the derivative of its own forward: dx agrees with dy times a fourth-order central difference of the forward kernel, plus alpha for sigmoid_modderiv, whose backward is sigmoid' + alpha by definition. */
#include <math.h>
#include <stdlib.h>

#include "harness/problem_eltwise.h"
#include "harness/validate_eltwise.h"
#include "test_util.h"

/* x in [-6, 6] avoiding the kinks of relu, leaky_relu and ELU by more than 2H; an odd count so
 * every kernel takes its masked tail. The stencil (8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / 12h
 * has truncation error h^4 f^(5) / 30 (below 1e-7 here) and rounding error about 18 ulp(f) / 12h
 * (2e-5 for f near 1 at H = 2^-6); the tolerance 2e-4 of |dy| times the largest derivative stays
 * far below what a wrong formula costs (a missing factor or sign is an O(1) error). */
#define N 257
#define H 0x1p-6f
#define TOL 2e-4

typedef struct {
    const char *name;
    gs_act_fwd_fn *fwd;
    gs_act_bwd_fn *bwd;
} impl_t;

static double deriv_max(gs_act_t a)
{
    switch (a.kind) {
    case GS_ACT_SIGMOID: return 0.25;
    case GS_ACT_SIGMOID_MODDERIV:
    case GS_ACT_SIGMOID_LINEAR: return 0.25 + fabs((double)a.alpha);
    default: return fabs((double)a.alpha) > 1.0 ? fabs((double)a.alpha) : 1.0;
    }
}

static void check(const impl_t *im, gs_act_t a)
{
    float x[N], y[N], dy[N], dx[N], xs[4][N], ys[4][N];
    const float offs[4] = {-2 * H, -H, H, 2 * H};
    for (int i = 0; i < N; i++) {
        float v = -6.0f + 12.0f * (float)i / (N - 1);
        if (fabsf(v) < 4 * H)
            v = v < 0.0f ? -4 * H : 4 * H;
        x[i] = v;
        dy[i] = 0.5f + 0.5f * (float)((i * 37) % 11) / 11.0f * (i % 2 ? -1.0f : 1.0f);
        for (int k = 0; k < 4; k++)
            xs[k][i] = v + offs[k];
    }
    int ok = gs_act_fwd_with(im->fwd, a, N, x, y) == GS_OK && gs_act_bwd_with(im->bwd, a, N, x, y, dy, dx) == GS_OK;
    for (int k = 0; k < 4; k++)
        ok &= gs_act_fwd_with(im->fwd, a, N, xs[k], ys[k]) == GS_OK;
    double worst = 0.0;
    int at = 0;
    for (int i = 0; ok && i < N; i++) {
        const double fd = (8.0 * ((double)ys[2][i] - ys[1][i]) - ((double)ys[3][i] - ys[0][i])) / (12.0 * (double)H);
        const double want = (double)dy[i] * (fd + (a.kind == GS_ACT_SIGMOID_MODDERIV ? (double)a.alpha : 0.0));
        const double e = fabs((double)dx[i] - want) / (fabs((double)dy[i]) * deriv_max(a));
        if (e > worst)
            worst = e, at = i;
    }
    gs_check(ok && worst <= TOL, "%s %s alpha %g: max |dx - dy f'_fd| / (|dy| max f') = %.3g at x = %g (tolerance %g)",
             im->name, gs_act_name(a.kind), (double)a.alpha, worst, (double)x[at], TOL);
}

int main(void)
{
    impl_t impls[GS_ISA_COUNT + 2];
    int n = 0;
    for (int i = 0; i < GS_ISA_COUNT; i++) {
        const gs_act_impl_t im = gs_act_impl_for_isa((gs_isa_t)i);
        if (im.fwd)
            impls[n++] = (impl_t){im.name, im.fwd, im.bwd};
    }
    impls[n++] = (impl_t){"avx512_emu", gs_act_fwd_avx512_emu, gs_act_bwd_avx512_emu};
    impls[n++] = (impl_t){"onednn", gs_act_fwd_onednn, gs_act_bwd_onednn};
    const float alphas[2] = {0.0f, 0.3f};
    for (int i = 0; i < n; i++)
        for (int k = 0; k < GS_ACT_COUNT; k++)
            for (int j = 0; j < 2; j++) {
                gs_act_t a = {(gs_act_kind_t)k, j ? alphas[1] : gs_act_default_alpha((gs_act_kind_t)k)};
                if (j && !gs_act_uses_alpha(a.kind))
                    continue;
                check(&impls[i], a);
            }
    return gs_test_done("test_act_backward_matches_finite_differences");
}
