/* SPDX-License-Identifier: MIT
 *
 * window.c: DlsWindow, the main window: the start page, the loading page and the work page with
 * three linked views of the volume (XY, and XZ / YZ beside it for stacks), the status line, and
 * the side panel (classes, tools, display, training with its progress and loss plot).
 *
 * Every command is a win.* action, so menus, buttons, keys and tests all go the same way;
 * _dls_window_update_actions() decides what is enabled.  Long work runs off the main thread:
 * loading on a GTask thread, training and prediction in a DlsTrainJob (window-train.c); both
 * are polled about ten times a second for progress, and both can be cancelled.  Projects,
 * models and exports are in window-project.c.
 *
 * It deliberately does not compute anything itself: the document and the library do.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "window-private.h"

#include "application.h"
#include "canvas.h"
#include "document.h"
#include "engine-summary.h"
#include "explorer.h"
#include "plot.h"
#include "sample.h"
#include "tiff.h"
#include "train-job.h"

G_DEFINE_FINAL_TYPE (DlsWindow, dls_window, ADW_TYPE_APPLICATION_WINDOW)

enum
{
  PROP_0,
  PROP_SETTINGS,
  PROP_IMAGE_FILE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  LOAD_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* window-width/-height hold the size the window has when it is neither maximized nor
 * fullscreen: GTK keeps that as the default size while the window is maximized. */
