/* GEMM validation: benchdnn-style exact fills, oneDNN and scalar-oracle comparison, out-of-bounds sentinels. */
#include "harness/validate_gemm.h"

#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/rng.h"

/* ---- Fill and threshold ----
 * A and B hold small integers: 0 with probability 1/16, else one of +-1, +-2, +-3. Every product
 * is an integer of magnitude <= 9 and every partial sum of k of them an integer below 9k, which
 * float represents exactly while 9k < 2^24 (the problem parser caps k at 10^6). So the sum is
 * exact whatever order a kernel accumulates in, blocked, vectorized or threaded. Scaling by alpha
 * and beta keeps it exact when they have few significant bits (1, 2, 0.5, -1, 1.5...): see
 * scaling_is_exact(). Exact problems are compared at threshold 0; any difference is a bug.
 * For other alpha/beta (0.3) each kernel rounds its own way: alpha applied once or per K block
 * (blocked kernels, oneDNN), FMA or not. The error is then relative to the scale of the standard
 * GEMM error bound, |alpha|*sum|a||b| + |beta|*|c| (so cancellation cannot inflate it), and the
 * threshold 1e-5 leaves room for ~150 roundings at that scale. The zeros keep fma-with-zero and sparse-row paths honest without
 * making outputs zero: more than MISTRUST_ZERO_FRACTION zero outputs means the problem proves too
 * little (benchdnn's MISTRUSTED). */
#define FILL_ZERO_ONE_IN 16
#define FILL_MAX_ABS 3
#define THRESHOLD_EXACT 0.0
#define THRESHOLD_ROUNDED 1e-5
#define MISTRUST_ZERO_FRACTION 0.30
#define MISTRUST_MIN_OUTPUTS 10

/* Philox streams of the three operands: same seed, independent numbers. */
enum { STREAM_A = 1, STREAM_B = 2, STREAM_C = 3 };

/* Guard floats before and after C, and the bit pattern written there and in C's padding columns:
 * a signalling NaN, so a kernel that reads it into arithmetic and writes back changes its bits. */
#define GUARD_HEAD 16
#define GUARD_TAIL 64
#define SENTINEL_BITS 0x7fa5a5a5u

static float small_int(uint64_t seed, uint64_t stream, uint64_t i)
{
    static const float values[6] = {-3, -2, -1, 1, 2, 3};
    uint32_t w = gs_rng_u32(seed, stream, i);
    if (w % FILL_ZERO_ONE_IN == 0)
        return 0.0f;
    return values[(w / FILL_ZERO_ONE_IN) % 6];
}

/* rows x cols values into a matrix with leading dimension ld; the element index ignores ld, so a
 * padded problem gets the same numbers as its unpadded twin. Padding holds `pad`. */
static void fill_matrix(uint64_t seed, uint64_t stream, float *x, long rows, long cols, long ld, float pad)
{
    for (long i = 0; i < rows; i++)
        for (long j = 0; j < ld; j++)
            x[i * ld + j] = j < cols ? small_int(seed, stream, (uint64_t)(i * cols + j)) : pad;
}

/* x = odd * 2^e: returns e, the weight of x's lowest set bit. */
static int lowest_bit_exponent(float x)
{
    int e;
    double f = frexp(fabs((double)x), &e);
    long long mant = (long long)ldexp(f, 24);
    e -= 24;
    while (mant && !(mant & 1)) {
        mant >>= 1;
        e++;
    }
    return e;
}

/* alpha*sum + beta*c is a multiple of 2^min(e_alpha, e_beta); it and every partial result are exact
 * in float when their magnitude bound, counted in units of that power of two, stays below 2^24. */
static bool scaling_is_exact(const gs_gemm_problem_t *p)
{
    double bound = 0.0;
    int emin = INT_MAX;
    if (p->alpha != 0.0f && p->k > 0) {
        bound += fabs((double)p->alpha) * FILL_MAX_ABS * FILL_MAX_ABS * (double)p->k;
        emin = lowest_bit_exponent(p->alpha);
    }
    if (p->beta != 0.0f) {
        bound += fabs((double)p->beta) * FILL_MAX_ABS;
        int eb = lowest_bit_exponent(p->beta);
        emin = eb < emin ? eb : emin;
    }
    return emin == INT_MAX || ldexp(bound, -emin) < 16777216.0;
}

