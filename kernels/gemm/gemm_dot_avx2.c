/* AVX2 GEMM C = A B^T as dot products (both operands' rows run along k, read in place): a 4x3
 * block of C is 12 dot products, 12 ymm accumulators along k fed by 7 loads per 12 FMAs, then one
 * horizontal-add tree for the 12 sums; 4x2 blocks end a row. For narrow C (the output layer's
 * forward pass) and few rows over a deep k (a batch-64 first layer), where the tiles would first
 * transpose all of B^T into panels that few tiles then read. gemm_avx2.c decides. */
#include <omp.h>

#include "core/lanes_avx2.h"
#include "core/topo.h"
#include "kernels/gemm/gemm_dot.h"
#include "kernels/gemm/gemm_driver.h"
#include "kernels/gemm/gemm_pack.h"

#define DOT_R GS_GEMM_DOT_ROWS /* rows of A per block: 4 */
#define DOT_Q 3                /* rows of B^T per block */

/* Of hadd(x, y) twice over: per 128-bit half, [x0+..+x3, y0+..+y3, z0+..+z3, w0+..+w3] for the
 * half's lanes of x, y, z, w; the two halves then added. */
static inline __m128 sum4(__m256 x, __m256 y, __m256 z, __m256 w)
{
    const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(x, y), _mm256_hadd_ps(z, w));
    return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

/* The 4 x NQ block's dot products over k (NQ = 2 or 3) into s[r][q], 8 steps at a time: the NQ
 * rows of B^T held, A's four rows loaded in turn (with NQ = 3, 12 accumulators + 3 + 1 operands:
 * all 16 ymm). The masked last step keeps its mask out of the main loop, which has no register
 * left for it. */
GS_PACK_INLINE void dot_sums(const int NQ, long k, const float *const ar[DOT_R], const float *const br[DOT_Q],
                             __m256 s[DOT_R][DOT_Q])
{
#define DOT_STEP(LOAD)                                                     \
    do {                                                                   \
        __m256 bv[DOT_Q];                                                  \
        for (int q = 0; q < NQ; q++)                                       \
            bv[q] = LOAD(br[q] + p);                                       \
        for (int r = 0; r < DOT_R; r++) {                                  \
            const __m256 av = LOAD(ar[r] + p);                             \
            for (int q = 0; q < NQ; q++)                                   \
                s[r][q] = _mm256_fmadd_ps(av, bv[q], s[r][q]);             \
        }                                                                  \
    } while (0)
    long p = 0;
    for (; p + 8 <= k; p += 8)
        DOT_STEP(_mm256_loadu_ps);
    if (p < k) {
        const __m256i tail = gs_lanes_below(k - p);
#define LOAD_TAIL(x) _mm256_maskload_ps(x, tail)
        DOT_STEP(LOAD_TAIL);
#undef LOAD_TAIL
    }
#undef DOT_STEP
}

/* C[r][q] = alpha * dot(A row r, B^T row q) + beta * C[r][q] for r < rows, q < cols (cols <= NQ);
 * rows and columns past the edge repeat the last valid one (computed, never stored). */
GS_PACK_INLINE void dot_block(const int NQ, long k, const float *a, long lda, const float *b, long ldb, float *c,
                              long ldc, float alpha, float beta, int rows, int cols)
{
    const float *ar[DOT_R], *br[DOT_Q];
    gs_gemm_dot_rows(a, lda, rows, DOT_R, ar);
    gs_gemm_dot_rows(b, ldb, cols, DOT_Q, br);
    __m256 s[DOT_R][DOT_Q];
    for (int r = 0; r < DOT_R; r++)
        for (int q = 0; q < DOT_Q; q++)
            s[r][q] = _mm256_setzero_ps();
    dot_sums(NQ, k, ar, br, s);
    /* The sums in row order, four to a vector: with NQ = 3 [00 01 02 10] [11 12 20 21] [22 30 31 32]. */
    float sum[DOT_R * DOT_Q];
    if (NQ == 3) {
        _mm_storeu_ps(sum, sum4(s[0][0], s[0][1], s[0][2], s[1][0]));
        _mm_storeu_ps(sum + 4, sum4(s[1][1], s[1][2], s[2][0], s[2][1]));
        _mm_storeu_ps(sum + 8, sum4(s[2][2], s[3][0], s[3][1], s[3][2]));
    } else {
        _mm_storeu_ps(sum, sum4(s[0][0], s[0][1], s[1][0], s[1][1]));
        _mm_storeu_ps(sum + 4, sum4(s[2][0], s[2][1], s[3][0], s[3][1]));
    }
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < cols; q++) {
            float *cq = c + r * ldc + q;
            const float v = alpha * sum[r * NQ + q];
            *cq = beta == 0.0f ? v : v + beta * *cq;
        }
}

/* Row blocks [t0, t1) of C, columns [j0, j1): blocks of 3 columns, the row's last 4 as 2 + 2 where
 * 3-wide blocks would leave one (n = 16 is 3 x 4 + 2 + 2, 10 is 3 + 3 + 2 + 2), the last 2 as a
 * 2-wide block. */
static void dot_rows(long t0, long t1, long j0, long j1, long m, long k, float alpha, const float *a, long lda,
                     const float *b, long ldb, float beta, float *c, long ldc)
{
    const long cols = j1 - j0, j3 = j0 + (cols % DOT_Q == 1 && cols > 1 ? cols - 4 : cols / DOT_Q * DOT_Q);
    for (long t = t0; t < t1; t++) {
        const long i = t * DOT_R;
        const int rows = (int)(m - i < DOT_R ? m - i : DOT_R);
        long j = j0;
        for (; j < j3; j += DOT_Q)
            dot_block(3, k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, alpha, beta, rows, DOT_Q);
        for (; j < j1; j += 2)
            dot_block(2, k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, alpha, beta, rows,
                      (int)(j1 - j < 2 ? j1 - j : 2));
    }
}

static void dot_rows_blocked(long t0, long t1, long m, long n, long k, float alpha, const float *a, long lda,
                             const float *b, long ldb, float beta, float *c, long ldc)
{
    const long nb = gs_gemm_dot_col_block(n, k, DOT_Q);
    for (long j0 = 0; j0 < n; j0 += nb)
        dot_rows(t0, t1, j0, j0 + nb < n ? j0 + nb : n, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gs_gemm_dot_avx2(long m, long n, long k, float alpha, const float *a, long lda, const float *b, long ldb,
                      float beta, float *c, long ldc)
{
    const long blocks = (m + DOT_R - 1) / DOT_R;
    /* Forks where the AVX2 tiles do (their fork threshold): m256n10k128 with 2 threads 143 GFLOP/s,
     * against 101 on one thread at the driver's default (GS_GEMM_FLOPS_PER_THREAD=1000000). */
    const int nt = gs_gemm_threads(gs_gemm_avx2_ukernel(), 2.0 * (double)m * (double)n * (double)k, blocks);
    if (nt == 1) { /* no OpenMP construct at all: it would cost a visible share of a small call */
        dot_rows_blocked(0, blocks, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        const int tid = omp_get_thread_num();
        dot_rows_blocked(blocks * tid / nt, blocks * (tid + 1) / nt, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
