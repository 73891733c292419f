/* Max-pooling validation driver: each implementation's forward (dst and workspace) and backward
 * against oneDNN and the scalar oracle, exact (threshold 0), with guards around every output. */
#ifndef GS_VALIDATE_POOL_H
#define GS_VALIDATE_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cpu.h"
#include "harness/problem_pool.h"
#include "harness/validate_gemm.h"

/* One implementation under test: a report name and its forward/backward pair. */
typedef struct {
    const char *name;
    gs_pool_fwd_fn *fwd;
    gs_pool_bwd_fn *bwd;
} gs_pool_impl_t;

/* Runs every implementation on every problem with two fills, one parsable line each: "distinct"
 * (no ties inside a window: everything compared with oneDNN and the oracle) and "ties" (values from
 * {-1, 0, 1}: forward against both, backward against the oracle only, since which of equal elements
 * gets the gradient is each library's choice; ours takes the first in scan order). A case fails on
 * any difference, a write outside dst / diff_src / the workspace, a changed input, or an error
 * status; native kernels must also write the oracle's workspace bytes and accept each other's.
 * Adds to *sum when non-NULL; returns the number of failures. */
int gs_validate_pool(const gs_pool_problem_t *problems, size_t nproblems, const gs_pool_impl_t *impls,
                     size_t nimpls, uint64_t seed, FILE *out, gs_validate_summary_t *sum);

/* The native kernels of one ISA (NULL functions when the CPU cannot run it). */
gs_pool_impl_t gs_pool_impl_for_isa(gs_isa_t isa);

/* The scenarios' pooling (LeNet: 24x24 -> 12x12 over 20 maps, 8x8 -> 4x4 over 50, batch 64) and
 * edge shapes (N=1, odd sizes dropped by floor mode, rows of 2..5 and 17 outputs, other windows,
 * strides and overlaps, int32 workspace). tests/inputs/pool holds the same lists. */
extern const char *const gs_pool_shapes_lenet[];
extern const size_t gs_pool_shapes_lenet_count;
extern const char *const gs_pool_shapes_edge[];
extern const size_t gs_pool_shapes_edge_count;

#endif
