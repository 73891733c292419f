/* The SIMD convolution passes as always-inline templates over a vector type: conv_avx2.c and
 * conv_avx512.c define vec_t, VL (floats per vector), MR_MAX (rows of the broadcast tile), DR x DC
 * (the dot tile) and the vec_* helpers below, then include this file, so one source serves both.
 *
 * Layouts (K = ic*kh*kw, P = oh*ow, one image):
 *   col[k][p]     im2col of a chunk of output rows: row k = (c, ky, kx) holds src(c, oy*sh-ph+ky,
 *                 ox*sw-pw+kx) for the chunk's pixels p = (oy, ox), zero where that is padding; rows
 *                 are `ld` floats apart, ld a multiple of NR, zero past the pixels.
 *   forward       dst[o][p] = bias[o] + sum_k wei[o][k] col[k][p]: a GEMM with the output channels
 *                 as rows and the pixels in the vector lanes, the weights broadcast from a packed copy.
 *   backward-data colgrad[k][p] = sum_o wei[o][k] diff_dst[o][p] (the same tile kernel, diff_dst
 *                 read in place), then col2im adds colgrad back onto diff_src.
 *   backward-wei  diff_wei[o][k] = sum over images and pixels of diff_dst[o][p] col[k][p]: dot
 *                 products with the pixels in the lanes, a DR x DC block of them per tile, summed
 *                 across the lanes once per batch of images.
 * Needs: vec_t, VL, MR_MAX, DR, DC; vec_zero, vec_load, vec_store, vec_set1, vec_fma, vec_add,
 * vec_load_lanes(p, lo, hi) (lanes [lo, hi) from p[lane], the others zero, nothing else read),
 * vec_store_lanes(p, v, lo, hi) (only lanes [lo, hi) written) and vec_hsum. */
#ifndef GS_CONV_TPL_H
#define GS_CONV_TPL_H

#include <omp.h>
#include <string.h>

#include "core/mem.h"
#include "kernels/conv/conv.h"
#include "kernels/conv/conv_plan.h"

#define TPL static inline __attribute__((always_inline))
#define NR (2 * VL) /* pixels per tile of the broadcast kernel: two vectors */

/* Most images a backward-weights batch holds: enough to make the cross-lane sums rare. */
#define BATCH_MAX 16

static inline long min_l(long a, long b) { return a < b ? a : b; }
static inline long max_l(long a, long b) { return a > b ? a : b; }

/* ---- im2col ----
 * Copies and zero fills write whole vectors, so each may leave up to VL-1 floats of garbage past its
 * end. Every buffer is written in increasing address order, each write starting exactly where its
 * data begins, so the next write overwrites that garbage; buffers carry VL floats of slack for the
 * last one. This keeps the copies free of masks for the short rows of LeNet (ow = 24, 8). */

static inline void zero_forward(float *dst, long n)
{
    for (long i = 0; i < n; i += VL)
        vec_store(dst + i, vec_zero());
}

/* Reads past src + n only while below src_end (the end of the tensor). */
static inline void copy_forward(float *dst, const float *src, long n, const float *src_end)
{
    long i = 0;
    for (; i + VL <= n; i += VL)
        vec_store(dst + i, vec_load(src + i));
    if (i < n)
        vec_store(dst + i, src + i + VL <= src_end ? vec_load(src + i) : vec_load_lanes(src + i, 0, (int)(n - i)));
}

/* One im2col row (channel plane x, kernel tap ky, kx) for output rows [y0, y1), unit column stride:
 * each output row is a run of zeros (left padding), a copy, and zeros (right padding). */
static void im2col_row_unit(const gs_conv_shape_t *s, const float *x, const float *x_end, long ky, long kx,
                            long y0, long y1, float *d)
{
    const long lo = min_l(s->ow, max_l(0, s->pw - kx)), hi = max_l(lo, min_l(s->ow, s->iw + s->pw - kx));
    for (long oy = y0; oy < y1; oy++, d += s->ow) {
        const long iy = oy * s->sh - s->ph + ky;
        if (iy < 0 || iy >= s->ih || lo == hi) {
            zero_forward(d, s->ow);
            continue;
        }
        if (lo > 0)
            zero_forward(d, lo);
        copy_forward(d + lo, x + iy * s->iw + lo - s->pw + kx, hi - lo, x_end);
        if (hi < s->ow)
            zero_forward(d + hi, s->ow - hi);
    }
}

