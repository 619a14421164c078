/* SPDX-License-Identifier: MIT
 *
 * io-error.c: the DLS_IO_ERROR domain, the atomic whole-file write every writer shares, and
 * the advice a message about a failed write ends with.
 *
 * The write is done here rather than with g_file_set_contents so that the message can say why
 * with the system's own words (errno) and name the file the user chose, not the temporary one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "io-error.h"

/* clang-format off */
G_DEFINE_QUARK (dls-io-error-quark, dls_io_error)
/* clang-format on */

/* errno values whose advice is the same, and how their reason reads. */
static const struct
{
  int errsv;
  const char *advice;
} advice[] = {
  { ENOSPC, "Free some space on that disk and save again." },
  { EDQUOT, "Free some space within your disk quota and save again." },
  { EFBIG, "The file would be too large for this place; save it on another disk." },
  { EROFS, "That folder is read-only; save in a folder you can write to." },
  { EACCES, "You may not write there; save in a folder you can write to." },
  { EPERM, "You may not write there; save in a folder you can write to." },
};

const char *
dls_io_write_advice (int errsv)
{
  for (gsize i = 0; i < G_N_ELEMENTS (advice); i++)
    if (advice[i].errsv == errsv)
      return advice[i].advice;
  return NULL;
}

const char *
dls_io_write_advice_for_message (const char *message)
{
  for (gsize i = 0; i < G_N_ELEMENTS (advice); i++)
    if (strstr (message, g_strerror (advice[i].errsv)) != NULL)
      return advice[i].advice;
  return NULL;
}

static gboolean
write_failed (const char *path, int errsv, GError **error)
{
  g_autofree char *name = g_filename_display_name (path);
  const char *what = dls_io_write_advice (errsv);

  g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE, "Cannot write “%s”: %s%s%s", name,
               g_strerror (errsv), what ? ". " : "", what ? what : "");
  return FALSE;
}

gboolean
dls_io_write_file (const char *path, const void *data, gsize len, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmpl = g_strdup_printf (".%s.XXXXXX.part", base);
  g_autofree char *tmp = g_build_filename (dir, tmpl, NULL);
  const char *p = data;
  int fd, errsv = 0;

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    return write_failed (path, errno, error);
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          errsv = n < 0 ? errno : EIO;
          break;
        }
      p += n;
      len -= (gsize) n;
    }
  if (errsv == 0 && fsync (fd) != 0)
    errsv = errno;
  if (close (fd) != 0 && errsv == 0)
    errsv = errno;
  if (errsv == 0 && g_rename (tmp, path) != 0)
    errsv = errno;
  if (errsv != 0)
    {
      /* what was at path stays as it was */
      g_unlink (tmp);
      return write_failed (path, errsv, error);
    }
  /* the rename is durable once the folder is; best effort */
  fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
  return TRUE;
}
