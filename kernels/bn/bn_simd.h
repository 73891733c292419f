/* BatchNorm kernels written once over a small vector interface that bn_avx2.c and bn_avx512.c define
 * before including this file (like gemm_pack.h: static inline templates, each instance compiled with
 * its own ISA flags). The includer provides, for vectors of VL floats (VBYTES bytes):
 *   vec_t; v_zero(); v_set1(f); v_load(p); v_load_n(p, n) (lanes >= n read nothing and are 0);
 *   v_store(p, v); v_store_n(p, v, n) (writes lanes < n only); v_stream(p, v) (non-temporal store to
 *   a VBYTES-aligned p); v_fence() (orders the streaming stores); v_keep_n(v, n) (zeroes lanes >= n);
 *   v_add, v_sub, v_mul, v_div; v_fmadd(a, b, c) = a*b + c; v_fnmadd(a, b, c) = c - a*b; v_sum(v) -> float.
 *
 * Layouts: NCHW (hw > 1) is vectorized along each run of hw floats of one (image, channel), groups
 * of channels split between threads; 2-D (hw = 1) along the channels of a row, rows split between
 * threads.
 * Variance: blocks of at most BN_CHUNK floats (L1-resident) get two passes, a mean m0 and then
 * s1 = sum(x - m0), s2 = sum((x - m0)^2), so block mean = m0 + s1/k and block M2 = s2 - s1^2/k (the
 * corrected two-pass algorithm); blocks merge with Chan's formula in double. Normalization reads
 * each channel's data once more, from L2 when a channel group's slab (NCHW) fits, so DRAM sees x once.
 * Outputs larger than BN_STREAM_BYTES are written with streaming stores: the next layer would find
 * them evicted anyway, and skipping the read-for-ownership saves a third of the traffic. */
#ifndef GS_BN_SIMD_H
#define GS_BN_SIMD_H

#include <omp.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/par.h"
#include "kernels/bn/bn.h"

#define BN_CHUNK 4096L             /* floats per statistics block: 16 KiB, L1-resident for the second pass */
#define BN_ROWS_CHUNK (8L * 1024)  /* 2-D: floats per block of rows (32 KiB, in L1): short float sums,
                                    * and each block's c scalar merges stay rare next to its work */
#define BN_PER_THREAD (64L * 1024) /* elements each thread must get (2 threads from 128K): the fork costs more */
#define BN_STREAM_BYTES (16L << 20) /* half of a 32 MiB L3: larger outputs will not stay cached */

/* Count, mean and sum of squared deviations of the values merged so far. */
typedef struct {
    double count, mean, m2;
} bn_acc_t;

/* sum dy and sum dy * (x - mean) of one channel so far. */
typedef struct {
    double dy, dyx;
} bn_gsum_t;

/* Chan et al.: merges a block of nb values with mean mb and M2 m2b. */
static inline void bn_acc_merge(bn_acc_t *a, double nb, double mb, double m2b)
{
    if (nb <= 0.0)
        return;
    if (a->count == 0.0) {
        *a = (bn_acc_t){nb, mb, m2b};
        return;
    }
    const double n = a->count + nb, d = mb - a->mean;
    a->mean += d * nb / n;
    a->m2 += m2b + d * d * a->count * nb / n;
    a->count = n;
}

/* 1 / sqrt(v) in float, correctly rounded sqrt and division (what oneDNN computes), no libm. */
static inline float bn_rsqrt(float v) { return 1.0f / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(v))); }

static inline double bn_elems(const gs_bn_shape_t *s) { return (double)s->n * (double)s->c * (double)s->hw; }

static inline int bn_threads(const gs_bn_shape_t *s)
{
    return gs_par_threads(bn_elems(s), (double)BN_PER_THREAD);
}

static inline int bn_stream(const gs_bn_shape_t *s) { return 4.0 * bn_elems(s) > (double)BN_STREAM_BYTES; }

/* Floats before p reaches VBYTES alignment (at most len). */
static inline long bn_head(const float *p, long len)
{
    const long mis = (long)((uintptr_t)p % VBYTES);
    const long head = mis ? (VBYTES - mis) / (long)sizeof(float) : 0;
    return head < len ? head : len;
}

/* ---- Element-wise passes over one contiguous run, optionally streaming ---- */

