/* SPDX-License-Identifier: MIT
 *
 * train-job.h: one run of the app's Train button on a worker thread — train an ensemble on a
 * snapshot of the labels (dls_train_segmentation, the code `dlsia train` runs), then predict
 * the volume slice by slice, the slice the user looks at first.  The main thread polls the
 * status (about 10 times a second) and is told on the main context when a slice or the whole
 * job is done.  GLib only: no widget is touched from the worker.
 */
#pragma once

#include "document.h"
#include "segment.h"

G_BEGIN_DECLS

typedef struct {
  DlsArch arch;
  int     members;
  int     epochs;
  double  time_budget;   /* seconds per member, 0: none */
  int     layers;        /* SMSNet hidden layers, MSDNet layers, TUNet depth; 0: the default */
  int     patch;         /* 0: 64 */
  uint64_t seed;
  int     max_val_patches; /* validation patches per epoch (64 by default: the first overlay
                            * comes sooner); 0: all */
} DlsTrainSettings;

/* What the Train button does until the user changes it (the window's fields start from these,
 * and the benchmarks use them): an SMSNet ensemble of 3 members, 10 epochs, at most 5 s per
 * member, 64² patches, seed 1. */
DlsTrainSettings dls_train_settings_default (void);

typedef enum {
  DLS_JOB_TRAINING,
  DLS_JOB_PREDICTING,
  DLS_JOB_DONE,
  DLS_JOB_CANCELLED,
  DLS_JOB_FAILED,
} DlsJobPhase;

typedef struct {
  DlsJobPhase phase;
  double      fraction;       /* 0..1 over the whole job */
  DlsTrainProgress last;      /* the latest training report */
  int         slices_done, n_slices;
  double      elapsed;
  char       *error;          /* FAILED: why */
} DlsJobStatus;

/* A point of the loss curve: x in epochs across all members (member k starts at k·epochs). */
typedef struct {
  double x, loss;
  gboolean validation;
} DlsLossPoint;

typedef struct _DlsTrainJob DlsTrainJob;

/* Called on the main context: a slice of the new prediction arrived (z), or z = −1 when the
 * job ended (see the status for how). */
typedef void (*DlsTrainJobFn) (DlsTrainJob *job, int z, gpointer user_data);

/* Takes a snapshot of the labels now; the current slice z_first is predicted first. */
DlsTrainJob *dls_train_job_start      (DlsDocument *doc, const DlsTrainSettings *settings,
                                       int z_first, DlsTrainJobFn fn, gpointer user_data);
void         dls_train_job_cancel     (DlsTrainJob *job);
/* status->error is owned by the caller (g_free). */
void         dls_train_job_get_status (DlsTrainJob *job, DlsJobStatus *status);
/* Copies the loss curve so far. */
GArray      *dls_train_job_get_losses (DlsTrainJob *job);
/* Predicts the volume with models the caller keeps alive until the job is freed (a loaded
 * model file); conformal (may be NULL) is the models' stored calibration. */
DlsTrainJob *dls_train_job_start_predict (DlsDocument *doc, DlsModel *const *models, int n,
                                          const DlsConformal *conformal, int z_first,
                                          DlsTrainJobFn fn, gpointer user_data);
/* The trained models once the job is DONE, for the caller to keep (and free); NULL before,
 * for predict-only jobs, or when taken already. */
DlsModel   **dls_train_job_steal_models (DlsTrainJob *job, int *n);
/* The calibration the job made, once the document shows its prediction calibrated. */
gboolean     dls_train_job_get_conformal (DlsTrainJob *job, DlsConformal *out);
/* Waits for the worker (cancel first to make it quick) and frees the job; the callback is
 * not called after this. */
void         dls_train_job_free       (DlsTrainJob *job);

G_END_DECLS
