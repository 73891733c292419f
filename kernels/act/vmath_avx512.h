/* Vectorized exp, expm1, log, tanh, sigmoid and sin/cos(2*pi*u) on 16 floats (AVX-512F), the algorithms
 * of vmath_avx2.h step for step (so both ISAs give bit-identical results; the error bounds there
 * and in vmath.h hold here; the one native-only instruction, vscalefps, rounds exactly like the
 * integer scaling it replaces). Include only from *_avx512.c files: it builds natively and, through
 * core/simd_avx512.h, against SIMDe. */
#ifndef GS_VMATH_AVX512_H
#define GS_VMATH_AVX512_H

#include "core/simd_avx512.h"
#include "kernels/act/vmath.h"

#define GS_VMATH_INLINE static inline __attribute__((always_inline))

/* p * 2^n for integral n in [-150, 129], rounded once. Natively one vscalefps; SIMDe emulates that
 * through exp2f (slow, and wrong at the extremes), so the emulated build takes gs_vmath_ldexp256's
 * two-step integer scaling, which rounds the same way (both are the exactly rounded product). */
GS_VMATH_INLINE __m512 gs_vmath_ldexp512(__m512 p, __m512 n)
{
#ifdef GS_AVX512_EMULATED
    const __m512i ni = _mm512_cvtps_epi32(n);
    const __m512i n1 = _mm512_srai_epi32(ni, 1), n2 = _mm512_sub_epi32(ni, n1);
    const __m512i bias = _mm512_set1_epi32(127);
    const __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23));
    const __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23));
    return _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
#else
    return _mm512_scalef_ps(p, n);
#endif
}

/* n = round(x / ln 2) and e^r - 1 = r + r^2 P(r) for the reduced |r| <= ln2 / 2, which both exp
 * and expm1 finish. */
GS_VMATH_INLINE __m512 gs_vmath_exp_reduce512(__m512 x, __m512 *n)
{
    *n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(GS_VMATH_LOG2E)), GS_VMATH_NEAREST);
    __m512 r = _mm512_fnmadd_ps(*n, _mm512_set1_ps(GS_VMATH_LN2_HI), x);
    r = _mm512_fnmadd_ps(*n, _mm512_set1_ps(GS_VMATH_LN2_LO), r);
    __m512 p = _mm512_set1_ps(GS_VMATH_EXP_P0);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(GS_VMATH_EXP_P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(GS_VMATH_EXP_P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(GS_VMATH_EXP_P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(GS_VMATH_EXP_P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(GS_VMATH_EXP_P5));
    return _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
}

GS_VMATH_INLINE __m512 gs_vmath_exp512(__m512 x)
{
    x = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
    __m512 n;
    const __m512 em1 = gs_vmath_exp_reduce512(x, &n);
    return gs_vmath_ldexp512(_mm512_add_ps(em1, _mm512_set1_ps(1.0f)), n);
}

GS_VMATH_INLINE __m512 gs_vmath_expm1512(__m512 x)
{
    x = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
    __m512 n;
    const __m512 em1 = gs_vmath_exp_reduce512(x, &n);
    const __m512 big = _mm512_sub_ps(gs_vmath_ldexp512(_mm512_add_ps(em1, _mm512_set1_ps(1.0f)), n), _mm512_set1_ps(1.0f));
    return _mm512_mask_mov_ps(big, _mm512_cmp_ps_mask(n, _mm512_setzero_ps(), _CMP_EQ_OQ), em1);
}

GS_VMATH_INLINE __m512 gs_vmath_log512(__m512 x)
{
    const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(GS_VMATH_FLT_MIN), _CMP_LT_OQ);
    const __m512 xs = _mm512_mask_mul_ps(x, tiny, x, _mm512_set1_ps(8388608.0f));
    __m512 e = _mm512_maskz_mov_ps(tiny, _mm512_set1_ps(-23.0f));
    const __m512i bits = _mm512_castps_si512(xs);
    __m512 m = _mm512_castsi512_ps(_mm512_or_si512(_mm512_and_si512(bits, _mm512_set1_epi32(0x007fffff)),
                                                   _mm512_set1_epi32(0x3f000000)));
    e = _mm512_add_ps(e, _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(bits, 23), _mm512_set1_epi32(126))));
    const __mmask16 small = _mm512_cmp_ps_mask(m, _mm512_set1_ps(GS_VMATH_SQRT_HALF), _CMP_LT_OQ);
    e = _mm512_mask_sub_ps(e, small, e, _mm512_set1_ps(1.0f));
    const __m512 f = _mm512_sub_ps(_mm512_mask_add_ps(m, small, m, m), _mm512_set1_ps(1.0f));
    const __m512 z = _mm512_mul_ps(f, f);
    __m512 p = _mm512_set1_ps(GS_VMATH_LOG_P0);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(GS_VMATH_LOG_P1));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(GS_VMATH_LOG_P2));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(GS_VMATH_LOG_P3));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(GS_VMATH_LOG_P4));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(GS_VMATH_LOG_P5));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(GS_VMATH_LOG_P6));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(GS_VMATH_LOG_P7));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(GS_VMATH_LOG_P8));
    __m512 y = _mm512_mul_ps(_mm512_mul_ps(p, f), z);
    y = _mm512_fmadd_ps(e, _mm512_set1_ps(GS_VMATH_LN2_LO_LOG), y);
    y = _mm512_fnmadd_ps(z, _mm512_set1_ps(0.5f), y);
    y = _mm512_add_ps(f, y);
    y = _mm512_fmadd_ps(e, _mm512_set1_ps(GS_VMATH_LN2_HI_LOG), y);
    const __mmask16 ordinary = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ) &
                               _mm512_cmp_ps_mask(x, _mm512_set1_ps(GS_VMATH_INF), _CMP_LT_OQ);
    __m512 special = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ),
                                        _mm512_set1_ps(-GS_VMATH_INF));
    special = _mm512_mask_mov_ps(special, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ),
                                 _mm512_set1_ps(GS_VMATH_NAN));
    return _mm512_mask_mov_ps(special, ordinary, y);
}

