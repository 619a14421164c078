/* SPDX-License-Identifier: MIT
 *
 * test-document-budget.c: opening a volume in the app against the memory budget, without a
 * display.  dls_document_load() must refuse a volume whose document would not fit the budget
 * before reading a single slice (progress stays 0), with a message that says what needs how
 * much, the budget and what to do; a volume that fits opens as before.  The large volume is a
 * sparse BigTIFF of 10 GiB nominal made at test time (see tests/util/sparse-tiff.h).
 */
#include "document.h"
#include "memory.h"
#include "sparse-tiff.h"
#include "tiff.h"
#include "tmpdir.h"

#include <string.h>

static char *
plain (const char *message)
{
  g_autoptr (GString) s = g_string_new (message);

  g_string_replace (s, "\u00a0", " ", 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_estimate (void)
{
  /* float32 volume, labels, their training snapshot, the normalised copy, 2 classes + std */
  g_assert_cmpuint (dls_document_estimate_bytes (1, 1, 1), ==, 4 + 1 + 1 + 4 + 12);
  g_assert_cmpuint (dls_document_estimate_bytes (10, 20, 30), ==, 6000 * 22);
  g_assert_cmpuint (dls_document_estimate_bytes (G_MAXINT64, G_MAXINT64, 2), ==, G_MAXUINT64);
  g_assert_cmpuint (dls_document_estimate_bytes (-1, 1, 1), ==, G_MAXUINT64);
  /* a prediction of K classes: K + 1 floats a voxel */
  g_assert_cmpuint (dls_document_estimate_bytes_for (10, 20, 30, 2), ==, 6000 * 22);
  g_assert_cmpuint (dls_document_estimate_bytes_for (1, 1, 1, 10), ==, 4 + 1 + 1 + 4 + 44);
  g_assert_cmpuint (dls_document_estimate_bytes_for (G_MAXINT64, 2, 2, 255), ==, G_MAXUINT64);
}

static void
test_refuse_large (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dlsia-doc-budget");
  g_autofree char *path = g_build_filename (dir, "big.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *m = NULL;
  DlsDocument *doc;
  gint progress = 0;

  dls_test_write_sparse_bigtiff (path, 1280, 2048, 2048);
  g_setenv ("DLSIA_MEMORY_BUDGET", "4G", TRUE);
  doc = dls_document_load (path, NULL, &progress, &error);
  g_assert_null (doc);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE);
  g_assert_cmpint (progress, ==, 0);
  m = plain (error->message);
  g_test_message ("%s", m);
  /* more than this machine has, or only more than the budget: the message says which */
  g_assert_true (g_str_has_prefix (m, "“big.tif” (1280 × 2048 × 2048 voxels) as float32, with "
                                      "labels and a prediction, needs 110.0 GiB of memory"));
  g_assert_nonnull (strstr (m, "the memory budget is 4.0 GiB"));
  g_assert_true (g_str_has_suffix (
      m, "use “dlsia predict” on the command line, which streams slice by slice"));
  g_clear_error (&error);
  g_clear_pointer (&m, g_free);

  /* the application's preference, when the environment says nothing */
  g_unsetenv ("DLSIA_MEMORY_BUDGET");
  dls_memory_set_budget_percent (10);
  doc = dls_document_load (path, NULL, &progress, &error);
  g_assert_null (doc);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE);
  g_assert_cmpint (progress, ==, 0);
  g_assert_nonnull (strstr (error->message, "dlsia predict"));
  /* either more than the machine has, or more than 10 % of it */
  g_assert_true (strstr (error->message, "Preferences › Memory Budget") != NULL
                 || strstr (error->message, "more than this computer has") != NULL);
  dls_memory_set_budget_percent (DLS_MEMORY_DEFAULT_PERCENT);
  g_clear_error (&error);

  /* 64 × 1024 × 1024 (128 MiB on paper): 1.4 GiB as a document, less than any machine's RAM */
  dls_test_write_sparse_bigtiff (path, 64, 1024, 1024);
  g_setenv ("DLSIA_MEMORY_BUDGET", "1G", TRUE);
  doc = dls_document_load (path, NULL, &progress, &error);
  g_assert_null (doc);
  g_assert_cmpint (progress, ==, 0);
  m = plain (error->message);
  g_assert_cmpstr (m, ==,
                   "“big.tif” (64 × 1024 × 1024 voxels) as float32, with labels and a "
                   "prediction, needs 1.4 GiB of memory but the memory budget is 1.0 GiB, "
                   "from DLSIA_MEMORY_BUDGET: raise DLSIA_MEMORY_BUDGET, or use “dlsia "
                   "predict” on the command line, which streams slice by slice");
  g_unsetenv ("DLSIA_MEMORY_BUDGET");
  dls_test_tmpdir_remove (dir);
}

static void
test_small_fits (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dlsia-doc-budget");
  g_autofree char *path = g_build_filename (dir, "small.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsDocument) doc = NULL;
  g_autofree guint16 *data = g_new0 (guint16, 4 * 32 * 32);
  gint progress = 0;
  int z, y, x;

  g_assert_true (dls_tiff_write_u16 (path, data, 4, 32, 32, &error));
  /* 4 × 32 × 32 × 22 bytes = 88 KiB */
  g_setenv ("DLSIA_MEMORY_BUDGET", "100K", TRUE);
  doc = dls_document_load (path, NULL, &progress, &error);
  g_assert_no_error (error);
  g_assert_nonnull (doc);
  g_assert_cmpint (progress, ==, 1000);
  dls_document_get_size (doc, &z, &y, &x);
  g_assert_cmpint (z * y * x, ==, 4 * 32 * 32);
  g_clear_object (&doc);
  g_setenv ("DLSIA_MEMORY_BUDGET", "80K", TRUE);
  doc = dls_document_load (path, NULL, &progress, &error);
  g_assert_null (doc);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE);
  g_unsetenv ("DLSIA_MEMORY_BUDGET");
  dls_test_tmpdir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/document/budget/estimate", test_estimate);
  g_test_add_func ("/app/document/budget/refuse-large", test_refuse_large);
  g_test_add_func ("/app/document/budget/small-fits", test_small_fits);
  return g_test_run ();
}
