/* SPDX-License-Identifier: MIT
 *
 * window-private.h: DlsWindow's fields and internal functions, for the files that make up the
 * window (window.c: views, painting, training; window-project.c: projects, models, exports).
 */
#pragma once

#include "canvas.h"
#include "document.h"
#include "project.h"
#include "train-job.h"
#include "window.h"

G_BEGIN_DECLS

struct _DlsWindow
{
  AdwApplicationWindow parent_instance;

  GSettings *settings;
  GFile *image_file;

  DlsDocument *doc;
  GtkWidget *canvases[3];       /* by DlsAxis */
  GtkWidget *active_canvas;
  int pos[3];
  DlsDisplay display;
  DlsPaint paint;
  gboolean updating_widgets;
  gboolean told_labels_fallback; /* the toast saying where labels of a read-only volume go */
  AdwToast *save_error_toast;    /* "Labels not saved", while it shows (one per failing run) */
  gboolean save_failing;         /* the last autosave failed */

  GCancellable *load_cancel;
  gint load_progress;
  guint load_poll_id;

  DlsTrainJob *job;             /* running, or the last finished one */
  DlsModel **models;            /* the model of the shown prediction, or NULL */
  int n_models;
  gboolean models_saved;
  char *model_path;             /* where they were loaded from or saved to */
  gboolean calibrated;
  DlsConformal conformal;
  DlsProject *project;          /* the open project, or NULL */
  DlsProject *pending_project;  /* to apply once its volume is loaded */
  gboolean live;                /* retrain after a pause in painting */
  gboolean live_pending;        /* … once the running job ends */
  guint live_id;
  guint hint_id;                /* recounts the labels for the line under Train */
  DlsExplorer *explorer;        /* weak */
  guint train_poll_id;
  GArray *losses;

  /* template children */
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkMenuButton *primary_menu_button;
  GtkStack *stack;
  AdwStatusPage *status_page;
  GtkLabel *engine_label;
  AdwStatusPage *loading_page;
  GtkProgressBar *load_progress_bar;
  GtkGrid *canvas_grid;
  GtkLabel *status_label;
  GtkAdjustment *slice_adjustment;
  GtkListBox *class_list;
  GtkAdjustment *brush_adjustment;
  GtkDropDown *colormap_dropdown;
  GtkAdjustment *lo_adjustment, *hi_adjustment;
  GtkSpinButton *contrast_lo, *contrast_hi;
  GtkDropDown *overlay_dropdown, *measure_dropdown, *arch_dropdown;
  GtkAdjustment *opacity_adjustment;
  GtkAdjustment *members_adjustment, *epochs_adjustment, *time_adjustment, *layers_adjustment;
  GtkSpinButton *time_spin, *layers_spin; /* 0 shows as words */
  GtkProgressBar *train_progress;
  GtkLabel *train_label;
  GtkDrawingArea *loss_plot;
};

void     _dls_window_toast          (DlsWindow *self, const char *text);
void     _dls_window_update_actions (DlsWindow *self);
void     _dls_window_open_path      (DlsWindow *self, const char *path); /* volume or project */
void     _dls_window_open_volume    (DlsWindow *self, const char *path); /* NULL: the sample */
void     _dls_window_set_position   (DlsWindow *self, int z, int y, int x);
void     _dls_window_set_contrast   (DlsWindow *self, float lo, float hi);
DlsTrainSettings _dls_window_get_train_settings (DlsWindow *self);
void     _dls_window_set_train_settings (DlsWindow *self, const DlsTrainSettings *s);
void     _dls_window_set_models     (DlsWindow *self, DlsModel **models, int n,
                                     const DlsConformal *conformal, const char *path);
void     _dls_window_predict        (DlsWindow *self);
/* window-train.c */
void     _dls_window_add_train_actions (DlsWindow *self);
gboolean _dls_window_job_running    (DlsWindow *self);
void     _dls_window_live_poke      (DlsWindow *self); /* labels changed */
/* FALSE (and a message) when a prediction of K classes would not fit the memory budget */
gboolean _dls_window_training_fits  (DlsWindow *self, int K, GError **error);
/* The line under Train, before a job: what the labels allow */
void     _dls_window_update_train_hint (DlsWindow *self);
void     _dls_window_draw_loss_plot (GtkDrawingArea *area, cairo_t *cr, int w, int h,
                                     gpointer data);
/* window-project.c */
void     _dls_window_add_project_actions (DlsWindow *self);
void     _dls_window_apply_project  (DlsWindow *self, DlsProject *project);
gboolean _dls_window_open_project   (DlsWindow *self, const char *path);
void     _dls_window_volume_loaded  (DlsWindow *self);

G_END_DECLS
