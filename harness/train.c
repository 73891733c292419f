/* Epoch loop, optimizer application, clipping, gradient noise, evaluation and progress display. */
#include "harness/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/profiler.h"

/* RNG streams of the gradient noise: one per (step, buffer), far from the layers' init streams. */
#define NOISE_STREAM_BASE 0x4e4f495345000000ull /* "NOISE" */

static const gs_loss_t *main_loss(const gs_model_t *m) { return &m->loss[m->nlosses - 1]; }

gs_status_t gs_evaluate(gs_model_t *m, const gs_dataset_t *d, double *loss, double *acc)
{
    /* The kernel profile describes training steps: evaluation passes stay out of it. */
    const bool profiling = gs_prof_active();
    gs_prof_enable(false);
    gs_status_t st = GS_OK;
    const long px = d->rows * d->cols;
    double sum = 0;
    long correct = 0;
    for (long first = 0; first < d->n; first += m->batch) {
        const long b = d->n - first < m->batch ? d->n - first : m->batch;
        if ((st = gs_model_forward(m, d->images + first * px, d->labels + first, b, false)) != GS_OK)
            break;
        sum += (double)main_loss(m)->value * (double)b;
        correct += main_loss(m)->correct;
    }
    gs_prof_enable(profiling);
    *loss = sum / (double)d->n;
    *acc = (double)correct / (double)d->n;
    return st;
}

/* Calls fn on every trainable parameter buffer (weights, then biases), in layer order: for what
 * works per buffer (SDAGD's norm, the noise streams). */
typedef gs_status_t buffer_fn(void *user, int buffer, long n, float *w, float *g, float *state);

static gs_status_t for_each_buffer(gs_model_t *m, buffer_fn *fn, void *user)
{
    int buffer = 0;
    for (int i = 0; i < m->nlayers; i++) {
        gs_layer_t *l = &m->l[i];
        if (l->nw == 0 || l->frozen)
            continue;
        gs_status_t st = fn(user, buffer++, l->nw, l->w, l->dw, l->state_w);
        if (st == GS_OK)
            st = fn(user, buffer++, l->nb, l->b, l->db, l->state_b);
        if (st != GS_OK)
            return st;
    }
    return GS_OK;
}

/* The optimizer state of run r (NULL for SGD). */
static float *run_state(const gs_model_t *m, const gs_param_run_t *r)
{
    const int per = gs_opt_state_per_param(m->opt_kind);
    return per ? m->opt_state + per * r->offset : NULL;
}

/* Global gradient norm over the trainable runs (their padding holds zeros). */
static gs_status_t grad_sumsq(const gs_model_t *m, double *sumsq)
{
    *sumsq = 0;
    for (int i = 0; i < m->nruns; i++) {
        double s;
        gs_status_t st = gs_sumsq(m->runs[i].n, m->grads + m->runs[i].offset, &s);
        if (st != GS_OK)
            return st;
        *sumsq += s;
    }
    return GS_OK;
}

static gs_status_t scale_grads(const gs_model_t *m, float scale)
{
    gs_status_t st = GS_OK;
    for (int i = 0; i < m->nruns && st == GS_OK; i++)
        st = gs_scale(m->runs[i].n, m->grads + m->runs[i].offset, scale);
    return st;
}

typedef struct {
    float std;
    uint64_t seed;
    long step;
} noise_t;

static gs_status_t add_noise(void *user, int buffer, long n, float *w, float *g, float *state)
{
    (void)w, (void)state;
    const noise_t *z = user;
    return gs_add_noise(n, g, z->std, z->seed, NOISE_STREAM_BASE + (uint64_t)z->step * 4096u + (uint64_t)buffer);
}

typedef struct {
    const gs_opt_t *opt;
    long step;
} update_t;

static gs_status_t update_buffer(void *user, int buffer, long n, float *w, float *g, float *state)
{
    (void)buffer;
    const update_t *u = user;
    return gs_opt_step(u->opt, n, w, g, state, u->step);
}

/* The optimizer step. SGD, momentum and Adam are element-wise, so a layer's weights and biases are
 * one call (the zero padding between them keeps zero weights, gradients and state; see
 * gs_model_update_needs_grad for why layers are not merged); SDAGD normalizes by each buffer's own
 * gradient norm, so it goes buffer by buffer. */
