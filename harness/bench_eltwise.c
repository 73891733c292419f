/* Element-wise benchmarks: each implementation checked once against oneDNN (or the oracle), then
 * timed; GB/s with STREAM byte counting (each array read or written once) and % of the measured
 * triad bandwidth at the same thread count. */
#include "harness/bench_eltwise.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"
#include "core/rng.h"
#include "harness/gbench.h"
#include "harness/validate_eltwise.h"

enum { SEED = 42, MAX_IMPLS = 4 };

/* Past every cache: the triad's own array size (so "% of triad" compares like with like), or 64 MiB
 * per array when no peak was measured (--benchmark_list_tests). */
static long big_floats(const gs_bench_op_opts_t *o)
{
    const double mib = o && o->peak ? o->peak->triad_array_mib : 0.0;
    return mib > 0.0 ? (long)(mib * 1048576.0 / sizeof(float)) : 16L << 20;
}

typedef enum { B_ACT_FWD, B_ACT_BWD, B_CE, B_MSE, B_STEP, B_SUMSQ, B_SCALE, B_NOISE } bench_kind_t;

static const char *const kind_names[] = {"act_fwd", "act_bwd", "softmax_ce", "softmax_mse",
                                         "opt_step", "sumsq", "scale", "add_noise"};

typedef struct {
    bench_kind_t kind;
    long n, c;        /* elements, or rows and classes */
    int with_grad;    /* softmax: dlogits too */
    gs_act_t act;
    gs_optim_op_t op; /* opt_step: which optimizer */
    const char *impl; /* "avx2", "avx512", "onednn" */
    gs_isa_t isa;     /* our kernels' ISA (ignored for onednn) */
    const gs_peak_t *peak;
    bool verified;    /* Google Benchmark calls a benchmark several times; checking once is enough */
} ecase_t;

typedef struct {
    ecase_t *cases;
    int count, cap;
} eset_t;

/* ---- sizes and names ---- */

static double case_bytes(const ecase_t *c)
{
    switch (c->kind) {
    case B_ACT_FWD: return gs_act_fwd_bytes_per_elem(c->act.kind) * (double)c->n;
    case B_ACT_BWD: return gs_act_bwd_bytes_per_elem(c->act.kind) * (double)c->n;
    case B_CE:
    case B_MSE: return gs_softmax_ce_bytes(c->n, c->c, c->with_grad);
    case B_STEP: return gs_opt_bytes_per_param(gs_optim_problem_opt(c->op).kind) * (double)c->n;
    case B_SUMSQ: return 4.0 * (double)c->n;
    default: return 8.0 * (double)c->n; /* scale, noise: g read and written */
    }
}

static void case_problem(const ecase_t *c, char *buf, size_t size)
{
    if (c->kind == B_ACT_FWD || c->kind == B_ACT_BWD)
        gs_act_shape(c->act, c->n, buf, size);
    else if (c->kind == B_CE || c->kind == B_MSE)
        snprintf(buf, size, "mb%ldc%ld%s", c->n, c->c, c->with_grad ? "" : "nograd");
    else
        snprintf(buf, size, "n%ld%s", c->n, c->kind == B_STEP ? gs_optim_op_name(c->op) : "");
}

/* ---- buffers: up to four float arrays and the labels ---- */

typedef struct {
    float *a, *b, *c, *d;
    int32_t *labels;
} ebufs_t;

static void bufs_free(ebufs_t *b)
{
    gs_free(b->a), gs_free(b->b), gs_free(b->c), gs_free(b->d), gs_free(b->labels);
}

static float *filled(size_t n, uint64_t stream, float lo, float hi)
{
    float *p = gs_alloc(n * sizeof(float));
    if (p)
        gs_rng_uniform(SEED, stream, p, n, lo, hi);
    return p;
}

