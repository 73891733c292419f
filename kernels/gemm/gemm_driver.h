/* The BLIS-style loop nest around an ISA-specific micro-kernel: jc (NC) -> pc (KC, pack B) ->
 * ic (MC, pack A) -> jr (NR) -> ir (MR) -> micro-kernel. Only the micro-kernel is per ISA. */
#ifndef GS_GEMM_DRIVER_H
#define GS_GEMM_DRIVER_H

#include <stdbool.h>

#include "core/status.h"

/* Computes one mr x nr tile (mr <= MR, nr <= NR): C = alpha * A*B + beta * C over kc steps, where
 * A element (i, p) is a[i*rs_a + p*cs_a] and B element (p, j) is b[p*rs_b + j]. Packed panels have
 * rs_a = 1, cs_a = MR, rs_b = NR; unpacked operands are read in place with their own strides. A and
 * B must hold full MR rows / NR columns (edge panels are packed, zero-padded), except an A edge of
 * mr rows or a partial B panel (exactly nr_half columns, or any) for a kernel that declares it
 * (gs_ukernel_t exact_rows, nr_half, partial_b). beta == 0 means C
 * is write-only (never read, so NaN in C cannot leak). A non-NULL b_copy receives the kc x NR
 * values of B as read, in packed layout: the first tile over a panel packs it for the others
 * while it computes, instead of a separate pass reading B once more. */
typedef void gs_ukernel_fn(long kc, const float *a, long rs_a, long cs_a, const float *b, long rs_b, float *b_copy,
                           float *c, long rs_c, float alpha, float beta, int mr, int nr);

/* `count` full MR-row tiles down one B panel, tile t with A at a + t*a_step and C at
 * c + t*MR*rs_c; otherwise as gs_ukernel_fn with mr = MR and no b_copy. */
typedef void gs_ukernel_column_fn(long kc, const float *a, long rs_a, long cs_a, long a_step, long count,
                                  const float *b, long rs_b, float *c, long rs_c, float alpha, float beta, int nr);

/* Packs an mc x kc block of op(A) (`a` points at its first element) into MR-tall micro-panels,
 * zero-padding rows past `rows`; see gemm_pack.h. */
typedef void gs_pack_a_fn(long mc, long kc, const float *a, long lda, bool transa, long rows, float *dst);

/* Packs a kc x nc block of op(B) (`b` points at its first element) into NR-wide micro-panels,
 * zero-padding columns past `cols`. */
typedef void gs_pack_b_fn(long kc, long nc, const float *b, long ldb, bool transb, long cols, float *dst);

/* What an ISA contributes to the loop nest: its tile shape, micro-kernel and packing routines. */
typedef struct {
    const char *isa;
    int mr, nr;
    bool vector_m; /* loads MR consecutive rows of op(A) as vectors: A is read in place only transposed */
    int nr_half;   /* > 0: a tile of nr <= nr_half columns reads only nr_half columns of B, so a last
                      panel exactly nr_half wide is read in place like a full one (no padded copy) */
    double fork_flops; /* FLOPs each thread must get to pay for a fork; 0: the driver's default */
    bool partial_b;      /* loads only the nr columns of a B panel read in place: a partial last
                            panel is read in place too (no padded copy) */
    unsigned exact_rows; /* bit r (0 < r < mr): a tile of r rows computes and reads only r rows of A,
                            so the bottom edge can run in place in such tiles (no padded copy) */
    gs_ukernel_fn *kernel;
    gs_ukernel_column_fn *column; /* optional: tiles down a panel in one call */
    gs_pack_a_fn *pack_a;
    gs_pack_b_fn *pack_b;
} gs_ukernel_t;

typedef struct {
    long mc, kc, nc;
} gs_gemm_blocking_t;

/* Block sizes for `uk` and depth k from the hwloc cache sizes: a KC x NR panel of B and an MR x KC
 * panel of A share L1 (KC then evened out over k), an MC x KC block of A fits in half of L2, a
 * KC x NC panel of B in this core's share of L3. */
gs_gemm_blocking_t gs_gemm_blocking(const gs_ukernel_t *uk, long k);

#ifdef GS_AVX512_EMULATED
#define gs_gemm_avx512_ukernel gs_gemm_avx512_ukernel_emu /* the SIMDe build exports this name */
#endif

/* Each vector ISA's main (widest) micro-kernel, for reporting its tile and block sizes. */
const gs_ukernel_t *gs_gemm_avx2_ukernel(void);
const gs_ukernel_t *gs_gemm_avx512_ukernel(void);

/* Threads for a GEMM of `flops` in `pieces` independent parts with `uk`'s ISA: at most one per
 * part, and only as many as get enough work each to pay for the fork (uk->fork_flops, the
 * driver's default for a NULL uk; GS_GEMM_FLOPS_PER_THREAD overrides). */
int gs_gemm_threads(const gs_ukernel_t *uk, double flops, long pieces);

/* Runs the loop nest with `uk`; arguments already checked, m, n, k > 0. */
gs_status_t gs_gemm_driver(const gs_ukernel_t *uk, bool transa, bool transb, long m, long n, long k,
                           float alpha, const float *a, long lda, const float *b, long ldb, float beta,
                           float *c, long ldc);

/* Runs the loop nest with `uk` over the first n - rest columns of C and with `strip` (a kernel
 * for narrow C, rest <= strip->nr: one tile column) over the last `rest`: where n is a few
 * columns past a multiple of the tile width, a strip of tall tiles computes them with every lane
 * useful instead of a mostly padded tile. Where the bulk forks, the strip is split over the same
 * threads in the same parallel region. */
gs_status_t gs_gemm_driver_strip(const gs_ukernel_t *uk, const gs_ukernel_t *strip, long rest, bool transa,
                                 bool transb, long m, long n, long k, float alpha, const float *a, long lda,
                                 const float *b, long ldb, float beta, float *c, long ldc);

/* Edge helper for micro-kernels without masked stores: adds the mr x nr corner of an MR x NR
 * result tile `t` (row stride ldt, already scaled by alpha) into C as C = t + beta * C. */
void gs_gemm_store_edge(const float *t, long ldt, float *c, long rs_c, float beta, int mr, int nr);

#endif
