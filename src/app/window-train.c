/* SPDX-License-Identifier: MIT
 *
 * window-train.c: the window's training panel — Train and Cancel, the job that trains on a
 * snapshot of the labels and predicts the volume (DlsTrainJob, on a worker thread), its
 * progress polled ten times a second into the bar, the status line and the live loss plot,
 * the models it leaves, and live update (training again after a pause in painting).
 *
 * It deliberately holds no state of its own: the fields are the window's (window-private.h).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "plot.h"
#include "memory.h"
#include "window-private.h"

static const DlsArch arch_choices[] = { DLS_ARCH_SMSNET, DLS_ARCH_MSDNET, DLS_ARCH_TUNET };

static void start_training (DlsWindow *self);

/* ---- the loss plot ---- */

void
_dls_window_draw_loss_plot (GtkDrawingArea *area, cairo_t *cr, int w, int h, gpointer data)
{
  DlsWindow *self = data;
  GArray *pts = self->losses;
  DlsScale sx, sy;
  double xmax = 1, lo = INFINITY, hi = -INFINITY, ticks[8], step;
  int nt, left = 40, bottom = 16;
  gboolean first = TRUE;

  cairo_set_source_rgba (cr, 0.5, 0.5, 0.5, 0.12);
  cairo_rectangle (cr, 0, 0, w, h);
  cairo_fill (cr);
  if (pts == NULL || pts->len < 2)
    return;
  for (guint i = 0; i < pts->len; i++)
    {
      DlsLossPoint *p = &g_array_index (pts, DlsLossPoint, i);

      xmax = MAX (xmax, p->x);
      if (p->loss > 0)
        lo = MIN (lo, p->loss), hi = MAX (hi, p->loss);
    }
  if (!(lo < hi))
    hi = lo * 2 + 1e-6;
  dls_scale_nice (&lo, &hi, TRUE);
  sx = (DlsScale){ 0, xmax, left, w - 6, FALSE };
  sy = (DlsScale){ lo, hi, h - bottom, 6, TRUE };
  /* axes and ticks */
  cairo_set_source_rgba (cr, 0.5, 0.5, 0.5, 0.8);
  cairo_set_line_width (cr, 1);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 9);
  nt = dls_scale_ticks (&sy, 4, ticks, &step);
  for (int i = 0; i < nt; i++)
    {
      char buf[32];
      double y = dls_scale_map (&sy, ticks[i]);

      dls_format_tick (ticks[i], step, buf, sizeof buf);
      cairo_move_to (cr, 2, y + 3);
      cairo_show_text (cr, buf);
      cairo_move_to (cr, left - 3, floor (y) + 0.5);
      cairo_line_to (cr, w - 6, floor (y) + 0.5);
    }
  cairo_stroke (cr);
  cairo_move_to (cr, left, h - 3);
  /* Translators: the x axis of the loss plot */
  cairo_show_text (cr, _ ("epochs"));
  /* training loss: a line */
  cairo_set_source_rgb (cr, 0.21, 0.52, 0.89);
  cairo_set_line_width (cr, 1.5);
  for (guint i = 0; i < pts->len; i++)
    {
      DlsLossPoint *p = &g_array_index (pts, DlsLossPoint, i);

      if (p->validation || !(p->loss > 0))
        continue;
      if (first)
        cairo_move_to (cr, dls_scale_map (&sx, p->x), dls_scale_map (&sy, p->loss));
      else
        cairo_line_to (cr, dls_scale_map (&sx, p->x), dls_scale_map (&sy, p->loss));
      first = FALSE;
    }
  cairo_stroke (cr);
  /* validation loss: dots */
  cairo_set_source_rgb (cr, 0.90, 0.38, 0.0);
  for (guint i = 0; i < pts->len; i++)
    {
      DlsLossPoint *p = &g_array_index (pts, DlsLossPoint, i);

      if (!p->validation || !(p->loss > 0))
        continue;
      cairo_arc (cr, dls_scale_map (&sx, p->x), dls_scale_map (&sy, p->loss), 2.5, 0, 2 * G_PI);
      cairo_fill (cr);
    }
}

