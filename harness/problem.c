/* Table-driven parser and printer for problem strings, the GEMM field table, and the shape-file reader. */
#include "harness/problem.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 16
#define VALUE_MAX_LEN 48

/* Length of the number starting at `s`: sign and digits, plus fraction and exponent for floats.
 * Hex and inf/nan are refused on purpose: a problem string is written by people and read back in
 * repro lines, so only plain decimal is accepted. 0 when no digits are there. */
static size_t scan_number(const char *s, bool is_float)
{
    size_t i = 0, digits = 0;
    if (s[i] == '+' || s[i] == '-')
        i++;
    for (; isdigit((unsigned char)s[i]); i++)
        digits++;
    if (is_float && s[i] == '.')
        for (i++; isdigit((unsigned char)s[i]); i++)
            digits++;
    if (digits == 0)
        return 0;
    if (is_float && s[i] == 'e') {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-')
            j++;
        if (isdigit((unsigned char)s[j])) {
            while (isdigit((unsigned char)s[j]))
                j++;
            i = j;
        }
    }
    return i;
}

static int find_field(const gs_problem_desc_t *d, const char *name)
{
    for (int i = 0; i < d->nfields; i++)
        if (strcmp(d->fields[i].name, name) == 0)
            return i;
    return -1;
}

/* "m n k ta tb ...": the field names in order, for messages. */
static const char *field_list(const gs_problem_desc_t *d)
{
    static _Thread_local char buf[160];
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < d->nfields && len < sizeof buf; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " " : "", d->fields[i].name);
    return buf;
}

static void store_value(const gs_field_t *f, void *problem, double v)
{
    char *dst = (char *)problem + f->offset;
    switch (f->kind) {
    case GS_FIELD_LONG:
        *(long *)dst = (long)v;
        break;
    case GS_FIELD_BOOL:
        *(bool *)dst = v != 0.0;
        break;
    case GS_FIELD_FLOAT:
        *(float *)dst = (float)v;
        break;
    }
}

static double load_value(const gs_field_t *f, const void *problem)
{
    const char *src = (const char *)problem + f->offset;
    switch (f->kind) {
    case GS_FIELD_LONG:
        return (double)*(const long *)src;
    case GS_FIELD_BOOL:
        return *(const bool *)src ? 1.0 : 0.0;
    case GS_FIELD_FLOAT:
        return (double)*(const float *)src;
    }
    return 0.0;
}

/* Reads the value of field `f` at s[*pos], advancing *pos past it. */
static gs_status_t parse_value(const gs_problem_desc_t *d, const gs_field_t *f, const char *s, size_t *pos,
                               void *problem)
{
    const bool is_float = f->kind == GS_FIELD_FLOAT;
    const size_t len = scan_number(s + *pos, is_float);
    if (len == 0 || len >= VALUE_MAX_LEN)
        return gs_error(GS_EFORMAT, "%s problem '%.80s': field '%s' needs %s value, got '%.16s'", d->op, s,
                        f->name, is_float ? "a decimal" : "an integer", s[*pos] ? s + *pos : "(nothing)");
    char text[VALUE_MAX_LEN];
    memcpy(text, s + *pos, len);
    text[len] = '\0';
    errno = 0;
    double v;
    if (is_float) {
        v = strtod(text, NULL);
        if (errno || !isfinite((float)v))
            return gs_error(GS_EFORMAT, "%s problem '%.80s': field '%s' = %s is not a finite float", d->op, s,
                            f->name, text);
    } else {
        long l = strtol(text, NULL, 10);
        if (errno)
            return gs_error(GS_EFORMAT, "%s problem '%.80s': field '%s' = %s does not fit", d->op, s, f->name, text);
        v = (double)l;
    }
    if (v < f->lo || v > f->hi)
        return gs_error(GS_EFORMAT, "%s problem '%.80s': field '%s' = %s out of range [%g, %g]", d->op, s,
                        f->name, text, f->lo, f->hi);
    store_value(f, problem, v);
    *pos += len;
    return GS_OK;
}

