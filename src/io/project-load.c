/* SPDX-License-Identifier: MIT
 *
 * project-load.c: reading NAME.dlsia.json.  One small set of typed getters knows each field's
 * dotted name ("display.slice[1]"), so every wrong type ends in a message naming the field.
 * Strict about what this version knows, lenient about what it does not: unknown keys are
 * ignored, absent or null fields keep their defaults, and an overlay or uncertainty name from
 * a newer version leaves the default (a display setting is not worth refusing a project for).
 *
 * What it deliberately does not do: look at the volume, labels or model files.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "json-text.h"
#include "project-private.h"

/* A project file is a few kilobytes; anything much larger was picked by mistake (a TIFF). */
#define MAX_PROJECT_BYTES (16 << 20)

typedef struct
{
  const char *name; /* the file's name for messages */
  const char *dir;  /* the project's folder, absolute */
  GError **error;
} Reader;

static gboolean bad (Reader *r, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad (Reader *r, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (r->error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
               "“%s” is not a valid DLSIA Studio project: %s", r->name, what);
  return FALSE;
}

static const char *
kind_of (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "a list";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      break;
    }
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return "text";
    case G_TYPE_BOOLEAN:
      return "true or false";
    default:
      return "a number";
    }
}

static gboolean
wrong_type (Reader *r, const char *field, const char *wanted, JsonNode *node)
{
  return bad (r, "“%s” should be %s, not %s", field, wanted, kind_of (node));
}

/* A member, or NULL when absent or null: both mean "the default". */
static JsonNode *
member (JsonObject *o, const char *key)
{
  JsonNode *node = json_object_get_member (o, key);

  return node == NULL || JSON_NODE_HOLDS_NULL (node) ? NULL : node;
}

static gboolean
is_number (JsonNode *node)
{
  GType t;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  t = json_node_get_value_type (node);
  return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
}

static gboolean
get_double_node (Reader *r, JsonNode *node, const char *field, double *out)
{
  if (!is_number (node))
    return wrong_type (r, field, "a number", node);
  *out = json_node_get_double (node);
  if (!isfinite (*out))
    return bad (r, "“%s” is not a finite number", field);
  return TRUE;
}

static gboolean
get_double (Reader *r, JsonObject *o, const char *key, const char *field, double *out)
{
  JsonNode *node = member (o, key);

  return node == NULL || get_double_node (r, node, field, out);
}

/* A whole number; 20.0 (as Python writes a float) counts as one. */
static gboolean
get_int64_node (Reader *r, JsonNode *node, const char *field, gint64 *out)
{
  double d;

  if (!is_number (node))
    return wrong_type (r, field, "a whole number", node);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      *out = json_node_get_int (node);
      return TRUE;
    }
  d = json_node_get_double (node);
  if (!(d == floor (d) && fabs (d) < 9007199254740992.0))
    return bad (r, "“%s” should be a whole number, not %g", field, d);
  *out = (gint64) d;
  return TRUE;
}

static gboolean
get_int (Reader *r, JsonObject *o, const char *key, const char *field, int *out)
{
  JsonNode *node = member (o, key);
  gint64 v;

  if (node == NULL)
    return TRUE;
  if (!get_int64_node (r, node, field, &v))
    return FALSE;
  if (v < G_MININT || v > G_MAXINT)
    return bad (r, "“%s” is %" G_GINT64_FORMAT ", far too large", field, v);
  *out = (int) v;
  return TRUE;
}

static gboolean
get_bool (Reader *r, JsonObject *o, const char *key, const char *field, gboolean *out)
{
  JsonNode *node = member (o, key);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return wrong_type (r, field, "true or false", node);
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
get_string_node (Reader *r, JsonNode *node, const char *field, const char **out)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return wrong_type (r, field, "text", node);
  *out = json_node_get_string (node);
  return TRUE;
}

/* Replaces *out when the member is there. */
static gboolean
get_string (Reader *r, JsonObject *o, const char *key, const char *field, char **out)
{
  JsonNode *node = member (o, key);
  const char *s;

  if (node == NULL)
    return TRUE;
  if (!get_string_node (r, node, field, &s))
    return FALSE;
  g_free (*out);
  *out = g_strdup (s);
  return TRUE;
}

/* One of `names`; with `lenient`, a name this version does not know leaves the default (a
 * display setting from a newer version is not worth refusing the project for). */
