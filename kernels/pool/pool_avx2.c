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
/* Below this many input floats the threads would cost more than they save (about 256 KiB). */
#define PAR_MIN_ELEMS (64L * 1024)

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

static inline __m256i load_args(const void *ws, size_t o, long n, int wide)
{
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
                             int plain, __m256 *best, __m256i *arg)
{
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

static inline void max_any(const gs_pool_shape_t *s, const float *win, long n, __m256i cols, __m256 *best,
                           __m256i *arg)
{
    *best = column(s, win, n, cols);
    *arg = _mm256_setzero_si256();
    for (long k = 1; k < s->kh * s->kw; k++)
        take_greater(column(s, win + k / s->kw * s->iw + k % s->kw, n, cols), (int)k, best, arg);
}

/* The packings a shape needs: `rows` output rows at a time when a row has at most 4 outputs, else
 * one row in chunks of 8 outputs and a tail chunk (or an overlapping full one, last_x). */
typedef struct {
    int pairs, wide;
    int overlap; /* see last_x */
    long rows;
    pack_t full, tail;
} plan_t;

static plan_t plan_make(const gs_pool_shape_t *s)
{
    plan_t pl = {.pairs = s->kw == 2 && s->sw == 2, .wide = gs_pool_ws_index_bytes(s) > 1};
    pl.rows = s->ow <= VL / 2 ? VL / s->ow : 1;
    const long padded = (s->ow + VL - 1) / VL * VL;
    pl.overlap = s->ow >= VL && 4 * padded <= 5 * s->ow;
    if (pl.rows > 1) {
        pl.full = pack_make(s->ow, pl.rows);
    } else {
        pl.full = pack_make(VL, 1);
        pl.tail = pack_make(s->ow % VL, 1);
    }
    return pl;
}

/* Where the last chunk of a row starts once its first x outputs are done: with pl->overlap, a full
 * vector ending with the row (why and when: the same function in pool_avx512.c). */
static inline long last_x(const plan_t *pl, long ow, long x) { return pl->overlap ? ow - VL : x; }

/* Outputs [x, x + n) of one output row: its windows start at in_row, its outputs at out_row and
 * workspace index o_row. */
static inline void fwd_chunk(const gs_pool_shape_t *s, const plan_t *pl, const float *in_row, float *out_row, void *ws,
                             size_t o_row, __m256i cols, long x, long n)
{
    __m256 best;
    __m256i arg;
    if (pl->pairs)
        max_pairs(s, n == VL ? &pl->full : &pl->tail, 1, in_row + 2 * x, s->sh * s->iw, n == VL, &best, &arg);
    else
        max_any(s, in_row + x * s->sw, n, cols, &best, &arg);
    store_n(out_row + x, best, n);
    store_args(ws, o_row + (size_t)x, arg, n, pl->wide);
}

static void fwd_plane(const gs_pool_shape_t *s, const plan_t *pl, const float *in, float *out, void *ws, size_t o0)
{
    const long rstride = s->sh * s->iw;
    const __m256i cols = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)s->sw));
    __m256 best;
    __m256i arg;
    if (pl->pairs && pl->rows > 1) {
        for (long y = 0; y < s->oh; y += pl->rows) {
            const long g = s->oh - y < pl->rows ? s->oh - y : pl->rows, n = g * s->ow;
            max_pairs(s, &pl->full, g, in + y * rstride, rstride, 0, &best, &arg);
            store_n(out + y * s->ow, best, n);
            store_args(ws, o0 + (size_t)(y * s->ow), arg, n, pl->wide);
        }
        return;
    }
    for (long y = 0; y < s->oh; y++) {
        long x = 0;
        for (; x + VL <= s->ow; x += VL)
            fwd_chunk(s, pl, in + y * rstride, out + y * s->ow, ws, o0 + (size_t)(y * s->ow), cols, x, VL);
        if (x < s->ow) {
            x = last_x(pl, s->ow, x);
            fwd_chunk(s, pl, in + y * rstride, out + y * s->ow, ws, o0 + (size_t)(y * s->ow), cols, x, s->ow - x);
        }
    }
}

gs_status_t gs_pool_fwd_avx2(const gs_pool_shape_t *s, const float *src, float *dst, void *ws)
{
    const long planes = s->mb * s->c, in_sz = s->ih * s->iw, out_sz = s->oh * s->ow;
    const plan_t pl = plan_make(s);
#pragma omp parallel for schedule(static) if (planes * in_sz >= PAR_MIN_ELEMS)
    for (long p = 0; p < planes; p++)
        fwd_plane(s, &pl, src + p * in_sz, dst + p * out_sz, ws, (size_t)(p * out_sz));
    return GS_OK;
}

