/* The scenario catalog on small subsets of the real Fashion-MNIST: every config parses (and bad ones
 * fail naming file, line and key), every procedure runs and writes a complete result folder, and
 * the study's qualitative story holds: deep sigmoid gradients vanish, linear_exploding diverges and
 * is reported, clipping prevents it, frozen layers do not move. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/dispatch.h"
#include "core/topo.h"
#include "harness/data.h"
#include "harness/model_build.h"
#include "harness/run.h"
#include "harness/scenario.h"
#include "harness/train.h"
#include "test_util.h"

static const char *const catalog[] = {
    "mlp3_sigmoid", "mlp5_sigmoid", "mlp7_sigmoid", "init_std1", "init_std10", "relu", "relu_lr005", "adam",
    "momentum", "batchnorm", "customnorm", "skip", "layerwise", "sigmoid_beta", "sigmoid_linear", "sdagd", "tanh",
    "leaky_relu", "elu", "init_lecun", "init_xavier", "init_he", "relu_deep_small_init", "dying_relu",
    "gradient_noise", "gradient_norm", "deep_supervision_mlp", "mse_loss", "neuron_l2_vs_ce", "linear_exploding",
    "init_std10_clip", "linear_exploding_clip", "lr_search", "early_stopping", "lenet_sigmoid", "lenet_relu",
    "lenet_dsn",
};
enum { NCATALOG = sizeof catalog / sizeof catalog[0] };

static char tmp[] = "/tmp/gs_scen_XXXXXX";

static void test_catalog_parses(void)
{
    gs_scenario_t *list;
    int n;
    gs_status_t st = gs_scenario_load_dir(gs_scenario_dir(), &list, &n);
    if (!gs_check(st == GS_OK, "every config of %s parses (%s)", gs_scenario_dir(), gs_error_detail()))
        return;
    gs_check(n == NCATALOG, "%d configs, one per catalog name (%d)", n, NCATALOG);
    for (int i = 0; i < NCATALOG; i++) {
        bool found = false;
        for (int j = 0; j < n; j++)
            found |= strcmp(list[j].name, catalog[i]) == 0;
        if (!found)
            gs_check(false, "catalog name %s has a config", catalog[i]);
    }
    free(list);
}

/* Writes `text` to a config file and expects loading it to fail with `needle` in the message. */
static void expect_bad_config(const char *what, const char *text, const char *needle)
{
    char path[256];
    snprintf(path, sizeof path, "%s/bad.conf", tmp);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    gs_scenario_t s;
    gs_status_t st = gs_scenario_load(path, &s);
    gs_check(st == GS_EFORMAT && strstr(gs_error_detail(), needle) && strstr(gs_error_detail(), path), "%s: \"%s\"",
             what, gs_error_detail());
}

static void test_bad_configs(void)
{
    expect_bad_config("unknown key", "name = x\n# comment\nlearning_rate = 0.1\n", "bad.conf:3: unknown key 'learning_rate'");
    expect_bad_config("bad number", "name = x\nlr = fast\n", ":2: key 'lr': 'fast' is not a number");
    expect_bad_config("out of range", "name = x\nhidden_layers = 0\n", "key 'hidden_layers'");
    expect_bad_config("bad activation", "name = x\nactivation = swish\n", "key 'activation'");
    expect_bad_config("bad enum", "name = x\noptimizer = rmsprop\n", "'rmsprop' is not one of sgd momentum adam sdagd");
    expect_bad_config("layer groups", "name = x\nhidden_layers = 7\nprocedure = layerwise\nlayer_groups = 2, 2\n",
                      "sums to 4, expected hidden_layers = 7");
    expect_bad_config("not key = value", "name = x\njust some words\n", ":2:");
    gs_scenario_t s;
    gs_check(gs_scenario_find("no_such_scenario", &s) == GS_EINVAL && strstr(gs_error_detail(), "no_such_scenario"),
             "unknown scenario name: \"%s\"", gs_error_detail());
}

static bool file_exists(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, R_OK) == 0;
}

/* True if a line of dir/name starts with `prefix`. */
static bool file_has_line(const char *dir, const char *name, const char *prefix)
{
    char path[4200], line[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f))
        found = strncmp(line, prefix, strlen(prefix)) == 0;
    if (f)
        fclose(f);
    return found;
}