static gboolean
get_choice (Reader *r, JsonObject *o, const char *key, const char *field, const char *const *names,
            gboolean lenient, char **out)
{
  JsonNode *node = member (o, key);
  g_autofree char *list = NULL;
  const char *s;

  if (node == NULL)
    return TRUE;
  if (!get_string_node (r, node, field, &s))
    return FALSE;
  if (g_strv_contains (names, s))
    {
      g_free (*out);
      *out = g_strdup (s);
      return TRUE;
    }
  if (lenient)
    return TRUE;
  list = g_strjoinv (", ", (char **) names);
  return bad (r, "“%s” is “%s”; this version knows %s", field, s, list);
}

static gboolean
get_object (Reader *r, JsonObject *o, const char *key, const char *field, JsonObject **out)
{
  JsonNode *node = member (o, key);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return wrong_type (r, field, "an object", node);
  *out = json_node_get_object (node);
  return TRUE;
}

static gboolean
get_array (Reader *r, JsonObject *o, const char *key, const char *field, JsonArray **out)
{
  JsonNode *node = member (o, key);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (r, field, "a list", node);
  *out = json_node_get_array (node);
  return TRUE;
}

/* A path as stored (relative to the project's folder, or absolute) made absolute. */
static gboolean
get_path_node (Reader *r, JsonNode *node, const char *field, char **out)
{
  const char *s;

  if (!get_string_node (r, node, field, &s))
    return FALSE;
  if (s[0] == '\0')
    return bad (r, "“%s” is an empty file name", field);
  g_free (*out);
  *out = _dls_project_absolute_path (s, r->dir);
  return TRUE;
}

/* "#rrggbb" (opaque) or "#rrggbbaa", either case. */
static gboolean
parse_color (const char *s, guint32 *out)
{
  gsize n = strlen (s);
  guint32 v = 0;

  if (s[0] != '#' || (n != 7 && n != 9))
    return FALSE;
  for (gsize i = 1; i < n; i++)
    {
      int d = g_ascii_xdigit_value (s[i]);
      if (d < 0)
        return FALSE;
      v = v << 4 | (guint32) d;
    }
  *out = n == 7 ? v << 8 | 0xff : v;
  return TRUE;
}

static gboolean
read_classes (Reader *r, DlsProject *p, JsonObject *root)
{
  JsonArray *a;
  guint n;

  if (!get_array (r, root, "classes", "classes", &a))
    return FALSE;
  if (a == NULL)
    return TRUE; /* the two default classes */
  n = json_array_get_length (a);
  if (n == 0)
    return bad (r, "it has no classes (it needs at least one)");
  if (n > DLS_PROJECT_MAX_CLASSES)
    return bad (r, "it has %u classes; at most %d are supported", n, DLS_PROJECT_MAX_CLASSES);

  g_array_set_size (p->classes, 0);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (a, i);
      g_autofree char *field = g_strdup_printf ("classes[%u]", i);
      g_autofree char *name_field = g_strdup_printf ("classes[%u].name", i);
      g_autofree char *color_field = g_strdup_printf ("classes[%u].color", i);
      JsonObject *c;
      JsonNode *name_node, *color_node;
      const char *name, *color;
      guint32 rgba = dls_project_class_default_color ((int) i);

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return wrong_type (r, field, "an object with a “name” and a “color”", node);
      c = json_node_get_object (node);
      name_node = member (c, "name");
      if (name_node == NULL)
        return bad (r, "“%s” has no name", field);
      if (!get_string_node (r, name_node, name_field, &name))
        return FALSE;
      color_node = member (c, "color");
      if (color_node != NULL)
        {
          if (!get_string_node (r, color_node, color_field, &color))
            return FALSE;
          if (!parse_color (color, &rgba))
            return bad (r, "“%s” is “%s”; a colour is written “#rrggbb” or “#rrggbbaa”",
                        color_field, color);
        }
      _dls_project_add_class (p, name, rgba);
    }
  return TRUE;
}

