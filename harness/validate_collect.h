/* What every `gradscope validate <op>` shares: the problem list (command line, shape files or the
 * op's built-in list), the ISAs the options select, and the collect / set up / check / free run. */
#ifndef GS_VALIDATE_COLLECT_H
#define GS_VALIDATE_COLLECT_H

#include <stddef.h>

#include "core/cpu.h"
#include "harness/problem.h"
#include "harness/validate_ops.h"
#include "harness/validate_record.h"

/* How one op reads its problems: through its problem-string table `desc` (gs_problem_parse and
 * gs_problem_read_file), or, where it has none (NULL), its own parse and read; the list functions
 * fill a malloc'd array of `size`-byte items. */
typedef struct {
    size_t size;
    const gs_problem_desc_t *desc;
    gs_status_t (*parse)(const char *s, void *out);
    gs_status_t (*read)(const char *path, void **list, size_t *count);
    gs_status_t (*defaults)(void **list, size_t *count);
} gs_problem_io_t;

/* The command line's problem strings, then each --shapes file's, or, when neither gives any, the
 * op's built-in list. *list is malloc'd (caller frees). Prints the error and returns GS_EXIT_USAGE
 * for a bad string or file, GS_EXIT_FAIL when out of memory or the built-in list fails. */
int gs_validate_collect(const gs_problem_io_t *io, char **operands, int noperands, const gs_validate_opts_t *o,
                        void **list, size_t *count);

/* The ISAs to check: the one --isa forced, or every one this CPU runs. Returns how many. */
int gs_validate_isas(const gs_cli_common_t *c, gs_isa_t isas[GS_ISA_COUNT]);

/* Checks `count` problems with the implementations the options select; returns the failures. */
typedef int gs_validate_check_fn(const void *list, size_t count, const gs_validate_opts_t *o,
                                 gs_validate_summary_t *sum);

/* One op's whole `validate` run: collect the problems, set up the run time (gs_cli_setup), check,
 * free. Returns GS_EXIT_OK, GS_EXIT_FAIL or GS_EXIT_USAGE as gs_validate_op_fn does. */
int gs_validate_run(const gs_problem_io_t *io, char **operands, int noperands, const gs_validate_opts_t *o,
                    gs_validate_check_fn *check);

#endif
