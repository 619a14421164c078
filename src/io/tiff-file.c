/* SPDX-License-Identifier: MIT
 *
 * tiff-file.c: one TIFF file into float32 slices (C × H × W), values unchanged.
 *
 * Opening checks everything it can before a pixel is decoded, so a damaged file fails with a
 * message instead of a crash or a half-read volume: the IFD chain is walked by hand first
 * (tiff-ifd.c), then every page's format is checked against the first, every strip or tile must
 * lie inside the file, and uncompressed ones must hold as many bytes as their pixels need.
 * Decoding goes through libtiff's TIFFReadEncodedStrip/Tile, which handles codecs, predictors
 * and byte order; we convert to float and scatter into channel planes.
 *
 * Pages map onto slices in one of three ways: one page per slice (channels = samples per
 * pixel); an ImageJ hyperstack, one page per channel of a slice (C fastest, then Z, then T); or
 * the layout ImageJ writes past 4 GB, one IFD followed by every image back to back.
 *
 * It does not: decode 1/4/12-bit, palette, YCbCr or half-float images; follow SubIFDs; read
 * pyramid levels (reduced-resolution pages are skipped); map the file into memory (a file cut
 * short while mapped would kill the process with SIGBUS).
 */
#include "tiff-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum
{
  LAYOUT_PAGES,    /* page z is slice z; channels are the samples of a pixel */
  LAYOUT_CHANNELS, /* ImageJ hyperstack: page z·C + c is channel c of slice z */
  LAYOUT_RAW,      /* ImageJ past 4 GB: image z·C + c at raw_base + (z·C + c)·raw_image_bytes */
} Layout;

typedef struct
{
  uint32_t width, height;
  uint16_t spp, bps, planar, compression;
  DlsSampleType type;
  gboolean tiled;
  uint32_t block_w, block_h; /* the tile, or width × rows per strip */
} PageFormat;

typedef struct
{
  uint64_t ifd;   /* offset of the page's IFD */
  int64_t number; /* 1-based position in the file, for messages */
} Page;

struct _DlsTiffFile
{
  char *name;
  int fd; /* owned by tif */
  TIFF *tif;
  uint64_t file_size;
  DlsTiffLog log;
  DlsTiffInfo info;
  PageFormat first;
  GArray *pages; /* Page, the ones that hold image data, in order */
  Layout layout;
  uint64_t raw_base, raw_image_bytes;
};

void
dls_tiff_file_free (DlsTiffFile *f)
{
  if (f == NULL)
    return;
  if (f->tif != NULL)
    {
      DlsTiffLog *previous = dls_tiff_log_push (&f->log);
      TIFFClose (f->tif);
      dls_tiff_log_pop (previous);
    }
  dls_tiff_log_reset (&f->log);
  dls_tiff_info_clear (&f->info);
  g_clear_pointer (&f->pages, g_array_unref);
  g_free (f->name);
  g_free (f);
}

const DlsTiffInfo *
dls_tiff_file_get_info (DlsTiffFile *f)
{
  return &f->info;
}

const char *
dls_tiff_file_get_name (DlsTiffFile *f)
{
  return f->name;
}

static gboolean
unsupported (GError **error, const char *name, int64_t page, const char *what)
{
  if (page > 1)
    g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_UNSUPPORTED,
                 "“%s”: page %" G_GINT64_FORMAT ": %s are not supported", name, page, what);
  else
    g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_UNSUPPORTED, "“%s”: %s are not supported", name,
                 what);
  return FALSE;
}

