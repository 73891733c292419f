/* Max pooling, NCHW: forward keeps the argmax each backward needs; backward scatters diff_dst to it.
 * src: mb x c x ih x iw; dst: mb x c x oh x ow, oh = (ih - kh) / sh + 1 (no padding; rows and columns
 * that do not fill a window are dropped, as in PyTorch's floor mode). Outputs are overwritten. */
#ifndef GS_POOL_H
#define GS_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct {
    long mb, c, ih, iw, kh, kw, sh, sw;
    long oh, ow; /* derived by gs_pool_shape_init */
} gs_pool_shape_t;

gs_status_t gs_pool_shape_init(gs_pool_shape_t *s);
const char *gs_pool_shape_str(const gs_pool_shape_t *s, char *buf, unsigned long size);

/* Bytes of the workspace forward fills and backward reads, for every implementation (oneDNN's own
 * workspace included): allocate this much once per layer. */
size_t gs_pool_ws_bytes(const gs_pool_shape_t *s);

typedef gs_status_t gs_pool_fwd_fn(const gs_pool_shape_t *s, const float *src, float *dst, void *ws);
typedef gs_status_t gs_pool_bwd_fn(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src);

gs_status_t gs_pool_fwd(const gs_pool_shape_t *s, const float *src, float *dst, void *ws);
gs_status_t gs_pool_bwd(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src);

#ifdef GS_AVX512_EMULATED
#define gs_pool_fwd_avx512 gs_pool_fwd_avx512_emu
#define gs_pool_bwd_avx512 gs_pool_bwd_avx512_emu
#endif

gs_pool_fwd_fn gs_pool_fwd_ref, gs_pool_fwd_avx2, gs_pool_fwd_avx512, gs_pool_fwd_avx512_emu, gs_pool_fwd_onednn;
gs_pool_bwd_fn gs_pool_bwd_ref, gs_pool_bwd_avx2, gs_pool_bwd_avx512, gs_pool_bwd_avx512_emu, gs_pool_bwd_onednn;

#endif
