/* Validation drivers of the element-wise ops (activations, softmax cross-entropy, optimizer updates):
 * each implementation against the double-precision scalar oracle and, where oneDNN has the op,
 * against oneDNN, with tolerances derived from the measured vector-math error bounds (vmath.h). */
#ifndef GS_VALIDATE_ELTWISE_H
#define GS_VALIDATE_ELTWISE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cpu.h"
#include "harness/problem_eltwise.h"
#include "harness/validate_gemm.h"
#include "kernels/act/act.h"
#include "kernels/optim/optim.h"
#include "kernels/softmax_ce/softmax_ce.h"

/* Prints "repro: gradscope validate <op> <problem> --isa|--impl ... --seed S --threads T" for a
 * failed case (test-only implementations are named as such). */
void gs_validate_eltwise_repro(FILE *out, const char *op, const char *problem, const char *impl, uint64_t seed);

/* ---- activations ---- */
typedef struct {
    const char *name;
    gs_act_fwd_fn *fwd;
    gs_act_bwd_fn *bwd;
} gs_act_impl_t;

/* Runs every implementation on every problem: forward and backward, each out of place and in place
 * (which must agree bit for bit), one parsable line per (problem, direction, implementation),
 * guards around the outputs, inputs checked unchanged. Returns the number of failures. */
int gs_validate_act(const gs_act_problem_t *problems, size_t nproblems, const gs_act_impl_t *impls, size_t nimpls,
                    uint64_t seed, FILE *out, gs_validate_summary_t *sum);

/* The native kernels of one ISA (fwd NULL when the CPU cannot run it). */
gs_act_impl_t gs_act_impl_for_isa(gs_isa_t isa);

/* The scenarios' activation sizes (MLP 64x128, 256x128, 64x784; LeNet 64x20x24x24, 64x50x8x8, 64x500)
 * for every kind, and edge sizes (1, vector widths +-1, odd). tests/inputs/act holds the same lists. */
extern const char *const gs_act_shapes_default[];
extern const size_t gs_act_shapes_default_count;
gs_status_t gs_act_problems_default(gs_act_problem_t **list, size_t *count);

/* ---- softmax cross-entropy ---- */
typedef struct {
    const char *name;
    gs_softmax_ce_fn *ce;
    gs_softmax_mse_fn *mse;
} gs_softmax_ce_impl_t;

/* Both losses per problem: loss, correct count and dlogits, with dlogits NULL too (evaluation). */
int gs_validate_softmax_ce(const gs_softmax_ce_problem_t *problems, size_t nproblems,
                           const gs_softmax_ce_impl_t *impls, size_t nimpls, uint64_t seed, FILE *out,
                           gs_validate_summary_t *sum);
gs_softmax_ce_impl_t gs_softmax_ce_impl_for_isa(gs_isa_t isa);
extern const char *const gs_softmax_ce_shapes_default[];
extern const size_t gs_softmax_ce_shapes_default_count;
gs_status_t gs_softmax_ce_problems_default(gs_softmax_ce_problem_t **list, size_t *count);

/* ---- optimizer updates (oneDNN has none: against the oracle only) ---- */
typedef struct {
    const char *name;
    gs_opt_step_fn *step;
    gs_sumsq_fn *sumsq;
    gs_scale_fn *scale;
    gs_add_noise_fn *add_noise;
} gs_optim_impl_t;

int gs_validate_optim(const gs_optim_problem_t *problems, size_t nproblems, const gs_optim_impl_t *impls,
                      size_t nimpls, uint64_t seed, FILE *out, gs_validate_summary_t *sum);
gs_optim_impl_t gs_optim_impl_for_isa(gs_isa_t isa);
extern const char *const gs_optim_shapes_default[];
extern const size_t gs_optim_shapes_default_count;
gs_status_t gs_optim_problems_default(gs_optim_problem_t **list, size_t *count);

#endif