static gboolean
sample_type_from_tiff (uint16_t bps, uint16_t format, DlsSampleType *type, const char **refused)
{
  *refused = NULL;
  if (bps == 1)
    *refused = "1-bit (black and white) images";
  else if (format == SAMPLEFORMAT_COMPLEXINT || format == SAMPLEFORMAT_COMPLEXIEEEFP)
    *refused = "complex samples";
  else if (format == SAMPLEFORMAT_IEEEFP && bps == 32)
    *type = DLS_SAMPLE_F32;
  else if (format == SAMPLEFORMAT_IEEEFP && bps == 64)
    *type = DLS_SAMPLE_F64;
  else if (format == SAMPLEFORMAT_IEEEFP)
    *refused = bps == 16 ? "16-bit floating-point samples" : "floating-point samples of this size";
  else if (bps == 8)
    *type = format == SAMPLEFORMAT_INT ? DLS_SAMPLE_I8 : DLS_SAMPLE_U8;
  else if (bps == 16)
    *type = format == SAMPLEFORMAT_INT ? DLS_SAMPLE_I16 : DLS_SAMPLE_U16;
  else if (bps == 32)
    *type = format == SAMPLEFORMAT_INT ? DLS_SAMPLE_I32 : DLS_SAMPLE_U32;
  else if (bps == 64)
    *refused = "64-bit integer samples";
  else
    *refused = bps == 12   ? "12-bit samples"
               : bps == 4  ? "4-bit samples"
               : bps == 2  ? "2-bit samples"
               : bps == 24 ? "24-bit samples"
                           : "samples of this bit depth";
  return *refused == NULL;
}

/* The format of the current directory, and the checks that make decoding it safe. */
static gboolean
page_format (DlsTiffFile *f, int64_t page, PageFormat *pf, GError **error)
{
  TIFF *tif = f->tif;
  uint32_t w = 0, h = 0, rps = 0;
  uint16_t spp = 1, bps = 1, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
  uint16_t compression = COMPRESSION_NONE, photometric = PHOTOMETRIC_MINISBLACK;
  const char *refused = NULL;
  uint64_t values, n_striles;
  uint32_t per_plane;

  memset (pf, 0, sizeof *pf);
  TIFFGetField (tif, TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField (tif, TIFFTAG_IMAGELENGTH, &h);
  TIFFGetFieldDefaulted (tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted (tif, TIFFTAG_BITSPERSAMPLE, &bps);
  TIFFGetFieldDefaulted (tif, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetFieldDefaulted (tif, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted (tif, TIFFTAG_COMPRESSION, &compression);
  TIFFGetField (tif, TIFFTAG_PHOTOMETRIC, &photometric);

  if (w == 0 || h == 0 || spp == 0)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                   "“%s” is damaged: page %" G_GINT64_FORMAT " has no pixels (%u × %u × %u)",
                   f->name, page, w, h, spp);
      return FALSE;
    }
  if (!sample_type_from_tiff (bps, format, &pf->type, &refused))
    return unsupported (error, f->name, page, refused);
  if (photometric == PHOTOMETRIC_PALETTE)
    return unsupported (error, f->name, page, "palette (indexed-colour) images");
  if (photometric == PHOTOMETRIC_YCBCR)
    return unsupported (error, f->name, page, "YCbCr images");
  if (photometric == PHOTOMETRIC_LOGL || photometric == PHOTOMETRIC_LOGLUV)
    return unsupported (error, f->name, page, "LogLuv images");
  if (compression == COMPRESSION_OJPEG)
    return unsupported (error, f->name, page, "old-style JPEG images");
  if (!TIFFIsCODECConfigured (compression))
    {
      g_autofree char *codec = dls_tiff_compression_name (compression);
      if (TIFFFindCODEC (compression) == NULL)
        g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_UNSUPPORTED,
                     "“%s”: page %" G_GINT64_FORMAT " uses an unknown compression (%u)", f->name,
                     page, compression);
      else
        g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_UNSUPPORTED,
                     "“%s”: %s compression is not supported by this build of libtiff", f->name,
                     codec);
      return FALSE;
    }
  if (!g_uint64_checked_mul (&values, w, h) || !g_uint64_checked_mul (&values, values, spp)
      || values > (uint64_t) DLS_TIFF_MAX_SLICE_VALUES)
    return dls_tiff_too_large (error, f->name, page, w, h, spp);

  pf->width = w;
  pf->height = h;
  pf->spp = spp;
  pf->bps = bps;
  pf->planar = spp > 1 ? planar : PLANARCONFIG_CONTIG;
  pf->compression = compression;
  pf->tiled = TIFFIsTiled (tif);
  if (pf->tiled)
    {
      TIFFGetField (tif, TIFFTAG_TILEWIDTH, &pf->block_w);
      TIFFGetField (tif, TIFFTAG_TILELENGTH, &pf->block_h);
      if (pf->block_w == 0 || pf->block_h == 0)
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                       "“%s” is damaged: page %" G_GINT64_FORMAT " has empty tiles", f->name, page);
          return FALSE;
        }
    }
  else
    {
      TIFFGetFieldDefaulted (tif, TIFFTAG_ROWSPERSTRIP, &rps);
      pf->block_w = w;
      pf->block_h = rps == 0 || rps > h ? h : rps;
    }

  /* Every strip or tile inside the file; uncompressed ones as large as their pixels need. */
  n_striles = TIFFNumberOfStrips (tif);
  per_plane
      = pf->planar == PLANARCONFIG_SEPARATE ? (uint32_t) (n_striles / spp) : (uint32_t) n_striles;
  if (n_striles == 0 || per_plane == 0)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                   "“%s” is damaged: page %" G_GINT64_FORMAT " has no image data", f->name, page);
      return FALSE;
    }
  for (uint32_t i = 0; i < n_striles; i++)
    {
      int err = 0;
      uint64_t off = TIFFGetStrileOffsetWithErr (tif, i, &err);
      uint64_t count = TIFFGetStrileByteCountWithErr (tif, i, &err);
      uint64_t need;

      if (err != 0 || count > f->file_size || off > f->file_size - count)
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                       "“%s” is truncated: page %" G_GINT64_FORMAT " ends past the end of the file",
                       f->name, page);
          return FALSE;
        }
      if (compression != COMPRESSION_NONE)
        continue;
      if (pf->tiled)
        need = TIFFTileSize64 (tif);
      else
        {
          uint64_t row0 = (uint64_t) (i % per_plane) * pf->block_h;
          uint32_t rows = row0 >= h ? 0 : (uint32_t) MIN ((uint64_t) pf->block_h, h - row0);
          need = TIFFVStripSize64 (tif, rows);
        }
      if (count < need)
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                       "“%s” is truncated: page %" G_GINT64_FORMAT
                       " holds fewer bytes than its %u × %u pixels need",
                       f->name, page, w, h);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
