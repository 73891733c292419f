/* The SIMD convolution passes as always-inline templates over a vector type: conv_avx2.c and
 * conv_avx512.c define vec_t, vmask_t, VL (floats per vector), MR_MAX (rows of the broadcast tile),
 * DR x DC (the dot tile) and the vec_* helpers below, then include this file, so one source serves
 * both ISAs.
 *
 * Notation (one image): K = ic*kh*kw im2col rows k = (c, ky, kx); P = oh*ow pixels p = (oy, ox);
 * im2col(k, p) = src(c, oy*sh - ph + ky, ox*sw - pw + kx), zero where that falls in the padding.
 *   forward       dst[o][p] = bias[o] + sum_k wei[o][k] im2col(k, p): a GEMM with the output
 *                 channels as rows and NR pixels in the vector lanes. The im2col panel of one tile
 *                 (kc rows x NR pixels) is built in L1 right before the tile kernels use it, so
 *                 im2col never goes to L2 and back.
 *   backward-data colgrad[k][p] = sum_o wei[o][k] diff_dst[o][p]: the same tile kernel with the
 *                 weights transposed and diff_dst read in place; col2im then adds colgrad onto
 *                 diff_src, each output vector gathering all its taps in registers.
 *   backward-wei  diff_wei[o][k] = sum over images and pixels of diff_dst[o][p] im2col(k, p): dot
 *                 products with pixels in the lanes, DR x DC of them per register block, over a
 *                 batch of images whose im2col rows are built DC at a time in L1; the lanes are
 *                 summed once per batch.
 * Helpers the ISA file provides: vec_zero, vec_load, vec_store, vec_set1, vec_fma, vec_add,
 * vec_hsum, vec_hsum4_add(a, b, c, d, out) (out[0..3] += the sums of a, b, c, d), vec_mask(lo, hi)
 * (lanes [lo, hi)), vec_load_mask(p, m) (the mask's lanes from p[lane], the others zero, nothing else
 * read), vec_store_mask(p, v, m) (only the mask's lanes written), vidx_t with vec_idx_load(int[VL])
 * and vec_permute2(a, b, idx, m) (lane l = (a:b)[idx[l]] where m has it, else zero). */
#ifndef GS_CONV_TPL_H
#define GS_CONV_TPL_H

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "kernels/conv/conv.h"
#include "kernels/conv/conv_plan.h"

#define TPL static inline __attribute__((always_inline))
#define NR (2 * VL) /* pixels per tile of the broadcast kernel: two vectors */

/* Most images a backward-weights batch holds: 64 vector steps per lane sum for LeNet's conv2. */
#define BATCH_MAX 16

/* kw up to this has its col2im lane masks precomputed; wider kernels take the scalar path. */
#define KW_MASKS_MAX 32

static inline long min_l(long a, long b) { return a < b ? a : b; }
static inline long max_l(long a, long b) { return a > b ? a : b; }
static inline vec_t vec_load_lanes(const float *p, int lo, int hi) { return vec_load_mask(p, vec_mask(lo, hi)); }
static inline void vec_store_lanes(float *p, vec_t v, int lo, int hi) { vec_store_mask(p, v, vec_mask(lo, hi)); }

/* ---- im2col by pixel vectors ----
 * Padding is removed up front: a padded copy of src (zero borders) makes every convolution an
 * unpadded one over ihp x iwp planes. Then im2col row (c, ky, kx) at pixel p reads plane c at
 * ky*iwp + kx + off(p), off(p) = oy*sh*iwp + ox*sw, the same offsets for every row. Each vector of VL
 * consecutive pixels is described once: where its offsets start (base) and, as their spread is
 * small for any useful shape (a row and a bit, at stride 1 or 2), each lane's position in the
 * 2*VL floats from there, so a row of im2col is two loads, one two-source permute and one store per
 * vector, whatever ow is. Vectors whose offsets spread wider (ow of a few pixels) gather lane by
 * lane. Lanes past the last pixel are zero. */

typedef struct {
    int idx[VL];   /* lane l reads base + idx[l] (first, so a 64-byte aligned table aligns it) */
    long base;     /* offset of lane 0's pixel; the others follow within 2*VL unless `gather` */
    vmask_t valid; /* lanes [0, nvalid) are pixels, the rest zero */
    int nvalid;
    int gather;
    int contiguous; /* VL pixels at consecutive offsets: a plain copy */
} pxvec_t;

/* The source of im2col: src itself, or its padded copy. */
typedef struct {
    const float *x, *x_end;
    long ihp, iwp;
} im2col_src_t;

