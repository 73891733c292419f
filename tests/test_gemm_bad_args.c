/* Proves every GEMM entry rejects bad arguments with GS_EINVAL (no crash) and keeps the BLAS meaning of m, n, k = 0, alpha = 0 and beta = 0. */
#include <math.h>
#include <string.h>

#include "core/cpu.h"
#include "core/dispatch.h"
#include "core/topo.h"
#include "test_util.h"

typedef struct {
    const char *name;
    gs_gemm_fn *fn; /* NULL: the dispatched gs_gemm */
} entry_t;

static gs_status_t call(const entry_t *e, bool ta, bool tb, long m, long n, long k, float alpha, const float *a,
                        long lda, const float *b, long ldb, float beta, float *c, long ldc)
{
    if (!e->fn)
        return gs_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return gs_gemm_with(e->fn, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void expect_einval(const entry_t *e, gs_status_t st, const char *what, const char *named)
{
    const char *msg = gs_error_detail();
    gs_check(st == GS_EINVAL && strstr(msg, named), "%s: %s -> GS_EINVAL naming '%s' (%s)", e->name, what, named, msg);
}

/* 4x4 operands: A 4x3 (lda 3), B 3x4 (ldb 4), C 4x4 (ldc 4). */
static void check_rejections(const entry_t *e)
{
    float a[16] = {0}, b[16] = {0}, c[16] = {0};
    expect_einval(e, call(e, 0, 0, 4, 4, 3, 1, NULL, 3, b, 4, 0, c, 4), "NULL A", "A is NULL");
    expect_einval(e, call(e, 0, 0, 4, 4, 3, 1, a, 3, NULL, 4, 0, c, 4), "NULL B", "B is NULL");
    expect_einval(e, call(e, 0, 0, 4, 4, 3, 1, a, 3, b, 4, 0, NULL, 4), "NULL C", "C is NULL");
    expect_einval(e, call(e, 0, 0, -1, 4, 3, 1, a, 3, b, 4, 0, c, 4), "m = -1", "negative size");
    expect_einval(e, call(e, 0, 0, 4, -1, 3, 1, a, 3, b, 4, 0, c, 4), "n = -1", "negative size");
    expect_einval(e, call(e, 0, 0, 4, 4, -1, 1, a, 3, b, 4, 0, c, 4), "k = -1", "negative size");
    expect_einval(e, call(e, 0, 0, 4, 4, 3, 1, a, 2, b, 4, 0, c, 4), "lda 2 < k 3", "lda");
    expect_einval(e, call(e, 1, 0, 4, 4, 3, 1, a, 3, b, 4, 0, c, 4), "transposed A, lda 3 < m 4", "lda");
    expect_einval(e, call(e, 0, 0, 4, 4, 3, 1, a, 3, b, 3, 0, c, 4), "ldb 3 < n 4", "ldb");
    expect_einval(e, call(e, 0, 1, 4, 4, 3, 1, a, 3, b, 2, 0, c, 4), "transposed B, ldb 2 < k 3", "ldb");
    expect_einval(e, call(e, 0, 0, 4, 4, 3, 1, a, 3, b, 4, 0, c, 3), "ldc 3 < n 4", "ldc");
    expect_einval(e, call(e, 0, 0, 4, 4, 3, 1, a, 3, b, 4, 0, c, 0), "ldc 0", "ldc");
}

static bool all_equal(const float *c, int n, float v)
{
    for (int i = 0; i < n; i++)
        if (c[i] != v)
            return false;
    return true;
}

static bool all_nan(const float *c, int n)
{
    for (int i = 0; i < n; i++)
        if (!isnan(c[i]))
            return false;
    return true;
}

static void fill(float *x, int n, float v)
{
    for (int i = 0; i < n; i++)
        x[i] = v;
}

/* BLAS: m or n = 0 is a no-op (C untouched, A and B may be NULL); k = 0 or alpha = 0 means C = beta*C
 * without reading A or B; beta = 0 means C is not read, so NaN in C is overwritten. */
static void check_degenerate(const entry_t *e)
{
    float a[16], b[16], c[16];
    fill(c, 16, NAN);
    gs_status_t st = call(e, 0, 0, 0, 4, 3, 1, NULL, 3, NULL, 4, 0, c, 4);
    gs_check(st == GS_OK && all_nan(c, 16), "%s: m = 0 is a no-op with NULL A and B", e->name);
    st = call(e, 0, 0, 4, 0, 3, 1, NULL, 3, NULL, 1, 0, c, 1);
    gs_check(st == GS_OK && all_nan(c, 16), "%s: n = 0 is a no-op", e->name);

    fill(c, 16, 3.0f);
    st = call(e, 0, 0, 4, 4, 0, 1, NULL, 1, NULL, 4, 2.0f, c, 4);
    gs_check(st == GS_OK && all_equal(c, 16, 6.0f), "%s: k = 0, beta = 2 gives C = 2*C", e->name);
    fill(c, 16, NAN);
    st = call(e, 0, 0, 4, 4, 0, 1, NULL, 1, NULL, 4, 0.0f, c, 4);
    gs_check(st == GS_OK && all_equal(c, 16, 0.0f), "%s: k = 0, beta = 0 overwrites NaN in C with 0", e->name);

    fill(a, 16, NAN);
    fill(b, 16, INFINITY);
    fill(c, 16, NAN);
    st = call(e, 0, 0, 4, 4, 3, 0.0f, a, 3, b, 4, 0.0f, c, 4);
    gs_check(st == GS_OK && all_equal(c, 16, 0.0f), "%s: alpha = 0, beta = 0 gives 0 without reading NaN/Inf A, B",
             e->name);
    fill(c, 16, 5.0f);
    st = call(e, 0, 0, 4, 4, 3, 0.0f, a, 3, b, 4, 1.0f, c, 4);
    gs_check(st == GS_OK && all_equal(c, 16, 5.0f), "%s: alpha = 0, beta = 1 leaves C as it was", e->name);

    fill(a, 16, 1.0f);
    fill(b, 16, 2.0f);
    fill(c, 16, NAN);
    st = call(e, 0, 0, 4, 4, 3, 1.0f, a, 3, b, 4, 0.0f, c, 4);
    gs_check(st == GS_OK && all_equal(c, 16, 6.0f), "%s: beta = 0 with NaN in C gives alpha*A*B (NaN not read)",
             e->name);
    fill(c, 16, 1.0f);
    st = call(e, 1, 1, 4, 4, 3, 0.5f, a, 4, b, 3, -1.0f, c, 4);
    gs_check(st == GS_OK && all_equal(c, 16, 2.0f), "%s: C = 0.5*A^T*B^T - C on constants", e->name);
}

/* gs_gemm_plan: the scalar oracle has no blocking (GS_EUNSUPPORTED naming it); each vector ISA's
 * tile and blocks are whole tiles, KC within the clamp of the blocking rules. */
static void check_plans(void)
{
    gs_gemm_plan_t g;
    gs_status_t st = gs_gemm_plan(GS_ISA_SCALAR, &g);
    gs_check(st == GS_EUNSUPPORTED && strstr(gs_error_detail(), "scalar"), "scalar plan -> GS_EUNSUPPORTED (%s)",
             gs_error_detail());
    for (int isa = GS_ISA_AVX2; isa < GS_ISA_COUNT; isa++) {
        st = gs_gemm_plan((gs_isa_t)isa, &g);
        if (!gs_isa_supported((gs_isa_t)isa)) {
            gs_check(st == GS_EUNSUPPORTED, "%s plan on a CPU without it -> GS_EUNSUPPORTED (%s)",
                     gs_isa_name((gs_isa_t)isa), gs_error_detail());
            continue;
        }
        gs_check(st == GS_OK && g.mr > 0 && g.nr > 0 && g.kc >= 64 && g.kc <= 1024 && g.mc % g.mr == 0 &&
                     g.nc % g.nr == 0 && g.mc > 0 && g.nc > 0,
                 "%s plan: %dx%d tiles, KC %ld, MC %ld, NC %ld", gs_isa_name((gs_isa_t)isa), g.mr, g.nr, g.kc, g.mc,
                 g.nc);
    }
}

int main(void)
{
    gs_topo_init();
    gs_dispatch_init(GS_IMPL_NATIVE, -1);
    entry_t entries[GS_ISA_COUNT + 3];
    int n = 0;
    entries[n++] = (entry_t){"gs_gemm (dispatched)", NULL};
    for (int i = 0; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i))
            entries[n++] = (entry_t){gs_isa_name((gs_isa_t)i), gs_gemm_for_isa((gs_isa_t)i)};
    entries[n++] = (entry_t){"avx512_emu", gs_gemm_avx512_emu};
    entries[n++] = (entry_t){"onednn", gs_gemm_onednn};
    for (int i = 0; i < n; i++) {
        check_rejections(&entries[i]);
        check_degenerate(&entries[i]);
    }
    float a[4] = {1, 1, 1, 1}, c[4];
    gs_status_t st = gs_gemm_with(NULL, 0, 0, 2, 2, 2, 1, a, 2, a, 2, 0, c, 2);
    gs_check(st == GS_EUNSUPPORTED, "gs_gemm_with(NULL implementation) -> GS_EUNSUPPORTED (%s)", gs_error_detail());
    check_plans();
    return gs_test_done("test_gemm_bad_args");
}