static gboolean
read_display (Reader *r, DlsProjectDisplay *d, JsonObject *root)
{
  JsonObject *o, *contrast;
  JsonArray *slice;
  JsonNode *axis;

  if (!get_object (r, root, "display", "display", &o))
    return FALSE;
  if (o == NULL)
    return TRUE;
  if (!get_string (r, o, "colormap", "display.colormap", &d->colormap)
      || !get_choice (r, o, "overlay", "display.overlay", _dls_project_overlay_names, TRUE,
                      &d->overlay)
      || !get_choice (r, o, "uncertainty", "display.uncertainty", _dls_project_uncertainty_names,
                      TRUE, &d->uncertainty)
      || !get_double (r, o, "opacity", "display.opacity", &d->opacity)
      || !get_bool (r, o, "show_labels", "display.show_labels", &d->show_labels))
    return FALSE;

  if (!get_object (r, o, "contrast", "display.contrast", &contrast))
    return FALSE;
  if (contrast != NULL
      && (!get_bool (r, contrast, "auto", "display.contrast.auto", &d->contrast_auto)
          || !get_double (r, contrast, "low", "display.contrast.low", &d->contrast_lo)
          || !get_double (r, contrast, "high", "display.contrast.high", &d->contrast_hi)))
    return FALSE;

  axis = member (o, "axis");
  if (axis != NULL)
    {
      const char *s;
      int i;

      if (!get_string_node (r, axis, "display.axis", &s))
        return FALSE;
      for (i = 0; i < 3; i++)
        if (g_ascii_strcasecmp (s, _dls_project_axis_names[i]) == 0)
          break;
      if (i == 3)
        return bad (r, "“display.axis” is “%s”; it should be “xy”, “xz” or “yz”", s);
      d->axis = i;
    }

  if (!get_array (r, o, "slice", "display.slice", &slice))
    return FALSE;
  if (slice != NULL)
    {
      if (json_array_get_length (slice) != 3)
        return bad (r, "“display.slice” should list 3 numbers (z, y, x), not %u",
                    json_array_get_length (slice));
      for (guint i = 0; i < 3; i++)
        {
          g_autofree char *field = g_strdup_printf ("display.slice[%u]", i);
          gint64 v;

          if (!get_int64_node (r, json_array_get_element (slice, i), field, &v))
            return FALSE;
          if (v < G_MININT || v > G_MAXINT)
            return bad (r, "“%s” is %" G_GINT64_FORMAT ", far too large", field, v);
          d->slice[i] = (int) v;
        }
    }
  return TRUE;
}

static gboolean
read_training (Reader *r, DlsProjectTraining *t, JsonObject *root)
{
  JsonObject *o, *params;
  JsonNode *seed;

  if (!get_object (r, root, "training", "training", &o))
    return FALSE;
  if (o == NULL)
    return TRUE;
  if (!get_choice (r, o, "arch", "training.arch", _dls_project_arch_names, FALSE, &t->arch)
      || !get_int (r, o, "ensemble", "training.ensemble", &t->ensemble)
      || !get_int (r, o, "epochs", "training.epochs", &t->epochs)
      || !get_double (r, o, "time_budget", "training.time_budget", &t->time_budget)
      || !get_int (r, o, "patch", "training.patch", &t->patch)
      || !get_int (r, o, "batch", "training.batch", &t->batch)
      || !get_double (r, o, "lr", "training.lr", &t->lr))
    return FALSE;

  seed = member (o, "seed");
  if (seed != NULL)
    {
      gint64 v;

      if (!get_int64_node (r, seed, "training.seed", &v))
        return FALSE;
      t->seed = (guint64) v; /* seeds past 2⁶³ are written as their int64 bit pattern */
    }

  params = NULL;
  {
    JsonNode *node = member (o, "params");
    if (node != NULL && !JSON_NODE_HOLDS_OBJECT (node))
      return wrong_type (r, "training.params", "an object", node);
    if (node != NULL)
      params = json_node_get_object (node);
  }
  g_clear_pointer (&t->arch_params, json_object_unref);
  if (params != NULL)
    t->arch_params = json_object_ref (params);
  return TRUE;
}

