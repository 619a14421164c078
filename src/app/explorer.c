/* SPDX-License-Identifier: MIT
 *
 * explorer.c: DlsExplorer, the latent-space explorer of a main window's volume.  "Compute" runs
 * one job on a worker thread — cut the samples (a grid, patches around the labels, or one per
 * predicted object), train an autoencoder on them (MSAE by default), encode them, lay the
 * latent vectors out in 2-D (UMAP-style or PCA) and cluster them — all library code
 * (src/latent), polled for progress ten times a second and cancellable.  The scatter then shows
 * the samples coloured by cluster, class, predicted class or uncertainty; hovering shows a
 * sample's patch, clicking jumps the main window to it and outlines it, a lasso selection shows
 * the mean and standard deviation of its patches and can be turned into labels.
 *
 * The autoencoder of the last Compute is kept: "Use the last trained" maps new samples (or the
 * same ones with other map and cluster settings) without training again.  It can be saved, and
 * one saved before (here or by `dlsia embed --save-model`) loaded instead.
 *
 * It keeps nothing on disk unless asked to save the autoencoder: the samples and the map belong
 * to this window.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h> /* PRId64 in a translatable string: xgettext knows it, not G_GINT64_FORMAT */
#include <math.h>
#include <string.h>

#include "brush.h"
#include "embed.h"
#include "explorer.h"
#include "plane.h"
#include "safetensors.h"
#include "scatter.h"
#include "window-private.h"

typedef enum {
  COLOR_CLUSTER,
  COLOR_CLASS,
  COLOR_PREDICTED,
  COLOR_UNCERTAINTY,
} ColorBy;

/* what one Compute does, on the worker */
typedef struct {
  DlsDocument *doc;
  guint8 *labels;             /* labels or the objects' class map (copies), or NULL */
  DlsSampleArgs sargs;
  DlsEmbedTrainArgs targs;
  DlsEmbedMapArgs margs;
  volatile int cancel;
  GMutex lock;
  double fraction;
  const char *phase;          /* a static, translated string */
  /* results */
  DlsSamples *samples;
  DlsModel *model;            /* lent by the window when reuse, else trained here */
  gboolean reuse;
  float *latent, *map;
  int d, *clusters, n_clusters;
} Compute;

struct _DlsExplorer
{
  AdwWindow parent_instance;

  GWeakRef window;            /* the main window */
  GtkWidget *scatter;
  Compute *job;               /* running, or NULL */
  GCancellable *cancellable;
  guint poll_id;

  /* the autoencoder of the last Compute, or loaded (lent to the job while one runs) */
  DlsModel *model;
  char *model_name;           /* the file it came from (display name); NULL when trained here */

  /* the map shown */
  DlsSamples *samples;
  float *map;
  int *clusters, n_clusters;

  /* template children */
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkDropDown *sampling_dropdown, *model_dropdown, *map_dropdown, *cluster_dropdown;
  GtkDropDown *color_dropdown, *label_class_dropdown;
  GtkAdjustment *patch_adjustment, *stride_adjustment, *latent_adjustment, *time_adjustment;
  GtkAdjustment *k_adjustment;
  GtkWidget *latent_spin, *time_spin;
  GtkCheckButton *align_check;
  GtkProgressBar *progress_bar;
  GtkLabel *status_label, *selection_label;
  GtkPicture *mean_picture, *std_picture;
  GtkBox *scatter_box;
};

G_DEFINE_FINAL_TYPE (DlsExplorer, dls_explorer, ADW_TYPE_WINDOW)

static void update_actions (DlsExplorer *self);
static void update_model_items (DlsExplorer *self);

/* the items of the Autoencoder drop-down; the last only while there is a model to use */
enum { MODEL_MSAE, MODEL_SAE, MODEL_REUSE };

static DlsWindow *
main_window (DlsExplorer *self)
{
  return g_weak_ref_get (&self->window);
}

