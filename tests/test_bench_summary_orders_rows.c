/* Proves the bench summary lists its rows and library columns in registration order (Google
 * Benchmark's family_index), whatever order a randomly interleaved run wrote them in, and takes the
 * median aggregate. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/bench_summary.h"
#include "summary_text.h"
#include "test_util.h"

/* One report entry: shape, implementation, threads, family_index, GFLOP/s, aggregate or not. */
static void entry(FILE *f, const char *shape, const char *impl, int threads, int family, double gflops, bool median)
{
    fprintf(f,
            "{\"name\": \"x\", \"family_index\": %d, \"run_name\": \"gemm/%s/%s/threads:%d/real_time\", "
            "\"run_type\": \"%s\", \"aggregate_name\": \"%s\", \"repetitions\": 3, \"GFLOP/s\": %.1f},\n",
            family, shape, impl, threads, median ? "aggregate" : "iteration", median ? "median" : "", gflops);
}

int main(void)
{
    char path[] = "/tmp/gs_summary_XXXXXX";
    const int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!gs_check(f != NULL, "temporary report %s", path))
        return gs_test_done("test_bench_summary_orders_rows");
    /* Families 0-3: m8 with 1 thread (avx512, onednn), m8 with 2 (avx512, onednn); 4-6: m16, 1 thread
     * (avx512, onednn, blis), blis first in the file. */
    fputs("{\"benchmarks\": [\n", f);
    entry(f, "m16n16k16ta0tb0", "blis", 1, 6, 9.0, true);
    entry(f, "m16n16k16ta0tb0", "onednn", 1, 5, 90.0, true);
    entry(f, "m8n8k8ta0tb0", "avx512", 2, 2, 70.0, false);
    entry(f, "m8n8k8ta0tb0", "onednn", 1, 1, 50.0, true);
    entry(f, "m16n16k16ta0tb0", "avx512", 1, 4, 99.0, true);
    entry(f, "m8n8k8ta0tb0", "avx512", 1, 0, 40.0, true);
    entry(f, "m8n8k8ta0tb0", "avx512", 1, 0, 1.0, false); /* a repetition: the median wins */
    entry(f, "m8n8k8ta0tb0", "onednn", 2, 3, 35.0, true);
    fputs("{\"name\": \"end\"}]}\n", f);
    fclose(f);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    int errors = -1;
    const gs_status_t st = gs_bench_summary_print(path, out, &errors);
    fclose(out);
    unlink(path);
    gs_check(st == GS_OK && errors == 0, "summary printed (status %d, %d errors)", (int)st, errors);
    fputs(text, stdout);
    const char *r1 = summary_row(text, "m8n8k8ta0tb0", 1), *r2 = summary_row(text, "m8n8k8ta0tb0", 2);
    const char *r3 = summary_row(text, "m16n16k16ta0tb0", 1);
    gs_check(r1 && r2 && r3 && r1 < r2 && r2 < r3, "rows in family order: m8 1 thread, m8 2 threads, m16");
    const char *head = strstr(text, "shape ");
    gs_check(head && on_line(head, " avx512    onednn      blis  ours/peer"), "columns: ours, oneDNN, BLIS");
    gs_check(on_line(r1, " 40.0 ") && on_line(r1, "0.80 (avx512 vs onednn)"), "m8 1 thread: the median, 40 of 50");
    gs_check(on_line(r2, "2.00 (avx512 vs onednn)"), "m8 2 threads: 70 over 35");
    gs_check(on_line(r3, "1.10 (avx512 vs onednn)"), "m16: 99 over 90");
    free(text);
    return gs_test_done("test_bench_summary_orders_rows");
}
