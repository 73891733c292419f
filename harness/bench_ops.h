/* The interface every op's micro-benchmarks offer `gradscope bench`: register, run, free. */
#ifndef GS_BENCH_OPS_H
#define GS_BENCH_OPS_H

#include <stdbool.h>

#include "core/peak.h"
#include "core/status.h"

typedef struct {
    const gs_peak_t *peak; /* measured peaks, the denominator of pct_peak; outlives the run */
    int threads;           /* the "all threads" count: the bound thread pool, the peaks' "all" */
    const int *thread_counts; /* each benchmark runs once per count, in this order (by default 1 and
                               * threads); each is 1..threads */
    int nthread_counts;
    int isa;               /* -1: our kernel for every vector ISA the CPU has; else only this ISA */
    bool quick;            /* a small subset with short times (CI smoke runs) */
    int paired_rounds;     /* gemm only (bench refuses it for other ops): > 0 adds paired benchmarks */
} gs_bench_op_opts_t;

/* Registers the op's benchmarks with gbench.h, named "<op>/<problem>/<impl>/threads:<n>" (impl:
 * avx2, avx512, onednn, or a peer library), with a rate counter "GFLOP/s" (compute-bound ops) or
 * "GB/s" (memory-bound ops) and "pct_peak" (of the measured FMA peak or triad bandwidth).
 * *set receives the per-benchmark data, freed by free_fn after the run (also after a failure). */
typedef gs_status_t gs_bench_op_register_fn(const gs_bench_op_opts_t *opts, void **set);
typedef void gs_bench_op_free_fn(void *set);

typedef struct {
    const char *name;
    gs_bench_op_register_fn *register_fn;
    gs_bench_op_free_fn *free_fn;
} gs_bench_op_t;

#endif