/* ---- training ---- */

static void
format_eta (char *buf, gsize n, double s)
{
  if (!(s >= 0) || !isfinite (s))
    g_strlcpy (buf, "…", n);
  else if (s < 60)
    g_snprintf (buf, n, "%.0f s", s);
  else
    g_snprintf (buf, n, "%d min %02d s", (int) s / 60, (int) s % 60);
}

static void
show_job_status (DlsWindow *self)
{
  DlsJobStatus st;
  g_autofree char *text = NULL;
  char eta[32];

  if (self->job == NULL)
    return;
  dls_train_job_get_status (self->job, &st);
  gtk_progress_bar_set_fraction (self->train_progress, st.fraction);
  format_eta (eta, sizeof eta, st.last.eta);
  switch (st.phase)
    {
    case DLS_JOB_TRAINING:
      if (st.last.n_members == 0)
        text = g_strdup (_ ("Preparing the training patches…"));
      else
        /* Translators: member k of K, epoch, training loss, time left */
        text = g_strdup_printf (_ ("Member %d of %d · epoch %d · loss %.4f · %s left"),
                                st.last.member + 1, st.last.n_members, st.last.epoch + 1,
                                st.last.loss, eta);
      break;
    case DLS_JOB_PREDICTING:
      text = g_strdup_printf (_ ("Predicting slice %d of %d…"), st.slices_done + 1, st.n_slices);
      break;
    case DLS_JOB_DONE:
      if (isfinite (st.last.f1_macro))
        text = g_strdup_printf (_ ("Done in %.0f s · validation F1 %.3f"), st.elapsed,
                                st.last.f1_macro);
      else
        text = g_strdup_printf (_ ("Done in %.0f s"), st.elapsed);
      break;
    case DLS_JOB_CANCELLED:
      text = g_strdup (_ ("Cancelled; the previous model stays."));
      break;
    case DLS_JOB_FAILED:
      text = g_strdup_printf (_ ("Training failed: %s"), st.error);
      break;
    }
  gtk_label_set_text (self->train_label, text);
  g_clear_pointer (&self->losses, g_array_unref);
  self->losses = dls_train_job_get_losses (self->job);
  gtk_widget_queue_draw (GTK_WIDGET (self->loss_plot));
  g_free (st.error);
}

static gboolean
poll_train (gpointer data)
{
  show_job_status (DLS_WINDOW (data));
  return G_SOURCE_CONTINUE;
}

gboolean
_dls_window_job_running (DlsWindow *self)
{
  DlsJobStatus st;

  if (self->job == NULL)
    return FALSE;
  dls_train_job_get_status (self->job, &st);
  g_free (st.error);
  return st.phase == DLS_JOB_TRAINING || st.phase == DLS_JOB_PREDICTING;
}

static void
on_job_event (DlsTrainJob *job, int z, gpointer user_data)
{
  DlsWindow *self = user_data;
  DlsModel **models;
  int n;

  if (z >= 0)
    return;
  g_clear_handle_id (&self->train_poll_id, g_source_remove);
  show_job_status (self);
  /* a finished training: its models are now the shown prediction's */
  models = dls_train_job_steal_models (job, &n);
  if (models != NULL)
    {
      DlsConformal c;
      gboolean cal = dls_train_job_get_conformal (job, &c);

      self->models_saved = FALSE;
      g_clear_pointer (&self->model_path, g_free);
      for (int k = 0; k < self->n_models; k++)
        dls_model_free (self->models[k]);
      g_free (self->models);
      self->models = models;
      self->n_models = n;
      self->calibrated = cal;
      if (cal)
        self->conformal = c;
    }
  _dls_window_update_actions (self);
  /* labels painted while it trained: live update goes again */
  if (self->live_pending)
    {
      self->live_pending = FALSE;
      start_training (self);
    }
}

