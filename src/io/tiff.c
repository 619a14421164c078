/* SPDX-License-Identifier: MIT
 *
 * tiff.c: what reading and writing share.  Sample type names, and the plumbing that keeps
 * libtiff quiet: every handle gets per-file error and warning handlers (libtiff 4.5's
 * TIFFOpenOptions) that record into a DlsTiffLog; the global handlers, which a few old libtiff
 * code paths still call, are replaced once by ones that record into the log pushed on the
 * calling thread, or drop the message when there is none.
 */
#include "tiff-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const struct
{
  const char *name;
  int size;
} sample_types[] = {
  [DLS_SAMPLE_U8] = { "uint8", 1 },    [DLS_SAMPLE_U16] = { "uint16", 2 },
  [DLS_SAMPLE_U32] = { "uint32", 4 },  [DLS_SAMPLE_I8] = { "int8", 1 },
  [DLS_SAMPLE_I16] = { "int16", 2 },   [DLS_SAMPLE_I32] = { "int32", 4 },
  [DLS_SAMPLE_F32] = { "float32", 4 }, [DLS_SAMPLE_F64] = { "float64", 8 },
};
G_STATIC_ASSERT (G_N_ELEMENTS (sample_types) == DLS_SAMPLE_F64 + 1);

const char *
dls_sample_type_name (DlsSampleType t)
{
  if ((unsigned) t >= G_N_ELEMENTS (sample_types))
    return "unknown";
  return sample_types[t].name;
}

int
dls_sample_type_size (DlsSampleType t)
{
  if ((unsigned) t >= G_N_ELEMENTS (sample_types))
    return 0;
  return sample_types[t].size;
}

void
dls_tiff_info_clear (DlsTiffInfo *info)
{
  if (info == NULL)
    return;
  g_clear_pointer (&info->compression, g_free);
  memset (info, 0, sizeof *info);
}

char *
dls_tiff_display_name (const char *path)
{
  return g_filename_display_basename (path);
}

char *
dls_tiff_compression_name (unsigned compression)
{
  switch (compression)
    {
    case COMPRESSION_NONE:
      return g_strdup ("none");
    case COMPRESSION_CCITTRLE:
    case COMPRESSION_CCITTFAX3:
    case COMPRESSION_CCITTFAX4:
      return g_strdup ("CCITT");
    case COMPRESSION_LZW:
      return g_strdup ("LZW");
    case COMPRESSION_OJPEG:
      return g_strdup ("old-style JPEG");
    case COMPRESSION_JPEG:
      return g_strdup ("JPEG");
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE:
      return g_strdup ("Deflate");
    case COMPRESSION_PACKBITS:
      return g_strdup ("PackBits");
    case COMPRESSION_LZMA:
      return g_strdup ("LZMA");
    case COMPRESSION_ZSTD:
      return g_strdup ("ZSTD");
    case COMPRESSION_WEBP:
      return g_strdup ("WebP");
    case COMPRESSION_LERC:
      return g_strdup ("LERC");
    case 50002: /* COMPRESSION_JXL, not in every libtiff's headers */
      return g_strdup ("JPEG XL");
    default:
      return g_strdup_printf ("code %u", compression);
    }
}

/* ------------------------------------------------------------------------------------------ */

static GPrivate current_log;

void
dls_tiff_log_reset (DlsTiffLog *log)
{
  g_clear_pointer (&log->error, g_free);
}

const char *
dls_tiff_log_message (DlsTiffLog *log)
{
  return log->error != NULL ? log->error : "no details from libtiff";
}

static void
log_record (DlsTiffLog *log, const char *fmt, va_list ap)
{
  if (log == NULL || log->error != NULL)
    return;
  log->error = g_strdup_vprintf (fmt, ap);
  /* libtiff messages sometimes end with a period or a newline; the caller adds its own. */
  g_strchomp (log->error);
  size_t n = strlen (log->error);
  if (n > 0 && log->error[n - 1] == '.')
    log->error[n - 1] = '\0';
}

static int
on_error (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
{
  int errsv = errno; /* why a write failed, which libtiff's message may not say */
  DlsTiffLog *log = user_data;
  gboolean first = log != NULL && log->error == NULL;

  log_record (log, fmt, ap);
  if (first && tif != NULL && TIFFGetMode (tif) != O_RDONLY
      && (errsv == ENOSPC || errsv == EDQUOT || errsv == EFBIG || errsv == EIO)
      && strstr (log->error, g_strerror (errsv)) == NULL)
    {
      char *with_reason = g_strdup_printf ("%s (%s)", log->error, g_strerror (errsv));

      g_free (log->error);
      log->error = with_reason;
    }
  return 1; /* handled: the global handler is not called */
}

static int
on_warning (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
{
  return 1;
}

static void
on_global_error (const char *module, const char *fmt, va_list ap)
{
  log_record (g_private_get (&current_log), fmt, ap);
}

static void
on_global_warning (const char *module, const char *fmt, va_list ap)
{
}

static void
install_global_handlers (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      TIFFSetErrorHandler (on_global_error);
      TIFFSetWarningHandler (on_global_warning);
      g_once_init_leave (&done, 1);
    }
}

DlsTiffLog *
dls_tiff_log_push (DlsTiffLog *log)
{
  DlsTiffLog *previous = g_private_get (&current_log);

  install_global_handlers ();
  g_private_set (&current_log, log);
  return previous;
}

void
dls_tiff_log_pop (DlsTiffLog *previous)
{
  g_private_set (&current_log, previous);
}

TIFF *
dls_tiff_fd_open (int fd, const char *name, const char *mode, DlsTiffLog *log)
{
  TIFFOpenOptions *opts = TIFFOpenOptionsAlloc ();
  TIFF *tif;

  install_global_handlers ();
  TIFFOpenOptionsSetErrorHandlerExtR (opts, on_error, log);
  TIFFOpenOptionsSetWarningHandlerExtR (opts, on_warning, log);
  /* A damaged count field must not make libtiff allocate gigabytes for its own arrays; pixel
   * buffers are ours and checked against the limits in tiff.h. */
  TIFFOpenOptionsSetMaxSingleMemAlloc (opts, (tmsize_t) 1 << 31);
  tif = TIFFFdOpenExt (fd, name, mode, opts);
  TIFFOpenOptionsFree (opts);
  if (tif == NULL)
    close (fd);
  return tif;
}

/* ------------------------------------------------------------------------------------------ */

static uint64_t test_bigtiff_threshold;
static int64_t test_max_volume_bytes;

void
dls_tiff_set_test_limits (uint64_t bigtiff_threshold, int64_t max_volume_bytes)
{
  test_bigtiff_threshold = bigtiff_threshold;
  test_max_volume_bytes = max_volume_bytes;
}

uint64_t
dls_tiff_bigtiff_threshold (void)
{
  /* A classic TIFF addresses 4 GiB; keep well clear of it, compressed sizes are estimates. */
  return test_bigtiff_threshold != 0
             ? test_bigtiff_threshold
             : (G_GUINT64_CONSTANT (4) << 30) - (G_GUINT64_CONSTANT (64) << 20);
}

int64_t
dls_tiff_max_volume_bytes (void)
{
  return test_max_volume_bytes != 0 ? test_max_volume_bytes : DLS_TIFF_MAX_VOLUME_BYTES;
}
