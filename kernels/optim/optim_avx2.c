/* AVX2 optimizer updates: one fused pass per step over w, g and the state (8 floats a vector,
 * maskload/maskstore tail), a double-accumulating sum of squares, scaling, and Gaussian noise from
 * Philox4x32 run on 8 counters at once with a vectorized Box-Muller (vmath log and sincos); the
 * threading and entries are optim_tpl.h's. The same arithmetic as optim_avx512.c, lane for lane. */
#include <float.h>
#include <immintrin.h>

#include "core/lanes_avx2.h"
#include "kernels/act/vmath_avx2.h"
#include "kernels/optim/optim_impl.h"

#define W 8

typedef __m256 vec_t;
static inline vec_t vec_set1(float v) { return _mm256_set1_ps(v); }

typedef struct {
    vec_t lr, mu, b1, one_b1, b2, one_b2, eps, step_size, inv_sqrt_c2, decay, one_decay, sd_mu;
} coef_t;

static inline __m256 sgd1(const coef_t *k, __m256 w, __m256 g) { return _mm256_fnmadd_ps(k->lr, g, w); }

static inline __m256 momentum1(const coef_t *k, __m256 w, __m256 g, __m256 *v)
{
    *v = _mm256_fmsub_ps(k->mu, *v, _mm256_mul_ps(k->lr, g));
    return _mm256_add_ps(w, *v);
}

static inline __m256 adam1(const coef_t *k, __m256 w, __m256 g, __m256 *m, __m256 *v)
{
    *m = _mm256_fmadd_ps(k->b1, *m, _mm256_mul_ps(k->one_b1, g));
    *v = _mm256_fmadd_ps(k->b2, *v, _mm256_mul_ps(k->one_b2, _mm256_mul_ps(g, g)));
    const __m256 den = _mm256_fmadd_ps(_mm256_sqrt_ps(*v), k->inv_sqrt_c2, k->eps);
    return _mm256_fnmadd_ps(k->step_size, _mm256_div_ps(*m, den), w);
}

static inline __m256 sdagd1(const coef_t *k, __m256 w, __m256 g, __m256 *h)
{
    *h = _mm256_fmadd_ps(k->decay, *h, _mm256_mul_ps(k->one_decay, _mm256_mul_ps(g, g)));
    const __m256 den = _mm256_max_ps(_mm256_add_ps(k->sd_mu, *h), _mm256_set1_ps(FLT_MIN));
    return _mm256_sub_ps(w, _mm256_div_ps(g, den));
}

static inline __m256 load(const float *p, __m256i m, int full) { return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m); }

static inline void store(float *p, __m256i m, int full, __m256 v)
{
    if (full)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, m, v);
}

/* One vector of the step of `kind`; s0/s1 the state arrays the kind keeps. */
GS_VMATH_INLINE void step_vec(gs_opt_kind_t kind, const coef_t *k, float *w, const float *g, float *s0, float *s1,
                              __m256i m, int full)
{
    const __m256 vw = load(w, m, full), vg = load(g, m, full);
    __m256 a = s0 ? load(s0, m, full) : vw, b = s1 ? load(s1, m, full) : vw;
    __m256 r;
    switch (kind) {
    case GS_OPT_MOMENTUM: r = momentum1(k, vw, vg, &a); break;
    case GS_OPT_ADAM: r = adam1(k, vw, vg, &a, &b); break;
    case GS_OPT_SDAGD: r = sdagd1(k, vw, vg, &a); break;
    default: r = sgd1(k, vw, vg); break;
    }
    store(w, m, full, r);
    if (s0)
        store(s0, m, full, a);
    if (s1)
        store(s1, m, full, b);
}

