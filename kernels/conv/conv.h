/* 2-D convolution, NCHW at the API: forward (+bias), backward-data, backward-weights (+bias gradient).
 * src: mb x ic x ih x iw; wei: oc x ic x kh x kw; bias, diff_bias: oc; dst: mb x oc x oh x ow,
 * with oh = (ih + 2*ph - kh) / sh + 1 (likewise ow). Outputs are overwritten, not accumulated. */
#ifndef GS_CONV_H
#define GS_CONV_H

#include "core/status.h"

typedef struct {
    long mb, ic, ih, iw, oc, kh, kw;
    long sh, sw, ph, pw;
    long oh, ow; /* derived by gs_conv_shape_init */
} gs_conv_shape_t;

/* Checks the sizes (all > 0, strides >= 1, 0 <= padding < kernel, output >= 1) and derives oh, ow.
 * GS_EINVAL naming the field otherwise. */
gs_status_t gs_conv_shape_init(gs_conv_shape_t *s);

/* Room for any shape's string. */
#define GS_CONV_SHAPE_STR_MAX 128

/* "mb64ic20ih12iw12oc50kh5kw5sh1sw1ph0pw0" style string of a shape (benchdnn names), every field. */
const char *gs_conv_shape_str(const gs_conv_shape_t *s, char *buf, unsigned long size);

/* dst = conv(src, wei) + bias (bias may be NULL). */
typedef gs_status_t gs_conv_fwd_fn(const gs_conv_shape_t *s, const float *src, const float *wei,
                                   const float *bias, float *dst);
/* diff_src = conv_transpose(diff_dst, wei). */
typedef gs_status_t gs_conv_bwd_data_fn(const gs_conv_shape_t *s, const float *diff_dst, const float *wei,
                                        float *diff_src);
/* diff_wei = correlation of src and diff_dst over the minibatch; diff_bias = sum of diff_dst over
 * mb, oh, ow (skipped when NULL). */
typedef gs_status_t gs_conv_bwd_weights_fn(const gs_conv_shape_t *s, const float *src, const float *diff_dst,
                                           float *diff_wei, float *diff_bias);

/* Public entries: check pointers and shape, dispatch, profile ("conv_fwd", "conv_bwd_data",
 * "conv_bwd_weights"; FLOPs = 2*mb*oc*oh*ow*ic*kh*kw each). */
gs_status_t gs_conv_fwd(const gs_conv_shape_t *s, const float *src, const float *wei, const float *bias, float *dst);
gs_status_t gs_conv_bwd_data(const gs_conv_shape_t *s, const float *diff_dst, const float *wei, float *diff_src);
gs_status_t gs_conv_bwd_weights(const gs_conv_shape_t *s, const float *src, const float *diff_dst, float *diff_wei,
                                float *diff_bias);

/* Runs one implementation through the same checks as the public entries, without profiling (tests
 * and the validation driver call variants that are not the dispatched one). */
gs_status_t gs_conv_fwd_with(gs_conv_fwd_fn *fn, const gs_conv_shape_t *s, const float *src, const float *wei,
                             const float *bias, float *dst);
gs_status_t gs_conv_bwd_data_with(gs_conv_bwd_data_fn *fn, const gs_conv_shape_t *s, const float *diff_dst,
                                  const float *wei, float *diff_src);
gs_status_t gs_conv_bwd_weights_with(gs_conv_bwd_weights_fn *fn, const gs_conv_shape_t *s, const float *src,
                                     const float *diff_dst, float *diff_wei, float *diff_bias);

/* The pass of a convolution, as the oneDNN reference caches its primitives. */
typedef enum { GS_CONV_FWD = 0, GS_CONV_BWD_DATA, GS_CONV_BWD_WEIGHTS } gs_conv_pass_t;

/* What the oneDNN reference ran for this shape and pass (with or without bias) on its latest call:
 * its implementation name and the memory layout ("x64:gemm:jit, nchw" or "jit:avx512_core,
 * blocked + reorders"), into buf. "not run yet" before the first call. */
const char *gs_conv_onednn_describe(const gs_conv_shape_t *s, gs_conv_pass_t pass, int with_bias, char *buf,
                                    unsigned long size);

#ifdef GS_AVX512_EMULATED
#define gs_conv_fwd_avx512 gs_conv_fwd_avx512_emu
#define gs_conv_bwd_data_avx512 gs_conv_bwd_data_avx512_emu
#define gs_conv_bwd_weights_avx512 gs_conv_bwd_weights_avx512_emu
#endif

gs_conv_fwd_fn gs_conv_fwd_ref, gs_conv_fwd_avx2, gs_conv_fwd_avx512, gs_conv_fwd_avx512_emu, gs_conv_fwd_onednn;
gs_conv_bwd_data_fn gs_conv_bwd_data_ref, gs_conv_bwd_data_avx2, gs_conv_bwd_data_avx512,
    gs_conv_bwd_data_avx512_emu, gs_conv_bwd_data_onednn;
gs_conv_bwd_weights_fn gs_conv_bwd_weights_ref, gs_conv_bwd_weights_avx2, gs_conv_bwd_weights_avx512,
    gs_conv_bwd_weights_avx512_emu, gs_conv_bwd_weights_onednn;

#endif
