/* Generic part of the BLIS-style GEMM: block sizes, packing decisions, threading and the five loops. */
#include "kernels/gemm/gemm_driver.h"

#include <omp.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/mem.h"
#include "core/par.h"
#include "core/topo.h"

/* Unless the micro-kernel says otherwise (gs_ukernel_t.fork_flops), a thread must get at least this
 * many FLOPs to earn back the fork/join and the extra packing (a few microseconds at AVX-512
 * speed). Measured on mlp7_sigmoid, whose hidden-layer GEMMs are 2.1 MFLOP: 2e6 keeps them on one
 * thread (0.254 s an epoch, 3 alternated runs), 1e6 forks them over 2 cores (0.201 s), 5e5 gains
 * nothing more. */
#define GEMM_FLOPS_PER_THREAD 1.0e6

static long round_down(long x, long q) { return x / q * q; }
static long round_up(long x, long q) { return (x + q - 1) / q * q; }
static long clamp(long x, long lo, long hi) { return x < lo ? lo : x > hi ? hi : x; }
static long min_l(long a, long b) { return a < b ? a : b; }

/* Overrides for tuning experiments, read once: GS_GEMM_KC/MC/NC (block sizes),
 * GS_GEMM_DIRECT_A/B (1 = read in place, -1 = always pack) and GS_GEMM_FLOPS_PER_THREAD (the fork
 * threshold); 0 or unset keeps the default.
 * Read once because getenv() per call would cost a visible share of a 10-microsecond GEMM. */
static struct {
    long kc, mc, nc, direct_a, direct_b, flops_per_thread;
} tuning;
static pthread_once_t tuning_once = PTHREAD_ONCE_INIT;

static long env_long(const char *name)
{
    const char *s = getenv(name);
    return s ? strtol(s, NULL, 10) : 0;
}

static void read_tuning(void)
{
    tuning.kc = env_long("GS_GEMM_KC");
    tuning.mc = env_long("GS_GEMM_MC");
    tuning.nc = env_long("GS_GEMM_NC");
    tuning.direct_a = env_long("GS_GEMM_DIRECT_A");
    tuning.direct_b = env_long("GS_GEMM_DIRECT_B");
    tuning.flops_per_thread = env_long("GS_GEMM_FLOPS_PER_THREAD");
}

/* The k block for depth k and the cache-derived KC: one pass while k is at most a third over KC (a
 * second pass reloads and rewrites every tile of C, which cost more than a B micro-panel
 * overflowing its share of L1 by a third: with KC = 192, one pass of 256 took m128n128k256ta1tb0
 * +2%, measured against a bare loop of micro-kernel calls), else the largest block <= KC that
 * splits k into equal parts (k = 784 with KC = 256 becomes 4 x 196 rather than 3 x 256 + 16, whose
 * thin last block would pay the whole micro-kernel overhead -- C loads and stores -- for a few
 * FMAs). */
static long k_block(long k, long kc)
{
    if (3 * k <= 4 * kc)
        return k;
    long parts = (k + kc - 1) / kc;
    return round_up((k + parts - 1) / parts, 4);
}

/* gs_gemm_blocking with KC at least kc_min (0: the cache-derived KC as it is). */
static gs_gemm_blocking_t blocking(const gs_ukernel_t *uk, long k, long kc_min)
{
    pthread_once(&tuning_once, read_tuning);
    const gs_topo_t *t = gs_topo();
    const long f = (long)sizeof(float);
    long l1 = (long)t->l1d_bytes, l2 = (long)gs_topo_l2_per_core(t);
    long l3 = (long)t->l3_bytes / t->cores_per_l3;
    gs_gemm_blocking_t b;
    /* The B micro-panel (KC x NR) stays in L1 while A micro-panels stream past it: up to 2/3 of L1,
     * with room for one A micro-panel in 7/8. Against half of L1 (KC 192 -> 256 for AVX-512's
     * 8x32 on a 48 KiB L1) each pass over C carries a third more work: 1024^3 and 2048^3 +1-2%
     * with 1 and 2 threads side by side; AVX2's 6x16 (KC 384 -> 480) measured the same. */
    long kc = min_l((2 * l1 / 3) / (uk->nr * f), (7 * l1 / 8) / ((uk->mr + uk->nr) * f));
    kc = clamp(round_down(kc, 16), 64, 1024);
    kc = tuning.kc > 0 ? tuning.kc : kc < kc_min ? kc_min : kc;
    b.kc = k_block(k, kc);
    /* The packed MC x KC block of A lives in (half of) this core's L2. */
    b.mc = clamp(round_down((l2 / 2) / (b.kc * f), uk->mr), uk->mr, 4096);
    /* The packed KC x NC panel of B lives in (half of) this core's share of L3. */
    b.nc = clamp(round_down((l3 / 2) / (b.kc * f), uk->nr), uk->nr, 8192);
    if (tuning.mc > 0)
        b.mc = round_up(tuning.mc, uk->mr);
    if (tuning.nc > 0)
        b.nc = round_up(tuning.nc, uk->nr);
    return b;
}

