/* Model construction, arenas, initialization, forward and backward over the layer list. */
#include "harness/nn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "harness/nn_ops.h"
#include "kernels/gemm/gemm.h"
#include "kernels/softmax_ce/softmax_ce.h"

/* ---- Construction: sizes only; gs_model_finalize allocates and wires the views. ---- */

void gs_model_begin(gs_model_t *m, long batch, int c, int h, int w, int classes, gs_nn_loss_t loss)
{
    memset(m, 0, sizeof *m);
    m->batch = batch;
    m->classes = classes;
    m->loss_kind = loss;
    m->t[0] = (gs_nn_tensor_t){.c = c, .h = h, .w = w, .per_sample = (long)c * h * w};
    m->ntensors = 1;
}

static int new_tensor(gs_model_t *m, int c, int h, int w)
{
    if (m->ntensors == GS_NN_MAX_TENSORS || c < 1 || h < 1 || w < 1)
        return -1;
    m->t[m->ntensors] = (gs_nn_tensor_t){.c = c, .h = h, .w = w, .per_sample = (long)c * h * w};
    return m->ntensors++;
}

/* A new layer of `kind` reading `in`; NULL when the model is full or `in` is invalid. */
static gs_layer_t *new_layer(gs_model_t *m, gs_layer_kind_t kind, int in, const char *name, int block)
{
    if (m->nlayers == GS_NN_MAX_LAYERS || in < 0 || in >= m->ntensors)
        return NULL;
    gs_layer_t *l = &m->l[m->nlayers++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->in = in;
    l->in2 = -1;
    l->block = block;
    snprintf(l->name, sizeof l->name, "%s", name);
    return l;
}

int gs_model_linear(gs_model_t *m, int in, int out_features, const char *name, int block)
{
    gs_layer_t *l = new_layer(m, GS_L_LINEAR, in, name, block);
    if (!l || (l->out = new_tensor(m, out_features, 1, 1)) < 0)
        return -1;
    l->fan_in = m->t[in].per_sample;
    l->fan_out = out_features;
    l->nw = l->fan_in * out_features;
    l->nb = out_features;
    return l->out;
}

int gs_model_conv(gs_model_t *m, int in, int out_channels, int kernel, const char *name, int block)
{
    gs_layer_t *l = new_layer(m, GS_L_CONV, in, name, block);
    if (!l)
        return -1;
    const gs_nn_tensor_t *x = &m->t[in];
    l->conv = (gs_conv_shape_t){.mb = m->batch, .ic = x->c, .ih = x->h, .iw = x->w, .oc = out_channels,
                                .kh = kernel, .kw = kernel, .sh = 1, .sw = 1};
    if (gs_conv_shape_init(&l->conv) != GS_OK || (l->out = new_tensor(m, out_channels, (int)l->conv.oh, (int)l->conv.ow)) < 0)
        return -1;
    l->fan_in = (long)x->c * kernel * kernel;
    l->fan_out = (long)out_channels * kernel * kernel;
    l->nw = (long)out_channels * x->c * kernel * kernel;
    l->nb = out_channels;
    return l->out;
}

int gs_model_pool(gs_model_t *m, int in, int kernel, const char *name, int block)
{
    gs_layer_t *l = new_layer(m, GS_L_POOL, in, name, block);
    if (!l)
        return -1;
    const gs_nn_tensor_t *x = &m->t[in];
    l->pool = (gs_pool_shape_t){.mb = m->batch, .c = x->c, .ih = x->h, .iw = x->w, .kh = kernel, .kw = kernel,
                                .sh = kernel, .sw = kernel};
    if (gs_pool_shape_init(&l->pool) != GS_OK)
        return -1;
    l->out = new_tensor(m, x->c, (int)l->pool.oh, (int)l->pool.ow);
    m->npool_ws += (long)((gs_pool_ws_bytes(&l->pool) + 63) / 64 * 64);
    return l->out;
}

/* A layer whose output has the input's shape. */
static int same_shape(gs_model_t *m, gs_layer_kind_t kind, int in, const char *name, int block, gs_layer_t **out)
{
    gs_layer_t *l = new_layer(m, kind, in, name, block);
    if (!l)
        return -1;
    l->out = new_tensor(m, m->t[in].c, m->t[in].h, m->t[in].w);
    *out = l;
    return l->out;
}

int gs_model_act(gs_model_t *m, int in, gs_act_t act, const char *name, int block)
{
    gs_layer_t *l;
    int out = same_shape(m, GS_L_ACT, in, name, block, &l);
    if (out >= 0)
        l->act = act;
    return out;
}

int gs_model_batchnorm(gs_model_t *m, int in, float momentum, float eps, const char *name, int block)
{
    gs_layer_t *l;
    int out = same_shape(m, GS_L_BATCHNORM, in, name, block, &l);
    if (out < 0)
        return out;
    const gs_nn_tensor_t *x = &m->t[in];
    l->bn = (gs_bn_shape_t){.n = m->batch, .c = x->c, .hw = (long)x->h * x->w, .eps = eps};
    l->bn_momentum = momentum;
    l->nw = l->nb = x->c; /* gamma, beta */
    return out;
}

int gs_model_customnorm(gs_model_t *m, int in, float eps, const char *name, int block)
{
    gs_layer_t *l;
    int out = same_shape(m, GS_L_CUSTOMNORM, in, name, block, &l);
    if (out >= 0)
        l->norm_eps = eps;
    return out;
}

int gs_model_gradnorm(gs_model_t *m, int in, const char *name, int block)
{
    gs_layer_t *l;
    return same_shape(m, GS_L_GRADNORM, in, name, block, &l);
}

int gs_model_add(gs_model_t *m, int in, int in2, const char *name, int block)
{
    if (in2 < 0 || in2 >= m->ntensors || m->t[in2].per_sample != m->t[in].per_sample)
        return -1;
    gs_layer_t *l;
    int out = same_shape(m, GS_L_ADD, in, name, block, &l);
    if (out >= 0)
        l->in2 = in2;
    return out;
}

gs_status_t gs_model_loss(gs_model_t *m, int logits, float weight)
{
    if (logits < 0 || logits >= m->ntensors || m->t[logits].per_sample != m->classes)
        return gs_error(GS_EINVAL, "model: loss on tensor %d, which is not %d classes wide", logits, m->classes);
    if (m->nlosses == GS_NN_MAX_LOSSES)
        return gs_error(GS_EINVAL, "model: more than %d losses", GS_NN_MAX_LOSSES);
    m->loss[m->nlosses++] = (gs_loss_t){.logits = logits, .weight = weight};
    return GS_OK;
}

/* ---- Arenas ---- */

static long round16(long n) { return (n + 15) / 16 * 16; } /* 64-byte aligned views */

gs_status_t gs_model_finalize(gs_model_t *m, gs_opt_kind_t opt)
{
    for (int i = 0; i < m->nlayers; i++)
        if (m->l[i].out <= 0)
            return gs_error(GS_EINVAL, "model: layer %d (%s) has an invalid shape or the model is too large", i, m->l[i].name);
    if (m->nlosses == 0)
        return gs_error(GS_EINVAL, "model: no loss");
    m->opt_kind = opt;
    long np = 0, na = 0, ns = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const gs_layer_t *l = &m->l[i];
        np += round16(l->nw) + round16(l->nb);
        if (l->kind == GS_L_BATCHNORM)
            na += 4 * round16(l->nw); /* batch mean, var, running mean, var */
    }
    for (int t = 0; t < m->ntensors; t++) {
        long n = round16(m->batch * m->t[t].per_sample);
        na += 2 * n;
        ns = n > ns ? n : ns;
    }
    const int per = gs_opt_state_per_param(opt);
    m->nparams = np;
    m->nacts = na;
    m->nscratch = ns + 16 * m->classes;
    m->params = gs_calloc((size_t)np * sizeof(float));
    m->grads = gs_calloc((size_t)np * sizeof(float));
    m->opt_state = per ? gs_calloc((size_t)(np * per) * sizeof(float)) : NULL;
    m->acts = gs_calloc((size_t)na * sizeof(float));
    m->scratch = gs_calloc((size_t)m->nscratch * sizeof(float));
    m->pool_ws = m->npool_ws ? gs_calloc((size_t)m->npool_ws) : NULL;
    m->labels = gs_calloc((size_t)m->batch * sizeof(int32_t));
    if (!m->params || !m->grads || (per && !m->opt_state) || !m->acts || !m->scratch || (m->npool_ws && !m->pool_ws) ||
        !m->labels) {
        gs_model_free(m);
        return gs_error(GS_ENOMEM, "model: cannot allocate %ld parameters and %ld activation floats", np, na);
    }
    /* Wire the views: parameters, gradients and optimizer state share one layout. */
    long p = 0, a = 0, ws = 0;
    for (int i = 0; i < m->nlayers; i++) {
        gs_layer_t *l = &m->l[i];
        if (l->nw) {
            /* Optimizer state of a buffer is `per` floats per parameter, contiguous (Adam: m then v). */
            l->w = m->params + p, l->dw = m->grads + p, l->state_w = per ? m->opt_state + per * p : NULL;
            p += round16(l->nw);
            l->b = m->params + p, l->db = m->grads + p, l->state_b = per ? m->opt_state + per * p : NULL;
            p += round16(l->nb);
        }
        if (l->kind == GS_L_BATCHNORM) {
            l->bn_mean = m->acts + a, a += round16(l->nw);
            l->bn_var = m->acts + a, a += round16(l->nw);
            l->bn_rmean = m->acts + a, a += round16(l->nw);
            l->bn_rvar = m->acts + a, a += round16(l->nw);
        }
        if (l->kind == GS_L_POOL) {
            l->pool_ws = m->pool_ws + ws;
            ws += (long)((gs_pool_ws_bytes(&l->pool) + 63) / 64 * 64);
        }
    }
    for (int t = 0; t < m->ntensors; t++) {
        long n = round16(m->batch * m->t[t].per_sample);
        m->t[t].val = m->acts + a, a += n;
        m->t[t].grad = m->acts + a, a += n;
    }
    gs_model_update_needs_grad(m);
    return GS_OK;
}

