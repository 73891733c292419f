/* oneDNN reference BatchNorm: batch_normalization forward training (scale and shift, batch statistics
 * out), forward inference (global statistics in) and backward (diffs of data, scale and shift), on
 * plain nchw / nc memory, primitives built once per shape. oneDNN leaves running statistics to the
 * caller, so this file updates them with gs_bn_update_running like every other implementation. Also
 * the blocked-layout runner of bn_onednn.h.
 * Scale and shift travel as one 2 x C tensor (dnnl_use_scaleshift): oneDNN 2.6.3 builds backward
 * primitives with the newer separate dnnl_use_scale | dnnl_use_shift flags but refuses to execute
 * them (dnnl_invalid_arguments whatever arguments are passed), so every pass uses the form that
 * works and gamma/beta are copied into (and dgamma/dbeta out of) a 2 x C buffer per call. */
#include "kernels/bn/bn_onednn.h"

#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A training loop uses a handful of shapes; past this many, primitives are built per call. */
#define CACHE_SLOTS 32
#define BN_FLAGS dnnl_use_scaleshift

typedef struct {
    gs_bn_shape_t shape;
    int threads; /* oneDNN splits the work for omp_get_max_threads() when it builds a primitive */
    dnnl_memory_desc_t data_md, chan_md, ss_md; /* x-shaped; C; 2 x C scale-shift */
    dnnl_primitive_t train, infer, bwd;
} prims_t;

static dnnl_engine_t engine;
static dnnl_status_t engine_status = dnnl_runtime_error;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static _Thread_local dnnl_stream_t stream; /* a stream serves one thread at a time */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static prims_t cache[CACHE_SLOTS];
static int cache_used;

static void engine_init(void) { engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0); }

static gs_status_t backend_error(const char *what, const gs_bn_shape_t *s, dnnl_status_t st)
{
    char shape[96];
    return gs_error(GS_EBACKEND, "oneDNN batch normalization %s (%s) failed with status %d", what,
                    gs_bn_shape_str(s, shape, sizeof shape), (int)st);
}

static dnnl_status_t engine_ready(void)
{
    pthread_once(&engine_once, engine_init);
    if (engine_status != dnnl_success)
        return engine_status;
    return stream ? dnnl_success : dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
}

static void prims_destroy(prims_t *p)
{
    dnnl_primitive_destroy(p->train);
    dnnl_primitive_destroy(p->infer);
    dnnl_primitive_destroy(p->bwd);
    memset(p, 0, sizeof *p);
}

/* The data descriptor: nc for 2-D; for hw > 1 (or any blocked layout) n x c x hw x 1 as nchw or
 * nChw<block>c (the spatial shape does not matter to batch normalization). */
static dnnl_status_t data_md(const gs_bn_shape_t *s, int block, dnnl_memory_desc_t *md)
{
    if (block == 0 && s->hw == 1) {
        const dnnl_dims_t d2 = {s->n, s->c};
        return dnnl_memory_desc_init_by_tag(md, 2, d2, dnnl_f32, dnnl_nc);
    }
    const dnnl_dims_t d4 = {s->n, s->c, s->hw, 1};
    const dnnl_format_tag_t tag = block == 16 ? dnnl_nChw16c : block == 8 ? dnnl_nChw8c : dnnl_nchw;
    return dnnl_memory_desc_init_by_tag(md, 4, d4, dnnl_f32, tag);
}

static dnnl_status_t make_prim(const_dnnl_op_desc_t desc, const_dnnl_primitive_desc_t hint, dnnl_primitive_t *prim,
                               dnnl_primitive_desc_t *keep_pd)
{
    dnnl_primitive_desc_t pd;
    dnnl_status_t st = dnnl_primitive_desc_create(&pd, desc, NULL, engine, hint);
    if (st != dnnl_success)
        return st;
    st = dnnl_primitive_create(prim, pd);
    if (keep_pd && st == dnnl_success)
        *keep_pd = pd;
    else
        dnnl_primitive_desc_destroy(pd);
    return st;
}