gs_gemm_blocking_t gs_gemm_blocking(const gs_ukernel_t *uk, long k) { return blocking(uk, k, 0); }

int gs_gemm_threads(const gs_ukernel_t *uk, double flops, long pieces)
{
    pthread_once(&tuning_once, read_tuning);
    const double per_thread = tuning.flops_per_thread > 0 ? (double)tuning.flops_per_thread
                              : uk && uk->fork_flops > 0 ? uk->fork_flops
                                                        : GEMM_FLOPS_PER_THREAD;
    const long nt = min_l(gs_par_threads(flops, per_thread), pieces);
    return nt < 1 ? 1 : (int)nt;
}

/* How many threads this problem can use: enough FLOPs per thread to pay for the fork. */
static int choose_threads(long m, long n, long k, const gs_ukernel_t *uk)
{
    long tiles = ((m + uk->mr - 1) / uk->mr) * ((n + uk->nr - 1) / uk->nr);
    return gs_gemm_threads(uk, 2.0 * (double)m * (double)n * (double)k, tiles);
}

/* Per-calling-thread packing workspace, kept between calls: GEMMs in a training step are small and
 * many, and a fresh multi-megabyte allocation per call would cost page faults each time. */
static _Thread_local gs_scratch_t workspace;

/* Whether to read op(A) in place instead of packing it. Packing pays when A is large and each of
 * its micro-panels is reused across many B micro-panels; for C up to 256 columns (the narrow
 * layers of an MLP, n = 10..128, and up to 8 AVX-512 or 16 AVX2 panels; 512 on one thread), or
 * when all of op(A) fits in a quarter of this core's L2 anyway, the copy costs more than the
 * strided broadcasts it saves, and an unpacked A lets threads own whole columns of C (no
 * barriers). Switched in one process on shapes with A beyond a quarter of L2: 256 rather than 8
 * panels for AVX2 too (it had been 128 columns there): 1 thread m500n140k700ta1tb0 +5.6%,
 * m1000n160k300ta1tb0 +4.7%, m366n171k1017 +3.5-4.3%, m90n136k1064ta1tb0 +3%, m256n200k256 -0.5%;
 * 2 threads +2.9 to +6.4%, m366n171k1017ta1tb0 -0.8%. 512 on one thread, both ISAs: +1 to +3%
 * (m2048n384k2048 +3%, m1000n320k300ta1tb0 +2%; the 80-shape sweep +0.5%, no shape below -2%);
 * with 2 threads it went both ways (m543n429k710ta1tb0 -6.4%, m579n301k866ta1tb1 -5.6%,
 * m423n424k823ta0tb1 +8%). From n = 1024 in place lost (2048^3 -8%). Forced with
 * GS_GEMM_DIRECT_A=-1|1. */
static bool use_direct_a(bool transa, long m, long n, long k, long lda, int nt, const gs_ukernel_t *uk)
{
    if (uk->vector_m && !transa)
        return false;
    if (tuning.direct_a)
        return tuning.direct_a > 0;
    /* Transposed A read in place takes a line a k step, lda floats apart: a multiple of 2 KiB puts
     * them all in one or two L1 sets and a few L2 ones, and the tiles then read A from L3
     * (switched in one process, packed: m1024n256k1024ta1tb0 +56%, m1024n200k1024 +31%,
     * m1024n128k2048 +17%, m512n200k1024 +11%, m512n128k1024 +10%). */
    if (transa && (4 * lda) % 2048 == 0)
        return false;
    const double a_bytes = 4.0 * (double)m * (double)k;
    return n <= (nt == 1 ? 512 : 256) || a_bytes <= gs_topo_l2_per_core(gs_topo()) / 4;
}

/* Whether the lines a B panel read in place touches, rows off line alignment (NR floats straddling
 * one line more than they fill), stay within 2/3 of L1 over a depth of k. */
static bool straddling_b_panel_fits_l1(long k, const gs_ukernel_t *uk)
{
    const long lines_per_row = uk->nr * 4 / 64 + 1;
    return 3 * lines_per_row * 64 * k <= 2 * (long)gs_topo()->l1d_bytes;
}

