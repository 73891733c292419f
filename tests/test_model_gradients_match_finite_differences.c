/* Whole-network gradient check: for every layer type and combination the catalog uses (MLP with
 * BatchNorm, CustomNorm, identity skips, auxiliary heads, frozen layers, each activation; LeNet-style
 * conv + pool with a side head), the backward pass's dW and db match central finite differences of
 * the total loss, computed with the scalar kernels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dispatch.h"
#include "core/rng.h"
#include "harness/nn.h"
#include "test_util.h"

enum { BATCH = 4, CLASSES = 10 };

static float x[BATCH * 1 * 12 * 12];

/* Finite-difference step along the unit direction; smaller for the conv net, whose max pooling
 * switches argmax (a kink) under larger steps (measured: 6.5% error at 1e-2, 0.2% at 1e-3). */
static float fd_step = 1e-2f;
static int32_t y[BATCH];

static double total_loss(gs_model_t *m)
{
    gs_model_forward(m, x, y, BATCH, true);
    return gs_model_total_loss(m);
}

/* Compares the directional derivative of the loss along a random +-1/sqrt(n) direction r over the
 * whole buffer, by central differences, with dot(g, r). A direction rather than single entries: the
 * signal sums over all entries, so float rounding of the loss (~1e-7) stays far below it, and tiny
 * per-entry steps rarely flip a ReLU kink or a max-pool argmax. Tolerance 2e-2 relative (or 2e-4
 * absolute for near-zero derivatives). */
static bool check_buffer(gs_model_t *m, const char *what, float *p, const float *g, long n)
{
    const float h = fd_step;
    float *keep = malloc((size_t)n * sizeof(float)), *r = malloc((size_t)n * sizeof(float));
    memcpy(keep, p, (size_t)n * sizeof(float));
    double dot = 0;
    for (long i = 0; i < n; i++) {
        r[i] = (float)((gs_rng_u32(5, 17, (uint64_t)i) & 1) ? 1.0 : -1.0) / sqrtf((float)n);
        dot += (double)g[i] * r[i];
    }
    for (long i = 0; i < n; i++)
        p[i] = keep[i] + h * r[i];
    double up = total_loss(m);
    for (long i = 0; i < n; i++)
        p[i] = keep[i] - h * r[i];
    double down = total_loss(m);
    memcpy(p, keep, (size_t)n * sizeof(float));
    free(keep);
    free(r);
    double fd = (up - down) / (2 * h);
    double err = fabs(fd - dot) / fmax(fabs(fd) + fabs(dot), 1e-2);
    return gs_check(err < 2e-2, "%s: directional derivative %.6e vs finite difference %.6e (rel err %.1e)", what, dot, fd,
                    err);
}

/* Backward once, copies the gradients, then checks every trainable buffer. */
static void check_model(gs_model_t *m, const char *name)
{
    total_loss(m);
    for (int i = 0; i < m->nlayers; i++) /* a frozen layer's dW must not even be computed */
        for (long k = 0; m->l[i].frozen && k < m->l[i].nw; k++)
            m->l[i].dw[k] = 12345.0f;
    if (!gs_check(gs_model_backward(m) == GS_OK, "%s: backward runs", name))
        return;
    for (int i = 0; i < m->nlayers; i++)
        if (m->l[i].frozen)
            gs_check(m->l[i].dw[0] == 12345.0f && m->l[i].dw[m->l[i].nw - 1] == 12345.0f,
                     "%s: frozen %s gets no weight-gradient kernel", name, m->l[i].name);
    float *grads = malloc((size_t)m->nparams * sizeof(float));
    memcpy(grads, m->grads, (size_t)m->nparams * sizeof(float));
    for (int i = 0; i < m->nlayers; i++) {
        gs_layer_t *l = &m->l[i];
        if (l->nw == 0 || l->frozen)
            continue;
        char what[96];
        snprintf(what, sizeof what, "%s %s dW", name, l->name);
        check_buffer(m, what, l->w, grads + (l->dw - m->grads), l->nw);
        snprintf(what, sizeof what, "%s %s db", name, l->name);
        check_buffer(m, what, l->b, grads + (l->db - m->grads), l->nb);
    }
    free(grads);
}

/* An MLP on 144 inputs: 2-3 hidden blocks of 16 units with the given extras. */
typedef struct {
    gs_act_kind_t act;
    bool bn, customnorm, skip, aux, freeze_first;
    gs_nn_loss_t loss;
} mlp_spec_t;

