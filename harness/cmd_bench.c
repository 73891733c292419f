/* `gradscope bench`: Google Benchmark micro-benchmarks of the kernels against their peers. */
#include <stdio.h>

#include "harness/cli.h"

#ifndef GS_HAVE_BENCH

int gs_cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "gradscope bench: this build has no Google Benchmark (configure with -DGS_BENCH=ON)\n");
    return GS_EXIT_USAGE;
}

#else

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/peak.h"
#include "core/topo.h"
#include "harness/bench_bn.h"
#include "harness/bench_conv.h"
#include "harness/bench_eltwise.h"
#include "harness/bench_gemm.h"
#include "harness/bench_ops.h"
#include "harness/bench_peers.h"
#include "harness/bench_pool.h"
#include "harness/bench_summary.h"
#include "harness/gbench.h"
#include "harness/machine.h"

enum { MAX_GB_ARGS = 64, PATH_CAP = 4096, MAX_THREAD_COUNTS = 64 };

#define DEFAULT_OUT_DIR "results/bench"
/* Per-benchmark minimum time: about 2 minutes for the full set on 2 cores, seconds for --quick. */
#define DEFAULT_MIN_TIME "0.2"
#define QUICK_MIN_TIME "0.05"
/* Rounds of a paired benchmark: odd, so the median is one round's ratio. */
#define DEFAULT_PAIRED_ROUNDS "21"
enum { MAX_PAIRED_ROUNDS = 100000 };

typedef struct {
    gs_cli_common_t common;
    const char *out_dir;
    const char *op;
    bool quick, help;
    int paired_rounds; /* --paired[=ROUNDS] (gemm only); 0: none */
    int thread_counts[MAX_THREAD_COUNTS]; /* --thread-list; 0 counts: 1 and all threads */
    int nthread_counts;
    int n_gb;                 /* the user's --benchmark_* flags, passed through in order */
    char *gb[MAX_GB_ARGS];
} bench_args_t;

/* Where the report goes and whether we own the name (then it is written under a temporary name
 * and renamed once complete, so an interrupted run never leaves a file that looks finished). */
typedef struct {
    bool list_only;         /* --benchmark_list_tests: nothing is measured or written */
    bool ours;              /* false: the user's --benchmark_out decides */
    bool json;
    char final_path[PATH_CAP];
    char tmp_path[PATH_CAP];
} bench_out_t;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: gradscope bench gemm [--threads N] [--isa ISA] [--out DIR] [--quick] [--paired[=ROUNDS]]\n"
            "                            [--benchmark_*=VALUE ...]\n"
            "  gemm                 our GEMM per ISA vs oneDNN, OpenBLAS and BLIS, with 1 and N threads, on\n"
            "                       1024^3, 2048^3 and the MLP scenarios' shapes at batch 64 and 256\n"
            "  --threads N          the multi-threaded runs use N threads (default: physical cores)\n"
            "  --thread-list LIST   run each benchmark with each of these thread counts instead of 1 and N,\n"
            "                       e.g. 1,2,4 or 3 (one process per count: thread-scaling runs); each 1..N\n"
            "  --isa ISA            benchmark only our kernel for ISA (default: every vector ISA the CPU has)\n"
            "  --out DIR            folder for the JSON report (default: " DEFAULT_OUT_DIR ")\n"
            "  --quick              1024^3 and the batch-64 shapes only, min time " QUICK_MIN_TIME " s (CI smoke run)\n"
            "  --paired[=ROUNDS]    gemm: also each library alternated with our widest ISA in ~10 ms chunks,\n"
            "                       ROUNDS rounds (default " DEFAULT_PAIRED_ROUNDS "): the median ratio ours/library and its\n"
            "                       quartiles, robust to the machine's drift (--benchmark_filter=vs- for only those)\n"
            "  --benchmark_*=VALUE  any Google Benchmark flag, e.g. --benchmark_filter=m64n128k784,\n"
            "                       --benchmark_repetitions=5, --benchmark_min_time=1 (default " DEFAULT_MIN_TIME "),\n"
            "                       --benchmark_out=FILE (replaces the default report path); repetitions run\n"
            "                       in random order (--benchmark_enable_random_interleaving=false: in turn)\n"
            "The report is Google Benchmark's own JSON: DIR/gemm-<UTC time>.json; compare two runs with\n"
            "its tools/compare.py benchmarks OLD.json NEW.json.\n");
}

