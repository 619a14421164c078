/* SPDX-License-Identifier: MIT
 *
 * document.h: DlsDocument, what the user works on — the image volume (read only), the label
 * volume they paint, its classes, the undo history and the latest prediction.  GLib only (no
 * GTK), so the label layer is tested without a display.
 */
#pragma once

#include <gio/gio.h>

#include "trainer.h"
#include "uncertainty.h"
#include "undo.h"

G_BEGIN_DECLS

/* A prediction of the whole volume, filled slice by slice (Z) by a worker thread while the
 * main thread shows the slices already done.  Shared by reference (g_atomic_rc_box). */
typedef struct {
  int          K, depth, height, width;
  float       *probs;        /* K × Z × Y × X mean softmax of the ensemble */
  float       *std;          /* Z × Y × X: std across members of the predicted class; NULL for one */
  gint        *done;         /* Z flags, set with g_atomic_int_set once a slice is written */
  int          n_members;
  gboolean     calibrated;
  DlsConformal conformal;
} DlsPrediction;

/* Uncertainty measures of a prediction (see uncertainty.h for their definitions). */
typedef enum {
  DLS_MEASURE_MARGIN,
  DLS_MEASURE_ENTROPY,
  DLS_MEASURE_STD,
  DLS_MEASURE_SET_SIZE,
} DlsMeasure;

DlsPrediction *dls_prediction_new   (int K, int depth, int height, int width, int n_members);
DlsPrediction *dls_prediction_ref   (DlsPrediction *p);
void           dls_prediction_unref (DlsPrediction *p);
gboolean       dls_prediction_slice_done (const DlsPrediction *p, int z);
/* At volume index idx: the predicted class (0-based; the first on ties), the measure (NaN for
 * the set size without calibration), and the measure's range for legends and colour maps. */
int            dls_prediction_argmax     (const DlsPrediction *p, gsize idx);
float          dls_prediction_measure    (const DlsPrediction *p, DlsMeasure m, gsize idx);
void           dls_prediction_measure_range (const DlsPrediction *p, DlsMeasure m, float *lo,
                                          float *hi);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsPrediction, dls_prediction_unref)

#define DLS_MAX_CLASSES 32

#define DLS_TYPE_DOCUMENT (dls_document_get_type ())
G_DECLARE_FINAL_TYPE (DlsDocument, dls_document, DLS, DOCUMENT, GObject)

/* Reads a TIFF stack, a 2-D TIFF or a folder of slices; several channels are averaged into one.
 * progress (may be NULL) goes 0 → 1000 as slices arrive (g_atomic_int_set), for a window that
 * polls it.  Labels saved beside the volume (NAME.labels.tif) are loaded when they fit; a label
 * file that does not fit is left alone and reported by dls_document_get_labels_warning(). */
DlsDocument   *dls_document_load        (const char *path, GCancellable *cancellable,
                                         gint *progress, GError **error);
/* The most a document of this size holds in memory, in bytes: the volume as float32, its
 * labels and the snapshot training takes of them, the normalised copy training makes, and a
 * prediction of two classes (K + 1 floats a voxel).  dls_document_load() refuses, before
 * reading a slice, a volume whose estimate is over the memory budget (memory.h). */
guint64        dls_document_estimate_bytes (gint64 depth, gint64 height, gint64 width);
/* … with a prediction of K classes (dls_document_estimate_bytes assumes 2) */
guint64        dls_document_estimate_bytes_for (gint64 depth, gint64 height, gint64 width,
                                                int K);

const char    *dls_document_get_path        (DlsDocument *self);
const char    *dls_document_get_name        (DlsDocument *self); /* display name of the file */
char          *dls_document_describe        (DlsDocument *self); /* "128 × 256 × 256, uint16" */
void           dls_document_get_size        (DlsDocument *self, int *depth, int *height, int *width);
const float   *dls_document_get_volume      (DlsDocument *self);
void           dls_document_get_range       (DlsDocument *self, double p_lo, double p_hi,
                                             float *lo, float *hi);
const char    *dls_document_get_labels_warning (DlsDocument *self);
gint64         dls_document_get_restored_labels (DlsDocument *self); /* labelled voxels read at load */

/* Labels: edited in place on the main thread (brush, fill) with dls_undo records, then
 * announced with dls_document_labels_changed (volume index range), which schedules the
 * autosave.  "labels-changed" (guint64 lo, guint64 hi) follows every change. */
guint8        *dls_document_get_labels      (DlsDocument *self);
DlsUndo       *dls_document_get_undo        (DlsDocument *self);
void           dls_document_labels_changed  (DlsDocument *self, gsize lo, gsize hi);
gboolean       dls_document_undo            (DlsDocument *self, gsize *lo, gsize *hi);
gboolean       dls_document_redo            (DlsDocument *self, gsize *lo, gsize *hi);
guint8        *dls_document_copy_labels     (DlsDocument *self);  /* a snapshot for training */
/* Replaces the labels with a label file's (checked against the volume's size) and makes it the
 * file labels are saved to; the undo history is cleared. */
gboolean       dls_document_load_labels     (DlsDocument *self, const char *path, GError **error);
gint64         dls_document_count_labelled  (DlsDocument *self, gint64 *per_class, int n);

/* Autosave: labels go to labels_path atomically `interval` seconds after the last change, and
 * at the latest `interval` seconds after the first change not saved yet, however busy the
 * painting (and at dls_document_save_labels); "autosaved" (GError-or-NULL as gpointer) reports
 * each.  When the labels' folder cannot be written (a volume on a read-only share), the save
 * goes once and for all to a per-user file, dls_document_fallback_labels_path(), and
 * dls_document_get_labels_fallback() says so; dls_document_load finds them there again. */
const char    *dls_document_get_labels_path (DlsDocument *self);
void           dls_document_set_labels_path (DlsDocument *self, const char *path);
void           dls_document_set_autosave_interval (DlsDocument *self, guint seconds);
gboolean       dls_document_get_labels_dirty (DlsDocument *self);
gboolean       dls_document_save_labels     (DlsDocument *self, GError **error);
/* The per-user file the labels of this volume went to, or NULL while they are kept as usual. */
const char    *dls_document_get_labels_fallback (DlsDocument *self);
/* $XDG_DATA_HOME/dlsia-studio/autosave/HASH-NAME.labels.tif, HASH from the absolute path. */
char          *dls_document_fallback_labels_path (const char *volume_path);

/* Classes 1..n (index 0 is "unlabelled"); colours 0xAARRGGBB.  "classes-changed". */
int            dls_document_get_n_classes   (DlsDocument *self);
const char    *dls_document_get_class_name  (DlsDocument *self, int k);
guint32        dls_document_get_class_color (DlsDocument *self, int k);
const guint32 *dls_document_get_palette     (DlsDocument *self); /* 256 entries */
int            dls_document_add_class       (DlsDocument *self, const char *name, guint32 color);
void           dls_document_set_class_name  (DlsDocument *self, int k, const char *name);
void           dls_document_set_class_color (DlsDocument *self, int k, guint32 color);

/* The shown prediction; "prediction-changed" (int z, −1 = all) when it is replaced or a slice
 * of it arrives. */
DlsPrediction *dls_document_get_prediction  (DlsDocument *self);
void           dls_document_set_prediction  (DlsDocument *self, DlsPrediction *p);
void           dls_document_prediction_arrived (DlsDocument *self, int z);

/* For tests and new volumes made in memory: takes the volume. */
DlsDocument   *dls_document_new_for_volume  (const char *path, float *volume, int depth,
                                             int height, int width, const char *type_name);

G_END_DECLS
