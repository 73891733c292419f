/* GEMM validation driver: runs named implementations against oneDNN and the scalar oracle on exact-sum inputs. */
#ifndef GS_VALIDATE_GEMM_H
#define GS_VALIDATE_GEMM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/problem.h"
#include "harness/validate_record.h"
#include "kernels/gemm/gemm.h"

/* The seed the CLI uses unless --seed says otherwise (the scenarios' default seed). */
#define GS_VALIDATE_SEED_DEFAULT 42

/* One implementation under test: a name for the report ("avx2") and its function. */
typedef struct {
    const char *name;
    gs_gemm_fn *fn;
} gs_gemm_impl_t;

/* Runs every implementation on every problem, prints one parsable line per (problem, impl) to
 * `out` (plus a header naming the seed, and a summary), adds the counts to *sum when non-NULL (and
 * writes each case to sum->csv when that is set: validate_record.h) and
 * returns the number of failures. A case fails when it disagrees with oneDNN or with gs_gemm_ref
 * beyond the threshold, writes outside C's m x n elements, writes into A or B, or returns an error;
 * it is MISTRUSTED (reported, not a failure) when too many outputs are zero to prove much. */
int gs_validate_gemm(const gs_gemm_problem_t *problems, size_t nproblems, const gs_gemm_impl_t *impls,
                     size_t nimpls, uint64_t seed, FILE *out, gs_validate_summary_t *sum);

/* The built-in problem lists: the MLP shapes of SCENARIOS.md (batch 64 and 256) and edge shapes
 * (empty and 1-sized dimensions, primes, partial micro-tiles, every transpose, scaling, padding,
 * sizes past the cache blocks). tests/inputs/gemm/shapes_mlp and shapes_edge hold the same lists. */
extern const char *const gs_gemm_shapes_mlp[];
extern const size_t gs_gemm_shapes_mlp_count;
extern const char *const gs_gemm_shapes_edge[];
extern const size_t gs_gemm_shapes_edge_count;

/* Parses a list of problem strings into a malloc'd array (caller frees). */
gs_status_t gs_gemm_problems_parse_list(const char *const *strings, size_t n, gs_gemm_problem_t **list,
                                        size_t *count);

/* The MLP list followed by the edge list, parsed. */
gs_status_t gs_gemm_problems_default(gs_gemm_problem_t **list, size_t *count);

#endif
