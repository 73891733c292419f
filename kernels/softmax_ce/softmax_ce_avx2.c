/* AVX2 softmax cross-entropy / MSE. A row of up to 16 classes (10 in every scenario) is two ymm
 * (classes 0-7 and 8-15, masked): max, exp, sum, argmax, loss terms and gradient in registers; the
 * rows' logs are taken 8 at a time with one vector log. Wider rows walk 8-class chunks. */
#include <immintrin.h>

#include "kernels/act/vmath_avx2.h"
#include "kernels/softmax_ce/softmax_ce.h"
#include "kernels/softmax_ce/softmax_ce_rows.h"

#define W 8

static inline __m256i lanes(long rem)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(rem > W ? W : (int)rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline __m256 neg_inf(void) { return _mm256_set1_ps(-GS_VMATH_INF); }

/* Classes [j, j + 8) of a row, -inf past its end. */
static inline __m256 load_chunk(const float *x, long c, long j)
{
    const __m256i k = lanes(c - j);
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

static inline void store_chunk(float *dx, long c, long j, __m256 v) { _mm256_maskstore_ps(dx + j, lanes(c - j), v); }

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
        store_chunk(dx, c, j, _mm256_mul_ps(_mm256_maskload_ps(dx + j, lanes(c - j)), f));
    dx[y] -= inv_n;
}

/* p = e^(x - m) / s, recomputed when there is no dx row to keep it in. */
static __m256 prob_chunk(const float *x, const float *dx, long c, long j, float m, float s)
{
    const __m256 e = dx ? _mm256_maskload_ps(dx + j, lanes(c - j))
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
        const __m256 p = _mm256_maskload_ps(dx + j, lanes(c - j));
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

static void ce_rows(const gs_softmax_rows_t *job, long r0, long r1, double *loss, long *hits)
{
    gs_softmax_row_t r[W];
    float terms[W];
    const long c = job->c;
    for (long i0 = r0; i0 < r1; i0 += W) {
        const int nb = (int)(r1 - i0 < W ? r1 - i0 : W);
        for (int b = 0; b < nb; b++) {
            const long i = i0 + b;
            float *dx = job->dx ? job->dx + i * c : NULL;
            if (c <= 2 * W)
                ce_row_narrow(job->x + i * c, c, job->y[i], job->inv_n, dx, &r[b]);
            else
                ce_row_wide(job->x + i * c, c, job->y[i], job->inv_n, dx, &r[b]);
        }
        ce_block_loss(r, nb, terms);
        gs_softmax_rows_tally(r, terms, nb, job->y + i0, loss, hits);
    }
}

static void mse_rows(const gs_softmax_rows_t *job, long r0, long r1, double *loss, long *hits)
{
    gs_softmax_row_t r[W];
    float terms[W];
    const long c = job->c;
    for (long i0 = r0; i0 < r1; i0 += W) {
        const int nb = (int)(r1 - i0 < W ? r1 - i0 : W);
        for (int b = 0; b < nb; b++) {
            const long i = i0 + b;
            float *dx = job->dx ? job->dx + i * c : NULL;
            if (c <= 2 * W)
                mse_row_narrow(job->x + i * c, c, job->y[i], job->scale2, dx, &r[b]);
            else
                mse_row_wide(job->x + i * c, c, job->y[i], job->scale2, dx, &r[b]);
            terms[b] = r[b].sq;
        }
        gs_softmax_rows_tally(r, terms, nb, job->y + i0, loss, hits);
    }
}

gs_status_t gs_softmax_ce_avx2(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                               long *correct, float *dlogits)
{
    const gs_softmax_rows_t job = gs_softmax_rows_job(n, classes, logits, labels, dlogits);
    return gs_softmax_rows_run(&job, ce_rows, 0, loss, correct);
}

gs_status_t gs_softmax_mse_avx2(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                                long *correct, float *dlogits)
{
    const gs_softmax_rows_t job = gs_softmax_rows_job(n, classes, logits, labels, dlogits);
    return gs_softmax_rows_run(&job, mse_rows, 1, loss, correct);
}
