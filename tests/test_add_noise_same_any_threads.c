/* Proves the Gaussian gradient noise is counter-based: every ISA (and the SIMDe-emulated AVX-512 build) adds the same bits whatever the thread count (1 to 7) and however the buffer is split, the same numbers gs_rng_normal draws for (seed, stream) up to rounding, a standard normal in distribution, and new numbers for another stream; the chunked sum of squares is thread-count independent too. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/topo.h"
#include "harness/validate_eltwise.h"
#include "test_util.h"

/* Past the threading threshold, odd, and not a multiple of any noise block. */
#define N 1000003L
#define SEED 42u
#define STREAM 7u

/* gs_rng_normal rounds its angle (2 pi u in float) before cosf/sinf: up to 2 pi 2^-24 ~ 4e-7 of
 * angle error, times the radius (below 5.8), plus both sides' vmath/libm errors (~1e-7 relative). */
#define RNG_NORMAL_TOL 3e-6

typedef struct {
    const char *name;
    gs_add_noise_fn *noise;
    gs_sumsq_fn *sumsq;
} impl_t;

static float *noise_with_threads(const impl_t *im, int threads, long n, uint64_t stream)
{
    float *g = calloc((size_t)n, sizeof(float));
    omp_set_num_threads(threads);
    if (g && gs_add_noise_with(im->noise, n, g, 1.0f, SEED, stream) != GS_OK) {
        free(g);
        g = NULL;
    }
    return g;
}

static void check_impl(const impl_t *im, const float *rng_normal)
{
    float *base = noise_with_threads(im, 1, N, STREAM);
    if (!gs_check(base != NULL, "%s: add_noise on %ld floats runs", im->name, N))
        return;
    for (int t = 2; t <= 7; t++) {
        float *other = noise_with_threads(im, t, N, STREAM);
        gs_check(other && memcmp(base, other, N * sizeof(float)) == 0, "%s: %d threads add the same bits as 1", im->name, t);
        free(other);
    }
    /* a prefix of the buffer gets the prefix of the numbers (the split does not matter) */
    float *prefix = noise_with_threads(im, 2, 12345, STREAM);
    gs_check(prefix && memcmp(base, prefix, 12345 * sizeof(float)) == 0, "%s: a 12345-float buffer gets the first 12345 "
             "numbers", im->name);
    free(prefix);
    double worst = 0.0, sum = 0.0, sq = 0.0;
    for (long i = 0; i < N; i++) {
        const double d = fabs((double)base[i] - rng_normal[i]);
        worst = d > worst ? d : worst;
        sum += base[i];
        sq += (double)base[i] * base[i];
    }
    const double mean = sum / N, var = sq / N - mean * mean;
    gs_check(worst <= RNG_NORMAL_TOL, "%s: element i is gs_rng_normal's element i within %.3g (max difference %.3g)",
             im->name, RNG_NORMAL_TOL, worst);
    gs_check(fabs(mean) < 5.0 / sqrt((double)N) && fabs(var - 1.0) < 0.01, "%s: mean %.2e, variance %.4f (N(0, 1))",
             im->name, mean, var);
    float *again = noise_with_threads(im, 2, N, STREAM + 1);
    long same = 0;
    for (long i = 0; again && i < N; i++)
        same += again[i] == base[i];
    gs_check(again && same < 100, "%s: another stream gives other numbers (%ld of %ld equal)", im->name, same, N);
    free(again);
    double s1 = 0.0, s2 = 0.0;
    omp_set_num_threads(1);
    gs_status_t st1 = gs_sumsq_with(im->sumsq, N, base, &s1);
    omp_set_num_threads(2);
    gs_status_t st2 = gs_sumsq_with(im->sumsq, N, base, &s2);
    gs_check(st1 == GS_OK && st2 == GS_OK && s1 == s2, "%s: sum of squares %.17g with 1 and 2 threads (same bits)",
             im->name, s1);
    free(base);
}

int main(void)
{
    gs_topo_init();
    float *rng_normal = malloc(N * sizeof(float));
    gs_rng_normal(SEED, STREAM, rng_normal, N, 0.0f, 1.0f);
    impl_t impls[GS_ISA_COUNT + 1];
    int n = 0;
    for (int i = 0; i < GS_ISA_COUNT; i++) {
        const gs_optim_impl_t im = gs_optim_impl_for_isa((gs_isa_t)i);
        if (im.add_noise)
            impls[n++] = (impl_t){im.name, im.add_noise, im.sumsq};
    }
    impls[n++] = (impl_t){"avx512_emu", gs_add_noise_avx512_emu, gs_sumsq_avx512_emu};
    for (int i = 0; i < n; i++)
        check_impl(&impls[i], rng_normal);
    if (gs_isa_supported(GS_ISA_AVX512)) {
        float *a = noise_with_threads(&impls[1], 2, N, STREAM), *b = noise_with_threads(&impls[2], 2, N, STREAM);
        gs_check(a && b && memcmp(a, b, N * sizeof(float)) == 0, "avx2 and avx512 add the same bits");
        free(a), free(b);
    }
    free(rng_normal);
    return gs_test_done("test_add_noise_same_any_threads");
}
