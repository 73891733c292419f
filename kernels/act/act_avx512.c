/* AVX-512 activations: one 16-float vector op per kind (vmath_avx512.h for exp/expm1/tanh/sigmoid),
 * mapped over the buffer with a masked tail; act_tpl.h dispatches the kinds and threads the
 * chunks. Also built against SIMDe for the tests (see core/simd_avx512.h). */
#include "core/lanes_avx512.h"
#include "core/simd_avx512.h"
#include "kernels/act/act.h"
#include "kernels/act/vmath_avx512.h"

typedef __m512 vec_t;
static inline vec_t vec_set1(float v) { return _mm512_set1_ps(v); }

typedef __m512 fwd_op(__m512 x, __m512 alpha);
/* x: forward input, y: forward output, dy: incoming gradient. Each op reads only what it needs;
 * after inlining, the loads of the others are dead and disappear. */
typedef __m512 bwd_op(__m512 x, __m512 y, __m512 dy, __m512 alpha);

static inline __m512 zero(void) { return _mm512_setzero_ps(); }
static inline __mmask16 positive(__m512 x) { return _mm512_cmp_ps_mask(x, zero(), _CMP_GT_OQ); }

/* ---- forward ops ---- */
static inline __m512 fwd_identity(__m512 x, __m512 a) { (void)a; return x; }
static inline __m512 fwd_sigmoid(__m512 x, __m512 a) { (void)a; return gs_vmath_sigmoid512(x); }
static inline __m512 fwd_tanh(__m512 x, __m512 a) { (void)a; return gs_vmath_tanh512(x); }
/* max(0, x) returns x when x is NaN (the second operand), so NaN propagates. */
static inline __m512 fwd_relu(__m512 x, __m512 a) { (void)a; return _mm512_max_ps(zero(), x); }
static inline __m512 fwd_leaky(__m512 x, __m512 a) { return _mm512_mask_mov_ps(_mm512_mul_ps(a, x), positive(x), x); }
static inline __m512 fwd_elu(__m512 x, __m512 a)
{
    return _mm512_mask_mov_ps(_mm512_mul_ps(a, gs_vmath_expm1512(x)), positive(x), x);
}
static inline __m512 fwd_sigmoid_linear(__m512 x, __m512 a) { return _mm512_fmadd_ps(a, x, gs_vmath_sigmoid512(x)); }

/* ---- backward ops ---- */
static inline __m512 bwd_identity(__m512 x, __m512 y, __m512 dy, __m512 a)
{
    (void)x, (void)y, (void)a;
    return dy;
}
/* s' = s - s^2 from the output, one rounding (FMA) */
static inline __m512 bwd_sigmoid(__m512 x, __m512 y, __m512 dy, __m512 a)
{
    (void)x, (void)a;
    return _mm512_mul_ps(dy, _mm512_fnmadd_ps(y, y, y));
}
static inline __m512 bwd_sigmoid_modderiv(__m512 x, __m512 y, __m512 dy, __m512 a)
{
    (void)x;
    return _mm512_mul_ps(dy, _mm512_add_ps(_mm512_fnmadd_ps(y, y, y), a));
}
static inline __m512 bwd_tanh(__m512 x, __m512 y, __m512 dy, __m512 a)
{
    (void)x, (void)a;
    return _mm512_mul_ps(dy, _mm512_fnmadd_ps(y, y, _mm512_set1_ps(1.0f)));
}
static inline __m512 bwd_relu(__m512 x, __m512 y, __m512 dy, __m512 a)
{
    (void)y, (void)a;
    return _mm512_maskz_mov_ps(positive(x), dy);
}
static inline __m512 bwd_leaky(__m512 x, __m512 y, __m512 dy, __m512 a)
{
    (void)y;
    return _mm512_mask_mov_ps(_mm512_mul_ps(a, dy), positive(x), dy);
}
/* alpha e^x from x, not y + alpha from y: reading x instead of y costs the same bytes. */
static inline __m512 bwd_elu(__m512 x, __m512 y, __m512 dy, __m512 a)
{
    (void)y;
    return _mm512_mask_mov_ps(_mm512_mul_ps(dy, _mm512_mul_ps(a, gs_vmath_exp512(x))), positive(x), dy);
}
/* sigmoid(x) recomputed from x: the output holds sigmoid(x) + alpha x, and recovering sigmoid from
 * it would cancel; the recomputation reads no more memory than reading y would. */
static inline __m512 bwd_sigmoid_linear(__m512 x, __m512 y, __m512 dy, __m512 a)
{
    (void)y;
    const __m512 s = gs_vmath_sigmoid512(x);
    return _mm512_mul_ps(dy, _mm512_add_ps(_mm512_fnmadd_ps(s, s, s), a));
}

/* ---- maps ---- */

GS_VMATH_INLINE void fwd_map(long n, const float *x, float *y, __m512 a, fwd_op *op)
{
    long i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, op(_mm512_loadu_ps(x + i), a));
    if (i < n) {
        const __mmask16 m = gs_mask_below(n - i);
        _mm512_mask_storeu_ps(y + i, m, op(_mm512_maskz_loadu_ps(m, x + i), a));
    }
}

GS_VMATH_INLINE void bwd_map(long n, const float *x, const float *y, const float *dy, float *dx, __m512 a,
                             bwd_op *op)
{
    long i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dx + i, op(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), _mm512_loadu_ps(dy + i), a));
    if (i < n) {
        const __mmask16 m = gs_mask_below(n - i);
        const __m512 vx = _mm512_maskz_loadu_ps(m, x + i), vy = _mm512_maskz_loadu_ps(m, y + i);
        _mm512_mask_storeu_ps(dx + i, m, op(vx, vy, _mm512_maskz_loadu_ps(m, dy + i), a));
    }
}

#include "kernels/act/act_tpl.h"

gs_status_t gs_act_fwd_avx512(gs_act_t act, long n, const float *x, float *y) { return act_fwd(act, n, x, y); }

gs_status_t gs_act_bwd_avx512(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *dx)
{
    return act_bwd(act, n, x, y, dy, dx);
}
