/* SPDX-License-Identifier: MIT
 *
 * test-tiff.c: TIFF reading and writing.  Every file is made at test time in a temporary
 * folder, with libtiff (or byte by byte for the damaged and unusual ones), filled with a known
 * pattern per page, sample, row and column, and read back value for value.  The format matrix
 * runs every sample type through strips and tiles, both byte orders, classic and BigTIFF,
 * one or three samples in contiguous or separate planes, with and without predictor, once per
 * codec.  Bad inputs must fail with a GError that names the file, and print nothing: those
 * tests run in a subprocess whose stderr must stay empty.
 */
#include "tiff-private.h"
#include "tmpdir.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- temporary folders ---- */


static int
dir_count (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  int n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* A new file each time: ext4 flushes a file replaced by rename or truncation to disk, which
 * made the many small rewrites here slow. */
static void
write_bytes (const char *path, const void *data, gsize n)
{
  FILE *f;

  g_unlink (path);
  f = g_fopen (path, "wb");
  g_assert_nonnull (f);
  g_assert_cmpuint (fwrite (data, 1, n, f), ==, n);
  g_assert_cmpint (fclose (f), ==, 0);
}

/* The error is in DLS_IO_ERROR with `code`, and its message names the file. */
static void
assert_io_error (const GError *error, int code, const char *path)
{
  g_autofree char *base = g_path_get_basename (path);

  g_assert_error (error, DLS_IO_ERROR, code);
  g_test_message ("%s", error->message);
  if (strstr (error->message, base) == NULL)
    g_error ("“%s” does not name %s", error->message, base);
}

/* Runs the calling test again in a subprocess (which does the work) and checks that it passed
 * with nothing on stderr: libtiff must not print. */
static gboolean
in_quiet_subprocess (void)
{
  if (g_test_subprocess ())
    return TRUE;
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("");
  return FALSE;
}

/* ---- the pattern: a value per page, sample, row and column that fits every type ---- */

static double
pattern (DlsSampleType type, int page, int s, int y, int x)
{
  uint32_t k = (uint32_t) (page * 131 + s * 71 + y * 23 + x * 7 + 5);

  switch (type)
    {
    case DLS_SAMPLE_U8:
      return k % 256;
    case DLS_SAMPLE_U16:
      return (k * 251) % 65536;
    case DLS_SAMPLE_U32:
      return (uint32_t) (k * 2654435761u);
    case DLS_SAMPLE_I8:
      return (double) (k % 256) - 128;
    case DLS_SAMPLE_I16:
      return (double) ((k * 251) % 65536) - 32768;
    case DLS_SAMPLE_I32:
      return (int32_t) (k * 2654435761u);
    case DLS_SAMPLE_F32:
      return (float) ((double) (k % 1000) - 500.0) * 0.37f;
    case DLS_SAMPLE_F64:
      return ((double) (k % 1000) - 500.0) * 0.123456789012345;
    }
  g_assert_not_reached ();
}

static void
store (DlsSampleType type, void *buf, size_t i, double v)
{
  switch (type)
    {
    case DLS_SAMPLE_U8:
      ((uint8_t *) buf)[i] = (uint8_t) v;
      break;
    case DLS_SAMPLE_U16:
      ((uint16_t *) buf)[i] = (uint16_t) v;
      break;
    case DLS_SAMPLE_U32:
      ((uint32_t *) buf)[i] = (uint32_t) v;
      break;
    case DLS_SAMPLE_I8:
      ((int8_t *) buf)[i] = (int8_t) v;
      break;
    case DLS_SAMPLE_I16:
      ((int16_t *) buf)[i] = (int16_t) v;
      break;
    case DLS_SAMPLE_I32:
      ((int32_t *) buf)[i] = (int32_t) v;
      break;
    case DLS_SAMPLE_F32:
      ((float *) buf)[i] = (float) v;
      break;
    case DLS_SAMPLE_F64:
      ((double *) buf)[i] = v;
      break;
    }
}

/* ---- TIFFs made with libtiff ---- */

typedef struct
{
  DlsSampleType type;
  int width, height, pages, spp;
  uint16_t compression, predictor, planar, photometric;
  gboolean tiled, big_endian, big_tiff;
  const char *description; /* on the first page */
  int odd_page, odd_width; /* page odd_page (if > 0) is odd_width wide */
  int first_page;          /* the pattern's page number of the first page */
} Spec;

static Spec
spec_default (DlsSampleType type)
{
  return (Spec){ .type = type,
                 .width = 21,
                 .height = 13,
                 .pages = 2,
                 .spp = 1,
                 .compression = COMPRESSION_NONE,
                 .planar = PLANARCONFIG_CONTIG,
                 .photometric = PHOTOMETRIC_MINISBLACK };
}

static void
tiff_type (DlsSampleType type, uint16_t *bps, uint16_t *format)
{
  *bps = 8 * dls_sample_type_size (type);
  *format = type == DLS_SAMPLE_F32 || type == DLS_SAMPLE_F64 ? SAMPLEFORMAT_IEEEFP
            : type == DLS_SAMPLE_I8 || type == DLS_SAMPLE_I16 || type == DLS_SAMPLE_I32
                ? SAMPLEFORMAT_INT
                : SAMPLEFORMAT_UINT;
}

static void
make_tiff (const char *path, const Spec *spec)
{
  char mode[8] = "w";
  TIFF *tif;
  int size = dls_sample_type_size (spec->type);
  uint16_t bps, format;

  strcat (mode, spec->big_endian ? "b" : "l");
  if (spec->big_tiff)
    strcat (mode, "8");
  g_unlink (path); /* see write_bytes() */
  tif = TIFFOpen (path, mode);
  g_assert_nonnull (tif);
  tiff_type (spec->type, &bps, &format);

  for (int p = 0; p < spec->pages; p++)
    {
      int W = p > 0 && p == spec->odd_page ? spec->odd_width : spec->width, H = spec->height;
      gboolean separate = spec->planar == PLANARCONFIG_SEPARATE;
      int n_planes = separate ? spec->spp : 1, nsb = separate ? 1 : spec->spp;
      int bw = spec->tiled ? 16 : W, bh = spec->tiled ? 16 : 5;
      g_autofree uint8_t *buf = g_malloc ((size_t) bw * bh * nsb * size);

      TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, W);
      TIFFSetField (tif, TIFFTAG_IMAGELENGTH, H);
      TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, spec->spp);
      TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, bps);
      TIFFSetField (tif, TIFFTAG_SAMPLEFORMAT, format);
      TIFFSetField (tif, TIFFTAG_PLANARCONFIG, spec->planar);
      TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, spec->photometric);
      TIFFSetField (tif, TIFFTAG_COMPRESSION, spec->compression);
      if (spec->predictor != 0)
        TIFFSetField (tif, TIFFTAG_PREDICTOR, spec->predictor);
      /* the fastest levels: the files are tiny, and a ZSTD context at its default level takes
       * megabytes, which is slow under AddressSanitizer */
      if (spec->compression == COMPRESSION_ZSTD)
        TIFFSetField (tif, TIFFTAG_ZSTD_LEVEL, 1);
      if (spec->compression == COMPRESSION_ADOBE_DEFLATE
          || spec->compression == COMPRESSION_DEFLATE)
        TIFFSetField (tif, TIFFTAG_ZIPQUALITY, 1);
      if (spec->spp == 4)
        {
          uint16_t extra = EXTRASAMPLE_UNASSALPHA;
          TIFFSetField (tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
        }
      if (spec->tiled)
        {
          TIFFSetField (tif, TIFFTAG_TILEWIDTH, bw);
          TIFFSetField (tif, TIFFTAG_TILELENGTH, bh);
        }
      else
        TIFFSetField (tif, TIFFTAG_ROWSPERSTRIP, bh);
      if (p == 0 && spec->description != NULL)
        TIFFSetField (tif, TIFFTAG_IMAGEDESCRIPTION, spec->description);

      for (int plane = 0; plane < n_planes; plane++)
        for (int y0 = 0; y0 < H; y0 += bh)
          for (int x0 = 0; x0 < W; x0 += bw)
            {
              int rows = spec->tiled ? bh : MIN (bh, H - y0);

              memset (buf, 0, (size_t) bw * bh * nsb * size);
              for (int r = 0; r < rows && y0 + r < H; r++)
                for (int x = 0; x < bw && x0 + x < W; x++)
                  for (int s = 0; s < nsb; s++)
                    store (spec->type, buf, ((size_t) r * bw + x) * nsb + s,
                           pattern (spec->type, spec->first_page + p, separate ? plane : s, y0 + r,
                                    x0 + x));
              if (spec->tiled)
                g_assert_cmpint (TIFFWriteEncodedTile (tif, TIFFComputeTile (tif, x0, y0, 0, plane),
                                                       buf, (tmsize_t) bw * bh * nsb * size),
                                 >=, 0);
              else
                g_assert_cmpint (TIFFWriteEncodedStrip (tif, TIFFComputeStrip (tif, y0, plane), buf,
                                                        (tmsize_t) rows * W * nsb * size),
                                 >=, 0);
            }
      g_assert_true (TIFFWriteDirectory (tif));
    }
  TIFFClose (tif);
}