/* q = (p - m) * sc + sh on len floats. */
static inline void affine_run(const float *p, float *q, long len, vec_t m, vec_t sc, vec_t sh, int stream)
{
    long j = 0;
    if (stream) {
        j = bn_head(q, len);
        if (j)
            v_store_n(q, v_fmadd(v_sub(v_load_n(p, j), m), sc, sh), j);
        for (; j + VL <= len; j += VL)
            v_stream(q + j, v_fmadd(v_sub(v_load(p + j), m), sc, sh));
    } else {
        for (; j + 2 * VL <= len; j += 2 * VL) {
            v_store(q + j, v_fmadd(v_sub(v_load(p + j), m), sc, sh));
            v_store(q + j + VL, v_fmadd(v_sub(v_load(p + j + VL), m), sc, sh));
        }
    }
    for (; j < len; j += VL) {
        const long n = len - j < VL ? len - j : VL;
        v_store_n(q + j, v_fmadd(v_sub(v_load_n(p + j, n), m), sc, sh), n);
    }
}

/* d = a * (g - b - (p - m) * q) on len floats. */
static inline vec_t dx_of(vec_t x, vec_t g, vec_t m, vec_t a, vec_t b, vec_t q)
{
    return v_mul(a, v_fnmadd(v_sub(x, m), q, v_sub(g, b)));
}

static inline void dx_run(const float *p, const float *g, float *d, long len, vec_t m, vec_t a, vec_t b, vec_t q,
                          int stream)
{
    long j = 0;
    if (stream) {
        j = bn_head(d, len);
        if (j)
            v_store_n(d, dx_of(v_load_n(p, j), v_load_n(g, j), m, a, b, q), j);
        for (; j + VL <= len; j += VL)
            v_stream(d + j, dx_of(v_load(p + j), v_load(g + j), m, a, b, q));
    }
    for (; j < len; j += VL) {
        const long n = len - j < VL ? len - j : VL;
        v_store_n(d + j, dx_of(v_load_n(p + j, n), v_load_n(g + j, n), m, a, b, q), n);
    }
}

/* ---- NCHW: the runs of channel c are x + i * cstride + c * hw (image i < n), hw floats each ----
 * Channels go in groups of g adjacent ones, whose runs in one image are contiguous (g * hw floats):
 * with short runs (LeNet's 8x8 maps: 256 bytes) a group reads memory in pieces of ~2 KiB that the
 * prefetchers follow, instead of jumping a whole image ahead after every 256 bytes. A group's data
 * of all images (<= BN_GROUP_FLOATS * n floats) is what the passes re-read, from L2. */

#define BN_GROUP_FLOATS 512L /* a group's runs in one image: 2 KiB */
#define BN_GROUP_MAX 16

/* Channels per group: runs of ~BN_GROUP_FLOATS together, but at least 4 groups per thread. */
static inline long bn_group(const gs_bn_shape_t *s, int threads)
{
    long g = BN_GROUP_FLOATS / s->hw;
    g = g < 1 ? 1 : g > BN_GROUP_MAX ? BN_GROUP_MAX : g;
    if (threads > 1 && s->c / (4L * threads) < g)
        g = s->c / (4L * threads) > 1 ? s->c / (4L * threads) : 1;
    return g;
}

/* Vector sum of one run of hw floats. */
static inline vec_t run_vsum(const float *p, long hw)
{
    vec_t a0 = v_zero(), a1 = v_zero();
    long j = 0;
    for (; j + 2 * VL <= hw; j += 2 * VL) {
        a0 = v_add(a0, v_load(p + j));
        a1 = v_add(a1, v_load(p + j + VL));
    }
    if (j + VL <= hw) {
        a0 = v_add(a0, v_load(p + j));
        j += VL;
    }
    if (j < hw)
        a1 = v_add(a1, v_load_n(p + j, hw - j));
    return v_add(a0, a1);
}

/* d1 += x - m, d2 += (x - m)^2 over one run (two chains: half the latency, half the rounding). */
static inline void run_vdev(const float *p, long hw, vec_t m, vec_t *d1, vec_t *d2)
{
    vec_t e1 = v_zero(), e2 = v_zero();
    long j = 0;
    for (; j + 2 * VL <= hw; j += 2 * VL) {
        const vec_t da = v_sub(v_load(p + j), m), db = v_sub(v_load(p + j + VL), m);
        *d1 = v_add(*d1, da);
        *d2 = v_fmadd(da, da, *d2);
        e1 = v_add(e1, db);
        e2 = v_fmadd(db, db, e2);
    }
    for (; j < hw; j += VL) {
        const vec_t d = v_keep_n(v_sub(v_load_n(p + j, hw - j), m), hw - j);
        e1 = v_add(e1, d);
        e2 = v_fmadd(d, d, e2);
    }
    *d1 = v_add(*d1, e1);
    *d2 = v_add(*d2, e2);
}