/* act: a = x, b = y (the forward output), c = dy, d = the output. softmax: a = logits, d = dlogits.
 * optim: a = w, b = g, c = state (2n for Adam). Values keep every kernel on its ordinary path (no
 * saturation shortcuts, no denormals, second moments >= 0). */
static gs_status_t bufs_alloc(ebufs_t *b, const ecase_t *c)
{
    memset(b, 0, sizeof *b);
    const size_t n = (size_t)c->n;
    switch (c->kind) {
    case B_ACT_FWD:
    case B_ACT_BWD:
        b->a = filled(n, 1, -4.0f, 4.0f), b->b = filled(n, 2, 0.05f, 0.95f), b->c = filled(n, 3, -1.0f, 1.0f);
        b->d = gs_calloc(n * sizeof(float));
        break;
    case B_CE:
    case B_MSE:
        b->a = filled(n * (size_t)c->c, 1, -4.0f, 4.0f), b->d = gs_calloc(n * (size_t)c->c * sizeof(float));
        b->labels = gs_alloc(n * sizeof(int32_t));
        for (size_t i = 0; b->labels && i < n; i++)
            b->labels[i] = (int32_t)(gs_rng_u32(SEED, 4, i) % (uint32_t)c->c);
        break;
    default:
        b->a = filled(n, 1, -1.0f, 1.0f), b->b = filled(n, 2, -0.1f, 0.1f), b->c = filled(2 * n, 3, 0.0f, 1e-4f);
        break;
    }
    const bool act = c->kind <= B_ACT_BWD, soft = c->kind == B_CE || c->kind == B_MSE;
    if (!b->a || (!soft && (!b->b || !b->c)) || ((act || soft) && !b->d) || (soft && !b->labels)) {
        bufs_free(b);
        return gs_error(GS_ENOMEM, "bench: cannot allocate the buffers (%ld elements)", c->n);
    }
    return GS_OK;
}

/* ---- running one implementation ---- */

static gs_act_fwd_fn *act_fwd_of(const ecase_t *c)
{
    return strcmp(c->impl, "onednn") == 0 ? gs_act_fwd_onednn : gs_act_impl_for_isa(c->isa).fwd;
}

static gs_act_bwd_fn *act_bwd_of(const ecase_t *c)
{
    return strcmp(c->impl, "onednn") == 0 ? gs_act_bwd_onednn : gs_act_impl_for_isa(c->isa).bwd;
}

static gs_status_t run_once(const ecase_t *c, const char *impl, ebufs_t *b, float *loss, long *hits)
{
    ecase_t k = *c;
    k.impl = impl;
    const gs_softmax_ce_impl_t sm = strcmp(impl, "onednn") == 0
        ? (gs_softmax_ce_impl_t){"onednn", gs_softmax_ce_onednn, gs_softmax_mse_onednn}
        : strcmp(impl, "ref") == 0 ? (gs_softmax_ce_impl_t){"ref", gs_softmax_ce_ref, gs_softmax_mse_ref}
                                   : gs_softmax_ce_impl_for_isa(c->isa);
    const gs_optim_impl_t op = strcmp(impl, "ref") == 0
        ? (gs_optim_impl_t){"ref", gs_opt_step_ref, gs_sumsq_ref, gs_scale_ref, gs_add_noise_ref}
        : gs_optim_impl_for_isa(c->isa);
    const gs_opt_t opt = gs_optim_problem_opt(c->op);
    double ss;
    float *dl = c->with_grad ? b->d : NULL;
    switch (c->kind) {
    case B_ACT_FWD: return gs_act_fwd_with(act_fwd_of(&k), c->act, c->n, b->a, b->d);
    case B_ACT_BWD: return gs_act_bwd_with(act_bwd_of(&k), c->act, c->n, b->a, b->b, b->c, b->d);
    case B_CE: return gs_softmax_ce_with(sm.ce, c->n, c->c, b->a, b->labels, loss, hits, dl);
    case B_MSE: return gs_softmax_mse_with(sm.mse, c->n, c->c, b->a, b->labels, loss, hits, dl);
    case B_STEP: return gs_opt_step_with(op.step, &opt, c->n, b->a, b->b, b->c, 1);
    case B_SUMSQ: {
        gs_status_t st = gs_sumsq_with(op.sumsq, c->n, b->b, &ss);
        *loss = (float)ss;
        return st;
    }
    case B_SCALE: return gs_scale_with(op.scale, c->n, b->b, -1.0f); /* sign flips: no drift, no denormals */
    default: return gs_add_noise_with(op.add_noise, c->n, b->b, 0.01f, SEED, 9);
    }
}

