/* Proves `bench gemm` reports a GEMM that is wrong or fails as an errored benchmark, never as a speed:
 * a wrong result (checked against oneDNN before timing) in the plain and the paired benchmark, a
 * call failing inside the plain benchmark's timed loop, and one failing inside the paired rounds. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/dispatch.h"
#include "core/topo.h"
#include "harness/bench_gemm.h"
#include "harness/gbench.h"
#include "test_util.h"

/* Right everywhere except the last element. */
static gs_status_t off_by_one(bool ta, bool tb, long m, long n, long k, float alpha, const float *a, long lda,
                              const float *b, long ldb, float beta, float *c, long ldc)
{
    gs_status_t st = gs_gemm_onednn(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    c[(m - 1) * ldc + n - 1] += 1.0f;
    return st;
}

/* Right, but every third call in a row fails: the first two calls after a library's call (the
 * check against oneDNN and chunk sizing make one each) succeed, the timed loop's third fails. */
static int calls_in_a_row;

static gs_status_t flaky(bool ta, bool tb, long m, long n, long k, float alpha, const float *a, long lda,
                         const float *b, long ldb, float beta, float *c, long ldc)
{
    if (++calls_in_a_row % 3 == 0)
        return gs_error(GS_EBACKEND, "flaky: deliberate failure");
    return gs_gemm_onednn(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* The library the flaky GEMM is paired with: oneDNN, and a new run of calls for flaky. */
static gs_status_t resets_flaky(bool ta, bool tb, long m, long n, long k, float alpha, const float *a, long lda,
                                const float *b, long ldb, float beta, float *c, long ldc)
{
    calls_in_a_row = 0;
    return gs_gemm_onednn(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* The report's entry whose run_name starts with `name`, or NULL. */
static const cJSON *entry(const cJSON *report, const char *name)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(report, "benchmarks"))
    {
        const cJSON *run = cJSON_GetObjectItemCaseSensitive(b, "run_name");
        if (cJSON_IsString(run) && strncmp(run->valuestring, name, strlen(name)) == 0)
            return b;
    }
    return NULL;
}

/* The entry exists, is errored, and its message contains `why`; no GFLOP/s or ratio is reported. */
static void expect_error(const cJSON *report, const char *name, const char *why)
{
    const cJSON *b = entry(report, name);
    if (!gs_check(b != NULL, "%s is in the report", name))
        return;
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(b, "error_message");
    gs_check(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "error_occurred")), "%s is marked errored", name);
    gs_check(cJSON_IsString(msg) && strstr(msg->valuestring, why), "%s: error '%s' names '%s'", name,
             cJSON_IsString(msg) ? msg->valuestring : "(none)", why);
    gs_check(!cJSON_GetObjectItemCaseSensitive(b, "GFLOP/s") && !cJSON_GetObjectItemCaseSensitive(b, "ratio"),
             "%s reports no speed", name);
}

static cJSON *read_report(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!gs_check(f != NULL, "report %s written", path))
        return NULL;
    static char text[1 << 20];
    const size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *report = cJSON_Parse(text);
    gs_check(report != NULL, "report %s parses as JSON", path);
    return report;
}

int main(void)
{
    gs_check(gs_topo_init() == GS_OK && gs_dispatch_init(GS_IMPL_NATIVE, -1) == GS_OK, "runtime initialised");
    static const gs_bench_gemm_impl_t broken[] = {{"broken", off_by_one, true}, {"onednn", gs_gemm_onednn, false}};
    static const gs_bench_gemm_impl_t failing[] = {{"flaky", flaky, true}, {"resets", resets_flaky, false}};
    static const int one_thread[] = {1};
    static const gs_peak_t no_peak = {.threads = 1};
    gs_bench_gemm_t sets[2];
    const gs_bench_gemm_impl_t *impls[2] = {broken, failing};
    for (int i = 0; i < 2; i++) {
        const gs_bench_gemm_opts_t opts = {.peak = &no_peak, .threads = 1, .thread_counts = one_thread,
                                           .nthread_counts = 1, .quick = true, .paired_rounds = 3,
                                           .impls = impls[i], .nimpls = 2};
        gs_check(gs_bench_gemm_register(&sets[i], &opts) == GS_OK, "registered set %d", i);
    }

    char out[] = "/tmp/gs_bench_broken_XXXXXX";
    const int fd = mkstemp(out);
    if (!gs_check(fd >= 0, "temporary report"))
        return gs_test_done("test_bench_reports_broken_gemm");
    close(fd);
    char out_flag[64];
    snprintf(out_flag, sizeof out_flag, "--benchmark_out=%s", out);
    char *argv[] = {"test", "--benchmark_filter=m64n128k128ta0tb1/(broken|flaky)", out_flag,
                    "--benchmark_min_time=0.01", NULL};
    int argc = 4;
    size_t ran = 0;
    gs_check(gs_bench_run(&argc, argv, &ran) == GS_OK && ran == 4, "4 benchmarks ran (%zu)", ran);

    cJSON *report = read_report(out);
    if (report) {
        const char *shape = "gemm/m64n128k128ta0tb1/";
        char name[128];
        snprintf(name, sizeof name, "%sbroken/", shape);
        expect_error(report, name, "wrong result");
        snprintf(name, sizeof name, "%sbroken-vs-onednn/", shape);
        expect_error(report, name, "wrong result");
        snprintf(name, sizeof name, "%sflaky/", shape);
        expect_error(report, name, "flaky failed: flaky: deliberate failure");
        snprintf(name, sizeof name, "%sflaky-vs-resets/", shape);
        expect_error(report, name, "a GEMM call failed: flaky: deliberate failure");
        cJSON_Delete(report);
    }
    unlink(out);

    static const gs_bench_gemm_impl_t library_first[] = {{"onednn", gs_gemm_onednn, false}, {"x", flaky, true}};
    const gs_bench_gemm_opts_t bad = {.peak = &no_peak, .threads = 1, .thread_counts = one_thread,
                                      .nthread_counts = 1, .impls = library_first, .nimpls = 2};
    gs_bench_gemm_t unused;
    gs_check(gs_bench_gemm_register(&unused, &bad) == GS_EINVAL, "ours after a library is refused");
    gs_bench_gemm_free(&unused);
    static const gs_bench_gemm_impl_t no_fn[] = {{"x", NULL, true}};
    gs_bench_gemm_opts_t refused = bad;
    refused.impls = no_fn;
    refused.nimpls = 1;
    gs_check(gs_bench_gemm_register(&unused, &refused) == GS_EINVAL, "an implementation without a function is refused");
    refused.nimpls = 0;
    gs_check(gs_bench_gemm_register(&unused, &refused) == GS_EINVAL, "no implementations is refused");
    gs_bench_gemm_free(&unused);
    for (int i = 0; i < 2; i++)
        gs_bench_gemm_free(&sets[i]);
    return gs_test_done("test_bench_reports_broken_gemm");
}