static void
dls_window_restore_state (DlsWindow *self)
{
  int width, height;

  if (self->settings == NULL)
    return;

  width = g_settings_get_int (self->settings, "window-width");
  height = g_settings_get_int (self->settings, "window-height");
  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
dls_window_save_state (DlsWindow *self)
{
  int width, height;

  if (self->settings == NULL)
    return;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  if (width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
}



static void update_class_list (DlsWindow *self);

static void on_labels_changed (DlsDocument *doc, guint64 lo, guint64 hi, DlsWindow *self);

void
_dls_window_toast (DlsWindow *self, const char *text)
{
  AdwToast *t = adw_toast_new (text);

  adw_toast_set_timeout (t, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

/* ---- display and paint settings go to every view ---- */

static void
push_display (DlsWindow *self)
{
  for (int a = 0; a < 3; a++)
    dls_canvas_set_display (DLS_CANVAS (self->canvases[a]), &self->display);
}

static void
push_paint (DlsWindow *self)
{
  for (int a = 0; a < 3; a++)
    dls_canvas_set_paint (DLS_CANVAS (self->canvases[a]), &self->paint);
}

void
_dls_window_set_position (DlsWindow *self, int z, int y, int x)
{
  int Z, Y, X;

  if (self->doc == NULL)
    return;
  dls_document_get_size (self->doc, &Z, &Y, &X);
  self->pos[0] = CLAMP (z, 0, Z - 1);
  self->pos[1] = CLAMP (y, 0, Y - 1);
  self->pos[2] = CLAMP (x, 0, X - 1);
  for (int a = 0; a < 3; a++)
    dls_canvas_set_position (DLS_CANVAS (self->canvases[a]), self->pos[0], self->pos[1],
                             self->pos[2]);
  self->updating_widgets = TRUE;
  gtk_adjustment_set_value (self->slice_adjustment, self->pos[0]);
  self->updating_widgets = FALSE;
}

void
_dls_window_set_contrast (DlsWindow *self, float lo, float hi)
{
  self->display.lo = lo;
  self->display.hi = hi;
  self->updating_widgets = TRUE;
  gtk_adjustment_set_value (self->lo_adjustment, lo);
  gtk_adjustment_set_value (self->hi_adjustment, hi);
  self->updating_widgets = FALSE;
  push_display (self);
}

/* ---- status line ---- */

static void
on_hover (DlsCanvas *canvas, int z, int y, int x, DlsWindow *self)
{
  GString *s;
  int Z, Y, X;
  gsize i, n;
  DlsPrediction *p;
  guint8 l;

  self->active_canvas = GTK_WIDGET (canvas);
  if (self->doc == NULL || z < 0)
    {
      gtk_label_set_text (self->status_label, "");
      return;
    }
  dls_document_get_size (self->doc, &Z, &Y, &X);
  i = ((gsize) z * Y + y) * X + x;
  n = (gsize) Z * Y * X;
  s = g_string_new (NULL);
  g_string_append_printf (s, "x %d  y %d  z %d   %g", x, y, z, dls_document_get_volume (self->doc)[i]);
  l = dls_document_get_labels (self->doc)[i];
  if (l >= 1 && l <= dls_document_get_n_classes (self->doc))
    g_string_append_printf (s, "   %s", dls_document_get_class_name (self->doc, l));
  p = dls_document_get_prediction (self->doc);
  if (p != NULL && dls_prediction_slice_done (p, z) && p->K == dls_document_get_n_classes (self->doc))
    {
      int best = 0;

      for (int k = 1; k < p->K; k++)
        if (p->probs[k * n + i] > p->probs[best * n + i])
          best = k;
      /* Translators: the predicted class under the pointer and its probability */
      g_string_append_printf (s, _ ("   predicted %s (%.2f)"),
                              dls_document_get_class_name (self->doc, best + 1),
                              p->probs[best * n + i]);
    }
  gtk_label_set_text (self->status_label, s->str);
  g_string_free (s, TRUE);
}

static void
on_position_changed (DlsCanvas *canvas, int z, int y, int x, DlsWindow *self)
{
  _dls_window_set_position (self, z, y, x);
}

static void
on_slice_value_changed (GtkAdjustment *adj, DlsWindow *self)
{
  if (!self->updating_widgets)
    _dls_window_set_position (self, (int) gtk_adjustment_get_value (adj), self->pos[1], self->pos[2]);
}

/* ---- the document ---- */

/* Once per volume: where the labels are kept when its folder is read-only. */
static void
tell_labels_fallback (DlsWindow *self, DlsDocument *doc)
{
  const char *where = dls_document_get_labels_fallback (doc);

  if (where != NULL && !self->told_labels_fallback)
    {
      g_autofree char *name = g_filename_display_name (where);
      /* Translators: %s is the full path of the label file in the user's folder */
      g_autofree char *text = g_strdup_printf (
          _ ("The volume’s folder is read-only: labels are kept in %s"), name);

      self->told_labels_fallback = TRUE;
      _dls_window_toast (self, text);
    }
}

static void
on_save_error_dismissed (AdwToast *toast, DlsWindow *self)
{
  if (self->save_error_toast == toast)
    self->save_error_toast = NULL;
}

/* A failing autosave is said once, in a toast that stays until dismissed (its text follows the
 * latest error), not again at every save while the disk stays full; the first save that works
 * after it says so. */
static void
on_autosaved (DlsDocument *doc, const GError *error, DlsWindow *self)
{
  if (error != NULL)
    {
      /* Translators: %s says why, e.g. "Cannot write “/x/y.labels.tif”: No space left" */
      g_autofree char *text = g_strdup_printf (_ ("Labels not saved: %s"), error->message);

      if (self->save_error_toast != NULL)
        adw_toast_set_title (self->save_error_toast, text);
      else if (!self->save_failing)
        {
          self->save_error_toast = adw_toast_new (text);
          adw_toast_set_timeout (self->save_error_toast, 0);
          adw_toast_set_priority (self->save_error_toast, ADW_TOAST_PRIORITY_HIGH);
          g_signal_connect (self->save_error_toast, "dismissed",
                            G_CALLBACK (on_save_error_dismissed), self);
          adw_toast_overlay_add_toast (self->toast_overlay, self->save_error_toast);
        }
      self->save_failing = TRUE;
      return;
    }
  if (self->save_failing)
    {
      self->save_failing = FALSE;
      if (self->save_error_toast != NULL)
        adw_toast_dismiss (self->save_error_toast);
      _dls_window_toast (self, _ ("Labels saved again"));
    }
  tell_labels_fallback (self, doc);
}

static void
on_classes_changed (DlsDocument *doc, DlsWindow *self)
{
  update_class_list (self);
}

static void
set_document (DlsWindow *self, DlsDocument *doc)
{
  int Z, Y, X;
  float lo, hi;
  g_autofree char *subtitle = NULL, *desc = NULL;

  if (self->job != NULL)
    g_clear_pointer (&self->job, dls_train_job_free);
  /* models belong to the volume they were trained on */
  for (int k = 0; k < self->n_models; k++)
    dls_model_free (self->models[k]);
  g_clear_pointer (&self->models, g_free);
  self->n_models = 0;
  self->calibrated = FALSE;
  g_clear_pointer (&self->model_path, g_free);
  if (self->doc != NULL)
    {
      g_autoptr (GError) error = NULL;

      if (!dls_document_save_labels (self->doc, &error))
        _dls_window_toast (self, error->message);
      g_signal_handlers_disconnect_by_data (self->doc, self);
      g_clear_object (&self->doc);
    }
  self->doc = g_object_ref (doc);
  self->told_labels_fallback = FALSE;
  self->save_failing = FALSE; /* a failing save of the last volume's labels was said */
  g_signal_connect (doc, "autosaved", G_CALLBACK (on_autosaved), self);
  g_signal_connect (doc, "classes-changed", G_CALLBACK (on_classes_changed), self);
  g_signal_connect (doc, "labels-changed", G_CALLBACK (on_labels_changed), self);
  if (self->settings != NULL)
    dls_document_set_autosave_interval (doc, g_settings_get_int (self->settings, "autosave-interval"));
  dls_document_get_size (doc, &Z, &Y, &X);
  for (int a = 0; a < 3; a++)
    {
      dls_canvas_set_document (DLS_CANVAS (self->canvases[a]), doc);
      gtk_widget_set_visible (self->canvases[a], a == DLS_AXIS_Z || Z > 1);
    }
  gtk_adjustment_configure (self->slice_adjustment, Z / 2, 0, MAX (Z - 1, 0), 1, 10, 0);
  gtk_widget_set_sensitive (gtk_widget_get_parent (GTK_WIDGET (self->status_label)), TRUE);
  _dls_window_set_position (self, Z / 2, Y / 2, X / 2);
  dls_document_get_range (doc, 1, 99, &lo, &hi);
  _dls_window_set_contrast (self, lo, hi);
  self->paint.klass = 1;
  update_class_list (self);
  g_clear_pointer (&self->losses, g_array_unref);
  gtk_widget_queue_draw (GTK_WIDGET (self->loss_plot));
  gtk_progress_bar_set_fraction (self->train_progress, 0);
  _dls_window_update_train_hint (self);

  desc = dls_document_describe (doc);
  subtitle = g_strdup_printf ("%s — %s", dls_document_get_name (doc), desc);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  gtk_window_set_title (GTK_WINDOW (self), dls_document_get_name (doc));
  gtk_stack_set_visible_child_name (self->stack, "work");
  gtk_widget_grab_focus (self->canvases[DLS_AXIS_Z]);
  self->active_canvas = self->canvases[DLS_AXIS_Z];

  if (dls_document_get_labels_warning (doc) != NULL)
    {
      /* Translators: %s is the reason */
      g_autofree char *text = g_strdup_printf (_ ("The saved labels were not loaded: %s"),
                                               dls_document_get_labels_warning (doc));
      _dls_window_toast (self, text);
    }
  else if (dls_document_get_restored_labels (doc) > 0)
    {
      g_autofree char *name = g_path_get_basename (dls_document_get_labels_path (doc));
      g_autofree char *count
          = g_strdup_printf ("%" G_GINT64_FORMAT, dls_document_get_restored_labels (doc));
      /* Translators: the first %s is a number of pixels, the second a file name */
      g_autofree char *text = g_strdup_printf (_ ("Restored %s labelled pixels from %s"), count,
                                               name);
      _dls_window_toast (self, text);
    }
  tell_labels_fallback (self, doc);
  _dls_window_update_actions (self);
}

DlsDocument *
dls_window_get_document (DlsWindow *self)
{
  return self->doc;
}

GtkWidget *
dls_window_get_canvas (DlsWindow *self, DlsAxis axis)
{
  return self->canvases[axis];
}

/* ---- loading ---- */

static gboolean
poll_load (gpointer data)
{
  DlsWindow *self = data;

  gtk_progress_bar_set_fraction (self->load_progress_bar,
                                 g_atomic_int_get (&self->load_progress) / 1000.0);
  return G_SOURCE_CONTINUE;
}

typedef struct {
  char *path;   /* NULL: the sample */
  gint *progress;
} LoadData;

static void
load_data_free (gpointer data)
{
  LoadData *d = data;

  g_free (d->path);
  g_free (d);
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadData *d = task_data;
  GError *error = NULL;
  g_autofree char *path = d->path ? g_strdup (d->path) : dls_sample_ensure (cancellable, &error);
  DlsDocument *doc = NULL;

  if (path != NULL)
    doc = dls_document_load (path, cancellable, d->progress, &error);
  if (doc == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, doc, g_object_unref);
}

/* The sample's volume, however it was opened (Open Sample, or its path). */
static gboolean
is_sample (const char *path)
{
  g_autofree char *dir = dls_sample_dir ();
  g_autofree char *sample = g_build_filename (dir, "volume.tif", NULL);
  g_autoptr (GFile) a = g_file_new_for_path (sample);
  g_autoptr (GFile) b = g_file_new_for_path (path);

  return g_file_equal (a, b);
}

static void
too_large_response (AdwMessageDialog *dialog, const char *response, gpointer data)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (dialog));

  /* the dialog is not an application window: the app's actions are reached from its parent */
  if (g_strcmp0 (response, "preferences") == 0 && parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "app.preferences", NULL);
}

/* A volume over the memory budget: the message is long and says what to do, so it stays on
 * screen until read (a toast would cut it and go). */
static void
show_too_large (DlsWindow *self, const GError *error)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _ ("Volume Too Large"),
                                              error->message);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "preferences",
                                    _ ("_Preferences"), "close", _ ("_Close"), NULL);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  g_signal_connect (dialog, "response", G_CALLBACK (too_large_response), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
load_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DlsWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsDocument) doc = g_task_propagate_pointer (G_TASK (result), &error);
  LoadData *d = g_task_get_task_data (G_TASK (result));

  g_clear_handle_id (&self->load_poll_id, g_source_remove);
  g_clear_object (&self->load_cancel);
  if (doc == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, self->doc ? "work" : "start");
      if (g_error_matches (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE))
        show_too_large (self, error);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *name = d->path ? g_filename_display_basename (d->path)
                                          : g_strdup (_ ("the sample"));
          /* Translators: %s is a file name, then the reason */
          g_autofree char *text = g_strdup_printf (_ ("Cannot open %s: %s"), name,
                                                   error->message);

          _dls_window_toast (self, text);
        }
      _dls_window_update_actions (self);
      g_signal_emit (self, signals[LOAD_FINISHED], 0, FALSE);
      return;
    }
  if (d->path == NULL || is_sample (d->path))
    {
      /* the sample's classes have names */
      dls_document_set_class_name (doc, 1, _ ("Matrix"));
      dls_document_set_class_name (doc, 2, _ ("Fibre"));
    }
  set_document (self, doc);
  _dls_window_volume_loaded (self);
  g_signal_emit (self, signals[LOAD_FINISHED], 0, TRUE);
}

