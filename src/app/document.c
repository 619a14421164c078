/* SPDX-License-Identifier: MIT
 *
 * document.c: DlsDocument (see document.h).  The volume is read once, slice by slice, into
 * float32 and never written.  Labels are edited in place by the main thread; the autosave copies
 * them and writes the copy on a worker thread, so painting never waits for the disk, and a
 * generation counter tells whether edits came in while a save was running.
 *
 * It deliberately knows nothing about views or widgets: the canvas asks it for planes.
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "colormap.h"
#include "dataset.h"
#include "document.h"
#include "labels-file.h"
#include "memory.h"
#include "project.h"
#include "tiff.h"

typedef struct {
  char   *name;
  guint32 color;
} Class;

struct _DlsDocument
{
  GObject parent_instance;

  char *path, *name, *type_name;
  int depth, height, width;
  float *volume;
  guint8 *labels;
  DlsUndo *undo;
  GArray *classes;        /* of Class, entry 0 unused */
  guint32 palette[256];
  DlsPrediction *prediction;
  char *labels_warning;
  gint64 restored;
  float range_lo, range_hi;
  gboolean range_set;

  char *labels_path;
  char *fallback_path;        /* per-user file the labels go to when their folder is read-only */
  gboolean labels_relocated;  /* labels_path is fallback_path */
  guint autosave_interval, autosave_id;
  gint64 dirty_since;         /* monotonic time of the oldest change no save has taken; 0: none */
  guint64 generation, saved_generation;
  gboolean saving;
  GMutex write_lock;          /* one write of the labels file at a time, and … */
  guint64 written_generation; /* … the generation in it, so an older one never replaces it */
};

G_DEFINE_FINAL_TYPE (DlsDocument, dls_document, G_TYPE_OBJECT)

