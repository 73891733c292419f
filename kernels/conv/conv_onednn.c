/* oneDNN reference convolution: v2 primitives per shape and pass, cached, at their faster layout. */
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "kernels/conv/conv.h"

/* oneDNN has two ways to run a plain NCHW convolution: on the NCHW tensors themselves (its im2col +
 * sgemm path) or in a blocked layout of its own choosing (format_tag_any: nChw16c etc., its direct
 * JIT kernels), which then needs reorders from and to NCHW on every call, since our API is NCHW and
 * the weights change every training step. Neither wins everywhere (LeNet's conv1 backward-data is
 * 7x slower blocked, the ResNet layer 1.5x faster), so each cached entry builds both, times each on
 * its first calls and keeps the faster one: the reference is oneDNN at its best for our API, reorders
 * counted. */

enum { CACHE_SIZE = 16, NVARIANTS = 2, NTENSORS = 3 };
enum { VARIANT_PLAIN = 0, VARIANT_BLOCKED = 1 };

/* One way to run the primitive: itself, and for each of its three tensors either the user's NCHW
 * buffer directly or an internal buffer with a reorder on the way in (inputs) or out (outputs). */
typedef struct {
    bool ok;
    dnnl_primitive_t prim;
    dnnl_memory_t user[NTENSORS], inner[NTENSORS], scratch;
    dnnl_primitive_t reorder[NTENSORS]; /* NULL when the tensor is used in place */
    dnnl_memory_t bias;
    char impl[64];
} variant_t;

typedef struct {
    bool used;
    uint64_t last_use;
    gs_conv_shape_t shape;
    gs_conv_pass_t pass;
    int with_bias, threads;
    variant_t v[NVARIANTS];
    int chosen; /* -1 until the first call timed the variants */
} entry_t;

/* The tensors each pass reads and writes, in the order of variant_t's arrays. */
typedef struct {
    int arg[NTENSORS];
    bool is_output[NTENSORS];
    int bias_arg;
} pass_args_t;

static const pass_args_t pass_args[3] = {
    [GS_CONV_FWD] = {{DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}, {false, false, true}, DNNL_ARG_BIAS},
    [GS_CONV_BWD_DATA] = {{DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_DST}, {true, false, false}, 0},
    [GS_CONV_BWD_WEIGHTS] = {{DNNL_ARG_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_DST}, {false, true, false},
                             DNNL_ARG_DIFF_BIAS},
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static entry_t cache[CACHE_SIZE];
static uint64_t use_clock;
static dnnl_engine_t engine;
static dnnl_stream_t stream;

static gs_status_t backend_error(const char *what, dnnl_status_t st)
{
    return gs_error(GS_EBACKEND, "conv oneDNN: %s failed with status %d", what, (int)st);
}

static gs_status_t ensure_engine(void)
{
    if (stream)
        return GS_OK;
    dnnl_status_t st = dnnl_engine_create(&engine, dnnl_cpu, 0);
    if (st != dnnl_success)
        return backend_error("dnnl_engine_create", st);
    st = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    if (st != dnnl_success) {
        dnnl_engine_destroy(engine);
        engine = NULL;
        return backend_error("dnnl_stream_create", st);
    }
    return GS_OK;
}

/* The user's NCHW/OIHW/x descriptors, or format_tag_any for the blocked variant. */
typedef struct {
    dnnl_memory_desc_t src, wei, dst, bias;
} descs_t;

static dnnl_status_t make_descs(const gs_conv_shape_t *s, dnnl_format_tag_t act, dnnl_format_tag_t w, descs_t *d)
{
    dnnl_dims_t sd = {s->mb, s->ic, s->ih, s->iw}, wd = {s->oc, s->ic, s->kh, s->kw};
    dnnl_dims_t dd = {s->mb, s->oc, s->oh, s->ow}, bd = {s->oc};
    dnnl_status_t st = dnnl_memory_desc_init_by_tag(&d->src, 4, sd, dnnl_f32, act);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&d->wei, 4, wd, dnnl_f32, w);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&d->dst, 4, dd, dnnl_f32, act);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&d->bias, 1, bd, dnnl_f32, dnnl_x);
    return st;
}