/* Whether to read op(B) in place: only untransposed B (its rows are already NR-contiguous), for
 * rows of C few enough that a packed panel would be reused little, and not where rows a multiple
 * of 4 KiB apart land in one L1 set and a new page each (n = 1024 with AVX-512: 0.68-1.01x oneDNN
 * in place against 0.99-1.18x packed). Rows 2 KiB apart pay only for few tiles per panel
 * (m <= 8 MR); 512 B and 1 KiB, like unaligned strides, up to 128 MR. Measured over m 32-512,
 * n 128-1024, k 64-512, both transposes of A, each way alternated with oneDNN: in place took
 * AVX-512 m32n512k256 0.87-0.93 -> 1.0x and m32n128k512ta1 0.94 -> 1.0x, n = 64-256 and 640
 * +1-6% up to m = 256, while n = 512 lost up to 5% from m = 128 (all had been packed: every
 * line-aligned stride that is a multiple of 256 B was); AVX2 moved -6% to +5%, 50 of 66 shapes within 2%.
 * 128 MR rather than 64: m784n128k256ta1tb0 0.98-1.0 -> 1.01x with 1 and 2 threads; forced in
 * place, m = 1024-4096 moved within +-3% with no trend. Also only up to 64 rows where B's rows
 * are off line alignment while A is read in place transposed with its columns off 32-byte
 * alignment (`a_cols_in_place`, lda): each k step then touches three lines of B and, for half of
 * them, two of A, streamed from L2 by every tile (the deep KC panel outgrows L1, and KC 256 did
 * not help). Packed there, timed in one process against in place: AVX-512 m129n183k311ta1tb0 +9%,
 * m209n190k624 +8%, m583n217k811 +9%, m269n223k296 +8%, m66n519k846 +4-5%, m113n651k300 +9%, 24
 * random such shapes +1.5% geometric mean (worst m87n744k402, -3%: two passes over C instead of
 * one); AVX2 m129n183k311 +9%, m225n95k997 +6%, m53n616k547 -2%. Forked, each thread of an M split
 * packs all of B, and packed B's L1-sized KC adds passes over C: switched in one process on the same
 * code, 2 threads, packing won where it keeps one k pass (m467n182k241 +6.5%, m129n183k311 +6%,
 * m269n223k296 +5.5%, m379n188k255 +3%) and lost beyond (m225n95k997 -15%, m500n100k800 -12%,
 * m66n519k846 -7%, m583n217k811 -4%), so forked GEMMs pack only there. 64 rows, not
 * 8 MR: AVX2's 6-row tiles lost 2-5% packed at m = 53, 54 (switched in one process). Not while
 * the panel's lines stay within 2/3 of L1 over the whole depth (straddling_b_panel_fits_l1: k <=
 * 170 with AVX-512's 3 lines a row, 256 with AVX2's 2, on a 48 KiB L1): there the misaligned
 * reads come from L1 and packing only costs its copy; switched in one process, AVX-512
 * m84n120k64ta1tb0 +3-4% (2 threads +3%), m84n120k128 +4% (2 threads +17%), m150n100k160 +2%
 * (+9%), m300n200k128 +1% (+3%), m250n70k150 0% (-3%); AVX2 m84n120k256 +1%, m84n120k128 with 2
 * threads +9%; at m150n100k192 and k224 packing still won (1-3.5%). Forced with
 * GS_GEMM_DIRECT_B=-1|1. */
static bool use_direct_b(bool transb, long m, long k, long ldb, bool a_cols_in_place, long lda, const gs_ukernel_t *uk)
{
    if (transb)
        return false;
    if (tuning.direct_b)
        return tuning.direct_b > 0;
    const long row_bytes = 4 * ldb;
    if (row_bytes % 4096 == 0)
        return false;
    if (row_bytes % 2048 == 0)
        return m <= 8 * uk->mr;
    if (a_cols_in_place && (4 * lda) % 32 && row_bytes % 64 && !straddling_b_panel_fits_l1(k, uk))
        return m <= 64;
    return m <= 128 * uk->mr;
}

/* The KC where B is read in place: each k block costs every tile a pass over C (loads, stores, the
 * call itself), while B rows read in place, not packed into an L1-sized micro-panel, gain little
 * from the L1-derived KC (256 for AVX-512's 8x32 on a 48 KiB L1, 480 for AVX2's 6x16). Side by side
 * against oneDNN, AVX-512: m32n200k1000 0.92-0.94 -> 0.98x, m32n1000k2000 0.96 -> 0.99x (2 threads
 * 0.93 -> 0.98x), m64n784k784 0.99-1.0 -> 1.01-1.03x, m166n683k1178 0.92-0.95 -> 0.99-1.0x,
 * m225n95k997ta1tb0 0.91 -> 0.96x (2 threads +5-9%), m1000n300k1000 0.93-0.95 -> 0.98x; AVX2 within
 * 1% but for n = 50 (+6%). Rows a multiple of 1 KiB apart stay at the L1 KC: a deep panel of
 * them fills a few L2 sets (1024 rows 1 KiB apart, two lines each: 16 lines in each of 128 sets,
 * all their ways) and every tile streams it from L3 again (switched in one process, m512n256k1024ta0tb0
 * +13%, m1000n256k1024 +14%; m64n512k2048, 2 KiB, -1% at the deep KC). So does packed B
 * (m64n2048k1024 -10%, m1024n200k1024ta1tb0 -27%). */
#define DEEP_KC 1024
static long kc_floor(bool direct_b, long ldb)
{
    return direct_b && (4 * ldb) % 1024 ? DEEP_KC : 0;
}