/* The pixel vectors of an image (or of a chunk of its rows). Whole output rows repeat the same lane
 * pattern every q = ow / gcd(ow, VL) vectors, shifted by `step` floats (q*VL/ow rows): im2col then
 * keeps the q patterns in registers instead of reading a descriptor per vector. */
typedef struct {
    pxvec_t *v;
    long n;
    int gather; /* whether any vector gathers */
    int q;      /* the period in vectors, 0 when there is none worth using */
    long step;
} pxtab_t;

/* Longest period kept in registers. */
#define PERIOD_MAX 4

static long gcd_l(long a, long b) { return b ? gcd_l(b, a % b) : a; }

/* q and step when every full vector i + q is vector i moved by step; else q = 0. */
static void find_period(const gs_conv_shape_t *s, long iwp, pxtab_t *t)
{
    const long q = s->ow / gcd_l(s->ow, VL), step = q * VL / s->ow * s->sh * iwp;
    t->q = 0;
    t->step = step;
    if (q > PERIOD_MAX || t->n < q)
        return;
    for (long i = 0; i < q; i++)
        if (t->v[i].gather || t->v[i].nvalid < VL)
            return;
    for (long i = q; i < t->n && t->v[i].nvalid == VL; i++)
        if (t->v[i].base != t->v[i - q].base + step || memcmp(t->v[i].idx, t->v[i - q].idx, sizeof t->v[i].idx) != 0)
            return;
    t->q = (int)q;
}

/* Pixel vectors [0, ceil(P/VL)) of the first P pixels of an image, for planes iwp wide, into
 * storage (64-byte aligned), described by *t. A chunk of output rows starting at row y0 uses the same
 * vectors from plane + y0*sh*iwp. */
static void make_pxtab(const gs_conv_shape_t *s, long iwp, long P, pxvec_t *storage, pxtab_t *t)
{
    *t = (pxtab_t){storage, (P + VL - 1) / VL, 0, 0, 0};
    for (long i = 0; i < t->n; i++) {
        pxvec_t *v = &storage[i];
        const int n = (int)min_l(VL, P - i * VL);
        long off[VL];
        for (int l = 0; l < n; l++) {
            const long p = i * VL + l;
            off[l] = p / s->ow * s->sh * iwp + p % s->ow * s->sw;
        }
        v->base = off[0];
        v->nvalid = n;
        v->valid = vec_mask(0, n);
        v->gather = off[n - 1] - off[0] >= 2 * VL;
        v->contiguous = n == VL && off[n - 1] - off[0] == VL - 1;
        t->gather |= v->gather;
        for (int l = 0; l < VL; l++)
            v->idx[l] = l < n ? (int)(off[l] - off[0]) : 0;
    }
    find_period(s, iwp, t);
}

/* One vector of an im2col row whose taps start at b (= plane + ky*iwp + kx), in any case: a gather,
 * or a window that may run past the tensor at its very end (then only what exists is read). */
static inline vec_t im2col_vec(const pxvec_t *v, const float *b, const float *x_end)
{
    b += v->base;
    if (v->gather) {
        float t[VL];
        for (int l = 0; l < VL; l++)
            t[l] = l < v->nvalid ? b[v->idx[l]] : 0.0f;
        return vec_load(t);
    }
    const long room = x_end - b;
    const vec_t w0 = room >= VL ? vec_load(b) : vec_load_lanes(b, 0, (int)room);
    const vec_t w1 = room >= 2 * VL ? vec_load(b + VL) : room > VL ? vec_load_lanes(b + VL, 0, (int)(room - VL))
                                                                    : vec_zero();
    return vec_permute2(w0, w1, vec_idx_load(v->idx), v->valid);
}

/* A vector whose window lies inside the tensor: a copy, or two loads and a permute. */
static inline vec_t im2col_vec_inside(const pxvec_t *v, const float *b)
{
    const float *w = b + v->base;
    return v->contiguous ? vec_load(w) : vec_permute2(vec_load(w), vec_load(w + VL), vec_idx_load(v->idx), v->valid);
}

/* Where tap k = (c, ky, kx) starts in an image's plane stack: c*ihp*iwp + ky*iwp + kx, for k < K. */
static void make_tap_offsets(const gs_conv_shape_t *s, const im2col_src_t *src, long *koff)
{
    long k = 0;
    for (long c = 0; c < s->ic; c++)
        for (long ky = 0; ky < s->kh; ky++)
            for (long kx = 0; kx < s->kw; kx++)
                koff[k++] = c * src->ihp * src->iwp + ky * src->iwp + kx;
}