enum
{
  LABELS_CHANGED,
  CLASSES_CHANGED,
  PREDICTION_CHANGED,
  AUTOSAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- predictions ---- */

static void
prediction_clear (gpointer data)
{
  DlsPrediction *p = data;

  g_free (p->probs);
  g_free (p->std);
  g_free (p->done);
}

DlsPrediction *
dls_prediction_new (int K, int depth, int height, int width, int n_members)
{
  DlsPrediction *p = g_atomic_rc_box_new0 (DlsPrediction);
  gsize n = (gsize) depth * height * width;

  p->K = K;
  p->depth = depth;
  p->height = height;
  p->width = width;
  p->n_members = n_members;
  p->probs = g_try_new0 (float, n * K);
  p->std = n_members > 1 ? g_try_new0 (float, n) : NULL;
  p->done = g_new0 (gint, depth);
  if (p->probs == NULL || (n_members > 1 && p->std == NULL))
    {
      dls_prediction_unref (p);
      return NULL;
    }
  return p;
}

DlsPrediction *
dls_prediction_ref (DlsPrediction *p)
{
  return g_atomic_rc_box_acquire (p);
}

void
dls_prediction_unref (DlsPrediction *p)
{
  g_atomic_rc_box_release_full (p, prediction_clear);
}

gboolean
dls_prediction_slice_done (const DlsPrediction *p, int z)
{
  return z >= 0 && z < p->depth && g_atomic_int_get (&p->done[z]);
}

int
dls_prediction_argmax (const DlsPrediction *p, gsize idx)
{
  gsize n = (gsize) p->depth * p->height * p->width;
  int best = 0;

  for (int k = 1; k < p->K; k++)
    if (p->probs[k * n + idx] > p->probs[best * n + idx])
      best = k;
  return best;
}

float
dls_prediction_measure (const DlsPrediction *p, DlsMeasure m, gsize idx)
{
  gsize n = (gsize) p->depth * p->height * p->width;
  float best = -1, second = -1, h = 0;
  int in_set = 0;

  if (m == DLS_MEASURE_STD)
    return p->std ? p->std[idx] : 0;
  for (int k = 0; k < p->K; k++)
    {
      float v = p->probs[k * n + idx];

      if (v > best)
        second = best, best = v;
      else if (v > second)
        second = v;
      if (v > 0)
        h -= v * logf (v);
      in_set += v > 1.0f - (float) p->conformal.qhat;
    }
  switch (m)
    {
    case DLS_MEASURE_MARGIN:
      return p->K > 1 ? 1 - (best - second) : 0;
    case DLS_MEASURE_ENTROPY:
      return h;
    default:
      return p->calibrated ? (float) in_set : NAN;
    }
}

void
dls_prediction_measure_range (const DlsPrediction *p, DlsMeasure m, float *lo, float *hi)
{
  *lo = 0;
  switch (m)
    {
    case DLS_MEASURE_MARGIN:
      *hi = 1;
      break;
    case DLS_MEASURE_ENTROPY:
      *hi = logf ((float) MAX (p->K, 2));
      break;
    case DLS_MEASURE_STD:
      *hi = 0.5f;
      break;
    default:
      *hi = (float) p->K;
      break;
    }
}

/* ---- the object ---- */

static void
class_clear (gpointer data)
{
  g_free (((Class *) data)->name);
}

static void
dls_document_finalize (GObject *object)
{
  DlsDocument *self = DLS_DOCUMENT (object);

  g_clear_handle_id (&self->autosave_id, g_source_remove);
  g_mutex_clear (&self->write_lock);
  g_free (self->path);
  g_free (self->name);
  g_free (self->type_name);
  g_free (self->volume);
  g_free (self->labels);
  g_free (self->labels_warning);
  g_free (self->labels_path);
  g_free (self->fallback_path);
  dls_undo_free (self->undo);
  g_array_unref (self->classes);
  g_clear_pointer (&self->prediction, dls_prediction_unref);

  G_OBJECT_CLASS (dls_document_parent_class)->finalize (object);
}

static void
dls_document_class_init (DlsDocumentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dls_document_finalize;

  signals[LABELS_CHANGED] = g_signal_new ("labels-changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                          G_TYPE_UINT64, G_TYPE_UINT64);
  signals[CLASSES_CHANGED] = g_signal_new ("classes-changed", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[PREDICTION_CHANGED]
      = g_signal_new ("prediction-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  /* the error of the save, or NULL when it worked */
  signals[AUTOSAVED] = g_signal_new ("autosaved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
update_palette (DlsDocument *self)
{
  memset (self->palette, 0, sizeof self->palette);
  for (guint k = 1; k < self->classes->len; k++)
    self->palette[k] = g_array_index (self->classes, Class, k).color;
}

static void
dls_document_init (DlsDocument *self)
{
  Class none = { g_strdup (""), 0 };

  self->classes = g_array_new (FALSE, TRUE, sizeof (Class));
  g_array_set_clear_func (self->classes, class_clear);
  g_array_append_val (self->classes, none);
  self->undo = dls_undo_new (256 << 20);
  self->autosave_interval = 5;
  g_mutex_init (&self->write_lock);
}

static void
add_default_classes (DlsDocument *self)
{
  /* Translators: the names of the two classes a new volume starts with */
  dls_document_add_class (self, _ ("Background"), dls_class_color_default (1));
  dls_document_add_class (self, _ ("Foreground"), dls_class_color_default (2));
}

DlsDocument *
dls_document_new_for_volume (const char *path, float *volume, int depth, int height, int width,
                             const char *type_name)
{
  DlsDocument *self = g_object_new (DLS_TYPE_DOCUMENT, NULL);

  self->path = g_strdup (path);
  self->name = g_filename_display_basename (path);
  self->type_name = g_strdup (type_name);
  self->depth = depth;
  self->height = height;
  self->width = width;
  self->volume = volume;
  self->labels = g_new0 (guint8, (gsize) depth * height * width);
  self->labels_path = dls_labels_path_for_volume (path);
  self->fallback_path = dls_document_fallback_labels_path (path);
  add_default_classes (self);
  return self;
}

char *
dls_document_fallback_labels_path (const char *volume_path)
{
  g_autoptr (GFile) file = g_file_new_for_path (volume_path);
  g_autofree char *absolute = g_file_get_path (file);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, absolute, -1);
  g_autofree char *labels = dls_labels_path_for_volume (absolute);
  g_autofree char *base = g_path_get_basename (labels);
  g_autofree char *name = NULL;

  /* two volumes called scan.tif in different folders must not share a label file */
  hash[12] = '\0';
  name = g_strdup_printf ("%s-%s", hash, base);
  return g_build_filename (g_get_user_data_dir (), "dlsia-studio", "autosave", name, NULL);
}

/* TRUE when files cannot be made in path's folder (a read-only share or mount, no permission,
 * no such folder): the reason to keep labels in the per-user folder instead. */
static gboolean
folder_refuses_writes (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return TRUE;
  if (access (dir, W_OK) == 0)
    return FALSE;
  return errno == EROFS || errno == EACCES || errno == EPERM || errno == ENOENT || errno == ENOTDIR;
}

/* A save killed half-way (a crash, a power cut) leaves its temporary file, as large as the
 * labels, beside the label file: ".NAME.labels.tif.XXXXXX.part".  Those nobody has written to
 * for a minute are no writer's any more (a writer adds to its file all the time) and go. */
static void
remove_stale_parts (const char *labels_path)
{
  g_autofree char *dir = g_path_get_dirname (labels_path);
  g_autofree char *base = g_path_get_basename (labels_path);
  g_autofree char *prefix = g_strdup_printf (".%s.", base);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      GStatBuf st;

      if (!g_str_has_prefix (name, prefix) || !g_str_has_suffix (name, ".part")
          || strlen (name) != strlen (prefix) + strlen ("XXXXXX.part"))
        continue;
      path = g_build_filename (dir, name, NULL);
      if (g_lstat (path, &st) == 0 && S_ISREG (st.st_mode) && now - st.st_mtime > 60)
        g_unlink (path);
    }
}

/* TRUE when a is a file modified later than b, or b is not there. */
static gboolean
newer_than (const char *a, const char *b)
{
  GStatBuf sa, sb;

  if (g_stat (a, &sa) != 0)
    return FALSE;
  if (g_stat (b, &sb) != 0)
    return TRUE;
  return sa.st_mtim.tv_sec > sb.st_mtim.tv_sec
         || (sa.st_mtim.tv_sec == sb.st_mtim.tv_sec && sa.st_mtim.tv_nsec > sb.st_mtim.tv_nsec);
}

/* Labels saved beside the volume come back, if they fit; or those the autosave kept in the
 * per-user folder because the volume's folder was read-only, when they are newer. */
static void
restore_labels (DlsDocument *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_strdup (self->labels_path);

  if (newer_than (self->fallback_path, path))
    {
      g_autoptr (GError) fallback_error = NULL;

      remove_stale_parts (self->fallback_path);
      if (dls_document_load_labels (self, self->fallback_path, &fallback_error))
        return;
      /* not ours to overwrite either: the labels go beside the volume as usual */
      dls_document_set_labels_path (self, path);
    }
  remove_stale_parts (path);
  if (g_file_test (path, G_FILE_TEST_EXISTS) && !dls_document_load_labels (self, path, &error))
    {
      /* that file is the user's: new labels go beside it (NAME.labels-2.tif …), never over it */
      g_autofree char *stem = g_strndup (path, strlen (path) - strlen (".tif"));
      g_autofree char *other = NULL;

      for (int i = 2; other == NULL || g_file_test (other, G_FILE_TEST_EXISTS); i++)
        {
          g_free (other);
          other = g_strdup_printf ("%s-%d.tif", stem, i);
        }
      dls_document_set_labels_path (self, other);
      self->labels_warning = g_strdup (error->message);
    }
}

guint64
dls_document_estimate_bytes (gint64 depth, gint64 height, gint64 width)
{
  return dls_document_estimate_bytes_for (depth, height, width, 2);
}

guint64
dls_document_estimate_bytes_for (gint64 depth, gint64 height, gint64 width, int K)
{
  /* volume 4 + labels 1 + training's snapshot 1 + normalised copy 4 + prediction (K + 1) × 4 */
  const guint64 per_voxel = 4 + 1 + 1 + 4 + ((guint64) MAX (K, 1) + 1) * 4;
  guint64 n;

  if (depth < 0 || height < 0 || width < 0
      || !g_uint64_checked_mul (&n, (guint64) depth, (guint64) height)
      || !g_uint64_checked_mul (&n, n, (guint64) width)
      || !g_uint64_checked_mul (&n, n, per_voxel))
    return G_MAXUINT64;
  return n;
}

DlsDocument *
dls_document_load (const char *path, GCancellable *cancellable, gint *progress, GError **error)
{
  g_autoptr (DlsTiffReader) r = dls_tiff_reader_open (path, error);
  g_autofree float *slice = NULL, *volume = NULL;
  const DlsTiffInfo *info;
  gsize hw, n;
  int C;
  DlsDocument *self;

  if (r == NULL)
    return NULL;
  info = dls_tiff_reader_get_info (r);
  if (info->width > G_MAXINT / 2 || info->height > G_MAXINT / 2 || info->depth > G_MAXINT / 2)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT, "“%s” is too large to open", path);
      return NULL;
    }
  {
    g_autofree char *name = g_filename_display_basename (path);
    g_autofree char *what = g_strdup_printf (
        "“%s” (%" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
        " voxels) as float32, with labels and a prediction,",
        name, info->depth, info->height, info->width);

    if (!dls_memory_check (dls_document_estimate_bytes (info->depth, info->height, info->width),
                           what,
                           "use “dlsia predict” on the command line, which streams slice by "
                           "slice",
                           error))
      return NULL;
  }
  C = info->channels;
  hw = (gsize) info->height * info->width;
  n = hw * info->depth;
  slice = g_try_new (float, hw * C);
  volume = g_try_new (float, n);
  if (slice == NULL || volume == NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” needs %.1f GB of memory as 32-bit floats, more than there is", path,
                   n * 4.0 / 1e9);
      return NULL;
    }
  for (int64_t z = 0; z < info->depth; z++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (!dls_tiff_reader_read_slice (r, z, slice, error))
        return NULL;
      if (C == 1)
        memcpy (volume + z * hw, slice, hw * sizeof (float));
      else
        for (gsize i = 0; i < hw; i++)
          {
            float s = 0;

            for (int c = 0; c < C; c++)
              s += slice[c * hw + i];
            volume[z * hw + i] = s / C;
          }
      if (progress)
        g_atomic_int_set (progress, (int) (1000 * (z + 1) / info->depth));
    }
  self = dls_document_new_for_volume (path, g_steal_pointer (&volume), (int) info->depth,
                                      (int) info->height, (int) info->width,
                                      dls_sample_type_name (info->type));
  restore_labels (self);
  return self;
}

/* ---- accessors ---- */

const char *
dls_document_get_path (DlsDocument *self)
{
  return self->path;
}

const char *
dls_document_get_name (DlsDocument *self)
{
  return self->name;
}

char *
dls_document_describe (DlsDocument *self)
{
  if (self->depth == 1)
    return g_strdup_printf ("%d × %d, %s", self->width, self->height, self->type_name);
  return g_strdup_printf ("%d × %d × %d, %s", self->width, self->height, self->depth,
                          self->type_name);
}

void
dls_document_get_size (DlsDocument *self, int *depth, int *height, int *width)
{
  *depth = self->depth;
  *height = self->height;
  *width = self->width;
}

const float *
dls_document_get_volume (DlsDocument *self)
{
  return self->volume;
}

/* Percentiles of the whole volume; 1–99 % is cached, since every new view asks for it. */
void
dls_document_get_range (DlsDocument *self, double p_lo, double p_hi, float *lo, float *hi)
{
  gsize n = (gsize) self->depth * self->height * self->width;

  if (p_lo == 1 && p_hi == 99 && self->range_set)
    {
      *lo = self->range_lo;
      *hi = self->range_hi;
      return;
    }
  dls_percentile_range (self->volume, n, p_lo, p_hi, lo, hi);
  if (p_lo == 1 && p_hi == 99)
    {
      self->range_lo = *lo;
      self->range_hi = *hi;
      self->range_set = TRUE;
    }
}

const char *
dls_document_get_labels_warning (DlsDocument *self)
{
  return self->labels_warning;
}

gint64
dls_document_get_restored_labels (DlsDocument *self)
{
  return self->restored;
}

/* ---- labels ---- */

guint8 *
dls_document_get_labels (DlsDocument *self)
{
  return self->labels;
}

DlsUndo *
dls_document_get_undo (DlsDocument *self)
{
  return self->undo;
}

static gboolean
autosave_due (gpointer user_data)
{
  DlsDocument *self = user_data;

  self->autosave_id = 0;
  dls_document_save_labels (self, NULL);
  return G_SOURCE_REMOVE;
}

/* The save comes `interval` after the last change, so that a quiet moment is used; but never
 * later than `interval` after the oldest change not saved yet, or a user who keeps painting
 * would push it back forever and lose everything since the last save in a crash. */
static void
schedule_autosave (DlsDocument *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 interval = (gint64) self->autosave_interval * G_USEC_PER_SEC;
  gint64 due = now + interval;

  if (self->dirty_since != 0)
    due = MIN (due, self->dirty_since + interval);
  g_clear_handle_id (&self->autosave_id, g_source_remove);
  self->autosave_id = g_timeout_add ((guint) (MAX (due - now, 0) / 1000), autosave_due, self);
}

void
dls_document_labels_changed (DlsDocument *self, gsize lo, gsize hi)
{
  self->generation++;
  if (self->dirty_since == 0)
    self->dirty_since = g_get_monotonic_time ();
  schedule_autosave (self);
  g_signal_emit (self, signals[LABELS_CHANGED], 0, (guint64) lo, (guint64) hi);
}

/* Undo or redo one action and tell the views which voxels changed. */
static gboolean
step_history (DlsDocument *self, gboolean redo, gsize *lo, gsize *hi)
{
  gsize n = (gsize) self->depth * self->height * self->width, a, b;

  if (!(redo ? dls_undo_redo : dls_undo_undo) (self->undo, self->labels, n, &a, &b))
    return FALSE;
  dls_document_labels_changed (self, a, b);
  if (lo)
    *lo = a;
  if (hi)
    *hi = b;
  return TRUE;
}

gboolean
dls_document_undo (DlsDocument *self, gsize *lo, gsize *hi)
{
  return step_history (self, FALSE, lo, hi);
}

gboolean
dls_document_redo (DlsDocument *self, gsize *lo, gsize *hi)
{
  return step_history (self, TRUE, lo, hi);
}

gboolean
dls_document_load_labels (DlsDocument *self, const char *path, GError **error)
{
  guint8 *labels = dls_labels_file_load (path, self->depth, self->height, self->width,
                                         DLS_MAX_CLASSES, error);
  gsize n = (gsize) self->depth * self->height * self->width;
  int max = 0;

  if (labels == NULL)
    return FALSE;
  g_free (self->labels);
  self->labels = labels;
  dls_document_set_labels_path (self, path);
  dls_undo_clear (self->undo);
  self->restored = 0;
  for (gsize i = 0; i < n; i++)
    {
      self->restored += labels[i] != 0;
      max = MAX (max, labels[i]);
    }
  for (int k = dls_document_get_n_classes (self) + 1; k <= max; k++)
    {
      g_autofree char *name = g_strdup_printf (_ ("Class %d"), k);

      dls_document_add_class (self, name, dls_class_color_default (k));
    }
  /* what is on disk is what is shown */
  self->saved_generation = self->generation;
  g_signal_emit (self, signals[LABELS_CHANGED], 0, (guint64) 0, (guint64) (n - 1));
  return TRUE;
}

guint8 *
dls_document_copy_labels (DlsDocument *self)
{
  return g_memdup2 (self->labels, (gsize) self->depth * self->height * self->width);
}

gint64
dls_document_count_labelled (DlsDocument *self, gint64 *per_class, int n)
{
  gint64 counts[256] = { 0 }, total = 0;
  gsize size = (gsize) self->depth * self->height * self->width;

  dls_labels_count (self->labels, size, counts, 256);
  for (int k = 1; k < 256; k++)
    total += counts[k];
  for (int k = 0; per_class && k < n; k++)
    per_class[k] = k < 256 ? counts[k] : 0;
  return total;
}

const char *
dls_document_get_labels_path (DlsDocument *self)
{
  return self->labels_path;
}

void
dls_document_set_labels_path (DlsDocument *self, const char *path)
{
  g_free (self->labels_path);
  self->labels_path = g_strdup (path);
  self->labels_relocated = g_strcmp0 (path, self->fallback_path) == 0;
  g_mutex_lock (&self->write_lock);
  self->written_generation = 0; /* nothing written to this file yet */
  g_mutex_unlock (&self->write_lock);
}

const char *
dls_document_get_labels_fallback (DlsDocument *self)
{
  return self->labels_relocated ? self->labels_path : NULL;
}

void
dls_document_set_autosave_interval (DlsDocument *self, guint seconds)
{
  self->autosave_interval = MAX (seconds, 1);
  if (self->autosave_id != 0)
    schedule_autosave (self);
}

gboolean
dls_document_get_labels_dirty (DlsDocument *self)
{
  return self->generation != self->saved_generation;
}

typedef struct {
  char *path;
  char *fallback;       /* where to go when path's folder refuses writes; NULL: nowhere */
  gboolean relocated;   /* written to fallback */
  guint8 *labels;
  int Z, Y, X;
  guint64 generation;
  gint64 dirty_since;   /* the document's, for a save that fails */
} SaveJob;

static void
save_job_free (gpointer data)
{
  SaveJob *j = data;

  g_free (j->path);
  g_free (j->fallback);
  g_free (j->labels);
  g_free (j);
}

/* Writes j unless newer labels are in the file already (a synchronous save that ran while
 * this background one was waiting or writing); any thread. */
static gboolean
write_labels (DlsDocument *self, SaveJob *j, GError **error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->write_lock);
  if (j->generation > self->written_generation)
    {
      g_autoptr (GError) local = NULL;

      ok = dls_labels_file_save (j->path, j->labels, j->Z, j->Y, j->X, &local);
      if (!ok && j->fallback != NULL && folder_refuses_writes (j->path))
        {
          /* a volume on a read-only share: the labels go to the user's own folder, once and
           * for all (the caller moves labels_path there) */
          g_autofree char *dir = g_path_get_dirname (j->fallback);

          g_clear_error (&local);
          if (g_mkdir_with_parents (dir, 0700) != 0)
            {
              int e = errno;
              g_autofree char *file = g_filename_display_name (j->path);
              g_autofree char *folder = g_filename_display_name (dir);

              g_set_error (&local, G_FILE_ERROR, g_file_error_from_errno (e),
                           _ ("Cannot save the labels: the folder of “%s” cannot be written, "
                              "and the folder “%s” for them instead cannot be made (%s). Export "
                              "the labels to a folder you can write to."),
                           file, folder, g_strerror (e));
            }
          else if (dls_labels_file_save (j->fallback, j->labels, j->Z, j->Y, j->X, &local))
            ok = j->relocated = TRUE;
        }
      if (ok)
        self->written_generation = j->generation;
      else
        g_propagate_error (error, g_steal_pointer (&local));
    }
  g_mutex_unlock (&self->write_lock);
  return ok;
}

