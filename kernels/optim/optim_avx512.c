/* AVX-512 optimizer updates: one fused pass per step over w, g and the state (16 floats a vector,
 * masked tail), a double-accumulating sum of squares, scaling, and Gaussian noise from Philox4x32
 * run on 16 counters at once with a vectorized Box-Muller (vmath log and sincos); the threading and
 * entries are optim_tpl.h's. Also built against SIMDe for the tests. */
#include <float.h>

#include "core/lanes_avx512.h"
#include "core/simd_avx512.h"
#include "kernels/act/vmath_avx512.h"
#include "kernels/optim/optim_impl.h"

#define W 16

typedef __m512 vec_t;
static inline vec_t vec_set1(float v) { return _mm512_set1_ps(v); }

/* ---- one vector of each update; v* are the loaded state vectors, updated in place ---- */

typedef struct {
    vec_t lr, mu, b1, one_b1, b2, one_b2, eps, step_size, inv_sqrt_c2, decay, one_decay, sd_mu;
} coef_t;

static inline __m512 sgd1(const coef_t *k, __m512 w, __m512 g) { return _mm512_fnmadd_ps(k->lr, g, w); }

static inline __m512 momentum1(const coef_t *k, __m512 w, __m512 g, __m512 *v)
{
    *v = _mm512_fmsub_ps(k->mu, *v, _mm512_mul_ps(k->lr, g));
    return _mm512_add_ps(w, *v);
}

static inline __m512 adam1(const coef_t *k, __m512 w, __m512 g, __m512 *m, __m512 *v)
{
    *m = _mm512_fmadd_ps(k->b1, *m, _mm512_mul_ps(k->one_b1, g));
    *v = _mm512_fmadd_ps(k->b2, *v, _mm512_mul_ps(k->one_b2, _mm512_mul_ps(g, g)));
    const __m512 den = _mm512_fmadd_ps(_mm512_sqrt_ps(*v), k->inv_sqrt_c2, k->eps);
    return _mm512_fnmadd_ps(k->step_size, _mm512_div_ps(*m, den), w);
}

static inline __m512 sdagd1(const coef_t *k, __m512 w, __m512 g, __m512 *h)
{
    *h = _mm512_fmadd_ps(k->decay, *h, _mm512_mul_ps(k->one_decay, _mm512_mul_ps(g, g)));
    const __m512 den = _mm512_max_ps(_mm512_add_ps(k->sd_mu, *h), _mm512_set1_ps(FLT_MIN));
    return _mm512_sub_ps(w, _mm512_div_ps(g, den));
}

/* ---- one chunk [0, n) of a step: full vectors, then the masked tail ---- */

/* One vector at p (mask m) of the step of `kind`; s0/s1 the state arrays the kind keeps. */
GS_VMATH_INLINE void step_vec(gs_opt_kind_t kind, const coef_t *k, float *w, const float *g, float *s0, float *s1,
                              __mmask16 m, int full)
{
    const __m512 vw = full ? _mm512_loadu_ps(w) : _mm512_maskz_loadu_ps(m, w);
    const __m512 vg = full ? _mm512_loadu_ps(g) : _mm512_maskz_loadu_ps(m, g);
    __m512 a = s0 ? (full ? _mm512_loadu_ps(s0) : _mm512_maskz_loadu_ps(m, s0)) : vw;
    __m512 b = s1 ? (full ? _mm512_loadu_ps(s1) : _mm512_maskz_loadu_ps(m, s1)) : vw;
    __m512 r;
    switch (kind) {
    case GS_OPT_MOMENTUM: r = momentum1(k, vw, vg, &a); break;
    case GS_OPT_ADAM: r = adam1(k, vw, vg, &a, &b); break;
    case GS_OPT_SDAGD: r = sdagd1(k, vw, vg, &a); break;
    default: r = sgd1(k, vw, vg); break;
    }
    if (full) {
        _mm512_storeu_ps(w, r);
        if (s0)
            _mm512_storeu_ps(s0, a);
        if (s1)
            _mm512_storeu_ps(s1, b);
    } else {
        _mm512_mask_storeu_ps(w, m, r);
        if (s0)
            _mm512_mask_storeu_ps(s0, m, a);
        if (s1)
            _mm512_mask_storeu_ps(s1, m, b);
    }
}

