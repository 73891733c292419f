/* The kernel dispatch table: one function pointer per op, filled once at start-up from the CPU
 * features (or forced with --isa / --impl), read by every op's public entry point. */
#ifndef GS_DISPATCH_H
#define GS_DISPATCH_H

#include "core/cpu.h"
#include "core/status.h"
#include "kernels/gemm/gemm.h"

typedef enum { GS_IMPL_NATIVE = 0, GS_IMPL_ONEDNN } gs_impl_t;

typedef struct {
    gs_impl_t impl;
    gs_isa_t isa;         /* ISA of the native kernels (also what --isa forced) */
    const char *impl_name;/* "native" or "onednn", as the profiler records it */
    const char *isa_name; /* "avx2" ... or, for oneDNN, its effective ISA ("avx512_core") */
    gs_gemm_fn *gemm;
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
