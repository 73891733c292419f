/* Proves the activation, softmax-loss and optimizer entry points (dispatched, and each implementation through its checked *_with call, SIMDe AVX-512 included) refuse bad arguments with GS_EINVAL and a message naming the argument: NULL buffers, n <= 0, labels out of range (naming the row), overlapping buffers, kinds out of range, hyper-parameters outside their domain; and that bad problem strings are GS_EFORMAT. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dispatch.h"
#include "harness/problem_eltwise.h"
#include "harness/validate_eltwise.h"
#include "test_util.h"

/* The call returned GS_EINVAL and the detail message contains `needle`. */
static void expect(gs_status_t st, const char *needle, const char *what)
{
    const char *msg = gs_error_detail();
    gs_check(st == GS_EINVAL && strstr(msg, needle) != NULL, "%s: GS_EINVAL naming '%s' (got %s: \"%s\")", what, needle,
             gs_status_str(st), msg);
    gs_error_clear();
}

static void act_cases(const char *impl, gs_act_fwd_fn *fwd, gs_act_bwd_fn *bwd)
{
    float x[32] = {0}, y[32] = {0}, dy[32] = {0}, dx[32] = {0};
    const gs_act_t sig = {GS_ACT_SIGMOID, 0.0f};
    char what[96];
#define CASE(call, needle, label)                                   \
    do {                                                            \
        snprintf(what, sizeof what, "%s act %s", impl, label);      \
        expect(call, needle, what);                                 \
    } while (0)
    CASE(gs_act_fwd_with(fwd, sig, 0, x, y), "n = 0", "fwd n = 0");
    CASE(gs_act_fwd_with(fwd, sig, -5, x, y), "n = -5", "fwd n < 0");
    CASE(gs_act_fwd_with(fwd, sig, 8, NULL, y), "x is NULL", "fwd x NULL");
    CASE(gs_act_fwd_with(fwd, sig, 8, x, NULL), "y is NULL", "fwd y NULL");
    CASE(gs_act_fwd_with(fwd, sig, 8, x, x + 1), "overlaps", "fwd y overlapping x");
    CASE(gs_act_fwd_with(fwd, (gs_act_t){GS_ACT_COUNT, 0.0f}, 8, x, y), "kind", "fwd kind out of range");
    CASE(gs_act_fwd_with(fwd, (gs_act_t){GS_ACT_ELU, NAN}, 8, x, y), "alpha", "fwd alpha NaN");
    CASE(gs_act_bwd_with(bwd, sig, 0, x, y, dy, dx), "n = 0", "bwd n = 0");
    CASE(gs_act_bwd_with(bwd, sig, 8, x, y, NULL, dx), "dy is NULL", "bwd dy NULL");
    CASE(gs_act_bwd_with(bwd, sig, 8, x, y, dy, NULL), "dx is NULL", "bwd dx NULL");
    CASE(gs_act_bwd_with(bwd, sig, 8, NULL, y, dy, dx), "x is NULL", "bwd x NULL");
    CASE(gs_act_bwd_with(bwd, sig, 8, x, y, dy, y), "output y", "bwd dx over y");
    CASE(gs_act_bwd_with(bwd, sig, 8, x, y, dy, dy + 3), "overlaps dy", "bwd dx overlapping dy");
#undef CASE
    gs_check(gs_act_bwd_with(bwd, sig, 8, x, y, dy, dy) == GS_OK, "%s act bwd in place (dx == dy) is allowed", impl);
    gs_check(gs_act_fwd_with(fwd, sig, 8, x, x) == GS_OK, "%s act fwd in place (y == x) is allowed", impl);
}

static void softmax_cases(const char *impl, gs_softmax_ce_fn *ce, gs_softmax_mse_fn *mse)
{
    float x[40] = {0}, dx[40], loss;
    int32_t y[4] = {0, 9, 3, 1};
    long hits;
    char what[96];
    for (int m = 0; m < 2; m++) {
        gs_softmax_ce_fn *fn = m ? mse : ce;
        gs_status_t (*with)(gs_softmax_ce_fn *, long, long, const float *, const int32_t *, float *, long *, float *) =
            m ? gs_softmax_mse_with : gs_softmax_ce_with;
        const char *name = m ? "mse" : "ce";
#define CASE(call, needle, label)                                          \
    do {                                                                   \
        snprintf(what, sizeof what, "%s softmax %s %s", impl, name, label); \
        expect(call, needle, what);                                        \
    } while (0)
        CASE(with(fn, 0, 10, x, y, &loss, &hits, dx), "n = 0", "n = 0");
        CASE(with(fn, 4, 0, x, y, &loss, &hits, dx), "classes = 0", "classes = 0");
        CASE(with(fn, 4, -3, x, y, &loss, &hits, dx), "classes = -3", "classes < 0");
        CASE(with(fn, 4, 10, NULL, y, &loss, &hits, dx), "logits is NULL", "logits NULL");
        CASE(with(fn, 4, 10, x, NULL, &loss, &hits, dx), "labels is NULL", "labels NULL");
        CASE(with(fn, 4, 10, x, y, NULL, &hits, dx), "loss is NULL", "loss NULL");
        CASE(with(fn, 4, 10, x, y, &loss, NULL, dx), "correct is NULL", "correct NULL");
        CASE(with(fn, 4, 10, x, y, &loss, &hits, x + 5), "overlaps", "dlogits overlapping logits");
        y[2] = 10;
        CASE(with(fn, 4, 10, x, y, &loss, &hits, dx), "labels[2] = 10", "label = classes (row 2)");
        y[2] = -1;
        CASE(with(fn, 4, 10, x, y, &loss, &hits, dx), "row 2", "label < 0 (row 2)");
        y[2] = 3;
#undef CASE
        gs_check(with(fn, 4, 10, x, y, &loss, &hits, NULL) == GS_OK, "%s softmax %s: dlogits NULL is allowed", impl,
                 name);
    }
}