static void
toast (DlsExplorer *self, const char *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

/* ---- the job ---- */

static void
compute_free (Compute *c)
{
  g_clear_object (&c->doc);
  g_free (c->labels);
  g_clear_pointer (&c->samples, dls_samples_free);
  dls_model_free (c->model);
  g_free (c->latent);
  g_free (c->map);
  g_free (c->clusters);
  g_mutex_clear (&c->lock);
  g_free (c);
}

static void
set_progress (Compute *c, const char *phase, double fraction)
{
  g_mutex_lock (&c->lock);
  if (phase != NULL)
    c->phase = phase;
  c->fraction = fraction;
  g_mutex_unlock (&c->lock);
}

static void
on_train_progress (const DlsTrainProgress *p, void *user_data)
{
  Compute *c = user_data;
  double f = p->n_epochs > 0
                 ? (p->epoch + (p->n_steps ? (double) p->step / p->n_steps : 0)) / p->n_epochs
             : c->targs.time_budget > 0 ? MIN (p->elapsed / c->targs.time_budget, 1)
                                        : 0;

  set_progress (c, NULL, 0.05 + 0.75 * f);
}

static void
on_encode_progress (double fraction, void *user_data)
{
  set_progress (user_data, NULL, 0.8 + 0.1 * fraction);
}

static void
on_map_progress (double fraction, void *user_data)
{
  set_progress (user_data, NULL, 0.9 + 0.1 * fraction);
}

static void
compute_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Compute *c = data;
  GError *error = NULL;
  int Z, Y, X;

  dls_document_get_size (c->doc, &Z, &Y, &X);
  set_progress (c, _ ("Cutting the samples…"), 0);
  c->samples = dls_samples_new (dls_document_get_volume (c->doc), Z, Y, X, c->labels, &c->sargs,
                                &error);
  if (c->samples == NULL)
    goto fail;
  if (c->reuse)
    {
      if (!dls_embed_check (c->model, c->samples, &error))
        goto fail;
    }
  else
    {
      set_progress (c, _ ("Training the autoencoder…"), 0.05);
      c->targs.progress = on_train_progress;
      c->targs.user_data = c;
      c->targs.cancel = &c->cancel;
      c->model = dls_embed_train (c->samples, &c->targs, NULL, &error);
      if (c->model == NULL)
        goto fail;
      if (c->cancel)
        goto cancelled;
    }
  set_progress (c, _ ("Encoding the samples…"), 0.8);
  c->latent = dls_embed_encode (c->model, c->samples, &c->d, &c->cancel, on_encode_progress, c,
                                &error);
  if (c->latent == NULL)
    goto fail;
  set_progress (c, _ ("Mapping and clustering…"), 0.9);
  c->map = g_new (float, c->samples->n * 2);
  c->clusters = g_new (int, c->samples->n);
  c->margs.cancel = &c->cancel;
  c->margs.progress = on_map_progress;
  c->margs.user_data = c;
  c->n_clusters = dls_embed_map (c->latent, c->samples->n, c->d, &c->margs, c->map, c->clusters,
                                 &error);
  if (c->n_clusters < 0)
    goto fail;
  set_progress (c, NULL, 1);
  g_task_return_boolean (task, TRUE);
  return;

cancelled:
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _ ("Cancelled"));
  return;
fail:
  if (c->cancel)
    {
      g_clear_error (&error);
      goto cancelled;
    }
  g_task_return_error (task, error);
}

/* ---- colours and pictures ---- */

static guint32
gray_argb (float v, float lo, float hi)
{
  int g = hi > lo ? (int) CLAMP (255 * (v - lo) / (hi - lo), 0, 255) : 0;

  return 0xff000000u | (guint32) g << 16 | (guint32) g << 8 | (guint32) g;
}

static void
recolor (DlsExplorer *self)
{
  g_autoptr (DlsWindow) win = main_window (self);
  DlsDocument *doc = win ? dls_window_get_document (win) : NULL;
  DlsPrediction *p = doc ? dls_document_get_prediction (doc) : NULL;
  ColorBy by = gtk_drop_down_get_selected (self->color_dropdown);
  g_autofree guint32 *colors = NULL;
  const guint32 *inferno = dls_colormap_table (DLS_COLORMAP_INFERNO);
  int Y = 0, X = 0, Z = 0;

  if (self->samples == NULL || doc == NULL)
    return;
  dls_document_get_size (doc, &Z, &Y, &X);
  colors = g_new (guint32, self->samples->n);
  for (int64_t i = 0; i < self->samples->n; i++)
    {
      const int64_t *pos = self->samples->pos + 3 * i;
      gsize idx = ((gsize) pos[0] * Y + pos[1]) * X + pos[2];
      guint32 c = 0xff808080u;

      switch (by)
        {
        case COLOR_CLUSTER:
          if (self->clusters[i] >= 0)
            c = dls_class_color_default (self->clusters[i] + 1);
          break;
        case COLOR_CLASS:
          if (self->samples->label != NULL && self->samples->label[i] > 0
              && self->samples->label[i] <= dls_document_get_n_classes (doc))
            c = dls_document_get_class_color (doc, self->samples->label[i]);
          break;
        case COLOR_PREDICTED:
          if (p != NULL && dls_prediction_slice_done (p, (int) pos[0]))
            c = dls_class_color_default (dls_prediction_argmax (p, idx) + 1);
          break;
        case COLOR_UNCERTAINTY:
          if (p != NULL && dls_prediction_slice_done (p, (int) pos[0]))
            c = inferno[(int) CLAMP (255 * dls_prediction_measure (p, DLS_MEASURE_MARGIN, idx),
                                     0, 255)];
          break;
        }
      colors[i] = c;
    }
  dls_scatter_set_colors (DLS_SCATTER (self->scatter), colors);
}

