/* CPU feature detection (CPUID + XGETBV) and the instruction-set levels gradscope has kernels for. */
#ifndef GS_CPU_H
#define GS_CPU_H

#include <stdbool.h>

#include "core/status.h"

typedef enum { GS_ISA_SCALAR = 0, GS_ISA_AVX2, GS_ISA_AVX512, GS_ISA_COUNT } gs_isa_t;

typedef struct {
    char vendor[13];
    char brand[49];
    int family, model, stepping;
    bool sse42, avx, fma, f16c, avx2;
    bool avx512f, avx512dq, avx512bw, avx512vl;
    bool os_avx;    /* XCR0 says the OS saves YMM state */
    bool os_avx512; /* XCR0 says the OS saves opmask and ZMM state */
} gs_cpu_t;

/* Features of the running CPU, read once (thread-safe after the first call from main). */
const gs_cpu_t *gs_cpu(void);

/* True when this CPU and OS can execute the kernels of `isa`. */
bool gs_isa_supported(gs_isa_t isa);

/* The widest ISA this CPU supports. */
gs_isa_t gs_isa_best(void);

const char *gs_isa_name(gs_isa_t isa);

/* Parses "scalar", "avx2", "avx512"; GS_EINVAL (with detail) for anything else. */
gs_status_t gs_isa_parse(const char *name, gs_isa_t *isa);

/* Comma-separated list of the ISAs this CPU supports ("scalar,avx2"). */
const char *gs_isa_available_str(void);

#endif