/* Inlined once per kind (kind is a constant at every call), so each loop has no branch on it. */
GS_VMATH_INLINE void step_chunk(gs_opt_kind_t kind, const coef_t *k, long n, float *w, const float *g, float *s0,
                                float *s1)
{
    const __m256i all = _mm256_set1_epi32(-1);
    long i = 0;
    for (; i + W <= n; i += W)
        step_vec(kind, k, w + i, g + i, s0 ? s0 + i : NULL, s1 ? s1 + i : NULL, all, 1);
    if (i < n)
        step_vec(kind, k, w + i, g + i, s0 ? s0 + i : NULL, s1 ? s1 + i : NULL, gs_lanes_below(n - i), 0);
}

/* ---- sum of squares: float -> double, 4 independent double accumulators ---- */

static double sumsq_chunk(long n, const float *g)
{
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    long i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        const __m256d u0 = _mm256_cvtps_pd(_mm_loadu_ps(g + i)), u1 = _mm256_cvtps_pd(_mm_loadu_ps(g + i + 4));
        const __m256d v0 = _mm256_cvtps_pd(_mm_loadu_ps(g + i + 8)), v1 = _mm256_cvtps_pd(_mm_loadu_ps(g + i + 12));
        a0 = _mm256_fmadd_pd(u0, u0, a0);
        a1 = _mm256_fmadd_pd(u1, u1, a1);
        a2 = _mm256_fmadd_pd(v0, v0, a2);
        a3 = _mm256_fmadd_pd(v1, v1, a3);
    }
    for (; i < n; i += W) {
        const __m256 u = _mm256_maskload_ps(g + i, gs_lanes_below(n - i));
        const __m256d u0 = _mm256_cvtps_pd(_mm256_castps256_ps128(u)), u1 = _mm256_cvtps_pd(_mm256_extractf128_ps(u, 1));
        a0 = _mm256_fmadd_pd(u0, u0, a0);
        a1 = _mm256_fmadd_pd(u1, u1, a1);
    }
    const __m256d a = _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3));
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

/* g[lo, hi) *= scale. */
static void scale_range(float *g, float scale, long lo, long hi)
{
    const __m256 s = _mm256_set1_ps(scale);
    long i = lo;
    for (; i + W <= hi; i += W)
        _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), s));
    if (i < hi) {
        const __m256i m = gs_lanes_below(hi - i);
        _mm256_maskstore_ps(g + i, m, _mm256_mul_ps(_mm256_maskload_ps(g + i, m), s));
    }
}

/* ---- Gaussian noise: Philox4x32-10 on 8 consecutive counters, one per lane ---- */

/* High and low 32 bits of a * m per 32-bit lane (even lanes from one 32x32->64 multiply, odd
 * lanes from a second on the shifted operand). */
static inline void mulhilo(__m256i a, __m256i m, __m256i *hi, __m256i *lo)
{
    const __m256i even = _mm256_mul_epu32(a, m), odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xaa);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xaa);
}

/* The four output words of counters b0 .. b0+7 (lane j: counter b0 + j), as gs_philox4x32. */
static void philox8(uint64_t seed, uint64_t stream, uint64_t b0, __m256i out[4])
{
    uint32_t lo32[W], hi32[W];
    for (int j = 0; j < W; j++) {
        lo32[j] = (uint32_t)(b0 + (uint64_t)j);
        hi32[j] = (uint32_t)((b0 + (uint64_t)j) >> 32);
    }
    __m256i c0 = _mm256_loadu_si256((const __m256i *)lo32), c1 = _mm256_loadu_si256((const __m256i *)hi32);
    __m256i c2 = _mm256_set1_epi32((int)(uint32_t)stream), c3 = _mm256_set1_epi32((int)(uint32_t)(stream >> 32));
    const __m256i m0 = _mm256_set1_epi32((int)GS_PHILOX_M0), m1 = _mm256_set1_epi32((int)GS_PHILOX_M1);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        __m256i hi0, lo0, hi1, lo1;
        mulhilo(c0, m0, &hi0, &lo0);
        mulhilo(c2, m1, &hi1, &lo1);
        c0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32((int)k0));
        c2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32((int)k1));
        c1 = lo1;
        c3 = lo0;
        k0 += GS_PHILOX_W0;
        k1 += GS_PHILOX_W1;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

