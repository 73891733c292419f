/* AVX2 softmax cross-entropy / MSE. Rows of up to 16 classes (10 in every scenario) go 8 rows at a
 * time, one row per lane, through two in-register 8 x 8 transposes (classes 0-7 and 8-15), so the
 * softmax, loss and gradient are vertical arithmetic without horizontal reductions (the AVX-512
 * kernel's scheme at half the width); leftover rows take two masked ymm per row, and wider rows
 * walk 8-class chunks. */
#include <immintrin.h>
#include <stdbool.h>

#include "core/lanes_avx2.h"
#include "core/transpose_avx2.h"
#include "kernels/act/vmath_avx2.h"
#include "kernels/softmax_ce/softmax_ce.h"
#include "kernels/softmax_ce/softmax_ce_rows.h"

#define W 8
#define NARROW_MAX (2 * W) /* classes of a block row or a narrow row */

static inline __m256 neg_inf(void) { return _mm256_set1_ps(-GS_VMATH_INF); }

/* Classes [j, j + 8) of a row, -inf past its end. */
static inline __m256 load_chunk(const float *x, long c, long j)
{
    const __m256i k = gs_lanes_below(c - j);
    return _mm256_blendv_ps(neg_inf(), _mm256_maskload_ps(x + j, k), _mm256_castsi256_ps(k));
}

