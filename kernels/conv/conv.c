/* Convolution public entries: shape checks, argument checks, dispatch and profiling. */
#include "kernels/conv/conv.h"

#include <stdio.h>

#include "core/clock.h"
#include "core/dispatch.h"
#include "core/profiler.h"

/* Each size stays below 2^20 and each tensor below 2^31 elements, so every index fits an int and
 * every product of sizes fits a long with room to spare. */
#define DIM_MAX (1L << 20)
#define ELEMS_MAX (1L << 31)

static gs_status_t check_dim(const char *name, long v, long lo)
{
    if (v < lo || v > DIM_MAX)
        return gs_error(GS_EINVAL, "conv shape: %s=%ld out of range, expected %ld..%ld", name, v, lo, DIM_MAX);
    return GS_OK;
}

static gs_status_t check_elems(const char *tensor, long a, long b, long c, long d)
{
    double n = (double)a * (double)b * (double)c * (double)d;
    if (n >= (double)ELEMS_MAX)
        return gs_error(GS_EINVAL, "conv shape: %s has %.0f elements, more than %ld", tensor, n, ELEMS_MAX - 1);
    return GS_OK;
}

gs_status_t gs_conv_shape_init(gs_conv_shape_t *s)
{
    if (!s)
        return gs_error(GS_EINVAL, "conv shape: NULL");
    const struct {
        const char *name;
        long v, lo;
    } dims[] = {{"mb", s->mb, 1}, {"ic", s->ic, 1}, {"ih", s->ih, 1}, {"iw", s->iw, 1}, {"oc", s->oc, 1},
                {"kh", s->kh, 1}, {"kw", s->kw, 1}, {"sh", s->sh, 1}, {"sw", s->sw, 1}, {"ph", s->ph, 0},
                {"pw", s->pw, 0}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        gs_status_t st = check_dim(dims[i].name, dims[i].v, dims[i].lo);
        if (st != GS_OK)
            return st;
    }
    /* Padding of a whole kernel or more would give outputs that see nothing but padding. */
    if (s->ph >= s->kh)
        return gs_error(GS_EINVAL, "conv shape: ph=%ld must be smaller than kh=%ld", s->ph, s->kh);
    if (s->pw >= s->kw)
        return gs_error(GS_EINVAL, "conv shape: pw=%ld must be smaller than kw=%ld", s->pw, s->kw);
    if (s->ih + 2 * s->ph < s->kh)
        return gs_error(GS_EINVAL, "conv shape: kh=%ld larger than ih + 2*ph = %ld (no output row)", s->kh,
                        s->ih + 2 * s->ph);
    if (s->iw + 2 * s->pw < s->kw)
        return gs_error(GS_EINVAL, "conv shape: kw=%ld larger than iw + 2*pw = %ld (no output column)", s->kw,
                        s->iw + 2 * s->pw);
    s->oh = (s->ih + 2 * s->ph - s->kh) / s->sh + 1;
    s->ow = (s->iw + 2 * s->pw - s->kw) / s->sw + 1;
    gs_status_t st = check_elems("src", s->mb, s->ic, s->ih, s->iw);
    if (st == GS_OK)
        st = check_elems("dst", s->mb, s->oc, s->oh, s->ow);
    if (st == GS_OK)
        st = check_elems("wei", s->oc, s->ic, s->kh, s->kw);
    return st;
}

const char *gs_conv_shape_str(const gs_conv_shape_t *s, char *buf, unsigned long size)
{
    if (!buf || size == 0)
        return buf;
    if (!s)
        snprintf(buf, size, "(null)");
    else
        snprintf(buf, size, "mb%ldic%ldih%ldiw%ldoc%ldkh%ldkw%ldsh%ldsw%ldph%ldpw%ld", s->mb, s->ic, s->ih, s->iw,
                 s->oc, s->kh, s->kw, s->sh, s->sw, s->ph, s->pw);
    return buf;
}

/* The shape must pass gs_conv_shape_init and carry the oh, ow it derives: a caller who changed a
 * size afterwards would otherwise have kernels index past the buffers. */
static gs_status_t check_shape(const char *entry, const gs_conv_shape_t *s)
{
    if (!s)
        return gs_error(GS_EINVAL, "%s: shape is NULL", entry);
    gs_conv_shape_t t = *s;
    gs_status_t st = gs_conv_shape_init(&t);
    if (st != GS_OK)
        return st;
    if (t.oh != s->oh || t.ow != s->ow)
        return gs_error(GS_EINVAL, "%s: shape has oh=%ld ow=%ld, but its sizes give oh=%ld ow=%ld "
                        "(call gs_conv_shape_init after changing them)", entry, s->oh, s->ow, t.oh, t.ow);
    return GS_OK;
}

static gs_status_t check_ptr(const char *entry, const char *name, const void *p)
{
    return p ? GS_OK : gs_error(GS_EINVAL, "%s: %s is NULL", entry, name);
}

