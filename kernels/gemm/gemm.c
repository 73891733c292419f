/* GEMM public entry: argument checks, BLAS degenerate cases, dispatch and profiling. */
#include "kernels/gemm/gemm.h"

#include <stdio.h>

#include "core/clock.h"
#include "core/dispatch.h"
#include "core/profiler.h"
#include "kernels/gemm/gemm_driver.h"

gs_status_t gs_gemm_check(bool transa, bool transb, long m, long n, long k, const float *a, long lda,
                          const float *b, long ldb, const float *c, long ldc)
{
    if (m < 0 || n < 0 || k < 0)
        return gs_error(GS_EINVAL, "gemm: negative size m=%ld n=%ld k=%ld", m, n, k);
    long a_cols = transa ? m : k, b_cols = transb ? k : n;
    if (lda < (a_cols > 1 ? a_cols : 1))
        return gs_error(GS_EINVAL, "gemm: lda=%ld too small, expected >= %ld (%s A)", lda, a_cols,
                        transa ? "transposed" : "plain");
    if (ldb < (b_cols > 1 ? b_cols : 1))
        return gs_error(GS_EINVAL, "gemm: ldb=%ld too small, expected >= %ld (%s B)", ldb, b_cols,
                        transb ? "transposed" : "plain");
    if (ldc < (n > 1 ? n : 1))
        return gs_error(GS_EINVAL, "gemm: ldc=%ld too small, expected >= n=%ld", ldc, n);
    if (m > 0 && n > 0 && !c)
        return gs_error(GS_EINVAL, "gemm: C is NULL");
    if (m > 0 && n > 0 && k > 0 && (!a || !b))
        return gs_error(GS_EINVAL, "gemm: %s is NULL", !a ? "A" : "B");
    return GS_OK;
}

/* C = beta * C, the whole answer when k == 0 or alpha == 0 (BLAS: beta == 0 zeroes C, even NaN). */
static void scale_c(long m, long n, float beta, float *c, long ldc)
{
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++)
            c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
}

gs_status_t gs_gemm_with(gs_gemm_fn *fn, bool transa, bool transb, long m, long n, long k, float alpha,
                         const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc)
{
    gs_status_t st = gs_gemm_check(transa, transb, m, n, k, a, lda, b, ldb, c, ldc);
    if (st != GS_OK)
        return st;
    if (!fn)
        return gs_error(GS_EUNSUPPORTED, "gemm: no implementation for this ISA on this CPU");
    if (m == 0 || n == 0)
        return GS_OK;
    if (k == 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        return GS_OK;
    }
    return fn(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

gs_status_t gs_gemm(bool transa, bool transb, long m, long n, long k, float alpha, const float *a,
                    long lda, const float *b, long ldb, float beta, float *c, long ldc)
{
    if (!gs_prof_active())
        return gs_gemm_with(gs_kern.gemm, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_gemm_with(gs_kern.gemm, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    uint64_t dt = gs_now_ns() - t0;
    char shape[96];
    snprintf(shape, sizeof shape, "m%ldn%ldk%ldta%dtb%d", m, n, k, transa, transb);
    double flops = 2.0 * (double)m * (double)n * (double)k;
    double bytes = 4.0 * ((double)m * k + (double)k * n + (beta != 0.0f ? 2.0 : 1.0) * (double)m * n);
    gs_prof_record("gemm", gs_kern.impl_name, gs_kern.isa_name, shape, dt, flops, bytes);
    return st;
}

gs_status_t gs_gemm_plan(gs_isa_t isa, gs_gemm_plan_t *out)
{
    const gs_ukernel_t *uk = isa == GS_ISA_AVX2     ? gs_gemm_avx2_ukernel()
                             : isa == GS_ISA_AVX512 ? gs_gemm_avx512_ukernel()
                                                    : NULL;
    if (!uk)
        return gs_error(GS_EUNSUPPORTED, "gemm: the %s GEMM has no blocking", gs_isa_name(isa));
    if (!gs_isa_supported(isa)) /* its accessor is compiled for that ISA: not even called */
        return gs_error(GS_EUNSUPPORTED, "gemm: this CPU has no %s", gs_isa_name(isa));
    const gs_gemm_blocking_t b = gs_gemm_blocking(uk, 1L << 20);
    *out = (gs_gemm_plan_t){uk->mr, uk->nr, b.kc, b.mc, b.nc};
    return GS_OK;
}
