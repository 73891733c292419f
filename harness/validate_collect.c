/* Problem lists from command-line strings, shape files or built-in defaults, and the run every
 * op's validation shares. */
#include "harness/validate_collect.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"

/* Appends n problems of `size` bytes; false when out of memory. */
static bool append(void **list, size_t *count, size_t size, const void *items, size_t n)
{
    char *grown = realloc(*list, (*count + n + 1) * size);
    if (!grown)
        return false;
    memcpy(grown + *count * size, items, n * size);
    *list = grown;
    *count += n;
    return true;
}

static int usage_error(void)
{
    fprintf(stderr, "gradscope validate: %s\n", gs_error_detail());
    return GS_EXIT_USAGE;
}

static gs_status_t parse(const gs_problem_io_t *io, const char *s, void *out)
{
    return io->desc ? gs_problem_parse(io->desc, s, out) : io->parse(s, out);
}

static gs_status_t read_file(const gs_problem_io_t *io, const char *path, void **list, size_t *count)
{
    return io->desc ? gs_problem_read_file(io->desc, path, list, count) : io->read(path, list, count);
}

static int collect(const gs_problem_io_t *io, char **operands, int noperands, const gs_validate_opts_t *o,
                   void **list, size_t *count)
{
    char *item = malloc(io->size);
    if (!item)
        return GS_EXIT_FAIL;
    int rc = GS_EXIT_OK;
    for (int i = 0; i < noperands && rc == GS_EXIT_OK; i++) {
        if (parse(io, operands[i], item) != GS_OK)
            rc = usage_error();
        else if (!append(list, count, io->size, item, 1))
            rc = GS_EXIT_FAIL;
    }
    free(item);
    for (int i = 0; i < o->nshapes && rc == GS_EXIT_OK; i++) {
        void *file;
        size_t n;
        if (read_file(io, o->shapes[i], &file, &n) != GS_OK)
            return usage_error();
        if (!append(list, count, io->size, file, n))
            rc = GS_EXIT_FAIL;
        free(file);
    }
    if (rc == GS_EXIT_OK && *count == 0 && io->defaults(list, count) != GS_OK) {
        fprintf(stderr, "gradscope validate: built-in problems: %s\n", gs_error_detail());
        rc = GS_EXIT_FAIL;
    }
    return rc;
}

int gs_validate_collect(const gs_problem_io_t *io, char **operands, int noperands, const gs_validate_opts_t *o,
                        void **list, size_t *count)
{
    *list = NULL;
    *count = 0;
    const int rc = collect(io, operands, noperands, o, list, count);
    if (rc != GS_EXIT_OK) {
        free(*list);
        *list = NULL;
        *count = 0;
    }
    return rc;
}

int gs_validate_isas(const gs_cli_common_t *c, gs_isa_t isas[GS_ISA_COUNT])
{
    if (c->isa >= 0) {
        isas[0] = (gs_isa_t)c->isa;
        return 1;
    }
    int n = 0;
    for (int i = 0; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i))
            isas[n++] = (gs_isa_t)i;
    return n;
}

int gs_validate_run(const gs_problem_io_t *io, char **operands, int noperands, const gs_validate_opts_t *o,
                    gs_validate_check_fn *check)
{
    void *list;
    size_t count;
    int rc = gs_validate_collect(io, operands, noperands, o, &list, &count);
    if (rc == GS_EXIT_OK)
        rc = gs_cli_setup(&o->common);
    if (rc == GS_EXIT_OK) {
        gs_validate_summary_t sum = {.csv = o->csv};
        rc = check(list, count, o, &sum) ? GS_EXIT_FAIL : GS_EXIT_OK;
    }
    free(list);
    return rc;
}