/* ---- One problem's buffers ---- */

typedef struct {
    gs_gemm_problem_t p;
    long lda, ldb, ldc;
    size_t a_elems, b_elems, c_elems;
    float *a, *b, *a_copy, *b_copy; /* exact-size allocations: ASan sees any over-read */
    float *c_init;                  /* guards + C before the call (pattern or NaN, sentinel padding) */
    float *c_run;                   /* guards + C: where each implementation writes */
    float *c_dnn, *c_ref;           /* guards + C: oneDNN's and the oracle's answers */
    float *scale;                   /* |alpha|*|A||B| + |beta||C| per element; NULL for exact problems */
    bool exact;
    double threshold;
} case_t;

static size_t guarded(size_t c_elems) { return GUARD_HEAD + c_elems + GUARD_TAIL; }
static float *c_of(float *buf) { return buf + GUARD_HEAD; }

static float sentinel(void)
{
    uint32_t bits = SENTINEL_BITS;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float *alloc_floats(size_t n) { return malloc((n ? n : 1) * sizeof(float)); }

static void case_free(case_t *c)
{
    free(c->a);
    free(c->b);
    free(c->a_copy);
    free(c->b_copy);
    free(c->c_init);
    free(c->c_run);
    free(c->c_dnn);
    free(c->c_ref);
    free(c->scale);
}

/* C before the call: beta != 0 reads it, so it holds seeded small integers; beta == 0 must not
 * read it (BLAS), so it holds NaN, which would poison any result that did. */
static void fill_c_init(case_t *c, uint64_t seed)
{
    const float s = sentinel();
    float *buf = c->c_init, *cm = c_of(buf);
    for (size_t i = 0; i < guarded(c->c_elems); i++)
        buf[i] = s;
    if (c->p.beta != 0.0f)
        fill_matrix(seed, STREAM_C, cm, c->p.m, c->p.n, c->ldc, s);
    else
        for (long i = 0; i < c->p.m; i++)
            for (long j = 0; j < c->p.n; j++)
                cm[i * c->ldc + j] = NAN;
}

/* The magnitude each element's rounding errors scale with: the oracle run on |A|, |B|, |C|. */
static gs_status_t case_init_scale(case_t *c)
{
    const gs_gemm_problem_t *p = &c->p;
    float *abs_a = alloc_floats(c->a_elems), *abs_b = alloc_floats(c->b_elems);
    c->scale = alloc_floats(c->c_elems);
    gs_status_t st = GS_OK;
    if (!abs_a || !abs_b || !c->scale) {
        st = gs_error(GS_ENOMEM, "validate gemm: out of memory for the error scale");
    } else {
        for (size_t i = 0; i < c->a_elems; i++)
            abs_a[i] = fabsf(c->a[i]);
        for (size_t i = 0; i < c->b_elems; i++)
            abs_b[i] = fabsf(c->b[i]);
        for (size_t i = 0; i < c->c_elems; i++)
            c->scale[i] = fabsf(c_of(c->c_init)[i]);
        st = gs_gemm_with(gs_gemm_ref, p->ta, p->tb, p->m, p->n, p->k, fabsf(p->alpha), abs_a, c->lda, abs_b,
                          c->ldb, fabsf(p->beta), c->scale, c->ldc);
    }
    free(abs_a);
    free(abs_b);
    if (st != GS_OK)
        case_free(c);
    return st;
}

static gs_status_t case_init(case_t *c, const gs_gemm_problem_t *p, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->p = *p;
    c->lda = gs_gemm_problem_lda(p);
    c->ldb = gs_gemm_problem_ldb(p);
    c->ldc = gs_gemm_problem_ldc(p);
    const long a_rows = p->ta ? p->k : p->m, a_cols = p->ta ? p->m : p->k;
    const long b_rows = p->tb ? p->n : p->k, b_cols = p->tb ? p->k : p->n;
    c->a_elems = (size_t)(a_rows * c->lda);
    c->b_elems = (size_t)(b_rows * c->ldb);
    c->c_elems = (size_t)(p->m * c->ldc);
    c->a = alloc_floats(c->a_elems);
    c->b = alloc_floats(c->b_elems);
    c->a_copy = alloc_floats(c->a_elems);
    c->b_copy = alloc_floats(c->b_elems);
    c->c_init = alloc_floats(guarded(c->c_elems));
    c->c_run = alloc_floats(guarded(c->c_elems));
    c->c_dnn = alloc_floats(guarded(c->c_elems));
    c->c_ref = alloc_floats(guarded(c->c_elems));
    if (!c->a || !c->b || !c->a_copy || !c->b_copy || !c->c_init || !c->c_run || !c->c_dnn || !c->c_ref) {
        case_free(c);
        return gs_error(GS_ENOMEM, "validate gemm: out of memory for the buffers");
    }
    /* NaN in A's and B's padding: a kernel that multiplies padding in gets NaN in C. */
    fill_matrix(seed, STREAM_A, c->a, a_rows, a_cols, c->lda, NAN);
    fill_matrix(seed, STREAM_B, c->b, b_rows, b_cols, c->ldb, NAN);
    memcpy(c->a_copy, c->a, c->a_elems * sizeof(float));
    memcpy(c->b_copy, c->b, c->b_elems * sizeof(float));
    fill_c_init(c, seed);
    c->exact = scaling_is_exact(p);
    c->threshold = c->exact ? THRESHOLD_EXACT : THRESHOLD_ROUNDED;
    return c->exact ? GS_OK : case_init_scale(c);
}

/* Runs `fn` on a fresh copy of the initial C in `buf`. */
static gs_status_t case_run(const case_t *c, gs_gemm_fn *fn, float *buf)
{
    const gs_gemm_problem_t *p = &c->p;
    memcpy(buf, c->c_init, guarded(c->c_elems) * sizeof(float));
    return gs_gemm_with(fn, p->ta, p->tb, p->m, p->n, p->k, p->alpha, c->a, c->lda, c->b, c->ldb, p->beta,
                        c_of(buf), c->ldc);
}

/* ---- Checks ---- */

typedef struct {
    double max_err;
    long i, j; /* where max_err is (first such element) */
    float got, want;
    long over; /* elements beyond the threshold */
} cmp_t;

/* Relative error against max(|want|, scale, 1): the floor of 1 because values are small integers
 * or multiples of a power of two, where near zero the absolute difference is what matters. Any
 * NaN or Inf that the other side lacks is an infinite error. */
static double elem_err(float got, float want, float scale)
{
    if (!isfinite(got) || !isfinite(want))
        return got == want ? 0.0 : INFINITY;
    double d = fabs((double)got - (double)want), w = fabs((double)want);
    double den = w > (double)scale ? w : (double)scale;
    return d / (den > 1.0 ? den : 1.0);
}

static cmp_t compare(const case_t *c, const float *got, const float *want)
{
    cmp_t r = {.max_err = -1.0};
    for (long i = 0; i < c->p.m; i++) {
        for (long j = 0; j < c->p.n; j++) {
            float g = got[i * c->ldc + j], w = want[i * c->ldc + j];
            double e = elem_err(g, w, c->scale ? c->scale[i * c->ldc + j] : 0.0f);
            if (e > c->threshold)
                r.over++;
            if (e > r.max_err) {
                r.max_err = e;
                r.i = i;
                r.j = j;
                r.got = g;
                r.want = w;
            }
        }
    }
    if (r.max_err < 0.0)
        r.max_err = 0.0;
    return r;
}

/* Describes the first guard or padding float whose bits changed, into `where`; false if none. */
static bool find_clobbered(const case_t *c, const float *buf, char *where, size_t size)
{
    const uint32_t want = SENTINEL_BITS;
    for (size_t i = 0; i < guarded(c->c_elems); i++) {
        bool in_c = i >= GUARD_HEAD && i < GUARD_HEAD + c->c_elems;
        long off = (long)i - GUARD_HEAD, row = in_c ? off / c->ldc : 0, col = in_c ? off % c->ldc : 0;
        if (in_c && col < c->p.n)
            continue;
        uint32_t bits;
        memcpy(&bits, &buf[i], sizeof bits);
        if (bits == want)
            continue;
        if (in_c)
            snprintf(where, size, "padding column C[%ld,%ld] (n=%ld ldc=%ld)", row, col, c->p.n, c->ldc);
        else if (i < GUARD_HEAD)
            snprintf(where, size, "%ld floats before C", (long)(GUARD_HEAD - i));
        else
            snprintf(where, size, "%ld floats past the end of C", (long)(i - GUARD_HEAD - c->c_elems) + 1);
        return true;
    }
    return false;
}

static double zero_fraction(const case_t *c, const float *x)
{
    long zeros = 0;
    for (long i = 0; i < c->p.m; i++)
        for (long j = 0; j < c->p.n; j++)
            zeros += x[i * c->ldc + j] == 0.0f;
    const long total = c->p.m * c->p.n;
    return total > 0 ? (double)zeros / (double)total : 0.0;
}

/* Only outputs that depend on A*B say anything about the kernel; k = 0 or alpha = 0 is meant to
 * give a C of zeros or beta*C, and tiny outputs cannot be judged by a fraction. */
static bool mistrusted(const case_t *c, const float *want)
{
    if (c->p.k == 0 || c->p.alpha == 0.0f || c->p.m * c->p.n < MISTRUST_MIN_OUTPUTS)
        return false;
    return zero_fraction(c, want) > MISTRUST_ZERO_FRACTION;
}

/* ---- Reporting ---- */

typedef enum { RESULT_PASS, RESULT_MISTRUSTED, RESULT_FAIL } result_t;

static const char *result_name(result_t r)
{
    return r == RESULT_PASS ? "PASS" : r == RESULT_MISTRUSTED ? "MISTRUSTED" : "FAIL";
}

/* Checks an implementation's output and writes why it fails (empty when it passes) into `why`. */
static result_t judge(const case_t *c, gs_status_t st, const cmp_t *vs_dnn, const cmp_t *vs_ref, char *why,
                      size_t size)
{
    char where[96];
    why[0] = '\0';
    if (st != GS_OK)
        snprintf(why, size, "returned '%s': %s", gs_status_str(st), gs_error_detail());
    else if (find_clobbered(c, c->c_run, where, size < sizeof where ? size : sizeof where))
        snprintf(why, size, "wrote outside C: %s", where);
    else if (memcmp(c->a, c->a_copy, c->a_elems * sizeof(float)) != 0)
        snprintf(why, size, "wrote into the input A");
    else if (memcmp(c->b, c->b_copy, c->b_elems * sizeof(float)) != 0)
        snprintf(why, size, "wrote into the input B");
    else if (vs_dnn->over)
        snprintf(why, size, "%ld elements differ from oneDNN", vs_dnn->over);
    else if (vs_ref->over)
        snprintf(why, size, "%ld elements differ from gs_gemm_ref", vs_ref->over);
    else
        return mistrusted(c, c_of(c->c_dnn)) ? RESULT_MISTRUSTED : RESULT_PASS;
    return RESULT_FAIL;
}

static void print_case(FILE *out, const case_t *c, const char *impl, const cmp_t *vs_dnn, const cmp_t *vs_ref,
                       result_t r, const char *why)
{
    char prob[GS_PROBLEM_STR_MAX];
    gs_gemm_problem_str(&c->p, prob);
    fprintf(out, "gemm %s %s max_rel_err=%.3g", prob, impl, vs_dnn->max_err);
    if (c->p.m * c->p.n > 0)
        fprintf(out, " at C[%ld,%ld] (got %.9g want %.9g)", vs_dnn->i, vs_dnn->j, (double)vs_dnn->got,
                (double)vs_dnn->want);
    else
        fprintf(out, " (C is empty)");
    fprintf(out, " ref_rel_err=%.3g thr=%g zeros=%.1f%% %s", vs_ref->max_err, c->threshold,
            100.0 * zero_fraction(c, c_of(c->c_dnn)), result_name(r));
    if (why[0])
        fprintf(out, " (%s)", why);
    fputc('\n', out);
}

static void print_repro(FILE *out, const case_t *c, const char *impl, uint64_t seed)
{
    char prob[GS_PROBLEM_STR_MAX];
    gs_isa_t isa;
    gs_gemm_problem_str(&c->p, prob);
    fprintf(out, "repro: gradscope validate gemm %s", prob);
    if (gs_isa_parse(impl, &isa) == GS_OK)
        fprintf(out, " --isa %s", impl);
    else
        fprintf(out, " (implementation '%s' is test-only)", impl);
    fprintf(out, " --seed %llu --threads %d\n", (unsigned long long)seed, omp_get_max_threads());
    gs_error_clear();
}

/* Counts the case and records its row (validate_record.h); NAN errors where none was measured. */
static void tally(gs_validate_summary_t *s, const gs_gemm_problem_t *p, const char *impl, double dnn_err,
                  double ref_err, double threshold, result_t r)
{
    char prob[GS_PROBLEM_STR_MAX];
    gs_validate_record(s, &(gs_validate_row_t){"gemm", gs_gemm_problem_str(p, prob), impl, dnn_err, ref_err,
                                               threshold, result_name(r)});
}

/* The references for one problem; false (and a FAIL line, counted) when one of them failed. */
static bool run_references(case_t *c, FILE *out, gs_validate_summary_t *s)
{
    const char *names[2] = {"onednn", "ref"};
    float *bufs[2] = {c->c_dnn, c->c_ref};
    gs_gemm_fn *fns[2] = {gs_gemm_onednn, gs_gemm_ref};
    for (int i = 0; i < 2; i++) {
        gs_status_t st = case_run(c, fns[i], bufs[i]);
        if (st != GS_OK) {
            char prob[GS_PROBLEM_STR_MAX];
            fprintf(out, "gemm %s %s FAIL (reference returned '%s': %s)\n", gs_gemm_problem_str(&c->p, prob),
                    names[i], gs_status_str(st), gs_error_detail());
            tally(s, &c->p, names[i], NAN, NAN, NAN, RESULT_FAIL);
            return false;
        }
    }
    return true;
}

static void validate_problem(const gs_gemm_problem_t *p, const gs_gemm_impl_t *impls, size_t nimpls,
                             uint64_t seed, FILE *out, gs_validate_summary_t *s)
{
    case_t c;
    char prob[GS_PROBLEM_STR_MAX];
    gs_status_t st = case_init(&c, p, seed);
    if (st != GS_OK) {
        fprintf(out, "gemm %s - FAIL (%s)\n", gs_gemm_problem_str(p, prob), gs_error_detail());
        tally(s, p, NULL, NAN, NAN, NAN, RESULT_FAIL);
        return;
    }
    if (run_references(&c, out, s)) {
        for (size_t i = 0; i < nimpls; i++) {
            gs_error_clear();
            st = case_run(&c, impls[i].fn, c.c_run);
            cmp_t vs_dnn = compare(&c, c_of(c.c_run), c_of(c.c_dnn));
            cmp_t vs_ref = compare(&c, c_of(c.c_run), c_of(c.c_ref));
            char why[512];
            result_t r = judge(&c, st, &vs_dnn, &vs_ref, why, sizeof why);
            print_case(out, &c, impls[i].name, &vs_dnn, &vs_ref, r, why);
            if (r == RESULT_FAIL)
                print_repro(out, &c, impls[i].name, seed);
            tally(s, &c.p, impls[i].name, vs_dnn.max_err, vs_ref.max_err, c.threshold, r);
        }
    }
    case_free(&c);
}

int gs_validate_gemm(const gs_gemm_problem_t *problems, size_t nproblems, const gs_gemm_impl_t *impls,
                     size_t nimpls, uint64_t seed, FILE *out, gs_validate_summary_t *sum)
{
    gs_validate_summary_t s = {.csv = sum ? sum->csv : NULL};
    fprintf(out, "# gemm validate: seed=%llu threads=%d problems=%zu impls=", (unsigned long long)seed,
            omp_get_max_threads(), nproblems);
    for (size_t i = 0; i < nimpls; i++)
        fprintf(out, "%s%s", i ? "," : "", impls[i].name);
    fprintf(out, " reference=onednn+ref fill=ints[-%d,%d],zeros~1/%d thr=%g(exact)|%g(inexact alpha/beta)\n",
            FILL_MAX_ABS, FILL_MAX_ABS, FILL_ZERO_ONE_IN, THRESHOLD_EXACT, THRESHOLD_ROUNDED);
    for (size_t i = 0; i < nproblems; i++)
        validate_problem(&problems[i], impls, nimpls, seed, out, &s);
    return gs_validate_finish(out, "gemm", &s, seed, sum);
}

/* ---- Built-in problem lists ---- */

/* SCENARIOS.md's MLP (784 -> 128 -> ... -> 10, hidden 128), for B = 64 and 256: forward Y = X W^T,
 * weight gradients dW = dY^T X, data gradients dX = dY W. */
const char *const gs_gemm_shapes_mlp[] = {
    "m64n128k784ta0tb1",  "m64n128k128ta0tb1",  "m64n10k128ta0tb1",
    "m784n128k64ta1tb0",  "m128n128k64ta1tb0",  "m128n10k64ta1tb0",
    "m64n784k128ta0tb0",  "m64n128k128ta0tb0",  "m64n128k10ta0tb0",
    "m256n128k784ta0tb1", "m256n128k128ta0tb1", "m256n10k128ta0tb1",
    "m784n128k256ta1tb0", "m128n128k256ta1tb0", "m128n10k256ta1tb0",
    "m256n784k128ta0tb0", "m256n128k128ta0tb0", "m256n128k10ta0tb0",
};
const size_t gs_gemm_shapes_mlp_count = sizeof gs_gemm_shapes_mlp / sizeof gs_gemm_shapes_mlp[0];

/* Micro-tiles are 6x16 (AVX2) and 8x32 (AVX-512). KC is at most 1024 and NC at most 8192 on any CPU
 * (gemm_driver.c), so k1100 and n8200 cross them everywhere; m700 and m1500 cross MC where L2 is
 * 1 MiB or more. The tests rerun every shape with tiny blocks (GS_GEMM_KC/MC/NC) to cross all three. */
const char *const gs_gemm_shapes_edge[] = {
    /* empty and unit dimensions; k = 0 leaves beta*C (beta = 0: NaN in C becomes 0) */
    "m0n16k16ta0tb0", "m16n0k16ta0tb0", "m16n16k0ta0tb0", "m16n16k0ta0tb0beta2", "m1n1k1ta0tb0",
    "m1n64k64ta0tb0", "m64n1k64ta0tb0", "m64n64k1ta0tb0", "m1n1k1000ta1tb1",
    /* primes */
    "m7n13k5ta0tb0", "m97n101k103ta0tb0", "m31n37k41ta1tb1",
    /* exact tiles and partial tiles of both micro-kernels */
    "m6n16k8ta0tb0", "m8n32k8ta0tb0", "m12n32k16ta0tb0", "m5n15k3ta0tb0", "m9n33k17ta0tb0",
    "m13n47k300ta0tb0", "m7n17k9ta0tb0", "m17n65k33ta0tb0",
    /* half tiles: a last panel of at most half the tile's width, 8 columns read in place (AVX2) */
    "m13n24k40ta0tb0beta1", "m7n40k70ta1tb0beta1",
    /* bottom edges in place, in tiles of even heights that compute only their rows (AVX2 2, 4, 5;
     * AVX-512 4 to 7), alone or after whole tiles; full and half width */
    "m8n24k40ta0tb0beta1", "m40n40k33ta1tb0", "m14n72k50ta0tb0", "m4n16k20ta1tb0beta1",
    "m10n40k30ta0tb0beta1", "m18n100k70ta1tb0", "m25n40k30ta1tb0beta1", "m33n24k50ta0tb0", "m41n72k20ta1tb0",
    /* a few columns past the tile width in a strip of tall tiles (n % 16 <= 6, n % 32 <= 14), also
     * forked, the strip then in the bulk's region (on fewer threads than the bulk where it has
     * fewer tiles) */
    "m600n37k70ta1tb0beta1", "m300n70k90ta1tb1ldpad2", "m45n36k50ta0tb0alpha2beta0.5",
    "m250n70k150ta1tb0beta1", "m30n1000k300ta1tb0",
    /* ... and 1-6 columns past a half tile (n % 32 = 17-22), tall tiles or dot products */
    "m70n50k90ta1tb0beta1", "m45n53k200ta0tb0alpha2beta0.5", "m33n86k70ta0tb1", "m300n52k40ta0tb0",
    /* a partial last B panel read in place (AVX-512 masked loads), with bottom edges */
    "m50n57k40ta1tb0beta1", "m20n90k300ta0tb0ldpad1",
    /* B packed where both it and transposed A in place would straddle cache lines (one thread, or
     * forked while k stays one pass) and the panel's lines outgrow L1: bulk, partial last panel and
     * bottom edge; read in place while they fit (shallow k) */
    "m75n95k200ta1tb0beta1", "m129n183k311ta1tb0beta1", "m84n120k160ta1tb0beta1",
    /* narrow C, where AVX2 tiles 16 rows x n (n <= 10, or 12 with transposed A; equal tiles of at
     * most 6), AVX-512 32 rows x n (n <= 14, even widths; n = 15, 16 with transposed A as 8 + 8) or
     * 16 x 16, or for A B^T (ta0tb1) takes blocks of dot products (AVX-512 4x4, 4x5, 4x2 from k = 64;
     * AVX2 4x3, 4x2 from k = 80): odd and
     * even widths, each transpose, beta, transposed A read in place, k tails, and enough rows for two
     * threads */
    "m77n1k130ta0tb1", "m33n3k40ta1tb0beta1", "m40n4k33ta0tb0", "m65n6k19ta1tb1", "m31n8k70ta0tb1beta1",
    "m64n10k128ta1tb0", "m97n12k50ta1tb1", "m70n13k30ta0tb0", "m33n14k129ta0tb1beta1", "m48n15k20ta1tb0",
    "m70n16k45ta1tb1beta1", "m45n11k60ta1tb0beta1",
    "m50n16k31ta0tb1", "m19n7k80ta0tb1", "m37n16k64ta0tb1beta1", "m21n6k96ta0tb1alpha2beta0.5",
    "m1030n10k128ta0tb1", "m22n9k100ta0tb1beta1", "m11n13k64ta0tb1alpha2beta0.5", "m6n5k75ta0tb1",
    /* dot products with untransposed A for narrow C or the last n % 32 <= 14 columns, B's columns
     * copied in k chunks of at most 512 (equal, each later one accumulating), or B^T's rows in place;
     * k = 64 exactly, fewer than 4 rows, a strip worth forking and one forked because the bulk
     * is; n = 15, 16 from k = 128, the columns copied 16 rows at a time and the rest one by one */
    "m37n7k600ta0tb0beta1", "m3n14k1100ta0tb0alpha2beta0.5", "m61n3k64ta0tb0", "m67n45k130ta0tb0beta1",
    "m200n45k100ta0tb1beta1", "m600n37k700ta0tb0", "m37n16k130ta0tb0beta1", "m50n15k128ta0tb0",
    "m21n16k1100ta0tb0alpha2beta0.5", "m256n40k128ta0tb0beta1",
    /* A B^T with few rows over a deep k, also dot products where rows start 32 bytes apart: ragged
     * rows, columns (4 x 2 blocks for n = 130), k tails, and B too big for one pass (501 columns in
     * passes of 216 at k = 600 with a 1 MiB L2, the last one ending in a 4 x 5 block); rows off 32
     * bytes take the loop nest */
    "m37n53k520ta0tb1", "m64n130k600ta0tb1beta1ldpad8", "m96n20k512ta0tb1alpha2", "m21n501k600ta0tb1beta1",
    "m40n70k530ta0tb1beta1",
    /* k just under and just over a third above KC (256 with a 48 KiB L1): one pass of 339, or two
     * uneven ones */
    "m37n45k339ta1tb0beta1", "m29n70k345ta0tb1", "m41n66k400ta0tb0",
    /* every transpose combination */
    "m13n47k29ta0tb0", "m13n47k29ta0tb1", "m13n47k29ta1tb0", "m13n47k29ta1tb1",
    /* alpha and beta, each exactly representable so the sums stay exact */
    "m9n33k17ta0tb0beta1", "m13n47k300ta0tb0alpha2beta0.5", "m5n15k3ta1tb0alpha-1beta-1",
    "m16n16k16ta0tb1alpha0.5beta1.5", "m8n8k8ta0tb0alpha0beta2", "m128n128k64ta1tb0beta1",
    /* padded leading dimensions */
    "m9n33k17ta0tb0ldpad1", "m13n47k29ta1tb1ldpad3", "m5n15k3ta1tb0beta1ldpad7",
    "m64n128k784ta0tb1ldpad16",
    /* past the cache blocks: k > KC, m > MC, n > NC */
    "m16n48k2100ta0tb0", "m33n65k1100ta1tb0beta1", "m700n64k64ta0tb0", "m1500n40k64ta0tb1",
    "m9n8200k20ta0tb0",
    /* row-major A packed (n > 512 and A beyond a quarter of a 2 MiB L2): AVX2's 6-row panels by
     * register transposes, k a multiple of 8 (the panel's last step stored alone) or not, an edge row */
    "m600n528k256ta0tb0", "m601n520k250ta0tb0beta1",
    /* ... and transposed A packed, whole panels and a bottom edge, with either B */
    "m301n528k500ta1tb0beta1", "m300n544k512ta1tb1",
    /* transposed A with k steps 2 KiB apart, packed though narrow; B rows 1 KiB apart read in place
     * at the L1 KC (two k blocks) */
    "m512n40k96ta1tb0", "m64n256k400ta0tb0beta1",
    /* B^T beyond half of L2 (up to 2 MiB) with two threads: N split where all of A fits a third of
     * L2, M split with each thread's own copy of B^T otherwise (never shared between barriers) */
    "m44n300k969ta0tb1", "m300n300k1000ta0tb1beta1",
};
const size_t gs_gemm_shapes_edge_count = sizeof gs_gemm_shapes_edge / sizeof gs_gemm_shapes_edge[0];

gs_status_t gs_gemm_problems_parse_list(const char *const *strings, size_t n, gs_gemm_problem_t **list,
                                        size_t *count)
{
    void *items;
    const gs_status_t st = gs_problem_parse_lists(&gs_gemm_problem_desc, &strings, &n, 1, &items, count);
    *list = items;
    return st;
}

gs_status_t gs_gemm_problems_default(gs_gemm_problem_t **list, size_t *count)
{
    const char *const *const lists[] = {gs_gemm_shapes_mlp, gs_gemm_shapes_edge};
    const size_t counts[] = {gs_gemm_shapes_mlp_count, gs_gemm_shapes_edge_count};
    void *items;
    const gs_status_t st = gs_problem_parse_lists(&gs_gemm_problem_desc, lists, counts, 2, &items, count);
    *list = items;
    return st;
}
