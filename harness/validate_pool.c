/* Max-pooling validation: exact integer fills, oneDNN and oracle comparison, guarded outputs. */
#include "harness/validate_pool.h"

#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/dispatch.h"
#include "core/rng.h"
#include "harness/cli.h"
#include "harness/validate_collect.h"

/* ---- Fill and threshold ----
 * Max pooling only copies values, so every correct implementation gives bit-identical dst and,
 * when the gradients are small integers, bit-identical diff_src (sums of at most kh*kw integers
 * below 2^24 are exact in any order): threshold 0. The "distinct" fill makes ties impossible: the
 * value at row r, column c is b * kh*kw + (r mod kh) * kw + (c mod kw) with b a random integer,
 * and kh consecutive rows (kw consecutive columns) have distinct residues, so the elements of any
 * window differ in their low part. The "ties" fill draws from {-1, 0, 1}. */
#define THRESHOLD 0.0
#define FILL_BASE_MAX 1000
#define GRAD_MAX 8
#define MISTRUST_ZERO_FRACTION 0.30
#define MISTRUST_MIN_OUTPUTS 10

enum { STREAM_SRC = 1, STREAM_DY = 2 };
enum { FILL_DISTINCT, FILL_TIES };

#define GUARD 64 /* floats (or bytes) of sentinel before and after every output */
#define SENTINEL_BITS 0x7fa5a5a5u
#define WS_SENTINEL 0xa5

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

