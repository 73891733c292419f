/* AVX2 max pooling, vectorized across the output width (8 outputs per ymm). Windows two wide with
 * stride 2 (LeNet's 2x2/2) read the 2n input floats of n outputs into a pair of ymm and split them
 * into even and odd columns with a shuffle and a lane permute; when a row has at most 4 outputs,
 * several output rows share the registers. Other windows gather (or, at stride 1, load) their
 * columns. Backward writes every input element once where windows do not overlap and scatters
 * otherwise. A row's full chunks of 8 outputs load and store plainly: vmaskmovps loads that miss
 * the cache stall on Zen 4/5 (the 56x56 forward ran at 8 GB/s with them, 4x slower per byte than
 * the cache-resident LeNet shapes), and its full stores held the 56x56 backward to half speed.
 * Packed rows and tails keep vmaskmovps: there, plain loads with the lanes ANDed away measured
 * slower (8x8 -> 4x4 forward 36 -> 29 GB/s), the per-access choice costing more than it saved. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels/pool/pool.h"

#define VL 8
typedef __m256 vec_t;
typedef __m256i ivec_t;

/* Lanes [0, n) all ones: a window of 8 into {-1 x 8, 0 x 8}. */
static inline __m256i lanes(long n)
{
    static const int32_t ones_then_zeros[2 * VL] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    n = n < 0 ? 0 : n > VL ? VL : n;
    return _mm256_loadu_si256((const __m256i *)(ones_then_zeros + VL - n));
}

/* Lanes [a, b). */
static inline __m256i lane_range(long a, long b) { return _mm256_andnot_si256(lanes(a), lanes(b)); }

static inline __m256 load_n(const float *p, long n)
{
    return n >= VL ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes(n));
}

static inline void store_n(float *p, __m256 v, long n)
{
    if (n >= VL)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, lanes(n), v);
}

/* n window indices into the workspace at output o, as uint8 or int32. Partial byte groups move
 * through a general register: a vector store to the stack read back in pieces would stall. */
static inline void store_args(void *ws, size_t o, __m256i arg, long n, int wide)
{
    if (wide) {
        if (n >= VL)
            _mm256_storeu_si256((__m256i *)((int *)ws + o), arg);
        else
            _mm256_maskstore_epi32((int *)ws + o, lanes(n), arg);
        return;
    }
    /* byte 0 of each int32, per 128-bit lane, then the two lanes' 4 bytes side by side */
    const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12,
                                          -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i t = _mm256_shuffle_epi8(arg, pick);
    const __m128i bytes = _mm_unpacklo_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
    uint8_t *p = (uint8_t *)ws + o;
    if (n >= VL) {
        _mm_storel_epi64((__m128i *)p, bytes);
        return;
    }
    uint64_t v = (uint64_t)_mm_cvtsi128_si64(bytes);
    for (long i = 0; i < n; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static inline __m256i load_args(const void *ws, size_t o, long n, int wide, size_t count)
{
    (void)count; /* partial reads are masked or byte-wise: nothing passes the workspace */
    if (wide)
        return _mm256_maskload_epi32((const int *)ws + o, lanes(n));
    const uint8_t *p = (const uint8_t *)ws + o;
    if (n >= VL)
        return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
    uint64_t v = 0;
    for (long i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)v));
}

/* Where the 2n input floats of each of `rows` output rows sit in 16 concatenated lanes (lo, hi):
 * row r fills lanes [off[r], off[r] + 2n), so its outputs land in lanes [r n, (r + 1) n). */
typedef struct {
    long rows;
    long off[VL];
    __m256i lo[VL], hi[VL];
    int has_lo[VL], has_hi[VL]; /* empty masks are skipped: a masked access still costs issue slots */
} pack_t;

static pack_t pack_make(long n, long rows)
{
    pack_t pk = {.rows = rows};
    for (long r = 0; r < rows; r++) {
        const long a = 2 * n * r, b = a + 2 * n;
        pk.off[r] = a;
        pk.lo[r] = lane_range(a, b < VL ? b : VL);
        pk.hi[r] = lane_range(a > VL ? a - VL : 0, b - VL);
        pk.has_lo[r] = a < VL;
        pk.has_hi[r] = b > VL;
    }
    return pk;
}

/* Input row ky of the packed rows: row r starts at row0 + r * rstride. Masked-off lanes read
 * nothing and load zero, so the rows combine with OR. `plain`: one row of VL outputs, all 16 lanes
 * loaded plainly (a constant where the caller knows it, so the test folds away). */
static inline void load_packed(const pack_t *pk, long g, const float *row0, long rstride, int plain, __m256 *lo,
                               __m256 *hi)
{
    if (plain) {
        *lo = _mm256_loadu_ps(row0);
        *hi = _mm256_loadu_ps(row0 + VL);
        return;
    }
    *lo = _mm256_maskload_ps(row0, pk->lo[0]);
    *hi = pk->has_hi[0] ? _mm256_maskload_ps(row0 + VL, pk->hi[0]) : _mm256_setzero_ps();
    for (long r = 1; r < g; r++) {
        const float *p = row0 + r * rstride - pk->off[r];
        if (pk->has_lo[r])
            *lo = _mm256_or_ps(*lo, _mm256_maskload_ps(p, pk->lo[r]));
        if (pk->has_hi[r])
            *hi = _mm256_or_ps(*hi, _mm256_maskload_ps(p + VL, pk->hi[r]));
    }
}

