/* Convolution benchmarks: each implementation checked against oneDNN, then timed; GFLOP/s and % of measured peak. */
#include "harness/bench_conv.h"

#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"
#include "core/rng.h"
#include "harness/gbench.h"
#include "harness/problem_conv.h"
#include "harness/validate_conv.h"

enum { CONV_SEED = 42, NPASSES = 3 };

static const char *const pass_names[NPASSES] = {"conv_fwd", "conv_bwd_data", "conv_bwd_weights"};

/* LeNet's conv1 and conv2 (SCENARIOS.md, batch 64), then the ResNet-style layer. */
static const char *const shape_strings[] = {"mb64ic1ih28oc20kh5", "mb64ic20ih12oc50kh5", "mb16ic64ih56oc64kh3ph1pw1"};
enum { NSHAPES = sizeof shape_strings / sizeof shape_strings[0], NSHAPES_QUICK = 2 };

typedef struct {
    gs_conv_problem_t shape;
    gs_conv_pass_t pass;
    gs_conv_impl_t impl;
    gs_isa_t peak_isa; /* whose FMA peak pct_peak divides by */
    const gs_peak_t *peak;
    bool verified;     /* Google Benchmark calls a benchmark several times; checking once is enough */
} conv_case_t;

typedef struct {
    conv_case_t *cases;
    int count;
} conv_set_t;

typedef struct {
    float *src, *wei, *bias, *dst; /* dst doubles as diff_dst (an input) for the backward passes */
    float *out, *out_bias;         /* what the pass writes: dst, diff_src or diff_wei (+ diff_bias) */
    long n_out;
} conv_bufs_t;

static double conv_flops(const gs_conv_problem_t *s)
{
    return 2.0 * (double)s->mb * (double)(s->oc * s->oh * s->ow) * (double)(s->ic * s->kh * s->kw);
}

static void bufs_free(conv_bufs_t *b)
{
    gs_free(b->src);
    gs_free(b->wei);
    gs_free(b->bias);
    gs_free(b->dst);
    gs_free(b->out);
    gs_free(b->out_bias);
}

/* Inputs uniform in [-1, 1) from a fixed seed, so every implementation sees the same numbers. */
static gs_status_t bufs_alloc(conv_bufs_t *b, const gs_conv_problem_t *s, gs_conv_pass_t pass)
{
    const long ns = s->mb * s->ic * s->ih * s->iw, nw = s->oc * s->ic * s->kh * s->kw;
    const long nd = s->mb * s->oc * s->oh * s->ow;
    b->n_out = pass == GS_CONV_FWD ? nd : pass == GS_CONV_BWD_DATA ? ns : nw;
    b->src = gs_alloc((size_t)ns * sizeof(float));
    b->wei = gs_alloc((size_t)nw * sizeof(float));
    b->bias = gs_alloc((size_t)s->oc * sizeof(float));
    b->dst = gs_alloc((size_t)nd * sizeof(float));
    b->out = gs_calloc((size_t)b->n_out * sizeof(float));
    b->out_bias = gs_calloc((size_t)s->oc * sizeof(float));
    if (!b->src || !b->wei || !b->bias || !b->dst || !b->out || !b->out_bias) {
        bufs_free(b);
        return gs_error(GS_ENOMEM, "cannot allocate the tensors (%ld floats)", ns + nw + 2 * nd + b->n_out);
    }
    gs_rng_uniform(CONV_SEED, 1, b->src, (size_t)ns, -1.0f, 1.0f);
    gs_rng_uniform(CONV_SEED, 2, b->wei, (size_t)nw, -1.0f, 1.0f);
    gs_rng_uniform(CONV_SEED, 3, b->bias, (size_t)s->oc, -1.0f, 1.0f);
    gs_rng_uniform(CONV_SEED, 4, b->dst, (size_t)nd, -1.0f, 1.0f);
    return GS_OK;
}

/* One call of the pass, as a training step makes it: forward with bias, backward-weights with the
 * bias gradient. */
static gs_status_t conv_once(const gs_conv_impl_t *im, gs_conv_pass_t pass, const gs_conv_problem_t *s,
                             const conv_bufs_t *b, float *out, float *out_bias)
{
    switch (pass) {
    case GS_CONV_FWD:
        return gs_conv_fwd_with(im->fwd, s, b->src, b->wei, b->bias, out);
    case GS_CONV_BWD_DATA:
        return gs_conv_bwd_data_with(im->bwd_data, s, b->dst, b->wei, out);
    default:
        return gs_conv_bwd_weights_with(im->bwd_weights, s, b->src, b->dst, out, out_bias);
    }
}

