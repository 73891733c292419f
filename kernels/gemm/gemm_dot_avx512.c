/* AVX-512 GEMM for untransposed A as dot products: the rows of A and the columns of op(B) both run
 * along k (B^T's rows in place; untransposed B's few columns copied), so a 4x4 block of C is 16 dot
 * products, computed with nothing packed: 16 accumulators along k (8 loads per 16 FMAs), then a
 * shuffle tree leaves the 16 sums in one zmm. gemm_avx512.c sends here the output layer's forward
 * pass (X W^T, narrow C), few rows over a deep k, narrow C with both operands untransposed and the
 * last few columns of wider C, where its tiles would first transpose all of A. Also built against
 * SIMDe for the tests (see core/simd_avx512.h). */
#include <omp.h>

#include "core/hsum_avx512.h"
#include "core/lanes_avx512.h"
#include "core/simd_avx512.h"
#include "core/topo.h"
#include "core/transpose_avx512.h"
#include "kernels/gemm/gemm_dot.h"
#include "kernels/gemm/gemm_driver.h"
#include "kernels/gemm/gemm_pack.h"

#define DOT_B GS_GEMM_DOT_ROWS
#define DOT_NB_MAX 5 /* 4 x 5: 20 accumulators + 9 operands fit the 32 zmm */

/* Per 128-bit lane: [x0+x2, y0+y2, x1+x3, y1+y3]. */
static inline __m512 sum_pairs(__m512 x, __m512 y)
{
    return _mm512_add_ps(_mm512_unpacklo_ps(x, y), _mm512_unpackhi_ps(x, y));
}

/* Of sum_pairs(v0, v1) and sum_pairs(v2, v3): per 128-bit lane q, the sums of lane q of v0..v3. */
static inline __m512 sum_quads(__m512 x, __m512 y)
{
    const __m512d xd = _mm512_castps_pd(x), yd = _mm512_castps_pd(y);
    return _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(xd, yd)), _mm512_castpd_ps(_mm512_unpackhi_pd(xd, yd)));
}

/* 128-bit lanes [x0+x1, x2+x3, y0+y1, y2+y3]. */
static inline __m512 sum_lanes(__m512 x, __m512 y)
{
    return _mm512_add_ps(_mm512_shuffle_f32x4(x, y, 0x88), _mm512_shuffle_f32x4(x, y, 0xdd));
}

/* The 4 x NB block's dot products over k (NB = 2, 4 or 5), 16 steps at a time (the last `tail`
 * lanes only), into s[r][q]; columns q >= NB stay zero. */
GS_PACK_INLINE void dot_sums(const int NB, long k, const float *const ar[DOT_B], const float *const br[DOT_NB_MAX],
                             __m512 s[DOT_B][DOT_NB_MAX])
{
    for (long p = 0; p < k; p += 16) {
        const __mmask16 tail = gs_mask_below(k - p);
        __m512 av[DOT_B], bv[DOT_NB_MAX];
#pragma GCC unroll 4
        for (int r = 0; r < DOT_B; r++)
            av[r] = tail == 0xffff ? _mm512_loadu_ps(ar[r] + p) : _mm512_maskz_loadu_ps(tail, ar[r] + p);
#pragma GCC unroll 5
        for (int q = 0; q < NB; q++)
            bv[q] = tail == 0xffff ? _mm512_loadu_ps(br[q] + p) : _mm512_maskz_loadu_ps(tail, br[q] + p);
#pragma GCC unroll 4
        for (int r = 0; r < DOT_B; r++)
#pragma GCC unroll 5
            for (int q = 0; q < NB; q++)
                s[r][q] = _mm512_fmadd_ps(av[r], bv[q], s[r][q]);
    }
}

/* c[0..cols) = o + beta * c, with a mask below 4 columns (no spilled copy and scalar loop). */
static inline void dot_store(float *c, __m128 o, int cols, float beta)
{
    if (cols == DOT_B) {
        if (beta != 0.0f)
            o = _mm_fmadd_ps(_mm_set1_ps(beta), _mm_loadu_ps(c), o);
        _mm_storeu_ps(c, o);
        return;
    }
    const __mmask16 mask = gs_mask_below(cols);
    if (beta != 0.0f)
        o = _mm_fmadd_ps(_mm_set1_ps(beta), _mm512_castps512_ps128(_mm512_maskz_loadu_ps(mask, c)), o);
    _mm512_mask_storeu_ps(c, mask, _mm512_castps128_ps512(o));
}

/* C[r][q] = alpha * dot(A row r, B row q) + beta * C[r][q] for r < rows, q < cols (cols <= NB);
 * rows and columns past the edge repeat the last valid one (computed, never stored). */
