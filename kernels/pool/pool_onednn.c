/* oneDNN reference max pooling: pooling_v2 forward training + backward on plain nchw memory, with
 * the primitives built once per shape and kept for the life of the process. */
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "kernels/pool/pool.h"

/* A training loop uses a handful of shapes; past this many, primitives are built per call. */
#define CACHE_SLOTS 32

typedef struct {
    gs_pool_shape_t shape;
    int threads; /* oneDNN splits the work for omp_get_max_threads() when it builds a primitive */
    dnnl_primitive_desc_t fwd_pd, bwd_pd;
    dnnl_primitive_t fwd, bwd;
    dnnl_memory_desc_t src_md, dst_md, ws_md;
} prims_t;

static dnnl_engine_t engine;
static _Thread_local dnnl_stream_t stream; /* a stream serves one thread at a time */
static dnnl_status_t engine_status = dnnl_runtime_error;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static prims_t cache[CACHE_SLOTS];
static int cache_used;

static void engine_init(void) { engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0); }

static gs_status_t backend_error(const char *what, const gs_pool_shape_t *s, dnnl_status_t st)
{
    char shape[96];
    return gs_error(GS_EBACKEND, "oneDNN pooling %s (%s) failed with status %d", what,
                    gs_pool_shape_str(s, shape, sizeof shape), (int)st);
}

static void prims_destroy(prims_t *p)
{
    dnnl_primitive_destroy(p->fwd);
    dnnl_primitive_destroy(p->bwd);
    dnnl_primitive_desc_destroy(p->fwd_pd);
    dnnl_primitive_desc_destroy(p->bwd_pd);
    memset(p, 0, sizeof *p);
}

/* Forward-training and backward primitives of one shape (max pooling, no padding, no dilation). */
static dnnl_status_t prims_build(const gs_pool_shape_t *s, prims_t *p)
{
    memset(p, 0, sizeof *p);
    p->shape = *s;
    p->threads = omp_get_max_threads();
    const dnnl_dims_t src_dims = {s->mb, s->c, s->ih, s->iw}, dst_dims = {s->mb, s->c, s->oh, s->ow};
    const dnnl_dims_t strides = {s->sh, s->sw}, kernel = {s->kh, s->kw}, zero = {0, 0};
    dnnl_memory_desc_t diff_src_md, diff_dst_md;
    dnnl_pooling_v2_desc_t fd, bd;
    dnnl_status_t st = dnnl_memory_desc_init_by_tag(&p->src_md, 4, src_dims, dnnl_f32, dnnl_nchw);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&p->dst_md, 4, dst_dims, dnnl_f32, dnnl_nchw);
    diff_src_md = p->src_md;
    diff_dst_md = p->dst_md;
    if (st == dnnl_success)
        st = dnnl_pooling_v2_forward_desc_init(&fd, dnnl_forward_training, dnnl_pooling_max, &p->src_md, &p->dst_md,
                                               strides, kernel, zero, zero, zero);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(&p->fwd_pd, &fd, NULL, engine, NULL);
    if (st == dnnl_success) {
        const dnnl_memory_desc_t *ws = dnnl_primitive_desc_query_md(p->fwd_pd, dnnl_query_workspace_md, 0);
        if (ws)
            p->ws_md = *ws;
        else
            st = dnnl_runtime_error;
    }
    if (st == dnnl_success)
        st = dnnl_pooling_v2_backward_desc_init(&bd, dnnl_pooling_max, &diff_src_md, &diff_dst_md, strides, kernel,
                                                zero, zero, zero);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(&p->bwd_pd, &bd, NULL, engine, p->fwd_pd);
    if (st == dnnl_success)
        st = dnnl_primitive_create(&p->fwd, p->fwd_pd);
    if (st == dnnl_success)
        st = dnnl_primitive_create(&p->bwd, p->bwd_pd);
    if (st != dnnl_success)
        prims_destroy(p);
    return st;
}

static bool same_shape(const gs_pool_shape_t *a, const gs_pool_shape_t *b)
{
    return a->mb == b->mb && a->c == b->c && a->ih == b->ih && a->iw == b->iw && a->kh == b->kh && a->kw == b->kw &&
           a->sh == b->sh && a->sw == b->sw;
}