/* GEMM through the generic op interface of bench_ops.h. */
static gs_status_t gemm_register(const gs_bench_op_opts_t *o, void **set)
{
    gs_bench_gemm_t *g = calloc(1, sizeof *g);
    if (!g)
        return gs_error(GS_ENOMEM, "bench: out of memory");
    *set = g;
    gs_bench_gemm_opts_t opts = {.peak = o->peak, .threads = o->threads, .thread_counts = o->thread_counts,
                                 .nthread_counts = o->nthread_counts, .isa = o->isa, .quick = o->quick,
                                 .paired_rounds = o->paired_rounds};
    return gs_bench_gemm_register(g, &opts);
}

static void gemm_free(void *set)
{
    if (set)
        gs_bench_gemm_free(set);
    free(set);
}

/* The benchmarks `bench` knows, by op. */
static const gs_bench_op_t ops[] = {
    {"gemm", gemm_register, gemm_free},
    {"conv", gs_bench_conv_register, gs_bench_conv_free},
    {"act", gs_bench_act_register, gs_bench_act_free},
    {"softmax_ce", gs_bench_softmax_ce_register, gs_bench_softmax_ce_free},
    {"optim", gs_bench_optim_register, gs_bench_optim_free},
    {"pool", gs_bench_pool_register, gs_bench_pool_free},
    {"bn", gs_bench_bn_register, gs_bench_bn_free},
};
enum { NOPS = sizeof ops / sizeof ops[0] };

static const gs_bench_op_t *find_op(const char *name)
{
    for (int i = 0; i < NOPS; i++)
        if (strcmp(name, ops[i].name) == 0)
            return &ops[i];
    return NULL;
}

static const char *op_names(void)
{
    static char names[256];
    if (!names[0])
        for (int i = 0; i < NOPS; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", ops[i].name);
    return names;
}

/* getopt_long would reject Google Benchmark's flags, so they are taken out first. */
static int split_args(int argc, char **argv, char **own, int *n_own, bench_args_t *a)
{
    *n_own = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && strncmp(argv[i], "--benchmark_", 12) == 0) {
            if (a->n_gb == MAX_GB_ARGS) {
                fprintf(stderr, "gradscope bench: more than %d --benchmark_* flags\n", MAX_GB_ARGS);
                return GS_EXIT_USAGE;
            }
            a->gb[a->n_gb++] = argv[i];
        } else {
            own[(*n_own)++] = argv[i];
        }
    }
    own[*n_own] = NULL;
    return GS_EXIT_OK;
}

/* --paired's rounds, 1..MAX_PAIRED_ROUNDS; prints why and returns false otherwise. */
static bool parse_paired(const char *arg, bench_args_t *a)
{
    long v;
    if (!gs_cli_parse_int(arg, 1, MAX_PAIRED_ROUNDS, &v)) {
        fprintf(stderr, "gradscope bench: --paired: '%s' is not a number of rounds (expected 1..%d)\n", arg,
                MAX_PAIRED_ROUNDS);
        return false;
    }
    a->paired_rounds = (int)v;
    return true;
}

/* "1,2,4" -> distinct counts of 1..4096; prints why and returns false otherwise. */
static bool parse_thread_list(const char *arg, bench_args_t *a)
{
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", arg) >= (int)sizeof buf) {
        fprintf(stderr, "gradscope bench: --thread-list: '%.40s...' is too long\n", arg);
        return false;
    }
    a->nthread_counts = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long v;
        if (!gs_cli_parse_int(tok, 1, 4096, &v)) {
            fprintf(stderr, "gradscope bench: --thread-list: '%s' in '%s' is not a thread count (expected 1..4096)\n",
                    tok, arg);
            return false;
        }
        for (int i = 0; i < a->nthread_counts; i++)
            if (a->thread_counts[i] == v) {
                fprintf(stderr, "gradscope bench: --thread-list: %ld appears twice in '%s'\n", v, arg);
                return false;
            }
        if (a->nthread_counts == MAX_THREAD_COUNTS) {
            fprintf(stderr, "gradscope bench: --thread-list: more than %d counts in '%s'\n", MAX_THREAD_COUNTS, arg);
            return false;
        }
        a->thread_counts[a->nthread_counts++] = (int)v;
    }
    if (a->nthread_counts == 0) {
        fprintf(stderr, "gradscope bench: --thread-list: '%s' holds no thread count\n", arg);
        return false;
    }
    return true;
}

