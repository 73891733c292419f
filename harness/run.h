/* One scenario, start to finish: its procedure (standard, layerwise, lr_search, early_stopping,
 * neuron_l2_vs_ce), its result folder results/<run>/<scenario>/ (written under a temporary name and
 * renamed when complete), and a one-line summary for run-all's table. */
#ifndef GS_RUN_H
#define GS_RUN_H

#include <stdbool.h>

#include "core/peak.h"
#include "harness/data.h"
#include "harness/scenario.h"

typedef struct {
    const char *run_dir;      /* results/<run>: must exist */
    const gs_splits_t *data;  /* loaded once for all scenarios */
    const gs_peak_t *peak;    /* measured peaks for kernels.csv's % of peak (NULL: not measured) */
    int epochs;               /* > 0 overrides the scenario's (quick recipe) epochs */
    long subset;              /* recorded in meta.json */
    bool reference;           /* --recipe reference */
    bool progress;            /* live per-epoch line */
} gs_run_opts_t;

typedef struct {
    char name[64];
    char section[8];
    double test_acc;
    double grad_ratio;        /* first-layer / output-layer mean |dW|, last epoch */
    double epoch_time_s;      /* median */
    bool diverged;
    long diverged_step;
    double kernel_share;      /* profiled kernel time / training-step time */
    char note[160];           /* what the procedure chose or did */
} gs_run_summary_t;

/* Trains the scenario and writes its results. A divergence is a result, not an error. */
gs_status_t gs_run_scenario(const gs_scenario_t *sc, const gs_run_opts_t *o, gs_run_summary_t *sum);

/* results/<stamp> (UTC time, -N if taken) under `base`, created; its path in `out`. */
gs_status_t gs_run_make_dir(const char *base, char *out, unsigned long cap);

#endif