/* Trains one catalog scenario on the subset for `epochs`; checks the result folder is complete. */
static bool run_one(const char *name, const gs_splits_t *data, int epochs, gs_run_summary_t *sum)
{
    gs_scenario_t sc;
    if (!gs_check(gs_scenario_find(name, &sc) == GS_OK, "%s: config loads", name))
        return false;
    gs_run_opts_t o = {.run_dir = tmp, .data = data, .epochs = epochs, .subset = data->train.n};
    gs_status_t st = gs_run_scenario(&sc, &o, sum);
    if (!gs_check(st == GS_OK, "%s: trains (%s)", name, gs_error_detail()))
        return false;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    const bool neuron = sc.procedure == GS_PROC_NEURON_L2_VS_CE;
    return gs_check(file_exists(dir, "meta.json") && file_exists(dir, "kernels.csv") &&
                        (neuron ? file_exists(dir, "neuron.csv") : file_exists(dir, "epochs.csv") && file_exists(dir, "gradflow.csv")),
                    "%s: result folder complete", name);
}

static void test_procedures(const gs_splits_t *data)
{
    gs_run_summary_t s;
    run_one("layerwise", data, 1, &s);
    if (run_one("lr_search", data, 1, &s)) {
        char trial[4200];
        snprintf(trial, sizeof trial, "%s/lr_search/trials/lr_0.1", tmp);
        gs_check(file_exists(trial, "epochs.csv") && strstr(s.note, "chose lr"), "lr_search: one folder per trial, the choice noted (%s)", s.note);
    }
    if (run_one("early_stopping", data, 2, &s))
        gs_check(strstr(s.note, "restored epoch") != NULL, "early_stopping: restores the best epoch (%s)", s.note);
    if (run_one("neuron_l2_vs_ce", data, 1, &s))
        gs_check(strstr(s.note, "L2 output") != NULL, "neuron_l2_vs_ce: both losses trained (%s)", s.note);
    run_one("lenet_dsn", data, 1, &s);
    run_one("deep_supervision_mlp", data, 1, &s);
}

static void test_story(const gs_splits_t *data)
{
    gs_run_summary_t s;
    if (run_one("mlp7_sigmoid", data, 1, &s))
        gs_check(s.grad_ratio < 1e-3, "mlp7_sigmoid: first-layer mean |dW| far below the output layer's (ratio %.2e)",
                 s.grad_ratio);
    if (run_one("mlp3_sigmoid", data, 1, &s))
        gs_check(s.grad_ratio > 1e-5 && s.grad_ratio < 1, "mlp3_sigmoid: vanishing much milder (ratio %.2e)", s.grad_ratio);
    if (run_one("linear_exploding", data, 1, &s)) {
        gs_check(s.diverged && s.diverged_step > 0 && strstr(s.note, "exploding"),
                 "linear_exploding diverges and is reported (step %ld: %s)", s.diverged_step, s.note);
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/linear_exploding", tmp);
        gs_check(file_has_line(dir, "gradflow.csv", "step,1,1,fc1,"),
                 "linear_exploding: the gradient flow of its first step is logged before it diverges");
    }
    if (run_one("linear_exploding_clip", data, 1, &s))
        gs_check(!s.diverged, "linear_exploding_clip does not diverge");
}

static void test_frozen_layer_does_not_move(const gs_splits_t *data)
{
    gs_scenario_t sc;
    gs_scenario_find("mlp3_sigmoid", &sc);
    gs_model_t m;
    if (!gs_check(gs_model_build(&sc, sc.batch, 0, &m) == GS_OK, "frozen: model builds"))
        return;
    m.l[0].frozen = true; /* fc1 */
    gs_model_update_needs_grad(&m);
    float *before = malloc((size_t)m.nparams * sizeof(float));
    memcpy(before, m.params, (size_t)m.nparams * sizeof(float));
    gs_train_result_t r = {0};
    gs_train_io_t io = {.label = "frozen"};
    gs_train_plan_t plan = {.epochs = 1, .first_epoch = 1};
    gs_status_t st = gs_train_epochs(&m, &sc, data, &plan, &io, &r);
    const gs_layer_t *fc1 = &m.l[0], *head = &m.l[m.nlayers - 1];
    gs_check(st == GS_OK && memcmp(before + (fc1->w - m.params), fc1->w, (size_t)fc1->nw * sizeof(float)) == 0,
             "frozen fc1: weights unchanged after an epoch");
    gs_check(memcmp(before + (head->w - m.params), head->w, (size_t)head->nw * sizeof(float)) != 0,
             "trainable head: weights changed");
    free(before);
    gs_model_free(&m);
}

int main(void)
{
    if (!mkdtemp(tmp))
        return 1;
    gs_threads_init(0);
    gs_dispatch_init(GS_IMPL_NATIVE, -1);
    test_catalog_parses();
    test_bad_configs();
    gs_splits_t data;
    gs_status_t st = gs_data_load_splits(NULL, 900, &data);
    if (st != GS_OK) {
        printf("SKIP training checks: %s\n", gs_error_detail());
    } else {
        test_procedures(&data);
        test_story(&data);
        test_frozen_layer_does_not_move(&data);
        gs_splits_free(&data);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", tmp);
    return gs_test_done("test_scenarios_on_small_data");
}