void gs_model_free(gs_model_t *m)
{
    gs_free(m->params);
    gs_free(m->grads);
    gs_free(m->opt_state);
    gs_free(m->acts);
    gs_free(m->scratch);
    gs_free(m->pool_ws);
    gs_free(m->labels);
    m->params = m->grads = m->opt_state = m->acts = m->scratch = NULL;
    m->pool_ws = NULL;
    m->labels = NULL;
}

/* One run per trainable layer: its weights, their zero padding and its biases. Runs are not merged
 * across layers: one call over the whole arena splits it between the threads by position, so the
 * second thread updates (and pulls into its cache) hidden layers that the main thread has just
 * differentiated and reads again next. Measured on mlp7_sigmoid at 2 threads, in two periods of
 * this shared virtual machine: once the merged update took 54 us instead of 10 us and the hidden
 * GEMMs after it 30% longer (epoch 0.35 s instead of 0.29 s), once both took the same; it never
 * gained. Per layer, each update stays where its size puts it (fc1's 100K parameters split over
 * both threads, a hidden layer's 16K on the main one). */
static void find_runs(gs_model_t *m)
{
    m->nruns = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const gs_layer_t *l = &m->l[i];
        if (l->nw > 0 && !l->frozen)
            m->runs[m->nruns++] = (gs_param_run_t){l->w - m->params, (l->b - l->w) + l->nb};
    }
}

