/* Activation validation: every implementation against the double-precision oracle (gs_act_*_ref) and
 * oneDNN, forward and backward, out of place and in place, with guarded outputs. */
#include "harness/validate_eltwise.h"

#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/act/vmath.h"

/* ---- Fill ----
 * x: uniform in [-12, 12] (both tails of sigmoid/tanh, ELU's exponential side), except that every
 * 8th element comes from SPECIALS: zeros of both signs, the saturation points the issue names
 * (sigmoid at +-100, tanh at +-20), exp's overflow/underflow edges (+-88.5, +-104), tanh's
 * polynomial/exponential split (+-0.625), tiny values. dy: uniform in [-1, 1]. */
#define FILL_RANGE 12.0f
#define SPECIAL_ONE_IN 8
static const float SPECIALS[] = {0.0f,  -0.0f,   100.0f, -100.0f, 20.0f,  -20.0f,  88.5f,   -88.5f,
                                 104.f, -104.f, 0.625f, -0.625f, 1e-4f, -1e-4f, 1e-30f, -1e-30f};
enum { NSPECIALS = sizeof SPECIALS / sizeof SPECIALS[0] };
enum { STREAM_X = 11, STREAM_DY = 12 };

/* ---- Tolerances ----
 * Errors are |got - want| / scale, want = the oracle's float. Forward scale: |want| (relative),
 * except ELU's negative side, max(|want|, |alpha| e^x) (an exp(x) - 1 with the usual cancellation
 * near 0, like oneDNN's, is then judged fairly), and sigmoid_linear, sigmoid(x) + |alpha x| (the terms, not their sum,
 * which crosses 0); never below 1e-30, so subnormal results are judged absolutely. Backward scale:
 * |dy| times the largest derivative the kind has (sigmoid 1/4, tanh 1, ...), the gradient's natural
 * size, so a derivative computed from a rounded y near saturation is not judged relative to ~0.
 * Thresholds, U = 2^-24 the unit roundoff (the oracle's own rounding is one U):
 *   identity, relu, leaky_relu forward and backward: 0 (a select or one product, exact everywhere);
 *   sigmoid(_modderiv) fwd: SIGMOID_MAX_REL + U;  tanh fwd: TANH_MAX_REL + U;
 *   elu fwd: EXPM1_MAX_REL + 2U (the alpha product);  sigmoid_linear fwd: SIGMOID_MAX_REL + 2U (FMA);
 *   sigmoid bwd from y: y carries U, d(y - y^2) = (1 - 2y) dy, FMA and dy product: 4U / (1/4) + U;
 *   sigmoid_modderiv bwd: the same plus the alpha addition;  tanh bwd from y: 2U + 2U + U;
 *   elu bwd: EXP_MAX_REL + 3U;  sigmoid_linear bwd (sigmoid recomputed from x): SIGMOID_MAX_REL /
 *   (1/4 + |alpha|) + 5U.
 * Against oneDNN, whose own error is unknown a priori, the threshold is twice the oracle's: oneDNN
 * may be as far from the truth as ours is allowed to be (its measured errors are far smaller). */
#define U (1.0 / 16777216.0)
#define SCALE_FLOOR 1e-30
#define DNN_FACTOR 2.0
#define MISTRUST_ZERO_FRACTION 0.60
#define MISTRUST_MIN_OUTPUTS 100

/* Guard floats around every output, holding a signalling-NaN pattern (see validate_gemm.c). */
#define GUARD_HEAD 16
#define GUARD_TAIL 64
#define SENTINEL_BITS 0x7fa5a5a5u

static double fwd_threshold(gs_act_t a)
{
    switch (a.kind) {
    case GS_ACT_SIGMOID:
    case GS_ACT_SIGMOID_MODDERIV: return GS_VMATH_SIGMOID_MAX_REL + U;
    case GS_ACT_TANH: return GS_VMATH_TANH_MAX_REL + U;
    case GS_ACT_ELU: return GS_VMATH_EXPM1_MAX_REL + 2 * U;
    case GS_ACT_SIGMOID_LINEAR: return GS_VMATH_SIGMOID_MAX_REL + 2 * U;
    default: return 0.0;
    }
}

