/* Proves problem strings parse, print back canonically, reject bad input by name, and that the shipped shape files match the built-in lists. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/problem.h"
#include "harness/validate_gemm.h"
#include "test_util.h"

static void check_round_trip(const char *in, const char *canonical)
{
    gs_gemm_problem_t p;
    char buf[GS_PROBLEM_STR_MAX];
    gs_status_t st = gs_gemm_problem_parse(in, &p);
    if (!gs_check(st == GS_OK, "'%s' parses (%s)", in, st == GS_OK ? "" : gs_error_detail()))
        return;
    gs_gemm_problem_str(&p, buf);
    gs_check(strcmp(buf, canonical) == 0, "'%s' prints as '%s' (got '%s')", in, canonical, buf);
    gs_gemm_problem_t q;
    gs_check(gs_gemm_problem_parse(buf, &q) == GS_OK && memcmp(&p, &q, sizeof p) == 0,
             "'%s' reads back to the same problem", buf);
}

static void check_fields(void)
{
    gs_gemm_problem_t p;
    gs_gemm_problem_parse("m3n5k7", &p);
    gs_check(p.m == 3 && p.n == 5 && p.k == 7 && !p.ta && !p.tb && p.alpha == 1.0f && p.beta == 0.0f &&
                 p.ldpad == 0,
             "defaults: ta0 tb0 alpha1 beta0 ldpad0");
    gs_gemm_problem_parse("m3n5k7ta1tb1alpha-0.5beta2ldpad4", &p);
    gs_check(p.ta && p.tb && p.alpha == -0.5f && p.beta == 2.0f && p.ldpad == 4, "every optional field is read");
    gs_check(gs_gemm_problem_lda(&p) == 3 + 4 && gs_gemm_problem_ldb(&p) == 7 + 4 && gs_gemm_problem_ldc(&p) == 5 + 4,
             "leading dimensions follow transposes and add ldpad");
    gs_gemm_problem_parse("m0n0k0", &p);
    gs_check(gs_gemm_problem_lda(&p) >= 1 && gs_gemm_problem_ldb(&p) >= 1 && gs_gemm_problem_ldc(&p) >= 1,
             "empty matrices still get leading dimensions >= 1 (BLAS)");
}

/* A bad string must be GS_EFORMAT with a message naming the string and what is wrong in it. */
static void check_rejected(const char *in, const char *names)
{
    gs_gemm_problem_t p;
    gs_status_t st = gs_gemm_problem_parse(in, &p);
    const char *msg = gs_error_detail();
    gs_check(st == GS_EFORMAT && strstr(msg, in) && strstr(msg, names), "'%s' rejected naming '%s': %s", in, names,
             msg);
}

static void check_bad_strings(void)
{
    check_rejected("", "missing field 'm'");
    check_rejected("m8x8k8", "'x'");
    check_rejected("m8n8", "missing field 'k'");
    check_rejected("n8m8k8", "missing field 'm'");
    check_rejected("m8m8n8k8", "'m' given twice");
    check_rejected("m8n8m8k8", "'m' given twice");
    check_rejected("m8n8k8beta1alpha2", "'alpha' must come before 'beta'");
    check_rejected("m8n8k8ta2", "'ta' = 2 out of range");
    check_rejected("m-1n8k8", "'m' = -1 out of range");
    check_rejected("m8n8k8ldpad-3", "'ldpad'");
    check_rejected("mn8k8", "field 'm' needs an integer");
    check_rejected("m8n8k8alpha", "field 'alpha' needs a decimal");
    check_rejected("m8n8k8alphanan", "field 'alpha' needs a decimal");
    check_rejected("m8n8k8xyz", "unknown field 'xyz'");
    check_rejected("m8n8k8alpha1e99", "'alpha' = 1e99 is not a finite float");
    check_rejected("m8n8k8 ", "' '");
    check_rejected("M8n8k8", "'M'");
    check_rejected("m8n8k99999999999999999999", "'k'");
    check_rejected("m1000000n1000000k1", "C would hold");
}

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/gs_shapes_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    ssize_t len = (ssize_t)strlen(text);
    ssize_t written = write(fd, text, (size_t)len);
    close(fd);
    return written == len ? path : NULL;
}

