/* SPDX-License-Identifier: MIT
 *
 * test-document.c: the app's GTK-free document layer — DlsDocument (loading a volume, labels
 * restored beside it, undo, autosave, classes, the shown prediction), DlsTrainJob (training and
 * predicting on a worker thread, notifying the main context) and the bundled sample.  Every
 * file is made at test time in a temporary folder; no display is needed.
 *
 * Waiting is done by iterating the default main context until a callback has set a flag, with
 * a generous timeout that fails the test instead of hanging it; nothing asserts on timings.
 */
#include "document.h"
#include "hostile.h"
#include "project.h"
#include "labels-file.h"
#include "sample.h"
#include "tmpdir.h"
#include "synth.h"
#include "tiff.h"
#include "train-job.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>
#include <utime.h>

static GThread *main_thread;

/* ---- temporary folders ---- */


/* ---- waiting on the main context ---- */

/* Iterates the default main context until *flag is non-zero (set by a callback there or by
 * another thread); fails after `seconds` instead of hanging. */
static void
run_until (const int *flag, guint seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (!g_atomic_int_get (flag))
    {
      if (g_get_monotonic_time () > end)
        g_error ("nothing happened in %u s", seconds);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static void
on_finalized (gpointer data, GObject *where_the_object_was)
{
  g_atomic_int_set ((int *) data, 1);
}

/* Drops the last reference to doc.  A background save's GTask may hold the document a moment
 * after "autosaved" (the worker lets go of the task after the result was delivered), so this
 * waits for it instead of asserting at once. */
static void
finalize_document (DlsDocument *doc)
{
  int finalized = 0;

  g_object_weak_ref (G_OBJECT (doc), on_finalized, &finalized);
  g_object_unref (doc);
  run_until (&finalized, 20);
}

/* Dispatches whatever is ready now, without waiting. */
static void
drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ---- files ---- */

/* Z × Y × X uint16 with value(z, y, x) = 1000 z + 10 y + x. */
static guint16 *
ramp_u16 (int Z, int Y, int X)
{
  guint16 *v = g_new (guint16, (gsize) Z * Y * X);

  for (int z = 0; z < Z; z++)
    for (int y = 0; y < Y; y++)
      for (int x = 0; x < X; x++)
        v[((gsize) z * Y + y) * X + x] = (guint16) (1000 * z + 10 * y + x);
  return v;
}

static char *
write_ramp (const char *dir, const char *name, int Z, int Y, int X)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint16 *v = ramp_u16 (Z, Y, X);
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (dls_tiff_write_u16 (path, v, Z, Y, X, &error));
  g_assert_no_error (error);
  return path;
}

/* Z pages of Y × X RGB, 8 bits, contiguous: (10 z + 1, 3 y + x, 200). */
static char *
write_rgb (const char *dir, const char *name, int Z, int Y, int X)
{
  char *path = g_build_filename (dir, name, NULL);
  TIFF *t = TIFFOpen (path, "w");
  g_autofree guint8 *row = g_new (guint8, (gsize) 3 * X);

  g_assert_nonnull (t);
  for (int z = 0; z < Z; z++)
    {
      TIFFSetField (t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
      TIFFSetField (t, TIFFTAG_IMAGEWIDTH, (guint32) X);
      TIFFSetField (t, TIFFTAG_IMAGELENGTH, (guint32) Y);
      TIFFSetField (t, TIFFTAG_BITSPERSAMPLE, 8);
      TIFFSetField (t, TIFFTAG_SAMPLESPERPIXEL, 3);
      TIFFSetField (t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
      TIFFSetField (t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
      TIFFSetField (t, TIFFTAG_ROWSPERSTRIP, (guint32) Y);
      TIFFSetField (t, TIFFTAG_PAGENUMBER, z, Z);
      for (int y = 0; y < Y; y++)
        {
          for (int x = 0; x < X; x++)
            {
              row[3 * x] = (guint8) (10 * z + 1);
              row[3 * x + 1] = (guint8) (3 * y + x);
              row[3 * x + 2] = 200;
            }
          g_assert_cmpint (TIFFWriteScanline (t, row, (guint32) y, 0), ==, 1);
        }
      g_assert_true (TIFFWriteDirectory (t));
    }
  TIFFClose (t);
  return path;
}

static guint8 *
read_labels (const char *path, int Z, int Y, int X)
{
  g_autoptr (GError) error = NULL;
  guint8 *labels = dls_labels_file_load (path, Z, Y, X, 255, &error);

  g_assert_no_error (error);
  g_assert_nonnull (labels);
  return labels;
}

static void
assert_file_has_labels (DlsDocument *doc)
{
  int Z, Y, X;
  g_autofree guint8 *on_disk = NULL;

  dls_document_get_size (doc, &Z, &Y, &X);
  on_disk = read_labels (dls_document_get_labels_path (doc), Z, Y, X);
  g_assert_cmpmem (on_disk, (gsize) Z * Y * X, dls_document_get_labels (doc), (gsize) Z * Y * X);
}

/* A document on a ramp volume that exists in memory only; its labels go to dir. */
static DlsDocument *
memory_document (const char *dir, int Z, int Y, int X)
{
  g_autofree char *path = g_build_filename (dir, "memory.tif", NULL);
  g_autofree guint16 *v = ramp_u16 (Z, Y, X);
  gsize n = (gsize) Z * Y * X;
  float *f = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    f[i] = v[i];
  return dls_document_new_for_volume (path, f, Z, Y, X, "uint16");
}

/* ---- signal recorders ---- */

typedef struct
{
  int count;
  guint64 lo, hi;
} LabelsLog;

static void
on_labels_changed (DlsDocument *doc, guint64 lo, guint64 hi, LabelsLog *log)
{
  log->count++;
  log->lo = lo;
  log->hi = hi;
}

typedef struct
{
  int count;
  int n_errors;
  GError *last_error; /* a copy */
} SaveLog;

static void
on_autosaved (DlsDocument *doc, gpointer error, SaveLog *log)
{
  g_assert_true (g_thread_self () == main_thread);
  g_clear_error (&log->last_error);
  if (error != NULL)
    {
      log->last_error = g_error_copy (error);
      log->n_errors++;
    }
  log->count++;
}

static void
on_count (gpointer instance, int *count)
{
  (*count)++;
}

typedef struct
{
  int count;
  GArray *z; /* of int */
} PredictionLog;

static void
on_prediction_changed (DlsDocument *doc, int z, PredictionLog *log)
{
  g_assert_true (g_thread_self () == main_thread);
  log->count++;
  g_array_append_val (log->z, z);
}

/* =================================== document: loading =================================== */

static void
test_load_stack (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  g_autofree char *path = write_ramp (dir, "ramp.tif", 3, 5, 7);
  g_autofree char *labels_path = g_build_filename (dir, "ramp.labels.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *desc = NULL;
  gint progress = 0;
  DlsDocument *doc;
  const float *v;
  int Z, Y, X;

  doc = dls_document_load (path, NULL, &progress, &error);
  g_assert_no_error (error);
  g_assert_nonnull (doc);
  g_assert_cmpint (g_atomic_int_get (&progress), ==, 1000);

  dls_document_get_size (doc, &Z, &Y, &X);
  g_assert_cmpint (Z, ==, 3);
  g_assert_cmpint (Y, ==, 5);
  g_assert_cmpint (X, ==, 7);
  v = dls_document_get_volume (doc);
  for (int z = 0; z < Z; z++)
    for (int y = 0; y < Y; y++)
      for (int x = 0; x < X; x++)
        g_assert_cmpfloat (v[(z * Y + y) * X + x], ==, 1000 * z + 10 * y + x);

  desc = dls_document_describe (doc);
  g_assert_cmpstr (desc, ==, "7 × 5 × 3, uint16");
  g_assert_cmpstr (dls_document_get_path (doc), ==, path);
  g_assert_cmpstr (dls_document_get_name (doc), ==, "ramp.tif");
  g_assert_cmpstr (dls_document_get_labels_path (doc), ==, labels_path);
  g_assert_null (dls_document_get_labels_warning (doc));
  g_assert_cmpint (dls_document_get_restored_labels (doc), ==, 0);
  g_assert_false (dls_document_get_labels_dirty (doc));
  g_assert_cmpint (dls_document_count_labelled (doc, NULL, 0), ==, 0);
  for (gsize i = 0; i < 3 * 5 * 7; i++)
    g_assert_cmpuint (dls_document_get_labels (doc)[i], ==, 0);
  g_assert_cmpint (dls_document_get_n_classes (doc), ==, 2);
  g_assert_null (dls_document_get_prediction (doc));

  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

static void
test_load_2d (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  g_autofree char *path = write_ramp (dir, "flat.tif", 1, 4, 6);
  g_autoptr (GError) error = NULL;
  g_autofree char *desc = NULL;
  gint progress = 0;
  DlsDocument *doc;
  int Z, Y, X;

  doc = dls_document_load (path, NULL, &progress, &error);
  g_assert_no_error (error);
  g_assert_cmpint (progress, ==, 1000);
  dls_document_get_size (doc, &Z, &Y, &X);
  g_assert_cmpint (Z, ==, 1);
  g_assert_cmpint (Y, ==, 4);
  g_assert_cmpint (X, ==, 6);
  g_assert_cmpfloat (dls_document_get_volume (doc)[3 * 6 + 5], ==, 35);
  desc = dls_document_describe (doc);
  g_assert_cmpstr (desc, ==, "6 × 4, uint16");

  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

static void
test_load_rgb (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  g_autofree char *path = write_rgb (dir, "rgb.tif", 2, 3, 4);
  g_autoptr (GError) error = NULL;
  g_autofree char *desc = NULL;
  gint progress = 0;
  DlsDocument *doc;
  const float *v;
  int Z, Y, X;

  doc = dls_document_load (path, NULL, &progress, &error);
  g_assert_no_error (error);
  g_assert_cmpint (progress, ==, 1000);
  dls_document_get_size (doc, &Z, &Y, &X);
  g_assert_cmpint (Z, ==, 2);
  g_assert_cmpint (Y, ==, 3);
  g_assert_cmpint (X, ==, 4);
  /* the three channels averaged into one */
  v = dls_document_get_volume (doc);
  for (int z = 0; z < Z; z++)
    for (int y = 0; y < Y; y++)
      for (int x = 0; x < X; x++)
        g_assert_cmpfloat_with_epsilon (v[(z * Y + y) * X + x],
                                        ((10 * z + 1) + (3 * y + x) + 200) / 3.0, 1e-4);
  desc = dls_document_describe (doc);
  g_assert_cmpstr (desc, ==, "4 × 3 × 2, uint8");

  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

/* A folder of single-slice TIFFs, in natural order; its labels live beside the folder, where
 * they are not read as one more slice. */
static void
test_load_folder (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  g_autofree char *folder = g_build_filename (dir, "slices", NULL);
  g_autofree char *folder_slash = g_strconcat (folder, G_DIR_SEPARATOR_S, NULL);
  g_autofree char *labels_path = g_build_filename (dir, "slices.labels.tif", NULL);
  const char *const names[] = { "img1.tif", "img2.tif", "img10.tif" };
  const gsize idx[] = { 5, 30 };
  g_autoptr (GError) error = NULL;
  gint progress = 0;
  DlsDocument *doc;
  int Z, Y, X;

  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  for (int z = 0; z < 3; z++)
    {
      g_autofree char *path = g_build_filename (folder, names[z], NULL);
      guint16 v[4 * 5];

      for (int i = 0; i < 4 * 5; i++)
        v[i] = (guint16) (100 * z + i);
      g_assert_true (dls_tiff_write_u16 (path, v, 1, 4, 5, &error));
      g_assert_no_error (error);
    }

  doc = dls_document_load (folder_slash, NULL, &progress, &error);
  g_assert_no_error (error);
  g_assert_cmpint (progress, ==, 1000);
  dls_document_get_size (doc, &Z, &Y, &X);
  g_assert_cmpint (Z, ==, 3);
  g_assert_cmpint (Y, ==, 4);
  g_assert_cmpint (X, ==, 5);
  for (int z = 0; z < 3; z++)
    g_assert_cmpfloat (dls_document_get_volume (doc)[z * 20 + 7], ==, 100 * z + 7);
  g_assert_cmpstr (dls_document_get_labels_path (doc), ==, labels_path);

  /* labels saved, then the folder opened again: the same three slices, the labels back */
  dls_document_set_autosave_interval (doc, 3600);
  dls_document_get_labels (doc)[5] = 1;
  dls_document_get_labels (doc)[30] = 2;
  dls_document_labels_changed (doc, idx[0], idx[1]);
  g_assert_true (dls_document_save_labels (doc, &error));
  g_assert_no_error (error);
  g_assert_finalize_object (doc);

  doc = dls_document_load (folder, NULL, NULL, &error);
  g_assert_no_error (error);
  dls_document_get_size (doc, &Z, &Y, &X);
  g_assert_cmpint (Z, ==, 3);
  g_assert_null (dls_document_get_labels_warning (doc));
  g_assert_cmpint (dls_document_get_restored_labels (doc), ==, 2);
  g_assert_cmpuint (dls_document_get_labels (doc)[30], ==, 2);
  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

static void
test_load_not_tiff (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  g_autofree char *path = g_build_filename (dir, "notes.tif", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.tif", NULL);
  g_autoptr (GError) error = NULL;
  gint progress = 0;

  g_assert_true (g_file_set_contents (path, "this is not a TIFF file\n", -1, NULL));
  g_assert_null (dls_document_load (path, NULL, &progress, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, !=, "");
  g_assert_cmpint (progress, ==, 0);
  g_clear_error (&error);

  g_assert_null (dls_document_load (missing, NULL, NULL, &error));
  g_assert_nonnull (error);
  dls_test_tmpdir_remove (dir);
}

static void
test_load_cancelled (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  g_autofree char *path = write_ramp (dir, "ramp.tif", 3, 5, 7);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  gint progress = 0;

  g_cancellable_cancel (cancellable);
  g_assert_null (dls_document_load (path, cancellable, &progress, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (progress, <, 1000);
  dls_test_tmpdir_remove (dir);
}

/* =================================== document: labels ==================================== */

static void
test_labels_restore (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  g_autofree char *path = write_ramp (dir, "vol.tif", 3, 5, 7);
  g_autofree char *labels_path = g_build_filename (dir, "vol.labels.tif", NULL);
  g_autofree guint8 *labels = g_new0 (guint8, 3 * 5 * 7);
  g_autoptr (GError) error = NULL;
  g_autofree char *name1 = NULL, *name2 = NULL;
  gint64 per_class[4];
  guint32 color1, color2;
  DlsDocument *doc;

  /* the names and colours of a fresh document's classes, to check they stay */
  doc = memory_document (dir, 1, 1, 1);
  name1 = g_strdup (dls_document_get_class_name (doc, 1));
  name2 = g_strdup (dls_document_get_class_name (doc, 2));
  color1 = dls_document_get_class_color (doc, 1);
  color2 = dls_document_get_class_color (doc, 2);
  g_assert_finalize_object (doc);

  labels[0] = 1;
  labels[17] = 2;
  labels[18] = 2;
  labels[3 * 5 * 7 - 1] = 3;
  g_assert_true (dls_labels_file_save (labels_path, labels, 3, 5, 7, &error));
  g_assert_no_error (error);

  doc = dls_document_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (dls_document_get_labels_warning (doc));
  g_assert_cmpint (dls_document_get_restored_labels (doc), ==, 4);
  g_assert_cmpmem (dls_document_get_labels (doc), 3 * 5 * 7, labels, 3 * 5 * 7);
  g_assert_cmpint (dls_document_count_labelled (doc, per_class, 4), ==, 4);
  g_assert_cmpint (per_class[1], ==, 1);
  g_assert_cmpint (per_class[2], ==, 2);
  g_assert_cmpint (per_class[3], ==, 1);
  /* restoring is not a change */
  g_assert_false (dls_document_get_labels_dirty (doc));

  /* class 3 is in the labels: a third class appears, the first two are as before */
  g_assert_cmpint (dls_document_get_n_classes (doc), ==, 3);
  g_assert_cmpstr (dls_document_get_class_name (doc, 1), ==, name1);
  g_assert_cmpstr (dls_document_get_class_name (doc, 2), ==, name2);
  g_assert_cmpuint (dls_document_get_class_color (doc, 1), ==, color1);
  g_assert_cmpuint (dls_document_get_class_color (doc, 2), ==, color2);
  g_assert_cmpstr (dls_document_get_class_name (doc, 3), ==, "Class 3");
  g_assert_cmpuint (dls_document_get_palette (doc)[3], ==, dls_document_get_class_color (doc, 3));
  g_assert_cmpuint (dls_document_get_palette (doc)[3], !=, 0);
  g_assert_cmpuint (dls_document_get_palette (doc)[4], ==, 0);

  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

static void stroke (DlsDocument *doc, const gsize *idx, int n, guint8 value);

static void
test_labels_wrong_size (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  g_autofree char *path = write_ramp (dir, "vol.tif", 3, 5, 7);
  g_autofree char *labels_path = g_build_filename (dir, "vol.labels.tif", NULL);
  g_autofree guint8 *labels = g_new0 (guint8, 2 * 5 * 7);
  g_autofree char *before = NULL, *after = NULL;
  gsize n_before, n_after;
  g_autoptr (GError) error = NULL;
  const char *warning;
  DlsDocument *doc;

  memset (labels, 1, 2 * 5 * 7);
  g_assert_true (dls_labels_file_save (labels_path, labels, 2, 5, 7, &error));
  g_assert_true (g_file_get_contents (labels_path, &before, &n_before, NULL));

  doc = dls_document_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (doc);
  for (gsize i = 0; i < 3 * 5 * 7; i++)
    g_assert_cmpuint (dls_document_get_labels (doc)[i], ==, 0);
  g_assert_cmpint (dls_document_get_restored_labels (doc), ==, 0);
  warning = dls_document_get_labels_warning (doc);
  g_assert_nonnull (warning);
  g_assert_nonnull (strstr (warning, "2 × 5 × 7"));
  g_assert_nonnull (strstr (warning, "3 × 5 × 7"));
  g_assert_cmpint (dls_document_get_n_classes (doc), ==, 2);
  /* new labels go beside it, to a file of their own */
  g_assert_true (g_str_has_suffix (dls_document_get_labels_path (doc), "vol.labels-2.tif"));
  {
    const gsize idx[] = { 7, 8 };

    stroke (doc, idx, G_N_ELEMENTS (idx), 2);
    g_assert_true (dls_document_save_labels (doc, &error));
    g_assert_no_error (error);
    assert_file_has_labels (doc);
  }
  g_assert_finalize_object (doc);

  /* left alone */
  g_assert_true (g_file_get_contents (labels_path, &after, &n_after, NULL));
  g_assert_cmpmem (before, n_before, after, n_after);
  dls_test_tmpdir_remove (dir);
}

/* Temporary files of a save that was killed half-way go when the volume is opened again,
 * once nobody has written to them for a minute; younger ones and other files stay. */
static void
test_labels_stale_parts (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  g_autofree char *path = write_ramp (dir, "vol ä.tif", 3, 5, 7);
  g_autofree char *old_part = g_build_filename (dir, ".vol ä.labels.tif.aB3dE9.part", NULL);
  g_autofree char *new_part = g_build_filename (dir, ".vol ä.labels.tif.Qw12Er.part", NULL);
  g_autofree char *other = g_build_filename (dir, ".other.tif.aB3dE9.part", NULL);
  g_autoptr (GError) error = NULL;
  struct utimbuf an_hour_ago = { time (NULL) - 3600, time (NULL) - 3600 };
  DlsDocument *doc;

  g_assert_true (g_file_set_contents (old_part, "half a TIFF", -1, NULL));
  g_assert_true (g_file_set_contents (new_part, "being written", -1, NULL));
  g_assert_true (g_file_set_contents (other, "not ours", -1, NULL));
  g_assert_cmpint (g_utime (old_part, &an_hour_ago), ==, 0);
  g_assert_cmpint (g_utime (other, &an_hour_ago), ==, 0);

  doc = dls_document_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (dls_document_get_labels_warning (doc));
  g_assert_false (g_file_test (old_part, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (new_part, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (other, G_FILE_TEST_EXISTS));
  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

/* One stroke: voxels idx[0..n) set to `value` through the document's undo, then announced. */
static void
stroke (DlsDocument *doc, const gsize *idx, int n, guint8 value)
{
  guint8 *labels = dls_document_get_labels (doc);
  DlsUndo *undo = dls_document_get_undo (doc);
  gsize lo = G_MAXSIZE, hi = 0;

  dls_undo_begin (undo);
  for (int i = 0; i < n; i++)
    if (labels[idx[i]] != value)
      {
        dls_undo_record (undo, idx[i], labels[idx[i]], value);
        labels[idx[i]] = value;
        lo = MIN (lo, idx[i]);
        hi = MAX (hi, idx[i]);
      }
  if (dls_undo_end (undo))
    dls_document_labels_changed (doc, lo, hi);
}

static void
test_labels_undo_redo (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = memory_document (dir, 3, 5, 7);
  const gsize first[] = { 40, 41, 42, 47 }, second[] = { 41, 90 };
  g_autofree guint8 *zero = g_new0 (guint8, 3 * 5 * 7);
  g_autofree guint8 *after_first = NULL, *after_second = NULL;
  guint8 *labels = dls_document_get_labels (doc);
  LabelsLog log = { 0 };
  gsize lo = 0, hi = 0;

  dls_document_set_autosave_interval (doc, 3600); /* no save during this test */
  g_signal_connect (doc, "labels-changed", G_CALLBACK (on_labels_changed), &log);
  g_assert_false (dls_document_get_labels_dirty (doc));

  stroke (doc, first, G_N_ELEMENTS (first), 1);
  g_assert_cmpint (log.count, ==, 1);
  g_assert_cmpuint (log.lo, ==, 40);
  g_assert_cmpuint (log.hi, ==, 47);
  g_assert_true (dls_document_get_labels_dirty (doc));
  after_first = dls_document_copy_labels (doc);

  stroke (doc, second, G_N_ELEMENTS (second), 2);
  g_assert_cmpint (log.count, ==, 2);
  g_assert_cmpuint (log.lo, ==, 41);
  g_assert_cmpuint (log.hi, ==, 90);
  after_second = dls_document_copy_labels (doc);
  g_assert_cmpuint (after_second[41], ==, 2);
  g_assert_cmpuint (after_second[40], ==, 1);

  /* undo the second stroke: exactly the state after the first, range reported and emitted */
  g_assert_true (dls_document_undo (doc, &lo, &hi));
  g_assert_cmpuint (lo, ==, 41);
  g_assert_cmpuint (hi, ==, 90);
  g_assert_cmpint (log.count, ==, 3);
  g_assert_cmpuint (log.lo, ==, 41);
  g_assert_cmpuint (log.hi, ==, 90);
  g_assert_cmpmem (labels, 3 * 5 * 7, after_first, 3 * 5 * 7);
  g_assert_true (dls_document_get_labels_dirty (doc));

  g_assert_true (dls_document_undo (doc, &lo, &hi));
  g_assert_cmpuint (lo, ==, 40);
  g_assert_cmpuint (hi, ==, 47);
  g_assert_cmpmem (labels, 3 * 5 * 7, zero, 3 * 5 * 7);
  g_assert_cmpint (log.count, ==, 4);

  /* nothing left to undo: no signal */
  g_assert_false (dls_document_undo (doc, &lo, &hi));
  g_assert_cmpint (log.count, ==, 4);

  g_assert_true (dls_document_redo (doc, NULL, NULL));
  g_assert_cmpmem (labels, 3 * 5 * 7, after_first, 3 * 5 * 7);
  g_assert_cmpint (log.count, ==, 5);
  g_assert_cmpuint (log.lo, ==, 40);
  g_assert_cmpuint (log.hi, ==, 47);
  g_assert_true (dls_document_redo (doc, &lo, &hi));
  g_assert_cmpuint (lo, ==, 41);
  g_assert_cmpuint (hi, ==, 90);
  g_assert_cmpmem (labels, 3 * 5 * 7, after_second, 3 * 5 * 7);
  g_assert_false (dls_document_redo (doc, &lo, &hi));
  g_assert_cmpint (log.count, ==, 6);

  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

/* ================================== document: autosave =================================== */

static void
test_autosave (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = memory_document (dir, 3, 5, 7);
  const gsize idx[] = { 3, 4, 5, 60 };
  SaveLog log = { 0 };

  dls_document_set_autosave_interval (doc, 1);
  g_signal_connect (doc, "autosaved", G_CALLBACK (on_autosaved), &log);
  stroke (doc, idx, G_N_ELEMENTS (idx), 2);
  g_assert_true (dls_document_get_labels_dirty (doc));
  g_assert_false (g_file_test (dls_document_get_labels_path (doc), G_FILE_TEST_EXISTS));

  run_until (&log.count, 20);
  g_assert_cmpint (log.count, ==, 1);
  g_assert_no_error (log.last_error);
  assert_file_has_labels (doc);
  g_assert_false (dls_document_get_labels_dirty (doc));

  finalize_document (doc);
  dls_test_tmpdir_remove (dir);
}

/* Edits made while a save is writing are not lost: a later autosave writes them. */
static void
test_autosave_change_during_save (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = memory_document (dir, 3, 5, 7);
  const gsize first[] = { 1, 2 }, second[] = { 70, 71 };
  SaveLog log = { 0 };

  dls_document_set_autosave_interval (doc, 1);
  g_signal_connect (doc, "autosaved", G_CALLBACK (on_autosaved), &log);
  stroke (doc, first, G_N_ELEMENTS (first), 1);
  /* what the timer does: a save on a worker thread; its end is reported on the main context,
   * which has not run yet, so the next stroke lands while it is still saving */
  g_assert_true (dls_document_save_labels (doc, NULL));
  stroke (doc, second, G_N_ELEMENTS (second), 2);

  run_until (&log.count, 20);
  g_assert_no_error (log.last_error);
  /* the first save held the first stroke only */
  g_assert_true (dls_document_get_labels_dirty (doc));

  /* then the second stroke, in one more save */
  log.count = 0;
  run_until (&log.count, 20);
  g_assert_no_error (log.last_error);
  g_assert_false (dls_document_get_labels_dirty (doc));
  assert_file_has_labels (doc);
  g_assert_cmpuint (dls_document_get_labels (doc)[71], ==, 2);

  finalize_document (doc);
  dls_test_tmpdir_remove (dir);
}

/* Painting that never pauses still gets saved: at most `interval` after the first unsaved
 * stroke, not `interval` after the last one (which never comes while the user paints). */
static void
test_autosave_busy_painting (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = memory_document (dir, 3, 5, 7);
  g_autofree guint8 *first = NULL;
  SaveLog log = { 0 };
  gint64 give_up = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  int n = 0;

  dls_document_set_autosave_interval (doc, 1);
  g_signal_connect (doc, "autosaved", G_CALLBACK (on_autosaved), &log);
  /* a stroke every 50 ms, each shorter than the interval apart, until a save happened */
  while (log.count == 0)
    {
      gsize idx = (gsize) (n % 105);

      g_assert_cmpint (g_get_monotonic_time (), <, give_up);
      stroke (doc, &idx, 1, (guint8) (1 + n / 105 % 2));
      if (n == 0)
        first = dls_document_copy_labels (doc);
      n++;
      for (gint64 next = g_get_monotonic_time () + 50000; g_get_monotonic_time () < next;)
        if (!g_main_context_iteration (NULL, FALSE))
          g_usleep (1000);
    }
  g_assert_no_error (log.last_error);
  /* the first stroke is on disk, while the painting never paused for a whole interval */
  {
    g_autofree guint8 *on_disk = read_labels (dls_document_get_labels_path (doc), 3, 5, 7);

    g_assert_cmpuint (on_disk[0], ==, first[0]);
  }
  g_test_message ("saved while painting, after %d strokes 50 ms apart", n);

  finalize_document (doc);
  dls_test_tmpdir_remove (dir);
}

/* The autosave's per-user folder, where labels of volumes in read-only folders go. */
static char *
fallback_folder (void)
{
  return g_build_filename (g_get_user_data_dir (), "dlsia-studio", "autosave", NULL);
}

/* A label folder that cannot be written: the autosave goes once to the per-user folder, says
 * so, and keeps saving there without an error each time. */
static void
test_autosave_read_only (void)
{
  g_autofree char *dir = NULL, *ro = NULL, *labels_path = NULL, *folder = fallback_folder ();
  const gsize idx[] = { 10, 11, 12 }, more[] = { 50 };
  const char *where;
  SaveLog log = { 0 };
  DlsDocument *doc;

  dir = dls_test_tmpdir_new ("dls-document");
  ro = g_build_filename (dir, "read-only", NULL);
  labels_path = g_build_filename (ro, "vol.labels.tif", NULL);
  /* a "folder" that is a file refuses writes for root too */
  g_assert_true (g_file_set_contents (ro, "not a folder", -1, NULL));

  doc = memory_document (dir, 3, 5, 7);
  dls_document_set_labels_path (doc, labels_path);
  g_assert_cmpstr (dls_document_get_labels_path (doc), ==, labels_path);
  g_assert_null (dls_document_get_labels_fallback (doc));
  dls_document_set_autosave_interval (doc, 1);
  g_signal_connect (doc, "autosaved", G_CALLBACK (on_autosaved), &log);
  stroke (doc, idx, G_N_ELEMENTS (idx), 1);

  run_until (&log.count, 20);
  g_assert_no_error (log.last_error);
  g_assert_false (dls_document_get_labels_dirty (doc));
  where = dls_document_get_labels_fallback (doc);
  g_assert_nonnull (where);
  g_assert_cmpstr (where, ==, dls_document_get_labels_path (doc));
  g_assert_true (g_str_has_prefix (where, folder));
  g_assert_true (g_str_has_suffix (where, "-memory.labels.tif"));
  assert_file_has_labels (doc);
  g_assert_false (g_file_test (labels_path, G_FILE_TEST_EXISTS));

  /* and there it stays */
  log.count = 0;
  stroke (doc, more, G_N_ELEMENTS (more), 2);
  run_until (&log.count, 20);
  g_assert_no_error (log.last_error);
  g_assert_cmpstr (dls_document_get_labels_fallback (doc), ==, where);
  assert_file_has_labels (doc);

  g_assert_cmpint (g_unlink (where), ==, 0);
  finalize_document (doc);
  dls_test_tmpdir_remove (dir);
}

/* When the per-user folder cannot be made either, the error names both places and the labels
 * stay as they are, unsaved. */
static void
test_autosave_nowhere (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  g_autofree char *ro = g_build_filename (dir, "read-only", NULL);
  g_autofree char *labels_path = g_build_filename (ro, "vol.labels.tif", NULL);
  g_autofree char *blocker = g_build_filename (g_get_user_data_dir (), "dlsia-studio", NULL);
  g_autofree guint8 *before = NULL;
  const gsize idx[] = { 10, 11, 12 };
  SaveLog log = { 0 };
  DlsDocument *doc;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  if (g_file_test (blocker, G_FILE_TEST_IS_DIR))
    dls_test_tmpdir_remove (blocker);
  g_assert_true (g_file_set_contents (blocker, "not a folder", -1, NULL));
  g_assert_true (g_file_set_contents (ro, "not a folder", -1, NULL));

  doc = memory_document (dir, 3, 5, 7);
  dls_document_set_labels_path (doc, labels_path);
  dls_document_set_autosave_interval (doc, 1);
  g_signal_connect (doc, "autosaved", G_CALLBACK (on_autosaved), &log);
  stroke (doc, idx, G_N_ELEMENTS (idx), 1);
  before = dls_document_copy_labels (doc);

  run_until (&log.count, 20);
  g_assert_nonnull (log.last_error);
  g_test_message ("%s", log.last_error->message);
  g_assert_nonnull (strstr (log.last_error->message, "vol.labels.tif"));
  g_assert_nonnull (strstr (log.last_error->message, "dlsia-studio"));
  g_assert_cmpmem (dls_document_get_labels (doc), 3 * 5 * 7, before, 3 * 5 * 7);
  g_assert_true (dls_document_get_labels_dirty (doc));
  g_assert_null (dls_document_get_labels_fallback (doc));
  g_assert_false (g_file_test (labels_path, G_FILE_TEST_EXISTS));

  /* the synchronous save fails the same way */
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (dls_document_save_labels (doc, &error));
    g_assert_nonnull (error);
    g_assert_true (dls_document_get_labels_dirty (doc));
  }

  g_clear_error (&log.last_error);
  finalize_document (doc);
  g_assert_cmpint (g_unlink (blocker), ==, 0);
  dls_test_tmpdir_remove (dir);
}

/* A volume on a read-only share (a read-only tmpfs, or a folder without write permission):
 * its labels are kept in the per-user folder and come back when the volume is opened again;
 * a volume of the same name elsewhere does not see them. */
static void
test_autosave_read_only_reopen (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  g_autofree char *share = g_build_filename (dir, "share ä", NULL);
  g_autofree char *other = g_build_filename (dir, "other", NULL);
  g_autofree char *path = NULL, *other_path = NULL, *fallback = NULL, *other_fallback = NULL;
  g_autofree char *why = NULL, *folder = fallback_folder (), *beside = NULL;
  g_autofree guint8 *painted = NULL;
  g_autoptr (GError) error = NULL;
  const gsize idx[] = { 1, 2, 3, 40 };
  gboolean mounted;
  DlsDocument *doc;

  g_assert_cmpint (g_mkdir (share, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (other, 0755), ==, 0);
  mounted = dls_test_mount_tmpfs (share, 1024, &why);
  g_clear_pointer (&why, g_free);
  path = write_ramp (share, "scan.tif", 3, 5, 7);
  other_path = write_ramp (other, "scan.tif", 3, 5, 7);
  if (!dls_test_make_read_only (share, mounted, &why))
    {
      if (mounted)
        dls_test_unmount (share);
      dls_test_tmpdir_remove (dir);
      g_test_skip (why);
      return;
    }
  fallback = dls_document_fallback_labels_path (path);
  other_fallback = dls_document_fallback_labels_path (other_path);
  g_assert_cmpstr (fallback, !=, other_fallback);
  g_assert_true (g_str_has_prefix (fallback, folder));

  doc = dls_document_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  dls_document_set_autosave_interval (doc, 3600);
  stroke (doc, idx, G_N_ELEMENTS (idx), 2);
  painted = dls_document_copy_labels (doc);
  /* closing the window saves at once */
  g_assert_true (dls_document_save_labels (doc, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (dls_document_get_labels_fallback (doc), ==, fallback);
  g_assert_finalize_object (doc);
  beside = dls_labels_path_for_volume (path);
  g_assert_false (g_file_test (beside, G_FILE_TEST_EXISTS));

  doc = dls_document_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (dls_document_get_labels_warning (doc));
  g_assert_cmpint (dls_document_get_restored_labels (doc), ==, G_N_ELEMENTS (idx));
  g_assert_cmpstr (dls_document_get_labels_fallback (doc), ==, fallback);
  g_assert_cmpmem (dls_document_get_labels (doc), 3 * 5 * 7, painted, 3 * 5 * 7);
  g_assert_finalize_object (doc);

  doc = dls_document_load (other_path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dls_document_get_restored_labels (doc), ==, 0);
  g_assert_null (dls_document_get_labels_fallback (doc));
  g_assert_finalize_object (doc);

  g_assert_cmpint (g_unlink (fallback), ==, 0);
  if (mounted)
    dls_test_unmount (share);
  dls_test_tmpdir_remove (dir);
}

static void
test_save_sync (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = memory_document (dir, 3, 5, 7);
  const gsize idx[] = { 0, 104 };
  g_autoptr (GError) error = NULL;
  SaveLog log = { 0 };

  dls_document_set_autosave_interval (doc, 1);
  g_signal_connect (doc, "autosaved", G_CALLBACK (on_autosaved), &log);

  /* nothing to save yet: no file */
  g_assert_true (dls_document_save_labels (doc, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (dls_document_get_labels_path (doc), G_FILE_TEST_EXISTS));

  stroke (doc, idx, G_N_ELEMENTS (idx), 1);
  g_assert_true (dls_document_save_labels (doc, &error));
  g_assert_no_error (error);
  /* written by the time it returns */
  assert_file_has_labels (doc);
  g_assert_false (dls_document_get_labels_dirty (doc));
  drain_main_context ();
  g_assert_cmpint (log.count, ==, 0);

  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

/* Closing the window saves synchronously, possibly while an autosave of older labels is still
 * writing on its worker thread: the newer labels must be what stays on disk. */
static void
test_save_sync_during_autosave (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  const int Z = 48, Y = 256, X = 256;
  gsize n = (gsize) Z * Y * X;
  DlsDocument *doc = memory_document (dir, Z, Y, X);
  guint8 *labels = dls_document_get_labels (doc);
  g_autoptr (GError) error = NULL;
  SaveLog log = { 0 };
  guint32 state = 12345;

  dls_document_set_autosave_interval (doc, 3600);
  g_signal_connect (doc, "autosaved", G_CALLBACK (on_autosaved), &log);

  /* older labels that are slow to compress (noise), saved in the background … */
  for (gsize i = 0; i < n; i++)
    {
      state = state * 1664525u + 1013904223u;
      labels[i] = (state >> 24) % 3;
    }
  dls_document_labels_changed (doc, 0, n - 1);
  g_assert_true (dls_document_save_labels (doc, NULL));
  /* … then newer ones that are quick to write, saved now */
  memset (labels, 0, n);
  labels[n / 2] = 1;
  dls_document_labels_changed (doc, 0, n - 1);
  g_assert_true (dls_document_save_labels (doc, &error));
  g_assert_no_error (error);
  g_assert_false (dls_document_get_labels_dirty (doc));

  run_until (&log.count, 60);
  g_assert_no_error (log.last_error);
  g_assert_false (dls_document_get_labels_dirty (doc));
  assert_file_has_labels (doc);

  finalize_document (doc);
  dls_test_tmpdir_remove (dir);
}

/* =================================== document: classes =================================== */

static void
test_classes (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = memory_document (dir, 1, 2, 2);
  const guint32 *palette = dls_document_get_palette (doc);
  int changed = 0;
  int k;

  g_signal_connect (doc, "classes-changed", G_CALLBACK (on_count), &changed);
  g_assert_cmpint (dls_document_get_n_classes (doc), ==, 2);
  g_assert_cmpstr (dls_document_get_class_name (doc, 1), !=, "");
  g_assert_cmpuint (palette[0], ==, 0);
  g_assert_cmpuint (palette[1], ==, dls_document_get_class_color (doc, 1));
  g_assert_cmpuint (palette[2], ==, dls_document_get_class_color (doc, 2));
  g_assert_cmpuint (palette[3], ==, 0);

  k = dls_document_add_class (doc, "Pores", 0xff112233);
  g_assert_cmpint (k, ==, 3);
  g_assert_cmpint (changed, ==, 1);
  g_assert_cmpint (dls_document_get_n_classes (doc), ==, 3);
  g_assert_cmpstr (dls_document_get_class_name (doc, 3), ==, "Pores");
  g_assert_cmpuint (dls_document_get_class_color (doc, 3), ==, 0xff112233);
  g_assert_cmpuint (palette[3], ==, 0xff112233);

  dls_document_set_class_name (doc, 3, "Voids");
  g_assert_cmpint (changed, ==, 2);
  g_assert_cmpstr (dls_document_get_class_name (doc, 3), ==, "Voids");
  g_assert_cmpuint (palette[3], ==, 0xff112233);

  dls_document_set_class_color (doc, 1, 0xff445566);
  g_assert_cmpint (changed, ==, 3);
  g_assert_cmpuint (dls_document_get_class_color (doc, 1), ==, 0xff445566);
  g_assert_cmpuint (dls_document_get_palette (doc)[1], ==, 0xff445566);

  /* up to DLS_MAX_CLASSES, and not one more */
  while (dls_document_get_n_classes (doc) < DLS_MAX_CLASSES)
    {
      int n = dls_document_get_n_classes (doc);

      g_assert_cmpint (dls_document_add_class (doc, "more", 0xff000000u | (guint32) n), ==, n + 1);
    }
  g_assert_cmpuint (palette[DLS_MAX_CLASSES], ==, 0xff000000u | (DLS_MAX_CLASSES - 1));
  changed = 0;
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*DLS_MAX_CLASSES*");
  g_assert_cmpint (dls_document_add_class (doc, "too many", 0xffffffff), ==, -1);
  g_test_assert_expected_messages ();
  g_assert_cmpint (changed, ==, 0);
  g_assert_cmpint (dls_document_get_n_classes (doc), ==, DLS_MAX_CLASSES);
  g_assert_cmpuint (palette[DLS_MAX_CLASSES + 1], ==, 0);

  /* a class that is not there */
  g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*k >= 1*");
  dls_document_set_class_name (doc, DLS_MAX_CLASSES + 1, "nothing");
  g_test_assert_expected_messages ();
  g_assert_cmpint (changed, ==, 0);

  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

/* ================================= document: prediction ================================== */

static void
test_prediction (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = memory_document (dir, 4, 5, 6);
  DlsPrediction *p = dls_prediction_new (3, 4, 5, 6, 2);
  DlsPrediction *one = dls_prediction_new (2, 4, 5, 6, 1);
  PredictionLog log = { 0, g_array_new (FALSE, FALSE, sizeof (int)) };

  g_assert_nonnull (p);
  g_assert_cmpint (p->K, ==, 3);
  g_assert_cmpint (p->depth, ==, 4);
  g_assert_cmpint (p->height, ==, 5);
  g_assert_cmpint (p->width, ==, 6);
  g_assert_cmpint (p->n_members, ==, 2);
  g_assert_nonnull (p->probs);
  g_assert_nonnull (p->std);
  for (gsize i = 0; i < 3 * 4 * 5 * 6; i++)
    g_assert_cmpfloat (p->probs[i], ==, 0);
  g_assert_null (one->std); /* one member: no spread */
  for (int z = -1; z <= 4; z++)
    g_assert_false (dls_prediction_slice_done (p, z));
  g_atomic_int_set (&p->done[2], 1);
  g_assert_true (dls_prediction_slice_done (p, 2));
  g_assert_false (dls_prediction_slice_done (p, 1));

  g_assert_true (dls_prediction_ref (p) == p);
  dls_prediction_unref (p);
  g_assert_cmpint (p->K, ==, 3);

  g_signal_connect (doc, "prediction-changed", G_CALLBACK (on_prediction_changed), &log);
  dls_document_set_prediction (doc, p);
  g_assert_cmpint (log.count, ==, 1);
  g_assert_cmpint (g_array_index (log.z, int, 0), ==, -1);
  g_assert_true (dls_document_get_prediction (doc) == p);
  /* the document holds its own reference */
  dls_prediction_unref (p);
  g_assert_cmpint (dls_document_get_prediction (doc)->K, ==, 3);

  dls_document_prediction_arrived (doc, 3);
  g_assert_cmpint (log.count, ==, 2);
  g_assert_cmpint (g_array_index (log.z, int, 1), ==, 3);

  dls_document_set_prediction (doc, one);
  g_assert_true (dls_document_get_prediction (doc) == one);
  g_assert_cmpint (g_array_index (log.z, int, 2), ==, -1);
  dls_document_set_prediction (doc, NULL);
  g_assert_null (dls_document_get_prediction (doc));
  g_assert_cmpint (log.count, ==, 4);
  g_assert_cmpint (g_array_index (log.z, int, 3), ==, -1);
  dls_prediction_unref (one);

  g_array_unref (log.z);
  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

/* ======================================= train job ======================================= */

#define FZ 8
#define FY 48
#define FX 48

/* A synthetic fibre volume, labelled with its sparse labels plus every 97th voxel of the truth
 * (so both classes are there whatever the generator drew). */
static DlsDocument *
fibre_document (const char *dir)
{
  gsize n = (gsize) FZ * FY * FX;
  g_autofree guint16 *v = g_new (guint16, n);
  g_autofree guint8 *truth = g_new (guint8, n), *sparse = g_new (guint8, n);
  g_autofree char *path = g_build_filename (dir, "fibres.tif", NULL);
  g_autoptr (GError) error = NULL;
  gint64 per_class[3];
  float *f = g_new (float, n);
  DlsDocument *doc;
  guint8 *labels;

  g_assert_true (
      dls_synth_fibers (&(DlsSynthFibersArgs){ .depth = FZ, .height = FY, .width = FX, .seed = 3 },
                        v, truth, sparse, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    f[i] = v[i];
  doc = dls_document_new_for_volume (path, f, FZ, FY, FX, "uint16");
  labels = dls_document_get_labels (doc);
  for (gsize i = 0; i < n; i++)
    labels[i] = i % 97 == 0 ? truth[i] : sparse[i];
  dls_document_count_labelled (doc, per_class, 3);
  g_assert_cmpint (per_class[1], >, 0);
  g_assert_cmpint (per_class[2], >, 0);
  g_assert_cmpint (dls_document_get_n_classes (doc), ==, 2);
  return doc;
}

typedef struct
{
  DlsTrainJob *job;
  int n_calls;    /* atomic: every call, on whatever thread */
  int off_thread; /* atomic: calls not on the main thread */
  int ended;      /* z = −1 seen */
  GArray *z;      /* of int, main-thread calls in order */
  DlsPrediction *prediction_at_first_slice;
  DlsDocument *doc;
} JobLog;

static void
job_log_init (JobLog *log, DlsDocument *doc)
{
  memset (log, 0, sizeof *log);
  log->z = g_array_new (FALSE, FALSE, sizeof (int));
  log->doc = doc;
}

static void
job_log_clear (JobLog *log)
{
  g_array_unref (log->z);
}

static void
on_job (DlsTrainJob *job, int z, gpointer user_data)
{
  JobLog *log = user_data;

  g_atomic_int_inc (&log->n_calls);
  if (g_thread_self () != main_thread)
    {
      g_atomic_int_inc (&log->off_thread);
      return;
    }
  g_assert_true (job == log->job || log->job == NULL);
  if (z >= 0 && log->z->len == 0)
    log->prediction_at_first_slice = dls_document_get_prediction (log->doc);
  g_array_append_val (log->z, z);
  if (z == -1)
    log->ended = 1;
}

static DlsTrainSettings
small_settings (int members)
{
  return (DlsTrainSettings){
    .arch = DLS_ARCH_SMSNET, .members = members, .epochs = 1, .patch = 32, .seed = 7
  };
}

static void
test_train_job_run (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = fibre_document (dir);
  DlsTrainSettings s = small_settings (2);
  const int z_first = 5;
  gsize hw = (gsize) FY * FX, n = hw * FZ;
  PredictionLog plog = { 0, g_array_new (FALSE, FALSE, sizeof (int)) };
  g_autoptr (GArray) losses = NULL;
  int seen[FZ] = { 0 };
  DlsPrediction *p;
  DlsJobStatus st;
  DlsModel **models;
  JobLog log;
  int n_models;

  job_log_init (&log, doc);
  g_signal_connect (doc, "prediction-changed", G_CALLBACK (on_prediction_changed), &plog);
  log.job = dls_train_job_start (doc, &s, z_first, on_job, &log);
  run_until (&log.ended, 600);

  g_assert_cmpint (g_atomic_int_get (&log.off_thread), ==, 0);
  dls_train_job_get_status (log.job, &st);
  g_assert_cmpstr (st.error, ==, NULL);
  g_assert_cmpint (st.phase, ==, DLS_JOB_DONE);
  g_assert_cmpfloat (st.fraction, ==, 1);
  g_assert_cmpint (st.n_slices, ==, FZ);
  g_assert_cmpint (st.slices_done, ==, FZ);
  g_assert_cmpint (st.last.n_members, ==, 2);
  g_assert_cmpfloat (st.elapsed, >, 0);

  /* the visible slice first, then every other slice once, then the end */
  g_assert_cmpuint (log.z->len, ==, FZ + 1);
  g_assert_cmpint (g_array_index (log.z, int, 0), ==, z_first);
  g_assert_cmpint (g_array_index (log.z, int, FZ), ==, -1);
  for (int i = 0; i < FZ; i++)
    {
      int z = g_array_index (log.z, int, i);

      g_assert_cmpint (z, >=, 0);
      g_assert_cmpint (z, <, FZ);
      seen[z]++;
    }
  for (int z = 0; z < FZ; z++)
    g_assert_cmpint (seen[z], ==, 1);

  /* the new prediction was shown with the first slice, and is complete */
  p = dls_document_get_prediction (doc);
  g_assert_nonnull (p);
  g_assert_true (log.prediction_at_first_slice == p);
  g_assert_cmpint (p->K, ==, 2);
  g_assert_cmpint (p->depth, ==, FZ);
  g_assert_cmpint (p->height, ==, FY);
  g_assert_cmpint (p->width, ==, FX);
  g_assert_cmpint (p->n_members, ==, 2);
  for (int z = 0; z < FZ; z++)
    g_assert_true (dls_prediction_slice_done (p, z));
  for (gsize i = 0; i < n; i++)
    {
      double sum = 0;

      for (int k = 0; k < p->K; k++)
        {
          float v = p->probs[k * n + i];

          g_assert_true (v >= 0 && v <= 1);
          sum += v;
        }
      g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-4);
    }
  g_assert_nonnull (p->std);
  for (gsize i = 0; i < n; i++)
    g_assert_true (isfinite (p->std[i]) && p->std[i] >= 0);

  /* the document heard of it: −1 when the prediction was handed over, then each other slice,
   * then −1 again when the conformal calibration (from the validation pixels of the
   * prediction itself) arrived */
  g_assert_cmpuint (plog.z->len, ==, FZ + 1);
  g_assert_cmpint (g_array_index (plog.z, int, 0), ==, -1);
  for (guint i = 1; i < FZ; i++)
    g_assert_cmpint (g_array_index (plog.z, int, i), ==, g_array_index (log.z, int, i));
  g_assert_cmpint (g_array_index (plog.z, int, FZ), ==, -1);
  g_assert_true (p->calibrated);
  g_assert_cmpfloat (p->conformal.alpha, ==, 0.1);
  g_assert_cmpint (p->conformal.n_calibration, >, 0);

  losses = dls_train_job_get_losses (log.job);
  g_assert_cmpuint (losses->len, >, 0);
  for (guint i = 0; i < losses->len; i++)
    {
      DlsLossPoint *pt = &g_array_index (losses, DlsLossPoint, i);

      g_assert_true (isfinite (pt->loss));
      g_assert_cmpfloat (pt->x, >=, 0);
      g_assert_cmpfloat (pt->x, <=, 2 * s.epochs);
    }
  models = dls_train_job_steal_models (log.job, &n_models);
  g_assert_cmpint (n_models, ==, 2);
  g_assert_nonnull (models[0]);
  g_assert_nonnull (models[1]);
  /* taken once: the caller owns them now */
  g_assert_null (dls_train_job_steal_models (log.job, &n_models));
  g_assert_cmpint (n_models, ==, 0);
  dls_model_free (models[0]);
  dls_model_free (models[1]);
  g_free (models);

  /* nothing more arrives */
  drain_main_context ();
  g_assert_cmpuint (log.z->len, ==, FZ + 1);

  g_free (st.error);
  dls_train_job_free (log.job);
  g_assert_true (dls_document_get_prediction (doc) == p);
  job_log_clear (&log);
  g_array_unref (plog.z);
  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

static gboolean
poll_for_terminal (DlsTrainJob *job, DlsJobStatus *st, guint seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  for (;;)
    {
      dls_train_job_get_status (job, st);
      if (st->phase == DLS_JOB_DONE || st->phase == DLS_JOB_FAILED
          || st->phase == DLS_JOB_CANCELLED)
        return TRUE;
      g_clear_pointer (&st->error, g_free);
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_usleep (10000);
    }
}

/* The callback runs on the main context, when the main context is iterated — never on the
 * worker, even while nobody iterates the context (a test, a CLI, a busy main thread). */
static void
test_train_job_main_context (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = fibre_document (dir);
  DlsTrainSettings s = small_settings (1);
  DlsJobStatus st;
  JobLog log;

  job_log_init (&log, doc);
  log.job = dls_train_job_start (doc, &s, FZ - 1, on_job, &log);
  g_assert_true (poll_for_terminal (log.job, &st, 600));
  g_assert_cmpint (st.phase, ==, DLS_JOB_DONE);
  g_free (st.error);

  /* nothing iterated the main context: nothing was called, the prediction not swapped */
  g_assert_cmpint (g_atomic_int_get (&log.off_thread), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&log.n_calls), ==, 0);
  g_assert_null (dls_document_get_prediction (doc));

  run_until (&log.ended, 60);
  g_assert_cmpint (g_atomic_int_get (&log.off_thread), ==, 0);
  g_assert_cmpuint (log.z->len, ==, FZ + 1);
  g_assert_cmpint (g_array_index (log.z, int, 0), ==, FZ - 1);
  g_assert_cmpint (g_array_index (log.z, int, FZ), ==, -1);
  g_assert_nonnull (dls_document_get_prediction (doc));
  g_assert_null (dls_document_get_prediction (doc)->std); /* one member */

  dls_train_job_free (log.job);
  job_log_clear (&log);
  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

/* A slice outside the volume (a stale position) still gives a whole prediction, shown from the
 * nearest slice on. */
static void
test_train_job_z_first_outside (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = fibre_document (dir);
  DlsTrainSettings s = small_settings (1);
  const int starts[] = { FZ + 3, -2 }, nearest[] = { FZ - 1, 0 };

  for (guint t = 0; t < G_N_ELEMENTS (starts); t++)
    {
      DlsJobStatus st;
      DlsPrediction *p;
      JobLog log;

      dls_document_set_prediction (doc, NULL);
      job_log_init (&log, doc);
      log.job = dls_train_job_start (doc, &s, starts[t], on_job, &log);
      run_until (&log.ended, 600);
      dls_train_job_get_status (log.job, &st);
      g_assert_cmpint (st.phase, ==, DLS_JOB_DONE);
      g_assert_cmpint (st.slices_done, ==, FZ);
      g_free (st.error);
      g_assert_cmpuint (log.z->len, ==, FZ + 1);
      g_assert_cmpint (g_array_index (log.z, int, 0), ==, nearest[t]);
      p = dls_document_get_prediction (doc);
      g_assert_nonnull (p);
      g_assert_true (log.prediction_at_first_slice == p);
      for (int z = 0; z < FZ; z++)
        g_assert_true (dls_prediction_slice_done (p, z));
      dls_train_job_free (log.job);
      job_log_clear (&log);
    }
  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

static gboolean
cancel_on_first_poll (gpointer data)
{
  JobLog *log = data;
  DlsJobStatus st;

  dls_train_job_get_status (log->job, &st);
  /* a time budget of an hour: it cannot be done yet */
  g_assert_cmpint (st.phase, ==, DLS_JOB_TRAINING);
  g_free (st.error);
  dls_train_job_cancel (log->job);
  return G_SOURCE_REMOVE;
}

static void
test_train_job_cancel (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = fibre_document (dir);
  DlsTrainSettings s = small_settings (1);
  DlsPrediction *old = dls_prediction_new (2, FZ, FY, FX, 1);
  PredictionLog plog = { 0, g_array_new (FALSE, FALSE, sizeof (int)) };
  DlsJobStatus st;
  JobLog log;
  int n_models = -1;

  s.epochs = 0;
  s.time_budget = 3600;
  dls_document_set_prediction (doc, old);
  g_signal_connect (doc, "prediction-changed", G_CALLBACK (on_prediction_changed), &plog);
  job_log_init (&log, doc);
  log.job = dls_train_job_start (doc, &s, 0, on_job, &log);
  g_timeout_add (10, cancel_on_first_poll, &log);
  run_until (&log.ended, 120);

  dls_train_job_get_status (log.job, &st);
  g_assert_cmpint (st.phase, ==, DLS_JOB_CANCELLED);
  g_free (st.error);
  /* only the end was reported, and the old prediction is still the one shown */
  g_assert_cmpuint (log.z->len, ==, 1);
  g_assert_cmpint (g_array_index (log.z, int, 0), ==, -1);
  g_assert_true (dls_document_get_prediction (doc) == old);
  g_assert_cmpint (plog.count, ==, 0);
  g_assert_null (dls_train_job_steal_models (log.job, &n_models));
  g_assert_cmpint (n_models, ==, 0);

  dls_train_job_free (log.job);
  g_assert_true (dls_document_get_prediction (doc) == old);
  dls_prediction_unref (old);
  job_log_clear (&log);
  g_array_unref (plog.z);
  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

static void
on_job_cancel_at_first_slice (DlsTrainJob *job, int z, gpointer user_data)
{
  JobLog *log = user_data;

  on_job (job, z, user_data);
  if (z >= 0 && log->z->len == 1)
    dls_train_job_cancel (job);
}

/* Cancelling once the visible slice is there keeps the new prediction and the slices done. */
static void
test_train_job_cancel_predicting (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = fibre_document (dir);
  DlsTrainSettings s = small_settings (1);
  DlsPrediction *p;
  DlsJobStatus st;
  JobLog log;
  int done = 0;

  job_log_init (&log, doc);
  log.job = dls_train_job_start (doc, &s, 2, on_job_cancel_at_first_slice, &log);
  run_until (&log.ended, 600);

  dls_train_job_get_status (log.job, &st);
  /* DONE when the worker had predicted every slice before the main thread saw the first */
  g_assert_true (st.phase == DLS_JOB_CANCELLED || st.phase == DLS_JOB_DONE);
  g_test_message ("%s with %d of %d slices", st.phase == DLS_JOB_DONE ? "done" : "cancelled",
                  st.slices_done, FZ);
  g_free (st.error);
  p = dls_document_get_prediction (doc);
  g_assert_nonnull (p);
  g_assert_true (log.prediction_at_first_slice == p);
  g_assert_true (dls_prediction_slice_done (p, 2));
  for (int z = 0; z < FZ; z++)
    done += dls_prediction_slice_done (p, z);
  g_assert_cmpint (done, ==, st.slices_done);
  if (st.phase == DLS_JOB_DONE)
    g_assert_cmpint (done, ==, FZ);
  /* every slice reported, then the end */
  g_assert_cmpuint (log.z->len, ==, (guint) done + 1);
  g_assert_cmpint (g_array_index (log.z, int, done), ==, -1);

  dls_train_job_free (log.job);
  job_log_clear (&log);
  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

static void
test_train_job_one_class (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = fibre_document (dir);
  DlsTrainSettings s = small_settings (1);
  guint8 *labels = dls_document_get_labels (doc);
  DlsJobStatus st;
  JobLog log;

  for (gsize i = 0; i < (gsize) FZ * FY * FX; i++)
    labels[i] = labels[i] ? 1 : 0;
  job_log_init (&log, doc);
  log.job = dls_train_job_start (doc, &s, 0, on_job, &log);
  run_until (&log.ended, 120);

  dls_train_job_get_status (log.job, &st);
  g_assert_cmpint (st.phase, ==, DLS_JOB_FAILED);
  g_assert_nonnull (st.error);
  g_assert_nonnull (strstr (st.error, "class"));
  g_assert_cmpuint (log.z->len, ==, 1);
  g_assert_null (dls_document_get_prediction (doc));
  g_free (st.error);

  dls_train_job_free (log.job);
  job_log_clear (&log);
  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

/* The labels are a snapshot taken at start: painting afterwards does not reach the worker. */
static void
test_train_job_snapshot (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = fibre_document (dir);
  DlsTrainSettings s = small_settings (1);
  guint8 *labels = dls_document_get_labels (doc);
  DlsJobStatus st;
  JobLog log;

  job_log_init (&log, doc);
  log.job = dls_train_job_start (doc, &s, 0, on_job, &log);
  /* only class 1 from now on: would fail if the worker read these */
  for (gsize i = 0; i < (gsize) FZ * FY * FX; i++)
    labels[i] = labels[i] ? 1 : 0;
  run_until (&log.ended, 600);
  dls_train_job_get_status (log.job, &st);
  g_assert_cmpstr (st.error, ==, NULL);
  g_assert_cmpint (st.phase, ==, DLS_JOB_DONE);

  dls_train_job_free (log.job);
  job_log_clear (&log);
  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

/* Freeing a job that is training returns (cancelling it), and a job freed with notifications
 * still queued on the main context calls nothing afterwards. */
static void
test_train_job_free (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-document");
  DlsDocument *doc = fibre_document (dir);
  DlsTrainSettings s = small_settings (1);
  DlsJobStatus st;
  JobLog log;

  /* training under an hour's budget (if freeing did not cancel it, the test would time out),
   * freed as soon as it reported a step */
  s.epochs = 0;
  s.time_budget = 3600;
  job_log_init (&log, doc);
  log.job = dls_train_job_start (doc, &s, 0, on_job, &log);
  for (;;)
    {
      dls_train_job_get_status (log.job, &st);
      g_free (st.error);
      g_assert_cmpint (st.phase, ==, DLS_JOB_TRAINING);
      if (st.last.step > 0)
        break;
      g_usleep (10000);
    }
  dls_train_job_free (log.job);
  drain_main_context ();
  g_assert_cmpint (g_atomic_int_get (&log.n_calls), ==, 0);
  g_assert_null (dls_document_get_prediction (doc));
  job_log_clear (&log);

  /* done, with every notification still queued, then freed */
  s = small_settings (1);
  job_log_init (&log, doc);
  log.job = dls_train_job_start (doc, &s, 0, on_job, &log);
  g_assert_true (poll_for_terminal (log.job, &st, 600));
  g_assert_cmpint (st.phase, ==, DLS_JOB_DONE);
  g_free (st.error);
  dls_train_job_free (log.job);
  drain_main_context ();
  g_assert_cmpint (g_atomic_int_get (&log.n_calls), ==, 0);
  g_assert_null (dls_document_get_prediction (doc));
  job_log_clear (&log);

  /* the job's references to the document went with it */
  g_assert_finalize_object (doc);
  dls_test_tmpdir_remove (dir);
}

/* ======================================== sample ========================================= */

static void
assert_tiff (const char *path, DlsSampleType type)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsTiffReader) r = dls_tiff_reader_open (path, &error);
  const DlsTiffInfo *info;

  g_assert_no_error (error);
  info = dls_tiff_reader_get_info (r);
  g_assert_cmpint (info->depth, ==, 128);
  g_assert_cmpint (info->height, ==, 256);
  g_assert_cmpint (info->width, ==, 256);
  g_assert_cmpint (info->channels, ==, 1);
  g_assert_cmpint (info->type, ==, type);
}

static void
test_sample (void)
{
  g_autofree char *dir = dls_sample_dir ();
  g_autofree char *volume = g_build_filename (dir, "volume.tif", NULL);
  g_autofree char *truth = g_build_filename (dir, "truth.tif", NULL);
  g_autofree char *labels = g_build_filename (dir, "volume.labels.tif", NULL);
  g_autofree char *path = NULL, *again = NULL;
  g_autoptr (GError) error = NULL;
  GStatBuf before, after;
  DlsDocument *doc;

  /* main() pointed DLSIA_SAMPLE_DIR at a folder that does not exist yet */
  g_assert_cmpstr (dir, ==, g_getenv ("DLSIA_SAMPLE_DIR"));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));

  path = dls_sample_ensure (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, volume);
  assert_tiff (volume, DLS_SAMPLE_U16);
  assert_tiff (truth, DLS_SAMPLE_U8);
  assert_tiff (labels, DLS_SAMPLE_U8);

  /* a second call finds it: the same path, the file not written again */
  g_assert_cmpint (g_stat (volume, &before), ==, 0);
  again = dls_sample_ensure (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, path);
  g_assert_cmpint (g_stat (volume, &after), ==, 0);
  g_assert_cmpuint (before.st_ino, ==, after.st_ino);
  g_assert_cmpint (before.st_mtime, ==, after.st_mtime);

  /* opened as the app opens it, the sparse labels come back */
  doc = dls_document_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (dls_document_get_labels_warning (doc));
  g_assert_cmpint (dls_document_get_restored_labels (doc), >, 0);
  g_assert_cmpint (dls_document_get_n_classes (doc), ==, 2);
  g_assert_finalize_object (doc);
}

int
main (int argc, char **argv)
{
  g_autofree char *sample_root = NULL, *sample_dir = NULL, *data_dir = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();

  /* before any thread starts: setenv is not thread-safe */
  sample_root = dls_test_tmpdir_new ("dls-document");
  sample_dir = g_build_filename (sample_root, "cache", "sample", NULL);
  g_setenv ("DLSIA_SAMPLE_DIR", sample_dir, TRUE);
  /* the autosave's per-user folder for labels of read-only volumes */
  data_dir = g_build_filename (sample_root, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);

  g_test_add_func ("/app/document/load/stack", test_load_stack);
  g_test_add_func ("/app/document/load/2d", test_load_2d);
  g_test_add_func ("/app/document/load/rgb", test_load_rgb);
  g_test_add_func ("/app/document/load/folder", test_load_folder);
  g_test_add_func ("/app/document/load/not-tiff", test_load_not_tiff);
  g_test_add_func ("/app/document/load/cancelled", test_load_cancelled);
  g_test_add_func ("/app/document/labels/restore", test_labels_restore);
  g_test_add_func ("/app/document/labels/wrong-size", test_labels_wrong_size);
  g_test_add_func ("/app/document/labels/undo-redo", test_labels_undo_redo);
  g_test_add_func ("/app/document/labels/stale-parts", test_labels_stale_parts);
  g_test_add_func ("/app/document/autosave", test_autosave);
  g_test_add_func ("/app/document/autosave/change-during-save", test_autosave_change_during_save);
  g_test_add_func ("/app/document/autosave/busy-painting", test_autosave_busy_painting);
  g_test_add_func ("/app/document/autosave/read-only", test_autosave_read_only);
  g_test_add_func ("/app/document/autosave/nowhere", test_autosave_nowhere);
  g_test_add_func ("/app/document/autosave/read-only-reopen", test_autosave_read_only_reopen);
  g_test_add_func ("/app/document/save/sync", test_save_sync);
  g_test_add_func ("/app/document/save/sync-during-autosave", test_save_sync_during_autosave);
  g_test_add_func ("/app/document/classes", test_classes);
  g_test_add_func ("/app/document/prediction", test_prediction);
  g_test_add_func ("/app/train-job/run", test_train_job_run);
  g_test_add_func ("/app/train-job/main-context", test_train_job_main_context);
  g_test_add_func ("/app/train-job/z-first-outside", test_train_job_z_first_outside);
  g_test_add_func ("/app/train-job/cancel", test_train_job_cancel);
  g_test_add_func ("/app/train-job/cancel-predicting", test_train_job_cancel_predicting);
  g_test_add_func ("/app/train-job/one-class", test_train_job_one_class);
  g_test_add_func ("/app/train-job/snapshot", test_train_job_snapshot);
  g_test_add_func ("/app/train-job/free", test_train_job_free);
  g_test_add_func ("/app/sample", test_sample);

  ret = g_test_run ();
  dls_test_tmpdir_remove (sample_root);
  return ret;
}
