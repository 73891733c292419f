/* Packing routines shared by the ISA files as always-inline templates: each *_avx2.c / *_avx512.c
 * instantiates them with its own MR / NR as constants and compiles them with its own flags, so the
 * copies are unrolled and vectorized for that ISA (BLIS's packm kernels, without the macros). */
#ifndef GS_GEMM_PACK_H
#define GS_GEMM_PACK_H

#include <stdbool.h>
#include <string.h>

#define GS_PACK_INLINE static inline __attribute__((always_inline))

/* kc x mc block of op(A) starting at `a` (= &op(A)(i0, p0)) -> MR-tall micro-panels, each kc x MR
 * with the MR values of one k step adjacent. Rows past `rows` (< mc at the bottom edge) are zero. */
GS_PACK_INLINE void gs_gemm_pack_a_tpl(const int MR, long mc, long kc, const float *a, long lda, bool transa,
                                       long rows, float *restrict dst)
{
    for (long ip = 0; ip < mc; ip += MR, dst += kc * MR) {
        const long valid = rows - ip < MR ? rows - ip : MR;
        if (valid == MR && !transa) {
            /* Row-major A: one element from each of MR rows per k step (a small transpose). */
            const float *src = a + ip * lda;
            for (long p = 0; p < kc; p++)
                for (int i = 0; i < MR; i++)
                    dst[p * MR + i] = src[i * lda + p];
        } else if (valid == MR) {
            /* Transposed A: the MR values of a k step are already adjacent. */
            const float *src = a + ip;
            for (long p = 0; p < kc; p++)
                for (int i = 0; i < MR; i++)
                    dst[p * MR + i] = src[p * lda + i];
        } else {
            for (long p = 0; p < kc; p++)
                for (int i = 0; i < MR; i++)
                    dst[p * MR + i] = i < valid ? (transa ? a[p * lda + ip + i] : a[(ip + i) * lda + p]) : 0.0f;
        }
    }
}

/* kc x nc block of op(B) starting at `b` (= &op(B)(p0, j0)) -> NR-wide micro-panels, each kc x NR
 * row-major. Columns past `cols` (< nc at the right edge) are zero. */
GS_PACK_INLINE void gs_gemm_pack_b_tpl(const int NR, long kc, long nc, const float *b, long ldb, bool transb,
                                       long cols, float *restrict dst)
{
    for (long jp = 0; jp < nc; jp += NR, dst += kc * NR) {
        const long valid = cols - jp < NR ? cols - jp : NR;
        if (valid == NR && !transb) {
            const float *src = b + jp;
            for (long p = 0; p < kc; p++)
                for (int j = 0; j < NR; j++)
                    dst[p * NR + j] = src[p * ldb + j];
        } else if (valid == NR) {
            /* Transposed B (e.g. weights stored out x in): one element of each of NR rows per k step. */
            const float *src = b + jp * ldb;
            for (long p = 0; p < kc; p++)
                for (int j = 0; j < NR; j++)
                    dst[p * NR + j] = src[j * ldb + p];
        } else {
            for (long p = 0; p < kc; p++)
                for (int j = 0; j < NR; j++)
                    dst[p * NR + j] = j < valid ? (transb ? b[(jp + j) * ldb + p] : b[p * ldb + jp + j]) : 0.0f;
        }
    }
}

#endif
