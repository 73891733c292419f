/* How the SIMD convolutions cut a problem into work: output-row chunks whose im2col buffer fits in
 * L2, balanced register blocks, and how many threads the work pays for. ISA-independent. */
#ifndef GS_CONV_PLAN_H
#define GS_CONV_PLAN_H

#include <stddef.h>

#include "kernels/conv/conv.h"

/* A chunk is `rows` consecutive output rows of one image (the last chunk of an image may have
 * fewer); its im2col rows hold rows*ow pixels, stored with leading dimension `ld`, a multiple of the
 * kernels' tile width so that every tile reads whole vectors. */
typedef struct {
    long rows, per_image, ld;
} gs_conv_chunks_t;

/* Chunks for `krows` im2col rows (ic*kh*kw, or fewer) of `elem_budget` floats at most (at least one
 * output row); among the row counts that fit, the one that leaves the least of the last tile empty,
 * then the largest. `nr` is the tile width in floats. */
gs_conv_chunks_t gs_conv_plan_chunks(const gs_conv_shape_t *s, long krows, long nr, long elem_budget);

/* Floats of a buffer meant to stay in L2: half of this core's L2 (the other half serves the
 * weights and outputs). */
long gs_conv_l2_budget(void);

/* Floats of a buffer meant to stay in L1: half of L1d (the other half serves the operand streamed
 * past it). */
long gs_conv_l1_budget(void);

/* Number of blocks of at most `max` that split n evenly; block b then starts at
 * gs_conv_block_start(n, nb, b). */
long gs_conv_nblocks(long n, long max);
static inline long gs_conv_block_start(long n, long nb, long b) { return n * b / nb; }

/* Threads worth starting for `flops` of work spread over `units` independent pieces: no more than
 * OpenMP offers, than there are units, or than the work pays for (a fork costs a few microseconds,
 * so each thread must get enough FLOPs to hide it). */
int gs_conv_threads(double flops, long units);

/* Floats rounded up to a multiple of `m`. */
static inline long gs_conv_round_up(long x, long m) { return (x + m - 1) / m * m; }

#endif
