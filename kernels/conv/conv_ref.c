/* Scalar convolution oracle: the defining sums as direct loops, accumulated in double. */
#include "kernels/conv/conv.h"

#include <stdlib.h>

/* Each output element is one whole sum computed by one thread in a fixed order, so the oracle gives
 * the same bits at any thread count; the parallel loops only make large validation problems quick. */

gs_status_t gs_conv_fwd_ref(const gs_conv_shape_t *s, const float *src, const float *wei, const float *bias,
                            float *dst)
{
    const long ihw = s->ih * s->iw, ohw = s->oh * s->ow, khw = s->kh * s->kw;
#pragma omp parallel for collapse(2) schedule(static)
    for (long n = 0; n < s->mb; n++) {
        for (long o = 0; o < s->oc; o++) {
            const float *w_o = wei + o * s->ic * khw;
            for (long oy = 0; oy < s->oh; oy++) {
                for (long ox = 0; ox < s->ow; ox++) {
                    double acc = bias ? (double)bias[o] : 0.0;
                    for (long c = 0; c < s->ic; c++) {
                        const float *x = src + (n * s->ic + c) * ihw;
                        for (long ky = 0; ky < s->kh; ky++) {
                            const long y = oy * s->sh - s->ph + ky;
                            if (y < 0 || y >= s->ih)
                                continue;
                            for (long kx = 0; kx < s->kw; kx++) {
                                const long xx = ox * s->sw - s->pw + kx;
                                if (xx >= 0 && xx < s->iw)
                                    acc += (double)w_o[c * khw + ky * s->kw + kx] * (double)x[y * s->iw + xx];
                            }
                        }
                    }
                    dst[(n * s->oc + o) * ohw + oy * s->ow + ox] = (float)acc;
                }
            }
        }
    }
    return GS_OK;
}

/* diff_src(n, c) is the sum over (o, ky, kx, oy, ox) of wei * diff_dst scattered to (oy*sh - ph + ky,
 * ox*sw - pw + kx), accumulated per plane in a double buffer in that fixed order (no division in
 * the loops, unlike a gather). */
gs_status_t gs_conv_bwd_data_ref(const gs_conv_shape_t *s, const float *diff_dst, const float *wei, float *diff_src)
{
    const long ihw = s->ih * s->iw, ohw = s->oh * s->ow, khw = s->kh * s->kw;
    gs_status_t st = GS_OK;
#pragma omp parallel
    {
        double *acc = malloc((size_t)ihw * sizeof(double));
        if (!acc) {
#pragma omp critical
            st = gs_error(GS_ENOMEM, "conv_bwd_data_ref: cannot allocate %ld doubles", ihw);
        }
#pragma omp for collapse(2) schedule(static)
        for (long n = 0; n < s->mb; n++) {
            for (long c = 0; c < s->ic; c++) {
                if (!acc)
                    continue;
                for (long i = 0; i < ihw; i++)
                    acc[i] = 0.0;
                for (long o = 0; o < s->oc; o++) {
                    const float *d = diff_dst + (n * s->oc + o) * ohw;
                    const float *w = wei + (o * s->ic + c) * khw;
                    for (long ky = 0; ky < s->kh; ky++) {
                        for (long kx = 0; kx < s->kw; kx++) {
                            const double wv = (double)w[ky * s->kw + kx];
                            for (long oy = 0; oy < s->oh; oy++) {
                                const long y = oy * s->sh - s->ph + ky;
                                if (y < 0 || y >= s->ih)
                                    continue;
                                for (long ox = 0; ox < s->ow; ox++) {
                                    const long x = ox * s->sw - s->pw + kx;
                                    if (x >= 0 && x < s->iw)
                                        acc[y * s->iw + x] += wv * (double)d[oy * s->ow + ox];
                                }
                            }
                        }
                    }
                }
                for (long i = 0; i < ihw; i++)
                    diff_src[(n * s->ic + c) * ihw + i] = (float)acc[i];
            }
        }
        free(acc);
    }
    return st;
}

gs_status_t gs_conv_bwd_weights_ref(const gs_conv_shape_t *s, const float *src, const float *diff_dst,
                                    float *diff_wei, float *diff_bias)
{
    const long ihw = s->ih * s->iw, ohw = s->oh * s->ow, khw = s->kh * s->kw;
#pragma omp parallel for collapse(2) schedule(static)
    for (long o = 0; o < s->oc; o++) {
        for (long c = 0; c < s->ic; c++) {
            for (long ky = 0; ky < s->kh; ky++) {
                for (long kx = 0; kx < s->kw; kx++) {
                    double acc = 0.0;
                    for (long n = 0; n < s->mb; n++) {
                        const float *d = diff_dst + (n * s->oc + o) * ohw;
                        const float *x = src + (n * s->ic + c) * ihw;
                        for (long oy = 0; oy < s->oh; oy++) {
                            const long y = oy * s->sh - s->ph + ky;
                            if (y < 0 || y >= s->ih)
                                continue;
                            for (long ox = 0; ox < s->ow; ox++) {
                                const long xx = ox * s->sw - s->pw + kx;
                                if (xx >= 0 && xx < s->iw)
                                    acc += (double)d[oy * s->ow + ox] * (double)x[y * s->iw + xx];
                            }
                        }
                    }
                    diff_wei[(o * s->ic + c) * khw + ky * s->kw + kx] = (float)acc;
                }
            }
        }
    }
    if (diff_bias) {
#pragma omp parallel for schedule(static)
        for (long o = 0; o < s->oc; o++) {
            double acc = 0.0;
            for (long n = 0; n < s->mb; n++)
                for (long i = 0; i < ohw; i++)
                    acc += (double)diff_dst[(n * s->oc + o) * ohw + i];
            diff_bias[o] = (float)acc;
        }
    }
    return GS_OK;
}