static gs_status_t update(gs_model_t *m, const gs_opt_t *opt, long step)
{
    if (opt->kind == GS_OPT_SDAGD) {
        update_t u = {opt, step};
        return for_each_buffer(m, update_buffer, &u);
    }
    gs_status_t st = GS_OK;
    for (int i = 0; i < m->nruns && st == GS_OK; i++) {
        const gs_param_run_t *r = &m->runs[i];
        st = gs_opt_step(opt, r->n, m->params + r->offset, m->grads + r->offset, run_state(m, r), step);
    }
    return st;
}

/* Clipping to the global norm and the annealed noise (variance eta / (1 + t)^gamma at global step
 * `step`, from 1), then the optimizer at its own step `opt_step` (from 1: a fresh optimizer, e.g. a
 * new layerwise stage, restarts Adam's bias correction). The noise stays per buffer: each buffer
 * draws from its own stream, as it did before runs were fused. */
static gs_status_t apply_gradients(gs_model_t *m, const gs_scenario_t *sc, long step, long opt_step)
{
    gs_status_t st = GS_OK;
    if (sc->clip_norm > 0) {
        double sumsq = 0;
        st = grad_sumsq(m, &sumsq);
        const double norm = sqrt(sumsq);
        if (st == GS_OK && norm > sc->clip_norm && isfinite(norm))
            st = scale_grads(m, (float)(sc->clip_norm / norm));
    }
    if (st == GS_OK && sc->grad_noise_eta > 0) {
        noise_t z = {(float)sqrt(sc->grad_noise_eta / pow(1.0 + (double)(step - 1), sc->grad_noise_gamma)),
                     (uint64_t)sc->seed, step};
        st = for_each_buffer(m, add_noise, &z);
    }
    return st == GS_OK ? update(m, &sc->opt, opt_step) : st;
}

