/* AVX2+FMA GEMM: a 6x16 register-blocked micro-kernel (12 ymm accumulators, 2 loads of B and 6
 * broadcasts of A per k step), and 16 x n tiles vectorized along m for narrow C (n <= 10), inside
 * the generic BLIS loop nest of gemm_driver.c; C = A B^T with narrow C or few rows over a deep k
 * goes to the dot products of gemm_dot_avx2.c instead (gs_gemm_avx2 below decides). */
#include <immintrin.h>

#include "core/lanes_avx2.h"
#include "core/transpose_avx2.h"
#include "core/topo.h"
#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_dot.h"
#include "kernels/gemm/gemm_driver.h"
#include "kernels/gemm/gemm_pack.h"

#define MR 6
#define NR 16

/* alpha * v, or v itself for the usual alpha = 1 (a multiply per accumulator saved: see
 * gemm_avx512.c). */
static inline __m256 scaled(__m256 v, float alpha)
{
    return alpha == 1.0f ? v : _mm256_mul_ps(v, _mm256_set1_ps(alpha));
}

/* C tile (MR x NR) = alpha * acc + beta * C, one row of two vectors at a time. */
static inline void store_row(float *c, __m256 lo, __m256 hi, float alpha, __m256 vbeta, float beta)
{
    lo = scaled(lo, alpha);
    hi = scaled(hi, alpha);
    if (beta != 0.0f) {
        lo = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(c), lo);
        hi = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(c + 8), hi);
    }
    _mm256_storeu_ps(c, lo);
    _mm256_storeu_ps(c + 8, hi);
}

/* One k step of row i: C[i][0:16] += A[i][p] * B[p][0:16]; rows past `rows` are not computed,
 * and a half tile computes only the left 8 columns. */
#define ROW_FMA(i, c0, c1)                                         \
    do {                                                           \
        if ((i) < rows) {                                          \
            const __m256 ai = _mm256_broadcast_ss(a + (i) * rs_a); \
            c0 = _mm256_fmadd_ps(ai, b0, c0);                      \
            if (!half)                                             \
                c1 = _mm256_fmadd_ps(ai, b1, c1);                  \
        }                                                          \
    } while (0)

/* The accumulators are named variables, not an array: GCC then keeps all 12 in ymm registers
 * (with an array it spilled some of them to the stack once prefetches were added). `rows` (a
 * constant per instantiation) computes and reads only the first rows of a bottom-edge tile: 6 does
 * not divide the batch sizes (m = 64 and 256 leave 4 rows, 128 leaves 2), and a 4-row tile takes 4
 * of the 6 cycles per k step, a 2-row one 4 too (its 4 accumulators wait on FMA latency), which is
 * why the driver evens the bottom tiles out (edge_tiles in gemm_driver.c). Likewise
 * `half` (nr <= 8: the last panel of n = 50, say) skips the right half's loads and FMAs. */
GS_PACK_INLINE void ukernel_6x16_body(long kc, const float *restrict a, long rs_a, long cs_a, const float *restrict b,
                                      long rs_b, const bool copy_b, float *restrict b_copy, const int rows,
                                      const bool half, float *restrict c, long rs_c, float alpha, float beta, int mr,
                                      int nr)
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
        const __m256 b0 = _mm256_loadu_ps(b), b1 = half ? b0 : _mm256_loadu_ps(b + 8);
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

    const __m256 vbeta = _mm256_set1_ps(beta);
    if (mr == MR && nr == NR) {
        /* From the named registers: through the array below GCC spills the accumulators first. */
        store_row(c + 0 * rs_c, c00, c01, alpha, vbeta, beta);
        store_row(c + 1 * rs_c, c10, c11, alpha, vbeta, beta);
        store_row(c + 2 * rs_c, c20, c21, alpha, vbeta, beta);
        store_row(c + 3 * rs_c, c30, c31, alpha, vbeta, beta);
        store_row(c + 4 * rs_c, c40, c41, alpha, vbeta, beta);
        store_row(c + 5 * rs_c, c50, c51, alpha, vbeta, beta);
        return;
    }
    const __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    if (nr == NR) { /* a bottom edge: whole rows */
        for (int i = 0; i < mr; i++)
            store_row(c + i * rs_c, acc[i][0], acc[i][1], alpha, vbeta, beta);
        return;
    }
    /* Narrower: the same accumulators, scaled into a buffer, then only the valid corner to C. */
    float t[MR * NR] __attribute__((aligned(32)));
    for (int i = 0; i < MR; i++) {
        _mm256_store_ps(t + i * NR, scaled(acc[i][0], alpha));
        _mm256_store_ps(t + i * NR + 8, scaled(acc[i][1], alpha));
    }
    gs_gemm_store_edge(t, NR, c, rs_c, beta, mr, nr);
}

