/* SPDX-License-Identifier: MIT
 *
 * project.c: reading and writing NAME.dlsia.json, and the names of the files that belong to a
 * volume.
 *
 * Reading walks the JSON with one small set of typed getters that know the field's dotted name
 * ("display.slice[1]"), so every wrong type ends in a message naming the field.  Writing builds
 * the tree with JsonBuilder but prints it here: json-glib 1.6 writes 0.1 as
 * 0.10000000000000001 and 1e20 as "1e+20.0" (not JSON at all), and a file people read and edit
 * should say 0.1.  Paths are lexical: symbolic links are not resolved, so a project opened
 * through a link keeps the names the user sees.
 *
 * What it deliberately does not do: look at the volume, labels or model files (only whether the
 * volume exists), or migrate older formats (there is only format 1).
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "project.h"

/* A project file is a few kilobytes; anything much larger was picked by mistake (a TIFF). */
#define MAX_PROJECT_BYTES (16 << 20)

/* Paul Tol's "bright" scheme: distinct for colour-blind viewers, readable over gray images. */
static const guint32 default_colors[] = {
  0x4477aaff, 0xee6677ff, 0x228833ff, 0xccbb44ff, 0x66cceeff, 0xaa3377ff, 0xbbbbbbff,
};

static const char *const axis_names[] = { "xy", "xz", "yz" };
static const char *const overlay_names[]
    = { "none", "prediction", "segmentation", "uncertainty", NULL };
static const char *const uncertainty_names[] = { "margin", "entropy", "std", "set-size", NULL };
static const char *const arch_names[] = { "smsnet", "msdnet", "tunet", NULL };

guint32
dls_project_class_default_color (int index)
{
  return default_colors[(guint) MAX (index, 0) % G_N_ELEMENTS (default_colors)];
}

static void
class_clear (gpointer data)
{
  DlsProjectClass *c = data;

  g_clear_pointer (&c->name, g_free);
}

static void
add_class (DlsProject *p, const char *name, guint32 color)
{
  DlsProjectClass c = { g_strdup (name), color };

  g_array_append_val (p->classes, c);
}

DlsProject *
dls_project_new (void)
{
  DlsProject *p = g_new0 (DlsProject, 1);

  p->format = DLS_PROJECT_FORMAT;
  p->classes = g_array_new (FALSE, TRUE, sizeof (DlsProjectClass));
  g_array_set_clear_func (p->classes, class_clear);
  add_class (p, "Background", dls_project_class_default_color (0));
  add_class (p, "Foreground", dls_project_class_default_color (1));

  p->display.colormap = g_strdup ("gray");
  p->display.contrast_auto = TRUE;
  p->display.contrast_lo = 0.0;
  p->display.contrast_hi = 1.0;
  p->display.overlay = g_strdup ("prediction");
  p->display.uncertainty = g_strdup ("margin");
  p->display.opacity = 0.5;
  p->display.show_labels = TRUE;
  p->display.axis = 0;

  p->training.arch = g_strdup ("smsnet");
  p->training.ensemble = 3;
  p->training.epochs = 20;
  p->training.time_budget = 0.0;
  p->training.patch = 64;
  p->training.batch = 4;
  p->training.lr = 1e-3;
  p->training.seed = 1;
  p->training.arch_params = NULL;

  p->models = g_ptr_array_new_with_free_func (g_free);
  return p;
}

void
dls_project_free (DlsProject *p)
{
  if (p == NULL)
    return;
  g_free (p->path);
  g_free (p->volume);
  g_free (p->labels);
  g_clear_pointer (&p->classes, g_array_unref);
  g_free (p->display.colormap);
  g_free (p->display.overlay);
  g_free (p->display.uncertainty);
  g_free (p->training.arch);
  g_clear_pointer (&p->training.arch_params, json_object_unref);
  g_clear_pointer (&p->models, g_ptr_array_unref);
  g_free (p);
}

/* ---- names of the files that belong to a volume ---- */

static gboolean
has_suffix_ci (const char *s, gsize len, const char *suffix)
{
  gsize n = strlen (suffix);

  return len > n && g_ascii_strncasecmp (s + len - n, suffix, n) == 0;
}

/* The volume's name without .tif/.tiff (and OME-TIFF's .ome before it: "b.ome.tif" is one
 * format's extension, and "b.ome.labels.tif" would claim to be OME-TIFF), or a folder's name;
 * *dir_out gets the folder the names go in: beside the file, or beside (never inside) a folder
 * of slices, where a .tif would be read as one more slice. */