/* After a save on the main thread: the labels moved to the per-user folder for good. */
static void
take_relocation (DlsDocument *self, SaveJob *j)
{
  if (!j->relocated || self->labels_relocated)
    return;
  g_free (self->labels_path);
  self->labels_path = g_strdup (j->fallback);
  self->labels_relocated = TRUE;
}

/* A save that failed leaves its changes unsaved since when they were. */
static void
restore_dirty_since (DlsDocument *self, SaveJob *j)
{
  if (j->dirty_since != 0 && (self->dirty_since == 0 || j->dirty_since < self->dirty_since))
    self->dirty_since = j->dirty_since;
}

static void
save_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SaveJob *j = task_data;
  GError *error = NULL;

  if (write_labels (DLS_DOCUMENT (source), j, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
save_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DlsDocument *self = DLS_DOCUMENT (source);
  SaveJob *j = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  self->saving = FALSE;
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      self->saved_generation = MAX (self->saved_generation, j->generation);
      take_relocation (self, j);
    }
  else
    restore_dirty_since (self, j);
  g_signal_emit (self, signals[AUTOSAVED], 0, error);
  /* edits that came in while writing get their own save */
  if (error == NULL && dls_document_get_labels_dirty (self) && self->autosave_id == 0)
    schedule_autosave (self);
}

