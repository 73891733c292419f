/* Proves the Philox fills give bit-identical numbers with 1 and 2 threads, depend on seed and stream, and have sane moments. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "test_util.h"

/* Large enough that the fills run in parallel (their threshold is 65536 elements). */
#define N 1000000

typedef void fill_fn(uint64_t seed, uint64_t stream, float *x, size_t n, float a, float b);

static void fill_with_threads(fill_fn *fill, int threads, uint64_t seed, uint64_t stream, float *x, float a,
                              float b)
{
    omp_set_num_threads(threads);
    fill(seed, stream, x, N, a, b);
}

static void moments(const float *x, size_t n, double *mean, double *std)
{
    double s = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++)
        s2 += (x[i] - *mean) * (x[i] - *mean);
    *std = sqrt(s2 / (double)(n - 1));
}

static void check_same(const char *name, fill_fn *fill, float a, float b, float *x1, float *x2)
{
    fill_with_threads(fill, 1, 42, 7, x1, a, b);
    fill_with_threads(fill, 2, 42, 7, x2, a, b);
    gs_check(memcmp(x1, x2, N * sizeof(float)) == 0, "%s: 1 and 2 threads give bit-identical arrays", name);
    fill_with_threads(fill, 2, 43, 7, x2, a, b);
    gs_check(memcmp(x1, x2, N * sizeof(float)) != 0, "%s: another seed gives other numbers", name);
    fill_with_threads(fill, 2, 42, 8, x2, a, b);
    gs_check(memcmp(x1, x2, N * sizeof(float)) != 0, "%s: another stream gives other numbers", name);
    fill(42, 7, x2, 1000, a, b);
    gs_check(memcmp(x1, x2, 1000 * sizeof(float)) == 0, "%s: a shorter fill is a prefix of the longer one", name);
}

int main(void)
{
    float *x1 = malloc(N * sizeof(float)), *x2 = malloc(N * sizeof(float));
    if (!gs_check(x1 && x2, "allocated 2 x %d floats", N))
        return gs_test_done("test_rng_same_numbers_any_threads");
    check_same("uniform", gs_rng_uniform, -1.0f, 3.0f, x1, x2);
    check_same("normal", gs_rng_normal, 0.0f, 1.0f, x1, x2);

    double mean, std;
    /* 1e6 samples: the mean's standard error is std/1000, so 5e-3 std is a 5-sigma bound. */
    gs_rng_normal(42, 1, x1, N, 2.0f, 0.5f);
    moments(x1, N, &mean, &std);
    gs_check(fabs(mean - 2.0) < 5e-3 * 0.5 && fabs(std - 0.5) < 5e-3 * 0.5,
             "normal(2, 0.5): mean %.5f std %.5f", mean, std);
    bool finite = true;
    for (size_t i = 0; i < N; i++)
        finite &= isfinite(x1[i]);
    gs_check(finite, "normal: every sample is finite");

    gs_rng_uniform(42, 1, x1, N, -1.0f, 3.0f);
    moments(x1, N, &mean, &std);
    bool in_range = true;
    for (size_t i = 0; i < N; i++)
        in_range &= x1[i] >= -1.0f && x1[i] < 3.0f;
    gs_check(in_range, "uniform[-1, 3): every sample in range");
    gs_check(fabs(mean - 1.0) < 5e-3 * 4 / sqrt(12.0) && fabs(std - 4 / sqrt(12.0)) < 5e-3,
             "uniform[-1, 3): mean %.5f (want 1) std %.5f (want %.5f)", mean, std, 4 / sqrt(12.0));
    free(x1);
    free(x2);
    return gs_test_done("test_rng_same_numbers_any_threads");
}
