/* OpenBLAS and BLIS as GEMM benchmark peers, loaded at run time: both export cblas_sgemm, so neither is linked. */
#ifndef GS_BENCH_PEERS_H
#define GS_BENCH_PEERS_H

#include <stdbool.h>

#include "core/status.h"
#include "kernels/gemm/gemm.h"

typedef enum { GS_PEER_OPENBLAS = 0, GS_PEER_BLIS, GS_PEER_COUNT } gs_peer_id_t;

typedef struct {
    const char *name;   /* "openblas", "blis": the implementation name in benchmark names */
    const char *soname; /* what is passed to dlopen */
    bool loaded;
    gs_gemm_fn *gemm;   /* cblas_sgemm behind the gs_gemm_fn signature; valid once loaded */
    char info[192];     /* version/configuration once loaded; why not, when the load failed */
} gs_peer_t;

/* Loads one peer (once; later calls return the first answer). GS_EUNSUPPORTED with the dlopen or
 * dlsym message when the library or one of its symbols is missing: the caller skips that peer.
 * Load before gs_threads_init() binds the main thread: OpenBLAS starts its worker threads at load
 * time and they inherit the affinity of the thread that loads it. */
gs_status_t gs_peer_load(gs_peer_id_t id);

/* The peer's descriptor (loaded or not). */
const gs_peer_t *gs_peer_get(gs_peer_id_t id);

/* Sets the thread count the peer's own threading uses (it ignores omp_set_num_threads). No-op for
 * a peer that is not loaded. */
void gs_peer_set_threads(gs_peer_id_t id, int n);

#endif
