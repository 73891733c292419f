/* Proves every optimizer kernel this CPU runs (SGD, momentum, Adam, SDAGD over three steps, sum of squares, scaling, Gaussian noise), plus the SIMDe-emulated AVX-512 one, matches the double-precision oracle on the scenarios' parameter buffers and edge sizes, with 1 and 2 threads (oneDNN has no optimizers). */
#include <stdlib.h>

#include "core/topo.h"
#include "harness/validate_eltwise.h"
#include "test_util.h"

static size_t impls_under_test(gs_optim_impl_t impls[GS_ISA_COUNT + 1])
{
    size_t n = 0;
    for (int i = 0; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i))
            impls[n++] = gs_optim_impl_for_isa((gs_isa_t)i);
    impls[n++] = (gs_optim_impl_t){"avx512_emu", gs_opt_step_avx512_emu, gs_sumsq_avx512_emu, gs_scale_avx512_emu, gs_add_noise_avx512_emu};
    return n;
}

static void run_pass(int threads, uint64_t seed, const gs_optim_problem_t *problems, size_t np,
                     const gs_optim_impl_t *impls, size_t ni)
{
    gs_validate_summary_t sum = {0};
    gs_threads_init(threads);
    int failed = gs_validate_optim(problems, np, impls, ni, seed, stdout, &sum);
    gs_check(failed == 0 && sum.tests >= (int)(np * ni), "%d thread(s), seed %llu: %d of %d cases pass", threads,
             (unsigned long long)seed, sum.passed + sum.mistrusted, sum.tests);
}

int main(void)
{
    gs_optim_problem_t *problems;
    size_t np;
    gs_topo_init();
    if (!gs_check(gs_optim_problems_default(&problems, &np) == GS_OK, "built-in optim problems parse"))
        return gs_test_done("test_optim_matches_oracle");
    gs_optim_impl_t impls[GS_ISA_COUNT + 1];
    const size_t ni = impls_under_test(impls);
    run_pass(1, 42, problems, np, impls, ni);
    run_pass(2, 42, problems, np, impls, ni);
    run_pass(2, 20240601, problems, np, impls, ni);
    free(problems);
    return gs_test_done("test_optim_matches_oracle");
}
