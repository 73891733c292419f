/* hwloc topology discovery and thread binding. */
#define _GNU_SOURCE /* cpu_set_t, sched_getaffinity: hwloc's glibc-sched.h needs them too */
#include "core/topo.h"

#include <errno.h>
#include <hwloc.h>
#include <hwloc/glibc-sched.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

static hwloc_topology_t topology;
static bool topo_loaded;
static gs_topo_t topo = {
    /* Defaults used only if hwloc cannot load: a plausible small x86 core. */
    .packages = 1, .cores = 1, .pus = 1, .numa_nodes = 1,
    .l1d_bytes = 32 * 1024, .l2_bytes = 512 * 1024, .l3_bytes = 8 * 1024 * 1024,
    .cores_per_l2 = 1, .cores_per_l3 = 1,
};
static int nthreads = 1;
static char binding[1024] = "unbound";
static cpu_set_t start_affinity; /* the CPUs the process was started on (taskset, cgroups, ctest) */
static bool have_start_affinity;

static int count_type(hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_by_type(topology, type);
    return n > 0 ? n : 0;
}

/* Size of the first cache of `type` and how many cores sit below one instance of it. */
static void cache_info(hwloc_obj_type_t type, size_t *bytes, int *cores_below)
{
    hwloc_obj_t obj = hwloc_get_obj_by_type(topology, type, 0);
    if (!obj || !obj->attr)
        return;
    *bytes = obj->attr->cache.size;
    if (cores_below) {
        int n = hwloc_get_nbobjs_inside_cpuset_by_type(topology, obj->cpuset, HWLOC_OBJ_CORE);
        *cores_below = n > 0 ? n : 1;
    }
}

/* Cuts the topology down to the CPUs the process may run on when it starts, before any binding
 * narrows the main thread: the default thread count (one per core) and the binding then stay
 * inside a `taskset` or a ctest PROCESSOR_AFFINITY set instead of piling onto cores 0..n-1 that
 * other processes were given. Returns hwloc_topology_restrict's -1 (errno set) on failure. */
static int restrict_to_start_affinity(void)
{
    if (sched_getaffinity(0, sizeof start_affinity, &start_affinity) != 0)
        return 0;
    have_start_affinity = true;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    int rc = 0;
    if (set && hwloc_cpuset_from_glibc_sched_affinity(topology, set, &start_affinity, sizeof start_affinity) == 0 &&
        hwloc_bitmap_intersects(set, hwloc_topology_get_topology_cpuset(topology)) &&
        !hwloc_bitmap_isincluded(hwloc_topology_get_topology_cpuset(topology), set))
        rc = hwloc_topology_restrict(topology, set, HWLOC_RESTRICT_FLAG_REMOVE_CPULESS);
    hwloc_bitmap_free(set);
    return rc;
}

bool gs_topo_set_start_affinity(void)
{
    return gs_topo_init() == GS_OK && have_start_affinity &&
           sched_setaffinity(0, sizeof start_affinity, &start_affinity) == 0;
}

gs_status_t gs_topo_init(void)
{
    if (topo_loaded)
        return GS_OK;
    if (hwloc_topology_init(&topology) != 0)
        return gs_error(GS_EBACKEND, "hwloc_topology_init failed");
    if (hwloc_topology_load(topology) != 0) {
        hwloc_topology_destroy(topology);
        return gs_error(GS_EBACKEND, "hwloc_topology_load failed");
    }
    topo.machine_pus = count_type(HWLOC_OBJ_PU);
    if (restrict_to_start_affinity() != 0) {
        hwloc_topology_destroy(topology); /* hwloc reinitialized it: unusable as loaded */
        return gs_error(GS_EBACKEND, "hwloc_topology_restrict failed: %s", strerror(errno));
    }
    hwloc_bitmap_list_snprintf(topo.cpuset, sizeof topo.cpuset, hwloc_topology_get_topology_cpuset(topology));
    topo_loaded = true;
    topo.packages = count_type(HWLOC_OBJ_PACKAGE) ? count_type(HWLOC_OBJ_PACKAGE) : 1;
    topo.cores = count_type(HWLOC_OBJ_CORE) ? count_type(HWLOC_OBJ_CORE) : 1;
    topo.pus = count_type(HWLOC_OBJ_PU) ? count_type(HWLOC_OBJ_PU) : topo.cores;
    topo.numa_nodes = count_type(HWLOC_OBJ_NUMANODE) ? count_type(HWLOC_OBJ_NUMANODE) : 1;
    cache_info(HWLOC_OBJ_L1CACHE, &topo.l1d_bytes, NULL);
    cache_info(HWLOC_OBJ_L2CACHE, &topo.l2_bytes, &topo.cores_per_l2);
    cache_info(HWLOC_OBJ_L3CACHE, &topo.l3_bytes, &topo.cores_per_l3);
    return GS_OK;
}

const gs_topo_t *gs_topo(void) { return &topo; }

int gs_threads(void) { return nthreads; }

const char *gs_binding_str(void) { return binding; }

/* Binds the calling thread to core `idx` (or PU idx mod PUs when there are more threads than
 * cores) and appends "tI->coreC(PUp)" to `out`. Returns false if hwloc refused. */
static bool bind_self(int tid, int n, char *out, size_t cap)
{
    hwloc_obj_t obj = n <= topo.cores ? hwloc_get_obj_by_type(topology, HWLOC_OBJ_CORE, (unsigned)tid)
                                      : hwloc_get_obj_by_type(topology, HWLOC_OBJ_PU, (unsigned)(tid % topo.pus));
    if (!obj)
        return false;
    if (hwloc_set_cpubind(topology, obj->cpuset, HWLOC_CPUBIND_THREAD) != 0)
        return false;
    char pus[64];
    hwloc_bitmap_list_snprintf(pus, sizeof pus, obj->cpuset);
    snprintf(out, cap, "t%d->%s%u(PU%s)", tid, obj->type == HWLOC_OBJ_CORE ? "core" : "pu",
             obj->logical_index, pus);
    return true;
}

gs_status_t gs_threads_init(int n)
{
    if (n < 0)
        return gs_error(GS_EINVAL, "threads: %d, expected >= 1 (or 0 for one per core)", n);
    gs_status_t st = gs_topo_init();
    if (n == 0)
        n = topo.cores;
    nthreads = n;
    omp_set_dynamic(0);
    omp_set_num_threads(n);
    if (st != GS_OK)
        return GS_OK; /* without hwloc we still run, just unbound */

    char parts[n][96];
    int bound = 0;
#pragma omp parallel num_threads(n) reduction(+ : bound)
    bound += bind_self(omp_get_thread_num(), n, parts[omp_get_thread_num()], sizeof parts[0]);
    if (bound != n) {
        snprintf(binding, sizeof binding, "unbound (hwloc bound %d of %d threads)", bound, n);
        return GS_OK;
    }
    binding[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t len = strlen(binding);
        if (len + strlen(parts[i]) + 2 >= sizeof binding) {
            strcat(binding, " ...");
            break;
        }
        snprintf(binding + len, sizeof binding - len, "%s%s", i ? " " : "", parts[i]);
    }
    return GS_OK;
}
