/* SPDX-License-Identifier: MIT
 *
 * window-project.c: what the window keeps on disk — the project file (NAME.dlsia.json: the
 * volume's relative path, classes and colours, display and training settings, model files),
 * model files (save, load), and exports of the class map, probabilities, uncertainty and labels
 * as TIFF stacks.  Every write is atomic (the library's writers); a failure is a toast and
 * leaves what is shown as it was.
 *
 * A project whose volume has moved asks the user to locate it.  Opening a volume with a
 * project beside it (NAME.dlsia.json) takes that project's settings too.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ensemble-file.h"
#include "predict.h"
#include "safetensors.h"
#include "tiff.h"
#include "window-private.h"

static const char *const overlay_ids[] = { "none", "prediction", "segmentation", "uncertainty" };
static const char *const measure_ids[] = { "margin", "entropy", "std", "set-size" };

static int
index_of (const char *const *ids, int n, const char *id)
{
  for (int i = 0; i < n; i++)
    if (g_strcmp0 (ids[i], id) == 0)
      return i;
  return -1;
}

/* document colours are 0xAARRGGBB, project colours 0xRRGGBBAA */
static guint32
argb_to_rgba (guint32 c)
{
  return (c << 8) | (c >> 24);
}

static guint32
rgba_to_argb (guint32 c)
{
  return (c >> 8) | (c << 24);
}

static char *
default_model_path (DlsWindow *self, const char *project_path)
{
  g_autofree char *base = g_strdup (project_path);
  const char *arch = self->models ? dls_arch_name (self->models[0]->config.arch) : "model";

  if (g_str_has_suffix (base, ".dlsia.json"))
    base[strlen (base) - strlen (".dlsia.json")] = '\0';
  return g_strdup_printf ("%s.%s.json", base, arch);
}

static void
fill_project (DlsWindow *self, DlsProject *p)
{
  DlsDocument *doc = self->doc;
  const DlsDisplay *d = &self->display;

  g_free (p->volume);
  p->volume = g_strdup (dls_document_get_path (doc));
  g_free (p->labels);
  p->labels = g_strdup (dls_document_get_labels_path (doc));
  g_array_set_size (p->classes, 0);
  for (int k = 1; k <= dls_document_get_n_classes (doc); k++)
    {
      DlsProjectClass c = { g_strdup (dls_document_get_class_name (doc, k)),
                            argb_to_rgba (dls_document_get_class_color (doc, k)) };

      g_array_append_val (p->classes, c);
    }
  g_free (p->display.colormap);
  p->display.colormap = g_strdup (dls_colormap_id (d->colormap));
  p->display.contrast_auto = FALSE;
  p->display.contrast_lo = d->lo;
  p->display.contrast_hi = d->hi;
  g_free (p->display.overlay);
  p->display.overlay = g_strdup (overlay_ids[d->overlay]);
  g_free (p->display.uncertainty);
  p->display.uncertainty = g_strdup (measure_ids[d->measure]);
  p->display.opacity = d->opacity;
  p->display.show_labels = d->show_labels;
  p->display.axis = 0;
  memcpy (p->display.slice, self->pos, sizeof self->pos);
  g_free (p->training.arch);
  p->training.arch = g_strdup (dls_arch_name (_dls_window_get_train_settings (self).arch));
  p->training.ensemble = _dls_window_get_train_settings (self).members;
  p->training.epochs = _dls_window_get_train_settings (self).epochs;
  p->training.time_budget = _dls_window_get_train_settings (self).time_budget;
  g_ptr_array_set_size (p->models, 0);
  if (self->model_path != NULL && self->models_saved)
    g_ptr_array_add (p->models, g_strdup (self->model_path));
}

static gboolean
save_models (DlsWindow *self, const char *path, GError **error)
{
  if (!dls_ensemble_save (path, self->models, self->n_models, self->calibrated,
                          self->conformal.alpha, self->conformal.qhat,
                          self->conformal.n_calibration, error))
    return FALSE;
  g_free (self->model_path);
  self->model_path = g_strdup (path);
  self->models_saved = TRUE;
  return TRUE;
}

