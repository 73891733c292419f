/* BatchNorm benchmarks: each implementation checked against plain oneDNN, then timed; GB/s and % of triad. */
#include "harness/bench_bn.h"

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
#include "harness/problem_bn.h"
#include "kernels/bn/bn_onednn.h"

enum { BN_SEED = 42, MAX_IMPLS = 5 };
enum { DIR_TRAIN, DIR_INFER, DIR_BWD, DIR_COUNT };
static const char *const dir_names[DIR_COUNT] = {"bn_fwd_train", "bn_fwd_infer", "bn_bwd"};

/* Random data: implementations differ by rounding only, a few units of 1e-7 of the values' scale
 * (see validate_bn.c); 1e-5 leaves room for the uniform inputs' larger sums and is far below what
 * a wrong kernel produces. oneDNN sums the M = n*h*w values of a channel in float, one running sum
 * per thread, so its mean drifts like sqrt(M) roundings (measured 1.6e-5 at M = 65536, 1.5e-5 at
 * M = 200704 with nChw16c): the tolerance grows by 4 sqrt(M) u, still 1e-4 at most on the shapes
 * benchmarked, far below a dropped term or a biased variance. */
#define CHECK_TOL 1e-5
#define CHECK_U (1.0 / 16777216.0)

static double check_tol(const gs_bn_shape_t *s) { return CHECK_TOL + 4.0 * sqrt((double)(s->n * s->hw)) * CHECK_U; }

typedef struct {
    const char *name;
    gs_bn_fwd_train_fn *train;
    gs_bn_fwd_infer_fn *infer;
    gs_bn_bwd_fn *bwd;
    int block; /* > 0: oneDNN on its blocked layout (the functions above are unused) */
} impl_t;

typedef struct {
    gs_bn_shape_t shape;
    impl_t impl;
    int dir;
    const gs_peak_t *peak;
    bool verified;
} case_t;

typedef struct {
    case_t *cases;
    int count;
} set_t;

typedef struct {
    float *x, *dy, *out; /* out: y or dx */
    float *gamma, *beta, *mean, *var, *rm, *rv, *dg, *db;
} bufs_t;

static const char *const shapes_small[] = {"mb64ic128", "mb256ic128", "mb64ic20ih24iw24", "mb64ic50ih8iw8"};
/* 51 MiB per NCHW tensor, 64 MiB per 2-D one: past any L3 a tensor and its output share. */
static const char *const shapes_large[] = {"mb64ic64ih56iw56", "mb65536ic256"};

static void bufs_free(bufs_t *b)
{
    gs_free(b->x), gs_free(b->dy), gs_free(b->out), gs_free(b->gamma);
}

static gs_status_t bufs_alloc(bufs_t *b, const gs_bn_shape_t *s)
{
    const size_t ne = (size_t)(s->n * s->c * s->hw), nc = (size_t)s->c;
    memset(b, 0, sizeof *b);
    b->x = gs_alloc(ne * sizeof(float));
    b->dy = gs_alloc(ne * sizeof(float));
    b->out = gs_alloc(ne * sizeof(float));
    b->gamma = gs_alloc(8 * nc * sizeof(float));
    if (!b->x || !b->dy || !b->out || !b->gamma) {
        bufs_free(b);
        memset(b, 0, sizeof *b);
        return gs_error(GS_ENOMEM, "cannot allocate the BatchNorm buffers (3 x %zu floats)", ne);
    }
    float *v[8] = {NULL};
    for (int i = 0; i < 8; i++)
        v[i] = b->gamma + (size_t)i * nc;
    b->beta = v[1], b->mean = v[2], b->var = v[3], b->rm = v[4], b->rv = v[5], b->dg = v[6], b->db = v[7];
    gs_rng_uniform(BN_SEED, 1, b->x, ne, -1.0f, 3.0f);
    gs_rng_uniform(BN_SEED, 2, b->dy, ne, -1.0f, 1.0f);
    gs_rng_uniform(BN_SEED, 3, b->gamma, nc, 0.5f, 1.5f);
    gs_rng_uniform(BN_SEED, 4, b->beta, nc, -0.5f, 0.5f);
    gs_rng_uniform(BN_SEED, 5, b->rm, nc, 0.5f, 1.5f);
    gs_rng_uniform(BN_SEED, 6, b->rv, nc, 1.0f, 2.0f);
    /* backward runs at these statistics: the batch's, as the oracle computes them */
    gs_bn_fwd_train_ref(s, b->x, b->gamma, b->beta, b->out, b->mean, b->var, NULL, NULL, 0.0f);
    return GS_OK;
}

/* One pass on plain memory; training updates running stats as a training step does. */
static gs_status_t run_plain(const case_t *cs, bufs_t *b, float *out, float *mean, float *var)
{
    const gs_bn_shape_t *s = &cs->shape;
    const impl_t *im = &cs->impl;
    switch (cs->dir) {
    case DIR_TRAIN:
        return gs_bn_fwd_train_with(im->train, s, b->x, b->gamma, b->beta, out, mean, var, b->rm, b->rv, 0.1f);
    case DIR_INFER:
        return gs_bn_fwd_infer_with(im->infer, s, b->x, b->gamma, b->beta, b->rm, b->rv, out);
    default:
        return gs_bn_bwd_with(im->bwd, s, b->x, b->dy, b->gamma, b->mean, b->var, out, b->dg, b->db);
    }
}

