/* Gradient-flow statistics over the model's arenas. */
#include "harness/gradflow.h"

#include <math.h>
#include <string.h>

#include "harness/model_build.h"

static void norms(const float *x, long n, double *sum_abs, double *sumsq, bool *nonfinite)
{
    double a = 0, q = 0;
    for (long i = 0; i < n; i++) {
        a += fabs((double)x[i]);
        q += (double)x[i] * x[i];
    }
    *sum_abs = a;
    *sumsq = q;
    if (!isfinite(a) || !isfinite(q))
        *nonfinite = true;
}

/* Statistics of the activation output of block `block` over the last forward's batch. */
static void act_stats(const gs_model_t *m, int block, gs_gradflow_t *r)
{
    r->act_mean = r->act_std = r->saturated = r->dead = NAN;
    int li = gs_model_block_act(m, block);
    if (li < 0)
        return;
    const gs_layer_t *l = &m->l[li];
    const gs_nn_tensor_t *t = &m->t[l->out];
    const long units = t->per_sample, n = m->last_batch * units;
    double s = 0, q = 0;
    long sat = 0;
    const bool sigmoid_like = l->act.kind == GS_ACT_SIGMOID || l->act.kind == GS_ACT_SIGMOID_MODDERIV;
    for (long i = 0; i < n; i++) {
        const float y = t->val[i];
        s += y;
        q += (double)y * y;
        if (sigmoid_like ? (y < 0.01f || y > 0.99f) : l->act.kind == GS_ACT_TANH ? fabsf(y) > 0.99f : false)
            sat++;
    }
    r->act_mean = s / (double)n;
    r->act_std = sqrt(fmax(q / (double)n - r->act_mean * r->act_mean, 0.0));
    r->saturated = sigmoid_like || l->act.kind == GS_ACT_TANH ? (double)sat / (double)n : 0.0;
    r->dead = 0.0;
    if (l->act.kind == GS_ACT_RELU) {
        long dead = 0;
        for (long u = 0; u < units; u++) {
            bool alive = false;
            for (long b = 0; b < m->last_batch && !alive; b++)
                alive = t->val[b * units + u] > 0.0f;
            dead += !alive;
        }
        r->dead = (double)dead / (double)units;
    }
}

int gs_gradflow_probe(const gs_model_t *m, float lr, gs_gradflow_t *rows)
{
    int count = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const gs_layer_t *l = &m->l[i];
        if (l->kind != GS_L_LINEAR && l->kind != GS_L_CONV)
            continue;
        gs_gradflow_t *r = &rows[count++];
        memset(r, 0, sizeof *r);
        snprintf(r->layer, sizeof r->layer, "%s", l->name);
        r->block = l->block;
        double abs_dw, sq_dw, abs_w, sq_w;
        norms(l->dw, l->nw, &abs_dw, &sq_dw, &r->nonfinite);
        norms(l->w, l->nw, &abs_w, &sq_w, &r->nonfinite);
        r->mean_abs_dw = abs_dw / (double)l->nw;
        r->norm_dw = sqrt(sq_dw);
        r->norm_w = sqrt(sq_w);
        r->update_ratio = r->norm_w > 0 ? (double)lr * r->norm_dw / r->norm_w : NAN;
        act_stats(m, l->block, r);
    }
    return count;
}

void gs_gradflow_accumulate(gs_gradflow_t *a, const gs_gradflow_t *b, int count)
{
    for (int i = 0; i < count; i++) {
        a[i].mean_abs_dw += b[i].mean_abs_dw;
        a[i].norm_dw += b[i].norm_dw;
        a[i].norm_w += b[i].norm_w;
        a[i].update_ratio += b[i].update_ratio;
        a[i].act_mean += b[i].act_mean;
        a[i].act_std += b[i].act_std;
        a[i].saturated += b[i].saturated;
        a[i].dead += b[i].dead;
        a[i].nonfinite |= b[i].nonfinite;
        memcpy(a[i].layer, b[i].layer, sizeof a[i].layer);
        a[i].block = b[i].block;
    }
}

void gs_gradflow_scale(gs_gradflow_t *a, int count, double n)
{
    for (int i = 0; i < count; i++) {
        a[i].mean_abs_dw /= n;
        a[i].norm_dw /= n;
        a[i].norm_w /= n;
        a[i].update_ratio /= n;
        a[i].act_mean /= n;
        a[i].act_std /= n;
        a[i].saturated /= n;
        a[i].dead /= n;
    }
}

void gs_gradflow_write_header(FILE *f)
{
    fprintf(f, "kind,epoch,step,layer,block,mean_abs_dw,norm_dw,norm_w,update_ratio,act_mean,act_std,"
               "saturated_frac,dead_frac,nonfinite\n");
}

void gs_gradflow_write(FILE *f, const char *kind, int epoch, long step, const gs_gradflow_t *rows, int count)
{
    for (int i = 0; i < count; i++) {
        const gs_gradflow_t *r = &rows[i];
        fprintf(f, "%s,%d,%ld,%s,%d,%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%.6e,%d\n", kind, epoch, step, r->layer, r->block,
                r->mean_abs_dw, r->norm_dw, r->norm_w, r->update_ratio, r->act_mean, r->act_std, r->saturated, r->dead,
                r->nonfinite);
    }
}

double gs_gradflow_first_last_ratio(const gs_gradflow_t *rows, int count)
{
    const gs_gradflow_t *first = NULL, *last = NULL;
    for (int i = 0; i < count; i++) {
        if (rows[i].block == 1 && !first)
            first = &rows[i];
        if (strcmp(rows[i].layer, "head") == 0)
            last = &rows[i];
    }
    if (!first || !last || last->mean_abs_dw == 0)
        return NAN;
    return first->mean_abs_dw / last->mean_abs_dw;
}