static gboolean
read_project (Reader *r, DlsProject *p, JsonObject *root)
{
  JsonNode *format, *volume, *labels;
  JsonArray *models;
  g_autofree char *problem = NULL;
  gint64 v;

  format = member (root, "format");
  if (format == NULL)
    {
      g_set_error (r->error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a DLSIA Studio project: it has no “format”", r->name);
      return FALSE;
    }
  if (!get_int64_node (r, format, "format", &v))
    return FALSE;
  if (v > DLS_PROJECT_FORMAT)
    {
      g_set_error (r->error, DLS_IO_ERROR, DLS_IO_ERROR_UNSUPPORTED,
                   "“%s” was written by a newer DLSIA Studio (format %" G_GINT64_FORMAT
                   "); this version reads format %d",
                   r->name, v, DLS_PROJECT_FORMAT);
      return FALSE;
    }
  if (v < 1)
    return bad (r, "“format” is %" G_GINT64_FORMAT ", not a format of DLSIA Studio", v);
  p->format = (int) v;

  volume = member (root, "volume");
  if (volume != NULL && !get_path_node (r, volume, "volume", &p->volume))
    return FALSE;
  labels = member (root, "labels");
  if (labels != NULL)
    {
      if (!get_path_node (r, labels, "labels", &p->labels))
        return FALSE;
    }
  else if (p->volume != NULL)
    p->labels = dls_labels_path_for_volume (p->volume);

  if (!read_classes (r, p, root) || !read_display (r, &p->display, root)
      || !read_training (r, &p->training, root))
    return FALSE;
  problem = _dls_project_find_problem (p);
  if (problem != NULL)
    return bad (r, "%s", problem);

  if (!get_array (r, root, "models", "models", &models))
    return FALSE;
  for (guint i = 0; models != NULL && i < json_array_get_length (models); i++)
    {
      g_autofree char *field = g_strdup_printf ("models[%u]", i);
      char *path = NULL;

      if (!get_path_node (r, json_array_get_element (models, i), field, &path))
        return FALSE;
      g_ptr_array_add (p->models, path);
    }
  return TRUE;
}

DlsProject *
dls_project_load (const char *path, GError **error)
{
  g_autoptr (DlsProject) p = NULL;
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *name = NULL;
  g_autofree char *abs_path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GString) where = NULL;
  GStatBuf st;
  gsize len;
  JsonNode *root;
  Reader r;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = g_filename_display_basename (path);
  abs_path = _dls_project_absolute_path (path, NULL);
  dir = g_path_get_dirname (abs_path);
  r = (Reader){ name, dir, error };

  if (g_stat (path, &st) != 0)
    {
      int e = errno;
      g_set_error (error, DLS_IO_ERROR, e == ENOENT ? DLS_IO_ERROR_NOT_FOUND : DLS_IO_ERROR_READ,
                   e == ENOENT ? "“%s” does not exist" : "Cannot open “%s”: %s", name,
                   g_strerror (e));
      return NULL;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a DLSIA Studio project: it is a folder", name);
      return NULL;
    }
  if (st.st_size > MAX_PROJECT_BYTES)
    {
      g_autofree char *size = g_format_size ((guint64) st.st_size);
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a DLSIA Studio project: it is %s, far too large for one", name,
                   size);
      return NULL;
    }
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_READ, "Cannot read “%s”: %s", name,
                   local->message);
      return NULL;
    }
  if (len == 0 || strspn (text, " \t\r\n") == len)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a DLSIA Studio project: it is empty", name);
      return NULL;
    }
  if (!g_utf8_validate (text, (gssize) len, NULL) || memchr (text, '\0', len) != NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a DLSIA Studio project: it is not a text file", name);
      return NULL;
    }
  if (dls_json_too_deep (text, (gssize) len))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a DLSIA Studio project: its lists and objects are nested more "
                   "than %d deep",
                   name, DLS_JSON_MAX_DEPTH);
      return NULL;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, (gssize) len, &local))
    {
      /* json-glib quotes the bad token as is, bytes that are not UTF-8 included */
      g_autofree char *why = g_utf8_make_valid (local->message, -1);
      int line, column, used = 0;

      /* "<data>:3:14: Parse error: …" says where; the file's name is already in front */
      if (sscanf (why, "<data>:%d:%d: %n", &line, &column, &used) == 2 && used > 0)
        g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                     "“%s” is not a DLSIA Studio project: it is not valid JSON (line %d, "
                     "column %d: %s)",
                     name, line, column, why + used);
      else
        g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                     "“%s” is not a DLSIA Studio project: it is not valid JSON (%s)", name, why);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a DLSIA Studio project: it holds %s, not a JSON object", name,
                   root == NULL ? "nothing" : kind_of (root));
      return NULL;
    }

  where = g_string_new (NULL);
  if (dls_json_find_bad_text (root, where))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a DLSIA Studio project: “%s” is not UTF-8 text", name, where->str);
      return NULL;
    }

  p = dls_project_new ();
  if (!read_project (&r, p, json_node_get_object (root)))
    return NULL;
  p->path = g_steal_pointer (&abs_path);
  return g_steal_pointer (&p);
}