/* Sentinels around, NaN inside: an element the kernel forgets stays NaN. */
static void guarded_reset(guarded_t *g)
{
    const float s = sentinel();
    for (size_t i = 0; i < g->n + 2 * GUARD; i++)
        g->buf[i] = s;
    for (size_t i = 0; i < g->n; i++)
        g->at[i] = NAN;
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

typedef struct {
    gs_pool_problem_t p;
    gs_pool_shape_t s;
    size_t ni, no, ws_bytes, ws_ours; /* src and dst elements; workspace bytes: allocated, native format */
    float *src, *src_copy, *dy, *dy_copy;
    guarded_t dst_ref, dst_dnn, dst_run, dx_ref, dx_dnn, dx_run;
    uint8_t *ws_ref, *ws_dnn, *ws_run, *ws_copy; /* ws_bytes + GUARD each */
} case_t;

static void case_free(case_t *c)
{
    free(c->src), free(c->src_copy), free(c->dy), free(c->dy_copy);
    guarded_t *g[6] = {&c->dst_ref, &c->dst_dnn, &c->dst_run, &c->dx_ref, &c->dx_dnn, &c->dx_run};
    for (int i = 0; i < 6; i++)
        free(g[i]->buf);
    free(c->ws_ref), free(c->ws_dnn), free(c->ws_run), free(c->ws_copy);
}

static gs_status_t case_init(case_t *c, const gs_pool_problem_t *p)
{
    memset(c, 0, sizeof *c);
    c->p = *p;
    c->s = gs_pool_problem_shape(p);
    c->ni = (size_t)(c->s.mb * c->s.c * c->s.ih * c->s.iw);
    c->no = (size_t)(c->s.mb * c->s.c * c->s.oh * c->s.ow);
    c->ws_ours = c->no * gs_pool_ws_index_bytes(&c->s);
    c->ws_bytes = gs_pool_ws_bytes(&c->s);
    c->src = malloc(c->ni * sizeof(float));
    c->src_copy = malloc(c->ni * sizeof(float));
    c->dy = malloc(c->no * sizeof(float));
    c->dy_copy = malloc(c->no * sizeof(float));
    bool ok = c->src && c->src_copy && c->dy && c->dy_copy;
    guarded_t *g[6] = {&c->dst_ref, &c->dst_dnn, &c->dst_run, &c->dx_ref, &c->dx_dnn, &c->dx_run};
    for (int i = 0; i < 6; i++)
        ok = guarded_alloc(g[i], i < 3 ? c->no : c->ni) && ok;
    uint8_t **w[4] = {&c->ws_ref, &c->ws_dnn, &c->ws_run, &c->ws_copy};
    for (int i = 0; i < 4; i++)
        ok = (*w[i] = malloc(c->ws_bytes + GUARD)) != NULL && ok;
    if (!ok || c->ws_bytes == 0) {
        case_free(c);
        return gs_error(GS_ENOMEM, "validate pool: out of memory for the buffers");
    }
    return GS_OK;
}

static void fill(case_t *c, int kind, uint64_t seed)
{
    const gs_pool_shape_t *s = &c->s;
    const long k = s->kh * s->kw, base = (1L << 23) / k < FILL_BASE_MAX ? (1L << 23) / k : FILL_BASE_MAX;
    for (size_t i = 0; i < c->ni; i++) {
        const uint32_t w = gs_rng_u32(seed, STREAM_SRC, i);
        if (kind == FILL_TIES) {
            c->src[i] = (float)((long)(w % 3) - 1);
        } else {
            const long col = (long)(i % (size_t)s->iw), row = (long)(i / (size_t)s->iw % (size_t)s->ih);
            c->src[i] = (float)(((long)(w % (uint32_t)(2 * base + 1)) - base) * k + (row % s->kh) * s->kw + col % s->kw);
        }
    }
    for (size_t i = 0; i < c->no; i++) { /* nonzero, so every routed gradient shows */
        const uint32_t w = gs_rng_u32(seed, STREAM_DY, i);
        const long v = (long)(w % (2 * GRAD_MAX)) - GRAD_MAX;
        c->dy[i] = (float)(v >= 0 ? v + 1 : v);
    }
    memcpy(c->src_copy, c->src, c->ni * sizeof(float));
    memcpy(c->dy_copy, c->dy, c->no * sizeof(float));
}

static bool ws_intact(const case_t *c, const uint8_t *ws)
{
    for (size_t i = 0; i < GUARD; i++)
        if (ws[c->ws_bytes + i] != WS_SENTINEL)
            return false;
    return true;
}

/* Forward then backward of one implementation into dst / dx / ws, from reset buffers. */
static gs_status_t run_pair(case_t *c, const gs_pool_impl_t *im, guarded_t *dst, uint8_t *ws, guarded_t *dx)
{
    guarded_reset(dst);
    guarded_reset(dx);
    memset(ws, WS_SENTINEL, c->ws_bytes + GUARD);
    gs_status_t st = gs_pool_fwd_with(im->fwd, &c->s, c->src, dst->at, ws);
    if (st == GS_OK) {
        memcpy(c->ws_copy, ws, c->ws_bytes + GUARD);
        st = gs_pool_bwd_with(im->bwd, &c->s, c->dy, ws, dx->at);
    }
    return st;
}

/* Largest |got - want| (NaN on either side alone: infinite); counts elements above THRESHOLD. */
static double max_diff(const float *got, const float *want, size_t n, long *over)
{
    double worst = 0.0;
    *over = 0;
    for (size_t i = 0; i < n; i++) {
        double d = isnan(got[i]) || isnan(want[i]) ? (isnan(got[i]) && isnan(want[i]) ? 0.0 : INFINITY)
                                                   : fabs((double)got[i] - (double)want[i]);
        *over += d > THRESHOLD;
        worst = d > worst ? d : worst;
    }
    return worst;
}

typedef enum { RESULT_PASS, RESULT_MISTRUSTED, RESULT_FAIL } result_t;

static const char *result_name(result_t r)
{
    return r == RESULT_PASS ? "PASS" : r == RESULT_MISTRUSTED ? "MISTRUSTED" : "FAIL";
}

static bool is_native(const gs_pool_impl_t *im) { return im->fwd != gs_pool_fwd_onednn; }

typedef struct {
    double fwd_err, bwd_err; /* worst against either reference */
    double dnn_err, ref_err; /* worst of both directions against oneDNN, against the oracle */
    char why[256];
} verdict_t;

/* Everything one implementation must satisfy; the first violation goes into v->why. */
static void judge(case_t *c, const gs_pool_impl_t *im, int kind, gs_status_t st, verdict_t *v)
{
    long over_ref = 0, over_dnn = 0, over_bwd_ref = 0, over_bwd_dnn = 0;
    const double f1 = max_diff(c->dst_run.at, c->dst_ref.at, c->no, &over_ref);
    const double f2 = max_diff(c->dst_run.at, c->dst_dnn.at, c->no, &over_dnn);
    const double b1 = max_diff(c->dx_run.at, c->dx_ref.at, c->ni, &over_bwd_ref);
    const double b2 = kind == FILL_DISTINCT ? max_diff(c->dx_run.at, c->dx_dnn.at, c->ni, &over_bwd_dnn) : 0.0;
    v->fwd_err = f1 > f2 ? f1 : f2;
    v->bwd_err = b1 > b2 ? b1 : b2;
    v->dnn_err = f2 > b2 ? f2 : b2;
    v->ref_err = f1 > b1 ? f1 : b1;
    v->why[0] = '\0';
    if (st != GS_OK)
        snprintf(v->why, sizeof v->why, "returned '%s': %s", gs_status_str(st), gs_error_detail());
    else if (!guarded_intact(&c->dst_run))
        snprintf(v->why, sizeof v->why, "wrote outside dst");
    else if (!guarded_intact(&c->dx_run))
        snprintf(v->why, sizeof v->why, "wrote outside diff_src");
    else if (!ws_intact(c, c->ws_run))
        snprintf(v->why, sizeof v->why, "wrote past the %zu workspace bytes", c->ws_bytes);
    else if (memcmp(c->src, c->src_copy, c->ni * sizeof(float)) || memcmp(c->dy, c->dy_copy, c->no * sizeof(float)))
        snprintf(v->why, sizeof v->why, "wrote into src or diff_dst");
    else if (memcmp(c->ws_run, c->ws_copy, c->ws_bytes))
        snprintf(v->why, sizeof v->why, "backward wrote into the workspace");
    else if (over_ref || over_dnn)
        snprintf(v->why, sizeof v->why, "dst: %ld elements differ from the oracle, %ld from oneDNN", over_ref, over_dnn);
    else if (is_native(im) && memcmp(c->ws_run, c->ws_ref, c->ws_ours))
        snprintf(v->why, sizeof v->why, "workspace indices differ from the oracle's");
    else if (over_bwd_ref || over_bwd_dnn)
        snprintf(v->why, sizeof v->why, "diff_src: %ld elements differ from the oracle, %ld from oneDNN", over_bwd_ref,
                 over_bwd_dnn);
}

/* Native backward on the oracle's workspace: the shared format, read by every ISA. */
static void judge_shared_ws(case_t *c, const gs_pool_impl_t *im, verdict_t *v)
{
    if (v->why[0] || !is_native(im))
        return;
    guarded_reset(&c->dx_run);
    gs_status_t st = gs_pool_bwd_with(im->bwd, &c->s, c->dy, c->ws_ref, c->dx_run.at);
    long over = 0;
    max_diff(c->dx_run.at, c->dx_ref.at, c->ni, &over);
    if (st != GS_OK || over || !guarded_intact(&c->dx_run))
        snprintf(v->why, sizeof v->why, "backward on the oracle's workspace differs (%ld elements)", over);
}

static double zero_fraction(const float *x, size_t n)
{
    size_t zeros = 0;
    for (size_t i = 0; i < n; i++)
        zeros += x[i] == 0.0f;
    return n ? (double)zeros / (double)n : 0.0;
}

/* Counts the case and records its row as "<problem>/<fill>" (the problem alone when it failed
 * before any fill: fill NULL); NAN errors where none was measured. */
static void tally(gs_validate_summary_t *s, const char *prob, const char *fill, const char *impl, double dnn_err,
                  double ref_err, result_t r)
{
    char name[GS_PROBLEM_STR_MAX + 16];
    snprintf(name, sizeof name, "%s%s%s", prob, fill ? "/" : "", fill ? fill : "");
    gs_validate_record(s, &(gs_validate_row_t){"pool", name, impl, dnn_err, ref_err, THRESHOLD, result_name(r)});
}

static void print_repro(FILE *out, const char *prob, const char *impl, uint64_t seed)
{
    gs_isa_t isa;
    fprintf(out, "repro: gradscope validate pool %s", prob);
    if (strcmp(impl, "onednn") == 0)
        fprintf(out, " --impl onednn");
    else if (gs_isa_parse(impl, &isa) == GS_OK)
        fprintf(out, " --isa %s", impl);
    else
        fprintf(out, " (implementation '%s' is test-only)", impl);
    fprintf(out, " --seed %llu --threads %d\n", (unsigned long long)seed, omp_get_max_threads());
    gs_error_clear();
}

static const gs_pool_impl_t ref_impl = {"ref", gs_pool_fwd_ref, gs_pool_bwd_ref};
static const gs_pool_impl_t dnn_impl = {"onednn", gs_pool_fwd_onednn, gs_pool_bwd_onednn};

static void validate_fill(case_t *c, int kind, const gs_pool_impl_t *impls, size_t nimpls, uint64_t seed, FILE *out,
                          gs_validate_summary_t *s)
{
    char prob[GS_PROBLEM_STR_MAX];
    const char *fill_name = kind == FILL_TIES ? "ties" : "distinct";
    gs_pool_problem_str(&c->p, prob);
    fill(c, kind, seed);
    gs_status_t st = run_pair(c, &ref_impl, &c->dst_ref, c->ws_ref, &c->dx_ref);
    if (st == GS_OK)
        st = run_pair(c, &dnn_impl, &c->dst_dnn, c->ws_dnn, &c->dx_dnn);
    if (st != GS_OK) {
        fprintf(out, "pool %s - fill=%s FAIL (reference returned '%s': %s)\n", prob, fill_name, gs_status_str(st),
                gs_error_detail());
        tally(s, prob, fill_name, NULL, NAN, NAN, RESULT_FAIL);
        return;
    }
    long dnn_ties = 0; /* how often oneDNN routes a tied gradient elsewhere: reported, not judged */
    if (kind == FILL_TIES)
        max_diff(c->dx_dnn.at, c->dx_ref.at, c->ni, &dnn_ties);
    for (size_t i = 0; i < nimpls; i++) {
        gs_error_clear();
        st = run_pair(c, &impls[i], &c->dst_run, c->ws_run, &c->dx_run);
        verdict_t v;
        judge(c, &impls[i], kind, st, &v);
        judge_shared_ws(c, &impls[i], &v);
        const double zeros = zero_fraction(c->dst_ref.at, c->no);
        const result_t r = v.why[0] ? RESULT_FAIL
                           : kind == FILL_DISTINCT && c->no >= MISTRUST_MIN_OUTPUTS && zeros > MISTRUST_ZERO_FRACTION
                               ? RESULT_MISTRUSTED
                               : RESULT_PASS;
        fprintf(out, "pool %s %s fill=%s fwd_err=%g bwd_err=%g thr=%g zeros=%.1f%%", prob, impls[i].name, fill_name,
                v.fwd_err, v.bwd_err, THRESHOLD, 100.0 * zeros);
        if (kind == FILL_TIES)
            fprintf(out, " onednn_tie_choices_differ=%ld", dnn_ties);
        fprintf(out, " %s", result_name(r));
        if (v.why[0])
            fprintf(out, " (%s)", v.why);
        fputc('\n', out);
        if (r == RESULT_FAIL)
            print_repro(out, prob, impls[i].name, seed);
        tally(s, prob, fill_name, impls[i].name, v.dnn_err, v.ref_err, r);
    }
}

int gs_validate_pool(const gs_pool_problem_t *problems, size_t nproblems, const gs_pool_impl_t *impls,
                     size_t nimpls, uint64_t seed, FILE *out, gs_validate_summary_t *sum)
{
    gs_validate_summary_t s = {.csv = sum ? sum->csv : NULL};
    fprintf(out, "# pool validate: seed=%llu threads=%d problems=%zu impls=", (unsigned long long)seed,
            omp_get_max_threads(), nproblems);
    for (size_t i = 0; i < nimpls; i++)
        fprintf(out, "%s%s", i ? "," : "", impls[i].name);
    fprintf(out, " reference=onednn+ref fill=distinct-in-window ints|ties{-1,0,1} grad=nonzero-ints[-%d,%d] thr=%g\n",
            GRAD_MAX, GRAD_MAX, THRESHOLD);
    for (size_t i = 0; i < nproblems; i++) {
        case_t c;
        if (case_init(&c, &problems[i]) != GS_OK) {
            char prob[GS_PROBLEM_STR_MAX];
            fprintf(out, "pool %s - FAIL (%s)\n", gs_pool_problem_str(&problems[i], prob), gs_error_detail());
            tally(&s, prob, NULL, NULL, NAN, NAN, RESULT_FAIL);
            continue;
        }
        validate_fill(&c, FILL_DISTINCT, impls, nimpls, seed, out, &s);
        validate_fill(&c, FILL_TIES, impls, nimpls, seed, out, &s);
        case_free(&c);
    }
    return gs_validate_finish(out, "pool", &s, seed, sum);
}

gs_pool_impl_t gs_pool_impl_for_isa(gs_isa_t isa)
{
    gs_pool_impl_t im = {gs_isa_name(isa), NULL, NULL};
    if (!gs_isa_supported(isa))
        return im;
    im.fwd = isa == GS_ISA_AVX512 ? gs_pool_fwd_avx512 : isa == GS_ISA_AVX2 ? gs_pool_fwd_avx2 : gs_pool_fwd_ref;
    im.bwd = isa == GS_ISA_AVX512 ? gs_pool_bwd_avx512 : isa == GS_ISA_AVX2 ? gs_pool_bwd_avx2 : gs_pool_bwd_ref;
    return im;
}

/* ---- Built-in problems ---- */

const char *const gs_pool_shapes_lenet[] = {
    "mb64ic20ih24iw24kh2kw2sh2sw2", /* conv1 output 24x24 -> 12x12 */
    "mb64ic50ih8iw8kh2kw2sh2sw2",   /* conv2 output 8x8 -> 4x4 */
};
const size_t gs_pool_shapes_lenet_count = sizeof gs_pool_shapes_lenet / sizeof gs_pool_shapes_lenet[0];

/* Rows of 1..5 outputs pack several rows per vector (AVX-512 up to 8, AVX2 up to 4); 12 and 17
 * outputs leave partial vectors, 29 end with a full vector overlapping the one before; odd sizes
 * leave a row and a column no window covers. */
const char *const gs_pool_shapes_edge[] = {
    "mb1ic1ih2iw2",   "mb1ic3ih5iw7",   "mb2ic5ih13iw9",  "mb3ic2ih33iw35", "mb1ic2ih6iw4",
    "mb1ic2ih18iw6",  "mb1ic2ih26iw10", "mb2ic3ih9iw8",   "mb1ic4ih16iw16", "mb2ic2ih7iw17",
    "mb2ic3ih7iw59",
    /* other windows: 3x3/2 (gathered), 3x3/1 overlapping (loaded; rows of 9 and 29 outputs), 2x2/3
     * with gaps, 3x2/2 tall, 17x17/1 (int32 workspace), 1x1 */
    "mb2ic3ih17iw19kh3", "mb2ic3ih9iw11kh3sh1", "mb1ic2ih5iw31kh3sh1", "mb1ic2ih12iw12kh2sh3",
    "mb2ic2ih10iw10kh3kw2sh2sw2", "mb1ic1ih40iw40kh17sh1", "mb2ic2ih5iw5kh1",
};
const size_t gs_pool_shapes_edge_count = sizeof gs_pool_shapes_edge / sizeof gs_pool_shapes_edge[0];

/* ---- gradscope validate pool ---- */

static gs_status_t pool_defaults(void **list, size_t *count)
{
    const char *const *const lists[] = {gs_pool_shapes_lenet, gs_pool_shapes_edge};
    const size_t counts[] = {gs_pool_shapes_lenet_count, gs_pool_shapes_edge_count};
    return gs_problem_parse_lists(&gs_pool_problem_desc, lists, counts, 2, list, count);
}

/* oneDNN itself with --impl onednn (against the oracle), else the native kernels of each ISA. */
static int check(const void *list, size_t count, const gs_validate_opts_t *o, gs_validate_summary_t *sum)
{
    gs_pool_impl_t impls[GS_ISA_COUNT];
    gs_isa_t isas[GS_ISA_COUNT];
    size_t n = 0;
    if (o->common.impl == GS_IMPL_ONEDNN)
        impls[n++] = dnn_impl;
    else
        for (int i = 0, ni = gs_validate_isas(&o->common, isas); i < ni; i++)
            impls[n++] = gs_pool_impl_for_isa(isas[i]);
    return gs_validate_pool(list, count, impls, n, (uint64_t)o->seed, stdout, sum);
}

int gs_validate_op_pool(char **operands, int noperands, const gs_validate_opts_t *o)
{
    static const gs_problem_io_t io = {sizeof(gs_pool_problem_t), &gs_pool_problem_desc, NULL, NULL, pool_defaults};
    return gs_validate_run(&io, operands, noperands, o, check);
}