GS_PACK_INLINE void dot_block(const int NB, long k, const float *a, long lda, const float *b, long ldb, float *c,
                              long ldc, float alpha, float beta, int rows, int cols)
{
    const float *ar[DOT_B], *br[DOT_NB_MAX];
    gs_gemm_dot_rows(a, lda, rows, DOT_B, ar);
    gs_gemm_dot_rows(b, ldb, cols, DOT_NB_MAX, br);
    __m512 s[DOT_B][DOT_NB_MAX];
#pragma GCC unroll 4
    for (int r = 0; r < DOT_B; r++)
#pragma GCC unroll 5
        for (int q = 0; q < DOT_NB_MAX; q++)
            s[r][q] = _mm512_setzero_ps();
    dot_sums(NB, k, ar, br, s);
    __m128 out[DOT_B]; /* row r's sums, computed with constant indices so s stays in registers */
    if (NB >= DOT_B) { /* one tree for the 16 sums: 128-bit lane r of `sums` holds row r's */
        __m512 row[DOT_B]; /* per 128-bit lane q: lane q's part of the sums of row r */
#pragma GCC unroll 4
        for (int r = 0; r < DOT_B; r++)
            row[r] = sum_quads(sum_pairs(s[r][0], s[r][1]), sum_pairs(s[r][2], s[r][3]));
        const __m512 sums = _mm512_mul_ps(_mm512_set1_ps(alpha),
                                          sum_lanes(sum_lanes(row[0], row[1]), sum_lanes(row[2], row[3])));
        out[0] = _mm512_castps512_ps128(sums);
        out[1] = _mm512_extractf32x4_ps(sums, 1);
        out[2] = _mm512_extractf32x4_ps(sums, 2);
        out[3] = _mm512_extractf32x4_ps(sums, 3);
    } else { /* two columns: one 4-sum reduction per pair of rows (m64n10k128 +4% against the full
              * tree over half-empty accumulators) */
#pragma GCC unroll 2
        for (int r = 0; r < DOT_B; r += 2) {
            out[r] = _mm_mul_ps(_mm_set1_ps(alpha), gs_hsum4_ps512(s[r][0], s[r][1], s[r + 1][0], s[r + 1][1]));
            out[r + 1] = _mm_movehl_ps(out[r], out[r]);
        }
    }
    if (NB == DOT_NB_MAX) { /* the fifth column: one 4-sum reduction, lane r for row r */
        const __m128 fifth = _mm_mul_ps(_mm_set1_ps(alpha), gs_hsum4_ps512(s[0][4], s[1][4], s[2][4], s[3][4]));
        float f[DOT_B];
        _mm_storeu_ps(f, fifth);
        for (int i = 0; i < rows; i++) {
            dot_store(c + i * ldc, out[i], DOT_B, beta);
            c[i * ldc + DOT_B] = beta == 0.0f ? f[i] : f[i] + beta * c[i * ldc + DOT_B];
        }
        return;
    }
    for (int i = 0; i < rows; i++)
        dot_store(c + i * ldc, out[i], cols, beta);
}

/* How many of `cols` columns end in 4 x 5 blocks: 5 where 4-wide blocks would leave 1 column, 10
 * where they would leave 2 (n = 10 is 5 + 5, 9 is 4 + 5, 14 is 4 + 5 + 5; 6 stays 4 + 2). n = 10 as
 * 5 + 5 loads 18 rows of k per 40 FMAs, against 22 for 4 + 4 + 2, in one block fewer. Against the
 * 4-wide blocks alone, timed alternately in one process: m64n10k128 +0-3%, m256n10k128 +3%,
 * m100n10k512 +1-2%, m64n10k784 +8%, m33n14k129 +12-14%. Only the row's end: a loop choosing each
 * block's width cost the all-4-wide m64n128k784 1%. */
static long dot_tail5(long cols)
{
    const long r = cols % DOT_B;
    return r == 1 && cols >= 5 ? 5 : r == 2 && cols >= 10 ? 10 : 0;
}

/* Row blocks [t0, t1) of C, columns [j0, j1). */
static void dot_rows(long t0, long t1, long j0, long j1, long m, long k, float alpha, const float *a, long lda,
                     const float *b, long ldb, float beta, float *c, long ldc)
{
    const long j5 = j1 - dot_tail5(j1 - j0);
    for (long t = t0; t < t1; t++) {
        const long i = t * DOT_B;
        const int rows = (int)(m - i < DOT_B ? m - i : DOT_B);
        for (long j = j0; j < j5; j += DOT_B) {
            const int cols = (int)(j5 - j < DOT_B ? j5 - j : DOT_B);
            if (cols > 2) /* 3 columns repeat the last one in a 4 x 4 block */
                dot_block(DOT_B, k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, alpha, beta, rows, cols);
            else
                dot_block(2, k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, alpha, beta, rows, cols);
        }
        for (long j = j5; j < j1; j += DOT_NB_MAX)
            dot_block(DOT_NB_MAX, k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, alpha, beta, rows,
                      DOT_NB_MAX);
    }
}