/* Training forward, inference forward and backward primitives of one shape and layout. */
static dnnl_status_t prims_build(const gs_bn_shape_t *s, int block, prims_t *p)
{
    memset(p, 0, sizeof *p);
    p->shape = *s;
    p->threads = omp_get_max_threads();
    const dnnl_dims_t dc = {s->c}, dss = {2, s->c};
    dnnl_batch_normalization_desc_t d;
    dnnl_primitive_desc_t train_pd = NULL;
    dnnl_status_t st = data_md(s, block, &p->data_md);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&p->chan_md, 1, dc, dnnl_f32, dnnl_a);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&p->ss_md, 2, dss, dnnl_f32, dnnl_ab);
    if (st == dnnl_success)
        st = dnnl_batch_normalization_forward_desc_init(&d, dnnl_forward_training, &p->data_md, s->eps, BN_FLAGS);
    if (st == dnnl_success)
        st = make_prim(&d, NULL, &p->train, &train_pd);
    if (st == dnnl_success)
        st = dnnl_batch_normalization_forward_desc_init(&d, dnnl_forward_inference, &p->data_md, s->eps,
                                                        BN_FLAGS | dnnl_use_global_stats);
    if (st == dnnl_success)
        st = make_prim(&d, NULL, &p->infer, NULL);
    if (st == dnnl_success)
        st = dnnl_batch_normalization_backward_desc_init(&d, dnnl_backward, &p->data_md, &p->data_md, s->eps,
                                                         BN_FLAGS);
    if (st == dnnl_success)
        st = make_prim(&d, train_pd, &p->bwd, NULL);
    dnnl_primitive_desc_destroy(train_pd);
    if (st != dnnl_success)
        prims_destroy(p);
    return st;
}

static bool same_shape(const gs_bn_shape_t *a, const gs_bn_shape_t *b)
{
    return a->n == b->n && a->c == b->c && a->hw == b->hw && a->eps == b->eps;
}

/* The cached plain-layout primitives of `s`, or, when the cache is full, a fresh set in *tmp that
 * the caller destroys. */
static gs_status_t prims_get(const gs_bn_shape_t *s, prims_t *tmp, const prims_t **out)
{
    dnnl_status_t st = engine_ready();
    if (st != dnnl_success)
        return backend_error("engine/stream creation", s, st);
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < cache_used; i++)
        if (same_shape(&cache[i].shape, s) && cache[i].threads == omp_get_max_threads()) {
            *out = &cache[i];
            pthread_mutex_unlock(&cache_lock);
            return GS_OK;
        }
    prims_t *slot = cache_used < CACHE_SLOTS ? &cache[cache_used] : tmp;
    st = prims_build(s, 0, slot);
    if (st == dnnl_success && slot != tmp)
        cache_used++;
    pthread_mutex_unlock(&cache_lock);
    if (st != dnnl_success)
        return backend_error("primitive creation", s, st);
    *out = slot;
    return GS_OK;
}

/* One execution argument: its role, descriptor and the caller's buffer (or an existing memory). */
typedef struct {
    int id;
    const dnnl_memory_desc_t *md;
    const void *ptr;
    dnnl_memory_t mem;
} arg_t;

/* Wraps the buffers in memory objects (unless given one), runs `prim` and waits. */
static dnnl_status_t run(dnnl_primitive_t prim, int nargs, const arg_t *a)
{
    enum { MAX_ARGS = 8 };
    dnnl_memory_t own[MAX_ARGS] = {NULL};
    dnnl_exec_arg_t args[MAX_ARGS];
    dnnl_status_t st = engine_ready();
    for (int i = 0; i < nargs && st == dnnl_success; i++) {
        if (!a[i].mem)
            st = dnnl_memory_create(&own[i], a[i].md, engine, (void *)a[i].ptr);
        args[i] = (dnnl_exec_arg_t){a[i].id, a[i].mem ? a[i].mem : own[i]};
    }
    if (st == dnnl_success)
        st = dnnl_primitive_execute(prim, stream, nargs, args);
    if (st == dnnl_success)
        st = dnnl_stream_wait(stream);
    for (int i = 0; i < nargs; i++)
        dnnl_memory_destroy(own[i]);
    return st;
}

