/* GEMM benchmarks: each implementation checked against oneDNN, then timed; GFLOP/s and % of measured peak. */
#include "harness/bench_gemm.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/dispatch.h"
#include "core/mem.h"
#include "core/rng.h"
#include "harness/bench_peers.h"
#include "harness/gbench.h"

enum { GEMM_SEED = 42, MAX_SHAPES = 24, MAX_IMPLS = 8, MLP_SHAPES = 7 };

typedef struct {
    long m, n, k;
    bool ta, tb;
} gemm_shape_t;

typedef struct {
    const char *name;  /* the implementation part of the benchmark name */
    gs_gemm_fn *fn;
    gs_isa_t peak_isa; /* whose FMA peak pct_peak divides by */
    int peer;          /* gs_peer_id_t whose own thread count must be set, or -1 (OpenMP) */
    bool ours;
} gemm_impl_t;

struct gs_gemm_case {
    gemm_shape_t shape;
    gemm_impl_t impl;
    const gs_peak_t *peak;
    bool verified; /* Google Benchmark calls a benchmark several times; checking once is enough */
    gemm_impl_t peer; /* paired cases (rounds > 0): the library `impl` alternates with */
    int rounds;
};

typedef struct {
    float *a, *b, *c;
} gemm_bufs_t;

static const gemm_shape_t square_shapes[] = {{1024, 1024, 1024, false, false},
                                             {2048, 2048, 2048, false, false}};

/* The GEMMs of one training step of the scenarios' MLP (784 -> 128 -> ... -> 128 -> 10) at batch
 * `b`: forward Y = X W^T, weight gradient dW = dY^T X, data gradient dX = dY W. */
static int mlp_shapes(long b, gemm_shape_t *out)
{
    const gemm_shape_t s[MLP_SHAPES] = {
        {b, 128, 784, false, true},  {b, 128, 128, false, true},  {b, 10, 128, false, true},
        {784, 128, b, true, false},  {128, 128, b, true, false},  {b, 784, 128, false, false},
        {b, 128, 128, false, false},
    };
    for (int i = 0; i < MLP_SHAPES; i++)
        out[i] = s[i];
    return MLP_SHAPES;
}

static int shape_list(bool quick, gemm_shape_t *out)
{
    int n = 0;
    out[n++] = square_shapes[0];
    if (!quick)
        out[n++] = square_shapes[1];
    n += mlp_shapes(64, out + n);
    if (!quick)
        n += mlp_shapes(256, out + n);
    return n;
}

/* Ours for each vector ISA (scalar only when asked for by name), then oneDNN and the loaded peers.
 * The libraries pick their own ISA, so they are held to the widest peak the CPU has. */
static int impl_list(int only_isa, gemm_impl_t *out)
{
    int n = 0;
    for (int isa = GS_ISA_SCALAR; isa < GS_ISA_COUNT; isa++) {
        bool wanted = only_isa < 0 ? isa != GS_ISA_SCALAR : isa == only_isa;
        gs_gemm_fn *fn = gs_gemm_for_isa((gs_isa_t)isa);
        if (wanted && fn)
            out[n++] = (gemm_impl_t){gs_isa_name((gs_isa_t)isa), fn, (gs_isa_t)isa, -1, true};
    }
    const gs_isa_t best = gs_isa_best();
    out[n++] = (gemm_impl_t){"onednn", gs_gemm_onednn, best, -1, false};
    for (int id = 0; id < GS_PEER_COUNT; id++) {
        const gs_peer_t *p = gs_peer_get((gs_peer_id_t)id);
        if (p->loaded)
            out[n++] = (gemm_impl_t){p->name, p->gemm, best, id, false};
    }
    return n;
}

