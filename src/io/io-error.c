/* SPDX-License-Identifier: MIT
 *
 * io-error.c: the DLS_IO_ERROR domain, and the atomic whole-file write every writer shares.
 */
#include "io-error.h"

/* clang-format off */
G_DEFINE_QUARK (dls-io-error-quark, dls_io_error)
/* clang-format on */

gboolean
dls_io_write_file (const char *path, const void *data, gsize len, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!g_file_set_contents_full (path, data, (gssize) len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644,
                                 &local))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE, "cannot write “%s”: %s", path,
                   local->message);
      return FALSE;
    }
  return TRUE;
}