/* The output array of a case (what the check compares). */
static const float *output_of(const ecase_t *c, const ebufs_t *b)
{
    return c->kind <= B_ACT_BWD || c->kind == B_CE || c->kind == B_MSE ? b->d : c->kind == B_STEP ? b->a : b->b;
}

static long output_len(const ecase_t *c) { return c->kind == B_CE || c->kind == B_MSE ? c->n * c->c : c->n; }

/* Runs the implementation once on fresh buffers against the reference (oneDNN where it has the op,
 * else the oracle) on another fresh set: |got - want| <= 1e-5 (1 + |want|), loosely above every
 * validated threshold (which `gradscope validate` checks exactly), far below any real bug. */
static bool verify(gs_bench_state_t *st, const ecase_t *c)
{
    const bool dnn = c->kind <= B_MSE;
    ebufs_t mine, ref;
    if (bufs_alloc(&mine, c) != GS_OK || bufs_alloc(&ref, c) != GS_OK) {
        bufs_free(&mine);
        gs_bench_state_skip_with_error(st, "%s", gs_error_detail());
        return false;
    }
    float loss = 0.0f, loss_ref = 0.0f;
    long hits = 0, hits_ref = 0;
    gs_status_t s1 = run_once(c, c->impl, &mine, &loss, &hits);
    gs_status_t s2 = run_once(c, dnn ? "onednn" : "ref", &ref, &loss_ref, &hits_ref);
    bool ok = s1 == GS_OK && s2 == GS_OK;
    if (!ok)
        gs_bench_state_skip_with_error(st, "%s failed: %s", s1 != GS_OK ? c->impl : "the reference", gs_error_detail());
    const float *got = output_of(c, &mine), *want = output_of(c, &ref);
    for (long i = 0; ok && c->kind != B_SUMSQ && (c->kind != B_CE && c->kind != B_MSE ? 1 : c->with_grad) &&
                     i < output_len(c); i++)
        if (!(fabsf(got[i] - want[i]) <= 1e-5f * (1.0f + fabsf(want[i])))) {
            gs_bench_state_skip_with_error(st, "wrong result at [%ld]: %g vs reference %g", i, (double)got[i],
                                           (double)want[i]);
            ok = false;
        }
    /* oneDNN's argmax is over log p, where rounding can tie logits one ulp apart: a rare difference */
    if (ok && !(fabsf(loss - loss_ref) <= 1e-5f * (1.0f + fabsf(loss_ref)) && labs(hits - hits_ref) <= 1 + c->n / 100000)) {
        gs_bench_state_skip_with_error(st, "wrong loss %g (reference %g) or count %ld (%ld)", (double)loss,
                                       (double)loss_ref, hits, hits_ref);
        ok = false;
    }
    bufs_free(&mine);
    bufs_free(&ref);
    return ok;
}

static void report(gs_bench_state_t *st, const ecase_t *c, int nt, double seconds)
{
    const double gb = case_bytes(c) * (double)gs_bench_state_iterations(st) * 1e-9;
    gs_bench_state_set_counter(st, "GB/s", gb, GS_BENCH_COUNTER_RATE);
    const double peak = gs_peak_gbs(c->peak, nt);
    if (peak > 0 && seconds > 0)
        gs_bench_state_set_counter(st, "pct_peak", 100.0 * gb / seconds / peak, 0);
    gs_bench_state_set_label(st, "peak:triad");
}

