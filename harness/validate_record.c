/* Counting validation cases and writing them as CSV rows (format: results/README.md, kernels/). */
#include "harness/validate_record.h"

#include <errno.h>
#include <omp.h>
#include <stdbool.h>
#include <string.h>

/* %.3g like the human lines; an empty field where the value does not apply. */
static void put_err(FILE *f, double v)
{
    if (!isnan(v))
        fprintf(f, "%.3g", v);
}

void gs_validate_record(gs_validate_summary_t *s, const gs_validate_row_t *row)
{
    const bool pass = strcmp(row->result, "PASS") == 0, mistrusted = strcmp(row->result, "MISTRUSTED") == 0;
    s->tests++;
    s->passed += pass;
    s->mistrusted += mistrusted;
    s->failed += !pass && !mistrusted;
    if (!s->csv)
        return;
    const bool dnn = row->impl && strcmp(row->impl, "onednn") == 0;
    /* Problems and labels hold no commas (problem strings are letters, digits, '.', '-', '/'),
     * so nothing is quoted. */
    fprintf(s->csv, "%s,%s,%s,%s,%d,", row->op, row->problem, !row->impl ? "" : dnn ? "onednn" : "native",
            !row->impl || dnn ? "" : row->impl, omp_get_max_threads());
    put_err(s->csv, row->max_rel_err);
    fputc(',', s->csv);
    put_err(s->csv, row->ref_rel_err);
    fputc(',', s->csv);
    put_err(s->csv, row->threshold);
    fprintf(s->csv, ",%s\n", pass || mistrusted ? row->result : "FAIL");
}

int gs_validate_finish(FILE *out, const char *op, const gs_validate_summary_t *s, uint64_t seed,
                       gs_validate_summary_t *sum)
{
    fprintf(out, "# %s summary: tests=%d passed=%d failed=%d mistrusted=%d seed=%llu\n", op, s->tests, s->passed,
            s->failed, s->mistrusted, (unsigned long long)seed);
    fflush(out);
    if (sum) {
        sum->tests += s->tests;
        sum->passed += s->passed;
        sum->failed += s->failed;
        sum->mistrusted += s->mistrusted;
    }
    return s->failed;
}

gs_status_t gs_validate_csv_open(const char *path, FILE **csv)
{
    *csv = fopen(path, "w");
    if (!*csv)
        return gs_error(GS_EIO, "--csv: cannot write '%s': %s", path, strerror(errno));
    fprintf(*csv, "%s\n", GS_VALIDATE_CSV_HEADER);
    return GS_OK;
}

gs_status_t gs_validate_csv_close(FILE *csv, const char *path)
{
    /* stdio keeps a failed write's flag, not its errno: the fclose error says more when there is one. */
    const bool write_failed = ferror(csv) != 0;
    if (fclose(csv) != 0)
        return gs_error(GS_EIO, "--csv: writing '%s' failed: %s", path, strerror(errno));
    if (write_failed)
        return gs_error(GS_EIO, "--csv: writing '%s' failed", path);
    return GS_OK;
}
