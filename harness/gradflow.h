/* Gradient-flow probe: per weight layer, the size of its gradient and weights, and the statistics
 * of the activation its block produces (saturated sigmoids, dead ReLUs), read after backward. */
#ifndef GS_GRADFLOW_H
#define GS_GRADFLOW_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/nn.h"

typedef struct {
    char layer[24];
    int block;           /* hidden block (1-based), 0 for output and auxiliary heads */
    double mean_abs_dw;  /* mean |dW| */
    double norm_dw;      /* ||dW||_2 */
    double norm_w;       /* ||W||_2 */
    double update_ratio; /* ||lr * dW|| / ||W|| */
    double act_mean, act_std;
    double saturated;    /* sigmoid family: fraction of outputs < 0.01 or > 0.99; tanh: |y| > 0.99 */
    double dead;         /* ReLU: fraction of units that are 0 for every sample of the batch */
    bool nonfinite;      /* NaN or Inf in dW or W */
} gs_gradflow_t;

/* Fills one row per trainable-or-frozen weight layer (linear, conv) in layer order; returns the
 * count (at most GS_NN_MAX_LAYERS). */
int gs_gradflow_probe(const gs_model_t *m, float lr, gs_gradflow_t *rows);

/* Adds `b` into the running sums `a` (for per-epoch means); `count` rows. */
void gs_gradflow_accumulate(gs_gradflow_t *a, const gs_gradflow_t *b, int count);

/* Divides running sums by `n` samples. */
void gs_gradflow_scale(gs_gradflow_t *a, int count, double n);

/* The gradflow.csv header and rows; `kind` is "step" or "epoch". */
void gs_gradflow_write_header(FILE *f);
void gs_gradflow_write(FILE *f, const char *kind, int epoch, long step, const gs_gradflow_t *rows, int count);

/* mean|dW| of the first weight layer (block 1) over that of the output layer ("head"): the
 * vanishing ratio, far below 1 when early layers learn slower. NaN when either is missing. */
double gs_gradflow_first_last_ratio(const gs_gradflow_t *rows, int count);

#endif
