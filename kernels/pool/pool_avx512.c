/* AVX-512 max pooling, vectorized across the output width (16 outputs per zmm). Windows two wide
 * with stride 2 (LeNet's 2x2/2) read the 2n input floats of n outputs into a pair of zmm and split
 * them into even and odd columns with two permutes; when a row has at most 8 outputs, several
 * output rows share the registers (LeNet's 8x8 -> 4x4 planes fill all 16 lanes). Other windows
 * gather (or, at stride 1, load) their columns. Backward writes every input element once where
 * windows do not overlap and scatters otherwise. Also built against SIMDe for the tests.
 * Loads are full-width wherever the 64 bytes lie inside the tensor, with the unwanted lanes selected
 * away bitwise: on Zen 4/5 a masked load that misses the cache stalls (measured: 12 instead of
 * 38 GB/s streaming), so masked loads are kept for the last vector of a tensor. The selection must
 * not be a mask blend or a zero-masking move: GCC folds those into the masked load (the 56x56
 * forward ran at 9 GB/s that way, 4x slower per byte than the cached LeNet shapes). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/simd_avx512.h"
#include "kernels/pool/pool.h"

#define VL 16
/* Below this many input floats the threads would cost more than they save (about 256 KiB). */
#define PAR_MIN_ELEMS (64L * 1024)

static inline __mmask16 lanes(long n) { return n >= VL ? (__mmask16)0xffff : n <= 0 ? 0 : (__mmask16)((1u << n) - 1); }

/* Lanes [a, b). */
static inline __mmask16 lane_range(long a, long b) { return (__mmask16)(lanes(b) & ~lanes(a)); }

/* The lanes of m from a, the others from b, as vpternlogd on a lane mask: a plain full load stays
 * a plain load (see the top comment). */
static inline __m512i select_bits(__mmask16 m, __m512i a, __m512i b)
{
    return _mm512_ternarylogic_epi32(_mm512_movm_epi32(m), a, b, 0xCA); /* m ? a : b, bit by bit */
}

/* The lanes of m taken from the 16 floats at p, the others kept from v; `end` bounds the tensor,
 * so full loads never leave it. */
static inline __m512 blend_load(__m512 v, __mmask16 m, const float *p, const float *end)
{
    if (m == 0xffff)
        return _mm512_loadu_ps(p);
    if (p + VL > end)
        return _mm512_mask_loadu_ps(v, m, p);
    return _mm512_castsi512_ps(select_bits(m, _mm512_castps_si512(_mm512_loadu_ps(p)), _mm512_castps_si512(v)));
}

/* n floats at p (lanes >= n zero). */
static inline __m512 load_n(const float *p, long n, const float *end)
{
    return blend_load(_mm512_setzero_ps(), lanes(n), p, end);
}

/* The lanes of m stored to p. An all-lanes mask stores plainly: masked stores of full vectors
 * held the 56x56 backward to 17 instead of 29 GB/s. */
static inline void masked_store(float *p, __mmask16 m, __m512 v)
{
    if (m == 0xffff)
        _mm512_storeu_ps(p, v);
    else
        _mm512_mask_storeu_ps(p, m, v);
}

static inline void store_n(float *p, __m512 v, long n) { masked_store(p, lanes(n), v); }

/* n window indices into the workspace at output o, as uint8 or int32. */
static inline void store_args(void *ws, size_t o, __m512i arg, long n, int wide)
{
    if (wide)
        masked_store((float *)((int32_t *)ws + o), lanes(n), _mm512_castsi512_ps(arg)); /* bits moved, not converted */
    else if (n >= VL)
        _mm_storeu_si128((__m128i *)((uint8_t *)ws + o), _mm512_cvtepi32_epi8(arg));
    else
        _mm_mask_storeu_epi8((uint8_t *)ws + o, lanes(n), _mm512_cvtepi32_epi8(arg));
}

