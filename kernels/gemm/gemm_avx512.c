/* AVX-512 GEMM: an 8x32 register-blocked micro-kernel (16 zmm accumulators, 2 loads of B and 8
 * embedded broadcasts of A per k step; edges by masked loads/stores); for narrow C, where 8x32
 * would waste most of its FMAs, 32 x n tiles vectorized along m (n <= 14, e.g. the 10-class output
 * layer) and a 16x16 one (n = 15, 16); all inside the generic BLIS loop nest of gemm_driver.c.
 * With untransposed A, some GEMMs or their last few columns go to dot products instead
 * (gemm_dot_avx512.c): C = A B^T where C is narrow (the output layer's forward pass) or short over
 * a deep k (a batch-64 first layer), narrow C with untransposed B, and the last columns of wider C.
 * gs_gemm_avx512 below decides. Also built against SIMDe for the tests (see core/simd_avx512.h). */
#include <omp.h>

#include "core/hsum_avx512.h"
#include "core/lanes_avx512.h"
#include "core/simd_avx512.h"
#include "core/topo.h"
#include "core/transpose_avx512.h"
#include "kernels/gemm/gemm.h"
#include "kernels/gemm/gemm_dot.h"
#include "kernels/gemm/gemm_driver.h"
#include "kernels/gemm/gemm_pack.h"

#define MR 8
#define NR 32

/* alpha * v, or v itself for the usual alpha = 1: a multiply per accumulator less, 16 per tile of
 * the 8x32 kernel (the FMA slots of 8 of its k steps). Side by side with the build before it, the
 * k = 64-128 MLP shapes moved within the paired ratio's run-to-run spread (+-1%). */
static inline __m512 scaled(__m512 v, float alpha)
{
    return alpha == 1.0f ? v : _mm512_mul_ps(v, _mm512_set1_ps(alpha));
}

