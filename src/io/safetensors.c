/* SPDX-License-Identifier: MIT
 *
 * safetensors.c: the safetensors container, read through a memory map and checked before any
 * byte of data is trusted (header size, JSON shape, dtype names, offsets inside the file, sizes
 * matching shapes, no overlaps past the end), and written atomically.
 *
 * It knows nothing of models; model-file.c maps a model's parameters onto it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "json-text.h"
#include "safetensors.h"

#define MAX_HEADER (100 * 1024 * 1024)

struct _DlsSafetensors
{
  char *path;
  GMappedFile *map;
  const guint8 *data; /* the data section */
  size_t data_size;
  GPtrArray *tensors; /* DlsTensorInfo*, file order */
  GHashTable *by_name;
  GHashTable *metadata;
};

static const struct
{
  const char *name;
  DlsDtype dtype;
  size_t size;
} dtypes[] = {
  { "F32", DLS_DTYPE_F32, 4 },    { "F64", DLS_DTYPE_F64, 8 },   { "I64", DLS_DTYPE_I64, 8 },
  { "I32", DLS_DTYPE_I32, 4 },    { "U8", DLS_DTYPE_U8, 1 },     { "F16", DLS_DTYPE_OTHER, 2 },
  { "BF16", DLS_DTYPE_OTHER, 2 }, { "I16", DLS_DTYPE_OTHER, 2 }, { "I8", DLS_DTYPE_OTHER, 1 },
  { "U16", DLS_DTYPE_OTHER, 2 },  { "U32", DLS_DTYPE_OTHER, 4 }, { "U64", DLS_DTYPE_OTHER, 8 },
  { "BOOL", DLS_DTYPE_OTHER, 1 },
};

static const char *
dtype_name (DlsDtype d)
{
  for (size_t i = 0; i < G_N_ELEMENTS (dtypes); i++)
    if (dtypes[i].dtype == d)
      return dtypes[i].name;
  return "?";
}

static size_t
dtype_size (DlsDtype d)
{
  for (size_t i = 0; i < G_N_ELEMENTS (dtypes); i++)
    if (dtypes[i].dtype == d)
      return dtypes[i].size;
  return 0;
}

static void
tensor_info_free (gpointer p)
{
  DlsTensorInfo *t = p;

  g_free (t->name);
  g_free (t->dtype_name);
  g_free (t);
}

void
dls_safetensors_free (DlsSafetensors *st)
{
  if (st == NULL)
    return;
  g_free (st->path);
  if (st->map)
    g_mapped_file_unref (st->map);
  if (st->tensors)
    g_ptr_array_unref (st->tensors);
  if (st->by_name)
    g_hash_table_unref (st->by_name);
  if (st->metadata)
    g_hash_table_unref (st->metadata);
  g_free (st);
}

static gboolean corrupt (GError **error, const char *path, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
corrupt (GError **error, const char *path, const char *fmt, ...)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_CORRUPT, "“%s” is not a valid model file: %s",
               base, msg);
  return FALSE;
}