/* n indices at output o; `count` outputs in the workspace, so full loads never leave it. */
static inline __m512i load_args(const void *ws, size_t o, long n, int wide, size_t count)
{
    const bool full = n >= VL || o + VL <= count;
    if (wide) {
        const float *p = (const float *)ws + o; /* bits moved, not converted */
        return full ? select_bits(lanes(n), _mm512_loadu_si512(p), _mm512_setzero_si512())
                    : _mm512_castps_si512(_mm512_maskz_loadu_ps(lanes(n), p));
    }
    const uint8_t *p = (const uint8_t *)ws + o;
    const __m512i v = _mm512_cvtepu8_epi32(full ? _mm_loadu_si128((const __m128i *)p) : _mm_maskz_loadu_epi8(lanes(n), p));
    return select_bits(lanes(n), v, _mm512_setzero_si512());
}

/* Where the 2n input floats of each of `rows` output rows sit in 32 concatenated lanes (lo, hi):
 * row r fills lanes [off[r], off[r] + 2n), so its outputs land in lanes [r n, (r + 1) n). */
typedef struct {
    long rows;
    long off[VL];
    __mmask16 lo[VL], hi[VL]; /* empty masks are skipped: a masked access still costs an issue slot */
} pack_t;

static pack_t pack_make(long n, long rows)
{
    pack_t pk = {.rows = rows};
    for (long r = 0; r < rows; r++) {
        const long a = 2 * n * r, b = a + 2 * n;
        pk.off[r] = a;
        pk.lo[r] = lane_range(a, b < VL ? b : VL);
        pk.hi[r] = lane_range(a > VL ? a - VL : 0, b - VL);
    }
    return pk;
}

/* Input row ky of the packed rows: row r starts at row0 + r * rstride. The shifted base
 * p = row - off stays inside the plane (off <= r * rstride), and past `end` only masked lanes are
 * read, so no access leaves the tensor. */
static inline void load_packed(const pack_t *pk, long g, const float *row0, long rstride, const float *end, __m512 *lo,
                               __m512 *hi)
{
    *lo = _mm512_setzero_ps();
    *hi = _mm512_setzero_ps();
    for (long r = 0; r < g; r++) {
        const float *p = row0 + r * rstride - pk->off[r];
        if (pk->lo[r])
            *lo = blend_load(*lo, pk->lo[r], p, end);
        if (pk->hi[r])
            *hi = blend_load(*hi, pk->hi[r], p + VL, end);
    }
}

static inline void store_packed(const pack_t *pk, long g, float *row0, long rstride, __m512 lo, __m512 hi)
{
    for (long r = 0; r < g; r++) {
        float *p = row0 + r * rstride - pk->off[r];
        if (pk->lo[r])
            masked_store(p, pk->lo[r], lo);
        if (pk->hi[r])
            masked_store(p + VL, pk->hi[r], hi);
    }
}

/* Running maximum: v replaces it where strictly greater, so ties keep the earlier window index. */
static inline void take_greater(__m512 v, int idx, __m512 *best, __m512i *arg)
{
    const __mmask16 m = _mm512_cmp_ps_mask(v, *best, _CMP_GT_OQ);
    *best = _mm512_mask_mov_ps(*best, m, v);
    *arg = _mm512_mask_mov_epi32(*arg, m, _mm512_set1_epi32(idx));
}

/* kw = sw = 2: the outputs of g packed rows whose windows start at row0 (rows rstride apart). */
static inline void max_pairs(const gs_pool_shape_t *s, const pack_t *pk, long g, const float *row0, long rstride,
                             const float *end, __m512 *best, __m512i *arg)
{
    const __m512i ie = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i io = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    __m512 lo, hi;
    load_packed(pk, g, row0, rstride, end, &lo, &hi);
    *best = _mm512_permutex2var_ps(lo, ie, hi);
    *arg = _mm512_setzero_si512();
    take_greater(_mm512_permutex2var_ps(lo, io, hi), 1, best, arg);
    for (long ky = 1; ky < s->kh; ky++) {
        load_packed(pk, g, row0 + ky * s->iw, rstride, end, &lo, &hi);
        take_greater(_mm512_permutex2var_ps(lo, ie, hi), (int)(2 * ky), best, arg);
        take_greater(_mm512_permutex2var_ps(lo, io, hi), (int)(2 * ky + 1), best, arg);
    }
}

