/* Proves the bench summary reads paired benchmarks (ours alternated with a library): their ratio
 * goes to a "paired" column, not to a library's rate column; the median aggregate wins over single
 * rounds; the library shown is the one ours is lowest against; an errored pair counts as an error. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/bench_summary.h"
#include "summary_text.h"
#include "test_util.h"

/* One paired entry: shape, library, threads, ratio and quartiles, aggregate or not, error or not. */
static void pair(FILE *f, const char *shape, const char *lib, int threads, double ratio, bool median, bool error)
{
    fprintf(f,
            "{\"name\": \"x\", \"family_index\": 9, \"run_name\": \"gemm/%s/avx512-vs-%s/threads:%d/iterations:21/"
            "real_time\", \"run_type\": \"%s\", \"aggregate_name\": \"%s\", \"repetitions\": 3, %s"
            "\"ratio\": %.3f, \"ratio_q1\": %.3f, \"ratio_q3\": %.3f},\n",
            shape, lib, threads, median ? "aggregate" : "iteration", median ? "median" : "",
            error ? "\"error_occurred\": true, " : "", ratio, ratio - 0.01, ratio + 0.02);
}

static void rate(FILE *f, const char *shape, const char *impl, int threads, int family, double gflops)
{
    fprintf(f,
            "{\"name\": \"x\", \"family_index\": %d, \"run_name\": \"gemm/%s/%s/threads:%d/real_time\", "
            "\"run_type\": \"iteration\", \"GFLOP/s\": %.1f},\n",
            family, shape, impl, threads, gflops);
}

/* Summarises the report written by `fill` into a string; *errors gets the error count. */
static char *summarise(void (*fill)(FILE *), int *errors)
{
    char path[] = "/tmp/gs_paired_XXXXXX";
    const int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!gs_check(f != NULL, "temporary report %s", path))
        return NULL;
    fputs("{\"benchmarks\": [\n", f);
    fill(f);
    fputs("{\"name\": \"end\"}]}\n", f);
    fclose(f);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    const gs_status_t st = gs_bench_summary_print(path, out, errors);
    fclose(out);
    unlink(path);
    gs_check(st == GS_OK, "summary printed (status %d)", (int)st);
    fputs(text, stdout);
    return text;
}

static void mixed(FILE *f)
{
    rate(f, "m8n8k8ta0tb0", "avx512", 1, 0, 40.0);
    rate(f, "m8n8k8ta0tb0", "onednn", 1, 1, 50.0);
    pair(f, "m8n8k8ta0tb0", "onednn", 1, 0.5, false, false); /* a repetition: the median wins */
    pair(f, "m8n8k8ta0tb0", "onednn", 1, 0.987, true, false);
    pair(f, "m8n8k8ta0tb0", "openblas", 1, 1.25, true, false);
    pair(f, "m8n8k8ta0tb0", "onednn", 1, 0.6, false, false);
    pair(f, "m16n16k16ta0tb0", "openblas", 2, 1.5, false, false);
    pair(f, "m16n16k16ta0tb0", "onednn", 2, 0.9, false, true); /* failed: no ratio, an error */
}

int main(void)
{
    int errors = -1;
    char *text = summarise(mixed, &errors);
    const char *r1 = summary_row(text, "m8n8k8ta0tb0", 1), *r2 = summary_row(text, "m16n16k16ta0tb0", 2);
    gs_check(r1 && r2, "a row per shape and thread count");
    gs_check(on_line(r1, "0.80 (avx512 vs onednn)"), "m8: the rates' ratio stays, 40 over 50");
    gs_check(on_line(r1, "0.987 [0.977-1.007] onednn"), "m8: the median aggregate against oneDNN, the lower pair");
    gs_check(!on_line(r1, "1.250"), "m8: the higher pair (OpenBLAS) is not the one shown");
    gs_check(on_line(r2, "1.500 [1.490-1.520] openblas"), "m16: the pair that ran");
    gs_check(errors == 1, "the failed pair is counted as an error (%d)", errors);
    const char *head = text ? strstr(text, "shape ") : NULL;
    gs_check(on_line(head, "paired") && !on_line(head, "-vs-"), "a paired column, no column per pair");
    free(text);
    return gs_test_done("test_bench_summary_paired");
}
