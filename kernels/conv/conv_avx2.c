/* AVX2+FMA convolution: the passes of conv_tpl.h on 8-float ymm vectors (6 x 16 broadcast tiles,
 * 2 x 5 dot tiles). */
#include <immintrin.h>

typedef __m256 vec_t;
#define VL 8
#define MR_MAX 6 /* 12 accumulators + 2 vectors of B + a broadcast of the 16 ymm registers */
#define DR 2     /* 10 accumulators + 2 vectors of diff_dst + one of im2col */
#define DC 5

typedef __m256i vmask_t;

/* All-ones in lanes [lo, hi): the lane index compared against both ends. */
static inline vmask_t vec_mask(int lo, int hi)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(lo - 1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), idx));
}
static inline vec_t vec_zero(void) { return _mm256_setzero_ps(); }
static inline vec_t vec_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void vec_store(float *p, vec_t v) { _mm256_storeu_ps(p, v); }
static inline vec_t vec_set1(float x) { return _mm256_set1_ps(x); }
static inline vec_t vec_fma(vec_t a, vec_t b, vec_t c) { return _mm256_fmadd_ps(a, b, c); }
static inline vec_t vec_add(vec_t a, vec_t b) { return _mm256_add_ps(a, b); }
static inline vec_t vec_load_mask(const float *p, vmask_t m) { return _mm256_maskload_ps(p, m); }
static inline void vec_store_mask(float *p, vec_t v, vmask_t m) { _mm256_maskstore_ps(p, m, v); }
static inline float vec_hsum(vec_t v)
{
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

/* out[0..3] += the sums of a, b, c, d: three horizontal adds and a fold of the two 128-bit halves. */
static inline void vec_hsum4_add(vec_t a, vec_t b, vec_t c, vec_t d, float *out)
{
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    _mm_storeu_ps(out, _mm_add_ps(_mm_loadu_ps(out), q));
}

typedef __m256i vidx_t;
static inline vidx_t vec_idx_load(const int *idx) { return _mm256_loadu_si256((const __m256i *)idx); }

/* Lane l = (a:b)[idx[l]] (idx < 16) for the lanes of `valid`, zero elsewhere: each source permuted
 * by the low three index bits, the fourth bit choosing between them. */
static inline vec_t vec_permute2(vec_t a, vec_t b, vidx_t idx, vmask_t valid)
{
    const __m256 from_b = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28));
    const __m256 v = _mm256_blendv_ps(_mm256_permutevar8x32_ps(a, idx), _mm256_permutevar8x32_ps(b, idx), from_b);
    return _mm256_and_ps(v, _mm256_castsi256_ps(valid));
}

#include "kernels/conv/conv_tpl.h"

gs_status_t gs_conv_fwd_avx2(const gs_conv_shape_t *s, const float *src, const float *wei, const float *bias,
                             float *dst)
{
    return conv_fwd_tpl(s, src, wei, bias, dst);
}

gs_status_t gs_conv_bwd_data_avx2(const gs_conv_shape_t *s, const float *diff_dst, const float *wei, float *diff_src)
{
    return conv_bwd_data_tpl(s, diff_dst, wei, diff_src);
}

gs_status_t gs_conv_bwd_weights_avx2(const gs_conv_shape_t *s, const float *src, const float *diff_dst,
                                     float *diff_wei, float *diff_bias)
{
    return conv_bwd_weights_tpl(s, src, diff_dst, diff_wei, diff_bias);
}
