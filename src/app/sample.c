/* SPDX-License-Identifier: MIT
 *
 * sample.c: the bundled sample (see sample.h).  Nothing is shipped or downloaded: the volume is
 * generated, deterministically (seed 1, the same as `dlsia synth fibers --seed 1`), and
 * written atomically, so an interrupted first run leaves no half file behind.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "sample.h"
#include "synth.h"
#include "tiff.h"

#define SAMPLE_Z 128
#define SAMPLE_Y 256
#define SAMPLE_X 256

char *
dls_sample_dir (void)
{
  const char *env = g_getenv ("DLSIA_SAMPLE_DIR");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_cache_dir (), "dlsia-studio", "sample", NULL);
}

char *
dls_sample_ensure (GCancellable *cancellable, GError **error)
{
  g_autofree char *dir = dls_sample_dir ();
  g_autofree char *volume_path = g_build_filename (dir, "volume.tif", NULL);
  g_autofree char *truth_path = g_build_filename (dir, "truth.tif", NULL);
  g_autofree char *labels_path = g_build_filename (dir, "volume.labels.tif", NULL);
  gsize n = (gsize) SAMPLE_Z * SAMPLE_Y * SAMPLE_X;
  g_autofree guint16 *volume = NULL;
  g_autofree guint8 *truth = NULL, *sparse = NULL;

  if (g_file_test (volume_path, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&volume_path);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int e = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                   "Cannot make the folder “%s” for the sample: %s", dir, g_strerror (e));
      return NULL;
    }
  volume = g_try_new (guint16, n);
  truth = g_try_new (guint8, n);
  sparse = g_try_new (guint8, n);
  if (volume == NULL || truth == NULL || sparse == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "Not enough memory to make the sample volume");
      return NULL;
    }
  if (!dls_synth_fibers (&(DlsSynthFibersArgs){ .depth = SAMPLE_Z, .height = SAMPLE_Y,
                                                .width = SAMPLE_X, .seed = 1 },
                         volume, truth, sparse, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  /* the labels first: the volume's presence is what says the sample is complete */
  if (!dls_tiff_write_u8 (labels_path, sparse, SAMPLE_Z, SAMPLE_Y, SAMPLE_X, error)
      || !dls_tiff_write_u8 (truth_path, truth, SAMPLE_Z, SAMPLE_Y, SAMPLE_X, error)
      || !dls_tiff_write_u16 (volume_path, volume, SAMPLE_Z, SAMPLE_Y, SAMPLE_X, error))
    return NULL;
  return g_steal_pointer (&volume_path);
}