/* The same for a column stride above 1: a gather, element by element. */
static void im2col_row_strided(const gs_conv_shape_t *s, const float *x, long ky, long kx, long y0, long y1,
                               float *d)
{
    for (long oy = y0; oy < y1; oy++) {
        const long iy = oy * s->sh - s->ph + ky;
        for (long ox = 0; ox < s->ow; ox++, d++) {
            const long ix = ox * s->sw - s->pw + kx;
            *d = iy >= 0 && iy < s->ih && ix >= 0 && ix < s->iw ? x[iy * s->iw + ix] : 0.0f;
        }
    }
}

/* im2col rows of channels [c0, c1) of image `x` for output rows [y0, y1), `ld` apart. */
static void im2col(const gs_conv_shape_t *s, const float *x, const float *x_end, long c0, long c1, long y0, long y1,
                   float *col, long ld)
{
    const long npx = (y1 - y0) * s->ow, ihw = s->ih * s->iw;
    float *row = col;
    for (long c = c0; c < c1; c++) {
        for (long ky = 0; ky < s->kh; ky++) {
            for (long kx = 0; kx < s->kw; kx++, row += ld) {
                if (s->sw == 1)
                    im2col_row_unit(s, x + c * ihw, x_end, ky, kx, y0, y1, row);
                else
                    im2col_row_strided(s, x + c * ihw, ky, kx, y0, y1, row);
                if (ld > npx)
                    zero_forward(row + npx, ld - npx);
            }
        }
    }
}

/* ---- The broadcast tile: C[mr x nr] = init + A[mr x kc] B[kc x nr] ----
 * A packed as kc steps of mr adjacent values; B rows ldb apart, NR floats each (the first nr valid;
 * with `masked`, only those are read); init = bias[i] per row or zero; only C's first nr columns
 * are written. */
TPL void tile_body(const int mr, const int masked, long kc, const float *restrict a, const float *restrict b, long ldb,
                   float *restrict c, long ldc, const float *restrict bias, int nr)
{
    vec_t acc[MR_MAX][2];
#pragma GCC unroll 16
    for (int i = 0; i < mr; i++)
        acc[i][0] = acc[i][1] = bias ? vec_set1(bias[i]) : vec_zero();
    const int n0 = nr < VL ? nr : VL, n1 = nr - n0;
    for (long k = 0; k < kc; k++, a += mr, b += ldb) {
        const vec_t b0 = masked ? vec_load_lanes(b, 0, n0) : vec_load(b);
        const vec_t b1 = masked ? (n1 ? vec_load_lanes(b + VL, 0, n1) : vec_zero()) : vec_load(b + VL);
#pragma GCC unroll 16
        for (int i = 0; i < mr; i++) {
            const vec_t ai = vec_set1(a[i]);
            acc[i][0] = vec_fma(ai, b0, acc[i][0]);
            acc[i][1] = vec_fma(ai, b1, acc[i][1]);
        }
    }
#pragma GCC unroll 16
    for (int i = 0; i < mr; i++) {
        if (nr == NR) {
            vec_store(c + i * ldc, acc[i][0]);
            vec_store(c + i * ldc + VL, acc[i][1]);
        } else {
            vec_store_lanes(c + i * ldc, acc[i][0], 0, n0);
            if (n1)
                vec_store_lanes(c + i * ldc + VL, acc[i][1], 0, n1);
        }
    }
}

/* One instantiation per row count, so the accumulators are registers. */
#define TILE_CASE(m)                                                      \
    case m:                                                               \
        if (masked)                                                       \
            tile_body(m, 1, kc, a, b, ldb, c, ldc, bias, nr);             \
        else                                                              \
            tile_body(m, 0, kc, a, b, ldb, c, ldc, bias, nr);             \
        break;