static char *
volume_stem (const char *volume_path, char **dir_out)
{
  g_autofree char *trimmed = g_strdup (volume_path);
  gsize len = strlen (trimmed);
  gboolean is_dir;
  char *base;

  /* "scans/run1/" names the folder run1, as "scans/run1" does */
  is_dir = len > 1 && G_IS_DIR_SEPARATOR (trimmed[len - 1]);
  while (len > 1 && G_IS_DIR_SEPARATOR (trimmed[len - 1]))
    trimmed[--len] = '\0';
  is_dir = is_dir || g_file_test (trimmed, G_FILE_TEST_IS_DIR);

  base = g_path_get_basename (trimmed);
  *dir_out = g_path_get_dirname (trimmed);
  if (!is_dir)
    {
      gsize n = strlen (base);
      const char *const exts[] = { ".ome.tiff", ".ome.tif", ".tiff", ".tif" };

      for (gsize i = 0; i < G_N_ELEMENTS (exts); i++)
        if (has_suffix_ci (base, n, exts[i]))
          {
            base[n - strlen (exts[i])] = '\0';
            break;
          }
    }
  return base;
}

static char *
path_beside_volume (const char *volume_path, const char *suffix)
{
  g_autofree char *dir = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (volume_path != NULL && volume_path[0] != '\0', NULL);
  stem = volume_stem (volume_path, &dir);
  name = g_strconcat (stem, suffix, NULL);
  /* "b.tif" gives "b.dlsia.json", not "./b.dlsia.json" */
  if (strcmp (dir, ".") == 0 && strchr (volume_path, G_DIR_SEPARATOR) == NULL)
    return g_steal_pointer (&name);
  return g_build_filename (dir, name, NULL);
}

char *
dls_project_path_for_volume (const char *volume_path)
{
  return path_beside_volume (volume_path, ".dlsia.json");
}

char *
dls_labels_path_for_volume (const char *volume_path)
{
  return path_beside_volume (volume_path, ".labels.tif");
}

gboolean
dls_project_volume_exists (const DlsProject *p)
{
  g_return_val_if_fail (p != NULL, FALSE);
  return p->volume != NULL && g_file_test (p->volume, G_FILE_TEST_EXISTS);
}

static char *
absolute (const char *path, const char *relative_to)
{
  return g_canonicalize_filename (path, relative_to);
}

static gboolean
same_path (const char *a, const char *b)
{
  g_autofree char *ca = NULL;
  g_autofree char *cb = NULL;

  if (a == NULL || b == NULL)
    return a == b;
  ca = absolute (a, NULL);
  cb = absolute (b, NULL);
  return strcmp (ca, cb) == 0;
}

void
dls_project_set_volume (DlsProject *p, const char *volume_path)
{
  gboolean default_labels;

  g_return_if_fail (p != NULL);

  default_labels = p->labels == NULL;
  if (!default_labels && p->volume != NULL)
    {
      g_autofree char *old_default = dls_labels_path_for_volume (p->volume);
      default_labels = same_path (p->labels, old_default);
    }

  g_clear_pointer (&p->volume, g_free);
  if (volume_path != NULL)
    p->volume = absolute (volume_path, NULL);
  if (default_labels)
    {
      g_clear_pointer (&p->labels, g_free);
      if (p->volume != NULL)
        p->labels = dls_labels_path_for_volume (p->volume);
    }
}

/* `target` relative to the folder `dir` (both absolute and canonical): "v.tif", "data/v.tif",
 * "../data/v.tif".  When the two share nothing but the root ("/home/…" and "/mnt/…"), the
 * absolute path is kept: a relative one would only survive moving the project folder if the
 * other disk moved along with it. */
