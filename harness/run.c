/* The procedures of SCENARIOS.md over the training loop, and the result folder of a scenario. */
#include "harness/run.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/dispatch.h"
#include "core/profiler.h"
#include "core/topo.h"
#include "harness/machine.h"
#include "harness/model_build.h"
#include "harness/train.h"

/* ---- Result folder ---- */

typedef struct {
    char final_dir[4096], tmp_dir[4096];
    FILE *epochs, *gradflow;
} outdir_t;

static gs_status_t make_dir(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return gs_error(GS_EIO, "%s: cannot create folder (%s)", path, strerror(errno));
    return GS_OK;
}

static FILE *open_in(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return fopen(path, "w");
}

/* results/<run>/.<scenario>.partial with epochs.csv and gradflow.csv open. */
static gs_status_t outdir_open(const char *run_dir, const char *name, outdir_t *o)
{
    snprintf(o->final_dir, sizeof o->final_dir, "%s/%s", run_dir, name);
    snprintf(o->tmp_dir, sizeof o->tmp_dir, "%s/.%s.partial", run_dir, name);
    gs_status_t st = make_dir(o->tmp_dir);
    if (st != GS_OK)
        return st;
    o->epochs = open_in(o->tmp_dir, "epochs.csv");
    o->gradflow = open_in(o->tmp_dir, "gradflow.csv");
    if (!o->epochs || !o->gradflow)
        return gs_error(GS_EIO, "%s: cannot write result files (%s)", o->tmp_dir, strerror(errno));
    gs_train_write_epochs_header(o->epochs);
    gs_gradflow_write_header(o->gradflow);
    return GS_OK;
}

static void outdir_close_files(outdir_t *o)
{
    if (o->epochs)
        fclose(o->epochs);
    if (o->gradflow)
        fclose(o->gradflow);
    o->epochs = o->gradflow = NULL;
}

/* Moves the complete folder into place, replacing an earlier result of the same scenario. */
static gs_status_t outdir_commit(outdir_t *o)
{
    outdir_close_files(o);
    char cmd[9000];
    if (access(o->final_dir, F_OK) == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", o->final_dir);
        if (system(cmd) != 0)
            return gs_error(GS_EIO, "%s: cannot replace the earlier result", o->final_dir);
    }
    if (rename(o->tmp_dir, o->final_dir) != 0)
        return gs_error(GS_EIO, "%s: cannot rename to %s (%s)", o->tmp_dir, o->final_dir, strerror(errno));
    return GS_OK;
}

gs_status_t gs_run_make_dir(const char *base, char *out, unsigned long cap)
{
    if (!out || cap < 2)
        return gs_error(GS_EINVAL, "run folder: no room for the path under %s", base);
    gs_status_t st = make_dir(base);
    if (st != GS_OK)
        return st;
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", gmtime(&now));
    for (int i = 0; i < 100; i++) {
        if (i == 0)
            snprintf(out, cap, "%s/%s", base, stamp);
        else
            snprintf(out, cap, "%s/%s-%d", base, stamp, i);
        if (mkdir(out, 0755) == 0)
            return GS_OK;
        if (errno != EEXIST)
            return gs_error(GS_EIO, "%s: cannot create the run folder (%s)", out, strerror(errno));
    }
    return gs_error(GS_EIO, "%s: no free run folder name", base);
}

/* ---- meta.json ---- */

static void git_revision(char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    FILE *p = popen("git -C '" GS_SOURCE_DIR "' rev-parse --short HEAD 2>/dev/null", "r");
    if (!p)
        return;
    if (fgets(out, (int)cap, p))
        out[strcspn(out, "\n")] = '\0';
    if (pclose(p) != 0)
        snprintf(out, cap, "unknown");
}