/* nper periods of q vectors (patterns v[0..q)) from b, each period `step` floats further on. */
TPL void im2col_periodic(const int q, const float *b, const pxvec_t *v, long step, long nper, float *dst)
{
    vidx_t idx[PERIOD_MAX];
    vmask_t valid[PERIOD_MAX];
    long base[PERIOD_MAX];
    int contiguous[PERIOD_MAX];
#pragma GCC unroll 4
    for (int j = 0; j < q; j++) {
        idx[j] = vec_idx_load(v[j].idx);
        valid[j] = v[j].valid;
        base[j] = v[j].base;
        contiguous[j] = v[j].contiguous;
    }
    for (long r = 0; r < nper; r++, b += step, dst += q * VL) {
#pragma GCC unroll 4
        for (int j = 0; j < q; j++) {
            const float *w = b + base[j];
            vec_store(dst + j * VL,
                      contiguous[j] ? vec_load(w) : vec_permute2(vec_load(w), vec_load(w + VL), idx[j], valid[j]));
        }
    }
}

/* Vectors [v0, v1) of table t (no gathers, windows inside the tensor) by periods: the vectors up to
 * the first period boundary one by one, then whole periods, then what is left. Kept out of line: the
 * short rows of the forward panels take the plain loop of im2col_row. */
static __attribute__((noinline)) void im2col_row_periodic(const float *b, const pxtab_t *t, long v0, long v1,
                                                          float *dst)
{
    const pxvec_t *v = t->v;
    long i = v0;
    for (; i < v1 && i % t->q; i++, dst += VL)
        vec_store(dst, im2col_vec_inside(&v[i], b));
    const long full_end = v[v1 - 1].nvalid == VL ? v1 : v1 - 1, nper = max_l(0, full_end - i) / t->q;
    /* Period i / q starts (i / q) steps past the first. */
    const float *bp = b + i / t->q * t->step;
    switch (t->q) {
    case 1:
        im2col_periodic(1, bp, v, t->step, nper, dst);
        break;
    case 2:
        im2col_periodic(2, bp, v, t->step, nper, dst);
        break;
    case 3:
        im2col_periodic(3, bp, v, t->step, nper, dst);
        break;
    default:
        im2col_periodic(4, bp, v, t->step, nper, dst);
    }
    i += nper * t->q;
    dst += nper * t->q * VL;
    for (; i < v1; i++, dst += VL)
        vec_store(dst, im2col_vec_inside(&v[i], b));
}

/* One im2col row for pixel vectors [v0, v1) of table t, its taps starting at b (= image + tap
 * offset), into dst. Windows inside the tensor go by periods where the table has one and the row is
 * long enough to be worth loading the patterns into registers. */
static inline void im2col_row(const float *b, const float *x_end, const pxtab_t *t, long v0, long v1, float *dst)
{
    const pxvec_t *v = t->v;
    if (t->gather || b + v[v1 - 1].base + 2 * VL > x_end) {
        for (long i = v0; i < v1; i++, dst += VL)
            vec_store(dst, im2col_vec(&v[i], b, x_end));
    } else if (t->q && v1 - v0 >= 8 * t->q) {
        im2col_row_periodic(b, t, v0, v1, dst);
    } else {
        for (long i = v0; i < v1; i++, dst += VL)
            vec_store(dst, im2col_vec_inside(&v[i], b));
    }
}

/* src with zero borders of ph rows and pw columns, when the shape has padding (else src itself).
 * *copy is the buffer to free (NULL when none was needed). */
static gs_status_t im2col_src_init(const gs_conv_shape_t *s, const float *src, int nt, im2col_src_t *out,
                                   float **copy)
{
    *copy = NULL;
    out->ihp = s->ih + 2 * s->ph;
    out->iwp = s->iw + 2 * s->pw;
    const long planes = s->mb * s->ic, plane = out->ihp * out->iwp;
    if (s->ph == 0 && s->pw == 0) {
        out->x = src;
        out->x_end = src + planes * plane;
        return GS_OK;
    }
    float *x = gs_alloc((size_t)(planes * plane) * sizeof(float));
    if (!x)
        return gs_error(GS_ENOMEM, "conv: cannot allocate a padded copy of src (%ld floats)", planes * plane);
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static)
    for (long i = 0; i < planes; i++) {
        float *d = x + i * plane;
        const float *from = src + i * s->ih * s->iw;
        memset(d, 0, (size_t)(s->ph * out->iwp) * sizeof(float));
        for (long y = 0; y < s->ih; y++) {
            float *row = d + (y + s->ph) * out->iwp;
            memset(row, 0, (size_t)s->pw * sizeof(float));
            memcpy(row + s->pw, from + y * s->iw, (size_t)s->iw * sizeof(float));
            memset(row + s->pw + s->iw, 0, (size_t)s->pw * sizeof(float));
        }
        memset(d + (s->ph + s->ih) * out->iwp, 0, (size_t)(s->ph * out->iwp) * sizeof(float));
    }
    out->x = x;
    out->x_end = x + planes * plane;
    *copy = x;
    return GS_OK;
}