/* Slice z, channel c of a volume read from a file made by make_tiff(), where page = z (one page
 * per slice) or z · channels + c (one page per channel). */
static void
check_volume (const float *v, const DlsTiffInfo *info, const Spec *spec, gboolean page_per_channel,
              const char *what)
{
  int64_t W = info->width, H = info->height, C = info->channels;

  for (int64_t z = 0; z < info->depth; z++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++)
          {
            int page = spec->first_page + (int) (page_per_channel ? z * C + c : z);
            int s = page_per_channel ? 0 : (int) c;
            float want = (float) pattern (spec->type, page, s, (int) y, (int) x);
            float got = v[((z * C + c) * H + y) * W + x];
            if (memcmp (&want, &got, sizeof want) != 0)
              g_error ("%s: z %" G_GINT64_FORMAT " c %" G_GINT64_FORMAT " y %" G_GINT64_FORMAT
                       " x %" G_GINT64_FORMAT ": %g, not %g",
                       what != NULL ? what : dls_sample_type_name (spec->type), z, c, y, x, got,
                       want);
          }
}

static void
read_and_check (const char *path, const Spec *spec)
{
  g_autoptr (GError) error = NULL;
  g_auto (DlsTiffInfo) info = { 0 };
  g_autofree float *v = dls_tiff_read_volume (path, &info, &error);

  g_assert_no_error (error);
  g_assert_nonnull (v);
  g_assert_cmpint (info.width, ==, spec->width);
  g_assert_cmpint (info.height, ==, spec->height);
  g_assert_cmpint (info.depth, ==, spec->pages);
  g_assert_cmpint (info.pages, ==, spec->pages);
  g_assert_cmpint (info.channels, ==, spec->spp);
  g_assert_cmpint (info.type, ==, spec->type);
  g_assert_cmpint (info.big_tiff, ==, spec->big_tiff);
  g_assert_cmpint (info.big_endian, ==, spec->big_endian);
  g_assert_cmpint (info.tiled, ==, spec->tiled);
  check_volume (v, &info, spec, FALSE, NULL);
}

/* ---- the format matrix, once per codec ---- */

static void
test_read_codec (gconstpointer data)
{
  uint16_t compression = GPOINTER_TO_UINT (data);
  gboolean has_predictor = compression == COMPRESSION_LZW
                           || compression == COMPRESSION_ADOBE_DEFLATE
                           || compression == COMPRESSION_DEFLATE || compression == COMPRESSION_ZSTD;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *codec = dls_tiff_compression_name (compression);
  int n = 0;

  if (!TIFFIsCODECConfigured (compression))
    {
      g_test_skip ("this libtiff cannot write this codec");
      return;
    }
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "matrix.tif", NULL);
  for (int type = DLS_SAMPLE_U8; type <= DLS_SAMPLE_F64; type++)
    for (int tiled = 0; tiled < 2; tiled++)
      for (int order = 0; order < 4; order++)         /* LE, BE, LE BigTIFF, BE BigTIFF */
        for (int samples = 0; samples < 3; samples++) /* 1, 3 contig, 3 separate */
          for (int pred = 0; pred < (has_predictor ? 2 : 1); pred++)
            {
              g_autofree char *what = NULL;
              g_auto (DlsTiffInfo) info = { 0 };
              g_autoptr (GError) error = NULL;
              gboolean fp = type == DLS_SAMPLE_F32 || type == DLS_SAMPLE_F64;
              Spec spec = spec_default (type);
              g_autofree float *v = NULL;

              spec.compression = compression;
              spec.tiled = tiled;
              spec.big_endian = order & 1;
              spec.big_tiff = order >> 1;
              spec.spp = samples == 0 ? 1 : 3;
              spec.planar = samples == 2 ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG;
              spec.photometric = samples == 0 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB;
              spec.predictor = pred ? (fp ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL) : 0;
              /* libtiff 4.5 writes big-endian files with the floating-point predictor wrongly
               * (swapped before the byte shuffle); /io/tiff/read/float-predictor-big-endian
               * reads a correct one made by hand */
              if (spec.big_endian && spec.predictor == PREDICTOR_FLOATINGPOINT)
                continue;
              make_tiff (path, &spec);

              v = dls_tiff_read_volume (path, &info, &error);
              what = g_strdup_printf ("%s %s %s%s%s spp %d%s pred %d", codec,
                                      dls_sample_type_name (type), tiled ? "tiles" : "strips",
                                      spec.big_endian ? " BE" : " LE",
                                      spec.big_tiff ? " BigTIFF" : "", spec.spp,
                                      samples == 2 ? " separate" : "", spec.predictor);
              if (error != NULL)
                g_error ("%s: %s", what, error->message);
              g_assert_cmpstr (info.compression, ==, codec);
              g_assert_cmpint (info.big_tiff, ==, spec.big_tiff);
              g_assert_cmpint (info.big_endian, ==, spec.big_endian);
              g_assert_cmpint (info.tiled, ==, spec.tiled);
              g_assert_cmpint (info.channels, ==, spec.spp);
              g_assert_cmpint (info.type, ==, type);
              check_volume (v, &info, &spec, FALSE, what);
              n++;
            }
  g_assert_cmpint (n, >, 0);
  dls_test_tmpdir_remove (dir);
}

/* ---- single features, with the info they must report ---- */

static void
read_one (const Spec *spec)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autofree char *path = g_build_filename (dir, "one.tif", NULL);

  make_tiff (path, spec);
  read_and_check (path, spec);
  dls_test_tmpdir_remove (dir);
}

static void
test_read_bigtiff (void)
{
  Spec spec = spec_default (DLS_SAMPLE_U16);

  spec.big_tiff = TRUE;
  spec.pages = 4;
  read_one (&spec);
}

