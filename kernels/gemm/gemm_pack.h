/* Packing routines shared by the ISA files as always-inline templates: each *_avx2.c / *_avx512.c
 * instantiates them with its own MR / NR as constants and compiles them with its own flags, so the
 * copies are unrolled and vectorized for that ISA (BLIS's packm kernels, without the macros). */
#ifndef GS_GEMM_PACK_H
#define GS_GEMM_PACK_H

#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#define GS_PACK_INLINE static inline __attribute__((always_inline))

/* 8x8 transpose: src row r (8 floats at src + r*lds) becomes dst row r (8 floats at dst + r*ldd) as
 * column r. Needs AVX; both ISA files (and the SIMDe build, compiled with -mavx2) have it. */
GS_PACK_INLINE void gs_transpose_8x8(const float *src, long lds, float *dst, long ldd)
{
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
    _mm256_storeu_ps(dst + 0 * ldd, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + 1 * ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* kc x mc block of op(A) starting at `a` (= &op(A)(i0, p0)) -> MR-tall micro-panels, each kc x MR
 * with the MR values of one k step adjacent. Rows past `rows` (< mc at the bottom edge) are zero. */
GS_PACK_INLINE void gs_gemm_pack_a_tpl(const int MR, long mc, long kc, const float *a, long lda, bool transa,
                                       long rows, float *restrict dst)
{
    for (long ip = 0; ip < mc; ip += MR, dst += kc * MR) {
        const long valid = rows - ip < MR ? rows - ip : MR;
        if (valid == MR && !transa) {
            /* Row-major A: one element from each of MR rows per k step, a transpose: by 8x8
             * register blocks when MR allows (AVX-512's 8 and 16), else element by element. */
            const float *src = a + ip * lda;
            long p = 0;
            if (MR % 8 == 0)
                for (; p + 8 <= kc; p += 8)
                    for (int i = 0; i < MR; i += 8)
                        gs_transpose_8x8(src + i * lda + p, lda, dst + p * MR + i, MR);
            for (; p < kc; p++)
                for (int i = 0; i < MR; i++)
                    dst[p * MR + i] = src[i * lda + p];
        } else if (valid == MR) {
            /* Transposed A: the MR values of a k step are already adjacent. */
            const float *src = a + ip;
            for (long p = 0; p < kc; p++)
                for (int i = 0; i < MR; i++)
                    dst[p * MR + i] = src[p * lda + i];
        } else {
            /* Bottom edge: the valid rows, zeros after them; source read contiguously either way
             * (row-major A row by row, transposed A k step by k step). */
            if (transa) {
                for (long p = 0; p < kc; p++) {
                    memcpy(dst + p * MR, a + p * lda + ip, (size_t)valid * sizeof(float));
                    memset(dst + p * MR + valid, 0, (size_t)(MR - valid) * sizeof(float));
                }
            } else {
                memset(dst, 0, (size_t)(kc * MR) * sizeof(float));
                for (long i = 0; i < valid; i++)
                    for (long p = 0; p < kc; p++)
                        dst[p * MR + i] = a[(ip + i) * lda + p];
            }
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
        } else if (valid == NR) {
            /* Transposed B (e.g. weights stored out x in): 8x8 transposes, NR/8 per 8 k steps, when
             * NR allows (not the narrow AVX-512 widths). */
            const float *src = b + jp * ldb;
            long p = 0;
            if (NR % 8 == 0)
                for (; p + 8 <= kc; p += 8)
                    for (int j = 0; j < NR; j += 8)
                        gs_transpose_8x8(src + j * ldb + p, ldb, dst + p * NR + j, NR);
            for (; p < kc; p++)
                for (int j = 0; j < NR; j++)
                    dst[p * NR + j] = src[j * ldb + p];
        } else {
            /* Right edge: the valid columns, zeros after them; source read contiguously either
             * way (untransposed B row by row, transposed B -- e.g. the 10 rows of an output layer's
             * weights -- column by column). */
            if (!transb) {
                for (long p = 0; p < kc; p++) {
                    memcpy(dst + p * NR, b + p * ldb + jp, (size_t)valid * sizeof(float));
                    memset(dst + p * NR + valid, 0, (size_t)(NR - valid) * sizeof(float));
                }
            } else {
                memset(dst, 0, (size_t)(kc * NR) * sizeof(float));
                for (long j = 0; j < valid; j++)
                    for (long p = 0; p < kc; p++)
                        dst[p * NR + j] = b[(jp + j) * ldb + p];
            }
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