static void optim_cases(const gs_optim_impl_t *im)
{
    float w[16] = {0}, g[16] = {0}, s[32] = {0};
    gs_opt_t sgd = gs_optim_problem_opt(GS_OPTIM_OP_SGD), adam = gs_optim_problem_opt(GS_OPTIM_OP_ADAM);
    gs_opt_t sdagd = gs_optim_problem_opt(GS_OPTIM_OP_SDAGD), mom = gs_optim_problem_opt(GS_OPTIM_OP_MOMENTUM);
    char what[96];
#define CASE(call, needle, label)                                    \
    do {                                                             \
        snprintf(what, sizeof what, "%s optim %s", im->name, label); \
        expect(call, needle, what);                                  \
    } while (0)
    CASE(gs_opt_step_with(im->step, NULL, 16, w, g, s, 1), "opt is NULL", "opt NULL");
    CASE(gs_opt_step_with(im->step, &sgd, 0, w, g, s, 1), "n = 0", "n = 0");
    CASE(gs_opt_step_with(im->step, &sgd, 16, NULL, g, s, 1), "w is NULL", "w NULL");
    CASE(gs_opt_step_with(im->step, &sgd, 16, w, NULL, s, 1), "g is NULL", "g NULL");
    CASE(gs_opt_step_with(im->step, &mom, 16, w, g, NULL, 1), "state is NULL", "momentum state NULL");
    CASE(gs_opt_step_with(im->step, &adam, 16, w, g, s, 0), "step = 0", "adam step 0");
    CASE(gs_opt_step_with(im->step, &adam, 16, w, g, g + 8, 1), "overlap", "state overlapping g");
    CASE(gs_opt_step_with(im->step, &sgd, 16, w, w + 4, NULL, 1), "overlap", "g overlapping w");
    gs_opt_t bad = adam;
    bad.beta2 = 1.0f;
    CASE(gs_opt_step_with(im->step, &bad, 16, w, g, s, 1), "betas", "adam beta2 = 1");
    bad = sdagd;
    bad.sdagd_r = 0.0f;
    CASE(gs_opt_step_with(im->step, &bad, 16, w, g, s, 1), "sdagd_r", "sdagd R = 0");
    bad = sgd;
    bad.lr = INFINITY;
    CASE(gs_opt_step_with(im->step, &bad, 16, w, g, s, 1), "lr", "lr inf");
    bad.kind = GS_OPT_COUNT;
    CASE(gs_opt_step_with(im->step, &bad, 16, w, g, s, 1), "kind", "kind out of range");
    double ss;
    CASE(gs_sumsq_with(im->sumsq, -1, g, &ss), "n = -1", "sumsq n < 0");
    CASE(gs_sumsq_with(im->sumsq, 16, g, NULL), "sumsq is NULL", "sumsq output NULL");
    CASE(gs_scale_with(im->scale, 16, NULL, 0.5f), "g is NULL", "scale g NULL");
    CASE(gs_scale_with(im->scale, 16, g, NAN), "scale = nan", "scale NaN");
    CASE(gs_add_noise_with(im->add_noise, 16, g, -1.0f, 1, 2), "std = -1", "noise std < 0");
    CASE(gs_add_noise_with(im->add_noise, 0, g, 1.0f, 1, 2), "n = 0", "noise n = 0");
#undef CASE
    gs_check(gs_opt_step_with(im->step, &sgd, 16, w, g, NULL, 1) == GS_OK, "%s optim: SGD needs no state", im->name);
}

static void problem_cases(void)
{
    gs_act_problem_t a;
    gs_softmax_ce_problem_t s;
    gs_optim_problem_t o;
    gs_check(gs_act_problem_parse("n10foo", &a) == GS_EFORMAT, "act problem 'n10foo': unknown activation");
    gs_check(gs_act_problem_parse("n0sigmoid", &a) == GS_EFORMAT, "act problem 'n0sigmoid': n out of range");
    gs_check(gs_act_problem_parse("n10sigmoidalpha0.1", &a) == GS_EFORMAT && strstr(gs_error_detail(), "no alpha"),
             "act problem 'n10sigmoidalpha0.1': sigmoid takes no alpha");
    gs_check(gs_act_problem_parse("n10leaky_relu", &a) == GS_OK && a.act.alpha == 0.01f,
             "act problem 'n10leaky_relu': default slope 0.01");
    gs_check(gs_softmax_ce_problem_parse("mb0c10", &s) == GS_EFORMAT, "softmax problem 'mb0c10': mb out of range");
    gs_check(gs_softmax_ce_problem_parse("mb64", &s) == GS_OK && s.c == 10, "softmax problem 'mb64': 10 classes");
    gs_check(gs_optim_problem_parse("n100rmsprop", &o) == GS_EFORMAT, "optim problem 'n100rmsprop': unknown op");
    gs_check(gs_act_parse("swish", &a.act.kind) == GS_EINVAL, "gs_act_parse('swish'): GS_EINVAL");
    gs_error_clear();
}

