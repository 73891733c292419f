/* BatchNorm public entries: argument checks, the shared running-statistics update, dispatch, profiling. */
#include "kernels/bn/bn.h"

#include <math.h>
#include <stdio.h>

#include "core/clock.h"
#include "core/dispatch.h"
#include "core/profiler.h"

#define BN_MAX_ELEMS (1.0 * (1L << 40))

gs_status_t gs_bn_shape_check(const gs_bn_shape_t *s)
{
    if (!s)
        return gs_error(GS_EINVAL, "bn: shape is NULL");
    if (s->n <= 0)
        return gs_error(GS_EINVAL, "bn: n=%ld, expected > 0", s->n);
    if (s->c <= 0)
        return gs_error(GS_EINVAL, "bn: c=%ld, expected > 0", s->c);
    if (s->hw <= 0)
        return gs_error(GS_EINVAL, "bn: hw=%ld, expected > 0 (1 for 2-D input)", s->hw);
    if (!isfinite(s->eps) || s->eps < 0.0f)
        return gs_error(GS_EINVAL, "bn: eps=%g, expected a finite value >= 0", (double)s->eps);
    if ((double)s->n * (double)s->c * (double)s->hw > BN_MAX_ELEMS)
        return gs_error(GS_EINVAL, "bn: n*c*hw = %.0f elements, more than 2^40",
                        (double)s->n * (double)s->c * (double)s->hw);
    return GS_OK;
}

const char *gs_bn_shape_str(const gs_bn_shape_t *s, char *buf, unsigned long size)
{
    int len = snprintf(buf, size, "mb%ldic%ld", s->n, s->c);
    if (s->hw > 1 && len >= 0 && (unsigned long)len < size)
        len += snprintf(buf + len, size - (unsigned long)len, "hw%ld", s->hw);
    if (len >= 0 && (unsigned long)len < size)
        snprintf(buf + len, size - (unsigned long)len, "eps%g", (double)s->eps);
    return buf;
}

void gs_bn_update_running(const gs_bn_shape_t *s, const float *mean, const float *var, float *running_mean,
                          float *running_var, float momentum)
{
    if (!running_mean)
        return;
    const double m = momentum, count = (double)s->n * (double)s->hw, unbias = count / (count - 1.0);
    for (long c = 0; c < s->c; c++) {
        running_mean[c] = (float)((1.0 - m) * running_mean[c] + m * mean[c]);
        running_var[c] = (float)((1.0 - m) * running_var[c] + m * var[c] * unbias);
    }
}

/* The first NULL among n named pointers, or NULL when all are set. */
static const char *first_null(int n, const void *const *ptrs, const char *const *names)
{
    for (int i = 0; i < n; i++)
        if (!ptrs[i])
            return names[i];
    return NULL;
}

static gs_status_t check_train(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                               const float *y, const float *mean, const float *var, const float *running_mean,
                               const float *running_var, float momentum)
{
    gs_status_t st = gs_bn_shape_check(s);
    if (st != GS_OK)
        return st;
    const void *ptrs[6] = {x, gamma, beta, y, mean, var};
    static const char *const names[6] = {"x", "gamma", "beta", "y", "mean", "var"};
    const char *missing = first_null(6, ptrs, names);
    if (missing)
        return gs_error(GS_EINVAL, "bn_fwd_train: %s is NULL", missing);
    if (!running_mean != !running_var)
        return gs_error(GS_EINVAL, "bn_fwd_train: %s is NULL but %s is not (give both running stats or neither)",
                        running_mean ? "running_var" : "running_mean", running_mean ? "running_mean" : "running_var");
    if (running_mean && !(momentum >= 0.0f && momentum <= 1.0f))
        return gs_error(GS_EINVAL, "bn_fwd_train: momentum=%g, expected in [0, 1]", (double)momentum);
    if (running_mean && s->n * s->hw < 2)
        return gs_error(GS_EINVAL, "bn_fwd_train: n*hw=%ld values per channel; the unbiased running variance "
                        "needs at least 2", s->n * s->hw);
    return GS_OK;
}

static gs_status_t check_infer(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                               const float *running_mean, const float *running_var, const float *y)
{
    gs_status_t st = gs_bn_shape_check(s);
    if (st != GS_OK)
        return st;
    const void *ptrs[6] = {x, gamma, beta, running_mean, running_var, y};
    static const char *const names[6] = {"x", "gamma", "beta", "running_mean", "running_var", "y"};
    const char *missing = first_null(6, ptrs, names);
    return missing ? gs_error(GS_EINVAL, "bn_fwd_infer: %s is NULL", missing) : GS_OK;
}

