/* Element-wise activations, forward and backward, over n contiguous floats; forward may run in place
 * (y == x) and backward may write dx over dy. The catalog of SCENARIOS.md:
 *   identity, sigmoid, tanh, relu, leaky_relu (slope alpha), elu (alpha),
 *   sigmoid_modderiv: forward sigmoid, backward sigmoid'(z) + alpha (the modified derivative),
 *   sigmoid_linear:   g(z) = sigmoid(z) + alpha * z, g'(z) = sigmoid'(z) + alpha. */
#ifndef GS_ACT_H
#define GS_ACT_H

#include "core/status.h"

typedef enum {
    GS_ACT_IDENTITY = 0,
    GS_ACT_SIGMOID,
    GS_ACT_TANH,
    GS_ACT_RELU,
    GS_ACT_LEAKY_RELU,
    GS_ACT_ELU,
    GS_ACT_SIGMOID_MODDERIV,
    GS_ACT_SIGMOID_LINEAR,
    GS_ACT_COUNT
} gs_act_kind_t;

typedef struct {
    gs_act_kind_t kind;
    float alpha; /* leaky_relu slope, elu alpha, or the beta of the two sigmoid variants */
} gs_act_t;

/* "sigmoid", "leaky_relu", ...; "?" for a kind out of range. */
const char *gs_act_name(gs_act_kind_t kind);
/* The kind named `name`; GS_EINVAL listing the names otherwise. */
gs_status_t gs_act_parse(const char *name, gs_act_kind_t *kind);
/* True when the kind's result depends on alpha (leaky_relu, elu and the two sigmoid variants). */
int gs_act_uses_alpha(gs_act_kind_t kind);

/* y = f(x). */
typedef gs_status_t gs_act_fwd_fn(gs_act_t act, long n, const float *x, float *y);
/* dx = dy * f'(x); x is the forward input and y its output (each kind reads what it needs, so the
 * caller keeps both). */
typedef gs_status_t gs_act_bwd_fn(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *dx);

/* The public entries: check the arguments, run the dispatched kernel, record it in the profiler
 * ("act_fwd" / "act_bwd", shape "n<count><kind>[alpha<F>]"). GS_EINVAL (naming the argument) for a
 * kind out of range, a non-finite alpha, n <= 0, a NULL buffer, y overlapping x other than y == x,
 * or dx overlapping x or y, or dy other than dx == dy. */
gs_status_t gs_act_fwd(gs_act_t act, long n, const float *x, float *y);
gs_status_t gs_act_bwd(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *dx);

/* The same checks, then one given implementation (tests, validation and benchmarks run variants
 * that are not the dispatched one); no profiling. */
gs_status_t gs_act_fwd_with(gs_act_fwd_fn *fn, gs_act_t act, long n, const float *x, float *y);
gs_status_t gs_act_bwd_with(gs_act_bwd_fn *fn, gs_act_t act, long n, const float *x, const float *y,
                            const float *dy, float *dx);

/* Bytes one call moves per element, STREAM-style (each array read or written once, no write
 * allocate): forward reads x and writes y (8); backward reads dy, writes dx and reads the one of
 * x or y the kind's derivative needs (12; identity: 8). The profiler and the benchmarks use it. */
double gs_act_fwd_bytes_per_elem(gs_act_kind_t kind);
double gs_act_bwd_bytes_per_elem(gs_act_kind_t kind);

/* "n<count><kind>[alpha<F>]", the profiler's shape and the validate/bench problem string. */
const char *gs_act_shape(gs_act_t act, long n, char *buf, unsigned long size);

#ifdef GS_AVX512_EMULATED
#define gs_act_fwd_avx512 gs_act_fwd_avx512_emu
#define gs_act_bwd_avx512 gs_act_bwd_avx512_emu
#endif

gs_act_fwd_fn gs_act_fwd_ref, gs_act_fwd_avx2, gs_act_fwd_avx512, gs_act_fwd_avx512_emu, gs_act_fwd_onednn;
gs_act_bwd_fn gs_act_bwd_ref, gs_act_bwd_avx2, gs_act_bwd_avx512, gs_act_bwd_avx512_emu, gs_act_bwd_onednn;

#endif
