/* SPDX-License-Identifier: MIT
 *
 * tiff-private.h: what the TIFF sources share: libtiff handles whose errors land in a
 * DlsTiffLog instead of stderr, names for messages, the by-hand IFD walk (tiff-ifd.c), one open
 * TIFF file (tiff-file.c, used by the reader in tiff-read.c), and limits that the tests may
 * lower.
 */
#pragma once

#include "tiff.h"

#include <tiffio.h>

G_BEGIN_DECLS

/* libtiff's messages for one handle.  The first error is kept (it usually names the cause; the
 * ones after it are consequences); warnings are dropped. */
typedef struct {
  char *error;
} DlsTiffLog;

void        dls_tiff_log_reset   (DlsTiffLog  *log);
const char *dls_tiff_log_message (DlsTiffLog  *log);
/* Messages that libtiff sends to its global handlers (a few old code paths) while `log` is
 * pushed on this thread go to `log` too.  pop() takes what push() returned. */
DlsTiffLog *dls_tiff_log_push    (DlsTiffLog  *log);
void        dls_tiff_log_pop     (DlsTiffLog  *previous);

/* TIFFFdOpenExt() with the handlers pointing at `log`.  The TIFF owns fd from then on, also
 * when this fails (fd is closed then). */
TIFF       *dls_tiff_fd_open     (int          fd,
                                  const char  *name,
                                  const char  *mode,
                                  DlsTiffLog  *log);

/* The file's base name for messages (g_free it). */
char       *dls_tiff_display_name (const char *path);
/* "none", "LZW", "Deflate", … or "code 12345" (g_free it). */
char       *dls_tiff_compression_name (unsigned compression);

/* tiff-ifd.c: the header and the IFD chain, by hand.  Appends the offset of every IFD to
 * `ifds` (uint64_t); refuses absurd dimensions and chains that leave the file or loop. */
gboolean    dls_tiff_walk_ifds  (int          fd,
                                 uint64_t     file_size,
                                 const char  *name,
                                 gboolean    *big_tiff,
                                 gboolean    *big_endian,
                                 GArray      *ifds,
                                 GError     **error);
/* pread() until n bytes or failure. */
gboolean    dls_tiff_read_at    (int          fd,
                                 void        *buf,
                                 size_t       n,
                                 uint64_t     offset);
/* Sets DLS_IO_ERROR_TOO_LARGE for a page of w × h × spp, returns FALSE. */
gboolean    dls_tiff_too_large  (GError     **error,
                                 const char  *name,
                                 int64_t      page,
                                 uint64_t     w,
                                 uint64_t     h,
                                 uint64_t     spp);

/* tiff-file.c: one TIFF file, checked page by page at open. */
typedef struct _DlsTiffFile DlsTiffFile;

DlsTiffFile       *dls_tiff_file_open       (const char   *path,
                                             GError      **error);
const DlsTiffInfo *dls_tiff_file_get_info   (DlsTiffFile  *f);
const char        *dls_tiff_file_get_name   (DlsTiffFile  *f);
gboolean           dls_tiff_file_read_slice (DlsTiffFile  *f,
                                             int64_t       z,
                                             float        *out,
                                             GError      **error);
void               dls_tiff_file_free       (DlsTiffFile  *f);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsTiffFile, dls_tiff_file_free)

/* Limits, lowered by the tests to reach the BigTIFF and size-cap paths with small data.  0
 * restores the default. */
void        dls_tiff_set_test_limits  (uint64_t bigtiff_threshold,
                                       int64_t  max_volume_bytes);
uint64_t    dls_tiff_bigtiff_threshold (void);
int64_t     dls_tiff_max_volume_bytes  (void);

G_END_DECLS
