/* SPDX-License-Identifier: MIT
 *
 * labels-file.c: the label volume on disk, through the TIFF reader and writer (which already
 * make writes atomic and keep libtiff quiet).  Loading reads slice by slice into the uint8
 * volume and checks every value as it goes, so a bad file costs one slice of float scratch,
 * not a float copy of the volume.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "labels-file.h"
#include "tiff.h"

static gboolean
is_integer_type (DlsSampleType t)
{
  return t != DLS_SAMPLE_F32 && t != DLS_SAMPLE_F64;
}

guint8 *
dls_labels_file_load (const char *path, int Z, int Y, int X, int max_class, GError **error)
{
  g_autoptr (DlsTiffReader) r = NULL;
  g_autofree guint8 *labels = NULL;
  g_autofree float *slice = NULL;
  g_autofree char *name = NULL;
  const DlsTiffInfo *info;
  gsize plane, total;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (Z > 0 && Y > 0 && X > 0, NULL);
  g_return_val_if_fail (max_class >= 0 && max_class <= 255, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  r = dls_tiff_reader_open (path, error);
  if (r == NULL)
    return NULL;
  info = dls_tiff_reader_get_info (r);
  name = g_filename_display_basename (path);

  if (info->channels != 1)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a label file: it has %d channels (a label file has one, with "
                   "a class number per pixel)",
                   name, info->channels);
      return NULL;
    }
  if (!is_integer_type (info->type))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a label file: it holds %s values, where a label file holds "
                   "whole class numbers (uint8)",
                   name, dls_sample_type_name (info->type));
      return NULL;
    }
  if (info->depth != Z || info->height != Y || info->width != X)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "The label file “%s” is %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                   " × %" G_GINT64_FORMAT " (Z × Y × X) but the volume is %d × %d × %d.",
                   name, (gint64) info->depth, (gint64) info->height, (gint64) info->width, Z, Y,
                   X);
      return NULL;
    }

  plane = (gsize) Y * (gsize) X;
  if (!g_size_checked_mul (&total, plane, (gsize) Z) || (labels = g_try_malloc (total)) == NULL
      || (slice = g_try_malloc (plane * sizeof (float))) == NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
                   "Cannot read “%s”: not enough memory for %d × %d × %d labels", name, Z, Y, X);
      return NULL;
    }

  for (int z = 0; z < Z; z++)
    {
      guint8 *out = labels + (gsize) z * plane;

      if (!dls_tiff_reader_read_slice (r, z, slice, error))
        return NULL;
      for (gsize i = 0; i < plane; i++)
        {
          float v = slice[i];

          /* float holds every value a label can have exactly; int32 values far outside lose
           * digits, but are refused either way */
          if (!(v >= 0.0f && v <= (float) max_class))
            {
              g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                           "“%s” has the label %.0f at z = %d, y = %d, x = %d, but the "
                           "project's labels go from 0 (unlabelled) to %d",
                           name, (double) v, z, (int) (i / (gsize) X), (int) (i % (gsize) X),
                           max_class);
              return NULL;
            }
          out[i] = (guint8) v;
        }
    }
  return g_steal_pointer (&labels);
}

gboolean
dls_labels_file_save (const char *path, const guint8 *labels, int Z, int Y, int X, GError **error)
{
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (path != NULL && labels != NULL, FALSE);
  g_return_val_if_fail (Z > 0 && Y > 0 && X > 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* dls_tiff_write_u8 writes a temporary file beside `path`, fsyncs and renames it; any
   * failure removes the temporary file and leaves `path` as it was. */
  if (!dls_tiff_write_u8 (path, labels, Z, Y, X, &local))
    {
      /* The writer says "Cannot write “NAME”[ in “FOLDER”]: WHY"; autosave errors show up long
       * after the user chose the file, so name it in full. */
      const char *why = strstr (local->message, "”: ");
      g_autofree char *full = g_filename_display_name (path);

      if (why != NULL && g_str_has_prefix (local->message, "Cannot write “"))
        g_set_error (error, local->domain, local->code, "Cannot save the labels to “%s”: %s", full,
                     why + strlen ("”: "));
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

void
dls_labels_count (const guint8 *labels, gsize n, gint64 *counts, int n_counts)
{
  gint64 histogram[256] = { 0 };
  gsize i = 0, zeros = 0;

  g_return_if_fail (labels != NULL || n == 0);
  g_return_if_fail (counts != NULL || n_counts == 0);

  /* labels are sparse: eight unlabelled voxels at a time (the app recounts after each stroke) */
  for (; i + 8 <= n; i += 8)
    {
      guint64 word;

      memcpy (&word, labels + i, sizeof word);
      if (word == 0)
        zeros += 8;
      else
        for (int k = 0; k < 8; k++)
          histogram[labels[i + k]]++;
    }
  for (; i < n; i++)
    histogram[labels[i]]++;
  histogram[0] += zeros;
  for (int c = 0; c < n_counts; c++)
    counts[c] = c < 256 ? histogram[c] : 0;
}
