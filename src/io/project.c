/* SPDX-License-Identifier: MIT
 *
 * project.c: a new project with its defaults, the checks every project passes, and writing
 * NAME.dlsia.json (indented, paths relative to the project's folder, through json-text.c so
 * numbers read as people wrote them).  Reading is in project-load.c, file names and relative
 * paths in project-paths.c.
 *
 * What it deliberately does not do: look at the volume, labels or model files.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "json-text.h"
#include "project-private.h"

/* Paul Tol's "bright" scheme: distinct for colour-blind viewers, readable over gray images. */
static const guint32 default_colors[] = {
  0x4477aaff, 0xee6677ff, 0x228833ff, 0xccbb44ff, 0x66cceeff, 0xaa3377ff, 0xbbbbbbff,
};

const char *const _dls_project_axis_names[] = { "xy", "xz", "yz", NULL };
const char *const _dls_project_overlay_names[]
    = { "none", "prediction", "segmentation", "uncertainty", NULL };
const char *const _dls_project_uncertainty_names[]
    = { "margin", "entropy", "std", "set-size", NULL };
const char *const _dls_project_arch_names[] = { "smsnet", "msdnet", "tunet", NULL };

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

void
_dls_project_add_class (DlsProject *p, const char *name, guint32 color)
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
  _dls_project_add_class (p, "Background", dls_project_class_default_color (0));
  _dls_project_add_class (p, "Foreground", dls_project_class_default_color (1));

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

char *
_dls_project_find_problem (const DlsProject *p)
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
  if (t->arch == NULL || !g_strv_contains (_dls_project_arch_names, t->arch))
    {
      g_autofree char *list = g_strjoinv (", ", (char **) _dls_project_arch_names);
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

/* ---- writing ---- */

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
  g_autofree char *abs = _dls_project_absolute_path (path, NULL);
  g_autofree char *rel = _dls_project_relative_path (abs, w->dir);
  g_autofree char *what
      = key != NULL ? g_strdup_printf ("the path of “%s”", key) : g_strdup ("the path of a model");

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
  add_member_string (b, "axis", _dls_project_axis_names[CLAMP (d->axis, 0, 2)]);
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
  g_autofree char *text = NULL;
  gsize len;
  g_autofree char *abs_path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *name = NULL;
  g_autofree char *problem = NULL;
  g_autoptr (GError) local = NULL;
  Writer w;

  g_return_val_if_fail (p != NULL && path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  abs_path = _dls_project_absolute_path (path, NULL);
  dir = g_path_get_dirname (abs_path);
  name = g_filename_display_basename (path);
  w = (Writer){ dir, name, error };

  problem = _dls_project_find_problem (p);
  if (problem != NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE, "Cannot save “%s”: %s", name, problem);
      return FALSE;
    }
  if (!build (&w, p, b))
    return FALSE;
  root = json_builder_get_root (b);
  text = dls_json_to_text (root, &len);
  if (!dls_io_write_file (abs_path, text, len, &local))
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
