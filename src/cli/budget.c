/* SPDX-License-Identifier: MIT
 *
 * budget.c: the commands' memory budget — the --memory-budget option (or DLSIA_MEMORY_BUDGET)
 * and the up-front check of a command that holds a whole volume, made from the file's header
 * before a slice is read (memory.h does the arithmetic and writes the message).
 */
#include "config.h"

#include "cli.h"
#include "memory.h"
#include "tiff.h"

gboolean
cli_set_memory_budget (const char *cmd, const char *s)
{
  g_autoptr (GError) error = NULL;
  const char *env = g_getenv ("DLSIA_MEMORY_BUDGET");
  guint64 bytes;

  if (s != NULL)
    {
      if (!dls_memory_parse_size (s, &bytes, &error))
        {
          g_printerr ("dlsia %s: --memory-budget: %s\n", cmd, error->message);
          return FALSE;
        }
      dls_memory_set_budget (bytes);
    }
  else if (env != NULL && *env != '\0' && !dls_memory_parse_size (env, &bytes, &error))
    {
      g_printerr ("dlsia %s: DLSIA_MEMORY_BUDGET: %s\n", cmd, error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
cli_check_volume_memory (const char *path, guint64 per_value, guint64 per_voxel,
                         const char *holding, const char *alternative, GError **error)
{
  g_autoptr (DlsTiffReader) r = dls_tiff_reader_open (path, error);
  const DlsTiffInfo *info;
  g_autofree char *name = NULL, *what = NULL;
  guint64 n, need;

  if (r == NULL)
    return FALSE;
  info = dls_tiff_reader_get_info (r);
  name = g_filename_display_basename (path);
  what = g_strdup_printf ("“%s” (%" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                          " voxels) %s",
                          name, info->depth, info->height, info->width, holding);
  if (!g_uint64_checked_mul (&n, (guint64) info->depth, (guint64) info->height)
      || !g_uint64_checked_mul (&n, n, (guint64) info->width)
      || !g_uint64_checked_mul (&need, n, per_value * (guint64) info->channels + per_voxel))
    need = G_MAXUINT64;
  return dls_memory_check (need, what, alternative, error);
}
