/* `gradscope list`, `gradscope train NAME...` and `gradscope run-all`: the scenario catalog, trained
 * on Fashion-MNIST, with a summary table at the end. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/peak.h"
#include "core/topo.h"
#include "harness/cli.h"
#include "harness/data.h"
#include "harness/report.h"
#include "harness/run.h"
#include "harness/run_kernels.h"
#include "harness/scenario.h"

enum { OPT_EPOCHS = GS_OPT_FIRST_FREE, OPT_SUBSET, OPT_SEED, OPT_OUT, OPT_DATA, OPT_RECIPE, OPT_NO_MEASURE,
       OPT_KERNELS, OPT_NO_KERNELS };

typedef struct {
    gs_cli_common_t common;
    int epochs;
    long subset, seed;
    bool seed_set, reference, measure;
    bool kernels; /* the kernels step first (run_kernels.h): run-all's default, train's --kernels */
    bool report;  /* the run's report at the end (harness/report.h): run-all */
    const char *out, *data;
} train_opts_t;

static void usage(FILE *f, const char *cmd)
{
    fprintf(f,
            "usage: gradscope %s [options]\n"
            "  --epochs N           epochs (default: the scenario's; 15 in the quick recipe)\n"
            "  --subset N           train on the first N images (val N/9, test N): quick runs\n"
            "  --seed S             seed of initialization and shuffling (default: the scenario's, 42)\n"
            "  --recipe quick|reference  quick (default): SCENARIOS.md's table; reference: batch 512, 300 epochs\n"
            "  --out DIR            results base folder (default results); each run makes DIR/<UTC time>/\n"
            "  --data DIR           Fashion-MNIST folder (default $GRADSCOPE_DATA or " GS_DATA_DIR_DEFAULT ")\n"
            "  --no-measure         skip the peak measurement (kernels.csv then has no %% of peak)\n"
            "  --kernels, --no-kernels  first validate every op and benchmark the kernels into the run's\n"
            "                       kernels/ folder (about 2 minutes on 2 cores); default: run-all yes, train no\n"
            GS_CLI_COMMON_HELP,
            strcmp(cmd, "train") == 0 ? "train NAME..." : cmd);
    if (strcmp(cmd, "run-all") == 0)
        fprintf(f, "At the end, the run's report (gradscope report): DIR/<UTC time>/report/index.html, path printed.\n");
}

/* Prints a usage error and returns its exit code. */
__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    return GS_EXIT_USAGE;
}

