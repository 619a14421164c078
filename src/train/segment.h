/* SPDX-License-Identifier: MIT
 *
 * segment.h: the whole "train a segmentation model from sparse labels" job that both the CLI
 * (`dlsia train`) and the app run: the volume's percentiles become the models' input
 * normalisation, the labelled pixels are split into training and validation, K members are
 * trained one after another (SMSNets each with their own random graph, other architectures with
 * their own seeds), each handed to a callback as soon as it finishes, and the validation pixels
 * then calibrate conformal prediction sets for the ensemble.
 *
 * It does not write files: the callback decides where members go (the CLI saves them, the app
 * shows them).
 */
#pragma once

#include "trainer.h"
#include "uncertainty.h"

G_BEGIN_DECLS

typedef struct {
  int64_t n_train, n_val;     /* labelled pixels */
  int     n_patches, patch;   /* patches that hold labels, and their side */
  int     n_classes;
  double  norm_low, norm_high; /* raw (or log) values that map to 0 and 1 */
} DlsSegmentInfo;

/* Called with each finished member (the best weights); return FALSE with an error to stop.
 * The model stays owned by the job (it ends up in DlsSegmentResult). */
typedef gboolean (*DlsSegmentMemberFn) (DlsModel *m, int k, int n, const DlsTrainResult *res,
                                        void *user_data, GError **error);
/* Called once, after the dataset is made and before the first member trains. */
typedef void (*DlsSegmentInfoFn) (const DlsSegmentInfo *info, void *user_data);

typedef struct {
  DlsArch      arch;            /* DLS_ARCH_SMSNET, _MSDNET or _TUNET */
  int          ensemble;        /* members, 1 when 0 */
  int          epochs;          /* per member; 20 when 0 and there is no time budget */
  double       time_budget;     /* seconds per member, 0: none */
  int          batch;           /* 4 when 0 */
  double       lr;              /* 1e-3 when 0 */
  int          patience;        /* 0: never stop early */
  const float *class_weights;   /* K or NULL */
  uint64_t     seed;
  int          patch;           /* 64 when 0; smaller slices make it smaller */
  double       val_fraction;    /* 0.2 when 0, negative: none */
  gboolean     use_xz, use_yz;
  double       p_low, p_high;   /* normalisation percentiles; 1 and 99 when both 0 */
  gboolean     log_transform;   /* log(1 + x) first */
  gboolean     no_batchnorm;    /* msdnet, tunet */
  int          layers;          /* smsnet hidden layers, msdnet layers; default when 0 */
  int          depth, base;     /* tunet; default when 0 */
  double       alpha;           /* conformal miscoverage, 0.1 when 0; negative: no calibration */
  int          max_val_patches; /* validation patches per epoch, 0: all (an interactive run caps
                                 * it: validating thousands of patches takes longer than a short
                                 * time budget) */
  const volatile int *cancel;
  DlsTrainProgressFn  progress;
  DlsSegmentInfoFn    info;
  DlsSegmentMemberFn  member_done;
  void               *user_data;
} DlsSegmentArgs;

typedef struct {
  DlsModel     **models;        /* the finished members (cancelling keeps those done) */
  int            n_models;
  gboolean       cancelled;
  gboolean       calibrated;    /* conformal holds the calibration */
  DlsConformal   conformal;
  char          *calibration_note; /* why there is no calibration, or NULL */
  DlsSegmentInfo info;
} DlsSegmentResult;

/* raw: the volume as read (Z × C × Y × X, not normalised); labels 0..n_classes.  FALSE with an
 * error when nothing could be trained (bad labels, no memory, NaN loss in the first member …);
 * the members finished before a later failure stay in result either way.  Calibration that
 * cannot be done (e.g. no validation pixels) is not an error: result->calibrated is FALSE. */
gboolean dls_train_segmentation     (const DlsVolume *raw, const DlsLabels *labels, int n_classes,
                                     const DlsSegmentArgs *args, DlsSegmentResult *result,
                                     GError **error);
void     dls_segment_result_clear   (DlsSegmentResult *result);

/* Conformal calibration of an ensemble on the validation pixels of `labels` (as the dataset
 * split them): the ensemble's mean probabilities over the XY slices holding such pixels. */
gboolean dls_segment_calibrate      (DlsModel **models, int n, const DlsVolume *raw,
                                     const DlsLabels *labels, DlsDataset *ds, double alpha,
                                     const volatile int *cancel, DlsConformal *out,
                                     GError **error);

G_END_DECLS
