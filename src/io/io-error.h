/* SPDX-License-Identifier: MIT
 *
 * io-error.h: the GError domain of everything that reads or writes files (TIFF images, model
 * files).  Messages name the file and say the reason in plain words; the code says which kind
 * of reason it is, so a caller can tell "not there" from "damaged" from "too large".
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DLS_IO_ERROR (dls_io_error_quark ())
typedef enum {
  DLS_IO_ERROR_NOT_FOUND,   /* no such file or folder */
  DLS_IO_ERROR_READ,        /* the system refused to read it (permissions, I/O error) */
  DLS_IO_ERROR_FORMAT,      /* not a file of the expected format, or pages that do not agree */
  DLS_IO_ERROR_UNSUPPORTED, /* a valid file using a feature that is not supported */
  DLS_IO_ERROR_TOO_LARGE,   /* dimensions too large to read or to hold in memory */
  DLS_IO_ERROR_CORRUPT,     /* truncated or damaged */
  DLS_IO_ERROR_WRITE,       /* the file could not be written */
} DlsIoError;
GQuark dls_io_error_quark (void);

/* Writes a whole file atomically (a hidden temporary file ".NAME.XXXXXX.part" beside it, fsync,
 * rename, fsync of the folder); a failure is a DLS_IO_ERROR_WRITE "Cannot write “PATH”: WHY.
 * ADVICE", leaves what was there before and removes the temporary file. */
gboolean    dls_io_write_file (const char *path, const void *data, gsize len, GError **error);
/* What the user can do about a write that failed with errno errsv ("Free some space on that
 * disk and save again."), or NULL when there is nothing to say; the second finds the reason
 * in a message that has the system's words for it. */
const char *dls_io_write_advice             (int errsv);
const char *dls_io_write_advice_for_message (const char *message);

G_END_DECLS