/* The caller's implementations instead of impl_list's, ours first (GS_EINVAL otherwise). */
static gs_status_t given_impls(const gs_bench_gemm_impl_t *given, int n, gemm_impl_t *out)
{
    if (n < 1 || n > MAX_IMPLS)
        return gs_error(GS_EINVAL, "bench gemm: %d implementations (1 to %d)", n, MAX_IMPLS);
    for (int i = 0; i < n; i++) {
        if (!given[i].name || !given[i].fn)
            return gs_error(GS_EINVAL, "bench gemm: implementation %d has no name or function", i);
        if (given[i].ours && i > 0 && !given[i - 1].ours)
            return gs_error(GS_EINVAL, "bench gemm: '%s' is ours but comes after a library", given[i].name);
        out[i] = (gemm_impl_t){given[i].name, given[i].fn, gs_isa_best(), -1, given[i].ours};
    }
    return GS_OK;
}

/* How many of the implementations are ours (they come first). */
static int ours_count(const gemm_impl_t *impls, int n)
{
    int ours = 0;
    while (ours < n && impls[ours].ours)
        ours++;
    return ours;
}

static double gemm_flops(const gemm_shape_t *s) { return 2.0 * (double)s->m * (double)s->n * (double)s->k; }

/* Both OpenMP and the peer's own threading: OpenBLAS and BLIS ignore omp_set_num_threads. */
static void set_threads(const gemm_impl_t *impl, int nt)
{
    omp_set_num_threads(nt);
    if (impl->peer >= 0)
        gs_peer_set_threads((gs_peer_id_t)impl->peer, nt);
}

static void bufs_free(gemm_bufs_t *buf)
{
    gs_free(buf->a);
    gs_free(buf->b);
    gs_free(buf->c);
}

/* A and B uniform in [-1, 1) from a fixed seed, so every implementation sees the same numbers. */
static gs_status_t bufs_alloc(gemm_bufs_t *buf, const gemm_shape_t *s)
{
    const size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
    buf->a = gs_alloc(na * sizeof(float));
    buf->b = gs_alloc(nb * sizeof(float));
    buf->c = gs_calloc(nc * sizeof(float));
    if (!buf->a || !buf->b || !buf->c) {
        bufs_free(buf);
        return gs_error(GS_ENOMEM, "cannot allocate A, B and C (%zu floats)", na + nb + nc);
    }
    gs_rng_uniform(GEMM_SEED, 1, buf->a, na, -1.0f, 1.0f);
    gs_rng_uniform(GEMM_SEED, 2, buf->b, nb, -1.0f, 1.0f);
    return GS_OK;
}

/* C = op(A) op(B), alpha 1 and beta 0: what a layer's forward or gradient GEMM does. */
static gs_status_t gemm_once(gs_gemm_fn *fn, const gemm_shape_t *s, const gemm_bufs_t *buf, float *c)
{
    const long lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    return gs_gemm_with(fn, s->ta, s->tb, s->m, s->n, s->k, 1.0f, buf->a, lda, buf->b, ldb, 0.0f, c, s->n);
}

/* Two correct implementations differ only by summation order: O(k eps) per element at worst for
 * inputs in [-1, 1). 8 eps per term admits any blocking and FMA contraction, while a lost or
 * repeated term (an error of order |a*b| ~ 0.3) is far above it. */
static double gemm_tolerance(long k) { return 8.0 * FLT_EPSILON * (double)k; }

/* The largest |c - ref| and where it is; NaN counts as infinitely wrong. */
static double max_abs_error(const float *c, const float *ref, size_t n, size_t *where)
{
    double worst = 0;
    *where = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)c[i] - (double)ref[i]);
        if (isnan(e))
            e = INFINITY;
        if (e > worst) {
            worst = e;
            *where = i;
        }
    }
    return worst;
}

/* Runs the implementation once against oneDNN; a wrong kernel is reported, never timed. The
 * untimed calls also absorb first-call costs (JIT, thread start-up, page faults). */