void gs_model_update_needs_grad(gs_model_t *m)
{
    for (int t = 0; t < m->ntensors; t++)
        m->t[t].needs_grad = false;
    for (int i = 0; i < m->nlayers; i++) {
        const gs_layer_t *l = &m->l[i];
        bool trainable = l->nw > 0 && !l->frozen;
        bool upstream = m->t[l->in].needs_grad || (l->in2 >= 0 && m->t[l->in2].needs_grad);
        m->t[l->out].needs_grad = trainable || upstream;
    }
    find_runs(m);
}

/* ---- Initialization ---- */

static float init_std(gs_init_t init, float std, const gs_layer_t *l)
{
    switch (init) {
    case GS_INIT_W_LECUN: return 1.0f / sqrtf((float)l->fan_in);
    case GS_INIT_W_XAVIER: return sqrtf(2.0f / (float)(l->fan_in + l->fan_out));
    case GS_INIT_W_HE: return sqrtf(2.0f / (float)l->fan_in);
    default: return std;
    }
}

void gs_model_init(gs_model_t *m, gs_init_t init, float std, uint64_t seed)
{
    memset(m->params, 0, (size_t)m->nparams * sizeof(float));
    memset(m->grads, 0, (size_t)m->nparams * sizeof(float));
    if (m->opt_state)
        memset(m->opt_state, 0, (size_t)(m->nparams * gs_opt_state_per_param(m->opt_kind)) * sizeof(float));
    for (int i = 0; i < m->nlayers; i++) {
        gs_layer_t *l = &m->l[i];
        if (l->kind == GS_L_LINEAR || l->kind == GS_L_CONV)
            gs_rng_normal(seed, (uint64_t)i, l->w, (size_t)l->nw, 0.0f, init_std(init, std, l));
        if (l->kind == GS_L_BATCHNORM)
            for (long c = 0; c < l->nw; c++) {
                l->w[c] = 1.0f;
                l->bn_rmean[c] = 0.0f;
                l->bn_rvar[c] = 1.0f;
            }
    }
}

