/* Proves the emulated masked loads/stores touch only the selected lanes (a buffer ending at a PROT_NONE page does not fault; unselected memory keeps its value) and the emulated reductions are right. */
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/simd_avx512.h"
#include "test_util.h"

#ifndef GS_AVX512_EMULATED
#error "this test checks the SIMDe emulation: build it with GS_AVX512_EMULATED"
#endif

static sigjmp_buf on_fault;

static void fault_handler(int sig)
{
    (void)sig;
    siglongjmp(on_fault, 1);
}

/* `lanes` floats that end exactly where a PROT_NONE page starts: any access past them faults. */
static float *buffer_before_guard(int lanes, void **map, size_t *map_len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || mprotect(p + page, page, PROT_NONE) != 0)
        return NULL;
    *map = p;
    *map_len = 2 * page;
    return (float *)(p + page) - lanes;
}

static void to_array(__m512 v, float out[16]) { _mm512_storeu_ps(out, v); }

/* Loads and stores the first `lanes` lanes of `buf`; true when the lanes hold what they should. */
static bool touch_lanes(float *buf, int lanes)
{
    const __mmask16 k = (__mmask16)((1u << lanes) - 1);
    float got[16];
    bool ok = true;
    for (int i = 0; i < lanes; i++)
        buf[i] = (float)(i + 1);
    to_array(_mm512_maskz_loadu_ps(k, buf), got);
    for (int i = 0; i < 16; i++)
        ok &= got[i] == (i < lanes ? (float)(i + 1) : 0.0f);
    to_array(_mm512_mask_loadu_ps(_mm512_set1_ps(-7.0f), k, buf), got);
    for (int i = 0; i < 16; i++)
        ok &= got[i] == (i < lanes ? (float)(i + 1) : -7.0f);
    _mm512_mask_storeu_ps(buf, k, _mm512_set1_ps(9.0f));
    for (int i = 0; i < lanes; i++)
        ok &= buf[i] == 9.0f;
    return ok;
}

/* touch_lanes with SIGSEGV caught: false when it faulted. Its own frame, so nothing of the
 * caller lives across the longjmp. */
static __attribute__((noinline)) bool touch_guarded(float *buf, int lanes, bool *ok)
{
    if (sigsetjmp(on_fault, 1) != 0)
        return false;
    *ok = touch_lanes(buf, lanes);
    return true;
}

/* Selects the first `lanes` lanes of a buffer that ends at the guard page: loads and stores must
 * neither fault nor touch the memory of unselected lanes. */
static void check_tail_mask(int lanes)
{
    void *map = NULL;
    size_t map_len = 0;
    float *buf = buffer_before_guard(lanes, &map, &map_len);
    if (!gs_check(buf != NULL, "mapped a buffer of %d floats before a guard page", lanes))
        return;
    bool ok = false, faulted = !touch_guarded(buf, lanes, &ok);
    gs_check(!faulted, "%d-lane mask at the end of a mapping: loads and store do not fault", lanes);
    gs_check(!faulted && ok, "%d-lane mask: selected lanes loaded/stored, the rest zero / kept from src", lanes);
    munmap(map, map_len);
}

/* A mask with holes: unselected lanes in the middle of the buffer keep their old values. */
static void check_holes(void)
{
    float mem[16], got[16];
    const __mmask16 k = 0xA5C3;
    for (int i = 0; i < 16; i++)
        mem[i] = (float)(100 + i);
    _mm512_mask_storeu_ps(mem, k, _mm512_set1_ps(-1.0f));
    bool ok = true;
    for (int i = 0; i < 16; i++)
        ok &= mem[i] == ((k >> i & 1) ? -1.0f : (float)(100 + i));
    gs_check(ok, "mask_storeu_ps with mask 0x%04x leaves unselected lanes of memory unchanged", (unsigned)k);
    to_array(_mm512_maskz_loadu_ps((__mmask16)~k, mem), got);
    ok = true;
    for (int i = 0; i < 16; i++)
        ok &= got[i] == ((~k >> i & 1) ? (float)(100 + i) : 0.0f);
    gs_check(ok, "maskz_loadu_ps with mask 0x%04x zeroes unselected lanes", (unsigned)(__mmask16)~k);
}

static void check_reductions(void)
{
    float x[16];
    float sum = 0.0f, max = -1e30f;
    for (int i = 0; i < 16; i++) {
        x[i] = (float)((i * 7) % 11) - 5.0f;
        sum += x[i];
        max = x[i] > max ? x[i] : max;
    }
    __m512 v = _mm512_loadu_ps(x);
    gs_check(_mm512_reduce_add_ps(v) == sum, "reduce_add_ps = %g (want %g)", (double)_mm512_reduce_add_ps(v),
             (double)sum);
    gs_check(_mm512_reduce_max_ps(v) == max, "reduce_max_ps = %g (want %g)", (double)_mm512_reduce_max_ps(v),
             (double)max);
    gs_check(_mm512_reduce_max_ps(_mm512_set1_ps(-3.0f)) == -3.0f, "reduce_max_ps of all-negative lanes is -3");
    x[13] = 1e6f;
    gs_check(_mm512_reduce_max_ps(_mm512_loadu_ps(x)) == 1e6f, "reduce_max_ps finds the maximum in lane 13");
    /* Pairwise order (halves, then quarters...): 1e8 + 1 - 1e8 loses the 1 sequentially, not pairwise. */
    float y[16] = {0};
    y[0] = 1e8f;
    y[8] = -1e8f;
    y[1] = 1.0f;
    gs_check(_mm512_reduce_add_ps(_mm512_loadu_ps(y)) == 1.0f, "reduce_add_ps adds lanes i and i+8 first (pairwise)");
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fault_handler;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    for (int lanes = 1; lanes <= 16; lanes++)
        check_tail_mask(lanes);
    check_holes();
    check_reductions();
    return gs_test_done("test_simde_compat_masked_lanes");
}