static bool verify(gs_bench_state_t *st, const gemm_shape_t *s, const gemm_impl_t *impl, gemm_bufs_t *buf)
{
    float *ref = gs_calloc((size_t)s->m * s->n * sizeof(float));
    if (!ref) {
        gs_bench_state_skip_with_error(st, "cannot allocate the oneDNN reference C");
        return false;
    }
    gs_status_t rs = gemm_once(gs_gemm_onednn, s, buf, ref);
    gs_status_t cs_st = rs == GS_OK ? gemm_once(impl->fn, s, buf, buf->c) : rs;
    bool ok = false;
    if (cs_st != GS_OK) {
        gs_bench_state_skip_with_error(st, "%s failed: %s", rs != GS_OK ? "onednn" : impl->name,
                                       gs_error_detail());
    } else {
        size_t at;
        double err = max_abs_error(buf->c, ref, (size_t)s->m * s->n, &at), tol = gemm_tolerance(s->k);
        ok = err <= tol;
        if (!ok)
            gs_bench_state_skip_with_error(st, "%s: wrong result: |C - oneDNN| = %g at C[%zu][%zu] "
                                           "(%g vs %g), tolerance %g", impl->name, err, at / (size_t)s->n,
                                           at % (size_t)s->n, buf->c[at], ref[at], tol);
    }
    gs_free(ref);
    return ok;
}

/* GFLOP/s through the library's rate counter (so its statistics and JSON carry it), and the share
 * of the measured FMA peak from the loop's own wall time, which the library does not expose. */
static void report(gs_bench_state_t *st, const gs_gemm_case_t *cs, int nt, double seconds)
{
    const double gflop = gemm_flops(&cs->shape) * (double)gs_bench_state_iterations(st) * 1e-9;
    gs_bench_state_set_counter(st, "GFLOP/s", gflop, GS_BENCH_COUNTER_RATE);
    const double peak = gs_peak_gflops(cs->peak, cs->impl.peak_isa, nt);
    if (peak > 0 && seconds > 0)
        gs_bench_state_set_counter(st, "pct_peak", 100.0 * gflop / seconds / peak, 0);
    char label[48];
    snprintf(label, sizeof label, "peak:%s", gs_isa_name(cs->impl.peak_isa));
    gs_bench_state_set_label(st, label);
}

static void bench_gemm_case(gs_bench_state_t *st, void *user)
{
    gs_gemm_case_t *cs = user;
    const int nt = (int)gs_bench_state_arg(st, 0);
    set_threads(&cs->impl, nt);
    gemm_bufs_t buf;
    if (bufs_alloc(&buf, &cs->shape) != GS_OK) {
        gs_bench_state_skip_with_error(st, "%s", gs_error_detail());
        return;
    }
    if (!cs->verified && !verify(st, &cs->shape, &cs->impl, &buf)) {
        bufs_free(&buf);
        return;
    }
    cs->verified = true;
    const double t0 = gs_now_s();
    while (gs_bench_state_keep_running(st)) {
        if (gemm_once(cs->impl.fn, &cs->shape, &buf, buf.c) != GS_OK) {
            gs_bench_state_skip_with_error(st, "%s failed: %s", cs->impl.name, gs_error_detail());
            break;
        }
    }
    const double seconds = gs_now_s() - t0;
    if (!gs_bench_state_error_occurred(st))
        report(st, cs, nt, seconds);
    bufs_free(&buf);
}

/* Paired cases: ours and a library alternate in chunks of about this long, so a drift of the
 * machine's speed (this shared VM's drifts by up to 10% within seconds) falls on both alike. */
#define PAIR_CHUNK_S 0.01

/* Calls of `impl` that take about one chunk, from one timed call (after verify's untimed ones). */
static long chunk_calls(const gemm_impl_t *impl, int nt, const gemm_shape_t *s, const gemm_bufs_t *buf)
{
    set_threads(impl, nt);
    const double t0 = gs_now_s();
    gemm_once(impl->fn, s, buf, buf->c);
    const double t = gs_now_s() - t0;
    return t >= PAIR_CHUNK_S ? 1 : (long)(PAIR_CHUNK_S / (t > 1e-7 ? t : 1e-7));
}