/* One row of the tile: C = alpha * acc + beta * C on the lanes of `lo_mask`/`hi_mask`. */
static inline void store_row(float *c, __m512 lo, __m512 hi, float alpha, __m512 vbeta, float beta,
                             __mmask16 lo_mask, __mmask16 hi_mask, int full)
{
    lo = scaled(lo, alpha);
    hi = scaled(hi, alpha);
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

/* One k step of row i: C[i][0:32] += A[i][p] * B[p][0:32] (the broadcast folds into the FMA);
 * rows past `rows` are not computed, and a half tile computes only the left 16 columns. */
#define ROW_FMA(i, c0, c1)                                   \
    do {                                                     \
        if ((i) < rows) {                                    \
            const __m512 ai = _mm512_set1_ps(a[(i) * rs_a]); \
            c0 = _mm512_fmadd_ps(ai, b0, c0);                \
            if (!half)                                       \
                c1 = _mm512_fmadd_ps(ai, b1, c1);            \
        }                                                    \
    } while (0)

/* Named accumulators rather than an array so GCC keeps all 16 in zmm registers. A half tile
 * (nr <= 16: the last panel of n = 784, say) skips the right half's loads and FMAs; `rows` (a
 * constant per instantiation) computes and reads only the first rows of a bottom-edge tile (m = 100
 * leaves 4 rows: without it the edge took a whole 8-row tile's time). */
GS_PACK_INLINE void ukernel_8x32_body(long kc, const float *restrict a, long rs_a, long cs_a, const float *restrict b,
                                      long rs_b, const bool copy_b, float *restrict b_copy, const int rows,
                                      const bool half, const bool mask_b, float *restrict c, long rs_c, float alpha,
                                      float beta, int mr, int nr)
{
    /* The nr valid columns: B read in place loads only those, so a partial last panel needs no
     * padded copy (gs_ukernel_t.partial_b); C stores only those. Whole panels read in place load
     * through the same all-ones masks: against plain loads, no slower beyond noise over the shapes
     * tried, and 10% faster on m53n616k547ta1tb0 (0.90 -> 1.0x oneDNN; m56 and m64 the same either way;
     * not explained). */
    const __mmask16 lo_mask = gs_mask_below(nr);
    const __mmask16 hi_mask = gs_mask_below(nr - 16);
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    __m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    /* C is needed only after kc steps: fetching it now hides a likely cache miss behind them. */
    for (int i = 0; i < MR; i++) {
        _mm_prefetch((const char *)(c + i * rs_c), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * rs_c + 16), _MM_HINT_T0);
    }

#pragma GCC unroll 4
    for (long p = 0; p < kc; p++) {
        const __m512 b0 = mask_b ? _mm512_maskz_loadu_ps(lo_mask, b) : _mm512_loadu_ps(b);
        const __m512 b1 = half ? b0 : mask_b ? _mm512_maskz_loadu_ps(hi_mask, b + 16) : _mm512_loadu_ps(b + 16);
        if (copy_b) {
            _mm512_storeu_ps(b_copy, b0);
            _mm512_storeu_ps(b_copy + 16, b1);
            b_copy += NR;
        }
        ROW_FMA(0, c00, c01);
        ROW_FMA(1, c10, c11);
        ROW_FMA(2, c20, c21);
        ROW_FMA(3, c30, c31);
        ROW_FMA(4, c40, c41);
        ROW_FMA(5, c50, c51);
        ROW_FMA(6, c60, c61);
        ROW_FMA(7, c70, c71);
        a += cs_a;
        b += rs_b;
    }

    const __m512 vbeta = _mm512_set1_ps(beta);
    if (mr == MR && nr == NR) {
        /* The bulk of the tiles: row by row from the named registers (through the array below, GCC
         * spills all 16 accumulators to the stack first: measured 3% of a 128-step tile). */
        store_row(c + 0 * rs_c, c00, c01, alpha, vbeta, beta, 0, 0, 1);
        store_row(c + 1 * rs_c, c10, c11, alpha, vbeta, beta, 0, 0, 1);
        store_row(c + 2 * rs_c, c20, c21, alpha, vbeta, beta, 0, 0, 1);
        store_row(c + 3 * rs_c, c30, c31, alpha, vbeta, beta, 0, 0, 1);
        store_row(c + 4 * rs_c, c40, c41, alpha, vbeta, beta, 0, 0, 1);
        store_row(c + 5 * rs_c, c50, c51, alpha, vbeta, beta, 0, 0, 1);
        store_row(c + 6 * rs_c, c60, c61, alpha, vbeta, beta, 0, 0, 1);
        store_row(c + 7 * rs_c, c70, c71, alpha, vbeta, beta, 0, 0, 1);
        return;
    }
    const __m512 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                               {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    const int full = nr == NR;
    for (int i = 0; i < mr; i++)
        store_row(c + i * rs_c, acc[i][0], acc[i][1], alpha, vbeta, beta, lo_mask, hi_mask, full);
}

/* `count` tiles of mr rows down one B panel (tile t: A at a + t*a_step, C MR rows further down), the
 * instantiation chosen once, not per tile: packed operands get their own with constant strides
 * (simpler addressing in the hot loop), operands read in place the general one, packing B on the
 * way (b_copy, one tile) a third. Edge tiles of 4 to 7 rows (8 to 14 accumulators: enough to cover
 * the FMA latency) read only their rows of A, so the driver runs them in place
 * (gs_ukernel_t.exact_rows); their height is chosen before their width. */
#define TILES(...)                                                \
    for (long t = 0; t < count; t++, a += a_step, c += MR * rs_c) \
    ukernel_8x32_body(kc, a, __VA_ARGS__, c, rs_c, alpha, beta, mr, nr)
#define EDGE_TILES(rows)                                              \
    do {                                                              \
        if (nr <= NR / 2)                                             \
            TILES(rs_a, cs_a, b, rs_b, false, NULL, rows, true, true);  \
        else                                                          \
            TILES(rs_a, cs_a, b, rs_b, false, NULL, rows, false, true); \
    } while (0)

/* Inlined into both entries below, so the column calls get their own copy with mr = MR: left to
 * itself, GCC stopped cloning it for them once the alpha test came in (m128n128k64ta1tb0 -2.5%). */
GS_PACK_INLINE void run_8x32(long kc, const float *a, long rs_a, long cs_a, long a_step, long count, const float *b,
                              long rs_b, float *b_copy, float *c, long rs_c, float alpha, float beta, int mr, int nr)
{
    if (b_copy)
        TILES(rs_a, cs_a, b, rs_b, true, b_copy, MR, false, false);
    else if (mr == 4)
        EDGE_TILES(4);
    else if (mr == 5)
        EDGE_TILES(5);
    else if (mr == 6)
        EDGE_TILES(6);
    else if (mr == 7)
        EDGE_TILES(7);
    else if (nr <= NR / 2)
        TILES(rs_a, cs_a, b, rs_b, false, NULL, MR, true, true);
    else if (rs_a == 1 && cs_a == MR && rs_b == NR)
        TILES(1, MR, b, NR, false, NULL, MR, false, false);
    else
        TILES(rs_a, cs_a, b, rs_b, false, NULL, MR, false, true);
}

static void ukernel_8x32(long kc, const float *a, long rs_a, long cs_a, const float *b, long rs_b, float *b_copy,
                         float *c, long rs_c, float alpha, float beta, int mr, int nr)
{
    run_8x32(kc, a, rs_a, cs_a, 0, 1, b, rs_b, b_copy, c, rs_c, alpha, beta, mr, nr);
}

static void ukernel_8x32_column(long kc, const float *a, long rs_a, long cs_a, long a_step, long count, const float *b,
                                long rs_b, float *c, long rs_c, float alpha, float beta, int nr)
{
    run_8x32(kc, a, rs_a, cs_a, a_step, count, b, rs_b, NULL, c, rs_c, alpha, beta, MR, nr);
}

/* Narrow C: 16 rows of one zmm each. 16 accumulators cover the FMA latency; per k step one load of
 * B and 16 broadcasts, so it runs at about the load ports' pace rather than the FMA pipes' --
 * still twice the useful work of an 8x32 tile on a 10-column C. Used for n = 15, 16 with
 * untransposed A where the dot products are not (shallow k: use_dot_nt, use_dot_nn); transposed
 * A, read in place by the tall tiles below, goes to two 32 x 8 of them
 * (10 loads per 16 FMAs; switched in one process on the same code: m64n16k784ta1tb0 +33%,
 * m500n15k300ta1tb0 +28%, m300n16k100ta1tb1 +9%; with untransposed A, which they pack
 * transposed, -17 to -28%). */
#define NARROW_MR 16
#define NARROW_NR 16

#define ROW_FMA1(i, c0)                                          \
    do {                                                         \
        c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[(i) * rs_a]), b0, c0); \
    } while (0)