static void
test_read_big_endian (void)
{
  for (int type = DLS_SAMPLE_U8; type <= DLS_SAMPLE_F64; type++)
    {
      Spec spec = spec_default (type);
      spec.big_endian = TRUE;
      read_one (&spec);
    }
}

static void
test_read_tiled (void)
{
  Spec spec = spec_default (DLS_SAMPLE_F32);

  spec.tiled = TRUE;
  spec.width = 40; /* three tiles across, the last one cut */
  spec.height = 17;
  spec.compression = COMPRESSION_ADOBE_DEFLATE;
  spec.predictor = PREDICTOR_FLOATINGPOINT;
  read_one (&spec);
}

static void
test_read_planar_separate (void)
{
  Spec spec = spec_default (DLS_SAMPLE_I16);

  spec.spp = 3;
  spec.planar = PLANARCONFIG_SEPARATE;
  spec.photometric = PHOTOMETRIC_RGB;
  spec.compression = COMPRESSION_LZW;
  spec.predictor = PREDICTOR_HORIZONTAL;
  read_one (&spec);
}

static void
test_read_rgb (void)
{
  Spec spec = spec_default (DLS_SAMPLE_U8);

  spec.spp = 3;
  spec.photometric = PHOTOMETRIC_RGB;
  spec.pages = 1;
  read_one (&spec);
  spec.spp = 4; /* RGBA */
  read_one (&spec);
}