/* The primitive descriptor of `pass`; backward passes need the forward one as a hint. */
static dnnl_status_t make_pd(const gs_conv_shape_t *s, gs_conv_pass_t pass, int with_bias, const descs_t *d,
                             dnnl_primitive_desc_t *pd)
{
    /* Padding on both sides, as our oh = (ih + 2*ph - kh) / sh + 1 is oneDNN's formula with
     * padding_r = padding_l (its floor division drops the same incomplete last window). */
    dnnl_dims_t strides = {s->sh, s->sw}, pad = {s->ph, s->pw}, pad_r = {s->ph, s->pw};
    const dnnl_memory_desc_t *bias = with_bias ? &d->bias : NULL;
    dnnl_convolution_desc_t fwd_d, bwd_d;
    dnnl_status_t st = dnnl_convolution_forward_desc_init(&fwd_d, dnnl_forward_training, dnnl_convolution_direct,
                                                          &d->src, &d->wei, pass == GS_CONV_FWD ? bias : NULL,
                                                          &d->dst, strides, pad, pad_r);
    if (st != dnnl_success)
        return st;
    dnnl_primitive_desc_t fwd_pd;
    st = dnnl_primitive_desc_create(&fwd_pd, &fwd_d, NULL, engine, NULL);
    if (st != dnnl_success || pass == GS_CONV_FWD) {
        *pd = st == dnnl_success ? fwd_pd : NULL;
        return st;
    }
    if (pass == GS_CONV_BWD_DATA)
        st = dnnl_convolution_backward_data_desc_init(&bwd_d, dnnl_convolution_direct, &d->src, &d->wei, &d->dst,
                                                      strides, pad, pad_r);
    else
        st = dnnl_convolution_backward_weights_desc_init(&bwd_d, dnnl_convolution_direct, &d->src, &d->wei, bias,
                                                         &d->dst, strides, pad, pad_r);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(pd, &bwd_d, NULL, engine, fwd_pd);
    dnnl_primitive_desc_destroy(fwd_pd);
    return st;
}

static void variant_destroy(variant_t *v)
{
    for (int i = 0; i < NTENSORS; i++) {
        if (v->reorder[i]) {
            dnnl_primitive_destroy(v->reorder[i]);
            dnnl_memory_destroy(v->inner[i]);
        }
        if (v->user[i])
            dnnl_memory_destroy(v->user[i]);
    }
    if (v->scratch)
        dnnl_memory_destroy(v->scratch);
    if (v->bias)
        dnnl_memory_destroy(v->bias);
    if (v->prim)
        dnnl_primitive_destroy(v->prim);
    memset(v, 0, sizeof *v);
}

static const dnnl_query_t tensor_query[3][NTENSORS] = {
    [GS_CONV_FWD] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md},
    [GS_CONV_BWD_DATA] = {dnnl_query_diff_src_md, dnnl_query_weights_md, dnnl_query_diff_dst_md},
    [GS_CONV_BWD_WEIGHTS] = {dnnl_query_src_md, dnnl_query_diff_weights_md, dnnl_query_diff_dst_md},
};

/* For tensor i: a memory for the user's buffer (handle set per call) and, when the primitive wants
 * another layout, an internal memory and the reorder between them. */
