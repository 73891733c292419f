/* Generic part of the BLIS-style GEMM: block sizes, packing, threading and the five loops. */
#include "kernels/gemm/gemm_driver.h"

#include <omp.h>
#include <stdlib.h>

#include "core/mem.h"
#include "core/topo.h"

/* A thread must get at least this many FLOPs to earn back the fork/join and the extra packing
 * (a few microseconds, i.e. about a million FLOPs at this machine's per-core speed). */
#define GEMM_FLOPS_PER_THREAD 2.0e6

static long round_down(long x, long q) { return x / q * q; }
static long round_up(long x, long q) { return (x + q - 1) / q * q; }
static long clamp(long x, long lo, long hi) { return x < lo ? lo : x > hi ? hi : x; }
static long min_l(long a, long b) { return a < b ? a : b; }

/* Block sizes may be overridden for tuning experiments (GS_GEMM_KC=...); 0 keeps the default. */
static long env_long(const char *name)
{
    const char *s = getenv(name);
    return s ? strtol(s, NULL, 10) : 0;
}

gs_gemm_blocking_t gs_gemm_blocking(const gs_ukernel_t *uk)
{
    const gs_topo_t *t = gs_topo();
    const long f = (long)sizeof(float);
    long l1 = (long)t->l1d_bytes, l2 = (long)t->l2_bytes / t->cores_per_l2;
    long l3 = (long)t->l3_bytes / t->cores_per_l3;
    gs_gemm_blocking_t b;
    /* The B micro-panel (KC x NR) stays in L1 while A micro-panels stream past it: give it half
     * of L1 and leave room for one A micro-panel. */
    b.kc = min_l((l1 / 2) / (uk->nr * f), (3 * l1 / 4) / ((uk->mr + uk->nr) * f));
    b.kc = clamp(round_down(b.kc, 16), 64, 1024);
    /* The packed MC x KC block of A lives in (half of) this core's L2. */
    b.mc = clamp(round_down((l2 / 2) / (b.kc * f), uk->mr), uk->mr, 4096);
    /* The packed KC x NC panel of B lives in (half of) this core's share of L3. */
    b.nc = clamp(round_down((l3 / 2) / (b.kc * f), uk->nr), uk->nr, 8192);
    if (env_long("GS_GEMM_KC") > 0)
        b.kc = env_long("GS_GEMM_KC");
    if (env_long("GS_GEMM_MC") > 0)
        b.mc = round_up(env_long("GS_GEMM_MC"), uk->mr);
    if (env_long("GS_GEMM_NC") > 0)
        b.nc = round_up(env_long("GS_GEMM_NC"), uk->nr);
    return b;
}

/* How many threads this problem can use: enough FLOPs per thread to pay for the fork. */
static int choose_threads(long m, long n, long k, const gs_ukernel_t *uk)
{
    int max = omp_get_max_threads();
    double flops = 2.0 * (double)m * (double)n * (double)k;
    long tiles = ((m + uk->mr - 1) / uk->mr) * ((n + uk->nr - 1) / uk->nr);
    long by_work = (long)(flops / GEMM_FLOPS_PER_THREAD);
    long nt = min_l(min_l(max, by_work), tiles);
    return nt < 1 ? 1 : (int)nt;
}

/* Splits nt threads into a tm x tn grid over the MR x NR tiles of C so the busiest thread has
 * the fewest tiles; ties prefer splitting M (threads then share one packed B panel). */
static void thread_grid(int nt, long mtiles, long ntiles, int *tm, int *tn)
{
    long best = -1;
    for (int d = nt; d >= 1; d--) {
        if (nt % d)
            continue;
        long load = ((mtiles + d - 1) / d) * ((ntiles + nt / d - 1) / (nt / d));
        if (best < 0 || load < best) {
            best = load;
            *tm = d;
            *tn = nt / d;
        }
    }
}

/* Per-calling-thread workspace, kept between calls: GEMMs in a training step are small and many,
 * and a fresh multi-megabyte allocation per call would cost page faults each time. */
static _Thread_local float *workspace;
static _Thread_local size_t workspace_floats;

