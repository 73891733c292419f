/* Packing routines shared by the ISA files as always-inline templates: each *_avx2.c / *_avx512.c
 * instantiates them with its own MR / NR as constants and compiles them with its own flags, so the
 * copies are unrolled and vectorized for that ISA (BLIS's packm kernels, without the macros). */
#ifndef GS_GEMM_PACK_H
#define GS_GEMM_PACK_H

#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "core/lanes_avx2.h"
#include "core/transpose_avx2.h"

#define GS_PACK_INLINE static inline __attribute__((always_inline))

/* 8x8 transpose: src row r (8 floats at src + r*lds) becomes dst row r (8 floats at dst + r*ldd) as
 * column r; source rows from `rows` on (rows < 8 at a bottom edge) read as zeros, not at all. */
GS_PACK_INLINE void gs_transpose_8x8_rows(const float *src, long lds, long rows, float *dst, long ldd)
{
    __m256 r[8];
    for (int i = 0; i < 8; i++)
        r[i] = i < rows ? _mm256_loadu_ps(src + i * lds) : _mm256_setzero_ps();
    gs_transpose8x8(r);
    for (int i = 0; i < 8; i++)
        _mm256_storeu_ps(dst + i * ldd, r[i]);
}

/* One line of each of `rows` rows `ld` apart, from `p`. */
GS_PACK_INLINE void gs_prefetch_rows(const float *p, long ld, int rows)
{
    for (int i = 0; i < rows; i++)
        _mm_prefetch((const char *)(p + i * ld), _MM_HINT_T0);
}

/* kc x mc block of op(A) starting at `a` (= &op(A)(i0, p0)) -> MR-tall micro-panels, each kc x MR
 * with the MR values of one k step adjacent. Rows past `rows` (< mc at the bottom edge) are zero.
 * Row-major A is read kc floats of MR rows at a time: pieces too short for the hardware
 * prefetcher to run ahead of the copy, which then waited on memory, so each micro-panel fetches
 * the next one's rows a line per 16 k steps (2048^3, A beyond L3, timed in one process: AVX-512
 * +1.0-1.4%, pack_a 1.9 -> 1.3% of the time; AVX2 +0.9%; 1024^3 the same). */
