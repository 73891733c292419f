/* Network building blocks on the dispatched kernels: a model is a list of layers over a list of
 * batch tensors (a small DAG in topological order, so skips and auxiliary heads are just layers
 * that read an earlier tensor). Parameters, gradients, optimizer state and activations live in
 * one arena each, allocated once by gs_model_finalize: nothing is allocated inside a training step. */
#ifndef GS_NN_H
#define GS_NN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "kernels/act/act.h"
#include "kernels/bn/bn.h"
#include "kernels/conv/conv.h"
#include "kernels/optim/optim.h"
#include "kernels/pool/pool.h"

#define GS_NN_MAX_TENSORS 96
#define GS_NN_MAX_LAYERS 96
#define GS_NN_MAX_LOSSES 8

typedef enum {
    GS_L_LINEAR = 0, /* y = x W^T + b, W: out x in (PyTorch's layout) */
    GS_L_CONV,       /* NCHW convolution + bias */
    GS_L_POOL,       /* max pooling */
    GS_L_ACT,        /* element-wise activation */
    GS_L_BATCHNORM,  /* gamma, beta learned; running stats for evaluation */
    GS_L_CUSTOMNORM, /* (x - mean) / std over the whole batch tensor, unbiased std, no parameters */
    GS_L_GRADNORM,   /* identity forward; backward g <- (g - mean g) / (std g + 1e-6) */
    GS_L_ADD,        /* y = x + x2 (identity skip) */
} gs_layer_kind_t;

typedef enum { GS_INIT_W_NORMAL = 0, GS_INIT_W_LECUN, GS_INIT_W_XAVIER, GS_INIT_W_HE } gs_init_t;

/* One activation of the whole batch: batch x c x h x w floats (MLP: h = w = 1). */
typedef struct {
    int c, h, w;
    long per_sample;
    float *val, *grad;
    bool needs_grad;   /* some trainable parameter lies upstream: backward must produce grad */
    bool grad_written; /* during backward: a consumer has already written grad this step */
} gs_nn_tensor_t;

typedef struct {
    gs_layer_kind_t kind;
    char name[24]; /* "fc1", "act1", "head", "aux2_fc"...: gradient-flow rows use it */
    int in, in2, out; /* tensor indices (in2: GS_L_ADD only) */
    int block;        /* hidden block (1-based) the layer belongs to; 0 for heads */
    bool frozen;      /* no weight-gradient kernel and no update */
    /* Parameters (views into the arenas): W and b, or gamma and beta for BatchNorm. */
    long nw, nb;
    float *w, *b, *dw, *db, *state_w, *state_b;
    long fan_in, fan_out;
    /* Per kind. */
    gs_act_t act;
    gs_conv_shape_t conv;
    gs_pool_shape_t pool;
    void *pool_ws;
    gs_bn_shape_t bn;
    float bn_momentum;
    float *bn_mean, *bn_var, *bn_rmean, *bn_rvar;
    float norm_eps;
    double norm_mean, norm_std; /* CustomNorm: statistics of the last training forward */
} gs_layer_t;

typedef struct {
    int logits; /* tensor */
    float weight;
    float value;  /* mean loss of the last forward */
    long correct; /* argmax hits of the last forward */
} gs_loss_t;

typedef enum { GS_NN_LOSS_CE = 0, GS_NN_LOSS_MSE } gs_nn_loss_t;

/* A trainable layer's parameters as one contiguous stretch of the parameter arena (weights, their
 * zero padding, biases): the same offset addresses their gradients, and `per * offset` their
 * optimizer state (`per` state floats per parameter). An element-wise optimizer updates a run in one
 * call. */
typedef struct {
    long offset, n;
} gs_param_run_t;

typedef struct {
    long batch;      /* the largest batch the arenas hold */
    long last_batch; /* the batch of the last forward */
    int ntensors, nlayers, nlosses;
    gs_nn_tensor_t t[GS_NN_MAX_TENSORS];
    gs_layer_t l[GS_NN_MAX_LAYERS];
    gs_loss_t loss[GS_NN_MAX_LOSSES];
    gs_nn_loss_t loss_kind;
    int classes;
    gs_opt_kind_t opt_kind;
    /* Arenas (gs_model_finalize). */
    float *params, *grads, *opt_state, *acts, *scratch;
    long nparams, nacts, nscratch;
    uint8_t *pool_ws;
    long npool_ws;
    int32_t *labels; /* the batch's labels (batch ints) */
    gs_param_run_t runs[GS_NN_MAX_LAYERS]; /* trainable layers' parameters (gs_model_update_needs_grad) */
    int nruns;
} gs_model_t;

/* Starts a model for `batch` samples of c x h x w inputs; the input is tensor 0. */
void gs_model_begin(gs_model_t *m, long batch, int c, int h, int w, int classes, gs_nn_loss_t loss);

/* Each adds a layer reading tensor `in` and returns its output tensor (< 0 after an error, which
 * gs_model_finalize then reports). `block` tags the hidden block for gradient flow (0: head). */
int gs_model_linear(gs_model_t *m, int in, int out_features, const char *name, int block);
int gs_model_conv(gs_model_t *m, int in, int out_channels, int kernel, const char *name, int block);
int gs_model_pool(gs_model_t *m, int in, int kernel, const char *name, int block);
int gs_model_act(gs_model_t *m, int in, gs_act_t act, const char *name, int block);
int gs_model_batchnorm(gs_model_t *m, int in, float momentum, float eps, const char *name, int block);
int gs_model_customnorm(gs_model_t *m, int in, float eps, const char *name, int block);
int gs_model_gradnorm(gs_model_t *m, int in, const char *name, int block);
int gs_model_add(gs_model_t *m, int in, int in2, const char *name, int block);

/* Declares tensor `logits` (classes wide) an output trained with the model's loss, weighted. */
gs_status_t gs_model_loss(gs_model_t *m, int logits, float weight);

/* Allocates the arenas for an optimizer of `opt` kind and wires every view. */
gs_status_t gs_model_finalize(gs_model_t *m, gs_opt_kind_t opt);

void gs_model_free(gs_model_t *m);

/* Weights ~ the init rule (Normal(0, std) for GS_INIT_W_NORMAL), biases 0, BN gamma 1 beta 0,
 * running stats 0 / 1, optimizer state 0. Layer i draws from RNG stream i of `seed`. */
void gs_model_init(gs_model_t *m, gs_init_t init, float std, uint64_t seed);

/* Marks which tensors need gradients after (un)freezing layers (a tensor needs one when a trainable
 * parameter lies upstream of it) and recomputes the trainable runs. Call after changing `frozen`. */
void gs_model_update_needs_grad(gs_model_t *m);

/* Forward over the batch x with labels y; fills every loss's value and correct count. training: BN
 * uses batch statistics (and updates running ones). x and y are copied into the input tensor and the
 * label buffer unless they are those (m->t[0].val, m->labels: a loader can gather straight there). */
gs_status_t gs_model_forward(gs_model_t *m, const float *x, const int32_t *y, long batch, bool training);

/* Backward of the last training forward: every trainable layer's dW/db. */
gs_status_t gs_model_backward(gs_model_t *m);

/* Total weighted loss of the last forward. */
double gs_model_total_loss(const gs_model_t *m);

/* Copies the parameters (and BN running stats) of every layer of `src` whose name and sizes match
 * a layer of `dst`, except the layer named `except` (NULL: none). Returns how many layers. */
int gs_model_copy_params(gs_model_t *dst, const gs_model_t *src, const char *except);

#endif
