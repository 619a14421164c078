/* SPDX-License-Identifier: MIT
 *
 * tiff-read.c: the public reader.  A path is a TIFF file (tiff-file.c does the work) or a folder
 * of single-slice TIFFs, taken in natural order (img2.tif before img10.tif), which must all
 * agree in size, channels and type.  A folder's files are all checked at open and opened again
 * one at a time to read, so a stack of thousands of files holds no file descriptors.
 *
 * It does not: look inside files without a .tif/.tiff name, or hidden ones; stack multi-page
 * files of a folder; scale values.
 */
#include "tiff-private.h"

#include "memory.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

struct _DlsTiffReader
{
  GMutex lock;
  char *name;
  DlsTiffInfo info;
  DlsTiffFile *file; /* a file, or */
  GPtrArray *files;  /* a folder: paths in natural order */
};

/* Digit runs compare by value, so img2.tif comes before img10.tif. */
static int
natural_compare (const char *a, const char *b)
{
  while (*a != '\0' && *b != '\0')
    {
      if (g_ascii_isdigit (*a) && g_ascii_isdigit (*b))
        {
          const char *ea, *eb;
          size_t na, nb;
          int c;

          while (*a == '0' && g_ascii_isdigit (a[1]))
            a++;
          while (*b == '0' && g_ascii_isdigit (b[1]))
            b++;
          for (ea = a; g_ascii_isdigit (*ea); ea++)
            ;
          for (eb = b; g_ascii_isdigit (*eb); eb++)
            ;
          na = (size_t) (ea - a);
          nb = (size_t) (eb - b);
          if (na != nb)
            return na < nb ? -1 : 1;
          if ((c = strncmp (a, b, na)) != 0)
            return c;
          a = ea;
          b = eb;
        }
      else
        {
          if (*a != *b)
            return (unsigned char) *a < (unsigned char) *b ? -1 : 1;
          a++;
          b++;
        }
    }
  return (unsigned char) *a - (unsigned char) *b;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  const char *pa = *(const char *const *) a, *pb = *(const char *const *) b;
  g_autofree char *ba = g_path_get_basename (pa);
  g_autofree char *bb = g_path_get_basename (pb);
  int c = natural_compare (ba, bb);

  return c != 0 ? c : strcmp (ba, bb);
}

static gboolean
is_tiff_name (const char *name)
{
  size_t n = strlen (name);

  if (name[0] == '.')
    return FALSE;
  return (n > 4 && g_ascii_strcasecmp (name + n - 4, ".tif") == 0)
         || (n > 5 && g_ascii_strcasecmp (name + n - 5, ".tiff") == 0);
}

static char *
describe (const DlsTiffInfo *info)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " pixels, %d channel%s of %s",
                          info->width, info->height, info->channels, info->channels == 1 ? "" : "s",
                          dls_sample_type_name (info->type));
}

/* A file of a folder stack: one slice, the same shape and type as the first file. */
static DlsTiffFile *
folder_file_open (const char *path, const DlsTiffInfo *want, const char *first_name, GError **error)
{
  g_autoptr (DlsTiffFile) f = dls_tiff_file_open (path, error);
  const DlsTiffInfo *info;
  const char *name;

  if (f == NULL)
    return NULL;
  info = dls_tiff_file_get_info (f);
  name = dls_tiff_file_get_name (f);
  if (info->depth != 1)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” holds %" G_GINT64_FORMAT " slices; each file of a folder stack must "
                   "hold one",
                   name, info->depth);
      return NULL;
    }
  if (want != NULL
      && (info->width != want->width || info->height != want->height
          || info->channels != want->channels || info->type != want->type))
    {
      g_autofree char *have_s = describe (info);
      g_autofree char *want_s = describe (want);
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is %s but “%s” is %s; all files of a folder stack must agree", name,
                   have_s, first_name, want_s);
      return NULL;
    }
  return g_steal_pointer (&f);
}

static gboolean
folder_open (DlsTiffReader *r, const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) dir = g_dir_open (path, 0, &local);
  g_autofree char *first_name = NULL;
  const char *entry;

  if (dir == NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_READ, "Cannot read the folder “%s”: %s",
                   r->name, local->message);
      return FALSE;
    }
  r->files = g_ptr_array_new_with_free_func (g_free);
  while ((entry = g_dir_read_name (dir)) != NULL)
    if (is_tiff_name (entry))
      g_ptr_array_add (r->files, g_build_filename (path, entry, NULL));
  if (r->files->len == 0)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_NOT_FOUND,
                   "The folder “%s” holds no TIFF files", r->name);
      return FALSE;
    }
  g_ptr_array_sort (r->files, compare_paths);

  for (guint i = 0; i < r->files->len; i++)
    {
      const char *file = g_ptr_array_index (r->files, i);
      g_autoptr (DlsTiffFile) f
          = folder_file_open (file, i == 0 ? NULL : &r->info, first_name, error);
      if (f == NULL)
        return FALSE;
      if (i == 0)
        {
          r->info = *dls_tiff_file_get_info (f);
          r->info.compression = g_strdup (r->info.compression);
          first_name = g_strdup (dls_tiff_file_get_name (f));
        }
    }
  r->info.depth = r->files->len;
  r->info.pages = r->files->len;
  return TRUE;
}