/* path NULL: the sample */
void
_dls_window_open_path (DlsWindow *self, const char *path)
{
  if (path != NULL && g_str_has_suffix (path, ".dlsia.json"))
    {
      _dls_window_open_project (self, path);
      return;
    }
  _dls_window_open_volume (self, path);
}

void
_dls_window_open_volume (DlsWindow *self, const char *path)
{
  g_autoptr (GTask) task = NULL;
  LoadData *d = g_new0 (LoadData, 1);
  g_autofree char *name = path ? g_filename_display_basename (path) : g_strdup (_ ("Sample"));

  if (self->load_cancel != NULL)
    g_cancellable_cancel (self->load_cancel);
  g_clear_object (&self->load_cancel);
  self->load_cancel = g_cancellable_new ();
  g_atomic_int_set (&self->load_progress, 0);
  d->path = g_strdup (path);
  d->progress = &self->load_progress;
  adw_status_page_set_title (self->loading_page, name);
  gtk_progress_bar_set_fraction (self->load_progress_bar, 0);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  task = g_task_new (NULL, self->load_cancel, load_done, g_object_ref (self));
  g_task_set_task_data (task, d, load_data_free);
  g_task_run_in_thread (task, load_thread);
  if (self->load_poll_id == 0)
    self->load_poll_id = g_timeout_add (100, poll_load, self);
  _dls_window_update_actions (self);
}

/* ---- classes ---- */

static void
on_class_color_set (GtkColorButton *button, DlsWindow *self)
{
  GdkRGBA c;
  int k = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "class"));

  gtk_color_chooser_get_rgba (GTK_COLOR_CHOOSER (button), &c);
  dls_document_set_class_color (self->doc, k,
                                0xff000000u | (guint32) (c.red * 255 + 0.5) << 16
                                    | (guint32) (c.green * 255 + 0.5) << 8
                                    | (guint32) (c.blue * 255 + 0.5));
}

static void
on_class_name_changed (GtkEditable *editable, GParamSpec *pspec, DlsWindow *self)
{
  int k = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (editable), "class"));

  if (!gtk_editable_label_get_editing (GTK_EDITABLE_LABEL (editable)))
    dls_document_set_class_name (self->doc, k, gtk_editable_get_text (editable));
}

static void
on_class_row_selected (GtkListBox *box, GtkListBoxRow *row, DlsWindow *self)
{
  if (row == NULL || self->updating_widgets)
    return;
  g_action_group_activate_action (G_ACTION_GROUP (self), "class",
                                  g_variant_new_int32 (gtk_list_box_row_get_index (row) + 1));
}

