/* Problem lists from command-line strings, shape files or built-in defaults, for any op. */
#include "harness/validate_collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"

/* Appends n problems of `size` bytes; false when out of memory. */
static bool append(char **list, size_t *count, const void *add, size_t n, size_t size)
{
    char *grown = realloc(*list, (*count + n + 1) * size);
    if (!grown)
        return false;
    memcpy(grown + *count * size, add, n * size);
    *list = grown;
    *count += n;
    return true;
}

static int usage_error(const char *op)
{
    fprintf(stderr, "gradscope validate %s: %s\n", op, gs_error_detail());
    return GS_EXIT_USAGE;
}

static int parse_strings(const gs_problem_desc_t *d, char *const *strings, size_t n, char **list, size_t *count)
{
    char *p = malloc(d->size);
    if (!p)
        return GS_EXIT_FAIL;
    int rc = GS_EXIT_OK;
    for (size_t i = 0; i < n && rc == GS_EXIT_OK; i++) {
        if (gs_problem_parse(d, strings[i], p) != GS_OK)
            rc = usage_error(d->op);
        else if (!append(list, count, p, 1, d->size))
            rc = GS_EXIT_FAIL;
    }
    free(p);
    return rc;
}

int gs_validate_collect(const gs_problem_desc_t *d, char **operands, int noperands, const gs_validate_opts_t *o,
                        const char *const *defaults, size_t ndefaults, void **list, size_t *count)
{
    char *items = NULL;
    size_t n = 0;
    int rc = parse_strings(d, operands, (size_t)noperands, &items, &n);
    for (int i = 0; i < o->nshapes && rc == GS_EXIT_OK; i++) {
        void *file;
        size_t nfile;
        if (gs_problem_read_file(d, o->shapes[i], &file, &nfile) != GS_OK) {
            rc = usage_error(d->op);
            break;
        }
        if (!append(&items, &n, file, nfile, d->size))
            rc = GS_EXIT_FAIL;
        free(file);
    }
    if (rc == GS_EXIT_OK && n == 0)
        rc = parse_strings(d, (char *const *)defaults, ndefaults, &items, &n);
    if (rc != GS_EXIT_OK) {
        free(items);
        items = NULL;
        n = 0;
    }
    *list = items;
    *count = n;
    return rc;
}