static void check_file_reader(void)
{
    gs_gemm_problem_t *list;
    size_t n;
    char *path = write_temp("# header comment\n\n  m8n8k8  \nm1n2k3ta1tb1 # trailing comment\r\n\t\n");
    gs_status_t st = gs_gemm_problems_read(path, &list, &n);
    gs_check(st == GS_OK && n == 2 && list[1].ta && list[1].k == 3, "comments, blanks and CRLF are skipped (%zu read)", n);
    free(list);
    unlink(path);

    path = write_temp("m8n8k8\n# ok\nm8n8q8\n");
    st = gs_gemm_problems_read(path, &list, &n);
    char where[80];
    snprintf(where, sizeof where, "%s:3:", path);
    gs_check(st == GS_EFORMAT && strstr(gs_error_detail(), where) && strstr(gs_error_detail(), "'q'") && !list,
             "a bad line is named file:line and field: %s", gs_error_detail());
    unlink(path);

    path = write_temp("m8n8k8 m4n4k4\n");
    st = gs_gemm_problems_read(path, &list, &n);
    gs_check(st == GS_EFORMAT && strstr(gs_error_detail(), ":1:"), "two problems on one line are refused: %s",
             gs_error_detail());
    unlink(path);

    path = write_temp("# nothing here\n\n");
    st = gs_gemm_problems_read(path, &list, &n);
    gs_check(st == GS_EFORMAT && strstr(gs_error_detail(), path), "a file with no problem is refused: %s",
             gs_error_detail());
    unlink(path);

    st = gs_gemm_problems_read("/nonexistent/shapes_x", &list, &n);
    gs_check(st == GS_EIO && strstr(gs_error_detail(), "/nonexistent/shapes_x"), "a missing file is named: %s",
             gs_error_detail());
}

/* The shipped shape files and the compiled-in lists must not drift apart. */
static void check_shipped_file(const char *name, const char *const *strings, size_t count)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/inputs/gemm/%s", GS_SOURCE_DIR, name);
    gs_gemm_problem_t *file, *builtin;
    size_t nfile, nbuiltin;
    gs_status_t st = gs_gemm_problems_read(path, &file, &nfile);
    if (!gs_check(st == GS_OK, "%s reads (%s)", path, st == GS_OK ? "" : gs_error_detail()))
        return;
    gs_gemm_problems_parse_list(strings, count, &builtin, &nbuiltin);
    bool same = nfile == nbuiltin;
    for (size_t i = 0; same && i < nfile; i++)
        same = memcmp(&file[i], &builtin[i], sizeof file[i]) == 0;
    gs_check(same, "%s holds the same %zu problems as the built-in list (file has %zu)", name, nbuiltin, nfile);
    free(file);
    free(builtin);
}

/* The parser is table-driven: a convolution table reads benchdnn's own strings the same way. */
typedef struct {
    long mb, ic, ih, oc, kh;
} conv_problem_t;

static void check_other_op_table(void)
{
    static const gs_field_t fields[] = {
        {"mb", GS_FIELD_LONG, offsetof(conv_problem_t, mb), false, true, 2, 1, 1e6},
        {"ic", GS_FIELD_LONG, offsetof(conv_problem_t, ic), true, true, 0, 1, 1e6},
        {"ih", GS_FIELD_LONG, offsetof(conv_problem_t, ih), true, true, 0, 1, 1e6},
        {"oc", GS_FIELD_LONG, offsetof(conv_problem_t, oc), true, true, 0, 1, 1e6},
        {"kh", GS_FIELD_LONG, offsetof(conv_problem_t, kh), true, true, 0, 1, 1e6},
    };
    const gs_problem_desc_t conv = {"conv", sizeof(conv_problem_t), fields, 5, NULL};
    conv_problem_t p;
    char buf[GS_PROBLEM_STR_MAX];
    gs_status_t st = gs_problem_parse(&conv, "mb64ic20ih12oc50kh5", &p);
    gs_check(st == GS_OK && p.mb == 64 && p.ic == 20 && p.ih == 12 && p.oc == 50 && p.kh == 5 &&
                 strcmp(gs_problem_format(&conv, &p, buf, sizeof buf), "mb64ic20ih12oc50kh5") == 0,
             "a conv field table parses and prints mb64ic20ih12oc50kh5");
    st = gs_problem_parse(&conv, "ic20ih12oc50kh5", &p);
    gs_check(st == GS_OK && p.mb == 2, "an optional conv field takes its default");
}

int main(void)
{
    check_round_trip("m64n128k784ta0tb1", "m64n128k784ta0tb1");
    check_round_trip("m64n128k784", "m64n128k784ta0tb0");
    check_round_trip("m1n2k3alpha1beta0ldpad0", "m1n2k3ta0tb0");
    check_round_trip("m5n15k3ta1tb0alpha-1beta-1", "m5n15k3ta1tb0alpha-1beta-1");
    check_round_trip("m1n2k3alpha+0.5beta1.5e0ldpad7", "m1n2k3ta0tb0alpha0.5beta1.5ldpad7");
    check_round_trip("m1n2k3alpha0.1", "m1n2k3ta0tb0alpha0.1");
    check_round_trip("m1n2k3alpha1e-3", "m1n2k3ta0tb0alpha0.001");
    check_round_trip("m0n0k0", "m0n0k0ta0tb0");
    check_fields();
    check_bad_strings();
    check_file_reader();
    check_shipped_file("shapes_mlp", gs_gemm_shapes_mlp, gs_gemm_shapes_mlp_count);
    check_shipped_file("shapes_edge", gs_gemm_shapes_edge, gs_gemm_shapes_edge_count);
    check_other_op_table();
    return gs_test_done("test_problem_strings_parse");
}