/* Mean and biased variance of the g channels whose first run is at x; blocks of whole images. */
static void group_stats(const float *x, long cstride, long hw, long n, long g, double *mean, double *var)
{
    const long imgs = BN_CHUNK / (g * hw) > 0 ? BN_CHUNK / (g * hw) : 1;
    bn_acc_t acc[BN_GROUP_MAX];
    vec_t s[BN_GROUP_MAX], d1[BN_GROUP_MAX], d2[BN_GROUP_MAX];
    float m0[BN_GROUP_MAX];
    for (long k = 0; k < g; k++)
        acc[k] = (bn_acc_t){0.0, 0.0, 0.0};
    for (long n0 = 0; n0 < n; n0 += imgs) {
        const long n1 = n0 + imgs < n ? n0 + imgs : n;
        const double cnt = (double)(n1 - n0) * (double)hw;
        for (long k = 0; k < g; k++)
            s[k] = v_zero(), d1[k] = v_zero(), d2[k] = v_zero();
        for (long i = n0; i < n1; i++)
            for (long k = 0; k < g; k++)
                s[k] = v_add(s[k], run_vsum(x + i * cstride + k * hw, hw));
        for (long k = 0; k < g; k++)
            m0[k] = (float)((double)v_sum(s[k]) / cnt);
        for (long i = n0; i < n1; i++)
            for (long k = 0; k < g; k++)
                run_vdev(x + i * cstride + k * hw, hw, v_set1(m0[k]), &d1[k], &d2[k]);
        for (long k = 0; k < g; k++) {
            const double s1 = (double)v_sum(d1[k]), s2 = (double)v_sum(d2[k]);
            bn_acc_merge(&acc[k], cnt, (double)m0[k] + s1 / cnt, s2 - s1 * s1 / cnt);
        }
    }
    for (long k = 0; k < g; k++) {
        mean[k] = acc[k].mean;
        var[k] = acc[k].m2 / acc[k].count;
    }
}

static void fwd_train_nchw(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta, float *y,
                           float *mean, float *var)
{
    const long cstride = s->c * s->hw;
    const int threads = bn_threads(s), stream = bn_stream(s);
    const long g = bn_group(s, threads), groups = (s->c + g - 1) / g;
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
#pragma omp for schedule(static)
        for (long q = 0; q < groups; q++) {
            const long c0 = q * g, gn = s->c - c0 < g ? s->c - c0 : g;
            double mu[BN_GROUP_MAX], v[BN_GROUP_MAX];
            vec_t m[BN_GROUP_MAX], sc[BN_GROUP_MAX], sh[BN_GROUP_MAX];
            group_stats(x + c0 * s->hw, cstride, s->hw, s->n, gn, mu, v);
            for (long k = 0; k < gn; k++) {
                mean[c0 + k] = (float)mu[k];
                var[c0 + k] = (float)v[k];
                m[k] = v_set1(mean[c0 + k]);
                sc[k] = v_set1(gamma[c0 + k] * bn_rsqrt(var[c0 + k] + s->eps));
                sh[k] = v_set1(beta[c0 + k]);
            }
            for (long i = 0; i < s->n; i++)
                for (long k = 0; k < gn; k++) {
                    const long off = i * cstride + (c0 + k) * s->hw;
                    affine_run(x + off, y + off, s->hw, m[k], sc[k], sh[k], stream);
                }
        }
        if (stream)
            v_fence();
    }
}

/* Inference needs no statistics: one pass over the runs in memory order, so the reads stream. */
static void fwd_infer_nchw(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                           const float *running_mean, const float *running_var, float *y)
{
    const long runs = s->n * s->c;
    const int stream = bn_stream(s), threads = bn_threads(s);
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
#pragma omp for schedule(static)
        for (long r = 0; r < runs; r++) {
            const long c = r % s->c;
            const vec_t sc = v_set1(gamma[c] * bn_rsqrt(running_var[c] + s->eps));
            affine_run(x + r * s->hw, y + r * s->hw, s->hw, v_set1(running_mean[c]), sc, v_set1(beta[c]), stream);
        }
        if (stream)
            v_fence();
    }
}