/* The first required field in [from, to), or -1. */
static int first_required(const gs_problem_desc_t *d, int from, int to)
{
    for (int i = from; i < to; i++)
        if (d->fields[i].required)
            return i;
    return -1;
}

/* The longest field name that starts `run` (a run of letters, since a value may be missing:
 * "mn8" is field 'm' without a value, not an unknown field 'mn'); -1 if none. Sets *len. */
static int match_field(const gs_problem_desc_t *d, const char *run, size_t *len)
{
    char name[NAME_MAX_LEN + 1];
    snprintf(name, sizeof name, "%s", run);
    for (size_t n = strlen(name); n > 0; n--) {
        name[n] = '\0';
        int idx = find_field(d, name);
        if (idx >= 0) {
            *len = n;
            return idx;
        }
    }
    return -1;
}

/* Reads the field name at s[*pos] and checks it may come next. */
static gs_status_t parse_name(const gs_problem_desc_t *d, const char *s, size_t *pos, int next, int last,
                              unsigned long long seen, int *idx)
{
    char run[NAME_MAX_LEN + 1];
    size_t n = 0;
    if (!islower((unsigned char)s[*pos]))
        return gs_error(GS_EFORMAT, "%s problem '%.80s': unexpected '%c' at offset %zu, expected a field name (%s)",
                        d->op, s, s[*pos], *pos, field_list(d));
    while (islower((unsigned char)s[*pos + n]) && n < NAME_MAX_LEN) {
        run[n] = s[*pos + n];
        n++;
    }
    run[n] = '\0';
    *idx = match_field(d, run, &n);
    if (*idx < 0)
        return gs_error(GS_EFORMAT, "%s problem '%.80s': unknown field '%s' (fields, in this order: %s)", d->op, s,
                        run, field_list(d));
    const char *name = d->fields[*idx].name;
    if (seen >> *idx & 1)
        return gs_error(GS_EFORMAT, "%s problem '%.80s': field '%s' given twice", d->op, s, name);
    if (*idx < next)
        return gs_error(GS_EFORMAT, "%s problem '%.80s': field '%s' must come before '%s' (order: %s)", d->op, s,
                        name, d->fields[last].name, field_list(d));
    int missing = first_required(d, next, *idx);
    if (missing >= 0)
        return gs_error(GS_EFORMAT, "%s problem '%.80s': missing field '%s' before '%s'", d->op, s,
                        d->fields[missing].name, name);
    *pos += n;
    return GS_OK;
}

gs_status_t gs_problem_parse(const gs_problem_desc_t *d, const char *s, void *out)
{
    if (!d || !s || !out)
        return gs_error(GS_EINVAL, "problem parse: NULL argument");
    memset(out, 0, d->size);
    for (int i = 0; i < d->nfields; i++)
        store_value(&d->fields[i], out, d->fields[i].def);
    size_t pos = 0;
    int next = 0, last = -1;
    unsigned long long seen = 0; /* bit i: field i was given (tables have at most 64 fields) */
    while (s[pos]) {
        int idx = -1;
        gs_status_t st = parse_name(d, s, &pos, next, last, seen, &idx);
        if (st == GS_OK)
            st = parse_value(d, &d->fields[idx], s, &pos, out);
        if (st != GS_OK)
            return st;
        last = idx;
        next = idx + 1;
        seen |= 1ull << idx;
    }
    int missing = first_required(d, next, d->nfields);
    if (missing >= 0)
        return gs_error(GS_EFORMAT, "%s problem '%.80s': missing field '%s' (fields, in this order: %s)", d->op, s,
                        d->fields[missing].name, field_list(d));
    return d->finish ? d->finish(out, s) : GS_OK;
}

/* Shortest %g form that reads back as the same float, so printed repro lines are exact. */
static void format_float(char *buf, size_t size, float v)
{
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, size, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v)
            return;
    }
}

const char *gs_problem_format(const gs_problem_desc_t *d, const void *problem, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < d->nfields && len < size; i++) {
        const gs_field_t *f = &d->fields[i];
        double v = load_value(f, problem);
        if (!f->required && !f->always_print && v == (f->kind == GS_FIELD_FLOAT ? (double)(float)f->def : f->def))
            continue;
        char text[32];
        if (f->kind == GS_FIELD_FLOAT)
            format_float(text, sizeof text, (float)v);
        else
            snprintf(text, sizeof text, "%ld", (long)v);
        len += (size_t)snprintf(buf + len, size - len, "%s%s", f->name, text);
    }
    return buf;
}

