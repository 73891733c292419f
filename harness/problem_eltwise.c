/* Parsers for the element-wise ops' problem strings; a named part (the activation or optimizer) sits
 * between the size and the numeric fields, so it is cut out before the table-driven parser runs. */
#include "harness/problem_eltwise.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Buffers stay well inside what validation allocates (about ten copies of each). */
#define ELTWISE_N_MAX (1L << 28)

/* ---- "<size field><name><more fields>" ---- */

/* Splits s at the name that follows the leading size field ("n100000"): *which is the index of
 * the longest of `names` found there, and `rest` receives s without it ("n100000alpha0.02"). */
static gs_status_t split_named(const char *op, const char *s, const char *const *names, int nnames, int *which,
                               char *rest, size_t cap)
{
    size_t pos = 0;
    while (islower((unsigned char)s[pos]) && pos < 4)
        pos++;
    while (isdigit((unsigned char)s[pos]))
        pos++;
    size_t best = 0;
    *which = -1;
    for (int i = 0; i < nnames; i++) {
        size_t len = strlen(names[i]);
        if (len > best && strncmp(s + pos, names[i], len) == 0) {
            best = len;
            *which = i;
        }
    }
    if (*which < 0 || strlen(s) >= cap) {
        char list[256] = "";
        for (int i = 0; i < nnames; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
        return gs_error(GS_EFORMAT, "%s problem '%.80s': expected n<count> then one of %s at offset %zu", op, s, list,
                        pos);
    }
    memcpy(rest, s, pos);
    snprintf(rest + pos, cap - pos, "%s", s + pos + best);
    return GS_OK;
}

typedef gs_status_t parse_fn(const char *s, void *out);

/* Shape file reader for parsers that are not a plain field table: one problem per line, '#'
 * comments, blank lines skipped; errors name file:line. */
static gs_status_t read_file(const char *op, const char *path, parse_fn *parse, size_t size, void **list,
                             size_t *count)
{
    *list = NULL;
    *count = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return gs_error(GS_EIO, "cannot read shapes file '%s': %s", path, strerror(errno));
    char line[512];
    char *items = NULL;
    size_t n = 0, cap = 0;
    long lineno = 0;
    gs_status_t st = GS_OK;
    while (st == GS_OK && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *text = line;
        while (isspace((unsigned char)*text))
            text++;
        size_t len = strlen(text);
        while (len > 0 && isspace((unsigned char)text[len - 1]))
            text[--len] = '\0';
        if (len == 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char *grown = realloc(items, cap * size);
            if (!grown) {
                st = gs_error(GS_ENOMEM, "shapes file '%s': out of memory", path);
                break;
            }
            items = grown;
        }
        st = parse(text, items + n * size);
        if (st != GS_OK) {
            char why[400];
            snprintf(why, sizeof why, "%s", gs_error_detail());
            st = gs_error(st, "%s:%ld: %s", path, lineno, why);
        }
        n++;
    }
    fclose(f);
    if (st == GS_OK && n == 0)
        st = gs_error(GS_EFORMAT, "shapes file '%s' lists no %s problem", path, op);
    if (st != GS_OK) {
        free(items);
        return st;
    }
    *list = items;
    *count = n;
    return GS_OK;
}

/* ---- activations ---- */

typedef struct {
    long n;
    float alpha;
} act_fields_t;

static const gs_field_t act_fields[] = {
    {"n", GS_FIELD_LONG, offsetof(act_fields_t, n), true, true, 0, 1, ELTWISE_N_MAX},
    {"alpha", GS_FIELD_FLOAT, offsetof(act_fields_t, alpha), false, false, 0, -1e6, 1e6},
};

static const gs_problem_desc_t act_desc = {"act", sizeof(act_fields_t), act_fields, 2, NULL};

float gs_act_default_alpha(gs_act_kind_t kind)
{
    switch (kind) {
    case GS_ACT_LEAKY_RELU: return 0.01f;
    case GS_ACT_ELU: return 1.0f;
    case GS_ACT_SIGMOID_MODDERIV:
    case GS_ACT_SIGMOID_LINEAR: return 0.05f;
    default: return 0.0f;
    }
}

gs_status_t gs_act_problem_parse(const char *s, gs_act_problem_t *p)
{
    const char *names[GS_ACT_COUNT];
    for (int k = 0; k < GS_ACT_COUNT; k++)
        names[k] = gs_act_name((gs_act_kind_t)k);
    char rest[GS_PROBLEM_STR_MAX * 2];
    int kind;
    gs_status_t st = split_named("act", s, names, GS_ACT_COUNT, &kind, rest, sizeof rest);
    act_fields_t f;
    if (st == GS_OK)
        st = gs_problem_parse(&act_desc, rest, &f);
    if (st != GS_OK)
        return st;
    const bool given = strstr(rest, "alpha") != NULL;
    if (given && !gs_act_uses_alpha((gs_act_kind_t)kind))
        return gs_error(GS_EFORMAT, "act problem '%.80s': %s takes no alpha", s, names[kind]);
    p->n = f.n;
    p->act.kind = (gs_act_kind_t)kind;
    p->act.alpha = given ? f.alpha : gs_act_default_alpha((gs_act_kind_t)kind);
    return GS_OK;
}

const char *gs_act_problem_str(const gs_act_problem_t *p, char buf[GS_PROBLEM_STR_MAX])
{
    return gs_act_shape(p->act, p->n, buf, GS_PROBLEM_STR_MAX);
}

static gs_status_t parse_act(const char *s, void *out) { return gs_act_problem_parse(s, out); }

gs_status_t gs_act_problems_read(const char *path, gs_act_problem_t **list, size_t *count)
{
    void *items;
    gs_status_t st = read_file("act", path, parse_act, sizeof **list, &items, count);
    *list = items;
    return st;
}

/* ---- softmax cross-entropy ---- */

static const gs_field_t softmax_ce_fields[] = {
    {"mb", GS_FIELD_LONG, offsetof(gs_softmax_ce_problem_t, mb), true, true, 0, 1, 1L << 20},
    {"c", GS_FIELD_LONG, offsetof(gs_softmax_ce_problem_t, c), false, true, 10, 1, 1L << 16},
};

static gs_status_t softmax_ce_finish(void *problem, const char *s)
{
    const gs_softmax_ce_problem_t *p = problem;
    if ((double)p->mb * (double)p->c > (double)ELTWISE_N_MAX)
        return gs_error(GS_EFORMAT, "softmax_ce problem '%.80s': %ld x %ld logits, more than %ld", s, p->mb, p->c,
                        ELTWISE_N_MAX);
    return GS_OK;
}

const gs_problem_desc_t gs_softmax_ce_problem_desc = {"softmax_ce", sizeof(gs_softmax_ce_problem_t),
                                                      softmax_ce_fields, 2, softmax_ce_finish};

gs_status_t gs_softmax_ce_problem_parse(const char *s, gs_softmax_ce_problem_t *p)
{
    return gs_problem_parse(&gs_softmax_ce_problem_desc, s, p);
}

const char *gs_softmax_ce_problem_str(const gs_softmax_ce_problem_t *p, char buf[GS_PROBLEM_STR_MAX])
{
    return gs_problem_format(&gs_softmax_ce_problem_desc, p, buf, GS_PROBLEM_STR_MAX);
}

gs_status_t gs_softmax_ce_problems_read(const char *path, gs_softmax_ce_problem_t **list, size_t *count)
{
    void *items;
    gs_status_t st = gs_problem_read_file(&gs_softmax_ce_problem_desc, path, &items, count);
    *list = items;
    return st;
}

/* ---- optimizer buffers ---- */

static const char *const optim_names[GS_OPTIM_OP_COUNT] = {"sgd", "momentum", "adam", "sdagd",
                                                           "sumsq", "scale", "noise"};

typedef struct {
    long n;
} optim_fields_t;

static const gs_field_t optim_fields[] = {
    {"n", GS_FIELD_LONG, offsetof(optim_fields_t, n), true, true, 0, 1, ELTWISE_N_MAX},
};

static const gs_problem_desc_t optim_desc = {"optim", sizeof(optim_fields_t), optim_fields, 1, NULL};

const char *gs_optim_op_name(gs_optim_op_t op) { return (unsigned)op < GS_OPTIM_OP_COUNT ? optim_names[op] : "?"; }

gs_status_t gs_optim_problem_parse(const char *s, gs_optim_problem_t *p)
{
    char rest[GS_PROBLEM_STR_MAX * 2];
    int op;
    gs_status_t st = split_named("optim", s, optim_names, GS_OPTIM_OP_COUNT, &op, rest, sizeof rest);
    optim_fields_t f;
    if (st == GS_OK)
        st = gs_problem_parse(&optim_desc, rest, &f);
    if (st != GS_OK)
        return st;
    p->n = f.n;
    p->op = (gs_optim_op_t)op;
    return GS_OK;
}

const char *gs_optim_problem_str(const gs_optim_problem_t *p, char buf[GS_PROBLEM_STR_MAX])
{
    snprintf(buf, GS_PROBLEM_STR_MAX, "n%ld%s", p->n, gs_optim_op_name(p->op));
    return buf;
}

static gs_status_t parse_optim(const char *s, void *out) { return gs_optim_problem_parse(s, out); }

gs_status_t gs_optim_problems_read(const char *path, gs_optim_problem_t **list, size_t *count)
{
    void *items;
    gs_status_t st = read_file("optim", path, parse_optim, sizeof **list, &items, count);
    *list = items;
    return st;
}

gs_opt_t gs_optim_problem_opt(gs_optim_op_t op)
{
    gs_opt_t o = {.kind = GS_OPT_SGD, .lr = 0.01f, .momentum = 0.9f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                  .sdagd_r = 1.0f, .sdagd_decay = 0.9f};
    switch (op) {
    case GS_OPTIM_OP_MOMENTUM: o.kind = GS_OPT_MOMENTUM; break;
    case GS_OPTIM_OP_ADAM: o.kind = GS_OPT_ADAM, o.lr = 0.001f; break;
    case GS_OPTIM_OP_SDAGD: o.kind = GS_OPT_SDAGD; break;
    default: break;
    }
    return o;
}
