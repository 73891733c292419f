/* oneDNN engine, per-thread streams, primitive cache and execution for the element-wise references. */
#include "kernels/act/eltwise_dnnl.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

enum { CACHE_SIZE = 256, MAX_ARGS = 8 };

static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static dnnl_engine_t engine;
static dnnl_status_t engine_status;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    gs_eltdnn_key_t key;
    dnnl_primitive_t prim;
} cache[CACHE_SIZE];
static int cache_used;

/* Streams are not shared between threads that may execute at the same time; each calling thread
 * keeps its own until it exits. */
static _Thread_local dnnl_stream_t thread_stream;

/* Each thread's memory objects per cached primitive and argument, kept until it exits like the
 * stream: a call re-points them at its buffers (dnnl_memory_set_data_handle) instead of
 * creating and destroying one per tensor, which cost an allocation per op in a training step. */
static _Thread_local dnnl_memory_t thread_mem[CACHE_SIZE][MAX_ARGS];

static void create_engine(void) { engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0); }

gs_status_t gs_eltdnn_error(const char *what, dnnl_status_t st)
{
    return gs_error(GS_EBACKEND, "oneDNN %s failed with status %d", what, (int)st);
}

gs_status_t gs_eltdnn_engine(dnnl_engine_t *out)
{
    pthread_once(&engine_once, create_engine);
    if (engine_status != dnnl_success)
        return gs_eltdnn_error("dnnl_engine_create", engine_status);
    *out = engine;
    return GS_OK;
}

dnnl_memory_desc_t gs_eltdnn_md(long d0, long d1)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t dims = {d0, d1};
    dnnl_memory_desc_init_by_tag(&md, d1 ? 2 : 1, dims, dnnl_f32, d1 ? dnnl_ab : dnnl_a);
    return md;
}

gs_status_t gs_eltdnn_create(const_dnnl_op_desc_t desc, const_dnnl_primitive_desc_t hint, dnnl_engine_t eng,
                             dnnl_primitive_t *prim)
{
    dnnl_primitive_desc_t pd;
    dnnl_status_t st = dnnl_primitive_desc_create(&pd, desc, NULL, eng, hint);
    if (st != dnnl_success)
        return gs_eltdnn_error("dnnl_primitive_desc_create", st);
    st = dnnl_primitive_create(prim, pd);
    dnnl_primitive_desc_destroy(pd);
    return st == dnnl_success ? GS_OK : gs_eltdnn_error("dnnl_primitive_create", st);
}

static int find(const gs_eltdnn_key_t *key)
{
    for (int i = 0; i < cache_used; i++)
        if (memcmp(&cache[i].key, key, sizeof *key) == 0)
            return i;
    return -1;
}

/* The cached primitive for `key`, built by `build` on a miss, and its cache slot. *slot is -1 when
 * the cache was full: the caller then destroys the primitive after running it. */