/* Strips a '#' comment and surrounding blanks in place; returns the start of what is left. */
static char *strip_line(char *line)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    while (isspace((unsigned char)*line))
        line++;
    size_t n = strlen(line);
    while (n > 0 && isspace((unsigned char)line[n - 1]))
        line[--n] = '\0';
    return line;
}

static gs_status_t append(const gs_problem_desc_t *d, const void *p, char **list, size_t *count, size_t *cap)
{
    if (*count == *cap) {
        size_t grown_cap = *cap ? 2 * *cap : 32;
        char *grown = realloc(*list, grown_cap * d->size);
        if (!grown)
            return gs_error(GS_ENOMEM, "shape list: cannot grow to %zu problems", grown_cap);
        *list = grown;
        *cap = grown_cap;
    }
    memcpy(*list + *count * d->size, p, d->size);
    (*count)++;
    return GS_OK;
}

/* Parses one stripped, non-empty line into `p`, naming path:lineno on error. */
static gs_status_t parse_line(const gs_problem_desc_t *d, const char *path, long lineno, char *text, void *p)
{
    char *space = text + strcspn(text, " \t\r\v\f");
    if (*space) {
        *space = '\0';
        char *extra = space + 1;
        while (isspace((unsigned char)*extra))
            extra++;
        return gs_error(GS_EFORMAT, "%s:%ld: one problem per line, found '%.40s' after '%.80s'", path, lineno,
                        extra, text);
    }
    gs_status_t st = gs_problem_parse(d, text, p);
    if (st != GS_OK) {
        char why[400];
        snprintf(why, sizeof why, "%s", gs_error_detail());
        return gs_error(st, "%s:%ld: %s", path, lineno, why);
    }
    return GS_OK;
}

gs_status_t gs_problem_read_file(const gs_problem_desc_t *d, const char *path, void **list, size_t *count)
{
    *list = NULL;
    *count = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return gs_error(GS_EIO, "cannot read shapes file '%s': %s", path, strerror(errno));
    char *line = NULL, *items = NULL;
    size_t line_cap = 0, n = 0, cap = 0;
    long lineno = 0;
    gs_status_t st = GS_OK;
    void *p = malloc(d->size);
    if (!p)
        st = gs_error(GS_ENOMEM, "shapes file '%s': out of memory", path);
    while (st == GS_OK && getline(&line, &line_cap, f) >= 0) {
        char *text = strip_line(line);
        lineno++;
        if (*text == '\0')
            continue;
        st = parse_line(d, path, lineno, text, p);
        if (st == GS_OK)
            st = append(d, p, &items, &n, &cap);
    }
    if (st == GS_OK && ferror(f))
        st = gs_error(GS_EIO, "error reading shapes file '%s' after line %ld", path, lineno);
    if (st == GS_OK && n == 0)
        st = gs_error(GS_EFORMAT, "shapes file '%s' lists no %s problem", path, d->op);
    fclose(f);
    free(line);
    free(p);
    if (st != GS_OK) {
        free(items);
        return st;
    }
    *list = items;
    *count = n;
    return GS_OK;
}

gs_status_t gs_problem_parse_lists(const gs_problem_desc_t *d, const char *const *const *lists, const size_t *counts,
                                   int nlists, void **list, size_t *count)
{
    *list = NULL;
    *count = 0;
    size_t total = 0;
    for (int l = 0; l < nlists; l++)
        total += counts[l];
    char *items = malloc((total ? total : 1) * d->size);
    if (!items)
        return gs_error(GS_ENOMEM, "%s problem list: out of memory", d->op);
    size_t n = 0;
    for (int l = 0; l < nlists; l++)
        for (size_t i = 0; i < counts[l]; i++, n++) {
            const gs_status_t st = gs_problem_parse(d, lists[l][i], items + n * d->size);
            if (st != GS_OK) {
                free(items);
                return st;
            }
        }
    *list = items;
    *count = n;
    return GS_OK;
}

