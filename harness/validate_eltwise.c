/* `gradscope validate act|softmax_ce|optim`: problems from the command line, shape files or the
 * built-in lists, the implementations the options select, and the drivers of validate_*.c. */
#include "harness/validate_eltwise.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "harness/validate_ops.h"

void gs_validate_eltwise_repro(FILE *out, const char *op, const char *problem, const char *impl, uint64_t seed)
{
    gs_isa_t isa;
    fprintf(out, "repro: gradscope validate %s %s", op, problem);
    if (strcmp(impl, "onednn") == 0)
        fprintf(out, " --impl onednn");
    else if (gs_isa_parse(impl, &isa) == GS_OK)
        fprintf(out, " --isa %s", impl);
    else
        fprintf(out, " (implementation '%s' is test-only)", impl);
    fprintf(out, " --seed %llu --threads %d\n", (unsigned long long)seed, omp_get_max_threads());
    gs_error_clear();
}

/* How one op reads its problems; the list functions fill a malloc'd array of `size`-byte items. */
typedef struct {
    size_t size;
    gs_status_t (*parse)(const char *s, void *out);
    gs_status_t (*read)(const char *path, void **list, size_t *count);
    gs_status_t (*defaults)(void **list, size_t *count);
} problem_io_t;

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

/* Command-line problems, then each shapes file; the built-in list when neither gives any. Prints
 * the error and returns GS_EXIT_USAGE for a bad string or file. */
static int collect(const problem_io_t *io, char **operands, int noperands, const gs_validate_opts_t *o, void **list,
                   size_t *count)
{
    *list = NULL;
    *count = 0;
    char item[256];
    for (int i = 0; i < noperands; i++) {
        if (io->parse(operands[i], item) != GS_OK) {
            fprintf(stderr, "gradscope validate: %s\n", gs_error_detail());
            return GS_EXIT_USAGE;
        }
        if (!append(list, count, io->size, item, 1))
            return GS_EXIT_FAIL;
    }
    for (int i = 0; i < o->nshapes; i++) {
        void *file;
        size_t n;
        if (io->read(o->shapes[i], &file, &n) != GS_OK) {
            fprintf(stderr, "gradscope validate: %s\n", gs_error_detail());
            return GS_EXIT_USAGE;
        }
        bool ok = append(list, count, io->size, file, n);
        free(file);
        if (!ok)
            return GS_EXIT_FAIL;
    }
    if (*count == 0 && io->defaults(list, count) != GS_OK) {
        fprintf(stderr, "gradscope validate: built-in problems: %s\n", gs_error_detail());
        return GS_EXIT_FAIL;
    }
    return GS_EXIT_OK;
}

/* The ISAs to check: the one --isa forced, or every one this CPU runs. */
static int chosen_isas(const gs_cli_common_t *c, gs_isa_t isas[GS_ISA_COUNT])
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

/* ---- activations ---- */

static gs_status_t act_parse(const char *s, void *out) { return gs_act_problem_parse(s, out); }
static gs_status_t act_read(const char *path, void **list, size_t *count)
{
    return gs_act_problems_read(path, (gs_act_problem_t **)list, count);
}
static gs_status_t act_defaults(void **list, size_t *count)
{
    return gs_act_problems_default((gs_act_problem_t **)list, count);
}

int gs_validate_op_act(char **operands, int noperands, const gs_validate_opts_t *o)
{
    static const problem_io_t io = {sizeof(gs_act_problem_t), act_parse, act_read, act_defaults};
    void *problems;
    size_t nproblems;
    int rc = collect(&io, operands, noperands, o, &problems, &nproblems);
    if (rc == GS_EXIT_OK)
        rc = gs_cli_setup(&o->common);
    if (rc == GS_EXIT_OK) {
        gs_act_impl_t impls[GS_ISA_COUNT];
        gs_isa_t isas[GS_ISA_COUNT];
        size_t n = 0;
        if (o->common.impl == GS_IMPL_ONEDNN)
            impls[n++] = (gs_act_impl_t){"onednn", gs_act_fwd_onednn, gs_act_bwd_onednn};
        else
            for (int i = 0, ni = chosen_isas(&o->common, isas); i < ni; i++)
                impls[n++] = gs_act_impl_for_isa(isas[i]);
        gs_validate_summary_t sum = {.csv = o->csv};
        int failed = gs_validate_act(problems, nproblems, impls, n, (uint64_t)o->seed, stdout, &sum);
        rc = failed ? GS_EXIT_FAIL : GS_EXIT_OK;
    }
    free(problems);
    return rc;
}