static inline void zero_forward(float *dst, long n)
{
    for (long i = 0; i < n; i += VL)
        vec_store(dst + i, vec_zero());
}

/* ---- The broadcast tile: C[mr x nr] = init + A[mr x kc] B[kc x nr] ----
 * A packed as kc steps of mr adjacent values; B rows ldb apart, NR floats each (the first nr valid;
 * with `masked`, only those are read); init = C itself when accumulating, else bias[i] per row or
 * zero; only C's first nr columns are read and written. */
TPL void tile_body(const int mr, const int masked, long kc, const float *restrict a, const float *restrict b, long ldb,
                   float *restrict c, long ldc, const float *restrict bias, int accumulate, int nr)
{
    vec_t acc[MR_MAX][2];
    const int n0 = nr < VL ? nr : VL, n1 = nr - n0;
    const vmask_t m0 = vec_mask(0, n0), m1 = vec_mask(0, n1);
#pragma GCC unroll 16
    for (int i = 0; i < mr; i++) {
        if (accumulate && nr == NR) {
            acc[i][0] = vec_load(c + i * ldc);
            acc[i][1] = vec_load(c + i * ldc + VL);
        } else if (accumulate) {
            acc[i][0] = vec_load_mask(c + i * ldc, m0);
            acc[i][1] = n1 ? vec_load_mask(c + i * ldc + VL, m1) : vec_zero();
        } else {
            acc[i][0] = acc[i][1] = bias ? vec_set1(bias[i]) : vec_zero();
        }
    }
#pragma GCC unroll 4
    for (long k = 0; k < kc; k++, a += mr, b += ldb) {
        const vec_t b0 = masked ? vec_load_mask(b, m0) : vec_load(b);
        const vec_t b1 = masked ? (n1 ? vec_load_mask(b + VL, m1) : vec_zero()) : vec_load(b + VL);
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
            vec_store_mask(c + i * ldc, acc[i][0], m0);
            if (n1)
                vec_store_mask(c + i * ldc + VL, acc[i][1], m1);
        }
    }
}

/* One instantiation per row count, so the accumulators are registers. */
#define TILE_CASE(m)                                                          \
    case m:                                                                   \
        if (masked)                                                           \
            tile_body(m, 1, kc, a, b, ldb, c, ldc, bias, accumulate, nr);     \
        else                                                                  \
            tile_body(m, 0, kc, a, b, ldb, c, ldc, bias, accumulate, nr);     \
        break;

static void tile(int mr, int masked, long kc, const float *a, const float *b, long ldb, float *c, long ldc,
                 const float *bias, int accumulate, int nr)
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
#if MR_MAX > 12
        TILE_CASE(13)
        TILE_CASE(14)
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

/* Most tiles one im2col panel spans: enough to amortise each panel row's set-up over LeNet's short
 * reductions (K = 25), few enough to keep a useful number of rows in L1. */
#define GROUP_MAX 8

/* Least im2col rows worth a panel: fewer and the output tiles are reloaded too often. */
#define KC_MIN 128

typedef struct {
    const gs_conv_shape_t *s;
    im2col_src_t in;
    pxtab_t pv;         /* the image's pixel vectors */
    const long *koff;   /* tap offsets */
    const float *bias;
    const float *apack; /* weights: block of output channels [o0, o1) at apack + o0*K, kc steps of o1-o0 */
    float *dst;
    long K, P, nb, kc;  /* im2col rows, pixels, output-channel blocks, im2col rows per panel */
    long tiles, group;  /* pixel tiles per image; tiles per panel */
    long groups;        /* panels per image */
} fwd_ctx_t;

/* One panel of up to `group` tiles of NR pixels: for each block of kc im2col rows, build it (in L1),
 * then run every block of output channels over each of its tiles (the first block starts from the
 * bias, the others accumulate). */