/* The thread counts every benchmark runs with: --thread-list (each within the pool of `all`
 * threads, which the binding and the peaks' "all threads" are for), else 1 and all. */
static int resolve_thread_counts(bench_args_t *a, int all)
{
    for (int i = 0; i < a->nthread_counts; i++)
        if (a->thread_counts[i] > all) {
            fprintf(stderr, "gradscope bench: --thread-list: %d is more than the %d thread(s) of --threads "
                            "(default: one per physical core)\n", a->thread_counts[i], all);
            return GS_EXIT_USAGE;
        }
    if (a->nthread_counts == 0) {
        a->thread_counts[a->nthread_counts++] = 1;
        if (all > 1)
            a->thread_counts[a->nthread_counts++] = all;
    }
    return GS_EXIT_OK;
}

static int parse_args(int argc, char **argv, bench_args_t *a)
{
    enum { OPT_OUT = GS_OPT_FIRST_FREE, OPT_QUICK, OPT_THREAD_LIST, OPT_PAIRED };
    static const struct option longopts[] = {
        {"isa", required_argument, NULL, GS_OPT_ISA},      {"threads", required_argument, NULL, GS_OPT_THREADS},
        {"out", required_argument, NULL, OPT_OUT},         {"quick", no_argument, NULL, OPT_QUICK},
        {"thread-list", required_argument, NULL, OPT_THREAD_LIST}, {"paired", optional_argument, NULL, OPT_PAIRED},
        {"help", no_argument, NULL, 'h'},                  {0, 0, 0, 0},
    };
    char *own[argc + 1];
    int n_own, code, exit_code = split_args(argc, argv, own, &n_own, a);
    if (exit_code != GS_EXIT_OK)
        return exit_code;
    optind = 1;
    while ((code = getopt_long(n_own, own, "h", longopts, NULL)) != -1) {
        if (gs_cli_common_opt(code, optarg, &a->common, &exit_code)) {
            if (exit_code != GS_EXIT_OK)
                return exit_code;
        } else if (code == OPT_OUT) {
            a->out_dir = optarg;
        } else if (code == OPT_QUICK) {
            a->quick = true;
        } else if (code == OPT_THREAD_LIST) {
            if (!parse_thread_list(optarg, a))
                return GS_EXIT_USAGE;
        } else if (code == OPT_PAIRED) {
            if (!parse_paired(optarg ? optarg : DEFAULT_PAIRED_ROUNDS, a))
                return GS_EXIT_USAGE;
        } else if (code == 'h') {
            a->help = true;
        } else {
            usage(stderr);
            return GS_EXIT_USAGE;
        }
    }
    if (a->help)
        return GS_EXIT_OK;
    if (optind >= n_own) {
        fprintf(stderr, "gradscope bench: which benchmark? (expected: %s)\n", op_names());
        usage(stderr);
        return GS_EXIT_USAGE;
    }
    a->op = own[optind];
    if (optind + 1 < n_own) {
        fprintf(stderr, "gradscope bench: unexpected argument '%s'\n", own[optind + 1]);
        return GS_EXIT_USAGE;
    }
    if (!find_op(a->op)) {
        fprintf(stderr, "gradscope bench: unknown benchmark '%s' (available: %s)\n", a->op, op_names());
        return GS_EXIT_USAGE;
    }
    if (a->paired_rounds && strcmp(a->op, "gemm") != 0) {
        fprintf(stderr, "gradscope bench: --paired is for gemm only, not '%s'\n", a->op);
        return GS_EXIT_USAGE;
    }
    return GS_EXIT_OK;
}