/* ---- softmax cross-entropy ---- */

static gs_status_t softmax_ce_parse(const char *s, void *out) { return gs_softmax_ce_problem_parse(s, out); }
static gs_status_t softmax_ce_read(const char *path, void **list, size_t *count)
{
    return gs_softmax_ce_problems_read(path, (gs_softmax_ce_problem_t **)list, count);
}
static gs_status_t softmax_ce_defaults(void **list, size_t *count)
{
    return gs_softmax_ce_problems_default((gs_softmax_ce_problem_t **)list, count);
}

int gs_validate_op_softmax_ce(char **operands, int noperands, const gs_validate_opts_t *o)
{
    static const problem_io_t io = {sizeof(gs_softmax_ce_problem_t), softmax_ce_parse, softmax_ce_read,
                                    softmax_ce_defaults};
    void *problems;
    size_t nproblems;
    int rc = collect(&io, operands, noperands, o, &problems, &nproblems);
    if (rc == GS_EXIT_OK)
        rc = gs_cli_setup(&o->common);
    if (rc == GS_EXIT_OK) {
        gs_softmax_ce_impl_t impls[GS_ISA_COUNT];
        gs_isa_t isas[GS_ISA_COUNT];
        size_t n = 0;
        if (o->common.impl == GS_IMPL_ONEDNN)
            impls[n++] = (gs_softmax_ce_impl_t){"onednn", gs_softmax_ce_onednn, gs_softmax_mse_onednn};
        else
            for (int i = 0, ni = chosen_isas(&o->common, isas); i < ni; i++)
                impls[n++] = gs_softmax_ce_impl_for_isa(isas[i]);
        gs_validate_summary_t sum = {.csv = o->csv};
        int failed = gs_validate_softmax_ce(problems, nproblems, impls, n, (uint64_t)o->seed, stdout, &sum);
        rc = failed ? GS_EXIT_FAIL : GS_EXIT_OK;
    }
    free(problems);
    return rc;
}

/* ---- optimizer updates ---- */

static gs_status_t optim_parse(const char *s, void *out) { return gs_optim_problem_parse(s, out); }
static gs_status_t optim_read(const char *path, void **list, size_t *count)
{
    return gs_optim_problems_read(path, (gs_optim_problem_t **)list, count);
}
static gs_status_t optim_defaults(void **list, size_t *count)
{
    return gs_optim_problems_default((gs_optim_problem_t **)list, count);
}

/* oneDNN has no optimizers: with --impl onednn the training loop runs the native kernels of the
 * chosen ISA (see dispatch.h), and those are what is validated. */
int gs_validate_op_optim(char **operands, int noperands, const gs_validate_opts_t *o)
{
    static const problem_io_t io = {sizeof(gs_optim_problem_t), optim_parse, optim_read, optim_defaults};
    void *problems;
    size_t nproblems;
    int rc = collect(&io, operands, noperands, o, &problems, &nproblems);
    if (rc == GS_EXIT_OK)
        rc = gs_cli_setup(&o->common);
    if (rc == GS_EXIT_OK) {
        gs_optim_impl_t impls[GS_ISA_COUNT];
        gs_isa_t isas[GS_ISA_COUNT];
        size_t n = 0;
        for (int i = 0, ni = chosen_isas(&o->common, isas); i < ni; i++)
            impls[n++] = gs_optim_impl_for_isa(isas[i]);
        gs_validate_summary_t sum = {.csv = o->csv};
        int failed = gs_validate_optim(problems, nproblems, impls, n, (uint64_t)o->seed, stdout, &sum);
        rc = failed ? GS_EXIT_FAIL : GS_EXIT_OK;
    }
    free(problems);
    return rc;
}