/* Everything one GEMM call's threads share. */
typedef struct {
    const gs_ukernel_t *uk;
    gs_gemm_blocking_t bk;
    bool transa, transb, direct_a, direct_b;
    long m, n, k, lda, ldb, ldc;
    long rs_a, cs_a; /* in-place strides of op(A): element (i, p) at i*rs_a + p*cs_a */
    float alpha, beta;
    const float *a, *b;
    float *c;
    int nt, tm, tn; /* threads, as a tm x tn grid over the tiles of C */
    int min_threads;  /* plan() gives the GEMM at least this many threads, as far as it has tiles */
    bool shared_b;  /* threads of a column share its packed B panels (else each packs its own) */
    long mtiles, ntiles;
    float *bpack, *apack; /* B panels (shared, or b_floats per thread); A blocks */
    long kc_max;          /* stride of one packed B micro-panel: NR * kc_max floats */
    size_t a_floats, b_floats;
} gemm_ctx_t;

/* The busiest thread's work when nt threads split the tile columns (by_rows false) or the tile
 * rows of C, in half-tiles: a last panel no wider than the micro-kernel's half tile costs half. */
static long busiest(const gemm_ctx_t *x, int nt, bool by_rows)
{
    const long last_cols = x->n % x->uk->nr;
    const bool half_last = x->uk->nr_half && last_cols && last_cols <= x->uk->nr_half;
    const long col_units = 2 * x->ntiles - half_last;
    if (by_rows)
        return (x->mtiles + nt - 1) / nt * col_units;
    long most = 0;
    for (int t = 0; t < nt; t++) {
        const long p0 = x->ntiles * t / nt, p1 = x->ntiles * (t + 1) / nt;
        const long units = 2 * (p1 - p0) - (half_last && p1 == x->ntiles);
        most = units > most ? units : most;
    }
    return most * x->mtiles;
}

/* Splits the threads into a tm x tn grid over the MR x NR tiles of C so the busiest thread has about
 * the fewest tiles, and says whether they share B. Three ways, none with barriers but the last:
 * - split N (tm = 1): each thread owns its B panels, packed by its first tiles as they read them;
 *   where A is packed every thread packs all of it, in a separate pass;
 * - split M with a private copy of B per thread (tn = 1): where B is untransposed, its packing is
 *   fused into the first tile over each panel (two stores per k step beside 16 FMAs), so copying
 *   all of it costs each thread little;
 * - split M sharing the packed B panels, packed in a separate pass between two barriers per k
 *   block: the fallback for an untransposed B where neither of the above is chosen (transposed B
 *   never shares: see below). On this shared 2-core VM every barrier waits for the slower core:
 *   1024^3 and 2048^3 ran at 0.89-0.93x oneDNN this way (5% waiting, 5% packing B).
 * Untransposed B splits M (private B) where N cannot be split evenly enough, or where splitting M
 * leaves the busiest thread less work (n = 600 or 784 end in a partial panel, 64 or 256 rows are
 * whole tiles); as balanced, N stays: copying B by the first tile over each panel reads B in place
 * down its columns, which on 1024^3 and 2048^3 cost more than every thread packing all of A
 * row-wise (0.95-0.96x vs 0.97-1.0x oneDNN). With A read in place, splitting M also wins at equal
 * balance where op(A) outgrows half of L2 and B is cheap to copy (read in place or within half of
 * L2), so each thread reads only its rows of A. 2 threads, side by side against oneDNN: private-B
 * M split took m384n384k384 0.94 -> 0.96x (from shared B), m600n600k600 0.93-0.94 -> 0.98x,
 * m784n128k256ta1tb0 0.96 -> 0.98-0.99x, m256n784k128ta0tb0 0.99 -> 1.01x; with k = 64 and A in
 * place it only duplicated B's packing (m784n128k64ta1tb0 1.5% slower), so that stays N. */
static void thread_grid(gemm_ctx_t *x)
{
    const int nt = x->nt;
    long best = -1;
    for (int d = nt; d >= 1; d--) {
        if (nt % d)
            continue;
        long load = ((x->mtiles + d - 1) / d) * ((x->ntiles + nt / d - 1) / (nt / d));
        if (best < 0 || load < best) {
            best = load;
            x->tm = d;
            x->tn = nt / d;
        }
    }
    x->shared_b = x->tm > 1;
    const long panels_per_thread = (x->ntiles + nt - 1) / nt;
    const bool a_reused = x->direct_a || panels_per_thread >= 8;
    const bool n_ok = a_reused && 8 * x->mtiles * panels_per_thread <= 9 * best;
    if (n_ok) {
        x->tm = 1;
        x->tn = nt;
        x->shared_b = false;
    }
    const double half_l2 = gs_topo_l2_per_core(gs_topo()) / 2;
    const double a_bytes = 4.0 * (double)x->m * (double)x->k, b_bytes = 4.0 * (double)x->k * (double)x->n;
    if (x->transb) {
        /* Transposed B is never shared between barriers: with M split each thread packs all of it
         * (a narrow layer's weights within half of L2: m256n10k128ta0tb1 with AVX2 and 2 threads 106
         * -> 117 GFLOP/s side by side), and where B^T is bigger but all of op(A) fits a third of
         * L2, N splits instead, each thread packing only its panels, if that is about as balanced.
         * A barrier waits for the slower core, and this VM's second core was at times much slower:
         * in such spells the shared B ran m120n300k601ta0tb1 and m150n400k555ta0tb1 at 0.64-0.68x
         * oneDNN with 2 threads and m44n160k969ta0tb1 at 0.37x (+50%, +55% and +19% without the
         * barriers, switched in one process). At calm times, against the shared B: N split
         * m44n160k969 +18-21%, m150n400k555 +3-4% (m200n300k641, A 0.49 MiB, -3-4%: packed by each
         * thread whole); private copies m361n225k1004, 2048^3 within 0.5%, m423n424k823,
         * m1000n300k1000 -1%. */
        if (x->tm > 1 && b_bytes > half_l2 && 3 * a_bytes <= 2 * half_l2 && x->ntiles >= nt &&
            4 * x->mtiles * ((x->ntiles + nt - 1) / nt) <= 5 * best) {
            x->tm = 1;
            x->tn = nt;
        }
        x->shared_b = false;
        return;
    }
    const long rows_load = (x->mtiles + nt - 1) / nt * x->ntiles;
    if (nt == 1 || x->mtiles < nt || 8 * rows_load > 9 * best)
        return;
    const long by_cols = busiest(x, nt, false), by_rows = busiest(x, nt, true);
    bool rows;
    if (!n_ok || !x->direct_a) {
        rows = !n_ok || by_rows < by_cols;
    } else {
        const bool b_cheap = x->direct_b || b_bytes <= half_l2;
        rows = b_cheap && (by_rows < by_cols || (by_rows == by_cols && a_bytes > half_l2));
    }
    if (rows) {
        x->tm = nt;
        x->tn = 1;
        x->shared_b = false;
    }
}