/* The value of the last --NAME=VALUE among the user's flags ("" for a bare --NAME), or NULL. */
static const char *gb_flag(const bench_args_t *a, const char *name)
{
    const char *value = NULL;
    const size_t len = strlen(name);
    for (int i = 0; i < a->n_gb; i++) {
        const char *s = a->gb[i] + 2;
        if (strncmp(s, name, len) == 0 && (s[len] == '=' || s[len] == '\0'))
            value = s[len] == '=' ? s + len + 1 : "";
    }
    return value;
}

static bool flag_false(const char *v)
{
    static const char *const no[] = {"0", "f", "false", "n", "no", "off"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (strcasecmp(v, no[i]) == 0)
            return true;
    return false;
}

/* Google Benchmark exits with status 0 on a bad format name; catch it here as a usage error. */
static int check_formats(const bench_args_t *a)
{
    static const char *const flags[] = {"benchmark_format", "benchmark_out_format"};
    for (int i = 0; i < 2; i++) {
        const char *v = gb_flag(a, flags[i]);
        if (v && strcmp(v, "console") != 0 && strcmp(v, "json") != 0 && strcmp(v, "csv") != 0) {
            fprintf(stderr, "gradscope bench: --%s='%s': expected console, json or csv\n", flags[i], v);
            return GS_EXIT_USAGE;
        }
    }
    return GS_EXIT_OK;
}

static int mkdir_p(const char *dir)
{
    char path[PATH_CAP];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return ENAMETOOLONG;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return errno;
    return 0;
}

/* Creates the folder and proves it takes a file, before minutes of benchmarks are spent. */
static int check_writable_dir(const char *dir)
{
    int err = mkdir_p(dir);
    char probe[PATH_CAP];
    if (!err && snprintf(probe, sizeof probe, "%s/.gradscope-write-test-XXXXXX", dir) >= (int)sizeof probe)
        err = ENAMETOOLONG;
    if (!err) {
        int fd = mkstemp(probe);
        if (fd < 0) {
            err = errno;
        } else {
            close(fd);
            unlink(probe);
        }
    }
    if (err) {
        fprintf(stderr, "gradscope bench: cannot write to result folder '%s': %s\n", dir, strerror(err));
        return GS_EXIT_USAGE;
    }
    return GS_EXIT_OK;
}

static int check_user_out(const char *file)
{
    char dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    return check_writable_dir(dir);
}

/* DIR/gemm-<UTC time>[-N].<ext>, never replacing an earlier report. */
static int plan_default_out(const bench_args_t *a, bench_out_t *o)
{
    const char *dir = a->out_dir ? a->out_dir : DEFAULT_OUT_DIR;
    int rc = check_writable_dir(dir);
    if (rc != GS_EXIT_OK)
        return rc;
    const char *fmt = gb_flag(a, "benchmark_out_format");
    const char *ext = !fmt || strcmp(fmt, "json") == 0 ? "json" : (strcmp(fmt, "csv") == 0 ? "csv" : "txt");
    o->json = strcmp(ext, "json") == 0;
    char stamp[32];
    time_t now = time(NULL);
    struct tm utc;
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &utc));
    for (int n = 0; n < 1000; n++) {
        char suffix[16] = "";
        if (n)
            snprintf(suffix, sizeof suffix, "-%d", n);
        int len = snprintf(o->final_path, sizeof o->final_path, "%s/%s-%s%s.%s", dir, a->op, stamp, suffix, ext);
        snprintf(o->tmp_path, sizeof o->tmp_path, "%s/.%s-%s%s.%s.partial", dir, a->op, stamp, suffix, ext);
        if (len >= (int)sizeof o->final_path) {
            fprintf(stderr, "gradscope bench: result folder path too long: '%s'\n", dir);
            return GS_EXIT_USAGE;
        }
        if (access(o->final_path, F_OK) != 0)
            return GS_EXIT_OK;
    }
    fprintf(stderr, "gradscope bench: too many reports named %s-%s in '%s'\n", a->op, stamp, dir);
    return GS_EXIT_USAGE;
}

