/* The training loop: epochs of shuffled mini-batches through forward, backward, gradient-flow probe,
 * clipping / noise and the optimizer; evaluation; divergence detection. Procedures (layerwise,
 * lr_search, early stopping) are built from these pieces in procedures.c. */
#ifndef GS_TRAIN_H
#define GS_TRAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "harness/data.h"
#include "harness/gradflow.h"
#include "harness/nn.h"
#include "harness/scenario.h"

/* Where a run's rows go and how it shows progress. */
typedef struct {
    FILE *epochs;   /* epochs.csv rows (header written by the caller); NULL: not kept */
    FILE *gradflow; /* gradflow.csv rows; NULL: not kept */
    bool progress;  /* a live one-line display per epoch (on a terminal) */
    const char *label; /* scenario (and stage or trial) for the display and the rows */
} gs_train_io_t;

/* What a run (or a stage of one) ended with. */
typedef struct {
    int epochs_run;
    long steps;
    double train_loss, train_acc, val_loss, val_acc, test_loss, test_acc;
    double best_val_acc;
    int best_epoch;
    double grad_ratio;    /* first-layer / output-layer mean |dW| over the last epoch */
    bool diverged;        /* the loss or a gradient became NaN/Inf */
    long diverged_step;   /* global step at which it did (1-based) */
    int diverged_epoch;
    double train_time_s;  /* wall time inside training steps (forward, backward, probe, update) */
    double probe_time_s;  /* of which the gradient-flow probe ("logging") */
    double data_time_s;   /* batch gathering, outside the steps */
    double epoch_time_s;  /* median epoch time */
} gs_train_result_t;

/* Per-epoch hook (early stopping): return false to stop after this epoch. */
typedef bool gs_epoch_hook_fn(void *user, int epoch, const gs_train_result_t *so_far, gs_model_t *m);

typedef struct {
    int epochs;
    int first_epoch;      /* numbering of rows (stages continue where the last stopped) */
    long first_step;      /* global step counter at start */
    gs_epoch_hook_fn *hook;
    void *hook_user;
} gs_train_plan_t;

/* Mean loss (of the output head) and accuracy over a dataset, evaluation mode. */
gs_status_t gs_evaluate(gs_model_t *m, const gs_dataset_t *d, double *loss, double *acc);

/* Trains `plan->epochs` epochs; fills *res (test fields untouched). A divergence stops the run and
 * is reported in *res, not as an error. */
gs_status_t gs_train_epochs(gs_model_t *m, const gs_scenario_t *sc, const gs_splits_t *data,
                            const gs_train_plan_t *plan, gs_train_io_t *io, gs_train_result_t *res);

/* epochs.csv header. */
void gs_train_write_epochs_header(FILE *f);

#endif