/* sum dy and sum dy * (x - mean) of the g channels whose first runs are at x and dy: float
 * vectors per block of images, double across blocks. */
static void group_grad_sums(const float *x, const float *dy, long cstride, long hw, long n, long g, const float *mean,
                            double *sdy, double *sdyx)
{
    const long imgs = BN_CHUNK / (g * hw) > 0 ? BN_CHUNK / (g * hw) : 1;
    vec_t ga[BN_GROUP_MAX], ha[BN_GROUP_MAX];
    for (long k = 0; k < g; k++)
        sdy[k] = 0.0, sdyx[k] = 0.0;
    for (long n0 = 0; n0 < n; n0 += imgs) {
        const long n1 = n0 + imgs < n ? n0 + imgs : n;
        for (long k = 0; k < g; k++)
            ga[k] = v_zero(), ha[k] = v_zero();
        for (long i = n0; i < n1; i++)
            for (long k = 0; k < g; k++) {
                const float *p = x + i * cstride + k * hw, *d = dy + i * cstride + k * hw;
                const vec_t vm = v_set1(mean[k]);
                vec_t gb = v_zero(), hb = v_zero();
                long j = 0;
                for (; j + 2 * VL <= hw; j += 2 * VL) {
                    const vec_t g0 = v_load(d + j), g1 = v_load(d + j + VL);
                    ga[k] = v_add(ga[k], g0);
                    gb = v_add(gb, g1);
                    ha[k] = v_fmadd(g0, v_sub(v_load(p + j), vm), ha[k]);
                    hb = v_fmadd(g1, v_sub(v_load(p + j + VL), vm), hb);
                }
                for (; j < hw; j += VL) {
                    const vec_t g0 = v_load_n(d + j, hw - j); /* zero past the end, so the products are too */
                    gb = v_add(gb, g0);
                    hb = v_fmadd(g0, v_sub(v_load_n(p + j, hw - j), vm), hb);
                }
                ga[k] = v_add(ga[k], gb);
                ha[k] = v_add(ha[k], hb);
            }
        for (long k = 0; k < g; k++) {
            sdy[k] += (double)v_sum(ga[k]);
            sdyx[k] += (double)v_sum(ha[k]);
        }
    }
}

/* The per-channel coefficients of dx: a = gamma * rstd, b = dbeta / M, q = rstd * dgamma / M. */
static inline void bwd_coefs(const gs_bn_shape_t *s, float gamma, float var, double sdy, double sdyx, float *dgamma,
                             float *dbeta, float *a, float *b, float *q)
{
    const double count = (double)s->n * (double)s->hw;
    const float rstd = bn_rsqrt(var + s->eps);
    *dbeta = (float)sdy;
    *dgamma = (float)(sdyx * (double)rstd);
    *a = gamma * rstd;
    *b = (float)(sdy / count);
    *q = (float)((double)rstd * sdyx * (double)rstd / count);
}

static void bwd_nchw(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma, const float *mean,
                     const float *var, float *dx, float *dgamma, float *dbeta)
{
    const long cstride = s->c * s->hw;
    const int threads = bn_threads(s), stream = bn_stream(s);
    const long g = bn_group(s, threads), groups = (s->c + g - 1) / g;
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
#pragma omp for schedule(static)
        for (long q = 0; q < groups; q++) {
            const long c0 = q * g, gn = s->c - c0 < g ? s->c - c0 : g;
            double sdy[BN_GROUP_MAX], sdyx[BN_GROUP_MAX];
            vec_t vm[BN_GROUP_MAX], va[BN_GROUP_MAX], vb[BN_GROUP_MAX], vq[BN_GROUP_MAX];
            group_grad_sums(x + c0 * s->hw, dy + c0 * s->hw, cstride, s->hw, s->n, gn, mean + c0, sdy, sdyx);
            for (long k = 0; k < gn; k++) {
                float a, b, qq;
                bwd_coefs(s, gamma[c0 + k], var[c0 + k], sdy[k], sdyx[k], &dgamma[c0 + k], &dbeta[c0 + k], &a, &b, &qq);
                vm[k] = v_set1(mean[c0 + k]), va[k] = v_set1(a), vb[k] = v_set1(b), vq[k] = v_set1(qq);
            }
            for (long i = 0; i < s->n; i++)
                for (long k = 0; k < gn; k++) {
                    const long off = i * cstride + (c0 + k) * s->hw;
                    dx_run(x + off, dy + off, dx + off, s->hw, vm[k], va[k], vb[k], vq[k], stream);
                }
        }
        if (stream)
            v_fence();
    }
}

