/* The SIMD max-pooling passes, vectorized across the output width, as always-inline templates:
 * pool_avx2.c and pool_avx512.c define VL (outputs per vector), vec_t / ivec_t (a vector of floats
 * / of int32 window indices), pack_t with pack_make, and the helpers below, then include this file,
 * so the plane and chunk loops, the plan and the backward zeroing are written once.
 *
 * Helpers the ISA file provides, each using what its ISA needs of the arguments (`plain`: one row of
 * VL outputs, whose loads and stores may be plain; `end`: one past the tensor read, and `count`
 * the workspace's index count, which bound full-width accesses):
 *   max_pairs(s, pk, g, row0, rstride, plain, end, &best, &arg)   kw = sw = 2 windows, g packed rows
 *   max_any(s, win, n, cols, end, &best, &arg)                    any window, n outputs
 *   bwd_pairs(s, pk, g, n, dy, arg, row0, rstride, plain, end)    gradients of kw = sw = 2 windows
 *   store_n(p, v, n), store_args(ws, o, arg, n, wide)            n outputs / window indices
 *   load_args(ws, o, n, wide, count)                              n window indices at output o
 *   column_offsets(s)                                             lane l -> l * sw
 *   store_indices(int32_t[VL], arg) */
#ifndef GS_POOL_TPL_H
#define GS_POOL_TPL_H

#include <stdint.h>
#include <string.h>

#include "core/par.h"
#include "kernels/pool/pool.h"

#define TPL static inline __attribute__((always_inline))

/* Input floats each thread must get (a second joins at 64K, 256 KiB): fewer would cost more than
 * they save. */
#define PER_THREAD_ELEMS (32L * 1024)

/* The packings a shape needs: `rows` output rows at a time when a row has at most VL / 2 outputs,
 * else one row in chunks of VL outputs and a tail chunk (or an overlapping full one, last_x). */
typedef struct {
    int pairs, wide;
    int overlap; /* see last_x */
    long rows;
    pack_t full, tail;
    const float *end; /* one past the tensor the kernel reads (src forward, diff_dst backward) */
    size_t outputs;   /* mb * c * oh * ow: the workspace's index count */
} plan_t;

static plan_t plan_make(const gs_pool_shape_t *s, const float *in, size_t in_elems)
{
    plan_t pl = {.pairs = s->kw == 2 && s->sw == 2, .wide = gs_pool_ws_index_bytes(s) > 1, .end = in + in_elems};
    pl.outputs = (size_t)(s->mb * s->c * s->oh * s->ow);
    pl.rows = s->ow <= VL / 2 ? VL / s->ow : 1;
    const long padded = (s->ow + VL - 1) / VL * VL;
    pl.overlap = s->ow >= VL && 4 * padded <= 5 * s->ow;
    if (pl.rows > 1) {
        pl.full = pack_make(s->ow, pl.rows);
    } else {
        pl.full = pack_make(VL, 1);
        pl.tail = pack_make(s->ow % VL, 1);
    }
    return pl;
}

/* Where the last chunk of a row starts once its first x outputs are done. With pl->overlap it is a
 * full vector ending with the row, overlapping the one before: it recomputes a few outputs (same
 * values, same indices) instead of storing a partial vector and partial index bytes, 56x56 -> 28x28
 * forward +10% (AVX-512) and +7% (AVX2). Only where that adds at most a quarter more outputs: in
 * cache-resident shapes the recompute costs more than the partial stores (AVX2 24x24 -> 12x12, 16
 * outputs for 12: 34 instead of 35 GB/s). Only for kernels that overwrite, never for ones that
 * accumulate. The full chunks before it run in their own loop, where n = VL is known at compile
 * time (deciding per chunk cost 20% on 24x24). */
TPL long last_x(const plan_t *pl, long ow, long x) { return pl->overlap ? ow - VL : x; }

/* Outputs [x, x + n) of one output row: its windows start at in_row, its outputs at out_row and
 * workspace index o_row. */
TPL void fwd_chunk(const gs_pool_shape_t *s, const plan_t *pl, const float *in_row, float *out_row, void *ws,
                   size_t o_row, ivec_t cols, long x, long n)
{
    vec_t best;
    ivec_t arg;
    if (pl->pairs)
        max_pairs(s, n == VL ? &pl->full : &pl->tail, 1, in_row + 2 * x, s->sh * s->iw, n == VL, pl->end, &best,
                  &arg);
    else
        max_any(s, in_row + x * s->sw, n, cols, pl->end, &best, &arg);
    store_n(out_row + x, best, n);
    store_args(ws, o_row + (size_t)x, arg, n, pl->wide);
}

static void fwd_plane(const gs_pool_shape_t *s, const plan_t *pl, const float *in, float *out, void *ws, size_t o0)
{
    const long rstride = s->sh * s->iw;
    const ivec_t cols = column_offsets(s);
    vec_t best;
    ivec_t arg;
    if (pl->pairs && pl->rows > 1) {
        for (long y = 0; y < s->oh; y += pl->rows) {
            const long g = s->oh - y < pl->rows ? s->oh - y : pl->rows, n = g * s->ow;
            max_pairs(s, &pl->full, g, in + y * rstride, rstride, 0, pl->end, &best, &arg);
            store_n(out + y * s->ow, best, n);
            store_args(ws, o0 + (size_t)(y * s->ow), arg, n, pl->wide);
        }
        return;
    }
    for (long y = 0; y < s->oh; y++) {
        long x = 0;
        for (; x + VL <= s->ow; x += VL)
            fwd_chunk(s, pl, in + y * rstride, out + y * s->ow, ws, o0 + (size_t)(y * s->ow), cols, x, VL);
        if (x < s->ow) {
            x = last_x(pl, s->ow, x);
            fwd_chunk(s, pl, in + y * rstride, out + y * s->ow, ws, o0 + (size_t)(y * s->ow), cols, x, s->ow - x);
        }
    }
}