DlsTiffReader *
dls_tiff_reader_open (const char *path, GError **error)
{
  g_autoptr (DlsTiffReader) r = NULL;
  GStatBuf st;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  r = g_new0 (DlsTiffReader, 1);
  g_mutex_init (&r->lock);
  r->name = dls_tiff_display_name (path);
  if (g_stat (path, &st) != 0)
    {
      int e = errno;
      g_set_error (error, DLS_IO_ERROR, e == ENOENT ? DLS_IO_ERROR_NOT_FOUND : DLS_IO_ERROR_READ,
                   e == ENOENT ? "“%s” does not exist" : "Cannot open “%s”: %s", r->name,
                   g_strerror (e));
      return NULL;
    }
  if (S_ISDIR (st.st_mode))
    {
      if (!folder_open (r, path, error))
        return NULL;
    }
  else
    {
      r->file = dls_tiff_file_open (path, error);
      if (r->file == NULL)
        return NULL;
      r->info = *dls_tiff_file_get_info (r->file);
      r->info.compression = g_strdup (r->info.compression);
    }
  return g_steal_pointer (&r);
}

const DlsTiffInfo *
dls_tiff_reader_get_info (DlsTiffReader *r)
{
  g_return_val_if_fail (r != NULL, NULL);
  return &r->info;
}

gboolean
dls_tiff_reader_read_slice (DlsTiffReader *r, int64_t z, float *out, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (r != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (z < 0 || z >= r->info.depth)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” has no slice %" G_GINT64_FORMAT
                   " (slices are numbered 0 to %" G_GINT64_FORMAT ")",
                   r->name, z, r->info.depth - 1);
      return FALSE;
    }

  g_mutex_lock (&r->lock);
  if (r->file != NULL)
    ok = dls_tiff_file_read_slice (r->file, z, out, error);
  else
    {
      const char *first = g_ptr_array_index (r->files, 0);
      g_autofree char *first_name = dls_tiff_display_name (first);
      g_autoptr (DlsTiffFile) f
          = folder_file_open (g_ptr_array_index (r->files, z), &r->info, first_name, error);
      ok = f != NULL && dls_tiff_file_read_slice (f, 0, out, error);
    }
  g_mutex_unlock (&r->lock);
  return ok;
}

void
dls_tiff_reader_free (DlsTiffReader *r)
{
  if (r == NULL)
    return;
  dls_tiff_file_free (r->file);
  g_clear_pointer (&r->files, g_ptr_array_unref);
  dls_tiff_info_clear (&r->info);
  g_free (r->name);
  g_mutex_clear (&r->lock);
  g_free (r);
}

float *
dls_tiff_read_volume (const char *path, DlsTiffInfo *info_out, GError **error)
{
  g_autoptr (DlsTiffReader) r = dls_tiff_reader_open (path, error);
  const DlsTiffInfo *info;
  uint64_t slice, bytes;
  g_autofree float *data = NULL;

  if (info_out != NULL)
    memset (info_out, 0, sizeof *info_out);
  if (r == NULL)
    return NULL;
  info = &r->info;
  slice = (uint64_t) info->channels * info->width * info->height;
  if (!g_uint64_checked_mul (&bytes, slice, (uint64_t) info->depth)
      || !g_uint64_checked_mul (&bytes, bytes, sizeof (float))
      || bytes > (uint64_t) dls_tiff_max_volume_bytes ())
    {
      g_autofree char *limit = g_format_size ((guint64) dls_tiff_max_volume_bytes ());
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
                   "“%s” is too large to read at once: %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                   " × %" G_GINT64_FORMAT " × %d values, more than %s as float32",
                   r->name, info->depth, info->height, info->width, info->channels, limit);
      return NULL;
    }
  /* the whole volume stays in memory: refuse rather than be killed for it */
  {
    g_autofree char *what = g_strdup_printf ("“%s” as float32", r->name);

    if (!dls_memory_check (bytes, what, NULL, error))
      return NULL;
  }
  data = g_try_malloc (bytes);
  if (data == NULL)
    {
      g_autofree char *size = g_format_size (bytes);
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
                   "Not enough memory to read “%s” (%s as float32)", r->name, size);
      return NULL;
    }
  for (int64_t z = 0; z < info->depth; z++)
    if (!dls_tiff_reader_read_slice (r, z, data + z * slice, error))
      return NULL;
  if (info_out != NULL)
    {
      *info_out = *info;
      info_out->compression = g_strdup (info->compression);
    }
  return g_steal_pointer (&data);
}