/* Correct implementations differ only by summation order: O(R eps) per element at worst for inputs
 * in [-1, 1), R the length of the sum (plus the bias). 8 eps per term admits any blocking and FMA
 * contraction, while a lost or repeated term (of order |a*b| ~ 0.3) is far above it. */
static double tolerance(const gs_conv_problem_t *s, gs_conv_pass_t pass)
{
    const double r = pass == GS_CONV_FWD        ? (double)(s->ic * s->kh * s->kw) + 1.0
                     : pass == GS_CONV_BWD_DATA ? (double)(s->oc * s->kh * s->kw)
                                                : (double)s->mb * (double)(s->oh * s->ow);
    return 8.0 * FLT_EPSILON * r;
}

static double max_abs_error(const float *x, const float *ref, long n, long *where)
{
    double worst = 0.0;
    *where = 0;
    for (long i = 0; i < n; i++) {
        double e = fabs((double)x[i] - (double)ref[i]);
        if (isnan(e))
            e = INFINITY;
        if (e > worst) {
            worst = e;
            *where = i;
        }
    }
    return worst;
}

/* Runs the implementation once against oneDNN; a wrong kernel is reported, never timed. The untimed
 * calls also absorb first-call costs (oneDNN's primitive creation and layout choice, page faults). */
static bool verify(gs_bench_state_t *st, const conv_case_t *cs, conv_bufs_t *b)
{
    const gs_conv_impl_t dnn = gs_conv_impl_onednn();
    float *ref = gs_calloc((size_t)b->n_out * sizeof(float)), *ref_bias = gs_calloc((size_t)cs->shape.oc * sizeof(float));
    bool ok = false;
    gs_status_t rs = ref && ref_bias ? conv_once(&dnn, cs->pass, &cs->shape, b, ref, ref_bias)
                                     : gs_error(GS_ENOMEM, "cannot allocate the oneDNN reference");
    gs_status_t is = rs == GS_OK ? conv_once(&cs->impl, cs->pass, &cs->shape, b, b->out, b->out_bias) : rs;
    if (is != GS_OK) {
        gs_bench_state_skip_with_error(st, "%s failed: %s", rs != GS_OK ? "onednn" : cs->impl.name, gs_error_detail());
    } else {
        long at, at_b = 0;
        const double tol = tolerance(&cs->shape, cs->pass), err = max_abs_error(b->out, ref, b->n_out, &at);
        const double err_b =
            cs->pass == GS_CONV_BWD_WEIGHTS ? max_abs_error(b->out_bias, ref_bias, cs->shape.oc, &at_b) : 0.0;
        ok = err <= tol && err_b <= 8.0 * FLT_EPSILON * (double)cs->shape.mb * (double)(cs->shape.oh * cs->shape.ow);
        if (!ok)
            gs_bench_state_skip_with_error(st, "wrong result: |out - oneDNN| = %g at %ld (%g vs %g), bias %g, "
                                           "tolerance %g", err, at, b->out[at], ref[at], err_b, tol);
    }
    gs_free(ref);
    gs_free(ref_bias);
    return ok;
}

/* GFLOP/s through the library's rate counter, the share of the measured FMA peak from the loop's
 * own wall time, and a label naming the peak (and, for oneDNN, what it ran). */
static void report(gs_bench_state_t *st, const conv_case_t *cs, int nt, double seconds)
{
    const double gflop = conv_flops(&cs->shape) * (double)gs_bench_state_iterations(st) * 1e-9;
    gs_bench_state_set_counter(st, "GFLOP/s", gflop, GS_BENCH_COUNTER_RATE);
    const double peak = gs_peak_gflops(cs->peak, cs->peak_isa, nt);
    if (peak > 0 && seconds > 0)
        gs_bench_state_set_counter(st, "pct_peak", 100.0 * gflop / seconds / peak, 0);
    char label[160], what[112] = "";
    if (strcmp(cs->impl.name, "onednn") == 0)
        gs_conv_onednn_describe(&cs->shape, cs->pass, cs->pass != GS_CONV_BWD_DATA, what, sizeof what);
    snprintf(label, sizeof label, "peak:%s%s%s", gs_isa_name(cs->peak_isa), what[0] ? " " : "", what);
    gs_bench_state_set_label(st, label);
}