static cairo_surface_t *
patch_surface (const float *v, int h, int w, float lo, float hi)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  guint32 *px = (guint32 *) cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s) / 4;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      px[y * stride + x] = gray_argb (v[y * w + x], lo, hi);
  cairo_surface_mark_dirty (s);
  return s;
}

static cairo_surface_t *
thumbnail (int i, gpointer data)
{
  DlsExplorer *self = data;
  g_autoptr (DlsWindow) win = main_window (self);
  DlsDisplay d;
  int h, w;

  if (self->samples == NULL || win == NULL || i >= self->samples->n)
    return NULL;
  dls_window_get_display (win, &d);
  h = self->samples->height;
  w = self->samples->width;
  return patch_surface (self->samples->patches + (gsize) i * h * w, h, w, d.lo, d.hi);
}

static GdkTexture *
texture_of (const float *v, int h, int w, float lo, float hi)
{
  g_autoptr (GBytes) bytes = NULL;
  guint8 *rgb = g_new (guint8, (gsize) h * w * 3);

  for (int i = 0; i < h * w; i++)
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray_argb (v[i], lo, hi) & 255;
  bytes = g_bytes_new_take (rgb, (gsize) h * w * 3);
  return gdk_memory_texture_new (w, h, GDK_MEMORY_R8G8B8, bytes, (gsize) w * 3);
}

static void
on_selection_changed (DlsScatter *scatter, DlsExplorer *self)
{
  g_autoptr (GArray) sel = dls_scatter_get_selection (scatter);
  g_autoptr (DlsWindow) win = main_window (self);
  g_autofree double *sum = NULL, *sum2 = NULL;
  g_autofree float *mean = NULL, *sd = NULL;
  g_autofree char *text = NULL;
  int hw;
  float smax = 0;
  DlsDisplay d;

  /* Translators: %u is a number of samples */
  text = g_strdup_printf (ngettext ("Selection: %u sample", "Selection: %u samples", sel->len),
                          sel->len);
  gtk_label_set_text (self->selection_label, text);
  update_actions (self);
  if (sel->len == 0 || self->samples == NULL || win == NULL)
    {
      gtk_picture_set_paintable (self->mean_picture, NULL);
      gtk_picture_set_paintable (self->std_picture, NULL);
      return;
    }
  hw = self->samples->height * self->samples->width;
  sum = g_new0 (double, hw);
  sum2 = g_new0 (double, hw);
  for (guint k = 0; k < sel->len; k++)
    {
      const float *v = self->samples->patches + (gsize) g_array_index (sel, int, k) * hw;

      for (int i = 0; i < hw; i++)
        sum[i] += v[i], sum2[i] += (double) v[i] * v[i];
    }
  mean = g_new (float, hw);
  sd = g_new (float, hw);
  for (int i = 0; i < hw; i++)
    {
      double m = sum[i] / sel->len;

      mean[i] = (float) m;
      sd[i] = (float) sqrt (MAX (sum2[i] / sel->len - m * m, 0));
      smax = MAX (smax, sd[i]);
    }
  dls_window_get_display (win, &d);
  {
    g_autoptr (GdkTexture) tm = texture_of (mean, self->samples->height, self->samples->width,
                                            d.lo, d.hi);
    g_autoptr (GdkTexture) ts = texture_of (sd, self->samples->height, self->samples->width, 0,
                                            smax > 0 ? smax : 1);

    gtk_picture_set_paintable (self->mean_picture, GDK_PAINTABLE (tm));
    gtk_picture_set_paintable (self->std_picture, GDK_PAINTABLE (ts));
  }
}