static const gs_layer_t *find_layer(const gs_model_t *m, const char *name)
{
    for (int i = 0; i < m->nlayers; i++)
        if (strcmp(m->l[i].name, name) == 0)
            return &m->l[i];
    return NULL;
}

int gs_model_copy_params(gs_model_t *dst, const gs_model_t *src, const char *except)
{
    int copied = 0;
    for (int i = 0; i < dst->nlayers; i++) {
        gs_layer_t *d = &dst->l[i];
        const gs_layer_t *s = find_layer(src, d->name);
        if (!s || d->nw == 0 || s->nw != d->nw || s->nb != d->nb || (except && strcmp(d->name, except) == 0))
            continue;
        memcpy(d->w, s->w, (size_t)d->nw * sizeof(float));
        memcpy(d->b, s->b, (size_t)d->nb * sizeof(float));
        if (d->kind == GS_L_BATCHNORM) {
            memcpy(d->bn_rmean, s->bn_rmean, (size_t)d->nw * sizeof(float));
            memcpy(d->bn_rvar, s->bn_rvar, (size_t)d->nw * sizeof(float));
        }
        copied++;
    }
    return copied;
}

/* ---- Forward ---- */

/* y = x W^T + b: the GEMM, then the bias added to every row (one op each, so both run on oneDNN
 * under --impl onednn). */
static gs_status_t linear_fwd(const gs_layer_t *l, const float *x, float *y, long batch)
{
    const long in = l->fan_in, out = l->fan_out;
    gs_status_t st = gs_gemm(false, true, batch, out, in, 1.0f, x, in, l->w, in, 0.0f, y, out);
    return st == GS_OK ? gs_nn_bias_add(batch, out, l->b, y) : st;
}