same_format (DlsTiffFile *f, int64_t page, const PageFormat *a, const PageFormat *b, GError **error)
{
  if (a->width != b->width || a->height != b->height)
    g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                 "“%s”: page %" G_GINT64_FORMAT " is %u × %u pixels but page 1 is %u × %u; "
                 "all pages must have the same size",
                 f->name, page, a->width, a->height, b->width, b->height);
  else if (a->spp != b->spp)
    g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                 "“%s”: page %" G_GINT64_FORMAT " has %u samples per pixel but page 1 has %u",
                 f->name, page, a->spp, b->spp);
  else if (a->type != b->type)
    g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                 "“%s”: page %" G_GINT64_FORMAT " holds %s samples but page 1 holds %s", f->name,
                 page, dls_sample_type_name (a->type), dls_sample_type_name (b->type));
  else
    return TRUE;
  return FALSE;
}

static gboolean
go_to_page (DlsTiffFile *f, const Page *p, GError **error)
{
  if (TIFFSetSubDirectory (f->tif, p->ifd))
    return TRUE;
  g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
               "“%s” is damaged: page %" G_GINT64_FORMAT " cannot be read (%s)", f->name, p->number,
               dls_tiff_log_message (&f->log));
  dls_tiff_log_reset (&f->log);
  return FALSE;
}

static int64_t
imagej_value (const char *desc, const char *key)
{
  size_t n = strlen (key);

  for (const char *line = desc; line != NULL && *line != '\0';)
    {
      if (strncmp (line, key, n) == 0 && line[n] == '=')
        return g_ascii_strtoll (line + n + 1, NULL, 10);
      line = strchr (line, '\n');
      if (line != NULL)
        line++;
    }
  return 0;
}

/* How pages become slices: plain pages, an ImageJ hyperstack, or ImageJ's layout past 4 GB.
 * An ImageJ description that does not fit the file is ignored. */