static void tile(int mr, int masked, long kc, const float *a, const float *b, long ldb, float *c, long ldc,
                 const float *bias, int nr)
{
    switch (mr) {
        TILE_CASE(1)
        TILE_CASE(2)
        TILE_CASE(3)
        TILE_CASE(4)
        TILE_CASE(5)
        TILE_CASE(6)
#if MR_MAX > 6
        TILE_CASE(7)
        TILE_CASE(8)
        TILE_CASE(9)
        TILE_CASE(10)
        TILE_CASE(11)
        TILE_CASE(12)
#endif
    default:
        break;
    }
}
#undef TILE_CASE

/* Packs row block [r0, r1) of the rows x cols matrix m (element (r, j) at m[r*rs + j*cs]) as cols
 * steps of r1-r0 adjacent values, at dst. */
static void pack_block(const float *m, long rs, long cs, long r0, long r1, long cols, float *dst)
{
    const long mr = r1 - r0;
    for (long j = 0; j < cols; j++)
        for (long i = 0; i < mr; i++)
            dst[j * mr + i] = m[(r0 + i) * rs + j * cs];
}

/* ---- Forward ---- */

typedef struct {
    const gs_conv_shape_t *s;
    const float *src, *src_end, *bias;
    const float *apack; /* weights, block b of output channels at apack + o0*K */
    float *dst;
    long K, P, nb;      /* im2col rows, pixels per image, output-channel blocks */
    gs_conv_chunks_t ch;
} fwd_ctx_t;

/* One chunk: im2col, then every pixel tile against every block of output channels, so the tile's
 * im2col panel stays in L1 while the weights stream from L2. */
static void fwd_chunk(const fwd_ctx_t *x, long unit, float *col)
{
    const gs_conv_shape_t *s = x->s;
    const long n = unit / x->ch.per_image, y0 = unit % x->ch.per_image * x->ch.rows;
    const long y1 = min_l(y0 + x->ch.rows, s->oh), npx = (y1 - y0) * s->ow;
    im2col(s, x->src + n * s->ic * s->ih * s->iw, x->src_end, 0, s->ic, y0, y1, col, x->ch.ld);
    float *d = x->dst + n * s->oc * x->P + y0 * s->ow;
    for (long j = 0; j < npx; j += NR) {
        const int nr = (int)min_l(NR, npx - j);
        for (long b = 0; b < x->nb; b++) {
            const long o0 = gs_conv_block_start(s->oc, x->nb, b), o1 = gs_conv_block_start(s->oc, x->nb, b + 1);
            tile((int)(o1 - o0), 0, x->K, x->apack + o0 * x->K, col + j, x->ch.ld, d + o0 * x->P + j, x->P,
                 x->bias ? x->bias + o0 : NULL, nr);
        }
    }
}

static gs_status_t conv_fwd_tpl(const gs_conv_shape_t *s, const float *src, const float *wei, const float *bias,
                                float *dst)
{
    fwd_ctx_t x = {.s = s, .src = src, .src_end = src + s->mb * s->ic * s->ih * s->iw, .bias = bias, .dst = dst};
    x.K = s->ic * s->kh * s->kw;
    x.P = s->oh * s->ow;
    x.nb = gs_conv_nblocks(s->oc, MR_MAX);
    x.ch = gs_conv_plan_chunks(s, x.K, NR, gs_conv_col_budget());
    const long units = s->mb * x.ch.per_image, col_elems = x.K * x.ch.ld + VL;
    const int nt = gs_conv_threads(2.0 * (double)s->mb * (double)(s->oc * x.P) * (double)x.K, units);
    float *apack = gs_alloc((size_t)(s->oc * x.K) * sizeof(float));
    float *cols = gs_alloc((size_t)(nt * col_elems) * sizeof(float));
    if (!apack || !cols) {
        gs_free(apack);
        gs_free(cols);
        return gs_error(GS_ENOMEM, "conv_fwd: cannot allocate %ld floats of packed weights and im2col",
                        s->oc * x.K + nt * col_elems);
    }
    for (long b = 0; b < x.nb; b++) {
        const long o0 = gs_conv_block_start(s->oc, x.nb, b), o1 = gs_conv_block_start(s->oc, x.nb, b + 1);
        pack_block(wei, x.K, 1, o0, o1, x.K, apack + o0 * x.K);
    }
    x.apack = apack;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        float *col = cols + omp_get_thread_num() * col_elems;
#pragma omp for schedule(static)
        for (long u = 0; u < units; u++)
            fwd_chunk(&x, u, col);
    }
    gs_free(apack);
    gs_free(cols);
    return GS_OK;
}

