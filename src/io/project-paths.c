/* SPDX-License-Identifier: MIT
 *
 * project-paths.c: the names of the files that belong to a volume (NAME.dlsia.json,
 * NAME.labels.tif), the volume's whereabouts, and paths relative to the project's folder.
 *
 * Paths are lexical: symbolic links are not resolved, so a project opened through a link keeps
 * the names the user sees, and "a/../b" means "b".
 */
#include "config.h"

#include <string.h>

#include "project-private.h"

static gboolean
has_suffix_ci (const char *s, gsize len, const char *suffix)
{
  gsize n = strlen (suffix);

  return len > n && g_ascii_strncasecmp (s + len - n, suffix, n) == 0;
}

/* The volume's name without .tif/.tiff (and OME-TIFF's .ome before it: "b.ome.tif" is one
 * format's extension, and "b.ome.labels.tif" would claim to be OME-TIFF), or a folder's name;
 * *dir_out gets the folder the names go in: beside the file, or beside (never inside) a folder
 * of slices, where a .tif would be read as one more slice. */
static char *
volume_stem (const char *volume_path, char **dir_out)
{
  g_autofree char *trimmed = g_strdup (volume_path);
  gsize len = strlen (trimmed);
  gboolean is_dir;
  char *base;

  /* "scans/run1/" names the folder run1, as "scans/run1" does */
  is_dir = len > 1 && G_IS_DIR_SEPARATOR (trimmed[len - 1]);
  while (len > 1 && G_IS_DIR_SEPARATOR (trimmed[len - 1]))
    trimmed[--len] = '\0';
  is_dir = is_dir || g_file_test (trimmed, G_FILE_TEST_IS_DIR);

  base = g_path_get_basename (trimmed);
  *dir_out = g_path_get_dirname (trimmed);
  if (!is_dir)
    {
      gsize n = strlen (base);
      const char *const exts[] = { ".ome.tiff", ".ome.tif", ".tiff", ".tif" };

      for (gsize i = 0; i < G_N_ELEMENTS (exts); i++)
        if (has_suffix_ci (base, n, exts[i]))
          {
            base[n - strlen (exts[i])] = '\0';
            break;
          }
    }
  return base;
}

static char *
path_beside_volume (const char *volume_path, const char *suffix)
{
  g_autofree char *dir = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (volume_path != NULL && volume_path[0] != '\0', NULL);
  stem = volume_stem (volume_path, &dir);
  name = g_strconcat (stem, suffix, NULL);
  /* "b.tif" gives "b.dlsia.json", not "./b.dlsia.json" */
  if (strcmp (dir, ".") == 0 && strchr (volume_path, G_DIR_SEPARATOR) == NULL)
    return g_steal_pointer (&name);
  return g_build_filename (dir, name, NULL);
}

char *
dls_project_path_for_volume (const char *volume_path)
{
  return path_beside_volume (volume_path, ".dlsia.json");
}

char *
dls_labels_path_for_volume (const char *volume_path)
{
  return path_beside_volume (volume_path, ".labels.tif");
}

gboolean
dls_project_volume_exists (const DlsProject *p)
{
  g_return_val_if_fail (p != NULL, FALSE);
  return p->volume != NULL && g_file_test (p->volume, G_FILE_TEST_EXISTS);
}

char *
_dls_project_absolute_path (const char *path, const char *relative_to)
{
  return g_canonicalize_filename (path, relative_to);
}

static gboolean
same_path (const char *a, const char *b)
{
  g_autofree char *ca = NULL;
  g_autofree char *cb = NULL;

  if (a == NULL || b == NULL)
    return a == b;
  ca = _dls_project_absolute_path (a, NULL);
  cb = _dls_project_absolute_path (b, NULL);
  return strcmp (ca, cb) == 0;
}

void
dls_project_set_volume (DlsProject *p, const char *volume_path)
{
  gboolean default_labels;

  g_return_if_fail (p != NULL);

  default_labels = p->labels == NULL;
  if (!default_labels && p->volume != NULL)
    {
      g_autofree char *old_default = dls_labels_path_for_volume (p->volume);
      default_labels = same_path (p->labels, old_default);
    }

  g_clear_pointer (&p->volume, g_free);
  if (volume_path != NULL)
    p->volume = _dls_project_absolute_path (volume_path, NULL);
  if (default_labels)
    {
      g_clear_pointer (&p->labels, g_free);
      if (p->volume != NULL)
        p->labels = dls_labels_path_for_volume (p->volume);
    }
}

/* `target` relative to the folder `dir` (both absolute and canonical): "v.tif", "data/v.tif",
 * "../data/v.tif".  When the two share nothing but the root ("/home/…" and "/mnt/…"), the
 * absolute path is kept: a relative one would only survive moving the project folder if the
 * other disk moved along with it. */
char *
_dls_project_relative_path (const char *target, const char *dir)
{
  g_auto (GStrv) t = g_strsplit (target, G_DIR_SEPARATOR_S, -1);
  g_auto (GStrv) d = g_strsplit (dir, G_DIR_SEPARATOR_S, -1);
  g_autoptr (GString) out = g_string_new (NULL);
  guint nt = g_strv_length (t), nd = g_strv_length (d), common = 0;

  /* "/a/b" splits into "", "a", "b"; the root "/" into "", "" */
  if (nd == 2 && d[1][0] == '\0')
    nd = 1;
  while (common < nt && common < nd && strcmp (t[common], d[common]) == 0)
    common++;
  if (common <= 1)
    return g_strdup (target);
  for (guint i = common; i < nd; i++)
    g_string_append (out, ".." G_DIR_SEPARATOR_S);
  for (guint i = common; i < nt; i++)
    {
      g_string_append (out, t[i]);
      if (i + 1 < nt)
        g_string_append_c (out, G_DIR_SEPARATOR);
    }
  if (out->len == 0)
    g_string_append_c (out, '.');
  else if (out->str[out->len - 1] == G_DIR_SEPARATOR)
    g_string_truncate (out, out->len - 1);
  return g_string_free (g_steal_pointer (&out), FALSE);
}