/* With error == NULL: in the background (the autosave), reported through "autosaved".  With an
 * error location: now, on this thread (closing the window, tests). */
gboolean
dls_document_save_labels (DlsDocument *self, GError **error)
{
  SaveJob *j;

  if (!dls_document_get_labels_dirty (self))
    return TRUE;
  if (error == NULL && self->saving)
    /* one write at a time: save_done schedules the next one */
    return TRUE;
  j = g_new0 (SaveJob, 1);
  j->path = g_strdup (self->labels_path);
  j->fallback = self->labels_relocated ? NULL : g_strdup (self->fallback_path);
  j->labels = dls_document_copy_labels (self);
  j->Z = self->depth;
  j->Y = self->height;
  j->X = self->width;
  j->generation = self->generation;
  j->dirty_since = self->dirty_since;
  self->dirty_since = 0; /* every change so far is in this save */
  if (error != NULL)
    {
      /* waits for a background save that is writing, so that its older labels cannot be
       * renamed over these afterwards */
      gboolean ok = write_labels (self, j, error);

      if (ok)
        {
          self->saved_generation = MAX (self->saved_generation, j->generation);
          take_relocation (self, j);
          g_clear_handle_id (&self->autosave_id, g_source_remove);
        }
      else
        restore_dirty_since (self, j);
      save_job_free (j);
      return ok;
    }
  {
    g_autoptr (GTask) task = g_task_new (self, NULL, save_done, NULL);

    self->saving = TRUE;
    g_task_set_task_data (task, j, save_job_free);
    g_task_run_in_thread (task, save_thread);
  }
  return TRUE;
}

