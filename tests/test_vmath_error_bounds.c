/* Proves the vector exp, expm1, log, tanh, sigmoid and sincos2pi of every ISA this CPU runs, plus the SIMDe-emulated AVX-512 build, stay within the error bounds kernels/act/vmath.h documents (over a 2^24-point sample of all float bit patterns), saturate and propagate NaN as documented, and agree bit for bit across ISAs. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "kernels/act/vmath.h"
#include "test_util.h"

/* Every 257th bit pattern: 2^24 points reaching every exponent and sign. */
#define STRIDE 257u
#define CHUNK 4096

typedef struct {
    const char *name;
    gs_vmath_map_fn *exp_fn, *expm1_fn, *log_fn, *tanh_fn, *sigmoid_fn;
    gs_vmath_sincos_fn *sincos_fn;
} isa_fns_t;

static double dsigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static float bits_to_float(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* One ulp of the correctly rounded result (the subnormal step below FLT_MIN). */
static double ulp_of(float r)
{
    const float a = fabsf(r);
    if (a < FLT_MIN)
        return 0x1p-149;
    int e;
    frexpf(a, &e);
    return ldexp(1.0, e - 24);
}

typedef struct {
    double ulp, rel, sub_abs;
    long specials_wrong;
} errs_t;

/* Worst errors of fn against ref over the sample: ulp and relative where the correctly rounded
 * result is normal, absolute where it is subnormal; a wrong inf/NaN counts as a special failure. */
static errs_t measure(gs_vmath_map_fn *fn, double (*ref)(double))
{
    errs_t total = {0, 0, 0, 0};
    const long nchunks = (long)((0x100000000ull / STRIDE + CHUNK - 1) / CHUNK);
#pragma omp parallel
    {
        float x[CHUNK], y[CHUNK];
        errs_t e = {0, 0, 0, 0};
#pragma omp for schedule(dynamic, 16)
        for (long c = 0; c < nchunks; c++) {
            int n = 0;
            for (; n < CHUNK; n++) {
                const uint64_t b = ((uint64_t)c * CHUNK + (uint64_t)n) * STRIDE;
                if (b > 0xffffffffull)
                    break;
                x[n] = bits_to_float((uint32_t)b);
            }
            fn(n, x, y);
            for (int i = 0; i < n; i++) {
                const double r = ref((double)x[i]);
                const float rf = (float)r;
                if (isnan(r) || isinf(rf)) {
                    e.specials_wrong += isnan(r) ? !isnan(y[i]) : y[i] != rf;
                    continue;
                }
                if (!isfinite(y[i])) {
                    e.specials_wrong++;
                    continue;
                }
                const double d = fabs((double)y[i] - r);
                if (fabsf(rf) < FLT_MIN) {
                    e.sub_abs = d > e.sub_abs ? d : e.sub_abs;
                    continue;
                }
                const double u = d / ulp_of(rf), rel = d / fabs(r);
                e.ulp = u > e.ulp ? u : e.ulp;
                e.rel = rel > e.rel ? rel : e.rel;
            }
        }
#pragma omp critical
        {
            total.ulp = e.ulp > total.ulp ? e.ulp : total.ulp;
            total.rel = e.rel > total.rel ? e.rel : total.rel;
            total.sub_abs = e.sub_abs > total.sub_abs ? e.sub_abs : total.sub_abs;
            total.specials_wrong += e.specials_wrong;
        }
    }
    return total;
}

static void check_bounds(const char *isa, const char *fn, errs_t e, double max_ulp, double max_rel)
{
    gs_check(e.ulp <= max_ulp && e.rel <= max_rel && e.sub_abs <= GS_VMATH_SUBNORMAL_MAX_ABS && e.specials_wrong == 0,
             "%s %s: max %.3f ulp (bound %.2f), relative %.3g (bound %.3g), subnormal absolute %.3g (bound %.3g), "
             "%ld wrong inf/NaN", isa, fn, e.ulp, max_ulp, e.rel, max_rel, e.sub_abs, GS_VMATH_SUBNORMAL_MAX_ABS,
             e.specials_wrong);
}

/* sin and cos of 2 pi u for every 64th float in [-1, 1], against double libm. */
static void check_sincos(const isa_fns_t *f)
{
    double worst = 0.0;
    const uint32_t one = 0x3f800000u;
#pragma omp parallel for reduction(max : worst) schedule(dynamic, 16)
    for (long c = 0; c < (long)(one / 64 / CHUNK) + 1; c++) {
        float u[2 * CHUNK], s[2 * CHUNK], co[2 * CHUNK];
        int n = 0;
        for (int i = 0; i < CHUNK; i++) {
            const uint64_t b = ((uint64_t)c * CHUNK + (uint64_t)i) * 64;
            if (b > one)
                break;
            u[n++] = bits_to_float((uint32_t)b);
            u[n++] = -bits_to_float((uint32_t)b);
        }
        f->sincos_fn(n, u, s, co);
        for (int i = 0; i < n; i++) {
            const double a = 2.0 * M_PI * (double)u[i];
            const double e = fmax(fabs((double)s[i] - sin(a)), fabs((double)co[i] - cos(a)));
            worst = e > worst ? e : worst;
        }
    }
    gs_check(worst <= GS_VMATH_SINCOS_MAX_ABS, "%s sincos2pi: max absolute error %.3g on [-1, 1] (bound %.3g)", f->name,
             worst, GS_VMATH_SINCOS_MAX_ABS);
}

static float one(gs_vmath_map_fn *fn, float x)
{
    float y;
    fn(1, &x, &y);
    return y;
}

static void check_specials(const isa_fns_t *f)
{
    const char *n = f->name;
    const float inf = INFINITY, nan = NAN;
    gs_check(isinf(one(f->exp_fn, 89.0f)) && isinf(one(f->exp_fn, inf)) && one(f->exp_fn, 88.7f) < inf,
             "%s exp: overflows to +inf past 88.7228, finite below", n);
    gs_check(one(f->exp_fn, -104.0f) == 0.0f && one(f->exp_fn, -inf) == 0.0f && one(f->exp_fn, -100.0f) > 0.0f,
             "%s exp: underflows to 0 below -103.98 (exp(-100) = %g, a subnormal)", n, (double)one(f->exp_fn, -100.0f));
    gs_check(one(f->expm1_fn, -20.0f) == -1.0f && one(f->expm1_fn, 1e-30f) == 1e-30f,
             "%s expm1: -1 at -20, x itself for tiny x", n);
    gs_check(one(f->log_fn, 0.0f) == -inf && one(f->log_fn, -0.0f) == -inf && isnan(one(f->log_fn, -1.0f)) &&
                 one(f->log_fn, inf) == inf && fabsf(one(f->log_fn, 0x1p-149f) + 103.27893f) < 1e-5f,
             "%s log: -inf at +-0, NaN below 0, +inf at +inf, log(2^-149) = %.8g", n,
             (double)one(f->log_fn, 0x1p-149f));
    gs_check(one(f->tanh_fn, 20.0f) == 1.0f && one(f->tanh_fn, -20.0f) == -1.0f && one(f->tanh_fn, inf) == 1.0f &&
                 signbit(one(f->tanh_fn, -0.0f)) && one(f->tanh_fn, -0.0f) == 0.0f,
             "%s tanh: exactly +-1 at +-20 and +-inf, -0 at -0", n);
    const float s_m100 = one(f->sigmoid_fn, -100.0f);
    gs_check(one(f->sigmoid_fn, 100.0f) == 1.0f && fabs((double)s_m100 - 3.7200759760208e-44) <= 0x1p-149 &&
                 one(f->sigmoid_fn, inf) == 1.0f && one(f->sigmoid_fn, -inf) == 0.0f,
             "%s sigmoid: 1 at 100 and inf, %g at -100 (3.72e-44), 0 at -inf", n, (double)s_m100);
    gs_vmath_map_fn *all[5] = {f->exp_fn, f->expm1_fn, f->log_fn, f->tanh_fn, f->sigmoid_fn};
    int nan_ok = 1;
    for (int i = 0; i < 5; i++)
        nan_ok &= isnan(one(all[i], nan)) && isnan(one(all[i], -nan));
    gs_check(nan_ok, "%s: NaN in gives NaN out for exp, expm1, log, tanh, sigmoid", n);
}

/* The same sample through two ISAs must give the same bits (vmath_avx512.h mirrors vmath_avx2.h). */
static void check_identical(const isa_fns_t *a, const isa_fns_t *b)
{
    enum { N = 1 << 16 };
    float *x = malloc(N * sizeof(float)), *ya = malloc(N * sizeof(float)), *yb = malloc(N * sizeof(float));
    int same = 1;
    for (uint32_t i = 0; i < N; i++)
        x[i] = bits_to_float(i * 65537u);
    gs_vmath_map_fn *fa[5] = {a->exp_fn, a->expm1_fn, a->log_fn, a->tanh_fn, a->sigmoid_fn};
    gs_vmath_map_fn *fb[5] = {b->exp_fn, b->expm1_fn, b->log_fn, b->tanh_fn, b->sigmoid_fn};
    for (int k = 0; k < 5; k++) {
        fa[k](N, x, ya);
        fb[k](N, x, yb);
        same &= memcmp(ya, yb, N * sizeof(float)) == 0;
    }
    gs_check(same, "%s and %s give bit-identical results on 65536 bit patterns", a->name, b->name);
    free(x), free(ya), free(yb);
}

static void check_isa(const isa_fns_t *f)
{
    check_bounds(f->name, "exp", measure(f->exp_fn, exp), GS_VMATH_EXP_MAX_ULP, GS_VMATH_EXP_MAX_REL);
    check_bounds(f->name, "expm1", measure(f->expm1_fn, expm1), GS_VMATH_EXPM1_MAX_ULP, GS_VMATH_EXPM1_MAX_REL);
    check_bounds(f->name, "log", measure(f->log_fn, log), GS_VMATH_LOG_MAX_ULP, GS_VMATH_LOG_MAX_REL);
    check_bounds(f->name, "tanh", measure(f->tanh_fn, tanh), GS_VMATH_TANH_MAX_ULP, GS_VMATH_TANH_MAX_REL);
    check_bounds(f->name, "sigmoid", measure(f->sigmoid_fn, dsigmoid), GS_VMATH_SIGMOID_MAX_ULP,
                 GS_VMATH_SIGMOID_MAX_REL);
    check_sincos(f);
    check_specials(f);
}

int main(void)
{
    const isa_fns_t avx2 = {"avx2", gs_vmath_exp_avx2, gs_vmath_expm1_avx2, gs_vmath_log_avx2, gs_vmath_tanh_avx2,
                            gs_vmath_sigmoid_avx2, gs_vmath_sincos2pi_avx2};
    const isa_fns_t avx512 = {"avx512", gs_vmath_exp_avx512, gs_vmath_expm1_avx512, gs_vmath_log_avx512,
                              gs_vmath_tanh_avx512, gs_vmath_sigmoid_avx512, gs_vmath_sincos2pi_avx512};
    const isa_fns_t emu = {"avx512_emu", gs_vmath_exp_avx512_emu, gs_vmath_expm1_avx512_emu, gs_vmath_log_avx512_emu,
                           gs_vmath_tanh_avx512_emu, gs_vmath_sigmoid_avx512_emu, gs_vmath_sincos2pi_avx512_emu};
    /* the emulated build needs AVX2 underneath (it is compiled with -mavx2) */
    if (gs_isa_supported(GS_ISA_AVX2)) {
        check_isa(&avx2);
        check_isa(&emu);
        check_identical(&avx2, &emu);
    } else {
        gs_check(1, "no AVX2 on this CPU: nothing to measure (the vector math needs AVX2 at least)");
    }
    if (gs_isa_supported(GS_ISA_AVX512)) {
        check_isa(&avx512);
        check_identical(&avx2, &avx512);
    }
    return gs_test_done("test_vmath_error_bounds");
}
