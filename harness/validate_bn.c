/* BatchNorm validation: exact-mean fills, oneDNN and double-oracle comparison, guarded outputs. */
#include "harness/validate_bn.h"

#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/dispatch.h"
#include "core/rng.h"
#include "harness/cli.h"
#include "harness/validate_collect.h"

/* ---- Fill and thresholds ----
 * As in benchdnn, the data makes the statistics exact: channel c holds m_c + d and m_c - d in pairs
 * (m_c = k/4, d = k'/16 with small integers k, k' != 0; an odd count ends with m_c), so the sum is
 * exactly M m_c in any order, x - mean is exact and so is the sum of squared deviations; only the
 * final division by M, 1/sqrt(var + eps) and the affine step round. gamma = k/8 in [0.5, 2],
 * beta = k/8 in [-1, 1], dy = k/8 in [-1, 1], all exact.
 * Errors are relative to each output's natural scale, never to a value that cancellation made
 * small: mean to max(|mean|, std); var and the running variance to var; y and dx to the magnitude
 * of their terms (|gamma xhat| + |beta|, resp. |gamma rstd| (|dy| + |dbeta|/M + |xhat dgamma|/M));
 * dbeta to sum|dy|, dgamma to sum|dy xhat|. f32 rounds at u = 6e-8; every output passes through
 * at most 8 roundings in any implementation (rstd: sqrt and division; two products; two sums;
 * the statistics' own 1-2), so errors stay below ~10u = 6e-7 (seen: 5e-7 for oneDNN's y). The
 * thresholds, 1e-6 for the statistics and 2e-6 for y and dx, leave margin for that, while the
 * errors they exist to catch are orders larger: the unbiased instead of the biased variance is off
 * by 1/(M-1) >= 4e-5 at M <= 25000, eps outside the root by > 1e-4 here, a dropped mean or variance
 * term of dx by ~1e-2. */
#define THR_STATS 1e-6
#define THR_DATA 2e-6
#define MOMENTUM 0.1f
#define MISTRUST_ZERO_FRACTION 0.30
#define MISTRUST_MIN_OUTPUTS 10

enum { STREAM_X = 1, STREAM_DY, STREAM_CHAN };

#define GUARD 64 /* floats of sentinel before and after every output */
#define SENTINEL_BITS 0x7fa5a5a5u

