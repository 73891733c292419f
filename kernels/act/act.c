/* Activations' public entry: names, argument checks, dispatch and profiling. */
#include "kernels/act/act.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/dispatch.h"
#include "core/profiler.h"

static const char *const act_names[GS_ACT_COUNT] = {
    "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "sigmoid_modderiv", "sigmoid_linear",
};

const char *gs_act_name(gs_act_kind_t kind)
{
    return (unsigned)kind < GS_ACT_COUNT ? act_names[kind] : "?";
}

gs_status_t gs_act_parse(const char *name, gs_act_kind_t *kind)
{
    for (int k = 0; name && k < GS_ACT_COUNT; k++) {
        if (strcmp(name, act_names[k]) == 0) {
            *kind = (gs_act_kind_t)k;
            return GS_OK;
        }
    }
    return gs_error(GS_EINVAL, "unknown activation '%s' (expected identity, sigmoid, tanh, relu, leaky_relu, elu, "
                    "sigmoid_modderiv or sigmoid_linear)", name ? name : "(null)");
}

int gs_act_uses_alpha(gs_act_kind_t kind)
{
    return kind == GS_ACT_LEAKY_RELU || kind == GS_ACT_ELU || kind == GS_ACT_SIGMOID_MODDERIV ||
           kind == GS_ACT_SIGMOID_LINEAR;
}

/* Shortest %g form that reads back as the same float, so a printed shape is an exact repro. */
static void format_float(char *buf, size_t size, float v)
{
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, size, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v)
            return;
    }
}

const char *gs_act_shape(gs_act_t act, long n, char *buf, unsigned long size)
{
    char alpha[32] = "";
    if (gs_act_uses_alpha(act.kind)) {
        memcpy(alpha, "alpha", 5);
        format_float(alpha + 5, sizeof alpha - 5, act.alpha);
    }
    snprintf(buf, size, "n%ld%s%s", n, gs_act_name(act.kind), alpha);
    return buf;
}

double gs_act_fwd_bytes_per_elem(gs_act_kind_t kind)
{
    (void)kind;
    return 8.0;
}

double gs_act_bwd_bytes_per_elem(gs_act_kind_t kind) { return kind == GS_ACT_IDENTITY ? 8.0 : 12.0; }

/* True when [a, a+n) and [b, b+n) share a float without being the same range. */
static int overlaps_partly(const float *a, const float *b, long n)
{
    const uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b, len = (uintptr_t)n * sizeof(float);
    return pa != pb && pa < pb + len && pb < pa + len;
}

static int overlaps(const float *a, const float *b, long n) { return a == b || overlaps_partly(a, b, n); }

static gs_status_t check_common(const char *fn, gs_act_t act, long n)
{
    if ((unsigned)act.kind >= GS_ACT_COUNT)
        return gs_error(GS_EINVAL, "%s: activation kind %d out of range [0, %d)", fn, (int)act.kind, GS_ACT_COUNT);
    if (!isfinite(act.alpha))
        return gs_error(GS_EINVAL, "%s: alpha = %g is not finite", fn, (double)act.alpha);
    if (n <= 0)
        return gs_error(GS_EINVAL, "%s: n = %ld, expected > 0", fn, n);
    return GS_OK;
}

static gs_status_t check_fwd(gs_act_t act, long n, const float *x, const float *y)
{
    gs_status_t st = check_common("act_fwd", act, n);
    if (st != GS_OK)
        return st;
    if (!x || !y)
        return gs_error(GS_EINVAL, "act_fwd: %s is NULL", !x ? "x" : "y");
    if (overlaps_partly(x, y, n))
        return gs_error(GS_EINVAL, "act_fwd: y overlaps x without being x (in place needs y == x)");
    return GS_OK;
}

static gs_status_t check_bwd(gs_act_t act, long n, const float *x, const float *y, const float *dy, const float *dx)
{
    gs_status_t st = check_common("act_bwd", act, n);
    if (st != GS_OK)
        return st;
    const char *null = !x ? "x" : !y ? "y" : !dy ? "dy" : !dx ? "dx" : NULL;
    if (null)
        return gs_error(GS_EINVAL, "act_bwd: %s is NULL", null);
    if (overlaps(dx, x, n) || overlaps(dx, y, n))
        return gs_error(GS_EINVAL, "act_bwd: dx overlaps the forward %s (only dx == dy may alias)",
                        overlaps(dx, x, n) ? "input x" : "output y");
    if (overlaps_partly(dx, dy, n))
        return gs_error(GS_EINVAL, "act_bwd: dx overlaps dy without being dy (in place needs dx == dy)");
    return GS_OK;
}

gs_status_t gs_act_fwd_with(gs_act_fwd_fn *fn, gs_act_t act, long n, const float *x, float *y)
{
    gs_status_t st = check_fwd(act, n, x, y);
    if (st != GS_OK)
        return st;
    if (!fn)
        return gs_error(GS_EUNSUPPORTED, "act_fwd: no implementation for this ISA on this CPU");
    return fn(act, n, x, y);
}

gs_status_t gs_act_bwd_with(gs_act_bwd_fn *fn, gs_act_t act, long n, const float *x, const float *y,
                            const float *dy, float *dx)
{
    gs_status_t st = check_bwd(act, n, x, y, dy, dx);
    if (st != GS_OK)
        return st;
    if (!fn)
        return gs_error(GS_EUNSUPPORTED, "act_bwd: no implementation for this ISA on this CPU");
    return fn(act, n, x, y, dy, dx);
}

static void record(const char *kernel, gs_act_t act, long n, uint64_t ns, double bytes_per_elem)
{
    char shape[96];
    gs_act_shape(act, n, shape, sizeof shape);
    gs_prof_record(kernel, gs_kern.impl_name, gs_kern.isa_name, shape, ns, 0.0, bytes_per_elem * (double)n);
}

gs_status_t gs_act_fwd(gs_act_t act, long n, const float *x, float *y)
{
    if (!gs_prof_active())
        return gs_act_fwd_with(gs_kern.act_fwd, act, n, x, y);
    const uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_act_fwd_with(gs_kern.act_fwd, act, n, x, y);
    record("act_fwd", act, n, gs_now_ns() - t0, gs_act_fwd_bytes_per_elem(act.kind));
    return st;
}

gs_status_t gs_act_bwd(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *dx)
{
    if (!gs_prof_active())
        return gs_act_bwd_with(gs_kern.act_bwd, act, n, x, y, dy, dx);
    const uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_act_bwd_with(gs_kern.act_bwd, act, n, x, y, dy, dx);
    record("act_bwd", act, n, gs_now_ns() - t0, gs_act_bwd_bytes_per_elem(act.kind));
    return st;
}