/* kw = sw = 2, kh <= sh: the n = g * ow gradients at dy go to the inputs their indices name in
 * the g packed rows at row0, zeros to the other window elements. */
static inline void bwd_pairs(const gs_pool_shape_t *s, const pack_t *pk, long g, long n, const float *dy, __m256i arg,
                             float *row0, long rstride, int plain)
{
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

static void zero(float *p, long n)
{
    if (n > 0)
        memset(p, 0, (size_t)n * sizeof(float));
}

/* What no window of output row y reaches: the odd last column of its kh rows and the rows between
 * it and the next window row (or the end of the plane). */
static void zero_uncovered(const gs_pool_shape_t *s, long y, float *out)
{
    float *rows = out + y * s->sh * s->iw;
    if (s->iw > 2 * s->ow)
        for (long ky = 0; ky < s->kh; ky++)
            rows[ky * s->iw + s->iw - 1] = 0.0f;
    const long end = y == s->oh - 1 ? s->ih : (y + 1) * s->sh;
    zero(rows + s->kh * s->iw, (end - y * s->sh - s->kh) * s->iw);
}

/* Gradients [x, x + n) of one output row (dy_row, workspace index o_row) into the window rows at
 * out_row. */
static inline void bwd_chunk(const gs_pool_shape_t *s, const plan_t *pl, const float *dy_row, const void *ws,
                             size_t o_row, float *out_row, long x, long n)
{
    const __m256i arg = load_args(ws, o_row + (size_t)x, n, pl->wide);
    bwd_pairs(s, n == VL ? &pl->full : &pl->tail, 1, n, dy_row + x, arg, out_row + 2 * x, s->sh * s->iw, n == VL);
}

/* Windows two wide at stride 2, at most sh tall: every input element is written exactly once. */
static void bwd_plane_pairs(const gs_pool_shape_t *s, const plan_t *pl, const float *dy, const void *ws, size_t o0,
                            float *out)
{
    const long rstride = s->sh * s->iw;
    if (pl->rows > 1) {
        for (long y = 0; y < s->oh; y += pl->rows) {
            const long g = s->oh - y < pl->rows ? s->oh - y : pl->rows, n = g * s->ow;
            const __m256i arg = load_args(ws, o0 + (size_t)(y * s->ow), n, pl->wide);
            bwd_pairs(s, &pl->full, g, n, dy + y * s->ow, arg, out + y * rstride, rstride, 0);
        }
    } else {
        for (long y = 0; y < s->oh; y++) {
            long x = 0;
            for (; x + VL <= s->ow; x += VL)
                bwd_chunk(s, pl, dy + y * s->ow, ws, o0 + (size_t)(y * s->ow), out + y * rstride, x, VL);
            if (x < s->ow) {
                x = last_x(pl, s->ow, x);
                bwd_chunk(s, pl, dy + y * s->ow, ws, o0 + (size_t)(y * s->ow), out + y * rstride, x, s->ow - x);
            }
        }
    }
    for (long y = 0; y < s->oh; y++)
        zero_uncovered(s, y, out);
}

/* Overlapping or other windows: zero the plane, then add each gradient where its index points. */
static void bwd_plane_any(const gs_pool_shape_t *s, const plan_t *pl, const float *dy, const void *ws, size_t o0,
                          float *out)
{
    zero(out, s->ih * s->iw);
    for (long y = 0; y < s->oh; y++) {
        for (long x = 0; x < s->ow; x += VL) {
            const long n = s->ow - x < VL ? s->ow - x : VL;
            int32_t arg[VL];
            _mm256_storeu_si256((__m256i *)arg, load_args(ws, o0 + (size_t)(y * s->ow + x), n, pl->wide));
            for (long l = 0; l < n; l++) {
                const long ky = arg[l] / s->kw, kx = arg[l] % s->kw;
                out[(y * s->sh + ky) * s->iw + (x + l) * s->sw + kx] += dy[y * s->ow + x + l];
            }
        }
    }
}

gs_status_t gs_pool_bwd_avx2(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src)
{
    const long planes = s->mb * s->c, in_sz = s->ih * s->iw, out_sz = s->oh * s->ow;
    const plan_t pl = plan_make(s);
    const int direct = pl.pairs && s->kh <= s->sh;
#pragma omp parallel for schedule(static) if (planes * in_sz >= PAR_MIN_ELEMS)
    for (long p = 0; p < planes; p++) {
        if (direct)
            bwd_plane_pairs(s, &pl, diff_dst + p * out_sz, ws, (size_t)(p * out_sz), diff_src + p * in_sz);
        else
            bwd_plane_any(s, &pl, diff_dst + p * out_sz, ws, (size_t)(p * out_sz), diff_src + p * in_sz);
    }
    return GS_OK;
}
