/* SPDX-License-Identifier: MIT
 *
 * tiff-write.c: uint8, uint16 and float32 stacks as TIFF, one page per slice, atomically.
 *
 * The file is written under a hidden temporary name in the target folder, flushed with fsync
 * and renamed over `path` at commit, so a reader never sees half a file and a failed or aborted
 * write leaves an existing file untouched.  The first page carries an ImageJ description
 * ("ImageJ=1.11a\nimages=Z\nslices=Z\n") so Fiji opens the pages as a stack, not as a time
 * series.  When the page count is not known up front, the counts are written as ten zero-padded
 * digits (ImageJ reads them as numbers) and patched in place at commit.
 *
 * Uncompressed files leave "images=" out: ImageJ takes it, in an uncompressed file, as the
 * promise that all images lie back to back after the first one (the layout ImageJ writes), and
 * libtiff puts each page's IFD between the images.  Without it ImageJ reads every IFD, and
 * "slices=" still makes the pages a Z stack.
 *
 * It does not: write other sample types, several channels, tiles, or any metadata besides the
 * ImageJ stack layout; switch to BigTIFF half way (only a writer told its page count can
 * choose BigTIFF, since that is decided in the header).
 */
#include "tiff-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STRIP_BYTES   (256 * 1024)
#define IMAGEJ_HEADER "ImageJ=1.11a\n"

struct _DlsTiffWriter
{
  char *path, *tmp_path, *name;
  int fd; /* ours; libtiff writes through a dup of it */
  TIFF *tif;
  DlsTiffLog log;
  DlsSampleType type;
  uint32_t width, height;
  int64_t depth; /* -1: not known */
  int64_t n_pages;
  DlsTiffCompression compression;
  gboolean big;
  uint64_t counts_offset; /* where the padded page counts are, when depth is not known */
  uint8_t *scratch;       /* one strip: libtiff may modify what it is given */
};

/* The page counts of the description: "images=Z\nslices=Z\n", without "images=" when
 * uncompressed (see the top), ten zero-padded digits each when `padded`. */
static char *
counts_text (const DlsTiffWriter *w, int64_t z, gboolean padded)
{
  int width = padded ? 10 : 1;

  if (w->compression == DLS_TIFF_COMPRESSION_NONE)
    return g_strdup_printf ("slices=%0*" G_GINT64_FORMAT "\n", width, z);
  return g_strdup_printf ("images=%0*" G_GINT64_FORMAT "\nslices=%0*" G_GINT64_FORMAT "\n", width,
                          z, width, z);
}

static uint64_t
page_bytes (const DlsTiffWriter *w)
{
  return (uint64_t) w->width * w->height * dls_sample_type_size (w->type);
}

static uint32_t
rows_per_strip (const DlsTiffWriter *w)
{
  uint64_t row = (uint64_t) w->width * dls_sample_type_size (w->type);
  return (uint32_t) CLAMP (STRIP_BYTES / row, 1, w->height);
}

/* An upper bound on the bytes a page takes: Deflate may grow incompressible data a little. */
static uint64_t
page_bound (const DlsTiffWriter *w)
{
  uint64_t strips = (w->height + rows_per_strip (w) - 1) / rows_per_strip (w);
  return page_bytes (w) + page_bytes (w) / 100 + strips * 64 + 4096;
}

static gboolean
fail (DlsTiffWriter *w, GError **error, const char *what)
{
  const char *advice = dls_io_write_advice_for_message (what);

  g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE, "Cannot write “%s”: %s%s%s", w->name, what,
               advice ? ". " : "", advice ? advice : "");
  return FALSE;
}

static gboolean
fail_libtiff (DlsTiffWriter *w, GError **error)
{
  fail (w, error, dls_tiff_log_message (&w->log));
  dls_tiff_log_reset (&w->log);
  return FALSE;
}