static void fwd_unit(const fwd_ctx_t *x, long unit, float *panel)
{
    const gs_conv_shape_t *s = x->s;
    const long n = unit / x->groups, t0 = gs_conv_block_start(x->tiles, x->groups, unit % x->groups);
    const long t1 = gs_conv_block_start(x->tiles, x->groups, unit % x->groups + 1);
    const long p0 = t0 * NR, npx = min_l(t1 * NR, x->P) - p0, ldp = (t1 - t0) * NR;
    const long v0 = p0 / VL, v1 = (p0 + npx + VL - 1) / VL;
    const float *img = x->in.x + n * s->ic * x->in.ihp * x->in.iwp;
    float *d = x->dst + n * s->oc * x->P + p0;
    for (long k0 = 0; k0 < x->K; k0 += x->kc) {
        const long kc = min_l(x->kc, x->K - k0);
        for (long k = 0; k < kc; k++) {
            float *row = panel + k * ldp;
            im2col_row(img + x->koff[k0 + k], x->in.x_end, &x->pv, v0, v1, row);
            if ((v1 - v0) * VL < ldp) /* computed, never stored: keep it finite */
                vec_store(row + (v1 - v0) * VL, vec_zero());
        }
        for (long j = 0; j < npx; j += NR) {
            const int nr = (int)min_l(NR, npx - j);
            for (long b = 0; b < x->nb; b++) {
                const long o0 = gs_conv_block_start(s->oc, x->nb, b), o1 = gs_conv_block_start(s->oc, x->nb, b + 1);
                tile((int)(o1 - o0), 0, kc, x->apack + o0 * x->K + k0 * (o1 - o0), panel + j, ldp,
                     d + o0 * x->P + j, x->P, x->bias ? x->bias + o0 : NULL, k0 > 0, nr);
            }
        }
    }
}

static gs_status_t conv_fwd_tpl(const gs_conv_shape_t *s, const float *src, const float *wei, const float *bias,
                                float *dst)
{
    fwd_ctx_t x = {.s = s, .bias = bias, .dst = dst};
    x.K = s->ic * s->kh * s->kw;
    x.P = s->oh * s->ow;
    x.nb = gs_conv_nblocks(s->oc, MR_MAX);
    x.tiles = (x.P + NR - 1) / NR;
    const long l1 = gs_conv_l1_budget();
    x.group = max_l(1, min_l(GROUP_MAX, l1 / (min_l(x.K, KC_MIN) * NR)));
    x.groups = gs_conv_nblocks(x.tiles, x.group);
    x.group = (x.tiles + x.groups - 1) / x.groups; /* the same number of tiles in every panel, near enough */
    x.kc = max_l(1, l1 / (x.group * NR));
    const long units = s->mb * x.groups, panel_elems = min_l(x.kc, x.K) * x.group * NR;
    const int nt = gs_conv_threads(2.0 * (double)s->mb * (double)(s->oc * x.P) * (double)x.K, units);
    float *apack = gs_alloc((size_t)(s->oc * x.K) * sizeof(float));
    float *panels = gs_alloc((size_t)(nt * panel_elems) * sizeof(float));
    pxvec_t *pv = gs_alloc((size_t)(x.tiles * 2) * sizeof(pxvec_t));
    long *koff = malloc((size_t)x.K * sizeof(long));
    float *padded = NULL;
    gs_status_t st = apack && panels && pv && koff
                         ? im2col_src_init(s, src, nt, &x.in, &padded)
                         : gs_error(GS_ENOMEM, "conv_fwd: cannot allocate %ld floats of packed weights and im2col "
                                    "panels", s->oc * x.K + nt * panel_elems);
    if (st == GS_OK) {
        /* Within a block the weights of each panel's kc rows are contiguous: block-major, then k. */
        for (long b = 0; b < x.nb; b++) {
            const long o0 = gs_conv_block_start(s->oc, x.nb, b), o1 = gs_conv_block_start(s->oc, x.nb, b + 1);
            pack_block(wei, x.K, 1, o0, o1, x.K, apack + o0 * x.K);
        }
        make_pxtab(s, x.in.iwp, x.P, pv, &x.pv);
        make_tap_offsets(s, &x.in, koff);
        x.apack = apack;
        x.koff = koff;
#pragma omp parallel num_threads(nt) if (nt > 1)
        {
            float *panel = panels + omp_get_thread_num() * panel_elems;
#pragma omp for schedule(static)
            for (long u = 0; u < units; u++)
                fwd_unit(&x, u, panel);
        }
    }
    gs_free(apack);
    gs_free(panels);
    gs_free(padded);
    gs_free(pv);
    free(koff);
    return st;
}

/* ---- Backward data ---- */

/* Adds chunk [y0, y1)'s colgrad (rows of channels [c0, c1), ld apart) onto diff_src of one image,
 * unit strides, kernel width kw (a constant in the common instantiations, so the tap loop unrolls
 * and its masks stay in registers). Each vector of a diff_src row sums, in registers, every (ky,
 * kx) tap that lands on it, so each element is loaded and stored once per chunk; a row of taps
 * is summed in two independent halves before it joins the total, so the adds do not queue behind
 * each other. Lane l of the vector
 * at column x0 takes output column x0 + l + pw - kx from tap kx: the lanes where that is in [0, ow)
 * form a mask that depends on (x0, kx) only, computed once per vector (empty masks load nothing). */