static gs_status_t run_blocked(const case_t *cs, gs_bn_blocked_t *bl, bufs_t *b, float *mean, float *var)
{
    switch (cs->dir) {
    case DIR_TRAIN:
        return gs_bn_blocked_fwd_train(bl, b->gamma, b->beta, mean, var);
    case DIR_INFER:
        return gs_bn_blocked_fwd_infer(bl, b->gamma, b->beta, b->rm, b->rv);
    default:
        return gs_bn_blocked_bwd(bl, b->gamma, b->mean, b->var, b->dg, b->db);
    }
}

/* Worst |got - want| / max(|want|, 1). */
static double worst(const float *got, const float *want, size_t n)
{
    double w = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double e = fabs((double)got[i] - (double)want[i]) / fmax(fabs((double)want[i]), 1.0);
        w = e > w || isnan(e) ? e : w;
    }
    return w;
}

/* The first result (y or dx, and for training the statistics) against plain oneDNN's. */
static bool verify(gs_bench_state_t *st, const case_t *cs, bufs_t *b, gs_bn_blocked_t *bl)
{
    const size_t ne = (size_t)(cs->shape.n * cs->shape.c * cs->shape.hw), nc = (size_t)cs->shape.c;
    float *want = gs_alloc(ne * sizeof(float)), *stats = gs_alloc(4 * nc * sizeof(float));
    const case_t dnn = {cs->shape, {"onednn", gs_bn_fwd_train_onednn, gs_bn_fwd_infer_onednn, gs_bn_bwd_onednn, 0},
                        cs->dir, cs->peak, false};
    gs_status_t rs = want && stats ? run_plain(&dnn, b, want, stats, stats + nc)
                                   : gs_error(GS_ENOMEM, "no memory for the check");
    gs_status_t ms = rs;
    if (rs == GS_OK && bl) {
        ms = run_blocked(cs, bl, b, stats + 2 * nc, stats + 3 * nc);
        if (ms == GS_OK)
            ms = gs_bn_blocked_store(bl, cs->dir == DIR_BWD ? NULL : b->out, cs->dir == DIR_BWD ? b->out : NULL);
    } else if (rs == GS_OK) {
        ms = run_plain(cs, b, b->out, stats + 2 * nc, stats + 3 * nc);
    }
    bool ok = false;
    if (ms != GS_OK) {
        gs_bench_state_skip_with_error(st, "%s failed: %s", rs != GS_OK ? "onednn" : cs->impl.name, gs_error_detail());
    } else {
        double e = worst(b->out, want, ne);
        if (cs->dir == DIR_TRAIN)
            e = fmax(e, worst(stats + 2 * nc, stats, 2 * nc));
        ok = e <= check_tol(&cs->shape);
        if (!ok)
            gs_bench_state_skip_with_error(st, "wrong result: error %g against oneDNN (tolerance %g)", e,
                                           check_tol(&cs->shape));
    }
    gs_free(want);
    gs_free(stats);
    return ok;
}

/* The compulsory traffic (as the profiler counts it): x and y, or x, dy and dx, once each. */
static double pass_bytes(const case_t *cs)
{
    const double ne = (double)cs->shape.n * (double)cs->shape.c * (double)cs->shape.hw;
    return 4.0 * ne * (cs->dir == DIR_BWD ? 3.0 : 2.0);
}

static void report(gs_bench_state_t *st, const case_t *cs, int nt, double seconds)
{
    const double gb = pass_bytes(cs) * (double)gs_bench_state_iterations(st) * 1e-9;
    gs_bench_state_set_counter(st, "GB/s", gb, GS_BENCH_COUNTER_RATE);
    const double peak = gs_peak_gbs(cs->peak, nt);
    if (peak > 0 && seconds > 0)
        gs_bench_state_set_counter(st, "pct_peak", 100.0 * gb / seconds / peak, 0);
    gs_bench_state_set_label(st, cs->impl.block ? "peak:triad, reorders untimed" : "peak:triad");
}