/* Packs B micro-panels [p0, p1) of block (jc, pc) into `bpack`. Panel p always starts at
 * p * NR * kc_max, whatever this block's kc, so every block uses the same slots. */
static void pack_b_panels(const gemm_ctx_t *x, float *bpack, long jc, long nc, long pc, long kc, long p0, long p1)
{
    const int NR = x->uk->nr;
    for (long p = p0; p < p1; p++) {
        const long j0 = jc + p * NR;
        const float *src = x->transb ? x->b + j0 * x->ldb + pc : x->b + pc * x->ldb + j0;
        x->uk->pack_b(kc, min_l(NR, nc - p * NR), src, x->ldb, x->transb, x->n - j0, bpack + p * NR * x->kc_max);
    }
}

/* Where compute_block finds the B panels of a block: panels before `first_packed` are read in
 * place; the others come from `bpack`, already packed unless `pack_on_first_use`, in which case
 * the first tile over each full-width panel packs it (see gs_ukernel_fn's b_copy). */
typedef struct {
    float *bpack;
    long first_packed;
    bool pack_on_first_use;
} b_panels_t;

/* One mr-row tile at rows ic + i, column j: A in place, or from the packed panels in apack that
 * start at the block's row `packed_from`. */
static void tile(const gemm_ctx_t *x, bool a_in_place, const float *apack, long packed_from, long ic, long i, int mr,
                 long j, long pc, long kc, const float *b, long rs_b, float *b_copy, float beta, int nr)
{
    const int MR = x->uk->mr;
    float *cij = x->c + (ic + i) * x->ldc + j;
    if (a_in_place)
        x->uk->kernel(kc, x->a + (ic + i) * x->rs_a + pc * x->cs_a, x->rs_a, x->cs_a, b, rs_b, b_copy, cij, x->ldc,
                      x->alpha, beta, mr, nr);
    else
        x->uk->kernel(kc, apack + (i - packed_from) * kc, 1, MR, b, rs_b, b_copy, cij, x->ldc, x->alpha, beta, mr,
                      nr);
}

/* With A read in place, how a block of mc rows is tiled: whole MR-row tiles first (*full_rows
 * rows), then the returned number of edge tiles over the rest, their heights as even as can be
 * (differing by at most one row), each one the micro-kernel computes and reads exactly
 * (gs_ukernel_t.exact_rows). Returns 0 where that cannot be done: the rows past the whole tiles
 * then go to a packed, zero-padded micro-panel. As many tiles as MR-row tiles would need, but
 * none short: m = 32 with AVX2 runs 6 + 6 + 5 + 5 + 5 + 5 rather than 5 x 6 + 2 (a 2-row tile
 * waits on FMA latency, as long a k step as 4 rows), m = 100 with AVX-512 9 x 8 + 4 x 7 rather
 * than 12 x 8 + 4 (a padded 8-row tile): side by side against oneDNN, AVX2 m25n128k256 and
 * m31n256k256ta1 0.95-0.97 -> 1.01-1.04x, m32n128k256ta1tb0 0.94-0.96 -> 1.0x; AVX-512
 * m97n300k200ta1tb0 0.95 -> 1.0x, m36n512k128 0.91 -> 1.0x, m50n256k256 0.95 -> 1.06x. */
