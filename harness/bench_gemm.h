/* GEMM micro-benchmarks: ours per ISA vs oneDNN, OpenBLAS and BLIS on the MLP scenarios' shapes and two squares. */
#ifndef GS_BENCH_GEMM_H
#define GS_BENCH_GEMM_H

#include <stdbool.h>

#include "core/peak.h"
#include "core/status.h"

typedef struct {
    const gs_peak_t *peak; /* measured peaks, the denominator of pct_peak; must outlive the run */
    int threads;           /* the "all threads" count: the bound thread pool, the peaks' "all" */
    const int *thread_counts; /* each benchmark runs once per count (see bench_ops.h) */
    int nthread_counts;
    int isa;               /* -1: our kernel for every vector ISA the CPU has; else only this ISA */
    bool quick;            /* only 1024^3 and the batch-64 MLP shapes (CI smoke runs) */
} gs_bench_gemm_opts_t;

typedef struct gs_gemm_case gs_gemm_case_t;

/* The registered benchmarks' per-case data; owned by the caller, freed after the run. */
typedef struct {
    gs_gemm_case_t *cases;
    int count;
} gs_bench_gemm_t;

/* Registers every (shape, thread count, implementation) benchmark, named like
 * "gemm/m64n128k784ta0tb1/avx512/threads:1". Peers that gs_peer_load() did not load are left out. */
gs_status_t gs_bench_gemm_register(gs_bench_gemm_t *set, const gs_bench_gemm_opts_t *opts);

void gs_bench_gemm_free(gs_bench_gemm_t *set);

#endif