/* gamma and beta (or dgamma and dbeta) as the rows of a 2 x C buffer. */
static float *ss_pack(long c, const float *gamma, const float *beta)
{
    float *ss = malloc(2 * (size_t)c * sizeof(float));
    if (ss && gamma)
        memcpy(ss, gamma, (size_t)c * sizeof(float));
    if (ss && beta)
        memcpy(ss + c, beta, (size_t)c * sizeof(float));
    return ss;
}

/* The three passes given the data memories (plain buffers or the blocked runner's memories). */
static dnnl_status_t exec_train(const prims_t *p, arg_t src, arg_t dst, const float *gamma, const float *beta,
                                float *mean, float *var)
{
    float *ss = ss_pack(p->shape.c, gamma, beta);
    if (!ss)
        return dnnl_out_of_memory;
    const arg_t a[5] = {src, dst, {DNNL_ARG_SCALE_SHIFT, &p->ss_md, ss, NULL},
                        {DNNL_ARG_MEAN, &p->chan_md, mean, NULL}, {DNNL_ARG_VARIANCE, &p->chan_md, var, NULL}};
    dnnl_status_t st = run(p->train, 5, a);
    free(ss);
    return st;
}

static dnnl_status_t exec_infer(const prims_t *p, arg_t src, arg_t dst, const float *gamma, const float *beta,
                                const float *mean, const float *var)
{
    float *ss = ss_pack(p->shape.c, gamma, beta);
    if (!ss)
        return dnnl_out_of_memory;
    const arg_t a[5] = {src, dst, {DNNL_ARG_SCALE_SHIFT, &p->ss_md, ss, NULL},
                        {DNNL_ARG_MEAN, &p->chan_md, mean, NULL}, {DNNL_ARG_VARIANCE, &p->chan_md, var, NULL}};
    dnnl_status_t st = run(p->infer, 5, a);
    free(ss);
    return st;
}

static dnnl_status_t exec_bwd(const prims_t *p, arg_t src, arg_t diff_dst, arg_t diff_src, const float *gamma,
                              const float *mean, const float *var, float *dgamma, float *dbeta)
{
    const long c = p->shape.c;
    float *ss = ss_pack(c, gamma, gamma), *dss = ss_pack(c, NULL, NULL); /* shift is unused backward */
    dnnl_status_t st = ss && dss ? dnnl_success : dnnl_out_of_memory;
    const arg_t a[7] = {src, diff_dst, diff_src, {DNNL_ARG_SCALE_SHIFT, &p->ss_md, ss, NULL},
                        {DNNL_ARG_MEAN, &p->chan_md, mean, NULL}, {DNNL_ARG_VARIANCE, &p->chan_md, var, NULL},
                        {DNNL_ARG_DIFF_SCALE_SHIFT, &p->ss_md, dss, NULL}};
    if (st == dnnl_success)
        st = run(p->bwd, 7, a);
    if (st == dnnl_success) {
        memcpy(dgamma, dss, (size_t)c * sizeof(float));
        memcpy(dbeta, dss + c, (size_t)c * sizeof(float));
    }
    free(ss);
    free(dss);
    return st;
}

static arg_t user(int id, const prims_t *p, const float *ptr) { return (arg_t){id, &p->data_md, ptr, NULL}; }