/* ---- Backward data ---- */

/* Adds chunk [y0, y1)'s colgrad (rows of channels [c0, c1)) onto diff_src of one image. With unit
 * strides, a gather: each vector of a diff_src row sums, in registers, every (ky, kx) tap that
 * lands on it, so each element is loaded and stored once per chunk. */
static void col2im_unit(const gs_conv_shape_t *s, const float *col, long ld, long y0, long y1, long c0, long c1,
                        float *dsrc)
{
    const long khw = s->kh * s->kw, ihw = s->ih * s->iw;
    const long iy_lo = max_l(0, y0 - s->ph), iy_hi = min_l(s->ih, y1 - 1 - s->ph + s->kh);
    for (long c = c0; c < c1; c++) {
        const float *cc = col + (c - c0) * khw * ld;
        for (long iy = iy_lo; iy < iy_hi; iy++) {
            for (long x0 = 0; x0 < s->iw; x0 += VL) {
                const int nx = (int)min_l(VL, s->iw - x0);
                float *out = dsrc + c * ihw + iy * s->iw + x0;
                vec_t acc = nx == VL ? vec_load(out) : vec_load_lanes(out, 0, nx);
                for (long ky = 0; ky < s->kh; ky++) {
                    const long oy = iy + s->ph - ky;
                    if (oy < y0 || oy >= y1)
                        continue;
                    const float *crow = cc + ky * s->kw * ld + (oy - y0) * s->ow + x0 + s->pw;
                    for (long kx = 0; kx < s->kw; kx++) {
                        /* Lane l is input column x0 + l, output column x0 + l + pw - kx. */
                        const int lo = (int)max_l(0, kx - s->pw - x0);
                        const int hi = (int)min_l(nx, kx - s->pw + s->ow - x0);
                        if (lo >= hi)
                            continue;
                        const float *p = crow + kx * ld - kx;
                        acc = vec_add(acc, lo == 0 && hi == VL ? vec_load(p) : vec_load_lanes(p, lo, hi));
                    }
                }
                if (nx == VL)
                    vec_store(out, acc);
                else
                    vec_store_lanes(out, acc, 0, nx);
            }
        }
    }
}

/* Any stride: a scatter, element by element. */
static void col2im_strided(const gs_conv_shape_t *s, const float *col, long ld, long y0, long y1, long c0, long c1,
                           float *dsrc)
{
    const long ihw = s->ih * s->iw;
    const float *row = col;
    for (long c = c0; c < c1; c++) {
        for (long ky = 0; ky < s->kh; ky++) {
            for (long kx = 0; kx < s->kw; kx++, row += ld) {
                for (long oy = y0; oy < y1; oy++) {
                    const long iy = oy * s->sh - s->ph + ky;
                    if (iy < 0 || iy >= s->ih)
                        continue;
                    for (long ox = 0; ox < s->ow; ox++) {
                        const long ix = ox * s->sw - s->pw + kx;
                        if (ix >= 0 && ix < s->iw)
                            dsrc[c * ihw + iy * s->iw + ix] += row[(oy - y0) * s->ow + ox];
                    }
                }
            }
        }
    }
}

typedef struct {
    const gs_conv_shape_t *s;
    const float *diff_dst;
    const float *apack; /* wei^T, rows m = (c, ky, kx); row block at apack + m0*oc */
    float *diff_src;
    long K, P, groups;  /* channel groups per image: more than one only when images are too few */
    gs_conv_chunks_t ch;
} bwd_data_ctx_t;