/* ---- 2-D: row r is x + r * c, channels contiguous; thread t owns a block of rows ---- */

static inline void rows_of_thread(long rows, int t, int nt, long *r0, long *r1)
{
    *r0 = rows * t / nt;
    *r1 = rows * (t + 1) / nt;
}

/* Channels [c0, c1) of thread t of nt. */
static inline void channels_of_thread(long c, int t, int nt, long *c0, long *c1)
{
    *c0 = c * t / nt;
    *c1 = c * (t + 1) / nt;
}

/* Statistics of rows [r0, r1) for every channel, merged into acc[c] (count, mean, M2). */
static void rows_stats(const float *x, long c, long r0, long r1, bn_acc_t *acc)
{
    const long rows = BN_ROWS_CHUNK / c > 0 ? BN_ROWS_CHUNK / c : 1;
    for (long a = r0; a < r1; a += rows) {
        const long b = a + rows < r1 ? a + rows : r1;
        const float k = (float)(b - a);
        for (long j = 0; j < c; j += VL) {
            const long w = c - j < VL ? c - j : VL;
            vec_t s0 = v_zero(), s1 = v_zero(); /* two chains: half the rounding, twice the throughput */
            long r = a;
            for (; r + 1 < b; r += 2) {
                s0 = v_add(s0, v_load_n(x + r * c + j, w));
                s1 = v_add(s1, v_load_n(x + (r + 1) * c + j, w));
            }
            if (r < b)
                s0 = v_add(s0, v_load_n(x + r * c + j, w));
            const vec_t m0 = v_div(v_add(s0, s1), v_set1(k)); /* exact when the mean is representable */
            vec_t d1 = v_zero(), d2 = v_zero(), e1 = v_zero(), e2 = v_zero();
            for (r = a; r + 1 < b; r += 2) {
                const vec_t d = v_keep_n(v_sub(v_load_n(x + r * c + j, w), m0), w);
                const vec_t e = v_keep_n(v_sub(v_load_n(x + (r + 1) * c + j, w), m0), w);
                d1 = v_add(d1, d);
                d2 = v_fmadd(d, d, d2);
                e1 = v_add(e1, e);
                e2 = v_fmadd(e, e, e2);
            }
            if (r < b) {
                const vec_t d = v_keep_n(v_sub(v_load_n(x + r * c + j, w), m0), w);
                d1 = v_add(d1, d);
                d2 = v_fmadd(d, d, d2);
            }
            d1 = v_add(d1, e1);
            d2 = v_add(d2, e2);
            float fm0[VL], fs1[VL], fs2[VL];
            v_store(fm0, m0);
            v_store(fs1, d1);
            v_store(fs2, d2);
            for (long l = 0; l < w; l++)
                bn_acc_merge(&acc[j + l], (double)k, (double)fm0[l] + (double)fs1[l] / k,
                             (double)fs2[l] - (double)fs1[l] * fs1[l] / k);
        }
    }
}

/* y = (x - m) * scale + shift on one row, per-channel vectors from arrays. */
static inline vec_t row_affine_at(const float *p, const float *m, const float *sc, const float *sh, long j, long n)
{
    return v_fmadd(v_sub(v_load_n(p + j, n), v_load_n(m + j, n)), v_load_n(sc + j, n), v_load_n(sh + j, n));
}

static void rows_affine(const float *x, float *y, long c, long r0, long r1, const float *m, const float *sc,
                        const float *sh, int stream)
{
    for (long r = r0; r < r1; r++) {
        const float *p = x + r * c;
        float *q = y + r * c;
        long j = 0;
        if (stream) {
            j = bn_head(q, c);
            if (j)
                v_store_n(q, row_affine_at(p, m, sc, sh, 0, j), j);
            for (; j + VL <= c; j += VL)
                v_stream(q + j, row_affine_at(p, m, sc, sh, j, VL));
        } else {
            for (; j + VL <= c; j += VL)
                v_store(q + j, v_fmadd(v_sub(v_load(p + j), v_load(m + j)), v_load(sc + j), v_load(sh + j)));
        }
        if (j < c)
            v_store_n(q + j, row_affine_at(p, m, sc, sh, j, c - j), c - j);
    }
    if (stream)
        v_fence();
}

