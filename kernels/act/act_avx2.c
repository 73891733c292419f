/* AVX2 activations: one 8-float vector op per kind (vmath_avx2.h for exp/expm1/tanh/sigmoid),
 * mapped over the buffer with a maskload/maskstore tail; act_tpl.h dispatches the kinds and
 * threads the chunks. The same ops as act_avx512.c, lane for lane. */
#include <immintrin.h>

#include "core/lanes_avx2.h"
#include "kernels/act/act.h"
#include "kernels/act/vmath_avx2.h"

typedef __m256 vec_t;
static inline vec_t vec_set1(float v) { return _mm256_set1_ps(v); }

typedef __m256 fwd_op(__m256 x, __m256 alpha);
/* x: forward input, y: forward output, dy: incoming gradient. Each op reads only what it needs;
 * after inlining, the loads of the others are dead and disappear. */
typedef __m256 bwd_op(__m256 x, __m256 y, __m256 dy, __m256 alpha);

static inline __m256 zero(void) { return _mm256_setzero_ps(); }
static inline __m256 positive(__m256 x) { return _mm256_cmp_ps(x, zero(), _CMP_GT_OQ); }

/* ---- forward ops ---- */
static inline __m256 fwd_identity(__m256 x, __m256 a) { (void)a; return x; }
static inline __m256 fwd_sigmoid(__m256 x, __m256 a) { (void)a; return gs_vmath_sigmoid256(x); }
static inline __m256 fwd_tanh(__m256 x, __m256 a) { (void)a; return gs_vmath_tanh256(x); }
/* max(0, x) returns x when x is NaN (the second operand), so NaN propagates. */
static inline __m256 fwd_relu(__m256 x, __m256 a) { (void)a; return _mm256_max_ps(zero(), x); }
static inline __m256 fwd_leaky(__m256 x, __m256 a) { return _mm256_blendv_ps(_mm256_mul_ps(a, x), x, positive(x)); }
static inline __m256 fwd_elu(__m256 x, __m256 a)
{
    return _mm256_blendv_ps(_mm256_mul_ps(a, gs_vmath_expm1256(x)), x, positive(x));
}
static inline __m256 fwd_sigmoid_linear(__m256 x, __m256 a) { return _mm256_fmadd_ps(a, x, gs_vmath_sigmoid256(x)); }

/* ---- backward ops ---- */
static inline __m256 bwd_identity(__m256 x, __m256 y, __m256 dy, __m256 a)
{
    (void)x, (void)y, (void)a;
    return dy;
}
/* s' = s - s^2 from the output, one rounding (FMA) */
static inline __m256 bwd_sigmoid(__m256 x, __m256 y, __m256 dy, __m256 a)
{
    (void)x, (void)a;
    return _mm256_mul_ps(dy, _mm256_fnmadd_ps(y, y, y));
}
static inline __m256 bwd_sigmoid_modderiv(__m256 x, __m256 y, __m256 dy, __m256 a)
{
    (void)x;
    return _mm256_mul_ps(dy, _mm256_add_ps(_mm256_fnmadd_ps(y, y, y), a));
}
static inline __m256 bwd_tanh(__m256 x, __m256 y, __m256 dy, __m256 a)
{
    (void)x, (void)a;
    return _mm256_mul_ps(dy, _mm256_fnmadd_ps(y, y, _mm256_set1_ps(1.0f)));
}
static inline __m256 bwd_relu(__m256 x, __m256 y, __m256 dy, __m256 a)
{
    (void)y, (void)a;
    return _mm256_and_ps(positive(x), dy);
}
static inline __m256 bwd_leaky(__m256 x, __m256 y, __m256 dy, __m256 a)
{
    (void)y;
    return _mm256_blendv_ps(_mm256_mul_ps(a, dy), dy, positive(x));
}
/* alpha e^x from x, not y + alpha from y: reading x instead of y costs the same bytes. */
static inline __m256 bwd_elu(__m256 x, __m256 y, __m256 dy, __m256 a)
{
    (void)y;
    return _mm256_blendv_ps(_mm256_mul_ps(dy, _mm256_mul_ps(a, gs_vmath_exp256(x))), dy, positive(x));
}
/* sigmoid(x) recomputed from x: the output holds sigmoid(x) + alpha x, and recovering sigmoid from
 * it would cancel; the recomputation reads no more memory than reading y would. */
static inline __m256 bwd_sigmoid_linear(__m256 x, __m256 y, __m256 dy, __m256 a)
{
    (void)y;
    const __m256 s = gs_vmath_sigmoid256(x);
    return _mm256_mul_ps(dy, _mm256_add_ps(_mm256_fnmadd_ps(s, s, s), a));
}

/* ---- maps ---- */
GS_VMATH_INLINE void fwd_map(long n, const float *x, float *y, __m256 a, fwd_op *op)
{
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, op(_mm256_loadu_ps(x + i), a));
    if (i < n) {
        const __m256i m = gs_lanes_below(n - i);
        _mm256_maskstore_ps(y + i, m, op(_mm256_maskload_ps(x + i, m), a));
    }
}

GS_VMATH_INLINE void bwd_map(long n, const float *x, const float *y, const float *dy, float *dx, __m256 a,
                             bwd_op *op)
{
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dx + i, op(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), _mm256_loadu_ps(dy + i), a));
    if (i < n) {
        const __m256i m = gs_lanes_below(n - i);
        const __m256 vx = _mm256_maskload_ps(x + i, m), vy = _mm256_maskload_ps(y + i, m);
        _mm256_maskstore_ps(dx + i, m, op(vx, vy, _mm256_maskload_ps(dy + i, m), a));
    }
}

#include "kernels/act/act_tpl.h"

gs_status_t gs_act_fwd_avx2(gs_act_t act, long n, const float *x, float *y) { return act_fwd(act, n, x, y); }

gs_status_t gs_act_bwd_avx2(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *dx)
{
    return act_bwd(act, n, x, y, dy, dx);
}
