/* Pooling problem strings: "mb64ic20ih24iw24kh2kw2sh2sw2" (max pooling, no padding, floor mode). */
#ifndef GS_PROBLEM_POOL_H
#define GS_PROBLEM_POOL_H

#include <stddef.h>

#include "harness/problem.h"
#include "kernels/pool/pool.h"

/* mb, ic, ih are required; iw defaults to ih, kh to 2, kw to kh, sh to kh, sw to sh (so "mb64ic20ih24"
 * is LeNet's 2x2/2 pooling of a 24x24 map). The canonical string prints every field. */
typedef struct {
    long mb, ic, ih, iw, kh, kw, sh, sw;
} gs_pool_problem_t;

extern const gs_problem_desc_t gs_pool_problem_desc;

gs_status_t gs_pool_problem_parse(const char *s, gs_pool_problem_t *p);
const char *gs_pool_problem_str(const gs_pool_problem_t *p, char buf[GS_PROBLEM_STR_MAX]);
gs_status_t gs_pool_problems_read(const char *path, gs_pool_problem_t **list, size_t *count);

/* The kernel shape of a problem (already checked by the parser). */
gs_pool_shape_t gs_pool_problem_shape(const gs_pool_problem_t *p);

#endif