static char *
relative_path (const char *target, const char *dir)
{
  g_auto (GStrv) t = g_strsplit (target, G_DIR_SEPARATOR_S, -1);
  g_auto (GStrv) d = g_strsplit (dir, G_DIR_SEPARATOR_S, -1);
  g_autoptr (GString) out = g_string_new (NULL);
  guint nt = g_strv_length (t), nd = g_strv_length (d), common = 0;

  /* "/a/b" splits into "", "a", "b"; the root "/" into "", "" */
  if (nd == 2 && d[1][0] == '\0')
    nd = 1;
  while (common < nt && common < nd && strcmp (t[common], d[common]) == 0)
    common++;
  if (common <= 1)
    return g_strdup (target);
  for (guint i = common; i < nd; i++)
    g_string_append (out, ".." G_DIR_SEPARATOR_S);
  for (guint i = common; i < nt; i++)
    {
      g_string_append (out, t[i]);
      if (i + 1 < nt)
        g_string_append_c (out, G_DIR_SEPARATOR);
    }
  if (out->len == 0)
    g_string_append_c (out, '.');
  else if (out->str[out->len - 1] == G_DIR_SEPARATOR)
    g_string_truncate (out, out->len - 1);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ---- what a project may hold ---- */

/* The same checks guard loading and saving, so the app can never write a project it cannot
 * open again.  NULL when all is well, otherwise what is wrong, naming the field. */
static char *
find_problem (const DlsProject *p)
{
  const DlsProjectDisplay *d = &p->display;
  const DlsProjectTraining *t = &p->training;

  if (p->classes->len == 0)
    return g_strdup ("it has no classes (it needs at least one)");
  if (p->classes->len > DLS_PROJECT_MAX_CLASSES)
    return g_strdup_printf ("it has %u classes; at most %d are supported", p->classes->len,
                            DLS_PROJECT_MAX_CLASSES);
  if (!(d->opacity >= 0.0 && d->opacity <= 1.0))
    return g_strdup_printf ("“display.opacity” is %g; it should be 0 to 1", d->opacity);
  if (!isfinite (d->contrast_lo) || !isfinite (d->contrast_hi))
    return g_strdup ("“display.contrast” is not a pair of finite numbers");
  if (d->axis < 0 || d->axis > 2)
    return g_strdup_printf ("“display.axis” is %d; it should be xy, xz or yz", d->axis);
  for (int i = 0; i < 3; i++)
    if (d->slice[i] < 0)
      return g_strdup_printf ("“display.slice[%d]” is %d; slices are numbered from 0", i,
                              d->slice[i]);
  if (t->arch == NULL || !g_strv_contains (arch_names, t->arch))
    {
      g_autofree char *list = g_strjoinv (", ", (char **) arch_names);
      return g_strdup_printf ("“training.arch” is “%s”; this version knows %s",
                              t->arch ? t->arch : "", list);
    }
  if (t->ensemble < 1 || t->ensemble > 1000)
    return g_strdup_printf ("“training.ensemble” is %d; it should be 1 to 1000 models",
                            t->ensemble);
  if (t->epochs < 0)
    return g_strdup_printf ("“training.epochs” is %d; it should be 0 or more", t->epochs);
  if (!(t->time_budget >= 0.0 && isfinite (t->time_budget)))
    return g_strdup_printf ("“training.time_budget” is %g; it should be 0 or more seconds",
                            t->time_budget);
  if (t->patch < 1 || t->batch < 1)
    return g_strdup_printf ("“training.%s” is %d; it should be at least 1",
                            t->patch < 1 ? "patch" : "batch", t->patch < 1 ? t->patch : t->batch);
  if (!(t->lr > 0.0 && isfinite (t->lr)))
    return g_strdup_printf ("“training.lr” is %g; a learning rate is above 0", t->lr);
  return NULL;
}

/* ---- reading ---- */

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
  *out = absolute (s, r->dir);
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
      add_class (p, name, rgba);
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
      || !get_choice (r, o, "overlay", "display.overlay", overlay_names, TRUE, &d->overlay)
      || !get_choice (r, o, "uncertainty", "display.uncertainty", uncertainty_names, TRUE,
                      &d->uncertainty)
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
        if (g_ascii_strcasecmp (s, axis_names[i]) == 0)
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
  if (!get_choice (r, o, "arch", "training.arch", arch_names, FALSE, &t->arch)
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
  problem = find_problem (p);
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

/* json-glib parses recursively: a file of a million "[" would overflow the stack.  A project
 * is a few levels deep; architecture parameters may add a few more. */
#define MAX_DEPTH 512

static gboolean
too_deep (const char *text, gsize len)
{
  gboolean in_string = FALSE;
  int depth = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_DEPTH)
            return TRUE;
        }
      else if (c == ']' || c == '}')
        depth--;
    }
  return FALSE;
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
  GStatBuf st;
  gsize len;
  JsonNode *root;
  Reader r;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = g_filename_display_basename (path);
  abs_path = absolute (path, NULL);
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
  if (too_deep (text, len))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a DLSIA Studio project: its lists and objects are nested more "
                   "than %d deep",
                   name, MAX_DEPTH);
      return NULL;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, (gssize) len, &local))
    {
      int line, column, used = 0;

      /* "<data>:3:14: Parse error: …" says where; the file's name is already in front */
      if (sscanf (local->message, "<data>:%d:%d: %n", &line, &column, &used) == 2 && used > 0)
        g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                     "“%s” is not a DLSIA Studio project: it is not valid JSON (line %d, "
                     "column %d: %s)",
                     name, line, column, local->message + used);
      else
        g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                     "“%s” is not a DLSIA Studio project: it is not valid JSON (%s)", name,
                     local->message);
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

  p = dls_project_new ();
  if (!read_project (&r, p, json_node_get_object (root)))
    return NULL;
  p->path = g_steal_pointer (&abs_path);
  return g_steal_pointer (&p);
}

