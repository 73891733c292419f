/* Convolution problem strings, benchdnn style: "mb64ic20ih12oc50kh5" with iw, kw, sh, sw, ph, pw optional. */
#ifndef GS_PROBLEM_CONV_H
#define GS_PROBLEM_CONV_H

#include <stddef.h>

#include "harness/problem.h"
#include "kernels/conv/conv.h"

/* A problem is a convolution shape: mb<N>ic<C>ih<H>[iw<W>]oc<O>kh<KH>[kw<KW>][sh<S>][sw<S>][ph<P>][pw<P>],
 * fields in this order; iw defaults to ih, kw to kh, strides to 1, padding to 0. Parsing derives oh, ow
 * (gs_conv_shape_init) and refuses shapes without output or with a tensor too large to validate. */
typedef gs_conv_shape_t gs_conv_problem_t;

/* Largest tensor a problem may have: the validation driver keeps several copies of each. */
#define GS_CONV_PROBLEM_MAX_ELEMS (1L << 26)

extern const gs_problem_desc_t gs_conv_problem_desc;

gs_status_t gs_conv_problem_parse(const char *s, gs_conv_problem_t *p);

/* Canonical string: optional fields only where they differ from their defaults ("mb64ic20ih12oc50kh5"). */
const char *gs_conv_problem_str(const gs_conv_problem_t *p, char buf[GS_PROBLEM_STR_MAX]);

gs_status_t gs_conv_problems_read(const char *path, gs_conv_problem_t **list, size_t *count);

/* Parses a list of problem strings into a malloc'd array (caller frees). */
gs_status_t gs_conv_problems_parse_list(const char *const *strings, size_t n, gs_conv_problem_t **list,
                                        size_t *count);

#endif
