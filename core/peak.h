/* Measured machine peaks: FP32 FMA throughput per ISA (1 thread and all threads) and STREAM-like
 * triad bandwidth. Every "% of peak" in gradscope divides by these numbers. */
#ifndef GS_PEAK_H
#define GS_PEAK_H

#include "core/cpu.h"
#include "core/status.h"

typedef struct {
    /* GFLOP/s of independent FMA chains, [isa][0] = 1 thread, [isa][1] = all threads; 0 when the
     * CPU lacks the ISA. "scalar" is the x86-64 baseline (SSE2 mul + add, no FMA). */
    double gflops[GS_ISA_COUNT][2];
    /* Triad a[i] = b[i] + s*c[i], STREAM byte counting (12 bytes per element, no write-allocate). */
    double triad_gbs[2];
    int threads;             /* the "all threads" count */
    double triad_array_mib;  /* size of each of the three triad arrays */
} gs_peak_t;

/* Measures everything (about 2 s). Uses the current OpenMP thread count for "all threads". */
gs_status_t gs_peak_measure(gs_peak_t *p);

/* Best FLOP rate of one ISA with `threads` threads from a measurement (1 or all; others scaled). */
double gs_peak_gflops(const gs_peak_t *p, gs_isa_t isa, int threads);
double gs_peak_gbs(const gs_peak_t *p, int threads);

/* Per-ISA FMA loops (core/peak_<isa>.c): FLOPs done in `iters` iterations, compiled with that
 * ISA's flags. Only call one the CPU supports. */
double gs_peak_loop_scalar(long iters);
double gs_peak_loop_avx2(long iters);
double gs_peak_loop_avx512(long iters);

#endif
