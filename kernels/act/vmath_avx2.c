/* Array forms of the AVX2 vector math (vmath_avx2.h), for the error-bound test and the tolerances. */
#include "core/lanes_avx2.h"
#include "kernels/act/vmath_avx2.h"

GS_VMATH_INLINE void map(long n, const float *x, float *y, __m256 (*f)(__m256))
{
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
    if (i < n) {
        const __m256i m = gs_lanes_below(n - i);
        _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));
    }
}

void gs_vmath_exp_avx2(long n, const float *x, float *y) { map(n, x, y, gs_vmath_exp256); }
void gs_vmath_expm1_avx2(long n, const float *x, float *y) { map(n, x, y, gs_vmath_expm1256); }
void gs_vmath_log_avx2(long n, const float *x, float *y) { map(n, x, y, gs_vmath_log256); }
void gs_vmath_tanh_avx2(long n, const float *x, float *y) { map(n, x, y, gs_vmath_tanh256); }
void gs_vmath_sigmoid_avx2(long n, const float *x, float *y) { map(n, x, y, gs_vmath_sigmoid256); }

void gs_vmath_sincos2pi_avx2(long n, const float *u, float *s, float *c)
{
    __m256 vs, vc;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        gs_vmath_sincos2pi256(_mm256_loadu_ps(u + i), &vs, &vc);
        _mm256_storeu_ps(s + i, vs);
        _mm256_storeu_ps(c + i, vc);
    }
    if (i < n) {
        const __m256i m = gs_lanes_below(n - i);
        gs_vmath_sincos2pi256(_mm256_maskload_ps(u + i, m), &vs, &vc);
        _mm256_maskstore_ps(s + i, m, vs);
        _mm256_maskstore_ps(c + i, m, vc);
    }
}