/* GFLOP/s of one chunk of `calls` calls, timed after as many untimed ones; negative when a call
 * failed. The untimed half lets the other implementation's threads go idle first: a library with a
 * thread pool of its own (OpenBLAS, BLIS) keeps its threads spinning for milliseconds after each
 * call, and OpenMP's do the same after ours. Timed right after the switch, with 2 threads on this
 * 2-core VM, OpenBLAS read 0.6-10 GFLOP/s on m64n128k128ta0tb1 against 190 alone and ours 13% low;
 * with the untimed chunk both read what they read alone. */
static double chunk_rate(const gemm_impl_t *impl, int nt, long calls, const gemm_shape_t *s, const gemm_bufs_t *buf)
{
    set_threads(impl, nt);
    double t0 = 0;
    for (long i = 0; i < 2 * calls; i++) {
        if (i == calls)
            t0 = gs_now_s();
        if (gemm_once(impl->fn, s, buf, buf->c) != GS_OK)
            return -1;
    }
    return gemm_flops(s) * (double)calls / (gs_now_s() - t0) * 1e-9;
}

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The q-quantile (0..1) of n sorted values, by the nearest rank below. */
static double quantile(const double *sorted, int n, double q) { return sorted[(int)(q * (n - 1) + 0.5)]; }

/* Each iteration is one round: a chunk of ours and a chunk of the library, which goes first
 * alternating from round to round. Reports the median and quartiles of the rounds' ratios (ours
 * over the library) and both medians of GFLOP/s. */
static void bench_gemm_paired(gs_bench_state_t *st, void *user)
{
    gs_gemm_case_t *cs = user;
    const int nt = (int)gs_bench_state_arg(st, 0), rounds = cs->rounds;
    gemm_bufs_t buf;
    if (bufs_alloc(&buf, &cs->shape) != GS_OK) {
        gs_bench_state_skip_with_error(st, "%s", gs_error_detail());
        return;
    }
    double *ratio = calloc(3 * (size_t)rounds, sizeof *ratio), *ours = ratio + rounds, *peer = ours + rounds;
    if (!ratio) {
        gs_bench_state_skip_with_error(st, "cannot allocate %d rounds", rounds);
        bufs_free(&buf);
        return;
    }
    if (cs->verified || (verify(st, &cs->shape, &cs->impl, &buf) && verify(st, &cs->shape, &cs->peer, &buf))) {
        cs->verified = true;
        const long calls_ours = chunk_calls(&cs->impl, nt, &cs->shape, &buf);
        const long calls_peer = chunk_calls(&cs->peer, nt, &cs->shape, &buf);
        int n = 0;
        while (gs_bench_state_keep_running(st) && n < rounds) {
            const bool ours_first = n % 2 == 0;
            double first = chunk_rate(ours_first ? &cs->impl : &cs->peer, nt, ours_first ? calls_ours : calls_peer,
                                      &cs->shape, &buf);
            double second = chunk_rate(ours_first ? &cs->peer : &cs->impl, nt, ours_first ? calls_peer : calls_ours,
                                       &cs->shape, &buf);
            if (first <= 0 || second <= 0) {
                gs_bench_state_skip_with_error(st, "a GEMM call failed: %s", gs_error_detail());
                break;
            }
            ours[n] = ours_first ? first : second;
            peer[n] = ours_first ? second : first;
            ratio[n] = ours[n] / peer[n];
            n++;
        }
        if (!gs_bench_state_error_occurred(st) && n > 0) {
            qsort(ratio, (size_t)n, sizeof *ratio, cmp_double);
            qsort(ours, (size_t)n, sizeof *ours, cmp_double);
            qsort(peer, (size_t)n, sizeof *peer, cmp_double);
            gs_bench_state_set_counter(st, "ratio", quantile(ratio, n, 0.5), 0);
            gs_bench_state_set_counter(st, "ratio_q1", quantile(ratio, n, 0.25), 0);
            gs_bench_state_set_counter(st, "ratio_q3", quantile(ratio, n, 0.75), 0);
            gs_bench_state_set_counter(st, "ours_GFLOP/s", quantile(ours, n, 0.5), 0);
            gs_bench_state_set_counter(st, "peer_GFLOP/s", quantile(peer, n, 0.5), 0);
            char label[64];
            snprintf(label, sizeof label, "%s/%s, %d rounds", cs->impl.name, cs->peer.name, n);
            gs_bench_state_set_label(st, label);
        }
    }
    free(ratio);
    bufs_free(&buf);
}