static float sentinel(void)
{
    float f;
    const uint32_t bits = SENTINEL_BITS;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* A float output with GUARD sentinels on both sides; the data starts at .at. */
typedef struct {
    float *buf, *at;
    size_t n;
} guarded_t;

static bool guarded_alloc(guarded_t *g, size_t n)
{
    g->n = n;
    g->buf = malloc((n + 2 * GUARD) * sizeof(float));
    g->at = g->buf ? g->buf + GUARD : NULL;
    return g->buf != NULL;
}

/* Sentinels around and `inside` (NaN: an element the kernel forgets stays NaN, or a copy of the
 * input for outputs updated in place). */
static void guarded_reset(guarded_t *g, const float *inside)
{
    const float s = sentinel();
    for (size_t i = 0; i < g->n + 2 * GUARD; i++)
        g->buf[i] = s;
    for (size_t i = 0; i < g->n; i++)
        g->at[i] = inside ? inside[i] : NAN;
}

static bool guarded_intact(const guarded_t *g)
{
    const uint32_t want = SENTINEL_BITS;
    for (size_t i = 0; i < g->n + 2 * GUARD; i++) {
        if (i >= GUARD && i < GUARD + g->n)
            continue;
        uint32_t bits;
        memcpy(&bits, &g->buf[i], sizeof bits);
        if (bits != want)
            return false;
    }
    return true;
}

/* Everything one implementation produces. */
enum { O_Y, O_YI, O_DX, O_MEAN, O_VAR, O_RM, O_RV, O_DG, O_DB, O_COUNT };
static const char *const out_names[O_COUNT] = {"y", "y_infer", "dx", "mean", "var", "running_mean", "running_var",
                                               "dgamma", "dbeta"};
typedef struct {
    guarded_t o[O_COUNT];
} outputs_t;

typedef struct {
    gs_bn_problem_t p;
    gs_bn_shape_t s;
    size_t ne, nc;
    float *x, *dy, *gamma, *beta, *rm0, *rv0; /* inputs */
    float *copy;                              /* the inputs as filled, to prove they stay unchanged */
    outputs_t ref, dnn, run;
    guarded_t inplace; /* y computed over a copy of x, then dx over a copy of dy */
    float *chan;       /* 4 x c scratch for the in-place runs' per-channel outputs */
    float *scale[O_COUNT]; /* per element (data outputs) or per channel: the error's denominator */
} case_t;

static size_t out_len(const case_t *c, int o) { return o <= O_DX ? c->ne : c->nc; }

static size_t inputs_len(const case_t *c) { return 2 * c->ne + 4 * c->nc; }

static void case_free(case_t *c)
{
    free(c->x); /* x, dy, gamma, beta, rm0, rv0 share one allocation */
    free(c->copy);
    outputs_t *all[3] = {&c->ref, &c->dnn, &c->run};
    for (int k = 0; k < 3; k++)
        for (int o = 0; o < O_COUNT; o++)
            free(all[k]->o[o].buf);
    free(c->inplace.buf);
    free(c->chan);
    for (int o = 0; o < O_COUNT; o++)
        free(c->scale[o]);
}

static gs_status_t case_init(case_t *c, const gs_bn_problem_t *p)
{
    memset(c, 0, sizeof *c);
    c->p = *p;
    c->s = gs_bn_problem_shape(p);
    c->nc = (size_t)c->s.c;
    c->ne = (size_t)(c->s.n * c->s.c * c->s.hw);
    float *in = malloc(inputs_len(c) * sizeof(float));
    c->copy = malloc(inputs_len(c) * sizeof(float));
    c->chan = malloc(4 * c->nc * sizeof(float));
    bool ok = in && c->copy && c->chan && guarded_alloc(&c->inplace, c->ne);
    if (in) {
        c->x = in;
        c->dy = in + c->ne;
        c->gamma = c->dy + c->ne;
        c->beta = c->gamma + c->nc;
        c->rm0 = c->beta + c->nc;
        c->rv0 = c->rm0 + c->nc;
    }
    outputs_t *all[3] = {&c->ref, &c->dnn, &c->run};
    for (int k = 0; k < 3; k++)
        for (int o = 0; o < O_COUNT; o++)
            ok = guarded_alloc(&all[k]->o[o], out_len(c, o)) && ok;
    for (int o = 0; o < O_COUNT; o++)
        ok = (c->scale[o] = malloc(out_len(c, o) * sizeof(float))) != NULL && ok;
    if (!ok) {
        case_free(c);
        return gs_error(GS_ENOMEM, "validate bn: out of memory for the buffers");
    }
    return GS_OK;
}

/* A small integer in [lo, hi] from the fill's stream. */
static long pick(uint64_t seed, uint64_t stream, uint64_t i, long lo, long hi)
{
    return lo + (long)(gs_rng_u32(seed, stream, i) % (uint32_t)(hi - lo + 1));
}

static long nonzero(uint64_t seed, uint64_t stream, uint64_t i, long mag)
{
    const long v = pick(seed, stream, i, -mag, mag - 1);
    return v >= 0 ? v + 1 : v;
}

static void fill(case_t *c, uint64_t seed)
{
    const gs_bn_shape_t *s = &c->s;
    const long m = s->n * s->hw; /* values per channel, in (image, position) order */
    for (long ch = 0; ch < s->c; ch++) {
        const float mu = (float)pick(seed, STREAM_CHAN, 5 * (uint64_t)ch, -4, 4) / 4.0f;
        for (long e = 0; e < m; e++) {
            const long pair = e / 2;
            const float d = e == m - 1 && m % 2 ? 0.0f : (float)nonzero(seed, STREAM_X, (uint64_t)(ch * m + pair), 8) / 16.0f;
            c->x[((e / s->hw) * s->c + ch) * s->hw + e % s->hw] = e % 2 ? mu - d : mu + d;
        }
        c->gamma[ch] = (float)pick(seed, STREAM_CHAN, 5 * (uint64_t)ch + 1, 4, 16) / 8.0f;
        c->beta[ch] = (float)pick(seed, STREAM_CHAN, 5 * (uint64_t)ch + 2, -8, 8) / 8.0f;
        c->rm0[ch] = (float)pick(seed, STREAM_CHAN, 5 * (uint64_t)ch + 3, -4, 4) / 8.0f;
        c->rv0[ch] = (float)pick(seed, STREAM_CHAN, 5 * (uint64_t)ch + 4, 1, 8) / 4.0f;
    }
    for (size_t i = 0; i < c->ne; i++)
        c->dy[i] = (float)pick(seed, STREAM_DY, i, -8, 8) / 8.0f;
    memcpy(c->copy, c->x, inputs_len(c) * sizeof(float));
}

/* The three passes of one implementation; backward takes the oracle's statistics, so every
 * implementation differentiates at the same point. */
static gs_status_t run_all(case_t *c, const gs_bn_impl_t *im, outputs_t *r, const float *mean, const float *var)
{
    for (int o = 0; o < O_COUNT; o++)
        guarded_reset(&r->o[o], o == O_RM ? c->rm0 : o == O_RV ? c->rv0 : NULL);
    const gs_bn_shape_t *s = &c->s;
    const bool running = s->n * s->hw >= 2;
    gs_status_t st = gs_bn_fwd_train_with(im->train, s, c->x, c->gamma, c->beta, r->o[O_Y].at, r->o[O_MEAN].at,
                                          r->o[O_VAR].at, running ? r->o[O_RM].at : NULL,
                                          running ? r->o[O_RV].at : NULL, MOMENTUM);
    if (st == GS_OK)
        st = gs_bn_fwd_infer_with(im->infer, s, c->x, c->gamma, c->beta, c->rm0, c->rv0, r->o[O_YI].at);
    if (st == GS_OK)
        st = gs_bn_bwd_with(im->bwd, s, c->x, c->dy, c->gamma, mean ? mean : r->o[O_MEAN].at,
                            var ? var : r->o[O_VAR].at, r->o[O_DX].at, r->o[O_DG].at, r->o[O_DB].at);
    return st;
}

/* Each output's error denominators, from the oracle's results (see the comment at the top). */
static void make_scales(case_t *c)
{
    const gs_bn_shape_t *s = &c->s;
    const float *mean = c->ref.o[O_MEAN].at, *var = c->ref.o[O_VAR].at;
    const float *dg = c->ref.o[O_DG].at, *db = c->ref.o[O_DB].at;
    const double count = (double)s->n * (double)s->hw;
    for (long ch = 0; ch < s->c; ch++) {
        const double rstd = 1.0 / sqrt((double)var[ch] + s->eps), rstd_i = 1.0 / sqrt((double)c->rv0[ch] + s->eps);
        double sdy = 0.0, sdyx = 0.0;
        for (long i = 0; i < s->n; i++) {
            for (long q = 0; q < s->hw; q++) {
                const size_t k = (size_t)((i * s->c + ch) * s->hw + q);
                const double xhat = ((double)c->x[k] - mean[ch]) * rstd;
                sdy += fabs(c->dy[k]);
                sdyx += fabs(c->dy[k] * xhat);
                c->scale[O_Y][k] = (float)(fabs(c->gamma[ch] * xhat) + fabs(c->beta[ch]));
                c->scale[O_YI][k] =
                    (float)(fabs(c->gamma[ch] * ((double)c->x[k] - c->rm0[ch]) * rstd_i) + fabs(c->beta[ch]));
                c->scale[O_DX][k] = (float)(fabs(c->gamma[ch] * rstd) *
                                            (fabs(c->dy[k]) + fabs(db[ch]) / count + fabs(xhat * dg[ch]) / count));
            }
        }
        const double sd = sqrt((double)var[ch]);
        c->scale[O_MEAN][ch] = (float)(fabs(mean[ch]) > sd ? fabs(mean[ch]) : sd);
        c->scale[O_VAR][ch] = var[ch];
        c->scale[O_RM][ch] = c->scale[O_MEAN][ch] + fabsf(c->rm0[ch]);
        c->scale[O_RV][ch] = c->ref.o[O_RV].at[ch];
        c->scale[O_DG][ch] = (float)sdyx;
        c->scale[O_DB][ch] = (float)sdy;
    }
}

/* Worst |got - want| / max(|want|, scale) of one output; NaN or Inf alone on one side: infinite. */
static double worst_err(const float *got, const float *want, const float *scale, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e;
        if (!isfinite(got[i]) || !isfinite(want[i])) {
            e = got[i] == want[i] ? 0.0 : INFINITY;
        } else {
            double den = fabs((double)want[i]) > (double)scale[i] ? fabs((double)want[i]) : (double)scale[i];
            den = den > 1e-30 ? den : 1e-30;
            e = fabs((double)got[i] - (double)want[i]) / den;
        }
        worst = e > worst || isnan(e) ? e : worst;
    }
    return worst;
}