static dnnl_status_t bind_tensor(variant_t *v, dnnl_primitive_desc_t pd, gs_conv_pass_t pass, int i,
                                 const dnnl_memory_desc_t *user_md)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, tensor_query[pass][i], 0);
    dnnl_status_t st = dnnl_memory_create(&v->user[i], user_md, engine, DNNL_MEMORY_NONE);
    if (st != dnnl_success || !md || dnnl_memory_desc_equal(md, user_md))
        return st;
    st = dnnl_memory_create(&v->inner[i], md, engine, DNNL_MEMORY_ALLOCATE);
    if (st != dnnl_success)
        return st;
    dnnl_primitive_desc_t rpd;
    if (pass_args[pass].is_output[i])
        st = dnnl_reorder_primitive_desc_create(&rpd, md, engine, user_md, engine, NULL);
    else
        st = dnnl_reorder_primitive_desc_create(&rpd, user_md, engine, md, engine, NULL);
    if (st == dnnl_success) {
        st = dnnl_primitive_create(&v->reorder[i], rpd);
        dnnl_primitive_desc_destroy(rpd);
    }
    if (st != dnnl_success) {
        dnnl_memory_destroy(v->inner[i]);
        v->inner[i] = NULL;
    }
    return st;
}

/* Builds one variant; false (and an empty variant) when oneDNN has no implementation for it. */
static bool variant_init(variant_t *v, const gs_conv_shape_t *s, gs_conv_pass_t pass, int with_bias, bool blocked)
{
    memset(v, 0, sizeof *v);
    descs_t user, want;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = make_descs(s, dnnl_nchw, dnnl_oihw, &user);
    if (st == dnnl_success)
        st = make_descs(s, blocked ? dnnl_format_tag_any : dnnl_nchw, blocked ? dnnl_format_tag_any : dnnl_oihw,
                        &want);
    if (st == dnnl_success)
        st = make_pd(s, pass, with_bias, &want, &pd);
    if (st != dnnl_success)
        return false;
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
        snprintf(v->impl, sizeof v->impl, "%s", impl);
    const dnnl_memory_desc_t *user_md[NTENSORS] = {&user.src, &user.wei, &user.dst};
    for (int i = 0; i < NTENSORS && st == dnnl_success; i++)
        st = bind_tensor(v, pd, pass, i, user_md[i]);
    const dnnl_memory_desc_t *scratch_md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (st == dnnl_success && scratch_md && dnnl_memory_desc_get_size(scratch_md) > 0)
        st = dnnl_memory_create(&v->scratch, scratch_md, engine, DNNL_MEMORY_ALLOCATE);
    if (st == dnnl_success && with_bias && pass != GS_CONV_BWD_DATA)
        st = dnnl_memory_create(&v->bias, &user.bias, engine, DNNL_MEMORY_NONE);
    if (st == dnnl_success)
        st = dnnl_primitive_create(&v->prim, pd);
    dnnl_primitive_desc_destroy(pd);
    if (st != dnnl_success) {
        variant_destroy(v);
        return false;
    }
    v->ok = true;
    return true;
}

/* The blocked variant is only worth keeping when it changes some layout. */
static bool reorders_anything(const variant_t *v)
{
    return v->reorder[0] || v->reorder[1] || v->reorder[2];
}

static dnnl_status_t run_reorder(variant_t *v, int i, bool to_inner)
{
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, to_inner ? v->user[i] : v->inner[i]},
                               {DNNL_ARG_TO, to_inner ? v->inner[i] : v->user[i]}};
    return dnnl_primitive_execute(v->reorder[i], stream, 2, args);
}