static float *get_workspace(size_t floats)
{
    if (floats > workspace_floats) {
        gs_free(workspace);
        workspace = gs_alloc(floats * sizeof(float));
        workspace_floats = workspace ? floats : 0;
    }
    return workspace;
}

gs_status_t gs_gemm_driver(const gs_ukernel_t *uk, bool transa, bool transb, long m, long n, long k,
                           float alpha, const float *a, long lda, const float *b, long ldb, float beta,
                           float *c, long ldc)
{
    const int MR = uk->mr, NR = uk->nr;
    const gs_gemm_blocking_t bk = gs_gemm_blocking(uk);
    const long mtiles = (m + MR - 1) / MR, ntiles = (n + NR - 1) / NR;
    const int nt = choose_threads(m, n, k, uk);
    int tm = 1, tn = 1;
    thread_grid(nt, mtiles, ntiles, &tm, &tn);

    const long kc_max = min_l(bk.kc, k);
    const long nc_max = min_l(bk.nc, round_up(n, NR));
    const long rows_per_thread = ((mtiles + tm - 1) / tm) * MR;
    const long mc_max = min_l(bk.mc, rows_per_thread);
    const size_t b_floats = (size_t)(kc_max * nc_max);
    const size_t a_floats = (size_t)(kc_max * mc_max);
    float *ws = get_workspace(b_floats + (size_t)nt * a_floats);
    if (!ws)
        return gs_error(GS_ENOMEM, "gemm: cannot allocate %zu floats of packing workspace",
                        b_floats + (size_t)nt * a_floats);
    float *bpack = ws;

#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        const int tid = omp_get_thread_num();
        const int ti = tid / tn, tj = tid % tn;
        float *apack = ws + b_floats + (size_t)tid * a_floats;
        /* This thread's rows of C, whole MR tiles. */
        const long m0 = (mtiles * ti / tm) * MR, m1 = min_l((mtiles * (ti + 1) / tm) * MR, m);
        /* This thread's columns of C, whole NR tiles. */
        const long n0 = (ntiles * tj / tn) * NR, n1 = min_l((ntiles * (tj + 1) / tn) * NR, n);

        for (long jc = 0; jc < n; jc += bk.nc) {
            const long nc = min_l(bk.nc, n - jc);
            const long npanels = (nc + NR - 1) / NR;
            for (long pc = 0; pc < k; pc += bk.kc) {
                const long kc = min_l(bk.kc, k - pc);
                const float beta_eff = pc == 0 ? beta : 1.0f;
                /* All threads pack the shared B panel, split by micro-panels. */
                const long p0 = npanels * tid / nt, p1 = npanels * (tid + 1) / nt;
                if (p1 > p0) {
                    const long j0 = jc + p0 * NR;
                    uk->pack_b(kc, min_l((p1 - p0) * NR, nc - p0 * NR), transb ? b + j0 * ldb + pc : b + pc * ldb + j0,
                               ldb, transb, n - j0, bpack + p0 * NR * kc);
                }
#pragma omp barrier
                const long jlo = jc > n0 ? jc : n0, jhi = min_l(jc + nc, n1);
                for (long ic = m0; ic < m1 && jlo < jhi; ic += bk.mc) {
                    const long mc = min_l(bk.mc, m1 - ic);
                    uk->pack_a(mc, kc, transa ? a + pc * lda + ic : a + ic * lda + pc, lda, transa, m - ic, apack);
                    for (long j = jlo; j < jhi; j += NR) {
                        const float *bp = bpack + (j - jc) / NR * NR * kc;
                        const int nr = (int)min_l(NR, n - j);
                        for (long i = 0; i < mc; i += MR) {
                            const int mr = (int)min_l(MR, m - (ic + i));
                            uk->kernel(kc, apack + i * kc, bp, c + (ic + i) * ldc + j, ldc, alpha, beta_eff, mr, nr);
                        }
                    }
                }
#pragma omp barrier
            }
        }
    }
    return GS_OK;
}

void gs_gemm_store_edge(const float *t, long ldt, float *c, long rs_c, float beta, int mr, int nr)
{
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++)
            c[i * rs_c + j] = beta == 0.0f ? t[i * ldt + j] : t[i * ldt + j] + beta * c[i * rs_c + j];
}
