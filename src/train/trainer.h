/* SPDX-License-Identifier: MIT
 *
 * trainer.h: training a segmentation model on a dataset of sparsely labelled patches — Adam,
 * cross-entropy over labelled pixels only, validation on held-out labelled pixels after every
 * epoch in eval mode, the best-validation weights kept, early stopping, a time budget, progress
 * reports and a cancel flag that stops within one step.
 */
#pragma once

#include "dataset.h"

G_BEGIN_DECLS

typedef struct {
  int      member, n_members;   /* which ensemble member (0-based) of how many */
  int      epoch, n_epochs;     /* epoch is 0-based; n_epochs 0 under a time budget alone */
  int      step, n_steps;       /* steps done in this epoch, of how many */
  double   loss;                /* mean training loss of this epoch so far */
  double   val_loss;            /* of the last finished epoch (NaN before) */
  double   f1_micro, f1_macro;  /* on validation pixels, last finished epoch (NaN before) */
  double   cc;                  /* regression: Pearson CC on validation pixels (NaN before) */
  double   elapsed, eta;        /* seconds for this member; eta < 0 when unknown */
  gboolean epoch_done;          /* this report closes an epoch */
  gboolean improved;            /* … and its validation was the best so far */
} DlsTrainProgress;

typedef void (*DlsTrainProgressFn) (const DlsTrainProgress *p, void *user_data);

typedef struct {
  int                 epochs;          /* 0 with a time budget: until it runs out */
  double              time_budget;     /* seconds, 0: none */
  int                 batch;           /* 4 when 0 */
  double              lr;              /* 1e-3 when 0 */
  const float        *class_weights;   /* K, or NULL */
  int                 patience;        /* stop after this many epochs without improvement; 0: off */
  uint64_t            seed;
  int                 max_val_patches; /* 0: every patch */
  const volatile int *cancel;
  DlsTrainProgressFn  progress;
  void               *user_data;
  int                 member, n_members;
  gboolean            graph_only;      /* never the fused MSDNet step (tests compare the two) */
} DlsTrainArgs;

typedef struct {
  int      epochs_run, best_epoch;     /* best_epoch −1: never validated */
  double   best_val_loss;
  double   best_f1_micro, best_f1_macro;
  double   best_cc;                    /* regression */
  gboolean cancelled, stopped_early;
  double   seconds;
} DlsTrainResult;

/* Trains m in place; on return m holds the best-validation weights (the last ones when there
 * are no validation pixels).  FALSE with an error for bad arguments or a loss that became NaN
 * or infinite (m then holds the best weights seen before).  Cancelling is not an error:
 * result->cancelled says so. */
gboolean dls_train_classifier (DlsModel *m, DlsDataset *ds, const DlsTrainArgs *args,
                               DlsTrainResult *result, GError **error);

/* ---------------------------------------------------------------------------------------------
 * Regression: inpainting (the loss counts only where mask is set, e.g. detector gaps) and
 * autoencoders (target = input, whole slices).  Validation holds out pixels of the mask (with
 * patches) or whole slices (patch 0); its metric is the Pearson CC of output and target there.
 */
typedef struct {
  const DlsVolume *input;        /* Z × C × Y × X, normalised */
  const DlsVolume *target;       /* Z × out_channels × Y × X */
  const uint8_t   *mask;         /* Z × Y × X: where the loss counts; NULL: everywhere */
  int              patch;        /* side; 0: whole slices (autoencoders) */
  double           val_fraction; /* 0.2 when 0; negative: none */
  uint64_t         seed;
} DlsRegressionData;

typedef enum {
  DLS_REGRESSION_MSE,
  DLS_REGRESSION_L1,
} DlsRegressionLoss;

gboolean dls_train_regressor (DlsModel *m, const DlsRegressionData *data, DlsRegressionLoss loss,
                              const DlsTrainArgs *args, DlsTrainResult *result, GError **error);

G_END_DECLS
