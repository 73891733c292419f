/* Command-line plumbing shared by the subcommands: the common options (--isa, --impl, --threads),
 * exit codes, and the run-time set-up they imply. Each subcommand is `int gs_cmd_<name>(argc, argv)`
 * with argv[0] = the subcommand name, parsed with getopt_long. */
#ifndef GS_CLI_H
#define GS_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "core/dispatch.h"

enum { GS_EXIT_OK = 0, GS_EXIT_FAIL = 1, GS_EXIT_USAGE = 2 };

typedef struct {
    int isa;        /* -1: the widest the CPU supports */
    gs_impl_t impl; /* native (default) or onednn */
    int threads;    /* 0: one per physical core */
} gs_cli_common_t;

#define GS_CLI_COMMON_DEFAULTS {.isa = -1, .impl = GS_IMPL_NATIVE, .threads = 0}

/* getopt_long codes of the common options (long-only, above the char range). */
enum { GS_OPT_ISA = 0x100, GS_OPT_IMPL, GS_OPT_THREADS, GS_OPT_FIRST_FREE };

/* Splice into a subcommand's `struct option` array. */
#define GS_CLI_COMMON_LONGOPTS                                                                    \
    {"isa", required_argument, NULL, GS_OPT_ISA}, {"impl", required_argument, NULL, GS_OPT_IMPL},  \
        {"threads", required_argument, NULL, GS_OPT_THREADS}

/* Usage text of the common options, for a subcommand's --help. */
#define GS_CLI_COMMON_HELP                                                                        \
    "  --isa scalar|avx2|avx512  force the native kernels' instruction set (default: widest available)\n" \
    "  --impl native|onednn      kernel implementation (default: native)\n"                        \
    "  --threads N               OpenMP threads, one bound per core (default: physical cores)\n"

/* Handles one common option from getopt_long. Returns true if `code` was a common option; sets
 * *exit_code to GS_EXIT_USAGE (after printing why) when its value is bad. */
bool gs_cli_common_opt(int code, const char *arg, gs_cli_common_t *o, int *exit_code);

/* Topology, thread binding and the dispatch table for these options. Prints the error and returns
 * GS_EXIT_USAGE for an ISA the CPU lacks (exit 2, never SIGILL), else GS_EXIT_OK. */
int gs_cli_setup(const gs_cli_common_t *o);

/* Prints "gradscope <cmd>: <message>: <detail>" for a failed status. */
void gs_cli_error(const char *cmd, gs_status_t st, const char *what);

/* Parses a whole decimal integer in [lo, hi]; false (nothing printed) otherwise. */
bool gs_cli_parse_int(const char *s, long lo, long hi, long *out);

/* The subcommands. */
int gs_cmd_info(int argc, char **argv);
int gs_cmd_validate(int argc, char **argv);
int gs_cmd_bench(int argc, char **argv);
int gs_cmd_list(int argc, char **argv);
int gs_cmd_train(int argc, char **argv);
int gs_cmd_run_all(int argc, char **argv);
int gs_cmd_report(int argc, char **argv);

#endif