gs_status_t gs_bn_fwd_train_onednn(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                   float *y, float *mean, float *var, float *running_mean, float *running_var,
                                   float momentum)
{
    prims_t tmp = {0};
    const prims_t *p;
    gs_status_t gst = prims_get(s, &tmp, &p);
    if (gst != GS_OK)
        return gst;
    dnnl_status_t st = exec_train(p, user(DNNL_ARG_SRC, p, x), user(DNNL_ARG_DST, p, y), gamma, beta, mean, var);
    if (p == &tmp)
        prims_destroy(&tmp);
    if (st != dnnl_success)
        return backend_error("forward training", s, st);
    gs_bn_update_running(s, mean, var, running_mean, running_var, momentum);
    return GS_OK;
}

gs_status_t gs_bn_fwd_infer_onednn(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                   const float *running_mean, const float *running_var, float *y)
{
    prims_t tmp = {0};
    const prims_t *p;
    gs_status_t gst = prims_get(s, &tmp, &p);
    if (gst != GS_OK)
        return gst;
    dnnl_status_t st = exec_infer(p, user(DNNL_ARG_SRC, p, x), user(DNNL_ARG_DST, p, y), gamma, beta, running_mean,
                                  running_var);
    if (p == &tmp)
        prims_destroy(&tmp);
    return st == dnnl_success ? GS_OK : backend_error("forward inference", s, st);
}

gs_status_t gs_bn_bwd_onednn(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma,
                             const float *mean, const float *var, float *dx, float *dgamma, float *dbeta)
{
    prims_t tmp = {0};
    const prims_t *p;
    gs_status_t gst = prims_get(s, &tmp, &p);
    if (gst != GS_OK)
        return gst;
    dnnl_status_t st = exec_bwd(p, user(DNNL_ARG_SRC, p, x), user(DNNL_ARG_DIFF_DST, p, dy),
                                user(DNNL_ARG_DIFF_SRC, p, dx), gamma, mean, var, dgamma, dbeta);
    if (p == &tmp)
        prims_destroy(&tmp);
    return st == dnnl_success ? GS_OK : backend_error("backward", s, st);
}

/* ---- The blocked-layout runner ---- */

enum { B_X, B_Y, B_DY, B_DX, B_COUNT };

struct gs_bn_blocked {
    prims_t p;
    dnnl_memory_desc_t plain_md;
    dnnl_memory_t buf[B_COUNT];          /* blocked tensors, allocated by oneDNN */
    dnnl_primitive_t to_blocked, to_plain; /* reorders plain <-> blocked */
};

void gs_bn_blocked_free(gs_bn_blocked_t *b)
{
    if (!b)
        return;
    prims_destroy(&b->p);
    for (int i = 0; i < B_COUNT; i++)
        dnnl_memory_destroy(b->buf[i]);
    dnnl_primitive_destroy(b->to_blocked);
    dnnl_primitive_destroy(b->to_plain);
    free(b);
}

static dnnl_status_t reorder_make(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to, dnnl_primitive_t *r)
{
    dnnl_primitive_desc_t pd;
    dnnl_status_t st = dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, NULL);
    if (st != dnnl_success)
        return st;
    st = dnnl_primitive_create(r, pd);
    dnnl_primitive_desc_destroy(pd);
    return st;
}

