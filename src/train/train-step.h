/* SPDX-License-Identifier: MIT
 *
 * train-step.h: one optimisation step's forward and backward (the optimizer step is the
 * caller's), as the trainers and the benchmark run it.  A model and its loss form one graph,
 * except for an MSDNet without dropout, which runs the engine's fused training path
 * (dls_msd_train_forward/backward, memory linear in depth) with the loss as a small graph on
 * its output.  Both give the same gradients in the model's gradient buffers.
 */
#pragma once

#include "models.h"

G_BEGIN_DECLS

typedef enum {
  DLS_STEP_CROSS_ENTROPY, /* labels (N, H, W), −1 ignored, optional class weights */
  DLS_STEP_MSE_MASKED,    /* target and mask (N, out_channels, H, W) */
  DLS_STEP_L1_MASKED,
} DlsStepLoss;

typedef struct _DlsTrainStep DlsTrainStep;

/* fused FALSE: always the graph (tests compare the two) */
DlsTrainStep *dls_train_step_new      (DlsModel *m, int n, int h, int w, DlsStepLoss loss,
                                       const float *class_weights, gboolean fused,
                                       GError **error);
void          dls_train_step_free     (DlsTrainStep *s);
gboolean      dls_train_step_is_fused (DlsTrainStep *s);
void          dls_train_step_set_seed (DlsTrainStep *s, uint64_t seed); /* dropout stream */
void          dls_train_step_set_cancel_flag (DlsTrainStep *s, const volatile int *flag);
/* Zeroes the gradients, runs forward and backward, and returns the loss in *loss.  x is
 * (n, in_channels, h, w); labels for cross-entropy, target and mask for the masked losses.
 * FALSE with DLS_ERROR_CANCELLED when the cancel flag was raised. */
gboolean      dls_train_step_run      (DlsTrainStep *s, const float *x, const int32_t *labels,
                                       const float *target, const float *mask, double *loss,
                                       GError **error);
/* The model's output of the last run (n, out_channels, h, w). */
const float  *dls_train_step_output   (DlsTrainStep *s);
/* Bytes of activations, gradients and scratch the step holds. */
size_t        dls_train_step_bytes    (DlsTrainStep *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsTrainStep, dls_train_step_free)

G_END_DECLS
