/* The kernel dispatch table: one function pointer per op, filled once at start-up from the CPU
 * features (or forced with --isa / --impl), read by every op's public entry point. */
#ifndef GS_DISPATCH_H
#define GS_DISPATCH_H

#include "core/cpu.h"
#include "core/status.h"
#include "kernels/act/act.h"
#include "kernels/bn/bn.h"
#include "kernels/conv/conv.h"
#include "kernels/gemm/gemm.h"
#include "kernels/optim/optim.h"
#include "kernels/pool/pool.h"
#include "kernels/softmax_ce/softmax_ce.h"

typedef enum { GS_IMPL_NATIVE = 0, GS_IMPL_ONEDNN } gs_impl_t;

typedef struct {
    gs_impl_t impl;
    gs_isa_t isa;         /* ISA of the native kernels (also what --isa forced) */
    const char *impl_name;/* "native" or "onednn", as the profiler records it */
    const char *isa_name; /* "avx2" ... or, for oneDNN, its effective ISA ("avx512_core") */
    /* One pointer per op; NULL until gs_dispatch_init (the ops' entries then report GS_EUNSUPPORTED).
     * Ops oneDNN lacks (the modified-derivative sigmoid, the optimizers) keep the native kernel of
     * the chosen ISA under --impl onednn. */
    gs_gemm_fn *gemm;
    gs_conv_fwd_fn *conv_fwd;
    gs_conv_bwd_data_fn *conv_bwd_data;
    gs_conv_bwd_weights_fn *conv_bwd_weights;
    gs_pool_fwd_fn *pool_fwd;
    gs_pool_bwd_fn *pool_bwd;
    gs_bn_fwd_train_fn *bn_fwd_train;
    gs_bn_fwd_infer_fn *bn_fwd_infer;
    gs_bn_bwd_fn *bn_bwd;
    gs_softmax_ce_fn *softmax_ce;
    gs_softmax_mse_fn *softmax_mse;
    gs_act_fwd_fn *act_fwd;
    gs_act_bwd_fn *act_bwd;
    gs_opt_step_fn *opt_step;
    gs_sumsq_fn *sumsq;
    gs_scale_fn *scale;
    gs_add_noise_fn *add_noise;
} gs_dispatch_t;

extern gs_dispatch_t gs_kern;

/* Fills the table. `isa` < 0 picks the widest ISA the CPU supports. An ISA the CPU lacks is
 * GS_EUNSUPPORTED with a message naming it and what is available (never a SIGILL later). */
gs_status_t gs_dispatch_init(gs_impl_t impl, int isa);

/* The native GEMM of one ISA (NULL if the CPU cannot run it). */
gs_gemm_fn *gs_gemm_for_isa(gs_isa_t isa);

/* "native"/"onednn" -> impl; GS_EINVAL otherwise. */
gs_status_t gs_impl_parse(const char *name, gs_impl_t *impl);

#endif
