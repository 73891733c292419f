/* Scalar activation oracle: each value computed in double from the forward input x and rounded
 * once to float, so it is within half an ulp of the exact function (libm's double error aside). */
#include <math.h>

#include "kernels/act/act.h"

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* f(x). relu and ELU keep NaN (x > 0 is false for NaN, so it is tested first). */
static double fwd_one(gs_act_t a, double x)
{
    if (isnan(x))
        return x;
    switch (a.kind) {
    case GS_ACT_SIGMOID:
    case GS_ACT_SIGMOID_MODDERIV:
        return sigmoid(x);
    case GS_ACT_TANH:
        return tanh(x);
    case GS_ACT_RELU:
        return x > 0.0 ? x : 0.0;
    case GS_ACT_LEAKY_RELU:
        return x > 0.0 ? x : (double)a.alpha * x;
    case GS_ACT_ELU:
        return x > 0.0 ? x : (double)a.alpha * expm1(x);
    case GS_ACT_SIGMOID_LINEAR:
        return sigmoid(x) + (double)a.alpha * x;
    default:
        return x;
    }
}

/* f'(x), including the modified derivative sigmoid'(x) + alpha of sigmoid_modderiv. */
static double deriv_one(gs_act_t a, double x)
{
    switch (a.kind) {
    case GS_ACT_SIGMOID:
        return sigmoid(x) * (1.0 - sigmoid(x));
    case GS_ACT_SIGMOID_MODDERIV:
    case GS_ACT_SIGMOID_LINEAR:
        return sigmoid(x) * (1.0 - sigmoid(x)) + (double)a.alpha;
    case GS_ACT_TANH:
        return 1.0 - tanh(x) * tanh(x);
    case GS_ACT_RELU:
        return x > 0.0 ? 1.0 : 0.0;
    case GS_ACT_LEAKY_RELU:
        return x > 0.0 ? 1.0 : (double)a.alpha;
    case GS_ACT_ELU:
        return x > 0.0 ? 1.0 : (double)a.alpha * exp(x);
    default:
        return 1.0;
    }
}

gs_status_t gs_act_fwd_ref(gs_act_t act, long n, const float *x, float *y)
{
    for (long i = 0; i < n; i++)
        y[i] = (float)fwd_one(act, (double)x[i]);
    return GS_OK;
}

/* Reads x (the exact derivative), never y: the oracle does not inherit the forward's rounding. */
gs_status_t gs_act_bwd_ref(gs_act_t act, long n, const float *x, const float *y, const float *dy, float *dx)
{
    (void)y;
    for (long i = 0; i < n; i++)
        dx[i] = (float)((double)dy[i] * deriv_one(act, (double)x[i]));
    return GS_OK;
}