static double threshold(int o) { return o <= O_DX ? THR_DATA : THR_STATS; }

typedef enum { RESULT_PASS, RESULT_MISTRUSTED, RESULT_FAIL } result_t;

static const char *result_name(result_t r)
{
    return r == RESULT_PASS ? "PASS" : r == RESULT_MISTRUSTED ? "MISTRUSTED" : "FAIL";
}

/* In place: y over a copy of x, dx over a copy of dy; bit for bit what the out-of-place run gave. */
static const char *check_inplace(case_t *c, const gs_bn_impl_t *im)
{
    const gs_bn_shape_t *s = &c->s;
    float *mean = c->chan, *var = c->chan + c->nc, *dg = c->chan + 2 * c->nc, *db = c->chan + 3 * c->nc;
    guarded_reset(&c->inplace, c->x);
    gs_status_t st = gs_bn_fwd_train_with(im->train, s, c->inplace.at, c->gamma, c->beta, c->inplace.at, mean, var,
                                          NULL, NULL, MOMENTUM);
    if (st != GS_OK || !guarded_intact(&c->inplace) || memcmp(c->inplace.at, c->run.o[O_Y].at, c->ne * sizeof(float)))
        return "y computed in place over x differs from y out of place";
    guarded_reset(&c->inplace, c->dy);
    st = gs_bn_bwd_with(im->bwd, s, c->x, c->inplace.at, c->gamma, c->ref.o[O_MEAN].at, c->ref.o[O_VAR].at,
                        c->inplace.at, dg, db);
    if (st != GS_OK || !guarded_intact(&c->inplace) || memcmp(c->inplace.at, c->run.o[O_DX].at, c->ne * sizeof(float)))
        return "dx computed in place over dy differs from dx out of place";
    return NULL;
}

