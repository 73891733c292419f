/* Shared constants of the vectorized math (vmath_avx2.h, vmath_avx512.h), their measured error
 * bounds, and array entry points that run them over buffers (for tests and tolerances). */
#ifndef GS_VMATH_H
#define GS_VMATH_H

/* ---- Measured maximum errors (see vmath_avx2.h for how they were measured) ----
 * ULP bounds hold where the correctly rounded result is a normal float; relative bounds are the
 * same numbers as |got - want| / |want| against the double result. Tolerances of the kernels that
 * use these functions are derived from them. */
#define GS_VMATH_EXP_MAX_ULP 1.02
#define GS_VMATH_EXP_MAX_REL 8.5e-8
#define GS_VMATH_EXPM1_MAX_ULP 3.44
#define GS_VMATH_EXPM1_MAX_REL 2.44e-7
#define GS_VMATH_LOG_MAX_ULP 0.83
#define GS_VMATH_LOG_MAX_REL 8.2e-8
#define GS_VMATH_TANH_MAX_ULP 1.34
#define GS_VMATH_TANH_MAX_REL 1.43e-7
#define GS_VMATH_SIGMOID_MAX_ULP 2.41
#define GS_VMATH_SIGMOID_MAX_REL 1.79e-7
#define GS_VMATH_SINCOS_MAX_ABS 1.08e-7
/* Absolute error of exp and sigmoid where the result is subnormal: one step of the subnormal grid
 * (2^-149); measured 1.05e-45. */
#define GS_VMATH_SUBNORMAL_MAX_ABS 1.41e-45

/* ---- Constants ---- */
#define GS_VMATH_LOG2E 1.44269504088896341f
/* Rounding mode of the vector round instructions: a macro, since their immediate must be a constant
 * expression even at -O0 (a const int is not one there). */
#define GS_VMATH_NEAREST (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
/* ln 2 = HI + LO with HI the float nearest ln 2; n*HI is exact inside the FMA that subtracts it. */
#define GS_VMATH_LN2_HI 0.693147182464599609375f
#define GS_VMATH_LN2_LO -1.904654299957768e-09f
/* Cephes' split for log: 0.693359375 has 9 significant bits, so e * HI is exact for |e| < 2^15. */
#define GS_VMATH_LN2_HI_LOG 0.693359375f
#define GS_VMATH_LN2_LO_LOG -2.12194440e-4f
#define GS_VMATH_SQRT_HALF 0.707106781186547524f
#define GS_VMATH_FLT_MIN 1.17549435e-38f
#define GS_VMATH_INF __builtin_inff()
#define GS_VMATH_NAN __builtin_nanf("")
#define GS_VMATH_TWO_PI 6.28318530717958647692f

/* Cephes expf: e^r = 1 + r + r^2 (P5 + P4 r + ... + P0 r^5) on |r| <= ln2/2 */
#define GS_VMATH_EXP_P0 1.9875691500e-4f
#define GS_VMATH_EXP_P1 1.3981999507e-3f
#define GS_VMATH_EXP_P2 8.3334519073e-3f
#define GS_VMATH_EXP_P3 4.1665795894e-2f
#define GS_VMATH_EXP_P4 1.6666665459e-1f
#define GS_VMATH_EXP_P5 5.0000001201e-1f

/* Cephes logf: log(1+f) = f - f^2/2 + f^3 (P8 + P7 f + ... + P0 f^8) on sqrt(1/2)-1 <= f < sqrt(2)-1 */
#define GS_VMATH_LOG_P0 7.0376836292e-2f
#define GS_VMATH_LOG_P1 -1.1514610310e-1f
#define GS_VMATH_LOG_P2 1.1676998740e-1f
#define GS_VMATH_LOG_P3 -1.2420140846e-1f
#define GS_VMATH_LOG_P4 1.4249322787e-1f
#define GS_VMATH_LOG_P5 -1.6668057665e-1f
#define GS_VMATH_LOG_P6 2.0000714765e-1f
#define GS_VMATH_LOG_P7 -2.4999993993e-1f
#define GS_VMATH_LOG_P8 3.3333331174e-1f

/* Cephes tanhf: tanh x = x + x^3 (P4 + P3 x^2 + ... + P0 x^8) on |x| < 0.625 */
#define GS_VMATH_TANH_SPLIT 0.625f
#define GS_VMATH_TANH_P0 -5.70498872745e-3f
#define GS_VMATH_TANH_P1 2.06390887954e-2f
#define GS_VMATH_TANH_P2 -5.37397155531e-2f
#define GS_VMATH_TANH_P3 1.33314422036e-1f
#define GS_VMATH_TANH_P4 -3.33332819422e-1f

/* Cephes sinf / cosf on |a| <= pi/4 */
#define GS_VMATH_SIN_P0 -1.9515295891e-4f
#define GS_VMATH_SIN_P1 8.3321608736e-3f
#define GS_VMATH_SIN_P2 -1.6666654611e-1f
#define GS_VMATH_COS_P0 2.443315711809948e-5f
#define GS_VMATH_COS_P1 -1.388731625493765e-3f
#define GS_VMATH_COS_P2 4.166664568298827e-2f

/* ---- Array entry points: y[i] = f(x[i]) for i < n (any n >= 0, any alignment) ---- */
typedef void gs_vmath_map_fn(long n, const float *x, float *y);
typedef void gs_vmath_sincos_fn(long n, const float *u, float *s, float *c);

#ifdef GS_AVX512_EMULATED
#define gs_vmath_exp_avx512 gs_vmath_exp_avx512_emu
#define gs_vmath_expm1_avx512 gs_vmath_expm1_avx512_emu
#define gs_vmath_log_avx512 gs_vmath_log_avx512_emu
#define gs_vmath_tanh_avx512 gs_vmath_tanh_avx512_emu
#define gs_vmath_sigmoid_avx512 gs_vmath_sigmoid_avx512_emu
#define gs_vmath_sincos2pi_avx512 gs_vmath_sincos2pi_avx512_emu
#endif

gs_vmath_map_fn gs_vmath_exp_avx2, gs_vmath_exp_avx512, gs_vmath_exp_avx512_emu;
gs_vmath_map_fn gs_vmath_expm1_avx2, gs_vmath_expm1_avx512, gs_vmath_expm1_avx512_emu;
gs_vmath_map_fn gs_vmath_log_avx2, gs_vmath_log_avx512, gs_vmath_log_avx512_emu;
gs_vmath_map_fn gs_vmath_tanh_avx2, gs_vmath_tanh_avx512, gs_vmath_tanh_avx512_emu;
gs_vmath_map_fn gs_vmath_sigmoid_avx2, gs_vmath_sigmoid_avx512, gs_vmath_sigmoid_avx512_emu;
gs_vmath_sincos_fn gs_vmath_sincos2pi_avx2, gs_vmath_sincos2pi_avx512, gs_vmath_sincos2pi_avx512_emu;

#endif