static void
test_read_stack (void)
{
  Spec spec = spec_default (DLS_SAMPLE_U8);
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autofree char *path = g_build_filename (dir, "stack.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsTiffReader) r = NULL;
  g_autofree float *slice = NULL;

  spec.pages = 40;
  spec.compression = COMPRESSION_PACKBITS;
  make_tiff (path, &spec);
  read_and_check (path, &spec);

  /* slices in any order, through one reader */
  r = dls_tiff_reader_open (path, &error);
  g_assert_no_error (error);
  slice = g_new (float, spec.width *spec.height);
  for (int i = 0; i < 40; i++)
    {
      int z = (i * 17) % 40;
      g_assert_true (dls_tiff_reader_read_slice (r, z, slice, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (slice[spec.width + 2], ==, pattern (spec.type, z, 0, 1, 2));
    }
  g_assert_false (dls_tiff_reader_read_slice (r, 40, slice, &error));
  assert_io_error (error, DLS_IO_ERROR_FORMAT, path);
  dls_test_tmpdir_remove (dir);
}

static void
test_read_imagej_hyperstack (void)
{
  Spec spec = spec_default (DLS_SAMPLE_U16);
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autofree char *path = g_build_filename (dir, "hyper.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_auto (DlsTiffInfo) info = { 0 };
  g_autofree float *v = NULL;

  /* 2 channels × 3 slices × 2 frames, channels fastest */
  spec.pages = 12;
  spec.description = "ImageJ=1.54f\nimages=12\nchannels=2\nslices=3\nframes=2\nhyperstack=true\n"
                     "mode=composite\nloop=false\n";
  make_tiff (path, &spec);
  v = dls_tiff_read_volume (path, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info.channels, ==, 2);
  g_assert_cmpint (info.depth, ==, 6);
  g_assert_cmpint (info.pages, ==, 12);
  check_volume (v, &info, &spec, TRUE, NULL);
  g_clear_pointer (&v, g_free);
  dls_tiff_info_clear (&info);

  /* a plain ImageJ stack */
  spec.pages = 3;
  spec.description = "ImageJ=1.11a\nimages=3\nslices=3\n";
  make_tiff (path, &spec);
  read_and_check (path, &spec);

  /* a description that does not fit the file is ignored */
  spec.description = "ImageJ=1.11a\nimages=7\nchannels=7\n";
  make_tiff (path, &spec);
  read_and_check (path, &spec);
  dls_test_tmpdir_remove (dir);
}

/* ---- files made byte by byte: little-endian classic TIFF, one IFD at offset 8 ---- */

typedef struct
{
  uint16_t tag, type;
  uint32_t count, value;
} Entry;

enum
{
  SHORT = 3,
  LONG = 4,
  ASCII = 2
};

static void
put16 (GByteArray *b, uint16_t v)
{
  uint8_t p[2] = { v & 0xff, v >> 8 };
  g_byte_array_append (b, p, 2);
}

static void
put32 (GByteArray *b, uint32_t v)
{
  uint8_t p[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
  g_byte_array_append (b, p, 4);
}

/* Where the bytes after an IFD of n entries start. */
static uint32_t
tail_offset (int n)
{
  return 8 + 2 + 12 * n + 4;
}

static void
make_raw_tiff (const char *path, const Entry *e, int n, uint32_t next, const void *tail,
               gsize tail_len)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();

  g_byte_array_append (b, (const uint8_t *) "II*\0", 4);
  put32 (b, 8);
  put16 (b, n);
  for (int i = 0; i < n; i++)
    {
      put16 (b, e[i].tag);
      put16 (b, e[i].type);
      put32 (b, e[i].count);
      if (e[i].type == SHORT && e[i].count == 1)
        {
          put16 (b, e[i].value);
          put16 (b, 0);
        }
      else
        put32 (b, e[i].value);
    }
  put32 (b, next);
  if (tail_len > 0)
    g_byte_array_append (b, tail, tail_len);
  write_bytes (path, b->data, b->len);
}

/* ImageJ past 4 GB: one IFD, then every image back to back (here 2 channels × 3 slices). */
static void
test_read_imagej_raw (void)
{
  const char desc[] = "ImageJ=1.54f\nimages=6\nchannels=2\nslices=3\nhyperstack=true\n";
  const int W = 5, H = 4, n_images = 6, n = 10;
  uint32_t data_off = tail_offset (n) + sizeof desc;
  Entry e[] = {
    { 256, SHORT, 1, W },        { 257, SHORT, 1, H }, { 258, SHORT, 1, 16 },
    { 259, SHORT, 1, 1 },        { 262, SHORT, 1, 1 }, { 270, ASCII, sizeof desc, tail_offset (n) },
    { 273, LONG, 1, data_off },  { 277, SHORT, 1, 1 }, { 278, SHORT, 1, H },
    { 279, LONG, 1, W * H * 2 },
  };
  g_autoptr (GByteArray) tail = g_byte_array_new ();
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autofree char *path = g_build_filename (dir, "raw.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_auto (DlsTiffInfo) info = { 0 };
  g_autofree float *v = NULL;
  Spec spec = spec_default (DLS_SAMPLE_U16);

  G_STATIC_ASSERT (G_N_ELEMENTS (e) == 10);
  g_byte_array_append (tail, (const uint8_t *) desc, sizeof desc);
  for (int i = 0; i < n_images; i++)
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        put16 (tail, (uint16_t) pattern (DLS_SAMPLE_U16, i, 0, y, x));
  make_raw_tiff (path, e, n, 0, tail->data, tail->len);

  v = dls_tiff_read_volume (path, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info.depth, ==, 3);
  g_assert_cmpint (info.channels, ==, 2);
  g_assert_cmpint (info.pages, ==, 1);
  check_volume (v, &info, &spec, TRUE, NULL);

  /* one image short */
  make_raw_tiff (path, e, n, 0, tail->data, tail->len - W * H * 2);
  g_clear_pointer (&v, g_free);
  v = dls_tiff_read_volume (path, NULL, &error);
  g_assert_null (v);
  assert_io_error (error, DLS_IO_ERROR_CORRUPT, path);
  dls_test_tmpdir_remove (dir);
}

static void
put16_be (GByteArray *b, uint16_t v)
{
  uint8_t p[2] = { v >> 8, v & 0xff };
  g_byte_array_append (b, p, 2);
}

static void
put32_be (GByteArray *b, uint32_t v)
{
  uint8_t p[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
  g_byte_array_append (b, p, 4);
}

/* A zlib stream of one stored (uncompressed) Deflate block. */
static void
put_zlib_stored (GByteArray *b, const uint8_t *data, uint16_t n)
{
  uint32_t a = 1, c = 0;
  uint16_t nn = (uint16_t) ~n;
  uint8_t head[7] = { 0x78, 0x01, 0x01, n & 0xff, n >> 8, nn & 0xff, nn >> 8 };

  for (int i = 0; i < n; i++)
    {
      a = (a + data[i]) % 65521;
      c = (c + a) % 65521;
    }
  g_byte_array_append (b, head, sizeof head);
  g_byte_array_append (b, data, n);
  put32_be (b, (c << 16) | a);
}

/* Big-endian float32, Deflate, floating-point predictor (TIFF Technical Note 3: each row's
 * bytes regrouped most significant first, then differenced byte by byte), made by hand. */
static void
test_read_float_predictor_big_endian (void)
{
  enum
  {
    W = 7,
    H = 3,
    N = 11
  };
  const uint16_t tags[N][2]
      = { { 256, W }, { 257, H }, { 258, 32 }, { 259, 8 }, { 262, 1 }, { 273, 0 },
          { 277, 1 }, { 278, H }, { 279, 0 },  { 317, 3 }, { 339, 3 } };
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autofree char *path = g_build_filename (dir, "be-float.tif", NULL);
  g_autoptr (GByteArray) strip = g_byte_array_new ();
  g_autoptr (GByteArray) file = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_auto (DlsTiffInfo) info = { 0 };
  g_autofree float *v = NULL;
  uint8_t rows[H][4 * W];
  Spec spec = spec_default (DLS_SAMPLE_F32);

  for (int y = 0; y < H; y++)
    {
      uint8_t *row = rows[y];
      for (int x = 0; x < W; x++)
        {
          float f = (float) pattern (DLS_SAMPLE_F32, 0, 0, y, x);
          uint32_t bits;
          memcpy (&bits, &f, 4);
          for (int byte = 0; byte < 4; byte++)
            row[byte * W + x] = (uint8_t) (bits >> (24 - 8 * byte));
        }
      for (int i = 4 * W - 1; i > 0; i--)
        row[i] = (uint8_t) (row[i] - row[i - 1]);
    }
  put_zlib_stored (strip, &rows[0][0], sizeof rows);

  g_byte_array_append (file, (const uint8_t *) "MM\0*", 4);
  put32_be (file, 8);
  put16_be (file, N);
  for (int i = 0; i < N; i++)
    {
      uint16_t tag = tags[i][0];
      put16_be (file, tag);
      put16_be (file, tag == 273 || tag == 279 ? LONG : SHORT);
      put32_be (file, 1);
      if (tag == 273)
        put32_be (file, tail_offset (N));
      else if (tag == 279)
        put32_be (file, strip->len);
      else
        {
          put16_be (file, tags[i][1]);
          put16_be (file, 0);
        }
    }
  put32_be (file, 0);
  g_byte_array_append (file, strip->data, strip->len);
  write_bytes (path, file->data, file->len);

  v = dls_tiff_read_volume (path, &info, &error);
  g_assert_no_error (error);
  g_assert_true (info.big_endian);
  g_assert_cmpint (info.type, ==, DLS_SAMPLE_F32);
  spec.width = W;
  spec.height = H;
  check_volume (v, &info, &spec, FALSE, NULL);
  dls_test_tmpdir_remove (dir);
}

/* ---- folders ---- */

static void
test_read_folder (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  const int numbers[] = { 10, 2, 9, 1 };
  const int order[] = { 1, 2, 9, 10 };
  g_autoptr (GError) error = NULL;
  g_auto (DlsTiffInfo) info = { 0 };
  g_autofree float *v = NULL;
  g_autofree char *odd = NULL;
  Spec spec = spec_default (DLS_SAMPLE_F32);

  spec.pages = 1;
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_autofree char *name = g_strdup_printf ("img%d.tif", numbers[i]);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      spec.first_page = numbers[i];
      make_tiff (path, &spec);
    }
  {
    g_autofree char *notes = g_build_filename (dir, "notes.txt", NULL);
    g_autofree char *hidden = g_build_filename (dir, ".img0.tif", NULL);
    write_bytes (notes, "not an image", 12);
    write_bytes (hidden, "not an image either", 19);
  }

  v = dls_tiff_read_volume (dir, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info.depth, ==, 4);
  g_assert_cmpint (info.pages, ==, 4);
  g_assert_cmpint (info.channels, ==, 1);
  g_assert_cmpint (info.type, ==, DLS_SAMPLE_F32);
  for (int z = 0; z < 4; z++)
    for (int y = 0; y < spec.height; y++)
      for (int x = 0; x < spec.width; x++)
        g_assert_cmpfloat (v[(z * spec.height + y) * spec.width + x], ==,
                           (float) pattern (spec.type, order[z], 0, y, x));

  /* a slice of another size: an error naming it */
  odd = g_build_filename (dir, "img11.tif", NULL);
  spec.width = 20;
  make_tiff (odd, &spec);
  g_clear_pointer (&v, g_free);
  v = dls_tiff_read_volume (dir, NULL, &error);
  g_assert_null (v);
  assert_io_error (error, DLS_IO_ERROR_FORMAT, odd);
  g_clear_error (&error);

  /* and of another type */
  spec = spec_default (DLS_SAMPLE_U8);
  spec.pages = 1;
  make_tiff (odd, &spec);
  v = dls_tiff_read_volume (dir, NULL, &error);
  g_assert_null (v);
  assert_io_error (error, DLS_IO_ERROR_FORMAT, odd);
  dls_test_tmpdir_remove (dir);
}

static void
test_read_threads_worker (gpointer data, gpointer user_data)
{
  const char *path = data;
  Spec spec = spec_default (DLS_SAMPLE_U16);

  spec.pages = 6;
  spec.compression = COMPRESSION_ADOBE_DEFLATE;
  spec.predictor = PREDICTOR_HORIZONTAL;
  for (int i = 0; i < 20; i++)
    read_and_check (path, &spec);
}

/* Readers of the same and of different files on several threads at once. */
static void
test_read_threads (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  Spec spec = spec_default (DLS_SAMPLE_U16);
  GThreadPool *pool;

  spec.pages = 6;
  spec.compression = COMPRESSION_ADOBE_DEFLATE;
  spec.predictor = PREDICTOR_HORIZONTAL;
  for (int i = 0; i < 3; i++)
    {
      char *path = g_strdup_printf ("%s/t%d.tif", dir, i);
      make_tiff (path, &spec);
      g_ptr_array_add (paths, path);
    }
  pool = g_thread_pool_new (test_read_threads_worker, NULL, 6, TRUE, NULL);
  for (int i = 0; i < 6; i++)
    g_thread_pool_push (pool, g_ptr_array_index (paths, i % 3), NULL);
  g_thread_pool_free (pool, FALSE, TRUE);
  dls_test_tmpdir_remove (dir);
}

/* ---- refused and bad inputs: an error naming the file, nothing on stderr ---- */

static void
expect_error (const char *path, int code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsTiffReader) r = dls_tiff_reader_open (path, &error);
  g_autofree float *v = NULL;

  g_assert_null (r);
  assert_io_error (error, code, path);
  g_clear_error (&error);
  v = dls_tiff_read_volume (path, NULL, &error);
  g_assert_null (v);
  assert_io_error (error, code, path);
}

static void
test_read_unsupported (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  uint16_t cmap[256] = { 0 };
  const struct
  {
    uint16_t bps, format, photometric;
    const char *words;
  } cases[] = {
    { 1, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK, "1-bit" },
    { 12, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK, "12-bit" },
    { 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_PALETTE, "palette" },
    { 16, SAMPLEFORMAT_IEEEFP, PHOTOMETRIC_MINISBLACK, "16-bit floating-point" },
    { 64, SAMPLEFORMAT_INT, PHOTOMETRIC_MINISBLACK, "64-bit integer" },
  };

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "odd.tif", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree uint8_t *row = g_malloc0 (2 * 8 * 8);
      TIFF *tif = TIFFOpen (path, "w");

      TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, 8);
      TIFFSetField (tif, TIFFTAG_IMAGELENGTH, 2);
      TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, cases[i].bps);
      TIFFSetField (tif, TIFFTAG_SAMPLEFORMAT, cases[i].format);
      TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, cases[i].photometric);
      TIFFSetField (tif, TIFFTAG_ROWSPERSTRIP, 2);
      if (cases[i].photometric == PHOTOMETRIC_PALETTE)
        TIFFSetField (tif, TIFFTAG_COLORMAP, cmap, cmap, cmap);
      g_assert_cmpint (TIFFWriteEncodedStrip (tif, 0, row, 2 * ((8 * cases[i].bps + 7) / 8)), >=,
                       0);
      TIFFClose (tif);

      expect_error (path, DLS_IO_ERROR_UNSUPPORTED);
      dls_tiff_reader_free (dls_tiff_reader_open (path, &error));
      g_assert_nonnull (strstr (error->message, cases[i].words));
      g_assert_nonnull (strstr (error->message, "not supported"));
    }
  dls_test_tmpdir_remove (dir);
}

