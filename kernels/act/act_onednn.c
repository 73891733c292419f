/* oneDNN reference activations: eltwise forward/backward primitives (logistic, tanh, relu with its
 * slope, elu, linear for identity). The two sigmoid variants oneDNN lacks are composed from its
 * primitives: sigmoid_linear forward = logistic, then a sum primitive adding alpha * x; the
 * backward of sigmoid_modderiv and sigmoid_linear = logistic backward, then a sum adding alpha * dy.
 * The compositions make two passes over memory where a fused kernel makes one. */
#include <stdint.h>

#include "core/mem.h"
#include "kernels/act/act.h"
#include "kernels/act/eltwise_dnnl.h"

enum { OP_FWD = 1, OP_BWD, OP_SUM };

/* The oneDNN algorithm of a kind and whether its backward reads the output (use_dst) or the input. */
static dnnl_alg_kind_t fwd_alg(gs_act_kind_t k)
{
    switch (k) {
    case GS_ACT_SIGMOID:
    case GS_ACT_SIGMOID_MODDERIV:
    case GS_ACT_SIGMOID_LINEAR: return dnnl_eltwise_logistic;
    case GS_ACT_TANH: return dnnl_eltwise_tanh;
    case GS_ACT_RELU:
    case GS_ACT_LEAKY_RELU: return dnnl_eltwise_relu;
    case GS_ACT_ELU: return dnnl_eltwise_elu;
    default: return dnnl_eltwise_linear;
    }
}

/* sigmoid_linear's output is not the logistic's, so its backward uses the input form. */
static dnnl_alg_kind_t bwd_alg(gs_act_kind_t k)
{
    switch (k) {
    case GS_ACT_SIGMOID:
    case GS_ACT_SIGMOID_MODDERIV: return dnnl_eltwise_logistic_use_dst_for_bwd;
    case GS_ACT_TANH: return dnnl_eltwise_tanh_use_dst_for_bwd;
    default: return fwd_alg(k);
    }
}

static int reads_dst(dnnl_alg_kind_t alg)
{
    return alg == dnnl_eltwise_logistic_use_dst_for_bwd || alg == dnnl_eltwise_tanh_use_dst_for_bwd;
}

/* alpha, beta of oneDNN's formula: relu's alpha is the negative slope, elu's its alpha, linear's
 * alpha * x + beta is the identity with (1, 0); the others ignore them. */
static void dnnl_params(gs_act_t a, float *alpha, float *beta)
{
    *alpha = a.kind == GS_ACT_LEAKY_RELU || a.kind == GS_ACT_ELU ? a.alpha : a.kind == GS_ACT_IDENTITY ? 1.0f : 0.0f;
    *beta = 0.0f;
}

static gs_status_t build_eltwise(const gs_eltdnn_key_t *k, dnnl_engine_t eng, dnnl_primitive_t *prim)
{
    const dnnl_memory_desc_t md = gs_eltdnn_md(k->d0, 0);
    dnnl_eltwise_desc_t fwd;
    dnnl_alg_kind_t fa = k->op == OP_FWD ? (dnnl_alg_kind_t)k->alg : (dnnl_alg_kind_t)k->d1;
    dnnl_status_t st = dnnl_eltwise_forward_desc_init(&fwd, dnnl_forward_training, fa, &md, k->alpha, k->beta);
    if (st != dnnl_success)
        return gs_eltdnn_error("dnnl_eltwise_forward_desc_init", st);
    if (k->op == OP_FWD)
        return gs_eltdnn_create(&fwd, NULL, eng, prim);
    /* a backward primitive descriptor needs its forward one as a hint */
    dnnl_primitive_desc_t hint;
    st = dnnl_primitive_desc_create(&hint, &fwd, NULL, eng, NULL);
    if (st != dnnl_success)
        return gs_eltdnn_error("dnnl_primitive_desc_create (forward hint)", st);
    dnnl_eltwise_desc_t bwd;
    st = dnnl_eltwise_backward_desc_init(&bwd, (dnnl_alg_kind_t)k->alg, &md, &md, k->alpha, k->beta);
    gs_status_t gs = st == dnnl_success ? gs_eltdnn_create(&bwd, hint, eng, prim)
                                         : gs_eltdnn_error("dnnl_eltwise_backward_desc_init", st);
    dnnl_primitive_desc_destroy(hint);
    return gs;
}

/* dst = alpha * src0 + beta * src1 (oneDNN's sum primitive, scales per source). */
static gs_status_t build_sum(const gs_eltdnn_key_t *k, dnnl_engine_t eng, dnnl_primitive_t *prim)
{
    const dnnl_memory_desc_t mds[2] = {gs_eltdnn_md(k->d0, 0), gs_eltdnn_md(k->d0, 0)};
    const float scales[2] = {k->alpha, k->beta};
    dnnl_primitive_desc_t pd;
    dnnl_status_t st = dnnl_sum_primitive_desc_create(&pd, &mds[0], 2, scales, mds, NULL, eng);
    if (st != dnnl_success)
        return gs_eltdnn_error("dnnl_sum_primitive_desc_create", st);
    st = dnnl_primitive_create(prim, pd);
    dnnl_primitive_desc_destroy(pd);
    return st == dnnl_success ? GS_OK : gs_eltdnn_error("dnnl_primitive_create (sum)", st);
}