/* ---- GEMM ---- */

/* Sizes stay well inside what the validation can allocate (several copies of each matrix) and
 * inside float-exact sums of small-integer products (9 * k < 2^24, see validate_gemm.c). */
#define GEMM_DIM_MAX 1000000
#define GEMM_MATRIX_MAX_ELEMS (1L << 28)

static gs_status_t gemm_finish(void *problem, const char *s)
{
    const gs_gemm_problem_t *p = problem;
    const char *names[3] = {"A", "B", "C"};
    double elems[3] = {
        (double)(p->ta ? p->k : p->m) * (double)gs_gemm_problem_lda(p),
        (double)(p->tb ? p->n : p->k) * (double)gs_gemm_problem_ldb(p),
        (double)p->m * (double)gs_gemm_problem_ldc(p),
    };
    for (int i = 0; i < 3; i++)
        if (elems[i] > (double)GEMM_MATRIX_MAX_ELEMS)
            return gs_error(GS_EFORMAT, "gemm problem '%.80s': %s would hold %.0f floats, more than the %ld allowed",
                            s, names[i], elems[i], GEMM_MATRIX_MAX_ELEMS);
    return GS_OK;
}

static const gs_field_t gemm_fields[] = {
    {"m", GS_FIELD_LONG, offsetof(gs_gemm_problem_t, m), true, true, 0, 0, GEMM_DIM_MAX},
    {"n", GS_FIELD_LONG, offsetof(gs_gemm_problem_t, n), true, true, 0, 0, GEMM_DIM_MAX},
    {"k", GS_FIELD_LONG, offsetof(gs_gemm_problem_t, k), true, true, 0, 0, GEMM_DIM_MAX},
    {"ta", GS_FIELD_BOOL, offsetof(gs_gemm_problem_t, ta), false, true, 0, 0, 1},
    {"tb", GS_FIELD_BOOL, offsetof(gs_gemm_problem_t, tb), false, true, 0, 0, 1},
    {"alpha", GS_FIELD_FLOAT, offsetof(gs_gemm_problem_t, alpha), false, false, 1, -1e6, 1e6},
    {"beta", GS_FIELD_FLOAT, offsetof(gs_gemm_problem_t, beta), false, false, 0, -1e6, 1e6},
    {"ldpad", GS_FIELD_LONG, offsetof(gs_gemm_problem_t, ldpad), false, false, 0, 0, 4096},
};

const gs_problem_desc_t gs_gemm_problem_desc = {
    .op = "gemm",
    .size = sizeof(gs_gemm_problem_t),
    .fields = gemm_fields,
    .nfields = (int)(sizeof gemm_fields / sizeof gemm_fields[0]),
    .finish = gemm_finish,
};

gs_status_t gs_gemm_problem_parse(const char *s, gs_gemm_problem_t *p)
{
    return gs_problem_parse(&gs_gemm_problem_desc, s, p);
}

const char *gs_gemm_problem_str(const gs_gemm_problem_t *p, char buf[GS_PROBLEM_STR_MAX])
{
    return gs_problem_format(&gs_gemm_problem_desc, p, buf, GS_PROBLEM_STR_MAX);
}

gs_status_t gs_gemm_problems_read(const char *path, gs_gemm_problem_t **list, size_t *count)
{
    void *items;
    gs_status_t st = gs_problem_read_file(&gs_gemm_problem_desc, path, &items, count);
    *list = items;
    return st;
}

/* BLAS wants every leading dimension >= 1, even for an empty matrix. */
static long leading(long cols, long pad) { return (cols > 1 ? cols : 1) + pad; }

long gs_gemm_problem_lda(const gs_gemm_problem_t *p) { return leading(p->ta ? p->m : p->k, p->ldpad); }
long gs_gemm_problem_ldb(const gs_gemm_problem_t *p) { return leading(p->tb ? p->k : p->n, p->ldpad); }
long gs_gemm_problem_ldc(const gs_gemm_problem_t *p) { return leading(p->n, p->ldpad); }