typedef struct {
    double err[O_COUNT];                   /* worst against either reference */
    double ref[O_COUNT], dnn[O_COUNT];     /* against the oracle, against oneDNN */
    char why[256];
} verdict_t;

static void judge(case_t *c, const gs_bn_impl_t *im, gs_status_t st, verdict_t *v)
{
    v->why[0] = '\0';
    for (int o = 0; o < O_COUNT; o++) {
        const size_t n = out_len(c, o);
        const double e1 = worst_err(c->run.o[o].at, c->ref.o[o].at, c->scale[o], n);
        const double e2 = worst_err(c->run.o[o].at, c->dnn.o[o].at, c->scale[o], n);
        v->err[o] = e1 > e2 || isnan(e1) ? e1 : e2;
        v->ref[o] = e1;
        v->dnn[o] = e2;
    }
    if (st != GS_OK) {
        snprintf(v->why, sizeof v->why, "returned '%s': %s", gs_status_str(st), gs_error_detail());
        return;
    }
    for (int o = 0; o < O_COUNT; o++)
        if (!guarded_intact(&c->run.o[o])) {
            snprintf(v->why, sizeof v->why, "wrote outside %s", out_names[o]);
            return;
        }
    if (memcmp(c->x, c->copy, inputs_len(c) * sizeof(float))) {
        snprintf(v->why, sizeof v->why, "wrote into an input (x, dy, gamma, beta or the running stats given)");
        return;
    }
    for (int o = 0; o < O_COUNT; o++)
        if (!(v->err[o] <= threshold(o))) {
            snprintf(v->why, sizeof v->why, "%s: error %.3g above %g", out_names[o], v->err[o], threshold(o));
            return;
        }
    const char *inplace = check_inplace(c, im);
    if (inplace)
        snprintf(v->why, sizeof v->why, "%s", inplace);
}

static double zero_fraction(const float *x, size_t n)
{
    size_t zeros = 0;
    for (size_t i = 0; i < n; i++)
        zeros += x[i] == 0.0f;
    return n ? (double)zeros / (double)n : 0.0;
}

/* Counts the case and records its row. The outputs have two bounds (statistics, data), so the row
 * carries the output nearest to its bound, with that bound; v NULL: failed before any output. */
