/* Machine topology from hwloc (packages, cores, PUs, caches, NUMA) and one-OpenMP-thread-per-core binding. */
#ifndef GS_TOPO_H
#define GS_TOPO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* What the process may use: a `taskset` or cgroup set of CPUs cuts the topology down to its
 * cores (machine_pus keeps the whole machine's count). */
typedef struct {
    int packages, cores, pus, numa_nodes;
    int machine_pus;  /* PUs of the whole machine, restricted or not */
    char cpuset[128]; /* the PUs in use as a list, e.g. "0-15" or "4-7" */
    size_t l1d_bytes, l2_bytes, l3_bytes; /* per instance; 0 when hwloc does not know */
    int cores_per_l2, cores_per_l3;       /* how many cores share one instance */
} gs_topo_t;

/* Loads the hwloc topology once. Later calls return the cached result. */
gs_status_t gs_topo_init(void);

/* The topology; valid after gs_topo_init() (falls back to sane defaults if hwloc failed). */
const gs_topo_t *gs_topo(void);

/* One core's share of its L2 in bytes (0 when hwloc does not know the L2). */
static inline double gs_topo_l2_per_core(const gs_topo_t *t)
{
    return (double)t->l2_bytes / (t->cores_per_l2 > 0 ? t->cores_per_l2 : 1);
}

/* Gives the calling thread the CPU set the process started with, so that a child process it starts
 * gets that set rather than the bound thread's one core. False if it could not be read or set. */
bool gs_topo_set_start_affinity(void);

/* Sets the OpenMP thread count (0 = one per physical core) and binds thread i to core i
 * (to PU i mod PUs when oversubscribed). GS_EINVAL for n < 0. */
gs_status_t gs_threads_init(int n);

/* The thread count chosen by gs_threads_init (1 before it ran). */
int gs_threads(void);

/* Human-readable binding, e.g. "t0->core0(PU0) t1->core1(PU1)"; "unbound" if binding failed. */
const char *gs_binding_str(void);

#endif
