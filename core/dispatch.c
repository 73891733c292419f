/* Dispatch table set-up. */
#include "core/dispatch.h"

#include <oneapi/dnnl/dnnl.h>
#include <string.h>

#include "core/topo.h"

gs_dispatch_t gs_kern = {
    .impl = GS_IMPL_NATIVE, .isa = GS_ISA_SCALAR, .impl_name = "native", .isa_name = "scalar",
    .gemm = gs_gemm_ref,
};

gs_gemm_fn *gs_gemm_for_isa(gs_isa_t isa)
{
    if (!gs_isa_supported(isa))
        return NULL;
    switch (isa) {
    case GS_ISA_SCALAR:
        return gs_gemm_ref;
    case GS_ISA_AVX2:
        return gs_gemm_avx2;
    case GS_ISA_AVX512:
        return gs_gemm_avx512;
    default:
        return NULL;
    }
}

static const char *onednn_isa_name(void)
{
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    default: return "jit";
    }
}

/* The native kernel of `isa` among an op's per-ISA variants. */
#define PICK_NATIVE(isa, ref, avx2, avx512) ((isa) == GS_ISA_AVX512 ? (avx512) : (isa) == GS_ISA_AVX2 ? (avx2) : (ref))

/* The same, or oneDNN's under --impl onednn. Ops oneDNN lacks use PICK_NATIVE under both. */
#define PICK(impl, isa, ref, avx2, avx512, onednn) \
    ((impl) == GS_IMPL_ONEDNN ? (onednn) : PICK_NATIVE(isa, ref, avx2, avx512))

/* Every op's entry in the table. */
static void fill_table(gs_impl_t impl, gs_isa_t isa)
{
    gs_kern.gemm = PICK(impl, isa, gs_gemm_ref, gs_gemm_avx2, gs_gemm_avx512, gs_gemm_onednn);
    gs_kern.pool_fwd = PICK(impl, isa, gs_pool_fwd_ref, gs_pool_fwd_avx2, gs_pool_fwd_avx512, gs_pool_fwd_onednn);
    gs_kern.pool_bwd = PICK(impl, isa, gs_pool_bwd_ref, gs_pool_bwd_avx2, gs_pool_bwd_avx512, gs_pool_bwd_onednn);
    gs_kern.bn_fwd_train = PICK(impl, isa, gs_bn_fwd_train_ref, gs_bn_fwd_train_avx2, gs_bn_fwd_train_avx512,
                                gs_bn_fwd_train_onednn);
    gs_kern.bn_fwd_infer = PICK(impl, isa, gs_bn_fwd_infer_ref, gs_bn_fwd_infer_avx2, gs_bn_fwd_infer_avx512,
                                gs_bn_fwd_infer_onednn);
    gs_kern.bn_bwd = PICK(impl, isa, gs_bn_bwd_ref, gs_bn_bwd_avx2, gs_bn_bwd_avx512, gs_bn_bwd_onednn);
    gs_kern.conv_fwd = PICK(impl, isa, gs_conv_fwd_ref, gs_conv_fwd_avx2, gs_conv_fwd_avx512, gs_conv_fwd_onednn);
    gs_kern.conv_bwd_data = PICK(impl, isa, gs_conv_bwd_data_ref, gs_conv_bwd_data_avx2, gs_conv_bwd_data_avx512,
                                 gs_conv_bwd_data_onednn);
    gs_kern.conv_bwd_weights = PICK(impl, isa, gs_conv_bwd_weights_ref, gs_conv_bwd_weights_avx2,
                                    gs_conv_bwd_weights_avx512, gs_conv_bwd_weights_onednn);
    gs_kern.softmax_ce = PICK(impl, isa, gs_softmax_ce_ref, gs_softmax_ce_avx2, gs_softmax_ce_avx512,
                              gs_softmax_ce_onednn);
    gs_kern.softmax_mse = PICK(impl, isa, gs_softmax_mse_ref, gs_softmax_mse_avx2, gs_softmax_mse_avx512,
                               gs_softmax_mse_onednn);
    gs_kern.act_fwd = PICK(impl, isa, gs_act_fwd_ref, gs_act_fwd_avx2, gs_act_fwd_avx512, gs_act_fwd_onednn);
    gs_kern.act_bwd = PICK(impl, isa, gs_act_bwd_ref, gs_act_bwd_avx2, gs_act_bwd_avx512, gs_act_bwd_onednn);
    gs_kern.opt_step = PICK_NATIVE(isa, gs_opt_step_ref, gs_opt_step_avx2, gs_opt_step_avx512);
    gs_kern.sumsq = PICK_NATIVE(isa, gs_sumsq_ref, gs_sumsq_avx2, gs_sumsq_avx512);
    gs_kern.scale = PICK_NATIVE(isa, gs_scale_ref, gs_scale_avx2, gs_scale_avx512);
    gs_kern.add_noise = PICK_NATIVE(isa, gs_add_noise_ref, gs_add_noise_avx2, gs_add_noise_avx512);
}

gs_status_t gs_dispatch_init(gs_impl_t impl, int isa)
{
    gs_isa_t chosen = isa < 0 ? gs_isa_best() : (gs_isa_t)isa;
    if (isa >= GS_ISA_COUNT)
        return gs_error(GS_EINVAL, "isa index %d out of range", isa);
    if (!gs_isa_supported(chosen))
        return gs_error(GS_EUNSUPPORTED, "ISA '%s' is not supported by this CPU (%s); available: %s",
                        gs_isa_name(chosen), gs_cpu()->brand[0] ? gs_cpu()->brand : "unknown CPU",
                        gs_isa_available_str());
    gs_topo_init(); /* GEMM block sizes come from the cache sizes */
    gs_kern.impl = impl;
    gs_kern.isa = chosen;
    gs_kern.impl_name = impl == GS_IMPL_ONEDNN ? "onednn" : "native";
    gs_kern.isa_name = impl == GS_IMPL_ONEDNN ? onednn_isa_name() : gs_isa_name(chosen);
    fill_table(impl, chosen);
    return GS_OK;
}

gs_status_t gs_impl_parse(const char *name, gs_impl_t *impl)
{
    if (name && strcmp(name, "native") == 0)
        *impl = GS_IMPL_NATIVE;
    else if (name && strcmp(name, "onednn") == 0)
        *impl = GS_IMPL_ONEDNN;
    else
        return gs_error(GS_EINVAL, "unknown implementation '%s' (expected native or onednn)", name ? name : "(null)");
    return GS_OK;
}
