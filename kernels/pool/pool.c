/* Max pooling public entry: shape and argument checks, workspace sizing, dispatch and profiling. */
#include "kernels/pool/pool.h"

#include <stdio.h>

#include "core/clock.h"
#include "core/dispatch.h"
#include "core/profiler.h"

/* Element counts stay far inside long and size_t arithmetic (and in what a test can allocate). */
#define POOL_MAX_ELEMS (1.0 * (1L << 40))

gs_status_t gs_pool_shape_init(gs_pool_shape_t *s)
{
    if (!s)
        return gs_error(GS_EINVAL, "pool: shape is NULL");
    const long *f[8] = {&s->mb, &s->c, &s->ih, &s->iw, &s->kh, &s->kw, &s->sh, &s->sw};
    static const char *const names[8] = {"mb", "c", "ih", "iw", "kh", "kw", "sh", "sw"};
    for (int i = 0; i < 8; i++)
        if (*f[i] <= 0)
            return gs_error(GS_EINVAL, "pool: %s=%ld, expected > 0", names[i], *f[i]);
    if (s->kh > s->ih)
        return gs_error(GS_EINVAL, "pool: kh=%ld larger than ih=%ld (no padding)", s->kh, s->ih);
    if (s->kw > s->iw)
        return gs_error(GS_EINVAL, "pool: kw=%ld larger than iw=%ld (no padding)", s->kw, s->iw);
    if ((double)s->mb * (double)s->c * (double)s->ih * (double)s->iw > POOL_MAX_ELEMS)
        return gs_error(GS_EINVAL, "pool: mb*c*ih*iw = %.0f elements, more than 2^40",
                        (double)s->mb * (double)s->c * (double)s->ih * (double)s->iw);
    if ((double)s->kh * (double)s->kw > 2147483647.0)
        return gs_error(GS_EINVAL, "pool: kh*kw = %.0f does not fit an int32 index", (double)s->kh * (double)s->kw);
    s->oh = (s->ih - s->kh) / s->sh + 1;
    s->ow = (s->iw - s->kw) / s->sw + 1;
    return GS_OK;
}

const char *gs_pool_shape_str(const gs_pool_shape_t *s, char *buf, unsigned long size)
{
    snprintf(buf, size, "mb%ldic%ldih%ldiw%ldkh%ldkw%ldsh%ldsw%ld", s->mb, s->c, s->ih, s->iw, s->kh, s->kw, s->sh,
             s->sw);
    return buf;
}

size_t gs_pool_ws_index_bytes(const gs_pool_shape_t *s) { return s->kh * s->kw <= 256 ? 1 : 4; }

/* The shape as given, re-checked: callers may hand in a struct whose oh/ow they filled themselves. */
static gs_status_t check_shape(const gs_pool_shape_t *s)
{
    if (!s)
        return gs_error(GS_EINVAL, "pool: shape is NULL");
    gs_pool_shape_t t = *s;
    gs_status_t st = gs_pool_shape_init(&t);
    if (st != GS_OK)
        return st;
    if (t.oh != s->oh || t.ow != s->ow)
        return gs_error(GS_EINVAL, "pool: oh=%ld ow=%ld, expected %ld and %ld (call gs_pool_shape_init)", s->oh,
                        s->ow, t.oh, t.ow);
    return GS_OK;
}

size_t gs_pool_ws_bytes(const gs_pool_shape_t *s)
{
    if (check_shape(s) != GS_OK)
        return 0;
    size_t ours = (size_t)(s->mb * s->c * s->oh * s->ow) * gs_pool_ws_index_bytes(s);
    size_t dnn = gs_pool_ws_bytes_onednn(s);
    return ours > dnn ? ours : dnn;
}

static gs_status_t check_args(const char *what, const gs_pool_shape_t *s, const void *in, const char *in_name,
                              const void *ws, const void *out, const char *out_name)
{
    gs_status_t st = check_shape(s);
    if (st != GS_OK)
        return st;
    if (!in)
        return gs_error(GS_EINVAL, "%s: %s is NULL", what, in_name);
    if (!out)
        return gs_error(GS_EINVAL, "%s: %s is NULL", what, out_name);
    if (!ws)
        return gs_error(GS_EINVAL, "%s: workspace is NULL (allocate gs_pool_ws_bytes)", what);
    return GS_OK;
}

gs_status_t gs_pool_fwd_with(gs_pool_fwd_fn *fn, const gs_pool_shape_t *s, const float *src, float *dst, void *ws)
{
    gs_status_t st = check_args("pool_fwd", s, src, "src", ws, dst, "dst");
    if (st != GS_OK)
        return st;
    if (!fn)
        return gs_error(GS_EUNSUPPORTED, "pool_fwd: no implementation for this ISA on this CPU");
    return fn(s, src, dst, ws);
}

gs_status_t gs_pool_bwd_with(gs_pool_bwd_fn *fn, const gs_pool_shape_t *s, const float *diff_dst, const void *ws,
                             float *diff_src)
{
    gs_status_t st = check_args("pool_bwd", s, diff_dst, "diff_dst", ws, diff_src, "diff_src");
    if (st != GS_OK)
        return st;
    if (!fn)
        return gs_error(GS_EUNSUPPORTED, "pool_bwd: no implementation for this ISA on this CPU");
    return fn(s, diff_dst, ws, diff_src);
}

/* Bytes one call moves at least: every src (diff_src) float once, every dst (diff_dst) float and
 * workspace index once. */
static double pool_bytes(const gs_pool_shape_t *s)
{
    const double in = (double)s->mb * s->c * s->ih * s->iw, out = (double)s->mb * s->c * s->oh * s->ow;
    return 4.0 * (in + out) + out * (double)gs_pool_ws_index_bytes(s);
}

static void record(const char *kernel, const gs_pool_shape_t *s, uint64_t ns)
{
    char shape[96];
    gs_prof_record(kernel, gs_kern.impl_name, gs_kern.isa_name, gs_pool_shape_str(s, shape, sizeof shape), ns, 0.0,
                   pool_bytes(s));
}

gs_status_t gs_pool_fwd(const gs_pool_shape_t *s, const float *src, float *dst, void *ws)
{
    if (!gs_prof_active())
        return gs_pool_fwd_with(gs_kern.pool_fwd, s, src, dst, ws);
    uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_pool_fwd_with(gs_kern.pool_fwd, s, src, dst, ws);
    if (st == GS_OK)
        record("pool_fwd", s, gs_now_ns() - t0);
    return st;
}

gs_status_t gs_pool_bwd(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src)
{
    if (!gs_prof_active())
        return gs_pool_bwd_with(gs_kern.pool_bwd, s, diff_dst, ws, diff_src);
    uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_pool_bwd_with(gs_kern.pool_bwd, s, diff_dst, ws, diff_src);
    if (st == GS_OK)
        record("pool_bwd", s, gs_now_ns() - t0);
    return st;
}