static void
test_read_pages_differ (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  Spec spec = spec_default (DLS_SAMPLE_U8);

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "ragged.tif", NULL);
  spec.pages = 3;
  spec.odd_page = 2;
  spec.odd_width = 30;
  make_tiff (path, &spec);
  expect_error (path, DLS_IO_ERROR_FORMAT);
  dls_test_tmpdir_remove (dir);
}

static void
test_bad_missing (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "nothing-here.tif", NULL);
  expect_error (path, DLS_IO_ERROR_NOT_FOUND);
  dls_test_tmpdir_remove (dir);
}

static void
test_bad_empty (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *folder = NULL;

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "empty.tif", NULL);
  write_bytes (path, "", 0);
  expect_error (path, DLS_IO_ERROR_FORMAT);

  folder = g_build_filename (dir, "no-tiffs", NULL);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  expect_error (folder, DLS_IO_ERROR_NOT_FOUND);
  dls_test_tmpdir_remove (dir);
}

static void
test_bad_truncated (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  Spec spec = spec_default (DLS_SAMPLE_U16);
  g_autofree char *bytes = NULL;
  gsize n;

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "half.tif", NULL);
  for (int compressed = 0; compressed < 2; compressed++)
    for (int pages = 1; pages <= 5; pages += 4)
      {
        spec.pages = pages;
        spec.compression = compressed ? COMPRESSION_LZW : COMPRESSION_NONE;
        make_tiff (path, &spec);
        g_assert_true (g_file_get_contents (path, &bytes, &n, NULL));
        write_bytes (path, bytes, n / 2);
        g_clear_pointer (&bytes, g_free);
        expect_error (path, DLS_IO_ERROR_CORRUPT);
      }
  dls_test_tmpdir_remove (dir);
}

static void
test_bad_random (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (1234);
  uint8_t bytes[1024];

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "noise.tif", NULL);
  for (guint i = 0; i < sizeof bytes; i++)
    bytes[i] = (uint8_t) g_rand_int (rand);
  bytes[0] = 'X';
  write_bytes (path, bytes, sizeof bytes);
  expect_error (path, DLS_IO_ERROR_FORMAT);

  /* a valid header in front of noise: whatever the noise says, an error or a volume */
  for (int k = 0; k < 200; k++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree float *v = NULL;

      for (guint i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t) g_rand_int (rand);
      memcpy (bytes, "II*\0\x08\0\0\0", 8);
      bytes[8] = (uint8_t) g_rand_int_range (rand, 1, 16); /* a plausible number of tags */
      bytes[9] = 0;
      /* baseline tags in order, of plausible types, with random values */
      for (int i = 0, tag = 254; i < bytes[8]; i++)
        {
          uint8_t *e = bytes + 10 + 12 * i;
          tag += g_rand_int_range (rand, 1, 4);
          e[0] = tag & 0xff;
          e[1] = tag >> 8;
          e[2] = (uint8_t) g_rand_int_range (rand, 3, 5);
          e[3] = 0;
          e[4] = g_rand_boolean (rand) ? 1 : e[4];
          memset (e + 5, 0, 3);
          if (g_rand_boolean (rand))
            memset (e + 10, 0, 2);
        }
      memset (bytes + 10 + 12 * bytes[8], 0, 4); /* and no next page: libtiff sees the noise */
      write_bytes (path, bytes, sizeof bytes);
      v = dls_tiff_read_volume (path, NULL, &error);
      if (v == NULL)
        assert_io_error (error, error->code, path);
    }
  dls_test_tmpdir_remove (dir);
}

/* A valid file with bytes flipped here and there. */
static void
test_bad_damaged (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *damaged = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);
  Spec spec = spec_default (DLS_SAMPLE_U16);
  g_autofree uint8_t *bytes = NULL;
  gsize n;

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "good.tif", NULL);
  damaged = g_build_filename (dir, "damaged.tif", NULL);
  spec.pages = 3;
  spec.spp = 3;
  spec.photometric = PHOTOMETRIC_RGB;
  for (int variant = 0; variant < 3; variant++)
    {
      spec.compression = variant == 0   ? COMPRESSION_NONE
                         : variant == 1 ? COMPRESSION_LZW
                                        : COMPRESSION_ADOBE_DEFLATE;
      spec.tiled = variant == 2;
      spec.predictor = variant > 0 ? PREDICTOR_HORIZONTAL : 0;
      make_tiff (path, &spec);
      g_assert_true (g_file_get_contents (path, (char **) &bytes, &n, NULL));
      for (int k = 0; k < 150; k++)
        {
          g_autofree uint8_t *copy = g_memdup2 (bytes, n);
          g_autoptr (GError) error = NULL;
          g_autofree float *v = NULL;

          for (int j = 0; j < 1 + k % 4; j++)
            copy[g_rand_int_range (rand, 8, (gint32) n)] = (uint8_t) g_rand_int (rand);
          write_bytes (damaged, copy, n);
          v = dls_tiff_read_volume (damaged, NULL, &error);
          if (v == NULL)
            assert_io_error (error, error->code, damaged);
        }
      g_clear_pointer (&bytes, g_free);
    }
  dls_test_tmpdir_remove (dir);
}

