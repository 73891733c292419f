/* --impl onednn trains like the native kernels: the same scenarios, seed and data subset trained once
 * with every op on the native kernels and once on oneDNN give loss trajectories that agree within a
 * stated tolerance, while a genuinely wrong kernel (a GEMM that drops the last term of its sums, or an
 * activation backward 2% off) does not; and under --impl onednn every profiled op but those oneDNN
 * has no primitive for is recorded as oneDNN's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dispatch.h"
#include "core/profiler.h"
#include "core/topo.h"
#include "harness/data.h"
#include "harness/model_build.h"
#include "harness/scenario.h"
#include "harness/train.h"
#include "test_util.h"

/* Training subset: 1,280 images at batch 64 is 20 steps an epoch; the trajectory is the per-epoch
 * mean training loss and the validation loss after each epoch. */
enum { SUBSET = 1280, MAX_EPOCHS = 32 };

/* Tolerance on the trajectories: the largest relative difference |a - b| / b of any epoch's train or
 * val loss. Native and oneDNN sum in different orders (GEMM blocking, reductions, exp/log
 * approximations), so their results differ by float rounding (~1e-7 relative per op), which training
 * carries along. Measured on this machine (Zen 5), at 1 and 2 threads, with AVX-512 and with both
 * sides held to AVX2 (GS_CPU_DISABLE=avx512 ONEDNN_MAX_CPU_ISA=AVX2): 1.0e-6 to 1.6e-6 over the
 * scenarios below. 1e-4 leaves a factor of 60 for other CPUs and libraries; the broken kernels this
 * test also trains deviate by 1.7e-3 to 1.5e-1, so the bound cannot hide a real kernel error. */
#define TOLERANCE 1e-4

typedef struct {
    int n;
    double train[MAX_EPOCHS], val[MAX_EPOCHS];
} trajectory_t;

static bool record_epoch(void *user, int epoch, const gs_train_result_t *r, gs_model_t *m)
{
    (void)epoch, (void)m;
    trajectory_t *t = user;
    if (t->n < MAX_EPOCHS) {
        t->train[t->n] = r->train_loss;
        t->val[t->n++] = r->val_loss;
    }
    return true;
}

/* Trains scenario `name` (its learning rate replaced by lr when lr > 0) on the dispatched kernels. */
static bool train(const char *name, float lr, int epochs, const gs_splits_t *data, trajectory_t *t)
{
    gs_scenario_t sc;
    gs_model_t m;
    if (gs_scenario_find(name, &sc) != GS_OK)
        return gs_check(false, "%s: config loads (%s)", name, gs_error_detail());
    if (lr > 0)
        sc.opt.lr = lr;
    if (gs_model_build(&sc, sc.batch, 0, &m) != GS_OK)
        return gs_check(false, "%s: model builds (%s)", name, gs_error_detail());
    memset(t, 0, sizeof *t);
    gs_train_result_t r = {0};
    gs_train_io_t io = {.label = name};
    gs_train_plan_t plan = {.epochs = epochs, .first_epoch = 1, .hook = record_epoch, .hook_user = t};
    gs_status_t st = gs_train_epochs(&m, &sc, data, &plan, &io, &r);
    gs_model_free(&m);
    if (st != GS_OK || r.diverged || t->n != epochs)
        return gs_check(false, "%s on %s: %d of %d epochs trained (%s)", name, gs_kern.impl_name, t->n, epochs,
                        r.diverged ? "diverged" : gs_error_detail());
    return true;
}

/* Largest relative difference between two trajectories (train and val losses). */
static double max_deviation(const trajectory_t *a, const trajectory_t *b)
{
    double d = 0;
    for (int i = 0; i < a->n && i < b->n; i++) {
        d = fmax(d, fabs(a->train[i] - b->train[i]) / fabs(b->train[i]));
        d = fmax(d, fabs(a->val[i] - b->val[i]) / fabs(b->val[i]));
    }
    return d;
}

/* Ops oneDNN has no primitive for: the native kernels run for them under --impl onednn. */
static bool native_by_design(const char *kernel)
{
    static const char *const ops[] = {"opt_step", "sumsq", "scale", "add_noise", "customnorm_fwd", "customnorm_bwd",
                                      "gradnorm_fwd", "gradnorm_bwd"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(kernel, ops[i]) == 0)
            return true;
    return false;
}