/* dst = sa * a + sb * b; dst may be a (oneDNN's sum runs in place on its first source). */
static gs_status_t sum2(long n, float sa, const float *a, float sb, const float *b, float *dst)
{
    const gs_eltdnn_key_t key = {.op = OP_SUM, .d0 = n, .alpha = sa, .beta = sb};
    const dnnl_memory_desc_t md = gs_eltdnn_md(n, 0);
    const gs_eltdnn_arg_t args[3] = {
        {DNNL_ARG_MULTIPLE_SRC, md, a}, {DNNL_ARG_MULTIPLE_SRC + 1, md, b}, {DNNL_ARG_DST, md, dst}};
    return gs_eltdnn_exec(&key, build_sum, 3, args);
}

static gs_status_t eltwise_fwd(gs_act_t act, long n, const float *x, float *y)
{
    gs_eltdnn_key_t key = {.op = OP_FWD, .alg = fwd_alg(act.kind), .d0 = n};
    dnnl_params(act, &key.alpha, &key.beta);
    const dnnl_memory_desc_t md = gs_eltdnn_md(n, 0);
    const gs_eltdnn_arg_t args[2] = {{DNNL_ARG_SRC, md, x}, {DNNL_ARG_DST, md, y}};
    return gs_eltdnn_exec(&key, build_eltwise, 2, args);
}

/* dx = dy * f'(data), data being y for the use_dst algorithms and x otherwise. */
static gs_status_t eltwise_bwd(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *dx)
{
    /* d1 carries the forward algorithm, which the backward primitive's hint needs */
    gs_eltdnn_key_t key = {.op = OP_BWD, .alg = bwd_alg(act.kind), .d0 = n, .d1 = fwd_alg(act.kind)};
    dnnl_params(act, &key.alpha, &key.beta);
    const dnnl_memory_desc_t md = gs_eltdnn_md(n, 0);
    const int data_arg = reads_dst((dnnl_alg_kind_t)key.alg) ? DNNL_ARG_DST : DNNL_ARG_SRC;
    const gs_eltdnn_arg_t args[3] = {
        {data_arg, md, data_arg == DNNL_ARG_DST ? y : x}, {DNNL_ARG_DIFF_DST, md, dy}, {DNNL_ARG_DIFF_SRC, md, dx}};
    return gs_eltdnn_exec(&key, build_eltwise, 3, args);
}

/* Per-thread scratch kept between calls (the composition runs every training step). */
static _Thread_local gs_scratch_t scratch;

/* A kind's oneDNN result plus alpha * v: the composition of the two sigmoid variants. In place
 * (out == v) the first result goes to a scratch buffer so v survives until the sum reads it. */
typedef gs_status_t first_fn(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *out);

static gs_status_t plus_alpha(first_fn *first, gs_act_t act, long n, const float *x, const float *y,
                              const float *dy, const float *v, float *out)
{
    if (out != v) {
        gs_status_t st = first(act, n, x, y, dy, out);
        return st == GS_OK ? sum2(n, 1.0f, out, act.alpha, v, out) : st;
    }
    float *tmp = gs_scratch_get(&scratch, (size_t)n);
    if (!tmp)
        return gs_error(GS_ENOMEM, "act onednn: cannot allocate %ld floats of scratch", n);
    gs_status_t st = first(act, n, x, y, dy, tmp);
    return st == GS_OK ? sum2(n, act.alpha, out, 1.0f, tmp, out) : st;
}

static gs_status_t first_logistic_fwd(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *out)
{
    (void)y, (void)dy;
    return eltwise_fwd(act, n, x, out);
}

static gs_status_t first_logistic_bwd(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *out)
{
    return eltwise_bwd(act, n, x, y, dy, out);
}

gs_status_t gs_act_fwd_onednn(gs_act_t act, long n, const float *x, float *y)
{
    if (act.kind == GS_ACT_SIGMOID_LINEAR)
        return plus_alpha(first_logistic_fwd, act, n, x, NULL, NULL, x, y);
    return eltwise_fwd(act, n, x, y);
}

gs_status_t gs_act_bwd_onednn(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *dx)
{
    if (act.kind == GS_ACT_SIGMOID_MODDERIV || act.kind == GS_ACT_SIGMOID_LINEAR)
        return plus_alpha(first_logistic_bwd, act, n, x, y, dy, dy, dx);
    return eltwise_bwd(act, n, x, y, dy, dx);
}