static gboolean
choose_layout (DlsTiffFile *f, const char *desc, GError **error)
{
  int64_t n_pages = f->pages->len, images, c, z, t, czt;
  const PageFormat *pf = &f->first;

  f->layout = LAYOUT_PAGES;
  f->info.depth = n_pages;
  f->info.channels = pf->spp;
  if (desc == NULL || !g_str_has_prefix (desc, "ImageJ="))
    return TRUE;

  images = imagej_value (desc, "images");
  c = MAX (imagej_value (desc, "channels"), 1);
  z = MAX (imagej_value (desc, "slices"), 1);
  t = MAX (imagej_value (desc, "frames"), 1);
  if (images <= 0)
    images = n_pages;
  if (imagej_value (desc, "slices") <= 0 && imagej_value (desc, "frames") <= 0)
    z = images / c; /* "images=N" alone, or with channels= only */
  /* each at most 2^31, so c·z·t does not overflow before the comparison */
  if (c > 65535 || z > G_MAXINT32 || t > G_MAXINT32 || (czt = c * z) > G_MAXINT32
      || (czt *= t) != images || (c > 1 && pf->spp != 1))
    return TRUE;

  if (images == n_pages)
    {
      if (c > 1)
        {
          f->layout = LAYOUT_CHANNELS;
          f->info.depth = z * t;
          f->info.channels = (int) c;
        }
      return TRUE;
    }

  if (n_pages == 1 && images > 1 && pf->compression == COMPRESSION_NONE && !pf->tiled
      && (pf->spp == 1 || pf->planar == PLANARCONFIG_CONTIG))
    {
      uint64_t base = TIFFGetStrileOffset (f->tif, 0), end = base, total;
      uint32_t n = TIFFNumberOfStrips (f->tif);

      for (uint32_t i = 0; i < n; i++)
        {
          if (TIFFGetStrileOffset (f->tif, i) != end)
            return TRUE; /* strips not back to back: not ImageJ's layout */
          end += TIFFGetStrileByteCount (f->tif, i);
        }
      f->raw_image_bytes = (uint64_t) pf->width * pf->height * pf->spp * (pf->bps / 8);
      if (!g_uint64_checked_mul (&total, f->raw_image_bytes, (uint64_t) images)
          || total > f->file_size - base)
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                       "“%s” is truncated: it should hold %" G_GINT64_FORMAT
                       " images but ends after %" G_GUINT64_FORMAT,
                       f->name, images, (f->file_size - base) / f->raw_image_bytes);
          return FALSE;
        }
      f->layout = LAYOUT_RAW;
      f->raw_base = base;
      f->info.depth = z * t;
      f->info.channels = c > 1 ? (int) c : pf->spp;
    }
  return TRUE;
}

DlsTiffFile *
dls_tiff_file_open (const char *path, GError **error)
{
  g_autoptr (DlsTiffFile) f = g_new0 (DlsTiffFile, 1);
  g_autoptr (GArray) ifds = g_array_new (FALSE, FALSE, sizeof (uint64_t));
  DlsTiffLog *previous;
  g_autofree char *desc = NULL;
  struct stat st;
  int fd;
  gboolean ok = FALSE;

  f->name = dls_tiff_display_name (path);
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, DLS_IO_ERROR, e == ENOENT ? DLS_IO_ERROR_NOT_FOUND : DLS_IO_ERROR_READ,
                   e == ENOENT ? "“%s” does not exist" : "Cannot open “%s”: %s", f->name,
                   g_strerror (e));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT, "“%s” is not a regular file", f->name);
      close (fd);
      return NULL;
    }
  f->fd = fd;
  f->file_size = (uint64_t) st.st_size;
  if (!dls_tiff_walk_ifds (fd, f->file_size, f->name, &f->info.big_tiff, &f->info.big_endian, ifds,
                           error))
    {
      close (fd);
      return NULL;
    }

  previous = dls_tiff_log_push (&f->log);
  f->tif = dls_tiff_fd_open (fd, f->name, "rm", &f->log);
  if (f->tif == NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT, "“%s” is damaged: %s", f->name,
                   dls_tiff_log_message (&f->log));
      goto out;
    }

  f->pages = g_array_new (FALSE, FALSE, sizeof (Page));
  for (guint i = 0; i < ifds->len; i++)
    {
      Page p = { g_array_index (ifds, uint64_t, i), i + 1 };
      PageFormat pf;
      uint32_t subfile = 0;

      if (!go_to_page (f, &p, error))
        goto out;
      TIFFGetField (f->tif, TIFFTAG_SUBFILETYPE, &subfile);
      if (i > 0 && (subfile & (FILETYPE_REDUCEDIMAGE | FILETYPE_MASK)) != 0)
        continue; /* a thumbnail or pyramid level, or a mask: not a slice */
      if (!page_format (f, p.number, &pf, error))
        goto out;
      if (f->pages->len == 0)
        {
          const char *text = NULL;

          f->first = pf;
          if (TIFFGetField (f->tif, TIFFTAG_IMAGEDESCRIPTION, &text) && text != NULL)
            desc = g_strdup (text);
        }
      else if (!same_format (f, p.number, &pf, &f->first, error))
        goto out;
      g_array_append_val (f->pages, p);
    }

  f->info.width = f->first.width;
  f->info.height = f->first.height;
  f->info.type = f->first.type;
  f->info.pages = ifds->len;
  f->info.tiled = f->first.tiled;
  f->info.compression = dls_tiff_compression_name (f->first.compression);
  if (!go_to_page (f, &g_array_index (f->pages, Page, 0), error))
    goto out;
  ok = choose_layout (f, desc, error);

