/* oneDNN reference softmax losses. oneDNN has softmax but no loss, so the work is split:
 *   cross-entropy: oneDNN's softmax_v2 with the log algorithm gives log p; the loss -mean log p[y]
 *     and the argmax are gathered here. For dlogits, softmax_v2 (accurate) gives p and
 *     (p - onehot) / n is formed here. (Its log-softmax backward would give the same formula from
 *     exp(log p), but log p near a large log-sum-exp carries an absolute error of |lse| ulps, which
 *     exp turns into a relative error of p: 3e-5 for logits around 1000.)
 *   MSE: softmax_v2 (accurate) gives p; the loss and dL/dp = 2 (p - onehot) / (n c) are computed
 *     here; dlogits come from oneDNN's softmax backward (the Jacobian product).
 * The exponentials, sums and the Jacobian are oneDNN's; ours are the gathers and the loss sums. */
#include <math.h>

#include "core/mem.h"
#include "kernels/act/eltwise_dnnl.h"
#include "kernels/softmax_ce/softmax_ce.h"

enum { OP_FWD = 101, OP_BWD };

static gs_status_t build(const gs_eltdnn_key_t *k, dnnl_engine_t eng, dnnl_primitive_t *prim)
{
    const dnnl_memory_desc_t md = gs_eltdnn_md(k->d0, k->d1);
    dnnl_softmax_v2_desc_t fwd, bwd;
    dnnl_status_t st = dnnl_softmax_v2_forward_desc_init(&fwd, dnnl_forward_training, (dnnl_alg_kind_t)k->alg, &md,
                                                         &md, 1);
    if (st != dnnl_success)
        return gs_eltdnn_error("dnnl_softmax_v2_forward_desc_init", st);
    if (k->op == OP_FWD)
        return gs_eltdnn_create(&fwd, NULL, eng, prim);
    dnnl_primitive_desc_t hint;
    st = dnnl_primitive_desc_create(&hint, &fwd, NULL, eng, NULL);
    if (st != dnnl_success)
        return gs_eltdnn_error("dnnl_primitive_desc_create (softmax forward hint)", st);
    st = dnnl_softmax_v2_backward_desc_init(&bwd, (dnnl_alg_kind_t)k->alg, &md, &md, &md, 1);
    gs_status_t gs = st == dnnl_success ? gs_eltdnn_create(&bwd, hint, eng, prim)
                                         : gs_eltdnn_error("dnnl_softmax_v2_backward_desc_init", st);
    dnnl_primitive_desc_destroy(hint);
    return gs;
}

static gs_status_t run(int op, dnnl_alg_kind_t alg, long n, long c, int nargs, const gs_eltdnn_arg_t *args)
{
    const gs_eltdnn_key_t key = {.op = op, .alg = alg, .d0 = n, .d1 = c};
    return gs_eltdnn_exec(&key, build, nargs, args);
}

/* dst = softmax or log-softmax of x over each row. */
static gs_status_t forward(dnnl_alg_kind_t alg, long n, long c, const float *x, float *dst)
{
    const dnnl_memory_desc_t md = gs_eltdnn_md(n, c);
    const gs_eltdnn_arg_t args[2] = {{DNNL_ARG_SRC, md, x}, {DNNL_ARG_DST, md, dst}};
    return run(OP_FWD, alg, n, c, 2, args);
}

/* dx = the softmax (or log-softmax) Jacobian applied to ddst, given the forward output dst. */
static gs_status_t backward(dnnl_alg_kind_t alg, long n, long c, const float *dst, const float *ddst, float *dx)
{
    const dnnl_memory_desc_t md = gs_eltdnn_md(n, c);
    const gs_eltdnn_arg_t args[3] = {{DNNL_ARG_DST, md, dst}, {DNNL_ARG_DIFF_DST, md, ddst}, {DNNL_ARG_DIFF_SRC, md, dx}};
    return run(OP_BWD, alg, n, c, 3, args);
}

/* First index of the row's maximum (of p or log p: the same order as the logits); -1 for NaN. */
static long row_argmax(const float *v, long c)
{
    long best = 0;
    for (long j = 1; j < c; j++)
        if (v[j] > v[best])
            best = j;
    return isnan(v[best]) ? -1 : best;
}

/* The loss pieces computed here from oneDNN's output `out` (log p for CE, p for MSE): mean loss,
 * hits, and for MSE (when grad is not NULL) dL/dp = 2 (p - onehot) / (n c) for the backward. */
static void loss_and_diff(int mse, long n, long c, const float *out, const int32_t *labels, float *loss, long *correct,
                          float *grad)
{
    double total = 0.0;
    long hits = 0;
    for (long i = 0; i < n; i++) {
        const float *o = out + i * c;
        const long y = labels[i];
        hits += row_argmax(o, c) == y;
        if (!mse)
            total -= (double)o[y];
        for (long j = 0; mse && j < c; j++) {
            const double d = (double)o[j] - (j == y);
            total += d * d;
            if (grad)
                grad[i * c + j] = (float)(2.0 * d / ((double)n * (double)c));
        }
    }
    *loss = (float)(mse ? total / ((double)n * (double)c) : total / (double)n);
    *correct = hits;
}

/* dlogits = (p - onehot) / n from oneDNN's p. */
static void ce_grad(long n, long c, const float *p, const int32_t *labels, float *dlogits)
{
    const float inv_n = 1.0f / (float)n;
    for (long i = 0; i < n; i++)
        for (long j = 0; j < c; j++)
            dlogits[i * c + j] = (p[i * c + j] - (j == labels[i] ? 1.0f : 0.0f)) * inv_n;
}

static gs_status_t softmax_loss_onednn(int mse, long n, long c, const float *logits, const int32_t *labels,
                                       float *loss, long *correct, float *dlogits)
{
    const size_t bytes = (size_t)n * (size_t)c * sizeof(float);
    float *out = gs_alloc(bytes), *tmp = dlogits ? gs_alloc(bytes) : NULL;
    gs_status_t st = out && (tmp || !dlogits) ? GS_OK : gs_error(GS_ENOMEM, "softmax onednn: out of memory");
    if (st == GS_OK)
        st = forward(mse ? dnnl_softmax_accurate : dnnl_softmax_log, n, c, logits, out);
    if (st == GS_OK)
        loss_and_diff(mse, n, c, out, labels, loss, correct, mse ? tmp : NULL);
    if (st == GS_OK && dlogits && mse)
        st = backward(dnnl_softmax_accurate, n, c, out, tmp, dlogits);
    if (st == GS_OK && dlogits && !mse) {
        st = forward(dnnl_softmax_accurate, n, c, logits, tmp);
        if (st == GS_OK)
            ce_grad(n, c, tmp, labels, dlogits);
    }
    gs_free(out);
    gs_free(tmp);
    return st;
}

gs_status_t gs_softmax_ce_onednn(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                                 long *correct, float *dlogits)
{
    return softmax_loss_onednn(0, n, classes, logits, labels, loss, correct, dlogits);
}

gs_status_t gs_softmax_mse_onednn(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                                  long *correct, float *dlogits)
{
    return softmax_loss_onednn(1, n, classes, logits, labels, loss, correct, dlogits);
}