/* ---- classes ---- */

int
dls_document_get_n_classes (DlsDocument *self)
{
  return (int) self->classes->len - 1;
}

const char *
dls_document_get_class_name (DlsDocument *self, int k)
{
  g_return_val_if_fail (k >= 1 && k < (int) self->classes->len, NULL);
  return g_array_index (self->classes, Class, k).name;
}

guint32
dls_document_get_class_color (DlsDocument *self, int k)
{
  g_return_val_if_fail (k >= 1 && k < (int) self->classes->len, 0);
  return g_array_index (self->classes, Class, k).color;
}

const guint32 *
dls_document_get_palette (DlsDocument *self)
{
  return self->palette;
}

int
dls_document_add_class (DlsDocument *self, const char *name, guint32 color)
{
  Class c;

  g_return_val_if_fail (dls_document_get_n_classes (self) < DLS_MAX_CLASSES, -1);
  c = (Class){ g_strdup (name), color };
  g_array_append_val (self->classes, c);
  update_palette (self);
  g_signal_emit (self, signals[CLASSES_CHANGED], 0);
  return dls_document_get_n_classes (self);
}

void
dls_document_set_class_name (DlsDocument *self, int k, const char *name)
{
  Class *c;

  g_return_if_fail (k >= 1 && k < (int) self->classes->len);
  c = &g_array_index (self->classes, Class, k);
  g_free (c->name);
  c->name = g_strdup (name);
  g_signal_emit (self, signals[CLASSES_CHANGED], 0);
}

void
dls_document_set_class_color (DlsDocument *self, int k, guint32 color)
{
  g_return_if_fail (k >= 1 && k < (int) self->classes->len);
  g_array_index (self->classes, Class, k).color = color;
  update_palette (self);
  g_signal_emit (self, signals[CLASSES_CHANGED], 0);
}

/* ---- prediction ---- */

DlsPrediction *
dls_document_get_prediction (DlsDocument *self)
{
  return self->prediction;
}

void
dls_document_set_prediction (DlsDocument *self, DlsPrediction *p)
{
  if (p != NULL)
    dls_prediction_ref (p);
  g_clear_pointer (&self->prediction, dls_prediction_unref);
  self->prediction = p;
  g_signal_emit (self, signals[PREDICTION_CHANGED], 0, -1);
}

void
dls_document_prediction_arrived (DlsDocument *self, int z)
{
  g_signal_emit (self, signals[PREDICTION_CHANGED], 0, z);
}
