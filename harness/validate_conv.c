/* Convolution validation: benchdnn-style exact fills, five directions, oneDNN and scalar-oracle comparison, sentinels. */
#include "harness/validate_conv.h"

#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

/* ---- Fill and threshold ----
 * src, wei, bias and diff_dst hold small integers: 0 with probability 1/16, else one of +-1..+-amp.
 * Every output is a sum of R products (R = ic*kh*kw forward, at most oc*kh*kw backward-data,
 * mb*oh*ow backward-weights and bias) plus at most one bias, each an integer of magnitude <= amp^2,
 * so every partial sum is an integer below amp^2*R + amp, which float holds exactly while that is
 * below 2^24: then the sum is exact in any order a kernel accumulates (blocked, vectorized,
 * threaded) and the comparison threshold is 0, any difference a bug. amp is 3, or 1 when 3 would
 * overflow 2^24. Beyond that (R near 2^24: a huge backward-weights batch) the sums round; the error
 * is then relative to the magnitude sum(|a||b|) (so cancellation cannot inflate it) and the
 * threshold 1e-4 admits the rounding of float sums along the longest chain the kernels add in
 * sequence. There a single lost term could hide below the threshold; every built-in shape is in
 * the exact regime.
 * The zeros keep zero-skipping paths honest without making outputs zero: more than
 * MISTRUST_ZERO_FRACTION zero outputs, among those that could be non-zero, proves too little. */
#define FILL_ZERO_ONE_IN 16
#define THRESHOLD_EXACT 0.0
#define THRESHOLD_ROUNDED 1e-4
#define MISTRUST_ZERO_FRACTION 0.30
#define MISTRUST_MIN_OUTPUTS 10

enum { STREAM_SRC = 1, STREAM_WEI = 2, STREAM_BIAS = 3, STREAM_DIFF_DST = 4 };

/* Guard floats around every output, and the bit pattern written there: a signalling NaN, so a
 * kernel that reads it into arithmetic and writes it back changes its bits. */
#define GUARD_HEAD 16
#define GUARD_TAIL 64
#define SENTINEL_BITS 0x7fa5a5a5u

typedef enum { DIR_FWD_B, DIR_FWD_D, DIR_BWD_D, DIR_BWD_WB, DIR_BWD_W, DIR_COUNT } dir_t;
static const char *const dir_names[DIR_COUNT] = {"FWD_B", "FWD_D", "BWD_D", "BWD_WB", "BWD_W"};

/* The output tensors; a direction writes one of them, or diff_wei and diff_bias. */
typedef enum { T_DST, T_DIFF_SRC, T_DIFF_WEI, T_DIFF_BIAS, T_COUNT } tensor_t;
static const char *const tensor_names[T_COUNT] = {"dst", "diff_src", "diff_wei", "diff_bias"};

static int dir_outputs(dir_t d, tensor_t t[2])
{
    switch (d) {
    case DIR_FWD_B:
    case DIR_FWD_D:
        t[0] = T_DST;
        return 1;
    case DIR_BWD_D:
        t[0] = T_DIFF_SRC;
        return 1;
    case DIR_BWD_WB:
        t[0] = T_DIFF_WEI;
        t[1] = T_DIFF_BIAS;
        return 2;
    default:
        t[0] = T_DIFF_WEI;
        return 1;
    }
}

/* ---- One problem's buffers ---- */

typedef struct {
    gs_conv_problem_t p;
    long elems[T_COUNT]; /* dst, src (= diff_src), wei (= diff_wei), bias (= diff_bias) */
    float amp;
    bool exact;
    double threshold;
    float *src, *wei, *bias, *dd;         /* inputs, exact-size allocations: ASan sees any over-read */
    float *src0, *wei0, *bias0, *dd0;     /* their copies, to catch writes into inputs */
    float *run[T_COUNT];                  /* guards + output: where each implementation writes */
    float *dnn[DIR_COUNT][2], *ref[DIR_COUNT][2]; /* the references' outputs per direction */
    float *scale[T_COUNT];                /* sum of |a||b| per element (the oracle on |inputs|) */
} case_t;

static size_t guarded(long n) { return (size_t)(GUARD_HEAD + n + GUARD_TAIL); }
static float *inner(float *buf) { return buf + GUARD_HEAD; }

