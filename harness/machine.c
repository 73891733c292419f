/* Machine description for `gradscope info` and result metadata. */
#include "harness/machine.h"

#include <hwloc.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>

#include "core/cpu.h"
#include "core/dispatch.h"
#include "core/topo.h"
#include "kernels/gemm/gemm.h"

static const char *onednn_version(void)
{
    static char buf[32];
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, sizeof buf, "%d.%d.%d", v->major, v->minor, v->patch);
    return buf;
}

static const char *hwloc_version(void)
{
    static char buf[32];
    unsigned v = hwloc_get_api_version();
    snprintf(buf, sizeof buf, "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
    return buf;
}

static cJSON *peak_json(const gs_peak_t *p)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *fl = cJSON_AddObjectToObject(j, "fma_gflops");
    for (int isa = 0; isa < GS_ISA_COUNT; isa++) {
        if (!gs_isa_supported((gs_isa_t)isa))
            continue;
        cJSON *e = cJSON_AddObjectToObject(fl, gs_isa_name((gs_isa_t)isa));
        cJSON_AddNumberToObject(e, "threads_1", p->gflops[isa][0]);
        cJSON_AddNumberToObject(e, "threads_all", p->gflops[isa][1]);
    }
    cJSON *tr = cJSON_AddObjectToObject(j, "triad_gbs");
    cJSON_AddNumberToObject(tr, "threads_1", p->triad_gbs[0]);
    cJSON_AddNumberToObject(tr, "threads_all", p->triad_gbs[1]);
    cJSON_AddNumberToObject(j, "threads_all", p->threads);
    cJSON_AddNumberToObject(j, "triad_array_mib", p->triad_array_mib);
    return j;
}

cJSON *gs_machine_json(const gs_peak_t *peak)
{
    const gs_cpu_t *c = gs_cpu();
    const gs_topo_t *t = gs_topo();
    cJSON *j = cJSON_CreateObject();
    cJSON *cpu = cJSON_AddObjectToObject(j, "cpu");
    cJSON_AddStringToObject(cpu, "model", c->brand);
    cJSON_AddStringToObject(cpu, "vendor", c->vendor);
    cJSON_AddNumberToObject(cpu, "family", c->family);
    cJSON_AddNumberToObject(cpu, "model_id", c->model);
    cJSON_AddStringToObject(cpu, "isa_available", gs_isa_available_str());
    cJSON_AddStringToObject(cpu, "isa_best", gs_isa_name(gs_isa_best()));
    cJSON *sel = cJSON_AddObjectToObject(j, "selected");
    cJSON_AddStringToObject(sel, "impl", gs_kern.impl_name);
    cJSON_AddStringToObject(sel, "isa", gs_kern.isa_name);
    cJSON_AddNumberToObject(sel, "threads", gs_threads());
    cJSON_AddStringToObject(sel, "binding", gs_binding_str());
    cJSON *topo = cJSON_AddObjectToObject(j, "topology");
    cJSON_AddNumberToObject(topo, "packages", t->packages);
    cJSON_AddNumberToObject(topo, "cores", t->cores);
    cJSON_AddNumberToObject(topo, "pus", t->pus);
    cJSON_AddNumberToObject(topo, "numa_nodes", t->numa_nodes);
    cJSON_AddStringToObject(topo, "cpuset", t->cpuset);
    cJSON_AddNumberToObject(topo, "machine_pus", t->machine_pus);
    cJSON_AddNumberToObject(topo, "l1d_bytes", (double)t->l1d_bytes);
    cJSON_AddNumberToObject(topo, "l2_bytes", (double)t->l2_bytes);
    cJSON_AddNumberToObject(topo, "l3_bytes", (double)t->l3_bytes);
    cJSON_AddNumberToObject(topo, "cores_per_l2", t->cores_per_l2);
    cJSON_AddNumberToObject(topo, "cores_per_l3", t->cores_per_l3);
    cJSON *blocking = cJSON_AddObjectToObject(j, "gemm_blocking");
    for (int isa = GS_ISA_AVX2; isa < GS_ISA_COUNT; isa++) { /* the scalar oracle does not block */
        gs_gemm_plan_t g;
        if (!gs_isa_supported((gs_isa_t)isa) || gs_gemm_plan((gs_isa_t)isa, &g) != GS_OK)
            continue;
        cJSON *b = cJSON_AddObjectToObject(blocking, gs_isa_name((gs_isa_t)isa));
        cJSON_AddNumberToObject(b, "mr", g.mr);
        cJSON_AddNumberToObject(b, "nr", g.nr);
        cJSON_AddNumberToObject(b, "kc", (double)g.kc);
        cJSON_AddNumberToObject(b, "mc", (double)g.mc);
        cJSON_AddNumberToObject(b, "nc", (double)g.nc);
    }
    if (peak)
        cJSON_AddItemToObject(j, "peak", peak_json(peak));
    cJSON *ver = cJSON_AddObjectToObject(j, "versions");
    cJSON_AddStringToObject(ver, "gradscope", GS_VERSION);
    cJSON_AddStringToObject(ver, "compiler", "gcc " __VERSION__);
    cJSON_AddStringToObject(ver, "onednn", onednn_version());
    cJSON_AddStringToObject(ver, "hwloc", hwloc_version());
    return j;
}