/* Reorders the inputs in, runs the primitive, reorders the outputs out, waits. */
static dnnl_status_t variant_run(variant_t *v, gs_conv_pass_t pass, void *const ptr[NTENSORS], void *bias)
{
    const pass_args_t *pa = &pass_args[pass];
    dnnl_status_t st = dnnl_success;
    dnnl_exec_arg_t args[NTENSORS + 2];
    int n = 0;
    for (int i = 0; i < NTENSORS && st == dnnl_success; i++) {
        st = dnnl_memory_set_data_handle(v->user[i], ptr[i]);
        if (st == dnnl_success && v->reorder[i] && !pa->is_output[i])
            st = run_reorder(v, i, true);
        args[n++] = (dnnl_exec_arg_t){pa->arg[i], v->reorder[i] ? v->inner[i] : v->user[i]};
    }
    if (st == dnnl_success && v->bias && bias) {
        st = dnnl_memory_set_data_handle(v->bias, bias);
        args[n++] = (dnnl_exec_arg_t){pa->bias_arg, v->bias};
    }
    if (v->scratch)
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, v->scratch};
    if (st == dnnl_success)
        st = dnnl_primitive_execute(v->prim, stream, n, args);
    for (int i = 0; i < NTENSORS && st == dnnl_success; i++)
        if (v->reorder[i] && pa->is_output[i])
            st = run_reorder(v, i, false);
    if (st == dnnl_success)
        st = dnnl_stream_wait(stream);
    return st;
}

static void entry_destroy(entry_t *e)
{
    for (int i = 0; i < NVARIANTS; i++)
        if (e->v[i].ok)
            variant_destroy(&e->v[i]);
    memset(e, 0, sizeof *e);
}

static bool same_shape(const gs_conv_shape_t *a, const gs_conv_shape_t *b)
{
    return a->mb == b->mb && a->ic == b->ic && a->ih == b->ih && a->iw == b->iw && a->oc == b->oc &&
           a->kh == b->kh && a->kw == b->kw && a->sh == b->sh && a->sw == b->sw && a->ph == b->ph && a->pw == b->pw;
}

/* The cached entry, or NULL. The thread count is part of the key: oneDNN sizes its work split when
 * it creates a primitive. */
static entry_t *cache_find(const gs_conv_shape_t *s, gs_conv_pass_t pass, int with_bias, int threads)
{
    for (int i = 0; i < CACHE_SIZE; i++) {
        entry_t *e = &cache[i];
        if (e->used && e->pass == pass && e->with_bias == with_bias && e->threads == threads &&
            same_shape(&e->shape, s))
            return e;
    }
    return NULL;
}

/* A new entry in the least recently used slot. */
static gs_status_t cache_add(const gs_conv_shape_t *s, gs_conv_pass_t pass, int with_bias, int threads,
                             entry_t **out)
{
    entry_t *e = &cache[0];
    for (int i = 0; i < CACHE_SIZE; i++) {
        if (!cache[i].used) {
            e = &cache[i];
            break;
        }
        if (cache[i].last_use < e->last_use)
            e = &cache[i];
    }
    if (e->used)
        entry_destroy(e);
    bool plain = variant_init(&e->v[VARIANT_PLAIN], s, pass, with_bias, false);
    bool blocked = variant_init(&e->v[VARIANT_BLOCKED], s, pass, with_bias, true);
    if (blocked && !reorders_anything(&e->v[VARIANT_BLOCKED])) {
        variant_destroy(&e->v[VARIANT_BLOCKED]);
        blocked = false;
    }
    if (!plain && !blocked) {
        char buf[GS_CONV_SHAPE_STR_MAX];
        return gs_error(GS_EBACKEND, "conv oneDNN: no primitive for %s (pass %d)", gs_conv_shape_str(s, buf, sizeof buf),
                        (int)pass);
    }
    e->used = true;
    e->shape = *s;
    e->pass = pass;
    e->with_bias = with_bias;
    e->threads = threads;
    e->chosen = plain && blocked ? -1 : (plain ? VARIANT_PLAIN : VARIANT_BLOCKED);
    *out = e;
    return GS_OK;
}

/* First call of an entry with two variants: each runs once to absorb JIT and page-fault costs, then
 * three more times in alternation, and the faster best time wins (a machine busy with something else
 * for a moment cannot decide it alone); the winner runs last so the outputs are its own. */
