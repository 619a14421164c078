/* SPDX-License-Identifier: MIT
 *
 * train-private.h: what the classifier and regression training loops share — the copy of the
 * best weights, the check that a loss is still finite, and the time still to go.
 */
#pragma once

#include "train-step.h"
#include "trainer.h"

G_BEGIN_DECLS

/* A parameter set laid out like m's, holding a copy of its weights now. */
DlsParams *dls_train_best_new   (DlsModel *m, GError **error);
/* FALSE with a message (and m back at the best weights) when loss is NaN or infinite. */
gboolean   dls_train_check_loss (double loss, int epoch, int step, DlsModel *m, DlsParams *best,
                                 GError **error);
typedef enum {
  DLS_TRAIN_STEP_DONE,      /* the weights moved; *loss holds the step's loss */
  DLS_TRAIN_STEP_CANCELLED, /* the cancel flag was raised: nothing changed */
  DLS_TRAIN_STEP_FAILED,    /* error set; m is back at the best weights when the loss diverged */
} DlsTrainStepResult;

/* One optimisation step of either loop: forward, backward, the finite-loss check, Adam. */
DlsTrainStepResult dls_train_take_step (DlsTrainStep *tr, DlsOptimizer *opt, const float *x,
                                        const int32_t *labels, const float *target,
                                        const float *mask, int epoch, int step, DlsModel *m,
                                        DlsParams *best, double *loss, GError **error);
/* Seconds still to go after step `done_in_epoch` (1-based) of `epoch`, `steps` per epoch. */
double     dls_train_eta        (const DlsTrainArgs *a, int epoch, int steps, int done_in_epoch,
                                 double elapsed);

/* Closes an epoch whose validation figures are in prog: keeps a copy of the weights when the
 * validation loss improved (always when there is no validation), reports, and returns TRUE
 * when training should stop (patience exhausted, or the time budget spent). */
gboolean   dls_train_epoch_end  (const DlsTrainArgs *a, DlsTrainProgress *prog,
                                 DlsTrainResult *r, DlsModel *m, DlsParams *best,
                                 gboolean validated, int *since_best, double elapsed);

G_END_DECLS