/* Labels, a model not saved yet (beside the project), then the project file. */
gboolean
dls_window_save_project (DlsWindow *self, const char *path, GError **error)
{
  g_autofree char *target = NULL;

  if (self->doc == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("There is nothing to save"));
      return FALSE;
    }
  target = g_strdup (path ? path
                     : self->project && self->project->path ? self->project->path
                                                            : NULL);
  if (target == NULL)
    target = dls_project_path_for_volume (dls_document_get_path (self->doc));
  if (!dls_document_save_labels (self->doc, error))
    return FALSE;
  if (self->models != NULL && !self->models_saved)
    {
      g_autofree char *mp = default_model_path (self, target);

      if (!save_models (self, mp, error))
        return FALSE;
    }
  if (self->project == NULL)
    self->project = dls_project_new ();
  fill_project (self, self->project);
  return dls_project_save (self->project, target, error);
}

static void
save_project_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  g_autoptr (GError) error = NULL;

  if (!dls_window_save_project (self, NULL, &error))
    {
      /* Translators: %s is the reason */
      g_autofree char *text = g_strdup_printf (_ ("The project was not saved: %s"),
                                               error->message);

      _dls_window_toast (self, text);
    }
  else
    {
      g_autofree char *name = g_path_get_basename (self->project->path);
      /* Translators: %s is a file name */
      g_autofree char *text = g_strdup_printf (_ ("Saved %s"), name);

      _dls_window_toast (self, text);
    }
}

/* ---- applying a project to the open volume ---- */

static gboolean
load_models (DlsWindow *self, const char *path, GError **error)
{
  g_autoptr (DlsEnsemble) e = dls_ensemble_load (path, error);
  DlsModel **models;
  DlsConformal conformal;
  int K, n;

  if (e == NULL)
    return FALSE;
  K = e->models[0]->config.out_channels;
  if (e->models[0]->config.in_channels != 1)
    {
      /* the volume is always one channel: colour images are averaged when they are opened */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("“%s” is a model for images of %d channels, but the volume has one: load a "
                      "model trained on one-channel images, or train one on this volume"),
                   path, e->models[0]->config.in_channels);
      return FALSE;
    }
  if (!dls_model_is_classifier (e->models[0]))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("“%s” is not a segmentation model for one-channel images"), path);
      return FALSE;
    }
  if (K > DLS_MAX_CLASSES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("“%s” predicts %d classes; at most %d are supported"), path, K,
                   DLS_MAX_CLASSES);
      return FALSE;
    }
  while (dls_document_get_n_classes (self->doc) < K)
    {
      int k = dls_document_get_n_classes (self->doc) + 1;
      g_autofree char *name = g_strdup_printf (_ ("Class %d"), k);

      dls_document_add_class (self->doc, name, dls_class_color_default (k));
    }
  conformal = (DlsConformal){ e->alpha, e->qhat, e->n_calibration };
  /* the window takes the models; the ensemble keeps (and frees) its paths */
  n = e->n;
  models = g_new (DlsModel *, n);
  for (int i = 0; i < n; i++)
    models[i] = g_steal_pointer (&e->models[i]);
  _dls_window_set_models (self, models, n, e->has_conformal ? &conformal : NULL, path);
  return TRUE;
}