/* Any window: column kx of output lane l is at win + l * sw + kx (gathered unless sw = 1). */
static inline __m512 column(const gs_pool_shape_t *s, const float *p, __mmask16 m, __m512i cols, const float *end)
{
    return s->sw == 1 ? blend_load(_mm512_setzero_ps(), m, p, end)
                      : _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, cols, p, 4);
}

static inline void max_any(const gs_pool_shape_t *s, const float *win, long n, __m512i cols, const float *end,
                           __m512 *best, __m512i *arg)
{
    const __mmask16 m = lanes(n);
    *best = column(s, win, m, cols, end);
    *arg = _mm512_setzero_si512();
    for (long k = 1; k < s->kh * s->kw; k++)
        take_greater(column(s, win + k / s->kw * s->iw + k % s->kw, m, cols, end), (int)k, best, arg);
}

/* The packings a shape needs: `rows` output rows at a time when a row has at most 8 outputs, else
 * one row in chunks of 16 outputs and a tail chunk (or an overlapping full one, last_x). */
typedef struct {
    int pairs, wide;
    int overlap; /* see last_x */
    long rows;
    pack_t full, tail;
    const float *end; /* one past the tensor the kernel reads (src forward, diff_dst backward) */
    size_t outputs;   /* mb * c * oh * ow: the workspace's index count */
} plan_t;