static void
test_bad_header (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "header.tif", NULL);

  write_bytes (path, "II*\0\0\0\0\0", 8); /* no pages */
  expect_error (path, DLS_IO_ERROR_FORMAT);
  write_bytes (path, "II*\0\0\xff\xff\xff", 8); /* the first page past the end */
  expect_error (path, DLS_IO_ERROR_CORRUPT);
  write_bytes (path, "MM\0+\0\x08\0\0\0\0\0\0\0\0\0\x10", 16); /* BigTIFF, the IFD cut off */
  expect_error (path, DLS_IO_ERROR_CORRUPT);
  write_bytes (path, "II+\0\x04\0\0\0\x10\0\0\0\0\0\0\0", 16); /* BigTIFF, offsets of 4 bytes */
  expect_error (path, DLS_IO_ERROR_CORRUPT);
  write_bytes (path, "II*", 3);
  expect_error (path, DLS_IO_ERROR_FORMAT);
  write_bytes (path, "II\x2b\x01\x08\0\0\0", 8); /* a wrong version */
  expect_error (path, DLS_IO_ERROR_FORMAT);
  dls_test_tmpdir_remove (dir);
}

static void
test_bad_loop (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  uint8_t pixels[16] = { 0 };
  Entry e[] = {
    { 256, SHORT, 1, 4 }, { 257, SHORT, 1, 4 },
    { 258, SHORT, 1, 8 }, { 273, LONG, 1, tail_offset (6) },
    { 278, SHORT, 1, 4 }, { 279, LONG, 1, 16 },
  };

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "loop.tif", NULL);
  make_raw_tiff (path, e, G_N_ELEMENTS (e), 8, pixels, sizeof pixels); /* next page: itself */
  expect_error (path, DLS_IO_ERROR_CORRUPT);
  dls_test_tmpdir_remove (dir);
}

static void
test_bad_absurd (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  uint8_t pixels[16] = { 0 };
  /* 4294967295 × 4294967295 × 3 */
  Entry huge[] = {
    { 256, LONG, 1, G_MAXUINT32 }, { 257, LONG, 1, G_MAXUINT32 }, { 258, SHORT, 1, 8 },
    { 259, SHORT, 1, 8 },          { 262, SHORT, 1, 2 },          { 273, LONG, 1, tail_offset (9) },
    { 277, SHORT, 1, 3 },          { 278, LONG, 1, G_MAXUINT32 }, { 279, LONG, 1, 16 },
  };
  /* 60000 × 60000 uncompressed bytes in a file of 100 */
  Entry big[] = {
    { 256, LONG, 1, 60000 },           { 257, LONG, 1, 60000 }, { 258, SHORT, 1, 8 },
    { 273, LONG, 1, tail_offset (6) }, { 278, LONG, 1, 60000 }, { 279, LONG, 1, 16 },
  };
  /* 200000 × 200000 Deflate: too many values for one slice */
  Entry wide[] = {
    { 256, LONG, 1, 200000 }, { 257, LONG, 1, 200000 },          { 258, SHORT, 1, 8 },
    { 259, SHORT, 1, 8 },     { 273, LONG, 1, tail_offset (6) }, { 279, LONG, 1, 16 },
  };

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "absurd.tif", NULL);
  make_raw_tiff (path, huge, G_N_ELEMENTS (huge), 0, pixels, sizeof pixels);
  expect_error (path, DLS_IO_ERROR_TOO_LARGE);
  make_raw_tiff (path, big, G_N_ELEMENTS (big), 0, pixels, sizeof pixels);
  expect_error (path, DLS_IO_ERROR_CORRUPT);
  make_raw_tiff (path, wide, G_N_ELEMENTS (wide), 0, pixels, sizeof pixels);
  expect_error (path, DLS_IO_ERROR_TOO_LARGE);
  dls_test_tmpdir_remove (dir);
}

/* A volume above the cap is refused before anything is allocated. */
static void
test_bad_volume_cap (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autofree char *path = g_build_filename (dir, "capped.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree float *v = NULL;
  Spec spec = spec_default (DLS_SAMPLE_U8);

  spec.pages = 3;
  make_tiff (path, &spec);
  dls_tiff_set_test_limits (0, 3 * 21 * 13 * 4 - 1);
  v = dls_tiff_read_volume (path, NULL, &error);
  dls_tiff_set_test_limits (0, 0);
  g_assert_null (v);
  assert_io_error (error, DLS_IO_ERROR_TOO_LARGE, path);
  dls_test_tmpdir_remove (dir);
}

/* ---- writing ---- */

static char *
description_of (const char *path)
{
  TIFF *tif = TIFFOpen (path, "r");
  const char *desc = NULL;
  char *copy;

  g_assert_nonnull (tif);
  g_assert_true (TIFFGetField (tif, TIFFTAG_IMAGEDESCRIPTION, &desc));
  copy = g_strdup (desc);
  TIFFClose (tif);
  return copy;
}

static void
test_write_u8 (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autofree char *path = g_build_filename (dir, "labels.tif", NULL);
  const int Z = 3, H = 300, W = 1000; /* several strips per page */
  g_autofree uint8_t *data = g_new (uint8_t, Z * H * W);
  g_autoptr (GError) error = NULL;
  g_auto (DlsTiffInfo) info = { 0 };
  g_autofree float *v = NULL;
  g_autofree char *desc = NULL;

  for (int i = 0; i < Z * H * W; i++)
    data[i] = (uint8_t) ((i / 7) % 5 == 0 ? 255 : (i * 13) % 4);
  g_assert_true (dls_tiff_write_u8 (path, data, Z, H, W, &error));
  g_assert_no_error (error);
  g_assert_cmpint (dir_count (dir), ==, 1);

  v = dls_tiff_read_volume (path, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info.type, ==, DLS_SAMPLE_U8);
  g_assert_cmpint (info.depth, ==, Z);
  g_assert_cmpint (info.height, ==, H);
  g_assert_cmpint (info.width, ==, W);
  g_assert_cmpint (info.channels, ==, 1);
  g_assert_false (info.big_tiff);
  g_assert_cmpstr (info.compression, ==, "Deflate");
  for (int i = 0; i < Z * H * W; i++)
    g_assert_cmpfloat (v[i], ==, data[i]);

  desc = description_of (path);
  g_assert_cmpstr (desc, ==, "ImageJ=1.11a\nimages=3\nslices=3\n");
  dls_test_tmpdir_remove (dir);
}

static void
test_write_f32 (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autofree char *path = g_build_filename (dir, "probabilities.tif", NULL);
  const int Z = 2, H = 17, W = 33;
  const uint32_t specials[] = { 0x7fc12345, 0x80000000, 0x7f800000, 0xff800000,
                                0x00000001, 0x7f7fffff, 0x3f800000, 0x00800000 };
  g_autofree float *data = g_new (float, Z *H *W);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < Z * H * W; i++)
    {
      uint32_t bits = i < (int) G_N_ELEMENTS (specials) ? specials[i] : g_rand_int (rand);
      if (i >= (int) G_N_ELEMENTS (specials) && (bits & 0x7f800000) == 0x7f800000)
        bits &= 0xbfffffff; /* random bits must not be signalling NaNs */
      memcpy (&data[i], &bits, sizeof bits);
    }
  for (int compression = 0; compression < 3; compression++)
    {
      g_auto (DlsTiffInfo) info = { 0 };
      g_autoptr (DlsTiffWriter) w
          = dls_tiff_writer_new_stack (path, DLS_SAMPLE_F32, W, H, Z, &error);
      g_autofree float *v = NULL;

      g_assert_no_error (error);
      dls_tiff_writer_set_compression (w, compression);
      for (int z = 0; z < Z; z++)
        g_assert_true (dls_tiff_writer_add_page (w, data + z * H * W, &error));
      g_assert_true (dls_tiff_writer_commit (g_steal_pointer (&w), &error));
      g_assert_no_error (error);

      v = dls_tiff_read_volume (path, &info, &error);
      g_assert_no_error (error);
      g_assert_cmpint (info.type, ==, DLS_SAMPLE_F32);
      g_assert_cmpstr (info.compression, ==,
                       compression == DLS_TIFF_COMPRESSION_NONE ? "none" : "Deflate");
      g_assert_cmpint (info.depth, ==, Z);
      g_assert_cmpmem (v, Z * H * W * sizeof (float), data, Z * H * W * sizeof (float));
    }
  g_assert_true (dls_tiff_write_f32 (path, data, Z, H, W, &error));
  g_assert_no_error (error);
  g_assert_cmpint (dir_count (dir), ==, 1);
  dls_test_tmpdir_remove (dir);
}