void
_dls_window_apply_project (DlsWindow *self, DlsProject *p)
{
  DlsDocument *doc = self->doc;
  DlsColormap cm;
  int i;
  g_autoptr (GError) error = NULL;

  for (guint k = 0; k < p->classes->len; k++)
    {
      DlsProjectClass *c = &g_array_index (p->classes, DlsProjectClass, k);

      if ((int) k < dls_document_get_n_classes (doc))
        {
          dls_document_set_class_name (doc, k + 1, c->name);
          dls_document_set_class_color (doc, k + 1, rgba_to_argb (c->color));
        }
      else if (k < DLS_MAX_CLASSES)
        dls_document_add_class (doc, c->name, rgba_to_argb (c->color));
    }
  if (p->labels != NULL && g_strcmp0 (p->labels, dls_document_get_labels_path (doc)) != 0)
    {
      if (!g_file_test (p->labels, G_FILE_TEST_EXISTS))
        dls_document_set_labels_path (doc, p->labels);
      else if (!dls_document_load_labels (doc, p->labels, &error))
        {
          _dls_window_toast (self, error->message);
          g_clear_error (&error);
        }
    }
  if (dls_colormap_from_id (p->display.colormap, &cm))
    gtk_drop_down_set_selected (self->colormap_dropdown, cm);
  if (!p->display.contrast_auto && p->display.contrast_lo < p->display.contrast_hi)
    _dls_window_set_contrast (self, p->display.contrast_lo, p->display.contrast_hi);
  if ((i = index_of (overlay_ids, G_N_ELEMENTS (overlay_ids), p->display.overlay)) >= 0)
    gtk_drop_down_set_selected (self->overlay_dropdown, i);
  if ((i = index_of (measure_ids, G_N_ELEMENTS (measure_ids), p->display.uncertainty)) >= 0)
    gtk_drop_down_set_selected (self->measure_dropdown, i);
  gtk_adjustment_set_value (self->opacity_adjustment, p->display.opacity);
  g_action_group_change_action_state (G_ACTION_GROUP (self), "show-labels",
                                      g_variant_new_boolean (p->display.show_labels));
  _dls_window_set_position (self, p->display.slice[0], p->display.slice[1], p->display.slice[2]);
  {
    DlsTrainSettings t = _dls_window_get_train_settings (self);
    DlsArch arch;

    if (dls_arch_from_name (p->training.arch, &arch))
      t.arch = arch;
    t.members = p->training.ensemble;
    t.epochs = p->training.epochs;
    t.time_budget = p->training.time_budget;
    _dls_window_set_train_settings (self, &t);
  }
  g_clear_pointer (&self->project, dls_project_free);
  self->project = p;
  if (p->models->len > 0)
    {
      const char *path = g_ptr_array_index (p->models, p->models->len - 1);

      if (!load_models (self, path, &error))
        {
          /* Translators: %s is the reason */
          g_autofree char *text = g_strdup_printf (_ ("The model was not loaded: %s"),
                                                   error->message);

          _dls_window_toast (self, text);
        }
    }
}

/* ---- opening a project ---- */

static void
locate_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  DlsWindow *self = data;
  DlsProject *p = g_object_steal_data (G_OBJECT (dialog), "project");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      dls_project_set_volume (p, path);
      g_clear_pointer (&self->pending_project, dls_project_free);
      self->pending_project = p;
      _dls_window_open_path (self, path);
    }
  else
    dls_project_free (p);
  g_object_unref (dialog);
}

