/* Proves that when memory runs out, the calls that allocate behind the caller's back (the GEMM
 * packing workspace, the oneDNN activation scratch, tensors) return GS_ENOMEM with a message naming
 * what they could not allocate, leave the caller's output untouched, and work again once memory is
 * back. Allocation failure is provoked by wrapping aligned_alloc at link time (-Wl,--wrap), so the
 * library carries no test hook. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/dispatch.h"
#include "core/mem.h"
#include "core/topo.h"
#include "kernels/act/act.h"
#include "test_util.h"

void *__real_aligned_alloc(size_t alignment, size_t size);

/* Requests of at least this many bytes fail while it is non-zero (small ones, e.g. the OpenMP
 * runtime's, still succeed). */
static size_t fail_from;

void *__wrap_aligned_alloc(size_t alignment, size_t size)
{
    if (fail_from && size >= fail_from) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_aligned_alloc(alignment, size);
}

static float *filled(long n, float v)
{
    float *p = gs_alloc((size_t)n * sizeof(float));
    for (long i = 0; p && i < n; i++)
        p[i] = v + (float)(i % 7);
    return p;
}

static bool unchanged(const float *c, const float *copy, long n) { return memcmp(c, copy, (size_t)n * sizeof(float)) == 0; }

typedef struct {
    const char *name;
    gs_gemm_fn *fn;
} gemm_case_t;

/* Each GEMM implementation that packs: GS_ENOMEM naming the workspace while allocation fails, C
 * untouched; the oracle's result once it succeeds. The workspace belongs to the calling thread and
 * only grows, so each case runs in a thread of its own, where its first call is the first
 * allocation. */
static void *check_gemm(void *arg)
{
    const char *name = ((const gemm_case_t *)arg)->name;
    gs_gemm_fn *fn = ((const gemm_case_t *)arg)->fn;
    const long s = 300; /* more than every micro-tile and KC: the packed path, a partial last block */
    float *a = filled(s * s, 0.25f), *b = filled(s * s, -0.5f), *c = filled(s * s, 3.0f);
    float *copy = filled(s * s, 3.0f), *want = filled(s * s, 3.0f);
    fail_from = 4096;
    gs_status_t st = gs_gemm_with(fn, false, false, s, s, s, 1.0f, a, s, b, s, 1.0f, c, s);
    fail_from = 0;
    gs_check(st == GS_ENOMEM && strstr(gs_error_detail(), "workspace"), "%s: m=n=k=%ld without memory -> GS_ENOMEM (%s)",
             name, s, gs_error_detail());
    gs_check(unchanged(c, copy, s * s), "%s: C untouched by the failed call", name);
    st = gs_gemm_with(fn, false, false, s, s, s, 1.0f, a, s, b, s, 1.0f, c, s);
    gs_gemm_with(gs_gemm_ref, false, false, s, s, s, 1.0f, a, s, b, s, 1.0f, want, s);
    float worst = 0.0f;
    for (long i = 0; i < s * s; i++) {
        float d = c[i] > want[i] ? c[i] - want[i] : want[i] - c[i];
        worst = d > worst ? d : worst;
    }
    gs_check(st == GS_OK && worst < 1e-3f, "%s: the same call with memory back -> GS_OK, max |C - oracle| = %g", name, worst);
    gs_free(a), gs_free(b), gs_free(c), gs_free(copy), gs_free(want);
    return NULL;
}

static void check_gemm_in_new_thread(const char *name, gs_gemm_fn *fn)
{
    gemm_case_t gc = {name, fn};
    pthread_t t;
    if (gs_check(pthread_create(&t, NULL, check_gemm, &gc) == 0, "%s: thread started", name))
        pthread_join(t, NULL);
}

typedef struct {
    const char *name;
    gs_gemm_fn *fn;
    long m, n, k;
    bool transa;
    size_t fail_from;
    bool partial; /* set when C came back neither untouched nor right */
} strip_case_t;

/* A GEMM run in two parts (the bulk of the columns, then a strip of narrow tiles for the last few,
 * each with its own workspace) is all or nothing: whatever allocation fails, either both parts run
 * (the oracle's result) or neither writes C. */
static void *check_strip(void *arg)
{
    strip_case_t *sc = arg;
    const long m = sc->m, n = sc->n, k = sc->k, lda = sc->transa ? m : k;
    float *a = filled(k * m, 0.25f), *b = filled(k * n, -0.5f), *c = filled(m * n, 3.0f);
    float *copy = filled(m * n, 3.0f), *want = filled(m * n, 3.0f);
    fail_from = sc->fail_from;
    const gs_status_t st = gs_gemm_with(sc->fn, sc->transa, false, m, n, k, 1.0f, a, lda, b, n, 1.0f, c, n);
    fail_from = 0;
    gs_gemm_with(gs_gemm_ref, sc->transa, false, m, n, k, 1.0f, a, lda, b, n, 1.0f, want, n);
    float worst = 0.0f;
    for (long i = 0; i < m * n; i++) {
        float d = c[i] > want[i] ? c[i] - want[i] : want[i] - c[i];
        worst = d > worst ? d : worst;
    }
    sc->partial = !((st == GS_OK && worst < 1e-3f) || (st == GS_ENOMEM && unchanged(c, copy, m * n)));
    gs_free(a), gs_free(b), gs_free(c), gs_free(copy), gs_free(want);
    return NULL;
}

