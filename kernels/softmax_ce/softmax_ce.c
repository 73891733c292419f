/* Softmax cross-entropy / MSE public entries: argument checks, dispatch and profiling. */
#include "kernels/softmax_ce/softmax_ce.h"

#include <stdio.h>

#include "core/clock.h"
#include "core/dispatch.h"
#include "core/profiler.h"

double gs_softmax_ce_bytes(long n, long classes, int with_grad)
{
    return (double)n * (4.0 * (double)classes * (with_grad ? 2.0 : 1.0) + 4.0);
}

static gs_status_t check(const char *fn, long n, long classes, const float *logits, const int32_t *labels,
                         const float *loss, const long *correct, const float *dlogits)
{
    if (n <= 0)
        return gs_error(GS_EINVAL, "%s: n = %ld rows, expected > 0", fn, n);
    if (classes <= 0)
        return gs_error(GS_EINVAL, "%s: classes = %ld, expected > 0", fn, classes);
    const char *null = !logits ? "logits" : !labels ? "labels" : !loss ? "loss" : !correct ? "correct" : NULL;
    if (null)
        return gs_error(GS_EINVAL, "%s: %s is NULL", fn, null);
    for (long i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= classes)
            return gs_error(GS_EINVAL, "%s: labels[%ld] = %d outside [0, %ld) (row %ld)", fn, i, (int)labels[i],
                            classes, i);
    const char *lo = (const char *)logits, *dlo = (const char *)dlogits;
    const size_t bytes = (size_t)n * (size_t)classes * sizeof(float);
    if (dlogits && dlo < lo + bytes && lo < dlo + bytes)
        return gs_error(GS_EINVAL, "%s: dlogits overlaps logits", fn);
    return GS_OK;
}

gs_status_t gs_softmax_ce_with(gs_softmax_ce_fn *fn, long n, long classes, const float *logits,
                               const int32_t *labels, float *loss, long *correct, float *dlogits)
{
    gs_status_t st = check("softmax_ce", n, classes, logits, labels, loss, correct, dlogits);
    if (st != GS_OK)
        return st;
    if (!fn)
        return gs_error(GS_EUNSUPPORTED, "softmax_ce: no implementation for this ISA on this CPU");
    return fn(n, classes, logits, labels, loss, correct, dlogits);
}

gs_status_t gs_softmax_mse_with(gs_softmax_mse_fn *fn, long n, long classes, const float *logits,
                                const int32_t *labels, float *loss, long *correct, float *dlogits)
{
    gs_status_t st = check("softmax_mse", n, classes, logits, labels, loss, correct, dlogits);
    if (st != GS_OK)
        return st;
    if (!fn)
        return gs_error(GS_EUNSUPPORTED, "softmax_mse: no implementation for this ISA on this CPU");
    return fn(n, classes, logits, labels, loss, correct, dlogits);
}

static void record(const char *kernel, long n, long classes, const float *dlogits, uint64_t ns)
{
    char shape[96];
    snprintf(shape, sizeof shape, "mb%ldc%ld%s", n, classes, dlogits ? "" : "nograd");
    gs_prof_record(kernel, gs_kern.impl_name, gs_kern.isa_name, shape, ns, 0.0,
                   gs_softmax_ce_bytes(n, classes, dlogits != NULL));
}

gs_status_t gs_softmax_ce(long n, long classes, const float *logits, const int32_t *labels, float *loss, long *correct,
                          float *dlogits)
{
    if (!gs_prof_active())
        return gs_softmax_ce_with(gs_kern.softmax_ce, n, classes, logits, labels, loss, correct, dlogits);
    const uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_softmax_ce_with(gs_kern.softmax_ce, n, classes, logits, labels, loss, correct, dlogits);
    record("softmax_ce", n, classes, dlogits, gs_now_ns() - t0);
    return st;
}

gs_status_t gs_softmax_mse(long n, long classes, const float *logits, const int32_t *labels, float *loss,
                           long *correct, float *dlogits)
{
    if (!gs_prof_active())
        return gs_softmax_mse_with(gs_kern.softmax_mse, n, classes, logits, labels, loss, correct, dlogits);
    const uint64_t t0 = gs_now_ns();
    gs_status_t st = gs_softmax_mse_with(gs_kern.softmax_mse, n, classes, logits, labels, loss, correct, dlogits);
    record("softmax_mse", n, classes, dlogits, gs_now_ns() - t0);
    return st;
}
