/* AVX-512 softmax cross-entropy / MSE. A row of up to 16 classes (10 in every scenario) is one
 * masked zmm: max, exp, sum, argmax, loss terms and gradient in registers, one load and one store
 * per row; the rows' logs are taken 16 at a time with one vector log. Wider rows walk 16-class
 * chunks. Also built against SIMDe for the tests (see core/simd_avx512.h). */
#include "core/simd_avx512.h"
#include "kernels/act/vmath_avx512.h"
#include "kernels/softmax_ce/softmax_ce.h"
#include "kernels/softmax_ce/softmax_ce_rows.h"

#define W 16

static inline __mmask16 lanes(long rem) { return rem >= W ? (__mmask16)0xffff : (__mmask16)((1u << rem) - 1u); }
static inline __m512 neg_inf(void) { return _mm512_set1_ps(-GS_VMATH_INF); }

/* The first index holding the row maximum m within a chunk starting at `base`, or -1. */
static inline long first_max(__m512 v, float m, __mmask16 k, long base)
{
    const unsigned top = _mm512_cmp_ps_mask(v, _mm512_set1_ps(m), _CMP_EQ_OQ) & k;
    return top ? base + __builtin_ctz(top) : -1;
}

/* ---- rows of at most 16 classes ---- */

static void ce_row_narrow(const float *x, long c, int32_t y, float inv_n, float *dx, gs_softmax_row_t *r)
{
    const __mmask16 k = lanes(c);
    const __m512 v = _mm512_mask_loadu_ps(neg_inf(), k, x);
    r->m = _mm512_reduce_max_ps(v);
    r->argmax = first_max(v, r->m, k, 0);
    const __m512 e = gs_vmath_exp512(_mm512_sub_ps(v, _mm512_set1_ps(r->m))); /* 0 in unused lanes */
    r->s = _mm512_reduce_add_ps(e);
    r->xy = x[y];
    if (dx) {
        __m512 g = _mm512_mul_ps(e, _mm512_set1_ps(inv_n / r->s));
        g = _mm512_mask_sub_ps(g, (__mmask16)(1u << y), g, _mm512_set1_ps(inv_n));
        _mm512_mask_storeu_ps(dx, k, g);
    }
}

/* MSE: L_row = sum (p - t)^2; dz = p (g - sum g p) with g = 2 (p - t) / (n c). */
static void mse_row_narrow(const float *x, long c, int32_t y, float scale2, float *dx, gs_softmax_row_t *r)
{
    const __mmask16 k = lanes(c), ky = (__mmask16)(1u << y);
    const __m512 v = _mm512_mask_loadu_ps(neg_inf(), k, x);
    r->m = _mm512_reduce_max_ps(v);
    r->argmax = first_max(v, r->m, k, 0);
    const __m512 e = gs_vmath_exp512(_mm512_sub_ps(v, _mm512_set1_ps(r->m)));
    r->s = _mm512_reduce_add_ps(e);
    const __m512 p = _mm512_div_ps(e, _mm512_set1_ps(r->s));
    const __m512 d = _mm512_mask_sub_ps(p, ky, p, _mm512_set1_ps(1.0f));
    r->sq = _mm512_reduce_add_ps(_mm512_mul_ps(d, d));
    if (dx) {
        const __m512 g = _mm512_mul_ps(d, _mm512_set1_ps(scale2));
        const float gp = _mm512_reduce_add_ps(_mm512_mul_ps(g, p));
        _mm512_mask_storeu_ps(dx, k, _mm512_mul_ps(p, _mm512_sub_ps(g, _mm512_set1_ps(gp))));
    }
}

/* ---- wider rows: 16-class chunks ---- */

static float row_max(const float *x, long c)
{
    __m512 mx = neg_inf();
    for (long j = 0; j < c; j += W)
        mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(neg_inf(), lanes(c - j), x + j));
    return _mm512_reduce_max_ps(mx);
}

/* Sum of e^(x - m) and the first argmax; the exponentials go to `e` when it is not NULL. */
static float row_exp_sum(const float *x, long c, float m, float *e, long *argmax)
{
    __m512 acc = _mm512_setzero_ps();
    *argmax = -1;
    for (long j = 0; j < c; j += W) {
        const __mmask16 k = lanes(c - j);
        const __m512 v = _mm512_mask_loadu_ps(neg_inf(), k, x + j);
        if (*argmax < 0)
            *argmax = first_max(v, m, k, j);
        const __m512 ev = gs_vmath_exp512(_mm512_sub_ps(v, _mm512_set1_ps(m)));
        acc = _mm512_add_ps(acc, ev);
        if (e)
            _mm512_mask_storeu_ps(e + j, k, ev);
    }
    return _mm512_reduce_add_ps(acc);
}