static plan_t plan_make(const gs_pool_shape_t *s, const float *in, size_t in_elems)
{
    plan_t pl = {.pairs = s->kw == 2 && s->sw == 2, .wide = gs_pool_ws_index_bytes(s) > 1, .end = in + in_elems};
    pl.outputs = (size_t)(s->mb * s->c * s->oh * s->ow);
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

/* Where the last chunk of a row starts once its first x outputs are done. With pl->overlap it is a
 * full vector ending with the row, overlapping the one before: it recomputes a few outputs (same
 * values, same indices) instead of storing a partial vector and partial index bytes, 56x56 -> 28x28
 * forward +10% (AVX-512) and +7% (AVX2). Only where that adds at most a quarter more outputs: in
 * cache-resident shapes the recompute costs more than the partial stores (AVX2 24x24 -> 12x12, 16
 * outputs for 12: 34 instead of 35 GB/s). Only for kernels that overwrite, never for ones that
 * accumulate. The full chunks before it run in their own loop, where n = VL is known at compile
 * time (deciding per chunk cost 20% on 24x24). */
static inline long last_x(const plan_t *pl, long ow, long x) { return pl->overlap ? ow - VL : x; }

/* Outputs [x, x + n) of one output row: its windows start at in_row, its outputs at out_row and
 * workspace index o_row. */
static inline void fwd_chunk(const gs_pool_shape_t *s, const plan_t *pl, const float *in_row, float *out_row, void *ws,
                             size_t o_row, __m512i cols, long x, long n)
{
    __m512 best;
    __m512i arg;
    if (pl->pairs)
        max_pairs(s, n == VL ? &pl->full : &pl->tail, 1, in_row + 2 * x, s->sh * s->iw, pl->end, &best, &arg);
    else
        max_any(s, in_row + x * s->sw, n, cols, pl->end, &best, &arg);
    store_n(out_row + x, best, n);
    store_args(ws, o_row + (size_t)x, arg, n, pl->wide);
}

static void fwd_plane(const gs_pool_shape_t *s, const plan_t *pl, const float *in, float *out, void *ws, size_t o0)
{
    const long rstride = s->sh * s->iw;
    const __m512i cols = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                            _mm512_set1_epi32((int)s->sw));
    __m512 best;
    __m512i arg;
    if (pl->pairs && pl->rows > 1) {
        for (long y = 0; y < s->oh; y += pl->rows) {
            const long g = s->oh - y < pl->rows ? s->oh - y : pl->rows, n = g * s->ow;
            max_pairs(s, &pl->full, g, in + y * rstride, rstride, pl->end, &best, &arg);
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

gs_status_t gs_pool_fwd_avx512(const gs_pool_shape_t *s, const float *src, float *dst, void *ws)
{
    const long planes = s->mb * s->c, in_sz = s->ih * s->iw, out_sz = s->oh * s->ow;
    const plan_t pl = plan_make(s, src, (size_t)(planes * in_sz));
#pragma omp parallel for schedule(static) if (planes * in_sz >= PAR_MIN_ELEMS)
    for (long p = 0; p < planes; p++)
        fwd_plane(s, &pl, src + p * in_sz, dst + p * out_sz, ws, (size_t)(p * out_sz));
    return GS_OK;
}

/* kw = sw = 2, kh <= sh: the n = g * ow gradients at dy go to the inputs their indices name in
 * the g packed rows at row0, zeros to the other window elements. */
static inline void bwd_pairs(const gs_pool_shape_t *s, const pack_t *pk, long g, long n, const float *dy, __m512i arg,
                             float *row0, long rstride, const float *dy_end)
{
    const __m512i lo_idx = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi_idx = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    const __m512 grad = load_n(dy, n, dy_end);
    for (long ky = 0; ky < s->kh; ky++) {
        const __mmask16 me = _mm512_cmpeq_epi32_mask(arg, _mm512_set1_epi32((int)(2 * ky)));
        const __mmask16 mo = _mm512_cmpeq_epi32_mask(arg, _mm512_set1_epi32((int)(2 * ky + 1)));
        const __m512 e = _mm512_maskz_mov_ps(me, grad), o = _mm512_maskz_mov_ps(mo, grad);
        store_packed(pk, g, row0 + ky * s->iw, rstride, _mm512_permutex2var_ps(e, lo_idx, o),
                     _mm512_permutex2var_ps(e, hi_idx, o));
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
    const __m512i arg = load_args(ws, o_row + (size_t)x, n, pl->wide, pl->outputs);
    bwd_pairs(s, n == VL ? &pl->full : &pl->tail, 1, n, dy_row + x, arg, out_row + 2 * x, s->sh * s->iw, pl->end);
}

/* Windows two wide at stride 2, at most sh tall: every input element is written exactly once. */
static void bwd_plane_pairs(const gs_pool_shape_t *s, const plan_t *pl, const float *dy, const void *ws, size_t o0,
                            float *out)
{
    const long rstride = s->sh * s->iw;
    if (pl->rows > 1) {
        for (long y = 0; y < s->oh; y += pl->rows) {
            const long g = s->oh - y < pl->rows ? s->oh - y : pl->rows, n = g * s->ow;
            const __m512i arg = load_args(ws, o0 + (size_t)(y * s->ow), n, pl->wide, pl->outputs);
            bwd_pairs(s, &pl->full, g, n, dy + y * s->ow, arg, out + y * rstride, rstride, pl->end);
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
            _mm512_storeu_si512(arg, load_args(ws, o0 + (size_t)(y * s->ow + x), n, pl->wide, pl->outputs));
            for (long l = 0; l < n; l++) {
                const long ky = arg[l] / s->kw, kx = arg[l] % s->kw;
                out[(y * s->sh + ky) * s->iw + (x + l) * s->sw + kx] += dy[y * s->ow + x + l];
            }
        }
    }
}

gs_status_t gs_pool_bwd_avx512(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src)
{
    const long planes = s->mb * s->c, in_sz = s->ih * s->iw, out_sz = s->oh * s->ow;
    const plan_t pl = plan_make(s, diff_dst, (size_t)(planes * out_sz));
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
