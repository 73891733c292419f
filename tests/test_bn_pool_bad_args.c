/* Proves the pooling and BatchNorm entries refuse bad arguments (NULL pointers, non-positive sizes, impossible shapes, out-of-range eps and momentum, half-given running stats) with GS_EINVAL and a message naming the argument, for the public entries and every implementation reached through them, without crashing. */
#include <math.h>
#include <string.h>

#include "core/cpu.h"
#include "core/dispatch.h"
#include "kernels/bn/bn.h"
#include "kernels/pool/pool.h"
#include "test_util.h"

/* st is GS_EINVAL and the message mentions `name`. */
static void expect(gs_status_t st, const char *name, const char *what)
{
    const char *detail = gs_error_detail();
    gs_check(st == GS_EINVAL && strstr(detail, name) != NULL, "%s: GS_EINVAL naming '%s' (got '%s': %s)", what, name,
             gs_status_str(st), detail);
    gs_error_clear();
}

static void check_pool_shapes(void)
{
    const struct {
        gs_pool_shape_t s;
        const char *name, *what;
    } bad[] = {
        {{0, 1, 4, 4, 2, 2, 2, 2, 0, 0}, "mb=0", "pool mb=0"},
        {{1, -3, 4, 4, 2, 2, 2, 2, 0, 0}, "c=-3", "pool c=-3"},
        {{1, 1, 0, 4, 2, 2, 2, 2, 0, 0}, "ih=0", "pool ih=0"},
        {{1, 1, 4, 4, 2, 0, 2, 2, 0, 0}, "kw=0", "pool kw=0"},
        {{1, 1, 4, 4, 2, 2, 0, 2, 0, 0}, "sh=0", "pool sh=0"},
        {{1, 1, 4, 4, 5, 2, 2, 2, 0, 0}, "kh=5", "pool kh=5 > ih=4"},
        {{1, 1, 4, 3, 2, 4, 2, 2, 0, 0}, "kw=4", "pool kw=4 > iw=3"},
        {{1 << 20, 1 << 20, 1 << 10, 1 << 10, 2, 2, 2, 2, 0, 0}, "mb*c*ih*iw", "pool 2^60 elements"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gs_pool_shape_t s = bad[i].s;
        expect(gs_pool_shape_init(&s), bad[i].name, bad[i].what);
        gs_check(gs_pool_ws_bytes(&bad[i].s) == 0, "%s: workspace size 0", bad[i].what);
    }
    expect(gs_pool_shape_init(NULL), "shape", "pool shape NULL");
}

static void check_pool_pointers(void)
{
    gs_pool_shape_t s = {1, 2, 4, 4, 2, 2, 2, 2, 0, 0};
    gs_pool_shape_init(&s);
    float src[32] = {0}, dst[8], dx[32];
    uint64_t ws[16];
    expect(gs_pool_fwd(&s, NULL, dst, ws), "src", "pool_fwd src NULL");
    expect(gs_pool_fwd(&s, src, NULL, ws), "dst", "pool_fwd dst NULL");
    expect(gs_pool_fwd(&s, src, dst, NULL), "workspace", "pool_fwd workspace NULL");
    expect(gs_pool_bwd(&s, NULL, ws, dx), "diff_dst", "pool_bwd diff_dst NULL");
    expect(gs_pool_bwd(&s, dst, ws, NULL), "diff_src", "pool_bwd diff_src NULL");
    expect(gs_pool_fwd(NULL, src, dst, ws), "shape", "pool_fwd shape NULL");
    gs_pool_shape_t stale = s;
    stale.oh = 3; /* not what gs_pool_shape_init derives */
    expect(gs_pool_fwd(&stale, src, dst, ws), "oh", "pool_fwd with a stale oh");
    gs_pool_fwd_fn *fwds[4] = {gs_pool_fwd_ref, gs_pool_fwd_avx512_emu, gs_pool_fwd_onednn,
                               gs_isa_supported(GS_ISA_AVX2) ? gs_pool_fwd_avx2 : gs_pool_fwd_ref};
    for (int i = 0; i < 4; i++)
        expect(gs_pool_fwd_with(fwds[i], &s, src, NULL, ws), "dst", "pool_fwd_with(each implementation) dst NULL");
}

static void check_bn(void)
{
    float x[24] = {0}, y[24], g[3] = {1, 1, 1}, b[3] = {0}, m[3], v[3] = {1, 1, 1}, rm[3] = {0}, rv[3] = {1, 1, 1};
    float dx[24], dg[3], db[3];
    const gs_bn_shape_t ok = {4, 3, 2, 1e-5f};
    const struct {
        gs_bn_shape_t s;
        const char *name;
    } bad[] = {{{0, 3, 2, 1e-5f}, "n=0"}, {{4, 0, 2, 1e-5f}, "c=0"}, {{4, 3, -1, 1e-5f}, "hw=-1"},
               {{4, 3, 2, -1e-5f}, "eps=-1e-05"}, {{4, 3, 2, NAN}, "eps=nan"}, {{1L << 30, 1L << 30, 4, 1e-5f}, "n*c*hw"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "bn shape with bad %s", bad[i].name);
        expect(gs_bn_fwd_train(&bad[i].s, x, g, b, y, m, v, NULL, NULL, 0.1f), bad[i].name, what);
        expect(gs_bn_fwd_infer(&bad[i].s, x, g, b, rm, rv, y), bad[i].name, what);
        expect(gs_bn_bwd(&bad[i].s, x, x, g, m, v, dx, dg, db), bad[i].name, what);
    }
    expect(gs_bn_shape_check(NULL), "shape", "bn shape NULL");
    expect(gs_bn_fwd_train(&ok, NULL, g, b, y, m, v, NULL, NULL, 0.1f), "x", "bn_fwd_train x NULL");
    expect(gs_bn_fwd_train(&ok, x, g, NULL, y, m, v, NULL, NULL, 0.1f), "beta", "bn_fwd_train beta NULL");
    expect(gs_bn_fwd_train(&ok, x, g, b, y, NULL, v, NULL, NULL, 0.1f), "mean", "bn_fwd_train mean NULL");
    expect(gs_bn_fwd_train(&ok, x, g, b, y, m, v, rm, NULL, 0.1f), "running_var", "bn_fwd_train half the running stats");
    expect(gs_bn_fwd_train(&ok, x, g, b, y, m, v, rm, rv, 1.5f), "momentum", "bn_fwd_train momentum 1.5");
    expect(gs_bn_fwd_train(&ok, x, g, b, y, m, v, rm, rv, NAN), "momentum", "bn_fwd_train momentum NaN");
    const gs_bn_shape_t one = {1, 3, 1, 1e-5f};
    expect(gs_bn_fwd_train(&one, x, g, b, y, m, v, rm, rv, 0.1f), "n*hw", "bn_fwd_train running stats of 1 value");
    gs_check(gs_bn_fwd_train(&one, x, g, b, y, m, v, NULL, NULL, 0.1f) == GS_OK,
             "bn_fwd_train of 1 value per channel without running stats is fine");
    expect(gs_bn_fwd_infer(&ok, x, g, b, NULL, rv, y), "running_mean", "bn_fwd_infer running_mean NULL");
    expect(gs_bn_fwd_infer(&ok, x, g, b, rm, rv, NULL), "y", "bn_fwd_infer y NULL");
    expect(gs_bn_bwd(&ok, x, NULL, g, m, v, dx, dg, db), "dy", "bn_bwd dy NULL");
    expect(gs_bn_bwd(&ok, x, x, g, m, v, dx, dg, NULL), "dbeta", "bn_bwd dbeta NULL");
    gs_bn_fwd_train_fn *trains[4] = {gs_bn_fwd_train_ref, gs_bn_fwd_train_avx512_emu, gs_bn_fwd_train_onednn,
                                     gs_isa_supported(GS_ISA_AVX2) ? gs_bn_fwd_train_avx2 : gs_bn_fwd_train_ref};
    for (int i = 0; i < 4; i++)
        expect(gs_bn_fwd_train_with(trains[i], &ok, x, g, b, NULL, m, v, NULL, NULL, 0.1f), "y",
               "bn_fwd_train_with(each implementation) y NULL");
}

int main(void)
{
    if (!gs_check(gs_dispatch_init(GS_IMPL_NATIVE, -1) == GS_OK, "dispatch table set up"))
        return gs_test_done("test_bn_pool_bad_args");
    check_pool_shapes();
    check_pool_pointers();
    check_bn();
    return gs_test_done("test_bn_pool_bad_args");
}
