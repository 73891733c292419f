/* Convolution validation driver: every pass of named implementations against oneDNN and the scalar oracle on exact-sum inputs. */
#ifndef GS_VALIDATE_CONV_H
#define GS_VALIDATE_CONV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cpu.h"
#include "harness/problem_conv.h"
#include "harness/validate_gemm.h"
#include "kernels/conv/conv.h"

/* One implementation under test: a name for the report ("avx2") and its three passes. */
typedef struct {
    const char *name;
    gs_conv_fwd_fn *fwd;
    gs_conv_bwd_data_fn *bwd_data;
    gs_conv_bwd_weights_fn *bwd_weights;
} gs_conv_impl_t;

/* The native convolution of an ISA (NULL functions when the CPU cannot run it), and oneDNN's. */
gs_conv_impl_t gs_conv_impl_for_isa(gs_isa_t isa);
gs_conv_impl_t gs_conv_impl_onednn(void);

/* Runs every implementation on every problem in five directions (benchdnn's FWD_B: forward with
 * bias, FWD_D: without, BWD_D: backward data, BWD_WB: backward weights with bias gradient, BWD_W:
 * without), prints one parsable line per (problem, direction, implementation) to `out` (plus a
 * header naming the seed, and a summary), adds the counts to *sum when non-NULL and returns the
 * number of failures. A case fails when it disagrees with oneDNN or with the oracle beyond the
 * threshold, leaves an output element unwritten, writes outside its outputs or into its inputs, or
 * returns an error; it is MISTRUSTED when too many outputs that could be non-zero are zero. */
int gs_validate_conv(const gs_conv_problem_t *problems, size_t nproblems, const gs_conv_impl_t *impls,
                     size_t nimpls, uint64_t seed, FILE *out, gs_validate_summary_t *sum);

/* The built-in lists: LeNet's two convolutions (SCENARIOS.md) at batch 64 and 256, and edge shapes
 * (batch 1, odd channels, strides, padding, non-square, 1x1 kernels, 1x1 outputs, one input
 * channel, rows that are no multiple of the vector width, several chunks). tests/inputs/conv/
 * shapes_lenet and shapes_edge hold the same lists; the ResNet-style layer is only in the default. */
extern const char *const gs_conv_shapes_lenet[];
extern const size_t gs_conv_shapes_lenet_count;
extern const char *const gs_conv_shapes_edge[];
extern const size_t gs_conv_shapes_edge_count;
extern const char *const gs_conv_shape_resnet;

/* LeNet, then the ResNet-style layer, then the edge shapes, parsed. */
gs_status_t gs_conv_problems_default(gs_conv_problem_t **list, size_t *count);

#endif