/* Mean and unbiased std over all n elements (two passes, double accumulation). */
static void mean_std(const float *x, long n, double *mean, double *std)
{
    double s = 0;
    for (long i = 0; i < n; i++)
        s += x[i];
    *mean = s / (double)n;
    double v = 0;
    for (long i = 0; i < n; i++)
        v += ((double)x[i] - *mean) * ((double)x[i] - *mean);
    *std = n > 1 ? sqrt(v / (double)(n - 1)) : 0.0;
}

/* CustomNorm: statistics of the tensor being normalized, in training and evaluation alike. */
static void customnorm_fwd(gs_layer_t *l, const float *x, float *y, long n)
{
    mean_std(x, n, &l->norm_mean, &l->norm_std);
    const float mu = (float)l->norm_mean, inv = (float)(1.0 / (l->norm_std + l->norm_eps));
    for (long i = 0; i < n; i++)
        y[i] = (x[i] - mu) * inv;
}

static gs_status_t layer_fwd(gs_model_t *m, gs_layer_t *l, long batch, bool training)
{
    const gs_nn_tensor_t *ti = &m->t[l->in];
    gs_nn_tensor_t *to = &m->t[l->out];
    const long n = batch * ti->per_sample;
    switch (l->kind) {
    case GS_L_LINEAR:
        return linear_fwd(l, ti->val, to->val, batch);
    case GS_L_CONV: {
        gs_conv_shape_t s = l->conv;
        s.mb = batch;
        return gs_conv_fwd(&s, ti->val, l->w, l->b, to->val);
    }
    case GS_L_POOL: {
        gs_pool_shape_t s = l->pool;
        s.mb = batch;
        return gs_pool_fwd(&s, ti->val, to->val, l->pool_ws);
    }
    case GS_L_ACT:
        return gs_act_fwd(l->act, n, ti->val, to->val);
    case GS_L_BATCHNORM: {
        gs_bn_shape_t s = l->bn;
        s.n = batch;
        if (training)
            return gs_bn_fwd_train(&s, ti->val, l->w, l->b, to->val, l->bn_mean, l->bn_var, l->bn_rmean, l->bn_rvar,
                                   l->bn_momentum);
        return gs_bn_fwd_infer(&s, ti->val, l->w, l->b, l->bn_rmean, l->bn_rvar, to->val);
    }
    case GS_L_CUSTOMNORM: { /* no oneDNN form: native under both implementations */
        const uint64_t t0 = gs_nn_prof_begin();
        customnorm_fwd(l, ti->val, to->val, n);
        gs_nn_prof_end(t0, "customnorm_fwd", n, 12.0 * (double)n);
        return GS_OK;
    }
    case GS_L_GRADNORM: {
        const uint64_t t0 = gs_nn_prof_begin();
        memcpy(to->val, ti->val, (size_t)n * sizeof(float));
        gs_nn_prof_end(t0, "gradnorm_fwd", n, 8.0 * (double)n);
        return GS_OK;
    }
    case GS_L_ADD:
        return gs_nn_add(n, ti->val, m->t[l->in2].val, to->val);
    }
    return gs_error(GS_EINVAL, "model: unknown layer kind %d", (int)l->kind);
}

/* Each loss writes its dlogits straight into its logits tensor's gradient (a logits tensor feeds
 * nothing else); backward scales them by the loss weight. */
static gs_status_t losses_fwd(gs_model_t *m, long batch, bool training)
{
    for (int i = 0; i < m->nlosses; i++) {
        gs_loss_t *ls = &m->loss[i];
        gs_nn_tensor_t *t = &m->t[ls->logits];
        float *d = training ? t->grad : NULL;
        gs_status_t st = m->loss_kind == GS_NN_LOSS_MSE
                             ? gs_softmax_mse(batch, m->classes, t->val, m->labels, &ls->value, &ls->correct, d)
                             : gs_softmax_ce(batch, m->classes, t->val, m->labels, &ls->value, &ls->correct, d);
        if (st != GS_OK)
            return st;
    }
    return GS_OK;
}