static long edge_tiles(const gs_ukernel_t *uk, long mc, long *full_rows)
{
    const long MR = uk->mr, whole = mc / MR * MR;
    *full_rows = whole;
    if (whole == mc)
        return 0;
    const long tiles = (mc + MR - 1) / MR, lo = mc / tiles, taller = mc % tiles; /* `taller` of lo + 1 */
    const bool exact_lo = uk->exact_rows >> lo & 1;
    const bool exact_hi = !taller || lo + 1 == MR || (uk->exact_rows >> (lo + 1) & 1);
    if (exact_lo && exact_hi) {
        if (lo + 1 == MR) { /* the taller tiles are whole ones */
            *full_rows = taller * MR;
            return tiles - taller;
        }
        *full_rows = 0;
        return tiles;
    }
    return uk->exact_rows >> (mc - whole) & 1; /* the remainder alone, in one tile */
}

/* The ic -> jr -> ir loops of one thread over rows [m0, m1) and columns [jlo, jhi) of block (jc, pc). */
static void compute_block(const gemm_ctx_t *x, b_panels_t bp, float *apack, long m0, long m1, long jlo, long jhi,
                          long jc, long pc, long kc)
{
    const int MR = x->uk->mr, NR = x->uk->nr;
    const float beta = pc == 0 ? x->beta : 1.0f; /* later k blocks accumulate */
    for (long ic = m0; ic < m1; ic += x->bk.mc) {
        const long mc = min_l(x->bk.mc, m1 - ic);
        /* In place, only the rows past the whole tiles (full_rows) may need packing (zero-padded,
         * at the start of apack), unless edge tiles read them in place. */
        long full_rows = 0;
        const long edges = x->direct_a ? edge_tiles(x->uk, mc, &full_rows) : 0;
        if (full_rows < mc && !edges) {
            const long r0 = ic + full_rows;
            const float *src = x->transa ? x->a + pc * x->lda + r0 : x->a + r0 * x->lda + pc;
            x->uk->pack_a(mc - full_rows, kc, src, x->lda, x->transa, x->m - r0, apack);
        }
        /* The first tile packs B on its way only as a whole tile (an edge tile reads fewer rows of
         * A than the copy needs); a block of edge tiles alone is the only block and reads B in place. */
        const bool first_whole = !x->direct_a || full_rows > 0;
        for (long j = jlo; j < jhi; j += NR) {
            const long panel = (j - jc) / NR;
            const int nr = (int)min_l(NR, x->n - j);
            const float *in_place = x->b + pc * x->ldb + j;
            float *packed = bp.bpack + panel * NR * x->kc_max;
            const bool fused = ic == m0 && bp.pack_on_first_use && panel >= bp.first_packed && nr == NR;
            const bool b_in_place = panel < bp.first_packed || (fused && !first_whole);
            float *b_copy = fused && first_whole ? packed : NULL;
            const float *b = b_in_place ? in_place : packed;
            const long rs_b = b_in_place ? x->ldb : NR;
            long i = 0;
            if (b_copy) { /* the first tile packs the panel while reading it in place */
                tile(x, x->direct_a, apack, full_rows, ic, 0, (int)min_l(MR, mc), j, pc, kc, in_place, x->ldb,
                     b_copy, beta, nr);
                i = MR;
            }
            if (x->uk->column) {
                /* Whole-height tiles in runs, one call per run: read in place, then packed. */
                const long packed_end = edges ? full_rows : min_l(mc, round_down(x->m - ic, MR));
                if (i < full_rows) {
                    x->uk->column(kc, x->a + (ic + i) * x->rs_a + pc * x->cs_a, x->rs_a, x->cs_a, MR * x->rs_a,
                                  (full_rows - i) / MR, b, rs_b, x->c + (ic + i) * x->ldc + j, x->ldc, x->alpha,
                                  beta, nr);
                    i = full_rows;
                }
                if (i < packed_end) {
                    x->uk->column(kc, apack + (i - full_rows) * kc, 1, MR, MR * kc, (packed_end - i) / MR, b, rs_b,
                                  x->c + (ic + i) * x->ldc + j, x->ldc, x->alpha, beta, nr);
                    i = packed_end;
                }
            }
            for (; i < full_rows; i += MR)
                tile(x, true, apack, full_rows, ic, i, MR, j, pc, kc, b, rs_b, NULL, beta, nr);
            if (edges) { /* in place, even heights */
                const long rows = mc - full_rows;
                for (long e = 0; e < edges; e++) {
                    const int h = (int)(rows / edges + (e < rows % edges));
                    tile(x, true, apack, full_rows, ic, i, h, j, pc, kc, b, rs_b, NULL, beta, nr);
                    i += h;
                }
            }
            for (; i < mc; i += MR) /* packed */
                tile(x, false, apack, full_rows, ic, i, (int)min_l(MR, mc - i), j, pc, kc, b, rs_b, NULL, beta, nr);
        }
    }
}

/* One thread's whole share: the jc and pc loops. Without shared B the thread owns its block of C
 * and works alone, packing its B panels into its own buffer (no barriers: a GEMM of the MLP can
 * take tens of microseconds, where two barriers per k block would show); untransposed, they are
 * packed by the first tile that reads them. Otherwise threads of a column share the B panels of
 * every block: packed by all, between two barriers. */
