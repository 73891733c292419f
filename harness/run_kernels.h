/* The kernels step of a run (run-all; train --kernels): validation of every op and micro-benchmarks
 * into results/<run>/kernels/, the data the report draws next to the training results. */
#ifndef GS_RUN_KERNELS_H
#define GS_RUN_KERNELS_H

#include <stdbool.h>

#include "core/status.h"

typedef struct {
    const char *run_dir; /* results/<run>: exists */
    int threads;         /* the run's thread count N: gemm and conv scale over 1, 2, 4, ... N, the rest run 1 and N */
    int isa;             /* -1, or the ISA the run forces (each step gets --isa) */
    const char *exe;     /* the gradscope binary the steps run; NULL: this process's own */
} gs_run_kernels_opts_t;

typedef struct {
    int steps;          /* steps run */
    int checks_failed;  /* steps whose checks failed: a validation FAIL, a benchmark disagreeing
                         * with oneDNN (recorded in the files: a result, not an error) */
    double seconds;     /* wall time of the whole step */
} gs_run_kernels_result_t;

/* Writes <run_dir>/kernels/: validate.csv (gradscope validate all --csv), bench-gemm-threads<k>.json
 * and bench-conv-threads<k>.json for k = 1, 2, 4, ... threads, bench-<op>.json for pool, bn, act, softmax_ce and
 * optim (the --quick sets), validate.log and bench.log (the steps' console output). The folder is
 * written as .kernels.partial and renamed when every step produced its file. One progress line per
 * step on stderr; failed checks are printed there too. GS_OK when the folder is complete (even with
 * failed checks: see r->checks_failed); GS_EIO or GS_EINVAL naming the step when one could not run
 * or left no file (the .partial folder stays, visibly incomplete). Every step is its own process
 * (this binary, posix_spawn): see run_kernels.c for why. */
gs_status_t gs_run_kernels(const gs_run_kernels_opts_t *o, gs_run_kernels_result_t *r);

#endif
