/* Proves gs_dispatch_init puts each supported ISA's GEMM in the table, and refuses a missing ISA with GS_EUNSUPPORTED naming it, leaving the table as it was. */
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/dispatch.h"
#include "test_util.h"

static gs_gemm_fn *expected_gemm(gs_isa_t isa)
{
    switch (isa) {
    case GS_ISA_SCALAR: return gs_gemm_ref;
    case GS_ISA_AVX2: return gs_gemm_avx2;
    case GS_ISA_AVX512: return gs_gemm_avx512;
    default: return NULL;
    }
}

static void check_supported(void)
{
    for (int i = 0; i < GS_ISA_COUNT; i++) {
        gs_isa_t isa = (gs_isa_t)i;
        if (!gs_isa_supported(isa)) {
            printf("# %s: not supported by this CPU, forcing it is checked below\n", gs_isa_name(isa));
            continue;
        }
        gs_status_t st = gs_dispatch_init(GS_IMPL_NATIVE, i);
        gs_check(st == GS_OK && gs_kern.gemm == expected_gemm(isa) && gs_kern.isa == isa &&
                     strcmp(gs_kern.isa_name, gs_isa_name(isa)) == 0 && strcmp(gs_kern.impl_name, "native") == 0,
                 "--isa %s puts gs_gemm_%s in the table", gs_isa_name(isa), isa == GS_ISA_SCALAR ? "ref" : gs_isa_name(isa));
    }
    gs_status_t st = gs_dispatch_init(GS_IMPL_NATIVE, -1);
    gs_check(st == GS_OK && gs_kern.isa == gs_isa_best() && gs_kern.gemm == expected_gemm(gs_isa_best()),
             "no --isa picks the widest supported ISA (%s)", gs_isa_name(gs_isa_best()));
    st = gs_dispatch_init(GS_IMPL_ONEDNN, -1);
    gs_check(st == GS_OK && gs_kern.gemm == gs_gemm_onednn && strcmp(gs_kern.impl_name, "onednn") == 0,
             "--impl onednn puts gs_gemm_onednn in the table (oneDNN ISA %s)", gs_kern.isa_name);
    st = gs_dispatch_init(GS_IMPL_NATIVE, GS_ISA_COUNT);
    gs_check(st == GS_EINVAL, "an ISA index past the table is GS_EINVAL");
}

/* Forcing `isa` must fail cleanly: GS_EUNSUPPORTED, a message naming it, the old table kept. */
static void check_refused(gs_isa_t isa, const char *why)
{
    gs_dispatch_init(GS_IMPL_NATIVE, GS_ISA_SCALAR);
    gs_dispatch_t before = gs_kern;
    gs_status_t st = gs_dispatch_init(GS_IMPL_NATIVE, isa);
    const char *msg = gs_error_detail();
    gs_check(st == GS_EUNSUPPORTED && strstr(msg, gs_isa_name(isa)), "%s: --isa %s -> GS_EUNSUPPORTED: %s", why,
             gs_isa_name(isa), msg);
    gs_check(memcmp(&before, &gs_kern, sizeof before) == 0, "%s: the table is unchanged after the refusal", why);
    gs_check(gs_gemm_for_isa(isa) == NULL, "%s: gs_gemm_for_isa(%s) is NULL", why, gs_isa_name(isa));
}

int main(void)
{
    check_supported();
    if (!gs_isa_supported(GS_ISA_AVX512))
        check_refused(GS_ISA_AVX512, "this CPU lacks AVX-512");
    /* Hide ISAs the CPU may have, as a user would with GS_CPU_DISABLE. */
    setenv("GS_CPU_DISABLE", "avx512", 1);
    gs_check(!gs_isa_supported(GS_ISA_AVX512), "GS_CPU_DISABLE=avx512 hides AVX-512");
    check_refused(GS_ISA_AVX512, "GS_CPU_DISABLE=avx512");
    gs_check(gs_dispatch_init(GS_IMPL_NATIVE, -1) == GS_OK && gs_kern.isa != GS_ISA_AVX512,
             "with AVX-512 hidden the default falls back to %s", gs_isa_name(gs_kern.isa));
    setenv("GS_CPU_DISABLE", "avx2", 1);
    check_refused(GS_ISA_AVX2, "GS_CPU_DISABLE=avx2");
    check_refused(GS_ISA_AVX512, "GS_CPU_DISABLE=avx2 (AVX-512 kernels need AVX2 too)");
    gs_check(gs_dispatch_init(GS_IMPL_NATIVE, GS_ISA_SCALAR) == GS_OK && gs_kern.gemm == gs_gemm_ref,
             "scalar can always be forced");
    unsetenv("GS_CPU_DISABLE");
    return gs_test_done("test_dispatch_forcing");
}
