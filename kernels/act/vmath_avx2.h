/* Vectorized exp, expm1, log, tanh, sigmoid and sin/cos(2*pi*u) on 8 floats (AVX2 + FMA), Cephes-style:
 * exact range reduction, a short polynomial, exact rescaling. Include only from *_avx2.c files.
 *
 * Maximum error over every float input, measured exhaustively over all 2^32 bit patterns against
 * double-precision libm (ulp of the correctly rounded float; tests/test_vmath_error_bounds
 * re-measures a 2^24-point sample plus the special values on every build, for every ISA and the
 * SIMDe build, and fails above the GS_VMATH_*_MAX_* bounds of kernels/act/vmath.h):
 *   exp      1.02 ulp (relative 8.5e-8) where the result is normal; subnormal results
 *            (x < -87.34) within one step of the subnormal grid (absolute 1.05e-45); x > 88.7228
 *            gives +inf, x < -103.98 gives +0.
 *   expm1    3.44 ulp (relative 2.44e-7), worst just past |x| = ln2 / 2 where exp(x) - 1 takes
 *            over from the reduced polynomial; expm1(x < -17.33) = -1 exactly.
 *   log      0.83 ulp (relative 8.2e-8) for every positive float, subnormals included; log(+-0) =
 *            -inf, log(x < 0) = NaN, log(+inf) = +inf.
 *   tanh     1.34 ulp (relative 1.43e-7); |x| > 9.01 gives exactly +-1; tanh(+-0) = +-0.
 *   sigmoid  2.41 ulp (relative 1.79e-7) where the result is normal, subnormal results within one
 *            step (sigmoid(-100) = 3.7e-44); x > 16.64 gives exactly 1, x < -103.98 gives +0.
 *   sincos2pi  absolute 1.08e-7 for u in [-1, 1] (the reduction u - round(u) is exact for any u).
 * NaN in gives NaN out for every function. The same algorithms, step for step, are in
 * vmath_avx512.h, so both ISAs give bit-identical results. */
#ifndef GS_VMATH_AVX2_H
#define GS_VMATH_AVX2_H

#include <immintrin.h>

#include "kernels/act/vmath.h"

#define GS_VMATH_INLINE static inline __attribute__((always_inline))

/* p * 2^n for integral n in [-150, 129], rounded once: 2^n is applied in two halves so each
 * factor is a normal float, the first product is exact and only the second can round (into the
 * subnormals) or overflow (to inf). */
