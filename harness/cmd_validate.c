/* `gradscope validate <op> [PROBLEM...] [--shapes FILE]`: checks the native kernels against oneDNN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/problem.h"
#include "harness/validate_collect.h"
#include "harness/validate_gemm.h"
#include "harness/validate_ops.h"
#include "harness/validate_record.h"

enum { OPT_SHAPES = GS_OPT_FIRST_FREE, OPT_SEED, OPT_CSV };

typedef gs_validate_opts_t validate_opts_t;

/* Test-only: with this variable set to 1, `validate all` checks one small problem per op instead of
 * the built-in lists, so a test of run-all's kernels step takes seconds, not half a minute. */
#define SMOKE_ENV "GS_VALIDATE_SMOKE"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gradscope validate gemm [PROBLEM...] [--shapes FILE] [options]\n"
            "\n"
            "Runs each native GEMM (every ISA this CPU supports, or the one --isa names) on every problem\n"
            "against oneDNN and the scalar oracle, one line per problem and implementation; exit 1 on any FAIL.\n"
            "Without PROBLEM or --shapes: the built-in MLP and edge-case lists.\n"
            "\n"
            "PROBLEM  m<M>n<N>k<K>[ta<0|1>][tb<0|1>][alpha<F>][beta<F>][ldpad<P>], in this order,\n"
            "         e.g. m64n128k784ta0tb1; defaults ta0 tb0 alpha1 beta0 ldpad0\n"
            "\n"
            "options:\n"
            "  --shapes FILE             read problems from FILE, one per line, '#' comments (repeatable)\n"
            "  --seed N                  seed of the input fill (default %d)\n"
            "  --csv FILE                also write every check as a CSV row to FILE (header: " GS_VALIDATE_CSV_HEADER ")\n"
            GS_CLI_COMMON_HELP
            "  --help                    this text\n",
            GS_VALIDATE_SEED_DEFAULT);
}

