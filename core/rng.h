/* Counter-based RNG (Philox4x32-10): element i of a stream depends only on (seed, stream, i), so
 * fills give the same numbers whatever the thread count or the order the chunks run in. */
#ifndef GS_RNG_H
#define GS_RNG_H

#include <stddef.h>
#include <stdint.h>

/* Philox4x32-10's multipliers and Weyl key increments: the vectorized generators (the optimizers'
 * noise) must use the same ones to give the same numbers. */
#define GS_PHILOX_M0 0xD2511F53u
#define GS_PHILOX_M1 0xCD9E8D57u
#define GS_PHILOX_W0 0x9E3779B9u
#define GS_PHILOX_W1 0xBB67AE85u

/* Four 32-bit random words for counter `ctr` of `stream` under key `seed`. */
void gs_philox4x32(uint64_t seed, uint64_t stream, uint64_t ctr, uint32_t out[4]);

/* The i-th 32-bit word of (seed, stream). */
uint32_t gs_rng_u32(uint64_t seed, uint64_t stream, uint64_t i);

/* x[i] ~ Uniform[lo, hi) for i < n; OpenMP-parallel for large n. */
void gs_rng_uniform(uint64_t seed, uint64_t stream, float *x, size_t n, float lo, float hi);

/* x[i] ~ Normal(mean, std) (Box-Muller on Philox words); OpenMP-parallel for large n. */
void gs_rng_normal(uint64_t seed, uint64_t stream, float *x, size_t n, float mean, float std);

#endif