/* Raw volumes: every value of the range survives, high bytes included, with each compression. */
static void
test_write_u16 (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autofree char *path = g_build_filename (dir, "volume.tif", NULL);
  const int Z = 3, H = 70, W = 1000; /* 65536 values and a little more; two strips a page */
  g_autofree uint16_t *data = g_new (uint16_t, Z * H * W);
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < Z * H * W; i++)
    data[i] = (uint16_t) (i < 65536 ? (unsigned) i : ((unsigned) i * 40503u) >> 3);
  for (int compression = 0; compression < 3; compression++)
    {
      g_auto (DlsTiffInfo) info = { 0 };
      g_autoptr (DlsTiffWriter) w
          = dls_tiff_writer_new_stack (path, DLS_SAMPLE_U16, W, H, Z, &error);
      g_autofree float *v = NULL;

      g_assert_no_error (error);
      dls_tiff_writer_set_compression (w, compression);
      for (int z = 0; z < Z; z++)
        g_assert_true (dls_tiff_writer_add_page (w, data + z * H * W, &error));
      g_assert_true (dls_tiff_writer_commit (g_steal_pointer (&w), &error));
      g_assert_no_error (error);

      v = dls_tiff_read_volume (path, &info, &error);
      g_assert_no_error (error);
      g_assert_cmpint (info.type, ==, DLS_SAMPLE_U16);
      g_assert_cmpstr (info.compression, ==,
                       compression == DLS_TIFF_COMPRESSION_NONE ? "none" : "Deflate");
      g_assert_cmpint (info.depth, ==, Z);
      g_assert_cmpint (info.height, ==, H);
      g_assert_cmpint (info.width, ==, W);
      for (int i = 0; i < Z * H * W; i++)
        g_assert_cmpfloat (v[i], ==, data[i]);
    }

  g_assert_true (dls_tiff_write_u16 (path, data, Z, H, W, &error));
  g_assert_no_error (error);
  g_assert_cmpint (dir_count (dir), ==, 1);
  {
    g_autofree char *desc = description_of (path);
    g_autofree float *v = dls_tiff_read_volume (path, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (desc, ==, "ImageJ=1.11a\nimages=3\nslices=3\n");
    g_assert_cmpfloat (v[65535], ==, 65535);
    g_assert_cmpfloat (v[256], ==, 256);
  }
  dls_test_tmpdir_remove (dir);
}

/* A writer that does not know the page count fills it in at commit. */
static void
test_write_streaming (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autofree char *path = g_build_filename (dir, "stream.tif", NULL);
  uint8_t page[6 * 4];
  const char *want[] = {
    [DLS_TIFF_COMPRESSION_DEFLATE] = "ImageJ=1.11a\nimages=0000000005\nslices=0000000005\n",
    [DLS_TIFF_COMPRESSION_NONE]
    = "ImageJ=1.11a\nslices=0000000005\n", /* no images=: see tiff-write.c */
  };

  for (int compression = 0; compression < 2; compression++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (DlsTiffWriter) w = NULL;
      g_auto (DlsTiffInfo) info = { 0 };
      g_autofree float *v = NULL;
      g_autofree char *desc = NULL;

      w = dls_tiff_writer_new (path, DLS_SAMPLE_U8, 6, 4, &error);
      g_assert_no_error (error);
      dls_tiff_writer_set_compression (w, compression);
      for (int z = 0; z < 5; z++)
        {
          memset (page, z * 10, sizeof page);
          g_assert_true (dls_tiff_writer_add_page (w, page, &error));
        }
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      g_assert_true (dls_tiff_writer_commit (g_steal_pointer (&w), &error));
      g_assert_no_error (error);

      desc = description_of (path);
      g_assert_cmpstr (desc, ==, want[compression]);
      v = dls_tiff_read_volume (path, &info, &error);
      g_assert_no_error (error);
      g_assert_cmpint (info.depth, ==, 5);
      g_assert_cmpstr (info.compression, ==, compression == 0 ? "Deflate" : "none");
      for (int z = 0; z < 5; z++)
        g_assert_cmpfloat (v[z * 24 + 23], ==, z * 10);
      g_assert_cmpint (dir_count (dir), ==, 1);
      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  dls_test_tmpdir_remove (dir);
}

static void
test_write_bigtiff (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-tiff");
  g_autofree char *path = g_build_filename (dir, "big.tif", NULL);
  g_autofree float *data = g_new0 (float, 3 * 50 * 40);
  g_autoptr (GError) error = NULL;
  g_auto (DlsTiffInfo) info = { 0 };
  g_autofree float *v = NULL;
  g_autoptr (DlsTiffWriter) w = NULL;

  for (int i = 0; i < 3 * 50 * 40; i++)
    data[i] = (float) i / 7.0f;
  /* pretend 4 GB is 20 kB: three pages of 8 kB need BigTIFF, one does not */
  dls_tiff_set_test_limits (20000, 0);
  g_assert_true (dls_tiff_write_f32 (path, data, 3, 50, 40, &error));
  g_assert_no_error (error);
  v = dls_tiff_read_volume (path, &info, &error);
  g_assert_no_error (error);
  g_assert_true (info.big_tiff);
  g_assert_cmpmem (v, 3 * 50 * 40 * sizeof (float), data, 3 * 50 * 40 * sizeof (float));
  dls_tiff_info_clear (&info);
  g_clear_pointer (&v, g_free);

  g_assert_true (dls_tiff_write_f32 (path, data, 1, 50, 40, &error));
  v = dls_tiff_read_volume (path, &info, &error);
  g_assert_no_error (error);
  g_assert_false (info.big_tiff);

  /* a writer without a page count cannot switch: a clear error, and no file */
  g_assert_cmpint (g_unlink (path), ==, 0);
  w = dls_tiff_writer_new (path, DLS_SAMPLE_F32, 40, 50, &error);
  g_assert_no_error (error);
  for (int z = 0; z < 100 && error == NULL; z++)
    dls_tiff_writer_add_page (w, data + (z % 3) * 2000, &error);
  dls_tiff_set_test_limits (0, 0);
  assert_io_error (error, DLS_IO_ERROR_TOO_LARGE, path);
  g_clear_pointer (&w, dls_tiff_writer_abort);
  g_assert_cmpint (dir_count (dir), ==, 0);
  dls_test_tmpdir_remove (dir);
}

/* Nothing appears under the name until commit; a failed or aborted write leaves what was there
 * untouched and no temporary file behind. */
static void
test_write_atomic (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  const char precious[] = "an earlier result";
  uint8_t page[8 * 8] = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  DlsTiffWriter *w;

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "result.tif", NULL);
  write_bytes (path, precious, sizeof precious);

  /* aborted */
  w = dls_tiff_writer_new (path, DLS_SAMPLE_U8, 8, 8, &error);
  g_assert_no_error (error);
  g_assert_true (dls_tiff_writer_add_page (w, page, &error));
  g_assert_cmpint (dir_count (dir), ==, 2); /* the temporary file */
  dls_tiff_writer_abort (w);

  /* a commit that fails: fewer pages than announced */
  w = dls_tiff_writer_new_stack (path, DLS_SAMPLE_U8, 8, 8, 3, &error);
  g_assert_no_error (error);
  g_assert_true (dls_tiff_writer_add_page (w, page, &error));
  g_assert_false (dls_tiff_writer_commit (w, &error));
  assert_io_error (error, DLS_IO_ERROR_WRITE, path);
  g_clear_error (&error);

  /* more pages than announced */
  w = dls_tiff_writer_new_stack (path, DLS_SAMPLE_U8, 8, 8, 1, &error);
  g_assert_true (dls_tiff_writer_add_page (w, page, &error));
  g_assert_false (dls_tiff_writer_add_page (w, page, &error));
  assert_io_error (error, DLS_IO_ERROR_WRITE, path);
  g_clear_error (&error);
  dls_tiff_writer_abort (w);

  /* nothing written at all */
  w = dls_tiff_writer_new (path, DLS_SAMPLE_U8, 8, 8, &error);
  g_assert_false (dls_tiff_writer_commit (w, &error));
  assert_io_error (error, DLS_IO_ERROR_WRITE, path);
  g_clear_error (&error);

  /* bad arguments */
  g_assert_false (dls_tiff_write_u8 (path, page, 1, 0, 8, &error));
  assert_io_error (error, DLS_IO_ERROR_WRITE, path);
  g_clear_error (&error);
  g_assert_null (dls_tiff_writer_new (path, DLS_SAMPLE_I16, 8, 8, &error));
  assert_io_error (error, DLS_IO_ERROR_UNSUPPORTED, path);
  g_clear_error (&error);

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, precious);
  g_assert_cmpint (dir_count (dir), ==, 1);

  /* and a commit that succeeds replaces it */
  g_assert_true (dls_tiff_write_u8 (path, page, 1, 8, 8, &error));
  g_assert_no_error (error);
  g_assert_cmpint (dir_count (dir), ==, 1);
  dls_test_tmpdir_remove (dir);
}

