/* Max pooling, NCHW: forward keeps the argmax each backward needs; backward scatters diff_dst to it.
 * src: mb x c x ih x iw; dst: mb x c x oh x ow, oh = (ih - kh) / sh + 1 (no padding; rows and columns
 * that do not fill a window are dropped, as in PyTorch's floor mode). Outputs are overwritten.
 * The maximum of a window is its first largest element in row-major scan order (ties go to the
 * element read first), as oneDNN and PyTorch choose it. Comparisons with NaN are false, so a NaN
 * wins a window only from its first position (PyTorch propagates every NaN; training stops on NaN
 * losses long before this matters). */
#ifndef GS_POOL_H
#define GS_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef struct {
    long mb, c, ih, iw, kh, kw, sh, sw;
    long oh, ow; /* derived by gs_pool_shape_init */
} gs_pool_shape_t;

/* Checks the given fields (all > 0, the window inside the input) and derives oh and ow; GS_EINVAL
 * naming the field otherwise. */
gs_status_t gs_pool_shape_init(gs_pool_shape_t *s);
/* "mb64ic20ih24iw24kh2kw2sh2sw2", the problem-string form (profiler shape column, messages). */
const char *gs_pool_shape_str(const gs_pool_shape_t *s, char *buf, unsigned long size);

/* Bytes of the workspace forward fills and backward reads, for every implementation (oneDNN's own
 * workspace included): allocate this much once per layer. 0 for a shape gs_pool_shape_init refuses.
 * The content belongs to the implementation that wrote it: backward must run the same
 * implementation as the forward that filled it. The native kernels (every ISA) share one format:
 * per output, in dst order, the index ky * kw + kx of its maximum inside the window, as uint8 when
 * kh * kw <= 256, else as int32 (gs_pool_ws_index_bytes). */
size_t gs_pool_ws_bytes(const gs_pool_shape_t *s);
size_t gs_pool_ws_index_bytes(const gs_pool_shape_t *s);
/* oneDNN's share of gs_pool_ws_bytes: its workspace for this shape (0 if it cannot make one). */
size_t gs_pool_ws_bytes_onednn(const gs_pool_shape_t *s);

/* Implementations may assume the shape passed gs_pool_shape_init and the pointers are non-NULL. */
typedef gs_status_t gs_pool_fwd_fn(const gs_pool_shape_t *s, const float *src, float *dst, void *ws);
typedef gs_status_t gs_pool_bwd_fn(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src);

/* The public entries: check the arguments, run the dispatched implementation, record the call in
 * the profiler ("pool_fwd" / "pool_bwd", bytes = src + dst + workspace traffic). */
gs_status_t gs_pool_fwd(const gs_pool_shape_t *s, const float *src, float *dst, void *ws);
gs_status_t gs_pool_bwd(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src);

/* One given implementation through the same checks (tests and the validation driver). */
gs_status_t gs_pool_fwd_with(gs_pool_fwd_fn *fn, const gs_pool_shape_t *s, const float *src, float *dst, void *ws);
gs_status_t gs_pool_bwd_with(gs_pool_bwd_fn *fn, const gs_pool_shape_t *s, const float *diff_dst, const void *ws,
                             float *diff_src);

#ifdef GS_AVX512_EMULATED
#define gs_pool_fwd_avx512 gs_pool_fwd_avx512_emu
#define gs_pool_bwd_avx512 gs_pool_bwd_avx512_emu
#endif

gs_pool_fwd_fn gs_pool_fwd_ref, gs_pool_fwd_avx2, gs_pool_fwd_avx512, gs_pool_fwd_avx512_emu, gs_pool_fwd_onednn;
gs_pool_bwd_fn gs_pool_bwd_ref, gs_pool_bwd_avx2, gs_pool_bwd_avx512, gs_pool_bwd_avx512_emu, gs_pool_bwd_onednn;

#endif