GS_VMATH_INLINE __m256 gs_vmath_ldexp256(__m256 p, __m256 n)
{
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

/* n = round(x / ln 2) and e^r - 1 = r + r^2 P(r) for the reduced |r| <= ln2 / 2, which both exp
 * and expm1 finish. */
GS_VMATH_INLINE __m256 gs_vmath_exp_reduce256(__m256 x, __m256 *n)
{
    *n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(GS_VMATH_LOG2E)), GS_VMATH_NEAREST);
    __m256 r = _mm256_fnmadd_ps(*n, _mm256_set1_ps(GS_VMATH_LN2_HI), x);
    r = _mm256_fnmadd_ps(*n, _mm256_set1_ps(GS_VMATH_LN2_LO), r);
    __m256 p = _mm256_set1_ps(GS_VMATH_EXP_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(GS_VMATH_EXP_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(GS_VMATH_EXP_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(GS_VMATH_EXP_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(GS_VMATH_EXP_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(GS_VMATH_EXP_P5));
    return _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
}

/* e^x = 2^n e^r with n = round(x / ln 2) and |r| <= ln2 / 2; e^r by Cephes' degree-7 expf
 * polynomial. Clamping x to [-104, 89] keeps n in range; the clamped ends still give 0 and inf.
 * max(lo, x) returns x when x is NaN (MAXPS returns its second operand), so NaN propagates. */
GS_VMATH_INLINE __m256 gs_vmath_exp256(__m256 x)
{
    x = _mm256_min_ps(_mm256_set1_ps(89.0f), _mm256_max_ps(_mm256_set1_ps(-104.0f), x));
    __m256 n;
    const __m256 em1 = gs_vmath_exp_reduce256(x, &n);
    return gs_vmath_ldexp256(_mm256_add_ps(em1, _mm256_set1_ps(1.0f)), n);
}

/* e^x - 1 without the cancellation of exp(x) - 1 near 0: where n = 0 (|x| < ln2 / 2) the reduced
 * polynomial is the answer itself; elsewhere |e^x - 1| >= 0.29, so subtracting 1 loses little. */
GS_VMATH_INLINE __m256 gs_vmath_expm1256(__m256 x)
{
    x = _mm256_min_ps(_mm256_set1_ps(89.0f), _mm256_max_ps(_mm256_set1_ps(-104.0f), x));
    __m256 n;
    const __m256 em1 = gs_vmath_exp_reduce256(x, &n);
    const __m256 big = _mm256_sub_ps(gs_vmath_ldexp256(_mm256_add_ps(em1, _mm256_set1_ps(1.0f)), n), _mm256_set1_ps(1.0f));
    return _mm256_blendv_ps(big, em1, _mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_EQ_OQ));
}

/* log x = e ln 2 + log m with x = m 2^e, m in [sqrt(1/2), sqrt(2)); log m = f - f^2/2 + f^3 P(f),
 * f = m - 1 (Cephes logf). Subnormals are scaled by 2^23 first. Non-positive, infinite and NaN
 * inputs take their IEEE results by a final blend. */
GS_VMATH_INLINE __m256 gs_vmath_log256(__m256 x)
{
    const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(GS_VMATH_FLT_MIN), _CMP_LT_OQ);
    __m256 xs = _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(8388608.0f)), tiny);
    __m256 e = _mm256_and_ps(tiny, _mm256_set1_ps(-23.0f));
    const __m256i bits = _mm256_castps_si256(xs);
    /* m in [0.5, 1) and the unbiased exponent to go with it */
    __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)),
                                                   _mm256_set1_epi32(0x3f000000)));
    e = _mm256_add_ps(e, _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126))));
    const __m256 small = _mm256_cmp_ps(m, _mm256_set1_ps(GS_VMATH_SQRT_HALF), _CMP_LT_OQ);
    e = _mm256_sub_ps(e, _mm256_and_ps(small, _mm256_set1_ps(1.0f)));
    const __m256 f = _mm256_sub_ps(_mm256_add_ps(m, _mm256_and_ps(small, m)), _mm256_set1_ps(1.0f));
    const __m256 z = _mm256_mul_ps(f, f);
    __m256 p = _mm256_set1_ps(GS_VMATH_LOG_P0);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(GS_VMATH_LOG_P1));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(GS_VMATH_LOG_P2));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(GS_VMATH_LOG_P3));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(GS_VMATH_LOG_P4));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(GS_VMATH_LOG_P5));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(GS_VMATH_LOG_P6));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(GS_VMATH_LOG_P7));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(GS_VMATH_LOG_P8));
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, f), z);
    y = _mm256_fmadd_ps(e, _mm256_set1_ps(GS_VMATH_LN2_LO_LOG), y);
    y = _mm256_fnmadd_ps(z, _mm256_set1_ps(0.5f), y);
    y = _mm256_add_ps(f, y);
    y = _mm256_fmadd_ps(e, _mm256_set1_ps(GS_VMATH_LN2_HI_LOG), y);
    /* x <= 0, +inf, NaN: -inf for 0, NaN below 0, x itself for +inf and NaN */
    const __m256 ordinary = _mm256_and_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ),
                                          _mm256_cmp_ps(x, _mm256_set1_ps(GS_VMATH_INF), _CMP_LT_OQ));
    __m256 special = _mm256_blendv_ps(x, _mm256_set1_ps(-GS_VMATH_INF),
                                      _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
    special = _mm256_blendv_ps(special, _mm256_set1_ps(GS_VMATH_NAN), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
    return _mm256_blendv_ps(special, y, ordinary);
}

/* e = e^-|x| never overflows: sigmoid = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, so
 * results keep full relative accuracy down into the subnormals (sigmoid(-100) = 3.7e-44) and
 * x > 17 gives exactly 1. */
GS_VMATH_INLINE __m256 gs_vmath_sigmoid256(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 e = gs_vmath_exp256(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
    const __m256 num = _mm256_blendv_ps(one, e, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
    return _mm256_div_ps(num, _mm256_add_ps(one, e));
}

/* |x| < 0.625: x + x^3 P(x^2) (Cephes tanhf); otherwise 1 - 2 / (e^{2|x|} + 1); then x's sign,
 * which reaches exactly 1 once e^{2|x|} > 2^25 and stays there through e^{2|x|} = inf. */
GS_VMATH_INLINE __m256 gs_vmath_tanh256(__m256 x)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 ax = _mm256_andnot_ps(sign, x);
    const __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(GS_VMATH_TANH_P0);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(GS_VMATH_TANH_P1));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(GS_VMATH_TANH_P2));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(GS_VMATH_TANH_P3));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(GS_VMATH_TANH_P4));
    const __m256 near0 = _mm256_fmadd_ps(_mm256_mul_ps(p, z), ax, ax);
    const __m256 e = gs_vmath_exp256(_mm256_add_ps(ax, ax));
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 far = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    const __m256 t = _mm256_blendv_ps(far, near0, _mm256_cmp_ps(ax, _mm256_set1_ps(GS_VMATH_TANH_SPLIT), _CMP_LT_OQ));
    return _mm256_or_ps(t, _mm256_and_ps(x, sign)); /* |tanh| from |x|, then x's sign (keeps -0) */
}

