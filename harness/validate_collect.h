/* The problem list of one `gradscope validate <op>` run, for any op's problem-string table. */
#ifndef GS_VALIDATE_COLLECT_H
#define GS_VALIDATE_COLLECT_H

#include <stddef.h>

#include "harness/problem.h"
#include "harness/validate_ops.h"

/* The command line's problem strings, then each --shapes file's, or, when neither gives any, the
 * op's built-in strings. *list is a malloc'd array of d->size-byte problems (caller frees). Prints
 * the error and returns GS_EXIT_USAGE for a bad string or file, GS_EXIT_FAIL when out of memory. */
int gs_validate_collect(const gs_problem_desc_t *d, char **operands, int noperands, const gs_validate_opts_t *o,
                        const char *const *defaults, size_t ndefaults, void **list, size_t *count);

#endif