static double deriv_max(gs_act_t a)
{
    const double al = fabs((double)a.alpha);
    switch (a.kind) {
    case GS_ACT_SIGMOID: return 0.25;
    case GS_ACT_SIGMOID_MODDERIV:
    case GS_ACT_SIGMOID_LINEAR: return 0.25 + al;
    case GS_ACT_LEAKY_RELU:
    case GS_ACT_ELU: return al > 1.0 ? al : 1.0;
    default: return 1.0;
    }
}

static double bwd_threshold(gs_act_t a)
{
    switch (a.kind) {
    case GS_ACT_SIGMOID: return 4 * U / 0.25 + U;
    case GS_ACT_SIGMOID_MODDERIV: return 4 * U / 0.25 + 2 * U;
    case GS_ACT_TANH: return 5 * U;
    case GS_ACT_ELU: return GS_VMATH_EXP_MAX_REL + 3 * U;
    case GS_ACT_SIGMOID_LINEAR: return GS_VMATH_SIGMOID_MAX_REL / deriv_max(a) + 5 * U;
    default: return 0.0;
    }
}

static double fwd_scale(gs_act_t a, float x, float want)
{
    double s = fabs((double)want);
    if (a.kind == GS_ACT_ELU && x <= 0.0f && fabs((double)a.alpha) * exp((double)x) > s)
        s = fabs((double)a.alpha) * exp((double)x);
    else if (a.kind == GS_ACT_SIGMOID_LINEAR)
        s = 1.0 / (1.0 + exp(-(double)x)) + fabs((double)a.alpha * x);
    return s > SCALE_FLOOR ? s : SCALE_FLOOR;
}

static double bwd_scale(gs_act_t a, float dy)
{
    const double s = fabs((double)dy) * deriv_max(a);
    return s > SCALE_FLOOR ? s : SCALE_FLOOR;
}

/* ---- One problem's buffers ---- */

typedef struct {
    gs_act_problem_t p;
    float *x, *x_copy, *dy, *dy_copy;
    float *y_ref, *y_dnn, *y_ref_copy; /* forward answers; y_ref is also the backward's y input */
    float *dx_ref, *dx_dnn;
    float *out, *out_inplace; /* guarded: where the implementation under test writes */
} case_t;

static size_t guarded(long n) { return (size_t)(GUARD_HEAD + n + GUARD_TAIL); }
static float *body(float *buf) { return buf + GUARD_HEAD; }

