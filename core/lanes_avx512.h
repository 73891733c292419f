/* The 16-lane mask of a partial zmm vector, shared by the AVX-512 kernels (native and SIMDe). */
#ifndef GS_LANES_AVX512_H
#define GS_LANES_AVX512_H

#include "core/simd_avx512.h"

/* Lanes [0, n) set, n clamped to 0..16 (so a remainder of any length can be passed). */
static inline __attribute__((always_inline)) __mmask16 gs_mask_below(long n)
{
    return n >= 16 ? (__mmask16)0xffff : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

#endif