/* The shipped shape files list exactly the built-in problems. */
static void shape_files_cases(void)
{
    gs_act_problem_t *fa = NULL, *da = NULL;
    gs_softmax_ce_problem_t *fs = NULL, *ds = NULL;
    gs_optim_problem_t *fo = NULL, *dop = NULL;
    size_t nfa = 0, nda = 0, nfs = 0, nds = 0, nfo = 0, ndo = 0;
    bool ok = gs_act_problems_read(GS_SOURCE_DIR "/tests/inputs/act/shapes_default", &fa, &nfa) == GS_OK &&
              gs_act_problems_default(&da, &nda) == GS_OK && nfa == nda;
    for (size_t i = 0; ok && i < nda; i++)
        ok = fa[i].n == da[i].n && fa[i].act.kind == da[i].act.kind && fa[i].act.alpha == da[i].act.alpha;
    gs_check(ok, "tests/inputs/act/shapes_default lists the %zu built-in activation problems", nda);
    ok = gs_softmax_ce_problems_read(GS_SOURCE_DIR "/tests/inputs/softmax_ce/shapes_default", &fs, &nfs) == GS_OK &&
         gs_softmax_ce_problems_default(&ds, &nds) == GS_OK && nfs == nds;
    for (size_t i = 0; ok && i < nds; i++)
        ok = fs[i].mb == ds[i].mb && fs[i].c == ds[i].c;
    gs_check(ok, "tests/inputs/softmax_ce/shapes_default lists the %zu built-in softmax problems", nds);
    ok = gs_optim_problems_read(GS_SOURCE_DIR "/tests/inputs/optim/shapes_default", &fo, &nfo) == GS_OK &&
         gs_optim_problems_default(&dop, &ndo) == GS_OK && nfo == ndo;
    for (size_t i = 0; ok && i < ndo; i++)
        ok = fo[i].n == dop[i].n && fo[i].op == dop[i].op;
    gs_check(ok, "tests/inputs/optim/shapes_default lists the %zu built-in optimizer problems", ndo);
    free(fa), free(da), free(fs), free(ds), free(fo), free(dop);
}

int main(void)
{
    gs_check(gs_dispatch_init(GS_IMPL_NATIVE, -1) == GS_OK, "dispatch table filled");
    act_cases("dispatched", gs_kern.act_fwd, gs_kern.act_bwd);
    float x[8] = {0}, y[8];
    expect(gs_act_fwd((gs_act_t){GS_ACT_TANH, 0.0f}, 0, x, y), "n = 0", "gs_act_fwd n = 0");
    int32_t lab[2] = {0, 12};
    float loss;
    long hits;
    expect(gs_softmax_ce(2, 10, x, lab, &loss, &hits, NULL), "labels[1] = 12", "gs_softmax_ce label 12 (row 1)");
    expect(gs_opt_step(NULL, 8, x, y, NULL, 1), "opt is NULL", "gs_opt_step opt NULL");
    expect(gs_add_noise(8, NULL, 1.0f, 1, 1), "g is NULL", "gs_add_noise g NULL");
    for (int i = 0; i < GS_ISA_COUNT; i++) {
        const gs_act_impl_t a = gs_act_impl_for_isa((gs_isa_t)i);
        const gs_softmax_ce_impl_t s = gs_softmax_ce_impl_for_isa((gs_isa_t)i);
        const gs_optim_impl_t o = gs_optim_impl_for_isa((gs_isa_t)i);
        if (!a.fwd)
            continue;
        act_cases(a.name, a.fwd, a.bwd);
        softmax_cases(s.name, s.ce, s.mse);
        optim_cases(&o);
    }
    act_cases("avx512_emu", gs_act_fwd_avx512_emu, gs_act_bwd_avx512_emu);
    softmax_cases("avx512_emu", gs_softmax_ce_avx512_emu, gs_softmax_mse_avx512_emu);
    const gs_optim_impl_t emu = {"avx512_emu", gs_opt_step_avx512_emu, gs_sumsq_avx512_emu, gs_scale_avx512_emu,
                                 gs_add_noise_avx512_emu};
    optim_cases(&emu);
    act_cases("onednn", gs_act_fwd_onednn, gs_act_bwd_onednn);
    softmax_cases("onednn", gs_softmax_ce_onednn, gs_softmax_mse_onednn);
    problem_cases();
    shape_files_cases();
    return gs_test_done("test_eltwise_bad_args");
}