/* Models loaded from a file (or a project): they replace the shown ones and predict the
 * volume, visible slice first. */
void
_dls_window_set_models (DlsWindow *self, DlsModel **models, int n, const DlsConformal *conformal,
                        const char *path)
{
  /* a prediction job may still read the old models */
  g_clear_pointer (&self->job, dls_train_job_free);
  g_clear_handle_id (&self->train_poll_id, g_source_remove);
  for (int k = 0; k < self->n_models; k++)
    dls_model_free (self->models[k]);
  g_free (self->models);
  self->models = models;
  self->n_models = n;
  self->calibrated = conformal != NULL;
  if (conformal != NULL)
    self->conformal = *conformal;
  g_free (self->model_path);
  self->model_path = g_strdup (path);
  self->models_saved = path != NULL;
  _dls_window_predict (self);
}

void
_dls_window_predict (DlsWindow *self)
{
  if (self->doc == NULL || self->models == NULL)
    return;
  g_clear_pointer (&self->job, dls_train_job_free);
  self->job = dls_train_job_start_predict (self->doc, self->models, self->n_models,
                                           self->calibrated ? &self->conformal : NULL,
                                           self->pos[0], on_job_event, self);
  if (self->train_poll_id == 0)
    self->train_poll_id = g_timeout_add (100, poll_train, self);
  show_job_status (self);
  _dls_window_update_actions (self);
}

DlsTrainSettings
_dls_window_get_train_settings (DlsWindow *self)
{
  DlsTrainSettings s = dls_train_settings_default ();

  s.arch = arch_choices[MIN (gtk_drop_down_get_selected (self->arch_dropdown), 2u)];
  s.members = (int) gtk_adjustment_get_value (self->members_adjustment);
  s.epochs = (int) gtk_adjustment_get_value (self->epochs_adjustment);
  s.time_budget = gtk_adjustment_get_value (self->time_adjustment);
  s.layers = (int) gtk_adjustment_get_value (self->layers_adjustment);
  return s;
}

void
_dls_window_set_train_settings (DlsWindow *self, const DlsTrainSettings *s)
{
  for (guint i = 0; i < G_N_ELEMENTS (arch_choices); i++)
    if (arch_choices[i] == s->arch)
      gtk_drop_down_set_selected (self->arch_dropdown, i);
  gtk_adjustment_set_value (self->members_adjustment, s->members);
  gtk_adjustment_set_value (self->epochs_adjustment, s->epochs);
  gtk_adjustment_set_value (self->time_adjustment, s->time_budget);
  gtk_adjustment_set_value (self->layers_adjustment, s->layers);
}

static void
train_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  start_training (DLS_WINDOW (data));
}

/* The volume was opened against the memory budget with a prediction of two classes; one of K
 * classes takes K + 1 floats a voxel. */
gboolean
_dls_window_training_fits (DlsWindow *self, int K, GError **error)
{
  g_autofree char *what = NULL;
  int Z, Y, X;

  if (K <= 2)
    return TRUE;
  dls_document_get_size (self->doc, &Z, &Y, &X);
  /* Translators: %d is a number of classes, %s the volume's name */
  what = g_strdup_printf (_ ("Training and predicting %d classes on “%s”"), K,
                          dls_document_get_name (self->doc));
  return dls_memory_check (dls_document_estimate_bytes_for (Z, Y, X, K), what,
                           _ ("use fewer classes, or “dlsia predict” on the command line, "
                              "which streams slice by slice"),
                           error);
}

/* How many classes have labelled pixels, and (total, may be NULL) how many pixels in all */
static int
classes_labelled (DlsWindow *self, gint64 *total)
{
  gint64 counts[DLS_MAX_CLASSES + 1] = { 0 }, sum = 0;
  int n_present = 0, K = dls_document_get_n_classes (self->doc);

  dls_document_count_labelled (self->doc, counts, K + 1);
  for (int k = 1; k <= K; k++)
    {
      n_present += counts[k] > 0;
      sum += counts[k];
    }
  if (total)
    *total = sum;
  return n_present;
}

