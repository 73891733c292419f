/* C = alpha A op(B) + beta C as dot products of A's rows with op(B)'s columns, for untransposed A
 * (gemm_dot_avx512.c, gemm_dot_avx2.c). */
#ifndef GS_GEMM_DOT_H
#define GS_GEMM_DOT_H

#include <stdbool.h>

#define GS_GEMM_DOT_ROWS 4      /* rows of C per block: threads split these */
#define GS_GEMM_DOT_MIN_K 64    /* below, the reductions outweigh the few 16-wide steps they end */
#define GS_GEMM_DOT_COLS_MAX 16 /* the widest untransposed B (its columns are copied) */

#ifdef GS_AVX512_EMULATED
#define gs_gemm_dot_avx512 gs_gemm_dot_avx512_emu /* the SIMDe build exports this name */
#endif

/* Threads split the 4-row blocks: as many as the FLOPs pay for, and at least min_threads (0: no
 * floor) as far as there are blocks. transb: B^T's rows read in place, any n. Untransposed B: n <=
 * GS_GEMM_DOT_COLS_MAX, copied into line-aligned rows in k chunks of at most 512 on the stack.
 * m, n, k > 0, arguments checked. */
void gs_gemm_dot_avx512(bool transb, long m, long n, long k, float alpha, const float *a, long lda, const float *b,
                        long ldb, float beta, float *c, long ldc, int min_threads);

/* AVX2, B^T only (its rows read in place), 4 x 3 and 4 x 2 blocks; threads split the 4-row blocks
 * as the FLOPs pay for. m, n, k > 0, arguments checked. */
void gs_gemm_dot_avx2(long m, long n, long k, float alpha, const float *a, long lda, const float *b, long ldb,
                      float beta, float *c, long ldc);

#endif
