/* Proves every max-pooling kernel this CPU runs, plus the SIMDe-emulated AVX-512 one, equals oneDNN and the scalar oracle exactly (forward, workspace, backward) on the LeNet and edge shapes, with 1 and 2 threads, and that the validation catches a wrong kernel. */
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/topo.h"
#include "harness/validate_pool.h"
#include "test_util.h"

static size_t impls_under_test(gs_pool_impl_t impls[GS_ISA_COUNT + 1])
{
    size_t n = 0;
    for (int i = 0; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i))
            impls[n++] = gs_pool_impl_for_isa((gs_isa_t)i);
    impls[n++] = (gs_pool_impl_t){"avx512_emu", gs_pool_fwd_avx512_emu, gs_pool_bwd_avx512_emu};
    return n;
}

/* The built-in lists, parsed, and the shape files in tests/inputs/pool, which must hold the same. */
static gs_pool_problem_t *builtin(size_t *n)
{
    const size_t nl = gs_pool_shapes_lenet_count, ne = gs_pool_shapes_edge_count;
    gs_pool_problem_t *list = calloc(nl + ne, sizeof *list);
    for (size_t i = 0; list && i < nl + ne; i++)
        if (gs_pool_problem_parse(i < nl ? gs_pool_shapes_lenet[i] : gs_pool_shapes_edge[i - nl], &list[i]) != GS_OK) {
            free(list);
            return NULL;
        }
    *n = nl + ne;
    return list;
}

static void check_shape_file(const char *name, const gs_pool_problem_t *want, size_t nwant)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/inputs/pool/%s", GS_SOURCE_DIR, name);
    gs_pool_problem_t *file = NULL;
    size_t n = 0;
    gs_status_t st = gs_pool_problems_read(path, &file, &n);
    gs_check(st == GS_OK && n == nwant && memcmp(file, want, n * sizeof *file) == 0,
             "tests/inputs/pool/%s lists the built-in problems (%zu read, %zu built in)", name, n, nwant);
    free(file);
}

static void run_pass(int threads, uint64_t seed, const gs_pool_problem_t *problems, size_t np,
                     const gs_pool_impl_t *impls, size_t ni)
{
    gs_validate_summary_t sum = {0};
    gs_threads_init(threads);
    int failed = gs_validate_pool(problems, np, impls, ni, seed, stdout, &sum);
    gs_check(failed == 0 && sum.tests == (int)(2 * np * ni), "%d thread(s), seed %llu: %d of %d cases pass", threads,
             (unsigned long long)seed, sum.passed, sum.tests);
    gs_check(sum.mistrusted == 0, "%d thread(s): no case is MISTRUSTED (%d are)", threads, sum.mistrusted);
}

/* Sends every gradient to the window's first element, whatever the workspace says. */
static gs_status_t bwd_to_corner(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src)
{
    (void)ws;
    memset(diff_src, 0, (size_t)(s->mb * s->c * s->ih * s->iw) * sizeof(float));
    for (long p = 0; p < s->mb * s->c; p++)
        for (long y = 0; y < s->oh; y++)
            for (long x = 0; x < s->ow; x++)
                diff_src[(p * s->ih + y * s->sh) * s->iw + x * s->sw] += diff_dst[(p * s->oh + y) * s->ow + x];
    return GS_OK;
}

static void check_catches_broken(void)
{
    gs_pool_problem_t p;
    gs_pool_problem_parse("mb2ic3ih8iw8", &p);
    const gs_pool_impl_t broken = {"broken", gs_pool_fwd_ref, bwd_to_corner};
    FILE *devnull = fopen("/dev/null", "w");
    gs_validate_summary_t sum = {0};
    int failed = gs_validate_pool(&p, 1, &broken, 1, 42, devnull ? devnull : stdout, &sum);
    if (devnull)
        fclose(devnull);
    gs_check(failed >= 1, "a backward that ignores the workspace fails validation (%d of %d cases)", failed, sum.tests);
}

int main(void)
{
    gs_topo_init();
    size_t np = 0;
    gs_pool_problem_t *problems = builtin(&np);
    if (!gs_check(problems != NULL, "built-in LeNet and edge problems parse"))
        return gs_test_done("test_pool_matches_onednn");
    check_shape_file("shapes_lenet", problems, gs_pool_shapes_lenet_count);
    check_shape_file("shapes_edge", problems + gs_pool_shapes_lenet_count, gs_pool_shapes_edge_count);
    gs_pool_impl_t impls[GS_ISA_COUNT + 1];
    const size_t ni = impls_under_test(impls);
    run_pass(1, GS_VALIDATE_SEED_DEFAULT, problems, np, impls, ni);
    run_pass(2, GS_VALIDATE_SEED_DEFAULT, problems, np, impls, ni);
    run_pass(2, 20240601, problems, np, impls, ni);
    check_catches_broken();
    free(problems);
    return gs_test_done("test_pool_matches_onednn");
}
