/* Where every validation case goes besides its human line: the counts of the summary and, when
 * asked for, one row of a CSV file (`gradscope validate --csv`, a run's kernels/validate.csv). */
#ifndef GS_VALIDATE_RECORD_H
#define GS_VALIDATE_RECORD_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"

/* The counts of a validation run. `csv`, when set by the caller, receives one row per case. */
typedef struct {
    int tests, passed, failed, mistrusted;
    FILE *csv;
} gs_validate_summary_t;

/* One checked case. Errors are NAN where they do not apply (an empty CSV field). */
typedef struct {
    const char *op;      /* "gemm" */
    const char *problem; /* the problem string, "/<variant>" appended where one problem has several
                          * cases: conv "/FWD_D", act "/fwd", softmax_ce "/ce", pool "/ties",
                          * optim "/step2" */
    const char *impl;    /* the label the human line prints: "avx512", "avx512_emu", "onednn", a
                          * reference's name when it failed; NULL when the case failed before any
                          * implementation ran */
    double max_rel_err;  /* against oneDNN */
    double ref_rel_err;  /* against the scalar oracle */
    double threshold;    /* the wider of the two comparisons' bounds: in a row that passed, both
                          * errors are at or below it (act and softmax_ce hold the oracle to a
                          * tighter bound than oneDNN's vector math) */
    const char *result;  /* "PASS", "MISTRUSTED" or "FAIL" */
} gs_validate_row_t;

/* The CSV header, without the newline. */
#define GS_VALIDATE_CSV_HEADER "op,problem,impl,isa,threads,max_rel_err,ref_rel_err,threshold,result"

/* Counts the case into s and, when s->csv is set, writes its row: impl "onednn" for oneDNN and
 * "native" with the label as isa for everything else; threads is OpenMP's current count. Write
 * errors surface in gs_validate_csv_close (stdio keeps them). Any result other than PASS or
 * MISTRUSTED counts as a failure. */
void gs_validate_record(gs_validate_summary_t *s, const gs_validate_row_t *row);

/* The end of every op's validation run: prints "# <op> summary: tests=.. passed=.. failed=..
 * mistrusted=.. seed=.." to out, adds s's counts into *sum (when not NULL) and returns s's failures. */
int gs_validate_finish(FILE *out, const char *op, const gs_validate_summary_t *s, uint64_t seed,
                       gs_validate_summary_t *sum);

/* Creates (truncates) `path` and writes the header. GS_EIO naming the path when it cannot. */
gs_status_t gs_validate_csv_open(const char *path, FILE **csv);

/* Closes the file; GS_EIO naming the path when any write failed (disk full, I/O error). */
gs_status_t gs_validate_csv_close(FILE *csv, const char *path);

/* How close an error is to its bound, for drivers that judge several quantities against different
 * bounds and report the one nearest to failing: err / thr, with 0 for no error, infinity for any
 * error above a zero bound and for NaN. */
static inline double gs_validate_margin(double err, double thr)
{
    if (isnan(err) || (err > 0.0 && thr <= 0.0))
        return INFINITY;
    return err > 0.0 ? err / thr : 0.0;
}

#endif