/* Inlined once per kind (kind is a constant at every call), so each loop has no branch on it. */
GS_VMATH_INLINE void step_chunk(gs_opt_kind_t kind, const coef_t *k, long n, float *w, const float *g, float *s0,
                                float *s1)
{
    long i = 0;
    for (; i + W <= n; i += W)
        step_vec(kind, k, w + i, g + i, s0 ? s0 + i : NULL, s1 ? s1 + i : NULL, 0xffff, 1);
    if (i < n)
        step_vec(kind, k, w + i, g + i, s0 ? s0 + i : NULL, s1 ? s1 + i : NULL, gs_mask_below(n - i), 0);
}

/* ---- sum of squares: float -> double, 4 independent double accumulators ---- */

static inline __m512d lo_pd(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
static inline __m512d hi_pd(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_shuffle_f32x4(v, v, 0xee))); }

static double sumsq_chunk(long n, const float *g)
{
    __m512d a0 = _mm512_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    long i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        const __m512 u = _mm512_loadu_ps(g + i), v = _mm512_loadu_ps(g + i + W);
        const __m512d u0 = lo_pd(u), u1 = hi_pd(u), v0 = lo_pd(v), v1 = hi_pd(v);
        a0 = _mm512_fmadd_pd(u0, u0, a0);
        a1 = _mm512_fmadd_pd(u1, u1, a1);
        a2 = _mm512_fmadd_pd(v0, v0, a2);
        a3 = _mm512_fmadd_pd(v1, v1, a3);
    }
    for (; i < n; i += W) {
        const __m512 u = _mm512_maskz_loadu_ps(gs_mask_below(n - i), g + i);
        const __m512d u0 = lo_pd(u), u1 = hi_pd(u);
        a0 = _mm512_fmadd_pd(u0, u0, a0);
        a1 = _mm512_fmadd_pd(u1, u1, a1);
    }
    return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3)));
}

/* g[lo, hi) *= scale. */
static void scale_range(float *g, float scale, long lo, long hi)
{
    const __m512 s = _mm512_set1_ps(scale);
    long i = lo;
    for (; i + W <= hi; i += W)
        _mm512_storeu_ps(g + i, _mm512_mul_ps(_mm512_loadu_ps(g + i), s));
    if (i < hi)
        _mm512_mask_storeu_ps(g + i, gs_mask_below(hi - i), _mm512_mul_ps(_mm512_maskz_loadu_ps(gs_mask_below(hi - i), g + i), s));
}

/* ---- Gaussian noise: Philox4x32-10 on 16 consecutive counters, one per lane ---- */

/* High and low 32 bits of a * m per 32-bit lane: even lanes from one 32x32->64 multiply, odd lanes
 * from a second on the shifted operand. */
static inline void mulhilo(__m512i a, __m512i m, __m512i *hi, __m512i *lo)
{
    const __m512i even = _mm512_mul_epu32(a, m), odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    *lo = _mm512_mask_blend_epi32((__mmask16)0xaaaa, even, _mm512_slli_epi64(odd, 32));
    *hi = _mm512_mask_blend_epi32((__mmask16)0xaaaa, _mm512_srli_epi64(even, 32), odd);
}

/* The four output words of counters b0 .. b0+15 (lane j: counter b0 + j), as gs_philox4x32. */
static void philox16(uint64_t seed, uint64_t stream, uint64_t b0, __m512i out[4])
{
    uint32_t lo32[W], hi32[W];
    for (int j = 0; j < W; j++) {
        lo32[j] = (uint32_t)(b0 + (uint64_t)j);
        hi32[j] = (uint32_t)((b0 + (uint64_t)j) >> 32);
    }
    __m512i c0 = _mm512_loadu_si512(lo32), c1 = _mm512_loadu_si512(hi32);
    __m512i c2 = _mm512_set1_epi32((int)(uint32_t)stream), c3 = _mm512_set1_epi32((int)(uint32_t)(stream >> 32));
    const __m512i m0 = _mm512_set1_epi32((int)GS_PHILOX_M0), m1 = _mm512_set1_epi32((int)GS_PHILOX_M1);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        __m512i hi0, lo0, hi1, lo1;
        mulhilo(c0, m0, &hi0, &lo0);
        mulhilo(c2, m1, &hi1, &lo1);
        c0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32((int)k0));
        c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32((int)k1));
        c1 = lo1;
        c3 = lo0;
        k0 += GS_PHILOX_W0;
        k1 += GS_PHILOX_W1;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