/* Scratch of the 2-D kernels: nt per-thread arrays of c accumulators of `acc_size` bytes, then
 * `floats` per-channel float arrays of c each. Small problems (one thread, the MLP's 128 channels)
 * use the caller's stack buffer, larger ones the heap. */
#define BN_STACK_SCRATCH 8192
typedef struct {
    char *mem;
    int heap;
    float *per_channel;
} bn_scratch_t;

static gs_status_t scratch_get(bn_scratch_t *sc, char *stack, long c, int nt, size_t acc_size, int floats)
{
    const size_t bytes = (size_t)c * ((size_t)nt * acc_size + (size_t)floats * sizeof(float));
    *sc = (bn_scratch_t){NULL, 0, NULL};
    sc->heap = bytes > BN_STACK_SCRATCH;
    sc->mem = sc->heap ? malloc(bytes) : stack;
    if (!sc->mem)
        return gs_error(GS_ENOMEM, "bn: no memory for %d x %ld per-channel accumulators", nt, c);
    sc->per_channel = (float *)(sc->mem + (size_t)c * (size_t)nt * acc_size);
    return GS_OK;
}

static void scratch_put(bn_scratch_t *sc)
{
    if (sc->heap)
        free(sc->mem);
}

typedef struct {
    const gs_bn_shape_t *s;
    const float *x, *gamma, *beta;
    float *y, *mean, *var, *scale;
    bn_acc_t *acc; /* nt rows of c */
} train2d_t;

/* Phase 1 of thread t: statistics of its rows. */
static void train2d_stats(const train2d_t *w, int t, int nt)
{
    long r0, r1;
    rows_of_thread(w->s->n, t, nt, &r0, &r1);
    bn_acc_t *mine = w->acc + (size_t)t * (size_t)w->s->c;
    for (long ch = 0; ch < w->s->c; ch++)
        mine[ch] = (bn_acc_t){0.0, 0.0, 0.0};
    rows_stats(w->x, w->s->c, r0, r1, mine);
}

/* Phase 2: the threads' statistics of channels [c0, c1) merged; mean, var and scale. */
static void train2d_merge(const train2d_t *w, int nt, long c0, long c1)
{
    for (long ch = c0; ch < c1; ch++) {
        bn_acc_t all = w->acc[ch];
        for (int u = 1; u < nt; u++) {
            const bn_acc_t *o = &w->acc[(size_t)u * (size_t)w->s->c + ch];
            bn_acc_merge(&all, o->count, o->mean, o->m2);
        }
        w->mean[ch] = (float)all.mean;
        w->var[ch] = (float)(all.m2 / all.count);
        w->scale[ch] = w->gamma[ch] * bn_rsqrt(w->var[ch] + w->s->eps);
    }
}

/* Phase 3 of thread t: its rows normalized. */
static void train2d_affine(const train2d_t *w, int t, int nt)
{
    long r0, r1;
    rows_of_thread(w->s->n, t, nt, &r0, &r1);
    rows_affine(w->x, w->y, w->s->c, r0, r1, w->mean, w->scale, w->beta, bn_stream(w->s));
}

static gs_status_t fwd_train_2d(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                float *y, float *mean, float *var)
{
    const int want = bn_threads(s);
    char stack[BN_STACK_SCRATCH];
    bn_scratch_t sc;
    gs_status_t st = scratch_get(&sc, stack, s->c, want, sizeof(bn_acc_t), 1);
    if (st != GS_OK)
        return st;
    const train2d_t w = {s, x, gamma, beta, y, mean, var, sc.per_channel, (bn_acc_t *)sc.mem};
    if (want == 1) { /* no parallel region at all: its set-up costs as much as the MLP's whole layer */
        train2d_stats(&w, 0, 1);
        train2d_merge(&w, 1, 0, s->c);
        train2d_affine(&w, 0, 1);
    } else {
#pragma omp parallel num_threads(want)
        {
            const int t = omp_get_thread_num(), nt = omp_get_num_threads();
            long c0, c1;
            channels_of_thread(s->c, t, nt, &c0, &c1);
            train2d_stats(&w, t, nt);
#pragma omp barrier
            train2d_merge(&w, nt, c0, c1);
#pragma omp barrier
            train2d_affine(&w, t, nt);
        }
    }
    scratch_put(&sc);
    return GS_OK;
}

