/* Proves the profiler records one row per GEMM shape with the right call count and FLOPs, records nothing when off, and writes its CSV. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/dispatch.h"
#include "core/profiler.h"
#include "core/topo.h"
#include "test_util.h"

static float a[64 * 64], b[64 * 64], c[64 * 64];

static void gemm_times(int times, long m, long n, long k)
{
    for (int i = 0; i < times; i++)
        gs_gemm(false, true, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
}

static const gs_prof_entry_t *find(const gs_prof_entry_t *rows, size_t n, const char *shape)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].shape, shape) == 0)
            return &rows[i];
    return NULL;
}

static void check_row(const gs_prof_entry_t *rows, size_t n, const char *shape, uint64_t calls, double flops)
{
    const gs_prof_entry_t *r = find(rows, n, shape);
    gs_check(r && r->calls == calls && r->flops == flops && strcmp(r->kernel, "gemm") == 0 &&
                 strcmp(r->impl, gs_kern.impl_name) == 0 && strcmp(r->isa, gs_kern.isa_name) == 0 &&
                 r->total_s > 0 && r->min_s <= r->median_s,
             "row %s: %llu calls, %.0f flops/call, kernel gemm, impl %s, isa %s", shape,
             (unsigned long long)calls, flops, gs_kern.impl_name, gs_kern.isa_name);
}

static void check_csv(void)
{
    char path[] = "/tmp/gs_profile_XXXXXX";
    int fd = mkstemp(path);
    if (!gs_check(fd >= 0, "temporary CSV path"))
        return;
    close(fd);
    gs_status_t st = gs_prof_write_csv(path, 100.0, 10.0);
    FILE *f = fopen(path, "r");
    char line[512];
    int lines = 0;
    bool header = false, has_shape = false;
    while (f && fgets(line, sizeof line, f)) {
        header |= lines == 0 && strncmp(line, "kernel,impl,isa,shape,calls", 27) == 0;
        has_shape |= strstr(line, "gemm,") == line && strstr(line, "m8n8k8ta0tb1,3,") != NULL;
        lines++;
    }
    if (f)
        fclose(f);
    gs_check(st == GS_OK && header && lines == 3 && has_shape,
             "CSV %s: header + 2 rows, the m8n8k8 row says 3 calls (%d lines)", path, lines);
    unlink(path);
    st = gs_prof_write_csv("/nonexistent/dir/profile.csv", 0, 0);
    gs_check(st == GS_EIO && strstr(gs_error_detail(), "/nonexistent/dir/profile.csv"),
             "an unwritable CSV path is GS_EIO naming it: %s", gs_error_detail());
}

int main(void)
{
    gs_topo_init();
    gs_dispatch_init(GS_IMPL_NATIVE, -1);
    gs_prof_reset();
    gs_prof_enable(false);
    gemm_times(3, 8, 8, 8);
    gs_prof_entry_t *rows;
    size_t n = gs_prof_snapshot(&rows);
    gs_check(n == 0 && rows == NULL, "disabled: nothing recorded (%zu rows)", n);

    gs_prof_enable(true);
    gemm_times(3, 8, 8, 8);
    gemm_times(2, 64, 16, 32);
    n = gs_prof_snapshot(&rows);
    gs_check(n == 2, "enabled: 2 shapes give 2 rows (%zu)", n);
    check_row(rows, n, "m8n8k8ta0tb1", 3, 2.0 * 8 * 8 * 8);
    check_row(rows, n, "m64n16k32ta0tb1", 2, 2.0 * 64 * 16 * 32);
    free(rows);
    check_csv();

    gs_prof_enable(false);
    gemm_times(5, 8, 8, 8);
    n = gs_prof_snapshot(&rows);
    const gs_prof_entry_t *r = find(rows, n, "m8n8k8ta0tb1");
    gs_check(r && r->calls == 3, "disabled again: calls stay at 3");
    free(rows);
    gs_prof_reset();
    n = gs_prof_snapshot(&rows);
    gs_check(n == 0, "reset forgets every row");
    free(rows);
    return gs_test_done("test_profiler_records_calls");
}