static inline float hmax(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

static inline float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

/* 1.0 in the lane of class y within the chunk starting at j, 0 elsewhere. */
static inline __m256 onehot(long y, long j)
{
    const __m256i hit = _mm256_cmpeq_epi32(_mm256_set1_epi32((int)(y - j)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_and_ps(_mm256_castsi256_ps(hit), _mm256_set1_ps(1.0f));
}

/* The first index holding the row maximum m within the chunk at j (valid lanes only), or -1. */
static inline long first_max(__m256 v, float m, long c, long j)
{
    const unsigned valid = c - j >= W ? 0xffu : (1u << (c - j)) - 1u;
    const unsigned top = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(v, _mm256_set1_ps(m), _CMP_EQ_OQ)) & valid;
    return top ? j + __builtin_ctz(top) : -1;
}

static inline void store_chunk(float *dx, long c, long j, __m256 v)
{
    _mm256_maskstore_ps(dx + j, gs_lanes_below(c - j), v);
}

/* ---- rows of at most 16 classes: two chunks, both always evaluated (the second may be empty) ---- */

static void ce_row_narrow(const float *x, long c, int32_t y, float inv_n, float *dx, gs_softmax_row_t *r)
{
    const __m256 v0 = load_chunk(x, c, 0), v1 = load_chunk(x, c, W);
    r->m = hmax(_mm256_max_ps(v0, v1));
    r->argmax = first_max(v0, r->m, c, 0);
    if (r->argmax < 0 && c > W)
        r->argmax = first_max(v1, r->m, c, W);
    const __m256 vm = _mm256_set1_ps(r->m);
    const __m256 e0 = gs_vmath_exp256(_mm256_sub_ps(v0, vm)), e1 = gs_vmath_exp256(_mm256_sub_ps(v1, vm));
    r->s = hsum(_mm256_add_ps(e0, e1));
    r->xy = x[y];
    if (dx) {
        const __m256 f = _mm256_set1_ps(inv_n / r->s), vn = _mm256_set1_ps(inv_n);
        store_chunk(dx, c, 0, _mm256_fnmadd_ps(onehot(y, 0), vn, _mm256_mul_ps(e0, f)));
        if (c > W)
            store_chunk(dx, c, W, _mm256_fnmadd_ps(onehot(y, W), vn, _mm256_mul_ps(e1, f)));
    }
}

/* MSE: L_row = sum (p - t)^2; dz = p (g - sum g p) with g = 2 (p - t) / (n c). */
static void mse_row_narrow(const float *x, long c, int32_t y, float scale2, float *dx, gs_softmax_row_t *r)
{
    const __m256 v0 = load_chunk(x, c, 0), v1 = load_chunk(x, c, W);
    r->m = hmax(_mm256_max_ps(v0, v1));
    r->argmax = first_max(v0, r->m, c, 0);
    if (r->argmax < 0 && c > W)
        r->argmax = first_max(v1, r->m, c, W);
    const __m256 vm = _mm256_set1_ps(r->m);
    const __m256 e0 = gs_vmath_exp256(_mm256_sub_ps(v0, vm)), e1 = gs_vmath_exp256(_mm256_sub_ps(v1, vm));
    r->s = hsum(_mm256_add_ps(e0, e1));
    const __m256 vs = _mm256_set1_ps(r->s);
    const __m256 p0 = _mm256_div_ps(e0, vs), p1 = _mm256_div_ps(e1, vs);
    const __m256 d0 = _mm256_sub_ps(p0, onehot(y, 0)), d1 = _mm256_sub_ps(p1, onehot(y, W));
    r->sq = hsum(_mm256_fmadd_ps(d0, d0, _mm256_mul_ps(d1, d1)));
    if (dx) {
        const __m256 s2 = _mm256_set1_ps(scale2);
        const __m256 g0 = _mm256_mul_ps(d0, s2), g1 = _mm256_mul_ps(d1, s2);
        const __m256 gp = _mm256_set1_ps(hsum(_mm256_fmadd_ps(g0, p0, _mm256_mul_ps(g1, p1))));
        store_chunk(dx, c, 0, _mm256_mul_ps(p0, _mm256_sub_ps(g0, gp)));
        if (c > W)
            store_chunk(dx, c, W, _mm256_mul_ps(p1, _mm256_sub_ps(g1, gp)));
    }
}

/* ---- wider rows: 8-class chunks ---- */

static float row_max(const float *x, long c)
{
    __m256 mx = neg_inf();
    for (long j = 0; j < c; j += W)
        mx = _mm256_max_ps(mx, load_chunk(x, c, j));
    return hmax(mx);
}

/* Sum of e^(x - m) and the first argmax; the exponentials go to `e` when it is not NULL. */
static float row_exp_sum(const float *x, long c, float m, float *e, long *argmax)
{
    __m256 acc = _mm256_setzero_ps();
    *argmax = -1;
    for (long j = 0; j < c; j += W) {
        const __m256 v = load_chunk(x, c, j);
        if (*argmax < 0)
            *argmax = first_max(v, m, c, j);
        const __m256 ev = gs_vmath_exp256(_mm256_sub_ps(v, _mm256_set1_ps(m)));
        acc = _mm256_add_ps(acc, ev);
        if (e)
            store_chunk(e, c, j, ev);
    }
    return hsum(acc);
}

static void ce_row_wide(const float *x, long c, int32_t y, float inv_n, float *dx, gs_softmax_row_t *r)
{
    r->m = row_max(x, c);
    r->s = row_exp_sum(x, c, r->m, dx, &r->argmax);
    r->xy = x[y];
    if (!dx)
        return;
    const __m256 f = _mm256_set1_ps(inv_n / r->s);
    for (long j = 0; j < c; j += W)
        store_chunk(dx, c, j, _mm256_mul_ps(_mm256_maskload_ps(dx + j, gs_lanes_below(c - j)), f));
    dx[y] -= inv_n;
}

/* p = e^(x - m) / s, recomputed when there is no dx row to keep it in. */
static __m256 prob_chunk(const float *x, const float *dx, long c, long j, float m, float s)
{
    const __m256 e = dx ? _mm256_maskload_ps(dx + j, gs_lanes_below(c - j))
                        : gs_vmath_exp256(_mm256_sub_ps(load_chunk(x, c, j), _mm256_set1_ps(m)));
    return _mm256_div_ps(e, _mm256_set1_ps(s));
}

static void mse_row_wide(const float *x, long c, int32_t y, float scale2, float *dx, gs_softmax_row_t *r)
{
    r->m = row_max(x, c);
    r->s = row_exp_sum(x, c, r->m, dx, &r->argmax);
    const __m256 s2 = _mm256_set1_ps(scale2);
    __m256 sq = _mm256_setzero_ps(), gp = _mm256_setzero_ps();
    for (long j = 0; j < c; j += W) { /* loss terms and sum g p; dx keeps p */
        const __m256 p = prob_chunk(x, dx, c, j, r->m, r->s);
        const __m256 d = _mm256_sub_ps(p, onehot(y, j));
        sq = _mm256_fmadd_ps(d, d, sq);
        gp = _mm256_fmadd_ps(_mm256_mul_ps(d, s2), p, gp);
        if (dx)
            store_chunk(dx, c, j, p);
    }
    r->sq = hsum(sq);
    if (!dx)
        return;
    const __m256 vgp = _mm256_set1_ps(hsum(gp));
    for (long j = 0; j < c; j += W) {
        const __m256 p = _mm256_maskload_ps(dx + j, gs_lanes_below(c - j));
        const __m256 g = _mm256_mul_ps(_mm256_sub_ps(p, onehot(y, j)), s2);
        store_chunk(dx, c, j, _mm256_mul_ps(p, _mm256_sub_ps(g, vgp)));
    }
}

/* ---- blocks of rows ---- */

/* Cross-entropy terms m + log s - x_y of up to 8 rows, with one vector log. */
static void ce_block_loss(const gs_softmax_row_t *r, int nb, float *terms)
{
    float m[W], s[W], xy[W];
    for (int b = 0; b < W; b++) {
        m[b] = b < nb ? r[b].m : 0.0f;
        s[b] = b < nb ? r[b].s : 1.0f;
        xy[b] = b < nb ? r[b].xy : 0.0f;
    }
    const __m256 t = _mm256_add_ps(_mm256_sub_ps(_mm256_loadu_ps(m), _mm256_loadu_ps(xy)),
                                   gs_vmath_log256(_mm256_loadu_ps(s)));
    _mm256_storeu_ps(terms, t);
}

/* ---- 8 rows of at most 16 classes, one row per lane ---- */

/* Classes [j, j + 8) of row r of an 8-row block: a full load where it stays inside the block (the
 * lanes past the row read the next row and are never used), a masked one at its end. */
static inline __m256 block_chunk_load(const float *x, long c, int r, long j)
{
    if (j >= c)
        return _mm256_setzero_ps();
    const float *p = x + r * c + j;
    return r * c + j + W <= W * c ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, gs_lanes_below(c - j));
}

static inline void block_chunk_store(float *dx, long c, int r, long j, __m256 v)
{
    if (j >= c)
        return;
    if (r * c + j + W <= W * c)
        _mm256_storeu_ps(dx + r * c + j, v);
    else
        _mm256_maskstore_ps(dx + r * c + j, gs_lanes_below(c - j), v);
}

/* Class-major columns of 8 rows: col[j] lane r = x[r][j]; then the rows' max, first argmax,
 * e^(x - m) (into col), their sum, and the label columns' logits. */
typedef struct {
    __m256 col[2 * W], m, s, xy;
    __m256i argmax, y;
} block_t;

static void block_load(const float *x, long c, const int32_t *y, block_t *b)
{
    for (int h = 0; h < 2; h++) {
        for (int r = 0; r < W; r++)
            b->col[h * W + r] = block_chunk_load(x, c, r, h * W);
        gs_transpose8x8(b->col + h * W);
    }
    b->y = _mm256_loadu_si256((const __m256i *)y);
    b->m = neg_inf();
    b->xy = _mm256_setzero_ps();
    for (long j = 0; j < c; j++) {
        b->m = _mm256_max_ps(b->m, b->col[j]);
        const __m256 hit = _mm256_castsi256_ps(_mm256_cmpeq_epi32(b->y, _mm256_set1_epi32((int)j)));
        b->xy = _mm256_blendv_ps(b->xy, b->col[j], hit);
    }
    b->argmax = _mm256_set1_epi32(-1);
    for (long j = c - 1; j >= 0; j--) { /* descending, so the first maximum wins */
        const __m256i eq = _mm256_castps_si256(_mm256_cmp_ps(b->col[j], b->m, _CMP_EQ_OQ));
        b->argmax = _mm256_blendv_epi8(b->argmax, _mm256_set1_epi32((int)j), eq);
    }
    b->s = _mm256_setzero_ps();
    for (long j = 0; j < c; j++) {
        b->col[j] = gs_vmath_exp256(_mm256_sub_ps(b->col[j], b->m));
        b->s = _mm256_add_ps(b->s, b->col[j]);
    }
}

static void block_rows(const block_t *b, gs_softmax_row_t *r)
{
    float m[W], s[W];
    int32_t am[W];
    _mm256_storeu_ps(m, b->m);
    _mm256_storeu_ps(s, b->s);
    _mm256_storeu_si256((__m256i *)am, b->argmax);
    for (int l = 0; l < W; l++)
        r[l] = (gs_softmax_row_t){.m = m[l], .s = s[l], .argmax = am[l]};
}

/* The gradient columns g[0, c) back to the 8 rows, in row order so each full-width store's spill
 * is overwritten by the next row (g is clobbered). */
static void block_store(float *dx, long c, __m256 *g)
{
    for (long j = c; j < 2 * W; j++)
        g[j] = _mm256_setzero_ps();
    gs_transpose8x8(g);
    gs_transpose8x8(g + W);
    for (int r = 0; r < W; r++) {
        block_chunk_store(dx, c, r, 0, g[r]);
        block_chunk_store(dx, c, r, W, g[W + r]);
    }
}

static void ce_block(const gs_softmax_rows_t *job, long i0, gs_softmax_row_t *r, float *terms)
{
    const long c = job->c;
    block_t b;
    block_load(job->x + i0 * c, c, job->y + i0, &b);
    _mm256_storeu_ps(terms, _mm256_add_ps(_mm256_sub_ps(b.m, b.xy), gs_vmath_log256(b.s)));
    block_rows(&b, r);
    if (!job->dx)
        return;
    const __m256 f = _mm256_div_ps(_mm256_set1_ps(job->inv_n), b.s), vn = _mm256_set1_ps(job->inv_n);
    for (long j = 0; j < c; j++) {
        const __m256 hit = _mm256_castsi256_ps(_mm256_cmpeq_epi32(b.y, _mm256_set1_epi32((int)j)));
        b.col[j] = _mm256_fnmadd_ps(_mm256_and_ps(hit, _mm256_set1_ps(1.0f)), vn, _mm256_mul_ps(b.col[j], f));
    }
    block_store(job->dx + i0 * c, c, b.col);
}

static void mse_block(const gs_softmax_rows_t *job, long i0, gs_softmax_row_t *r, float *terms)
{
    const long c = job->c;
    block_t b;
    block_load(job->x + i0 * c, c, job->y + i0, &b);
    __m256 sq = _mm256_setzero_ps(), gp = _mm256_setzero_ps(), d[2 * W] = {0};
    const __m256 s2 = _mm256_set1_ps(job->scale2);
    for (long j = 0; j < c; j++) {
        const __m256 hit = _mm256_castsi256_ps(_mm256_cmpeq_epi32(b.y, _mm256_set1_epi32((int)j)));
        b.col[j] = _mm256_div_ps(b.col[j], b.s); /* p */
        d[j] = _mm256_sub_ps(b.col[j], _mm256_and_ps(hit, _mm256_set1_ps(1.0f)));
        sq = _mm256_fmadd_ps(d[j], d[j], sq);
        gp = _mm256_fmadd_ps(_mm256_mul_ps(d[j], s2), b.col[j], gp);
    }
    _mm256_storeu_ps(terms, sq);
    block_rows(&b, r);
    if (!job->dx)
        return;
    for (long j = 0; j < c; j++)
        d[j] = _mm256_mul_ps(b.col[j], _mm256_sub_ps(_mm256_mul_ps(d[j], s2), gp));
    block_store(job->dx + i0 * c, c, d);
}

#include "kernels/softmax_ce/softmax_ce_tpl.h"

gs_status_t gs_softmax_ce_avx2(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                               long *correct, float *dlogits)
{
    return softmax_ce(n, classes, logits, labels, loss, correct, dlogits);
}

gs_status_t gs_softmax_mse_avx2(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                                long *correct, float *dlogits)
{
    return softmax_mse(n, classes, logits, labels, loss, correct, dlogits);
}
