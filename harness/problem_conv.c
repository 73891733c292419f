/* Convolution problem strings: the field table, defaults that depend on other fields, canonical form. */
#include "harness/problem_conv.h"

#include <stdio.h>
#include <stdlib.h>

#define DIM_MAX (1L << 20)

/* iw and kw default to ih and kh: their table default 0 means "not given", filled in by finish. */
static const gs_field_t conv_fields[] = {
    {"mb", GS_FIELD_LONG, offsetof(gs_conv_problem_t, mb), true, true, 0, 1, DIM_MAX},
    {"ic", GS_FIELD_LONG, offsetof(gs_conv_problem_t, ic), true, true, 0, 1, DIM_MAX},
    {"ih", GS_FIELD_LONG, offsetof(gs_conv_problem_t, ih), true, true, 0, 1, DIM_MAX},
    {"iw", GS_FIELD_LONG, offsetof(gs_conv_problem_t, iw), false, false, 0, 1, DIM_MAX},
    {"oc", GS_FIELD_LONG, offsetof(gs_conv_problem_t, oc), true, true, 0, 1, DIM_MAX},
    {"kh", GS_FIELD_LONG, offsetof(gs_conv_problem_t, kh), true, true, 0, 1, DIM_MAX},
    {"kw", GS_FIELD_LONG, offsetof(gs_conv_problem_t, kw), false, false, 0, 1, DIM_MAX},
    {"sh", GS_FIELD_LONG, offsetof(gs_conv_problem_t, sh), false, false, 1, 1, DIM_MAX},
    {"sw", GS_FIELD_LONG, offsetof(gs_conv_problem_t, sw), false, false, 1, 1, DIM_MAX},
    {"ph", GS_FIELD_LONG, offsetof(gs_conv_problem_t, ph), false, false, 0, 0, DIM_MAX},
    {"pw", GS_FIELD_LONG, offsetof(gs_conv_problem_t, pw), false, false, 0, 0, DIM_MAX},
};

static gs_status_t conv_finish(void *problem, const char *s)
{
    gs_conv_problem_t *p = problem;
    if (p->iw == 0)
        p->iw = p->ih;
    if (p->kw == 0)
        p->kw = p->kh;
    if (gs_conv_shape_init(p) != GS_OK) {
        char why[256]; /* gs_error overwrites the detail it would be reading */
        snprintf(why, sizeof why, "%s", gs_error_detail());
        return gs_error(GS_EFORMAT, "conv problem '%.80s': %s", s, why);
    }
    const struct {
        const char *name;
        double elems;
    } t[3] = {{"src", (double)p->mb * (double)(p->ic * p->ih * p->iw)},
              {"wei", (double)p->oc * (double)(p->ic * p->kh * p->kw)},
              {"dst", (double)p->mb * (double)(p->oc * p->oh * p->ow)}};
    for (int i = 0; i < 3; i++)
        if (t[i].elems > (double)GS_CONV_PROBLEM_MAX_ELEMS)
            return gs_error(GS_EFORMAT, "conv problem '%.80s': %s would hold %.0f floats, more than the %ld allowed", s,
                            t[i].name, t[i].elems, GS_CONV_PROBLEM_MAX_ELEMS);
    return GS_OK;
}

const gs_problem_desc_t gs_conv_problem_desc = {
    .op = "conv",
    .size = sizeof(gs_conv_problem_t),
    .fields = conv_fields,
    .nfields = (int)(sizeof conv_fields / sizeof conv_fields[0]),
    .finish = conv_finish,
};

gs_status_t gs_conv_problem_parse(const char *s, gs_conv_problem_t *p)
{
    return gs_problem_parse(&gs_conv_problem_desc, s, p);
}

const char *gs_conv_problem_str(const gs_conv_problem_t *p, char buf[GS_PROBLEM_STR_MAX])
{
    int n = snprintf(buf, GS_PROBLEM_STR_MAX, "mb%ldic%ldih%ld", p->mb, p->ic, p->ih);
    if (p->iw != p->ih)
        n += snprintf(buf + n, GS_PROBLEM_STR_MAX - (size_t)n, "iw%ld", p->iw);
    n += snprintf(buf + n, GS_PROBLEM_STR_MAX - (size_t)n, "oc%ldkh%ld", p->oc, p->kh);
    const struct {
        const char *name;
        long v, def;
    } opt[5] = {{"kw", p->kw, p->kh}, {"sh", p->sh, 1}, {"sw", p->sw, 1}, {"ph", p->ph, 0}, {"pw", p->pw, 0}};
    for (int i = 0; i < 5; i++)
        if (opt[i].v != opt[i].def)
            n += snprintf(buf + n, GS_PROBLEM_STR_MAX - (size_t)n, "%s%ld", opt[i].name, opt[i].v);
    return buf;
}

gs_status_t gs_conv_problems_read(const char *path, gs_conv_problem_t **list, size_t *count)
{
    void *items;
    gs_status_t st = gs_problem_read_file(&gs_conv_problem_desc, path, &items, count);
    *list = items;
    return st;
}

gs_status_t gs_conv_problems_parse_list(const char *const *strings, size_t n, gs_conv_problem_t **list,
                                        size_t *count)
{
    void *items;
    const gs_status_t st = gs_problem_parse_lists(&gs_conv_problem_desc, &strings, &n, 1, &items, count);
    *list = items;
    return st;
}
