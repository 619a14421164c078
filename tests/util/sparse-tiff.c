/* SPDX-License-Identifier: MIT
 *
 * sparse-tiff.c: the sparse BigTIFF of the large-volume tests (see sparse-tiff.h).  Layout:
 * the 16-byte BigTIFF header, the IFDs one after another (10 entries each, sorted by tag),
 * then the pixel data of page z at data_start + z × height × width × 2, all of it beyond the
 * last written byte, so ftruncate leaves it a hole.
 */
#include "config.h"

#include "sparse-tiff.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum
{
  N_ENTRIES = 10,
  IFD_BYTES = 8 + N_ENTRIES * 20 + 8,
  T_SHORT = 3,
  T_LONG = 4,
  T_LONG8 = 16,
};

static guint64
data_start (int64_t pages)
{
  /* page-aligned, so the holes start on a block boundary */
  return ((16 + (guint64) pages * IFD_BYTES) + 4095) / 4096 * 4096;
}

static void
put16 (guint8 *p, guint16 v)
{
  v = GUINT16_TO_LE (v);
  memcpy (p, &v, 2);
}

static void
put64 (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

static guint8 *
entry (guint8 *p, guint16 tag, guint16 type, guint64 value)
{
  put16 (p, tag);
  put16 (p + 2, type);
  put64 (p + 4, 1);
  /* a single value sits left-justified in the 8-byte field */
  memset (p + 12, 0, 8);
  if (type == T_SHORT)
    put16 (p + 12, (guint16) value);
  else if (type == T_LONG)
    {
      guint32 v = GUINT32_TO_LE ((guint32) value);

      memcpy (p + 12, &v, 4);
    }
  else
    put64 (p + 12, value);
  return p + 20;
}

guint64
dls_test_write_sparse_bigtiff (const char *path, int64_t pages, int64_t height, int64_t width)
{
  guint64 page_bytes = (guint64) height * width * 2, start = data_start (pages);
  gsize header_len = 16 + (gsize) pages * IFD_BYTES;
  g_autofree guint8 *buf = g_malloc0 (header_len);
  g_autoptr (GError) error = NULL;
  guint8 *p = buf;
  int fd;

  g_assert_cmpint (pages, >, 0);
  memcpy (p, "II", 2);
  put16 (p + 2, 43);
  put16 (p + 4, 8);
  put16 (p + 6, 0);
  put64 (p + 8, 16);
  p += 16;
  for (int64_t z = 0; z < pages; z++)
    {
      guint64 ifd = 16 + (guint64) z * IFD_BYTES;

      put64 (p, N_ENTRIES);
      p += 8;
      p = entry (p, 256, T_LONG, (guint64) width);        /* ImageWidth */
      p = entry (p, 257, T_LONG, (guint64) height);       /* ImageLength */
      p = entry (p, 258, T_SHORT, 16);                    /* BitsPerSample */
      p = entry (p, 259, T_SHORT, 1);                     /* Compression: none */
      p = entry (p, 262, T_SHORT, 1);                     /* Photometric: min-is-black */
      p = entry (p, 273, T_LONG8, start + z * page_bytes); /* StripOffsets */
      p = entry (p, 277, T_SHORT, 1);                     /* SamplesPerPixel */
      p = entry (p, 278, T_LONG, (guint64) height);       /* RowsPerStrip */
      p = entry (p, 279, T_LONG8, page_bytes);            /* StripByteCounts */
      p = entry (p, 284, T_SHORT, 1);                     /* PlanarConfiguration */
      put64 (p, z + 1 < pages ? ifd + IFD_BYTES : 0);
      p += 8;
    }
  g_assert_true (p == buf + header_len);
  g_file_set_contents (path, (const char *) buf, header_len, &error);
  g_assert_no_error (error);
  fd = open (path, O_WRONLY);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) (start + pages * page_bytes)), ==, 0);
  close (fd);
  return pages * page_bytes;
}

void
dls_test_sparse_bigtiff_poke (const char *path, int64_t pages, int64_t height, int64_t width,
                              int64_t z, int64_t y, int64_t x, uint16_t value)
{
  guint64 at = data_start (pages) + (((guint64) z * height + y) * width + x) * 2;
  guint16 le = GUINT16_TO_LE (value);
  int fd = open (path, O_WRONLY);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, &le, 2, (off_t) at), ==, 2);
  close (fd);
}

guint64
dls_test_file_disk_usage (const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return (guint64) st.st_blocks * 512;
}
