/* Max-pooling benchmarks: each implementation checked against oneDNN, then timed; GB/s and % of triad. */
#include "harness/bench_pool.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/dispatch.h"
#include "core/mem.h"
#include "core/rng.h"
#include "harness/gbench.h"
#include "harness/problem_pool.h"

enum { POOL_SEED = 42, MAX_IMPLS = 4 };

typedef struct {
    const char *name;
    gs_pool_fwd_fn *fwd;
    gs_pool_bwd_fn *bwd;
} impl_t;

typedef struct {
    gs_pool_shape_t shape;
    impl_t impl;
    int backward;
    const gs_peak_t *peak;
    bool verified; /* Google Benchmark calls a benchmark several times; checking once is enough */
} case_t;

typedef struct {
    case_t *cases;
    int count;
} set_t;

typedef struct {
    float *src, *dst, *dy, *dx;
    void *ws;
} bufs_t;

/* LeNet's two poolings at batch 64, then a 51 MiB map that no cache holds. */
static const char *const shapes_lenet[] = {"mb64ic20ih24iw24kh2kw2sh2sw2", "mb64ic50ih8iw8kh2kw2sh2sw2"};
static const char *const shapes_large[] = {"mb64ic64ih56iw56kh2kw2sh2sw2"};

static void bufs_free(bufs_t *b)
{
    gs_free(b->src), gs_free(b->dst), gs_free(b->dy), gs_free(b->dx), gs_free(b->ws);
}

/* Integers distinct inside every window (no ties, so every implementation routes the same way) and
 * small integer gradients: results are exact and comparable bit for bit. */
static gs_status_t bufs_alloc(bufs_t *b, const gs_pool_shape_t *s)
{
    const size_t ni = (size_t)(s->mb * s->c * s->ih * s->iw), no = (size_t)(s->mb * s->c * s->oh * s->ow);
    b->src = gs_alloc(ni * sizeof(float));
    b->dx = gs_alloc(ni * sizeof(float));
    b->dst = gs_alloc(no * sizeof(float));
    b->dy = gs_alloc(no * sizeof(float));
    b->ws = gs_alloc(gs_pool_ws_bytes(s));
    if (!b->src || !b->dx || !b->dst || !b->dy || !b->ws) {
        bufs_free(b);
        return gs_error(GS_ENOMEM, "cannot allocate the pooling buffers (%zu + %zu floats)", ni, no);
    }
    const long k = s->kh * s->kw;
    for (size_t i = 0; i < ni; i++) {
        const long col = (long)(i % (size_t)s->iw), row = (long)(i / (size_t)s->iw % (size_t)s->ih);
        const long base = (long)(gs_rng_u32(POOL_SEED, 1, i) % 2001) - 1000;
        b->src[i] = (float)(base * k + (row % s->kh) * s->kw + col % s->kw);
    }
    for (size_t i = 0; i < no; i++)
        b->dy[i] = (float)((long)(gs_rng_u32(POOL_SEED, 2, i) % 17) - 8);
    return GS_OK;
}

/* The pass being timed, with its forward first for backward (the workspace it reads). */
static gs_status_t run_once(const case_t *cs, bufs_t *b, float *out)
{
    const gs_pool_shape_t *s = &cs->shape;
    if (!cs->backward)
        return gs_pool_fwd_with(cs->impl.fwd, s, b->src, out, b->ws);
    gs_status_t st = gs_pool_fwd_with(cs->impl.fwd, s, b->src, b->dst, b->ws);
    return st == GS_OK ? gs_pool_bwd_with(cs->impl.bwd, s, b->dy, b->ws, out) : st;
}

/* The implementation's first result against oneDNN's, exact (see bufs_alloc); a wrong kernel is
 * reported, never timed. The untimed calls also absorb first-call costs. */
static bool verify(gs_bench_state_t *st, const case_t *cs, bufs_t *b)
{
    const gs_pool_shape_t *s = &cs->shape;
    const size_t n = cs->backward ? (size_t)(s->mb * s->c * s->ih * s->iw) : (size_t)(s->mb * s->c * s->oh * s->ow);
    float *want = gs_alloc(n * sizeof(float)), *got = gs_alloc(n * sizeof(float));
    const case_t dnn = {cs->shape, {"onednn", gs_pool_fwd_onednn, gs_pool_bwd_onednn}, cs->backward, cs->peak, false};
    gs_status_t rs = want && got ? run_once(&dnn, b, want) : gs_error(GS_ENOMEM, "no memory for the check");
    gs_status_t ms = rs == GS_OK ? run_once(cs, b, got) : rs;
    bool ok = false;
    if (ms != GS_OK) {
        gs_bench_state_skip_with_error(st, "%s failed: %s", rs != GS_OK ? "onednn" : cs->impl.name, gs_error_detail());
    } else {
        size_t bad = 0, first = 0;
        for (size_t i = n; i-- > 0;)
            if (got[i] != want[i])
                bad++, first = i;
        ok = bad == 0;
        if (!ok)
            gs_bench_state_skip_with_error(st, "wrong result: %zu of %zu elements differ from oneDNN, first at %zu "
                                           "(%g vs %g)", bad, n, first, (double)got[first], (double)want[first]);
    }
    gs_free(want);
    gs_free(got);
    return ok;
}

/* Bytes a pass moves at least (as the profiler counts them): src or diff_src, dst or diff_dst and
 * the workspace indices once each. */
static double pass_bytes(const gs_pool_shape_t *s)
{
    const double in = (double)s->mb * s->c * s->ih * s->iw, out = (double)s->mb * s->c * s->oh * s->ow;
    return 4.0 * (in + out) + out * (double)gs_pool_ws_index_bytes(s);
}