static void
test_write_unwritable (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *ro = NULL;
  uint8_t page[4] = { 0 };
  g_autoptr (GError) error = NULL;

  if (!in_quiet_subprocess ())
    return;
  dir = dls_test_tmpdir_new ("dls-tiff");
  path = g_build_filename (dir, "no-such-folder", "out.tif", NULL);
  g_assert_false (dls_tiff_write_u8 (path, page, 1, 2, 2, &error));
  assert_io_error (error, DLS_IO_ERROR_WRITE, path);
  g_clear_error (&error);

  /* a folder without write permission (root may write anyway) */
  ro = g_build_filename (dir, "read-only", NULL);
  g_assert_cmpint (g_mkdir (ro, 0500), ==, 0);
  g_clear_pointer (&path, g_free);
  path = g_build_filename (ro, "out.tif", NULL);
  if (access (ro, W_OK) != 0)
    {
      g_assert_false (dls_tiff_write_u8 (path, page, 1, 2, 2, &error));
      assert_io_error (error, DLS_IO_ERROR_WRITE, path);
      g_assert_cmpint (dir_count (ro), ==, 0);
    }

  /* the name is a folder: the rename fails, the temporary file goes */
  g_clear_pointer (&path, g_free);
  path = g_build_filename (dir, "a-folder.tif", NULL);
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  g_clear_error (&error);
  g_assert_false (dls_tiff_write_u8 (path, page, 1, 2, 2, &error));
  assert_io_error (error, DLS_IO_ERROR_WRITE, path);
  g_assert_cmpint (dir_count (dir), ==, 2); /* read-only/ and a-folder.tif/ */
  g_assert_cmpint (dir_count (path), ==, 0);
  dls_test_tmpdir_remove (dir);
}

int
main (int argc, char **argv)
{
  const struct
  {
    const char *name;
    uint16_t compression;
  } codecs[] = {
    { "none", COMPRESSION_NONE },
    { "lzw", COMPRESSION_LZW },
    { "deflate", COMPRESSION_ADOBE_DEFLATE },
    { "deflate-old", COMPRESSION_DEFLATE },
    { "packbits", COMPRESSION_PACKBITS },
    { "zstd", COMPRESSION_ZSTD },
  };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (codecs); i++)
    {
      g_autofree char *name = g_strdup_printf ("/io/tiff/read/codec/%s", codecs[i].name);
      g_test_add_data_func (name, GUINT_TO_POINTER (codecs[i].compression), test_read_codec);
    }
  g_test_add_func ("/io/tiff/read/bigtiff", test_read_bigtiff);
  g_test_add_func ("/io/tiff/read/big-endian", test_read_big_endian);
  g_test_add_func ("/io/tiff/read/tiled", test_read_tiled);
  g_test_add_func ("/io/tiff/read/planar-separate", test_read_planar_separate);
  g_test_add_func ("/io/tiff/read/float-predictor-big-endian",
                   test_read_float_predictor_big_endian);
  g_test_add_func ("/io/tiff/read/rgb", test_read_rgb);
  g_test_add_func ("/io/tiff/read/stack", test_read_stack);
  g_test_add_func ("/io/tiff/read/imagej-hyperstack", test_read_imagej_hyperstack);
  g_test_add_func ("/io/tiff/read/imagej-raw", test_read_imagej_raw);
  g_test_add_func ("/io/tiff/read/folder", test_read_folder);
  g_test_add_func ("/io/tiff/read/threads", test_read_threads);
  g_test_add_func ("/io/tiff/read/unsupported", test_read_unsupported);
  g_test_add_func ("/io/tiff/read/pages-differ", test_read_pages_differ);
  g_test_add_func ("/io/tiff/bad/missing", test_bad_missing);
  g_test_add_func ("/io/tiff/bad/empty", test_bad_empty);
  g_test_add_func ("/io/tiff/bad/truncated", test_bad_truncated);
  g_test_add_func ("/io/tiff/bad/random", test_bad_random);
  g_test_add_func ("/io/tiff/bad/damaged", test_bad_damaged);
  g_test_add_func ("/io/tiff/bad/header", test_bad_header);
  g_test_add_func ("/io/tiff/bad/loop", test_bad_loop);
  g_test_add_func ("/io/tiff/bad/absurd", test_bad_absurd);
  g_test_add_func ("/io/tiff/bad/volume-cap", test_bad_volume_cap);
  g_test_add_func ("/io/tiff/write/u8", test_write_u8);
  g_test_add_func ("/io/tiff/write/u16", test_write_u16);
  g_test_add_func ("/io/tiff/write/f32", test_write_f32);
  g_test_add_func ("/io/tiff/write/streaming", test_write_streaming);
  g_test_add_func ("/io/tiff/write/bigtiff", test_write_bigtiff);
  g_test_add_func ("/io/tiff/write/atomic", test_write_atomic);
  g_test_add_func ("/io/tiff/write/unwritable", test_write_unwritable);
  return g_test_run ();
}