/* The hovered sample's position (and cluster) in the status line, beside its thumbnail. */
static void
on_point_hovered (DlsScatter *scatter, int i, DlsExplorer *self)
{
  g_autofree char *text = NULL;
  const int64_t *pos;

  if (self->samples == NULL || i < 0 || i >= self->samples->n)
    return;
  pos = self->samples->pos + 3 * i;
  if (self->clusters[i] >= 0)
    /* Translators: a sample's number, its position in the volume and its cluster */
    text = g_strdup_printf (_ ("Sample %d at z %d, y %d, x %d · cluster %d"), i, (int) pos[0],
                            (int) pos[1], (int) pos[2], self->clusters[i] + 1);
  else
    /* Translators: a sample's number and its position; it belongs to no cluster */
    text = g_strdup_printf (_ ("Sample %d at z %d, y %d, x %d · noise"), i, (int) pos[0],
                            (int) pos[1], (int) pos[2]);
  gtk_label_set_text (self->status_label, text);
}

static void
on_point_activated (DlsScatter *scatter, int i, DlsExplorer *self)
{
  g_autoptr (DlsWindow) win = main_window (self);
  const int64_t *pos;

  if (win == NULL || self->samples == NULL || i < 0 || i >= self->samples->n)
    return;
  pos = self->samples->pos + 3 * i;
  dls_window_show_patch (win, (int) pos[0], (int) pos[1], (int) pos[2], self->samples->width);
}

/* ---- results ---- */

static void
take_results (DlsExplorer *self, Compute *c)
{
  g_autofree char *subtitle = NULL;

  g_clear_pointer (&self->samples, dls_samples_free);
  g_free (self->map);
  g_free (self->clusters);
  self->samples = g_steal_pointer (&c->samples);
  self->map = g_steal_pointer (&c->map);
  self->clusters = g_steal_pointer (&c->clusters);
  self->n_clusters = c->n_clusters;
  dls_scatter_set_points (DLS_SCATTER (self->scatter), self->map, (int) self->samples->n);
  recolor (self);
  on_selection_changed (DLS_SCATTER (self->scatter), self);
  {
    g_autofree char *samples = g_strdup_printf (
        ngettext ("%" PRId64 " sample", "%" PRId64 " samples", (gulong) self->samples->n),
        self->samples->n);
    g_autofree char *clusters = g_strdup_printf (
        ngettext ("%d cluster", "%d clusters", self->n_clusters), self->n_clusters);

    /* Translators: samples, latent size and clusters of the map, as in "128 samples · latent
     * size 16 · 4 clusters" */
    subtitle = g_strdup_printf (_ ("%s · latent size %d · %s"), samples, c->d, clusters);
  }
  adw_window_title_set_subtitle (self->window_title, subtitle);
}

static gboolean
poll (gpointer data)
{
  DlsExplorer *self = data;

  if (self->job != NULL)
    {
      g_mutex_lock (&self->job->lock);
      gtk_progress_bar_set_fraction (self->progress_bar, self->job->fraction);
      if (self->job->phase)
        gtk_label_set_text (self->status_label, self->job->phase);
      g_mutex_unlock (&self->job->lock);
    }
  return G_SOURCE_CONTINUE;
}

static void
compute_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (DlsExplorer) self = data;
  Compute *c = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  gboolean ok;

  g_clear_handle_id (&self->poll_id, g_source_remove);
  self->job = NULL;
  g_clear_object (&self->cancellable);
  ok = g_task_propagate_boolean (G_TASK (result), &error);
  /* a lent model comes back whatever happened; a new one is kept when it made a map */
  if (c->reuse || (ok && c->model != NULL))
    {
      if (!c->reuse)
        g_clear_pointer (&self->model_name, g_free);
      dls_model_free (self->model);
      self->model = g_steal_pointer (&c->model);
      update_model_items (self);
    }
  if (!ok)
    {
      gtk_label_set_text (self->status_label, error->message);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
    }
  else
    {
      take_results (self, c);
      gtk_progress_bar_set_fraction (self->progress_bar, 1);
      gtk_label_set_text (self->status_label, _ ("Done. Click a point to see it in the volume."));
    }
  update_actions (self);
}

/* The objects of a prediction: every class but the first (the background), each voxel its
 * class, so that each fibre (say) is one component. */
static guint8 *
objects_of (DlsDocument *doc, GError **error)
{
  DlsPrediction *p = dls_document_get_prediction (doc);
  gsize n, hw;
  guint8 *map;

  if (p == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _ ("There is no prediction yet: train first, then sample its objects"));
      return NULL;
    }
  hw = (gsize) p->height * p->width;
  n = hw * p->depth;
  map = g_new0 (guint8, n);
  for (gsize i = 0; i < n; i++)
    if (dls_prediction_slice_done (p, (int) (i / hw)))
      {
        int k = dls_prediction_argmax (p, i);

        map[i] = k > 0 ? (guint8) (k + 1) : 0;
      }
  return map;
}

