/* `gradscope validate act|softmax_ce|optim`: problems from the command line, shape files or the
 * built-in lists, the implementations the options select, and the drivers of validate_*.c. */
#include "harness/validate_eltwise.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "harness/validate_collect.h"
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

static int check_act(const void *list, size_t count, const gs_validate_opts_t *o, gs_validate_summary_t *sum)
{
    gs_act_impl_t impls[GS_ISA_COUNT];
    gs_isa_t isas[GS_ISA_COUNT];
    size_t n = 0;
    if (o->common.impl == GS_IMPL_ONEDNN)
        impls[n++] = (gs_act_impl_t){"onednn", gs_act_fwd_onednn, gs_act_bwd_onednn};
    else
        for (int i = 0, ni = gs_validate_isas(&o->common, isas); i < ni; i++)
            impls[n++] = gs_act_impl_for_isa(isas[i]);
    return gs_validate_act(list, count, impls, n, (uint64_t)o->seed, stdout, sum);
}

int gs_validate_op_act(char **operands, int noperands, const gs_validate_opts_t *o)
{
    static const gs_problem_io_t io = {sizeof(gs_act_problem_t), NULL, act_parse, act_read, act_defaults};
    return gs_validate_run(&io, operands, noperands, o, check_act);
}

/* ---- softmax cross-entropy ---- */

static gs_status_t softmax_ce_defaults(void **list, size_t *count)
{
    return gs_softmax_ce_problems_default((gs_softmax_ce_problem_t **)list, count);
}

static int check_softmax_ce(const void *list, size_t count, const gs_validate_opts_t *o, gs_validate_summary_t *sum)
{
    gs_softmax_ce_impl_t impls[GS_ISA_COUNT];
    gs_isa_t isas[GS_ISA_COUNT];
    size_t n = 0;
    if (o->common.impl == GS_IMPL_ONEDNN)
        impls[n++] = (gs_softmax_ce_impl_t){"onednn", gs_softmax_ce_onednn, gs_softmax_mse_onednn};
    else
        for (int i = 0, ni = gs_validate_isas(&o->common, isas); i < ni; i++)
            impls[n++] = gs_softmax_ce_impl_for_isa(isas[i]);
    return gs_validate_softmax_ce(list, count, impls, n, (uint64_t)o->seed, stdout, sum);
}

int gs_validate_op_softmax_ce(char **operands, int noperands, const gs_validate_opts_t *o)
{
    static const gs_problem_io_t io = {sizeof(gs_softmax_ce_problem_t), &gs_softmax_ce_problem_desc, NULL, NULL,
                                       softmax_ce_defaults};
    return gs_validate_run(&io, operands, noperands, o, check_softmax_ce);
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
static int check_optim(const void *list, size_t count, const gs_validate_opts_t *o, gs_validate_summary_t *sum)
{
    gs_optim_impl_t impls[GS_ISA_COUNT];
    gs_isa_t isas[GS_ISA_COUNT];
    size_t n = 0;
    for (int i = 0, ni = gs_validate_isas(&o->common, isas); i < ni; i++)
        impls[n++] = gs_optim_impl_for_isa(isas[i]);
    return gs_validate_optim(list, count, impls, n, (uint64_t)o->seed, stdout, sum);
}

int gs_validate_op_optim(char **operands, int noperands, const gs_validate_opts_t *o)
{
    static const gs_problem_io_t io = {sizeof(gs_optim_problem_t), NULL, optim_parse, optim_read, optim_defaults};
    return gs_validate_run(&io, operands, noperands, o, check_optim);
}