/* Rebuilt when the number of classes changes; names and colours are edited in place. */
static void
update_class_list (DlsWindow *self)
{
  int n = self->doc ? dls_document_get_n_classes (self->doc) : 0;
  GtkWidget *child;
  int rows = 0;

  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->class_list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    rows++;
  if (rows != n)
    {
      while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->class_list))) != NULL)
        gtk_list_box_remove (self->class_list, child);
      for (int k = 1; k <= n; k++)
        {
          GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
          GtkWidget *color = gtk_color_button_new ();
          GtkWidget *name = gtk_editable_label_new (dls_document_get_class_name (self->doc, k));
          g_autofree char *key = g_strdup_printf ("%d", k);
          GtkWidget *shortcut = gtk_label_new (k <= 9 ? key : "");

          gtk_widget_set_margin_start (box, 6);
          gtk_widget_set_margin_end (box, 6);
          gtk_widget_set_margin_top (box, 4);
          gtk_widget_set_margin_bottom (box, 4);
          g_object_set_data (G_OBJECT (color), "class", GINT_TO_POINTER (k));
          g_object_set_data (G_OBJECT (name), "class", GINT_TO_POINTER (k));
          gtk_widget_set_tooltip_text (color, _ ("Colour of the class"));
          gtk_widget_set_tooltip_text (name, _ ("Double-click to rename"));
          gtk_widget_set_hexpand (name, TRUE);
          gtk_widget_add_css_class (shortcut, "dim-label");
          g_signal_connect (color, "color-set", G_CALLBACK (on_class_color_set), self);
          g_signal_connect (name, "notify::editing", G_CALLBACK (on_class_name_changed), self);
          gtk_box_append (GTK_BOX (box), color);
          gtk_box_append (GTK_BOX (box), name);
          gtk_box_append (GTK_BOX (box), shortcut);
          gtk_list_box_append (self->class_list, box);
        }
    }
  /* colours follow the document */
  for (int k = 1; k <= n; k++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->class_list, k - 1);
      GtkWidget *color = gtk_widget_get_first_child (gtk_list_box_row_get_child (row));
      guint32 c = dls_document_get_class_color (self->doc, k);
      GdkRGBA rgba = { ((c >> 16) & 255) / 255.0, ((c >> 8) & 255) / 255.0, (c & 255) / 255.0, 1 };

      gtk_color_chooser_set_rgba (GTK_COLOR_CHOOSER (color), &rgba);
    }
  self->updating_widgets = TRUE;
  if (n > 0)
    gtk_list_box_select_row (self->class_list,
                             gtk_list_box_get_row_at_index (self->class_list,
                                                            CLAMP (self->paint.klass, 1, n) - 1));
  self->updating_widgets = FALSE;
}

static void
open_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  DlsWindow *self = data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      dls_window_set_image_file (self, file);
    }
  g_object_unref (dialog);
}

static void
open_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  gboolean folder = g_str_equal (g_action_get_name (G_ACTION (action)), "open-folder");
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
      folder ? _ ("Open a Folder of Slices") : _ ("Open a Volume or Project"), GTK_WINDOW (self),
      folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER : GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Open"),
      _ ("_Cancel"));

  if (!folder)
    {
      GtkFileFilter *all = gtk_file_filter_new (), *tiff = gtk_file_filter_new ();
      GtkFileFilter *project = gtk_file_filter_new ();

      gtk_file_filter_set_name (all, _ ("TIFF images and projects"));
      gtk_file_filter_set_name (tiff, _ ("TIFF images"));
      gtk_file_filter_set_name (project, _ ("DLSIA Studio projects"));
      for (int i = 0; i < 2; i++)
        {
          GtkFileFilter *f = i == 0 ? all : tiff;

          gtk_file_filter_add_suffix (f, "tif");
          gtk_file_filter_add_suffix (f, "tiff");
          gtk_file_filter_add_mime_type (f, "image/tiff");
        }
      gtk_file_filter_add_pattern (all, "*.dlsia.json");
      gtk_file_filter_add_pattern (project, "*.dlsia.json");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), tiff);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), project);
      g_object_unref (all);
      g_object_unref (tiff);
      g_object_unref (project);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_sample_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  _dls_window_open_path (DLS_WINDOW (data), NULL);
}

static void
cancel_load_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;

  if (self->load_cancel != NULL)
    g_cancellable_cancel (self->load_cancel);
}

/* After undo/redo: show the slice that changed when it is not the one shown. */
static void
show_changed (DlsWindow *self, gsize lo, gsize hi)
{
  int Z, Y, X;
  gsize hw;

  dls_document_get_size (self->doc, &Z, &Y, &X);
  hw = (gsize) Y * X;
  if ((gsize) self->pos[0] < lo / hw || (gsize) self->pos[0] > hi / hw)
    _dls_window_set_position (self, (int) (lo / hw), self->pos[1], self->pos[2]);
}

static void
undo_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  gsize lo, hi;

  if (self->doc && dls_document_undo (self->doc, &lo, &hi))
    show_changed (self, lo, hi);
  _dls_window_update_actions (self);
}

static void
redo_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  gsize lo, hi;

  if (self->doc && dls_document_redo (self->doc, &lo, &hi))
    show_changed (self, lo, hi);
  _dls_window_update_actions (self);
}

static void
tool_changed (GSimpleAction *action, GVariant *value, gpointer data)
{
  DlsWindow *self = data;
  const char *t = g_variant_get_string (value, NULL);

  self->paint.tool = g_str_equal (t, "eraser") ? DLS_TOOL_ERASER
                     : g_str_equal (t, "fill") ? DLS_TOOL_FILL
                                               : DLS_TOOL_BRUSH;
  g_simple_action_set_state (action, value);
  push_paint (self);
}

static void
class_changed (GSimpleAction *action, GVariant *value, gpointer data)
{
  DlsWindow *self = data;
  int k = g_variant_get_int32 (value);

  if (self->doc == NULL || k < 1 || k > dls_document_get_n_classes (self->doc))
    return;
  self->paint.klass = k;
  if (self->paint.tool == DLS_TOOL_ERASER)
    g_action_group_change_action_state (G_ACTION_GROUP (self), "tool", g_variant_new_string ("brush"));
  g_simple_action_set_state (action, value);
  push_paint (self);
  self->updating_widgets = TRUE;
  gtk_list_box_select_row (self->class_list, gtk_list_box_get_row_at_index (self->class_list, k - 1));
  self->updating_widgets = FALSE;
}

