/* `gradscope validate conv [PROBLEM...] [--shapes FILE]`: problems from the command line, shape
 * files or the built-in list, the implementations the options select, and validate_conv.c. */
#include "harness/validate_collect.h"
#include "harness/validate_conv.h"
#include "harness/validate_ops.h"

static gs_status_t conv_defaults(void **list, size_t *count)
{
    return gs_conv_problems_default((gs_conv_problem_t **)list, count);
}

/* oneDNN itself with --impl onednn (then checked against the oracle), the ISA --isa forced
 * (scalar: the oracle against oneDNN), or every vector ISA this CPU runs (the scalar kernel only
 * where there is none: it is the oracle's own loop nest). */
static int check(const void *list, size_t count, const gs_validate_opts_t *o, gs_validate_summary_t *sum)
{
    gs_conv_impl_t impls[GS_ISA_COUNT];
    gs_isa_t isas[GS_ISA_COUNT];
    size_t n = 0;
    if (o->common.impl == GS_IMPL_ONEDNN) {
        impls[n++] = gs_conv_impl_onednn();
    } else {
        const int ni = gs_validate_isas(&o->common, isas);
        for (int i = 0; i < ni; i++)
            if (isas[i] != GS_ISA_SCALAR || o->common.isa >= 0)
                impls[n++] = gs_conv_impl_for_isa(isas[i]);
        if (n == 0)
            impls[n++] = gs_conv_impl_for_isa(GS_ISA_SCALAR);
    }
    return gs_validate_conv(list, count, impls, n, (uint64_t)o->seed, stdout, sum);
}

int gs_validate_op_conv(char **operands, int noperands, const gs_validate_opts_t *o)
{
    static const gs_problem_io_t io = {sizeof(gs_conv_problem_t), &gs_conv_problem_desc, NULL, NULL, conv_defaults};
    return gs_validate_run(&io, operands, noperands, o, check);
}