TPL void col2im_body(const int kw, const gs_conv_shape_t *s, const float *col, long ld, long y0, long y1, long c0,
                     long c1, float *dsrc)
{
    const long khw = s->kh * kw, ihw = s->ih * s->iw;
    const long iy_lo = max_l(0, y0 - s->ph), iy_hi = min_l(s->ih, y1 - 1 - s->ph + s->kh);
    for (long x0 = 0; x0 < s->iw; x0 += VL) {
        const int nx = (int)min_l(VL, s->iw - x0);
        const vmask_t out_mask = vec_mask(0, nx);
        vmask_t tap[KW_MASKS_MAX];
#pragma GCC unroll 8
        for (int kx = 0; kx < kw; kx++) {
            const int lo = (int)max_l(0, kx - s->pw - x0), hi = (int)min_l(nx, kx - s->pw + s->ow - x0);
            tap[kx] = vec_mask(lo, hi > lo ? hi : lo);
        }
        for (long c = c0; c < c1; c++) {
            const float *cc = col + (c - c0) * khw * ld + x0 + s->pw;
            for (long iy = iy_lo; iy < iy_hi; iy++) {
                float *out = dsrc + c * ihw + iy * s->iw + x0;
                vec_t acc = nx == VL ? vec_load(out) : vec_load_mask(out, out_mask);
                /* Taps ky whose output row oy = iy + ph - ky lies in the chunk. */
                const long ky_lo = max_l(0, iy + s->ph - (y1 - 1)), ky_hi = min_l(s->kh, iy + s->ph - y0 + 1);
                for (long ky = ky_lo; ky < ky_hi; ky++) {
                    /* Tap kx of this row group at p + kx*(ld - 1). */
                    const float *p = cc + ky * kw * ld + (iy + s->ph - ky - y0) * s->ow;
                    vec_t even = vec_zero(), odd = vec_zero();
#pragma GCC unroll 8
                    for (int kx = 0; kx < kw; kx++) {
                        const vec_t v = vec_load_mask(p + kx * (ld - 1), tap[kx]);
                        if (kx & 1)
                            odd = vec_add(odd, v);
                        else
                            even = vec_add(even, v);
                    }
                    acc = vec_add(acc, vec_add(even, odd));
                }
                if (nx == VL)
                    vec_store(out, acc);
                else
                    vec_store_mask(out, acc, out_mask);
            }
        }
    }
}

static void col2im_unit(const gs_conv_shape_t *s, const float *col, long ld, long y0, long y1, long c0, long c1,
                        float *dsrc)
{
    switch (s->kw) {
    case 3:
        col2im_body(3, s, col, ld, y0, y1, c0, c1, dsrc);
        break;
    case 5:
        col2im_body(5, s, col, ld, y0, y1, c0, c1, dsrc);
        break;
    default:
        col2im_body((int)s->kw, s, col, ld, y0, y1, c0, c1, dsrc);
    }
}

/* Any stride or kernel width: a scatter, element by element. */
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

/* The input channels of group g. */
static void group_channels(const bwd_data_ctx_t *x, long g, long *c0, long *c1)
{
    *c0 = gs_conv_block_start(x->s->ic, x->groups, g);
    *c1 = gs_conv_block_start(x->s->ic, x->groups, g + 1);
}

static void bwd_data_unit(const bwd_data_ctx_t *x, long unit, float *col)
{
    const gs_conv_shape_t *s = x->s;
    const long n = unit / x->groups, khw = s->kh * s->kw;
    long c0, c1;
    group_channels(x, unit % x->groups, &c0, &c1);
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
                     col + r0 * x->ch.ld + j, x->ch.ld, NULL, 0, nr);
            }
        }
        if (s->sh == 1 && s->sw == 1 && s->kw <= KW_MASKS_MAX)
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
     * input channels instead, as each channel's diff_src comes from its own colgrad rows. */
    const long nt_max = gs_conv_threads(flops, s->mb * s->ic);
    x.groups = s->mb >= nt_max ? 1 : min_l(s->ic, (nt_max + s->mb - 1) / s->mb);
    const long max_rows = (s->ic + x.groups - 1) / x.groups * khw;
    x.ch = gs_conv_plan_chunks(s, max_rows, NR, gs_conv_l2_budget());
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
        group_channels(&x, g, &c0, &c1);
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

/* One chunk of output rows of a batch: its diff_dst rows (P apart), pixels, where its im2col taps
 * start (image plane stack + y0*sh*iwp) and its pixel vectors. */
