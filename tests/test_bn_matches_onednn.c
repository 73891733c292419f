/* Proves every BatchNorm kernel this CPU runs, plus the SIMDe-emulated AVX-512 one, agrees with oneDNN and the double oracle (training forward with running stats, inference, backward; in place too) within the stated thresholds on the MLP, LeNet and edge shapes, with 1 and 2 threads, and that the validation catches a wrong kernel. */
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/topo.h"
#include "harness/validate_bn.h"
#include "test_util.h"

static size_t impls_under_test(gs_bn_impl_t impls[GS_ISA_COUNT + 1])
{
    size_t n = 0;
    for (int i = 0; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i))
            impls[n++] = gs_bn_impl_for_isa((gs_isa_t)i);
    impls[n++] = (gs_bn_impl_t){"avx512_emu", gs_bn_fwd_train_avx512_emu, gs_bn_fwd_infer_avx512_emu,
                                gs_bn_bwd_avx512_emu};
    return n;
}

static gs_bn_problem_t *parse_all(const char *const *strings, size_t n)
{
    gs_bn_problem_t *list = calloc(n ? n : 1, sizeof *list);
    for (size_t i = 0; list && i < n; i++)
        if (gs_bn_problem_parse(strings[i], &list[i]) != GS_OK) {
            free(list);
            return NULL;
        }
    return list;
}

static void check_shape_file(const char *name, const gs_bn_problem_t *want, size_t nwant)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/inputs/bn/%s", GS_SOURCE_DIR, name);
    gs_bn_problem_t *file = NULL;
    size_t n = 0;
    gs_status_t st = gs_bn_problems_read(path, &file, &n);
    gs_check(st == GS_OK && n == nwant && memcmp(file, want, n * sizeof *file) == 0,
             "tests/inputs/bn/%s lists the built-in problems (%zu read, %zu built in)", name, n, nwant);
    free(file);
}

static void run_pass(int threads, uint64_t seed, const char *what, const gs_bn_problem_t *problems, size_t np,
                     const gs_bn_impl_t *impls, size_t ni)
{
    gs_validate_summary_t sum = {0};
    gs_threads_init(threads);
    int failed = gs_validate_bn(problems, np, impls, ni, seed, stdout, &sum);
    gs_check(failed == 0 && sum.tests == (int)(np * ni), "%s, %d thread(s), seed %llu: %d of %d cases pass", what,
             threads, (unsigned long long)seed, sum.passed, sum.tests);
    gs_check(sum.mistrusted == 0, "%s, %d thread(s): no case is MISTRUSTED (%d are)", what, threads, sum.mistrusted);
}

/* The oracle with eps added outside the square root's reach: y off by ~1e-4 of its scale. */
static gs_status_t train_eps_misplaced(const gs_bn_shape_t *s, const float *x, const float *gamma, const float *beta,
                                       float *y, float *mean, float *var, float *rm, float *rv, float momentum)
{
    gs_bn_shape_t t = *s;
    t.eps = s->eps + 1e-3f;
    gs_status_t st = gs_bn_fwd_train_ref(&t, x, gamma, beta, y, mean, var, rm, rv, momentum);
    return st;
}

/* The backward without the terms through mean and variance (dx = gamma rstd dy). */
static gs_status_t bwd_plain_scale(const gs_bn_shape_t *s, const float *x, const float *dy, const float *gamma,
                                   const float *mean, const float *var, float *dx, float *dgamma, float *dbeta)
{
    gs_status_t st = gs_bn_bwd_ref(s, x, dy, gamma, mean, var, dx, dgamma, dbeta);
    for (long i = 0; i < s->n * s->c * s->hw; i++) {
        const long c = i / s->hw % s->c;
        float rstd = 1.0f;
        for (int k = 0; k < 30; k++) /* Newton for 1/sqrt without libm: plenty for this check */
            rstd = rstd * (1.5f - 0.5f * (var[c] + s->eps) * rstd * rstd);
        dx[i] = gamma[c] * rstd * dy[i];
    }
    return st;
}

static void check_catches_broken(void)
{
    gs_bn_problem_t p[2];
    gs_bn_problem_parse("mb64ic128", &p[0]);
    gs_bn_problem_parse("mb4ic3ih5iw5", &p[1]);
    const gs_bn_impl_t broken[2] = {{"eps_misplaced", train_eps_misplaced, gs_bn_fwd_infer_ref, gs_bn_bwd_ref},
                                    {"dx_plain", gs_bn_fwd_train_ref, gs_bn_fwd_infer_ref, bwd_plain_scale}};
    FILE *devnull = fopen("/dev/null", "w");
    gs_validate_summary_t sum = {0};
    int failed = gs_validate_bn(p, 2, broken, 2, 42, devnull ? devnull : stdout, &sum);
    if (devnull)
        fclose(devnull);
    gs_check(failed == 4, "a misplaced eps and a dx without the statistics' terms fail validation (%d of %d cases)",
             failed, sum.tests);
}

int main(void)
{
    gs_topo_init();
    gs_bn_problem_t *mlp = parse_all(gs_bn_shapes_mlp, gs_bn_shapes_mlp_count);
    gs_bn_problem_t *edge = parse_all(gs_bn_shapes_edge, gs_bn_shapes_edge_count);
    if (!gs_check(mlp && edge, "built-in MLP and edge problems parse"))
        return gs_test_done("test_bn_matches_onednn");
    check_shape_file("shapes_mlp", mlp, gs_bn_shapes_mlp_count);
    check_shape_file("shapes_edge", edge, gs_bn_shapes_edge_count);
    gs_bn_impl_t impls[GS_ISA_COUNT + 1];
    const size_t ni = impls_under_test(impls);
    /* The streaming-store shapes (over 2^22 elements, listed last) take most of the time: they run
     * with 2 threads only, which splits their work; everything else with 1 and with 2. */
    size_t small = gs_bn_shapes_edge_count;
    while (small > 0) {
        const gs_bn_shape_t s = gs_bn_problem_shape(&edge[small - 1]);
        if ((double)s.n * (double)s.c * (double)s.hw <= (double)(1L << 22))
            break;
        small--;
    }
    for (int threads = 1; threads <= 2; threads++) {
        run_pass(threads, GS_VALIDATE_SEED_DEFAULT, "MLP and LeNet shapes", mlp, gs_bn_shapes_mlp_count, impls, ni);
        run_pass(threads, GS_VALIDATE_SEED_DEFAULT, "edge shapes", edge, small, impls, ni);
    }
    run_pass(2, GS_VALIDATE_SEED_DEFAULT, "streaming-store shapes", edge + small, gs_bn_shapes_edge_count - small, impls,
             ni);
    run_pass(2, 20240601, "MLP and LeNet shapes", mlp, gs_bn_shapes_mlp_count, impls, ni);
    check_catches_broken();
    free(mlp);
    free(edge);
    return gs_test_done("test_bn_matches_onednn");
}