static gs_status_t register_case(gs_gemm_case_t *cs, int nt)
{
    const gemm_shape_t *s = &cs->shape;
    char name[128];
    snprintf(name, sizeof name, "gemm/m%ldn%ldk%ldta%dtb%d/%s%s%s", s->m, s->n, s->k, s->ta, s->tb,
             cs->impl.name, cs->rounds ? GS_BENCH_PAIR_SEP : "", cs->rounds ? cs->peer.name : "");
    gs_bench_opts_t o = {
        .nargs = 1,
        .args = {nt},
        .arg_names = {"threads"},
        .real_time = true, /* OpenMP and the peers' threads work while the main thread waits */
        .iterations = cs->rounds, /* paired: one iteration a round, as many as asked for */
        .unit = gemm_flops(s) >= 1e9 ? GS_BENCH_UNIT_MS : GS_BENCH_UNIT_US,
    };
    return gs_bench_register(name, cs->rounds ? bench_gemm_paired : bench_gemm_case, cs, &o);
}

gs_status_t gs_bench_gemm_register(gs_bench_gemm_t *set, const gs_bench_gemm_opts_t *opts)
{
    set->cases = NULL;
    set->count = 0;
    if (!opts || !opts->peak || opts->threads < 1 || !opts->thread_counts || opts->nthread_counts < 1)
        return gs_error(GS_EINVAL, "bench gemm: missing peaks, threads < 1 or no thread counts");
    if (opts->paired_rounds < 0)
        return gs_error(GS_EINVAL, "bench gemm: %d paired rounds", opts->paired_rounds);
    gemm_shape_t shapes[MAX_SHAPES];
    gemm_impl_t impls[MAX_IMPLS];
    if (opts->impls) {
        const gs_status_t st = given_impls(opts->impls, opts->nimpls, impls);
        if (st != GS_OK)
            return st;
    }
    const int ns = shape_list(opts->quick, shapes), ni = opts->impls ? opts->nimpls : impl_list(opts->isa, impls);
    const int ours = ours_count(impls, ni), npairs = opts->paired_rounds && ours > 0 ? ni - ours : 0;
    const int *threads = opts->thread_counts, nthreads = opts->nthread_counts;
    const int per_row = ni + npairs;
    set->cases = calloc((size_t)ns * nthreads * per_row, sizeof *set->cases);
    if (!set->cases)
        return gs_error(GS_ENOMEM, "bench gemm: cannot allocate %d cases", ns * nthreads * per_row);
    for (int s = 0; s < ns; s++) {
        for (int t = 0; t < nthreads; t++) {
            for (int i = 0; i < per_row; i++) {
                gs_gemm_case_t *cs = &set->cases[set->count++];
                if (i < ni) /* each implementation alone */
                    *cs = (gs_gemm_case_t){.shape = shapes[s], .impl = impls[i], .peak = opts->peak};
                else /* our widest ISA (listed last of ours) alternating with library i - ni */
                    *cs = (gs_gemm_case_t){.shape = shapes[s], .impl = impls[ours - 1], .peak = opts->peak,
                                           .peer = impls[ours + i - ni], .rounds = opts->paired_rounds};
                gs_status_t st = register_case(cs, threads[t]);
                if (st != GS_OK)
                    return st;
            }
        }
    }
    return GS_OK;
}

void gs_bench_gemm_free(gs_bench_gemm_t *set)
{
    free(set->cases);
    set->cases = NULL;
    set->count = 0;
}
