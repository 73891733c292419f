/* Proves every convolution entry rejects bad arguments (NULL tensors, non-positive sizes, impossible or stale shapes) with GS_EINVAL naming the argument, and bad problem strings with GS_EFORMAT, without crashing. */
#include <string.h>

#include "core/cpu.h"
#include "core/dispatch.h"
#include "core/topo.h"
#include "harness/problem_conv.h"
#include "harness/validate_conv.h"
#include "test_util.h"

/* An implementation, or the dispatched public entries when all three are NULL. */
static gs_status_t fwd(const gs_conv_impl_t *im, const gs_conv_shape_t *s, const float *src, const float *wei,
                       const float *bias, float *dst)
{
    return im->fwd ? gs_conv_fwd_with(im->fwd, s, src, wei, bias, dst) : gs_conv_fwd(s, src, wei, bias, dst);
}

static gs_status_t bwd_data(const gs_conv_impl_t *im, const gs_conv_shape_t *s, const float *dd, const float *wei,
                            float *dsrc)
{
    return im->bwd_data ? gs_conv_bwd_data_with(im->bwd_data, s, dd, wei, dsrc) : gs_conv_bwd_data(s, dd, wei, dsrc);
}

static gs_status_t bwd_weights(const gs_conv_impl_t *im, const gs_conv_shape_t *s, const float *src, const float *dd,
                               float *dwei, float *dbias)
{
    return im->bwd_weights ? gs_conv_bwd_weights_with(im->bwd_weights, s, src, dd, dwei, dbias)
                           : gs_conv_bwd_weights(s, src, dd, dwei, dbias);
}

static void expect(const char *who, gs_status_t st, gs_status_t want, const char *what, const char *named)
{
    const char *msg = gs_error_detail();
    gs_check(st == want && strstr(msg, named), "%s: %s -> %s naming '%s' (%s)", who, what, gs_status_str(want), named,
             msg);
    gs_error_clear();
}

/* A shape that is valid: mb2 ic3 8x8, oc4 3x3 -> 6x6. Tensors sized for it. */
static gs_conv_shape_t good_shape(void)
{
    gs_conv_shape_t s = {2, 3, 8, 8, 4, 3, 3, 1, 1, 0, 0, 0, 0};
    gs_conv_shape_init(&s);
    return s;
}

static float src[2 * 3 * 8 * 8], wei[4 * 3 * 3 * 3], bias[4], dst[2 * 4 * 6 * 6];

static void check_pointers(const gs_conv_impl_t *im)
{
    const gs_conv_shape_t s = good_shape();
    expect(im->name, fwd(im, NULL, src, wei, bias, dst), GS_EINVAL, "forward, NULL shape", "shape is NULL");
    expect(im->name, fwd(im, &s, NULL, wei, bias, dst), GS_EINVAL, "forward, NULL src", "src is NULL");
    expect(im->name, fwd(im, &s, src, NULL, bias, dst), GS_EINVAL, "forward, NULL wei", "wei is NULL");
    expect(im->name, fwd(im, &s, src, wei, bias, NULL), GS_EINVAL, "forward, NULL dst", "dst is NULL");
    expect(im->name, bwd_data(im, &s, NULL, wei, src), GS_EINVAL, "backward-data, NULL diff_dst", "diff_dst is NULL");
    expect(im->name, bwd_data(im, &s, dst, NULL, src), GS_EINVAL, "backward-data, NULL wei", "wei is NULL");
    expect(im->name, bwd_data(im, &s, dst, wei, NULL), GS_EINVAL, "backward-data, NULL diff_src", "diff_src is NULL");
    expect(im->name, bwd_weights(im, &s, NULL, dst, wei, bias), GS_EINVAL, "backward-weights, NULL src",
           "src is NULL");
    expect(im->name, bwd_weights(im, &s, src, NULL, wei, bias), GS_EINVAL, "backward-weights, NULL diff_dst",
           "diff_dst is NULL");
    expect(im->name, bwd_weights(im, &s, src, dst, NULL, bias), GS_EINVAL, "backward-weights, NULL diff_wei",
           "diff_wei is NULL");
    /* The optional ones really are optional. */
    gs_check(fwd(im, &s, src, wei, NULL, dst) == GS_OK, "%s: forward without bias runs", im->name);
    gs_check(bwd_weights(im, &s, src, dst, wei, NULL) == GS_OK, "%s: backward-weights without bias gradient runs",
             im->name);
}

