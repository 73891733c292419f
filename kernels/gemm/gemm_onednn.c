/* oneDNN reference GEMM: dnnl_sgemm (row-major, its own JIT kernels and OpenMP threading). */
#include <oneapi/dnnl/dnnl.h>

#include "kernels/gemm/gemm.h"

gs_status_t gs_gemm_onednn(bool transa, bool transb, long m, long n, long k, float alpha, const float *a,
                           long lda, const float *b, long ldb, float beta, float *c, long ldc)
{
    dnnl_status_t st = dnnl_sgemm(transa ? 'T' : 'N', transb ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb,
                                  beta, c, ldc);
    if (st != dnnl_success)
        return gs_error(GS_EBACKEND, "dnnl_sgemm(m=%ld n=%ld k=%ld) failed with status %d", m, n, k, (int)st);
    return GS_OK;
}
