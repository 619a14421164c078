/* SPDX-License-Identifier: MIT
 *
 * hostile.c: full, read-only and size-limited places to write to (see hostile.h).
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostile.h"

gboolean
dls_test_mount_tmpfs (const char *dir, int size_kb, char **why)
{
  g_autofree char *options = g_strdup_printf ("size=%dk,mode=0755", size_kb);

  if (geteuid () != 0)
    {
      *why = g_strdup ("mounting a small tmpfs needs root");
      return FALSE;
    }
  if (mount ("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0)
    {
      *why = g_strdup_printf ("cannot mount a tmpfs on %s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
dls_test_make_read_only (const char *dir, gboolean mounted, char **why)
{
  if (mounted)
    {
      if (mount ("tmpfs", dir, "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0)
        {
          *why = g_strdup_printf ("cannot remount %s read-only: %s", dir, g_strerror (errno));
          return FALSE;
        }
      return TRUE;
    }
  if (geteuid () == 0)
    {
      *why = g_strdup ("root writes into read-only folders and cannot mount a read-only tmpfs "
                       "here");
      return FALSE;
    }
  g_assert_cmpint (g_chmod (dir, 0555), ==, 0);
  return TRUE;
}

void
dls_test_unmount (const char *dir)
{
  g_assert_cmpint (umount2 (dir, MNT_DETACH), ==, 0);
}

int
dls_test_run_with_file_limit (gsize limit, int (*fn) (gpointer data), gpointer data)
{
  pid_t pid;
  int status;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      struct rlimit rl = { limit, limit };

      signal (SIGXFSZ, SIG_IGN);
      if (setrlimit (RLIMIT_FSIZE, &rl) != 0)
        _exit (254);
      _exit (fn (data));
    }
  while (waitpid (pid, &status, 0) < 0)
    g_assert_cmpint (errno, ==, EINTR);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

GBytes *
dls_test_file_bytes (const char *path)
{
  char *contents;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return NULL;
  return g_bytes_new_take (contents, len);
}

void
dls_test_assert_file_is (const char *path, GBytes *before)
{
  g_autoptr (GBytes) now = dls_test_file_bytes (path);

  if (before == NULL)
    {
      g_assert_null (now);
      return;
    }
  g_assert_nonnull (now);
  g_assert_cmpmem (g_bytes_get_data (now, NULL), g_bytes_get_size (now),
                   g_bytes_get_data (before, NULL), g_bytes_get_size (before));
}

void
dls_test_assert_no_temp_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      /* the TIFF writer's ".NAME.XXXXXX.part" and g_file_set_contents' "NAME.XXXXXX" */
      gboolean part = g_str_has_suffix (name, ".part");
      const char *dot = strrchr (name, '.');
      gboolean glib_tmp = dot != NULL && dot != name && strlen (dot + 1) == 6;

      if (part || glib_tmp)
        g_error ("a temporary file was left behind in %s: %s", dir, name);
    }
}
