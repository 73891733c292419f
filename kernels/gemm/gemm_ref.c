/* Scalar GEMM oracle: the textbook triple loop with a double accumulator, no blocking, no SIMD. */
#include "kernels/gemm/gemm.h"

gs_status_t gs_gemm_ref(bool transa, bool transb, long m, long n, long k, float alpha, const float *a,
                        long lda, const float *b, long ldb, float beta, float *c, long ldc)
{
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            double sum = 0.0;
            for (long p = 0; p < k; p++) {
                float aip = transa ? a[p * lda + i] : a[i * lda + p];
                float bpj = transb ? b[j * ldb + p] : b[p * ldb + j];
                sum += (double)aip * (double)bpj;
            }
            float *cij = &c[i * ldc + j];
            *cij = beta == 0.0f ? alpha * (float)sum : alpha * (float)sum + beta * *cij;
        }
    }
    return GS_OK;
}