static gs_status_t write_meta(const outdir_t *o, const gs_scenario_t *sc, const gs_run_opts_t *opts,
                              const gs_train_result_t *r, const gs_run_summary_t *sum, double kernel_s)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "scenario", sc->name);
    cJSON_AddStringToObject(j, "description", sc->description);
    char rev[64];
    git_revision(rev, sizeof rev);
    cJSON_AddStringToObject(j, "git_revision", rev);
    cJSON_AddStringToObject(j, "recipe", opts->reference ? "reference" : "quick");
    cJSON_AddNumberToObject(j, "subset", (double)opts->subset);
    cJSON_AddItemToObject(j, "config", gs_scenario_json(sc));
    cJSON_AddItemToObject(j, "machine", gs_machine_json(opts->peak));
    cJSON *res = cJSON_AddObjectToObject(j, "result");
    cJSON_AddNumberToObject(res, "test_acc", r->test_acc);
    cJSON_AddNumberToObject(res, "test_loss", r->test_loss);
    cJSON_AddNumberToObject(res, "best_val_acc", r->best_val_acc);
    cJSON_AddNumberToObject(res, "epochs_run", r->epochs_run);
    cJSON_AddNumberToObject(res, "steps", (double)r->steps);
    cJSON_AddBoolToObject(res, "diverged", r->diverged);
    if (r->diverged) {
        cJSON_AddNumberToObject(res, "diverged_step", (double)r->diverged_step);
        cJSON_AddNumberToObject(res, "diverged_epoch", r->diverged_epoch);
        cJSON_AddStringToObject(res, "diagnosis", "exploding gradients: the loss or a gradient became NaN/Inf");
    }
    cJSON_AddNumberToObject(res, "grad_ratio_first_head", isfinite(r->grad_ratio) ? r->grad_ratio : -1);
    cJSON_AddNumberToObject(res, "epoch_time_median_s", r->epoch_time_s);
    cJSON_AddNumberToObject(res, "train_step_time_s", r->train_time_s);
    cJSON_AddNumberToObject(res, "kernel_time_s", kernel_s);
    cJSON_AddNumberToObject(res, "kernel_share_of_step_time", sum->kernel_share);
    /* Where a training step's time goes: profiled kernels, the gradient-flow probe ("logging"),
     * and the rest (loop and call overhead); batch gathering ("data") happens between steps. */
    cJSON *tb = cJSON_AddObjectToObject(res, "time_breakdown_s");
    cJSON_AddNumberToObject(tb, "kernels", kernel_s);
    cJSON_AddNumberToObject(tb, "gradflow_probe", r->probe_time_s);
    cJSON_AddNumberToObject(tb, "overhead", r->train_time_s - kernel_s - r->probe_time_s);
    cJSON_AddNumberToObject(tb, "data", r->data_time_s);
    cJSON_AddStringToObject(res, "note", sum->note);
    char *text = cJSON_Print(j);
    cJSON_Delete(j);
    FILE *f = open_in(o->tmp_dir, "meta.json");
    bool ok = f && text && fputs(text, f) >= 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    free(text);
    return ok ? GS_OK : gs_error(GS_EIO, "%s/meta.json: cannot write", o->tmp_dir);
}

/* Profiled kernel time of this scenario (the profiler is reset before each). */
static double kernel_seconds(void)
{
    gs_prof_entry_t *rows;
    size_t n = gs_prof_snapshot(&rows);
    double t = 0;
    for (size_t i = 0; i < n; i++)
        t += rows[i].total_s;
    free(rows);
    return t;
}

static gs_status_t write_kernels(const outdir_t *o, const gs_run_opts_t *opts)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/kernels.csv", o->tmp_dir);
    double gflops = 0, gbs = 0;
    if (opts->peak) {
        gflops = gs_peak_gflops(opts->peak, gs_kern.isa, gs_threads());
        gbs = gs_peak_gbs(opts->peak, gs_threads());
    }
    return gs_prof_write_csv(path, gflops, gbs);
}

/* ---- Procedures ---- */

static int epochs_of(const gs_scenario_t *sc, const gs_run_opts_t *o)
{
    return o->epochs > 0 ? o->epochs : sc->epochs;
}

/* Trains a fresh model of the scenario for `epochs` and tests it. */
static gs_status_t standard(const gs_scenario_t *sc, const gs_run_opts_t *o, outdir_t *dir, int epochs,
                            gs_train_result_t *r, gs_run_summary_t *sum)
{
    (void)sum;
    gs_model_t m;
    gs_status_t st = gs_model_build(sc, sc->batch, 0, &m);
    if (st != GS_OK)
        return st;
    gs_train_io_t io = {dir->epochs, dir->gradflow, o->progress, sc->name};
    gs_train_plan_t plan = {.epochs = epochs, .first_epoch = 1};
    st = gs_train_epochs(&m, sc, o->data, &plan, &io, r);
    if (st == GS_OK && !r->diverged)
        st = gs_evaluate(&m, &o->data->test, &r->test_loss, &r->test_acc);
    if (r->diverged)
        r->test_acc = r->test_loss = NAN;
    gs_model_free(&m);
    return st;
}

