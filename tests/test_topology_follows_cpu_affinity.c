/* Proves the topology and the thread binding stay inside the CPU set the process starts on (as
 * under taskset or ctest's PROCESSOR_AFFINITY): one allowed CPU gives one core, one default thread,
 * and every bound thread on that CPU; a thread can hand the start set back for child processes. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "core/topo.h"
#include "test_util.h"

/* The highest CPU of the set: not CPU 0, where an unrestricted binding would land anyway. */
static int last_cpu(const cpu_set_t *set)
{
    for (int c = CPU_SETSIZE - 1; c >= 0; c--)
        if (CPU_ISSET(c, set))
            return c;
    return -1;
}

int main(void)
{
    cpu_set_t all, one;
    if (!gs_check(sched_getaffinity(0, sizeof all, &all) == 0, "sched_getaffinity reads this process's CPUs"))
        return gs_test_done("test_topology_follows_cpu_affinity");
    const int cpu = last_cpu(&all);
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (!gs_check(sched_setaffinity(0, sizeof one, &one) == 0, "the process is pinned to CPU %d", cpu))
        return gs_test_done("test_topology_follows_cpu_affinity");

    gs_status_t st = gs_topo_init();
    const gs_topo_t *t = gs_topo();
    char want[16];
    snprintf(want, sizeof want, "%d", cpu);
    gs_check(st == GS_OK && t->cores == 1 && t->pus == 1 && strcmp(t->cpuset, want) == 0,
             "the topology is cut to CPU %d: %d core(s), %d PU(s), cpuset \"%s\" (machine: %d PUs)", cpu, t->cores,
             t->pus, t->cpuset, t->machine_pus);
    gs_check(t->machine_pus >= CPU_COUNT(&all), "machine_pus (%d) still counts the whole machine (>= %d)",
             t->machine_pus, CPU_COUNT(&all));

    gs_check(gs_threads_init(0) == GS_OK && gs_threads() == 1, "the default is one thread per allowed core: %d",
             gs_threads());
    char pu[32];
    snprintf(pu, sizeof pu, "(PU%d)", cpu);
    gs_threads_init(3);
    const char *b = gs_binding_str();
    int on_cpu = 0;
    for (const char *p = strstr(b, pu); p; p = strstr(p + 1, pu))
        on_cpu++;
    gs_check(on_cpu == 3, "3 threads are all bound to CPU %d: %s", cpu, b);

    cpu_set_t back;
    gs_check(gs_topo_set_start_affinity() && sched_getaffinity(0, sizeof back, &back) == 0 && CPU_EQUAL(&back, &one),
             "gs_topo_set_start_affinity gives the calling thread the start set back");
    return gs_test_done("test_topology_follows_cpu_affinity");
}