static void
class_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  g_action_change_state (G_ACTION (action), param);
}

static void
brush_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  double v = gtk_adjustment_get_value (self->brush_adjustment);
  gboolean bigger = g_str_equal (g_action_get_name (G_ACTION (action)), "brush-bigger");

  /* steps that feel even at every size */
  v = bigger ? MAX (v + 1, round (v * 1.25)) : MIN (v - 1, round (v / 1.25));
  gtk_adjustment_set_value (self->brush_adjustment, v);
}

static void
slice_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  int step = g_str_equal (g_action_get_name (G_ACTION (action)), "slice-next") ? 1 : -1;

  _dls_window_set_position (self, self->pos[0] + step, self->pos[1], self->pos[2]);
}

static DlsCanvas *
active_canvas (DlsWindow *self)
{
  return DLS_CANVAS (self->active_canvas ? self->active_canvas : self->canvases[DLS_AXIS_Z]);
}

static void
zoom_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  const char *name = g_action_get_name (G_ACTION (action));

  if (g_str_equal (name, "zoom-in"))
    dls_canvas_zoom (active_canvas (self), 1.25);
  else if (g_str_equal (name, "zoom-out"))
    dls_canvas_zoom (active_canvas (self), 0.8);
  else if (g_str_equal (name, "zoom-fit"))
    dls_canvas_zoom_fit (active_canvas (self));
  else
    dls_canvas_zoom_actual (active_canvas (self));
}

static void
auto_contrast_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  float lo, hi;

  if (self->doc == NULL)
    return;
  dls_document_get_range (self->doc, 1, 99, &lo, &hi);
  _dls_window_set_contrast (self, lo, hi);
}

/* p, s, u: show that overlay, or none when it is shown already */
static void
overlay_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  const char *name = g_action_get_name (G_ACTION (action));
  DlsOverlay o = g_str_equal (name, "overlay-prediction")     ? DLS_OVERLAY_PREDICTION
                 : g_str_equal (name, "overlay-segmentation") ? DLS_OVERLAY_SEGMENTATION
                                                              : DLS_OVERLAY_UNCERTAINTY;

  gtk_drop_down_set_selected (self->overlay_dropdown,
                              self->display.overlay == o ? DLS_OVERLAY_NONE : o);
}

static void
show_labels_changed (GSimpleAction *action, GVariant *value, gpointer data)
{
  DlsWindow *self = data;

  self->display.show_labels = g_variant_get_boolean (value);
  g_simple_action_set_state (action, value);
  push_display (self);
}

static void
add_class_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  int k;
  g_autofree char *name = NULL;

  if (self->doc == NULL || dls_document_get_n_classes (self->doc) >= DLS_MAX_CLASSES)
    return;
  k = dls_document_get_n_classes (self->doc) + 1;
  /* Translators: the name of a new class, %d its number */
  name = g_strdup_printf (_ ("Class %d"), k);
  dls_document_add_class (self->doc, name, dls_class_color_default (k));
  g_action_group_activate_action (G_ACTION_GROUP (self), "class", g_variant_new_int32 (k));
}

static void
save_labels_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;
  g_autoptr (GError) error = NULL;

  if (self->doc == NULL)
    return;
  if (!dls_document_save_labels (self->doc, &error))
    _dls_window_toast (self, error->message);
  else
    {
      g_autofree char *name = g_path_get_basename (dls_document_get_labels_path (self->doc));
      /* Translators: %s is a file name */
      g_autofree char *text = g_strdup_printf (_ ("Labels saved to %s"), name);

      _dls_window_toast (self, text);
    }
}

static void explore_activated (GSimpleAction *action, GVariant *param, gpointer data);

static const GActionEntry win_entries[] = {
  { "open", open_activated },
  { "open-folder", open_activated },
  { "open-sample", open_sample_activated },
  { "cancel-load", cancel_load_activated },
  { "undo", undo_activated },
  { "redo", redo_activated },
  { "tool", NULL, "s", "'brush'", tool_changed },
  { "class", class_activated, "i", "1", class_changed },
  { "brush-bigger", brush_activated },
  { "brush-smaller", brush_activated },
  { "slice-next", slice_activated },
  { "slice-previous", slice_activated },
  { "zoom-in", zoom_activated },
  { "zoom-out", zoom_activated },
  { "zoom-fit", zoom_activated },
  { "zoom-actual", zoom_activated },
  { "auto-contrast", auto_contrast_activated },
  { "overlay-prediction", overlay_activated },
  { "overlay-segmentation", overlay_activated },
  { "overlay-uncertainty", overlay_activated },
  { "show-labels", NULL, NULL, "true", show_labels_changed },
  { "explore", explore_activated },
  { "add-class", add_class_activated },
  { "save-labels", save_labels_activated },
};

static void
enable (DlsWindow *self, const char *name, gboolean on)
{
  GAction *a = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  if (a != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (a), on);
}

void
_dls_window_update_actions (DlsWindow *self)
{
  gboolean doc = self->doc != NULL, loading = self->load_cancel != NULL;
  gboolean running = _dls_window_job_running (self);
  static const char *const need_doc[]
      = { "tool", "class", "brush-bigger", "brush-smaller", "slice-next", "slice-previous",
          "zoom-in", "zoom-out", "zoom-fit", "zoom-actual", "auto-contrast",
          "overlay-prediction", "overlay-segmentation", "overlay-uncertainty", "show-labels",
          "add-class", "save-labels" };

  for (guint i = 0; i < G_N_ELEMENTS (need_doc); i++)
    enable (self, need_doc[i], doc);
  enable (self, "undo", doc && dls_undo_can_undo (dls_document_get_undo (self->doc)));
  enable (self, "redo", doc && dls_undo_can_redo (dls_document_get_undo (self->doc)));
  enable (self, "cancel-load", loading);
  enable (self, "train", doc && !running && !loading);
  enable (self, "cancel-train", running);
  enable (self, "export", doc);
  enable (self, "save-project", doc);
  enable (self, "explore", doc);
  enable (self, "save-project-as", doc);
  enable (self, "load-model", doc && !loading);
  enable (self, "save-model", self->models != NULL);
}