/* Early stopping: keeps a copy of the best weights, stops after `patience` epochs without a gain
 * in val accuracy, restores the best weights, then tests once. */
typedef struct {
    gs_model_t *best;
    int patience;
} early_t;

static bool early_hook(void *user, int epoch, const gs_train_result_t *r, gs_model_t *m)
{
    early_t *e = user;
    if (r->best_epoch == epoch)
        gs_model_copy_params(e->best, m, NULL);
    return epoch - r->best_epoch < e->patience;
}

static gs_status_t early_stopping(const gs_scenario_t *sc, const gs_run_opts_t *o, outdir_t *dir,
                                  gs_train_result_t *r, gs_run_summary_t *sum)
{
    gs_model_t m, best;
    gs_status_t st = gs_model_build(sc, sc->batch, 0, &m);
    if (st != GS_OK)
        return st;
    if ((st = gs_model_build(sc, sc->batch, 0, &best)) != GS_OK) {
        gs_model_free(&m);
        return st;
    }
    early_t e = {&best, sc->patience};
    gs_train_io_t io = {dir->epochs, dir->gradflow, o->progress, sc->name};
    const int max_epochs = o->epochs > 0 && o->epochs < sc->max_epochs ? o->epochs : sc->max_epochs;
    gs_train_plan_t plan = {.epochs = max_epochs, .first_epoch = 1, .hook = early_hook, .hook_user = &e};
    st = gs_train_epochs(&m, sc, o->data, &plan, &io, r);
    if (st == GS_OK && !r->diverged)
        st = gs_evaluate(&best, &o->data->test, &r->test_loss, &r->test_acc);
    snprintf(sum->note, sizeof sum->note, "stopped after epoch %d, restored epoch %d (val acc %.4f)", r->epochs_run,
             r->best_epoch, r->best_val_acc);
    gs_model_free(&m);
    gs_model_free(&best);
    return st;
}

/* lr_search: each candidate trains a fresh model for search_epochs (its rows in trials/lr_<v>/),
 * the best val accuracy wins, then a full training with it. */
static gs_status_t lr_search(const gs_scenario_t *sc, const gs_run_opts_t *o, outdir_t *dir, gs_train_result_t *r,
                             gs_run_summary_t *sum)
{
    char trials[4200];
    snprintf(trials, sizeof trials, "%s/trials", dir->tmp_dir);
    gs_status_t st = make_dir(trials);
    float best_lr = sc->lr_candidates[0];
    double best_acc = -1, trials_time = 0, trials_probe = 0, trials_data = 0;
    const int search_epochs = o->epochs > 0 && o->epochs < sc->search_epochs ? o->epochs : sc->search_epochs;
    for (int i = 0; i < sc->nlr && st == GS_OK; i++) {
        gs_scenario_t trial = *sc;
        trial.opt.lr = sc->lr_candidates[i];
        char name[64];
        snprintf(name, sizeof name, "lr_%g", trial.opt.lr);
        outdir_t tdir = {0};
        if ((st = outdir_open(trials, name, &tdir)) != GS_OK)
            break;
        char label[160];
        snprintf(label, sizeof label, "%s/%s", sc->name, name);
        gs_model_t m;
        if ((st = gs_model_build(&trial, trial.batch, 0, &m)) == GS_OK) {
            gs_train_result_t tr = {0};
            gs_train_io_t io = {tdir.epochs, tdir.gradflow, o->progress, label};
            gs_train_plan_t plan = {.epochs = search_epochs, .first_epoch = 1};
            st = gs_train_epochs(&m, &trial, o->data, &plan, &io, &tr);
            double acc = tr.diverged ? -1 : tr.val_acc;
            trials_time += tr.train_time_s;
            trials_probe += tr.probe_time_s;
            trials_data += tr.data_time_s;
            if (acc > best_acc) {
                best_acc = acc;
                best_lr = trial.opt.lr;
            }
            gs_model_free(&m);
        }
        if (st == GS_OK)
            st = outdir_commit(&tdir);
        else
            outdir_close_files(&tdir);
    }
    if (st != GS_OK)
        return st;
    gs_scenario_t final = *sc;
    final.opt.lr = best_lr;
    snprintf(sum->note, sizeof sum->note, "chose lr %g (val acc %.4f after %d epochs)", best_lr, best_acc, search_epochs);
    st = standard(&final, o, dir, epochs_of(sc, o), r, sum);
    r->train_time_s += trials_time; /* the profile covers the trials' steps too */
    r->probe_time_s += trials_probe;
    r->data_time_s += trials_data;
    return st;
}

