/* Field table, defaults and checks of pooling problem strings. */
#include "harness/problem_pool.h"

#include <stdio.h>

/* Validation keeps several copies of src in memory: 2^26 floats (256 MiB) each at most. */
#define POOL_DIM_MAX 100000
#define POOL_SRC_MAX_ELEMS (1L << 26)

/* 0 in an optional field means "not given": its default depends on other fields. */
static gs_status_t pool_finish(void *problem, const char *s)
{
    gs_pool_problem_t *p = problem;
    if (!p->iw)
        p->iw = p->ih;
    if (!p->kw)
        p->kw = p->kh;
    if (!p->sh)
        p->sh = p->kh;
    if (!p->sw)
        p->sw = p->sh;
    if (p->kh > p->ih || p->kw > p->iw)
        return gs_error(GS_EFORMAT, "pool problem '%.80s': window %ldx%ld larger than the input %ldx%ld (no padding)",
                        s, p->kh, p->kw, p->ih, p->iw);
    const double elems = (double)p->mb * (double)p->ic * (double)p->ih * (double)p->iw;
    if (elems > (double)POOL_SRC_MAX_ELEMS)
        return gs_error(GS_EFORMAT, "pool problem '%.80s': src would hold %.0f floats, more than the %ld allowed", s,
                        elems, POOL_SRC_MAX_ELEMS);
    return GS_OK;
}

static const gs_field_t pool_fields[] = {
    {"mb", GS_FIELD_LONG, offsetof(gs_pool_problem_t, mb), true, true, 0, 1, POOL_DIM_MAX},
    {"ic", GS_FIELD_LONG, offsetof(gs_pool_problem_t, ic), true, true, 0, 1, POOL_DIM_MAX},
    {"ih", GS_FIELD_LONG, offsetof(gs_pool_problem_t, ih), true, true, 0, 1, POOL_DIM_MAX},
    {"iw", GS_FIELD_LONG, offsetof(gs_pool_problem_t, iw), false, true, 0, 1, POOL_DIM_MAX},
    {"kh", GS_FIELD_LONG, offsetof(gs_pool_problem_t, kh), false, true, 2, 1, POOL_DIM_MAX},
    {"kw", GS_FIELD_LONG, offsetof(gs_pool_problem_t, kw), false, true, 0, 1, POOL_DIM_MAX},
    {"sh", GS_FIELD_LONG, offsetof(gs_pool_problem_t, sh), false, true, 0, 1, POOL_DIM_MAX},
    {"sw", GS_FIELD_LONG, offsetof(gs_pool_problem_t, sw), false, true, 0, 1, POOL_DIM_MAX},
};

const gs_problem_desc_t gs_pool_problem_desc = {
    .op = "pool",
    .size = sizeof(gs_pool_problem_t),
    .fields = pool_fields,
    .nfields = (int)(sizeof pool_fields / sizeof pool_fields[0]),
    .finish = pool_finish,
};

gs_status_t gs_pool_problem_parse(const char *s, gs_pool_problem_t *p)
{
    return gs_problem_parse(&gs_pool_problem_desc, s, p);
}

const char *gs_pool_problem_str(const gs_pool_problem_t *p, char buf[GS_PROBLEM_STR_MAX])
{
    return gs_problem_format(&gs_pool_problem_desc, p, buf, GS_PROBLEM_STR_MAX);
}

gs_status_t gs_pool_problems_read(const char *path, gs_pool_problem_t **list, size_t *count)
{
    void *items;
    gs_status_t st = gs_problem_read_file(&gs_pool_problem_desc, path, &items, count);
    *list = items;
    return st;
}

gs_pool_shape_t gs_pool_problem_shape(const gs_pool_problem_t *p)
{
    gs_pool_shape_t s = {p->mb, p->ic, p->ih, p->iw, p->kh, p->kw, p->sh, p->sw, 0, 0};
    gs_pool_shape_init(&s);
    return s;
}