static void ce_row_wide(const float *x, long c, int32_t y, float inv_n, float *dx, gs_softmax_row_t *r)
{
    r->m = row_max(x, c);
    r->s = row_exp_sum(x, c, r->m, dx, &r->argmax);
    r->xy = x[y];
    if (!dx)
        return;
    const __m512 f = _mm512_set1_ps(inv_n / r->s);
    for (long j = 0; j < c; j += W) {
        const __mmask16 k = lanes(c - j);
        _mm512_mask_storeu_ps(dx + j, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, dx + j), f));
    }
    dx[y] -= inv_n;
}

/* p = e^(x - m) / s, recomputed when there is no dx row to keep it in. */
static __m512 prob_chunk(const float *x, const float *dx, long j, __mmask16 k, float m, float s)
{
    const __m512 e = dx ? _mm512_maskz_loadu_ps(k, dx + j)
                        : gs_vmath_exp512(_mm512_sub_ps(_mm512_mask_loadu_ps(neg_inf(), k, x + j), _mm512_set1_ps(m)));
    return _mm512_div_ps(e, _mm512_set1_ps(s));
}

static void mse_row_wide(const float *x, long c, int32_t y, float scale2, float *dx, gs_softmax_row_t *r)
{
    r->m = row_max(x, c);
    r->s = row_exp_sum(x, c, r->m, dx, &r->argmax);
    __m512 sq = _mm512_setzero_ps(), gp = _mm512_setzero_ps();
    for (long j = 0; j < c; j += W) { /* loss terms and sum g p; dx keeps p */
        const __mmask16 k = lanes(c - j);
        const __m512 p = prob_chunk(x, dx, j, k, r->m, r->s);
        const __mmask16 ky = y >= j && y < j + W ? (__mmask16)(1u << (y - j)) : 0;
        const __m512 d = _mm512_mask_sub_ps(p, ky, p, _mm512_set1_ps(1.0f));
        sq = _mm512_add_ps(sq, _mm512_mul_ps(d, d));
        gp = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(scale2)), p, gp);
        if (dx)
            _mm512_mask_storeu_ps(dx + j, k, p);
    }
    r->sq = _mm512_reduce_add_ps(sq);
    if (!dx)
        return;
    const __m512 vgp = _mm512_set1_ps(_mm512_reduce_add_ps(gp));
    for (long j = 0; j < c; j += W) {
        const __mmask16 k = lanes(c - j);
        const __mmask16 ky = y >= j && y < j + W ? (__mmask16)(1u << (y - j)) : 0;
        const __m512 p = _mm512_maskz_loadu_ps(k, dx + j);
        const __m512 g = _mm512_mul_ps(_mm512_mask_sub_ps(p, ky, p, _mm512_set1_ps(1.0f)), _mm512_set1_ps(scale2));
        _mm512_mask_storeu_ps(dx + j, k, _mm512_mul_ps(p, _mm512_sub_ps(g, vgp)));
    }
}

/* ---- blocks of rows ---- */

/* Cross-entropy terms m + log s - x_y of up to 16 rows, with one vector log. */
static void ce_block_loss(const gs_softmax_row_t *r, int nb, float *terms)
{
    float m[W], s[W], xy[W];
    for (int b = 0; b < W; b++) {
        m[b] = b < nb ? r[b].m : 0.0f;
        s[b] = b < nb ? r[b].s : 1.0f;
        xy[b] = b < nb ? r[b].xy : 0.0f;
    }
    const __m512 t = _mm512_add_ps(_mm512_sub_ps(_mm512_loadu_ps(m), _mm512_loadu_ps(xy)),
                                   gs_vmath_log512(_mm512_loadu_ps(s)));
    _mm512_storeu_ps(terms, t);
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
            if (c <= W)
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
            if (c <= W)
                mse_row_narrow(job->x + i * c, c, job->y[i], job->scale2, dx, &r[b]);
            else
                mse_row_wide(job->x + i * c, c, job->y[i], job->scale2, dx, &r[b]);
            terms[b] = r[b].sq;
        }
        gs_softmax_rows_tally(r, terms, nb, job->y + i0, loss, hits);
    }
}

gs_status_t gs_softmax_ce_avx512(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                                 long *correct, float *dlogits)
{
    const gs_softmax_rows_t job = gs_softmax_rows_job(n, classes, logits, labels, dlogits);
    return gs_softmax_rows_run(&job, ce_rows, 0, loss, correct);
}

gs_status_t gs_softmax_mse_avx512(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                                  long *correct, float *dlogits)
{
    const gs_softmax_rows_t job = gs_softmax_rows_job(n, classes, logits, labels, dlogits);
    return gs_softmax_rows_run(&job, mse_rows, 1, loss, correct);
}