/* Layerwise ("train some layers"): the hidden layers grow by the sub-models of layer_groups; odd
 * stages add a sub-model with the earlier ones frozen (the first stage has none to freeze), even
 * stages train all; the last stage trains everything for the full epochs. Every stage starts a
 * fresh head and a fresh optimizer. */
static gs_status_t layerwise(const gs_scenario_t *sc, const gs_run_opts_t *o, outdir_t *dir, gs_train_result_t *r,
                             gs_run_summary_t *sum)
{
    const int epochs = epochs_of(sc, o), stage_epochs = epochs / 3 > 0 ? epochs / 3 : 1;
    int depth_of[2 * GS_SCENARIO_MAX_LIST], frozen_of[2 * GS_SCENARIO_MAX_LIST], nstages = 0, depth = 0;
    for (int g = 0; g < sc->ngroups; g++) {
        const int below = depth;
        depth += sc->layer_groups[g];
        depth_of[nstages] = depth, frozen_of[nstages++] = below; /* new sub-model, earlier ones frozen */
        if (g > 0)
            depth_of[nstages] = depth, frozen_of[nstages++] = 0; /* everything trained */
    }
    /* SCENARIOS.md's 7 stages: the very last one is "all trained" at full length. */
    gs_model_t prev = {0};
    bool have_prev = false;
    gs_status_t st = GS_OK;
    long step = 0;
    int epoch = 1;
    for (int s = 0; s < nstages && st == GS_OK && !r->diverged; s++) {
        gs_model_t m;
        if ((st = gs_model_build(sc, sc->batch, depth_of[s], &m)) != GS_OK)
            break;
        if (have_prev)
            gs_model_copy_params(&m, &prev, "head");
        for (int i = 0; i < m.nlayers; i++)
            m.l[i].frozen = m.l[i].block > 0 && m.l[i].block <= frozen_of[s];
        gs_model_update_needs_grad(&m);
        char label[96];
        snprintf(label, sizeof label, "%s/stage%d", sc->name, s + 1);
        gs_train_io_t io = {dir->epochs, dir->gradflow, o->progress, label};
        const int n = s == nstages - 1 ? epochs : stage_epochs;
        gs_train_plan_t plan = {.epochs = n, .first_epoch = epoch, .first_step = step};
        st = gs_train_epochs(&m, sc, o->data, &plan, &io, r);
        step = r->steps;
        epoch += r->epochs_run;
        if (have_prev)
            gs_model_free(&prev);
        prev = m;
        have_prev = true;
    }
    if (st == GS_OK && have_prev && !r->diverged)
        st = gs_evaluate(&prev, &o->data->test, &r->test_loss, &r->test_acc);
    if (have_prev)
        gs_model_free(&prev);
    snprintf(sum->note, sizeof sum->note, "%d stages, %d epochs each, last %d", nstages, stage_epochs, epochs);
    return st;
}

/* One sigmoid neuron a = s(w x + b), target y, plain gradient descent, once with L2 = (a - y)^2 / 2
 * and once with CE = -(y log a + (1 - y) log(1 - a)): scalar arithmetic (nothing to vectorize). */