gboolean
dls_explorer_compute (DlsExplorer *self, GError **error)
{
  g_autoptr (DlsWindow) win = main_window (self);
  DlsDocument *doc = win ? dls_window_get_document (win) : NULL;
  g_autoptr (GTask) task = NULL;
  Compute *c;
  guint sampling = gtk_drop_down_get_selected (self->sampling_dropdown);

  if (doc == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("Open a volume first"));
      return FALSE;
    }
  if (self->job != NULL)
    return TRUE;
  c = g_new0 (Compute, 1);
  g_mutex_init (&c->lock);
  c->doc = g_object_ref (doc);
  c->sargs = (DlsSampleArgs){
    .mode = sampling == 0   ? DLS_SAMPLING_GRID
            : sampling == 1 ? DLS_SAMPLING_LABELS
            : sampling == 2 ? DLS_SAMPLING_COMPONENTS
                            : DLS_SAMPLING_PAGES,
    .size = (int) gtk_adjustment_get_value (self->patch_adjustment),
    .stride = (int) gtk_adjustment_get_value (self->stride_adjustment),
    .align = gtk_check_button_get_active (self->align_check),
  };
  if (sampling == 1)
    c->labels = dls_document_copy_labels (doc);
  else if (sampling == 2 && (c->labels = objects_of (doc, error)) == NULL)
    {
      compute_free (c);
      return FALSE;
    }
  if (sampling >= 2)
    c->sargs.stride = 0;
  if (gtk_drop_down_get_selected (self->model_dropdown) == MODEL_REUSE && self->model != NULL)
    {
      c->reuse = TRUE;
      c->model = g_steal_pointer (&self->model); /* lent; compute_done gives it back */
    }
  c->targs = (DlsEmbedTrainArgs){
    .sparse = gtk_drop_down_get_selected (self->model_dropdown) == MODEL_SAE,
    .latent = (int) gtk_adjustment_get_value (self->latent_adjustment),
    .time_budget = gtk_adjustment_get_value (self->time_adjustment),
    .seed = 1,
  };
  c->margs = (DlsEmbedMapArgs){
    .map = gtk_drop_down_get_selected (self->map_dropdown) == 1 ? DLS_EMBED_MAP_PCA
                                                                : DLS_EMBED_MAP_UMAP,
    .cluster = gtk_drop_down_get_selected (self->cluster_dropdown) >= 1 ? DLS_EMBED_CLUSTER_KMEANS
                                                                        : DLS_EMBED_CLUSTER_HDBSCAN,
    .on_latent = gtk_drop_down_get_selected (self->cluster_dropdown) == 2,
    .k = (int) gtk_adjustment_get_value (self->k_adjustment),
    .seed = 1,
  };
  self->job = c;
  self->cancellable = g_cancellable_new ();
  task = g_task_new (NULL, self->cancellable, compute_done, g_object_ref (self));
  g_task_set_task_data (task, c, (GDestroyNotify) compute_free);
  g_task_run_in_thread (task, compute_thread);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  self->poll_id = g_timeout_add (100, poll, self);
  update_actions (self);
  return TRUE;
}

gboolean
dls_explorer_is_busy (DlsExplorer *self)
{
  return self->job != NULL;
}

/* ---- actions ---- */

static void
compute_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  DlsExplorer *self = DLS_EXPLORER (widget);
  g_autoptr (GError) error = NULL;

  if (!dls_explorer_compute (self, &error))
    toast (self, error->message);
}

static void
cancel_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  DlsExplorer *self = DLS_EXPLORER (widget);

  if (self->job != NULL)
    self->job->cancel = 1;
}

