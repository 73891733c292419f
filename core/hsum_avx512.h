/* Four horizontal sums at once in zmm registers, shared by the AVX-512 kernels that reduce dot
 * products (convolution's weight-gradient blocks, the GEMM's narrow C = A B^T blocks). */
#ifndef GS_HSUM_AVX512_H
#define GS_HSUM_AVX512_H

#include "core/simd_avx512.h"

/* The sums of a, b, c and d (lanes 0..3 of the result): one in-lane tree over the four (4 unpacks,
 * 2 shuffles, 3 adds), then the four 128-bit lanes added in xmm. */
static inline __m128 gs_hsum4_ps512(__m512 a, __m512 b, __m512 c, __m512 d)
{
    const __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    const __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
    const __m512 abcd = _mm512_add_ps(_mm512_shuffle_ps(ab, cd, 0x44), _mm512_shuffle_ps(ab, cd, 0xee));
    return _mm_add_ps(_mm_add_ps(_mm512_castps512_ps128(abcd), _mm512_extractf32x4_ps(abcd, 1)),
                      _mm_add_ps(_mm512_extractf32x4_ps(abcd, 2), _mm512_extractf32x4_ps(abcd, 3)));
}

#endif