/* ((w >> 8) + 1) / 2^24 in (0, 1]. */
static inline __m256 open01(__m256i w)
{
    const __m256i k = _mm256_add_epi32(_mm256_srli_epi32(w, 8), _mm256_set1_epi32(1));
    return _mm256_mul_ps(_mm256_cvtepi32_ps(k), _mm256_set1_ps(GS_NOISE_U_SCALE));
}

/* The 32 normals of counters b0 .. b0+7 in element order (z[v] holds elements 8v .. 8v+7 of the
 * block): Box-Muller per lane, then a 4x8 transpose. */
static void normals32(uint64_t seed, uint64_t stream, uint64_t b0, __m256 z[4])
{
    __m256i wd[4];
    philox8(seed, stream, b0, wd);
    __m256 zz[4];
    for (int p = 0; p < 2; p++) {
        const __m256 r = _mm256_sqrt_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), gs_vmath_log256(open01(wd[2 * p]))));
        __m256 s, c;
        gs_vmath_sincos2pi256(open01(wd[2 * p + 1]), &s, &c);
        zz[2 * p] = _mm256_mul_ps(r, c);
        zz[2 * p + 1] = _mm256_mul_ps(r, s);
    }
    /* lanes: zz[k][j] is word k of counter j; wanted: element 4 j + k */
    const __m256 a = _mm256_unpacklo_ps(zz[0], zz[1]), b = _mm256_unpackhi_ps(zz[0], zz[1]);
    const __m256 c = _mm256_unpacklo_ps(zz[2], zz[3]), d = _mm256_unpackhi_ps(zz[2], zz[3]);
    const __m256 e = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(a), _mm256_castps_pd(c)));
    const __m256 f = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(a), _mm256_castps_pd(c)));
    const __m256 g = _mm256_castpd_ps(_mm256_unpacklo_pd(_mm256_castps_pd(b), _mm256_castps_pd(d)));
    const __m256 h = _mm256_castpd_ps(_mm256_unpackhi_pd(_mm256_castps_pd(b), _mm256_castps_pd(d)));
    /* e = counters 0 | 4, f = 1 | 5, g = 2 | 6, h = 3 | 7 (one per 128-bit half) */
    z[0] = _mm256_permute2f128_ps(e, f, 0x20);
    z[1] = _mm256_permute2f128_ps(g, h, 0x20);
    z[2] = _mm256_permute2f128_ps(e, f, 0x31);
    z[3] = _mm256_permute2f128_ps(g, h, 0x31);
}

#define NOISE_BLOCK (4 * W) /* elements per normals32 call */

/* g[lo, hi) += std * z, lo a multiple of NOISE_BLOCK. */
static void noise_range(float *g, float std, uint64_t seed, uint64_t stream, long lo, long hi)
{
    const __m256 vs = _mm256_set1_ps(std);
    for (long i = lo; i < hi; i += NOISE_BLOCK) {
        __m256 z[4];
        normals32(seed, stream, (uint64_t)i / 4, z);
        for (int v = 0; v < 4 && i + W * v < hi; v++) {
            float *p = g + i + W * v;
            const int full = i + W * (v + 1) <= hi;
            const __m256i m = gs_lanes_below(hi - i - W * v);
            store(p, m, full, _mm256_fmadd_ps(vs, z[v], load(p, m, full)));
        }
    }
}

#include "kernels/optim/optim_tpl.h"

gs_status_t gs_opt_step_avx2(const gs_opt_t *opt, long n, float *w, const float *g, float *state, long step)
{
    return opt_step(opt, n, w, g, state, step);
}

gs_status_t gs_sumsq_avx2(long n, const float *g, double *out) { return sumsq(n, g, out); }

gs_status_t gs_scale_avx2(long n, float *g, float s) { return scale(n, g, s); }

gs_status_t gs_add_noise_avx2(long n, float *g, float std, uint64_t seed, uint64_t stream)
{
    return add_noise(n, g, std, seed, stream);
}