static void print_size(const char *name, size_t bytes, int shared_by)
{
    if (!bytes)
        printf("  %-4s unknown\n", name);
    else if (bytes >= (1u << 20))
        printf("  %-4s %zu MiB (shared by %d core%s)\n", name, bytes >> 20, shared_by, shared_by > 1 ? "s" : "");
    else
        printf("  %-4s %zu KiB (shared by %d core%s)\n", name, bytes >> 10, shared_by, shared_by > 1 ? "s" : "");
}

void gs_machine_print(const gs_peak_t *peak)
{
    const gs_cpu_t *c = gs_cpu();
    const gs_topo_t *t = gs_topo();
    printf("CPU        %s (%s family %d model %d)\n", c->brand, c->vendor, c->family, c->model);
    printf("ISA        available: %s; selected: %s (%s)\n", gs_isa_available_str(), gs_kern.isa_name,
           gs_kern.impl_name);
    printf("topology   %d package(s), %d core(s), %d PU(s), %d NUMA node(s)", t->packages, t->cores, t->pus,
           t->numa_nodes);
    if (t->pus < t->machine_pus) /* a taskset or cgroup set: the counts above are what this process may use */
        printf(": PUs %s of the machine's %d", t->cpuset, t->machine_pus);
    printf("\n");
    printf("caches\n");
    print_size("L1d", t->l1d_bytes, 1);
    print_size("L2", t->l2_bytes, t->cores_per_l2);
    print_size("L3", t->l3_bytes, t->cores_per_l3);
    const char *head = "gemm";
    for (int isa = GS_ISA_AVX2; isa < GS_ISA_COUNT; isa++) { /* the scalar oracle does not block */
        gs_gemm_plan_t g;
        if (!gs_isa_supported((gs_isa_t)isa) || gs_gemm_plan((gs_isa_t)isa, &g) != GS_OK)
            continue;
        printf("%-10s %s: %dx%d tiles, KC %ld, MC %ld, NC %ld%s\n", head, gs_isa_name((gs_isa_t)isa), g.mr, g.nr,
               g.kc, g.mc, g.nc, *head ? " (from the caches above; KC >= 1024 where B is read in place)" : "");
        head = "";
    }
    printf("threads    %d, binding %s\n", gs_threads(), gs_binding_str());
    printf("versions   gradscope %s, oneDNN %s, hwloc %s, gcc %s\n", GS_VERSION, onednn_version(), hwloc_version(),
           __VERSION__);
    if (!peak)
        return;
    printf("measured FP32 peak (GFLOP/s)      1 thread   %d threads\n", peak->threads);
    for (int isa = 0; isa < GS_ISA_COUNT; isa++)
        if (gs_isa_supported((gs_isa_t)isa))
            printf("  %-8s%s %10.1f %12.1f\n", gs_isa_name((gs_isa_t)isa),
                   isa == GS_ISA_SCALAR ? " (SSE2 mul+add)" : (isa == GS_ISA_AVX2 ? " (256-bit FMA) " : " (512-bit FMA) "),
                   peak->gflops[isa][0], peak->gflops[isa][1]);
    printf("measured triad bandwidth (GB/s)   %10.1f %12.1f   (3 x %.0f MiB arrays)\n", peak->triad_gbs[0],
           peak->triad_gbs[1], peak->triad_array_mib);
}
