/* Softmax cross-entropy / MSE validation: every implementation against the double-precision oracle
 * (gs_softmax_*_ref) and oneDNN: loss, correct count and dlogits, with and without dlogits. */
#include "harness/validate_eltwise.h"

#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "kernels/act/vmath.h"

/* ---- Fill ----
 * Logits are multiples of 1/64 in [-8, 8): ties happen (and must go to the first index, in every
 * implementation), and distinct values differ by far more than any rounding, so every argmax
 * agrees exactly. One row in 4 is shifted by +-40 or +-1000 (benchdnn's "large and negative
 * inputs"): without the max subtraction exp would overflow or vanish. Labels uniform in [0, c). */
#define FILL_STEPS 1024
#define FILL_STEP (1.0f / 64.0f)
static const float ROW_SHIFTS[8] = {0.0f, 0.0f, 0.0f, 40.0f, 0.0f, -40.0f, 1000.0f, -1000.0f};
enum { STREAM_LOGITS = 21, STREAM_LABELS = 22, STREAM_SHIFT = 23 };

/* ---- Tolerances ----
 * U = 2^-24. Each error is relative to the magnitude its rounding scales with, computed by the
 * validator in double:
 *   CE loss: per row m + log s - x_y, s = sum e^(x - m): exp's error moves log s by EXP_MAX_REL, log
 *     adds LOG_MAX_REL, the two additions and the float result 3U, the sum over the row's classes
 *     (a tree in the vector kernels) log2(c) U; relative to mean(|m| + |x_y| + log s).
 *   MSE loss: each (p - t)^2 moves by 2 |p - t| dp with dp <= (2 EXP_MAX_REL + (log2(c) + 1) U) p;
 *     relative to mean((p + t)^2).
 *   dlogits, CE: (p - t)/n with p's error above, relative to (p + t)/n per element.
 *   dlogits, MSE: p_k (g_k - sum g p) with g = 2 (p - t)/(n c): three roundings on top of p's
 *     error in each factor, relative to the magnitude of the terms, p_k 2 (p_k + t_k + sum (p + t) p)
 *     / (n c) (p - t cancels when a prediction is confident; p's absolute error does not).
 *   correct: exact. Loss and correct with dlogits NULL: bit-identical to the run with dlogits.
 * Against oneDNN the thresholds double (its own error counts as much as ours may). */
#define U (1.0 / 16777216.0)
#define DNN_FACTOR 2.0

#define GUARD_HEAD 16
#define GUARD_TAIL 64
#define SENTINEL_BITS 0x7fa5a5a5u

static double log2c(long c) { return ceil(log2((double)(c > 1 ? c : 2))); }
static double p_err(long c) { return 2 * GS_VMATH_EXP_MAX_REL + (log2c(c) + 1) * U; }

static double thr_loss(int mse, long c)
{
    return mse ? 2 * p_err(c) + 2 * U : GS_VMATH_EXP_MAX_REL + GS_VMATH_LOG_MAX_REL + (log2c(c) + 3) * U;
}

static double thr_grad(int mse, long c) { return mse ? 2 * p_err(c) + 4 * U : p_err(c) + 2 * U; }

/* ---- One problem ---- */

typedef struct {
    gs_softmax_ce_problem_t p;
    long nc;
    float *x, *x_copy, *dx, *dx_ref, *dx_dnn;
    int32_t *y, *y_copy;
    double *prob;                 /* the exact softmax, for the scales */
    double loss_scale[2];         /* [ce, mse] */
    float loss_ref[2], loss_dnn[2];
    long hits_ref[2], hits_dnn[2];
} case_t;

static void case_free(case_t *c)
{
    free(c->x), free(c->x_copy), free(c->dx), free(c->dx_ref), free(c->dx_dnn);
    free(c->y), free(c->y_copy), free(c->prob);
}

