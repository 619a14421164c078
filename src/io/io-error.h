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

/* Writes a whole file atomically (temporary file beside it, fsync, rename); a failure is a
 * DLS_IO_ERROR_WRITE naming the file, and leaves what was there before. */
gboolean dls_io_write_file (const char *path, const void *data, gsize len, GError **error);

G_END_DECLS