static gs_status_t fwd_infer_2d(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                const float *running_mean, const float *running_var, float *y)
{
    const int want = bn_threads(s), stream = bn_stream(s);
    char stack[BN_STACK_SCRATCH];
    bn_scratch_t sc;
    gs_status_t st = scratch_get(&sc, stack, s->c, 0, 0, 1);
    if (st != GS_OK)
        return st;
    float *scale = sc.per_channel;
    for (long ch = 0; ch < s->c; ch++)
        scale[ch] = gamma[ch] * bn_rsqrt(running_var[ch] + s->eps);
    if (want == 1) {
        rows_affine(x, y, s->c, 0, s->n, running_mean, scale, beta, stream);
    } else {
#pragma omp parallel num_threads(want)
        {
            long r0, r1;
            rows_of_thread(s->n, omp_get_thread_num(), omp_get_num_threads(), &r0, &r1);
            rows_affine(x, y, s->c, r0, r1, running_mean, scale, beta, stream);
        }
    }
    scratch_put(&sc);
    return GS_OK;
}

/* sum dy and sum dy * (x - mean) of rows [r0, r1) per channel, added to acc[c]. */
static void rows_grad_sums(const float *x, const float *dy, long c, long r0, long r1, const float *mean,
                           bn_gsum_t *acc)
{
    const long rows = BN_ROWS_CHUNK / c > 0 ? BN_ROWS_CHUNK / c : 1;
    for (long a = r0; a < r1; a += rows) { /* float partial sums per block, double across blocks */
        const long b = a + rows < r1 ? a + rows : r1;
        for (long j = 0; j < c; j += VL) {
            const long w = c - j < VL ? c - j : VL;
            const vec_t vm = v_load_n(mean + j, w);
            vec_t g = v_zero(), h = v_zero();
            for (long r = a; r < b; r++) {
                const vec_t g0 = v_load_n(dy + r * c + j, w);
                g = v_add(g, g0);
                h = v_fmadd(g0, v_sub(v_load_n(x + r * c + j, w), vm), h);
            }
            float fg[VL], fh[VL];
            v_store(fg, g);
            v_store(fh, h);
            for (long l = 0; l < w; l++) {
                acc[j + l].dy += fg[l];
                acc[j + l].dyx += fh[l];
            }
        }
    }
}

/* dx = a * (dy - b - (x - mean) * q) for rows [r0, r1); coefs holds a, b, q, c floats each. */
static inline vec_t row_dx_at(const float *p, const float *g, const float *m, const float *coefs, long c, long j,
                              long n)
{
    return dx_of(v_load_n(p + j, n), v_load_n(g + j, n), v_load_n(m + j, n), v_load_n(coefs + j, n),
                 v_load_n(coefs + c + j, n), v_load_n(coefs + 2 * c + j, n));
}

static void rows_dx(const float *x, const float *dy, float *dx, long c, long r0, long r1, const float *mean,
                    const float *coefs, int stream)
{
    for (long r = r0; r < r1; r++) {
        const float *p = x + r * c, *g = dy + r * c;
        float *d = dx + r * c;
        long j = 0;
        if (stream) {
            j = bn_head(d, c);
            if (j)
                v_store_n(d, row_dx_at(p, g, mean, coefs, c, 0, j), j);
            for (; j + VL <= c; j += VL)
                v_stream(d + j, row_dx_at(p, g, mean, coefs, c, j, VL));
        }
        for (; j < c; j += VL) {
            const long n = c - j < VL ? c - j : VL;
            v_store_n(d + j, row_dx_at(p, g, mean, coefs, c, j, n), n);
        }
    }
    if (stream)
        v_fence();
}

typedef struct {
    const gs_bn_shape_t *s;
    const float *x, *dy, *gamma, *mean, *var;
    float *dx, *dgamma, *dbeta, *coefs;
    bn_gsum_t *acc; /* nt rows of c */
} bwd2d_t;

