/* Scenarios as config files (plain `key = value` text, one file per catalog name of SCENARIOS.md):
 * the recipe, model, optimizer and procedure of one training run. */
#ifndef GS_SCENARIO_H
#define GS_SCENARIO_H

#include <stdbool.h>

#include "core/status.h"
#include "kernels/act/act.h"
#include "kernels/optim/optim.h"

#define GS_SCENARIO_MAX_LAYERS 32
#define GS_SCENARIO_MAX_LIST 8

typedef enum { GS_MODEL_MLP = 0, GS_MODEL_LENET, GS_MODEL_NEURON } gs_model_kind_t;
typedef enum { GS_INIT_NORMAL = 0, GS_INIT_LECUN, GS_INIT_XAVIER, GS_INIT_HE } gs_init_kind_t;
typedef enum { GS_NORM_NONE = 0, GS_NORM_BATCH, GS_NORM_CUSTOM } gs_norm_kind_t;
typedef enum { GS_LOSS_CE = 0, GS_LOSS_MSE } gs_loss_kind_t;
typedef enum {
    GS_PROC_STANDARD = 0,
    GS_PROC_LAYERWISE,
    GS_PROC_LR_SEARCH,
    GS_PROC_EARLY_STOPPING,
    GS_PROC_NEURON_L2_VS_CE
} gs_procedure_t;

typedef struct {
    char name[64];
    char description[256];
    char section[8]; /* A..E of SCENARIOS.md */

    gs_model_kind_t model;
    int hidden_layers, hidden_units;
    gs_act_t activation;
    gs_init_kind_t init;
    float init_std; /* the std of init = normal */
    gs_norm_kind_t norm;
    float bn_momentum, bn_eps, custom_norm_eps;
    bool grad_norm; /* a GradientNorm layer after every hidden activation */
    int skip_from[GS_SCENARIO_MAX_LIST], skip_to[GS_SCENARIO_MAX_LIST], nskips; /* h_to += h_from (after activations) */
    int aux_after[GS_SCENARIO_MAX_LIST], naux; /* auxiliary softmax heads after these hidden layers */
    float aux_weight;
    int lenet_conv1, lenet_conv2, lenet_fc;
    bool lenet_side_head; /* lenet_dsn: fc 10 head on the first pooling output */

    gs_loss_kind_t loss;
    gs_opt_t opt;
    float clip_norm;                    /* global gradient-norm clipping; 0 = off */
    float grad_noise_eta, grad_noise_gamma; /* noise variance eta / (1 + t)^gamma; eta 0 = off */

    int batch, epochs, reference_batch, reference_epochs;
    long seed;
    int log_every; /* gradient-flow rows every this many steps (and at every epoch end) */

    gs_procedure_t procedure;
    int layer_groups[GS_SCENARIO_MAX_LIST], ngroups; /* layerwise: hidden layers per sub-model */
    float lr_candidates[GS_SCENARIO_MAX_LIST];
    int nlr, search_epochs;
    int max_epochs, patience;
    float neuron_x, neuron_y, neuron_w, neuron_b;
    int neuron_steps;
} gs_scenario_t;

/* The shared recipe of SCENARIOS.md (what a config file changes). */
void gs_scenario_defaults(gs_scenario_t *s);

/* Parses one config file over the defaults. Unknown keys, bad values and inconsistent settings are
 * GS_EFORMAT with "FILE:LINE: key 'K': what is wrong"; an unreadable file is GS_EIO. */
gs_status_t gs_scenario_load(const char *path, gs_scenario_t *s);

/* Every *.conf of `dir`, sorted by name; *list is malloc'd (caller frees). */
gs_status_t gs_scenario_load_dir(const char *dir, gs_scenario_t **list, int *count);

/* The folder of the catalog's config files (GS_SOURCE_DIR/harness/scenarios unless
 * $GRADSCOPE_SCENARIOS says otherwise). */
const char *gs_scenario_dir(void);

/* Finds NAME.conf in the catalog folder. */
gs_status_t gs_scenario_find(const char *name, gs_scenario_t *s);

/* The study's original schedule (--recipe reference): batch 512, 300 epochs. */
void gs_scenario_use_reference_recipe(gs_scenario_t *s);

const char *gs_procedure_name(gs_procedure_t p);

/* Every key of the scenario with its value, as a JSON object (meta.json's "config"). */
struct cJSON *gs_scenario_json(const gs_scenario_t *s);

#endif
