/* Optimizer updates' public entry: names, argument checks, dispatch, profiling, and the per-call
 * coefficients and chunked reduction every ISA shares. */
#include "kernels/optim/optim.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/dispatch.h"
#include "core/profiler.h"
#include "kernels/act/eltwise_par.h"
#include "kernels/optim/optim_impl.h"

static const char *const opt_names[GS_OPT_COUNT] = {"sgd", "momentum", "adam", "sdagd"};

const char *gs_opt_name(gs_opt_kind_t kind) { return (unsigned)kind < GS_OPT_COUNT ? opt_names[kind] : "?"; }

int gs_opt_state_per_param(gs_opt_kind_t kind)
{
    return kind == GS_OPT_ADAM ? 2 : kind == GS_OPT_MOMENTUM || kind == GS_OPT_SDAGD ? 1 : 0;
}

double gs_opt_bytes_per_param(gs_opt_kind_t kind)
{
    /* w and g read, w written, and each state float read and written */
    return 12.0 + 8.0 * gs_opt_state_per_param(kind) + (kind == GS_OPT_SDAGD ? 4.0 : 0.0);
}

gs_adam_coef_t gs_adam_coef(const gs_opt_t *opt, long step)
{
    const double c1 = 1.0 - pow((double)opt->beta1, (double)step), c2 = 1.0 - pow((double)opt->beta2, (double)step);
    return (gs_adam_coef_t){(float)((double)opt->lr / c1), (float)(1.0 / sqrt(c2))};
}

float gs_sdagd_mu(const gs_opt_t *opt, double sumsq) { return (float)(sqrt(sumsq) / (double)opt->sdagd_r); }

gs_status_t gs_sumsq_chunked(long n, const float *g, gs_sumsq_chunk_fn *chunk, double *sumsq)
{
    const long nchunks = (n + GS_SUMSQ_CHUNK - 1) / GS_SUMSQ_CHUNK;
    double total = 0.0;
    const int nt = gs_eltwise_threads(n, false);
    if (nt == 1) {
        for (long k = 0; k < nchunks; k++) {
            const long lo = k * GS_SUMSQ_CHUNK, len = n - lo < GS_SUMSQ_CHUNK ? n - lo : GS_SUMSQ_CHUNK;
            total += chunk(len, g + lo);
        }
        *sumsq = total;
        return GS_OK;
    }
    double *part = malloc((size_t)nchunks * sizeof *part);
    if (!part)
        return gs_error(GS_ENOMEM, "sumsq: cannot allocate %ld partial sums", nchunks);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (long k = 0; k < nchunks; k++) {
        const long lo = k * GS_SUMSQ_CHUNK, len = n - lo < GS_SUMSQ_CHUNK ? n - lo : GS_SUMSQ_CHUNK;
        part[k] = chunk(len, g + lo);
    }
    for (long k = 0; k < nchunks; k++)
        total += part[k];
    free(part);
    *sumsq = total;
    return GS_OK;
}

/* ---- checks ---- */

static int overlaps(const float *a, long na, const float *b, long nb)
{
    const uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    return a && b && pa < pb + (uintptr_t)nb * sizeof(float) && pb < pa + (uintptr_t)na * sizeof(float);
}

static gs_status_t check_hyper(const gs_opt_t *o)
{
    if (!isfinite(o->lr))
        return gs_error(GS_EINVAL, "opt_step: lr = %g is not finite", (double)o->lr);
    if (o->kind == GS_OPT_MOMENTUM && !isfinite(o->momentum))
        return gs_error(GS_EINVAL, "opt_step: momentum = %g is not finite", (double)o->momentum);
    if (o->kind == GS_OPT_ADAM && !(o->beta1 >= 0.0f && o->beta1 < 1.0f && o->beta2 >= 0.0f && o->beta2 < 1.0f))
        return gs_error(GS_EINVAL, "opt_step: adam betas (%g, %g) must lie in [0, 1)", (double)o->beta1,
                        (double)o->beta2);
    if (o->kind == GS_OPT_ADAM && !(o->eps >= 0.0f && isfinite(o->eps)))
        return gs_error(GS_EINVAL, "opt_step: adam eps = %g, expected a finite value >= 0", (double)o->eps);
    if (o->kind == GS_OPT_SDAGD && !(o->sdagd_r > 0.0f && isfinite(o->sdagd_r)))
        return gs_error(GS_EINVAL, "opt_step: sdagd_r = %g, expected a finite value > 0", (double)o->sdagd_r);
    if (o->kind == GS_OPT_SDAGD && !(o->sdagd_decay >= 0.0f && o->sdagd_decay <= 1.0f))
        return gs_error(GS_EINVAL, "opt_step: sdagd_decay = %g outside [0, 1]", (double)o->sdagd_decay);
    return GS_OK;
}

static gs_status_t check_step(const gs_opt_t *opt, long n, const float *w, const float *g, const float *state,
                              long step)
{
    if (!opt)
        return gs_error(GS_EINVAL, "opt_step: opt is NULL");
    if ((unsigned)opt->kind >= GS_OPT_COUNT)
        return gs_error(GS_EINVAL, "opt_step: optimizer kind %d out of range [0, %d)", (int)opt->kind, GS_OPT_COUNT);
    if (n <= 0)
        return gs_error(GS_EINVAL, "opt_step: n = %ld, expected > 0", n);
    const long ns = n * gs_opt_state_per_param(opt->kind);
    if (!w || !g || (ns && !state))
        return gs_error(GS_EINVAL, "opt_step: %s is NULL%s", !w ? "w" : !g ? "g" : "state",
                        !w || !g ? "" : " (momentum and sdagd keep n floats of state, adam 2n)");
    if (step < 1)
        return gs_error(GS_EINVAL, "opt_step: step = %ld, expected >= 1 (steps count from 1)", step);
    if (overlaps(w, n, g, n) || overlaps(w, n, ns ? state : NULL, ns) || overlaps(g, n, ns ? state : NULL, ns))
        return gs_error(GS_EINVAL, "opt_step: w, g and state must not overlap");
    return check_hyper(opt);
}