static void bench_conv_case(gs_bench_state_t *st, void *user)
{
    conv_case_t *cs = user;
    const int nt = (int)gs_bench_state_arg(st, 0);
    omp_set_num_threads(nt);
    conv_bufs_t b;
    if (bufs_alloc(&b, &cs->shape, cs->pass) != GS_OK) {
        gs_bench_state_skip_with_error(st, "%s", gs_error_detail());
        return;
    }
    if (!cs->verified && !verify(st, cs, &b)) {
        bufs_free(&b);
        return;
    }
    cs->verified = true;
    const double t0 = gs_now_s();
    while (gs_bench_state_keep_running(st)) {
        if (conv_once(&cs->impl, cs->pass, &cs->shape, &b, b.out, b.out_bias) != GS_OK) {
            gs_bench_state_skip_with_error(st, "%s failed: %s", cs->impl.name, gs_error_detail());
            break;
        }
    }
    const double seconds = gs_now_s() - t0;
    if (!gs_bench_state_error_occurred(st))
        report(st, cs, nt, seconds);
    bufs_free(&b);
}

static gs_status_t register_case(conv_case_t *cs, int nt)
{
    char name[160], prob[GS_PROBLEM_STR_MAX];
    snprintf(name, sizeof name, "%s/%s/%s", pass_names[cs->pass], gs_conv_problem_str(&cs->shape, prob),
             cs->impl.name);
    gs_bench_opts_t o = {
        .nargs = 1,
        .args = {nt},
        .arg_names = {"threads"},
        .real_time = true, /* OpenMP threads work while the main thread waits */
        .unit = GS_BENCH_UNIT_US,
    };
    return gs_bench_register(name, bench_conv_case, cs, &o);
}

/* Ours for each vector ISA (scalar only when asked for by name), then oneDNN, held to the widest
 * peak the CPU has since it picks its own ISA. */
static int impl_list(int only_isa, gs_conv_impl_t *impls, gs_isa_t *peaks)
{
    int n = 0;
    for (int isa = GS_ISA_SCALAR; isa < GS_ISA_COUNT; isa++) {
        const bool wanted = only_isa < 0 ? isa != GS_ISA_SCALAR : isa == only_isa;
        if (wanted && gs_isa_supported((gs_isa_t)isa)) {
            peaks[n] = (gs_isa_t)isa;
            impls[n++] = gs_conv_impl_for_isa((gs_isa_t)isa);
        }
    }
    peaks[n] = gs_isa_best();
    impls[n++] = gs_conv_impl_onednn();
    return n;
}

gs_status_t gs_bench_conv_register(const gs_bench_op_opts_t *opts, void **out)
{
    *out = NULL;
    if (!opts || !opts->peak || opts->threads < 1 || !opts->thread_counts || opts->nthread_counts < 1)
        return gs_error(GS_EINVAL, "bench conv: missing peaks, threads < 1 or no thread counts");
    conv_set_t *set = calloc(1, sizeof *set);
    gs_conv_impl_t impls[GS_ISA_COUNT + 1];
    gs_isa_t peaks[GS_ISA_COUNT + 1];
    const int ni = impl_list(opts->isa, impls, peaks), ns = opts->quick ? NSHAPES_QUICK : NSHAPES;
    const int *threads = opts->thread_counts, nthreads = opts->nthread_counts;
    if (set)
        set->cases = calloc((size_t)(NPASSES * ns * nthreads * ni), sizeof *set->cases);
    if (!set || !set->cases) {
        free(set);
        return gs_error(GS_ENOMEM, "bench conv: cannot allocate the cases");
    }
    *out = set;
    for (int p = 0; p < NPASSES; p++) {
        for (int s = 0; s < ns; s++) {
            gs_conv_problem_t shape;
            gs_status_t st = gs_conv_problem_parse(shape_strings[s], &shape);
            for (int t = 0; t < nthreads && st == GS_OK; t++) {
                for (int i = 0; i < ni && st == GS_OK; i++) {
                    conv_case_t *cs = &set->cases[set->count++];
                    *cs = (conv_case_t){shape, (gs_conv_pass_t)p, impls[i], peaks[i], opts->peak, false};
                    st = register_case(cs, threads[t]);
                }
            }
            if (st != GS_OK)
                return st;
        }
    }
    return GS_OK;
}

void gs_bench_conv_free(void *set)
{
    conv_set_t *s = set;
    if (s)
        free(s->cases);
    free(s);
}