static void bench_case(gs_bench_state_t *st, void *user)
{
    ecase_t *c = user;
    const int nt = (int)gs_bench_state_arg(st, 0);
    omp_set_num_threads(nt);
    if (!c->verified && !verify(st, c))
        return;
    c->verified = true;
    ebufs_t b;
    if (bufs_alloc(&b, c) != GS_OK) {
        gs_bench_state_skip_with_error(st, "%s", gs_error_detail());
        return;
    }
    float loss;
    long hits;
    if (run_once(c, c->impl, &b, &loss, &hits) != GS_OK) { /* first touch, primitive creation */
        gs_bench_state_skip_with_error(st, "%s failed: %s", c->impl, gs_error_detail());
        bufs_free(&b);
        return;
    }
    const double t0 = gs_now_s();
    while (gs_bench_state_keep_running(st)) {
        if (run_once(c, c->impl, &b, &loss, &hits) != GS_OK) {
            gs_bench_state_skip_with_error(st, "%s failed: %s", c->impl, gs_error_detail());
            break;
        }
    }
    const double seconds = gs_now_s() - t0;
    if (!gs_bench_state_error_occurred(st))
        report(st, c, nt, seconds);
    bufs_free(&b);
}

/* ---- registration ---- */

static gs_status_t add_case(eset_t *s, ecase_t c)
{
    if (s->count == s->cap) {
        const int cap = s->cap ? 2 * s->cap : 64;
        ecase_t *grown = realloc(s->cases, (size_t)cap * sizeof *grown);
        if (!grown)
            return gs_error(GS_ENOMEM, "bench: out of memory");
        s->cases = grown, s->cap = cap;
    }
    s->cases[s->count++] = c;
    return GS_OK;
}

/* The implementations of a case: ours per vector ISA the options allow, then oneDNN if it has it. */
static gs_status_t add_impls(eset_t *s, ecase_t c, const gs_bench_op_opts_t *o, bool onednn)
{
    gs_status_t st = GS_OK;
    for (int isa = GS_ISA_SCALAR; isa < GS_ISA_COUNT && st == GS_OK; isa++) {
        const bool wanted = o->isa < 0 ? isa != GS_ISA_SCALAR : isa == o->isa;
        if (wanted && gs_isa_supported((gs_isa_t)isa)) {
            c.impl = gs_isa_name((gs_isa_t)isa), c.isa = (gs_isa_t)isa;
            st = add_case(s, c);
        }
    }
    if (onednn && st == GS_OK) {
        c.impl = "onednn", c.isa = gs_isa_best();
        st = add_case(s, c);
    }
    return st;
}

/* Registers every case with each thread count. Done after all add_case calls: the array is final. */
static gs_status_t register_all(eset_t *s, const gs_bench_op_opts_t *o)
{
    const int *threads = o->thread_counts, nthreads = o->nthread_counts;
    for (int i = 0; i < s->count; i++) {
        ecase_t *c = &s->cases[i];
        c->peak = o->peak;
        for (int t = 0; t < nthreads; t++) {
            char problem[96], name[160];
            case_problem(c, problem, sizeof problem);
            snprintf(name, sizeof name, "%s/%s/%s", kind_names[c->kind], problem, c->impl);
            gs_bench_opts_t bo = {.nargs = 1, .args = {threads[t]}, .arg_names = {"threads"}, .real_time = true,
                                  .unit = case_bytes(c) >= 1e8 ? GS_BENCH_UNIT_MS : GS_BENCH_UNIT_US};
            gs_status_t st = gs_bench_register(name, bench_case, c, &bo);
            if (st != GS_OK)
                return st;
        }
    }
    return GS_OK;
}

