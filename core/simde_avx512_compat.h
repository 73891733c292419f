/* The few AVX-512 intrinsics Debian's SIMDe 0.7.4 lacks, for the emulated build only. Masked loads
 * and stores touch exactly the lanes the mask selects: a full 64-byte read-modify-write could race
 * with another thread writing the neighbouring lanes and could read past the end of a buffer. */
#ifndef GS_SIMDE_AVX512_COMPAT_H
#define GS_SIMDE_AVX512_COMPAT_H

#include <simde/x86/avx512.h>
#include <stddef.h>
#include <string.h>

#ifndef _mm512_maskz_loadu_ps
static inline simde__m512 gs_compat_mm512_maskz_loadu_ps(simde__mmask16 k, const void *mem)
{
    simde__m512_private r;
    const float *src = (const float *)mem;
    for (int i = 0; i < 16; i++)
        r.f32[i] = ((k >> i) & 1) ? src[i] : 0.0f;
    return simde__m512_from_private(r);
}
#define _mm512_maskz_loadu_ps(k, mem) gs_compat_mm512_maskz_loadu_ps((k), (mem))
#endif

#ifndef _mm512_mask_loadu_ps
static inline simde__m512 gs_compat_mm512_mask_loadu_ps(simde__m512 src, simde__mmask16 k, const void *mem)
{
    simde__m512_private r = simde__m512_to_private(src);
    const float *p = (const float *)mem;
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1)
            r.f32[i] = p[i];
    return simde__m512_from_private(r);
}
#define _mm512_mask_loadu_ps(src, k, mem) gs_compat_mm512_mask_loadu_ps((src), (k), (mem))
#endif

#ifndef _mm512_mask_storeu_ps
static inline void gs_compat_mm512_mask_storeu_ps(void *mem, simde__mmask16 k, simde__m512 a)
{
    simde__m512_private v = simde__m512_to_private(a);
    float *dst = (float *)mem;
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1)
            dst[i] = v.f32[i];
}
#define _mm512_mask_storeu_ps(mem, k, a) gs_compat_mm512_mask_storeu_ps((mem), (k), (a))
#endif

/* Reductions in the same pairwise order as GCC's native expansion (halves, then quarters...), so
 * emulated and native results agree bit for bit. */
#ifndef _mm512_reduce_add_ps
static inline float gs_compat_mm512_reduce_add_ps(simde__m512 a)
{
    simde__m512_private v = simde__m512_to_private(a);
    for (int w = 8; w >= 1; w /= 2)
        for (int i = 0; i < w; i++)
            v.f32[i] = v.f32[i] + v.f32[i + w];
    return v.f32[0];
}
#define _mm512_reduce_add_ps(a) gs_compat_mm512_reduce_add_ps(a)
#endif

#ifndef _mm512_reduce_max_ps
static inline float gs_compat_mm512_reduce_max_ps(simde__m512 a)
{
    simde__m512_private v = simde__m512_to_private(a);
    for (int w = 8; w >= 1; w /= 2)
        for (int i = 0; i < w; i++)
            v.f32[i] = v.f32[i] > v.f32[i + w] ? v.f32[i] : v.f32[i + w];
    return v.f32[0];
}
#define _mm512_reduce_max_ps(a) gs_compat_mm512_reduce_max_ps(a)
#endif

/* Narrowing and widening byte conversions (vpmovdb truncates; vpmovzxbd zero-extends). */
#ifndef _mm512_cvtepi32_epi8
static inline simde__m128i gs_compat_mm512_cvtepi32_epi8(simde__m512i a)
{
    simde__m512i_private v = simde__m512i_to_private(a);
    simde__m128i_private r;
    for (int i = 0; i < 16; i++)
        r.i8[i] = (int8_t)v.i32[i];
    return simde__m128i_from_private(r);
}
#define _mm512_cvtepi32_epi8(a) gs_compat_mm512_cvtepi32_epi8(a)
#endif

#ifndef _mm512_cvtepu8_epi32
static inline simde__m512i gs_compat_mm512_cvtepu8_epi32(simde__m128i a)
{
    simde__m128i_private v = simde__m128i_to_private(a);
    simde__m512i_private r;
    for (int i = 0; i < 16; i++)
        r.i32[i] = (int32_t)v.u8[i];
    return simde__m512i_from_private(r);
}
#define _mm512_cvtepu8_epi32(a) gs_compat_mm512_cvtepu8_epi32(a)
#endif

/* Masked gather: lanes outside the mask keep `src` and read nothing. */
#ifndef _mm512_mask_i32gather_ps
static inline simde__m512 gs_compat_mm512_mask_i32gather_ps(simde__m512 src, simde__mmask16 k, simde__m512i index,
                                                            const void *base, int scale)
{
    simde__m512_private r = simde__m512_to_private(src);
    simde__m512i_private idx = simde__m512i_to_private(index);
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1)
            memcpy(&r.f32[i], (const char *)base + (ptrdiff_t)idx.i32[i] * scale, sizeof(float));
    return simde__m512_from_private(r);
}
#define _mm512_mask_i32gather_ps(src, k, index, base, scale) \
    gs_compat_mm512_mask_i32gather_ps((src), (k), (index), (base), (scale))