/* Rows [m0, m1) of wei^T belong to channel group g; they are cut into blocks of at most MR_MAX. */
static void group_rows(const bwd_data_ctx_t *x, long g, long *c0, long *c1)
{
    *c0 = gs_conv_block_start(x->s->ic, x->groups, g);
    *c1 = gs_conv_block_start(x->s->ic, x->groups, g + 1);
}

static void bwd_data_unit(const bwd_data_ctx_t *x, long unit, float *col)
{
    const gs_conv_shape_t *s = x->s;
    const long n = unit / x->groups, khw = s->kh * s->kw;
    long c0, c1;
    group_rows(x, unit % x->groups, &c0, &c1);
    const long m0 = c0 * khw, rows = (c1 - c0) * khw, nb = gs_conv_nblocks(rows, MR_MAX);
    float *dsrc = x->diff_src + n * s->ic * s->ih * s->iw;
    const float *dd = x->diff_dst + n * s->oc * x->P;
    memset(dsrc + c0 * s->ih * s->iw, 0, (size_t)((c1 - c0) * s->ih * s->iw) * sizeof(float));
    for (long y0 = 0; y0 < s->oh; y0 += x->ch.rows) {
        const long y1 = min_l(y0 + x->ch.rows, s->oh), npx = (y1 - y0) * s->ow;
        for (long j = 0; j < npx; j += NR) {
            const int nr = (int)min_l(NR, npx - j);
            for (long b = 0; b < nb; b++) {
                const long r0 = gs_conv_block_start(rows, nb, b), r1 = gs_conv_block_start(rows, nb, b + 1);
                tile((int)(r1 - r0), nr < NR, s->oc, x->apack + (m0 + r0) * s->oc, dd + y0 * s->ow + j, x->P,
                     col + r0 * x->ch.ld + j, x->ch.ld, NULL, nr);
            }
        }
        if (s->sh == 1 && s->sw == 1)
            col2im_unit(s, col, x->ch.ld, y0, y1, c0, c1, dsrc);
        else
            col2im_strided(s, col, x->ch.ld, y0, y1, c0, c1, dsrc);
    }
}

static gs_status_t conv_bwd_data_tpl(const gs_conv_shape_t *s, const float *diff_dst, const float *wei,
                                     float *diff_src)
{
    bwd_data_ctx_t x = {.s = s, .diff_dst = diff_dst, .diff_src = diff_src};
    const long khw = s->kh * s->kw;
    x.K = s->ic * khw;
    x.P = s->oh * s->ow;
    const double flops = 2.0 * (double)s->mb * (double)(s->oc * x.P) * (double)x.K;
    /* Images are the natural unit (each owns its diff_src); fewer images than threads split the
     * input channels instead, as each channel's diff_src rows come from its own colgrad rows. */
    const long nt_max = gs_conv_threads(flops, s->mb * s->ic);
    x.groups = s->mb >= nt_max ? 1 : min_l(s->ic, (nt_max + s->mb - 1) / s->mb);
    const long max_rows = (s->ic + x.groups - 1) / x.groups * khw;
    x.ch = gs_conv_plan_chunks(s, max_rows, NR, gs_conv_col_budget());
    const long units = s->mb * x.groups, col_elems = max_rows * x.ch.ld + VL;
    const int nt = gs_conv_threads(flops, units);
    float *apack = gs_alloc((size_t)(s->oc * x.K) * sizeof(float));
    float *cols = gs_alloc((size_t)(nt * col_elems) * sizeof(float));
    if (!apack || !cols) {
        gs_free(apack);
        gs_free(cols);
        return gs_error(GS_ENOMEM, "conv_bwd_data: cannot allocate %ld floats of packed weights and colgrad",
                        s->oc * x.K + nt * col_elems);
    }
    for (long g = 0; g < x.groups; g++) {
        long c0, c1;
        group_rows(&x, g, &c0, &c1);
        const long rows = (c1 - c0) * khw, nb = gs_conv_nblocks(rows, MR_MAX);
        for (long b = 0; b < nb; b++) {
            const long r0 = c0 * khw + gs_conv_block_start(rows, nb, b);
            const long r1 = c0 * khw + gs_conv_block_start(rows, nb, b + 1);
            pack_block(wei, 1, x.K, r0, r1, s->oc, apack + r0 * s->oc);
        }
    }
    x.apack = apack;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        float *col = cols + omp_get_thread_num() * col_elems;
#pragma omp for schedule(static)
        for (long u = 0; u < units; u++)
            bwd_data_unit(&x, u, col);
    }
    gs_free(apack);
    gs_free(cols);
    return GS_OK;
}