out:
  dls_tiff_log_pop (previous);
  return ok ? g_steal_pointer (&f) : NULL;
}

/* rows × cols samples of a block (nsb samples per pixel, block_w pixels per row) into the
 * channel planes of `dst` (plane stride HW, row stride W). */
#define CONVERT(T)                                       \
  do                                                     \
    {                                                    \
      const T *src = buf;                                \
      for (int64_t r = 0; r < rows; r++)                 \
        for (int s = 0; s < nsb; s++)                    \
          {                                              \
            const T *sp = src + (r * block_w) * nsb + s; \
            float *dp = dst + s * HW + r * W;            \
            for (int64_t x = 0; x < cols; x++)           \
              dp[x] = (float) sp[x * nsb];               \
          }                                              \
    }                                                    \
  while (0)

static void
convert_block (DlsSampleType type, const void *buf, int64_t block_w, int nsb, int64_t rows,
               int64_t cols, float *dst, int64_t HW, int64_t W)
{
  switch (type)
    {
    case DLS_SAMPLE_U8:
      CONVERT (uint8_t);
      break;
    case DLS_SAMPLE_U16:
      CONVERT (uint16_t);
      break;
    case DLS_SAMPLE_U32:
      CONVERT (uint32_t);
      break;
    case DLS_SAMPLE_I8:
      CONVERT (int8_t);
      break;
    case DLS_SAMPLE_I16:
      CONVERT (int16_t);
      break;
    case DLS_SAMPLE_I32:
      CONVERT (int32_t);
      break;
    case DLS_SAMPLE_F32:
      CONVERT (float);
      break;
    case DLS_SAMPLE_F64:
      CONVERT (double);
      break;
    }
}

#undef CONVERT

static gboolean
decode_failed (DlsTiffFile *f, const Page *p, GError **error)
{
  g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
               "“%s” is damaged: page %" G_GINT64_FORMAT " cannot be decoded (%s)", f->name,
               p->number, dls_tiff_log_message (&f->log));
  dls_tiff_log_reset (&f->log);
  return FALSE;
}