/* Each selected sample's centre, a small disc of the chosen class in its slice: one undo step. */
int
dls_explorer_label_selection (DlsExplorer *self, int klass)
{
  g_autoptr (DlsWindow) win = main_window (self);
  DlsDocument *doc = win ? dls_window_get_document (win) : NULL;
  g_autoptr (GArray) sel = dls_scatter_get_selection (DLS_SCATTER (self->scatter));
  DlsUndo *undo;
  int Z, Y, X, changed = 0;
  gsize lo = G_MAXSIZE, hi = 0;

  if (doc == NULL || self->samples == NULL || sel->len == 0)
    return 0;
  dls_document_get_size (doc, &Z, &Y, &X);
  undo = dls_document_get_undo (doc);
  dls_undo_begin (undo);
  for (guint k = 0; k < sel->len; k++)
    {
      const int64_t *pos = self->samples->pos + 3 * g_array_index (sel, int, k);
      DlsLabelPlane plane;
      DlsRect r;

      dls_label_plane_init (&plane, dls_document_get_labels (doc), Z, Y, X, DLS_AXIS_Z,
                            (int) pos[0]);
      r = dls_brush_segment (&plane, pos[2] + 0.5, pos[1] + 0.5, pos[2] + 0.5, pos[1] + 0.5, 3,
                             (guint8) klass, undo);
      if (dls_rect_is_empty (&r))
        continue;
      changed++;
      lo = MIN (lo, dls_label_plane_index (&plane, r.x0, r.y0));
      hi = MAX (hi, dls_label_plane_index (&plane, r.x1 - 1, r.y1 - 1));
    }
  dls_undo_end (undo);
  if (changed > 0)
    dls_document_labels_changed (doc, lo, hi);
  return changed;
}

static void
label_selection_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  DlsExplorer *self = DLS_EXPLORER (widget);
  int n = dls_explorer_label_selection (self,
                                        (int) gtk_drop_down_get_selected (self->label_class_dropdown)
                                            + 1);
  g_autofree char *text = g_strdup_printf (
      ngettext ("Labelled the centre of %d sample", "Labelled the centres of %d samples", n), n);

  toast (self, text);
}

/* ---- the autoencoder: use again, load, save ---- */

/* The side of the square patches an autoencoder takes. */
static int
model_patch (const DlsModel *m)
{
  return m->config.arch == DLS_ARCH_MSAE ? m->config.input_shape[1] : m->config.in_shape[0];
}

/* "MSAE", "Sparse autoencoder" and, while there is one, "Use …" the kept autoencoder. */
static void
update_model_items (DlsExplorer *self)
{
  guint selected = gtk_drop_down_get_selected (self->model_dropdown);
  GtkStringList *items = gtk_string_list_new (NULL);

  gtk_string_list_append (items, _ ("MSAE"));
  gtk_string_list_append (items, _ ("Sparse autoencoder"));
  if (self->model != NULL && self->model_name != NULL)
    {
      /* Translators: %s is the file name of an autoencoder the user loaded */
      g_autofree char *text = g_strdup_printf (_ ("Use “%s”"), self->model_name);

      gtk_string_list_append (items, text);
    }
  else if (self->model != NULL)
    gtk_string_list_append (items, _ ("Use the last trained"));
  gtk_drop_down_set_model (self->model_dropdown, G_LIST_MODEL (items));
  g_object_unref (items);
  if (selected == GTK_INVALID_LIST_POSITION || (selected == MODEL_REUSE && self->model == NULL))
    selected = MODEL_MSAE;
  gtk_drop_down_set_selected (self->model_dropdown, selected);
}

/* Using a kept autoencoder: its patch size, and nothing to train. */
static void
on_model_selected (GtkDropDown *dd, GParamSpec *pspec, DlsExplorer *self)
{
  gboolean reuse = gtk_drop_down_get_selected (dd) == MODEL_REUSE;

  if (reuse && self->model != NULL)
    gtk_adjustment_set_value (self->patch_adjustment, model_patch (self->model));
  gtk_widget_set_sensitive (self->latent_spin, !reuse);
  gtk_widget_set_sensitive (self->time_spin, !reuse);
}

gboolean
dls_explorer_load_model (DlsExplorer *self, const char *path, GError **error)
{
  g_autofree char *name = g_filename_display_basename (path);
  DlsModel *m;

  if (self->job != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _ ("Wait for the computation to finish, or cancel it"));
      return FALSE;
    }
  m = dls_model_load (path, error);
  if (m == NULL)
    return FALSE;
  if (m->config.arch != DLS_ARCH_MSAE && m->config.arch != DLS_ARCH_SAE)
    {
      /* Translators: the first %s is a file name, the second an architecture ("smsnet") */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _ ("“%s” is a %s; the explorer needs an autoencoder (MSAE or sparse "
                      "autoencoder), such as one saved here or by dlsia embed --save-model"),
                   name, dls_arch_name (m->config.arch));
      dls_model_free (m);
      return FALSE;
    }
  dls_model_free (self->model);
  self->model = m;
  g_free (self->model_name);
  self->model_name = g_steal_pointer (&name);
  update_model_items (self);
  gtk_drop_down_set_selected (self->model_dropdown, MODEL_REUSE);
  on_model_selected (self->model_dropdown, NULL, self); /* also when it already was selected */
  update_actions (self);
  return TRUE;
}

