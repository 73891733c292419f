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

#include "core/lanes_avx512.h"
#include "core/simd_avx512.h"
#include "kernels/pool/pool.h"

#define VL 16
typedef __m512 vec_t;
typedef __m512i ivec_t;

/* Lanes [a, b). */
static inline __mmask16 lane_range(long a, long b) { return (__mmask16)(gs_mask_below(b) & ~gs_mask_below(a)); }

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
    return blend_load(_mm512_setzero_ps(), gs_mask_below(n), p, end);
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

static inline void store_n(float *p, __m512 v, long n) { masked_store(p, gs_mask_below(n), v); }

/* n window indices into the workspace at output o, as uint8 or int32. */
static inline void store_args(void *ws, size_t o, __m512i arg, long n, int wide)
{
    if (wide)
        masked_store((float *)((int32_t *)ws + o), gs_mask_below(n), _mm512_castsi512_ps(arg)); /* bits moved, not converted */
    else if (n >= VL)
        _mm_storeu_si128((__m128i *)((uint8_t *)ws + o), _mm512_cvtepi32_epi8(arg));
    else
        _mm_mask_storeu_epi8((uint8_t *)ws + o, gs_mask_below(n), _mm512_cvtepi32_epi8(arg));
}

/* n indices at output o; `count` outputs in the workspace, so full loads never leave it. */
static inline __m512i load_args(const void *ws, size_t o, long n, int wide, size_t count)
{
    const bool full = n >= VL || o + VL <= count;
    if (wide) {
        const float *p = (const float *)ws + o; /* bits moved, not converted */
        return full ? select_bits(gs_mask_below(n), _mm512_loadu_si512(p), _mm512_setzero_si512())
                    : _mm512_castps_si512(_mm512_maskz_loadu_ps(gs_mask_below(n), p));
    }
    const uint8_t *p = (const uint8_t *)ws + o;
    const __m512i v = _mm512_cvtepu8_epi32(full ? _mm_loadu_si128((const __m128i *)p) : _mm_maskz_loadu_epi8(gs_mask_below(n), p));
    return select_bits(gs_mask_below(n), v, _mm512_setzero_si512());
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
                             int plain, const float *end, __m512 *best, __m512i *arg)
{
    (void)plain; /* each access chooses plain or masked itself (blend_load) */
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
    const __mmask16 m = gs_mask_below(n);
    *best = column(s, win, m, cols, end);
    *arg = _mm512_setzero_si512();
    for (long k = 1; k < s->kh * s->kw; k++)
        take_greater(column(s, win + k / s->kw * s->iw + k % s->kw, m, cols, end), (int)k, best, arg);
}

/* Lane l -> l * sw: the gather offsets of a window's column. */
static inline __m512i column_offsets(const gs_pool_shape_t *s)
{
    return _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                              _mm512_set1_epi32((int)s->sw));
}

static inline void store_indices(int32_t *dst, __m512i arg) { _mm512_storeu_si512(dst, arg); }

/* kw = sw = 2, kh <= sh: the n = g * ow gradients at dy go to the inputs their indices name in
 * the g packed rows at row0, zeros to the other window elements. */
static inline void bwd_pairs(const gs_pool_shape_t *s, const pack_t *pk, long g, long n, const float *dy, __m512i arg,
                             float *row0, long rstride, int plain, const float *dy_end)
{
    (void)plain;
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

#include "kernels/pool/pool_tpl.h"

gs_status_t gs_pool_fwd_avx512(const gs_pool_shape_t *s, const float *src, float *dst, void *ws)
{
    return pool_fwd(s, src, dst, ws);
}

gs_status_t gs_pool_bwd_avx512(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src)
{
    return pool_bwd(s, diff_dst, ws, diff_src);
}
