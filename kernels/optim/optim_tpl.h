/* The glue of the SIMD optimizer kernels, written once: optim_avx2.c and optim_avx512.c define
 * vec_t, vec_set1(float), coef_t (the per-call coefficients as vectors, in the order coefs() fills
 * them), step_chunk(kind, k, n, w, g, s0, s1) over one chunk, sumsq_chunk(n, g),
 * scale_range(g, scale, lo, hi) and noise_range(g, std, seed, stream, lo, hi) with NOISE_BLOCK
 * (the elements one call of its Philox+Box-Muller block covers), then include this file and export
 * opt_step, sumsq, scale and add_noise under their ISA's names. */
#ifndef GS_OPTIM_TPL_H
#define GS_OPTIM_TPL_H

#include "kernels/act/eltwise_par.h"
#include "kernels/optim/optim_impl.h"

static void step_range(gs_opt_kind_t kind, const coef_t *k, long n, float *w, const float *g, float *state, long lo,
                       long hi)
{
    const long len = hi - lo;
    switch (kind) {
    case GS_OPT_MOMENTUM: step_chunk(GS_OPT_MOMENTUM, k, len, w + lo, g + lo, state + lo, NULL); break;
    case GS_OPT_ADAM: step_chunk(GS_OPT_ADAM, k, len, w + lo, g + lo, state + lo, state + n + lo); break;
    case GS_OPT_SDAGD: step_chunk(GS_OPT_SDAGD, k, len, w + lo, g + lo, state + lo, NULL); break;
    default: step_chunk(GS_OPT_SGD, k, len, w + lo, g + lo, NULL, NULL); break;
    }
}

static coef_t coefs(const gs_opt_t *o, long n, const float *g, long step, gs_status_t *st)
{
    const gs_adam_coef_t ac = o->kind == GS_OPT_ADAM ? gs_adam_coef(o, step) : (gs_adam_coef_t){0.0f, 0.0f};
    double ss = 0.0;
    *st = o->kind == GS_OPT_SDAGD ? gs_sumsq_chunked(n, g, sumsq_chunk, &ss) : GS_OK;
    return (coef_t){
        vec_set1(o->lr), vec_set1(o->momentum), vec_set1(o->beta1), vec_set1(1.0f - o->beta1),
        vec_set1(o->beta2), vec_set1(1.0f - o->beta2), vec_set1(o->eps), vec_set1(ac.step_size),
        vec_set1(ac.inv_sqrt_c2), vec_set1(o->sdagd_decay), vec_set1(1.0f - o->sdagd_decay),
        vec_set1(o->kind == GS_OPT_SDAGD ? gs_sdagd_mu(o, ss) : 0.0f),
    };
}

typedef struct {
    const gs_opt_t *opt;
    const coef_t *k;
    long n;
    float *w, *state, *g_out; /* g_out: the buffer scale and add_noise update */
    const float *g;
    float scale, std;
    uint64_t seed, stream;
} job_t;

static void step_job(void *ctx, long lo, long hi)
{
    const job_t *j = ctx;
    step_range(j->opt->kind, j->k, j->n, j->w, j->g, j->state, lo, hi);
}

static void scale_job(void *ctx, long lo, long hi)
{
    const job_t *j = ctx;
    scale_range(j->g_out, j->scale, lo, hi);
}

static void noise_job(void *ctx, long lo, long hi)
{
    const job_t *j = ctx;
    noise_range(j->g_out, j->std, j->seed, j->stream, lo, hi);
}

static gs_status_t opt_step(const gs_opt_t *opt, long n, float *w, const float *g, float *state, long step)
{
    gs_status_t st;
    const coef_t k = coefs(opt, n, g, step, &st);
    if (st != GS_OK)
        return st;
    job_t j = {.opt = opt, .k = &k, .n = n, .w = w, .state = state, .g = g};
    gs_eltwise_run(n, GS_ELTWISE_ALIGN, false, step_job, &j);
    return GS_OK;
}

static gs_status_t sumsq(long n, const float *g, double *out) { return gs_sumsq_chunked(n, g, sumsq_chunk, out); }

static gs_status_t scale(long n, float *g, float s)
{
    job_t j = {.g_out = g, .scale = s};
    gs_eltwise_run(n, GS_ELTWISE_ALIGN, false, scale_job, &j);
    return GS_OK;
}

/* Chunks start at multiples of NOISE_BLOCK, so every element gets the normal of its own counter
 * whatever the thread count. */
static gs_status_t add_noise(long n, float *g, float std, uint64_t seed, uint64_t stream)
{
    job_t j = {.g_out = g, .std = std, .seed = seed, .stream = stream};
    gs_eltwise_run(n, NOISE_BLOCK, true, noise_job, &j);
    return GS_OK;
}

#endif
