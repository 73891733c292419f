/* Problem strings of the element-wise ops: activations "n100000sigmoid", "n8192leaky_relualpha0.02";
 * softmax cross-entropy "mb64c10"; optimizer updates "n100352adam", "n100003noise". */
#ifndef GS_PROBLEM_ELTWISE_H
#define GS_PROBLEM_ELTWISE_H

#include <stddef.h>

#include "harness/problem.h"
#include "kernels/act/act.h"
#include "kernels/optim/optim.h"

/* ---- activations: n<count><kind>[alpha<F>] ----
 * alpha applies to leaky_relu, elu, sigmoid_modderiv and sigmoid_linear only and defaults to the
 * scenarios' value (0.01, 1.0, 0.05, 0.05). */
typedef struct {
    long n;
    gs_act_t act;
} gs_act_problem_t;

gs_status_t gs_act_problem_parse(const char *s, gs_act_problem_t *p);
const char *gs_act_problem_str(const gs_act_problem_t *p, char buf[GS_PROBLEM_STR_MAX]);
gs_status_t gs_act_problems_read(const char *path, gs_act_problem_t **list, size_t *count);
/* The scenarios' default alpha of a kind (0 for kinds without one). */
float gs_act_default_alpha(gs_act_kind_t kind);

/* ---- softmax cross-entropy: mb<rows>[c<classes>] (classes default 10) ---- */
typedef struct {
    long mb, c;
} gs_softmax_ce_problem_t;

extern const gs_problem_desc_t gs_softmax_ce_problem_desc;

gs_status_t gs_softmax_ce_problem_parse(const char *s, gs_softmax_ce_problem_t *p);
const char *gs_softmax_ce_problem_str(const gs_softmax_ce_problem_t *p, char buf[GS_PROBLEM_STR_MAX]);
gs_status_t gs_softmax_ce_problems_read(const char *path, gs_softmax_ce_problem_t **list, size_t *count);

/* ---- optimizer buffers: n<count><op> ----
 * op: sgd, momentum, adam, sdagd (one update step each, with the scenarios' hyper-parameters), or
 * sumsq, scale, noise (the gradient-clipping and gradient-noise helpers). */
typedef enum {
    GS_OPTIM_OP_SGD = 0,
    GS_OPTIM_OP_MOMENTUM,
    GS_OPTIM_OP_ADAM,
    GS_OPTIM_OP_SDAGD,
    GS_OPTIM_OP_SUMSQ,
    GS_OPTIM_OP_SCALE,
    GS_OPTIM_OP_NOISE,
    GS_OPTIM_OP_COUNT
} gs_optim_op_t;

typedef struct {
    long n;
    gs_optim_op_t op;
} gs_optim_problem_t;

const char *gs_optim_op_name(gs_optim_op_t op);
gs_status_t gs_optim_problem_parse(const char *s, gs_optim_problem_t *p);
const char *gs_optim_problem_str(const gs_optim_problem_t *p, char buf[GS_PROBLEM_STR_MAX]);
gs_status_t gs_optim_problems_read(const char *path, gs_optim_problem_t **list, size_t *count);
/* The scenarios' hyper-parameters for a step op (SCENARIOS.md: SGD lr 0.01; momentum 0.9; Adam lr
 * 0.001, betas 0.9/0.999, eps 1e-8; SDAGD R 1, decay 0.9). */
gs_opt_t gs_optim_problem_opt(gs_optim_op_t op);

#endif
