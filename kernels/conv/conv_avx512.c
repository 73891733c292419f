/* AVX-512 convolution: the passes of conv_tpl.h on 16-float zmm vectors (12 x 32 broadcast tiles,
 * 5 x 5 dot tiles). Also built against SIMDe for the tests (see core/simd_avx512.h). */
#include "core/hsum_avx512.h"
#include "core/simd_avx512.h"

typedef __m512 vec_t;
#define VL 16
#define MR_MAX 14 /* 28 accumulators + 2 vectors of B + a broadcast of the 32 zmm registers */
#define DR 5      /* 25 accumulators + 5 vectors of diff_dst + one of im2col */
#define DC 5

typedef __mmask16 vmask_t;
static inline vmask_t vec_mask(int lo, int hi) { return (vmask_t)(((1u << hi) - 1u) & ~((1u << lo) - 1u)); }
static inline vec_t vec_zero(void) { return _mm512_setzero_ps(); }
static inline vec_t vec_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void vec_store(float *p, vec_t v) { _mm512_storeu_ps(p, v); }
static inline vec_t vec_set1(float x) { return _mm512_set1_ps(x); }
static inline vec_t vec_fma(vec_t a, vec_t b, vec_t c) { return _mm512_fmadd_ps(a, b, c); }
static inline vec_t vec_add(vec_t a, vec_t b) { return _mm512_add_ps(a, b); }
static inline vec_t vec_load_mask(const float *p, vmask_t m) { return _mm512_maskz_loadu_ps(m, p); }
static inline void vec_store_mask(float *p, vec_t v, vmask_t m) { _mm512_mask_storeu_ps(p, m, v); }
static inline float vec_hsum(vec_t v) { return _mm512_reduce_add_ps(v); }

/* out[0..3] += the sums of a, b, c, d: pairs interleaved and added within 128-bit lanes, then the
 * four lanes folded, 14 operations instead of four full reductions. */
static inline void vec_hsum4_add(vec_t a, vec_t b, vec_t c, vec_t d, float *out)
{
    _mm_storeu_ps(out, _mm_add_ps(_mm_loadu_ps(out), gs_hsum4_ps512(a, b, c, d)));
}
typedef __m512i vidx_t;
static inline vidx_t vec_idx_load(const int *idx) { return _mm512_loadu_si512(idx); }

/* Lane l = (a:b)[idx[l]] (idx < 32) for the lanes of `valid`, zero elsewhere. */
static inline vec_t vec_permute2(vec_t a, vec_t b, vidx_t idx, vmask_t valid)
{
    return _mm512_maskz_permutex2var_ps(valid, a, idx, b);
}

#include "kernels/conv/conv_tpl.h"

gs_status_t gs_conv_fwd_avx512(const gs_conv_shape_t *s, const float *src, const float *wei, const float *bias,
                               float *dst)
{
    return conv_fwd_tpl(s, src, wei, bias, dst);
}

gs_status_t gs_conv_bwd_data_avx512(const gs_conv_shape_t *s, const float *diff_dst, const float *wei,
                                    float *diff_src)
{
    return conv_bwd_data_tpl(s, diff_dst, wei, diff_src);
}

gs_status_t gs_conv_bwd_weights_avx512(const gs_conv_shape_t *s, const float *src, const float *diff_dst,
                                       float *diff_wei, float *diff_bias)
{
    return conv_bwd_weights_tpl(s, src, diff_dst, diff_wei, diff_bias);
}