gs_status_t gs_model_forward(gs_model_t *m, const float *x, const int32_t *y, long batch, bool training)
{
    if (batch < 1 || batch > m->batch)
        return gs_error(GS_EINVAL, "model: batch of %ld, expected 1..%ld", batch, m->batch);
    if (x != m->t[0].val)
        memcpy(m->t[0].val, x, (size_t)(batch * m->t[0].per_sample) * sizeof(float));
    if (y != m->labels)
        memcpy(m->labels, y, (size_t)batch * sizeof(int32_t));
    m->last_batch = batch;
    for (int i = 0; i < m->nlayers; i++) {
        gs_status_t st = layer_fwd(m, &m->l[i], batch, training);
        if (st != GS_OK)
            return st;
    }
    return losses_fwd(m, batch, training);
}

double gs_model_total_loss(const gs_model_t *m)
{
    double s = 0;
    for (int i = 0; i < m->nlosses; i++)
        s += (double)m->loss[i].weight * m->loss[i].value;
    return s;
}

/* ---- Backward ---- */

/* Where a layer writes the gradient of tensor t: t->grad itself for the first writer of this
 * step, else scratch (the caller then adds it in with accumulate()). */
static float *grad_target(gs_model_t *m, gs_nn_tensor_t *t, bool *accumulate)
{
    *accumulate = t->grad_written;
    t->grad_written = true;
    return *accumulate ? m->scratch : t->grad;
}

static gs_status_t linear_bwd(gs_model_t *m, gs_layer_t *l, long batch)
{
    gs_nn_tensor_t *ti = &m->t[l->in];
    const float *dy = m->t[l->out].grad;
    const long in = l->fan_in, out = l->fan_out;
    gs_status_t st = GS_OK;
    if (!l->frozen) {
        st = gs_gemm(true, false, out, in, batch, 1.0f, dy, out, ti->val, in, 0.0f, l->dw, in);
        if (st == GS_OK)
            st = gs_nn_bias_grad(batch, out, dy, l->db);
    }
    if (st == GS_OK && ti->needs_grad) {
        bool acc = ti->grad_written; /* GEMM accumulates itself with beta = 1 */
        ti->grad_written = true;
        st = gs_gemm(false, false, batch, in, out, 1.0f, dy, out, l->w, in, acc ? 1.0f : 0.0f, ti->grad, in);
    }
    return st;
}

/* CustomNorm backward: y = (x - mu) / (s + eps) with mu and the unbiased s over all n elements,
 * dx_j = (dy_j - mean dy) / (s + eps) - (x_j - mu) * sum_i dy_i (x_i - mu) / ((s + eps)^2 (n - 1) s). */
static void customnorm_bwd(const gs_layer_t *l, const float *x, const float *dy, float *dx, long n)
{
    double mean_dy = 0, dot = 0;
    for (long i = 0; i < n; i++) {
        mean_dy += dy[i];
        dot += (double)dy[i] * ((double)x[i] - l->norm_mean);
    }
    mean_dy /= (double)n;
    const double se = l->norm_std + l->norm_eps;
    const double k = l->norm_std > 0 && n > 1 ? dot / (se * se * (double)(n - 1) * l->norm_std) : 0.0;
    for (long i = 0; i < n; i++)
        dx[i] = (float)(((double)dy[i] - mean_dy) / se - ((double)x[i] - l->norm_mean) * k);
}

/* GradientNorm backward: g <- (g - mean g) / (std g + 1e-6), unbiased std over the whole tensor. */
static void gradnorm_bwd(const float *dy, float *dx, long n)
{
    double mean, std;
    mean_std(dy, n, &mean, &std);
    const double inv = 1.0 / (std + 1e-6);
    for (long i = 0; i < n; i++)
        dx[i] = (float)(((double)dy[i] - mean) * inv);
}