GS_VMATH_INLINE __m512 gs_vmath_sigmoid512(__m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 e = gs_vmath_exp512(_mm512_or_ps(x, _mm512_set1_ps(-0.0f)));
    const __m512 num = _mm512_mask_mov_ps(one, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), e);
    return _mm512_div_ps(num, _mm512_add_ps(one, e));
}

GS_VMATH_INLINE __m512 gs_vmath_tanh512(__m512 x)
{
    const __m512 sign = _mm512_set1_ps(-0.0f);
    const __m512 ax = _mm512_andnot_ps(sign, x);
    const __m512 z = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(GS_VMATH_TANH_P0);
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(GS_VMATH_TANH_P1));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(GS_VMATH_TANH_P2));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(GS_VMATH_TANH_P3));
    p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(GS_VMATH_TANH_P4));
    const __m512 near0 = _mm512_fmadd_ps(_mm512_mul_ps(p, z), ax, ax);
    const __m512 e = gs_vmath_exp512(_mm512_add_ps(ax, ax));
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 far = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
    const __m512 t = _mm512_mask_mov_ps(far, _mm512_cmp_ps_mask(ax, _mm512_set1_ps(GS_VMATH_TANH_SPLIT), _CMP_LT_OQ), near0);
    return _mm512_or_ps(t, _mm512_and_ps(x, sign));
}

GS_VMATH_INLINE void gs_vmath_sincos2pi512(__m512 u, __m512 *sin_out, __m512 *cos_out)
{
    const __m512 t = _mm512_sub_ps(u, _mm512_roundscale_ps(u, GS_VMATH_NEAREST));
    const __m512 q = _mm512_roundscale_ps(_mm512_mul_ps(t, _mm512_set1_ps(4.0f)), GS_VMATH_NEAREST);
    const __m512 s = _mm512_fnmadd_ps(q, _mm512_set1_ps(0.25f), t);
    const __m512 a = _mm512_mul_ps(s, _mm512_set1_ps(GS_VMATH_TWO_PI));
    const __m512 z = _mm512_mul_ps(a, a);
    __m512 ps = _mm512_set1_ps(GS_VMATH_SIN_P0);
    ps = _mm512_fmadd_ps(ps, z, _mm512_set1_ps(GS_VMATH_SIN_P1));
    ps = _mm512_fmadd_ps(ps, z, _mm512_set1_ps(GS_VMATH_SIN_P2));
    const __m512 sa = _mm512_fmadd_ps(_mm512_mul_ps(ps, z), a, a);
    __m512 pc = _mm512_set1_ps(GS_VMATH_COS_P0);
    pc = _mm512_fmadd_ps(pc, z, _mm512_set1_ps(GS_VMATH_COS_P1));
    pc = _mm512_fmadd_ps(pc, z, _mm512_set1_ps(GS_VMATH_COS_P2));
    const __m512 ca = _mm512_fmadd_ps(_mm512_mul_ps(pc, z), z,
                                      _mm512_fnmadd_ps(z, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.0f)));
    const __m512 aq = _mm512_andnot_ps(_mm512_set1_ps(-0.0f), q);
    const __mmask16 swap = _mm512_cmp_ps_mask(aq, _mm512_set1_ps(1.0f), _CMP_EQ_OQ);
    const __m512 sn = _mm512_mask_mov_ps(sa, swap, ca), cs = _mm512_mask_mov_ps(ca, swap, sa);
    const __mmask16 sin_neg = _mm512_cmp_ps_mask(q, _mm512_set1_ps(-0.5f), _CMP_LT_OQ) |
                              _mm512_cmp_ps_mask(q, _mm512_set1_ps(1.5f), _CMP_GT_OQ);
    const __mmask16 cos_neg = _mm512_cmp_ps_mask(aq, _mm512_set1_ps(0.5f), _CMP_GT_OQ) &
                              ~_mm512_cmp_ps_mask(q, _mm512_set1_ps(-1.0f), _CMP_EQ_OQ);
    const __m512 neg = _mm512_set1_ps(-0.0f);
    *sin_out = _mm512_mask_xor_ps(sn, sin_neg, sn, neg);
    *cos_out = _mm512_mask_xor_ps(cs, cos_neg, cs, neg);
}

#endif
