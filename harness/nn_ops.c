/* The network's small ops: plain C loops natively, oneDNN primitives under --impl onednn. */
#include "harness/nn_ops.h"

#include <stdio.h>

#include "core/clock.h"
#include "core/dispatch.h"
#include "core/profiler.h"
#include "kernels/act/eltwise_dnnl.h"

/* Primitive-cache tags, apart from the activation (1..) and softmax (101..) ones. */
enum { OP_BIAS_ADD = 201, OP_BIAS_GRAD, OP_ADD, OP_SCALE };

uint64_t gs_nn_prof_begin(void) { return gs_prof_active() ? gs_now_ns() : 0; }

static void record(uint64_t t0, const char *kernel, const char *impl, const char *isa, const char *shape,
                   double bytes)
{
    if (t0)
        gs_prof_record(kernel, impl, isa, shape, gs_now_ns() - t0, 0.0, bytes);
}

void gs_nn_prof_end(uint64_t t0, const char *kernel, long n, double bytes)
{
    if (!t0)
        return;
    char shape[32];
    snprintf(shape, sizeof shape, "n%ld", n);
    record(t0, kernel, "native", "c", shape, bytes);
}


/* ---- oneDNN ---- */

static gs_status_t build(const gs_eltdnn_key_t *k, dnnl_engine_t eng, dnnl_primitive_t *prim)
{
    const dnnl_memory_desc_t full = gs_eltdnn_md(k->d0, k->d1), row = gs_eltdnn_md(1, k->d1);
    dnnl_status_t st;
    switch (k->op) {
    case OP_BIAS_ADD: { /* src1 (1 x cols) broadcasts over the rows of src0 */
        dnnl_binary_desc_t d;
        st = dnnl_binary_desc_init(&d, dnnl_binary_add, &full, &row, &full);
        return st == dnnl_success ? gs_eltdnn_create(&d, NULL, eng, prim) : gs_eltdnn_error("dnnl_binary_desc_init", st);
    }
    case OP_BIAS_GRAD: { /* sum over the rows: dst is 1 x cols */
        dnnl_reduction_desc_t d;
        st = dnnl_reduction_desc_init(&d, dnnl_reduction_sum, &full, &row, 0.0f, 0.0f);
        return st == dnnl_success ? gs_eltdnn_create(&d, NULL, eng, prim)
                                  : gs_eltdnn_error("dnnl_reduction_desc_init", st);
    }
    case OP_ADD: {
        const dnnl_memory_desc_t md = gs_eltdnn_md(k->d0, 0);
        dnnl_binary_desc_t d;
        st = dnnl_binary_desc_init(&d, dnnl_binary_add, &md, &md, &md);
        return st == dnnl_success ? gs_eltdnn_create(&d, NULL, eng, prim) : gs_eltdnn_error("dnnl_binary_desc_init", st);
    }
    default: { /* OP_SCALE: linear eltwise, alpha * x + 0 */
        const dnnl_memory_desc_t md = gs_eltdnn_md(k->d0, 0);
        dnnl_eltwise_desc_t d;
        st = dnnl_eltwise_forward_desc_init(&d, dnnl_forward_inference, dnnl_eltwise_linear, &md, k->alpha, 0.0f);
        return st == dnnl_success ? gs_eltdnn_create(&d, NULL, eng, prim)
                                  : gs_eltdnn_error("dnnl_eltwise_forward_desc_init", st);
    }
    }
}

/* ---- the ops ---- */

/* Records a call of this file's ops under the implementation that ran it, with its shape
 * "m<rows>n<cols>", or "n<cols>" for a flat buffer (rows 0). */
static void record_shaped(uint64_t t0, const char *op, long rows, long cols, double bytes)
{
    if (!t0)
        return;
    char shape[48];
    if (rows > 0)
        snprintf(shape, sizeof shape, "m%ldn%ld", rows, cols);
    else
        snprintf(shape, sizeof shape, "n%ld", cols);
    if (gs_kern.impl == GS_IMPL_ONEDNN)
        record(t0, op, gs_kern.impl_name, gs_kern.isa_name, shape, bytes);
    else
        record(t0, op, "native", "c", shape, bytes);
}

static gs_status_t check(const char *op, long n, const void *a, const void *b)
{
    if (n < 1 || !a || !b)
        return gs_error(GS_EINVAL, "%s: %s", op, n < 1 ? "empty tensor" : "NULL buffer");
    return GS_OK;
}

