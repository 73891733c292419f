/* Optimizer-update validation: every implementation against the double-precision oracle
 * (gs_*_ref): three consecutive steps of each optimizer (Adam's bias correction changes with the
 * step), the sum of squares, scaling and the Gaussian noise; guarded buffers. oneDNN has no
 * optimizers, so the oracle is the only reference. */
#include "harness/validate_eltwise.h"

#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/act/vmath.h"
#include "kernels/optim/optim_impl.h"

/* ---- Fill ----
 * w uniform in [-1, 1]; g uniform in [-0.1, 0.1] with one in 16 exactly 0 (SDAGD's h and Adam's v
 * then decay without new mass); state: momentum v in [-0.01, 0.01], Adam m in [-0.01, 0.01] and
 * v in [0, 1e-4] (a second moment is never negative), SDAGD h in [0, 1e-3]. Each step draws a
 * new g. Noise: std 0.1 on g in [-1, 1]. Scale factor 0.3 (not a power of two: rounding shows). */
enum { STREAM_W = 31, STREAM_G = 32, STREAM_S0 = 33, STREAM_S1 = 34, NOISE_STREAM = 7 };
#define STEPS 3
#define NOISE_STD 0.1f
#define SCALE_FACTOR 0.3f

/* ---- Tolerances ----
 * U = 2^-24. Each element's error is relative to the magnitude of the terms it is made of (so
 * cancellation cannot inflate it), thresholds counting the float roundings the kernels make on
 * top of the oracle's own final rounding:
 *   sgd w - lr g: 2U.  momentum v = mu v - lr g: 3U; w + v: 4U.
 *   adam m, v: 3U; w - step m / (sqrt(v) c + eps): sqrt, FMA, division, product, subtraction on
 *     top of m and v's errors: 10U relative to |w| + |update| with m replaced by the magnitude of
 *     its terms |b1 m| + |(1 - b1) g| (m's absolute error survives when m cancels).
 *   sdagd h: 3U; w - g / (mu + h): 8U relative to |w| + |g| / (mu + h).
 *   sumsq: double sums in another order: n 2^-52 relative.  scale: 0 (one correctly rounded
 *   product, as the oracle's).
 *   noise: z = r cos(2 pi u) with r = sqrt(-2 log u'): cos/sin carry SINCOS_MAX_ABS plus the
 *     rounding of the reduced angle (U), r carries LOG_MAX_REL / 2 plus the sqrt's U; then the FMA
 *     into g and the oracle's rounding: relative to |g| + std r, SINCOS_MAX_ABS + LOG_MAX_REL / 2
 *     + 5U. */
#define U (1.0 / 16777216.0)

#define GUARD_HEAD 16
#define GUARD_TAIL 64
#define SENTINEL_BITS 0x7fa5a5a5u

static size_t guarded(long n) { return (size_t)(GUARD_HEAD + n + GUARD_TAIL); }

