/* CPUID/XGETBV probing. AVX-512 counts only if XCR0 shows the OS saves opmask, ZMM0-15 upper
 * halves and ZMM16-31: a CPU flag alone would let a kernel SIGILL under an OS that disabled it. */
#include "core/cpu.h"

#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static gs_cpu_t cpu_info;
static bool cpu_probed;

static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static void read_brand(gs_cpu_t *c)
{
    unsigned a, b, d, e;
    if (__get_cpuid(0x80000000u, &a, &b, &d, &e) == 0 || a < 0x80000004u)
        return;
    unsigned regs[12];
    for (unsigned i = 0; i < 3; i++)
        __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
    memcpy(c->brand, regs, 48);
    c->brand[48] = '\0';
    /* Trim the leading/trailing blanks some vendors pad the brand string with. */
    char *s = c->brand;
    while (*s == ' ')
        s++;
    memmove(c->brand, s, strlen(s) + 1);
    for (size_t n = strlen(c->brand); n > 0 && c->brand[n - 1] == ' '; n--)
        c->brand[n - 1] = '\0';
}

static void probe(gs_cpu_t *c)
{
    unsigned a, b, cx, d;
    memset(c, 0, sizeof *c);
    if (!__get_cpuid(0, &a, &b, &cx, &d))
        return;
    unsigned max_leaf = a;
    memcpy(c->vendor, &b, 4);
    memcpy(c->vendor + 4, &d, 4);
    memcpy(c->vendor + 8, &cx, 4);
    read_brand(c);

    __get_cpuid(1, &a, &b, &cx, &d);
    c->stepping = a & 0xf;
    c->model = ((a >> 4) & 0xf) | (((a >> 16) & 0xf) << 4);
    c->family = ((a >> 8) & 0xf) + (((a >> 8) & 0xf) == 0xf ? ((a >> 20) & 0xff) : 0);
    c->sse42 = cx & bit_SSE4_2;
    c->fma = cx & bit_FMA;
    c->f16c = cx & bit_F16C;
    bool osxsave = cx & bit_OSXSAVE;
    c->avx = cx & bit_AVX;
    if (osxsave) {
        uint64_t xcr0 = read_xcr0();
        c->os_avx = (xcr0 & 0x6) == 0x6;       /* XMM | YMM */
        c->os_avx512 = (xcr0 & 0xe6) == 0xe6;  /* XMM | YMM | opmask | ZMM_Hi256 | Hi16_ZMM */
    }
    if (max_leaf >= 7) {
        __get_cpuid_count(7, 0, &a, &b, &cx, &d);
        c->avx2 = b & bit_AVX2;
        c->avx512f = b & bit_AVX512F;
        c->avx512dq = b & bit_AVX512DQ;
        c->avx512bw = b & bit_AVX512BW;
        c->avx512vl = b & bit_AVX512VL;
    }
}

const gs_cpu_t *gs_cpu(void)
{
    if (!cpu_probed) {
        probe(&cpu_info);
        cpu_probed = true;
    }
    return &cpu_info;
}

/* GS_CPU_DISABLE=avx512[,avx2] hides ISAs the CPU has: to test the "ISA unavailable" paths on any
 * machine, or to measure a narrower ISA as the default. */
static bool disabled_by_env(gs_isa_t isa)
{
    const char *env = getenv("GS_CPU_DISABLE");
    if (!env || isa == GS_ISA_SCALAR)
        return false;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", env);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (strcasecmp(tok, gs_isa_name(isa)) == 0)
            return true;
    return false;
}

bool gs_isa_supported(gs_isa_t isa)
{
    const gs_cpu_t *c = gs_cpu();
    if (disabled_by_env(isa))
        return false;
    switch (isa) {
    case GS_ISA_SCALAR:
        return true;
    case GS_ISA_AVX2:
        return c->os_avx && c->avx && c->avx2 && c->fma && c->f16c;
    case GS_ISA_AVX512:
        return gs_isa_supported(GS_ISA_AVX2) && c->os_avx512 && c->avx512f && c->avx512dq &&
               c->avx512bw && c->avx512vl;
    default:
        return false;
    }
}

gs_isa_t gs_isa_best(void)
{
    for (int i = GS_ISA_COUNT - 1; i > 0; i--)
        if (gs_isa_supported((gs_isa_t)i))
            return (gs_isa_t)i;
    return GS_ISA_SCALAR;
}

const char *gs_isa_name(gs_isa_t isa)
{
    static const char *const names[GS_ISA_COUNT] = {"scalar", "avx2", "avx512"};
    return (unsigned)isa < GS_ISA_COUNT ? names[isa] : "unknown";
}

gs_status_t gs_isa_parse(const char *name, gs_isa_t *isa)
{
    for (int i = 0; i < GS_ISA_COUNT; i++) {
        if (name && strcasecmp(name, gs_isa_name((gs_isa_t)i)) == 0) {
            *isa = (gs_isa_t)i;
            return GS_OK;
        }
    }
    return gs_error(GS_EINVAL, "unknown ISA '%s' (expected scalar, avx2 or avx512)", name ? name : "(null)");
}

const char *gs_isa_available_str(void)
{
    static char buf[64];
    buf[0] = '\0';
    for (int i = 0; i < GS_ISA_COUNT; i++) {
        if (!gs_isa_supported((gs_isa_t)i))
            continue;
        if (buf[0])
            strcat(buf, ",");
        strcat(buf, gs_isa_name((gs_isa_t)i));
    }
    return buf;
}