static void bwd2d_sums(const bwd2d_t *w, int t, int nt)
{
    long r0, r1;
    rows_of_thread(w->s->n, t, nt, &r0, &r1);
    bn_gsum_t *mine = w->acc + (size_t)t * (size_t)w->s->c;
    for (long ch = 0; ch < w->s->c; ch++)
        mine[ch] = (bn_gsum_t){0.0, 0.0};
    rows_grad_sums(w->x, w->dy, w->s->c, r0, r1, w->mean, mine);
}

static void bwd2d_merge(const bwd2d_t *w, int nt, long c0, long c1)
{
    const long c = w->s->c;
    for (long ch = c0; ch < c1; ch++) {
        double sdy = 0.0, sdyx = 0.0;
        for (int u = 0; u < nt; u++) {
            sdy += w->acc[(size_t)u * (size_t)c + ch].dy;
            sdyx += w->acc[(size_t)u * (size_t)c + ch].dyx;
        }
        bwd_coefs(w->s, w->gamma[ch], w->var[ch], sdy, sdyx, &w->dgamma[ch], &w->dbeta[ch], &w->coefs[ch],
                  &w->coefs[c + ch], &w->coefs[2 * c + ch]);
    }
}

static void bwd2d_dx(const bwd2d_t *w, int t, int nt)
{
    long r0, r1;
    rows_of_thread(w->s->n, t, nt, &r0, &r1);
    rows_dx(w->x, w->dy, w->dx, w->s->c, r0, r1, w->mean, w->coefs, bn_stream(w->s));
}

static gs_status_t bwd_2d(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma,
                          const float *mean, const float *var, float *dx, float *dgamma, float *dbeta)
{
    const int want = bn_threads(s);
    char stack[BN_STACK_SCRATCH];
    bn_scratch_t sc;
    gs_status_t st = scratch_get(&sc, stack, s->c, want, sizeof(bn_gsum_t), 3);
    if (st != GS_OK)
        return st;
    const bwd2d_t w = {s, x, dy, gamma, mean, var, dx, dgamma, dbeta, sc.per_channel, (bn_gsum_t *)sc.mem};
    if (want == 1) {
        bwd2d_sums(&w, 0, 1);
        bwd2d_merge(&w, 1, 0, s->c);
        bwd2d_dx(&w, 0, 1);
    } else {
#pragma omp parallel num_threads(want)
        {
            const int t = omp_get_thread_num(), nt = omp_get_num_threads();
            long c0, c1;
            channels_of_thread(s->c, t, nt, &c0, &c1);
            bwd2d_sums(&w, t, nt);
#pragma omp barrier
            bwd2d_merge(&w, nt, c0, c1);
#pragma omp barrier
            bwd2d_dx(&w, t, nt);
        }
    }
    scratch_put(&sc);
    return GS_OK;
}

/* ---- The entries each ISA file exports ---- */

static inline gs_status_t bn_fwd_train_tpl(const gs_bn_shape_t *s, const float *x, const float *gamma,
                                           const float *beta, float *y, float *mean, float *var, float *running_mean,
                                           float *running_var, float momentum)
{
    if (s->hw == 1) {
        gs_status_t st = fwd_train_2d(s, x, gamma, beta, y, mean, var);
        if (st != GS_OK)
            return st;
    } else {
        fwd_train_nchw(s, x, gamma, beta, y, mean, var);
    }
    gs_bn_update_running(s, mean, var, running_mean, running_var, momentum);
    return GS_OK;
}

static inline gs_status_t bn_fwd_infer_tpl(const gs_bn_shape_t *s, const float *x, const float *gamma,
                                           const float *beta, const float *running_mean, const float *running_var,
                                           float *y)
{
    if (s->hw == 1)
        return fwd_infer_2d(s, x, gamma, beta, running_mean, running_var, y);
    fwd_infer_nchw(s, x, gamma, beta, running_mean, running_var, y);
    return GS_OK;
}

static inline gs_status_t bn_bwd_tpl(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma,
                                     const float *mean, const float *var, float *dx, float *dgamma, float *dbeta)
{
    if (s->hw == 1)
        return bwd_2d(s, x, dy, gamma, mean, var, dx, dgamma, dbeta);
    bwd_nchw(s, x, dy, gamma, mean, var, dx, dgamma, dbeta);
    return GS_OK;
}

#endif