static int plan_output(const bench_args_t *a, bench_out_t *o)
{
    memset(o, 0, sizeof *o);
    const char *list = gb_flag(a, "benchmark_list_tests");
    o->list_only = list && !flag_false(list);
    if (o->list_only)
        return GS_EXIT_OK;
    const char *user = gb_flag(a, "benchmark_out");
    if (user && *user) {
        const char *fmt = gb_flag(a, "benchmark_out_format");
        o->json = !fmt || strcmp(fmt, "json") == 0;
        snprintf(o->final_path, sizeof o->final_path, "%s", user);
        return check_user_out(user);
    }
    o->ours = true;
    return plan_default_out(a, o);
}

/* Peers are loaded before the thread binding (see gs_peer_load); a missing one is only a note. */
static void load_peers(void)
{
    for (int id = 0; id < GS_PEER_COUNT; id++) {
        const gs_peer_t *p = gs_peer_get((gs_peer_id_t)id);
        if (gs_peer_load((gs_peer_id_t)id) == GS_OK)
            printf("peer %-9s %s\n", p->name, p->info);
        else
            printf("peer %-9s skipped: %s\n", p->name, p->info);
    }
}

/* Nested machine description -> flat "a.b.c" context keys, as Google Benchmark's context holds
 * only strings. */
static void add_json_context(const char *prefix, const cJSON *j)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, j)
    {
        char key[256], value[64];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", item->string);
        if (cJSON_IsObject(item)) {
            add_json_context(key, item);
        } else if (cJSON_IsString(item)) {
            gs_bench_add_context(key, item->valuestring);
        } else if (cJSON_IsNumber(item)) {
            snprintf(value, sizeof value, "%.6g", item->valuedouble);
            gs_bench_add_context(key, value);
        }
    }
}

static void add_context(const gs_peak_t *peak)
{
    cJSON *machine = gs_machine_json(peak);
    if (machine)
        add_json_context("gradscope", machine);
    cJSON_Delete(machine);
    for (int id = 0; id < GS_PEER_COUNT; id++) {
        const gs_peer_t *p = gs_peer_get((gs_peer_id_t)id);
        char key[64], value[256];
        snprintf(key, sizeof key, "gradscope.peers.%s", p->name);
        snprintf(value, sizeof value, "%s%s", p->loaded ? "" : "not loaded: ", p->info);
        gs_bench_add_context(key, value);
    }
    gs_bench_add_context("gradscope.pct_peak",
                         "GFLOP/s over the measured FMA peak (gradscope.peak) of the kernel's ISA at its thread "
                         "count; oneDNN, OpenBLAS and BLIS over the widest ISA's peak");
}

static int measure_peaks(const bench_out_t *o, gs_peak_t *peak)
{
    memset(peak, 0, sizeof *peak);
    peak->threads = gs_threads();
    if (o->list_only)
        return GS_EXIT_OK;
    printf("measuring the FMA peaks and triad bandwidth ...\n");
    fflush(stdout);
    gs_status_t st = gs_peak_measure(peak);
    if (st != GS_OK) {
        gs_cli_error("bench", st, "peak measurement failed");
        return GS_EXIT_FAIL;
    }
    gs_machine_print(peak);
    printf("\n");
    return GS_EXIT_OK;
}

/* Hands Google Benchmark our defaults first and the user's flags after them (the last occurrence
 * of a flag wins, so the user's always do); done before anything slow so a bad flag costs nothing. */