static void
moved_response (AdwMessageDialog *dialog, const char *response, gpointer data)
{
  DlsWindow *self = data;
  DlsProject *p = g_object_steal_data (G_OBJECT (dialog), "project");
  GtkFileChooserNative *chooser;

  if (g_strcmp0 (response, "locate") != 0)
    {
      dls_project_free (p);
      return;
    }
  chooser = gtk_file_chooser_native_new (_ ("Locate the Volume"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Open"),
                                         _ ("_Cancel"));
  g_object_set_data_full (G_OBJECT (chooser), "project", p, (GDestroyNotify) dls_project_free);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (locate_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

gboolean
_dls_window_open_project (DlsWindow *self, const char *path)
{
  g_autoptr (GError) error = NULL;
  DlsProject *p = dls_project_load (path, &error);
  GtkWidget *dialog;
  g_autofree char *name = NULL, *body = NULL;

  if (p == NULL)
    {
      _dls_window_toast (self, error->message);
      return FALSE;
    }
  if (dls_project_volume_exists (p))
    {
      g_clear_pointer (&self->pending_project, dls_project_free);
      self->pending_project = p;
      _dls_window_open_path (self, p->volume);
      return TRUE;
    }
  name = g_filename_display_name (p->volume);
  /* Translators: %s is the path the volume used to have */
  body = g_strdup_printf (_ ("The project’s volume is no longer at “%s”. Locate it to open the "
                             "project; the labels and settings stay as they are."),
                          name);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _ ("Volume Not Found"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"),
                                    "locate", _ ("_Locate…"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "locate",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "locate");
  g_object_set_data_full (G_OBJECT (dialog), "project", p, (GDestroyNotify) dls_project_free);
  g_signal_connect (dialog, "response", G_CALLBACK (moved_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

/* After a volume loaded: the project that asked for it, or one found beside it. */
void
_dls_window_volume_loaded (DlsWindow *self)
{
  DlsProject *p = g_steal_pointer (&self->pending_project);

  g_clear_pointer (&self->project, dls_project_free);
  if (p == NULL)
    {
      g_autofree char *beside = dls_project_path_for_volume (dls_document_get_path (self->doc));
      g_autoptr (GError) error = NULL;

      if (!g_file_test (beside, G_FILE_TEST_EXISTS))
        return;
      p = dls_project_load (beside, &error);
      if (p == NULL)
        {
          _dls_window_toast (self, error->message);
          return;
        }
    }
  _dls_window_apply_project (self, p);
}

/* ---- models ---- */

typedef gboolean (*WriteFn) (DlsWindow *self, const char *path, GError **error);

static void
save_dialog_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  DlsWindow *self = data;
  WriteFn write = (WriteFn) g_object_get_data (G_OBJECT (dialog), "write");
  const char *done = g_object_get_data (G_OBJECT (dialog), "done");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;

      if (!write (self, path, &error))
        _dls_window_toast (self, error->message);
      else
        _dls_window_toast (self, done);
    }
  g_object_unref (dialog);
}

/* A save dialog whose answer goes to write(); done is the toast on success. */
static void
ask_save (DlsWindow *self, const char *title, const char *name, WriteFn write, const char *done)
{
  GtkFileChooserNative *dialog
      = gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                     _ ("_Save"), _ ("_Cancel"));

  if (self->doc != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (dls_document_get_path (self->doc));
      g_autoptr (GFile) folder = g_file_new_for_path (dir);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (dialog), folder, NULL);
    }
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_object_set_data (G_OBJECT (dialog), "write", (gpointer) write);
  g_object_set_data_full (G_OBJECT (dialog), "done", g_strdup (done), g_free);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (save_dialog_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static char *
name_beside_volume (DlsWindow *self, const char *suffix)
{
  g_autofree char *project = dls_project_path_for_volume (dls_document_get_path (self->doc));
  g_autofree char *base = g_path_get_basename (project);

  base[strlen (base) - strlen (".dlsia.json")] = '\0';
  return g_strconcat (base, suffix, NULL);
}

gboolean
dls_window_save_model (DlsWindow *self, const char *path, GError **error)
{
  if (self->models == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _ ("There is no model yet: train first"));
      return FALSE;
    }
  return save_models (self, path, error);
}

static void
save_model_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  g_autofree char *suffix = g_strdup_printf (".%s.json", dls_arch_name (self->models[0]->config.arch));
  g_autofree char *name = name_beside_volume (self, suffix);

  ask_save (self, _ ("Save the Model"), name, dls_window_save_model, _ ("Model saved"));
}

gboolean
dls_window_load_model (DlsWindow *self, const char *path, GError **error)
{
  if (self->doc == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("Open a volume first"));
      return FALSE;
    }
  return load_models (self, path, error);
}

static void
load_model_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  DlsWindow *self = data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;

      if (!dls_window_load_model (self, path, &error))
        _dls_window_toast (self, error->message);
    }
  g_object_unref (dialog);
}

