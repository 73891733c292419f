/* Scalar max pooling: the oracle the vector kernels and oneDNN are checked against. */
#include <string.h>

#include "kernels/pool/pool.h"

/* Window index of output (n, c, y, x) stored in the workspace as uint8 or int32. */
static void ws_put(void *ws, size_t i, int wide, long v)
{
    if (wide)
        ((int32_t *)ws)[i] = (int32_t)v;
    else
        ((uint8_t *)ws)[i] = (uint8_t)v;
}

static long ws_get(const void *ws, size_t i, int wide)
{
    return wide ? (long)((const int32_t *)ws)[i] : (long)((const uint8_t *)ws)[i];
}

gs_status_t gs_pool_fwd_ref(const gs_pool_shape_t *s, const float *src, float *dst, void *ws)
{
    const int wide = gs_pool_ws_index_bytes(s) > 1;
    const long planes = s->mb * s->c;
    for (long p = 0; p < planes; p++) {
        const float *in = src + p * s->ih * s->iw;
        for (long y = 0; y < s->oh; y++) {
            for (long x = 0; x < s->ow; x++) {
                const float *win = in + y * s->sh * s->iw + x * s->sw;
                float best = win[0];
                long arg = 0;
                for (long ky = 0; ky < s->kh; ky++)
                    for (long kx = 0; kx < s->kw; kx++)
                        if (win[ky * s->iw + kx] > best) { /* strict: ties keep the first */
                            best = win[ky * s->iw + kx];
                            arg = ky * s->kw + kx;
                        }
                const size_t o = (size_t)((p * s->oh + y) * s->ow + x);
                dst[o] = best;
                ws_put(ws, o, wide, arg);
            }
        }
    }
    return GS_OK;
}

gs_status_t gs_pool_bwd_ref(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src)
{
    const int wide = gs_pool_ws_index_bytes(s) > 1;
    const long planes = s->mb * s->c;
    memset(diff_src, 0, (size_t)(planes * s->ih * s->iw) * sizeof(float));
    for (long p = 0; p < planes; p++) {
        float *out = diff_src + p * s->ih * s->iw;
        for (long y = 0; y < s->oh; y++) {
            for (long x = 0; x < s->ow; x++) {
                const size_t o = (size_t)((p * s->oh + y) * s->ow + x);
                const long arg = ws_get(ws, o, wide);
                out[(y * s->sh + arg / s->kw) * s->iw + x * s->sw + arg % s->kw] += diff_dst[o];
            }
        }
    }
    return GS_OK;
}