GS_PACK_INLINE void ukernel_16x16_body(long kc, const float *restrict a, long rs_a, long cs_a, const float *restrict b,
                                       long rs_b, const bool copy_b, float *restrict b_copy, float *restrict c, long rs_c,
                                       float alpha, float beta, int mr, int nr)
{
    __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
    __m512 c8 = c0, c9 = c0, c10 = c0, c11 = c0, c12 = c0, c13 = c0, c14 = c0, c15 = c0;
    for (int i = 0; i < NARROW_MR; i++)
        _mm_prefetch((const char *)(c + i * rs_c), _MM_HINT_T0);

#pragma GCC unroll 4
    for (long p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_loadu_ps(b);
        if (copy_b) {
            _mm512_storeu_ps(b_copy, b0);
            b_copy += NARROW_NR;
        }
        ROW_FMA1(0, c0);
        ROW_FMA1(1, c1);
        ROW_FMA1(2, c2);
        ROW_FMA1(3, c3);
        ROW_FMA1(4, c4);
        ROW_FMA1(5, c5);
        ROW_FMA1(6, c6);
        ROW_FMA1(7, c7);
        ROW_FMA1(8, c8);
        ROW_FMA1(9, c9);
        ROW_FMA1(10, c10);
        ROW_FMA1(11, c11);
        ROW_FMA1(12, c12);
        ROW_FMA1(13, c13);
        ROW_FMA1(14, c14);
        ROW_FMA1(15, c15);
        a += cs_a;
        b += rs_b;
    }

    const __m512 acc[NARROW_MR] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15};
    const __m512 vbeta = _mm512_set1_ps(beta);
    const __mmask16 mask = gs_mask_below(nr);
    for (int i = 0; i < mr; i++) {
        __m512 r = scaled(acc[i], alpha);
        if (beta != 0.0f)
            r = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask, c + i * rs_c), r);
        _mm512_mask_storeu_ps(c + i * rs_c, mask, r);
    }
}