gboolean
dls_explorer_save_model (DlsExplorer *self, const char *path, GError **error)
{
  if (self->model == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           self->job != NULL
                               ? _ ("Wait for the computation to finish, or cancel it")
                               : _ ("There is no autoencoder yet: compute a map first, or load "
                                    "one"));
      return FALSE;
    }
  return dls_model_save (self->model, path, error);
}

/* The answer of the Load or Save dialog (model_chooser). */
static void
model_dialog_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  DlsExplorer *self = data;
  gboolean save = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (dialog))
                  == GTK_FILE_CHOOSER_ACTION_SAVE;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;

      if (!(save ? dls_explorer_save_model : dls_explorer_load_model) (self, path, &error))
        toast (self, error->message);
      else if (save)
        toast (self, _ ("Autoencoder saved"));
    }
  g_object_unref (dialog);
}

/* Load and save dialogs start in the volume's folder. */
static GtkFileChooserNative *
model_chooser (DlsExplorer *self, gboolean save)
{
  g_autoptr (DlsWindow) win = main_window (self);
  DlsDocument *doc = win ? dls_window_get_document (win) : NULL;
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
      save ? _ ("Save the Autoencoder") : _ ("Load an Autoencoder"), GTK_WINDOW (self),
      save ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN,
      save ? _ ("_Save") : _ ("_Load"), _ ("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _ ("Models (safetensors)"));
  gtk_file_filter_add_suffix (filter, "safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  if (doc != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (dls_document_get_path (doc));
      g_autoptr (GFile) folder = g_file_new_for_path (dir);

      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (dialog), folder, NULL);
    }
  if (save)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog),
                                       self->model_name ? self->model_name
                                                        : "autoencoder.safetensors");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (model_dialog_response), self);
  return dialog;
}

static void
load_model_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (model_chooser (DLS_EXPLORER (widget), FALSE)));
}

static void
save_model_activated (GtkWidget *widget, const char *name, GVariant *param)
{
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (model_chooser (DLS_EXPLORER (widget), TRUE)));
}

static void
update_actions (DlsExplorer *self)
{
  g_autoptr (GArray) sel = dls_scatter_get_selection (DLS_SCATTER (self->scatter));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "explorer.compute", self->job == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "explorer.cancel", self->job != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "explorer.load-model", self->job == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "explorer.save-model",
                                 self->job == NULL && self->model != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "explorer.label-selection", sel->len > 0);
}

/* The class names of the main window's document, for labelling a selection. */
static void
update_classes (DlsExplorer *self)
{
  g_autoptr (DlsWindow) win = main_window (self);
  DlsDocument *doc = win ? dls_window_get_document (win) : NULL;
  GtkStringList *names = gtk_string_list_new (NULL);

  for (int k = 1; doc != NULL && k <= dls_document_get_n_classes (doc); k++)
    gtk_string_list_append (names, dls_document_get_class_name (doc, k));
  gtk_drop_down_set_model (self->label_class_dropdown, G_LIST_MODEL (names));
  g_object_unref (names);
}

/* ---- object ---- */

static void
on_color_selected (GtkDropDown *dd, GParamSpec *pspec, DlsExplorer *self)
{
  recolor (self);
}

static GtkStringList *
strings (const char *const *items, int n)
{
  GtkStringList *l = gtk_string_list_new (NULL);

  for (int i = 0; i < n; i++)
    gtk_string_list_append (l, _ (items[i]));
  return l;
}

static void
set_model (GtkDropDown *dd, const char *const *items, int n)
{
  GtkStringList *l = strings (items, n);

  gtk_drop_down_set_model (dd, G_LIST_MODEL (l));
  g_object_unref (l);
}

static void
dls_explorer_dispose (GObject *object)
{
  DlsExplorer *self = DLS_EXPLORER (object);

  if (self->job != NULL)
    self->job->cancel = 1;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), DLS_TYPE_EXPLORER);
  G_OBJECT_CLASS (dls_explorer_parent_class)->dispose (object);
}