static DlsTiffWriter *
writer_new (const char *path, DlsSampleType type, int64_t width, int64_t height, int64_t depth,
            GError **error)
{
  g_autoptr (DlsTiffWriter) w = NULL;
  g_autofree char *dir = NULL, *base = NULL, *tmpl_name = NULL;
  DlsTiffLog *previous;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  w = g_new0 (DlsTiffWriter, 1);
  w->fd = -1;
  w->path = g_strdup (path);
  w->name = dls_tiff_display_name (path);
  w->type = type;
  w->depth = depth;
  if (type != DLS_SAMPLE_U8 && type != DLS_SAMPLE_U16 && type != DLS_SAMPLE_F32)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_UNSUPPORTED,
                   "Cannot write “%s”: %s images are not supported (uint8, uint16 and float32 "
                   "are)",
                   w->name, dls_sample_type_name (type));
      return NULL;
    }
  if (width < 1 || height < 1 || width > G_MAXUINT32 || height > G_MAXUINT32)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE,
                   "Cannot write “%s”: %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                   " pixels is not a valid image size",
                   w->name, width, height);
      return NULL;
    }
  if (depth != -1 && depth < 1)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE,
                   "Cannot write “%s”: a stack of %" G_GINT64_FORMAT " pages", w->name, depth);
      return NULL;
    }
  w->width = (uint32_t) width;
  w->height = (uint32_t) height;

  if (depth > 0)
    {
      uint64_t total;
      w->big = !g_uint64_checked_mul (&total, page_bound (w), (uint64_t) depth)
               || total + 4096 > dls_tiff_bigtiff_threshold ();
    }

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  tmpl_name = g_strdup_printf (".%s.XXXXXX.part", base);
  w->tmp_path = g_build_filename (dir, tmpl_name, NULL);
  w->fd = g_mkstemp_full (w->tmp_path, O_RDWR | O_CLOEXEC, 0666);
  if (w->fd < 0)
    {
      int e = errno;
      g_autofree char *dir_name = g_filename_display_name (dir);
      g_clear_pointer (&w->tmp_path, g_free);
      const char *advice = dls_io_write_advice (e);

      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE, "Cannot write “%s” in “%s”: %s%s%s",
                   w->name, dir_name, g_strerror (e), advice ? ". " : "", advice ? advice : "");
      return NULL;
    }

  previous = dls_tiff_log_push (&w->log);
  w->tif = dls_tiff_fd_open (dup (w->fd), w->name, w->big ? "w8" : "w", &w->log);
  dls_tiff_log_pop (previous);
  if (w->tif == NULL)
    {
      fail_libtiff (w, error);
      return NULL;
    }
  w->scratch = g_try_malloc ((gsize) rows_per_strip (w) * w->width * dls_sample_type_size (type));
  if (w->scratch == NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
                   "Cannot write “%s”: not enough memory", w->name);
      return NULL;
    }
  return g_steal_pointer (&w);
}

DlsTiffWriter *
dls_tiff_writer_new (const char *path, DlsSampleType type, int64_t width, int64_t height,
                     GError **error)
{
  return writer_new (path, type, width, height, -1, error);
}

DlsTiffWriter *
dls_tiff_writer_new_stack (const char *path, DlsSampleType type, int64_t width, int64_t height,
                           int64_t depth, GError **error)
{
  return writer_new (path, type, width, height, depth, error);
}

void
dls_tiff_writer_set_compression (DlsTiffWriter *w, DlsTiffCompression compression)
{
  g_return_if_fail (w != NULL);
  g_return_if_fail (w->n_pages == 0);
  w->compression = compression;
}

