/* The few AVX-512 intrinsics Debian's SIMDe 0.7.4 lacks, for the emulated build only. Masked loads
 * and stores touch exactly the lanes the mask selects: a full 64-byte read-modify-write could race
 * with another thread writing the neighbouring lanes and could read past the end of a buffer. */
#ifndef GS_SIMDE_AVX512_COMPAT_H
#define GS_SIMDE_AVX512_COMPAT_H

#include <simde/x86/avx512.h>

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

#endif
