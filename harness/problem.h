/* Problem strings in benchdnn style ("m64n128k784ta0tb1", "mb64ic20ih12oc50kh5") and shape files that list them. */
#ifndef GS_PROBLEM_H
#define GS_PROBLEM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* Longest canonical problem string (the profiler's shape column has the same bound). */
#define GS_PROBLEM_STR_MAX 96

typedef enum { GS_FIELD_LONG, GS_FIELD_BOOL, GS_FIELD_FLOAT } gs_field_kind_t;

/* One field of a problem string: a lower-case name followed by its value. Fields appear in table
 * order; optional ones may be left out and then take `def`. */
typedef struct {
    const char *name;
    gs_field_kind_t kind;
    size_t offset;     /* where the value lives in the op's problem struct (offsetof) */
    bool required;
    bool always_print; /* printed even at its default, because readers expect it (gemm's ta/tb) */
    double def, lo, hi;/* default of an optional field; accepted range of values */
} gs_field_t;

/* How one op spells its problems. Adding conv or BN means one struct type, one field table and,
 * where fields depend on each other, a `finish` hook. */
typedef struct {
    const char *op;    /* "gemm": names the op in messages */
    size_t size;       /* sizeof the op's problem struct */
    const gs_field_t *fields;
    int nfields;
    /* Fills derived fields and checks constraints between fields once all are parsed; `s` is the
     * string, for messages. NULL when every field stands alone. */
    gs_status_t (*finish)(void *problem, const char *s);
} gs_problem_desc_t;

/* Parses `s` into the struct at `out`. GS_EFORMAT with a message naming the string and the
 * offending field (unknown, out of order, missing, bad or out-of-range value). */
gs_status_t gs_problem_parse(const gs_problem_desc_t *d, const char *s, void *out);

/* Canonical string of a problem: required and always-printed fields, then the optional ones that
 * differ from their defaults; floats in the shortest form that reads back to the same value.
 * Returns `buf`. */
const char *gs_problem_format(const gs_problem_desc_t *d, const void *problem, char *buf, size_t size);

/* Reads a shape file: one problem per line, '#' starts a comment, blank lines are skipped.
 * Returns a malloc'd array of `d->size`-byte problems in *list (caller frees) and its length.
 * GS_EIO when the file cannot be read, GS_EFORMAT naming file:line for a bad line or when the file
 * lists no problem at all. */
gs_status_t gs_problem_read_file(const gs_problem_desc_t *d, const char *path, void **list, size_t *count);

/* Parses the concatenation of `nlists` lists of problem strings (list l: counts[l] strings) into a
 * malloc'd array of `d->size`-byte problems (caller frees); the first bad string's error otherwise. */
gs_status_t gs_problem_parse_lists(const gs_problem_desc_t *d, const char *const *const *lists, const size_t *counts,
                                   int nlists, void **list, size_t *count);

/* GEMM: C(m x n) = alpha * op(A)(m x k) * op(B)(k x n) + beta * C. `ldpad` extra elements are added to
 * each leading dimension (lda, ldb, ldc) to test strided access. */
typedef struct {
    long m, n, k;
    bool ta, tb;
    float alpha, beta;
    long ldpad;
} gs_gemm_problem_t;

extern const gs_problem_desc_t gs_gemm_problem_desc;

gs_status_t gs_gemm_problem_parse(const char *s, gs_gemm_problem_t *p);
const char *gs_gemm_problem_str(const gs_gemm_problem_t *p, char buf[GS_PROBLEM_STR_MAX]);
gs_status_t gs_gemm_problems_read(const char *path, gs_gemm_problem_t **list, size_t *count);

/* Leading dimensions of a problem's row-major A, B and C, padding included. */
long gs_gemm_problem_lda(const gs_gemm_problem_t *p);
long gs_gemm_problem_ldb(const gs_gemm_problem_t *p);
long gs_gemm_problem_ldc(const gs_gemm_problem_t *p);

#endif