/* ---- widgets of the side panel ---- */

static void
on_colormap_selected (GtkDropDown *dd, GParamSpec *pspec, DlsWindow *self)
{
  self->display.colormap = MIN (gtk_drop_down_get_selected (dd), DLS_N_COLORMAPS - 1);
  push_display (self);
}

static void
on_overlay_selected (GtkDropDown *dd, GParamSpec *pspec, DlsWindow *self)
{
  self->display.overlay = MIN (gtk_drop_down_get_selected (dd), DLS_OVERLAY_UNCERTAINTY);
  push_display (self);
}

static void
on_measure_selected (GtkDropDown *dd, GParamSpec *pspec, DlsWindow *self)
{
  self->display.measure = MIN (gtk_drop_down_get_selected (dd), DLS_MEASURE_SET_SIZE);
  push_display (self);
}

static void
on_opacity_changed (GtkAdjustment *adj, DlsWindow *self)
{
  self->display.opacity = gtk_adjustment_get_value (adj);
  push_display (self);
}

static void
on_contrast_changed (GtkAdjustment *adj, DlsWindow *self)
{
  if (self->updating_widgets)
    return;
  self->display.lo = (float) gtk_adjustment_get_value (self->lo_adjustment);
  self->display.hi = (float) gtk_adjustment_get_value (self->hi_adjustment);
  push_display (self);
}

static void
on_brush_changed (GtkAdjustment *adj, DlsWindow *self)
{
  self->paint.size = (int) gtk_adjustment_get_value (adj);
  push_paint (self);
}

static void
on_labels_changed (DlsDocument *doc, guint64 lo, guint64 hi, DlsWindow *self)
{
  _dls_window_update_actions (self);
  _dls_window_live_poke (self);
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, DlsWindow *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  if (files == NULL)
    return FALSE;
  dls_window_set_image_file (self, files->data);
  g_slist_free (files);
  return TRUE;
}

/* A spin button whose 0 means something other than a number ("Default", "No limit") shows the
 * words, and takes them back as 0. */
static gboolean
zero_spin_output (GtkSpinButton *spin, const char *words)
{
  if (gtk_spin_button_get_value_as_int (spin) != 0)
    return FALSE;
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (spin)), words) != 0)
    gtk_editable_set_text (GTK_EDITABLE (spin), words);
  return TRUE;
}

static int
zero_spin_input (GtkSpinButton *spin, double *value, const char *words)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (spin))));
  g_autofree char *a = g_utf8_casefold (text, -1), *b = g_utf8_casefold (words, -1);

  if (strcmp (a, b) != 0)
    return FALSE; /* a number: GTK parses it */
  *value = 0;
  return TRUE;
}

static void
zero_spin (GtkSpinButton *spin, const char *words)
{
  g_signal_connect (spin, "output", G_CALLBACK (zero_spin_output), (gpointer) words);
  g_signal_connect (spin, "input", G_CALLBACK (zero_spin_input), (gpointer) words);
  gtk_editable_set_width_chars (GTK_EDITABLE (spin), MAX (g_utf8_strlen (words, -1), 5));
  gtk_spin_button_update (spin);
}

static GtkStringList *
string_list (const char *const *items, int n)
{
  GtkStringList *l = gtk_string_list_new (NULL);

  for (int i = 0; i < n; i++)
    gtk_string_list_append (l, _ (items[i]));
  return l;
}

static void
setup_widgets (DlsWindow *self)
{
  static const char *const overlays[]
      = { N_ ("None"), N_ ("Prediction"), N_ ("Segmentation"), N_ ("Uncertainty") };
  static const char *const measures[]
      = { N_ ("Margin"), N_ ("Entropy"), N_ ("Ensemble std"), N_ ("Conformal set size") };
  static const char *const archs[] = { N_ ("SMSNet ensemble"), N_ ("MSDNet"), N_ ("TUNet") };
  const char *cmaps[DLS_N_COLORMAPS];
  DlsTrainSettings defaults = dls_train_settings_default ();
  GtkDropTarget *drop;

  for (int c = 0; c < DLS_N_COLORMAPS; c++)
    cmaps[c] = dls_colormap_label (c);
  gtk_drop_down_set_model (self->colormap_dropdown,
                           G_LIST_MODEL (string_list (cmaps, DLS_N_COLORMAPS)));
  gtk_drop_down_set_model (self->overlay_dropdown, G_LIST_MODEL (string_list (overlays, 4)));
  gtk_drop_down_set_model (self->measure_dropdown, G_LIST_MODEL (string_list (measures, 4)));
  gtk_drop_down_set_model (self->arch_dropdown, G_LIST_MODEL (string_list (archs, 3)));
  g_object_unref (gtk_drop_down_get_model (self->colormap_dropdown));
  g_object_unref (gtk_drop_down_get_model (self->overlay_dropdown));
  g_object_unref (gtk_drop_down_get_model (self->measure_dropdown));
  g_object_unref (gtk_drop_down_get_model (self->arch_dropdown));
  gtk_drop_down_set_selected (self->overlay_dropdown, DLS_OVERLAY_PREDICTION);
  /* Translators: a training field's value 0: the network's default number of layers */
  zero_spin (self->layers_spin, _ ("Default"));
  /* Translators: a training field's value 0: no time limit */
  zero_spin (self->time_spin, _ ("No limit"));
  /* the training fields start from the same defaults the benchmarks use */
  _dls_window_set_train_settings (self, &defaults);

  self->display = (DlsDisplay){ DLS_COLORMAP_GRAY, 0, 1, DLS_OVERLAY_PREDICTION,
                                DLS_MEASURE_MARGIN, 0.5, TRUE };
  self->paint = (DlsPaint){ DLS_TOOL_BRUSH, 5, 1 };
  g_signal_connect (self->colormap_dropdown, "notify::selected", G_CALLBACK (on_colormap_selected), self);
  g_signal_connect (self->overlay_dropdown, "notify::selected", G_CALLBACK (on_overlay_selected), self);
  g_signal_connect (self->measure_dropdown, "notify::selected", G_CALLBACK (on_measure_selected), self);
  g_signal_connect (self->opacity_adjustment, "value-changed", G_CALLBACK (on_opacity_changed), self);
  g_signal_connect (self->lo_adjustment, "value-changed", G_CALLBACK (on_contrast_changed), self);
  g_signal_connect (self->hi_adjustment, "value-changed", G_CALLBACK (on_contrast_changed), self);
  g_signal_connect (self->brush_adjustment, "value-changed", G_CALLBACK (on_brush_changed), self);
  g_signal_connect (self->slice_adjustment, "value-changed", G_CALLBACK (on_slice_value_changed), self);
  g_signal_connect (self->class_list, "row-selected", G_CALLBACK (on_class_row_selected), self);
  gtk_drawing_area_set_draw_func (self->loss_plot, _dls_window_draw_loss_plot, self, NULL);

  /* XY large, YZ to its right, XZ below: the crosshairs line up */
  for (int a = 0; a < 3; a++)
    {
      self->canvases[a] = dls_canvas_new (a);
      g_signal_connect (self->canvases[a], "hover", G_CALLBACK (on_hover), self);
      g_signal_connect (self->canvases[a], "position-changed", G_CALLBACK (on_position_changed), self);
    }
  gtk_widget_set_size_request (self->canvases[DLS_AXIS_X], 200, -1);
  gtk_widget_set_hexpand (self->canvases[DLS_AXIS_X], FALSE);
  gtk_widget_set_size_request (self->canvases[DLS_AXIS_Y], -1, 160);
  gtk_widget_set_vexpand (self->canvases[DLS_AXIS_Y], FALSE);
  gtk_grid_attach (self->canvas_grid, self->canvases[DLS_AXIS_Z], 0, 0, 1, 1);
  gtk_grid_attach (self->canvas_grid, self->canvases[DLS_AXIS_X], 1, 0, 1, 1);
  gtk_grid_attach (self->canvas_grid, self->canvases[DLS_AXIS_Y], 0, 1, 1, 1);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}