/* `count` tiles of mr rows down one B panel (tile t: A at a + t*a_step, C MR rows further down), the
 * instantiation chosen once, not per tile: packed operands get their own with constant strides
 * (simpler addressing in the hot loop), operands read in place the general one, packing B on the
 * way (b_copy, one tile) a third. An edge tile of 2, 4 or 5 rows reads only those rows of A (the
 * driver runs such edges in place: gs_ukernel_t.exact_rows), so its height is chosen before its
 * width; an 8-wide last panel read in place has no columns past 8. */
#define TILES(...)                                                \
    for (long t = 0; t < count; t++, a += a_step, c += MR * rs_c) \
    ukernel_6x16_body(kc, a, __VA_ARGS__, c, rs_c, alpha, beta, mr, nr)
#define EDGE_TILES(rows)                                              \
    do {                                                              \
        if (nr <= NR / 2)                                             \
            TILES(rs_a, cs_a, b, rs_b, false, NULL, rows, true);      \
        else                                                          \
            TILES(rs_a, cs_a, b, rs_b, false, NULL, rows, false);     \
    } while (0)

/* Inlined into both entries below, so the column calls get their own copy with mr = MR: left to
 * itself, GCC stopped cloning it for them once the alpha test came in (m128n128k64ta1tb0 -2.5%). */
GS_PACK_INLINE void run_6x16(long kc, const float *a, long rs_a, long cs_a, long a_step, long count, const float *b,
                              long rs_b, float *b_copy, float *c, long rs_c, float alpha, float beta, int mr, int nr)
{
    if (b_copy)
        TILES(rs_a, cs_a, b, rs_b, true, b_copy, MR, false);
    else if (mr <= 2)
        EDGE_TILES(2);
    else if (mr <= 4)
        EDGE_TILES(4);
    else if (mr == 5)
        EDGE_TILES(5);
    else if (nr <= NR / 2)
        TILES(rs_a, cs_a, b, rs_b, false, NULL, MR, true);
    else if (rs_a == 1 && cs_a == MR && rs_b == NR)
        TILES(1, MR, b, NR, false, NULL, MR, false);
    else
        TILES(rs_a, cs_a, b, rs_b, false, NULL, MR, false);
}

static void ukernel_6x16(long kc, const float *a, long rs_a, long cs_a, const float *b, long rs_b, float *b_copy,
                         float *c, long rs_c, float alpha, float beta, int mr, int nr)
{
    run_6x16(kc, a, rs_a, cs_a, 0, 1, b, rs_b, b_copy, c, rs_c, alpha, beta, mr, nr);
}

static void ukernel_6x16_column(long kc, const float *a, long rs_a, long cs_a, long a_step, long count, const float *b,
                                long rs_b, float *c, long rs_c, float alpha, float beta, int nr)
{
    run_6x16(kc, a, rs_a, cs_a, a_step, count, b, rs_b, NULL, c, rs_c, alpha, beta, MR, nr);
}

static void pack_a(long mc, long kc, const float *a, long lda, bool transa, long rows, float *dst)
{
    gs_gemm_pack_a_tpl(MR, mc, kc, a, lda, transa, rows, dst);
}

static void pack_b(long kc, long nc, const float *b, long ldb, bool transb, long cols, float *dst)
{
    gs_gemm_pack_b_tpl(NR, kc, nc, b, ldb, transb, cols, dst);
}

