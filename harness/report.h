/* The report step of `gradscope report` and of the end of `gradscope run-all`: checks the result folders
 * and benchmark files it is given, then runs scripts/report.py (matplotlib draws, so Python does the
 * report) and hands back its exit status. */
#ifndef GS_REPORT_H
#define GS_REPORT_H

#include "core/status.h"

typedef struct {
    const char *const *runs;  /* result folders (results/<run>/) */
    int nruns;
    const char *out;          /* report folder; NULL: <run>/report (one run only) */
    const char *const *bench; /* extra Google Benchmark JSON files of `gradscope bench` */
    int nbench;
} gs_report_args_t;

/* GS_OK when there is at least one run folder, every one exists and holds summary.csv or a
 * <scenario>/meta.json, every bench file is a readable regular file, and --out is given for several
 * runs; GS_EINVAL with a message naming the path otherwise. */
gs_status_t gs_report_check(const gs_report_args_t *a);

/* Runs `$GRADSCOPE_PYTHON (default /usr/bin/python3) <source dir>/scripts/report.py ...` without a shell
 * and waits for it; *exit_code receives the script's exit status (0 written, 1 written with problems or
 * a folder that is not a run, 2 usage). GS_EIO naming the interpreter or the script when it cannot be
 * started or dies from a signal. */
gs_status_t gs_report_run(const gs_report_args_t *a, int *exit_code);

#endif