static float sentinel(void)
{
    uint32_t bits = SENTINEL_BITS;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float *alloc_floats(long n) { return malloc((size_t)(n > 0 ? n : 1) * sizeof(float)); }

static void case_free(case_t *c)
{
    float *all[] = {c->src, c->wei, c->bias, c->dd, c->src0, c->wei0, c->bias0, c->dd0};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    for (int t = 0; t < T_COUNT; t++) {
        free(c->run[t]);
        free(c->scale[t]);
    }
    for (int d = 0; d < DIR_COUNT; d++)
        for (int i = 0; i < 2; i++) {
            free(c->dnn[d][i]);
            free(c->ref[d][i]);
        }
}

static float small_int(uint64_t seed, uint64_t stream, uint64_t i, float amp)
{
    uint32_t w = gs_rng_u32(seed, stream, i);
    if (w % FILL_ZERO_ONE_IN == 0)
        return 0.0f;
    w /= FILL_ZERO_ONE_IN;
    const float mag = (float)(1 + (w / 2) % (uint32_t)amp);
    return w % 2 ? mag : -mag;
}

static void fill(uint64_t seed, uint64_t stream, float *x, long n, float amp)
{
    for (long i = 0; i < n; i++)
        x[i] = small_int(seed, stream, (uint64_t)i, amp);
}

/* The longest sum of products any output is: the larger of the three passes' reductions. */
static double longest_sum(const gs_conv_problem_t *p)
{
    const double fwd = (double)(p->ic * p->kh * p->kw);
    const double bwd_d = (double)p->oc * (double)((p->kh + p->sh - 1) / p->sh) * (double)((p->kw + p->sw - 1) / p->sw);
    const double bwd_w = (double)p->mb * (double)(p->oh * p->ow);
    return fmax(fwd, fmax(bwd_d, bwd_w));
}

static void choose_fill(case_t *c)
{
    const double r = longest_sum(&c->p), limit = 16777216.0;
    c->amp = 9.0 * r + 3.0 < limit ? 3.0f : 1.0f;
    c->exact = (double)c->amp * c->amp * r + c->amp < limit;
    c->threshold = c->exact ? THRESHOLD_EXACT : THRESHOLD_ROUNDED;
}

static gs_status_t case_alloc(case_t *c)
{
    const long *n = c->elems;
    float **in[4] = {&c->src, &c->wei, &c->bias, &c->dd};
    float **copy[4] = {&c->src0, &c->wei0, &c->bias0, &c->dd0};
    const long in_n[4] = {n[T_DIFF_SRC], n[T_DIFF_WEI], n[T_DIFF_BIAS], n[T_DST]};
    bool ok = true;
    for (int i = 0; i < 4; i++) {
        *in[i] = alloc_floats(in_n[i]);
        *copy[i] = alloc_floats(in_n[i]);
        ok = ok && *in[i] && *copy[i];
    }
    for (int t = 0; t < T_COUNT; t++) {
        c->run[t] = malloc(guarded(n[t]) * sizeof(float));
        c->scale[t] = alloc_floats(n[t]);
        ok = ok && c->run[t] && c->scale[t];
    }
    for (int d = 0; d < DIR_COUNT; d++) {
        tensor_t t[2];
        for (int i = 0, k = dir_outputs((dir_t)d, t); i < k; i++) {
            c->dnn[d][i] = alloc_floats(n[t[i]]);
            c->ref[d][i] = alloc_floats(n[t[i]]);
            ok = ok && c->dnn[d][i] && c->ref[d][i];
        }
    }
    return ok ? GS_OK : gs_error(GS_ENOMEM, "validate conv: out of memory for the buffers");
}

static gs_status_t case_init(case_t *c, const gs_conv_problem_t *p, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->p = *p;
    c->elems[T_DST] = p->mb * p->oc * p->oh * p->ow;
    c->elems[T_DIFF_SRC] = p->mb * p->ic * p->ih * p->iw;
    c->elems[T_DIFF_WEI] = p->oc * p->ic * p->kh * p->kw;
    c->elems[T_DIFF_BIAS] = p->oc;
    choose_fill(c);
    gs_status_t st = case_alloc(c);
    if (st != GS_OK) {
        case_free(c);
        return st;
    }
    fill(seed, STREAM_SRC, c->src, c->elems[T_DIFF_SRC], c->amp);
    fill(seed, STREAM_WEI, c->wei, c->elems[T_DIFF_WEI], c->amp);
    fill(seed, STREAM_BIAS, c->bias, c->elems[T_DIFF_BIAS], c->amp);
    fill(seed, STREAM_DIFF_DST, c->dd, c->elems[T_DST], c->amp);
    memcpy(c->src0, c->src, (size_t)c->elems[T_DIFF_SRC] * sizeof(float));
    memcpy(c->wei0, c->wei, (size_t)c->elems[T_DIFF_WEI] * sizeof(float));
    memcpy(c->bias0, c->bias, (size_t)c->elems[T_DIFF_BIAS] * sizeof(float));
    memcpy(c->dd0, c->dd, (size_t)c->elems[T_DST] * sizeof(float));
    return GS_OK;
}

/* Runs direction d of `im`, writing its outputs to out[0] (and out[1]). */
static gs_status_t run_dir(const case_t *c, const gs_conv_impl_t *im, dir_t d, float *const out[2])
{
    const gs_conv_problem_t *p = &c->p;
    switch (d) {
    case DIR_FWD_B:
        return gs_conv_fwd_with(im->fwd, p, c->src, c->wei, c->bias, out[0]);
    case DIR_FWD_D:
        return gs_conv_fwd_with(im->fwd, p, c->src, c->wei, NULL, out[0]);
    case DIR_BWD_D:
        return gs_conv_bwd_data_with(im->bwd_data, p, c->dd, c->wei, out[0]);
    case DIR_BWD_WB:
        return gs_conv_bwd_weights_with(im->bwd_weights, p, c->src, c->dd, out[0], out[1]);
    default:
        return gs_conv_bwd_weights_with(im->bwd_weights, p, c->src, c->dd, out[0], NULL);
    }
}

/* The magnitude each output's rounding scales with: the oracle on |inputs| (no bias: FWD_B adds
 * |bias| when comparing). Elements whose magnitude is 0 get no term at all (a diff_src pixel that
 * no window covers): they must be 0 and say nothing about the kernel. */
static gs_status_t case_init_scale(case_t *c)
{
    const long ns = c->elems[T_DIFF_SRC], nw = c->elems[T_DIFF_WEI], nd = c->elems[T_DST];
    float *as = alloc_floats(ns), *aw = alloc_floats(nw), *ad = alloc_floats(nd);
    gs_status_t st = as && aw && ad ? GS_OK : gs_error(GS_ENOMEM, "validate conv: out of memory for the scale");
    if (st == GS_OK) {
        for (long i = 0; i < ns; i++)
            as[i] = fabsf(c->src[i]);
        for (long i = 0; i < nw; i++)
            aw[i] = fabsf(c->wei[i]);
        for (long i = 0; i < nd; i++)
            ad[i] = fabsf(c->dd[i]);
        st = gs_conv_fwd_ref(&c->p, as, aw, NULL, c->scale[T_DST]);
        if (st == GS_OK)
            st = gs_conv_bwd_data_ref(&c->p, ad, aw, c->scale[T_DIFF_SRC]);
        if (st == GS_OK)
            st = gs_conv_bwd_weights_ref(&c->p, as, ad, c->scale[T_DIFF_WEI], c->scale[T_DIFF_BIAS]);
    }
    free(as);
    free(aw);
    free(ad);
    return st;
}

/* Fresh output buffers for a run: sentinel guards, NaN inside (every element must be written). */
static void prepare_outputs(case_t *c, dir_t d, float *out[2])
{
    tensor_t t[2];
    const float s = sentinel();
    for (int i = 0, k = dir_outputs(d, t); i < k; i++) {
        float *buf = c->run[t[i]];
        for (size_t j = 0; j < guarded(c->elems[t[i]]); j++)
            buf[j] = s;
        for (long j = 0; j < c->elems[t[i]]; j++)
            inner(buf)[j] = NAN;
        out[i] = inner(buf);
    }
}

/* ---- Checks ---- */

typedef struct {
    double max_err;
    tensor_t tensor; /* where max_err is (first such element) */
    long at;
    float got, want;
    long over; /* elements beyond the threshold */
} cmp_t;

/* Relative error against max(|want|, scale, 1): the floor of 1 because values are integers, where
 * near zero the absolute difference is what matters. A NaN or Inf the other side lacks is an
 * infinite error (an unwritten output stays NaN). */
static double elem_err(float got, float want, double scale)
{
    if (!isfinite(got) || !isfinite(want))
        return got == want ? 0.0 : INFINITY;
    double d = fabs((double)got - (double)want), w = fabs((double)want);
    double den = w > scale ? w : scale;
    return d / (den > 1.0 ? den : 1.0);
}

static double elem_scale(const case_t *c, dir_t d, tensor_t t, long i)
{
    double s = c->scale[t][i];
    if (d == DIR_FWD_B)
        s += fabs((double)c->bias[i / (c->p.oh * c->p.ow) % c->p.oc]);
    return s;
}

static cmp_t compare(const case_t *c, dir_t d, float *const got[2], float *const want[2])
{
    cmp_t r = {.max_err = -1.0};
    tensor_t t[2];
    for (int k = 0, nt = dir_outputs(d, t); k < nt; k++) {
        for (long i = 0; i < c->elems[t[k]]; i++) {
            const double e = elem_err(got[k][i], want[k][i], elem_scale(c, d, t[k], i));
            if (e > c->threshold)
                r.over++;
            if (e > r.max_err)
                r = (cmp_t){e, t[k], i, got[k][i], want[k][i], r.over};
        }
    }
    if (r.max_err < 0.0)
        r.max_err = 0.0;
    return r;
}

/* Describes the first guard float whose bits changed, into `where`; false if none. */
static bool find_clobbered(const case_t *c, dir_t d, char *where, size_t size)
{
    tensor_t t[2];
    for (int k = 0, nt = dir_outputs(d, t); k < nt; k++) {
        const float *buf = c->run[t[k]];
        const long n = c->elems[t[k]];
        for (long i = -GUARD_HEAD; i < n + GUARD_TAIL; i++) {
            if (i == 0)
                i = n; /* skip the output itself */
            uint32_t bits;
            memcpy(&bits, &buf[GUARD_HEAD + i], sizeof bits);
            if (bits == SENTINEL_BITS)
                continue;
            if (i < 0)
                snprintf(where, size, "%ld floats before %s", -i, tensor_names[t[k]]);
            else
                snprintf(where, size, "%ld floats past the end of %s", i - n + 1, tensor_names[t[k]]);
            return true;
        }
    }
    return false;
}

/* Zero outputs among those that have any term at all, as a fraction; *counted gets how many have. */
static double zero_fraction(const case_t *c, dir_t d, float *const want[2], long *counted)
{
    tensor_t t[2];
    long zeros = 0, total = 0;
    for (int k = 0, nt = dir_outputs(d, t); k < nt; k++) {
        for (long i = 0; i < c->elems[t[k]]; i++) {
            if (elem_scale(c, d, t[k], i) == 0.0)
                continue;
            total++;
            zeros += want[k][i] == 0.0f;
        }
    }
    *counted = total;
    return total > 0 ? (double)zeros / (double)total : 0.0;
}

static bool inputs_changed(const case_t *c, const char **which)
{
    const struct {
        const char *name;
        const float *x, *x0;
        long n;
    } in[4] = {{"src", c->src, c->src0, c->elems[T_DIFF_SRC]},
               {"wei", c->wei, c->wei0, c->elems[T_DIFF_WEI]},
               {"bias", c->bias, c->bias0, c->elems[T_DIFF_BIAS]},
               {"diff_dst", c->dd, c->dd0, c->elems[T_DST]}};
    for (int i = 0; i < 4; i++) {
        if (memcmp(in[i].x, in[i].x0, (size_t)in[i].n * sizeof(float)) != 0) {
            *which = in[i].name;
            return true;
        }
    }
    return false;
}

/* ---- Reporting ---- */

typedef enum { RESULT_PASS, RESULT_MISTRUSTED, RESULT_FAIL } result_t;

static const char *result_name(result_t r)
{
    return r == RESULT_PASS ? "PASS" : r == RESULT_MISTRUSTED ? "MISTRUSTED" : "FAIL";
}

/* Checks a run and writes why it fails (empty when it passes) into `why`. */
static result_t judge(const case_t *c, dir_t d, gs_status_t st, const cmp_t *vs_dnn, const cmp_t *vs_ref,
                      char *why, size_t size)
{
    char where[96];
    const char *input = NULL;
    why[0] = '\0';
    if (st != GS_OK)
        snprintf(why, size, "returned '%s': %s", gs_status_str(st), gs_error_detail());
    else if (find_clobbered(c, d, where, sizeof where))
        snprintf(why, size, "wrote outside its output: %s", where);
    else if (inputs_changed(c, &input))
        snprintf(why, size, "wrote into the input %s", input);
    else if (vs_dnn->over)
        snprintf(why, size, "%ld elements differ from oneDNN", vs_dnn->over);
    else if (vs_ref->over)
        snprintf(why, size, "%ld elements differ from the oracle", vs_ref->over);
    else {
        long counted;
        const double z = zero_fraction(c, d, c->dnn[d], &counted);
        return counted >= MISTRUST_MIN_OUTPUTS && z > MISTRUST_ZERO_FRACTION ? RESULT_MISTRUSTED : RESULT_PASS;
    }
    return RESULT_FAIL;
}

/* "dst[n,c,y,x]", "diff_wei[o,c,ky,kx]", "diff_bias[o]". */
static void format_index(const case_t *c, tensor_t t, long i, char *buf, size_t size)
{
    const gs_conv_problem_t *p = &c->p;
    long d1, d2, d3;
    switch (t) {
    case T_DST:
        d1 = p->oc, d2 = p->oh, d3 = p->ow;
        break;
    case T_DIFF_SRC:
        d1 = p->ic, d2 = p->ih, d3 = p->iw;
        break;
    case T_DIFF_WEI:
        d1 = p->ic, d2 = p->kh, d3 = p->kw;
        break;
    default:
        snprintf(buf, size, "%s[%ld]", tensor_names[t], i);
        return;
    }
    snprintf(buf, size, "%s[%ld,%ld,%ld,%ld]", tensor_names[t], i / (d1 * d2 * d3), i / (d2 * d3) % d1, i / d3 % d2,
             i % d3);
}

static void print_case(FILE *out, const case_t *c, dir_t d, const char *impl, const cmp_t *vs_dnn, const cmp_t *vs_ref,
                       result_t r, const char *why)
{
    char prob[GS_PROBLEM_STR_MAX], where[96];
    long counted;
    gs_conv_problem_str(&c->p, prob);
    format_index(c, vs_dnn->tensor, vs_dnn->at, where, sizeof where);
    fprintf(out, "conv %s %s %s max_rel_err=%.3g at %s (got %.9g want %.9g) ref_rel_err=%.3g thr=%g zeros=%.1f%% %s",
            prob, dir_names[d], impl, vs_dnn->max_err, where, (double)vs_dnn->got, (double)vs_dnn->want,
            vs_ref->max_err, c->threshold, 100.0 * zero_fraction(c, d, c->dnn[d], &counted), result_name(r));
    if (why[0])
        fprintf(out, " (%s)", why);
    fputc('\n', out);
}

static void print_repro(FILE *out, const case_t *c, const char *impl, uint64_t seed)
{
    char prob[GS_PROBLEM_STR_MAX];
    gs_isa_t isa;
    gs_conv_problem_str(&c->p, prob);
    fprintf(out, "repro: gradscope validate conv %s", prob);
    if (strcmp(impl, "onednn") == 0)
        fprintf(out, " --impl onednn");
    else if (gs_isa_parse(impl, &isa) == GS_OK)
        fprintf(out, " --isa %s", impl);
    else
        fprintf(out, " (implementation '%s' is test-only)", impl);
    fprintf(out, " --seed %llu --threads %d\n", (unsigned long long)seed, omp_get_max_threads());
    gs_error_clear();
}

/* Counts the case and records its row as "<problem>/<direction>" (the problem alone when it failed
 * before any direction ran: d < 0); NAN errors where none was measured. */
static void tally(gs_validate_summary_t *s, const gs_conv_problem_t *p, int d, const char *impl, double dnn_err,
                  double ref_err, double threshold, result_t r)
{
    char prob[GS_PROBLEM_STR_MAX], name[GS_PROBLEM_STR_MAX + 16];
    snprintf(name, sizeof name, "%s%s%s", gs_conv_problem_str(p, prob), d < 0 ? "" : "/", d < 0 ? "" : dir_names[d]);
    gs_validate_record(s, &(gs_validate_row_t){"conv", name, impl, dnn_err, ref_err, threshold, result_name(r)});
}

/* Both references in every direction, and the magnitudes; false (and a FAIL line, counted) when
 * one of them failed. */
static bool run_references(case_t *c, FILE *out, gs_validate_summary_t *s)
{
    const gs_conv_impl_t refs[2] = {gs_conv_impl_onednn(), {"ref", gs_conv_fwd_ref, gs_conv_bwd_data_ref,
                                                             gs_conv_bwd_weights_ref}};
    gs_status_t st = case_init_scale(c);
    const char *who = "ref";
    for (int d = 0; d < DIR_COUNT && st == GS_OK; d++) {
        for (int i = 0; i < 2 && st == GS_OK; i++) {
            who = refs[i].name;
            st = run_dir(c, &refs[i], (dir_t)d, i == 0 ? c->dnn[d] : c->ref[d]);
        }
    }
    if (st == GS_OK)
        return true;
    char prob[GS_PROBLEM_STR_MAX];
    fprintf(out, "conv %s - %s FAIL (reference returned '%s': %s)\n", gs_conv_problem_str(&c->p, prob), who,
            gs_status_str(st), gs_error_detail());
    tally(s, &c->p, -1, who, NAN, NAN, NAN, RESULT_FAIL);
    return false;
}

static void validate_problem(const gs_conv_problem_t *p, const gs_conv_impl_t *impls, size_t nimpls, uint64_t seed,
                             FILE *out, gs_validate_summary_t *s)
{
    case_t c;
    char prob[GS_PROBLEM_STR_MAX];
    gs_status_t st = case_init(&c, p, seed);
    if (st != GS_OK) {
        fprintf(out, "conv %s - - FAIL (%s)\n", gs_conv_problem_str(p, prob), gs_error_detail());
        tally(s, p, -1, NULL, NAN, NAN, NAN, RESULT_FAIL);
        return;
    }
    if (run_references(&c, out, s)) {
        for (size_t i = 0; i < nimpls; i++) {
            for (int d = 0; d < DIR_COUNT; d++) {
                float *got[2] = {NULL, NULL};
                gs_error_clear();
                prepare_outputs(&c, (dir_t)d, got);
                st = run_dir(&c, &impls[i], (dir_t)d, got);
                const cmp_t vs_dnn = compare(&c, (dir_t)d, got, c.dnn[d]);
                const cmp_t vs_ref = compare(&c, (dir_t)d, got, c.ref[d]);
                char why[512];
                const result_t r = judge(&c, (dir_t)d, st, &vs_dnn, &vs_ref, why, sizeof why);
                print_case(out, &c, (dir_t)d, impls[i].name, &vs_dnn, &vs_ref, r, why);
                if (r == RESULT_FAIL)
                    print_repro(out, &c, impls[i].name, seed);
                tally(s, &c.p, d, impls[i].name, vs_dnn.max_err, vs_ref.max_err, c.threshold, r);
            }
        }
    }
    case_free(&c);
}

int gs_validate_conv(const gs_conv_problem_t *problems, size_t nproblems, const gs_conv_impl_t *impls,
                     size_t nimpls, uint64_t seed, FILE *out, gs_validate_summary_t *sum)
{
    gs_validate_summary_t s = {.csv = sum ? sum->csv : NULL};
    fprintf(out, "# conv validate: seed=%llu threads=%d problems=%zu impls=", (unsigned long long)seed,
            omp_get_max_threads(), nproblems);
    for (size_t i = 0; i < nimpls; i++)
        fprintf(out, "%s%s", i ? "," : "", impls[i].name);
    fprintf(out, " dirs=FWD_B,FWD_D,BWD_D,BWD_WB,BWD_W reference=onednn+ref fill=ints[-3,3]|[-1,1],zeros~1/%d "
                 "thr=%g(exact)|%g(sums past 2^24)\n",
            FILL_ZERO_ONE_IN, THRESHOLD_EXACT, THRESHOLD_ROUNDED);
    for (size_t i = 0; i < nproblems; i++)
        validate_problem(&problems[i], impls, nimpls, seed, out, &s);
    return gs_validate_finish(out, "conv", &s, seed, sum);
}

gs_conv_impl_t gs_conv_impl_for_isa(gs_isa_t isa)
{
    gs_conv_impl_t im = {gs_isa_name(isa), NULL, NULL, NULL};
    if (!gs_isa_supported(isa))
        return im;
    switch (isa) {
    case GS_ISA_AVX2:
        return (gs_conv_impl_t){im.name, gs_conv_fwd_avx2, gs_conv_bwd_data_avx2, gs_conv_bwd_weights_avx2};
    case GS_ISA_AVX512:
        return (gs_conv_impl_t){im.name, gs_conv_fwd_avx512, gs_conv_bwd_data_avx512, gs_conv_bwd_weights_avx512};
    default:
        return (gs_conv_impl_t){im.name, gs_conv_fwd_ref, gs_conv_bwd_data_ref, gs_conv_bwd_weights_ref};
    }
}

gs_conv_impl_t gs_conv_impl_onednn(void)
{
    return (gs_conv_impl_t){"onednn", gs_conv_fwd_onednn, gs_conv_bwd_data_onednn, gs_conv_bwd_weights_onednn};
}

/* ---- Built-in problem lists ---- */

/* SCENARIOS.md's LeNet: conv1 (1 -> 20 channels, 28x28, 5x5) and conv2 (20 -> 50, 12x12, 5x5). */
const char *const gs_conv_shapes_lenet[] = {
    "mb64ic1ih28oc20kh5",
    "mb64ic20ih12oc50kh5",
    "mb256ic1ih28oc20kh5",
    "mb256ic20ih12oc50kh5",
};
const size_t gs_conv_shapes_lenet_count = sizeof gs_conv_shapes_lenet / sizeof gs_conv_shapes_lenet[0];

const char *const gs_conv_shape_resnet = "mb16ic64ih56oc64kh3ph1pw1";

/* The kernels' seams: pixel tiles of 2 vectors (16 or 32 floats), register blocks of up to 6 or 12
 * rows, dot blocks of 2 or 5 x 5, im2col panels of up to 192 (AVX-512) or 384 (AVX2) rows with a
 * 48 KiB L1 (K = 500 crosses both), chunks of output rows when a batch outgrows L1/L2, pixel vectors
 * that cross output rows, gathers where they spread too wide, patterns that repeat, and the scalar
 * col2im of strides. */
const char *const gs_conv_shapes_edge[] = {
    /* one image; one input channel */
    "mb1ic1ih28oc20kh5", "mb1ic20ih12oc50kh5", "mb5ic1ih19oc3kh3",
    /* odd channels and sizes; non-square input and kernel */
    "mb3ic7ih13oc11kh3", "mb2ic5ih17iw11oc9kh3kw5", "mb2ic3ih20iw40oc33kh3ph1pw1",
    /* strides, padding, both */
    "mb2ic6ih15oc10kh3sh2sw2", "mb2ic4ih9oc6kh3ph1pw1", "mb2ic3ih10iw7oc5kh5kw3sh2ph2pw1", "mb1ic2ih3iw70oc4kh3sw3",
    "mb2ic16ih28oc24kh3ph1pw1", "mb2ic3ih5iw6oc17kh5ph4pw4",
    /* 1x1 kernels (stride 2 leaves diff_src pixels no window covers) */
    "mb4ic8ih7oc16kh1", "mb2ic8ih9oc16kh1sh2sw2",
    /* 1x1 outputs */
    "mb3ic5ih5oc7kh5", "mb2ic3ih4iw6oc5kh4kw6",
    /* rows of 32 and 34 pixels; pixel vectors spread over many short rows (gathered); rows whose
     * vector pattern repeats every 2 or 3 vectors (the periodic im2col), with padding */
    "mb2ic2ih33iw35oc13kh2", "mb1ic2ih40iw12oc3kh1kw10", "mb2ic2ih20iw34oc6kh3", "mb2ic2ih40iw14oc3kh5ph1pw1",
    /* several chunks of output rows (backward-weights and backward-data), many images per batch */
    "mb2ic2ih32iw102oc3kh3", "mb1ic16ih42oc8kh3", "mb17ic3ih8oc5kh3",
};
const size_t gs_conv_shapes_edge_count = sizeof gs_conv_shapes_edge / sizeof gs_conv_shapes_edge[0];

gs_status_t gs_conv_problems_default(gs_conv_problem_t **list, size_t *count)
{
    const char *const resnet[] = {gs_conv_shape_resnet};
    const char *const *const lists[] = {gs_conv_shapes_lenet, resnet, gs_conv_shapes_edge};
    const size_t counts[] = {gs_conv_shapes_lenet_count, 1, gs_conv_shapes_edge_count};
    void *items;
    const gs_status_t st = gs_problem_parse_lists(&gs_conv_problem_desc, lists, counts, 3, &items, count);
    *list = items;
    return st;
}
