/* `gradscope validate conv [PROBLEM...] [--shapes FILE]`: problems from the command line, shape
 * files or the built-in list, the implementations the options select, and validate_conv.c. */
#include <stdlib.h>
#include <string.h>

#include "harness/validate_conv.h"
#include "harness/validate_ops.h"

static bool append(gs_conv_problem_t **list, size_t *count, const gs_conv_problem_t *add, size_t n)
{
    gs_conv_problem_t *grown = realloc(*list, (*count + n + 1) * sizeof *grown);
    if (!grown)
        return false;
    memcpy(grown + *count, add, n * sizeof *grown);
    *list = grown;
    *count += n;
    return true;
}

/* Command-line problems, then each shapes file; the built-in list when neither gives any. Prints
 * the error and returns GS_EXIT_USAGE for a bad string or file. */
static int collect(char **operands, int noperands, const gs_validate_opts_t *o, gs_conv_problem_t **list,
                   size_t *count)
{
    *list = NULL;
    *count = 0;
    for (int i = 0; i < noperands; i++) {
        gs_conv_problem_t p;
        if (gs_conv_problem_parse(operands[i], &p) != GS_OK) {
            fprintf(stderr, "gradscope validate: %s\n", gs_error_detail());
            return GS_EXIT_USAGE;
        }
        if (!append(list, count, &p, 1))
            return GS_EXIT_FAIL;
    }
    for (int i = 0; i < o->nshapes; i++) {
        gs_conv_problem_t *file;
        size_t n;
        if (gs_conv_problems_read(o->shapes[i], &file, &n) != GS_OK) {
            fprintf(stderr, "gradscope validate: %s\n", gs_error_detail());
            return GS_EXIT_USAGE;
        }
        bool ok = append(list, count, file, n);
        free(file);
        if (!ok)
            return GS_EXIT_FAIL;
    }
    if (*count == 0 && gs_conv_problems_default(list, count) != GS_OK) {
        fprintf(stderr, "gradscope validate: built-in problems: %s\n", gs_error_detail());
        return GS_EXIT_FAIL;
    }
    return GS_EXIT_OK;
}

/* oneDNN itself with --impl onednn (then checked against the oracle), the ISA --isa forced
 * (scalar: the oracle against oneDNN), or every vector ISA this CPU runs. */
static size_t choose_impls(const gs_cli_common_t *c, gs_conv_impl_t impls[GS_ISA_COUNT])
{
    if (c->impl == GS_IMPL_ONEDNN) {
        impls[0] = gs_conv_impl_onednn();
        return 1;
    }
    if (c->isa >= 0) {
        impls[0] = gs_conv_impl_for_isa((gs_isa_t)c->isa);
        return 1;
    }
    size_t n = 0;
    for (int i = GS_ISA_SCALAR + 1; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i))
            impls[n++] = gs_conv_impl_for_isa((gs_isa_t)i);
    if (n == 0)
        impls[n++] = gs_conv_impl_for_isa(GS_ISA_SCALAR);
    return n;
}

int gs_validate_op_conv(char **operands, int noperands, const gs_validate_opts_t *o)
{
    gs_conv_problem_t *problems;
    size_t nproblems;
    int rc = collect(operands, noperands, o, &problems, &nproblems);
    if (rc == GS_EXIT_OK)
        rc = gs_cli_setup(&o->common);
    if (rc == GS_EXIT_OK) {
        gs_conv_impl_t impls[GS_ISA_COUNT];
        const size_t nimpls = choose_impls(&o->common, impls);
        gs_validate_summary_t sum = {.csv = o->csv};
        const int failed = gs_validate_conv(problems, nproblems, impls, nimpls, (uint64_t)o->seed, stdout, &sum);
        rc = failed ? GS_EXIT_FAIL : GS_EXIT_OK;
    }
    free(problems);
    return rc;
}
