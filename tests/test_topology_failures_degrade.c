/* Proves that when hwloc or the kernel refuses, gradscope says so and keeps working: a failed
 * hwloc_topology_restrict makes gs_topo_init return GS_EBACKEND naming it, the topology falls back
 * to its defaults, threads run unbound and a GEMM still computes the right numbers; the next
 * gs_topo_init tries again; a failed hwloc_set_cpubind leaves the threads unbound, reported as
 * such, not an error; a refused sched_setaffinity makes gs_topo_set_start_affinity return false.
 * Failures are provoked by wrapping those calls at link time (-Wl,--wrap), so the library carries
 * no test hook. */
#define _GNU_SOURCE
#include <errno.h>
#include <hwloc.h>
#include <math.h>
#include <sched.h>
#include <string.h>

#include "core/mem.h"
#include "core/topo.h"
#include "kernels/gemm/gemm.h"
#include "test_util.h"

int __real_hwloc_topology_restrict(hwloc_topology_t topology, hwloc_const_cpuset_t set, unsigned long flags);
int __real_hwloc_set_cpubind(hwloc_topology_t topology, hwloc_const_cpuset_t set, int flags);
int __real_sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set);

static bool fail_restrict, fail_cpubind, fail_setaffinity;

int __wrap_sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set)
{
    if (fail_setaffinity) {
        errno = EPERM;
        return -1;
    }
    return __real_sched_setaffinity(pid, size, set);
}

int __wrap_hwloc_topology_restrict(hwloc_topology_t topology, hwloc_const_cpuset_t set, unsigned long flags)
{
    if (fail_restrict) {
        errno = ENOMEM;
        return -1;
    }
    return __real_hwloc_topology_restrict(topology, set, flags);
}

int __wrap_hwloc_set_cpubind(hwloc_topology_t topology, hwloc_const_cpuset_t set, int flags)
{
    if (fail_cpubind) {
        errno = EPERM;
        return -1;
    }
    return __real_hwloc_set_cpubind(topology, set, flags);
}

/* C = A B for a 64 x 48 x 40 problem with exact sums, against the scalar oracle. */
static bool gemm_still_right(void)
{
    enum { M = 64, N = 48, K = 40 };
    float *a = gs_alloc(sizeof(float) * M * K), *b = gs_alloc(sizeof(float) * K * N);
    float *c = gs_alloc(sizeof(float) * M * N), *ref = gs_alloc(sizeof(float) * M * N);
    bool ok = a && b && c && ref;
    for (int i = 0; ok && i < M * K; i++)
        a[i] = (float)(i % 7 - 3);
    for (int i = 0; ok && i < K * N; i++)
        b[i] = (float)(i % 5 - 2);
    ok = ok && gs_gemm(false, false, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N) == GS_OK &&
         gs_gemm_with(gs_gemm_ref, false, false, M, N, K, 1.0f, a, K, b, N, 0.0f, ref, N) == GS_OK;
    for (int i = 0; ok && i < M * N; i++)
        ok = c[i] == ref[i];
    gs_free(a);
    gs_free(b);
    gs_free(c);
    gs_free(ref);
    return ok;
}

int main(void)
{
    cpu_set_t all, one;
    if (sched_getaffinity(0, sizeof all, &all) != 0 || CPU_COUNT(&all) < 2) {
        /* hwloc_topology_restrict runs only for a start set smaller than the machine */
        gs_check(true, "skipped: fewer than 2 CPUs to narrow the start set to one");
        return gs_test_done("test_topology_failures_degrade");
    }
    int cpu = 0;
    while (!CPU_ISSET(cpu, &all))
        cpu++;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (!gs_check(__real_sched_setaffinity(0, sizeof one, &one) == 0, "the process is pinned to CPU %d", cpu))
        return gs_test_done("test_topology_failures_degrade");

    fail_restrict = true;
    const gs_status_t st = gs_topo_init();
    gs_check(st == GS_EBACKEND && strstr(gs_error_detail(), "hwloc_topology_restrict"),
             "a failed restrict is reported: %s (\"%s\")", gs_status_str(st), gs_error_detail());
    const gs_topo_t *t = gs_topo();
    gs_check(t->cores >= 1 && t->l1d_bytes > 0 && t->l2_bytes > 0 && t->l3_bytes > 0,
             "the topology falls back to defaults: %d core(s), L1d %zu, L2 %zu, L3 %zu bytes", t->cores,
             t->l1d_bytes, t->l2_bytes, t->l3_bytes);
    gs_check(gs_threads_init(1) == GS_OK && gs_threads() == 1 && strstr(gs_binding_str(), "unbound"),
             "threads still start, unbound: \"%s\"", gs_binding_str());
    gs_check(gemm_still_right(), "a GEMM blocked by the default cache sizes matches the scalar oracle");

    fail_restrict = false;
    gs_check(gs_topo_init() == GS_OK && gs_topo()->cores == 1,
             "the next gs_topo_init loads the topology, cut to CPU %d: %d core(s)", cpu, gs_topo()->cores);

    fail_cpubind = true;
    gs_check(gs_threads_init(1) == GS_OK && strstr(gs_binding_str(), "unbound (hwloc bound 0 of 1"),
             "a refused binding leaves the thread unbound, said so: \"%s\"", gs_binding_str());
    fail_cpubind = false;
    gs_check(gs_threads_init(1) == GS_OK && strstr(gs_binding_str(), "t0->"),
             "binding works again once hwloc allows it: \"%s\"", gs_binding_str());
    gs_check(gemm_still_right(), "the GEMM matches the oracle with the loaded topology");

    /* Handing the start set back (for child processes) fails softly: false, the mask untouched. */
    fail_setaffinity = true;
    const bool widened = gs_topo_set_start_affinity();
    fail_setaffinity = false;
    gs_check(!widened, "a refused sched_setaffinity: gs_topo_set_start_affinity returns false");
    gs_check(gs_topo_set_start_affinity(), "allowed again, it returns true");
    return gs_test_done("test_topology_failures_degrade");
}