static void ukernel_16x16(long kc, const float *a, long rs_a, long cs_a, const float *b, long rs_b, float *b_copy,
                          float *c, long rs_c, float alpha, float beta, int mr, int nr)
{
    if (b_copy)
        ukernel_16x16_body(kc, a, rs_a, cs_a, b, rs_b, true, b_copy, c, rs_c, alpha, beta, mr, nr);
    else if (rs_a == 1 && cs_a == NARROW_MR && rs_b == NARROW_NR)
        ukernel_16x16_body(kc, a, 1, NARROW_MR, b, NARROW_NR, false, NULL, c, rs_c, alpha, beta, mr, nr);
    else
        ukernel_16x16_body(kc, a, rs_a, cs_a, b, rs_b, false, NULL, c, rs_c, alpha, beta, mr, nr);
}

static void pack_a_narrow(long mc, long kc, const float *a, long lda, bool transa, long rows, float *dst)
{
    gs_gemm_pack_a_tpl(NARROW_MR, mc, kc, a, lda, transa, rows, dst);
}

static void pack_b_narrow(long kc, long nc, const float *b, long ldb, bool transb, long cols, float *dst)
{
    gs_gemm_pack_b_tpl(NARROW_NR, kc, nc, b, ldb, transb, cols, dst);
}

static const gs_ukernel_t ukernel_narrow = {
    .isa = "avx512", .mr = NARROW_MR, .nr = NARROW_NR, .kernel = ukernel_16x16,
    .pack_a = pack_a_narrow, .pack_b = pack_b_narrow,
};

/* Narrower C still (n <= 14: the 10-class output layer) is tiled the other way round: TALL_MR = 32
 * rows by NV columns, each column two zmm along m. Per k step two vector loads of A (a packed
 * 32-row panel, or transposed A in place) and NV broadcasts of B feed 2 NV FMAs with every lane
 * useful, where 16x16 spends 16 broadcasts on 16 FMAs of which n/16 lanes count. The price is a
 * 16x16 transpose per half tile on the way out, small next to kc steps. */
#define TALL_MR 32
#define TALL_MAX_NV 14 /* 2 NV accumulators + 2 A vectors + 1 broadcast within 32 zmm */
_Static_assert(TALL_MAX_NV <= GS_GEMM_DOT_COLS_MAX && NARROW_NR <= GS_GEMM_DOT_COLS_MAX,
               "narrow untransposed B goes to the dot products");

/* Rows [r0, r0 + rows) of the tile from the 16-row half `acc` (NV columns): transposed, then
 * C = alpha * acc + beta * C on the nr valid columns of each row. */
GS_PACK_INLINE void tall_store_half(const int NV, const __m512 *acc, float *c, long rs_c, float alpha, float beta,
                                    int rows, int nr)
{
    __m512 r[16];
    for (int j = 0; j < 16; j++)
        r[j] = j < NV ? acc[j] : _mm512_setzero_ps();
    gs_transpose16x16(r);
    const __m512 vbeta = _mm512_set1_ps(beta);
    const __mmask16 mask = gs_mask_below(nr);
    for (int i = 0; i < rows; i++) {
        __m512 v = scaled(r[i], alpha);
        if (beta != 0.0f)
            v = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(mask, c + i * rs_c), v);
        _mm512_mask_storeu_ps(c + i * rs_c, mask, v);
    }
}