static gs_status_t cache_get(const gs_eltdnn_key_t *key, gs_eltdnn_build_fn *build, dnnl_primitive_t *prim, int *slot)
{
    dnnl_engine_t eng = NULL;
    gs_status_t st = gs_eltdnn_engine(&eng);
    if (st != GS_OK)
        return st;
    /* memcmp compares padding too: callers build keys from a zeroed struct */
    pthread_mutex_lock(&cache_lock);
    int i = find(key);
    *slot = i;
    if (i >= 0) {
        *prim = cache[i].prim;
    } else {
        st = build(key, eng, prim);
        if (st == GS_OK && cache_used < CACHE_SIZE) {
            cache[cache_used].key = *key;
            cache[cache_used].prim = *prim;
            *slot = cache_used++;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return st;
}

/* A thread that exits takes its stream and memory objects with it: a key whose destructor runs
 * at thread exit (this thread's thread-locals are still there then), set once the stream exists. */
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static void release_thread_objects(void *unused)
{
    (void)unused;
    for (int i = 0; i < CACHE_SIZE; i++)
        for (int a = 0; a < MAX_ARGS; a++)
            if (thread_mem[i][a]) {
                dnnl_memory_destroy(thread_mem[i][a]);
                thread_mem[i][a] = NULL;
            }
    dnnl_stream_destroy(thread_stream);
    thread_stream = NULL;
}

static void make_thread_key(void) { pthread_key_create(&thread_key, release_thread_objects); }

static gs_status_t thread_stream_get(dnnl_stream_t *s)
{
    if (!thread_stream) {
        dnnl_engine_t eng = NULL;
        gs_status_t st = gs_eltdnn_engine(&eng);
        if (st != GS_OK)
            return st;
        dnnl_status_t ds = dnnl_stream_create(&thread_stream, eng, dnnl_stream_default_flags);
        if (ds != dnnl_success)
            return gs_eltdnn_error("dnnl_stream_create", ds);
        pthread_once(&thread_key_once, make_thread_key);
        pthread_setspecific(thread_key, &thread_stream); /* any non-NULL value: the destructor runs */
    }
    *s = thread_stream;
    return GS_OK;
}

/* The memory object for argument `a` of the primitive in `slot`, pointed at `data`: this thread's
 * cached one (descriptors follow from the key, so it fits), or for an uncached primitive a new one
 * (*fresh: the caller destroys it). */
static dnnl_status_t memory_for(int slot, int a, const gs_eltdnn_arg_t *arg, dnnl_engine_t eng, dnnl_memory_t *mem,
                                bool *fresh)
{
    void *data = (void *)arg->data; /* oneDNN takes a non-const handle; inputs are only read */
    dnnl_memory_t *cached = slot >= 0 ? &thread_mem[slot][a] : NULL;
    *fresh = false;
    if (cached && *cached) {
        *mem = *cached;
        return dnnl_memory_set_data_handle(*cached, data);
    }
    dnnl_status_t ds = dnnl_memory_create(mem, &arg->md, eng, data);
    if (ds == dnnl_success && cached)
        *cached = *mem;
    else
        *fresh = ds == dnnl_success;
    return ds;
}

static gs_status_t run(dnnl_primitive_t prim, int slot, int nargs, const gs_eltdnn_arg_t *args)
{
    dnnl_stream_t s = NULL;
    dnnl_engine_t eng = NULL;
    gs_status_t st = thread_stream_get(&s);
    if (st == GS_OK)
        st = gs_eltdnn_engine(&eng);
    if (st != GS_OK || nargs > MAX_ARGS)
        return st != GS_OK ? st : gs_error(GS_EINVAL, "oneDNN execute: %d arguments, at most %d", nargs, MAX_ARGS);
    dnnl_exec_arg_t exec[MAX_ARGS];
    dnnl_memory_t fresh_mem[MAX_ARGS] = {0};
    dnnl_status_t ds = dnnl_success;
    for (int a = 0; a < nargs && ds == dnnl_success; a++) {
        dnnl_memory_t mem = NULL;
        bool fresh = false;
        ds = memory_for(slot, a, &args[a], eng, &mem, &fresh);
        if (fresh)
            fresh_mem[a] = mem;
        exec[a] = (dnnl_exec_arg_t){args[a].arg, mem};
    }
    if (ds == dnnl_success)
        ds = dnnl_primitive_execute(prim, s, nargs, exec);
    if (ds == dnnl_success)
        ds = dnnl_stream_wait(s);
    for (int a = 0; a < nargs; a++)
        if (fresh_mem[a])
            dnnl_memory_destroy(fresh_mem[a]);
    return ds == dnnl_success ? GS_OK : gs_eltdnn_error("execute", ds);
}

gs_status_t gs_eltdnn_exec(const gs_eltdnn_key_t *key, gs_eltdnn_build_fn *build, int nargs,
                           const gs_eltdnn_arg_t *args)
{
    dnnl_primitive_t prim;
    int slot;
    gs_status_t st = cache_get(key, build, &prim, &slot);
    if (st != GS_OK)
        return st;
    st = run(prim, slot, nargs, args);
    if (slot < 0)
        dnnl_primitive_destroy(prim);
    return st;
}
