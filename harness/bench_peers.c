/* dlopen of the BLAS peers (RTLD_LOCAL keeps their two cblas_sgemm apart), wrapped as gs_gemm_fn. */
#include "harness/bench_peers.h"

#include "core/cpu.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

/* The CBLAS enum values are fixed by the CBLAS standard; no cblas.h is included because each
 * library ships its own and neither is linked. */
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

typedef void cblas_sgemm_fn(int order, int transa, int transb, int m, int n, int k, float alpha,
                            const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
typedef void openblas_threads_fn(int n);
typedef void blis_threads_fn(int64_t n); /* BLIS's dim_t is 64-bit */
typedef const char *version_fn(void);

static gs_gemm_fn peer_gemm_openblas, peer_gemm_blis;

typedef struct {
    gs_peer_t pub;
    bool tried;
    gs_status_t status;
    cblas_sgemm_fn *sgemm;
    void *set_threads; /* openblas_threads_fn or blis_threads_fn, by peer */
} peer_slot_t;

static peer_slot_t slots[GS_PEER_COUNT] = {
    [GS_PEER_OPENBLAS] = {.pub = {.name = "openblas", .soname = "libopenblas.so.0", .gemm = peer_gemm_openblas}},
    [GS_PEER_BLIS] = {.pub = {.name = "blis", .soname = "libblis.so.4", .gemm = peer_gemm_blis}},
};

static const char *const thread_setters[GS_PEER_COUNT] = {
    [GS_PEER_OPENBLAS] = "openblas_set_num_threads",
    [GS_PEER_BLIS] = "bli_thread_set_num_threads",
};

/* The 32-bit CBLAS interface cannot take sizes above INT_MAX; refusing them beats truncating. */
static gs_status_t call_cblas(const peer_slot_t *p, bool transa, bool transb, long m, long n, long k,
                              float alpha, const float *a, long lda, const float *b, long ldb, float beta,
                              float *c, long ldc)
{
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX)
        return gs_error(GS_EINVAL, "%s: cblas_sgemm takes 32-bit sizes (m=%ld n=%ld k=%ld)", p->pub.name,
                        m, n, k);
    p->sgemm(CBLAS_ROW_MAJOR, transa ? CBLAS_TRANS : CBLAS_NO_TRANS, transb ? CBLAS_TRANS : CBLAS_NO_TRANS,
             (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
    return GS_OK;
}

static gs_status_t peer_gemm_openblas(bool transa, bool transb, long m, long n, long k, float alpha,
                                      const float *a, long lda, const float *b, long ldb, float beta,
                                      float *c, long ldc)
{
    return call_cblas(&slots[GS_PEER_OPENBLAS], transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static gs_status_t peer_gemm_blis(bool transa, bool transb, long m, long n, long k, float alpha,
                                  const float *a, long lda, const float *b, long ldb, float beta, float *c,
                                  long ldc)
{
    return call_cblas(&slots[GS_PEER_BLIS], transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* The library's own description of itself, so a result file says which build was measured. */
static void describe(peer_slot_t *p, void *h, gs_peer_id_t id)
{
    if (id == GS_PEER_OPENBLAS) {
        version_fn *config = (version_fn *)dlsym(h, "openblas_get_config");
        version_fn *core = (version_fn *)dlsym(h, "openblas_get_corename");
        snprintf(p->pub.info, sizeof p->pub.info, "%s, core %s", config ? config() : "version unknown",
                 core ? core() : "unknown");
        return;
    }
    version_fn *version = (version_fn *)dlsym(h, "bli_info_get_version_str");
    int (*arch_id)(void) = (int (*)(void))dlsym(h, "bli_arch_query_id");
    const char *(*arch_name)(int) = (const char *(*)(int))dlsym(h, "bli_arch_string");
    snprintf(p->pub.info, sizeof p->pub.info, "BLIS %s, arch %s", version ? version() : "version unknown",
             arch_id && arch_name ? arch_name(arch_id()) : "unknown");
}

static gs_status_t load_slot(peer_slot_t *p, gs_peer_id_t id)
{
    /* OpenBLAS 0.3.21 does not know Zen 4/5 and falls back to its AVX2 Haswell kernels on them; a
     * fair peer runs its AVX-512 kernels wherever the CPU has AVX-512 (the user's own setting wins,
     * and the report's context block records what OpenBLAS ended up using). */
    if (id == GS_PEER_OPENBLAS && gs_isa_supported(GS_ISA_AVX512))
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
    void *h = dlopen(p->pub.soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(p->pub.info, sizeof p->pub.info, "%s", dlerror());
        return gs_error(GS_EUNSUPPORTED, "%s", p->pub.info);
    }
    p->sgemm = (cblas_sgemm_fn *)dlsym(h, "cblas_sgemm");
    p->set_threads = dlsym(h, thread_setters[id]);
    if (!p->sgemm || !p->set_threads) {
        snprintf(p->pub.info, sizeof p->pub.info, "%s has no %s", p->pub.soname,
                 !p->sgemm ? "cblas_sgemm" : thread_setters[id]);
        dlclose(h);
        return gs_error(GS_EUNSUPPORTED, "%s", p->pub.info);
    }
    describe(p, h, id);
    p->pub.loaded = true;
    return GS_OK;
}

gs_status_t gs_peer_load(gs_peer_id_t id)
{
    if ((unsigned)id >= GS_PEER_COUNT)
        return gs_error(GS_EINVAL, "peer id %d out of range", (int)id);
    peer_slot_t *p = &slots[id];
    if (!p->tried) {
        p->tried = true;
        p->status = load_slot(p, id);
    } else if (p->status != GS_OK) {
        gs_error(p->status, "%s", p->pub.info);
    }
    return p->status;
}

const gs_peer_t *gs_peer_get(gs_peer_id_t id)
{
    return (unsigned)id < GS_PEER_COUNT ? &slots[id].pub : NULL;
}

void gs_peer_set_threads(gs_peer_id_t id, int n)
{
    if ((unsigned)id >= GS_PEER_COUNT || !slots[id].pub.loaded)
        return;
    if (id == GS_PEER_OPENBLAS)
        ((openblas_threads_fn *)slots[id].set_threads)(n);
    else
        ((blis_threads_fn *)slots[id].set_threads)(n);
}