static float sentinel(void)
{
    const uint32_t bits = SENTINEL_BITS;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float uniform(uint64_t seed, uint64_t stream, uint64_t i, float lo, float hi)
{
    return lo + (hi - lo) * (float)(gs_rng_u32(seed, stream, i) >> 8) * (1.0f / 16777216.0f);
}

/* A guarded buffer: sentinels around `n` floats copied from `src`. */
static void put(float *buf, const float *src, long n)
{
    const float s = sentinel();
    for (size_t i = 0; i < guarded(n); i++)
        buf[i] = s;
    memcpy(buf + GUARD_HEAD, src, (size_t)n * sizeof(float));
}

static bool intact(const float *buf, long n)
{
    for (size_t i = 0; i < guarded(n); i++) {
        uint32_t bits;
        memcpy(&bits, &buf[i], sizeof bits);
        if ((i < GUARD_HEAD || i >= (size_t)(GUARD_HEAD + n)) && bits != SENTINEL_BITS)
            return false;
    }
    return true;
}

typedef struct {
    double max_err;
    long at, over;
} cmp_t;

static void cmp_add(cmp_t *r, long i, float got, float want, double scale, double thr)
{
    double e;
    if (!isfinite(got) || !isfinite(want))
        e = got == want ? 0.0 : INFINITY;
    else
        e = fabs((double)got - (double)want) / (scale > 1e-30 ? scale : 1e-30);
    r->over += e > thr;
    if (e > r->max_err)
        r->max_err = e, r->at = i;
}

/* The case's line, its repro when it failed, and its row: "<problem>/step<t>" for optimizer steps
 * (step 0: the problem alone), err against the oracle and its bound thr (NAN: nothing measured). */
static void report(FILE *out, const gs_optim_problem_t *p, const char *impl, long step, double err, const char *detail,
                   double thr, const char *why, uint64_t seed, gs_validate_summary_t *s)
{
    char prob[GS_PROBLEM_STR_MAX], name[GS_PROBLEM_STR_MAX + 24];
    gs_optim_problem_str(p, prob);
    if (step > 0)
        snprintf(name, sizeof name, "%s/step%ld", prob, step);
    else
        snprintf(name, sizeof name, "%s", prob);
    fprintf(out, "optim %s %s %s thr=%.3g %s", prob, impl, detail, thr, why[0] ? "FAIL" : "PASS");
    if (why[0])
        fprintf(out, " (%s)", why);
    fputc('\n', out);
    if (why[0])
        gs_validate_eltwise_repro(out, "optim", prob, impl, seed);
    gs_validate_record(s, &(gs_validate_row_t){"optim", name, impl, NAN, err, thr, why[0] ? "FAIL" : "PASS"});
}

/* ---- optimizer steps ---- */

typedef struct {
    long n, ns;
    gs_opt_t opt;
    float *w, *g, *state;          /* the oracle's, advanced step by step */
    float *w0, *state0, *g_copy;   /* before the current step, and g's copy */
    float *gw, *gstate;            /* guarded buffers the implementation updates */
} step_case_t;

static void step_free(step_case_t *c)
{
    free(c->w), free(c->g), free(c->state), free(c->w0), free(c->state0), free(c->g_copy);
    free(c->gw), free(c->gstate);
}

static bool step_init(step_case_t *c, const gs_optim_problem_t *p, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->n = p->n;
    c->opt = gs_optim_problem_opt(p->op);
    c->ns = p->n * gs_opt_state_per_param(c->opt.kind);
    const size_t nb = (size_t)c->n * sizeof(float), sb = (size_t)(c->ns ? c->ns : 1) * sizeof(float);
    c->w = malloc(nb), c->g = malloc(nb), c->w0 = malloc(nb), c->g_copy = malloc(nb);
    c->state = malloc(sb), c->state0 = malloc(sb);
    c->gw = malloc(guarded(c->n) * sizeof(float)), c->gstate = malloc(guarded(c->ns) * sizeof(float));
    if (!c->w || !c->g || !c->w0 || !c->g_copy || !c->state || !c->state0 || !c->gw || !c->gstate)
        return false;
    for (long i = 0; i < c->n; i++)
        c->w[i] = uniform(seed, STREAM_W, (uint64_t)i, -1.0f, 1.0f);
    for (long i = 0; i < c->ns; i++) {
        const bool second_moment = c->opt.kind == GS_OPT_ADAM && i >= c->n;
        const float hi = c->opt.kind == GS_OPT_SDAGD ? 1e-3f : second_moment ? 1e-4f : 0.01f;
        const float lo = c->opt.kind == GS_OPT_SDAGD || second_moment ? 0.0f : -0.01f;
        c->state[i] = uniform(seed, STREAM_S0, (uint64_t)i, lo, hi);
    }
    return true;
}

static void draw_g(step_case_t *c, uint64_t seed, long t)
{
    for (long i = 0; i < c->n; i++) {
        const uint64_t k = (uint64_t)t * (uint64_t)c->n + (uint64_t)i;
        c->g[i] = gs_rng_u32(seed, STREAM_G, 2 * k) % 16 == 0 ? 0.0f : uniform(seed, STREAM_G, 2 * k + 1, -0.1f, 0.1f);
    }
    memcpy(c->g_copy, c->g, (size_t)c->n * sizeof(float));
}

/* The magnitudes of the terms of w's and the state's new values (see the tolerance comment). */
static double w_scale(const step_case_t *c, long i, const float *w0, const float *s0, long t)
{
    const gs_opt_t *o = &c->opt;
    const double g = c->g[i], w = fabs((double)w0[i]);
    switch (o->kind) {
    case GS_OPT_MOMENTUM: return w + fabs((double)o->momentum * s0[i]) + fabs((double)o->lr * g);
    case GS_OPT_ADAM: { /* the update with m replaced by the magnitude of its terms (m can cancel) */
        const double c1 = 1.0 - pow((double)o->beta1, (double)t), c2 = 1.0 - pow((double)o->beta2, (double)t);
        const double mag_m = fabs((double)o->beta1 * s0[i]) + fabs((1.0 - o->beta1) * g);
        return w + (double)o->lr / c1 * mag_m / (sqrt((double)c->state[c->n + i] / c2) + (double)o->eps);
    }
    case GS_OPT_SDAGD: return w + fabs((double)(c->w[i] - w0[i]));
    default: return w + fabs((double)o->lr * g);
    }
}

static double state_scale(const step_case_t *c, long j, const float *s0)
{
    const gs_opt_t *o = &c->opt;
    const long i = j % c->n;
    const double g = c->g[i];
    switch (o->kind) {
    case GS_OPT_MOMENTUM: return fabs((double)o->momentum * s0[j]) + fabs((double)o->lr * g);
    case GS_OPT_ADAM:
        return j < c->n ? fabs((double)o->beta1 * s0[j]) + fabs((1.0 - o->beta1) * g)
                        : fabs((double)o->beta2 * s0[j]) + (1.0 - o->beta2) * g * g;
    default: return fabs((double)o->sdagd_decay * s0[j]) + (1.0 - o->sdagd_decay) * g * g;
    }
}

static double w_threshold(gs_opt_kind_t k)
{
    return k == GS_OPT_ADAM ? 10 * U : k == GS_OPT_SDAGD ? 8 * U : k == GS_OPT_MOMENTUM ? 4 * U : 2 * U;
}

static void validate_steps(const gs_optim_problem_t *p, const gs_optim_impl_t *impl, uint64_t seed, FILE *out,
                           gs_validate_summary_t *s)
{
    step_case_t c;
    if (!step_init(&c, p, seed)) {
        report(out, p, impl->name, 0, NAN, "-", NAN, "out of memory", seed, s);
        step_free(&c);
        return;
    }
    const double tw = w_threshold(c.opt.kind), ts = 3 * U;
    for (long t = 1; t <= STEPS; t++) {
        draw_g(&c, seed, t);
        memcpy(c.w0, c.w, (size_t)c.n * sizeof(float));
        memcpy(c.state0, c.state, (size_t)(c.ns ? c.ns : 1) * sizeof(float));
        put(c.gw, c.w, c.n);
        put(c.gstate, c.state, c.ns);
        gs_error_clear();
        const gs_status_t st = gs_opt_step_with(impl->step, &c.opt, c.n, c.gw + GUARD_HEAD, c.g,
                                                c.ns ? c.gstate + GUARD_HEAD : NULL, t);
        const gs_status_t sr = gs_opt_step_with(gs_opt_step_ref, &c.opt, c.n, c.w, c.g, c.ns ? c.state : NULL, t);
        cmp_t ew = {-1.0, 0, 0}, es = {0.0, 0, 0};
        for (long i = 0; i < c.n; i++)
            cmp_add(&ew, i, c.gw[GUARD_HEAD + i], c.w[i], w_scale(&c, i, c.w0, c.state0, t), tw);
        for (long j = 0; j < c.ns; j++)
            cmp_add(&es, j, c.gstate[GUARD_HEAD + j], c.state[j], state_scale(&c, j, c.state0), ts);
        char why[256] = "", detail[160];
        if (st != GS_OK || sr != GS_OK)
            snprintf(why, sizeof why, "%s returned '%s': %s", st != GS_OK ? impl->name : "the oracle",
                     gs_status_str(st != GS_OK ? st : sr), gs_error_detail());
        else if (!intact(c.gw, c.n) || !intact(c.gstate, c.ns))
            snprintf(why, sizeof why, "wrote outside w or the state");
        else if (memcmp(c.g, c.g_copy, (size_t)c.n * sizeof(float)))
            snprintf(why, sizeof why, "wrote into g");
        else if (ew.over || es.over)
            snprintf(why, sizeof why, "%ld weights and %ld state values differ from the oracle", ew.over, es.over);
        snprintf(detail, sizeof detail, "step=%ld w_err=%.3g at [%ld] state_err=%.3g state_thr=%.3g", t, ew.max_err,
                 ew.at, es.max_err, ts);
        /* w and the state have their own bounds: the row carries the one nearer to its bound. */
        const bool state_worse = gs_validate_margin(es.max_err, ts) > gs_validate_margin(ew.max_err, tw);
        report(out, p, impl->name, t, state_worse ? es.max_err : ew.max_err, detail, state_worse ? ts : tw, why, seed,
               s);
    }
    step_free(&c);
}

/* ---- sum of squares, scale, noise ---- */

static void fill_g(float *g, long n, uint64_t seed)
{
    for (long i = 0; i < n; i++)
        g[i] = uniform(seed, STREAM_G, (uint64_t)i, -1.0f, 1.0f);
}

/* Box-Muller radius of element i's pair, from the same Philox words the kernels use. */
static double noise_radius(uint64_t seed, long i)
{
    uint32_t w[4];
    gs_philox4x32(seed, NOISE_STREAM, (uint64_t)i / 4, w);
    const uint32_t word = w[(i % 4) / 2 * 2];
    return sqrt(-2.0 * log(((double)(word >> 8) + 1.0) * (double)GS_NOISE_U_SCALE));
}

static void validate_helper(const gs_optim_problem_t *p, const gs_optim_impl_t *impl, uint64_t seed, FILE *out,
                            gs_validate_summary_t *s)
{
    const long n = p->n;
    float *g = malloc((size_t)n * sizeof(float)), *want = malloc((size_t)n * sizeof(float));
    float *buf = malloc(guarded(n) * sizeof(float));
    char why[256] = "", detail[160] = "";
    double thr = 0.0, err = NAN;
    if (!g || !want || !buf) {
        snprintf(why, sizeof why, "out of memory");
    } else {
        fill_g(g, n, seed);
        memcpy(want, g, (size_t)n * sizeof(float));
        put(buf, g, n);
        gs_status_t st = GS_OK, sr = GS_OK;
        cmp_t e = {-1.0, 0, 0};
        gs_error_clear();
        if (p->op == GS_OPTIM_OP_SUMSQ) {
            double got = NAN, ref = NAN;
            st = gs_sumsq_with(impl->sumsq, n, buf + GUARD_HEAD, &got);
            sr = gs_sumsq_with(gs_sumsq_ref, n, g, &ref);
            thr = (double)n * 0x1p-52;
            e.max_err = fabs(got - ref) / ref;
            e.over = !(e.max_err <= thr);
            snprintf(detail, sizeof detail, "sumsq=%.17g ref=%.17g err=%.3g", got, ref, e.max_err);
        } else {
            const bool noise = p->op == GS_OPTIM_OP_NOISE;
            st = noise ? gs_add_noise_with(impl->add_noise, n, buf + GUARD_HEAD, NOISE_STD, seed, NOISE_STREAM)
                       : gs_scale_with(impl->scale, n, buf + GUARD_HEAD, SCALE_FACTOR);
            sr = noise ? gs_add_noise_with(gs_add_noise_ref, n, want, NOISE_STD, seed, NOISE_STREAM)
                       : gs_scale_with(gs_scale_ref, n, want, SCALE_FACTOR);
            thr = noise ? GS_VMATH_SINCOS_MAX_ABS + GS_VMATH_LOG_MAX_REL / 2 + 5 * U : 0.0;
            for (long i = 0; i < n; i++) {
                const double scale = noise ? fabs((double)g[i]) + NOISE_STD * noise_radius(seed, i)
                                           : fabs((double)want[i]);
                cmp_add(&e, i, buf[GUARD_HEAD + i], want[i], scale, thr);
            }
            snprintf(detail, sizeof detail, "err=%.3g at [%ld]", e.max_err, e.at);
        }
        if (st != GS_OK || sr != GS_OK)
            snprintf(why, sizeof why, "returned '%s': %s", gs_status_str(st != GS_OK ? st : sr), gs_error_detail());
        else if (!intact(buf, n))
            snprintf(why, sizeof why, "wrote outside g");
        else if (p->op == GS_OPTIM_OP_SUMSQ && memcmp(buf + GUARD_HEAD, g, (size_t)n * sizeof(float)))
            snprintf(why, sizeof why, "wrote into g");
        else if (e.over)
            snprintf(why, sizeof why, "%ld values differ from the oracle", e.over);
        err = e.max_err;
    }
    report(out, p, impl->name, 0, err, detail, thr, why, seed, s);
    free(g), free(want), free(buf);
}

int gs_validate_optim(const gs_optim_problem_t *problems, size_t nproblems, const gs_optim_impl_t *impls,
                      size_t nimpls, uint64_t seed, FILE *out, gs_validate_summary_t *sum)
{
    gs_validate_summary_t s = {.csv = sum ? sum->csv : NULL};
    fprintf(out, "# optim validate: seed=%llu threads=%d problems=%zu impls=", (unsigned long long)seed,
            omp_get_max_threads(), nproblems);
    for (size_t i = 0; i < nimpls; i++)
        fprintf(out, "%s%s", i ? "," : "", impls[i].name);
    fprintf(out, " reference=ref(double) (oneDNN has no optimizers) steps=%d fill=w:U[-1,1],g:U[-0.1,0.1]+zeros(1/16)\n",
            STEPS);
    for (size_t i = 0; i < nproblems; i++)
        for (size_t k = 0; k < nimpls; k++) {
            if (problems[i].op <= GS_OPTIM_OP_SDAGD)
                validate_steps(&problems[i], &impls[k], seed, out, &s);
            else
                validate_helper(&problems[i], &impls[k], seed, out, &s);
        }
    return gs_validate_finish(out, "optim", &s, seed, sum);
}

gs_optim_impl_t gs_optim_impl_for_isa(gs_isa_t isa)
{
    gs_optim_impl_t none = {gs_isa_name(isa), NULL, NULL, NULL, NULL};
    if (!gs_isa_supported(isa))
        return none;
    switch (isa) {
    case GS_ISA_SCALAR: return (gs_optim_impl_t){"scalar", gs_opt_step_ref, gs_sumsq_ref, gs_scale_ref, gs_add_noise_ref};
    case GS_ISA_AVX2: return (gs_optim_impl_t){"avx2", gs_opt_step_avx2, gs_sumsq_avx2, gs_scale_avx2, gs_add_noise_avx2};
    case GS_ISA_AVX512:
        return (gs_optim_impl_t){"avx512", gs_opt_step_avx512, gs_sumsq_avx512, gs_scale_avx512, gs_add_noise_avx512};
    default: return none;
    }
}

/* The scenarios' parameter buffers (784x128, 128x128, 128x10 weights; 128 and 10 biases) for every
 * operation, plus an odd length past the threading threshold and a single parameter. */
const char *const gs_optim_shapes_default[] = {
    "n100352sgd", "n100352momentum", "n100352adam", "n100352sdagd", "n100352sumsq", "n100352scale", "n100352noise",
    "n16384sgd", "n16384momentum", "n16384adam", "n16384sdagd", "n16384sumsq", "n16384scale", "n16384noise",
    "n1280adam", "n1280sdagd", "n128momentum", "n128noise", "n10sgd", "n10momentum", "n10adam", "n10sdagd",
    "n10sumsq", "n10scale", "n10noise",
    "n100003sgd", "n100003momentum", "n100003adam", "n100003sdagd", "n100003sumsq", "n100003scale", "n100003noise",
    "n1sgd", "n1adam", "n1sdagd", "n1noise", "n1sumsq",
};
const size_t gs_optim_shapes_default_count = sizeof gs_optim_shapes_default / sizeof gs_optim_shapes_default[0];

gs_status_t gs_optim_problems_default(gs_optim_problem_t **list, size_t *count)
{
    const size_t n = gs_optim_shapes_default_count;
    gs_optim_problem_t *items = malloc(n * sizeof *items);
    if (!items)
        return gs_error(GS_ENOMEM, "optim problems: out of memory");
    for (size_t i = 0; i < n; i++) {
        gs_status_t st = gs_optim_problem_parse(gs_optim_shapes_default[i], &items[i]);
        if (st != GS_OK) {
            free(items);
            return st;
        }
    }
    *list = items;
    *count = n;
    return GS_OK;
}
