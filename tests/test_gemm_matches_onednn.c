/* Proves every GEMM this CPU runs, plus the SIMDe-emulated AVX-512 one, equals oneDNN and the scalar oracle exactly on the MLP and edge shapes, with 1 and 2 threads. */
#include <stdlib.h>

#include "core/cpu.h"
#include "core/dispatch.h"
#include "core/topo.h"
#include "harness/validate_gemm.h"
#include "test_util.h"

/* Every native ISA this CPU runs, then the emulated AVX-512 build, which runs everywhere. */
static size_t impls_under_test(gs_gemm_impl_t impls[GS_ISA_COUNT + 1])
{
    size_t n = 0;
    for (int i = 0; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i))
            impls[n++] = (gs_gemm_impl_t){gs_isa_name((gs_isa_t)i), gs_gemm_for_isa((gs_isa_t)i)};
    impls[n++] = (gs_gemm_impl_t){"avx512_emu", gs_gemm_avx512_emu};
    return n;
}

static void run_pass(const char *what, int threads, uint64_t seed, const gs_gemm_problem_t *problems, size_t np,
                     const gs_gemm_impl_t *impls, size_t ni)
{
    gs_validate_summary_t sum = {0};
    gs_threads_init(threads);
    int failed = gs_validate_gemm(problems, np, impls, ni, seed, stdout, &sum);
    gs_check(failed == 0 && sum.tests == (int)(np * ni), "%s%d thread(s), seed %llu: %d of %d cases pass", what,
             threads, (unsigned long long)seed, sum.passed, sum.tests);
    gs_check(sum.mistrusted == 0, "%s%d thread(s): no case is MISTRUSTED (%d are)", what, threads, sum.mistrusted);
}

/* The driver's tuning overrides (ctest registers this program once per setting: the driver reads
 * them once per process), for the report. */
static const char *blocking_mode(void)
{
    static char buf[160];
    const char *names[5] = {"GS_GEMM_KC", "GS_GEMM_MC", "GS_GEMM_NC", "GS_GEMM_DIRECT_A", "GS_GEMM_DIRECT_B"};
    size_t len = 0;
    for (int i = 0; i < 5; i++)
        if (getenv(names[i]))
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s=%s ", names[i], getenv(names[i]));
    return len ? buf : "default blocking ";
}

int main(void)
{
    gs_gemm_problem_t *problems;
    size_t np;
    gs_topo_init();
    if (!gs_check(gs_gemm_problems_default(&problems, &np) == GS_OK, "built-in MLP and edge problems parse"))
        return gs_test_done("test_gemm_matches_onednn");
    gs_gemm_impl_t impls[GS_ISA_COUNT + 1];
    size_t ni = impls_under_test(impls);
    const char *mode = blocking_mode();
    run_pass(mode, 1, GS_VALIDATE_SEED_DEFAULT, problems, np, impls, ni);
    run_pass(mode, 2, GS_VALIDATE_SEED_DEFAULT, problems, np, impls, ni);
    run_pass(mode, 2, 20240601, problems, np, impls, ni);
    free(problems);
    return gs_test_done("test_gemm_matches_onednn");
}