typedef struct {
    const float *dd, *x;
    const pxtab_t *pv;
    long npx;
} batch_item_t;

/* dw[o][k] += sum over the items' pixels of diff_dst row o * im2col row k, for the DR x DC block at
 * (r0, c0). The batch's im2col rows of this block are in kbuf: item q's row c at (q*DC + c)*ldq
 * (rows past the last valid k repeat it). Rows past the last output channel repeat it too; repeats
 * are not stored. The accumulators live in registers across all items and are summed across lanes
 * once at the end. */
TPL void dot_block(const batch_item_t *items, long nitems, long P, const float *kbuf, long ldq, long K, long r0,
                   long rmax, long c0, float *dw)
{
    vec_t acc[DR][DC];
#pragma GCC unroll 8
    for (int r = 0; r < DR; r++)
#pragma GCC unroll 8
        for (int c = 0; c < DC; c++)
            acc[r][c] = vec_zero();
    for (long q = 0; q < nitems; q++) {
        const float *a[DR], *b = kbuf + q * DC * ldq;
#pragma GCC unroll 8
        for (int r = 0; r < DR; r++)
            a[r] = items[q].dd + min_l(r0 + r, rmax) * P;
        const long npx = items[q].npx, full = npx / VL * VL;
        for (long p = 0; p < npx; p += VL) {
            vec_t av[DR];
#pragma GCC unroll 8
            for (int r = 0; r < DR; r++)
                av[r] = p < full ? vec_load(a[r] + p) : vec_load_lanes(a[r] + p, 0, (int)(npx - p));
#pragma GCC unroll 8
            for (int c = 0; c < DC; c++) {
                const vec_t bv = vec_load(b + c * ldq + p); /* zero past npx, up to ldq */
#pragma GCC unroll 8
                for (int r = 0; r < DR; r++)
                    acc[r][c] = vec_fma(av[r], bv, acc[r][c]);
            }
        }
    }
    const long nr = min_l(DR, rmax + 1 - r0), nc = min_l(DC, K - c0);
    float *out = dw + r0 * K + c0;
#pragma GCC unroll 8
    for (int r = 0; r < DR; r++, out += K) {
        if (r >= nr)
            break;
        if (nc == DC && DC >= 4) {
            vec_hsum4_add(acc[r][0], acc[r][1], acc[r][2], acc[r][3], out);
#pragma GCC unroll 8
            for (int c = 4; c < DC; c++)
                out[c] += vec_hsum(acc[r][c]);
        } else {
#pragma GCC unroll 8
            for (int c = 0; c < DC; c++)
                if (c < nc)
                    out[c] += vec_hsum(acc[r][c]);
        }
    }
}

typedef struct {
    const gs_conv_shape_t *s;
    im2col_src_t in;
    pxtab_t pv_full, pv_last;         /* pixel vectors of a whole chunk, and of an image's last chunk */
    const long *koff;                 /* tap offsets */
    const float *diff_dst;
    long K, P, items, batch, ldq;
    gs_conv_chunks_t ch;
} bwd_weights_ctx_t;

/* db[o] += the sum of the items' diff_dst rows. */
static void bias_batch(const bwd_weights_ctx_t *x, const batch_item_t *items, long nitems, float *db)
{
    for (long o = 0; o < x->s->oc; o++) {
        vec_t acc = vec_zero();
        for (long q = 0; q < nitems; q++) {
            const float *d = items[q].dd + o * x->P;
            long p = 0;
            for (; p + VL <= items[q].npx; p += VL)
                acc = vec_add(acc, vec_load(d + p));
            if (p < items[q].npx)
                acc = vec_add(acc, vec_load_lanes(d + p, 0, (int)(items[q].npx - p)));
        }
        db[o] += vec_hsum(acc);
    }
}

/* Batch item i: chunk i % per_image of image i / per_image. */
static batch_item_t batch_item(const bwd_weights_ctx_t *x, long i)
{
    const gs_conv_shape_t *s = x->s;
    const long n = i / x->ch.per_image, y0 = i % x->ch.per_image * x->ch.rows;
    const long y1 = min_l(y0 + x->ch.rows, s->oh);
    const float *img = x->in.x + n * s->ic * x->in.ihp * x->in.iwp;
    return (batch_item_t){x->diff_dst + n * s->oc * x->P + y0 * s->ow, img + y0 * s->sh * x->in.iwp,
                          y1 - y0 == x->ch.rows ? &x->pv_full : &x->pv_last, (y1 - y0) * s->ow};
}

/* Thread t's share of the chunks, in batches: for each DC im2col rows, build them for every item of
 * the batch in kbuf (L1), then run every block of output channels over them. */
