/* A C interface to Google Benchmark (C++ only upstream), so the benchmarks can be written in C. */
#ifndef GS_GBENCH_H
#define GS_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" { /* core/status.h has no C++ linkage guard of its own */
#endif

#include "core/status.h"

/* Handed to a benchmark function while it runs; only valid during that call. */
typedef struct gs_bench_state gs_bench_state_t;

/* A benchmark body: set up, loop on gs_bench_state_keep_running(), report counters, clean up.
 * Google Benchmark calls it several times per benchmark (to find the iteration count, and once
 * per repetition), so per-benchmark work that must happen once belongs in `user`. */
typedef void gs_bench_fn(gs_bench_state_t *state, void *user);

enum { GS_BENCH_MAX_ARGS = 8 };

typedef enum {
    GS_BENCH_UNIT_DEFAULT = 0, /* the library's default (ns, or --benchmark_time_unit) */
    GS_BENCH_UNIT_NS,
    GS_BENCH_UNIT_US,
    GS_BENCH_UNIT_MS,
    GS_BENCH_UNIT_S
} gs_bench_unit_t;

/* Per-benchmark settings. Zero values defer to the --benchmark_* flags; a zero-initialised struct
 * (or NULL) is a plain benchmark. Setting min_time_s, iterations or repetitions here also puts
 * them into the benchmark's name, which is why the flags are usually the better place. */
typedef struct {
    int nargs;                                /* integer arguments, read back with gs_bench_state_arg */
    int64_t args[GS_BENCH_MAX_ARGS];
    const char *arg_names[GS_BENCH_MAX_ARGS]; /* "threads" names the argument "threads:4"; NULL: "4" */
    bool real_time;   /* time by wall clock: required for OpenMP or any code that runs other threads */
    double min_time_s;
    int64_t iterations; /* a fixed count instead of the automatic one; excludes min_time_s */
    int repetitions;
    gs_bench_unit_t unit;
} gs_bench_opts_t;

/* Counter flags (combine with |), after benchmark::Counter. */
enum {
    GS_BENCH_COUNTER_RATE = 1u << 0,           /* divided by the elapsed time: a per-second rate */
    GS_BENCH_COUNTER_AVG_THREADS = 1u << 1,    /* divided by the benchmark's thread count */
    GS_BENCH_COUNTER_PER_ITERATION = 1u << 2,  /* multiplied by the iteration count */
    GS_BENCH_COUNTER_AVG_ITERATIONS = 1u << 3, /* divided by the iteration count */
    GS_BENCH_COUNTER_INVERT = 1u << 4,         /* reported as 1/value (e.g. seconds per item) */
    GS_BENCH_COUNTER_BASE_1024 = 1u << 5       /* human-readable prefixes in powers of 1024 */
};

/* Registers a benchmark; it runs in gs_bench_run() if --benchmark_filter selects it. `user` must
 * outlive the run. GS_EINVAL for a bad option, GS_ENOMEM if the library could not allocate. */
gs_status_t gs_bench_register(const char *name, gs_bench_fn *fn, void *user, const gs_bench_opts_t *opts);

/* Adds a key to the "context" block of the report (console header and JSON), e.g. the measured
 * peaks, so a result file says what machine it came from. Call before gs_bench_run(). */
gs_status_t gs_bench_add_context(const char *key, const char *value);

/* Parses (and removes from argv) the --benchmark_* flags. An argument it does not know is
 * GS_EINVAL naming it. Call it before anything slow, so a typo costs nothing. */
gs_status_t gs_bench_init(int *argc, char **argv);

/* Runs the benchmarks the flags select and stores how many ran in *n_run (0 when the filter
 * matched nothing, or when --benchmark_list_tests only listed them). */
gs_status_t gs_bench_run_specified(size_t *n_run);

/* gs_bench_init, then gs_bench_run_specified: the whole main() of a benchmark program. */
gs_status_t gs_bench_run(int *argc, char **argv, size_t *n_run);

/* True while the timed loop should go on; each true is one iteration. */
bool gs_bench_state_keep_running(gs_bench_state_t *state);

/* As keep_running, counting `batch` iterations at a time (for bodies too short to time alone). */
bool gs_bench_state_keep_running_batch(gs_bench_state_t *state, int64_t batch);

/* Integer argument i of this instance (gs_bench_opts_t.args); 0 when i is out of range. */
int64_t gs_bench_state_arg(const gs_bench_state_t *state, int i);

/* Iterations run so far; after the loop, the total the counters should be scaled by. */
int64_t gs_bench_state_iterations(const gs_bench_state_t *state);

/* Stop and restart the clock around per-iteration set-up that is not the thing measured. They
 * cost far more than a clock read, so use them only around work much longer than that. */
void gs_bench_state_pause(gs_bench_state_t *state);
void gs_bench_state_resume(gs_bench_state_t *state);

/* Totals over all iterations; reported as rates (bytes_per_second, items_per_second). */
void gs_bench_state_set_bytes_processed(gs_bench_state_t *state, int64_t bytes);
void gs_bench_state_set_items_processed(gs_bench_state_t *state, int64_t items);

/* A named user counter with GS_BENCH_COUNTER_* flags; the latest value for a name wins. */
void gs_bench_state_set_counter(gs_bench_state_t *state, const char *name, double value, unsigned flags);

/* Free text shown after the result line and stored as "label" in the JSON. */
void gs_bench_state_set_label(gs_bench_state_t *state, const char *label);

/* Marks this run failed with a message (reported instead of a time). Call before the loop or
 * break out of it right after: the next keep_running returns false. */
void gs_bench_state_skip_with_error(gs_bench_state_t *state, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

bool gs_bench_state_error_occurred(const gs_bench_state_t *state);

#ifdef __cplusplus
}
#endif

#endif