/* ---- Backward weights ---- */

/* One im2col chunk of a batch: its diff_dst rows start at dd (rows P apart), its pixels npx. */
typedef struct {
    const float *dd, *col;
    long npx;
} batch_item_t;

/* acc[r][c] += sum over the items' pixels of dd row r * col row c, rows clamped to the last valid
 * one (an edge block repeats it; the repeat is not stored). */
TPL void dot_tile(const batch_item_t *items, long nitems, long P, long ld, long r0, long rmax, long c0, long cmax,
                  vec_t acc[DR][DC])
{
    for (long q = 0; q < nitems; q++) {
        const float *a[DR], *b[DC];
#pragma GCC unroll 8
        for (int r = 0; r < DR; r++)
            a[r] = items[q].dd + min_l(r0 + r, rmax) * P;
#pragma GCC unroll 8
        for (int c = 0; c < DC; c++)
            b[c] = items[q].col + min_l(c0 + c, cmax) * ld;
        const long npx = items[q].npx, full = npx / VL * VL;
        for (long p = 0; p < npx; p += VL) {
            vec_t av[DR];
#pragma GCC unroll 8
            for (int r = 0; r < DR; r++)
                av[r] = p < full ? vec_load(a[r] + p) : vec_load_lanes(a[r] + p, 0, (int)(npx - p));
#pragma GCC unroll 8
            for (int c = 0; c < DC; c++) {
                const vec_t bv = vec_load(b[c] + p); /* zero past npx, up to ld */
#pragma GCC unroll 8
                for (int r = 0; r < DR; r++)
                    acc[r][c] = vec_fma(av[r], bv, acc[r][c]);
            }
        }
    }
}

/* dw[o][k] += the batch's contribution, DR output channels x DC im2col rows per tile; the DC rows'
 * im2col data of every item stays in L1 while the output channels go by. */
static void bwd_weights_batch(const gs_conv_shape_t *s, const batch_item_t *items, long nitems, long ld, float *dw)
{
    const long K = s->ic * s->kh * s->kw, P = s->oh * s->ow;
    for (long c0 = 0; c0 < K; c0 += DC) {
        for (long r0 = 0; r0 < s->oc; r0 += DR) {
            vec_t acc[DR][DC];
            for (int r = 0; r < DR; r++)
                for (int c = 0; c < DC; c++)
                    acc[r][c] = vec_zero();
            dot_tile(items, nitems, P, ld, r0, s->oc - 1, c0, K - 1, acc);
            for (long r = 0; r < min_l(DR, s->oc - r0); r++)
                for (long c = 0; c < min_l(DC, K - c0); c++)
                    dw[(r0 + r) * K + c0 + c] += vec_hsum(acc[r][c]);
        }
    }
}

/* db[o] += the sum of the items' diff_dst rows. */
static void bias_batch(const gs_conv_shape_t *s, const batch_item_t *items, long nitems, float *db)
{
    const long P = s->oh * s->ow;
    for (long o = 0; o < s->oc; o++) {
        vec_t acc = vec_zero();
        for (long q = 0; q < nitems; q++) {
            const float *d = items[q].dd + o * P;
            long p = 0;
            for (; p + VL <= items[q].npx; p += VL)
                acc = vec_add(acc, vec_load(d + p));
            if (p < items[q].npx)
                acc = vec_add(acc, vec_load_lanes(d + p, 0, (int)(items[q].npx - p)));
        }
        db[o] += vec_hsum(acc);
    }
}

typedef struct {
    const gs_conv_shape_t *s;
    const float *src, *src_end, *diff_dst;
    long K, P, items, batch;
    gs_conv_chunks_t ch;
} bwd_weights_ctx_t;

