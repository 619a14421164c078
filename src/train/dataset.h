/* SPDX-License-Identifier: MIT
 *
 * dataset.h: training samples from a volume and a sparse label volume.  Patches are cut from
 * XY slices (optionally XZ and YZ too) wherever they hold labelled pixels; every labelled pixel
 * is assigned, by a seeded hash of its position, to training or to validation.
 */
#pragma once

#include "models.h"

G_BEGIN_DECLS

/* Z × C × Y × X floats (already normalised for training). */
typedef struct {
  int64_t depth, height, width;
  int     channels;
  float  *data;
} DlsVolume;

/* Z × Y × X: 0 = unlabelled, 1..K = classes (the label-file convention). */
typedef struct {
  int64_t  depth, height, width;
  uint8_t *data;
} DlsLabels;

typedef enum {
  DLS_AXIS_Z, /* XY slices, the usual view */
  DLS_AXIS_Y, /* XZ slices */
  DLS_AXIS_X, /* YZ slices */
} DlsAxis;

typedef struct {
  int      patch;          /* side, 64 by default (0) */
  double   val_fraction;   /* of labelled pixels, 0.2 by default (negative: none) */
  gboolean use_xz, use_yz; /* also cut patches from XZ / YZ slices */
  uint64_t seed;
} DlsDatasetArgs;

typedef struct _DlsDataset DlsDataset;

/* Checks that the labels fit the volume, that classes lie in 1..n_classes, that there are
 * labelled pixels of at least two classes (one is enough when n_classes == 1), and that the
 * volume is at least a patch wide.  Both inputs must outlive the dataset. */
DlsDataset *dls_dataset_new        (const DlsVolume *v, const DlsLabels *l, int n_classes,
                                    const DlsDatasetArgs *args, GError **error);
void        dls_dataset_free       (DlsDataset *ds);
int         dls_dataset_n_patches  (DlsDataset *ds);
int         dls_dataset_patch_size (DlsDataset *ds);
int64_t     dls_dataset_n_labelled (DlsDataset *ds, gboolean validation);
/* Patch i, transformed by aug (0–7: bit 0 flip x, bit 1 flip y, bit 2 transpose): the image
 * (C × P × P) and the class indices 0..K−1 of its training and validation pixels (−1
 * elsewhere); either label array may be NULL. */
void        dls_dataset_get        (DlsDataset *ds, int i, int aug, float *image,
                                    int32_t *train_labels, int32_t *val_labels);

/* Whether a labelled voxel (index in Z × Y × X order) is held out for validation. */
gboolean    dls_dataset_is_validation (DlsDataset *ds, int64_t voxel);
/* The same split without a dataset: what a dataset made with this seed and val_fraction
 * (0.2 when the args said 0) holds out. */
gboolean    dls_dataset_split_is_validation (uint64_t seed, double val_fraction, int64_t voxel);

/* The raw values at the given percentiles of a volume (over a deterministic sample of at most a
 * few million values), for the model's input normalisation. */
void        dls_volume_percentiles (const float *data, int64_t n, double p_low, double p_high,
                                    double *low, double *high);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsDataset, dls_dataset_free)

G_END_DECLS