/* The cached primitives of `s` (built on first use), or, when the cache is full, a fresh set in
 * *tmp that the caller destroys. */
static gs_status_t prims_get(const gs_pool_shape_t *s, prims_t *tmp, const prims_t **out)
{
    pthread_once(&engine_once, engine_init);
    if (engine_status != dnnl_success)
        return backend_error("engine creation", s, engine_status);
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < cache_used; i++)
        if (same_shape(&cache[i].shape, s) && cache[i].threads == omp_get_max_threads()) {
            *out = &cache[i];
            pthread_mutex_unlock(&cache_lock);
            return GS_OK;
        }
    prims_t *slot = cache_used < CACHE_SLOTS ? &cache[cache_used] : tmp;
    dnnl_status_t st = prims_build(s, slot);
    if (st == dnnl_success && slot != tmp)
        cache_used++;
    pthread_mutex_unlock(&cache_lock);
    if (st != dnnl_success)
        return backend_error("primitive creation", s, st);
    *out = slot;
    return GS_OK;
}

size_t gs_pool_ws_bytes_onednn(const gs_pool_shape_t *s)
{
    prims_t tmp = {0};
    const prims_t *p;
    if (prims_get(s, &tmp, &p) != GS_OK)
        return 0;
    size_t bytes = dnnl_memory_desc_get_size(&p->ws_md);
    if (p == &tmp)
        prims_destroy(&tmp);
    return bytes;
}

/* Wraps the user's buffers in oneDNN memory objects and runs `prim` on them. */
static dnnl_status_t run(dnnl_primitive_t prim, int nargs, const int *arg_ids, const dnnl_memory_desc_t *const *mds,
                         void *const *ptrs)
{
    dnnl_memory_t mem[3] = {NULL, NULL, NULL};
    dnnl_exec_arg_t args[3];
    dnnl_status_t st = stream ? dnnl_success : dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    for (int i = 0; i < nargs && st == dnnl_success; i++) {
        st = dnnl_memory_create(&mem[i], mds[i], engine, ptrs[i]);
        args[i] = (dnnl_exec_arg_t){arg_ids[i], mem[i]};
    }
    if (st == dnnl_success)
        st = dnnl_primitive_execute(prim, stream, nargs, args);
    if (st == dnnl_success)
        st = dnnl_stream_wait(stream);
    for (int i = 0; i < nargs; i++)
        dnnl_memory_destroy(mem[i]);
    return st;
}

gs_status_t gs_pool_fwd_onednn(const gs_pool_shape_t *s, const float *src, float *dst, void *ws)
{
    prims_t tmp = {0};
    const prims_t *p;
    gs_status_t gst = prims_get(s, &tmp, &p);
    if (gst != GS_OK)
        return gst;
    const int ids[3] = {DNNL_ARG_SRC, DNNL_ARG_DST, DNNL_ARG_WORKSPACE};
    const dnnl_memory_desc_t *mds[3] = {&p->src_md, &p->dst_md, &p->ws_md};
    void *ptrs[3] = {(void *)src, dst, ws};
    dnnl_status_t st = run(p->fwd, 3, ids, mds, ptrs);
    if (p == &tmp)
        prims_destroy(&tmp);
    return st == dnnl_success ? GS_OK : backend_error("forward", s, st);
}

gs_status_t gs_pool_bwd_onednn(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src)
{
    prims_t tmp = {0};
    const prims_t *p;
    gs_status_t gst = prims_get(s, &tmp, &p);
    if (gst != GS_OK)
        return gst;
    const int ids[3] = {DNNL_ARG_DIFF_DST, DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC};
    const dnnl_memory_desc_t *mds[3] = {&p->dst_md, &p->ws_md, &p->src_md};
    void *ptrs[3] = {(void *)diff_dst, (void *)ws, diff_src};
    dnnl_status_t st = run(p->bwd, 3, ids, mds, ptrs);
    if (p == &tmp)
        prims_destroy(&tmp);
    return st == dnnl_success ? GS_OK : backend_error("backward", s, st);
}
