/* SPDX-License-Identifier: MIT
 *
 * tmpdir.c: temporary folders for the test programs (see tmpdir.h).
 */
#include "config.h"

#include <glib/gstdio.h>

#include "tmpdir.h"

char *
dls_test_tmpdir_new (const char *prefix)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmpl = g_strdup_printf ("%s-XXXXXX", prefix);
  char *dir = g_dir_make_tmp (tmpl, &error);

  g_assert_no_error (error);
  return dir;
}

void
dls_test_tmpdir_remove (const char *dir)
{
  g_autoptr (GDir) d = NULL;
  const char *name;

  g_chmod (dir, 0700);
  d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        dls_test_tmpdir_remove (path);
      else
        g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}
