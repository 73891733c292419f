/* Proves the validation driver fails deliberately broken GEMMs (wrong element, out-of-bounds write, reading C when beta = 0, writing A, error status) and names why. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/topo.h"
#include "harness/validate_gemm.h"
#include "test_util.h"

static gs_status_t off_by_one(bool ta, bool tb, long m, long n, long k, float alpha, const float *a, long lda,
                              const float *b, long ldb, float beta, float *c, long ldc)
{
    gs_gemm_ref(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    c[(m - 1) * ldc + n - 1] += 1.0f;
    return GS_OK;
}

/* Writes the element just past the last row: padding when ldpad > 0, the guard after C otherwise. */
static gs_status_t writes_past_row(bool ta, bool tb, long m, long n, long k, float alpha, const float *a, long lda,
                                   const float *b, long ldb, float beta, float *c, long ldc)
{
    gs_gemm_ref(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    c[(m - 1) * ldc + n] = 0.0f;
    return GS_OK;
}

static gs_status_t writes_before_c(bool ta, bool tb, long m, long n, long k, float alpha, const float *a, long lda,
                                   const float *b, long ldb, float beta, float *c, long ldc)
{
    gs_gemm_ref(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    c[-1] = 0.0f;
    return GS_OK;
}

/* BLAS forbids reading C when beta == 0; this one computes beta * C anyway (0 * NaN = NaN). */
static gs_status_t reads_c(bool ta, bool tb, long m, long n, long k, float alpha, const float *a, long lda,
                           const float *b, long ldb, float beta, float *c, long ldc)
{
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) {
            float s = 0.0f;
            for (long p = 0; p < k; p++)
                s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
            c[i * ldc + j] = alpha * s + beta * c[i * ldc + j];
        }
    return GS_OK;
}

/* Flips the sign of A[0] (bits change even for 0.0) after computing the right answer. */
static gs_status_t writes_a(bool ta, bool tb, long m, long n, long k, float alpha, const float *a, long lda,
                            const float *b, long ldb, float beta, float *c, long ldc)
{
    gs_gemm_ref(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    float *w = (float *)(uintptr_t)a;
    w[0] = -w[0];
    return GS_OK;
}

static gs_status_t fails(bool ta, bool tb, long m, long n, long k, float alpha, const float *a, long lda,
                         const float *b, long ldb, float beta, float *c, long ldc)
{
    (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)alpha, (void)a, (void)lda, (void)b, (void)ldb;
    (void)beta, (void)c, (void)ldc;
    return gs_error(GS_EBACKEND, "deliberate failure");
}

/* Runs one implementation on one problem; checks the failure count and that the report says `why`. */
static void expect(const char *problem, const char *name, gs_gemm_fn *fn, int want_failed, const char *why)
{
    gs_gemm_problem_t p;
    gs_gemm_problem_parse(problem, &p);
    gs_gemm_impl_t impl = {name, fn};
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    int failed = gs_validate_gemm(&p, 1, &impl, 1, GS_VALIDATE_SEED_DEFAULT, out, NULL);
    fclose(out);
    bool says = strstr(text, why) != NULL;
    bool repro = strstr(text, "repro: gradscope validate gemm") != NULL;
    gs_check(failed == want_failed && says && repro == (want_failed > 0), "%s on %s: %d failure(s), report says '%s'",
             name, problem, failed, why);
    if (!says || failed != want_failed)
        fputs(text, stdout);
    free(text);
}

int main(void)
{
    gs_topo_init();
    expect("m9n33k17ta0tb0", "ref", gs_gemm_ref, 0, "PASS");
    expect("m9n33k17ta1tb1beta1ldpad2", "ref", gs_gemm_ref, 0, "PASS");
    expect("m9n33k17ta0tb0", "off_by_one", off_by_one, 1, "elements differ from oneDNN");
    expect("m9n33k17ta0tb0", "off_by_one", off_by_one, 1, "at C[8,32] (got");
    expect("m9n33k17ta0tb0ldpad3", "writes_past_row", writes_past_row, 1, "wrote outside C: padding column C[8,33]");
    expect("m9n33k17ta0tb0", "writes_past_row", writes_past_row, 1, "wrote outside C: 1 floats past the end of C");
    expect("m9n33k17ta0tb0", "writes_before_c", writes_before_c, 1, "wrote outside C: 1 floats before C");
    expect("m9n33k17ta0tb0", "reads_c", reads_c, 1, "got nan");
    expect("m9n33k17ta0tb0beta1", "reads_c", reads_c, 0, "PASS");
    expect("m9n33k17ta1tb0", "writes_a", writes_a, 1, "wrote into the input A");
    expect("m9n33k17ta0tb0", "fails", fails, 1, "deliberate failure");
    return gs_test_done("test_validate_catches_broken_kernels");
}
