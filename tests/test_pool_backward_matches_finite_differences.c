/* Proves the max-pooling backward of every implementation (oracle, each ISA, emulated AVX-512, oneDNN) is the derivative of its forward: diff_src against central differences of the loss sum(dy * pool(x)), on inputs whose windows have no ties, for non-overlapping, overlapping and floor-mode shapes. */
#include <math.h>
#include <stdlib.h>

#include "core/cpu.h"
#include "core/rng.h"
#include "kernels/pool/pool.h"
#include "test_util.h"

/* x holds integers, distinct inside every window (see validate_pool.c), so a step of H = 1/4 never
 * changes which element is a window's maximum: the loss is linear there and the central difference
 * is the exact derivative, the sum of dy over the windows whose maximum x[i] is. The kernels sum the
 * same float dy values, in their own order where windows overlap: TOL allows that rounding. */
#define H 0.25
#define TOL 1e-6

typedef struct {
    const char *name;
    gs_pool_fwd_fn *fwd;
    gs_pool_bwd_fn *bwd;
} impl_t;

static double loss(const gs_pool_shape_t *s, const double *x, const float *dy)
{
    double l = 0.0;
    for (long p = 0; p < s->mb * s->c; p++)
        for (long y = 0; y < s->oh; y++)
            for (long xo = 0; xo < s->ow; xo++) {
                double best = -INFINITY;
                for (long ky = 0; ky < s->kh; ky++)
                    for (long kx = 0; kx < s->kw; kx++)
                        best = fmax(best, x[(p * s->ih + y * s->sh + ky) * s->iw + xo * s->sw + kx]);
                l += (double)dy[(p * s->oh + y) * s->ow + xo] * best;
            }
    return l;
}

static void check_shape(gs_pool_shape_t s, const impl_t *impls, int ni)
{
    gs_pool_shape_init(&s);
    const long n_in = s.mb * s.c * s.ih * s.iw, n_out = s.mb * s.c * s.oh * s.ow, k = s.kh * s.kw;
    float *xf = malloc((size_t)n_in * sizeof(float)), *dy = malloc((size_t)n_out * sizeof(float));
    float *dst = malloc((size_t)n_out * sizeof(float)), *dx = malloc((size_t)n_in * sizeof(float));
    double *x = malloc((size_t)n_in * sizeof(double)), *num = malloc((size_t)n_in * sizeof(double));
    void *ws = malloc(gs_pool_ws_bytes(&s));
    for (long i = 0; i < n_in; i++) {
        const long col = i % s.iw, row = i / s.iw % s.ih, b = (long)(gs_rng_u32(9, 1, (uint64_t)i) % 201) - 100;
        x[i] = (double)(b * k + (row % s.kh) * s.kw + col % s.kw);
        xf[i] = (float)x[i];
    }
    gs_rng_uniform(9, 2, dy, (size_t)n_out, -1.0f, 1.0f);
    for (long i = 0; i < n_in; i++) {
        const double keep = x[i];
        x[i] = keep + H;
        const double up = loss(&s, x, dy);
        x[i] = keep - H;
        const double down = loss(&s, x, dy);
        x[i] = keep;
        num[i] = (up - down) / (2.0 * H);
    }
    char shape[96];
    gs_pool_shape_str(&s, shape, sizeof shape);
    for (int m = 0; m < ni; m++) {
        gs_status_t st = gs_pool_fwd_with(impls[m].fwd, &s, xf, dst, ws);
        if (st == GS_OK)
            st = gs_pool_bwd_with(impls[m].bwd, &s, dy, ws, dx);
        double worst = 0.0;
        for (long i = 0; i < n_in; i++)
            worst = fmax(worst, fabs((double)dx[i] - num[i]) / fmax(fabs(num[i]), 1.0));
        gs_check(st == GS_OK && worst <= TOL, "%s %s: diff_src within %.2g of central differences (<= %g)", shape,
                 impls[m].name, worst, TOL);
    }
    free(xf), free(dy), free(dst), free(dx), free(x), free(num), free(ws);
}

int main(void)
{
    impl_t impls[6];
    int ni = 0;
    impls[ni++] = (impl_t){"ref", gs_pool_fwd_ref, gs_pool_bwd_ref};
    if (gs_isa_supported(GS_ISA_AVX2))
        impls[ni++] = (impl_t){"avx2", gs_pool_fwd_avx2, gs_pool_bwd_avx2};
    if (gs_isa_supported(GS_ISA_AVX512))
        impls[ni++] = (impl_t){"avx512", gs_pool_fwd_avx512, gs_pool_bwd_avx512};
    impls[ni++] = (impl_t){"avx512_emu", gs_pool_fwd_avx512_emu, gs_pool_bwd_avx512_emu};
    impls[ni++] = (impl_t){"onednn", gs_pool_fwd_onednn, gs_pool_bwd_onednn};
    const gs_pool_shape_t shapes[] = {
        {2, 3, 8, 8, 2, 2, 2, 2, 0, 0},  /* LeNet's 2x2/2, rows packed */
        {1, 2, 7, 25, 2, 2, 2, 2, 0, 0}, /* floor mode, a partial vector */
        {1, 2, 7, 9, 3, 3, 2, 2, 0, 0},  /* overlapping 3x3/2 */
        {1, 2, 6, 6, 3, 3, 1, 1, 0, 0},  /* overlapping 3x3/1 */
        {1, 1, 9, 10, 2, 2, 3, 3, 0, 0}, /* gaps between windows */
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_shape(shapes[i], impls, ni);
    return gs_test_done("test_pool_backward_matches_finite_differences");
}
