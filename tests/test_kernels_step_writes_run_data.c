/* Proves the kernels step of a run writes results/<run>/kernels/ and records rather than hides what
 * its steps do: a stand-in child that passes, fails checks, rejects its arguments or writes nothing
 * (complete folder, complete with failed checks, .partial left, .partial left), then the real
 * `gradscope train ... --kernels` (one smoke problem per op, the GEMM benchmarks only: the test-only
 * variables GS_VALIDATE_SMOKE and GS_KERNELS_BENCH_OPS), whose files the report reads; that part
 * needs Google Benchmark (GS_BENCH=ON, not the sanitizer build).
 * Usage: test_kernels_step_writes_run_data PATH_TO_GRADSCOPE */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/run_kernels.h"
#include "harness/validate_record.h"
#include "test_util.h"

static const char *const ops[] = {"gemm", "conv", "act", "softmax_ce", "optim", "pool", "bn"};
enum { NOPS = sizeof ops / sizeof ops[0] };

/* Stands in for gradscope: writes the file the step names (unless GS_FAKE_NO_FILE), a FAIL line
 * for validate when it exits 1, then exits with GS_FAKE_RC. */
static const char fake_child[] =
    "#!/bin/sh\n"
    "prev=; out=\n"
    "for a in \"$@\"; do\n"
    "  case \"$a\" in --benchmark_out=*) out=\"${a#--benchmark_out=}\" ;; esac\n"
    "  [ \"$prev\" = --csv ] && out=\"$a\"\n"
    "  prev=\"$a\"\n"
    "done\n"
    "[ -n \"$GS_FAKE_NO_FILE\" ] || echo \"written by the stand-in: $*\" > \"$out\"\n"
    "[ \"$1\" = validate ] && [ \"$GS_FAKE_RC\" = 1 ] && echo 'gemm m1n1k1ta0tb0 avx2 max_rel_err=1 FAIL (stand-in)'\n"
    "exit \"${GS_FAKE_RC:-0}\"\n";

static bool exists(const char *dir, const char *name)
{
    char path[4700];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &sb) == 0;
}

/* One run of the step with the stand-in; checks its status, counts and which folder is left. */
static void check_stand_in(const char *tmp, const char *exe, const char *rc, bool no_file, bool want_ok,
                           int want_failed_checks, const char *want_msg)
{
    char run[4096];
    snprintf(run, sizeof run, "%s/run-rc%s%s", tmp, rc, no_file ? "-nofile" : "");
    mkdir(run, 0755);
    setenv("GS_FAKE_RC", rc, 1);
    if (no_file)
        setenv("GS_FAKE_NO_FILE", "1", 1);
    else
        unsetenv("GS_FAKE_NO_FILE");
    const gs_run_kernels_opts_t o = {.run_dir = run, .threads = 2, .isa = -1, .exe = exe};
    gs_run_kernels_result_t r;
    gs_error_clear();
    const gs_status_t st = gs_run_kernels(&o, &r);
    const bool complete = exists(run, "kernels/validate.csv") && exists(run, "kernels/bench-gemm-threads1.json") &&
                          exists(run, "kernels/bench-gemm-threads2.json") && !exists(run, ".kernels.partial");
    const bool partial = exists(run, ".kernels.partial") && !exists(run, "kernels");
    gs_check((st == GS_OK) == want_ok && r.steps == 3 && r.checks_failed == want_failed_checks &&
                 (want_ok ? complete : partial) && strstr(gs_error_detail(), want_msg) != NULL,
             "stand-in exiting %s%s: status %d, %d steps, %d with failed checks, %s folder, message '%s'", rc,
             no_file ? " without its file" : "", st, r.steps, r.checks_failed,
             complete ? "complete" : partial ? ".partial" : "no", gs_error_detail());
}

static void check_step_outcomes(const char *tmp)
{
    char exe[4200];
    snprintf(exe, sizeof exe, "%s/fake-gradscope.sh", tmp);
    FILE *f = fopen(exe, "w");
    if (!gs_check(f && fputs(fake_child, f) >= 0 && fclose(f) == 0 && chmod(exe, 0755) == 0, "stand-in %s", exe))
        return;
    setenv("GS_KERNELS_BENCH_OPS", "gemm", 1);
    check_stand_in(tmp, exe, "0", false, true, 0, "");
    check_stand_in(tmp, exe, "1", false, true, 3, "");
    check_stand_in(tmp, exe, "2", false, false, 0, "kernels step 'validate all': exit status 2");
    check_stand_in(tmp, exe, "0", true, false, 0, "kernels step 'validate all': exit status 0 but no validate.csv");
    unsetenv("GS_FAKE_RC");
    unsetenv("GS_FAKE_NO_FILE");
}