gs_status_t gs_bn_blocked_create(const gs_bn_shape_t *s, int block, gs_bn_blocked_t **out)
{
    *out = NULL;
    gs_status_t gst = gs_bn_shape_check(s);
    if (gst != GS_OK)
        return gst;
    if (block != 8 && block != 16)
        return gs_error(GS_EINVAL, "bn blocked: block=%d, expected 8 or 16", block);
    gs_bn_blocked_t *b = calloc(1, sizeof *b);
    if (!b)
        return gs_error(GS_ENOMEM, "bn blocked: out of memory");
    const dnnl_dims_t d4 = {s->n, s->c, s->hw, 1};
    dnnl_status_t st = engine_ready();
    if (st == dnnl_success)
        st = prims_build(s, block, &b->p);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&b->plain_md, 4, d4, dnnl_f32, dnnl_nchw);
    for (int i = 0; i < B_COUNT && st == dnnl_success; i++)
        st = dnnl_memory_create(&b->buf[i], &b->p.data_md, engine, DNNL_MEMORY_ALLOCATE);
    if (st == dnnl_success)
        st = reorder_make(&b->plain_md, &b->p.data_md, &b->to_blocked);
    if (st == dnnl_success)
        st = reorder_make(&b->p.data_md, &b->plain_md, &b->to_plain);
    if (st != dnnl_success) {
        gs_bn_blocked_free(b);
        return backend_error(block == 16 ? "nChw16c set-up" : "nChw8c set-up", s, st);
    }
    *out = b;
    return GS_OK;
}

/* Reorders between a plain buffer and one blocked memory. */
static dnnl_status_t reorder(gs_bn_blocked_t *b, bool in, const float *plain, dnnl_memory_t blocked)
{
    const arg_t a[2] = {{DNNL_ARG_FROM, &b->plain_md, plain, in ? NULL : blocked},
                        {DNNL_ARG_TO, &b->plain_md, plain, in ? blocked : NULL}};
    return run(in ? b->to_blocked : b->to_plain, 2, a);
}

gs_status_t gs_bn_blocked_load(gs_bn_blocked_t *b, const float *x, const float *dy)
{
    dnnl_status_t st = reorder(b, true, x, b->buf[B_X]);
    if (st == dnnl_success && dy)
        st = reorder(b, true, dy, b->buf[B_DY]);
    return st == dnnl_success ? GS_OK : backend_error("reorder to the blocked layout", &b->p.shape, st);
}

gs_status_t gs_bn_blocked_store(gs_bn_blocked_t *b, float *y, float *dx)
{
    dnnl_status_t st = dnnl_success;
    if (y)
        st = reorder(b, false, y, b->buf[B_Y]);
    if (st == dnnl_success && dx)
        st = reorder(b, false, dx, b->buf[B_DX]);
    return st == dnnl_success ? GS_OK : backend_error("reorder from the blocked layout", &b->p.shape, st);
}

static arg_t held(int id, const gs_bn_blocked_t *b, int which)
{
    return (arg_t){id, &b->p.data_md, NULL, b->buf[which]};
}

gs_status_t gs_bn_blocked_fwd_train(gs_bn_blocked_t *b, const float *gamma, const float *beta, float *mean,
                                    float *var)
{
    dnnl_status_t st = exec_train(&b->p, held(DNNL_ARG_SRC, b, B_X), held(DNNL_ARG_DST, b, B_Y), gamma, beta, mean,
                                  var);
    return st == dnnl_success ? GS_OK : backend_error("blocked forward training", &b->p.shape, st);
}

gs_status_t gs_bn_blocked_fwd_infer(gs_bn_blocked_t *b, const float *gamma, const float *beta,
                                    const float *running_mean, const float *running_var)
{
    dnnl_status_t st = exec_infer(&b->p, held(DNNL_ARG_SRC, b, B_X), held(DNNL_ARG_DST, b, B_Y), gamma, beta,
                                  running_mean, running_var);
    return st == dnnl_success ? GS_OK : backend_error("blocked forward inference", &b->p.shape, st);
}

gs_status_t gs_bn_blocked_bwd(gs_bn_blocked_t *b, const float *gamma, const float *mean, const float *var,
                              float *dgamma, float *dbeta)
{
    dnnl_status_t st = exec_bwd(&b->p, held(DNNL_ARG_SRC, b, B_X), held(DNNL_ARG_DIFF_DST, b, B_DY),
                                held(DNNL_ARG_DIFF_SRC, b, B_DX), gamma, mean, var, dgamma, dbeta);
    return st == dnnl_success ? GS_OK : backend_error("blocked backward", &b->p.shape, st);
}
