/* The ops `gradscope validate` can check: each is one function over problem strings, sharing options. */
#ifndef GS_VALIDATE_OPS_H
#define GS_VALIDATE_OPS_H

#include <stdio.h>

#include "harness/cli.h"

/* Options every op's validation shares (parsed by cmd_validate.c). */
typedef struct {
    gs_cli_common_t common;
    const char **shapes; /* --shapes files, in the order given */
    int nshapes;
    long seed;
    FILE *csv;           /* --csv: every case also as a row here (validate_record.h); NULL: none */
} gs_validate_opts_t;

/* Validates one op on the problem strings given (or, with none and no --shapes, its built-in list)
 * for every implementation the options select, printing one parsable line per case; returns
 * GS_EXIT_OK, GS_EXIT_FAIL (some case failed) or GS_EXIT_USAGE (bad problem, file or ISA). Runs the
 * run-time set-up (gs_cli_setup) itself. */
typedef int gs_validate_op_fn(char **problems, int nproblems, const gs_validate_opts_t *o);

/* "gemm, conv, ..., all": for messages. */
const char *gs_validate_op_names(void);

gs_validate_op_fn gs_validate_op_gemm;
gs_validate_op_fn gs_validate_op_conv;
gs_validate_op_fn gs_validate_op_act;
gs_validate_op_fn gs_validate_op_softmax_ce;
gs_validate_op_fn gs_validate_op_optim;

gs_validate_op_fn gs_validate_op_pool;
gs_validate_op_fn gs_validate_op_bn;

#endif
