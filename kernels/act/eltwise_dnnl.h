/* oneDNN plumbing shared by the element-wise references (act_onednn.c, softmax_ce_onednn.c): one CPU
 * engine, a stream per calling thread, plain f32 memory, and a cache of primitives by problem so a
 * call costs an execute, not a primitive-descriptor creation (which the benchmarks would time). */
#ifndef GS_ELTWISE_DNNL_H
#define GS_ELTWISE_DNNL_H

#include <oneapi/dnnl/dnnl.h>

#include "core/status.h"

/* What identifies a cached primitive: the caller's op tag and the parameters it was built from. */
typedef struct {
    int op;   /* caller-defined tag (kind, direction...) */
    int alg;  /* dnnl_alg_kind_t or another discriminator */
    long d0, d1;
    float alpha, beta;
} gs_eltdnn_key_t;

/* Builds the primitive for `key` (called once per key, under the cache lock). */
typedef gs_status_t gs_eltdnn_build_fn(const gs_eltdnn_key_t *key, dnnl_engine_t engine, dnnl_primitive_t *prim);

/* The engine, created on first use; GS_EBACKEND if oneDNN cannot create it. */
gs_status_t gs_eltdnn_engine(dnnl_engine_t *engine);

/* GS_EBACKEND naming the call and oneDNN's status. */
gs_status_t gs_eltdnn_error(const char *what, dnnl_status_t st);

/* A plain (row-major) f32 descriptor of d0 elements (d1 == 0) or d0 x d1. */
dnnl_memory_desc_t gs_eltdnn_md(long d0, long d1);

/* Creates the primitive for an op descriptor (with a forward hint for backward ones); the primitive
 * descriptor is released. */
gs_status_t gs_eltdnn_create(const_dnnl_op_desc_t desc, const_dnnl_primitive_desc_t hint, dnnl_engine_t engine,
                             dnnl_primitive_t *prim);

/* One tensor argument of an execution: its role (DNNL_ARG_SRC...), descriptor and buffer. */
typedef struct {
    int arg;
    dnnl_memory_desc_t md;
    const void *data;
} gs_eltdnn_arg_t;

/* Runs the cached primitive for `key` (built by `build` on a miss) on the buffers: points this
 * thread's memory objects for it at them, executes on this thread's stream and waits. The
 * arguments' roles and descriptors must follow from the key (as the primitive does): the memory
 * objects are cached with it. */
gs_status_t gs_eltdnn_exec(const gs_eltdnn_key_t *key, gs_eltdnn_build_fn *build, int nargs,
                           const gs_eltdnn_arg_t *args);

#endif
