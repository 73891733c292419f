/* The per-shape comparison printed after `gradscope bench <op>`, read back from Google Benchmark's JSON. */
#ifndef GS_BENCH_SUMMARY_H
#define GS_BENCH_SUMMARY_H

#include <stdio.h>

#include "core/status.h"

/* Prints, per shape and thread count, GFLOP/s (or GB/s for memory-bound ops) of each implementation
 * (columns found in the report: ours per ISA, then the libraries; the median aggregate when
 * repetitions were run, else the single measurement) and ours / best peer; where the report has
 * paired benchmarks (bench gemm --paired), also the lowest paired ratio with its quartiles and
 * library. Counts the benchmarks that ended in an error in *n_errors. GS_EIO / GS_EFORMAT when
 * the file cannot be read as a Google Benchmark JSON report. */
gs_status_t gs_bench_summary_print(const char *json_path, FILE *out, int *n_errors);

#endif
