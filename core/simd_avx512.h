/* Include this (not <immintrin.h>) in every *_avx512.c: the same kernel source then builds natively
 * (-mavx512f ...) and, with GS_AVX512_EMULATED, against SIMDe so its logic runs on AVX2-only CPUs. */
#ifndef GS_SIMD_AVX512_H
#define GS_SIMD_AVX512_H

#ifdef GS_AVX512_EMULATED
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#include "core/simde_avx512_compat.h"
#else
#include <immintrin.h>
#endif

#endif