/* Narrow C (n <= 10: the 10-class output layer) is tiled the other way round, as in
 * gemm_avx512.c: TALL_MR = 16 rows by NV columns, each column two ymm along m. Per k step two
 * vector loads of A (a packed 16-row panel, or transposed A in place) and NV broadcasts of B feed
 * 2 NV FMAs with every lane useful, where the 6x16 tile computes 16 columns for n of them; 8x8
 * register transposes put the rows back on the way out. n splits into equal tiles of at most 6
 * (n = 10 is 5 + 5): 2 NV accumulators + 2 A vectors + 1 broadcast within 16 ymm. Side by side,
 * 1 thread, GFLOP/s 6x16 -> 16 x n: m64n10k128ta0tb1 63 -> 78, m128n10k64ta1tb0 61 -> 109,
 * m300n6k100ta1tb1 48 -> 95; at n = 12 with untransposed A (packed for these tiles) the 6x16 tile
 * uses 3/4 of its lanes and stays ahead (97 vs 87 on m256n12k256). */
#define TALL_MR 16
#define TALL_MAX_NV 6
#define TALL_MAX_N 10
/* With transposed A, read in place (nothing to pack), 16 x 6 tiles win up to n = 12: switched in
 * one process on the same code against the 6x16 tile, m128n12k128ta1tb0 +15%, m64n12k784ta1tb0
 * +14-20%, m256n12k256ta1tb0 +9-12%, m300n11k300ta1tb1 +5-8% (1 and 2 threads); n = 13 -2 to -9%,
 * 14-16 -8 to -34%. */
#define TALL_MAX_N_IN_PLACE 12

/* Rows [0, rows) of an 8-row half of the tile (`acc`: NV columns along m): transposed, then
 * C = alpha * acc + beta * C on the nr valid columns of each row, through masked loads and stores
 * that touch only those columns. */
GS_PACK_INLINE void tall_store_half(const int NV, const __m256 *acc, float *c, long rs_c, float alpha, float beta,
                                    int rows, int nr)
{
    __m256 r[8];
    for (int j = 0; j < 8; j++)
        r[j] = j < NV ? acc[j] : _mm256_setzero_ps();
    gs_transpose8x8(r);
    const __m256i mask = gs_lanes_below(nr);
    const __m256 vbeta = _mm256_set1_ps(beta);
    for (int i = 0; i < rows; i++) {
        __m256 v = scaled(r[i], alpha);
        if (beta != 0.0f)
            v = _mm256_fmadd_ps(vbeta, _mm256_maskload_ps(c + i * rs_c, mask), v);
        _mm256_maskstore_ps(c + i * rs_c, mask, v);
    }
}

/* A element (i, p) at a[i + p*cs_a] (rows contiguous), B element (p, j) at b[p*rs_b + j]. */
GS_PACK_INLINE void ukernel_tall_body(const int NV, long kc, const float *restrict a, long cs_a, const float *restrict b,
                                      long rs_b, const bool copy_b, float *restrict b_copy, float *restrict c, long rs_c,
                                      float alpha, float beta, int mr, int nr)
{
    __m256 lo[TALL_MAX_NV], hi[TALL_MAX_NV];
#pragma GCC unroll 6
    for (int j = 0; j < NV; j++)
        lo[j] = hi[j] = _mm256_setzero_ps();
    for (int i = 0; i < mr; i++)
        _mm_prefetch((const char *)(c + i * rs_c), _MM_HINT_T0);

#pragma GCC unroll 2
    for (long p = 0; p < kc; p++) {
        const __m256 a0 = _mm256_loadu_ps(a), a1 = _mm256_loadu_ps(a + 8);
#pragma GCC unroll 6
        for (int j = 0; j < NV; j++) {
            const __m256 bj = _mm256_broadcast_ss(b + j);
            lo[j] = _mm256_fmadd_ps(a0, bj, lo[j]);
            hi[j] = _mm256_fmadd_ps(a1, bj, hi[j]);
            if (copy_b)
                b_copy[j] = b[j];
        }
        if (copy_b)
            b_copy += NV;
        a += cs_a;
        b += rs_b;
    }

    tall_store_half(NV, lo, c, rs_c, alpha, beta, mr < 8 ? mr : 8, nr);
    if (mr > 8)
        tall_store_half(NV, hi, c + 8 * rs_c, rs_c, alpha, beta, mr - 8, nr);
}

GS_GEMM_TALL_PACK_A

