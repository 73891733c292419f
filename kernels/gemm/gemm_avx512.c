/* AVX-512 GEMM: an 8x32 register-blocked micro-kernel (16 zmm accumulators, 2 loads of B and 8
 * embedded broadcasts of A per k step; edges by masked loads/stores) inside the generic BLIS loop
 * nest of gemm_driver.c. Also built against SIMDe for the tests (see core/simd_avx512.h). */
#include "core/simd_avx512.h"
#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_driver.h"

#define MR 8
#define NR 32

/* One row of the tile: C = alpha * acc + beta * C on the lanes of `lo_mask`/`hi_mask`. */
static inline void store_row(float *c, __m512 lo, __m512 hi, __m512 valpha, __m512 vbeta, float beta,
                             __mmask16 lo_mask, __mmask16 hi_mask, int full)
{
    lo = _mm512_mul_ps(lo, valpha);
    hi = _mm512_mul_ps(hi, valpha);
    if (full) {
        if (beta != 0.0f) {
            lo = _mm512_fmadd_ps(vbeta, _mm512_loadu_ps(c), lo);
            hi = _mm512_fmadd_ps(vbeta, _mm512_loadu_ps(c + 16), hi);
        }
        _mm512_storeu_ps(c, lo);
        _mm512_storeu_ps(c + 16, hi);
        return;
    }
    if (beta != 0.0f) {
        lo = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(lo_mask, c), lo);
        hi = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(hi_mask, c + 16), hi);
    }
    _mm512_mask_storeu_ps(c, lo_mask, lo);
    _mm512_mask_storeu_ps(c + 16, hi_mask, hi);
}

static void ukernel_8x32(long kc, const float *restrict a, const float *restrict b, float *restrict c,
                         long rs_c, float alpha, float beta, int mr, int nr)
{
    __m512 acc[MR][2];
    for (int i = 0; i < MR; i++)
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();

#pragma GCC unroll 4
    for (long p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
        for (int i = 0; i < MR; i++) {
            const __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += MR;
        b += NR;
    }

    const __m512 valpha = _mm512_set1_ps(alpha), vbeta = _mm512_set1_ps(beta);
    const int full = nr == NR;
    const __mmask16 lo_mask = (__mmask16)(nr >= 16 ? 0xffff : (1u << nr) - 1);
    const __mmask16 hi_mask = (__mmask16)(nr >= 32 ? 0xffff : nr > 16 ? (1u << (nr - 16)) - 1 : 0);
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++)
        if (i < mr)
            store_row(c + i * rs_c, acc[i][0], acc[i][1], valpha, vbeta, beta, lo_mask, hi_mask, full);
}

static const gs_ukernel_t ukernel = {.isa = "avx512", .mr = MR, .nr = NR, .kernel = ukernel_8x32};

gs_status_t gs_gemm_avx512(bool transa, bool transb, long m, long n, long k, float alpha, const float *a,
                           long lda, const float *b, long ldb, float beta, float *c, long ldc)
{
    return gs_gemm_driver(&ukernel, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