static void run_thread(const gemm_ctx_t *x, int tid)
{
    const int MR = x->uk->mr, NR = x->uk->nr;
    const int ti = tid / x->tn, tj = tid % x->tn;
    const bool shared = x->shared_b;
    float *apack = x->apack + (size_t)tid * x->a_floats;
    float *bpack = shared ? x->bpack : x->bpack + (size_t)tid * x->b_floats;
    /* This thread's rows and columns of C, whole MR x NR tiles. */
    const long m0 = (x->mtiles * ti / x->tm) * MR, m1 = min_l((x->mtiles * (ti + 1) / x->tm) * MR, x->m);
    const long n0 = (x->ntiles * tj / x->tn) * NR, n1 = min_l((x->ntiles * (tj + 1) / x->tn) * NR, x->n);
    const long jstart = shared ? 0 : n0, jend = shared ? x->n : n1;

    for (long jc = jstart; jc < jend; jc += x->bk.nc) {
        const long nc = min_l(x->bk.nc, jend - jc);
        const long npanels = (nc + NR - 1) / NR;
        /* Read in place, only a partial last panel needs a (zero-padded) packed copy, unless the
         * micro-kernel reads no more of it than it has (AVX-512 masks its loads: partial_b; AVX2's
         * half tile reads 8 columns, so 8 past a multiple of 16 is read in place). */
        const long last_cols = nc % NR;
        const bool pad_last = last_cols && last_cols != x->uk->nr_half && !x->uk->partial_b;
        const long first_packed = x->direct_b ? (pad_last ? npanels - 1 : npanels) : 0;
        const long todo = npanels - first_packed;
        const bool barriers = shared && todo > 0;
        /* Fused packing copies whole rows of NR values: all panels but a partial last one, which
         * is packed up front unless read in place (a half panel). */
        const bool fuse = !shared && !x->transb;
        const long fused_end = nc % NR ? npanels - 1 : npanels;
        const long prepacked_from = fuse && fused_end > first_packed ? fused_end : first_packed;
        const b_panels_t bp = {bpack, first_packed, fuse};
        const long jlo = jc > n0 ? jc : n0, jhi = min_l(jc + nc, n1);
        for (long pc = 0; pc < x->k; pc += x->bk.kc) {
            const long kc = min_l(x->bk.kc, x->k - pc);
            if (shared)
                pack_b_panels(x, bpack, jc, nc, pc, kc, first_packed + todo * tid / x->nt,
                              first_packed + todo * (tid + 1) / x->nt);
            else
                pack_b_panels(x, bpack, jc, nc, pc, kc, prepacked_from, npanels);
            if (barriers) {
#pragma omp barrier
            }
            if (jlo < jhi)
                compute_block(x, bp, apack, m0, m1, jlo, jhi, jc, pc, kc);
            if (barriers) { /* nobody repacks B while another thread still reads it */
#pragma omp barrier
            }
        }
    }
}

/* Everything the loop nest decides before it runs: in place or packed, blocking, threads, and the
 * packing workspace that needs (returned, in floats). */
static size_t plan(gemm_ctx_t *x)
{
    const gs_ukernel_t *uk = x->uk;
    x->rs_a = x->transa ? 1 : x->lda;
    x->cs_a = x->transa ? x->lda : 1;
    x->mtiles = (x->m + uk->mr - 1) / uk->mr;
    x->ntiles = (x->n + uk->nr - 1) / uk->nr;
    x->nt = choose_threads(x->m, x->n, x->k, uk);
    if (x->nt < x->min_threads)
        x->nt = (int)min_l(x->min_threads, x->mtiles * x->ntiles);
    x->direct_a = use_direct_a(x->transa, x->m, x->n, x->k, x->lda, x->nt, uk);
    /* Forked, packing B for the misaligned operands pays only while packed B still takes k in one
     * pass (see use_direct_b); the blocking is only worked out for that case. */
    const bool a_cols_in_place =
        x->transa && x->direct_a && (x->nt == 1 || blocking(uk, x->k, 0).kc >= x->k);
    x->direct_b = use_direct_b(x->transb, x->m, x->k, x->ldb, a_cols_in_place, x->lda, uk);
    x->bk = blocking(uk, x->k, kc_floor(x->direct_b, x->ldb));
    thread_grid(x);

    x->kc_max = min_l(x->bk.kc, x->k);
    const long cols = x->shared_b ? round_up(x->n, uk->nr) : ((x->ntiles + x->tn - 1) / x->tn) * uk->nr;
    const long nc_max = min_l(x->bk.nc, cols);
    const long mc_max = min_l(x->bk.mc, ((x->mtiles + x->tm - 1) / x->tm) * uk->mr);
    x->b_floats = (size_t)(x->kc_max * nc_max);
    x->a_floats = (size_t)(x->kc_max * mc_max);
    return (x->shared_b ? x->b_floats : (size_t)x->nt * x->b_floats) + (size_t)x->nt * x->a_floats;
}

/* The workspace for `floats` into *ws, or GS_ENOMEM naming it: the only way a planned GEMM can
 * fail, checked before any of C is written. */