static float sentinel(void)
{
    const uint32_t bits = SENTINEL_BITS;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static void case_free(case_t *c)
{
    float *bufs[] = {c->x, c->x_copy, c->dy, c->dy_copy, c->y_ref, c->y_dnn, c->y_ref_copy,
                     c->dx_ref, c->dx_dnn, c->out, c->out_inplace};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
}

static float uniform(uint64_t seed, uint64_t stream, uint64_t i, float lo, float hi)
{
    return lo + (hi - lo) * (float)(gs_rng_u32(seed, stream, i) >> 8) * (1.0f / 16777216.0f);
}

static void fill(case_t *c, uint64_t seed)
{
    for (long i = 0; i < c->p.n; i++) {
        const uint32_t w = gs_rng_u32(seed, STREAM_X, (uint64_t)(2 * i));
        c->x[i] = w % SPECIAL_ONE_IN == 0 ? SPECIALS[(w / SPECIAL_ONE_IN) % NSPECIALS]
                                          : uniform(seed, STREAM_X, (uint64_t)(2 * i + 1), -FILL_RANGE, FILL_RANGE);
        c->dy[i] = uniform(seed, STREAM_DY, (uint64_t)i, -1.0f, 1.0f);
    }
    memcpy(c->x_copy, c->x, (size_t)c->p.n * sizeof(float));
    memcpy(c->dy_copy, c->dy, (size_t)c->p.n * sizeof(float));
}

/* The oracle's and oneDNN's answers, forward and backward (both backwards read the oracle's y). */
static gs_status_t run_references(case_t *c)
{
    const gs_act_t a = c->p.act;
    const long n = c->p.n;
    gs_status_t st = gs_act_fwd_with(gs_act_fwd_ref, a, n, c->x, c->y_ref);
    if (st == GS_OK)
        st = gs_act_fwd_with(gs_act_fwd_onednn, a, n, c->x, c->y_dnn);
    if (st == GS_OK)
        st = gs_act_bwd_with(gs_act_bwd_ref, a, n, c->x, c->y_ref, c->dy, c->dx_ref);
    if (st == GS_OK)
        st = gs_act_bwd_with(gs_act_bwd_onednn, a, n, c->x, c->y_ref, c->dy, c->dx_dnn);
    if (st == GS_OK)
        memcpy(c->y_ref_copy, c->y_ref, (size_t)n * sizeof(float));
    return st;
}

static gs_status_t case_init(case_t *c, const gs_act_problem_t *p, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->p = *p;
    const size_t bytes = (size_t)p->n * sizeof(float), gbytes = guarded(p->n) * sizeof(float);
    float **plain[] = {&c->x, &c->x_copy, &c->dy, &c->dy_copy, &c->y_ref, &c->y_dnn, &c->y_ref_copy,
                       &c->dx_ref, &c->dx_dnn};
    bool ok = true;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        ok &= (*plain[i] = malloc(bytes)) != NULL;
    ok &= (c->out = malloc(gbytes)) != NULL;
    ok &= (c->out_inplace = malloc(gbytes)) != NULL;
    if (!ok) {
        case_free(c);
        return gs_error(GS_ENOMEM, "validate act: out of memory for n = %ld", p->n);
    }
    fill(c, seed);
    gs_status_t st = run_references(c);
    if (st != GS_OK)
        case_free(c);
    return st;
}

/* Guards hold the sentinel; the body holds `init` (NaN: an output the kernel skips shows up). */
static void prepare(float *buf, long n, const float *init)
{
    const float s = sentinel();
    for (size_t i = 0; i < guarded(n); i++)
        buf[i] = s;
    for (long i = 0; i < n; i++)
        body(buf)[i] = init ? init[i] : NAN;
}

static bool guards_intact(const float *buf, long n, char *where, size_t size)
{
    for (size_t i = 0; i < guarded(n); i++) {
        if (i >= GUARD_HEAD && i < (size_t)(GUARD_HEAD + n))
            continue;
        uint32_t bits;
        memcpy(&bits, &buf[i], sizeof bits);
        if (bits != SENTINEL_BITS) {
            if (i < GUARD_HEAD)
                snprintf(where, size, "%d floats before the output", (int)(GUARD_HEAD - i));
            else
                snprintf(where, size, "%ld floats past the end of the output", (long)(i - GUARD_HEAD) - n + 1);
            return false;
        }
    }
    return true;
}

/* ---- Comparison ---- */

typedef struct {
    double max_err;
    long at, over;
} cmp_t;

static double elem_err(float got, float want, double scale)
{
    if (!isfinite(got) || !isfinite(want))
        return got == want || (isnan(got) && isnan(want)) ? 0.0 : INFINITY;
    return fabs((double)got - (double)want) / scale;
}

/* oneDNN 2.6's ELU backward takes the negative-side slope alpha e^x for 0 < x < 2^-24 (where
 * e^x rounds to 1), not 1: a kink placement, not an error; those elements are not compared. */
static bool dnn_kink(const case_t *c, bool fwd, long i)
{
    return !fwd && c->p.act.kind == GS_ACT_ELU && c->x[i] > 0.0f && c->x[i] < 0x1p-23f;
}

static cmp_t compare(const case_t *c, bool fwd, const float *got, const float *want, double thr, bool vs_dnn)
{
    cmp_t r = {.max_err = -1.0, .at = 0, .over = 0};
    for (long i = 0; i < c->p.n; i++) {
        if (vs_dnn && dnn_kink(c, fwd, i))
            continue;
        const double scale = fwd ? fwd_scale(c->p.act, c->x[i], want[i]) : bwd_scale(c->p.act, c->dy[i]);
        const double e = elem_err(got[i], want[i], scale);
        r.over += e > thr;
        if (e > r.max_err) {
            r.max_err = e;
            r.at = i;
        }
    }
    return r;
}

static double zero_fraction(const float *x, long n)
{
    long zeros = 0;
    for (long i = 0; i < n; i++)
        zeros += x[i] == 0.0f;
    return (double)zeros / (double)n;
}

/* ---- Running and judging one implementation ---- */

typedef enum { RESULT_PASS, RESULT_MISTRUSTED, RESULT_FAIL } result_t;

static const char *result_name(result_t r)
{
    return r == RESULT_PASS ? "PASS" : r == RESULT_MISTRUSTED ? "MISTRUSTED" : "FAIL";
}

/* Runs one direction out of place into c->out and in place into c->out_inplace. */
static gs_status_t run_impl(case_t *c, const gs_act_impl_t *impl, bool fwd, gs_status_t *st_inplace)
{
    const gs_act_t a = c->p.act;
    const long n = c->p.n;
    gs_status_t st;
    if (fwd) {
        prepare(c->out, n, NULL);
        st = gs_act_fwd_with(impl->fwd, a, n, c->x, body(c->out));
        prepare(c->out_inplace, n, c->x);
        *st_inplace = gs_act_fwd_with(impl->fwd, a, n, body(c->out_inplace), body(c->out_inplace));
    } else {
        prepare(c->out, n, NULL);
        st = gs_act_bwd_with(impl->bwd, a, n, c->x, c->y_ref, c->dy, body(c->out));
        prepare(c->out_inplace, n, c->dy);
        *st_inplace = gs_act_bwd_with(impl->bwd, a, n, c->x, c->y_ref, body(c->out_inplace), body(c->out_inplace));
    }
    return st;
}

static bool inputs_unchanged(const case_t *c)
{
    const size_t bytes = (size_t)c->p.n * sizeof(float);
    return memcmp(c->x, c->x_copy, bytes) == 0 && memcmp(c->dy, c->dy_copy, bytes) == 0 &&
           memcmp(c->y_ref, c->y_ref_copy, bytes) == 0;
}

static result_t judge(const case_t *c, gs_status_t st, gs_status_t st_in, const cmp_t *vs_ref, const cmp_t *vs_dnn,
                      const float *want, char *why, size_t size)
{
    char where[96];
    const size_t bytes = (size_t)c->p.n * sizeof(float);
    why[0] = '\0';
    if (st != GS_OK || st_in != GS_OK)
        snprintf(why, size, "returned '%s'%s: %s", gs_status_str(st != GS_OK ? st : st_in),
                 st != GS_OK ? "" : " in place", gs_error_detail());
    else if (!guards_intact(c->out, c->p.n, where, sizeof where) ||
             !guards_intact(c->out_inplace, c->p.n, where, sizeof where))
        snprintf(why, size, "wrote outside the output: %s", where);
    else if (!inputs_unchanged(c))
        snprintf(why, size, "wrote into an input");
    else if (vs_ref->over)
        snprintf(why, size, "%ld elements differ from the oracle", vs_ref->over);
    else if (vs_dnn->over)
        snprintf(why, size, "%ld elements differ from oneDNN", vs_dnn->over);
    else if (memcmp(body(c->out), body(c->out_inplace), bytes) != 0)
        snprintf(why, size, "in place differs from out of place");
    else if (c->p.n >= MISTRUST_MIN_OUTPUTS && zero_fraction(want, c->p.n) > MISTRUST_ZERO_FRACTION)
        return RESULT_MISTRUSTED;
    else
        return RESULT_PASS;
    return RESULT_FAIL;
}

/* Counts the case and records its row as "<problem>/fwd|bwd" (the problem alone when its references
 * failed: dir NULL); thr is the wider bound, oneDNN's (the oracle's is DNN_FACTOR times tighter). */
static void tally(gs_validate_summary_t *s, const char *prob, const char *dir, const char *impl, double dnn_err,
                  double ref_err, double thr, result_t r)
{
    char name[GS_PROBLEM_STR_MAX + 8];
    snprintf(name, sizeof name, "%s%s%s", prob, dir ? "/" : "", dir ? dir : "");
    gs_validate_record(s, &(gs_validate_row_t){"act", name, impl, dnn_err, ref_err, thr, result_name(r)});
}

static void validate_direction(case_t *c, const gs_act_impl_t *impl, bool fwd, uint64_t seed, FILE *out,
                               gs_validate_summary_t *s)
{
    gs_status_t st_in;
    gs_error_clear();
    const gs_status_t st = run_impl(c, impl, fwd, &st_in);
    const float *want = fwd ? c->y_ref : c->dx_ref, *dnn = fwd ? c->y_dnn : c->dx_dnn;
    /* oneDNN checked against the oracle gets the bound it is held to as a reference (see Tolerances) */
    const double own = fwd ? fwd_threshold(c->p.act) : bwd_threshold(c->p.act);
    const double thr = strcmp(impl->name, "onednn") == 0 ? DNN_FACTOR * own : own;
    const cmp_t vs_ref = compare(c, fwd, body(c->out), want, thr, false);
    const cmp_t vs_dnn = compare(c, fwd, body(c->out), dnn, DNN_FACTOR * own, true);
    char why[512], prob[GS_PROBLEM_STR_MAX];
    const result_t r = judge(c, st, st_in, &vs_ref, &vs_dnn, want, why, sizeof why);
    gs_act_problem_str(&c->p, prob);
    const long at = vs_ref.at;
    fprintf(out, "act %s %s %s err=%.3g at [%ld] (x=%.9g got %.9g want %.9g) dnn_err=%.3g thr=%.3g dnn_thr=%.3g "
            "zeros=%.1f%% %s", prob, fwd ? "fwd" : "bwd", impl->name, vs_ref.max_err, at, (double)c->x[at],
            (double)body(c->out)[at], (double)want[at], vs_dnn.max_err, thr, DNN_FACTOR * own,
            100.0 * zero_fraction(want, c->p.n), result_name(r));
    if (why[0])
        fprintf(out, " (%s)", why);
    fputc('\n', out);
    if (r == RESULT_FAIL)
        gs_validate_eltwise_repro(out, "act", prob, impl->name, seed);
    tally(s, prob, fwd ? "fwd" : "bwd", impl->name, vs_dnn.max_err, vs_ref.max_err, DNN_FACTOR * own, r);
}

static void validate_problem(const gs_act_problem_t *p, const gs_act_impl_t *impls, size_t nimpls, uint64_t seed,
                             FILE *out, gs_validate_summary_t *s)
{
    case_t c;
    char prob[GS_PROBLEM_STR_MAX];
    gs_status_t st = case_init(&c, p, seed);
    if (st != GS_OK) {
        fprintf(out, "act %s - FAIL (references: %s)\n", gs_act_problem_str(p, prob), gs_error_detail());
        tally(s, prob, NULL, NULL, NAN, NAN, NAN, RESULT_FAIL);
        return;
    }
    for (size_t i = 0; i < nimpls; i++) {
        validate_direction(&c, &impls[i], true, seed, out, s);
        validate_direction(&c, &impls[i], false, seed, out, s);
    }
    case_free(&c);
}

int gs_validate_act(const gs_act_problem_t *problems, size_t nproblems, const gs_act_impl_t *impls, size_t nimpls,
                    uint64_t seed, FILE *out, gs_validate_summary_t *sum)
{
    gs_validate_summary_t s = {.csv = sum ? sum->csv : NULL};
    fprintf(out, "# act validate: seed=%llu threads=%d problems=%zu impls=", (unsigned long long)seed,
            omp_get_max_threads(), nproblems);
    for (size_t i = 0; i < nimpls; i++)
        fprintf(out, "%s%s", i ? "," : "", impls[i].name);
    fprintf(out, " reference=ref(double)+onednn fill=x:U[-%g,%g]+specials(1/%d),dy:U[-1,1] dnn_thr=%gx thr\n",
            (double)FILL_RANGE, (double)FILL_RANGE, SPECIAL_ONE_IN, DNN_FACTOR);
    for (size_t i = 0; i < nproblems; i++)
        validate_problem(&problems[i], impls, nimpls, seed, out, &s);
    return gs_validate_finish(out, "act", &s, seed, sum);
}

gs_act_impl_t gs_act_impl_for_isa(gs_isa_t isa)
{
    gs_act_impl_t none = {gs_isa_name(isa), NULL, NULL};
    if (!gs_isa_supported(isa))
        return none;
    switch (isa) {
    case GS_ISA_SCALAR: return (gs_act_impl_t){"scalar", gs_act_fwd_ref, gs_act_bwd_ref};
    case GS_ISA_AVX2: return (gs_act_impl_t){"avx2", gs_act_fwd_avx2, gs_act_bwd_avx2};
    case GS_ISA_AVX512: return (gs_act_impl_t){"avx512", gs_act_fwd_avx512, gs_act_bwd_avx512};
    default: return none;
    }
}

/* ---- Built-in problems ---- */

/* Every kind on the MLP batch-64 hidden layer (64x128), a buffer past the threading threshold with
 * an odd length (uneven chunks, masked tails), and lengths around the vector widths; the scenarios'
 * other activation sizes (MLP 256x128 and 64x784, LeNet 64x20x24x24, 64x50x8x8 and 64x500) for the
 * kinds they use; non-default alphas. */
const char *const gs_act_shapes_default[] = {
    "n8192identity", "n8192sigmoid", "n8192tanh", "n8192relu", "n8192leaky_relu", "n8192elu",
    "n8192sigmoid_modderiv", "n8192sigmoid_linear",
    "n100003identity", "n100003sigmoid", "n100003tanh", "n100003relu", "n100003leaky_relu", "n100003elu",
    "n100003sigmoid_modderiv", "n100003sigmoid_linear",
    "n1sigmoid", "n7tanh", "n15elu", "n17sigmoid_linear", "n31relu", "n33sigmoid_modderiv", "n1leaky_relu",
    "n32768sigmoid", "n50176sigmoid", "n737280sigmoid", "n204800sigmoid", "n32000sigmoid",
    "n737280relu", "n204800relu", "n32000relu", "n32768tanh", "n50176elu",
    "n1000leaky_relualpha0.2", "n1000elualpha0.5", "n1000sigmoid_modderivalpha0.1",
    "n1000sigmoid_linearalpha-0.05",
};
const size_t gs_act_shapes_default_count = sizeof gs_act_shapes_default / sizeof gs_act_shapes_default[0];

gs_status_t gs_act_problems_default(gs_act_problem_t **list, size_t *count)
{
    const size_t n = gs_act_shapes_default_count;
    gs_act_problem_t *items = malloc(n * sizeof *items);
    if (!items)
        return gs_error(GS_ENOMEM, "act problems: out of memory");
    for (size_t i = 0; i < n; i++) {
        gs_status_t st = gs_act_problem_parse(gs_act_shapes_default[i], &items[i]);
        if (st != GS_OK) {
            free(items);
            return st;
        }
    }
    *list = items;
    *count = n;
    return GS_OK;
}