static gs_status_t neuron(const gs_scenario_t *sc, outdir_t *dir, gs_train_result_t *r, gs_run_summary_t *sum)
{
    FILE *f = open_in(dir->tmp_dir, "neuron.csv");
    if (!f)
        return gs_error(GS_EIO, "%s/neuron.csv: cannot write", dir->tmp_dir);
    fprintf(f, "step,loss_l2,a_l2,w_l2,b_l2,loss_ce,a_ce,w_ce,b_ce\n");
    double w[2] = {sc->neuron_w, sc->neuron_w}, b[2] = {sc->neuron_b, sc->neuron_b};
    const double x = sc->neuron_x, y = sc->neuron_y, lr = sc->opt.lr;
    double a[2] = {0, 0}, loss[2] = {0, 0};
    for (int step = 0; step <= sc->neuron_steps; step++) {
        for (int k = 0; k < 2; k++) {
            a[k] = 1.0 / (1.0 + exp(-(w[k] * x + b[k])));
            /* dL/dz: L2 keeps the sigmoid' factor a(1-a) that stalls a saturated neuron; CE cancels it. */
            const double dz = k == 0 ? (a[k] - y) * a[k] * (1 - a[k]) : a[k] - y;
            loss[k] = k == 0 ? 0.5 * (a[k] - y) * (a[k] - y) : -(y * log(a[k]) + (1 - y) * log(1 - a[k]));
            if (step < sc->neuron_steps) {
                w[k] -= lr * dz * x;
                b[k] -= lr * dz;
            }
        }
        fprintf(f, "%d,%.8f,%.8f,%.8f,%.8f,%.8f,%.8f,%.8f,%.8f\n", step, loss[0], a[0], w[0], b[0], loss[1], a[1], w[1],
                b[1]);
    }
    fclose(f);
    r->steps = sc->neuron_steps;
    r->test_acc = r->test_loss = r->grad_ratio = NAN;
    snprintf(sum->note, sizeof sum->note, "after %d steps: L2 output %.3f, CE output %.3f (target %g)", sc->neuron_steps,
             a[0], a[1], y);
    return GS_OK;
}

gs_status_t gs_run_scenario(const gs_scenario_t *scenario, const gs_run_opts_t *o, gs_run_summary_t *sum)
{
    gs_scenario_t sc = *scenario;
    if (o->reference)
        gs_scenario_use_reference_recipe(&sc);
    memset(sum, 0, sizeof *sum);
    snprintf(sum->name, sizeof sum->name, "%s", sc.name);
    snprintf(sum->section, sizeof sum->section, "%s", sc.section);
    outdir_t dir = {0};
    gs_status_t st = outdir_open(o->run_dir, sc.name, &dir);
    if (st != GS_OK) {
        outdir_close_files(&dir);
        return st;
    }
    gs_prof_reset();
    gs_prof_enable(true);
    gs_train_result_t r = {0};
    switch (sc.procedure) {
    case GS_PROC_LAYERWISE: st = layerwise(&sc, o, &dir, &r, sum); break;
    case GS_PROC_LR_SEARCH: st = lr_search(&sc, o, &dir, &r, sum); break;
    case GS_PROC_EARLY_STOPPING: st = early_stopping(&sc, o, &dir, &r, sum); break;
    case GS_PROC_NEURON_L2_VS_CE: st = neuron(&sc, &dir, &r, sum); break;
    default: st = standard(&sc, o, &dir, epochs_of(&sc, o), &r, sum); break;
    }
    gs_prof_enable(false);
    const double kernel_s = kernel_seconds();
    sum->test_acc = r.test_acc;
    sum->grad_ratio = r.grad_ratio;
    sum->epoch_time_s = r.epoch_time_s;
    sum->diverged = r.diverged;
    sum->diverged_step = r.diverged_step;
    sum->kernel_share = r.train_time_s > 0 ? kernel_s / r.train_time_s : NAN;
    if (r.diverged && !sum->note[0])
        snprintf(sum->note, sizeof sum->note, "exploding gradients: NaN/Inf at step %ld (epoch %d)", r.diverged_step,
                 r.diverged_epoch);
    if (st == GS_OK)
        st = write_kernels(&dir, o);
    if (st == GS_OK)
        st = write_meta(&dir, &sc, o, &r, sum, kernel_s);
    if (st == GS_OK)
        st = outdir_commit(&dir);
    else
        outdir_close_files(&dir); /* the .partial folder stays, visibly incomplete */
    return st;
}