static void
set_page_fields (DlsTiffWriter *w)
{
  TIFF *tif = w->tif;
  gboolean f32 = w->type == DLS_SAMPLE_F32;

  TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, w->width);
  TIFFSetField (tif, TIFFTAG_IMAGELENGTH, w->height);
  TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, 1);
  TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, 8 * dls_sample_type_size (w->type));
  TIFFSetField (tif, TIFFTAG_SAMPLEFORMAT, f32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT);
  TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  TIFFSetField (tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField (tif, TIFFTAG_ROWSPERSTRIP, rows_per_strip (w));
  TIFFSetField (tif, TIFFTAG_SOFTWARE, "DLSIA Studio");
  if (w->compression == DLS_TIFF_COMPRESSION_NONE)
    TIFFSetField (tif, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
  else
    {
      TIFFSetField (tif, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
      if (f32 && w->compression == DLS_TIFF_COMPRESSION_DEFLATE_PREDICTOR)
        TIFFSetField (tif, TIFFTAG_PREDICTOR, PREDICTOR_FLOATINGPOINT);
    }
  if (w->n_pages == 0)
    {
      g_autofree char *counts = w->depth > 1    ? counts_text (w, w->depth, FALSE)
                                : w->depth == 1 ? g_strdup ("")
                                                : counts_text (w, 1, TRUE);
      g_autofree char *desc = g_strconcat (IMAGEJ_HEADER, counts, NULL);
      TIFFSetField (tif, TIFFTAG_IMAGEDESCRIPTION, desc);
    }
}

/* Where the padded counts ended up: libtiff writes a directory and its values at the end of the
 * file, so they lie between `from` and the end. */
static gboolean
find_counts (DlsTiffWriter *w, uint64_t from, GError **error)
{
  g_autofree char *marker = counts_text (w, 1, TRUE);
  struct stat st;
  g_autofree char *buf = NULL;
  size_t n;
  const char *hit = NULL;

  if (fstat (w->fd, &st) != 0 || (uint64_t) st.st_size <= from)
    return fail (w, error, g_strerror (errno));
  n = (size_t) ((uint64_t) st.st_size - from);
  buf = g_malloc (n);
  if (pread (w->fd, buf, n, (off_t) from) == (ssize_t) n)
    for (size_t i = 0; hit == NULL && i + strlen (marker) <= n; i++)
      if (memcmp (buf + i, marker, strlen (marker)) == 0)
        hit = buf + i;
  if (hit == NULL)
    return fail (w, error, "its first page cannot be read back");
  w->counts_offset = from + (uint64_t) (hit - buf);
  return TRUE;
}

gboolean
dls_tiff_writer_add_page (DlsTiffWriter *w, const void *data, GError **error)
{
  const uint8_t *src = data;
  uint32_t rps = rows_per_strip (w);
  uint64_t row = (uint64_t) w->width * dls_sample_type_size (w->type);
  uint32_t n_strips = (w->height + rps - 1) / rps;
  DlsTiffLog *previous;
  struct stat st;
  gboolean ok = FALSE;
  int write_errno;

  g_return_val_if_fail (w != NULL && w->tif != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (w->depth > 0 && w->n_pages >= w->depth)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE,
                   "Cannot write “%s”: more pages than the %" G_GINT64_FORMAT " announced", w->name,
                   w->depth);
      return FALSE;
    }
  if (fstat (w->fd, &st) != 0)
    return fail (w, error, g_strerror (errno));
  if (!w->big && (uint64_t) st.st_size + page_bound (w) > dls_tiff_bigtiff_threshold ())
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
                   "Cannot write “%s”: it would grow past 4 GB, the most a classic TIFF holds "
                   "(a writer told the page count up front writes BigTIFF)",
                   w->name);
      return FALSE;
    }

  previous = dls_tiff_log_push (&w->log);
  set_page_fields (w);
  errno = 0;
  for (uint32_t s = 0; s < n_strips; s++)
    {
      uint32_t rows = MIN (rps, w->height - s * rps);
      size_t n = (size_t) (rows * row);

      memcpy (w->scratch, src + (uint64_t) s * rps * row, n);
      if (TIFFWriteEncodedStrip (w->tif, s, w->scratch, (tmsize_t) n) < 0)
        goto out;
    }
  if (!TIFFWriteDirectory (w->tif))
    goto out;
  ok = TRUE;

out:
  write_errno = errno;
  dls_tiff_log_pop (previous);
  if (!ok && write_errno != 0
      && strstr (dls_tiff_log_message (&w->log), g_strerror (write_errno)) == NULL)
    {
      /* libtiff says "Write error at scanline 0"; the system says why (a full disk) */
      g_autofree char *what
          = g_strdup_printf ("%s (%s)", dls_tiff_log_message (&w->log), g_strerror (write_errno));
      dls_tiff_log_reset (&w->log);
      return fail (w, error, what);
    }
  if (!ok)
    return fail_libtiff (w, error);
  if (w->n_pages == 0 && w->depth < 0 && !find_counts (w, (uint64_t) st.st_size, error))
    return FALSE;
  w->n_pages++;
  return TRUE;
}

