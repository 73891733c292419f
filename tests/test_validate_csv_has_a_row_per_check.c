/* Proves `validate --csv` writes the fixed header and one row per checked case: the driver's rows for a
 * passing, a broken and the oneDNN implementation, then the CLI's file against its human lines.
 * Usage: test_validate_csv_has_a_row_per_check PATH_TO_GRADSCOPE */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/topo.h"
#include "harness/validate_gemm.h"
#include "test_util.h"

enum { NFIELDS = 9, MAX_LINES = 64, LINE_CAP = 512 };

/* Right everywhere except the last element: a kernel the validation must fail. */
static gs_status_t off_by_one(bool ta, bool tb, long m, long n, long k, float alpha, const float *a, long lda,
                              const float *b, long ldb, float beta, float *c, long ldc)
{
    gs_gemm_ref(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    c[(m - 1) * ldc + n - 1] += 1.0f;
    return GS_OK;
}

/* Splits one CSV row in place into exactly NFIELDS fields (empty ones kept); false otherwise. */
static bool split_row(char *row, char *f[NFIELDS])
{
    row[strcspn(row, "\n")] = '\0';
    int n = 0;
    for (char *tok; (tok = strsep(&row, ",")) != NULL; n++)
        if (n < NFIELDS)
            f[n] = tok;
    return n == NFIELDS;
}

/* A PASS row's errors are within its threshold (an empty error does not apply). */
static bool errors_within(char *const f[NFIELDS])
{
    const double thr = atof(f[7]);
    return (!*f[5] || atof(f[5]) <= thr) && (!*f[6] || atof(f[6]) <= thr);
}

/* The driver: rows carry the label as isa for native code, "onednn" as impl, and FAIL with a
 * non-zero error for the broken kernel; the summary counts as many tests as there are rows. */
static void check_driver_rows(void)
{
    gs_gemm_problem_t p;
    gs_gemm_problem_parse("m9n33k17", &p);
    const gs_gemm_impl_t impls[3] = {{"ref", gs_gemm_ref}, {"broken", off_by_one}, {"onednn", gs_gemm_onednn}};
    char *text = NULL;
    size_t len = 0;
    FILE *devnull = fopen("/dev/null", "w");
    gs_validate_summary_t sum = {.csv = open_memstream(&text, &len)};
    const int failed = gs_validate_gemm(&p, 1, impls, 3, GS_VALIDATE_SEED_DEFAULT, devnull, &sum);
    fclose(sum.csv);
    fclose(devnull);
    char *rows[4] = {0}, *save = NULL;
    int n = 0;
    for (char *line = strtok_r(text, "\n", &save); line && n < 4; line = strtok_r(NULL, "\n", &save))
        rows[n++] = line;
    gs_check(failed == 1 && sum.tests == 3 && sum.failed == 1 && n == 3, "driver: %d rows for %d tests, %d failed",
             n, sum.tests, sum.failed);
    char *f[NFIELDS];
    if (n >= 1 && split_row(rows[0], f))
        gs_check(strcmp(f[0], "gemm") == 0 && strcmp(f[1], "m9n33k17ta0tb0") == 0 && strcmp(f[2], "native") == 0 &&
                     strcmp(f[3], "ref") == 0 && atoi(f[4]) == gs_threads() && strcmp(f[5], "0") == 0 &&
                     strcmp(f[8], "PASS") == 0,
                 "driver: passing row %s,%s,%s,%s,%s,%s,...,%s", f[0], f[1], f[2], f[3], f[4], f[5], f[8]);
    if (n >= 2 && split_row(rows[1], f))
        gs_check(strcmp(f[3], "broken") == 0 && atof(f[5]) > atof(f[7]) && strcmp(f[8], "FAIL") == 0,
                 "driver: broken kernel's row %s max_rel_err=%s threshold=%s %s", f[3], f[5], f[7], f[8]);
    if (n >= 3 && split_row(rows[2], f))
        gs_check(strcmp(f[2], "onednn") == 0 && f[3][0] == '\0' && strcmp(f[8], "PASS") == 0,
                 "driver: oneDNN's row has impl '%s', isa '%s'", f[2], f[3]);
    free(text);
}

/* Reads up to MAX_LINES lines of a stream into lines[]; returns how many. */
static int read_lines(FILE *f, char lines[][LINE_CAP])
{
    int n = 0;
    while (n < MAX_LINES && fgets(lines[n], LINE_CAP, f))
        n++;
    return n;
}

/* The CLI: the file's header, then one row per human line, same problem and label, same thread
 * count as the header line, errors within the threshold of every passing row. */
static void check_cli_rows(const char *exe)
{
    char csv[] = "/tmp/gs-validate-csv-XXXXXX", cmd[1024];
    const int fd = mkstemp(csv);
    if (!gs_check(fd >= 0, "temporary file %s", csv))
        return;
    close(fd);
    snprintf(cmd, sizeof cmd, "'%s' validate gemm m8n8k8 m7n13k5ta1tb1beta1 --threads 2 --csv %s", exe, csv);
    static char human[MAX_LINES][LINE_CAP], rows[MAX_LINES][LINE_CAP];
    FILE *p = popen(cmd, "r");
    const int nhuman = p ? read_lines(p, human) : 0;
    const int status = p ? pclose(p) : -1;
    FILE *f = fopen(csv, "r");
    const int nrows = f ? read_lines(f, rows) : 0;
    if (f)
        fclose(f);
    unlink(csv);
    if (!gs_check(status == 0 && nrows > 0, "%s: exit status %d, %d CSV lines", cmd, status, nrows))
        return;
    gs_check(strcmp(rows[0], GS_VALIDATE_CSV_HEADER "\n") == 0, "header is '%s'", GS_VALIDATE_CSV_HEADER);
    int threads = -1, cases = 0, matched = 0, within = 0, passed = 0;
    for (int i = 0; i < nhuman; i++) {
        if (sscanf(human[i], "# gemm validate: seed=%*d threads=%d", &threads) == 1 || human[i][0] == '#' ||
            strncmp(human[i], "repro:", 6) == 0)
            continue;
        char problem[128], label[64], *fld[NFIELDS];
        const int row = 1 + cases++;
        if (row >= nrows || sscanf(human[i], "gemm %127s %63s", problem, label) != 2 || !split_row(rows[row], fld))
            continue;
        const bool dnn = strcmp(label, "onednn") == 0;
        matched += strcmp(fld[0], "gemm") == 0 && strcmp(fld[1], problem) == 0 &&
                   strcmp(fld[2], dnn ? "onednn" : "native") == 0 && strcmp(fld[3], dnn ? "" : label) == 0 &&
                   atoi(fld[4]) == threads && strstr(human[i], fld[8]) != NULL;
        passed += strcmp(fld[8], "PASS") == 0;
        within += strcmp(fld[8], "PASS") == 0 && errors_within(fld);
    }
    gs_check(cases > 0 && nrows - 1 == cases, "%d CSV rows for %d implementation lines", nrows - 1, cases);
    gs_check(matched == cases, "%d of %d rows name the line's problem, implementation, threads (%d) and result",
             matched, cases, threads);
    gs_check(within == passed, "%d of %d passing rows have their errors within the threshold", within, passed);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH_TO_GRADSCOPE\n", argv[0]);
        return 2;
    }
    gs_topo_init();
    gs_threads_init(2);
    check_driver_rows();
    check_cli_rows(argv[1]);
    return gs_test_done("test_validate_csv_has_a_row_per_check");
}