/* A element (i, p) at a[i + p*cs_a] (rows contiguous), B element (p, j) at b[p*rs_b + j]. */
GS_PACK_INLINE void ukernel_tall_body(const int NV, long kc, const float *restrict a, long cs_a, const float *restrict b,
                                      long rs_b, const bool copy_b, float *restrict b_copy, float *restrict c, long rs_c,
                                      float alpha, float beta, int mr, int nr)
{
    __m512 lo[TALL_MAX_NV], hi[TALL_MAX_NV];
#pragma GCC unroll 14
    for (int j = 0; j < NV; j++)
        lo[j] = hi[j] = _mm512_setzero_ps();
    for (int i = 0; i < mr; i++)
        _mm_prefetch((const char *)(c + i * rs_c), _MM_HINT_T0);

#pragma GCC unroll 2
    for (long p = 0; p < kc; p++) {
        const __m512 a0 = _mm512_loadu_ps(a), a1 = _mm512_loadu_ps(a + 16);
#pragma GCC unroll 14
        for (int j = 0; j < NV; j++) {
            const __m512 bj = _mm512_set1_ps(b[j]);
            lo[j] = _mm512_fmadd_ps(a0, bj, lo[j]);
            hi[j] = _mm512_fmadd_ps(a1, bj, hi[j]);
            if (copy_b)
                b_copy[j] = b[j];
        }
        if (copy_b)
            b_copy += NV;
        a += cs_a;
        b += rs_b;
    }

    tall_store_half(NV, lo, c, rs_c, alpha, beta, mr < 16 ? mr : 16, nr);
    if (mr > 16)
        tall_store_half(NV, hi, c + 16 * rs_c, rs_c, alpha, beta, mr - 16, nr);
}

GS_GEMM_TALL_PACK_A

/* One micro-kernel and B packing routine per even width NV (gemm_pack.h): n rounds up to the next. */
GS_GEMM_TALL_UKERNEL(2)
GS_GEMM_TALL_UKERNEL(4)
GS_GEMM_TALL_UKERNEL(6)
GS_GEMM_TALL_UKERNEL(8)
GS_GEMM_TALL_UKERNEL(10)
GS_GEMM_TALL_UKERNEL(12)
GS_GEMM_TALL_UKERNEL(14)

