/* Field table, defaults and checks of BatchNorm problem strings. */
#include "harness/problem_bn.h"

#include <stdio.h>

/* Validation keeps several copies of x in memory: 2^26 floats (256 MiB) each at most. */
#define BN_DIM_MAX 10000000
#define BN_MAX_ELEMS (1L << 26)

static gs_status_t bn_finish(void *problem, const char *s)
{
    gs_bn_problem_t *p = problem;
    if (p->iw && !p->ih)
        return gs_error(GS_EFORMAT, "bn problem '%.80s': iw given without ih", s);
    if (p->ih && !p->iw)
        p->iw = p->ih;
    const double hw = p->ih ? (double)p->ih * (double)p->iw : 1.0;
    const double elems = (double)p->mb * (double)p->ic * hw;
    if (elems > (double)BN_MAX_ELEMS)
        return gs_error(GS_EFORMAT, "bn problem '%.80s': x would hold %.0f floats, more than the %ld allowed", s,
                        elems, BN_MAX_ELEMS);
    return GS_OK;
}

/* ih and iw: 0 means absent (2-D), so the range starts at 0 but a given value must be >= 1. */
static const gs_field_t bn_fields[] = {
    {"mb", GS_FIELD_LONG, offsetof(gs_bn_problem_t, mb), true, true, 0, 1, BN_DIM_MAX},
    {"ic", GS_FIELD_LONG, offsetof(gs_bn_problem_t, ic), true, true, 0, 1, BN_DIM_MAX},
    {"ih", GS_FIELD_LONG, offsetof(gs_bn_problem_t, ih), false, false, 0, 1, 100000},
    {"iw", GS_FIELD_LONG, offsetof(gs_bn_problem_t, iw), false, false, 0, 1, 100000},
    {"eps", GS_FIELD_FLOAT, offsetof(gs_bn_problem_t, eps), false, false, GS_BN_EPS_DEFAULT, 0, 1},
};

const gs_problem_desc_t gs_bn_problem_desc = {
    .op = "bn",
    .size = sizeof(gs_bn_problem_t),
    .fields = bn_fields,
    .nfields = (int)(sizeof bn_fields / sizeof bn_fields[0]),
    .finish = bn_finish,
};

gs_status_t gs_bn_problem_parse(const char *s, gs_bn_problem_t *p)
{
    return gs_problem_parse(&gs_bn_problem_desc, s, p);
}

const char *gs_bn_problem_str(const gs_bn_problem_t *p, char buf[GS_PROBLEM_STR_MAX])
{
    return gs_problem_format(&gs_bn_problem_desc, p, buf, GS_PROBLEM_STR_MAX);
}

gs_status_t gs_bn_problems_read(const char *path, gs_bn_problem_t **list, size_t *count)
{
    void *items;
    gs_status_t st = gs_problem_read_file(&gs_bn_problem_desc, path, &items, count);
    *list = items;
    return st;
}

gs_bn_shape_t gs_bn_problem_shape(const gs_bn_problem_t *p)
{
    return (gs_bn_shape_t){p->mb, p->ic, p->ih ? p->ih * p->iw : 1, p->eps};
}
