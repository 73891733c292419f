/* AVX2+FMA GEMM: a 6x16 register-blocked micro-kernel (12 ymm accumulators, 2 loads of B and 6
 * broadcasts of A per k step) inside the generic BLIS loop nest of gemm_driver.c. */
#include <immintrin.h>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_driver.h"
#include "kernels/gemm/gemm_pack.h"

#define MR 6
#define NR 16

/* C tile (MR x NR) = alpha * acc + beta * C, one row of two vectors at a time. */
static inline void store_row(float *c, __m256 lo, __m256 hi, __m256 valpha, __m256 vbeta, float beta)
{
    lo = _mm256_mul_ps(lo, valpha);
    hi = _mm256_mul_ps(hi, valpha);
    if (beta != 0.0f) {
        lo = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(c), lo);
        hi = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(c + 8), hi);
    }
    _mm256_storeu_ps(c, lo);
    _mm256_storeu_ps(c + 8, hi);
}

/* One k step of row i: C[i][0:16] += A[i][p] * B[p][0:16]. */
#define ROW_FMA(i, c0, c1)                                \
    do {                                                  \
        const __m256 ai = _mm256_broadcast_ss(a + (i) * rs_a);   \
        c0 = _mm256_fmadd_ps(ai, b0, c0);                 \
        c1 = _mm256_fmadd_ps(ai, b1, c1);                 \
    } while (0)

/* The accumulators are named variables, not an array: GCC then keeps all 12 in ymm registers
 * (with an array it spilled some of them to the stack once prefetches were added). */
GS_PACK_INLINE void ukernel_6x16_body(long kc, const float *restrict a, long rs_a, long cs_a, const float *restrict b,
                                      long rs_b, const bool copy_b, float *restrict b_copy, float *restrict c, long rs_c,
                                      float alpha, float beta, int mr, int nr)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    /* C is needed only after kc steps: fetching it now hides a likely cache miss behind them. */
    for (int i = 0; i < MR; i++) {
        _mm_prefetch((const char *)(c + i * rs_c), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * rs_c + 8), _MM_HINT_T0);
    }

#pragma GCC unroll 4
    for (long p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        if (copy_b) {
            _mm256_storeu_ps(b_copy, b0);
            _mm256_storeu_ps(b_copy + 8, b1);
            b_copy += NR;
        }
        ROW_FMA(0, c00, c01);
        ROW_FMA(1, c10, c11);
        ROW_FMA(2, c20, c21);
        ROW_FMA(3, c30, c31);
        ROW_FMA(4, c40, c41);
        ROW_FMA(5, c50, c51);
        a += cs_a;
        b += rs_b;
    }

    const __m256 valpha = _mm256_set1_ps(alpha), vbeta = _mm256_set1_ps(beta);
    if (mr == MR && nr == NR) {
        /* From the named registers: through the array below GCC spills the accumulators first. */
        store_row(c + 0 * rs_c, c00, c01, valpha, vbeta, beta);
        store_row(c + 1 * rs_c, c10, c11, valpha, vbeta, beta);
        store_row(c + 2 * rs_c, c20, c21, valpha, vbeta, beta);
        store_row(c + 3 * rs_c, c30, c31, valpha, vbeta, beta);
        store_row(c + 4 * rs_c, c40, c41, valpha, vbeta, beta);
        store_row(c + 5 * rs_c, c50, c51, valpha, vbeta, beta);
        return;
    }
    const __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    /* Edge tile: the same accumulators, scaled into a buffer, then only the valid corner to C. */
    float t[MR * NR] __attribute__((aligned(32)));
    for (int i = 0; i < MR; i++) {
        _mm256_store_ps(t + i * NR, _mm256_mul_ps(acc[i][0], valpha));
        _mm256_store_ps(t + i * NR + 8, _mm256_mul_ps(acc[i][1], valpha));
    }
    gs_gemm_store_edge(t, NR, c, rs_c, beta, mr, nr);
}

/* Packed operands get their own instantiation with constant strides (simpler addressing in the
 * hot loop); operands read in place use the general one, and packing B on the way a third. */
static void ukernel_6x16(long kc, const float *a, long rs_a, long cs_a, const float *b, long rs_b, float *b_copy,
                         float *c, long rs_c, float alpha, float beta, int mr, int nr)
{
    if (b_copy)
        ukernel_6x16_body(kc, a, rs_a, cs_a, b, rs_b, true, b_copy, c, rs_c, alpha, beta, mr, nr);
    else if (rs_a == 1 && cs_a == MR && rs_b == NR)
        ukernel_6x16_body(kc, a, 1, MR, b, NR, false, NULL, c, rs_c, alpha, beta, mr, nr);
    else
        ukernel_6x16_body(kc, a, rs_a, cs_a, b, rs_b, false, NULL, c, rs_c, alpha, beta, mr, nr);
}

/* `count` full-height tiles down one B panel, the instantiation chosen once (see gemm_avx512.c). */
static void ukernel_6x16_column(long kc, const float *a, long rs_a, long cs_a, long a_step, long count, const float *b,
                                long rs_b, float *c, long rs_c, float alpha, float beta, int nr)
{
    if (rs_a == 1 && cs_a == MR && rs_b == NR)
        for (long t = 0; t < count; t++, a += a_step, c += MR * rs_c)
            ukernel_6x16_body(kc, a, 1, MR, b, NR, false, NULL, c, rs_c, alpha, beta, MR, nr);
    else
        for (long t = 0; t < count; t++, a += a_step, c += MR * rs_c)
            ukernel_6x16_body(kc, a, rs_a, cs_a, b, rs_b, false, NULL, c, rs_c, alpha, beta, MR, nr);
}

static void pack_a(long mc, long kc, const float *a, long lda, bool transa, long rows, float *dst)
{
    gs_gemm_pack_a_tpl(MR, mc, kc, a, lda, transa, rows, dst);
}

static void pack_b(long kc, long nc, const float *b, long ldb, bool transb, long cols, float *dst)
{
    gs_gemm_pack_b_tpl(NR, kc, nc, b, ldb, transb, cols, dst);
}

/* Forks from 0.6 MFLOP: at half AVX-512's speed a thread earns back the fork with less work
 * (m256n10k128ta0tb1, 0.66 MFLOP, 2 threads: 72 -> 117 GFLOP/s, oneDNN's AVX2 sgemm 111-113). */
static const gs_ukernel_t ukernel = {
    .isa = "avx2", .mr = MR, .nr = NR, .fork_flops = 3.0e5, .kernel = ukernel_6x16,
    .column = ukernel_6x16_column, .pack_a = pack_a, .pack_b = pack_b,
};

const gs_ukernel_t *gs_gemm_avx2_ukernel(void) { return &ukernel; }

gs_status_t gs_gemm_avx2(bool transa, bool transb, long m, long n, long k, float alpha, const float *a,
                         long lda, const float *b, long ldb, float beta, float *c, long ldc)
{
    return gs_gemm_driver(&ukernel, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