static void bench_case(gs_bench_state_t *st, void *user)
{
    case_t *cs = user;
    const int nt = (int)gs_bench_state_arg(st, 0);
    omp_set_num_threads(nt); /* before any oneDNN primitive is built: it splits work for this count */
    bufs_t b;
    gs_bn_blocked_t *bl = NULL;
    gs_status_t s = bufs_alloc(&b, &cs->shape);
    if (s == GS_OK && cs->impl.block) {
        s = gs_bn_blocked_create(&cs->shape, cs->impl.block, &bl);
        if (s == GS_OK)
            s = gs_bn_blocked_load(bl, b.x, b.dy);
    }
    if (s != GS_OK) {
        gs_bench_state_skip_with_error(st, "%s", gs_error_detail());
    } else if (cs->verified || verify(st, cs, &b, bl)) {
        cs->verified = true;
        float *mean = b.dg, *var = b.db; /* training's statistics go to spare vectors */
        const double t0 = gs_now_s();
        while (s == GS_OK && gs_bench_state_keep_running(st))
            s = bl ? run_blocked(cs, bl, &b, mean, var) : run_plain(cs, &b, b.out, mean, var);
        const double seconds = gs_now_s() - t0;
        if (s != GS_OK)
            gs_bench_state_skip_with_error(st, "%s failed: %s", cs->impl.name, gs_error_detail());
        else
            report(st, cs, nt, seconds);
    }
    gs_bn_blocked_free(bl);
    if (b.x)
        bufs_free(&b);
}

static int impl_list(int only_isa, impl_t *out)
{
    int n = 0;
    if (only_isa == GS_ISA_SCALAR) /* the oracle only when asked for by name */
        out[n++] = (impl_t){"scalar", gs_bn_fwd_train_ref, gs_bn_fwd_infer_ref, gs_bn_bwd_ref, 0};
    if ((only_isa < 0 || only_isa == GS_ISA_AVX2) && gs_isa_supported(GS_ISA_AVX2))
        out[n++] = (impl_t){"avx2", gs_bn_fwd_train_avx2, gs_bn_fwd_infer_avx2, gs_bn_bwd_avx2, 0};
    if ((only_isa < 0 || only_isa == GS_ISA_AVX512) && gs_isa_supported(GS_ISA_AVX512))
        out[n++] = (impl_t){"avx512", gs_bn_fwd_train_avx512, gs_bn_fwd_infer_avx512, gs_bn_bwd_avx512, 0};
    out[n++] = (impl_t){"onednn", gs_bn_fwd_train_onednn, gs_bn_fwd_infer_onednn, gs_bn_bwd_onednn, 0};
    /* oneDNN's jit kernels want 16-channel blocks with AVX-512, 8 without */
    const int block = gs_isa_supported(GS_ISA_AVX512) ? 16 : 8;
    out[n++] = (impl_t){block == 16 ? "onednn_nChw16c" : "onednn_nChw8c", NULL, NULL, NULL, block};
    return n;
}

static gs_status_t register_case(case_t *cs, const char *problem, int nt)
{
    char name[160];
    snprintf(name, sizeof name, "%s/%s/%s", dir_names[cs->dir], problem, cs->impl.name);
    gs_bench_opts_t o = {
        .nargs = 1,
        .args = {nt},
        .arg_names = {"threads"},
        .real_time = true, /* OpenMP threads work while the main thread waits */
        .unit = pass_bytes(cs) >= 1e8 ? GS_BENCH_UNIT_MS : GS_BENCH_UNIT_US,
    };
    return gs_bench_register(name, bench_case, cs, &o);
}

gs_status_t gs_bench_bn_register(const gs_bench_op_opts_t *opts, void **out)
{
    *out = NULL;
    if (!opts || !opts->peak || opts->threads < 1 || !opts->thread_counts || opts->nthread_counts < 1)
        return gs_error(GS_EINVAL, "bench bn: missing peaks, threads < 1 or no thread counts");
    const char *problems[8];
    int np = 0;
    for (size_t i = 0; i < sizeof shapes_small / sizeof *shapes_small; i++)
        problems[np++] = shapes_small[i];
    for (size_t i = 0; !opts->quick && i < sizeof shapes_large / sizeof *shapes_large; i++)
        problems[np++] = shapes_large[i];
    impl_t impls[MAX_IMPLS];
    const int ni = impl_list(opts->isa, impls), nthreads = opts->nthread_counts;
    const int *threads = opts->thread_counts;
    set_t *set = calloc(1, sizeof *set);
    if (set)
        set->cases = calloc((size_t)(np * DIR_COUNT * nthreads * ni), sizeof *set->cases);
    *out = set;
    if (!set || !set->cases)
        return gs_error(GS_ENOMEM, "bench bn: out of memory");
    for (int p = 0; p < np; p++) {
        gs_bn_problem_t prob;
        gs_status_t st = gs_bn_problem_parse(problems[p], &prob);
        if (st != GS_OK)
            return st;
        char canon[GS_PROBLEM_STR_MAX];
        gs_bn_problem_str(&prob, canon);
        for (int dir = 0; dir < DIR_COUNT; dir++)
            for (int t = 0; t < nthreads; t++)
                for (int i = 0; i < ni; i++) {
                    case_t *cs = &set->cases[set->count++];
                    *cs = (case_t){gs_bn_problem_shape(&prob), impls[i], dir, opts->peak, false};
                    if ((st = register_case(cs, canon, threads[t])) != GS_OK)
                        return st;
                }
    }
    return GS_OK;
}

void gs_bench_bn_free(void *p)
{
    set_t *set = p;
    if (set)
        free(set->cases);
    free(set);
}
