/* Proves every softmax cross-entropy and MSE kernel this CPU runs, plus the SIMDe-emulated AVX-512 one, matches the double-precision oracle and oneDNN (loss, correct count, dlogits, with and without dlogits) on the scenarios' batches and edge shapes, with 1 and 2 threads. */
#include <stdlib.h>

#include "core/topo.h"
#include "harness/validate_eltwise.h"
#include "test_util.h"

static size_t impls_under_test(gs_softmax_ce_impl_t impls[GS_ISA_COUNT + 1])
{
    size_t n = 0;
    for (int i = 0; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i))
            impls[n++] = gs_softmax_ce_impl_for_isa((gs_isa_t)i);
    impls[n++] = (gs_softmax_ce_impl_t){"avx512_emu", gs_softmax_ce_avx512_emu, gs_softmax_mse_avx512_emu};
    return n;
}

static void run_pass(int threads, uint64_t seed, const gs_softmax_ce_problem_t *problems, size_t np,
                     const gs_softmax_ce_impl_t *impls, size_t ni)
{
    gs_validate_summary_t sum = {0};
    gs_threads_init(threads);
    int failed = gs_validate_softmax_ce(problems, np, impls, ni, seed, stdout, &sum);
    gs_check(failed == 0 && sum.tests == (int)(2 * np * ni), "%d thread(s), seed %llu: %d of %d cases pass", threads,
             (unsigned long long)seed, sum.passed + sum.mistrusted, sum.tests);
    gs_check(sum.mistrusted == 0, "%d thread(s): no case is MISTRUSTED (%d are)", threads, sum.mistrusted);
}

int main(void)
{
    gs_softmax_ce_problem_t *problems;
    size_t np;
    gs_topo_init();
    if (!gs_check(gs_softmax_ce_problems_default(&problems, &np) == GS_OK, "built-in softmax_ce problems parse"))
        return gs_test_done("test_softmax_ce_matches_onednn");
    gs_softmax_ce_impl_t impls[GS_ISA_COUNT + 1];
    const size_t ni = impls_under_test(impls);
    run_pass(1, 42, problems, np, impls, ni);
    run_pass(2, 42, problems, np, impls, ni);
    run_pass(2, 20240601, problems, np, impls, ni);
    free(problems);
    return gs_test_done("test_softmax_ce_matches_onednn");
}