static void tally(gs_validate_summary_t *s, const char *prob, const char *impl, const verdict_t *v, result_t r)
{
    int worst = 0;
    for (int o = 1; v && o < O_COUNT; o++)
        if (gs_validate_margin(v->err[o], threshold(o)) > gs_validate_margin(v->err[worst], threshold(worst)))
            worst = o;
    gs_validate_record(s, &(gs_validate_row_t){"bn", prob, impl, v ? v->dnn[worst] : NAN, v ? v->ref[worst] : NAN,
                                               v ? threshold(worst) : NAN, result_name(r)});
}

static void print_repro(FILE *out, const char *prob, const char *impl, uint64_t seed)
{
    gs_isa_t isa;
    fprintf(out, "repro: gradscope validate bn %s", prob);
    if (strcmp(impl, "onednn") == 0)
        fprintf(out, " --impl onednn");
    else if (gs_isa_parse(impl, &isa) == GS_OK)
        fprintf(out, " --isa %s", impl);
    else
        fprintf(out, " (implementation '%s' is test-only)", impl);
    fprintf(out, " --seed %llu --threads %d\n", (unsigned long long)seed, omp_get_max_threads());
    gs_error_clear();
}

static const gs_bn_impl_t ref_impl = {"ref", gs_bn_fwd_train_ref, gs_bn_fwd_infer_ref, gs_bn_bwd_ref};
static const gs_bn_impl_t dnn_impl = {"onednn", gs_bn_fwd_train_onednn, gs_bn_fwd_infer_onednn, gs_bn_bwd_onednn};

static void print_case(FILE *out, const char *prob, const char *impl, const verdict_t *v, double zeros, result_t r)
{
    fprintf(out, "bn %s %s", prob, impl);
    for (int o = 0; o < O_COUNT; o++)
        fprintf(out, " %s=%.2g", out_names[o], v->err[o]);
    fprintf(out, " thr=%g|%g zeros=%.1f%% %s", THR_STATS, THR_DATA, 100.0 * zeros, result_name(r));
    if (v->why[0])
        fprintf(out, " (%s)", v->why);
    fputc('\n', out);
}

static void validate_problem(const gs_bn_problem_t *p, const gs_bn_impl_t *impls, size_t nimpls, uint64_t seed,
                             FILE *out, gs_validate_summary_t *s)
{
    char prob[GS_PROBLEM_STR_MAX];
    gs_bn_problem_str(p, prob);
    case_t c;
    if (case_init(&c, p) != GS_OK) {
        fprintf(out, "bn %s - FAIL (%s)\n", prob, gs_error_detail());
        tally(s, prob, NULL, NULL, RESULT_FAIL);
        return;
    }
    fill(&c, seed);
    gs_status_t st = run_all(&c, &ref_impl, &c.ref, NULL, NULL);
    if (st == GS_OK)
        st = run_all(&c, &dnn_impl, &c.dnn, c.ref.o[O_MEAN].at, c.ref.o[O_VAR].at);
    if (st != GS_OK) {
        fprintf(out, "bn %s - FAIL (reference returned '%s': %s)\n", prob, gs_status_str(st), gs_error_detail());
        tally(s, prob, NULL, NULL, RESULT_FAIL);
        case_free(&c);
        return;
    }
    make_scales(&c);
    for (size_t i = 0; i < nimpls; i++) {
        gs_error_clear();
        st = run_all(&c, &impls[i], &c.run, c.ref.o[O_MEAN].at, c.ref.o[O_VAR].at);
        verdict_t v;
        judge(&c, &impls[i], st, &v);
        const double zeros = zero_fraction(c.ref.o[O_Y].at, c.ne);
        const result_t r = v.why[0]                                                 ? RESULT_FAIL
                           : c.ne >= MISTRUST_MIN_OUTPUTS && zeros > MISTRUST_ZERO_FRACTION ? RESULT_MISTRUSTED
                                                                                    : RESULT_PASS;
        print_case(out, prob, impls[i].name, &v, zeros, r);
        if (r == RESULT_FAIL)
            print_repro(out, prob, impls[i].name, seed);
        tally(s, prob, impls[i].name, &v, r);
    }
    case_free(&c);
}