static gs_status_t start(const gs_bench_op_opts_t *o, void **set, eset_t **s)
{
    *s = calloc(1, sizeof **s);
    *set = *s;
    if (!*s)
        return gs_error(GS_ENOMEM, "bench: out of memory");
    if (!o || !o->peak || o->threads < 1 || !o->thread_counts || o->nthread_counts < 1)
        return gs_error(GS_EINVAL, "bench: missing peaks, threads < 1 or no thread counts");
    return GS_OK;
}

static void eset_free(void *set)
{
    eset_t *s = set;
    if (s)
        free(s->cases);
    free(s);
}

gs_status_t gs_bench_act_register(const gs_bench_op_opts_t *o, void **set)
{
    eset_t *s;
    gs_status_t st = start(o, set, &s);
    const long sizes[3] = {8192, 737280, big_floats(o)};
    const gs_act_kind_t kinds[6] = {GS_ACT_SIGMOID, GS_ACT_TANH, GS_ACT_RELU, GS_ACT_ELU, GS_ACT_SIGMOID_LINEAR,
                                    GS_ACT_SIGMOID_MODDERIV};
    const int nsizes = o && o->quick ? 2 : 3, nkinds = o && o->quick ? 3 : 6;
    for (int z = 0; z < nsizes && st == GS_OK; z++)
        for (int k = 0; k < nkinds && st == GS_OK; k++)
            for (int dir = 0; dir < 2 && st == GS_OK; dir++) {
                if (kinds[k] == GS_ACT_SIGMOID_MODDERIV && dir == 0)
                    continue; /* the same forward as sigmoid */
                ecase_t c = {.kind = dir ? B_ACT_BWD : B_ACT_FWD, .n = sizes[z],
                             .act = {kinds[k], gs_act_default_alpha(kinds[k])}};
                st = add_impls(s, c, o, true);
            }
    return st == GS_OK ? register_all(s, o) : st;
}

gs_status_t gs_bench_softmax_ce_register(const gs_bench_op_opts_t *o, void **set)
{
    eset_t *s;
    gs_status_t st = start(o, set, &s);
    const long rows[3] = {64, 256, big_floats(o) / 10};
    const int nrows = o && o->quick ? 2 : 3;
    for (int mse = 0; mse < 2 && st == GS_OK; mse++)
        for (int r = 0; r < nrows && st == GS_OK; r++)
            st = add_impls(s, (ecase_t){.kind = mse ? B_MSE : B_CE, .n = rows[r], .c = 10, .with_grad = 1}, o, true);
    if (st == GS_OK)
        st = add_impls(s, (ecase_t){.kind = B_CE, .n = 256, .c = 10, .with_grad = 0}, o, true);
    return st == GS_OK ? register_all(s, o) : st;
}

gs_status_t gs_bench_optim_register(const gs_bench_op_opts_t *o, void **set)
{
    eset_t *s;
    gs_status_t st = start(o, set, &s);
    const long sizes[2] = {784 * 128, big_floats(o)};
    const int nsizes = o && o->quick ? 1 : 2;
    for (int z = 0; z < nsizes && st == GS_OK; z++) {
        for (int op = GS_OPTIM_OP_SGD; op <= GS_OPTIM_OP_SDAGD && st == GS_OK; op++)
            st = add_impls(s, (ecase_t){.kind = B_STEP, .n = sizes[z], .op = (gs_optim_op_t)op}, o, false);
        for (int k = B_SUMSQ; k <= B_NOISE && st == GS_OK; k++)
            st = add_impls(s, (ecase_t){.kind = (bench_kind_t)k, .n = sizes[z]}, o, false);
    }
    return st == GS_OK ? register_all(s, o) : st;
}

void gs_bench_act_free(void *set) { eset_free(set); }
void gs_bench_softmax_ce_free(void *set) { eset_free(set); }
void gs_bench_optim_free(void *set) { eset_free(set); }