/* Shapes that gs_conv_shape_init refuses, or that were changed after it ran: every pass says why. */
static void check_shapes(const gs_conv_impl_t *im)
{
    static const struct {
        const char *what, *named;
        long field_offset, value;
    } bad[] = {
        {"mb = 0", "mb=0", offsetof(gs_conv_shape_t, mb), 0},
        {"ic = -3", "ic=-3", offsetof(gs_conv_shape_t, ic), -3},
        {"ih = 0", "ih=0", offsetof(gs_conv_shape_t, ih), 0},
        {"oc = 0", "oc=0", offsetof(gs_conv_shape_t, oc), 0},
        {"kw = 0", "kw=0", offsetof(gs_conv_shape_t, kw), 0},
        {"sh = 0", "sh=0", offsetof(gs_conv_shape_t, sh), 0},
        {"pw = -1", "pw=-1", offsetof(gs_conv_shape_t, pw), -1},
        {"ph = kh", "ph=3 must be smaller than kh", offsetof(gs_conv_shape_t, ph), 3},
        {"kh > ih + 2*ph", "kh=9 larger than ih", offsetof(gs_conv_shape_t, kh), 9},
        {"a size past 2^20", "iw=2097152", offsetof(gs_conv_shape_t, iw), 1L << 21},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gs_conv_shape_t s = good_shape();
        *(long *)((char *)&s + bad[i].field_offset) = bad[i].value;
        expect(im->name, fwd(im, &s, src, wei, bias, dst), GS_EINVAL, bad[i].what, bad[i].named);
        expect(im->name, bwd_data(im, &s, dst, wei, src), GS_EINVAL, bad[i].what, bad[i].named);
        expect(im->name, bwd_weights(im, &s, src, dst, wei, bias), GS_EINVAL, bad[i].what, bad[i].named);
    }
    gs_conv_shape_t stale = good_shape();
    stale.ih = 7; /* oh should now be 5, but the shape still says 6 */
    expect(im->name, fwd(im, &stale, src, wei, bias, dst), GS_EINVAL, "ih changed after gs_conv_shape_init",
           "gs_conv_shape_init");
    gs_conv_shape_t huge = {1 << 12, 1 << 10, 1 << 10, 1 << 10, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    expect(im->name, fwd(im, &huge, src, wei, bias, dst), GS_EINVAL, "src of 2^42 elements", "src has");
}

static void check_problem_strings(void)
{
    static const struct {
        const char *s, *named;
    } bad[] = {
        {"mb64ic20ih12oc50", "missing field 'kh'"},
        {"mb64ic20ih12oc50kh15", "kh=15 larger than ih"},
        {"mb64ic20ih12oc50kh5ph5", "ph=5 must be smaller than kh"},
        {"mb64ic20ih12oc50kh5sh0", "'sh' = 0 out of range"},
        {"mb0ic20ih12oc50kh5", "'mb' = 0 out of range"},
        {"mb64ic20ih12oc50kh5zz3", "unknown field 'zz'"},
        {"ic20mb64ih12oc50kh5", "missing field 'mb'"},
        {"mb2048ic1024ih8oc1kh1", "src would hold"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gs_conv_problem_t p;
        expect("problem", gs_conv_problem_parse(bad[i].s, &p), GS_EFORMAT, bad[i].s, bad[i].named);
    }
    gs_conv_problem_t p;
    char buf[GS_PROBLEM_STR_MAX];
    gs_check(gs_conv_problem_parse("mb64ic20ih12iw12oc50kh5kw5sh1sw1ph0pw0", &p) == GS_OK && p.oh == 8 && p.ow == 8 &&
                 strcmp(gs_conv_problem_str(&p, buf), "mb64ic20ih12oc50kh5") == 0,
             "a full problem string parses, derives 8x8 and prints in its short form (%s)", buf);
    gs_check(gs_conv_problem_parse("mb2ic3ih10iw7oc5kh5kw3sh2ph2pw1", &p) == GS_OK && p.oh == 5 && p.ow == 7 &&
                 strcmp(gs_conv_problem_str(&p, buf), "mb2ic3ih10iw7oc5kh5kw3sh2ph2pw1") == 0,
             "optional fields that differ from their defaults print (%s)", buf);
}

int main(void)
{
    gs_topo_init();
    gs_dispatch_init(GS_IMPL_NATIVE, -1);
    gs_conv_impl_t impls[GS_ISA_COUNT + 3];
    size_t ni = 0;
    impls[ni++] = (gs_conv_impl_t){"gs_conv_* (dispatched)", NULL, NULL, NULL};
    for (int i = 0; i < GS_ISA_COUNT; i++)
        if (gs_isa_supported((gs_isa_t)i))
            impls[ni++] = gs_conv_impl_for_isa((gs_isa_t)i);
    impls[ni++] = (gs_conv_impl_t){"avx512_emu", gs_conv_fwd_avx512_emu, gs_conv_bwd_data_avx512_emu,
                                   gs_conv_bwd_weights_avx512_emu};
    impls[ni++] = gs_conv_impl_onednn();
    for (size_t i = 0; i < ni; i++) {
        check_pointers(&impls[i]);
        check_shapes(&impls[i]);
    }
    /* An ISA the CPU lacks has no functions: the entry says so instead of jumping to NULL. */
    const gs_conv_shape_t s = good_shape();
    expect("missing implementation", gs_conv_fwd_with(NULL, &s, src, wei, bias, dst), GS_EUNSUPPORTED,
           "forward with a NULL function", "no implementation");
    gs_check(gs_conv_shape_init(NULL) == GS_EINVAL, "gs_conv_shape_init(NULL) -> GS_EINVAL");
    check_problem_strings();
    return gs_test_done("test_conv_bad_args");
}
