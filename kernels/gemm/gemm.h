/* Single-precision GEMM, row-major: C = alpha * op(A) * op(B) + beta * C, op = transpose or not.
 * op(A) is m x k, op(B) is k x n, C is m x n; A is m x k (lda >= k) or, transposed, k x m (lda >= m). */
#ifndef GS_GEMM_H
#define GS_GEMM_H

#include <stdbool.h>

#include "core/cpu.h"
#include "core/status.h"

/* The one signature every implementation shares. Implementations may assume the arguments
 * passed gs_gemm_check() and that m, n > 0. */
typedef gs_status_t gs_gemm_fn(bool transa, bool transb, long m, long n, long k, float alpha,
                               const float *a, long lda, const float *b, long ldb, float beta,
                               float *c, long ldc);

/* The public entry: checks arguments, handles the degenerate cases (m or n = 0; k = 0 or
 * alpha = 0 only scale C), runs the dispatched implementation and records it in the profiler. */
gs_status_t gs_gemm(bool transa, bool transb, long m, long n, long k, float alpha, const float *a,
                    long lda, const float *b, long ldb, float beta, float *c, long ldc);

/* GS_OK or GS_EINVAL with a message naming the bad argument. */
gs_status_t gs_gemm_check(bool transa, bool transb, long m, long n, long k, const float *a, long lda,
                          const float *b, long ldb, const float *c, long ldc);

/* Runs one implementation through the same checks and degenerate-case handling as gs_gemm
 * (tests and the validation driver call variants that are not the dispatched one). */
gs_status_t gs_gemm_with(gs_gemm_fn *fn, bool transa, bool transb, long m, long n, long k, float alpha,
                         const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);

/* The tile and block sizes a deep GEMM of `isa` uses on this machine (they come from the hwloc
 * cache sizes; a shallower k only shortens KC): what `info` reports, so that runs on different
 * CPUs say how each was blocked. GS_EUNSUPPORTED for the scalar oracle, which does not block, and
 * for an ISA this CPU lacks. */
typedef struct {
    int mr, nr;
    long kc, mc, nc;
} gs_gemm_plan_t;
gs_status_t gs_gemm_plan(gs_isa_t isa, gs_gemm_plan_t *out);

#ifdef GS_AVX512_EMULATED
#define gs_gemm_avx512 gs_gemm_avx512_emu /* the SIMDe build of gemm_avx512.c exports this name */
#endif

gs_gemm_fn gs_gemm_ref;
gs_gemm_fn gs_gemm_avx2;
gs_gemm_fn gs_gemm_avx512;
gs_gemm_fn gs_gemm_avx512_emu; /* test-only: gemm_avx512.c compiled against SIMDe */
gs_gemm_fn gs_gemm_onednn;

#endif
