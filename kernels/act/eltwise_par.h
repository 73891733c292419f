/* How the element-wise kernels (activations, optimizer updates) split a buffer over OpenMP threads:
 * only above a size where the fork/join pays, in cache-line-aligned chunks that depend only on
 * (n, thread, thread count), so no two threads share a line of output. */
#ifndef GS_ELTWISE_PAR_H
#define GS_ELTWISE_PAR_H

#include <omp.h>
#include <stdbool.h>

#include "core/par.h"

/* Floats each thread must get (a second thread joins at twice this). A fork/join costs about 1-2 us
 * with a warm OpenMP pool; streaming kernels (relu, SGD: ~8-12 bytes per float at L2 speed) need
 * ~64K floats on 2 threads to amortise it, kernels that evaluate exp per element (sigmoid, tanh,
 * ELU) about 16K. */
#define GS_ELTWISE_PER_THREAD_STREAM 32768L
#define GS_ELTWISE_PER_THREAD_MATH 8192L

/* One cache line of floats: chunk boundaries fall on multiples of it. */
#define GS_ELTWISE_ALIGN 16L

static inline int gs_eltwise_threads(long n, bool math_heavy)
{
    const long per_thread = math_heavy ? GS_ELTWISE_PER_THREAD_MATH : GS_ELTWISE_PER_THREAD_STREAM;
    return gs_par_threads((double)n, (double)per_thread);
}

/* [*lo, *hi) of thread t among nt over n elements, in whole multiples of `align` but the last. */
static inline void gs_eltwise_range(long n, long align, int t, int nt, long *lo, long *hi)
{
    const long blocks = (n + align - 1) / align;
    const long b0 = blocks * t / nt, b1 = blocks * (t + 1) / nt;
    *lo = b0 * align < n ? b0 * align : n;
    *hi = b1 * align < n ? b1 * align : n;
}

/* One thread's share [lo, hi) of a buffer, with whatever the kernel needs in ctx. */
typedef void gs_eltwise_chunk_fn(void *ctx, long lo, long hi);

/* Runs fn over [0, n): directly on the calling thread below the threshold (no OpenMP region at all:
 * even one whose if() clause is false costs about 2 us in libgomp, as much as a 64x128 sigmoid),
 * else on as many threads as it earns, over chunks aligned to `align` floats. */
static inline void gs_eltwise_run(long n, long align, bool math_heavy, gs_eltwise_chunk_fn *fn, void *ctx)
{
    const int nt = gs_eltwise_threads(n, math_heavy);
    if (nt == 1) {
        fn(ctx, 0, n);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        long lo, hi;
        gs_eltwise_range(n, align, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        fn(ctx, lo, hi);
    }
}

#endif