static gs_status_t check_bwd(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma,
                             const float *mean, const float *var, const float *dx, const float *dgamma,
                             const float *dbeta)
{
    gs_status_t st = gs_bn_shape_check(s);
    if (st != GS_OK)
        return st;
    const void *ptrs[8] = {x, dy, gamma, mean, var, dx, dgamma, dbeta};
    static const char *const names[8] = {"x", "dy", "gamma", "mean", "var", "dx", "dgamma", "dbeta"};
    const char *missing = first_null(8, ptrs, names);
    return missing ? gs_error(GS_EINVAL, "bn_bwd: %s is NULL", missing) : GS_OK;
}

static gs_status_t no_impl(const char *what)
{
    return gs_error(GS_EUNSUPPORTED, "%s: no implementation for this ISA on this CPU", what);
}

gs_status_t gs_bn_fwd_train_with(gs_bn_fwd_train_fn *fn, const gs_bn_shape_t *s, const float *x, const float *gamma,
                                 const float *beta, float *y, float *mean, float *var, float *running_mean,
                                 float *running_var, float momentum)
{
    gs_status_t st = check_train(s, x, gamma, beta, y, mean, var, running_mean, running_var, momentum);
    if (st != GS_OK)
        return st;
    return fn ? fn(s, x, gamma, beta, y, mean, var, running_mean, running_var, momentum) : no_impl("bn_fwd_train");
}

gs_status_t gs_bn_fwd_infer_with(gs_bn_fwd_infer_fn *fn, const gs_bn_shape_t *s, const float *x, const float *gamma,
                                 const float *beta, const float *running_mean, const float *running_var, float *y)
{
    gs_status_t st = check_infer(s, x, gamma, beta, running_mean, running_var, y);
    if (st != GS_OK)
        return st;
    return fn ? fn(s, x, gamma, beta, running_mean, running_var, y) : no_impl("bn_fwd_infer");
}

gs_status_t gs_bn_bwd_with(gs_bn_bwd_fn *fn, const gs_bn_shape_t *s, const float *x, const float *dy,
                           const float *gamma, const float *mean, const float *var, float *dx, float *dgamma,
                           float *dbeta)
{
    gs_status_t st = check_bwd(s, x, dy, gamma, mean, var, dx, dgamma, dbeta);
    if (st != GS_OK)
        return st;
    return fn ? fn(s, x, dy, gamma, mean, var, dx, dgamma, dbeta) : no_impl("bn_bwd");
}

/* Profiler record: `tensors` full-size tensors moved once each (the compulsory traffic: a kernel
 * that reads x twice still counts it once), plus the per-channel vectors; FLOPs per element as
 * the two-pass kernels do them. */
static void record(const char *kernel, const gs_bn_shape_t *s, uint64_t ns, int tensors, int vectors,
                   double flops_per_elem)
{
    char shape[96];
    const double elems = (double)s->n * (double)s->c * (double)s->hw;
    gs_prof_record(kernel, gs_kern.impl_name, gs_kern.isa_name, gs_bn_shape_str(s, shape, sizeof shape), ns,
                   flops_per_elem * elems, 4.0 * (tensors * elems + vectors * (double)s->c));
}

gs_status_t gs_bn_fwd_train(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta, float *y,
                            float *mean, float *var, float *running_mean, float *running_var, float momentum)
{
    if (!gs_prof_active())
        return gs_bn_fwd_train_with(gs_kern.bn_fwd_train, s, x, gamma, beta, y, mean, var, running_mean, running_var,
                                    momentum);
    uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_bn_fwd_train_with(gs_kern.bn_fwd_train, s, x, gamma, beta, y, mean, var, running_mean,
                                          running_var, momentum);
    if (st == GS_OK) /* x, y; gamma, beta, mean, var (+ both running stats read and written) */
        record("bn_fwd_train", s, gs_now_ns() - t0, 2, running_mean ? 8 : 4, 7.0);
    return st;
}

gs_status_t gs_bn_fwd_infer(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var, float *y)
{
    if (!gs_prof_active())
        return gs_bn_fwd_infer_with(gs_kern.bn_fwd_infer, s, x, gamma, beta, running_mean, running_var, y);
    uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_bn_fwd_infer_with(gs_kern.bn_fwd_infer, s, x, gamma, beta, running_mean, running_var, y);
    if (st == GS_OK) /* x, y; gamma, beta, running mean and var */
        record("bn_fwd_infer", s, gs_now_ns() - t0, 2, 4, 2.0);
    return st;
}

gs_status_t gs_bn_bwd(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma, const float *mean,
                      const float *var, float *dx, float *dgamma, float *dbeta)
{
    if (!gs_prof_active())
        return gs_bn_bwd_with(gs_kern.bn_bwd, s, x, dy, gamma, mean, var, dx, dgamma, dbeta);
    uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_bn_bwd_with(gs_kern.bn_bwd, s, x, dy, gamma, mean, var, dx, dgamma, dbeta);
    if (st == GS_OK) /* x, dy, dx; gamma, mean, var, dgamma, dbeta */
        record("bn_bwd", s, gs_now_ns() - t0, 3, 5, 8.0);
    return st;
}