/* Parses the options; returns GS_EXIT_OK to go on, the exit code otherwise (-1 for --help). */
static int parse(int argc, char **argv, train_opts_t *o)
{
    static const struct option longopts[] = {
        GS_CLI_COMMON_LONGOPTS,
        {"epochs", required_argument, NULL, OPT_EPOCHS},
        {"subset", required_argument, NULL, OPT_SUBSET},
        {"seed", required_argument, NULL, OPT_SEED},
        {"out", required_argument, NULL, OPT_OUT},
        {"data", required_argument, NULL, OPT_DATA},
        {"recipe", required_argument, NULL, OPT_RECIPE},
        {"no-measure", no_argument, NULL, OPT_NO_MEASURE},
        {"kernels", no_argument, NULL, OPT_KERNELS},
        {"no-kernels", no_argument, NULL, OPT_NO_KERNELS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int code, rc = GS_EXIT_OK;
    long v;
    optind = 1;
    while (rc == GS_EXIT_OK && (code = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (gs_cli_common_opt(code, optarg, &o->common, &rc))
            continue;
        switch (code) {
        case OPT_EPOCHS:
            if (!gs_cli_parse_int(optarg, 1, 100000, &v))
                rc = bad("gradscope: --epochs: '%s' is not 1..100000\n", optarg);
            o->epochs = (int)v;
            break;
        case OPT_SUBSET:
            if (!gs_cli_parse_int(optarg, 10, 60000, &o->subset))
                rc = bad("gradscope: --subset: '%s' is not 10..60000\n", optarg);
            break;
        case OPT_SEED:
            if (!gs_cli_parse_int(optarg, 0, 0x7fffffffffffffffL, &o->seed))
                rc = bad("gradscope: --seed: '%s' is not an integer >= 0\n", optarg);
            o->seed_set = true;
            break;
        case OPT_OUT: o->out = optarg; break;
        case OPT_DATA: o->data = optarg; break;
        case OPT_RECIPE:
            if (strcmp(optarg, "quick") != 0 && strcmp(optarg, "reference") != 0)
                rc = bad("gradscope: --recipe: '%s' is not quick or reference\n", optarg);
            o->reference = strcmp(optarg, "reference") == 0;
            break;
        case OPT_NO_MEASURE: o->measure = false; break;
        case OPT_KERNELS: o->kernels = true; break;
        case OPT_NO_KERNELS: o->kernels = false; break;
        case 'h': return -1;
        default: rc = GS_EXIT_USAGE;
        }
    }
    return rc;
}

static void print_summary(FILE *f, const gs_run_summary_t *s, int n, bool markdown)
{
    if (markdown)
        fprintf(f, "| scenario | section | test acc | grad fc1/head | diverged | epoch time (s) | kernel share | note |\n"
                   "|---|---|---|---|---|---|---|---|\n");
    else
        fprintf(f, "\n%-22s %3s %9s %14s %12s %10s %7s  %s\n", "scenario", "sec", "test acc", "grad fc1/head",
                "diverged", "epoch (s)", "kernels", "note");
    for (int i = 0; i < n; i++) {
        char div[32] = "no";
        if (s[i].diverged)
            snprintf(div, sizeof div, "step %ld", s[i].diverged_step);
        if (markdown)
            fprintf(f, "| %s | %s | %.4f | %.3e | %s | %.2f | %.0f%% | %s |\n", s[i].name, s[i].section, s[i].test_acc,
                    s[i].grad_ratio, div, s[i].epoch_time_s, 100 * s[i].kernel_share, s[i].note);
        else
            fprintf(f, "%-22s %3s %9.4f %14.3e %12s %10.2f %6.0f%%  %s\n", s[i].name, s[i].section, s[i].test_acc,
                    s[i].grad_ratio, div, s[i].epoch_time_s, 100 * s[i].kernel_share, s[i].note);
    }
}

static void write_summaries(const char *run_dir, const gs_run_summary_t *s, int n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.md", run_dir);
    FILE *f = fopen(path, "w");
    if (f) {
        print_summary(f, s, n, true);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/summary.csv", run_dir);
    if ((f = fopen(path, "w"))) {
        fprintf(f, "scenario,section,test_acc,grad_ratio_first_head,diverged,diverged_step,epoch_time_s,kernel_share\n");
        for (int i = 0; i < n; i++)
            fprintf(f, "%s,%s,%.6f,%.6e,%d,%ld,%.4f,%.4f\n", s[i].name, s[i].section, s[i].test_acc, s[i].grad_ratio,
                    s[i].diverged, s[i].diverged_step, s[i].epoch_time_s, s[i].kernel_share);
        fclose(f);
    }
}

/* `gradscope report RUN_DIR` of the finished run: its failure is printed and makes the exit status 1,
 * but the training results are already in place. */
static void write_report(const char *run_dir, int *rc)
{
    const char *runs[] = {run_dir};
    const gs_report_args_t a = {.runs = runs, .nruns = 1};
    int code;
    if (gs_report_run(&a, &code) != GS_OK) {
        fprintf(stderr, "gradscope: report: %s\n", gs_error_detail());
        code = GS_EXIT_FAIL;
    }
    if (code != GS_EXIT_OK) {
        fprintf(stderr, "gradscope: the report of %s is incomplete or missing (exit %d); the results are in place\n",
                run_dir, code);
        *rc = GS_EXIT_FAIL;
    }
}

/* Trains the given scenarios into one new run folder and prints the summary table. */
static int train_all(gs_scenario_t *list, int n, const train_opts_t *o)
{
    int rc = gs_cli_setup(&o->common);
    if (rc != GS_EXIT_OK)
        return rc;
    char run_dir[4096];
    gs_status_t st = gs_run_make_dir(o->out, run_dir, sizeof run_dir);
    if (st != GS_OK) {
        fprintf(stderr, "gradscope: %s\n", gs_error_detail());
        return GS_EXIT_USAGE;
    }
    gs_splits_t data;
    if ((st = gs_data_load_splits(o->data, o->subset, &data)) != GS_OK) {
        fprintf(stderr, "gradscope: %s\n", gs_error_detail());
        rmdir(run_dir);
        return GS_EXIT_FAIL;
    }
    /* What the kernels step finds (failed checks, a step that could not run) is recorded in the
     * run folder and in the exit status; the training goes on regardless. */
    if (o->kernels) {
        gs_run_kernels_result_t kr;
        const gs_run_kernels_opts_t ko = {.run_dir = run_dir, .threads = gs_threads(), .isa = o->common.isa};
        if (gs_run_kernels(&ko, &kr) != GS_OK) {
            fprintf(stderr, "gradscope: %s\n", gs_error_detail());
            rc = GS_EXIT_FAIL;
        } else if (kr.checks_failed) {
            rc = GS_EXIT_FAIL;
        }
    }
    gs_peak_t peak;
    const bool measured = o->measure && gs_peak_measure(&peak) == GS_OK;
    printf("run %s: %d scenario(s), train %ld / val %ld / test %ld images, %s, %d thread(s)\n", run_dir, n, data.train.n,
           data.val.n, data.test.n, gs_kern.isa_name, gs_threads());
    gs_run_summary_t *sum = calloc((size_t)n, sizeof *sum);
    gs_run_opts_t ro = {.run_dir = run_dir, .data = &data, .peak = measured ? &peak : NULL, .epochs = o->epochs,
                        .subset = o->subset, .reference = o->reference, .progress = isatty(STDOUT_FILENO)};
    for (int i = 0; sum && i < n; i++) {
        if (o->seed_set)
            list[i].seed = o->seed;
        st = gs_run_scenario(&list[i], &ro, &sum[i]);
        if (st != GS_OK) {
            fprintf(stderr, "gradscope: %s: %s\n", list[i].name, gs_error_detail());
            rc = GS_EXIT_FAIL;
            snprintf(sum[i].note, sizeof sum[i].note, "FAILED: %s", gs_error_detail());
            sum[i].test_acc = NAN;
        } else if (!ro.progress) {
            printf("%-22s test acc %.4f%s\n", sum[i].name, sum[i].test_acc, sum[i].diverged ? " (diverged)" : "");
        }
    }
    if (sum) {
        print_summary(stdout, sum, n, false);
        write_summaries(run_dir, sum, n);
        printf("\nresults in %s\n", run_dir);
        if (o->report)
            write_report(run_dir, &rc);
    }
    free(sum);
    gs_splits_free(&data);
    return rc;
}

int gs_cmd_train(int argc, char **argv)
{
    train_opts_t o = {.common = GS_CLI_COMMON_DEFAULTS, .out = "results", .measure = true};
    int rc = parse(argc, argv, &o);
    if (rc != GS_EXIT_OK) {
        usage(rc < 0 ? stdout : stderr, "train");
        return rc < 0 ? GS_EXIT_OK : rc;
    }
    int n = argc - optind;
    if (n < 1) {
        fprintf(stderr, "gradscope train: which scenario? (see gradscope list)\n");
        return GS_EXIT_USAGE;
    }
    gs_scenario_t *list = calloc((size_t)n, sizeof *list);
    for (int i = 0; list && i < n; i++)
        if (gs_scenario_find(argv[optind + i], &list[i]) != GS_OK) {
            fprintf(stderr, "gradscope train: %s\n", gs_error_detail());
            free(list);
            return GS_EXIT_USAGE;
        }
    rc = list ? train_all(list, n, &o) : GS_EXIT_FAIL;
    free(list);
    return rc;
}

int gs_cmd_run_all(int argc, char **argv)
{
    train_opts_t o = {.common = GS_CLI_COMMON_DEFAULTS, .out = "results", .measure = true, .kernels = true,
                      .report = true};
    int rc = parse(argc, argv, &o);
    if (rc != GS_EXIT_OK) {
        usage(rc < 0 ? stdout : stderr, "run-all");
        return rc < 0 ? GS_EXIT_OK : rc;
    }
    if (optind < argc) {
        fprintf(stderr, "gradscope run-all: unexpected argument '%s'\n", argv[optind]);
        return GS_EXIT_USAGE;
    }
    gs_scenario_t *list;
    int n;
    if (gs_scenario_load_dir(gs_scenario_dir(), &list, &n) != GS_OK) {
        fprintf(stderr, "gradscope run-all: %s\n", gs_error_detail());
        return GS_EXIT_USAGE;
    }
    rc = train_all(list, n, &o);
    free(list);
    return rc;
}

int gs_cmd_list(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "gradscope list: takes no arguments\n");
        return GS_EXIT_USAGE;
    }
    gs_scenario_t *list;
    int n;
    if (gs_scenario_load_dir(gs_scenario_dir(), &list, &n) != GS_OK) {
        fprintf(stderr, "gradscope list: %s\n", gs_error_detail());
        return GS_EXIT_USAGE;
    }
    for (int i = 0; i < n; i++)
        printf("%-22s %s  %s\n", list[i].name, list[i].section, list[i].description);
    free(list);
    return GS_EXIT_OK;
}