static int init_gb_flags(const bench_args_t *a, const bench_out_t *o)
{
    static char prog[] = "gradscope bench gemm"; /* the report's "executable" */
    /* Repetitions of all benchmarks run in random order: a slow phase of a shared machine then falls
     * on every implementation alike instead of on whichever ran through it. */
    static char interleave[] = "--benchmark_enable_random_interleaving=true";
    static char defaults[3][PATH_CAP + 32];
    char *gb[MAX_GB_ARGS + 8];
    int n = 0;
    gb[n++] = prog;
    snprintf(defaults[0], sizeof defaults[0], "--benchmark_min_time=%s", a->quick ? QUICK_MIN_TIME : DEFAULT_MIN_TIME);
    gb[n++] = defaults[0];
    gb[n++] = interleave;
    if (o->ours) {
        snprintf(defaults[1], sizeof defaults[1], "--benchmark_out=%s", o->tmp_path);
        snprintf(defaults[2], sizeof defaults[2], "--benchmark_out_format=json");
        gb[n++] = defaults[1];
        gb[n++] = defaults[2];
    }
    for (int i = 0; i < a->n_gb; i++)
        gb[n++] = a->gb[i];
    gb[n] = NULL;
    gs_status_t st = gs_bench_init(&n, gb);
    if (st != GS_OK) {
        gs_cli_error("bench", st, "bad benchmark flag");
        return st == GS_EINVAL ? GS_EXIT_USAGE : GS_EXIT_FAIL;
    }
    return GS_EXIT_OK;
}

/* Renames our report into place (or removes it when nothing ran) and prints the summary. */
static int finish_output(const bench_out_t *o, size_t n_run)
{
    if (o->list_only)
        return GS_EXIT_OK;
    if (n_run == 0) {
        if (o->ours)
            unlink(o->tmp_path);
        fprintf(stderr, "gradscope bench: no benchmark matched; nothing written\n");
        return GS_EXIT_USAGE;
    }
    if (o->ours && rename(o->tmp_path, o->final_path) != 0) {
        fprintf(stderr, "gradscope bench: cannot rename '%s' to '%s': %s\n", o->tmp_path, o->final_path,
                strerror(errno));
        return GS_EXIT_FAIL;
    }
    printf("\nwrote %s\n", o->final_path);
    if (!o->json) {
        printf("(not JSON, so no summary table)\n");
        return GS_EXIT_OK;
    }
    int errors = 0;
    gs_status_t st = gs_bench_summary_print(o->final_path, stdout, &errors);
    if (st != GS_OK) {
        gs_cli_error("bench", st, "cannot summarise the report");
        return GS_EXIT_FAIL;
    }
    return errors ? GS_EXIT_FAIL : GS_EXIT_OK;
}

static int bench_op(const gs_bench_op_t *op, const bench_args_t *a, const bench_out_t *o)
{
    gs_peak_t peak;
    int rc = measure_peaks(o, &peak);
    if (rc != GS_EXIT_OK)
        return rc;
    add_context(&peak);
    gs_bench_op_opts_t opts = {.peak = &peak, .threads = gs_threads(), .thread_counts = a->thread_counts,
                               .nthread_counts = a->nthread_counts, .isa = a->common.isa, .quick = a->quick,
                               .paired_rounds = a->paired_rounds};
    void *set = NULL;
    gs_status_t st = op->register_fn(&opts, &set);
    if (st != GS_OK) {
        gs_cli_error("bench", st, "cannot register the benchmarks");
        op->free_fn(set);
        return GS_EXIT_FAIL;
    }
    size_t n_run = 0;
    st = gs_bench_run_specified(&n_run);
    op->free_fn(set);
    if (st != GS_OK) {
        gs_cli_error("bench", st, "the benchmarks did not complete");
        if (o->ours)
            unlink(o->tmp_path);
        return GS_EXIT_FAIL;
    }
    return finish_output(o, n_run);
}

int gs_cmd_bench(int argc, char **argv)
{
    bench_args_t a = {.common = GS_CLI_COMMON_DEFAULTS};
    int rc = parse_args(argc, argv, &a);
    if (rc != GS_EXIT_OK || a.help) {
        if (a.help)
            usage(stdout);
        return rc;
    }
    bench_out_t out;
    if ((rc = check_formats(&a)) != GS_EXIT_OK || (rc = plan_output(&a, &out)) != GS_EXIT_OK ||
        (rc = init_gb_flags(&a, &out)) != GS_EXIT_OK)
        return rc;
    load_peers();
    if ((rc = gs_cli_setup(&a.common)) != GS_EXIT_OK || (rc = resolve_thread_counts(&a, gs_threads())) != GS_EXIT_OK)
        return rc;
    return bench_op(find_op(a.op), &a, &out);
}

#endif