static gs_status_t layer_bwd(gs_model_t *m, gs_layer_t *l, long batch)
{
    gs_nn_tensor_t *ti = &m->t[l->in], *to = &m->t[l->out];
    const long n = batch * ti->per_sample;
    if (l->kind == GS_L_LINEAR)
        return linear_bwd(m, l, batch);
    if (l->kind == GS_L_CONV && !l->frozen) {
        gs_conv_shape_t s = l->conv;
        s.mb = batch;
        gs_status_t st = gs_conv_bwd_weights(&s, ti->val, to->grad, l->dw, l->db);
        if (st != GS_OK)
            return st;
    }
    if (l->kind == GS_L_BATCHNORM && l->frozen && !ti->needs_grad)
        return GS_OK;
    if (l->kind == GS_L_ADD) {
        gs_nn_tensor_t *t2 = &m->t[l->in2];
        for (int k = 0; k < 2; k++) {
            gs_nn_tensor_t *t = k ? t2 : ti;
            if (!t->needs_grad)
                continue;
            bool acc;
            float *dx = grad_target(m, t, &acc);
            gs_status_t st = GS_OK;
            if (acc)
                st = gs_nn_add(n, t->grad, to->grad, t->grad);
            else
                memcpy(dx, to->grad, (size_t)n * sizeof(float));
            if (st != GS_OK)
                return st;
        }
        return GS_OK;
    }
    if (!ti->needs_grad && l->kind != GS_L_BATCHNORM)
        return GS_OK;
    bool acc = false;
    float *dx = ti->needs_grad ? grad_target(m, ti, &acc) : m->scratch;
    gs_status_t st = GS_OK;
    switch (l->kind) {
    case GS_L_CONV: {
        gs_conv_shape_t s = l->conv;
        s.mb = batch;
        st = gs_conv_bwd_data(&s, to->grad, l->w, dx);
        break;
    }
    case GS_L_POOL: {
        gs_pool_shape_t s = l->pool;
        s.mb = batch;
        st = gs_pool_bwd(&s, to->grad, l->pool_ws, dx);
        break;
    }
    case GS_L_ACT:
        st = gs_act_bwd(l->act, n, ti->val, to->val, to->grad, dx);
        break;
    case GS_L_BATCHNORM: {
        gs_bn_shape_t s = l->bn;
        s.n = batch;
        st = gs_bn_bwd(&s, ti->val, to->grad, l->w, l->bn_mean, l->bn_var, dx, l->dw, l->db);
        break;
    }
    case GS_L_CUSTOMNORM: {
        const uint64_t t0 = gs_nn_prof_begin();
        customnorm_bwd(l, ti->val, to->grad, dx, n);
        gs_nn_prof_end(t0, "customnorm_bwd", n, 12.0 * (double)n);
        break;
    }
    case GS_L_GRADNORM: {
        const uint64_t t0 = gs_nn_prof_begin();
        gradnorm_bwd(to->grad, dx, n);
        gs_nn_prof_end(t0, "gradnorm_bwd", n, 8.0 * (double)n);
        break;
    }
    default:
        break;
    }
    if (st == GS_OK && acc)
        st = gs_nn_add(n, ti->grad, dx, ti->grad);
    return st;
}

gs_status_t gs_model_backward(gs_model_t *m)
{
    const long batch = m->last_batch;
    for (int t = 0; t < m->ntensors; t++)
        m->t[t].grad_written = false;
    for (int i = 0; i < m->nlosses; i++) {
        gs_nn_tensor_t *t = &m->t[m->loss[i].logits];
        t->grad_written = true;
        const float w = m->loss[i].weight;
        gs_status_t st = w != 1.0f ? gs_nn_scale(batch * m->classes, w, t->grad) : GS_OK;
        if (st != GS_OK)
            return st;
    }
    for (int i = m->nlayers - 1; i >= 0; i--) {
        gs_layer_t *l = &m->l[i];
        if (!m->t[l->out].grad_written) /* nothing downstream reaches a loss */
            continue;
        gs_status_t st = layer_bwd(m, l, batch);
        if (st != GS_OK)
            return st;
    }
    return GS_OK;
}
