/* Builds the model a scenario describes (MLP with its norms, skips and auxiliary heads, or LeNet). */
#ifndef GS_MODEL_BUILD_H
#define GS_MODEL_BUILD_H

#include "harness/nn.h"
#include "harness/scenario.h"

/* Builds, allocates and initializes the scenario's model for `batch` samples, with hidden layers
 * 1..`depth` (depth < hidden_layers for the layerwise stages; 0 means all). Hidden layer i's
 * affine layer is named "fc<i>" (MLP) or "conv1", "conv2", "fc3" (LeNet); the output layer "head". */
gs_status_t gs_model_build(const gs_scenario_t *sc, long batch, int depth, gs_model_t *m);

/* Index of the activation layer of hidden block `block` (its output is the block's activation),
 * or -1. */
int gs_model_block_act(const gs_model_t *m, int block);

#endif