GS_PACK_INLINE void gs_gemm_pack_a_tpl(const int MR, long mc, long kc, const float *a, long lda, bool transa,
                                       long rows, float *restrict dst)
{
    for (long ip = 0; ip < mc; ip += MR, dst += kc * MR) {
        const long valid = rows - ip < MR ? rows - ip : MR;
        const bool fetch_next = ip + MR < mc;
        if (!transa && MR % 8 == 0) {
            /* Row-major A: one element from each of MR rows per k step, a transpose, by 8x8
             * register blocks (AVX-512's 8, the tall tiles' 16 and 32), edge rows as zeros. */
            const float *src = a + ip * lda;
            long p = 0;
            for (; p + 8 <= kc; p += 8) {
                if (fetch_next && p % 16 == 0)
                    gs_prefetch_rows(src + MR * lda + p, lda, MR);
                for (int i = 0; i < MR; i += 8)
                    gs_transpose_8x8_rows(src + i * lda + p, lda, valid - i, dst + p * MR + i, MR);
            }
            for (; p < kc; p++)
                for (int i = 0; i < MR; i++)
                    dst[p * MR + i] = i < valid ? src[i * lda + p] : 0.0f;
        } else if (valid == MR && !transa && MR < 8) {
            /* Row-major A into AVX2's 6-row panels: 8x8 register transposes of the MR rows (the
             * other two as zeros), each k step's MR values stored with the two after them, which
             * the next step's store overwrites; the panel's last step stores only its MR. Against
             * element by element, switched in one process: 2 threads (each packs all of A)
             * 1024^3 +1.7%, 2048^3 +0.3%; 1 thread within 0.3%. */
            const float *src = a + ip * lda;
            long p = 0;
            for (; p + 8 <= kc; p += 8) {
                if (fetch_next && p % 16 == 0)
                    gs_prefetch_rows(src + MR * lda + p, lda, MR);
                __m256 r[8];
                for (int i = 0; i < 8; i++)
                    r[i] = i < MR ? _mm256_loadu_ps(src + i * lda + p) : _mm256_setzero_ps();
                gs_transpose8x8(r);
                for (int i = 0; i < 8; i++) {
                    if (p + i + 1 < kc)
                        _mm256_storeu_ps(dst + (p + i) * MR, r[i]);
                    else
                        _mm256_maskstore_ps(dst + (p + i) * MR, gs_lanes_below(MR), r[i]);
                }
            }
            for (; p < kc; p++)
                for (int i = 0; i < MR; i++)
                    dst[p * MR + i] = src[i * lda + p];
        } else if (valid == MR && transa) {
            /* Transposed A: the MR values of a k step are already adjacent. */
            const float *src = a + ip;
            for (long p = 0; p < kc; p++)
                for (int i = 0; i < MR; i++)
                    dst[p * MR + i] = src[p * lda + i];
        } else {
            /* Bottom edge: the valid rows, zeros after them (and any other MR, element by element). */
            const long rs = transa ? 1 : lda, cs = transa ? lda : 1;
            for (long p = 0; p < kc; p++)
                for (int i = 0; i < MR; i++)
                    dst[p * MR + i] = i < valid ? a[(ip + i) * rs + p * cs] : 0.0f;
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
            for (long p = 0; p < kc; p++) /* a constant-size copy: inlined as vector moves */
                memcpy(dst + p * NR, src + p * ldb, (size_t)NR * sizeof(float));
        } else if (!transb && NR % 8 == 0) {
            /* Right edge: the valid columns, zeros after them, 8 columns a masked load (element by
             * element took 4.7% of AVX2 m34n79k1077ta1tb0, a 15-column panel copied once a call). */
            for (long p = 0; p < kc; p++)
                for (int j = 0; j < NR; j += 8) {
                    const __m256 v = _mm256_maskload_ps(b + p * ldb + jp + j, gs_lanes_below(valid - j));
                    _mm256_storeu_ps(dst + p * NR + j, v);
                }
        } else if (!transb) { /* the narrow widths' right edge */
            for (long p = 0; p < kc; p++)
                for (int j = 0; j < NR; j++)
                    dst[p * NR + j] = j < valid ? b[p * ldb + jp + j] : 0.0f;
        } else {
            /* Transposed B (e.g. weights stored out x in): 8x8 transposes, NR/8 per 8 k steps, when
             * NR allows (not the narrow AVX-512 widths); columns past the right edge as zeros. */
            const float *src = b + jp * ldb;
            long p = 0;
            if (NR % 8 == 0)
                for (; p + 8 <= kc; p += 8)
                    for (int j = 0; j < NR; j += 8)
                        gs_transpose_8x8_rows(src + j * ldb + p, ldb, valid - j, dst + p * NR + j, NR);
            if (valid == NR) /* whole panels of the narrow widths (the output layer): no test per element */
                for (; p < kc; p++)
                    for (int j = 0; j < NR; j++)
                        dst[p * NR + j] = src[j * ldb + p];
            for (; p < kc; p++)
                for (int j = 0; j < NR; j++)
                    dst[p * NR + j] = j < valid ? src[j * ldb + p] : 0.0f;
        }
    }
}

/* The tall micro-kernels (narrow C, vectorized along m): each ISA file defines TALL_MR and
 * ukernel_tall_body(NV, kc, a, cs_a, b, rs_b, copy_b, b_copy, c, rs_c, alpha, beta, mr, nr), then
 * instantiates GS_GEMM_TALL_PACK_A once and GS_GEMM_TALL_UKERNEL per width NV: ukernel_tallNV
 * (constant NV; a separate instantiation packs B on the way) and pack_b_tallNV. */
#define GS_GEMM_TALL_PACK_A                                                                       \
    static void pack_a_tall(long mc, long kc, const float *a, long lda, bool transa, long rows, float *dst) \
    {                                                                                             \
        gs_gemm_pack_a_tpl(TALL_MR, mc, kc, a, lda, transa, rows, dst);                           \
    }

#define GS_GEMM_TALL_UKERNEL(NV)                                                                                  \
    static void ukernel_tall##NV(long kc, const float *a, long rs_a, long cs_a, const float *b, long rs_b,       \
                                 float *b_copy, float *c, long rs_c, float alpha, float beta, int mr, int nr)    \
    {                                                                                                             \
        (void)rs_a; /* 1: the driver reads A in place only when transposed (vector_m) */                         \
        if (b_copy)                                                                                               \
            ukernel_tall_body(NV, kc, a, cs_a, b, rs_b, true, b_copy, c, rs_c, alpha, beta, mr, nr);              \
        else                                                                                                      \
            ukernel_tall_body(NV, kc, a, cs_a, b, rs_b, false, NULL, c, rs_c, alpha, beta, mr, nr);               \
    }                                                                                                             \
    static void pack_b_tall##NV(long kc, long nc, const float *b, long ldb, bool transb, long cols, float *dst)  \
    {                                                                                                             \
        gs_gemm_pack_b_tpl(NV, kc, nc, b, ldb, transb, cols, dst);                                                \
    }

#endif
