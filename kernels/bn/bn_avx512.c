/* AVX-512 BatchNorm: the kernels of bn_simd.h over 16-float zmm vectors, masked at the edges. Also
 * built against SIMDe for the tests (see core/simd_avx512.h). */
#include "core/lanes_avx512.h"
#include "core/simd_avx512.h"
#include "kernels/bn/bn.h"

#define VL 16
#define VBYTES 64L
typedef __m512 vec_t;

static inline vec_t v_zero(void) { return _mm512_setzero_ps(); }
static inline vec_t v_set1(float f) { return _mm512_set1_ps(f); }
static inline vec_t v_load(const float *p) { return _mm512_loadu_ps(p); }
static inline vec_t v_load_n(const float *p, long n) { return _mm512_maskz_loadu_ps(gs_mask_below(n), p); }
static inline void v_store(float *p, vec_t v) { _mm512_storeu_ps(p, v); }
static inline void v_store_n(float *p, vec_t v, long n) { _mm512_mask_storeu_ps(p, gs_mask_below(n), v); }
static inline void v_stream(float *p, vec_t v) { _mm512_stream_ps(p, v); }
static inline void v_fence(void) { _mm_sfence(); }
static inline vec_t v_keep_n(vec_t v, long n) { return _mm512_maskz_mov_ps(gs_mask_below(n), v); }
static inline vec_t v_add(vec_t a, vec_t b) { return _mm512_add_ps(a, b); }
static inline vec_t v_sub(vec_t a, vec_t b) { return _mm512_sub_ps(a, b); }
static inline vec_t v_mul(vec_t a, vec_t b) { return _mm512_mul_ps(a, b); }
static inline vec_t v_div(vec_t a, vec_t b) { return _mm512_div_ps(a, b); }
static inline vec_t v_fmadd(vec_t a, vec_t b, vec_t c) { return _mm512_fmadd_ps(a, b, c); }
static inline vec_t v_fnmadd(vec_t a, vec_t b, vec_t c) { return _mm512_fnmadd_ps(a, b, c); }
static inline float v_sum(vec_t v) { return _mm512_reduce_add_ps(v); }

#include "kernels/bn/bn_simd.h"

gs_status_t gs_bn_fwd_train_avx512(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                   float *y, float *mean, float *var, float *running_mean, float *running_var,
                                   float momentum)
{
    return bn_fwd_train_tpl(s, x, gamma, beta, y, mean, var, running_mean, running_var, momentum);
}

gs_status_t gs_bn_fwd_infer_avx512(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                   const float *running_mean, const float *running_var, float *y)
{
    return bn_fwd_infer_tpl(s, x, gamma, beta, running_mean, running_var, y);
}

gs_status_t gs_bn_bwd_avx512(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma,
                             const float *mean, const float *var, float *dx, float *dgamma, float *dbeta)
{
    return bn_bwd_tpl(s, x, dy, gamma, mean, var, dx, dgamma, dbeta);
}