/* sin(2 pi u) and cos(2 pi u). t = u - round(u), q = round(4t) and s = t - q/4 are exact, so the
 * only approximation is the polynomial pair on a = 2 pi s in [-pi/4, pi/4] (Cephes sinf/cosf);
 * the quadrant q in {-2..2} swaps and negates them. */
GS_VMATH_INLINE void gs_vmath_sincos2pi256(__m256 u, __m256 *sin_out, __m256 *cos_out)
{
    const __m256 t = _mm256_sub_ps(u, _mm256_round_ps(u, GS_VMATH_NEAREST));
    const __m256 q = _mm256_round_ps(_mm256_mul_ps(t, _mm256_set1_ps(4.0f)), GS_VMATH_NEAREST);
    const __m256 s = _mm256_fnmadd_ps(q, _mm256_set1_ps(0.25f), t);
    const __m256 a = _mm256_mul_ps(s, _mm256_set1_ps(GS_VMATH_TWO_PI));
    const __m256 z = _mm256_mul_ps(a, a);
    __m256 ps = _mm256_set1_ps(GS_VMATH_SIN_P0);
    ps = _mm256_fmadd_ps(ps, z, _mm256_set1_ps(GS_VMATH_SIN_P1));
    ps = _mm256_fmadd_ps(ps, z, _mm256_set1_ps(GS_VMATH_SIN_P2));
    const __m256 sa = _mm256_fmadd_ps(_mm256_mul_ps(ps, z), a, a);
    __m256 pc = _mm256_set1_ps(GS_VMATH_COS_P0);
    pc = _mm256_fmadd_ps(pc, z, _mm256_set1_ps(GS_VMATH_COS_P1));
    pc = _mm256_fmadd_ps(pc, z, _mm256_set1_ps(GS_VMATH_COS_P2));
    __m256 ca = _mm256_fmadd_ps(_mm256_mul_ps(pc, z), z, _mm256_fnmadd_ps(z, _mm256_set1_ps(0.5f), _mm256_set1_ps(1.0f)));
    const __m256 aq = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), q);
    const __m256 swap = _mm256_cmp_ps(aq, _mm256_set1_ps(1.0f), _CMP_EQ_OQ);
    __m256 sn = _mm256_blendv_ps(sa, ca, swap), cs = _mm256_blendv_ps(ca, sa, swap);
    /* sin < 0 in quadrants -2, -1, 2; cos < 0 in quadrants -2, 1, 2 */
    const __m256 sin_neg = _mm256_or_ps(_mm256_cmp_ps(q, _mm256_set1_ps(-0.5f), _CMP_LT_OQ),
                                        _mm256_cmp_ps(q, _mm256_set1_ps(1.5f), _CMP_GT_OQ));
    const __m256 cos_neg = _mm256_cmp_ps(aq, _mm256_set1_ps(0.5f), _CMP_GT_OQ);
    const __m256 cos_pos = _mm256_cmp_ps(q, _mm256_set1_ps(-1.0f), _CMP_EQ_OQ);
    const __m256 neg = _mm256_set1_ps(-0.0f);
    *sin_out = _mm256_xor_ps(sn, _mm256_and_ps(sin_neg, neg));
    *cos_out = _mm256_xor_ps(cs, _mm256_and_ps(_mm256_andnot_ps(cos_pos, cos_neg), neg));
}

#endif
