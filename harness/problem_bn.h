/* BatchNorm problem strings: "mb64ic128" (2-D, N x C) or "mb64ic20ih24iw24" (NCHW), optional "eps<E>". */
#ifndef GS_PROBLEM_BN_H
#define GS_PROBLEM_BN_H

#include <stddef.h>

#include "harness/problem.h"
#include "kernels/bn/bn.h"

/* mb, ic required; without ih the problem is 2-D; iw defaults to ih; eps defaults to 1e-5
 * (PyTorch's, the batchnorm scenario's). */
typedef struct {
    long mb, ic, ih, iw;
    float eps;
} gs_bn_problem_t;

#define GS_BN_EPS_DEFAULT 1e-5

extern const gs_problem_desc_t gs_bn_problem_desc;

gs_status_t gs_bn_problem_parse(const char *s, gs_bn_problem_t *p);
const char *gs_bn_problem_str(const gs_bn_problem_t *p, char buf[GS_PROBLEM_STR_MAX]);
gs_status_t gs_bn_problems_read(const char *path, gs_bn_problem_t **list, size_t *count);

/* The kernel shape: hw = ih * iw (1 for 2-D). */
gs_bn_shape_t gs_bn_problem_shape(const gs_bn_problem_t *p);

#endif