/* One thread's row blocks [t0, t1), a pass over each column block in turn. */
static void dot_rows_blocked(long t0, long t1, long m, long n, long k, float alpha, const float *a, long lda,
                             const float *b, long ldb, float beta, float *c, long ldc)
{
    const long nb = gs_gemm_dot_col_block(n, k, DOT_B);
    for (long j0 = 0; j0 < n; j0 += nb)
        dot_rows(t0, t1, j0, j0 + nb < n ? j0 + nb : n, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* Columns [0, n) of the first kk rows of B (row stride ldb) into rows of bt (stride ld, a multiple
 * of 16 floats, bt line-aligned), 16 rows of B at a time through a register transpose; returns how
 * many rows it copied (a multiple of 16), the caller copies the rest. Element by element, the copy
 * had taken a fifth of m120n16k1176ta0tb0; transposed, switched in one process: m64n10k784ta0tb0
 * +39%, m146n13k886 +19%, m300n10k500 +10%, m456n10k92 +4%. */
static long copy_columns(const float *b, long ldb, long n, long kk, float *bt, long ld)
{
    const __mmask16 cols = gs_mask_below(n);
    long p = 0;
    for (; p + 16 <= kk; p += 16) {
        __m512 r[16];
        for (int i = 0; i < 16; i++)
            r[i] = _mm512_maskz_loadu_ps(cols, b + (p + i) * ldb);
        gs_transpose16x16(r);
        for (long j = 0; j < n; j++)
            _mm512_store_ps(bt + j * ld + p, r[j]);
    }
    return p;
}

/* k per copy of untransposed B's columns: up to GS_GEMM_DOT_COLS_MAX = 16 columns x 512 floats on
 * the stack (32 KiB). */
#define DOT_COLS_KC 512

/* dot_rows_blocked for untransposed B (k x n, n <= GS_GEMM_DOT_COLS_MAX): its columns copied into rows of a
 * buffer, k in equal chunks of at most DOT_COLS_KC, each chunk after the first accumulating into C.
 * The rows start on cache lines, so only A's loads can straddle two (m146n13k886ta0tb0 +7%,
 * m300n40k499 +2%, switched in one process). */
static void dot_rows_b_cols(long t0, long t1, long m, long n, long k, float alpha, const float *a, long lda,
                            const float *b, long ldb, float beta, float *c, long ldc)
{
    float bt[GS_GEMM_DOT_COLS_MAX * DOT_COLS_KC] __attribute__((aligned(64)));
    const long parts = (k + DOT_COLS_KC - 1) / DOT_COLS_KC, kc = (k + parts - 1) / parts;
    for (long p0 = 0; p0 < k; p0 += kc) {
        const long kk = kc < k - p0 ? kc : k - p0, ld = (kk + 15) / 16 * 16;
        for (long p = copy_columns(b + p0 * ldb, ldb, n, kk, bt, ld); p < kk; p++)
            for (long j = 0; j < n; j++)
                bt[j * ld + p] = b[(p0 + p) * ldb + j];
        dot_rows_blocked(t0, t1, m, n, kk, alpha, a + p0, lda, bt, ld, p0 ? 1.0f : beta, c, ldc);
    }
}

void gs_gemm_dot_avx512(bool transb, long m, long n, long k, float alpha, const float *a, long lda, const float *b,
                        long ldb, float beta, float *c, long ldc, int min_threads)
{
    const long blocks = (m + DOT_B - 1) / DOT_B;
    int nt = gs_gemm_threads(NULL, 2.0 * (double)m * (double)n * (double)k, blocks);
    if (nt < min_threads)
        nt = min_threads < blocks ? min_threads : (int)blocks;
    if (nt == 1) { /* most calls: no OpenMP construct at all, it would cost a visible share */
        if (transb)
            dot_rows_blocked(0, blocks, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else
            dot_rows_b_cols(0, blocks, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        const int tid = omp_get_thread_num();
        const long t0 = blocks * tid / nt, t1 = blocks * (tid + 1) / nt;
        if (transb)
            dot_rows_blocked(t0, t1, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else
            dot_rows_b_cols(t0, t1, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
