/* AVX2 BatchNorm: the kernels of bn_simd.h over 8-float ymm vectors, edges by maskload/maskstore. */
#include <immintrin.h>
#include <stdint.h>

#include "kernels/bn/bn.h"

#define VL 8
#define VBYTES 32L
typedef __m256 vec_t;

/* Lanes [0, n) all ones: a window of 8 into {-1 x 8, 0 x 8}. */
static inline __m256i lanes(long n)
{
    static const int32_t ones_then_zeros[2 * VL] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(ones_then_zeros + VL - (n < VL ? n : VL)));
}

static inline vec_t v_zero(void) { return _mm256_setzero_ps(); }
static inline vec_t v_set1(float f) { return _mm256_set1_ps(f); }
static inline vec_t v_load(const float *p) { return _mm256_loadu_ps(p); }
static inline vec_t v_load_n(const float *p, long n) { return _mm256_maskload_ps(p, lanes(n)); }
static inline void v_store(float *p, vec_t v) { _mm256_storeu_ps(p, v); }
static inline void v_store_n(float *p, vec_t v, long n) { _mm256_maskstore_ps(p, lanes(n), v); }
static inline void v_stream(float *p, vec_t v) { _mm256_stream_ps(p, v); }
static inline void v_fence(void) { _mm_sfence(); }
static inline vec_t v_keep_n(vec_t v, long n) { return _mm256_and_ps(v, _mm256_castsi256_ps(lanes(n))); }
static inline vec_t v_add(vec_t a, vec_t b) { return _mm256_add_ps(a, b); }
static inline vec_t v_sub(vec_t a, vec_t b) { return _mm256_sub_ps(a, b); }
static inline vec_t v_mul(vec_t a, vec_t b) { return _mm256_mul_ps(a, b); }
static inline vec_t v_div(vec_t a, vec_t b) { return _mm256_div_ps(a, b); }
static inline vec_t v_fmadd(vec_t a, vec_t b, vec_t c) { return _mm256_fmadd_ps(a, b, c); }
static inline vec_t v_fnmadd(vec_t a, vec_t b, vec_t c) { return _mm256_fnmadd_ps(a, b, c); }

/* Pairwise: halves, then quarters, then neighbours. */
static inline float v_sum(vec_t v)
{
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
}

#include "kernels/bn/bn_simd.h"

gs_status_t gs_bn_fwd_train_avx2(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                 float *y, float *mean, float *var, float *running_mean, float *running_var,
                                 float momentum)
{
    return bn_fwd_train_tpl(s, x, gamma, beta, y, mean, var, running_mean, running_var, momentum);
}

gs_status_t gs_bn_fwd_infer_avx2(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                 const float *running_mean, const float *running_var, float *y)
{
    return bn_fwd_infer_tpl(s, x, gamma, beta, running_mean, running_var, y);
}

gs_status_t gs_bn_bwd_avx2(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma,
                           const float *mean, const float *var, float *dx, float *dgamma, float *dbeta)
{
    return bn_bwd_tpl(s, x, dy, gamma, mean, var, dx, dgamma, dbeta);
}