/* Every profiled op of the last run is oneDNN's, but the ones it lacks. */
static void check_profile_is_onednn(const char *name)
{
    gs_prof_entry_t *rows;
    const size_t n = gs_prof_snapshot(&rows);
    int wrong = 0, onednn = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].impl, "onednn") == 0)
            onednn++;
        else if (!native_by_design(rows[i].kernel) && wrong++ == 0)
            gs_check(false, "%s: %s %s ran %s/%s under --impl onednn", name, rows[i].kernel, rows[i].shape,
                     rows[i].impl, rows[i].isa);
    }
    gs_check(wrong == 0 && onednn > 0, "%s: all %d oneDNN-capable profile rows are onednn (%zu rows)", name, onednn, n);
    free(rows);
}

/* ---- deliberately broken kernels: what the tolerance must catch ---- */

static gs_gemm_fn *real_gemm;
static gs_act_bwd_fn *real_act_bwd;

/* Drops the last term of every dot product (k - 1): the classic edge-of-loop bug. */
static gs_status_t gemm_short_k(bool ta, bool tb, long m, long n, long k, float alpha, const float *a, long lda,
                                const float *b, long ldb, float beta, float *c, long ldc)
{
    return real_gemm(ta, tb, m, n, k > 1 ? k - 1 : k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* An activation derivative 2% too small (a wrong constant in a polynomial, say). */
static gs_status_t act_bwd_off(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *dx)
{
    gs_status_t st = real_act_bwd(act, n, x, y, dy, dx);
    for (long i = 0; i < n; i++)
        dx[i] *= 0.98f;
    return st;
}

/* One scenario: native twice (deterministic), oneDNN within TOLERANCE, the broken kernels outside. */
static void compare(const char *name, float lr, int epochs, const gs_splits_t *data)
{
    trajectory_t native, again, onednn, broken;
    gs_dispatch_init(GS_IMPL_NATIVE, -1);
    if (!train(name, lr, epochs, data, &native) || !train(name, lr, epochs, data, &again))
        return;
    gs_check(max_deviation(&again, &native) == 0, "%s: native training is deterministic", name);

    gs_dispatch_init(GS_IMPL_ONEDNN, -1);
    gs_prof_reset();
    gs_prof_enable(true);
    const bool ok = train(name, lr, epochs, data, &onednn);
    gs_prof_enable(false);
    if (!ok)
        return;
    check_profile_is_onednn(name);
    const double dev = max_deviation(&onednn, &native);
    gs_check(dev <= TOLERANCE, "%s: oneDNN vs native loss trajectories (%d epochs, train loss %.4f -> %.4f): max rel "
             "deviation %.2e <= %.0e", name, epochs, native.train[0], native.train[native.n - 1], dev, TOLERANCE);

    gs_dispatch_init(GS_IMPL_NATIVE, -1);
    real_gemm = gs_kern.gemm;
    gs_kern.gemm = gemm_short_k;
    bool trained = train(name, lr, epochs, data, &broken);
    gs_kern.gemm = real_gemm;
    if (trained)
        gs_check(max_deviation(&broken, &native) > 10 * TOLERANCE,
                 "%s: a GEMM dropping its last k term deviates by %.2e, over 10x the tolerance", name,
                 max_deviation(&broken, &native));
    real_act_bwd = gs_kern.act_bwd;
    gs_kern.act_bwd = act_bwd_off;
    trained = train(name, lr, epochs, data, &broken);
    gs_kern.act_bwd = real_act_bwd;
    if (trained)
        gs_check(max_deviation(&broken, &native) > 10 * TOLERANCE,
                 "%s: an activation backward 2%% off deviates by %.2e, over 10x the tolerance", name,
                 max_deviation(&broken, &native));
}

int main(void)
{
    gs_threads_init(0);
    gs_splits_t data;
    gs_status_t st = gs_data_load_splits(NULL, SUBSET, &data);
    if (st != GS_OK) {
        printf("SKIP: %s\n", gs_error_detail());
        return gs_test_done("test_onednn_training_matches_native");
    }
    /* Learning rates raised where the recipe's 0.01 leaves the loss flat for 300 steps: a flat
     * trajectory would agree whatever the kernels computed (at lr 0.1, mlp3_sigmoid's moved 0.2%
     * and the 2%-off activation backward deviated only 6e-5). */
    compare("mlp3_sigmoid", 1.0f, 15, &data);
    compare("lenet_sigmoid", 0.3f, 10, &data);
    compare("batchnorm", 0.0f, 15, &data);
    compare("deep_supervision_mlp", 1.0f, 15, &data);
    compare("skip", 0.1f, 15, &data);
    gs_splits_free(&data);
    return gs_test_done("test_onednn_training_matches_native");
}
