/* 8x8 float transpose in ymm registers, shared by the AVX2 kernels that turn a tile around (the
 * GEMM's packing of transposed operands and its tall tiles on the way out, softmax-CE's
 * row-per-lane blocks). Needs only AVX: the AVX-512 and SIMDe builds include it too. */
#ifndef GS_TRANSPOSE_AVX2_H
#define GS_TRANSPOSE_AVX2_H

#include <immintrin.h>

/* r[i] lane j becomes r[j] lane i (unpack pairs, shuffle pairs of pairs, swap 128-bit halves: 24
 * shuffles). */
static inline __attribute__((always_inline)) void gs_transpose8x8(__m256 r[8])
{
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

#endif