static void check_mlp(const char *name, mlp_spec_t s)
{
    gs_model_t m;
    gs_model_begin(&m, BATCH, 1, 12, 12, CLASSES, s.loss);
    int h[4] = {0};
    for (int i = 1; i <= 3; i++) {
        char n[16];
        snprintf(n, sizeof n, "fc%d", i);
        int t = gs_model_linear(&m, h[i - 1], 16, n, i);
        if (s.bn)
            t = gs_model_batchnorm(&m, t, 0.1f, 1e-5f, "bn", i);
        if (s.customnorm)
            t = gs_model_customnorm(&m, t, 1e-8f, "cn", i);
        t = gs_model_act(&m, t, (gs_act_t){s.act, s.act == GS_ACT_SIGMOID_LINEAR ? 0.05f : 0.1f}, "act", i);
        if (s.skip && i == 3)
            t = gs_model_add(&m, t, h[1], "skip1_3", i);
        h[i] = t;
        if (s.aux && i == 2)
            gs_model_loss(&m, gs_model_linear(&m, t, CLASSES, "aux2", 0), 0.3f);
    }
    gs_model_loss(&m, gs_model_linear(&m, h[3], CLASSES, "head", 0), 1.0f);
    if (!gs_check(gs_model_finalize(&m, GS_OPT_SGD) == GS_OK, "%s: model builds", name))
        return;
    gs_model_init(&m, GS_INIT_W_XAVIER, 0, 7);
    for (int i = 0; i < m.nlayers; i++)
        if (m.l[i].nb)
            gs_rng_uniform(9, (uint64_t)i, m.l[i].b, (size_t)m.l[i].nb, -0.1f, 0.1f);
    if (s.freeze_first) {
        m.l[0].frozen = true;
        gs_model_update_needs_grad(&m);
    }
    check_model(&m, name);
    gs_model_free(&m);
}

static void check_lenet(void)
{
    gs_model_t m;
    gs_model_begin(&m, BATCH, 1, 12, 12, CLASSES, GS_NN_LOSS_CE);
    int t = gs_model_conv(&m, 0, 3, 3, "conv1", 1);
    t = gs_model_act(&m, t, (gs_act_t){GS_ACT_SIGMOID, 0}, "act1", 1);
    int p = gs_model_pool(&m, t, 2, "pool1", 1);
    t = gs_model_conv(&m, p, 4, 3, "conv2", 2);
    t = gs_model_act(&m, t, (gs_act_t){GS_ACT_TANH, 0}, "act2", 2);
    t = gs_model_pool(&m, t, 2, "pool2", 2);
    gs_model_loss(&m, gs_model_linear(&m, p, CLASSES, "side", 0), 0.3f);
    gs_model_loss(&m, gs_model_linear(&m, t, CLASSES, "head", 0), 1.0f);
    if (!gs_check(gs_model_finalize(&m, GS_OPT_SGD) == GS_OK, "lenet: model builds"))
        return;
    gs_model_init(&m, GS_INIT_W_XAVIER, 0, 11);
    fd_step = 2e-3f;
    check_model(&m, "lenet conv+pool+side head");
    gs_model_free(&m);
}

int main(void)
{
    if (gs_dispatch_init(GS_IMPL_NATIVE, GS_ISA_SCALAR) != GS_OK)
        return 1;
    gs_rng_uniform(3, 0, x, sizeof x / sizeof x[0], 0.0f, 1.0f);
    for (int i = 0; i < BATCH; i++)
        y[i] = (i * 3) % CLASSES;
    check_mlp("mlp sigmoid", (mlp_spec_t){.act = GS_ACT_SIGMOID});
    check_mlp("mlp tanh mse", (mlp_spec_t){.act = GS_ACT_TANH, .loss = GS_NN_LOSS_MSE});
    check_mlp("mlp elu batchnorm", (mlp_spec_t){.act = GS_ACT_ELU, .bn = true});
    check_mlp("mlp sigmoid customnorm", (mlp_spec_t){.act = GS_ACT_SIGMOID, .customnorm = true});
    check_mlp("mlp sigmoid_linear skip", (mlp_spec_t){.act = GS_ACT_SIGMOID_LINEAR, .skip = true});
    check_mlp("mlp tanh aux head", (mlp_spec_t){.act = GS_ACT_TANH, .aux = true});
    check_mlp("mlp identity frozen fc1", (mlp_spec_t){.act = GS_ACT_IDENTITY, .freeze_first = true});
    check_lenet();
    return gs_test_done("test_model_gradients_match_finite_differences");
}