static inline void store_packed(const pack_t *pk, long g, float *row0, long rstride, int plain, __m256 lo, __m256 hi)
{
    if (plain) {
        _mm256_storeu_ps(row0, lo);
        _mm256_storeu_ps(row0 + VL, hi);
        return;
    }
    for (long r = 0; r < g; r++) {
        float *p = row0 + r * rstride - pk->off[r];
        if (pk->has_lo[r])
            _mm256_maskstore_ps(p, pk->lo[r], lo);
        if (pk->has_hi[r])
            _mm256_maskstore_ps(p + VL, pk->hi[r], hi);
    }
}

/* Running maximum: v replaces it where strictly greater, so ties keep the earlier window index. */
static inline void take_greater(__m256 v, int idx, __m256 *best, __m256i *arg)
{
    const __m256 m = _mm256_cmp_ps(v, *best, _CMP_GT_OQ);
    *best = _mm256_blendv_ps(*best, v, m);
    *arg = _mm256_blendv_epi8(*arg, _mm256_set1_epi32(idx), _mm256_castps_si256(m));
}

/* The even and odd lanes of the 16 concatenated lanes (lo, hi). shuffle_ps works per 128-bit
 * lane; the 64-bit permute puts the halves back in order. */
static inline void split_pairs(__m256 lo, __m256 hi, __m256 *even, __m256 *odd)
{
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0x88)), 0xD8));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, 0xDD)), 0xD8));
}

/* kw = sw = 2: the outputs of g packed rows whose windows start at row0 (rows rstride apart). */
static inline void max_pairs(const gs_pool_shape_t *s, const pack_t *pk, long g, const float *row0, long rstride,
                             int plain, const float *end, __m256 *best, __m256i *arg)
{
    (void)end; /* vmaskmovps reads only the selected lanes */
    __m256 lo, hi, e, o;
    load_packed(pk, g, row0, rstride, plain, &lo, &hi);
    split_pairs(lo, hi, &e, &o);
    *best = e;
    *arg = _mm256_setzero_si256();
    take_greater(o, 1, best, arg);
    for (long ky = 1; ky < s->kh; ky++) {
        load_packed(pk, g, row0 + ky * s->iw, rstride, plain, &lo, &hi);
        split_pairs(lo, hi, &e, &o);
        take_greater(e, (int)(2 * ky), best, arg);
        take_greater(o, (int)(2 * ky + 1), best, arg);
    }
}

/* Any window: column kx of output lane l is at win + l * sw + kx (gathered unless sw = 1). */
static inline __m256 column(const gs_pool_shape_t *s, const float *p, long n, __m256i cols)
{
    return s->sw == 1 ? load_n(p, n)
                      : _mm256_mask_i32gather_ps(_mm256_setzero_ps(), p, cols, _mm256_castsi256_ps(lanes(n)), 4);
}

static inline void max_any(const gs_pool_shape_t *s, const float *win, long n, __m256i cols, const float *end,
                           __m256 *best, __m256i *arg)
{
    (void)end;
    *best = column(s, win, n, cols);
    *arg = _mm256_setzero_si256();
    for (long k = 1; k < s->kh * s->kw; k++)
        take_greater(column(s, win + k / s->kw * s->iw + k % s->kw, n, cols), (int)k, best, arg);
}

/* Lane l -> l * sw: the gather offsets of a window's column. */
static inline __m256i column_offsets(const gs_pool_shape_t *s)
{
    return _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)s->sw));
}

static inline void store_indices(int32_t *dst, __m256i arg) { _mm256_storeu_si256((__m256i *)dst, arg); }

/* kw = sw = 2, kh <= sh: the n = g * ow gradients at dy go to the inputs their indices name in
 * the g packed rows at row0, zeros to the other window elements. */
static inline void bwd_pairs(const gs_pool_shape_t *s, const pack_t *pk, long g, long n, const float *dy, __m256i arg,
                             float *row0, long rstride, int plain, const float *end)
{
    (void)end;
    const __m256 grad = load_n(dy, n);
    for (long ky = 0; ky < s->kh; ky++) {
        const __m256 me = _mm256_castsi256_ps(_mm256_cmpeq_epi32(arg, _mm256_set1_epi32((int)(2 * ky))));
        const __m256 mo = _mm256_castsi256_ps(_mm256_cmpeq_epi32(arg, _mm256_set1_epi32((int)(2 * ky + 1))));
        const __m256 e = _mm256_and_ps(me, grad), o = _mm256_and_ps(mo, grad);
        const __m256 lo = _mm256_unpacklo_ps(e, o), hi = _mm256_unpackhi_ps(e, o); /* per 128-bit lane */
        store_packed(pk, g, row0 + ky * s->iw, rstride, plain, _mm256_permute2f128_ps(lo, hi, 0x20),
                     _mm256_permute2f128_ps(lo, hi, 0x31));
    }
}

#include "kernels/pool/pool_tpl.h"

gs_status_t gs_pool_fwd_avx2(const gs_pool_shape_t *s, const float *src, float *dst, void *ws)
{
    return pool_fwd(s, src, dst, ws);
}

gs_status_t gs_pool_bwd_avx2(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src)
{
    return pool_bwd(s, diff_dst, ws, diff_src);
}