#ifdef GS_HAVE_BENCH
/* ---- the real run: needs the benchmarks ---- */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    rewind(f);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
        buf[n] = '\0';
    else if (buf) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* The one run folder the command made under `out`. */
static bool find_run(const char *out, char *run, size_t cap)
{
    DIR *d = opendir(out);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && ++n == 1)
            snprintf(run, cap, "%s/%s", out, e->d_name);
    if (d)
        closedir(d);
    return n == 1;
}

/* The CSV's header and a row for every op. */
static void check_validate_csv(const char *kernels)
{
    char path[4700];
    snprintf(path, sizeof path, "%s/validate.csv", kernels);
    char *text = read_file(path);
    if (!gs_check(text != NULL, "%s readable", path))
        return;
    gs_check(strncmp(text, GS_VALIDATE_CSV_HEADER "\n", strlen(GS_VALIDATE_CSV_HEADER) + 1) == 0, "header");
    for (int i = 0; i < NOPS; i++) {
        char row_start[32];
        snprintf(row_start, sizeof row_start, "\n%s,", ops[i]);
        gs_check(strstr(text, row_start) != NULL, "validate.csv has %s rows", ops[i]);
    }
    gs_check(strstr(text, ",FAIL\n") == NULL, "no check failed");
    free(text);
}

/* Google Benchmark's JSON with a non-empty benchmarks array, every entry run with k threads. */
static void check_bench_json(const char *kernels, int k)
{
    char path[4700], want[32];
    snprintf(path, sizeof path, "%s/bench-gemm-threads%d.json", kernels, k);
    snprintf(want, sizeof want, "/threads:%d/", k);
    char *text = read_file(path);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "benchmarks");
    int n = 0, right_threads = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, list)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "name");
        n++;
        right_threads += cJSON_IsString(name) && strstr(name->valuestring, want) != NULL;
    }
    gs_check(j && cJSON_IsArray(list) && n > 0 && right_threads == n, "%s parses: %d benchmarks, %d with %s", path, n,
             right_threads, want);
    cJSON_Delete(j);
    free(text);
}

static void check_train_cli(const char *tmp, const char *gradscope)
{
    char out[4096], cmd[8400], run[4400], kernels[4500];
    snprintf(out, sizeof out, "%s/results", tmp);
    setenv("GS_VALIDATE_SMOKE", "1", 1);
    setenv("GS_KERNELS_BENCH_OPS", "gemm", 1);
    snprintf(cmd, sizeof cmd,
             "'%s' train mlp3_sigmoid --epochs 1 --subset 200 --no-measure --kernels --threads 2 --out '%s'",
             gradscope, out);
    const int status = system(cmd);
    if (!gs_check(status == 0 && find_run(out, run, sizeof run), "%s: exit status %d, one run folder", cmd, status))
        return;
    snprintf(kernels, sizeof kernels, "%s/kernels", run);
    gs_check(exists(run, "kernels") && !exists(run, ".kernels.partial") && exists(run, "mlp3_sigmoid/epochs.csv"),
             "%s: kernels/ complete, then the scenario trained", run);
    check_validate_csv(kernels);
    check_bench_json(kernels, 1);
    check_bench_json(kernels, 2);
}
#endif

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH_TO_GRADSCOPE\n", argv[0]);
        return 2;
    }
    char tmp[] = "/tmp/gs-kernels-step-XXXXXX";
    if (!gs_check(mkdtemp(tmp) != NULL, "temporary folder %s", tmp))
        return gs_test_done("test_kernels_step_writes_run_data");
    check_step_outcomes(tmp);
#ifdef GS_HAVE_BENCH
    check_train_cli(tmp, argv[1]);
#else
    printf("skipped the real train --kernels: this build has no Google Benchmark (GS_BENCH=OFF)\n");
#endif
    char rm[200];
    snprintf(rm, sizeof rm, "rm -rf '%s'", tmp);
    if (!gs_test_failed && system(rm) != 0)
        printf("could not remove %s\n", tmp);
    return gs_test_done("test_kernels_step_writes_run_data");
}
