/* Common option handling and run-time set-up for the subcommands. */
#include "harness/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/topo.h"

bool gs_cli_parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

void gs_cli_error(const char *cmd, gs_status_t st, const char *what)
{
    const char *detail = gs_error_detail();
    fprintf(stderr, "gradscope %s: %s: %s\n", cmd, what, detail[0] ? detail : gs_status_str(st));
}

bool gs_cli_common_opt(int code, const char *arg, gs_cli_common_t *o, int *exit_code)
{
    long v;
    gs_isa_t isa;
    switch (code) {
    case GS_OPT_ISA:
        if (gs_isa_parse(arg, &isa) != GS_OK) {
            fprintf(stderr, "gradscope: --isa: %s\n", gs_error_detail());
            *exit_code = GS_EXIT_USAGE;
        } else {
            o->isa = (int)isa;
        }
        return true;
    case GS_OPT_IMPL:
        if (gs_impl_parse(arg, &o->impl) != GS_OK) {
            fprintf(stderr, "gradscope: --impl: %s\n", gs_error_detail());
            *exit_code = GS_EXIT_USAGE;
        }
        return true;
    case GS_OPT_THREADS:
        if (!gs_cli_parse_int(arg, 1, 4096, &v)) {
            fprintf(stderr, "gradscope: --threads: '%s' is not a thread count (expected 1..4096)\n", arg);
            *exit_code = GS_EXIT_USAGE;
        } else {
            o->threads = (int)v;
        }
        return true;
    default:
        return false;
    }
}

int gs_cli_setup(const gs_cli_common_t *o)
{
    gs_status_t st = gs_dispatch_init(o->impl, o->isa);
    if (st != GS_OK) {
        fprintf(stderr, "gradscope: %s\n", gs_error_detail());
        return GS_EXIT_USAGE;
    }
    /* hwloc failing is not fatal: say so, then run unbound on the default cache sizes. */
    if (gs_topo_init() != GS_OK)
        fprintf(stderr, "gradscope: warning: %s: threads run unbound, block sizes from default cache sizes\n",
                gs_error_detail());
    st = gs_threads_init(o->threads);
    if (st != GS_OK) {
        fprintf(stderr, "gradscope: %s\n", gs_error_detail());
        return GS_EXIT_USAGE;
    }
    if (strncmp(gs_binding_str(), "unbound (", 9) == 0)
        fprintf(stderr, "gradscope: warning: %s\n", gs_binding_str());
    return GS_EXIT_OK;
}