static void
dls_explorer_finalize (GObject *object)
{
  DlsExplorer *self = DLS_EXPLORER (object);

  g_weak_ref_clear (&self->window);
  dls_model_free (self->model);
  g_free (self->model_name);
  g_clear_pointer (&self->samples, dls_samples_free);
  g_free (self->map);
  g_free (self->clusters);
  G_OBJECT_CLASS (dls_explorer_parent_class)->finalize (object);
}

static void
dls_explorer_class_init (DlsExplorerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dls_explorer_dispose;
  object_class->finalize = dls_explorer_finalize;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dlsia/Studio/ui/explorer.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, DlsExplorer, name)
  BIND (toast_overlay);
  BIND (window_title);
  BIND (sampling_dropdown);
  BIND (model_dropdown);
  BIND (map_dropdown);
  BIND (cluster_dropdown);
  BIND (color_dropdown);
  BIND (label_class_dropdown);
  BIND (patch_adjustment);
  BIND (stride_adjustment);
  BIND (latent_adjustment);
  BIND (time_adjustment);
  BIND (k_adjustment);
  BIND (latent_spin);
  BIND (time_spin);
  BIND (align_check);
  BIND (progress_bar);
  BIND (status_label);
  BIND (selection_label);
  BIND (mean_picture);
  BIND (std_picture);
  BIND (scatter_box);
#undef BIND
  gtk_widget_class_install_action (widget_class, "explorer.compute", NULL, compute_activated);
  gtk_widget_class_install_action (widget_class, "explorer.cancel", NULL, cancel_activated);
  gtk_widget_class_install_action (widget_class, "explorer.label-selection", NULL,
                                   label_selection_activated);
  gtk_widget_class_install_action (widget_class, "explorer.load-model", NULL,
                                   load_model_activated);
  gtk_widget_class_install_action (widget_class, "explorer.save-model", NULL,
                                   save_model_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "explorer.cancel", NULL);
}

static void
dls_explorer_init (DlsExplorer *self)
{
  static const char *const samplings[]
      = { N_ ("Grid"), N_ ("Around the labels"), N_ ("Each predicted object"),
          N_ ("Whole slices") };
  static const char *const maps[] = { N_ ("UMAP-style"), N_ ("PCA") };
  static const char *const clusterings[]
      = { N_ ("Density (HDBSCAN-like)"), N_ ("k-means on the map"),
          N_ ("k-means on the latent vectors") };
  static const char *const colors[]
      = { N_ ("Cluster"), N_ ("Class of the sample"), N_ ("Predicted class"),
          N_ ("Uncertainty (margin)") };

  gtk_widget_init_template (GTK_WIDGET (self));
  set_model (self->sampling_dropdown, samplings, G_N_ELEMENTS (samplings));
  update_model_items (self);
  set_model (self->map_dropdown, maps, G_N_ELEMENTS (maps));
  set_model (self->cluster_dropdown, clusterings, G_N_ELEMENTS (clusterings));
  set_model (self->color_dropdown, colors, G_N_ELEMENTS (colors));
  self->scatter = dls_scatter_new ();
  gtk_box_append (self->scatter_box, self->scatter);
  dls_scatter_set_thumbnail_func (DLS_SCATTER (self->scatter), thumbnail, self, NULL);
  g_signal_connect (self->scatter, "point-activated", G_CALLBACK (on_point_activated), self);
  g_signal_connect (self->scatter, "point-hovered", G_CALLBACK (on_point_hovered), self);
  g_signal_connect (self->scatter, "selection-changed", G_CALLBACK (on_selection_changed), self);
  g_signal_connect (self->color_dropdown, "notify::selected", G_CALLBACK (on_color_selected),
                    self);
  g_signal_connect (self->model_dropdown, "notify::selected", G_CALLBACK (on_model_selected),
                    self);
  update_actions (self);
}

DlsExplorer *
dls_explorer_new (DlsWindow *window)
{
  DlsExplorer *self = g_object_new (DLS_TYPE_EXPLORER, "transient-for", window,
                                    "destroy-with-parent", TRUE, NULL);

  g_weak_ref_init (&self->window, window);
  update_classes (self);
  return self;
}

DlsScatter *
dls_explorer_get_scatter (DlsExplorer *self)
{
  return DLS_SCATTER (self->scatter);
}

const DlsSamples *
dls_explorer_get_samples (DlsExplorer *self, const int **clusters, int *n_clusters)
{
  if (clusters)
    *clusters = self->clusters;
  if (n_clusters)
    *n_clusters = self->n_clusters;
  return self->samples;
}

const float *
dls_explorer_get_map (DlsExplorer *self)
{
  return self->map;
}
