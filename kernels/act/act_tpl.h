/* The per-kind dispatch and the threading of the SIMD activations, written once: act_avx2.c and
 * act_avx512.c define vec_t, vec_set1(float), the forward ops fwd_<kind>(x, alpha), the backward
 * ops bwd_<kind>(x, y, dy, alpha) and the maps fwd_map(n, x, y, alpha, op) / bwd_map(n, x, y, dy,
 * dx, alpha, op) over one chunk (full vectors, then a masked tail), then include this file and
 * export act_fwd / act_bwd under their ISA's names. */
#ifndef GS_ACT_TPL_H
#define GS_ACT_TPL_H

#include <stdbool.h>

#include "kernels/act/act.h"
#include "kernels/act/eltwise_par.h"

static void fwd_chunk(gs_act_t act, long n, const float *x, float *y)
{
    const vec_t a = vec_set1(act.alpha);
    switch (act.kind) {
    case GS_ACT_IDENTITY: fwd_map(n, x, y, a, fwd_identity); break;
    case GS_ACT_SIGMOID:
    case GS_ACT_SIGMOID_MODDERIV: fwd_map(n, x, y, a, fwd_sigmoid); break;
    case GS_ACT_TANH: fwd_map(n, x, y, a, fwd_tanh); break;
    case GS_ACT_RELU: fwd_map(n, x, y, a, fwd_relu); break;
    case GS_ACT_LEAKY_RELU: fwd_map(n, x, y, a, fwd_leaky); break;
    case GS_ACT_ELU: fwd_map(n, x, y, a, fwd_elu); break;
    case GS_ACT_SIGMOID_LINEAR: fwd_map(n, x, y, a, fwd_sigmoid_linear); break;
    default: break;
    }
}

static void bwd_chunk(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *dx)
{
    const vec_t a = vec_set1(act.alpha);
    switch (act.kind) {
    case GS_ACT_IDENTITY: bwd_map(n, x, y, dy, dx, a, bwd_identity); break;
    case GS_ACT_SIGMOID: bwd_map(n, x, y, dy, dx, a, bwd_sigmoid); break;
    case GS_ACT_SIGMOID_MODDERIV: bwd_map(n, x, y, dy, dx, a, bwd_sigmoid_modderiv); break;
    case GS_ACT_TANH: bwd_map(n, x, y, dy, dx, a, bwd_tanh); break;
    case GS_ACT_RELU: bwd_map(n, x, y, dy, dx, a, bwd_relu); break;
    case GS_ACT_LEAKY_RELU: bwd_map(n, x, y, dy, dx, a, bwd_leaky); break;
    case GS_ACT_ELU: bwd_map(n, x, y, dy, dx, a, bwd_elu); break;
    case GS_ACT_SIGMOID_LINEAR: bwd_map(n, x, y, dy, dx, a, bwd_sigmoid_linear); break;
    default: break;
    }
}

/* Kinds that evaluate exp per element: worth threads at smaller sizes. */
static bool math_heavy_fwd(gs_act_kind_t k) { return k != GS_ACT_IDENTITY && k != GS_ACT_RELU && k != GS_ACT_LEAKY_RELU; }
static bool math_heavy_bwd(gs_act_kind_t k) { return k == GS_ACT_ELU || k == GS_ACT_SIGMOID_LINEAR; }

typedef struct {
    gs_act_t act;
    const float *x, *y, *dy;
    float *out;
} job_t;

static void fwd_job(void *ctx, long lo, long hi)
{
    const job_t *j = ctx;
    fwd_chunk(j->act, hi - lo, j->x + lo, j->out + lo);
}

static void bwd_job(void *ctx, long lo, long hi)
{
    const job_t *j = ctx;
    bwd_chunk(j->act, hi - lo, j->x + lo, j->y + lo, j->dy + lo, j->out + lo);
}

static gs_status_t act_fwd(gs_act_t act, long n, const float *x, float *y)
{
    if (act.kind == GS_ACT_IDENTITY && x == y)
        return GS_OK;
    job_t j = {act, x, NULL, NULL, y};
    gs_eltwise_run(n, GS_ELTWISE_ALIGN, math_heavy_fwd(act.kind), fwd_job, &j);
    return GS_OK;
}

static gs_status_t act_bwd(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *dx)
{
    if (act.kind == GS_ACT_IDENTITY && dx == dy)
        return GS_OK;
    job_t j = {act, x, y, dy, dx};
    gs_eltwise_run(n, GS_ELTWISE_ALIGN, math_heavy_bwd(act.kind), bwd_job, &j);
    return GS_OK;
}

#endif