static gs_status_t reserve(size_t floats, float **ws)
{
    *ws = gs_scratch_get(&workspace, floats);
    if (!*ws)
        return gs_error(GS_ENOMEM, "gemm: cannot allocate %zu floats of packing workspace", floats);
    return GS_OK;
}

/* Lays a planned GEMM's packing buffers out from `base`. */
static void place(gemm_ctx_t *x, float *base)
{
    x->bpack = base;
    x->apack = x->bpack + (x->shared_b ? x->b_floats : (size_t)x->nt * x->b_floats);
}

/* Runs a planned GEMM with its packing buffers from `ws`. */
static void run(gemm_ctx_t *x, float *ws)
{
    place(x, ws);
    if (x->nt == 1) {
        run_thread(x, 0);
        return;
    }
#pragma omp parallel num_threads(x->nt)
    run_thread(x, omp_get_thread_num());
}

gs_status_t gs_gemm_driver(const gs_ukernel_t *uk, bool transa, bool transb, long m, long n, long k,
                           float alpha, const float *a, long lda, const float *b, long ldb, float beta,
                           float *c, long ldc)
{
    gemm_ctx_t x = {.uk = uk, .transa = transa, .transb = transb, .m = m, .n = n, .k = k, .lda = lda, .ldb = ldb,
                    .ldc = ldc, .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c};
    float *ws;
    const gs_status_t st = reserve(plan(&x), &ws);
    if (st == GS_OK)
        run(&x, ws);
    return st;
}

/* The bulk and its strip in one parallel region of bulk->nt threads, their workspaces side by
 * side from `ws` (the strip's after bulk_floats). The strip never has more threads: it has fewer
 * FLOPs than the bulk at the same fork threshold (min_threads raises it to bulk->nt at most). */
static void run_together(gemm_ctx_t *bulk, gemm_ctx_t *tail, float *ws, size_t bulk_floats)
{
    place(bulk, ws);
    place(tail, ws + bulk_floats);
#pragma omp parallel num_threads(bulk->nt)
    {
        const int tid = omp_get_thread_num();
        run_thread(bulk, tid);
        if (tid < tail->nt)
            run_thread(tail, tid);
    }
}

gs_status_t gs_gemm_driver_strip(const gs_ukernel_t *uk, const gs_ukernel_t *strip, long rest, bool transa,
                                 bool transb, long m, long n, long k, float alpha, const float *a, long lda,
                                 const float *b, long ldb, float beta, float *c, long ldc)
{
    /* The strip runs after the rest, on as many threads as its own FLOPs earn: with untransposed A,
     * which the tall tiles pack (transposed), a forked GEMM would then wait on one thread packing
     * all of A (AVX-512 m256n40k128ta0tb0 with 2 threads: 0.94x oneDNN with the padded tile, 0.77x
     * with the strip), so there the padded tile stays. */
    if (!transa && choose_threads(m, n, k, uk) > 1)
        return gs_gemm_driver(uk, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    const long j = n - rest;
    gemm_ctx_t bulk = {.uk = uk, .transa = transa, .transb = transb, .m = m, .n = j, .k = k, .lda = lda, .ldb = ldb,
                       .ldc = ldc, .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c};
    gemm_ctx_t tail = bulk;
    tail.uk = strip;
    tail.n = rest;
    tail.b = transb ? b + j * ldb : b + j;
    tail.c = c + j;
    /* Both workspaces up front: C is written by neither part unless both can run. A forked bulk
     * takes the strip into its parallel region, each thread its share of the strip's rows after
     * its share of the bulk, rather than the strip forking again on its own, or not at all for
     * its few FLOPs while the other cores wait: switched in one process, 2 threads, AVX-512
     * m1000n40k100ta1tb0 +21%, m256n40k128ta1tb0 +19%, m784n36k64ta1tb0 +14%, m250n70k150ta1tb0
     * +11%, m500n100k300ta1tb1 +7%; AVX2 m128n20k256ta1tb0 +20%, m250n70k150 +11%, m200n50k300
     * +9%; 1 thread the same. Threads past the strip's own count skip it, which is safe because
     * the strip (one tile column: rest <= strip->nr) never shares B between barriers: a
     * transposed B never is, and an untransposed one splits M with a private copy (thread_grid). */
    const size_t bulk_floats = plan(&bulk);
    tail.min_threads = bulk.nt;
    const size_t tail_floats = plan(&tail);
    const bool together = bulk.nt > 1; /* else one after the other, in the larger of the two */
    float *ws;
    const gs_status_t st = reserve(together ? bulk_floats + tail_floats
                                            : bulk_floats > tail_floats ? bulk_floats : tail_floats, &ws);
    if (st != GS_OK)
        return st;
    if (together) {
        run_together(&bulk, &tail, ws, bulk_floats);
    } else {
        run(&bulk, ws);
        run(&tail, ws);
    }
    return GS_OK;
}

void gs_gemm_store_edge(const float *t, long ldt, float *c, long rs_c, float beta, int mr, int nr)
{
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++)
            c[i * rs_c + j] = beta == 0.0f ? t[i * ldt + j] : t[i * ldt + j] + beta * c[i * rs_c + j];
}