/* Single keys (b, e, 1–9, p …) are shortcuts of the window in the bubble phase, not application
 * accelerators: a text field with the focus (a class name being edited) consumes the key
 * first, so typing a name never switches tools. */
static void
add_key_shortcuts (DlsWindow *self)
{
  static const struct {
    guint key;
    const char *action, *target; /* target: a GVariant text, or NULL */
  } keys[] = {
    { GDK_KEY_b, "win.tool", "'brush'" },
    { GDK_KEY_e, "win.tool", "'eraser'" },
    { GDK_KEY_f, "win.tool", "'fill'" },
    { GDK_KEY_1, "win.class", "1" },
    { GDK_KEY_2, "win.class", "2" },
    { GDK_KEY_3, "win.class", "3" },
    { GDK_KEY_4, "win.class", "4" },
    { GDK_KEY_5, "win.class", "5" },
    { GDK_KEY_6, "win.class", "6" },
    { GDK_KEY_7, "win.class", "7" },
    { GDK_KEY_8, "win.class", "8" },
    { GDK_KEY_9, "win.class", "9" },
    { GDK_KEY_bracketright, "win.brush-bigger", NULL },
    { GDK_KEY_bracketleft, "win.brush-smaller", NULL },
    { GDK_KEY_Page_Down, "win.slice-next", NULL },
    { GDK_KEY_Page_Up, "win.slice-previous", NULL },
    { GDK_KEY_plus, "win.zoom-in", NULL },
    { GDK_KEY_equal, "win.zoom-in", NULL },
    { GDK_KEY_KP_Add, "win.zoom-in", NULL },
    { GDK_KEY_minus, "win.zoom-out", NULL },
    { GDK_KEY_KP_Subtract, "win.zoom-out", NULL },
    { GDK_KEY_a, "win.auto-contrast", NULL },
    { GDK_KEY_p, "win.overlay-prediction", NULL },
    { GDK_KEY_s, "win.overlay-segmentation", NULL },
    { GDK_KEY_u, "win.overlay-uncertainty", NULL },
    { GDK_KEY_h, "win.show-labels", NULL },
    { GDK_KEY_l, "win.live-update", NULL },
  };
  GtkEventController *c = gtk_shortcut_controller_new ();

  gtk_event_controller_set_propagation_phase (c, GTK_PHASE_BUBBLE);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GtkShortcut *sc = gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].key, 0),
                                          gtk_named_action_new (keys[i].action));

      if (keys[i].target != NULL)
        gtk_shortcut_set_arguments (sc, g_variant_parse (NULL, keys[i].target, NULL, NULL, NULL));
      gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (c), sc);
    }
  gtk_widget_add_controller (GTK_WIDGET (self), c);
}

/* ---- object ---- */

static gboolean
dls_window_close_request (GtkWindow *window)
{
  DlsWindow *self = DLS_WINDOW (window);

  dls_window_save_state (self);
  if (self->doc != NULL)
    {
      g_autoptr (GError) error = NULL;

      /* the last strokes, before the autosave timer would have fired */
      if (!dls_document_save_labels (self->doc, &error))
        g_warning ("%s", error->message);
    }
  return GTK_WINDOW_CLASS (dls_window_parent_class)->close_request (window);
}

static void
dls_window_constructed (GObject *object)
{
  DlsWindow *self = DLS_WINDOW (object);

  G_OBJECT_CLASS (dls_window_parent_class)->constructed (object);

  dls_window_restore_state (self);
}