/* Thread t's share of the chunks, in batches: im2col of each, then the batch's dot products into
 * its own dw (and db) accumulators. */
static void bwd_weights_thread(const bwd_weights_ctx_t *x, int t, int nt, float *cols, float *dw, float *db)
{
    const gs_conv_shape_t *s = x->s;
    const long first = gs_conv_block_start(x->items, nt, t), last = gs_conv_block_start(x->items, nt, t + 1);
    batch_item_t items[BATCH_MAX];
    for (long i = first; i < last; i += x->batch) {
        const long nitems = min_l(x->batch, last - i);
        for (long q = 0; q < nitems; q++) {
            const long n = (i + q) / x->ch.per_image, y0 = (i + q) % x->ch.per_image * x->ch.rows;
            const long y1 = min_l(y0 + x->ch.rows, s->oh);
            float *col = cols + q * x->K * x->ch.ld;
            im2col(s, x->src + n * s->ic * s->ih * s->iw, x->src_end, 0, s->ic, y0, y1, col, x->ch.ld);
            items[q] = (batch_item_t){x->diff_dst + n * s->oc * x->P + y0 * s->ow, col, (y1 - y0) * s->ow};
        }
        bwd_weights_batch(s, items, nitems, x->ch.ld, dw);
        if (db)
            bias_batch(s, items, nitems, db);
    }
}

static gs_status_t conv_bwd_weights_tpl(const gs_conv_shape_t *s, const float *src, const float *diff_dst,
                                        float *diff_wei, float *diff_bias)
{
    bwd_weights_ctx_t x = {.s = s, .src = src, .src_end = src + s->mb * s->ic * s->ih * s->iw, .diff_dst = diff_dst};
    x.K = s->ic * s->kh * s->kw;
    x.P = s->oh * s->ow;
    const long budget = gs_conv_col_budget();
    x.ch = gs_conv_plan_chunks(s, x.K, NR, budget);
    x.items = s->mb * x.ch.per_image;
    x.batch = max_l(1, min_l(BATCH_MAX, budget / (x.K * x.ch.ld)));
    const long col_elems = x.batch * x.K * x.ch.ld + VL, acc_elems = x.K * s->oc + s->oc;
    const int nt = gs_conv_threads(2.0 * (double)s->mb * (double)(s->oc * x.P) * (double)x.K, x.items);
    /* One thread accumulates straight into the outputs; several each into their own copy, summed
     * at the end in thread order. */
    float *cols = gs_alloc((size_t)(nt * col_elems) * sizeof(float));
    float *part = nt > 1 ? gs_calloc((size_t)(nt * acc_elems) * sizeof(float)) : NULL;
    if (!cols || (nt > 1 && !part)) {
        gs_free(cols);
        gs_free(part);
        return gs_error(GS_ENOMEM, "conv_bwd_weights: cannot allocate %ld floats of im2col and partial sums",
                        nt * (col_elems + acc_elems));
    }
    if (nt == 1) {
        memset(diff_wei, 0, (size_t)(x.K * s->oc) * sizeof(float));
        if (diff_bias)
            memset(diff_bias, 0, (size_t)s->oc * sizeof(float));
        bwd_weights_thread(&x, 0, 1, cols, diff_wei, diff_bias);
    } else {
#pragma omp parallel num_threads(nt)
        {
            const int t = omp_get_thread_num();
            float *dw = part + t * acc_elems;
            bwd_weights_thread(&x, t, nt, cols + t * col_elems, dw, diff_bias ? dw + x.K * s->oc : NULL);
#pragma omp barrier
#pragma omp for schedule(static)
            for (long e = 0; e < acc_elems; e++) {
                float sum = 0.0f;
                for (int u = 0; u < nt; u++)
                    sum += part[u * acc_elems + e];
                if (e < x.K * s->oc)
                    diff_wei[e] = sum;
                else if (diff_bias)
                    diff_bias[e - x.K * s->oc] = sum;
            }
        }
    }
    gs_free(cols);
    gs_free(part);
    return GS_OK;
}

#endif
