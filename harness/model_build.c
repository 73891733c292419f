/* Scenario -> layer list. */
#include "harness/model_build.h"

#include <stdio.h>

#include "harness/data.h"

static gs_init_t init_rule(gs_init_kind_t k)
{
    switch (k) {
    case GS_INIT_LECUN: return GS_INIT_W_LECUN;
    case GS_INIT_XAVIER: return GS_INIT_W_XAVIER;
    case GS_INIT_HE: return GS_INIT_W_HE;
    default: return GS_INIT_W_NORMAL;
    }
}

static bool listed(const int *list, int n, int v)
{
    for (int i = 0; i < n; i++)
        if (list[i] == v)
            return true;
    return false;
}

/* Hidden block i of the MLP: Linear -> [BatchNorm | CustomNorm] -> activation -> [GradientNorm]
 * -> [+ h_from for a skip ending here]. Returns the block's output tensor. */
static int mlp_block(gs_model_t *m, const gs_scenario_t *sc, int x, int i, const int *h)
{
    char name[24];
    snprintf(name, sizeof name, "fc%d", i);
    int t = gs_model_linear(m, x, sc->hidden_units, name, i);
    snprintf(name, sizeof name, "norm%d", i);
    if (sc->norm == GS_NORM_BATCH)
        t = gs_model_batchnorm(m, t, sc->bn_momentum, sc->bn_eps, name, i);
    else if (sc->norm == GS_NORM_CUSTOM)
        t = gs_model_customnorm(m, t, sc->custom_norm_eps, name, i);
    snprintf(name, sizeof name, "act%d", i);
    t = gs_model_act(m, t, sc->activation, name, i);
    if (sc->grad_norm) {
        snprintf(name, sizeof name, "gradnorm%d", i);
        t = gs_model_gradnorm(m, t, name, i);
    }
    for (int s = 0; s < sc->nskips; s++)
        if (sc->skip_to[s] == i) {
            snprintf(name, sizeof name, "skip%d_%d", sc->skip_from[s], i);
            t = gs_model_add(m, t, h[sc->skip_from[s]], name, i);
        }
    return t;
}

static gs_status_t build_mlp(const gs_scenario_t *sc, long batch, int depth, gs_model_t *m)
{
    gs_model_begin(m, batch, 1, 28, 28, GS_DATA_CLASSES, sc->loss == GS_LOSS_MSE ? GS_NN_LOSS_MSE : GS_NN_LOSS_CE);
    int h[GS_SCENARIO_MAX_LAYERS + 1];
    h[0] = 0;
    for (int i = 1; i <= depth; i++) {
        h[i] = mlp_block(m, sc, h[i - 1], i, h);
        if (listed(sc->aux_after, sc->naux, i) && i < depth) {
            char name[24];
            snprintf(name, sizeof name, "aux%d", i);
            gs_status_t st = gs_model_loss(m, gs_model_linear(m, h[i], GS_DATA_CLASSES, name, 0), sc->aux_weight);
            if (st != GS_OK)
                return st;
        }
    }
    return gs_model_loss(m, gs_model_linear(m, h[depth], GS_DATA_CLASSES, "head", 0), 1.0f);
}

/* LeNet: conv 5x5 -> act -> pool 2 -> conv 5x5 -> act -> pool 2 -> fc -> act -> fc 10, and for
 * lenet_dsn a side head (fc 10) on the first pooling output. */
static gs_status_t build_lenet(const gs_scenario_t *sc, long batch, gs_model_t *m)
{
    gs_model_begin(m, batch, 1, 28, 28, GS_DATA_CLASSES, sc->loss == GS_LOSS_MSE ? GS_NN_LOSS_MSE : GS_NN_LOSS_CE);
    int t = gs_model_conv(m, 0, sc->lenet_conv1, 5, "conv1", 1);
    t = gs_model_act(m, t, sc->activation, "act1", 1);
    int p1 = gs_model_pool(m, t, 2, "pool1", 1);
    t = gs_model_conv(m, p1, sc->lenet_conv2, 5, "conv2", 2);
    t = gs_model_act(m, t, sc->activation, "act2", 2);
    t = gs_model_pool(m, t, 2, "pool2", 2);
    t = gs_model_linear(m, t, sc->lenet_fc, "fc3", 3);
    t = gs_model_act(m, t, sc->activation, "act3", 3);
    if (sc->lenet_side_head) {
        gs_status_t st = gs_model_loss(m, gs_model_linear(m, p1, GS_DATA_CLASSES, "side", 0), sc->aux_weight);
        if (st != GS_OK)
            return st;
    }
    return gs_model_loss(m, gs_model_linear(m, t, GS_DATA_CLASSES, "head", 0), 1.0f);
}

gs_status_t gs_model_build(const gs_scenario_t *sc, long batch, int depth, gs_model_t *m)
{
    gs_status_t st;
    if (sc->model == GS_MODEL_LENET)
        st = build_lenet(sc, batch, m);
    else if (sc->model == GS_MODEL_MLP)
        st = build_mlp(sc, batch, depth > 0 ? depth : sc->hidden_layers, m);
    else
        return gs_error(GS_EINVAL, "%s: model 'neuron' has no layer list (procedure neuron_l2_vs_ce)", sc->name);
    if (st == GS_OK)
        st = gs_model_finalize(m, sc->opt.kind);
    if (st != GS_OK)
        return st;
    gs_model_init(m, init_rule(sc->init), sc->init_std, (uint64_t)sc->seed);
    return GS_OK;
}

int gs_model_block_act(const gs_model_t *m, int block)
{
    for (int i = 0; i < m->nlayers; i++)
        if (m->l[i].kind == GS_L_ACT && m->l[i].block == block)
            return i;
    return -1;
}