int gs_validate_bn(const gs_bn_problem_t *problems, size_t nproblems, const gs_bn_impl_t *impls, size_t nimpls,
                   uint64_t seed, FILE *out, gs_validate_summary_t *sum)
{
    gs_validate_summary_t s = {.csv = sum ? sum->csv : NULL};
    fprintf(out, "# bn validate: seed=%llu threads=%d problems=%zu impls=", (unsigned long long)seed,
            omp_get_max_threads(), nproblems);
    for (size_t i = 0; i < nimpls; i++)
        fprintf(out, "%s%s", i ? "," : "", impls[i].name);
    fprintf(out, " reference=onednn+ref fill=exact-mean pairs momentum=%g thr=%g(stats)|%g(y,dx)\n",
            (double)MOMENTUM, THR_STATS, THR_DATA);
    for (size_t i = 0; i < nproblems; i++)
        validate_problem(&problems[i], impls, nimpls, seed, out, &s);
    return gs_validate_finish(out, "bn", &s, seed, sum);
}

gs_bn_impl_t gs_bn_impl_for_isa(gs_isa_t isa)
{
    gs_bn_impl_t im = {gs_isa_name(isa), NULL, NULL, NULL};
    if (!gs_isa_supported(isa))
        return im;
    switch (isa) {
    case GS_ISA_AVX512:
        return (gs_bn_impl_t){im.name, gs_bn_fwd_train_avx512, gs_bn_fwd_infer_avx512, gs_bn_bwd_avx512};
    case GS_ISA_AVX2:
        return (gs_bn_impl_t){im.name, gs_bn_fwd_train_avx2, gs_bn_fwd_infer_avx2, gs_bn_bwd_avx2};
    default:
        return (gs_bn_impl_t){im.name, gs_bn_fwd_train_ref, gs_bn_fwd_infer_ref, gs_bn_bwd_ref};
    }
}

/* ---- Built-in problems ---- */

/* The batchnorm scenario: BatchNorm after each hidden Linear(., 128), batch 64 (quick recipe) and
 * 256; and the LeNet feature maps for 4-D. */
const char *const gs_bn_shapes_mlp[] = {"mb64ic128", "mb256ic128", "mb64ic20ih24iw24", "mb64ic50ih8iw8"};
const size_t gs_bn_shapes_mlp_count = sizeof gs_bn_shapes_mlp / sizeof gs_bn_shapes_mlp[0];

/* Statistics blocks are 4096 floats (NCHW) and 8192 floats of rows (2-D); work splits between
 * threads from 2^17 elements; streaming stores start past 16 MiB. */
const char *const gs_bn_shapes_edge[] = {
    "mb2ic7", "mb2ic1", "mb3ic33", "mb5ic17ih3iw5", "mb2ic3ih7iw9", "mb17ic5ih13iw13", "mb1ic3ih5iw5",
    "mb2ic16ih1iw1", "mb64ic20ih24iw24eps0.001", "mb3ic2ih70iw70", "mb1000ic9", "mb2048ic128",
    "mb65ic64ih32iw32", "mb33000ic129",
};
const size_t gs_bn_shapes_edge_count = sizeof gs_bn_shapes_edge / sizeof gs_bn_shapes_edge[0];

/* ---- gradscope validate bn ---- */

static gs_status_t bn_defaults(void **list, size_t *count)
{
    const char *const *const lists[] = {gs_bn_shapes_mlp, gs_bn_shapes_edge};
    const size_t counts[] = {gs_bn_shapes_mlp_count, gs_bn_shapes_edge_count};
    return gs_problem_parse_lists(&gs_bn_problem_desc, lists, counts, 2, list, count);
}

/* oneDNN itself with --impl onednn (against the oracle), else the native kernels of each ISA. */
static int check(const void *list, size_t count, const gs_validate_opts_t *o, gs_validate_summary_t *sum)
{
    gs_bn_impl_t impls[GS_ISA_COUNT];
    gs_isa_t isas[GS_ISA_COUNT];
    size_t n = 0;
    if (o->common.impl == GS_IMPL_ONEDNN)
        impls[n++] = dnn_impl;
    else
        for (int i = 0, ni = gs_validate_isas(&o->common, isas); i < ni; i++)
            impls[n++] = gs_bn_impl_for_isa(isas[i]);
    return gs_validate_bn(list, count, impls, n, (uint64_t)o->seed, stdout, sum);
}

int gs_validate_op_bn(char **operands, int noperands, const gs_validate_opts_t *o)
{
    static const gs_problem_io_t io = {sizeof(gs_bn_problem_t), &gs_bn_problem_desc, NULL, NULL, bn_defaults};
    return gs_validate_run(&io, operands, noperands, o, check);
}