#endif

/* Non-temporal store: an ordinary store (the hint only changes cache behaviour). */
#ifndef _mm512_stream_ps
#define _mm512_stream_ps(mem, a) simde_mm512_store_ps((mem), (a))
#endif

/* Float <-> int32 conversions, arithmetic shift and float -> double widening, done on 256-bit
 * halves with SIMDe's AVX2 forms (native underneath in the emulated build). */
#ifndef _mm512_cvtps_epi32
static inline simde__m512i gs_compat_mm512_cvtps_epi32(simde__m512 a)
{
    simde__m512_private v = simde__m512_to_private(a);
    simde__m512i_private r;
    for (int h = 0; h < 2; h++)
        r.m256i[h] = simde_mm256_cvtps_epi32(v.m256[h]);
    return simde__m512i_from_private(r);
}
#define _mm512_cvtps_epi32(a) gs_compat_mm512_cvtps_epi32(a)
#endif

#ifndef _mm512_cvtepi32_ps
static inline simde__m512 gs_compat_mm512_cvtepi32_ps(simde__m512i a)
{
    simde__m512i_private v = simde__m512i_to_private(a);
    simde__m512_private r;
    for (int h = 0; h < 2; h++)
        r.m256[h] = simde_mm256_cvtepi32_ps(v.m256i[h]);
    return simde__m512_from_private(r);
}
#define _mm512_cvtepi32_ps(a) gs_compat_mm512_cvtepi32_ps(a)
#endif

#ifndef _mm512_srai_epi32
static inline simde__m512i gs_compat_mm512_srai_epi32(simde__m512i a, unsigned int imm8)
{
    simde__m512i_private v = simde__m512i_to_private(a);
    for (int i = 0; i < 16; i++)
        v.i32[i] = imm8 > 31 ? (v.i32[i] < 0 ? -1 : 0) : v.i32[i] >> imm8;
    return simde__m512i_from_private(v);
}
#define _mm512_srai_epi32(a, imm8) gs_compat_mm512_srai_epi32((a), (imm8))
#endif

#ifndef _mm512_cvtps_pd
static inline simde__m512d gs_compat_mm512_cvtps_pd(simde__m256 a)
{
    simde__m256_private v = simde__m256_to_private(a);
    simde__m512d_private r;
    for (int i = 0; i < 8; i++)
        r.f64[i] = (double)v.f32[i];
    return simde__m512d_from_private(r);
}
#define _mm512_cvtps_pd(a) gs_compat_mm512_cvtps_pd(a)
#endif

/* Pairwise like the native expansion (halves, then quarters...), as for reduce_add_ps above. */
#ifndef _mm512_reduce_add_pd
static inline double gs_compat_mm512_reduce_add_pd(simde__m512d a)
{
    simde__m512d_private v = simde__m512d_to_private(a);
    for (int w = 4; w >= 1; w /= 2)
        for (int i = 0; i < w; i++)
            v.f64[i] = v.f64[i] + v.f64[i + w];
    return v.f64[0];
}
#define _mm512_reduce_add_pd(a) gs_compat_mm512_reduce_add_pd(a)
#endif

/* Byte-masked 128-bit load and store (AVX512BW + VL). */
#ifndef _mm_maskz_loadu_epi8
static inline simde__m128i gs_compat_mm_maskz_loadu_epi8(simde__mmask16 k, const void *mem)
{
    simde__m128i_private r;
    const int8_t *src = (const int8_t *)mem;
    for (int i = 0; i < 16; i++)
        r.i8[i] = ((k >> i) & 1) ? src[i] : 0;
    return simde__m128i_from_private(r);
}
#define _mm_maskz_loadu_epi8(k, mem) gs_compat_mm_maskz_loadu_epi8((k), (mem))
#endif

#ifndef _mm_mask_storeu_epi8
static inline void gs_compat_mm_mask_storeu_epi8(void *mem, simde__mmask16 k, simde__m128i a)
{
    simde__m128i_private v = simde__m128i_to_private(a);
    int8_t *dst = (int8_t *)mem;
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1)
            dst[i] = v.i8[i];
}
#define _mm_mask_storeu_epi8(mem, k, a) gs_compat_mm_mask_storeu_epi8((mem), (k), (a))
#endif

/* SIMDe 0.7.4 emulates vshuff32x4 but aliases only the integer form, so the native name would reach
 * GCC's AVX-512 intrinsic (a compile error without -mavx512f). */
#undef _mm512_shuffle_f32x4
#define _mm512_shuffle_f32x4(a, b, imm8) simde_mm512_shuffle_f32x4((a), (b), (imm8))

#endif