static gs_status_t check_buffer(const char *fn, long n, const float *g)
{
    if (n <= 0)
        return gs_error(GS_EINVAL, "%s: n = %ld, expected > 0", fn, n);
    if (!g)
        return gs_error(GS_EINVAL, "%s: g is NULL", fn);
    return GS_OK;
}

/* ---- checked calls of a given implementation ---- */

gs_status_t gs_opt_step_with(gs_opt_step_fn *fn, const gs_opt_t *opt, long n, float *w, const float *g, float *state,
                             long step)
{
    gs_status_t st = check_step(opt, n, w, g, state, step);
    if (st == GS_OK && !fn)
        st = gs_error(GS_EUNSUPPORTED, "opt_step: no implementation for this ISA on this CPU");
    return st == GS_OK ? fn(opt, n, w, g, state, step) : st;
}

gs_status_t gs_sumsq_with(gs_sumsq_fn *fn, long n, const float *g, double *sumsq)
{
    gs_status_t st = check_buffer("sumsq", n, g);
    if (st == GS_OK && !sumsq)
        st = gs_error(GS_EINVAL, "sumsq: sumsq is NULL");
    if (st == GS_OK && !fn)
        st = gs_error(GS_EUNSUPPORTED, "sumsq: no implementation for this ISA on this CPU");
    return st == GS_OK ? fn(n, g, sumsq) : st;
}

gs_status_t gs_scale_with(gs_scale_fn *fn, long n, float *g, float scale)
{
    gs_status_t st = check_buffer("scale", n, g);
    if (st == GS_OK && !isfinite(scale))
        st = gs_error(GS_EINVAL, "scale: scale = %g is not finite", (double)scale);
    if (st == GS_OK && !fn)
        st = gs_error(GS_EUNSUPPORTED, "scale: no implementation for this ISA on this CPU");
    return st == GS_OK ? fn(n, g, scale) : st;
}

gs_status_t gs_add_noise_with(gs_add_noise_fn *fn, long n, float *g, float std, uint64_t seed, uint64_t stream)
{
    gs_status_t st = check_buffer("add_noise", n, g);
    if (st == GS_OK && !(std >= 0.0f && isfinite(std)))
        st = gs_error(GS_EINVAL, "add_noise: std = %g, expected a finite value >= 0", (double)std);
    if (st == GS_OK && !fn)
        st = gs_error(GS_EUNSUPPORTED, "add_noise: no implementation for this ISA on this CPU");
    return st == GS_OK ? fn(n, g, std, seed, stream) : st;
}

/* ---- dispatched, profiled entries ---- */

/* oneDNN has no optimizer primitives: the native kernels run under --impl onednn too, and the
 * profile says so. */
static void record(const char *kernel, const char *what, long n, uint64_t ns, double bytes)
{
    char shape[96];
    snprintf(shape, sizeof shape, "n%ld%s", n, what);
    gs_prof_record(kernel, "native", gs_isa_name(gs_kern.isa), shape, ns, 0.0, bytes);
}

gs_status_t gs_opt_step(const gs_opt_t *opt, long n, float *w, const float *g, float *state, long step)
{
    if (!gs_prof_active())
        return gs_opt_step_with(gs_kern.opt_step, opt, n, w, g, state, step);
    const uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_opt_step_with(gs_kern.opt_step, opt, n, w, g, state, step);
    const gs_opt_kind_t kind = opt && (unsigned)opt->kind < GS_OPT_COUNT ? opt->kind : GS_OPT_SGD;
    record("opt_step", gs_opt_name(kind), n, gs_now_ns() - t0, gs_opt_bytes_per_param(kind) * (double)n);
    return st;
}

gs_status_t gs_sumsq(long n, const float *g, double *sumsq)
{
    if (!gs_prof_active())
        return gs_sumsq_with(gs_kern.sumsq, n, g, sumsq);
    const uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_sumsq_with(gs_kern.sumsq, n, g, sumsq);
    record("sumsq", "", n, gs_now_ns() - t0, 4.0 * (double)n);
    return st;
}

gs_status_t gs_scale(long n, float *g, float scale)
{
    if (!gs_prof_active())
        return gs_scale_with(gs_kern.scale, n, g, scale);
    const uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_scale_with(gs_kern.scale, n, g, scale);
    record("scale", "", n, gs_now_ns() - t0, 8.0 * (double)n);
    return st;
}

gs_status_t gs_add_noise(long n, float *g, float std, uint64_t seed, uint64_t stream)
{
    if (!gs_prof_active())
        return gs_add_noise_with(gs_kern.add_noise, n, g, std, seed, stream);
    const uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_add_noise_with(gs_kern.add_noise, n, g, std, seed, stream);
    record("add_noise", "", n, gs_now_ns() - t0, 8.0 * (double)n);
    return st;
}