static void
dls_window_dispose (GObject *object)
{
  DlsWindow *self = DLS_WINDOW (object);

  g_clear_handle_id (&self->train_poll_id, g_source_remove);
  g_clear_handle_id (&self->load_poll_id, g_source_remove);
  g_clear_handle_id (&self->live_id, g_source_remove);
  g_clear_handle_id (&self->hint_id, g_source_remove);
  g_clear_pointer (&self->job, dls_train_job_free);
  for (int k = 0; k < self->n_models; k++)
    dls_model_free (self->models[k]);
  g_clear_pointer (&self->models, g_free);
  self->n_models = 0;
  g_clear_pointer (&self->model_path, g_free);
  g_clear_pointer (&self->project, dls_project_free);
  g_clear_pointer (&self->pending_project, dls_project_free);
  if (self->load_cancel != NULL)
    g_cancellable_cancel (self->load_cancel);
  g_clear_object (&self->load_cancel);
  if (self->doc != NULL)
    g_signal_handlers_disconnect_by_data (self->doc, self);
  g_clear_object (&self->doc);
  g_clear_pointer (&self->losses, g_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), DLS_TYPE_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->image_file);

  G_OBJECT_CLASS (dls_window_parent_class)->dispose (object);
}

static void
dls_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DlsWindow *self = DLS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_IMAGE_FILE:
      g_value_set_object (value, self->image_file);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dls_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  DlsWindow *self = DLS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_IMAGE_FILE:
      dls_window_set_image_file (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dls_window_class_init (DlsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = dls_window_constructed;
  object_class->dispose = dls_window_dispose;
  object_class->get_property = dls_window_get_property;
  object_class->set_property = dls_window_set_property;
  window_class->close_request = dls_window_close_request;

  /**
   * DlsWindow:settings: (nullable)
   *
   * Where the window's size and the preferences are kept; %NULL remembers nothing.
   */
  properties[PROP_SETTINGS]
      = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * DlsWindow:image-file: (nullable)
   *
   * The image volume the window shows; setting it opens the file in the background.
   */
  properties[PROP_IMAGE_FILE]
      = g_param_spec_object ("image-file", NULL, NULL, G_TYPE_FILE,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DlsWindow::load-finished:
   * @ok: whether the image was opened
   *
   * Loading an image (or the sample) ended, after the window switched to it or showed why not.
   */
  signals[LOAD_FINISHED] = g_signal_new ("load-finished", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                         G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dlsia/Studio/ui/window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, DlsWindow, name)
  BIND (toast_overlay);
  BIND (window_title);
  BIND (primary_menu_button);
  BIND (stack);
  BIND (status_page);
  BIND (engine_label);
  BIND (loading_page);
  gtk_widget_class_bind_template_child_full (widget_class, "load_progress", FALSE,
                                             G_STRUCT_OFFSET (DlsWindow, load_progress_bar));
  BIND (canvas_grid);
  BIND (status_label);
  BIND (slice_adjustment);
  BIND (class_list);
  BIND (brush_adjustment);
  BIND (colormap_dropdown);
  BIND (lo_adjustment);
  BIND (hi_adjustment);
  BIND (contrast_lo);
  BIND (contrast_hi);
  BIND (overlay_dropdown);
  BIND (measure_dropdown);
  BIND (arch_dropdown);
  BIND (opacity_adjustment);
  BIND (members_adjustment);
  BIND (epochs_adjustment);
  BIND (time_adjustment);
  BIND (layers_adjustment);
  BIND (time_spin);
  BIND (layers_spin);
  BIND (train_progress);
  BIND (train_label);
  BIND (loss_plot);
#undef BIND

  /* A stateful boolean action bound to GtkWindow:fullscreened. */
  gtk_widget_class_install_property_action (widget_class, "win.fullscreen", "fullscreened");
  g_type_ensure (DLS_TYPE_CANVAS);
}

static void
dls_window_init (DlsWindow *self)
{
  g_autofree char *summary = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries, G_N_ELEMENTS (win_entries),
                                   self);
  _dls_window_add_project_actions (self);
  _dls_window_add_train_actions (self);
  setup_widgets (self);
  add_key_shortcuts (self);
  summary = dls_engine_summary_new ();
  gtk_label_set_text (self->engine_label, summary);
  _dls_window_update_actions (self);
}

/**
 * dls_window_new:
 * @application: the application
 * @settings: (nullable): where to remember the window's size, or %NULL
 */
DlsWindow *
dls_window_new (DlsApplication *application, GSettings *settings)
{
  g_return_val_if_fail (DLS_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (DLS_TYPE_WINDOW, "application", application, "settings", settings, NULL);
}

GSettings *
dls_window_get_settings (DlsWindow *self)
{
  g_return_val_if_fail (DLS_IS_WINDOW (self), NULL);

  return self->settings;
}

GFile *
dls_window_get_image_file (DlsWindow *self)
{
  g_return_val_if_fail (DLS_IS_WINDOW (self), NULL);

  return self->image_file;
}

/* Opens the image in the background; the title changes once it is loaded. */
void
dls_window_set_image_file (DlsWindow *self, GFile *file)
{
  g_autofree char *path = NULL;

  g_return_if_fail (DLS_IS_WINDOW (self));
  g_return_if_fail (file == NULL || G_IS_FILE (file));

  if (!g_set_object (&self->image_file, file))
    return;
  if (file != NULL)
    {
      path = g_file_get_path (file);
      if (path == NULL)
        _dls_window_toast (self, _ ("Only local files can be opened"));
      else
        _dls_window_open_path (self, path);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IMAGE_FILE]);
}

void
dls_window_get_display (DlsWindow *self, DlsDisplay *display)
{
  *display = self->display;
}

void
dls_window_show_patch (DlsWindow *self, int z, int y, int x, int size)
{
  _dls_window_set_position (self, z, y, x);
  dls_canvas_set_outline (DLS_CANVAS (self->canvases[DLS_AXIS_Z]), z, y, x, size);
  gtk_window_present (GTK_WINDOW (self));
}

DlsExplorer *
dls_window_get_explorer (DlsWindow *self)
{
  if (self->explorer == NULL)
    {
      self->explorer = dls_explorer_new (self);
      g_object_add_weak_pointer (G_OBJECT (self->explorer), (gpointer *) &self->explorer);
    }
  return self->explorer;
}

static void
explore_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  gtk_window_present (GTK_WINDOW (dls_window_get_explorer (DLS_WINDOW (data))));
}

gboolean
dls_window_is_loading (DlsWindow *self)
{
  return self->load_cancel != NULL;
}

void
dls_window_open_sample (DlsWindow *self)
{
  _dls_window_open_path (self, NULL);
}
