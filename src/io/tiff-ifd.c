/* SPDX-License-Identifier: MIT
 *
 * tiff-ifd.c: a TIFF's header and its chain of IFDs, read by hand before libtiff sees the file.
 *
 * libtiff reports a damaged chain as "cannot read directory" or an integer overflow; walking it
 * ourselves lets the message say which page lies past the end of the file, catch loops, and
 * refuse absurd dimensions before anything is sized from them.  Only the header, the entry
 * counts, the next-IFD links and three tags (width, height, samples per pixel) are read here;
 * everything else is libtiff's job.
 */
#include "tiff-private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

gboolean
dls_tiff_read_at (int fd, void *buf, size_t n, uint64_t offset)
{
  uint8_t *p = buf;

  while (n > 0)
    {
      ssize_t got = pread (fd, p, n, (off_t) offset);
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        return FALSE;
      p += got;
      n -= (size_t) got;
      offset += (uint64_t) got;
    }
  return TRUE;
}

static uint64_t
get_uint (const uint8_t *p, int size, gboolean big_endian)
{
  uint64_t v = 0;

  for (int i = 0; i < size; i++)
    v |= (uint64_t) p[big_endian ? i : size - 1 - i] << (8 * (size - 1 - i));
  return v;
}

gboolean
dls_tiff_too_large (GError **error, const char *name, int64_t page, uint64_t w, uint64_t h,
                    uint64_t spp)
{
  g_autofree char *samples
      = spp == 1 ? g_strdup ("")
                 : g_strdup_printf (" with %" G_GUINT64_FORMAT " samples each", spp);

  g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
               "“%s”: page %" G_GINT64_FORMAT " is %" G_GUINT64_FORMAT " × %" G_GUINT64_FORMAT
               " pixels%s, too large to read",
               name, page, w, h, samples);
  return FALSE;
}

/* Width × height × samples from a page's raw tags, refused when absurd before libtiff sizes
 * anything from them (it would report an integer overflow, or try). */
static gboolean
check_dimensions (const char *name, gboolean be, gboolean big, guint page, const uint8_t *entries,
                  uint64_t n, GError **error)
{
  int entry_size = big ? 20 : 12, value_at = big ? 12 : 8;
  uint64_t dims[3] = { 0, 0, 1 }, values; /* width, height, samples per pixel */

  for (uint64_t i = 0; i < n; i++)
    {
      const uint8_t *e = entries + i * entry_size;
      unsigned tag = (unsigned) get_uint (e, 2, be), type = (unsigned) get_uint (e + 2, 2, be);
      int which = tag == TIFFTAG_IMAGEWIDTH        ? 0
                  : tag == TIFFTAG_IMAGELENGTH     ? 1
                  : tag == TIFFTAG_SAMPLESPERPIXEL ? 2
                                                   : -1;
      if (which < 0)
        continue;
      if (type == TIFF_SHORT)
        dims[which] = get_uint (e + value_at, 2, be);
      else if (type == TIFF_LONG)
        dims[which] = get_uint (e + value_at, 4, be);
      else if (type == TIFF_LONG8 && big)
        dims[which] = get_uint (e + value_at, 8, be);
    }
  if (!g_uint64_checked_mul (&values, dims[0], dims[1])
      || !g_uint64_checked_mul (&values, values, dims[2])
      || values > (uint64_t) DLS_TIFF_MAX_SLICE_VALUES)
    {
      return dls_tiff_too_large (error, name, page, dims[0], dims[1], dims[2]);
    }
  return TRUE;
}

gboolean
dls_tiff_walk_ifds (int fd, uint64_t file_size, const char *name, gboolean *big_tiff,
                    gboolean *big_endian, GArray *ifds, GError **error)
{
  uint8_t head[16] = { 0 };
  size_t n_head = (size_t) MIN (file_size, sizeof head);
  gboolean be, big;
  uint64_t off;
  int count_size, entry_size, next_size;
  g_autoptr (GHashTable) seen = NULL;
  g_autofree uint8_t *entries = NULL;

  if (file_size == 0)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT, "“%s” is empty", name);
      return FALSE;
    }
  if (!dls_tiff_read_at (fd, head, n_head, 0))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_READ, "Cannot read “%s”: %s", name,
                   g_strerror (errno));
      return FALSE;
    }
  be = head[0] == 'M';
  if (n_head < 8 || head[0] != head[1] || (head[0] != 'I' && head[0] != 'M')
      || (get_uint (head + 2, 2, be) != 42 && get_uint (head + 2, 2, be) != 43))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT, "“%s” is not a TIFF file", name);
      return FALSE;
    }
  big = get_uint (head + 2, 2, be) == 43;
  if (big && (n_head < 16 || get_uint (head + 4, 2, be) != 8 || get_uint (head + 6, 2, be) != 0))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                   "“%s” is damaged: its BigTIFF header is invalid", name);
      return FALSE;
    }
  *big_endian = be;
  *big_tiff = big;
  off = big ? get_uint (head + 8, 8, be) : get_uint (head + 4, 4, be);
  if (off == 0)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT, "“%s” has no pages", name);
      return FALSE;
    }

  count_size = big ? 8 : 2;
  entry_size = big ? 20 : 12;
  next_size = big ? 8 : 4;
  seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  while (off != 0)
    {
      uint8_t buf[8];
      uint64_t n_entries, left;
      guint page = ifds->len + 1;

      if (off >= file_size || file_size - off < (uint64_t) count_size)
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                       "“%s” is truncated: page %u lies past the end of the file", name, page);
          return FALSE;
        }
      if (g_hash_table_contains (seen, &off))
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                       "“%s” is damaged: its list of pages loops back on itself at page %u", name,
                       page);
          return FALSE;
        }
      g_hash_table_add (seen, g_memdup2 (&off, sizeof off));
      if (!dls_tiff_read_at (fd, buf, count_size, off))
        goto read_error;
      n_entries = get_uint (buf, count_size, be);
      if (n_entries == 0)
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                       "“%s” is damaged: page %u has no tags", name, page);
          return FALSE;
        }
      left = file_size - off - count_size;
      if (n_entries > left / entry_size || left - n_entries * entry_size < (uint64_t) next_size)
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                       "“%s” is truncated: page %u ends past the end of the file", name, page);
          return FALSE;
        }
      if (n_entries > 4096)
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT,
                       "“%s” is damaged: page %u claims %" G_GUINT64_FORMAT " tags", name, page,
                       n_entries);
          return FALSE;
        }
      entries = g_realloc (entries, n_entries * entry_size + next_size);
      if (!dls_tiff_read_at (fd, entries, n_entries * entry_size + next_size, off + count_size))
        goto read_error;
      if (!check_dimensions (name, be, big, page, entries, n_entries, error))
        return FALSE;
      g_array_append_val (ifds, off);
      off = get_uint (entries + n_entries * entry_size, next_size, be);
    }
  return TRUE;

read_error:
  g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_READ, "Cannot read “%s”: %s", name,
               g_strerror (errno));
  return FALSE;
}