static void
load_model_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  GtkFileChooserNative *dialog
      = gtk_file_chooser_native_new (_ ("Load a Model"), GTK_WINDOW (self),
                                     GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Load"), _ ("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _ ("Models and ensembles"));
  gtk_file_filter_add_suffix (filter, "safetensors");
  gtk_file_filter_add_suffix (filter, "json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (load_model_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- exports (the volume's Z × Y × X order, like the label files) ---- */

static DlsPrediction *
need_prediction (DlsWindow *self, GError **error)
{
  DlsPrediction *p = self->doc ? dls_document_get_prediction (self->doc) : NULL;

  if (p == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                         _ ("There is no prediction yet: train first"));
  return p;
}

/* The class map of the prediction, 1..K like the label files (0 where no slice is predicted
 * yet), uint8. */
gboolean
dls_window_export_classes (DlsWindow *self, const char *path, GError **error)
{
  DlsPrediction *p = need_prediction (self, error);
  g_autofree guint8 *map = NULL;
  gsize n, hw;

  if (p == NULL)
    return FALSE;
  hw = (gsize) p->height * p->width;
  n = hw * p->depth;
  map = g_new0 (guint8, n);
  for (gsize i = 0; i < n; i++)
    if (dls_prediction_slice_done (p, (int) (i / hw)))
      map[i] = (guint8) (dls_prediction_argmax (p, i) + 1);
  return dls_tiff_write_u8 (path, map, p->depth, p->height, p->width, error);
}

/* float32, K pages per slice (slice by slice), as `dlsia predict --probabilities` writes. */
gboolean
dls_window_export_probabilities (DlsWindow *self, const char *path, GError **error)
{
  DlsPrediction *p = need_prediction (self, error);
  g_autoptr (DlsTiffWriter) w = NULL;
  gsize hw, n;

  if (p == NULL)
    return FALSE;
  hw = (gsize) p->height * p->width;
  n = hw * p->depth;
  w = dls_tiff_writer_new_stack (path, DLS_SAMPLE_F32, p->width, p->height,
                                 (int64_t) p->depth * p->K, error);
  if (w == NULL)
    return FALSE;
  for (int z = 0; z < p->depth; z++)
    for (int k = 0; k < p->K; k++)
      if (!dls_tiff_writer_add_page (w, p->probs + k * n + z * hw, error))
        return FALSE;
  return dls_tiff_writer_commit (g_steal_pointer (&w), error);
}

/* The measure shown (margin, entropy, std or set size), float32, NaN where not predicted. */
gboolean
dls_window_export_uncertainty (DlsWindow *self, const char *path, GError **error)
{
  DlsPrediction *p = need_prediction (self, error);
  g_autofree float *u = NULL;
  gsize n, hw;

  if (p == NULL)
    return FALSE;
  hw = (gsize) p->height * p->width;
  n = hw * p->depth;
  u = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    u[i] = dls_prediction_slice_done (p, (int) (i / hw))
               ? dls_prediction_measure (p, self->display.measure, i)
               : NAN;
  return dls_tiff_write_f32 (path, u, p->depth, p->height, p->width, error);
}

gboolean
dls_window_export_labels (DlsWindow *self, const char *path, GError **error)
{
  int Z, Y, X;

  dls_document_get_size (self->doc, &Z, &Y, &X);
  return dls_tiff_write_u8 (path, dls_document_get_labels (self->doc), Z, Y, X, error);
}

static void
export_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  const char *what = g_variant_get_string (param, NULL);
  g_autofree char *name = NULL;

  if (g_str_equal (what, "classes"))
    {
      name = name_beside_volume (self, ".classes.tif");
      ask_save (self, _ ("Export the Class Map"), name, dls_window_export_classes,
                _ ("Class map exported"));
    }
  else if (g_str_equal (what, "probabilities"))
    {
      name = name_beside_volume (self, ".probabilities.tif");
      ask_save (self, _ ("Export the Probabilities"), name, dls_window_export_probabilities,
                _ ("Probabilities exported"));
    }
  else if (g_str_equal (what, "uncertainty"))
    {
      name = name_beside_volume (self, ".uncertainty.tif");
      ask_save (self, _ ("Export the Uncertainty"), name, dls_window_export_uncertainty,
                _ ("Uncertainty exported"));
    }
  else
    {
      name = name_beside_volume (self, ".labels-export.tif");
      ask_save (self, _ ("Export the Labels"), name, dls_window_export_labels,
                _ ("Labels exported"));
    }
}

static gboolean
save_project_as (DlsWindow *self, const char *path, GError **error)
{
  g_autofree char *target = g_str_has_suffix (path, ".dlsia.json")
                                ? g_strdup (path)
                                : g_strconcat (path, ".dlsia.json", NULL);

  return dls_window_save_project (self, target, error);
}

static void
save_project_as_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  g_autofree char *project = dls_project_path_for_volume (dls_document_get_path (self->doc));
  g_autofree char *name = g_path_get_basename (project);

  ask_save (self, _ ("Save the Project"), name, save_project_as, _ ("Project saved"));
}

static const GActionEntry project_entries[] = {
  { "save-project", save_project_activated },
  { "save-project-as", save_project_as_activated },
  { "save-model", save_model_activated },
  { "load-model", load_model_activated },
  { "export", export_activated, "s" },
};

void
_dls_window_add_project_actions (DlsWindow *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), project_entries,
                                   G_N_ELEMENTS (project_entries), self);
}