/* ---- writing ---- */

static void print_node (GString *out, JsonNode *node, int depth);

static void
print_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const char *c = s; *c != '\0'; c++)
    switch (*c)
      {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if ((guchar) *c < 0x20)
          g_string_append_printf (out, "\\u%04x", (guchar) *c);
        else
          g_string_append_c (out, *c); /* UTF-8 as is: names stay readable */
      }
  g_string_append_c (out, '"');
}

/* The shortest text that reads back as the same double, always with a "." or an exponent so it
 * reads back as a double; JSON has no NaN or infinity. */
static void
print_double (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    {
      g_string_append (out, "null");
      return;
    }
  for (int prec = 1; prec <= 17; prec++)
    {
      char fmt[8];

      g_snprintf (fmt, sizeof fmt, "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (out, buf);
  if (strpbrk (buf, ".eE") == NULL)
    g_string_append (out, ".0");
}

static void
indent (GString *out, int depth)
{
  g_string_append_c (out, '\n');
  for (int i = 0; i < depth; i++)
    g_string_append (out, "  ");
}

/* A list of numbers stays on one line: "slice": [12, 0, 0]. */
static gboolean
all_numbers (JsonArray *a)
{
  for (guint i = 0; i < json_array_get_length (a); i++)
    if (!is_number (json_array_get_element (a, i)))
      return FALSE;
  return TRUE;
}

static void
print_node (GString *out, JsonNode *node, int depth)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      return;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          print_string (out, json_node_get_string (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_DOUBLE:
          print_double (out, json_node_get_double (node));
          break;
        default:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
        }
      return;
    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_node_get_array (node);
        guint n = json_array_get_length (a);
        gboolean inline_ = all_numbers (a);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (inline_)
              g_string_append (out, i ? ", " : "");
            else
              {
                g_string_append (out, i ? "," : "");
                indent (out, depth + 1);
              }
            print_node (out, json_array_get_element (a, i), depth + 1);
          }
        if (n > 0 && !inline_)
          indent (out, depth);
        g_string_append_c (out, ']');
        return;
      }
    case JSON_NODE_OBJECT:
      {
        JsonObject *o = json_node_get_object (node);
        GList *members = json_object_get_members (o);

        g_string_append_c (out, '{');
        for (GList *l = members; l != NULL; l = l->next)
          {
            g_string_append (out, l == members ? "" : ",");
            indent (out, depth + 1);
            print_string (out, l->data);
            g_string_append (out, ": ");
            print_node (out, json_object_get_member (o, l->data), depth + 1);
          }
        if (members != NULL)
          indent (out, depth);
        g_string_append_c (out, '}');
        g_list_free (members);
        return;
      }
    }
}

typedef struct
{
  const char *dir; /* the project's new folder, absolute */
  const char *name;
  GError **error;
} Writer;

/* JSON is UTF-8: a file or class name that is not cannot be stored. */
static gboolean
check_utf8 (Writer *w, const char *s, const char *what)
{
  if (g_utf8_validate (s, -1, NULL))
    return TRUE;
  g_set_error (w->error, DLS_IO_ERROR, DLS_IO_ERROR_UNSUPPORTED,
               "Cannot save “%s”: %s has characters that are not UTF-8, which a project file "
               "cannot hold",
               w->name, what);
  return FALSE;
}

static gboolean
add_path (Writer *w, JsonBuilder *b, const char *key, const char *path)
{
  g_autofree char *abs = absolute (path, NULL);
  g_autofree char *rel = relative_path (abs, w->dir);
  g_autofree char *what = g_strdup_printf ("the path of “%s”", key);

  if (!check_utf8 (w, rel, what))
    return FALSE;
  if (key != NULL)
    json_builder_set_member_name (b, key);
  json_builder_add_string_value (b, rel);
  return TRUE;
}

static void
add_member_string (JsonBuilder *b, const char *key, const char *value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_string_value (b, value);
}

static void
add_member_int (JsonBuilder *b, const char *key, gint64 value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, value);
}

static void
add_member_double (JsonBuilder *b, const char *key, double value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_double_value (b, value);
}

