/* BatchNorm validation driver: training forward (y, batch mean/var, running stats), inference forward
 * and backward (dx, dgamma, dbeta) of each implementation against oneDNN and the double oracle. */
#ifndef GS_VALIDATE_BN_H
#define GS_VALIDATE_BN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cpu.h"
#include "harness/problem_bn.h"
#include "harness/validate_gemm.h"

typedef struct {
    const char *name;
    gs_bn_fwd_train_fn *train;
    gs_bn_fwd_infer_fn *infer;
    gs_bn_bwd_fn *bwd;
} gs_bn_impl_t;

/* Runs every implementation on every problem, one parsable line per (problem, implementation) with
 * the worst error of each output against oneDNN and the oracle (thresholds in validate_bn.c), plus
 * the in-place runs (y over x, dx over dy), which must match the out-of-place ones bit for bit.
 * Fails on an error beyond its threshold, a write outside an output, a changed input, or an error
 * status. Adds to *sum when non-NULL; returns the number of failures. */
int gs_validate_bn(const gs_bn_problem_t *problems, size_t nproblems, const gs_bn_impl_t *impls, size_t nimpls,
                   uint64_t seed, FILE *out, gs_validate_summary_t *sum);

/* The native kernels of one ISA (NULL functions when the CPU cannot run it). */
gs_bn_impl_t gs_bn_impl_for_isa(gs_isa_t isa);

/* The batchnorm scenario's layers (N = 64 and 256, C = 128), LeNet-sized NCHW maps, and edge shapes
 * (N = 2, odd C, H and W not multiples of the vector width, blocks and thread splits crossed,
 * outputs large enough for streaming stores). tests/inputs/bn holds the same lists. */
extern const char *const gs_bn_shapes_mlp[];
extern const size_t gs_bn_shapes_mlp_count;
extern const char *const gs_bn_shapes_edge[];
extern const size_t gs_bn_shapes_edge_count;

#endif