TPL gs_status_t pool_fwd(const gs_pool_shape_t *s, const float *src, float *dst, void *ws)
{
    const long planes = s->mb * s->c, in_sz = s->ih * s->iw, out_sz = s->oh * s->ow;
    const plan_t pl = plan_make(s, src, (size_t)(planes * in_sz));
    const int nt = gs_par_threads((double)(planes * in_sz), (double)PER_THREAD_ELEMS);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (long p = 0; p < planes; p++)
        fwd_plane(s, &pl, src + p * in_sz, dst + p * out_sz, ws, (size_t)(p * out_sz));
    return GS_OK;
}

static void zero(float *p, long n)
{
    if (n > 0)
        memset(p, 0, (size_t)n * sizeof(float));
}

/* What no window of output row y reaches: the odd last column of its kh rows and the rows between
 * it and the next window row (or the end of the plane). */
static void zero_uncovered(const gs_pool_shape_t *s, long y, float *out)
{
    float *rows = out + y * s->sh * s->iw;
    if (s->iw > 2 * s->ow)
        for (long ky = 0; ky < s->kh; ky++)
            rows[ky * s->iw + s->iw - 1] = 0.0f;
    const long end = y == s->oh - 1 ? s->ih : (y + 1) * s->sh;
    zero(rows + s->kh * s->iw, (end - y * s->sh - s->kh) * s->iw);
}

/* Gradients [x, x + n) of one output row (dy_row, workspace index o_row) into the window rows at
 * out_row. */
TPL void bwd_chunk(const gs_pool_shape_t *s, const plan_t *pl, const float *dy_row, const void *ws, size_t o_row,
                   float *out_row, long x, long n)
{
    const ivec_t arg = load_args(ws, o_row + (size_t)x, n, pl->wide, pl->outputs);
    bwd_pairs(s, n == VL ? &pl->full : &pl->tail, 1, n, dy_row + x, arg, out_row + 2 * x, s->sh * s->iw, n == VL,
              pl->end);
}

/* Windows two wide at stride 2, at most sh tall: every input element is written exactly once. */
static void bwd_plane_pairs(const gs_pool_shape_t *s, const plan_t *pl, const float *dy, const void *ws, size_t o0,
                            float *out)
{
    const long rstride = s->sh * s->iw;
    if (pl->rows > 1) {
        for (long y = 0; y < s->oh; y += pl->rows) {
            const long g = s->oh - y < pl->rows ? s->oh - y : pl->rows, n = g * s->ow;
            const ivec_t arg = load_args(ws, o0 + (size_t)(y * s->ow), n, pl->wide, pl->outputs);
            bwd_pairs(s, &pl->full, g, n, dy + y * s->ow, arg, out + y * rstride, rstride, 0, pl->end);
        }
    } else {
        for (long y = 0; y < s->oh; y++) {
            long x = 0;
            for (; x + VL <= s->ow; x += VL)
                bwd_chunk(s, pl, dy + y * s->ow, ws, o0 + (size_t)(y * s->ow), out + y * rstride, x, VL);
            if (x < s->ow) {
                x = last_x(pl, s->ow, x);
                bwd_chunk(s, pl, dy + y * s->ow, ws, o0 + (size_t)(y * s->ow), out + y * rstride, x, s->ow - x);
            }
        }
    }
    for (long y = 0; y < s->oh; y++)
        zero_uncovered(s, y, out);
}

/* Overlapping or other windows: zero the plane, then add each gradient where its index points. */
static void bwd_plane_any(const gs_pool_shape_t *s, const plan_t *pl, const float *dy, const void *ws, size_t o0,
                          float *out)
{
    zero(out, s->ih * s->iw);
    for (long y = 0; y < s->oh; y++) {
        for (long x = 0; x < s->ow; x += VL) {
            const long n = s->ow - x < VL ? s->ow - x : VL;
            int32_t arg[VL];
            store_indices(arg, load_args(ws, o0 + (size_t)(y * s->ow + x), n, pl->wide, pl->outputs));
            for (long l = 0; l < n; l++) {
                const long ky = arg[l] / s->kw, kx = arg[l] % s->kw;
                out[(y * s->sh + ky) * s->iw + (x + l) * s->sw + kx] += dy[y * s->ow + x + l];
            }
        }
    }
}

TPL gs_status_t pool_bwd(const gs_pool_shape_t *s, const float *diff_dst, const void *ws, float *diff_src)
{
    const long planes = s->mb * s->c, in_sz = s->ih * s->iw, out_sz = s->oh * s->ow;
    const plan_t pl = plan_make(s, diff_dst, (size_t)(planes * out_sz));
    const int direct = pl.pairs && s->kh <= s->sh;
    const int nt = gs_par_threads((double)(planes * in_sz), (double)PER_THREAD_ELEMS);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (long p = 0; p < planes; p++) {
        if (direct)
            bwd_plane_pairs(s, &pl, diff_dst + p * out_sz, ws, (size_t)(p * out_sz), diff_src + p * in_sz);
        else
            bwd_plane_any(s, &pl, diff_dst + p * out_sz, ws, (size_t)(p * out_sz), diff_src + p * in_sz);
    }
    return GS_OK;
}

#endif