/* One micro-kernel and B packing routine per width NV (gemm_pack.h). */
GS_GEMM_TALL_UKERNEL(1)
GS_GEMM_TALL_UKERNEL(2)
GS_GEMM_TALL_UKERNEL(3)
GS_GEMM_TALL_UKERNEL(4)
GS_GEMM_TALL_UKERNEL(5)
GS_GEMM_TALL_UKERNEL(6)

#define TALL_DESC(NV)                                                                                  \
    {.isa = "avx2", .mr = TALL_MR, .nr = NV, .vector_m = true, .fork_flops = 3.0e5,                   \
     .kernel = ukernel_tall##NV, .pack_a = pack_a_tall, .pack_b = pack_b_tall##NV}

static const gs_ukernel_t ukernel_tall[TALL_MAX_NV] = {
    TALL_DESC(1), TALL_DESC(2), TALL_DESC(3), TALL_DESC(4), TALL_DESC(5), TALL_DESC(6),
};

/* Forks from 0.6 MFLOP: at half AVX-512's speed a thread earns back the fork with less work
 * (m256n10k128ta0tb1, 0.66 MFLOP, 2 threads: 72 -> 117 GFLOP/s, oneDNN's AVX2 sgemm 111-113). */
static const gs_ukernel_t ukernel = {
    .isa = "avx2", .mr = MR, .nr = NR, .nr_half = NR / 2, .fork_flops = 3.0e5,
    .exact_rows = 1u << 2 | 1u << 4 | 1u << 5,
    .kernel = ukernel_6x16, .column = ukernel_6x16_column, .pack_a = pack_a, .pack_b = pack_b,
};

const gs_ukernel_t *gs_gemm_avx2_ukernel(void) { return &ukernel; }

/* Whether C = A B^T (A untransposed) takes the dot products of gemm_dot_avx2.c rather than tiles:
 * narrow C (n <= 12: the output layer's forward pass, against the 16 x n tiles' broadcasts) once k
 * fills ten 8-wide steps, and few rows over a deep k (a batch-64 first layer, where B^T's packing
 * would be read by few tiles) while a block's four rows of A stay within 2/3 of L1. Side by side
 * against oneDNN, 1 thread, GFLOP/s tiles -> dot products: m64n10k128 79 -> 98, m256n10k128 88
 * -> 105, m64n10k80 81 -> 87 (k = 64 82 -> 77), m159n10k864 84 -> 120, m64n128k784 125 -> 131,
 * m32n128k784 120 -> 136, m64n784k784 128 -> 137, m64n128k512 128 -> 130, m64n128k2048 127 ->
 * 131, m64n300k530 119 -> 124, k = 785 (rows off alignment) 125 -> 128; 16 random shapes of the
 * second kind +1 to +40% but m87n32k1594 -3.5%, 12 of the first +4 to +58% but m661n13k315 -8%
 * (n = 13 as 3 + 3 + 3 + 2 + 2). Lost at m64n16k784 (133 -> 126: 14-16 columns fill the 6x16
 * tile), m64n128k256 (132 -> 128), m128n128k512 (130 -> 129), m90n300k530 (124 -> 121). */
static bool use_dot_nt(long m, long n, long k)
{
    if (n <= 12)
        return k >= 80;
    const double l1 = (double)gs_topo()->l1d_bytes;
    return n > NR && m <= 96 && k >= 512 && GS_GEMM_DOT_ROWS * 4.0 * (double)k <= 2.0 * l1 / 3;
}

gs_status_t gs_gemm_avx2(bool transa, bool transb, long m, long n, long k, float alpha, const float *a,
                         long lda, const float *b, long ldb, float beta, float *c, long ldc)
{
    if (!transa && transb && use_dot_nt(m, n, k)) {
        gs_gemm_dot_avx2(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return GS_OK;
    }
    if (n <= (transa ? TALL_MAX_N_IN_PLACE : TALL_MAX_N)) {
        const long tiles = (n + TALL_MAX_NV - 1) / TALL_MAX_NV, nv = (n + tiles - 1) / tiles;
        return gs_gemm_driver(&ukernel_tall[nv - 1], transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    const long rest = n % NR;
    if (rest && rest <= TALL_MAX_NV)
        return gs_gemm_driver_strip(&ukernel, &ukernel_tall[rest - 1], rest, transa, transb, m, n, k, alpha, a, lda, b,
                                    ldb, beta, c, ldc);
    return gs_gemm_driver(&ukernel, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