static gboolean
parse_tensor (DlsSafetensors *st, const char *name, JsonNode *node, GError **error)
{
  g_autofree DlsTensorInfo *t = g_new0 (DlsTensorInfo, 1);
  JsonObject *o;
  JsonNode *dn, *sn, *on;
  JsonArray *shape, *offs;
  size_t esize = 0;
  gint64 b, e;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return corrupt (error, st->path, "the entry of tensor “%s” is not an object", name);
  o = json_node_get_object (node);
  dn = json_object_get_member (o, "dtype");
  sn = json_object_get_member (o, "shape");
  on = json_object_get_member (o, "data_offsets");
  if (dn == NULL || json_node_get_value_type (dn) != G_TYPE_STRING || sn == NULL
      || !JSON_NODE_HOLDS_ARRAY (sn) || on == NULL || !JSON_NODE_HOLDS_ARRAY (on))
    return corrupt (error, st->path, "tensor “%s” lacks a dtype, shape or data_offsets", name);
  t->dtype = DLS_DTYPE_OTHER;
  for (size_t i = 0; i < G_N_ELEMENTS (dtypes); i++)
    if (g_strcmp0 (json_node_get_string (dn), dtypes[i].name) == 0)
      {
        t->dtype = dtypes[i].dtype;
        esize = dtypes[i].size;
      }
  if (esize == 0)
    return corrupt (error, st->path, "tensor “%s” has an unknown dtype “%s”", name,
                    json_node_get_string (dn));
  shape = json_node_get_array (sn);
  offs = json_node_get_array (on);
  if (json_array_get_length (shape) > 8 || json_array_get_length (offs) != 2)
    return corrupt (error, st->path, "tensor “%s” has a bad shape or data_offsets", name);
  t->ndim = json_array_get_length (shape);
  t->numel = 1;
  for (int i = 0; i < t->ndim; i++)
    {
      JsonNode *x = json_array_get_element (shape, i);
      gint64 v;

      if (!JSON_NODE_HOLDS_VALUE (x) || json_node_get_value_type (x) != G_TYPE_INT64
          || (v = json_node_get_int (x)) < 0 || v > ((gint64) 1 << 40)
          || (v > 0 && t->numel > ((gint64) 1 << 40) / v))
        return corrupt (error, st->path, "tensor “%s” has a bad shape", name);
      t->shape[i] = v;
      t->numel *= v;
    }
  for (int i = 0; i < 2; i++)
    {
      JsonNode *x = json_array_get_element (offs, i);

      if (!JSON_NODE_HOLDS_VALUE (x) || json_node_get_value_type (x) != G_TYPE_INT64)
        return corrupt (error, st->path, "tensor “%s” has bad data_offsets", name);
    }
  b = json_array_get_int_element (offs, 0);
  e = json_array_get_int_element (offs, 1);
  if (b < 0 || e < b || (guint64) e > st->data_size)
    return corrupt (error, st->path, "the data of tensor “%s” lies outside the file (truncated?)",
                    name);
  if ((guint64) (e - b) != (guint64) t->numel * esize)
    return corrupt (error, st->path,
                    "tensor “%s” has %" G_GINT64_FORMAT " bytes for %" G_GINT64_FORMAT " values",
                    name, e - b, t->numel);
  t->name = g_strdup (name);
  t->dtype_name = g_strdup (json_node_get_string (dn));
  t->offset = (size_t) b;
  t->size = (size_t) (e - b);
  g_hash_table_insert (st->by_name, t->name, t);
  g_ptr_array_add (st->tensors, g_steal_pointer (&t));
  return TRUE;
}

static int
cmp_offset (gconstpointer a, gconstpointer b)
{
  const DlsTensorInfo *x = *(DlsTensorInfo *const *) a, *y = *(DlsTensorInfo *const *) b;

  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

DlsSafetensors *
dls_safetensors_open (const char *path, GError **error)
{
  g_autoptr (DlsSafetensors) st = g_new0 (DlsSafetensors, 1);
  g_autoptr (GError) local = NULL;
  g_autoptr (JsonParser) parser = NULL;
  g_autofree char *base = g_path_get_basename (path);
  const guint8 *bytes;
  size_t len;
  g_autoptr (GString) where = NULL;
  guint64 hlen = 0;
  JsonNode *root;
  JsonObject *header;
  GList *members;

  st->path = g_strdup (path);
  st->tensors = g_ptr_array_new_with_free_func (tensor_info_free);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT, "“%s” is a folder, not a model file",
                   base);
      return NULL;
    }
  /* a pipe or a device would block or never end: only plain files (or links to them) */
  if (g_file_test (path, G_FILE_TEST_EXISTS) && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a regular file (a pipe or a device?), not a model file", base);
      return NULL;
    }
  st->map = g_mapped_file_new (path, FALSE, &local);
  if (st->map == NULL)
    {
      gboolean missing = g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT);

      g_set_error (error, DLS_IO_ERROR, missing ? DLS_IO_ERROR_NOT_FOUND : DLS_IO_ERROR_READ,
                   "cannot open “%s”: %s", path, missing ? "no such file" : local->message);
      return NULL;
    }
  bytes = (const guint8 *) g_mapped_file_get_contents (st->map);
  len = g_mapped_file_get_length (st->map);
  if (len < 8)
    {
      corrupt (error, path, "it is too short (%zu bytes)", len);
      return NULL;
    }
  for (int i = 7; i >= 0; i--)
    hlen = (hlen << 8) | bytes[i];
  if (hlen < 2 || hlen > MAX_HEADER || hlen > len - 8)
    {
      corrupt (error, path,
               "the header length (%" G_GUINT64_FORMAT " bytes) does not fit the "
               "file of %zu bytes",
               hlen, len);
      return NULL;
    }
  if (dls_json_too_deep ((const char *) bytes + 8, (gssize) hlen))
    {
      corrupt (error, path, "the header's lists and objects are nested more than %d deep",
               DLS_JSON_MAX_DEPTH);
      return NULL;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) bytes + 8, (gssize) hlen, &local))
    {
      g_autofree char *why = g_utf8_make_valid (local->message, -1); /* quotes bad bytes */

      corrupt (error, path, "the header is not JSON (%s)", why);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      corrupt (error, path, "the header is not a JSON object");
      return NULL;
    }
  where = g_string_new (NULL);
  if (dls_json_find_bad_text (root, where))
    {
      corrupt (error, path, "“%s” in the header is not UTF-8 text", where->str);
      return NULL;
    }
  st->data = bytes + 8 + hlen;
  st->data_size = len - 8 - hlen;
  header = json_node_get_object (root);
  members = json_object_get_members (header);
  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (header, name);

      if (strcmp (name, "__metadata__") == 0)
        {
          JsonObject *mo;
          GList *keys;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_list_free (members);
              corrupt (error, path, "__metadata__ is not an object");
              return NULL;
            }
          mo = json_node_get_object (node);
          keys = json_object_get_members (mo);
          for (GList *k = keys; k; k = k->next)
            {
              JsonNode *v = json_object_get_member (mo, k->data);

              if (JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING)
                g_hash_table_insert (st->metadata, g_strdup (k->data),
                                     g_strdup (json_node_get_string (v)));
            }
          g_list_free (keys);
          continue;
        }
      if (!parse_tensor (st, name, node, error))
        {
          g_list_free (members);
          return NULL;
        }
    }
  g_list_free (members);
  /* file order is data order; overlapping tensors mean a damaged header */
  g_ptr_array_sort (st->tensors, cmp_offset);
  for (guint i = 1; i < st->tensors->len; i++)
    {
      const DlsTensorInfo *a = st->tensors->pdata[i - 1], *b = st->tensors->pdata[i];

      if (a->offset + a->size > b->offset)
        {
          corrupt (error, path, "tensors “%s” and “%s” overlap", a->name, b->name);
          return NULL;
        }
    }
  return g_steal_pointer (&st);
}