gs_status_t gs_conv_fwd_with(gs_conv_fwd_fn *fn, const gs_conv_shape_t *s, const float *src, const float *wei,
                             const float *bias, float *dst)
{
    const char *e = "conv_fwd";
    gs_status_t st = check_shape(e, s);
    if (st == GS_OK)
        st = check_ptr(e, "src", src);
    if (st == GS_OK)
        st = check_ptr(e, "wei", wei);
    if (st == GS_OK)
        st = check_ptr(e, "dst", dst);
    if (st == GS_OK && !fn)
        st = gs_error(GS_EUNSUPPORTED, "%s: no implementation (dispatch table not initialised?)", e);
    return st == GS_OK ? fn(s, src, wei, bias, dst) : st;
}

gs_status_t gs_conv_bwd_data_with(gs_conv_bwd_data_fn *fn, const gs_conv_shape_t *s, const float *diff_dst,
                                  const float *wei, float *diff_src)
{
    const char *e = "conv_bwd_data";
    gs_status_t st = check_shape(e, s);
    if (st == GS_OK)
        st = check_ptr(e, "diff_dst", diff_dst);
    if (st == GS_OK)
        st = check_ptr(e, "wei", wei);
    if (st == GS_OK)
        st = check_ptr(e, "diff_src", diff_src);
    if (st == GS_OK && !fn)
        st = gs_error(GS_EUNSUPPORTED, "%s: no implementation (dispatch table not initialised?)", e);
    return st == GS_OK ? fn(s, diff_dst, wei, diff_src) : st;
}

gs_status_t gs_conv_bwd_weights_with(gs_conv_bwd_weights_fn *fn, const gs_conv_shape_t *s, const float *src,
                                     const float *diff_dst, float *diff_wei, float *diff_bias)
{
    const char *e = "conv_bwd_weights";
    gs_status_t st = check_shape(e, s);
    if (st == GS_OK)
        st = check_ptr(e, "src", src);
    if (st == GS_OK)
        st = check_ptr(e, "diff_dst", diff_dst);
    if (st == GS_OK)
        st = check_ptr(e, "diff_wei", diff_wei);
    if (st == GS_OK && !fn)
        st = gs_error(GS_EUNSUPPORTED, "%s: no implementation (dispatch table not initialised?)", e);
    return st == GS_OK ? fn(s, src, diff_dst, diff_wei, diff_bias) : st;
}

static double conv_flops(const gs_conv_shape_t *s)
{
    return 2.0 * (double)s->mb * (double)s->oc * (double)(s->oh * s->ow) * (double)(s->ic * s->kh * s->kw);
}

/* Elements of src, wei, dst (each tensor read or written once is the least any kernel moves). */
static void tensor_sizes(const gs_conv_shape_t *s, double *src, double *wei, double *dst)
{
    *src = (double)s->mb * (double)(s->ic * s->ih * s->iw);
    *wei = (double)s->oc * (double)(s->ic * s->kh * s->kw);
    *dst = (double)s->mb * (double)(s->oc * s->oh * s->ow);
}

static void record(const char *kernel, const gs_conv_shape_t *s, uint64_t ns, double bytes)
{
    char shape[GS_CONV_SHAPE_STR_MAX];
    gs_conv_shape_str(s, shape, sizeof shape);
    gs_prof_record(kernel, gs_kern.impl_name, gs_kern.isa_name, shape, ns, conv_flops(s), bytes);
}

gs_status_t gs_conv_fwd(const gs_conv_shape_t *s, const float *src, const float *wei, const float *bias, float *dst)
{
    if (!gs_prof_active())
        return gs_conv_fwd_with(gs_kern.conv_fwd, s, src, wei, bias, dst);
    uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_conv_fwd_with(gs_kern.conv_fwd, s, src, wei, bias, dst);
    uint64_t dt = gs_now_ns() - t0;
    if (st == GS_OK) {
        double ns, nw, nd;
        tensor_sizes(s, &ns, &nw, &nd);
        record("conv_fwd", s, dt, 4.0 * (ns + nw + nd + (bias ? (double)s->oc : 0.0)));
    }
    return st;
}

gs_status_t gs_conv_bwd_data(const gs_conv_shape_t *s, const float *diff_dst, const float *wei, float *diff_src)
{
    if (!gs_prof_active())
        return gs_conv_bwd_data_with(gs_kern.conv_bwd_data, s, diff_dst, wei, diff_src);
    uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_conv_bwd_data_with(gs_kern.conv_bwd_data, s, diff_dst, wei, diff_src);
    uint64_t dt = gs_now_ns() - t0;
    if (st == GS_OK) {
        double ns, nw, nd;
        tensor_sizes(s, &ns, &nw, &nd);
        record("conv_bwd_data", s, dt, 4.0 * (ns + nw + nd));
    }
    return st;
}

gs_status_t gs_conv_bwd_weights(const gs_conv_shape_t *s, const float *src, const float *diff_dst, float *diff_wei,
                                float *diff_bias)
{
    if (!gs_prof_active())
        return gs_conv_bwd_weights_with(gs_kern.conv_bwd_weights, s, src, diff_dst, diff_wei, diff_bias);
    uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_conv_bwd_weights_with(gs_kern.conv_bwd_weights, s, src, diff_dst, diff_wei, diff_bias);
    uint64_t dt = gs_now_ns() - t0;
    if (st == GS_OK) {
        double ns, nw, nd;
        tensor_sizes(s, &ns, &nw, &nd);
        record("conv_bwd_weights", s, dt, 4.0 * (ns + nw + nd + (diff_bias ? (double)s->oc : 0.0)));
    }
    return st;
}