/* ((w >> 8) + 1) / 2^24 in (0, 1]. */
static inline __m512 open01(__m512i w)
{
    const __m512i k = _mm512_add_epi32(_mm512_srli_epi32(w, 8), _mm512_set1_epi32(1));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(k), _mm512_set1_ps(GS_NOISE_U_SCALE));
}

/* The 64 normals of counters b0 .. b0+15 in element order (z[v] holds elements 16v .. 16v+15 of
 * the block): Box-Muller per lane, then a 4x4 transpose of 128-bit quarters. */
static void normals64(uint64_t seed, uint64_t stream, uint64_t b0, __m512 z[4])
{
    __m512i wd[4];
    philox16(seed, stream, b0, wd);
    __m512 zz[4];
    for (int p = 0; p < 2; p++) {
        const __m512 r = _mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), gs_vmath_log512(open01(wd[2 * p]))));
        __m512 s, c;
        gs_vmath_sincos2pi512(open01(wd[2 * p + 1]), &s, &c);
        zz[2 * p] = _mm512_mul_ps(r, c);
        zz[2 * p + 1] = _mm512_mul_ps(r, s);
    }
    /* lanes: zz[k][j] is word k of counter j; wanted: element 4 j + k */
    const __m512 a = _mm512_unpacklo_ps(zz[0], zz[1]), b = _mm512_unpackhi_ps(zz[0], zz[1]);
    const __m512 c = _mm512_unpacklo_ps(zz[2], zz[3]), d = _mm512_unpackhi_ps(zz[2], zz[3]);
    const __m512 e = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(c)));
    const __m512 f = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(c)));
    const __m512 g = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(b), _mm512_castps_pd(d)));
    const __m512 h = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(b), _mm512_castps_pd(d)));
    /* e = counters 0,4,8,12; f = 1,5,9,13; g = 2,6,10,14; h = 3,7,11,15 (one per 128-bit quarter) */
    const __m512 t0 = _mm512_shuffle_f32x4(e, f, 0x44), t1 = _mm512_shuffle_f32x4(g, h, 0x44);
    const __m512 t2 = _mm512_shuffle_f32x4(e, f, 0xee), t3 = _mm512_shuffle_f32x4(g, h, 0xee);
    z[0] = _mm512_shuffle_f32x4(t0, t1, 0x88);
    z[1] = _mm512_shuffle_f32x4(t0, t1, 0xdd);
    z[2] = _mm512_shuffle_f32x4(t2, t3, 0x88);
    z[3] = _mm512_shuffle_f32x4(t2, t3, 0xdd);
}

#define NOISE_BLOCK (4 * W) /* elements per normals64 call */

/* g[lo, hi) += std * z, lo a multiple of NOISE_BLOCK. */
static void noise_range(float *g, float std, uint64_t seed, uint64_t stream, long lo, long hi)
{
    const __m512 vs = _mm512_set1_ps(std);
    for (long i = lo; i < hi; i += NOISE_BLOCK) {
        __m512 z[4];
        normals64(seed, stream, (uint64_t)i / 4, z);
        if (i + NOISE_BLOCK <= hi) {
            for (int v = 0; v < 4; v++)
                _mm512_storeu_ps(g + i + W * v, _mm512_fmadd_ps(vs, z[v], _mm512_loadu_ps(g + i + W * v)));
            continue;
        }
        for (int v = 0; v < 4 && i + W * v < hi; v++) {
            const __mmask16 m = gs_mask_below(hi - i - W * v);
            float *p = g + i + W * v;
            _mm512_mask_storeu_ps(p, m, _mm512_fmadd_ps(vs, z[v], _mm512_maskz_loadu_ps(m, p)));
        }
    }
}

#include "kernels/optim/optim_tpl.h"

gs_status_t gs_opt_step_avx512(const gs_opt_t *opt, long n, float *w, const float *g, float *state, long step)
{
    return opt_step(opt, n, w, g, state, step);
}

gs_status_t gs_sumsq_avx512(long n, const float *g, double *out) { return sumsq(n, g, out); }

gs_status_t gs_scale_avx512(long n, float *g, float s) { return scale(n, g, s); }

gs_status_t gs_add_noise_avx512(long n, float *g, float std, uint64_t seed, uint64_t stream)
{
    return add_noise(n, g, std, seed, stream);
}
