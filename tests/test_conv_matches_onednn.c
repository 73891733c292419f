/* Proves every convolution this CPU runs, plus the SIMDe-emulated AVX-512 one, equals oneDNN and the scalar oracle exactly in all five directions on LeNet and edge shapes, with 1 and 2 threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/topo.h"
#include "harness/validate_conv.h"
#include "test_util.h"

/* Every native vector ISA this CPU runs, then the emulated AVX-512 build, which runs everywhere. */
static size_t impls_under_test(gs_conv_impl_t impls[GS_ISA_COUNT + 1])
{
    size_t n = 0;
    for (int i = GS_ISA_SCALAR + 1; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i))
            impls[n++] = gs_conv_impl_for_isa((gs_isa_t)i);
    impls[n++] = (gs_conv_impl_t){"avx512_emu", gs_conv_fwd_avx512_emu, gs_conv_bwd_data_avx512_emu,
                                  gs_conv_bwd_weights_avx512_emu};
    return n;
}

static void run_pass(int threads, uint64_t seed, const gs_conv_problem_t *problems, size_t np,
                     const gs_conv_impl_t *impls, size_t ni)
{
    gs_validate_summary_t sum = {0};
    gs_threads_init(threads);
    int failed = gs_validate_conv(problems, np, impls, ni, seed, stdout, &sum);
    gs_check(failed == 0 && sum.tests == (int)(np * ni * 5), "%d thread(s), seed %llu: %d of %d cases pass", threads,
             (unsigned long long)seed, sum.passed, sum.tests);
    gs_check(sum.mistrusted == 0, "%d thread(s): no case is MISTRUSTED (%d are)", threads, sum.mistrusted);
}

/* The shipped shape files list exactly the built-in problems, in order. */
static void check_shipped_file(const char *name, const char *const *builtin, size_t count)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/inputs/conv/%s", GS_SOURCE_DIR, name);
    gs_conv_problem_t *file = NULL, *list = NULL;
    size_t nf = 0, nl = 0;
    bool ok = gs_conv_problems_read(path, &file, &nf) == GS_OK &&
              gs_conv_problems_parse_list(builtin, count, &list, &nl) == GS_OK && nf == nl;
    for (size_t i = 0; ok && i < nf; i++)
        ok = memcmp(&file[i], &list[i], sizeof file[i]) == 0;
    gs_check(ok, "tests/inputs/conv/%s holds the %zu built-in problems (%zu read)", name, count, nf);
    free(file);
    free(list);
}

int main(void)
{
    gs_topo_init();
    check_shipped_file("shapes_lenet", gs_conv_shapes_lenet, gs_conv_shapes_lenet_count);
    check_shipped_file("shapes_edge", gs_conv_shapes_edge, gs_conv_shapes_edge_count);
    /* LeNet at batch 64 (batch 256 only repeats it, at four times the oracle's time) and every edge shape. */
    const char *strings[64];
    size_t n = 0;
    strings[n++] = gs_conv_shapes_lenet[0];
    strings[n++] = gs_conv_shapes_lenet[1];
    for (size_t i = 0; i < gs_conv_shapes_edge_count && n < 64; i++)
        strings[n++] = gs_conv_shapes_edge[i];
    gs_conv_problem_t *problems;
    size_t np;
    if (!gs_check(gs_conv_problems_parse_list(strings, n, &problems, &np) == GS_OK, "LeNet and edge problems parse"))
        return gs_test_done("test_conv_matches_onednn");
    gs_conv_impl_t impls[GS_ISA_COUNT + 1];
    const size_t ni = impls_under_test(impls);
    run_pass(1, GS_VALIDATE_SEED_DEFAULT, problems, np, impls, ni);
    run_pass(2, GS_VALIDATE_SEED_DEFAULT, problems, np, impls, ni);
    run_pass(2, 20240601, problems, np, impls, ni);
    free(problems);
    return gs_test_done("test_conv_matches_onednn");
}
