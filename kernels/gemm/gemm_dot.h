/* C = alpha A op(B) + beta C as dot products of A's rows with op(B)'s columns, for untransposed A
 * (gemm_dot_avx512.c, gemm_dot_avx2.c). */
#ifndef GS_GEMM_DOT_H
#define GS_GEMM_DOT_H

#include <stdbool.h>

#include "core/topo.h"

#define GS_GEMM_DOT_ROWS 4      /* rows of C per block: threads split these */
#define GS_GEMM_DOT_MIN_K 64    /* below, the reductions outweigh the few 16-wide steps they end */
#define GS_GEMM_DOT_COLS_MAX 16 /* the widest untransposed B (its columns are copied) */

/* Pointers to `count` rows `ld` apart from `p`, those from `valid` on repeating the last valid row:
 * a block at C's edge computes them but never stores them. */
static inline void gs_gemm_dot_rows(const float *p, long ld, int valid, int count, const float **rows)
{
    for (int r = 0; r < count; r++)
        rows[r] = p + (r < valid ? r : valid - 1) * ld;
}

/* Columns of C per pass: each 4-row block of A streams all of op(B)'s k-long rows in the pass, so
 * they must stay in (half of) this core's L2; a multiple of `width` (a block's columns), so only
 * the last pass has a ragged end. */
static inline long gs_gemm_dot_col_block(long n, long k, long width)
{
    const long bytes = (long)(gs_topo_l2_per_core(gs_topo()) / 2);
    const long cols = bytes / (4 * k) / width * width;
    return cols < width ? width : cols < n ? cols : n;
}

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