/* Parses the options; returns GS_EXIT_OK to go on, or the exit code (usage error, --help). */
static int parse_options(int argc, char **argv, validate_opts_t *o, const char **csv_path, bool *help)
{
    static const struct option longopts[] = {
        GS_CLI_COMMON_LONGOPTS,
        {"shapes", required_argument, NULL, OPT_SHAPES},
        {"seed", required_argument, NULL, OPT_SEED},
        {"csv", required_argument, NULL, OPT_CSV},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int code, exit_code = GS_EXIT_OK;
    optind = 1;
    while (exit_code == GS_EXIT_OK && (code = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (gs_cli_common_opt(code, optarg, &o->common, &exit_code))
            continue;
        switch (code) {
        case OPT_SHAPES:
            o->shapes[o->nshapes++] = optarg;
            break;
        case OPT_SEED:
            if (!gs_cli_parse_int(optarg, 0, 0x7fffffffffffffffL, &o->seed)) {
                fprintf(stderr, "gradscope validate: --seed: '%s' is not a seed (expected an integer >= 0)\n", optarg);
                exit_code = GS_EXIT_USAGE;
            }
            break;
        case OPT_CSV:
            *csv_path = optarg;
            break;
        case 'h':
            *help = true;
            return GS_EXIT_OK;
        default: /* getopt_long has printed what was wrong */
            fprintf(stderr, "gradscope validate: see 'gradscope validate --help'\n");
            exit_code = GS_EXIT_USAGE;
        }
    }
    return exit_code;
}

static gs_status_t gemm_defaults(void **list, size_t *count)
{
    return gs_gemm_problems_default((gs_gemm_problem_t **)list, count);
}

/* The implementations to check: oneDNN itself with --impl onednn (against the oracle), the ISA
 * --isa forced, or every ISA this CPU runs. */
static int check_gemm(const void *list, size_t count, const gs_validate_opts_t *o, gs_validate_summary_t *sum)
{
    gs_gemm_impl_t impls[GS_ISA_COUNT];
    gs_isa_t isas[GS_ISA_COUNT];
    size_t n = 0;
    if (o->common.impl == GS_IMPL_ONEDNN)
        impls[n++] = (gs_gemm_impl_t){"onednn", gs_gemm_onednn};
    else
        for (int i = 0, ni = gs_validate_isas(&o->common, isas); i < ni; i++)
            impls[n++] = (gs_gemm_impl_t){gs_isa_name(isas[i]), gs_gemm_for_isa(isas[i])};
    return gs_validate_gemm(list, count, impls, n, (uint64_t)o->seed, stdout, sum);
}

int gs_validate_op_gemm(char **operands, int noperands, const validate_opts_t *o)
{
    static const gs_problem_io_t io = {sizeof(gs_gemm_problem_t), &gs_gemm_problem_desc, NULL, NULL, gemm_defaults};
    return gs_validate_run(&io, operands, noperands, o, check_gemm);
}

/* The ops `validate` knows; `all` runs each on its built-in problems (on `smoke` alone under
 * GS_VALIDATE_SMOKE=1: a scenario shape each, small enough for the scalar oracle). */
static const struct {
    const char *name;
    gs_validate_op_fn *run;
    const char *smoke;
} ops[] = {
    {"gemm", gs_validate_op_gemm, "m64n10k128ta0tb1"},
    {"conv", gs_validate_op_conv, "mb1ic1ih28oc20kh5"},
    {"act", gs_validate_op_act, "n8192sigmoid"},
    {"softmax_ce", gs_validate_op_softmax_ce, "mb64c10"},
    {"optim", gs_validate_op_optim, "n1280adam"},
    {"pool", gs_validate_op_pool, "mb1ic20ih24iw24kh2kw2sh2sw2"},
    {"bn", gs_validate_op_bn, "mb64ic128"},
};
enum { NOPS = sizeof ops / sizeof ops[0] };

const char *gs_validate_op_names(void)
{
    static char names[256];
    if (!names[0]) {
        for (int i = 0; i < NOPS; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s, ", ops[i].name);
        snprintf(names + strlen(names), sizeof names - strlen(names), "all");
    }
    return names;
}

/* One op, or with `all` every op on its built-in problems (the worst exit code wins). */
static int run_op(const char *name, char **operands, int noperands, const validate_opts_t *o)
{
    if (strcmp(name, "all") == 0) {
        if (noperands > 0 || o->nshapes > 0) {
            fprintf(stderr, "gradscope validate all: takes no problems or --shapes (each op uses its built-in list)\n");
            return GS_EXIT_USAGE;
        }
        const char *smoke = getenv(SMOKE_ENV);
        const bool one_each = smoke && strcmp(smoke, "1") == 0;
        int worst = GS_EXIT_OK;
        for (int i = 0; i < NOPS; i++) {
            char *problem = (char *)ops[i].smoke; /* only read: the ops take argv-style char ** */
            int rc = one_each ? ops[i].run(&problem, 1, o) : ops[i].run(NULL, 0, o);
            worst = rc > worst ? rc : worst;
        }
        return worst;
    }
    for (int i = 0; i < NOPS; i++)
        if (strcmp(name, ops[i].name) == 0)
            return ops[i].run(operands, noperands, o);
    fprintf(stderr, "gradscope validate: unknown op '%s' (expected: %s)\n", name, gs_validate_op_names());
    return GS_EXIT_USAGE;
}

static bool known_op(const char *name)
{
    for (int i = 0; i < NOPS; i++)
        if (strcmp(name, ops[i].name) == 0)
            return true;
    return strcmp(name, "all") == 0;
}

/* run_op with the --csv file open around it: created before anything runs (an unwritable path is a
 * usage error that costs nothing), removed again when the problems turned out to be bad. */
static int run_op_csv(const char *name, char **operands, int noperands, validate_opts_t *o, const char *csv_path)
{
    if (!csv_path || !known_op(name)) /* run_op reports an unknown op, and no file is left behind */
        return run_op(name, operands, noperands, o);
    if (gs_validate_csv_open(csv_path, &o->csv) != GS_OK) {
        fprintf(stderr, "gradscope validate: %s\n", gs_error_detail());
        return GS_EXIT_USAGE;
    }
    int rc = run_op(name, operands, noperands, o);
    if (gs_validate_csv_close(o->csv, csv_path) != GS_OK) {
        fprintf(stderr, "gradscope validate: %s\n", gs_error_detail());
        rc = rc > GS_EXIT_FAIL ? rc : GS_EXIT_FAIL;
    }
    o->csv = NULL;
    if (rc == GS_EXIT_USAGE)
        remove(csv_path);
    return rc;
}

int gs_cmd_validate(int argc, char **argv)
{
    validate_opts_t o = {.common = GS_CLI_COMMON_DEFAULTS, .seed = GS_VALIDATE_SEED_DEFAULT};
    const char *csv_path = NULL;
    bool help = false;
    o.shapes = malloc((size_t)argc * sizeof *o.shapes);
    if (!o.shapes)
        return GS_EXIT_FAIL;
    int rc = parse_options(argc, argv, &o, &csv_path, &help);
    if (rc == GS_EXIT_OK && help) {
        usage(stdout);
    } else if (rc == GS_EXIT_OK && optind >= argc) {
        fprintf(stderr, "gradscope validate: which op? (expected: %s)\n", gs_validate_op_names());
        usage(stderr);
        rc = GS_EXIT_USAGE;
    } else if (rc == GS_EXIT_OK) {
        rc = run_op_csv(argv[optind], argv + optind + 1, argc - optind - 1, &o, csv_path);
    }
    free(o.shapes);
    return rc;
}