int
dls_safetensors_n_tensors (DlsSafetensors *st)
{
  return st->tensors->len;
}

const DlsTensorInfo *
dls_safetensors_tensor (DlsSafetensors *st, int index)
{
  return index >= 0 && (guint) index < st->tensors->len ? st->tensors->pdata[index] : NULL;
}

const DlsTensorInfo *
dls_safetensors_find (DlsSafetensors *st, const char *name)
{
  return g_hash_table_lookup (st->by_name, name);
}

const void *
dls_safetensors_data (DlsSafetensors *st, const DlsTensorInfo *t)
{
  return st->data + t->offset;
}

const char *
dls_safetensors_metadata (DlsSafetensors *st, const char *key)
{
  return g_hash_table_lookup (st->metadata, key);
}

/* ---- writing ---- */

gboolean
dls_safetensors_write (const char *path, const DlsTensorOut *tensors, int n,
                       const char *const *metadata, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *header = NULL;
  g_autofree guint8 *buf = NULL;
  size_t hlen, padded, total, off = 0;

  json_builder_begin_object (b);
  if (metadata)
    {
      json_builder_set_member_name (b, "__metadata__");
      json_builder_begin_object (b);
      for (int i = 0; metadata[i] && metadata[i + 1]; i += 2)
        {
          json_builder_set_member_name (b, metadata[i]);
          json_builder_add_string_value (b, metadata[i + 1]);
        }
      json_builder_end_object (b);
    }
  for (int i = 0; i < n; i++)
    {
      size_t sz = dtype_size (tensors[i].dtype);

      for (int d = 0; d < tensors[i].ndim; d++)
        sz *= (size_t) tensors[i].shape[d];
      json_builder_set_member_name (b, tensors[i].name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, dtype_name (tensors[i].dtype));
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (int d = 0; d < tensors[i].ndim; d++)
        json_builder_add_int_value (b, tensors[i].shape[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64) off);
      json_builder_add_int_value (b, (gint64) (off + sz));
      json_builder_end_array (b);
      json_builder_end_object (b);
      off += sz;
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  header = json_generator_to_data (gen, &hlen);
  /* pad the header with spaces so the data starts 8-byte aligned, as the format recommends */
  padded = (hlen + 7) & ~(size_t) 7;
  total = 8 + padded + off;
  buf = g_try_malloc (total);
  if (buf == NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
                   "cannot write “%s”: not enough memory for %zu bytes", path, total);
      return FALSE;
    }
  for (int i = 0; i < 8; i++)
    buf[i] = (guint8) ((guint64) padded >> (8 * i));
  memcpy (buf + 8, header, hlen);
  memset (buf + 8 + hlen, ' ', padded - hlen);
  off = 8 + padded;
  for (int i = 0; i < n; i++)
    {
      size_t sz = dtype_size (tensors[i].dtype);

      for (int d = 0; d < tensors[i].ndim; d++)
        sz *= (size_t) tensors[i].shape[d];
      if (sz)
        memcpy (buf + off, tensors[i].data, sz);
      off += sz;
    }
  return dls_io_write_file (path, buf, total, error);
}