static dnnl_status_t choose_variant(entry_t *e, void *const ptr[NTENSORS], void *bias)
{
    enum { TRIALS = 3 };
    double best[NVARIANTS] = {INFINITY, INFINITY};
    dnnl_status_t st = dnnl_success;
    for (int i = 0; i < NVARIANTS && st == dnnl_success; i++)
        st = variant_run(&e->v[i], e->pass, ptr, bias);
    for (int k = 0; k < TRIALS && st == dnnl_success; k++) {
        for (int i = 0; i < NVARIANTS && st == dnnl_success; i++) {
            const uint64_t t0 = gs_now_ns();
            st = variant_run(&e->v[i], e->pass, ptr, bias);
            const double t = (double)(gs_now_ns() - t0);
            best[i] = t < best[i] ? t : best[i];
        }
    }
    if (st != dnnl_success)
        return st;
    e->chosen = best[VARIANT_BLOCKED] < best[VARIANT_PLAIN] ? VARIANT_BLOCKED : VARIANT_PLAIN;
    return e->chosen == VARIANT_BLOCKED ? dnnl_success : variant_run(&e->v[e->chosen], e->pass, ptr, bias);
}

static gs_status_t conv_run(const gs_conv_shape_t *s, gs_conv_pass_t pass, void *const ptr[NTENSORS], void *bias)
{
    const int with_bias = bias != NULL, threads = omp_get_max_threads();
    pthread_mutex_lock(&cache_lock);
    gs_status_t st = ensure_engine();
    entry_t *e = NULL;
    if (st == GS_OK && !(e = cache_find(s, pass, with_bias, threads)))
        st = cache_add(s, pass, with_bias, threads, &e);
    if (st == GS_OK) {
        e->last_use = ++use_clock;
        dnnl_status_t ds = e->chosen < 0 ? choose_variant(e, ptr, bias) : variant_run(&e->v[e->chosen], pass, ptr, bias);
        if (ds != dnnl_success)
            st = backend_error("dnnl_primitive_execute", ds);
    }
    pthread_mutex_unlock(&cache_lock);
    return st;
}

gs_status_t gs_conv_fwd_onednn(const gs_conv_shape_t *s, const float *src, const float *wei, const float *bias,
                               float *dst)
{
    void *ptr[NTENSORS] = {(void *)src, (void *)wei, dst};
    return conv_run(s, GS_CONV_FWD, ptr, (void *)bias);
}

gs_status_t gs_conv_bwd_data_onednn(const gs_conv_shape_t *s, const float *diff_dst, const float *wei,
                                    float *diff_src)
{
    void *ptr[NTENSORS] = {diff_src, (void *)wei, (void *)diff_dst};
    return conv_run(s, GS_CONV_BWD_DATA, ptr, NULL);
}

gs_status_t gs_conv_bwd_weights_onednn(const gs_conv_shape_t *s, const float *src, const float *diff_dst,
                                       float *diff_wei, float *diff_bias)
{
    void *ptr[NTENSORS] = {(void *)src, diff_wei, (void *)diff_dst};
    return conv_run(s, GS_CONV_BWD_WEIGHTS, ptr, diff_bias);
}

const char *gs_conv_onednn_describe(const gs_conv_shape_t *s, gs_conv_pass_t pass, int with_bias, char *buf,
                                    unsigned long size)
{
    if (!buf || size == 0)
        return buf;
    snprintf(buf, size, "not run yet");
    if (!s || pass < GS_CONV_FWD || pass > GS_CONV_BWD_WEIGHTS)
        return buf;
    pthread_mutex_lock(&cache_lock);
    const entry_t *e = cache_find(s, pass, with_bias != 0, omp_get_max_threads());
    if (e && e->chosen >= 0)
        snprintf(buf, size, "%s, %s", e->v[e->chosen].impl,
                 e->chosen == VARIANT_PLAIN ? "nchw" : "blocked + reorders");
    pthread_mutex_unlock(&cache_lock);
    return buf;
}
