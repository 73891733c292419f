/* GEMM micro-benchmarks: ours per ISA vs oneDNN, OpenBLAS and BLIS on the MLP scenarios' shapes and two squares. */
#ifndef GS_BENCH_GEMM_H
#define GS_BENCH_GEMM_H

#include <stdbool.h>

#include "core/peak.h"
#include "core/status.h"
#include "kernels/gemm/gemm.h"

/* An implementation to benchmark in place of the default list (tests inject broken ones). */
typedef struct {
    const char *name;
    gs_gemm_fn *fn;
    bool ours; /* ours come first; the last of ours pairs with each library */
} gs_bench_gemm_impl_t;

typedef struct {
    const gs_peak_t *peak; /* measured peaks, the denominator of pct_peak; must outlive the run */
    int threads;           /* the "all threads" count: the bound thread pool, the peaks' "all" */
    const int *thread_counts; /* each benchmark runs once per count (see bench_ops.h) */
    int nthread_counts;
    int isa;               /* -1: our kernel for every vector ISA the CPU has; else only this ISA */
    bool quick;            /* only 1024^3 and the batch-64 MLP shapes (CI smoke runs) */
    int paired_rounds;     /* > 0: also each library alternated with our widest ISA, this many rounds */
    const gs_bench_gemm_impl_t *impls; /* NULL: ours per ISA (see isa), oneDNN and the loaded peers; */
    int nimpls;                        /* else these nimpls, held to the widest ISA's peak; must outlive the run */
} gs_bench_gemm_opts_t;

/* Separates ours from the library in a paired benchmark's name: "gemm/<problem>/avx512-vs-onednn/...". */
#define GS_BENCH_PAIR_SEP "-vs-"

typedef struct gs_gemm_case gs_gemm_case_t;

/* The registered benchmarks' per-case data; owned by the caller, freed after the run. */
typedef struct {
    gs_gemm_case_t *cases;
    int count;
} gs_bench_gemm_t;

/* Registers every (shape, thread count, implementation) benchmark, named like
 * "gemm/m64n128k784ta0tb1/avx512/threads:1", and with paired_rounds each library's paired one,
 * "gemm/m64n128k784ta0tb1/avx512-vs-onednn/threads:1/iterations:<rounds>": ours and the library
 * alternate in chunks of about 10 ms, one round an iteration, and it reports the rounds' median
 * ratio (ours / library) and quartiles as counters ratio, ratio_q1, ratio_q3, with both medians of
 * GFLOP/s (ours_GFLOP/s, peer_GFLOP/s). Peers that gs_peer_load() did not load are left out. */
gs_status_t gs_bench_gemm_register(gs_bench_gemm_t *set, const gs_bench_gemm_opts_t *opts);

void gs_bench_gemm_free(gs_bench_gemm_t *set);

#endif