#define TALL_DESC(NV)                                                                                  \
    {.isa = "avx512", .mr = TALL_MR, .nr = NV, .vector_m = true, .kernel = ukernel_tall##NV,          \
     .pack_a = pack_a_tall, .pack_b = pack_b_tall##NV}

static const gs_ukernel_t ukernel_tall[TALL_MAX_NV / 2] = {
    TALL_DESC(2), TALL_DESC(4), TALL_DESC(6), TALL_DESC(8), TALL_DESC(10), TALL_DESC(12), TALL_DESC(14),
};

static void pack_a(long mc, long kc, const float *a, long lda, bool transa, long rows, float *dst)
{
    gs_gemm_pack_a_tpl(MR, mc, kc, a, lda, transa, rows, dst);
}

static void pack_b(long kc, long nc, const float *b, long ldb, bool transb, long cols, float *dst)
{
    gs_gemm_pack_b_tpl(NR, kc, nc, b, ldb, transb, cols, dst);
}

static const gs_ukernel_t ukernel = {
    .isa = "avx512", .mr = MR, .nr = NR, .nr_half = NR / 2,
    .exact_rows = 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7, .partial_b = true,
    .kernel = ukernel_8x32,
    .column = ukernel_8x32_column, .pack_a = pack_a, .pack_b = pack_b,
};

const gs_ukernel_t *gs_gemm_avx512_ukernel(void) { return &ukernel; }

/* The threads the 8x32 loop nest forks for all of an m x n x k C. */
static int whole_threads(long m, long n, long k)
{
    const long tiles = ((m + MR - 1) / MR) * ((n + NR - 1) / NR);
    return gs_gemm_threads(&ukernel, 2.0 * (double)m * (double)n * (double)k, tiles);
}

/* Whether a strip of tall tiles over C's last `rest` columns would earn by its own FLOPs
 * (`strip`'s fork threshold; `pieces` parts to split) as many threads as the 8x32 loop nest forks
 * for all of C. A forked bulk runs its strip in its own region (gs_gemm_driver_strip) whatever
 * this says; it tells whether a strip past a half tile is worth splitting (strip_cols). */
static bool strip_keeps_threads(const gs_ukernel_t *strip, long pieces, long m, long n, long k, long rest)
{
    return gs_gemm_threads(strip, 2.0 * (double)m * (double)rest * (double)k, pieces) >= whole_threads(m, n, k);
}

/* How many of C's last columns go to a strip of narrow tiles or dot products rather than a mostly
 * empty 8x32 tile: n % 32 when at most 14; past 16 by at most 6, those beyond a half tile (n = 50
 * is 32 + 16 + 2), unless the strip would run on fewer threads than the rest (strip_keeps_threads).
 * Against the padded tile, switched in one process
 * on the same code: 1 thread m300n84k400ta0tb1 +11%, m300n54k400ta1tb0 +9%, m200n50k300ta0tb0 +7%,
 * m200n49k300ta1tb0 +3%, m86n145k483ta1tb0 +2%; forked with a one-thread strip -4 to -9%, and
 * still -1 to -3% (m200n50k300ta1tb0, m300n54k400) run in the bulk's region and split. Past 16
 * by 7 or more, -2 to -4%: the strip's tiles are slower per column than the half tile's. */
static long strip_cols(long m, long n, long k)
{
    const long rest = n % NR, past_half = rest - NR / 2;
    if (rest <= TALL_MAX_NV)
        return rest;
    if (n < NR || past_half < 1 || past_half > 6) /* 15 or 16: a half tile; 23-31: a padded one */
        return 0;
    const gs_ukernel_t *tall = &ukernel_tall[(past_half - 1) / 2];
    return strip_keeps_threads(tall, (m + TALL_MR - 1) / TALL_MR, m, n, k, past_half) ? past_half : 0;
}

/* Whether C = A B^T (A untransposed) takes the dot-product blocks rather than the loop nest.
 * Narrow C: they beat both narrow tiles once k fills a few 16-wide steps; at n = 15, 16 the 16x16
 * tile keeps k with a ragged last step (m300n16k100: 185 vs 168 GFLOP/s). Wider C: where few rows
 * over a deep k would pay for packing B^T with little reuse, as long as a 4x4 block's 8 rows of
 * k floats stay within 2/3 of L1 (k <= 1024 with 48 KiB). Side by side, 1 thread, GFLOP/s loop
 * nest -> dot products: m64n128k784 226-231 -> 246-248 (2 threads 453 -> 485), m32n128k784 206 ->
 * 247, m64n784k784 212 -> 246, m64n2048k784 223 -> 243, m64n784k1024 204 -> 219, m96n512k640 232
 * -> 243; even around m = 100-128 (m128n784k784 240 -> 240, m100n600k1000 231 -> 233) and against
 * beyond (m128n600k600 240-248 -> 232-236, m256n128k784 251 -> 243), k = 256 (236 -> 233), k = 128
 * (232 -> 205), k = 1536 (215 -> 200). Only while both operands' rows start on 32-byte boundaries:
 * otherwise most of the 8 vector loads per 16 FMAs straddle cache lines, and the loop nest (B^T
 * packed) won, switched in one process on the same code: m90n300k530 +24%, m80n469k682 +17%,
 * m50n469k682 +12%, m64n256k700 +8%, m40n200k777 +6% (m32n200k900, 16-byte rows, -5%), while
 * 32-byte rows stay with the dot products (m64n128k600 +3%, k = 520 +2%, m64n400k896 +6%). */
static bool use_dot_nt(long m, long n, long k, long lda, long ldb)
{
    if (n <= NARROW_NR)
        return k >= GS_GEMM_DOT_MIN_K && (n <= TALL_MAX_NV || k % 16 == 0);
    const double l1 = (double)gs_topo()->l1d_bytes;
    const bool rows_aligned = (4 * lda) % 32 == 0 && (4 * ldb) % 32 == 0;
    return rows_aligned && m <= 96 && k >= 512 && 2 * GS_GEMM_DOT_ROWS * 4.0 * (double)k <= 2 * l1 / 3;
}

/* Whether narrow C = A B, both untransposed, takes the dot-product blocks (B's columns copied)
 * rather than tiles: n <= 14 once k fills a few 16-wide steps, where the 32 x n tiles would first
 * transpose all of A; n = 15, 16 from k = 128, where the 16x16 tile's 16 broadcasts per 16 FMAs
 * bound it at about 75% of the FMA peak (switched in one process: m500n16k300ta0tb0 +16%,
 * m120n16k1176 +15%, m300n15k500 +16%, m200n16k128 +8%, 2 threads +5-11%; k = 96-100 lost 0-9%,
 * k = 64 8%). */
static bool use_dot_nn(long n, long k)
{
    return (n <= TALL_MAX_NV && k >= GS_GEMM_DOT_MIN_K) || (n <= NARROW_NR && k >= 2 * GS_GEMM_DOT_MIN_K);
}

gs_status_t gs_gemm_avx512(bool transa, bool transb, long m, long n, long k, float alpha, const float *a,
                           long lda, const float *b, long ldb, float beta, float *c, long ldc)
{
    if (!transa && transb && use_dot_nt(m, n, k, lda, ldb)) {
        gs_gemm_dot_avx512(true, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0);
        return GS_OK;
    }
    /* Narrow C with both operands untransposed: the 32 x n tiles would transpose all of A first
     * (switched in one process: m300n10k500ta0tb0 +64%, m597n2k298 2.6x, m146n13k886 +39%,
     * m456n10k92 +34% with dot products). */
    if (!transa && !transb && use_dot_nn(n, k)) {
        gs_gemm_dot_avx512(false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0);
        return GS_OK;
    }
    const gs_ukernel_t *uk = n <= TALL_MAX_NV ? &ukernel_tall[(n - 1) / 2]
                             : n <= NARROW_NR ? (transa ? &ukernel_tall[(NARROW_NR / 2 - 1) / 2] : &ukernel_narrow)
                                              : &ukernel;
    const long rest = uk == &ukernel ? strip_cols(m, n, k) : 0;
    if (rest && !transa && k >= GS_GEMM_DOT_MIN_K) {
        /* The last `rest` columns with untransposed A as dot products, rather than a strip of tall
         * tiles, which would first transpose all of A for a few columns, or a padded 8x32 tile:
         * timed in one process, 30 random shapes with A untransposed and n % 32 <= 14, geometric
         * mean +12% with 1 and with 2 threads (m300n40k500ta0tb0 +17%, m800n38k800 +17% / +29%,
         * m389n227k1149tb1 +6%; worst -3%). They run after the bulk on at least as many threads as
         * it forked for all of C: by their own FLOPs the few columns often earn one, and the other
         * cores would wait (switched in one process, 2 threads: m500n100k300ta0tb0 +14%,
         * m215n261k836 +12%, m256n40k128 +10%, m250n70k150ta0tb1 +8%, against the padded tile
         * that had been the better choice than one thread). */
        const long j = n - rest;
        const int nt = whole_threads(m, n, k);
        const gs_status_t st = gs_gemm_driver(uk, transa, transb, m, j, k, alpha, a, lda, b, ldb, beta, c, ldc);
        if (st == GS_OK)
            gs_gemm_dot_avx512(transb, m, rest, k, alpha, a, lda, transb ? b + j * ldb : b + j, ldb, beta, c + j, ldc,
                               nt);
        return st;
    }
    if (rest)
        return gs_gemm_driver_strip(uk, &ukernel_tall[(rest - 1) / 2], rest, transa, transb, m, n, k, alpha, a, lda, b,
                                    ldb, beta, c, ldc);
    return gs_gemm_driver(uk, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
