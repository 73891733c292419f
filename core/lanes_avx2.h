/* The mask of a partial ymm vector for maskload/maskstore, shared by the AVX2 kernels. Needs only
 * AVX2: the AVX-512 and SIMDe builds include it too. */
#ifndef GS_LANES_AVX2_H
#define GS_LANES_AVX2_H

#include <immintrin.h>

/* Lanes [0, n) set (n clamped to 0..8, so a remainder of any length can be passed). */
static inline __attribute__((always_inline)) __m256i gs_lanes_below(long n)
{
    const int k = n < 0 ? 0 : n > 8 ? 8 : (int)n;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#endif