static void report(gs_bench_state_t *st, const case_t *cs, int nt, double seconds)
{
    const double gb = pass_bytes(&cs->shape) * (double)gs_bench_state_iterations(st) * 1e-9;
    gs_bench_state_set_counter(st, "GB/s", gb, GS_BENCH_COUNTER_RATE);
    const double peak = gs_peak_gbs(cs->peak, nt);
    if (peak > 0 && seconds > 0)
        gs_bench_state_set_counter(st, "pct_peak", 100.0 * gb / seconds / peak, 0);
    gs_bench_state_set_label(st, "peak:triad");
}

static void bench_case(gs_bench_state_t *st, void *user)
{
    case_t *cs = user;
    const int nt = (int)gs_bench_state_arg(st, 0);
    omp_set_num_threads(nt);
    bufs_t b;
    if (bufs_alloc(&b, &cs->shape) != GS_OK) {
        gs_bench_state_skip_with_error(st, "%s", gs_error_detail());
        return;
    }
    if (!cs->verified && !verify(st, cs, &b)) {
        bufs_free(&b);
        return;
    }
    cs->verified = true;
    gs_status_t s = run_once(cs, &b, cs->backward ? b.dx : b.dst); /* the workspace of this implementation */
    const double t0 = gs_now_s();
    while (s == GS_OK && gs_bench_state_keep_running(st))
        s = cs->backward ? gs_pool_bwd_with(cs->impl.bwd, &cs->shape, b.dy, b.ws, b.dx)
                         : gs_pool_fwd_with(cs->impl.fwd, &cs->shape, b.src, b.dst, b.ws);
    const double seconds = gs_now_s() - t0;
    if (s != GS_OK)
        gs_bench_state_skip_with_error(st, "%s failed: %s", cs->impl.name, gs_error_detail());
    else
        report(st, cs, nt, seconds);
    bufs_free(&b);
}

/* Ours for each vector ISA (or the one --isa names), then oneDNN. */
static int impl_list(int only_isa, impl_t *out)
{
    int n = 0;
    if (only_isa == GS_ISA_SCALAR) /* the oracle only when asked for by name */
        out[n++] = (impl_t){"scalar", gs_pool_fwd_ref, gs_pool_bwd_ref};
    if ((only_isa < 0 || only_isa == GS_ISA_AVX2) && gs_isa_supported(GS_ISA_AVX2))
        out[n++] = (impl_t){"avx2", gs_pool_fwd_avx2, gs_pool_bwd_avx2};
    if ((only_isa < 0 || only_isa == GS_ISA_AVX512) && gs_isa_supported(GS_ISA_AVX512))
        out[n++] = (impl_t){"avx512", gs_pool_fwd_avx512, gs_pool_bwd_avx512};
    out[n++] = (impl_t){"onednn", gs_pool_fwd_onednn, gs_pool_bwd_onednn};
    return n;
}

static gs_status_t register_case(case_t *cs, const char *problem, int nt)
{
    char name[160];
    snprintf(name, sizeof name, "%s/%s/%s", cs->backward ? "pool_bwd" : "pool_fwd", problem, cs->impl.name);
    const double bytes = pass_bytes(&cs->shape);
    gs_bench_opts_t o = {
        .nargs = 1,
        .args = {nt},
        .arg_names = {"threads"},
        .real_time = true, /* OpenMP threads work while the main thread waits */
        .unit = bytes >= 1e8 ? GS_BENCH_UNIT_MS : GS_BENCH_UNIT_US,
    };
    return gs_bench_register(name, bench_case, cs, &o);
}

gs_status_t gs_bench_pool_register(const gs_bench_op_opts_t *opts, void **out)
{
    *out = NULL;
    if (!opts || !opts->peak || opts->threads < 1 || !opts->thread_counts || opts->nthread_counts < 1)
        return gs_error(GS_EINVAL, "bench pool: missing peaks, threads < 1 or no thread counts");
    const char *problems[4];
    int np = 0;
    for (size_t i = 0; i < sizeof shapes_lenet / sizeof *shapes_lenet; i++)
        problems[np++] = shapes_lenet[i];
    for (size_t i = 0; !opts->quick && i < sizeof shapes_large / sizeof *shapes_large; i++)
        problems[np++] = shapes_large[i];
    impl_t impls[MAX_IMPLS];
    const int ni = impl_list(opts->isa, impls), nthreads = opts->nthread_counts;
    const int *threads = opts->thread_counts;
    set_t *set = calloc(1, sizeof *set);
    if (set)
        set->cases = calloc((size_t)(np * 2 * nthreads * ni), sizeof *set->cases);
    *out = set;
    if (!set || !set->cases)
        return gs_error(GS_ENOMEM, "bench pool: out of memory");
    for (int p = 0; p < np; p++) {
        gs_pool_problem_t prob;
        gs_status_t st = gs_pool_problem_parse(problems[p], &prob);
        if (st != GS_OK)
            return st;
        char canon[GS_PROBLEM_STR_MAX];
        gs_pool_problem_str(&prob, canon);
        for (int dir = 0; dir < 2; dir++)
            for (int t = 0; t < nthreads; t++)
                for (int i = 0; i < ni; i++) {
                    case_t *cs = &set->cases[set->count++];
                    *cs = (case_t){gs_pool_problem_shape(&prob), impls[i], dir, opts->peak, false};
                    if ((st = register_case(cs, canon, threads[t])) != GS_OK)
                        return st;
                }
    }
    return GS_OK;
}

void gs_bench_pool_free(void *p)
{
    set_t *set = p;
    if (set)
        free(set->cases);
    free(set);
}