static float sentinel(void)
{
    const uint32_t bits = SENTINEL_BITS;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static size_t guarded(long nc) { return (size_t)(GUARD_HEAD + nc + GUARD_TAIL); }

static void fill(case_t *c, uint64_t seed)
{
    const long n = c->p.mb, k = c->p.c;
    for (long i = 0; i < n; i++) {
        const float shift = ROW_SHIFTS[gs_rng_u32(seed, STREAM_SHIFT, (uint64_t)i) % 8];
        for (long j = 0; j < k; j++) {
            const uint32_t w = gs_rng_u32(seed, STREAM_LOGITS, (uint64_t)(i * k + j)) % FILL_STEPS;
            c->x[i * k + j] = shift + ((float)w - FILL_STEPS / 2) * FILL_STEP;
        }
        c->y[i] = (int32_t)(gs_rng_u32(seed, STREAM_LABELS, (uint64_t)i) % (uint32_t)k);
    }
    memcpy(c->x_copy, c->x, (size_t)c->nc * sizeof(float));
    memcpy(c->y_copy, c->y, (size_t)n * sizeof(int32_t));
}

/* The exact softmax and the loss scales of the tolerance comment. */
static void scales(case_t *c)
{
    const long n = c->p.mb, k = c->p.c;
    double ce = 0.0, mse = 0.0;
    for (long i = 0; i < n; i++) {
        const float *x = c->x + i * k;
        double m = x[0], s = 0.0;
        for (long j = 1; j < k; j++)
            m = x[j] > m ? x[j] : m;
        for (long j = 0; j < k; j++)
            s += c->prob[i * k + j] = exp((double)x[j] - m);
        for (long j = 0; j < k; j++) {
            double p = c->prob[i * k + j] /= s;
            mse += (p + (j == c->y[i])) * (p + (j == c->y[i]));
        }
        ce += fabs(m) + fabs((double)x[c->y[i]]) + log(s);
    }
    c->loss_scale[0] = ce / (double)n;
    c->loss_scale[1] = mse / ((double)n * (double)k);
}

typedef gs_status_t loss_fn(long, long, const float *, const int32_t *, float *, long *, float *);

static gs_status_t run(int mse, loss_fn *ce_fn, loss_fn *mse_fn, const case_t *c, float *loss, long *hits, float *dx)
{
    return mse ? gs_softmax_mse_with(mse_fn, c->p.mb, c->p.c, c->x, c->y, loss, hits, dx)
               : gs_softmax_ce_with(ce_fn, c->p.mb, c->p.c, c->x, c->y, loss, hits, dx);
}

static gs_status_t case_init(case_t *c, const gs_softmax_ce_problem_t *p, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->p = *p;
    c->nc = p->mb * p->c;
    const size_t fb = (size_t)c->nc * sizeof(float);
    c->x = malloc(fb), c->x_copy = malloc(fb), c->dx_ref = malloc(2 * fb), c->dx_dnn = malloc(2 * fb);
    c->dx = malloc(guarded(c->nc) * sizeof(float));
    c->y = malloc((size_t)p->mb * sizeof(int32_t)), c->y_copy = malloc((size_t)p->mb * sizeof(int32_t));
    c->prob = malloc((size_t)c->nc * sizeof(double));
    if (!c->x || !c->x_copy || !c->dx_ref || !c->dx_dnn || !c->dx || !c->y || !c->y_copy || !c->prob) {
        case_free(c);
        return gs_error(GS_ENOMEM, "validate softmax_ce: out of memory for %ld logits", c->nc);
    }
    fill(c, seed);
    scales(c);
    gs_status_t st = GS_OK;
    for (int mse = 0; mse < 2 && st == GS_OK; mse++) {
        st = run(mse, gs_softmax_ce_ref, gs_softmax_mse_ref, c, &c->loss_ref[mse], &c->hits_ref[mse],
                 c->dx_ref + mse * c->nc);
        if (st == GS_OK)
            st = run(mse, gs_softmax_ce_onednn, gs_softmax_mse_onednn, c, &c->loss_dnn[mse], &c->hits_dnn[mse],
                     c->dx_dnn + mse * c->nc);
    }
    if (st != GS_OK)
        case_free(c);
    return st;
}

/* ---- Comparison ---- */

static double loss_err(float got, float want, double scale)
{
    if (!isfinite(got) || !isfinite(want))
        return got == want ? 0.0 : INFINITY;
    return fabs((double)got - (double)want) / (scale > 1e-30 ? scale : 1e-30);
}

/* Per-element scale of dlogits' rounding (see the tolerance comment). */
static double grad_scale(const case_t *c, int mse, long i, long j)
{
    const long k = c->p.c, y = c->y[i];
    const double *p = c->prob + i * k, n = (double)c->p.mb;
    if (!mse)
        return (p[j] + (j == y)) / n;
    double gp = 0.0;
    for (long q = 0; q < k; q++)
        gp += (p[q] + (q == y)) * p[q];
    return p[j] * 2.0 * (p[j] + (j == y) + gp) / (n * (double)k);
}

typedef struct {
    double max_err;
    long at, over;
} cmp_t;

static cmp_t grad_compare(const case_t *c, int mse, const float *got, const float *want, double thr)
{
    cmp_t r = {-1.0, 0, 0};
    for (long e = 0; e < c->nc; e++) {
        const double s = grad_scale(c, mse, e / c->p.c, e % c->p.c);
        const double err = loss_err(got[e], want[e], s > 1e-37 ? s : 1e-37);
        r.over += err > thr;
        if (err > r.max_err)
            r.max_err = err, r.at = e;
    }
    return r;
}

static bool guards_intact(const float *buf, long nc)
{
    for (size_t i = 0; i < guarded(nc); i++) {
        uint32_t bits;
        memcpy(&bits, &buf[i], sizeof bits);
        if ((i < GUARD_HEAD || i >= (size_t)(GUARD_HEAD + nc)) && bits != SENTINEL_BITS)
            return false;
    }
    return true;
}

static void prepare(float *buf, long nc)
{
    const float s = sentinel();
    for (size_t i = 0; i < guarded(nc); i++)
        buf[i] = i < GUARD_HEAD || i >= (size_t)(GUARD_HEAD + nc) ? s : NAN;
}

/* ---- One implementation ---- */

/* Counts the case and records its row as "<problem>/ce|mse" (the problem alone when its references
 * failed: loss NULL); thr is the wider bound, oneDNN's; NAN errors where none was measured. */
static void tally(gs_validate_summary_t *s, const char *prob, const char *loss, const char *impl, double dnn_err,
                  double ref_err, double thr, bool ok)
{
    char name[GS_PROBLEM_STR_MAX + 8];
    snprintf(name, sizeof name, "%s%s%s", prob, loss ? "/" : "", loss ? loss : "");
    gs_validate_record(s, &(gs_validate_row_t){"softmax_ce", name, impl, dnn_err, ref_err, thr, ok ? "PASS" : "FAIL"});
}

static void validate_loss(case_t *c, int mse, const gs_softmax_ce_impl_t *impl, uint64_t seed, FILE *out,
                          gs_validate_summary_t *s)
{
    const char *name = mse ? "mse" : "ce";
    float loss = NAN, loss_nograd = NAN;
    long hits = -1, hits_nograd = -1;
    float *dx = c->dx + GUARD_HEAD;
    prepare(c->dx, c->nc);
    gs_error_clear();
    gs_status_t st = run(mse, impl->ce, impl->mse, c, &loss, &hits, dx);
    gs_status_t st2 = run(mse, impl->ce, impl->mse, c, &loss_nograd, &hits_nograd, NULL);
    const double tl = thr_loss(mse, c->p.c), tg = thr_grad(mse, c->p.c);
    const double le = loss_err(loss, c->loss_ref[mse], c->loss_scale[mse]);
    const double le_dnn = loss_err(loss, c->loss_dnn[mse], c->loss_scale[mse]);
    const cmp_t ge = grad_compare(c, mse, dx, c->dx_ref + mse * c->nc, tg);
    const cmp_t ge_dnn = grad_compare(c, mse, dx, c->dx_dnn + mse * c->nc, DNN_FACTOR * tg);
    char why[256] = "", prob[GS_PROBLEM_STR_MAX];
    if (st != GS_OK || st2 != GS_OK)
        snprintf(why, sizeof why, "returned '%s': %s", gs_status_str(st != GS_OK ? st : st2), gs_error_detail());
    else if (!guards_intact(c->dx, c->nc))
        snprintf(why, sizeof why, "wrote outside dlogits");
    else if (memcmp(c->x, c->x_copy, (size_t)c->nc * sizeof(float)) ||
             memcmp(c->y, c->y_copy, (size_t)c->p.mb * sizeof(int32_t)))
        snprintf(why, sizeof why, "wrote into the logits or labels");
    else if (hits != c->hits_ref[mse] || hits != c->hits_dnn[mse])
        snprintf(why, sizeof why, "correct = %ld, oracle %ld, oneDNN %ld", hits, c->hits_ref[mse], c->hits_dnn[mse]);
    else if (le > tl || le_dnn > DNN_FACTOR * tl)
        snprintf(why, sizeof why, "loss %.9g differs from the oracle's %.9g or oneDNN's %.9g", (double)loss,
                 (double)c->loss_ref[mse], (double)c->loss_dnn[mse]);
    else if (ge.over || ge_dnn.over)
        snprintf(why, sizeof why, "%ld dlogits differ from the oracle, %ld from oneDNN", ge.over, ge_dnn.over);
    else if (memcmp(&loss, &loss_nograd, sizeof loss) || hits != hits_nograd)
        snprintf(why, sizeof why, "without dlogits: loss %.9g correct %ld", (double)loss_nograd, hits_nograd);
    gs_softmax_ce_problem_str(&c->p, prob);
    fprintf(out, "softmax_ce %s %s %s loss=%.9g loss_err=%.3g dnn_loss_err=%.3g correct=%ld/%ld grad_err=%.3g "
            "at [%ld,%ld] dnn_grad_err=%.3g thr=%.3g/%.3g %s", prob, name, impl->name, (double)loss, le, le_dnn, hits,
            c->p.mb, ge.max_err, ge.at / c->p.c, ge.at % c->p.c, ge_dnn.max_err, tl, tg, why[0] ? "FAIL" : "PASS");
    if (why[0])
        fprintf(out, " (%s)", why);
    fputc('\n', out);
    if (why[0])
        gs_validate_eltwise_repro(out, "softmax_ce", prob, impl->name, seed);
    /* The loss and the gradient have their own bounds: the row carries the one nearer to its bound. */
    if (gs_validate_margin(le, tl) > gs_validate_margin(ge.max_err, tg))
        tally(s, prob, name, impl->name, le_dnn, le, DNN_FACTOR * tl, !why[0]);
    else
        tally(s, prob, name, impl->name, ge_dnn.max_err, ge.max_err, DNN_FACTOR * tg, !why[0]);
}

int gs_validate_softmax_ce(const gs_softmax_ce_problem_t *problems, size_t nproblems,
                           const gs_softmax_ce_impl_t *impls, size_t nimpls, uint64_t seed, FILE *out,
                           gs_validate_summary_t *sum)
{
    gs_validate_summary_t s = {.csv = sum ? sum->csv : NULL};
    fprintf(out, "# softmax_ce validate: seed=%llu threads=%d problems=%zu impls=", (unsigned long long)seed,
            omp_get_max_threads(), nproblems);
    for (size_t i = 0; i < nimpls; i++)
        fprintf(out, "%s%s", i ? "," : "", impls[i].name);
    fprintf(out, " reference=ref(double)+onednn fill=logits:k/64 in [-8,8)+row shifts(+-40,+-1000) dnn_thr=%gx thr\n",
            DNN_FACTOR);
    for (size_t i = 0; i < nproblems; i++) {
        case_t c;
        char prob[GS_PROBLEM_STR_MAX];
        if (case_init(&c, &problems[i], seed) != GS_OK) {
            fprintf(out, "softmax_ce %s - FAIL (references: %s)\n", gs_softmax_ce_problem_str(&problems[i], prob),
                    gs_error_detail());
            tally(&s, prob, NULL, NULL, NAN, NAN, NAN, false);
            continue;
        }
        for (size_t k = 0; k < nimpls; k++)
            for (int mse = 0; mse < 2; mse++)
                validate_loss(&c, mse, &impls[k], seed, out, &s);
        case_free(&c);
    }
    return gs_validate_finish(out, "softmax_ce", &s, seed, sum);
}

gs_softmax_ce_impl_t gs_softmax_ce_impl_for_isa(gs_isa_t isa)
{
    gs_softmax_ce_impl_t none = {gs_isa_name(isa), NULL, NULL};
    if (!gs_isa_supported(isa))
        return none;
    switch (isa) {
    case GS_ISA_SCALAR: return (gs_softmax_ce_impl_t){"scalar", gs_softmax_ce_ref, gs_softmax_mse_ref};
    case GS_ISA_AVX2: return (gs_softmax_ce_impl_t){"avx2", gs_softmax_ce_avx2, gs_softmax_mse_avx2};
    case GS_ISA_AVX512: return (gs_softmax_ce_impl_t){"avx512", gs_softmax_ce_avx512, gs_softmax_mse_avx512};
    default: return none;
    }
}

/* The scenarios' batches (64, 256 rows of 10 classes) and edges: one row, one class (p = 1, loss 0),
 * 17 classes (past one zmm), 8 and 9 (one ymm and one past it), 16 (a full 16 x 16 block plus a
 * leftover row), 3 and 2 classes (16-row blocks whose full-width loads would leave the block), wide
 * rows, a batch past the parallel threshold with a partial last chunk. */
const char *const gs_softmax_ce_shapes_default[] = {
    "mb64c10", "mb256c10", "mb1c10", "mb64c1", "mb64c17", "mb7c8", "mb9c9", "mb33c16", "mb48c3", "mb17c2",
    "mb5c1000", "mb10001c10",
};
const size_t gs_softmax_ce_shapes_default_count =
    sizeof gs_softmax_ce_shapes_default / sizeof gs_softmax_ce_shapes_default[0];

gs_status_t gs_softmax_ce_problems_default(gs_softmax_ce_problem_t **list, size_t *count)
{
    const size_t n = gs_softmax_ce_shapes_default_count;
    gs_softmax_ce_problem_t *items = malloc(n * sizeof *items);
    if (!items)
        return gs_error(GS_ENOMEM, "softmax_ce problems: out of memory");
    for (size_t i = 0; i < n; i++) {
        gs_status_t st = gs_softmax_ce_problem_parse(gs_softmax_ce_shapes_default[i], &items[i]);
        if (st != GS_OK) {
            free(items);
            return st;
        }
    }
    *list = items;
    *count = n;
    return GS_OK;
}
