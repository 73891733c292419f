/* Array forms of the AVX-512 vector math (vmath_avx512.h), for the error-bound test and the tolerances. */
#include "kernels/act/vmath_avx512.h"

#include "core/lanes_avx512.h"

GS_VMATH_INLINE void map(long n, const float *x, float *y, __m512 (*f)(__m512))
{
    long i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i)));
    if (i < n) {
        const __mmask16 m = gs_mask_below(n - i);
        _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

void gs_vmath_exp_avx512(long n, const float *x, float *y) { map(n, x, y, gs_vmath_exp512); }
void gs_vmath_expm1_avx512(long n, const float *x, float *y) { map(n, x, y, gs_vmath_expm1512); }
void gs_vmath_log_avx512(long n, const float *x, float *y) { map(n, x, y, gs_vmath_log512); }
void gs_vmath_tanh_avx512(long n, const float *x, float *y) { map(n, x, y, gs_vmath_tanh512); }
void gs_vmath_sigmoid_avx512(long n, const float *x, float *y) { map(n, x, y, gs_vmath_sigmoid512); }

void gs_vmath_sincos2pi_avx512(long n, const float *u, float *s, float *c)
{
    __m512 vs, vc;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        gs_vmath_sincos2pi512(_mm512_loadu_ps(u + i), &vs, &vc);
        _mm512_storeu_ps(s + i, vs);
        _mm512_storeu_ps(c + i, vc);
    }
    if (i < n) {
        const __mmask16 m = gs_mask_below(n - i);
        gs_vmath_sincos2pi512(_mm512_maskz_loadu_ps(m, u + i), &vs, &vc);
        _mm512_mask_storeu_ps(s + i, m, vs);
        _mm512_mask_storeu_ps(c + i, m, vc);
    }
}