static void
sync_folder (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd >= 0)
    {
      fsync (fd); /* best effort: the rename is durable once the folder is */
      close (fd);
    }
}

gboolean
dls_tiff_writer_commit (DlsTiffWriter *w, GError **error)
{
  g_autoptr (DlsTiffWriter) owned = w;
  DlsTiffLog *previous;

  g_return_val_if_fail (w != NULL && w->tif != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (w->n_pages == 0)
    return fail (w, error, "no pages were added");
  if (w->depth > 0 && w->n_pages != w->depth)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE,
                   "Cannot write “%s”: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                   " pages were added",
                   w->name, w->n_pages, w->depth);
      return FALSE;
    }

  previous = dls_tiff_log_push (&w->log);
  TIFFClose (w->tif);
  w->tif = NULL;
  dls_tiff_log_pop (previous);
  if (w->log.error != NULL)
    return fail_libtiff (w, error);

  if (w->counts_offset != 0)
    {
      g_autofree char *counts = counts_text (w, w->n_pages, TRUE);
      size_t n = strlen (counts);
      if (pwrite (w->fd, counts, n, (off_t) w->counts_offset) != (ssize_t) n)
        return fail (w, error, g_strerror (errno));
    }
  if (fsync (w->fd) != 0)
    return fail (w, error, g_strerror (errno));
  if (close (w->fd) != 0)
    {
      w->fd = -1;
      return fail (w, error, g_strerror (errno));
    }
  w->fd = -1;
  if (g_rename (w->tmp_path, w->path) != 0)
    return fail (w, error, g_strerror (errno));
  g_clear_pointer (&w->tmp_path, g_free); /* renamed: nothing to remove */
  sync_folder (w->path);
  return TRUE;
}

void
dls_tiff_writer_abort (DlsTiffWriter *w)
{
  if (w == NULL)
    return;
  if (w->tif != NULL)
    {
      DlsTiffLog *previous = dls_tiff_log_push (&w->log);
      TIFFClose (w->tif);
      dls_tiff_log_pop (previous);
    }
  if (w->fd >= 0)
    close (w->fd);
  if (w->tmp_path != NULL)
    g_unlink (w->tmp_path);
  dls_tiff_log_reset (&w->log);
  g_free (w->scratch);
  g_free (w->tmp_path);
  g_free (w->name);
  g_free (w->path);
  g_free (w);
}

static gboolean
write_stack (const char *path, DlsSampleType type, const void *data, int64_t pages, int64_t height,
             int64_t width, GError **error)
{
  g_autoptr (DlsTiffWriter) w = NULL;
  uint64_t page = (uint64_t) width * height * dls_sample_type_size (type);

  g_return_val_if_fail (data != NULL, FALSE);
  w = dls_tiff_writer_new_stack (path, type, width, height, pages, error);
  if (w == NULL)
    return FALSE;
  for (int64_t z = 0; z < pages; z++)
    if (!dls_tiff_writer_add_page (w, (const uint8_t *) data + z * page, error))
      return FALSE;
  return dls_tiff_writer_commit (g_steal_pointer (&w), error);
}

gboolean
dls_tiff_write_u8 (const char *path, const uint8_t *data, int64_t pages, int64_t height,
                   int64_t width, GError **error)
{
  return write_stack (path, DLS_SAMPLE_U8, data, pages, height, width, error);
}

gboolean
dls_tiff_write_u16 (const char *path, const uint16_t *data, int64_t pages, int64_t height,
                    int64_t width, GError **error)
{
  return write_stack (path, DLS_SAMPLE_U16, data, pages, height, width, error);
}

gboolean
dls_tiff_write_f32 (const char *path, const float *data, int64_t pages, int64_t height,
                    int64_t width, GError **error)
{
  return write_stack (path, DLS_SAMPLE_F32, data, pages, height, width, error);
}
