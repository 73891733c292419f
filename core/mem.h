/* 64-byte aligned buffers (one cache line, one AVX-512 register) for tensors and packed panels. */
#ifndef GS_MEM_H
#define GS_MEM_H

#include <stdbool.h>
#include <stddef.h>

#define GS_ALIGN 64

/* Aligned allocation of `bytes` (rounded up to a multiple of GS_ALIGN);
 * NULL on failure or when bytes == 0. Release with gs_free(). */
void *gs_alloc(size_t bytes);

/* As gs_alloc, zero-filled. */
void *gs_calloc(size_t bytes);

void gs_free(void *p);

/* A buffer kept between calls that only grows: per-thread scratch for kernels called every
 * training step (declare it _Thread_local), so a step costs no allocation once warm. Freed when
 * its thread exits (a thread that ends keeps nothing). */
typedef struct gs_scratch {
    float *data;
    size_t floats;
    struct gs_scratch *next; /* the thread's other scratch buffers, freed with it */
    bool registered;
} gs_scratch_t;

/* At least `floats` floats of `s` (its contents are not kept when it grows); NULL when out of memory. */
float *gs_scratch_get(gs_scratch_t *s, size_t floats);

/* A float tensor of up to 4 dimensions, row-major, in one aligned buffer. */
typedef struct {
    float *data;
    int ndim;
    long dims[4];
    size_t numel;
} gs_tensor_t;

/* Allocates a zeroed tensor; returns GS_OK, GS_EINVAL (bad dims) or GS_ENOMEM. */
int gs_tensor_init(gs_tensor_t *t, int ndim, const long *dims);
void gs_tensor_free(gs_tensor_t *t);

#endif