static bool rows_nonfinite(const gs_gradflow_t *rows, int n)
{
    for (int i = 0; i < n; i++)
        if (rows[i].nonfinite)
            return true;
    return false;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void gs_train_write_epochs_header(FILE *f)
{
    fprintf(f, "label,epoch,train_loss,train_acc,val_loss,val_acc,epoch_time_s,steps,grad_ratio_first_head,diverged\n");
}

static void write_epoch(gs_train_io_t *io, int epoch, const gs_train_result_t *r, double t)
{
    if (io->epochs) {
        fprintf(io->epochs, "%s,%d,%.6f,%.6f,%.6f,%.6f,%.4f,%ld,%.6e,%d\n", io->label, epoch, r->train_loss, r->train_acc,
                r->val_loss, r->val_acc, t, r->steps, r->grad_ratio, r->diverged);
        fflush(io->epochs);
    }
    if (io->progress) {
        printf("\r%-28s epoch %3d  loss %8.4f  acc %.3f  val %.3f  %6.2f s  grad fc1/head %9.3e%s", io->label, epoch,
               r->train_loss, r->train_acc, r->val_acc, t, r->grad_ratio, r->diverged ? "  DIVERGED" : "");
        fflush(stdout);
    }
}

/* Buffers one run of epochs needs, allocated before the first step (batches are gathered straight
 * into the model's input tensor and label buffer). */
typedef struct {
    long *perm;
    double *epoch_times;
} train_buffers_t;

static void free_buffers(train_buffers_t *b)
{
    free(b->perm);
    free(b->epoch_times);
}

static gs_status_t alloc_buffers(const gs_splits_t *data, int epochs, train_buffers_t *b)
{
    b->perm = malloc((size_t)data->train.n * sizeof(long));
    b->epoch_times = malloc((size_t)(epochs > 0 ? epochs : 1) * sizeof(double));
    if (!b->perm || !b->epoch_times) {
        free_buffers(b);
        return gs_error(GS_ENOMEM, "train: cannot allocate the shuffling buffers");
    }
    return GS_OK;
}

/* One optimization step on the batch in the model's input. The gradient-flow probe (a pass over every weight and
 * gradient) runs only when `probe` is set: every log_every steps and at each epoch's last step, so
 * it stays a few percent of the step time. *diverged: the loss, or a probed gradient, is NaN/Inf
 * (an unprobed Inf gradient shows up as a NaN loss one step later). */
static gs_status_t train_step(gs_model_t *m, const gs_scenario_t *sc, long batch, long step, long opt_step, bool probe,
                              gs_gradflow_t *rows, int *nrows, bool *diverged, double *probe_s)
{
    *nrows = 0;
    gs_status_t st = gs_model_forward(m, m->t[0].val, m->labels, batch, true);
    if (st != GS_OK)
        return st;
    if (!isfinite(gs_model_total_loss(m))) {
        *diverged = true;
        return GS_OK;
    }
    if ((st = gs_model_backward(m)) != GS_OK)
        return st;
    const double t0 = gs_now_s();
    *nrows = probe ? gs_gradflow_probe(m, sc->opt.lr, rows) : 0;
    *probe_s += gs_now_s() - t0;
    if (rows_nonfinite(rows, *nrows)) {
        *diverged = true;
        return GS_OK;
    }
    return apply_gradients(m, sc, step, opt_step);
}

gs_status_t gs_train_epochs(gs_model_t *m, const gs_scenario_t *sc, const gs_splits_t *data,
                            const gs_train_plan_t *plan, gs_train_io_t *io, gs_train_result_t *res)
{
    train_buffers_t b = {0};
    gs_status_t st = alloc_buffers(data, plan->epochs, &b);
    if (st != GS_OK)
        return st;
    long step = plan->first_step;
    int ntimes = 0;
    gs_gradflow_t rows[GS_NN_MAX_LAYERS], epoch_rows[GS_NN_MAX_LAYERS];
    int nrows = 0;
    for (int e = 0; e < plan->epochs && st == GS_OK && !res->diverged; e++) {
        const int epoch = plan->first_epoch + e;
        const double t0 = gs_now_s();
        gs_data_shuffle(data->train.n, (uint64_t)sc->seed, epoch, b.perm);
        memset(epoch_rows, 0, sizeof epoch_rows);
        double loss_sum = 0;
        long correct = 0, seen = 0, nprobes = 0;
        int nlayers = 0; /* rows of the epoch's probed steps */
        for (long first = 0; first < data->train.n && st == GS_OK; first += m->batch) {
            const long batch = data->train.n - first < m->batch ? data->train.n - first : m->batch;
            const double tg = gs_now_s();
            gs_data_gather(&data->train, b.perm, first, batch, m->t[0].val, m->labels);
            res->data_time_s += gs_now_s() - tg;
            step++;
            bool diverged = false;
            /* the first step shows the flow at initialization, the classic picture of vanishing */
            const bool probe = step == plan->first_step + 1 || step % sc->log_every == 0 || first + batch >= data->train.n;
            const double ts = gs_now_s();
            st = train_step(m, sc, batch, step, step - plan->first_step, probe, rows, &nrows, &diverged,
                            &res->probe_time_s);
            res->train_time_s += gs_now_s() - ts;
            if (st != GS_OK)
                break;
            if (probe && nrows > 0 && io->gradflow) /* also the step whose gradients overflowed */
                gs_gradflow_write(io->gradflow, "step", epoch, step, rows, nrows);
            if (diverged) {
                res->diverged = true;
                res->diverged_step = step;
                res->diverged_epoch = epoch;
                break;
            }
            loss_sum += (double)main_loss(m)->value * (double)batch;
            correct += main_loss(m)->correct;
            seen += batch;
            if (probe) {
                nprobes++;
                nlayers = nrows;
                gs_gradflow_accumulate(epoch_rows, rows, nrows);
            }
        }
        if (st != GS_OK)
            break;
        res->steps = step;
        res->epochs_run = e + 1;
        res->train_loss = seen ? loss_sum / (double)seen : NAN;
        res->train_acc = seen ? (double)correct / (double)seen : NAN;
        if (nprobes > 0) { /* the epoch row: mean over the epoch's probed steps */
            gs_gradflow_scale(epoch_rows, nlayers, (double)nprobes);
            res->grad_ratio = gs_gradflow_first_last_ratio(epoch_rows, nlayers);
            if (io->gradflow)
                gs_gradflow_write(io->gradflow, "epoch", epoch, step, epoch_rows, nlayers);
        }
        if (!res->diverged)
            st = gs_evaluate(m, &data->val, &res->val_loss, &res->val_acc);
        else
            res->val_loss = res->val_acc = NAN;
        const double t = gs_now_s() - t0;
        b.epoch_times[ntimes++] = t;
        if (st == GS_OK && res->val_acc > res->best_val_acc) {
            res->best_val_acc = res->val_acc;
            res->best_epoch = epoch;
        }
        write_epoch(io, epoch, res, t);
        if (st == GS_OK && plan->hook && !res->diverged && !plan->hook(plan->hook_user, epoch, res, m))
            break;
    }
    if (io->progress && ntimes > 0)
        putchar('\n');
    qsort(b.epoch_times, (size_t)ntimes, sizeof *b.epoch_times, cmp_double);
    res->epoch_time_s = ntimes ? b.epoch_times[ntimes / 2] : 0;
    free_buffers(&b);
    return st;
}
