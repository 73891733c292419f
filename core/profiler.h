/* Per-kernel profiler: every dispatched kernel call can record its name, implementation, ISA,
 * shape, time, FLOPs and bytes. Off by default; when off a call costs one predictable branch. */
#ifndef GS_PROFILER_H
#define GS_PROFILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

extern bool gs_prof_on;

static inline bool gs_prof_active(void) { return __builtin_expect(gs_prof_on, 0); }

void gs_prof_enable(bool on);

/* Adds one call. Thread-safe. `shape` is a short problem string (e.g. "m64n128k784ta0tb1"). */
void gs_prof_record(const char *kernel, const char *impl, const char *isa, const char *shape,
                    uint64_t ns, double flops, double bytes);

/* Forgets every recorded call. */
void gs_prof_reset(void);

/* One row of the profile: all calls with the same kernel, impl, ISA and shape. */
typedef struct {
    char kernel[32], impl[16], isa[24], shape[96]; /* isa fits oneDNN's "avx512_core_bf16" */
    uint64_t calls;
    double total_s, median_s, min_s;
    double flops, bytes; /* per call */
} gs_prof_entry_t;

/* Copies the profile, sorted by total time (largest first), into a malloc'd array the caller
 * frees; returns the number of rows (0 with *rows == NULL when empty). */
size_t gs_prof_snapshot(gs_prof_entry_t **rows);

/* Writes the profile as CSV; `peak_gflops` and `peak_gbs` (measured machine peaks; 0 = unknown)
 * give the % of peak columns. */
gs_status_t gs_prof_write_csv(const char *path, double peak_gflops, double peak_gbs);

#endif