static void
start_training (DlsWindow *self)
{
  g_autoptr (GError) error = NULL;
  int K;
  DlsTrainSettings s;

  if (self->doc == NULL || _dls_window_job_running (self))
    return;
  K = dls_document_get_n_classes (self->doc);
  if (classes_labelled (self, NULL) < 2)
    {
      _dls_window_toast (self, _ ("Paint labels of at least two classes first"));
      return;
    }
  if (!_dls_window_training_fits (self, K, &error))
    {
      _dls_window_toast (self, error->message);
      return;
    }
  s = _dls_window_get_train_settings (self);
  g_clear_pointer (&self->job, dls_train_job_free);
  self->job = dls_train_job_start (self->doc, &s, self->pos[0], on_job_event, self);
  if (self->train_poll_id == 0)
    self->train_poll_id = g_timeout_add (100, poll_train, self);
  show_job_status (self);
  _dls_window_update_actions (self);
}

static void
cancel_train_activated (GSimpleAction *action, GVariant *param, gpointer data)
{
  DlsWindow *self = data;

  if (self->job != NULL)
    dls_train_job_cancel (self->job);
}

/* Live update: two seconds after the last stroke the model is trained again. */
#define LIVE_PAUSE_MS 2000

static gboolean
live_due (gpointer data)
{
  DlsWindow *self = data;

  self->live_id = 0;
  if (_dls_window_job_running (self))
    self->live_pending = TRUE;
  else
    start_training (self);
  return G_SOURCE_REMOVE;
}

static void
live_update_changed (GSimpleAction *action, GVariant *value, gpointer data)
{
  DlsWindow *self = data;

  self->live = g_variant_get_boolean (value);
  g_simple_action_set_state (action, value);
  if (!self->live)
    {
      g_clear_handle_id (&self->live_id, g_source_remove);
      self->live_pending = FALSE;
    }
}


void
_dls_window_update_train_hint (DlsWindow *self)
{
  gint64 total;
  int n_present;
  g_autofree char *text = NULL, *count = NULL;

  if (self->doc == NULL || self->job != NULL)
    return; /* a job's line stays */
  n_present = classes_labelled (self, &total);
  if (n_present < 2)
    {
      gtk_label_set_text (self->train_label,
                          _ ("Paint labels of at least two classes, then train."));
      return;
    }
  count = g_strdup_printf ("%" G_GINT64_FORMAT, total);
  /* Translators: the first %s is a number of pixels; then the number of classes */
  text = g_strdup_printf (_ ("%s labelled pixels in %d classes: ready to train."), count,
                          n_present);
  gtk_label_set_text (self->train_label, text);
}

static gboolean
hint_due (gpointer data)
{
  DlsWindow *self = data;

  self->hint_id = 0;
  _dls_window_update_train_hint (self);
  return G_SOURCE_REMOVE;
}

/* Counting the labels reads the whole volume: once a stroke pauses, not at every dab. */
#define HINT_PAUSE_MS 300

void
_dls_window_live_poke (DlsWindow *self)
{
  g_clear_handle_id (&self->hint_id, g_source_remove);
  if (self->job == NULL)
    self->hint_id = g_timeout_add (HINT_PAUSE_MS, hint_due, self);
  if (self->live)
    {
      g_clear_handle_id (&self->live_id, g_source_remove);
      self->live_id = g_timeout_add (LIVE_PAUSE_MS, live_due, self);
    }
}

static const GActionEntry train_entries[] = {
  { "train", train_activated },
  { "cancel-train", cancel_train_activated },
  { "live-update", NULL, NULL, "false", live_update_changed },
};

void
_dls_window_add_train_actions (DlsWindow *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), train_entries,
                                   G_N_ELEMENTS (train_entries), self);
}