gs_status_t gs_nn_bias_add(long rows, long cols, const float *b, float *y)
{
    gs_status_t st = check("bias_add", rows < 1 ? 0 : cols, b, y);
    if (st != GS_OK)
        return st;
    const uint64_t t0 = gs_nn_prof_begin();
    if (gs_kern.impl == GS_IMPL_ONEDNN) {
        const gs_eltdnn_key_t key = {.op = OP_BIAS_ADD, .d0 = rows, .d1 = cols};
        const gs_eltdnn_arg_t args[3] = {{DNNL_ARG_SRC_0, gs_eltdnn_md(rows, cols), y},
                                         {DNNL_ARG_SRC_1, gs_eltdnn_md(1, cols), b},
                                         {DNNL_ARG_DST, gs_eltdnn_md(rows, cols), y}};
        st = gs_eltdnn_exec(&key, build, 3, args);
    } else {
        for (long r = 0; r < rows; r++)
            for (long j = 0; j < cols; j++)
                y[r * cols + j] += b[j];
    }
    record_shaped(t0, "bias_add", rows, cols, 4.0 * (double)(2 * rows * cols + cols));
    return st;
}

gs_status_t gs_nn_bias_grad(long rows, long cols, const float *dy, float *db)
{
    gs_status_t st = check("bias_grad", rows < 1 ? 0 : cols, dy, db);
    if (st != GS_OK)
        return st;
    const uint64_t t0 = gs_nn_prof_begin();
    if (gs_kern.impl == GS_IMPL_ONEDNN) {
        const gs_eltdnn_key_t key = {.op = OP_BIAS_GRAD, .d0 = rows, .d1 = cols};
        const gs_eltdnn_arg_t args[2] = {{DNNL_ARG_SRC, gs_eltdnn_md(rows, cols), dy},
                                         {DNNL_ARG_DST, gs_eltdnn_md(1, cols), db}};
        st = gs_eltdnn_exec(&key, build, 2, args);
    } else {
        for (long j = 0; j < cols; j++)
            db[j] = 0.0f;
        for (long r = 0; r < rows; r++)
            for (long j = 0; j < cols; j++)
                db[j] += dy[r * cols + j];
    }
    record_shaped(t0, "bias_grad", rows, cols, 4.0 * (double)(rows * cols + cols));
    return st;
}

gs_status_t gs_nn_add(long n, const float *a, const float *b, float *y)
{
    gs_status_t st = check("add", n, a, b);
    if (st == GS_OK && !y)
        st = gs_error(GS_EINVAL, "add: NULL output");
    if (st != GS_OK)
        return st;
    const uint64_t t0 = gs_nn_prof_begin();
    if (gs_kern.impl == GS_IMPL_ONEDNN) {
        const gs_eltdnn_key_t key = {.op = OP_ADD, .d0 = n};
        const dnnl_memory_desc_t md = gs_eltdnn_md(n, 0);
        const gs_eltdnn_arg_t args[3] = {{DNNL_ARG_SRC_0, md, a}, {DNNL_ARG_SRC_1, md, b}, {DNNL_ARG_DST, md, y}};
        st = gs_eltdnn_exec(&key, build, 3, args);
    } else {
        for (long i = 0; i < n; i++)
            y[i] = a[i] + b[i];
    }
    record_shaped(t0, "add", 0, n, 12.0 * (double)n);
    return st;
}

gs_status_t gs_nn_scale(long n, float s, float *x)
{
    gs_status_t st = check("scale", n, x, x);
    if (st != GS_OK)
        return st;
    const uint64_t t0 = gs_nn_prof_begin();
    if (gs_kern.impl == GS_IMPL_ONEDNN) {
        const gs_eltdnn_key_t key = {.op = OP_SCALE, .d0 = n, .alpha = s};
        const dnnl_memory_desc_t md = gs_eltdnn_md(n, 0);
        const gs_eltdnn_arg_t args[2] = {{DNNL_ARG_SRC, md, x}, {DNNL_ARG_DST, md, x}};
        st = gs_eltdnn_exec(&key, build, 2, args);
    } else {
        for (long i = 0; i < n; i++)
            x[i] *= s;
    }
    record_shaped(t0, "loss_scale", 0, n, 8.0 * (double)n);
    return st;
}