static void
add_member_bool (JsonBuilder *b, const char *key, gboolean value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_boolean_value (b, value);
}

static gboolean
build (Writer *w, DlsProject *p, JsonBuilder *b)
{
  const DlsProjectDisplay *d = &p->display;
  const DlsProjectTraining *t = &p->training;

  json_builder_begin_object (b);
  add_member_int (b, "format", DLS_PROJECT_FORMAT);
  if (p->volume != NULL && !add_path (w, b, "volume", p->volume))
    return FALSE;
  if (p->labels != NULL && !add_path (w, b, "labels", p->labels))
    return FALSE;

  json_builder_set_member_name (b, "classes");
  json_builder_begin_array (b);
  for (guint i = 0; i < p->classes->len; i++)
    {
      const DlsProjectClass *c = &g_array_index (p->classes, DlsProjectClass, i);
      char color[10];

      if (!check_utf8 (w, c->name ? c->name : "", "a class name"))
        return FALSE;
      if ((c->color & 0xff) == 0xff)
        g_snprintf (color, sizeof color, "#%06x", c->color >> 8);
      else
        g_snprintf (color, sizeof color, "#%08x", c->color);
      json_builder_begin_object (b);
      add_member_string (b, "name", c->name ? c->name : "");
      add_member_string (b, "color", color);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "display");
  json_builder_begin_object (b);
  add_member_string (b, "colormap", d->colormap ? d->colormap : "gray");
  json_builder_set_member_name (b, "contrast");
  json_builder_begin_object (b);
  add_member_bool (b, "auto", d->contrast_auto);
  add_member_double (b, "low", d->contrast_lo);
  add_member_double (b, "high", d->contrast_hi);
  json_builder_end_object (b);
  add_member_string (b, "overlay", d->overlay ? d->overlay : "prediction");
  add_member_string (b, "uncertainty", d->uncertainty ? d->uncertainty : "margin");
  add_member_double (b, "opacity", d->opacity);
  add_member_bool (b, "show_labels", d->show_labels);
  add_member_string (b, "axis", axis_names[CLAMP (d->axis, 0, 2)]);
  json_builder_set_member_name (b, "slice");
  json_builder_begin_array (b);
  for (int i = 0; i < 3; i++)
    json_builder_add_int_value (b, d->slice[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "training");
  json_builder_begin_object (b);
  add_member_string (b, "arch", t->arch ? t->arch : "smsnet");
  add_member_int (b, "ensemble", t->ensemble);
  add_member_int (b, "epochs", t->epochs);
  add_member_double (b, "time_budget", t->time_budget);
  add_member_int (b, "patch", t->patch);
  add_member_int (b, "batch", t->batch);
  add_member_double (b, "lr", t->lr);
  add_member_int (b, "seed", (gint64) t->seed);
  json_builder_set_member_name (b, "params");
  if (t->arch_params != NULL)
    {
      JsonNode *params = json_node_init_object (json_node_alloc (), t->arch_params);
      json_builder_add_value (b, params); /* takes the node */
    }
  else
    {
      json_builder_begin_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint i = 0; i < p->models->len; i++)
    if (!add_path (w, b, NULL, g_ptr_array_index (p->models, i)))
      return FALSE;
  json_builder_end_array (b);

  json_builder_end_object (b);
  return TRUE;
}

gboolean
dls_project_save (DlsProject *p, const char *path, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *abs_path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *name = NULL;
  g_autofree char *problem = NULL;
  g_autoptr (GError) local = NULL;
  Writer w;

  g_return_val_if_fail (p != NULL && path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  abs_path = absolute (path, NULL);
  dir = g_path_get_dirname (abs_path);
  name = g_filename_display_basename (path);
  w = (Writer){ dir, name, error };

  problem = find_problem (p);
  if (problem != NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE, "Cannot save “%s”: %s", name, problem);
      return FALSE;
    }
  if (!build (&w, p, b))
    return FALSE;
  root = json_builder_get_root (b);
  print_node (text, root, 0);
  g_string_append_c (text, '\n');
  if (!dls_io_write_file (abs_path, text->str, text->len, &local))
    {
      /* GLib's message names the temporary file; the reason is its last part
       * ("…: Permission denied", "…: No space left on device"). */
      const char *why = g_strrstr (local->message, ": ");
      g_autofree char *full = g_filename_display_name (abs_path);

      g_set_error (error, local->domain, local->code, "Cannot save the project to “%s”: %s", full,
                   why != NULL ? why + 2 : local->message);
      return FALSE;
    }
  g_free (p->path);
  p->path = g_steal_pointer (&abs_path);
  return TRUE;
}