static void bwd_weights_thread(const bwd_weights_ctx_t *x, int t, int nt, float *kbuf, float *dw, float *db)
{
    const gs_conv_shape_t *s = x->s;
    const long first = gs_conv_block_start(x->items, nt, t), last = gs_conv_block_start(x->items, nt, t + 1);
    batch_item_t items[BATCH_MAX];
    for (long i = first; i < last; i += x->batch) {
        const long nitems = min_l(x->batch, last - i);
        for (long q = 0; q < nitems; q++)
            items[q] = batch_item(x, i + q);
        for (long c0 = 0; c0 < x->K; c0 += DC) {
            for (long q = 0; q < nitems; q++) {
                const long nvec = (items[q].npx + VL - 1) / VL;
                for (long c = 0; c < DC; c++)
                    im2col_row(items[q].x + x->koff[min_l(c0 + c, x->K - 1)], x->in.x_end, items[q].pv, 0, nvec,
                               kbuf + (q * DC + c) * x->ldq);
            }
            for (long r0 = 0; r0 < s->oc; r0 += DR)
                dot_block(items, nitems, x->P, kbuf, x->ldq, x->K, r0, s->oc - 1, c0, dw);
        }
        if (db)
            bias_batch(x, items, nitems, db);
    }
}

static gs_status_t conv_bwd_weights_tpl(const gs_conv_shape_t *s, const float *src, const float *diff_dst,
                                        float *diff_wei, float *diff_bias)
{
    bwd_weights_ctx_t x = {.s = s, .diff_dst = diff_dst};
    x.K = s->ic * s->kh * s->kw;
    x.P = s->oh * s->ow;
    /* A batch's diff_dst rows (all output channels) stay in L2 while its im2col rows come by; DC
     * im2col rows of the whole batch stay in L1. */
    const long l2 = gs_conv_l2_budget(), l1 = gs_conv_l1_budget();
    x.ch = gs_conv_plan_chunks(s, 1, VL, max_l(s->ow, min_l(l2 / s->oc, l1 / DC)));
    x.ldq = gs_conv_round_up(x.ch.rows * s->ow, VL);
    x.items = s->mb * x.ch.per_image;
    x.batch = max_l(1, min_l(BATCH_MAX, min_l(l2 / (s->oc * x.ldq), l1 / (DC * x.ldq))));
    const long kbuf_elems = x.batch * DC * x.ldq, acc_elems = x.K * s->oc + s->oc, nvec = x.ldq / VL;
    const int nt = gs_conv_threads(2.0 * (double)s->mb * (double)(s->oc * x.P) * (double)x.K, x.items);
    /* One thread accumulates straight into the outputs; several each into their own copy, summed
     * at the end in thread order. */
    float *kbufs = gs_alloc((size_t)(nt * kbuf_elems) * sizeof(float));
    float *part = nt > 1 ? gs_calloc((size_t)(nt * acc_elems) * sizeof(float)) : NULL;
    pxvec_t *pv = gs_alloc((size_t)(2 * nvec) * sizeof(pxvec_t));
    long *koff = malloc((size_t)x.K * sizeof(long));
    float *padded = NULL;
    gs_status_t st = kbufs && pv && koff && (nt == 1 || part)
                         ? im2col_src_init(s, src, nt, &x.in, &padded)
                         : gs_error(GS_ENOMEM, "conv_bwd_weights: cannot allocate %ld floats of im2col and partial "
                                    "sums", nt * (kbuf_elems + acc_elems));
    if (st == GS_OK) {
        make_pxtab(s, x.in.iwp, x.ch.rows * s->ow, pv, &x.pv_full);
        make_pxtab(s, x.in.iwp, (s->oh % x.ch.rows ? s->oh % x.ch.rows : x.ch.rows) * s->ow, pv + nvec, &x.pv_last);
        make_tap_offsets(s, &x.in, koff);
        x.koff = koff;
    }
    if (st == GS_OK && nt == 1) {
        memset(diff_wei, 0, (size_t)(x.K * s->oc) * sizeof(float));
        if (diff_bias)
            memset(diff_bias, 0, (size_t)s->oc * sizeof(float));
        bwd_weights_thread(&x, 0, 1, kbufs, diff_wei, diff_bias);
    } else if (st == GS_OK) {
#pragma omp parallel num_threads(nt)
        {
            const int t = omp_get_thread_num();
            float *dw = part + t * acc_elems;
            bwd_weights_thread(&x, t, nt, kbufs + t * kbuf_elems, dw, diff_bias ? dw + x.K * s->oc : NULL);
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
    gs_free(kbufs);
    gs_free(part);
    gs_free(padded);
    gs_free(pv);
    free(koff);
    return st;
}

#endif