/* The current page into out (its spp channels, each H × W). */
static gboolean
decode_page (DlsTiffFile *f, const Page *p, float *out, GError **error)
{
  TIFF *tif = f->tif;
  PageFormat pf;
  int64_t W, H, bw, bh;
  int n_planes, nsb, size;
  tmsize_t buf_size;
  g_autofree void *buf = NULL;

  if (!page_format (f, p->number, &pf, error))
    return FALSE;
  if (pf.width != f->first.width || pf.height != f->first.height || pf.spp != f->first.spp
      || pf.type != f->first.type)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                   "“%s” changed while it was being read", f->name);
      return FALSE;
    }
  W = pf.width;
  H = pf.height;
  bw = pf.block_w;
  bh = pf.block_h;
  n_planes = pf.planar == PLANARCONFIG_SEPARATE ? pf.spp : 1;
  nsb = pf.planar == PLANARCONFIG_SEPARATE ? 1 : pf.spp;
  size = dls_sample_type_size (pf.type);
  buf_size = pf.tiled ? TIFFTileSize (tif) : TIFFStripSize (tif);
  if (buf_size <= 0 || (uint64_t) buf_size < (uint64_t) bw * bh * nsb * size
      || (buf = g_try_malloc (buf_size)) == NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
                   "“%s”: page %" G_GINT64_FORMAT " has strips or tiles too large to read", f->name,
                   p->number);
      return FALSE;
    }

  for (int plane = 0; plane < n_planes; plane++)
    for (int64_t y0 = 0; y0 < H; y0 += bh)
      for (int64_t x0 = 0; x0 < W; x0 += bw)
        {
          int64_t rows = MIN (bh, H - y0), cols = MIN (bw, W - x0);
          tmsize_t got, need;

          if (pf.tiled)
            {
              uint32_t tile = TIFFComputeTile (tif, (uint32_t) x0, (uint32_t) y0, 0, plane);
              got = TIFFReadEncodedTile (tif, tile, buf, buf_size);
              need = ((rows - 1) * bw + cols) * nsb * size;
            }
          else
            {
              uint32_t strip = TIFFComputeStrip (tif, (uint32_t) y0, plane);
              got = TIFFReadEncodedStrip (tif, strip, buf, buf_size);
              need = rows * W * nsb * size;
            }
          if (got < 0)
            return decode_failed (f, p, error);
          if (got < need)
            {
              g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                           "“%s” is truncated: page %" G_GINT64_FORMAT " has fewer pixels than "
                           "its size says",
                           f->name, p->number);
              return FALSE;
            }
          convert_block (pf.type, buf, bw, nsb, rows, cols,
                         out + (int64_t) plane * H * W + y0 * W + x0, H * W, W);
        }
  return TRUE;
}

/* Image `index` of ImageJ's layout past 4 GB into out (its spp channels). */
static gboolean
read_raw_image (DlsTiffFile *f, int64_t index, float *out, GError **error)
{
  const PageFormat *pf = &f->first;
  int64_t n = (int64_t) pf->width * pf->height * pf->spp;
  g_autofree void *buf = g_try_malloc (f->raw_image_bytes);

  if (buf == NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
                   "Not enough memory to read a slice of “%s”", f->name);
      return FALSE;
    }
  if (!dls_tiff_read_at (f->fd, buf, f->raw_image_bytes, f->raw_base + index * f->raw_image_bytes))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                   "“%s” is truncated: image %" G_GINT64_FORMAT " cannot be read", f->name,
                   index + 1);
      return FALSE;
    }
  if (f->info.big_endian != (G_BYTE_ORDER == G_BIG_ENDIAN))
    {
      if (pf->bps == 16)
        TIFFSwabArrayOfShort (buf, n);
      else if (pf->bps == 32)
        TIFFSwabArrayOfLong (buf, n);
      else if (pf->bps == 64)
        TIFFSwabArrayOfLong8 (buf, n);
    }
  convert_block (pf->type, buf, pf->width, pf->spp, pf->height, pf->width, out,
                 (int64_t) pf->width * pf->height, pf->width);
  return TRUE;
}

gboolean
dls_tiff_file_read_slice (DlsTiffFile *f, int64_t z, float *out, GError **error)
{
  int64_t hw = f->info.width * f->info.height;
  DlsTiffLog *previous = dls_tiff_log_push (&f->log);
  gboolean ok = TRUE;

  switch (f->layout)
    {
    case LAYOUT_PAGES:
      {
        const Page *p = &g_array_index (f->pages, Page, z);
        ok = go_to_page (f, p, error) && decode_page (f, p, out, error);
        break;
      }
    case LAYOUT_CHANNELS:
      for (int c = 0; ok && c < f->info.channels; c++)
        {
          const Page *p = &g_array_index (f->pages, Page, z * f->info.channels + c);
          ok = go_to_page (f, p, error) && decode_page (f, p, out + c * hw, error);
        }
      break;
    case LAYOUT_RAW:
      if (f->first.spp > 1)
        ok = read_raw_image (f, z, out, error);
      else
        for (int c = 0; ok && c < f->info.channels; c++)
          ok = read_raw_image (f, z * f->info.channels + c, out + c * hw, error);
      break;
    }
  dls_tiff_log_pop (previous);
  return ok;
}
