/* Philox4x32-10 (Salmon et al., SC'11) and the uniform/normal fills built on it. */
#include "core/rng.h"

#include <math.h>

#include "core/par.h"

/* Elements each thread of a fill must get (a second thread joins at twice this): fork/join would
 * cost more. The numbers do not depend on the split. */
#define RNG_PER_THREAD 32768

void gs_philox4x32(uint64_t seed, uint64_t stream, uint64_t ctr, uint32_t out[4])
{
    uint32_t c0 = (uint32_t)ctr, c1 = (uint32_t)(ctr >> 32);
    uint32_t c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)GS_PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)GS_PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += GS_PHILOX_W0;
        k1 += GS_PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

uint32_t gs_rng_u32(uint64_t seed, uint64_t stream, uint64_t i)
{
    uint32_t w[4];
    gs_philox4x32(seed, stream, i / 4, w);
    return w[i % 4];
}

/* (0, 1]: never 0, so log() in Box-Muller stays finite. */
static inline float u32_to_open01(uint32_t w) { return ((float)(w >> 8) + 1.0f) * (1.0f / 16777216.0f); }

void gs_rng_uniform(uint64_t seed, uint64_t stream, float *x, size_t n, float lo, float hi)
{
    const size_t blocks = (n + 3) / 4;
    const float scale = hi - lo;
    const int nt = gs_par_threads((double)n, RNG_PER_THREAD);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (size_t b = 0; b < blocks; b++) {
        uint32_t w[4];
        gs_philox4x32(seed, stream, b, w);
        for (size_t l = 0; l < 4 && 4 * b + l < n; l++)
            x[4 * b + l] = lo + scale * (float)(w[l] >> 8) * (1.0f / 16777216.0f);
    }
}

void gs_rng_normal(uint64_t seed, uint64_t stream, float *x, size_t n, float mean, float std)
{
    const size_t blocks = (n + 3) / 4;
    const float two_pi = 6.28318530717958647692f;
    const int nt = gs_par_threads((double)n, RNG_PER_THREAD);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (size_t b = 0; b < blocks; b++) {
        uint32_t w[4];
        gs_philox4x32(seed, stream, b, w);
        float z[4];
        for (int p = 0; p < 2; p++) {
            float r = sqrtf(-2.0f * logf(u32_to_open01(w[2 * p])));
            float t = two_pi * u32_to_open01(w[2 * p + 1]);
            z[2 * p] = r * cosf(t);
            z[2 * p + 1] = r * sinf(t);
        }
        for (size_t l = 0; l < 4 && 4 * b + l < n; l++)
            x[4 * b + l] = mean + std * z[l];
    }
}