/* Allocations failing from 1 KiB up in 1 KiB steps to 64 KiB, then doubling to 8 MiB, each in a
 * fresh thread (the workspace only grows): a bulk and a strip needing different workspaces meet
 * a threshold between the two. Shapes: n = 292 = 9 x 32 + 4 = 18 x 16 + 4 (the strip's workspace
 * the smaller), m5n45k40 with AVX-512 (6400 and 7360 bytes: tall tiles packing A for k < 64) and
 * m17n20 with AVX2 (the strip's the larger); m5n45k300, whose AVX-512 strip is dot products with no
 * workspace at all, after a bulk that may fail. */
static void check_strip_all_or_nothing(const char *name, gs_gemm_fn *fn)
{
    static const struct {
        long m, n, k;
        bool transa;
    } shapes[] = {{300, 292, 300, true}, {5, 45, 40, false}, {5, 45, 300, false}, {17, 20, 300, false}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int runs = 0, partial = 0;
        for (size_t from = 1024; from <= ((size_t)8 << 20); from += from < 65536 ? 1024 : from) {
            strip_case_t sc = {name, fn, shapes[s].m, shapes[s].n, shapes[s].k, shapes[s].transa, from, false};
            pthread_t t;
            if (pthread_create(&t, NULL, check_strip, &sc) != 0)
                continue;
            pthread_join(t, NULL);
            runs++;
            partial += sc.partial;
        }
        gs_check(runs > 0 && partial == 0,
                 "%s: m%ldn%ldk%ldta%d (bulk + strip) under %d allocation limits: %d left C half written", name,
                 shapes[s].m, shapes[s].n, shapes[s].k, shapes[s].transa, runs, partial);
    }
}

/* sigmoid_linear in place composes two oneDNN results through a scratch buffer. Run in a thread of
 * its own: under LeakSanitizer the scratch and the thread's oneDNN stream and memory objects must
 * be gone once it exits. */
static void *check_act_scratch(void *unused)
{
    (void)unused;
    const long n = 1L << 16;
    float *x = filled(n, 0.5f), *copy = filled(n, 0.5f);
    const gs_act_t act = {GS_ACT_SIGMOID_LINEAR, 0.25f};
    fail_from = (size_t)n * sizeof(float);
    gs_status_t st = gs_act_fwd_with(gs_act_fwd_onednn, act, n, x, x);
    fail_from = 0;
    gs_check(st == GS_ENOMEM && strstr(gs_error_detail(), "scratch"),
             "act onednn sigmoid_linear in place without memory -> GS_ENOMEM (%s)", gs_error_detail());
    gs_check(unchanged(x, copy, n), "act onednn: x untouched by the failed call");
    st = gs_act_fwd_with(gs_act_fwd_onednn, act, n, x, x);
    gs_check(st == GS_OK && x[0] != copy[0], "act onednn: the same call with memory back -> GS_OK");
    gs_free(x), gs_free(copy);
    return NULL;
}

static void check_tensor(void)
{
    gs_tensor_t t;
    const long dims[2] = {1024, 1024};
    fail_from = 4096;
    gs_status_t st = gs_tensor_init(&t, 2, dims);
    fail_from = 0;
    gs_check(st == GS_ENOMEM && t.data == NULL && strstr(gs_error_detail(), "allocate"),
             "tensor 1024x1024 without memory -> GS_ENOMEM, no data (%s)", gs_error_detail());
    st = gs_tensor_init(&t, 2, dims);
    gs_check(st == GS_OK && t.data != NULL, "tensor 1024x1024 with memory back -> GS_OK");
    gs_tensor_free(&t);
}

int main(void)
{
    gs_topo_init();
    gs_dispatch_init(GS_IMPL_NATIVE, -1);
    for (int i = 0; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i) && gs_gemm_for_isa((gs_isa_t)i) != gs_gemm_ref)
            check_gemm_in_new_thread(gs_isa_name((gs_isa_t)i), gs_gemm_for_isa((gs_isa_t)i));
    check_gemm_in_new_thread("avx512_emu", gs_gemm_avx512_emu);
    for (int i = 0; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i) && gs_gemm_for_isa((gs_isa_t)i) != gs_gemm_ref)
            check_strip_all_or_nothing(gs_isa_name((gs_isa_t)i), gs_gemm_for_isa((gs_isa_t)i));
    check_strip_all_or_nothing("avx512_emu", gs_gemm_avx512_emu);
    pthread_t t;
    if (gs_check(pthread_create(&t, NULL, check_act_scratch, NULL) == 0, "act onednn: thread started"))
        pthread_join(t, NULL);
    check_tensor();
    return gs_test_done("test_alloc_failure_returns_enomem");
}
