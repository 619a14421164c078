/* SPDX-License-Identifier: MIT
 *
 * test-window.c: the application and its main window, driven the way a user would through
 * actions, on a real display (Xvfb in CI).  Each test runs the application for real
 * (g_application_run() with no arguments: register, startup, activate, shutdown) and runs its
 * body from the main loop once the main window has been drawn; a body iterates the main context
 * until what it waits for has happened, and app.quit ends the run.  Windows are rendered to PNG
 * through the same code as --screenshot and their pixels checked, and the dlsia-studio binary
 * (path in $DLSIA_STUDIO) is run to check --screenshot, its errors and its exit status.
 *
 * Without a display the program exits 77, which meson counts as skipped.  It does not test the
 * look of the window beyond "has a header bar and is not blank": pictures are for people.
 */
#include "config.h"

#include "sparse-tiff.h"
#include "tmpdir.h"

#include "application.h"
#include "canvas.h"
#include "engine-summary.h"
#include "engine.h"
#include "explorer.h"
#include "labels-file.h"
#include "preferences.h"
#include "window-private.h"
#include "safetensors.h"
#include "screenshot.h"
#include "synth.h"
#include "tiff.h"
#include "window.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct _Fixture Fixture;
typedef void (*TestBody) (Fixture *f);

typedef struct
{
  TestBody prepare; /* before the application runs, or NULL */
  TestBody body;    /* while it runs, with its main window drawn */
} TestCase;

struct _Fixture
{
  const TestCase *test;
  DlsApplication *app;
  DlsWindow *window;   /* the main window, with a reference of the test's own */
  GSettings *settings; /* the application's keys on the same (memory) backend */
  char *tmpdir;
  gboolean body_done;
};

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until cond holds; fails after 20 s (or `seconds`) instead of
 * hanging. */
#define WAIT_FOR(cond) WAIT_FOR_SECONDS (cond, 20)
#define WAIT_FOR_SECONDS(cond, seconds)                                           \
  G_STMT_START                                                                    \
  {                                                                               \
    gboolean timed_out_ = FALSE;                                                  \
    guint timeout_id_ = g_timeout_add_seconds (seconds, timeout_cb, &timed_out_); \
    while (!(cond) && !timed_out_)                                                \
      g_main_context_iteration (NULL, TRUE);                                      \
    if (!timed_out_)                                                              \
      g_source_remove (timeout_id_);                                              \
    g_assert_true (cond);                                                         \
  }                                                                               \
  G_STMT_END

static void
iterate_pending (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

/* What dls_screenshot_capture() hands over. */
typedef struct
{
  gboolean done;
  GdkTexture *texture;
  GError *error;
} Picture;

static void
picture_clear (Picture *picture)
{
  g_clear_object (&picture->texture);
  g_clear_error (&picture->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Picture, picture_clear)

static void
picture_taken (GtkWidget *widget, GdkTexture *texture, const GError *error, gpointer user_data)
{
  Picture *picture = user_data;

  picture->done = TRUE;
  picture->texture = texture != NULL ? g_object_ref (texture) : NULL;
  picture->error = error != NULL ? g_error_copy (error) : NULL;
}

/* Takes a picture of the widget the way --screenshot does, once it has been drawn. */
static void
take_picture (GtkWidget *widget, Picture *picture)
{
  dls_screenshot_capture (widget, picture_taken, picture);
  WAIT_FOR (picture->done);
}

static void
wait_until_drawn (GtkWidget *widget)
{
  g_auto (Picture) picture = { 0 };

  take_picture (widget, &picture);
  g_assert_no_error (picture.error);
}

static DlsWindow *
find_main_window (DlsApplication *app)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (DLS_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

static gpointer
find_window_of_type (DlsApplication *app, GType type)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      return l->data;
  return NULL;
}


static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->test = data;

  /* The memory backend lives as long as the process: start every test from the defaults. */
  f->settings = g_settings_new (APP_ID);
  g_settings_reset (f->settings, "window-width");
  g_settings_reset (f->settings, "window-height");
  g_settings_reset (f->settings, "window-maximized");

  f->tmpdir = g_dir_make_tmp ("dlsia-gui-XXXXXX", &error);
  g_assert_no_error (error);

  /* Non-unique: a running DLSIA Studio or a test beside this one must not take our calls. */
  f->app = dls_application_new (APP_ID, G_APPLICATION_NON_UNIQUE);
}

/* Runs inside g_application_run(), after activation made the main window. */
static void
run_body (gpointer data)
{
  Fixture *f = data;
  DlsWindow *window;

  g_application_hold (G_APPLICATION (f->app));

  window = find_main_window (f->app);
  g_assert_nonnull (window);
  f->window = g_object_ref (window);
  wait_until_drawn (GTK_WIDGET (f->window));

  f->test->body (f);
  f->body_done = TRUE;

  /* Leave as a user does: app.quit closes every window and ends the run. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "quit", NULL);
  g_application_release (G_APPLICATION (f->app));
}

static void
startup_cb (GApplication *app, Fixture *f)
{
  g_idle_add_once (run_body, f);
}

/* The application runs for real (register, startup, activate, main loop, shutdown), so it ends
 * as it does for users; the test body runs from the main loop once the window is drawn. */
static void
run_test (Fixture *f, gconstpointer data)
{
  int status;

  if (f->test->prepare != NULL)
    f->test->prepare (f);

  g_signal_connect_after (f->app, "startup", G_CALLBACK (startup_cb), f);
  status = g_application_run (G_APPLICATION (f->app), 0, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (f->body_done);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (f->app)));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  iterate_pending ();
  if (f->window != NULL)
    g_assert_finalize_object (f->window);
  g_assert_finalize_object (f->app);
  g_assert_finalize_object (f->settings);

  dls_test_tmpdir_remove (f->tmpdir);
  g_free (f->tmpdir);
}

static gpointer
template_child (DlsWindow *window, const char *name)
{
  gpointer child = gtk_widget_get_template_child (GTK_WIDGET (window), DLS_TYPE_WINDOW, name);

  g_assert_nonnull (child);
  return child;
}

/* ---- the window ---- */

static void
test_window_title (Fixture *f)
{
  AdwWindowTitle *title;
  AdwStatusPage *status_page;
  GtkLabel *engine_label;
  g_autofree char *blas = NULL;
  int width, height;

  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (f->window)), ==, "DLSIA Studio");
  title = template_child (f->window, "window_title");
  g_assert_cmpstr (adw_window_title_get_title (title), ==, "DLSIA Studio");
  g_assert_cmpstr (adw_window_title_get_subtitle (title), ==, "");

  status_page = template_child (f->window, "status_page");
  g_assert_cmpstr (adw_status_page_get_title (status_page), ==, "Open a Volume");
  g_assert_nonnull (strstr (adw_status_page_get_description (status_page), "TIFF stack"));

  /* The start page reports the engine as the library sees it. */
  engine_label = template_child (f->window, "engine_label");
  blas = g_strdup_printf ("OpenBLAS %s", dls_engine_blas_corename ());
  g_assert_nonnull (strstr (gtk_label_get_text (engine_label), blas));

  gtk_window_get_default_size (GTK_WINDOW (f->window), &width, &height);
  g_assert_cmpint (width, ==, 1280);
  g_assert_cmpint (height, ==, 800);
  g_assert_true (dls_window_get_settings (f->window) == dls_application_get_settings (f->app));
}

static void
collect_menu_actions (GMenuModel *model, GPtrArray *actions)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autoptr (GMenuModel) section = NULL;
      char *action = NULL;

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &action))
        g_ptr_array_add (actions, action);
      section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);
      if (section != NULL)
        collect_menu_actions (section, actions);
      g_clear_object (&section);
      section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SUBMENU);
      if (section != NULL)
        collect_menu_actions (section, actions);
    }
}

static void
test_window_primary_menu (Fixture *f)
{
  g_autoptr (GPtrArray) actions = g_ptr_array_new_with_free_func (g_free);
  GtkMenuButton *button = template_child (f->window, "primary_menu_button");

  g_assert_true (gtk_menu_button_get_primary (button));
  collect_menu_actions (gtk_menu_button_get_menu_model (button), actions);
  g_ptr_array_add (actions, NULL);
  g_assert_cmpstrv (actions->pdata,
                    ((const char *const[]){
                        "win.open", "win.open-folder", "win.open-sample", "win.save-project",
                        "win.save-project-as", "win.save-labels", "win.load-model",
                        "win.save-model", "win.explore", "win.export", "win.export", "win.export",
                        "win.export", "app.preferences", "win.show-help-overlay", "app.about",
                        "app.quit", NULL }));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (f->app), "about"));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (f->app), "quit"));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (f->window), "show-help-overlay"));
}

/* ---- opening, painting, training ---- */

typedef struct
{
  gboolean done, ok;
} Load;

static void
on_load_finished (DlsWindow *window, gboolean ok, gpointer data)
{
  Load *load = data;

  load->done = TRUE;
  load->ok = ok;
}

/* Opens a file as File › Open would and waits until the window has it (or gave up). */
static gboolean
open_and_wait (Fixture *f, const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  Load load = { 0 };
  gulong id = g_signal_connect (f->window, "load-finished", G_CALLBACK (on_load_finished), &load);

  dls_window_set_image_file (f->window, file);
  WAIT_FOR (load.done);
  g_signal_handler_disconnect (f->window, id);
  return load.ok;
}

/* A synthetic fibre volume (uint16) of Z × Y × X in the test's folder; its sparse labels too
 * when labels_out is given. */
static char *
make_volume (Fixture *f, const char *name, int Z, int Y, int X, guint8 **labels_out)
{
  g_autofree char *path = g_build_filename (f->tmpdir, name, NULL);
  gsize n = (gsize) Z * Y * X;
  g_autofree guint16 *volume = g_new (guint16, n);
  g_autofree guint8 *truth = g_new (guint8, n);
  guint8 *sparse = g_new (guint8, n);
  g_autoptr (GError) error = NULL;

  g_assert_true (dls_synth_fibers (&(DlsSynthFibersArgs){ Z, Y, X, 3, 0 }, volume, truth, sparse,
                                   &error));
  g_assert_true (dls_tiff_write_u16 (path, volume, Z, Y, X, &error));
  g_assert_no_error (error);
  if (labels_out != NULL)
    *labels_out = sparse;
  else
    g_free (sparse);
  return g_steal_pointer (&path);
}

static void
test_window_open_image (Fixture *f)
{
  g_autofree char *bad = g_build_filename (f->tmpdir, "notes.tif", NULL);
  g_autofree char *path = make_volume (f, "volume.tif", 8, 48, 40, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  AdwWindowTitle *title = template_child (f->window, "window_title");
  GtkStack *stack = template_child (f->window, "stack");
  DlsDocument *doc;
  int Z, Y, X;

  /* not an image: the start page stays, nothing is opened */
  g_assert_true (g_file_set_contents (bad, "not a TIFF", -1, &error));
  g_assert_false (open_and_wait (f, bad));
  g_assert_null (dls_window_get_document (f->window));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "start");
  g_assert_cmpstr (adw_window_title_get_subtitle (title), ==, "");

  /* As a second `dlsia-studio volume.tif` would: the running window takes the image. */
  {
    Load load = { 0 };
    gulong id
        = g_signal_connect (f->window, "load-finished", G_CALLBACK (on_load_finished), &load);

    g_application_open (G_APPLICATION (f->app), &file, 1, "");
    g_assert_true (find_main_window (f->app) == f->window);
    WAIT_FOR (load.done);
    g_signal_handler_disconnect (f->window, id);
    g_assert_true (load.ok);
  }
  doc = dls_window_get_document (f->window);
  g_assert_nonnull (doc);
  dls_document_get_size (doc, &Z, &Y, &X);
  g_assert_cmpint (Z, ==, 8);
  g_assert_cmpint (Y, ==, 48);
  g_assert_cmpint (X, ==, 40);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "work");
  g_assert_cmpstr (adw_window_title_get_subtitle (title), ==, "volume.tif — 40 × 48 × 8, uint16");
  g_assert_true (g_file_equal (dls_window_get_image_file (f->window), file));
}

/* Labels of another size beside the volume: the volume opens with empty labels, the file is
 * left alone, and the user is told why. */
static void
test_window_labels_wrong_size (Fixture *f)
{
  g_autofree char *path = make_volume (f, "v.tif", 8, 32, 32, NULL);
  g_autofree char *labels = g_build_filename (f->tmpdir, "v.labels.tif", NULL);
  g_autofree guint8 *small = g_new0 (guint8, 8 * 16 * 16);
  g_autofree char *before = NULL, *after = NULL;
  gsize len_before, len_after;
  g_autoptr (GError) error = NULL;
  DlsDocument *doc;

  small[5] = 1;
  g_assert_true (dls_labels_file_save (labels, small, 8, 16, 16, &error));
  g_assert_true (g_file_get_contents (labels, &before, &len_before, NULL));
  g_assert_true (open_and_wait (f, path));
  doc = dls_window_get_document (f->window);
  g_assert_nonnull (dls_document_get_labels_warning (doc));
  g_assert_nonnull (strstr (dls_document_get_labels_warning (doc), "16"));
  g_assert_cmpint (dls_document_count_labelled (doc, NULL, 0), ==, 0);
  /* new labels go to a file of their own */
  g_assert_true (g_str_has_suffix (dls_document_get_labels_path (doc), "v.labels-2.tif"));
  g_assert_true (g_file_get_contents (labels, &after, &len_after, NULL));
  g_assert_cmpmem (before, len_before, after, len_after);
}

/* The first toplevel of the type (dialogs are not the application's windows), or NULL. */
static gpointer
find_toplevel_of_type (GType type)
{
  GListModel *tops = gtk_window_get_toplevels (); /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (tops, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
        return w;
    }
  return NULL;
}

/* A volume whose document would not fit the memory budget (a sparse BigTIFF of 10 GiB, 110 GiB
 * as a document) is refused before it is read: the start page stays and a dialog says why and
 * what to do.  With $DLSIA_TEST_PICTURES set, the dialog is saved there as over-budget.png. */
static void
test_window_over_budget (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->tmpdir, "big.tif", NULL);
  GtkStack *stack = template_child (f->window, "stack");
  AdwMessageDialog *dialog = NULL;
  const char *body;

  dls_test_write_sparse_bigtiff (path, 1280, 2048, 2048);
  g_setenv ("DLSIA_MEMORY_BUDGET", "4G", TRUE);
  g_assert_false (open_and_wait (f, path));
  g_unsetenv ("DLSIA_MEMORY_BUDGET");
  g_assert_null (dls_window_get_document (f->window));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "start");
  /* a dialog, not a toast: the message is long and says what to do */
  WAIT_FOR ((dialog = find_toplevel_of_type (ADW_TYPE_MESSAGE_DIALOG)) != NULL
            && gtk_widget_get_mapped (GTK_WIDGET (dialog)));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Volume Too Large");
  body = adw_message_dialog_get_body (dialog);
  g_assert_true (g_str_has_prefix (body, "“big.tif” (1280 × 2048 × 2048 voxels) as float32, "
                                         "with labels and a prediction, needs 110.0"));
  g_assert_nonnull (strstr (body, "4.0"));
  g_assert_nonnull (strstr (body, "dlsia predict"));
  g_assert_true (adw_message_dialog_has_response (dialog, "preferences"));
  if (g_getenv ("DLSIA_TEST_PICTURES") != NULL)
    {
      g_autofree char *png
          = g_build_filename (g_getenv ("DLSIA_TEST_PICTURES"), "over-budget.png", NULL);
      g_auto (Picture) picture = { 0 };
      g_autoptr (GError) error = NULL;

      take_picture (GTK_WIDGET (dialog), &picture);
      g_assert_no_error (picture.error);
      dls_screenshot_save_texture (picture.texture, png, &error);
      g_assert_no_error (error);
    }
  /* its Preferences button opens the preferences, where the budget is */
  adw_message_dialog_response (dialog, "preferences");
  gtk_window_destroy (GTK_WINDOW (dialog));
  WAIT_FOR (find_toplevel_of_type (DLS_TYPE_PREFERENCES_WINDOW) != NULL);
  gtk_window_destroy (find_toplevel_of_type (DLS_TYPE_PREFERENCES_WINDOW));
  iterate_pending ();
  g_assert_null (find_toplevel_of_type (ADW_TYPE_MESSAGE_DIALOG));
}

static void
test_window_open_sample (Fixture *f)
{
  Load load = { 0 };
  gulong id = g_signal_connect (f->window, "load-finished", G_CALLBACK (on_load_finished), &load);
  DlsDocument *doc;
  int Z, Y, X;

  g_action_group_activate_action (G_ACTION_GROUP (f->window), "open-sample", NULL);
  WAIT_FOR_SECONDS (load.done, 120);
  g_signal_handler_disconnect (f->window, id);
  g_assert_true (load.ok);
  doc = dls_window_get_document (f->window);
  dls_document_get_size (doc, &Z, &Y, &X);
  g_assert_cmpint (Z, ==, 128);
  g_assert_cmpint (Y, ==, 256);
  g_assert_cmpint (X, ==, 256);
  g_assert_cmpstr (dls_document_get_class_name (doc, 1), ==, "Matrix");
  g_assert_cmpstr (dls_document_get_class_name (doc, 2), ==, "Fibre");
  /* the sample comes with its sparse labels, and the line under Train says so */
  g_assert_cmpint (dls_document_get_restored_labels (doc), >, 1000);
  g_assert_nonnull (strstr (gtk_label_get_text (template_child (f->window, "train_label")),
                            "labelled pixels in 2 classes: ready to train."));
}

/* A volume opened against the memory budget with two classes' prediction: training with more
 * classes than the budget holds a prediction of is refused, with a message, before it starts. */
static void
test_window_classes_over_budget (Fixture *f)
{
  g_autofree char *path = make_volume (f, "classes.tif", 8, 32, 32, NULL);
  g_autoptr (GError) error = NULL;
  DlsWindow *w = f->window;
  DlsDocument *doc;
  guint8 *labels;
  g_autofree char *m = NULL;

  g_assert_true (open_and_wait (f, path));
  doc = dls_window_get_document (w);
  labels = dls_document_get_labels (doc);
  memset (labels, 0, 8 * 32 * 32);
  labels[0] = 1;
  labels[1] = 2;
  dls_document_labels_changed (doc, 0, 1);
  while (dls_document_get_n_classes (doc) < 10)
    dls_document_add_class (doc, "More", 0x808080);
  /* 8192 voxels: 22 bytes each with two classes (176 KiB), 54 with ten (432 KiB) */
  g_setenv ("DLSIA_MEMORY_BUDGET", "300K", TRUE);
  g_assert_true (_dls_window_training_fits (w, 2, &error));
  g_assert_false (_dls_window_training_fits (w, 10, &error));
  m = g_strdup (error->message);
  g_action_group_activate_action (G_ACTION_GROUP (w), "train", NULL);
  g_unsetenv ("DLSIA_MEMORY_BUDGET");
  g_assert_null (w->job);
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (w), "cancel-train"));
  g_assert_true (g_str_has_prefix (m, "Training and predicting 10 classes on “classes.tif” needs "
                                      "432.0"));
  g_assert_nonnull (strstr (m, "use fewer classes"));
}

/* A failing autosave is said once per failing run, in a toast that stays and follows the latest
 * error; after a save that works, a new failure is said again. */
static void
test_window_autosave_error (Fixture *f)
{
  g_autofree char *path = make_volume (f, "full.tif", 8, 32, 32, NULL);
  g_autoptr (GError) full = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NO_SPACE, "disk full");
  g_autoptr (GError) still = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NO_SPACE, "still full");
  DlsWindow *w = f->window;
  DlsDocument *doc;
  AdwToast *toast;

  g_assert_true (open_and_wait (f, path));
  doc = dls_window_get_document (w);
  g_signal_emit_by_name (doc, "autosaved", full);
  toast = w->save_error_toast;
  g_assert_nonnull (toast);
  g_assert_cmpstr (adw_toast_get_title (toast), ==, "Labels not saved: disk full");
  g_assert_cmpuint (adw_toast_get_timeout (toast), ==, 0);
  /* the next failure changes the text of the same toast */
  g_signal_emit_by_name (doc, "autosaved", still);
  g_assert_true (w->save_error_toast == toast);
  g_assert_cmpstr (adw_toast_get_title (toast), ==, "Labels not saved: still full");
  /* dismissed, it does not come back while saves keep failing */
  adw_toast_dismiss (toast);
  g_assert_null (w->save_error_toast);
  g_signal_emit_by_name (doc, "autosaved", full);
  g_assert_null (w->save_error_toast);
  /* a save that works ends the run; the next failure is said again */
  g_signal_emit_by_name (doc, "autosaved", NULL);
  g_assert_false (w->save_failing);
  g_signal_emit_by_name (doc, "autosaved", full);
  g_assert_nonnull (w->save_error_toast);
  g_assert_true (w->save_failing);
}

/* The training fields whose 0 means "the default" or "no limit" say so, and take the words
 * back as 0. */
static void
test_window_zero_spins (Fixture *f)
{
  GtkSpinButton *layers = template_child (f->window, "layers_spin");
  GtkSpinButton *time = template_child (f->window, "time_spin");

  gtk_spin_button_set_value (layers, 0);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (layers)), ==, "Default");
  gtk_spin_button_set_value (layers, 12);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (layers)), ==, "12");
  gtk_editable_set_text (GTK_EDITABLE (layers), " default ");
  gtk_spin_button_update (layers);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (layers), ==, 0);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (layers)), ==, "Default");
  gtk_editable_set_text (GTK_EDITABLE (layers), "7");
  gtk_spin_button_update (layers);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (layers), ==, 7);
  g_assert_cmpfloat (gtk_adjustment_get_value (template_child (f->window, "layers_adjustment")),
                     ==, 7);

  gtk_spin_button_set_value (time, 0);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (time)), ==, "No limit");
  gtk_spin_button_set_value (time, 30);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (time)), ==, "30");
  gtk_editable_set_text (GTK_EDITABLE (time), "No limit");
  gtk_spin_button_update (time);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (time), ==, 0);
}

/* The pixels of a widget as GTK draws it: width × height cairo ARGB32. */
static guint32 *
widget_pixels (GtkWidget *widget, int *width, int *height)
{
  g_auto (Picture) picture = { 0 };
  guint32 *pixels;

  gtk_widget_queue_draw (widget);
  take_picture (widget, &picture);
  g_assert_no_error (picture.error);
  *width = gdk_texture_get_width (picture.texture);
  *height = gdk_texture_get_height (picture.texture);
  pixels = g_new (guint32, (gsize) *width * *height);
  gdk_texture_download (picture.texture, (guchar *) pixels, (gsize) *width * 4);
  return pixels;
}

/* With DLSIA_GUI_PICTURES=DIR the workflow leaves pictures of the window there, for people to
 * look at (they are not checked). */
static void
keep_widget_picture (GtkWidget *widget, const char *name)
{
  const char *dir = g_getenv ("DLSIA_GUI_PICTURES");
  g_auto (Picture) picture = { 0 };
  g_autofree char *path = NULL;

  if (dir == NULL)
    return;
  path = g_build_filename (dir, name, NULL);
  gtk_widget_queue_draw (widget);
  take_picture (widget, &picture);
  g_assert_no_error (picture.error);
  g_assert_true (dls_screenshot_save_texture (picture.texture, path, NULL));
}

static void
keep_picture (Fixture *f, const char *name)
{
  keep_widget_picture (GTK_WIDGET (f->window), name);
}

static double
fraction_different (const guint32 *a, const guint32 *b, int n)
{
  int d = 0;

  for (int i = 0; i < n; i++)
    d += a[i] != b[i];
  return (double) d / n;
}

static gboolean
action_enabled (Fixture *f, const char *name)
{
  return g_action_group_get_action_enabled (G_ACTION_GROUP (f->window), name);
}

static gboolean
prediction_complete (DlsDocument *doc)
{
  DlsPrediction *p = dls_document_get_prediction (doc);

  if (p == NULL)
    return FALSE;
  for (int z = 0; z < p->depth; z++)
    if (!dls_prediction_slice_done (p, z))
      return FALSE;
  return TRUE;
}

/* The first hour of a user, through the window's actions and the canvas: paint two classes,
 * undo and redo, train, see the overlays, save the labels, reopen and find them again. */
static void
test_window_workflow (Fixture *f)
{
  g_autofree char *path = make_volume (f, "fibres.tif", 8, 64, 64, NULL);
  g_autofree char *labels_path = g_build_filename (f->tmpdir, "fibres.labels.tif", NULL);
  g_autofree char *project_path = g_build_filename (f->tmpdir, "fibres.dlsia.json", NULL);
  g_autofree char *model_path = g_build_filename (f->tmpdir, "fibres.smsnet.json", NULL);
  g_autofree guint32 *none = NULL, *seg = NULL, *unc = NULL, *hidden = NULL;
  g_autofree char *legend = NULL;
  g_autofree guint8 *painted = NULL;
  GtkDropDown *overlay = template_child (f->window, "overlay_dropdown");
  DlsDocument *doc;
  GtkWidget *canvas;
  GtkLabel *hint;
  guint8 *labels;
  int w, h, w2, h2;
  gsize hw = 64 * 64, at_1 = 4 * hw + 30 * 64 + 5, at_2 = 4 * hw + 30 * 64 + 40;

  g_assert_true (open_and_wait (f, path));
  doc = dls_window_get_document (f->window);
  canvas = dls_window_get_canvas (f->window, DLS_AXIS_Z);
  labels = dls_document_get_labels (doc);
  hint = template_child (f->window, "train_label");
  g_assert_false (action_enabled (f, "undo"));
  g_assert_cmpstr (gtk_label_get_text (hint), ==,
                   "Paint labels of at least two classes, then train.");

  /* two strokes on the middle slice (z = 4), one per class; the line under Train follows
   * once painting pauses */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "class", g_variant_new_int32 (1));
  dls_canvas_stroke (DLS_CANVAS (canvas), (const double[]){ 5.5, 4.5, 5.5, 60.5 }, 2);
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "class", g_variant_new_int32 (2));
  dls_canvas_stroke (DLS_CANVAS (canvas), (const double[]){ 40.5, 4.5, 40.5, 60.5 }, 2);
  WAIT_FOR (strstr (gtk_label_get_text (hint), "ready to train") != NULL);
  g_assert_true (g_str_has_suffix (gtk_label_get_text (hint),
                                   "labelled pixels in 2 classes: ready to train."));
  g_assert_cmpint (g_ascii_strtoll (gtk_label_get_text (hint), NULL, 10), ==,
                   dls_document_count_labelled (doc, NULL, 0));
  g_assert_cmpuint (labels[at_1], ==, 1);
  g_assert_cmpuint (labels[at_2], ==, 2);
  g_assert_cmpuint (labels[4 * hw + 30 * 64 + 20], ==, 0);
  g_assert_cmpuint (labels[3 * hw + 30 * 64 + 40], ==, 0);
  g_assert_true (action_enabled (f, "undo"));

  /* undo takes back the last stroke only; redo brings it back */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "undo", NULL);
  g_assert_cmpuint (labels[at_2], ==, 0);
  g_assert_cmpuint (labels[at_1], ==, 1);
  g_assert_true (action_enabled (f, "redo"));
  WAIT_FOR (strstr (gtk_label_get_text (hint), "at least two classes") != NULL);
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "redo", NULL);
  g_assert_cmpuint (labels[at_2], ==, 2);
  WAIT_FOR (strstr (gtk_label_get_text (hint), "ready to train") != NULL);
  painted = dls_document_copy_labels (doc);

  /* a tiny model: one member, one epoch */
  gtk_adjustment_set_value (template_child (f->window, "members_adjustment"), 1);
  gtk_adjustment_set_value (template_child (f->window, "epochs_adjustment"), 1);
  gtk_adjustment_set_value (template_child (f->window, "time_adjustment"), 0);
  g_assert_false (action_enabled (f, "save-model"));
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "train", NULL);
  g_assert_true (action_enabled (f, "cancel-train"));
  WAIT_FOR_SECONDS (prediction_complete (doc) && action_enabled (f, "train"), 300);
  g_assert_cmpint (dls_document_get_prediction (doc)->K, ==, 2);
  g_assert_true (action_enabled (f, "save-model"));

  /* the overlays change what the canvas shows, at the size it is shown */
  gtk_drop_down_set_selected (overlay, DLS_OVERLAY_NONE);
  none = widget_pixels (canvas, &w, &h);
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "overlay-segmentation", NULL);
  g_assert_cmpuint (gtk_drop_down_get_selected (overlay), ==, DLS_OVERLAY_SEGMENTATION);
  seg = widget_pixels (canvas, &w2, &h2);
  g_assert_cmpint (w, ==, w2);
  g_assert_cmpint (h, ==, h2);
  /* the image fills most of the canvas, and every predicted pixel gets a class colour */
  g_assert_cmpfloat (fraction_different (none, seg, w * h), >, 0.3);
  keep_picture (f, "workflow-segmentation.png");
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "overlay-uncertainty", NULL);
  unc = widget_pixels (canvas, &w2, &h2);
  g_assert_cmpfloat (fraction_different (none, unc, w * h), >, 0.3);
  g_assert_cmpfloat (fraction_different (seg, unc, w * h), >, 0.3);
  keep_picture (f, "workflow-uncertainty.png");
  legend = dls_canvas_describe_overlay (DLS_CANVAS (canvas));
  g_assert_true (g_str_has_prefix (legend, "Margin"));
  /* pressing u again hides it */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "overlay-uncertainty", NULL);
  g_assert_cmpuint (gtk_drop_down_get_selected (overlay), ==, DLS_OVERLAY_NONE);
  /* h hides the labels: the strokes' pixels change */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "show-labels", NULL);
  hidden = widget_pixels (canvas, &w2, &h2);
  g_assert_cmpfloat (fraction_different (none, hidden, w * h), >, 0.005);

  /* the class map exports as a TIFF the size of the volume */
  {
    g_autofree char *out = g_build_filename (f->tmpdir, "classes.tif", NULL);
    g_autoptr (GError) error = NULL;
    g_auto (DlsTiffInfo) info = { 0 };
    g_autofree float *map = NULL;

    g_assert_true (dls_window_export_classes (f->window, out, &error));
    g_assert_no_error (error);
    map = dls_tiff_read_volume (out, &info, &error);
    g_assert_no_error (error);
    g_assert_cmpint (info.depth, ==, 8);
    for (gsize i = 0; i < 8 * hw; i++)
      g_assert_true (map[i] == 1 || map[i] == 2);
  }

  /* the other exports */
  {
    g_autofree char *probs = g_build_filename (f->tmpdir, "p.tif", NULL);
    g_autofree char *unc_path = g_build_filename (f->tmpdir, "u.tif", NULL);
    g_autoptr (GError) error = NULL;
    g_auto (DlsTiffInfo) info = { 0 };
    g_autofree float *pv = NULL;

    g_assert_true (dls_window_export_probabilities (f->window, probs, &error));
    g_assert_no_error (error);
    pv = dls_tiff_read_volume (probs, &info, &error);
    g_assert_no_error (error);
    /* two pages per slice, summing to one */
    g_assert_cmpint (info.depth, ==, 16);
    for (gsize i = 0; i < hw; i++)
      g_assert_cmpfloat_with_epsilon (pv[i] + pv[hw + i], 1.0, 1e-4);
    g_assert_true (dls_window_export_uncertainty (f->window, unc_path, &error));
    g_assert_no_error (error);
    g_assert_false (dls_window_export_classes (f->window, "/nonexistent/dir/c.tif", &error));
    g_assert_nonnull (error);
  }

  /* rename a class, save the project (labels, model, settings), open it again: all back */
  dls_document_set_class_name (doc, 2, "Fibre");
  gtk_drop_down_set_selected (overlay, DLS_OVERLAY_PREDICTION);
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "save-project", NULL);
  g_assert_true (g_file_test (labels_path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (project_path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (model_path, G_FILE_TEST_EXISTS));
  gtk_drop_down_set_selected (overlay, DLS_OVERLAY_NONE);
  g_assert_true (open_and_wait (f, project_path));
  g_assert_true (dls_window_get_document (f->window) != doc);
  doc = dls_window_get_document (f->window);
  g_assert_cmpmem (dls_document_get_labels (doc), 8 * hw, painted, 8 * hw);
  g_assert_cmpstr (dls_document_get_class_name (doc, 2), ==, "Fibre");
  g_assert_cmpuint (gtk_drop_down_get_selected (overlay), ==, DLS_OVERLAY_PREDICTION);
  /* the saved model predicts the volume again, without training */
  WAIT_FOR_SECONDS (prediction_complete (doc) && action_enabled (f, "train"), 300);
  g_assert_true (action_enabled (f, "save-model"));
}

/* A project whose volume is not there: nothing opens without the user's say. */
static void
test_window_project_moved (Fixture *f)
{
  g_autofree char *path = make_volume (f, "gone.tif", 8, 32, 32, NULL);
  g_autofree char *project = g_build_filename (f->tmpdir, "gone.dlsia.json", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (open_and_wait (f, path));
  g_assert_true (dls_window_save_project (f->window, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (project, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_unlink (path), ==, 0);
  {
    g_autoptr (GFile) file = g_file_new_for_path (project);

    dls_window_set_image_file (f->window, file);
  }
  iterate_pending ();
  /* the question is asked (a dialog), the open volume stays */
  {
    GListModel *tops = gtk_window_get_toplevels (); /* transfer none */
    GtkWindow *dialog = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
      {
        g_autoptr (GObject) w = g_list_model_get_item (tops, i);

        if (ADW_IS_MESSAGE_DIALOG (w))
          dialog = GTK_WINDOW (w);
      }
    g_assert_nonnull (dialog);
    g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                              "gone.tif"));
    g_assert_false (dls_window_is_loading (f->window));
    gtk_window_destroy (dialog);
  }
  iterate_pending ();
  /* a corrupt project: a message, nothing else */
  g_assert_true (g_file_set_contents (project, "{\"format\": 9}", -1, NULL));
  {
    g_autoptr (GFile) file = g_file_new_for_path (project);

    dls_window_set_image_file (f->window, file);
  }
  g_assert_false (dls_window_is_loading (f->window));
  g_assert_nonnull (dls_window_get_document (f->window));
}

/* Painting in the XZ view writes the voxels of the volume that view shows. */
static void
test_window_paint_xz (Fixture *f)
{
  g_autofree char *path = make_volume (f, "xz.tif", 8, 32, 40, NULL);
  DlsDocument *doc;
  GtkWidget *xz, *yz;
  guint8 *labels;
  int pos_y = 16, pos_x = 20; /* the views cut the middle */

  g_assert_true (open_and_wait (f, path));
  doc = dls_window_get_document (f->window);
  labels = dls_document_get_labels (doc);
  xz = dls_window_get_canvas (f->window, DLS_AXIS_Y);
  yz = dls_window_get_canvas (f->window, DLS_AXIS_X);
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "class", g_variant_new_int32 (2));
  /* XZ: plane x = x, plane y = z */
  dls_canvas_stroke (DLS_CANVAS (xz), (const double[]){ 3.5, 2.5 }, 1);
  /* YZ stands beside XY: plane x = z, plane y = y */
  dls_canvas_stroke (DLS_CANVAS (yz), (const double[]){ 5.5, 9.5 }, 1);
  g_assert_cmpuint (labels[(2 * 32 + pos_y) * 40 + 3], ==, 2);
  g_assert_cmpuint (labels[(5 * 32 + 9) * 40 + pos_x], ==, 2);
  g_assert_cmpint (dls_document_count_labelled (doc, NULL, 0), ==, 2 * 5 * 5 - 2 * 4);
  /* one undo step each */
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "undo", NULL);
  g_assert_cmpuint (labels[(5 * 32 + 9) * 40 + pos_x], ==, 0);
  g_assert_cmpuint (labels[(2 * 32 + pos_y) * 40 + 3], ==, 2);
}

static void
prepare_restore_state (Fixture *f)
{
  g_settings_set_int (f->settings, "window-width", 1000);
  g_settings_set_int (f->settings, "window-height", 700);
}

static void
test_window_restore_state (Fixture *f)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (f->window), &width, &height);
  g_assert_cmpint (width, ==, 1000);
  g_assert_cmpint (height, ==, 700);
}

static void
test_window_close_saves_state (Fixture *f)
{
  GSettings *settings;
  g_auto (GStrv) accels = NULL;

  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 600);

  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app), "window.close");
  g_assert_cmpstrv (accels, ((const char *const[]){ "<Control>w", NULL }));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "window.close", NULL));
  WAIT_FOR (find_main_window (f->app) == NULL);

  /* Saved through the application's settings, read back through the test's. */
  settings = f->settings;

  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 900);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 600);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));
}

/* ---- actions ---- */

static void
collect_accelerators (GtkWidget *widget, GPtrArray *accels)
{
  if (GTK_IS_SHORTCUT_LABEL (widget))
    {
      const char *accel = gtk_shortcut_label_get_accelerator (GTK_SHORTCUT_LABEL (widget));
      if (accel != NULL && *accel != '\0')
        g_ptr_array_add (accels, g_strdup (accel));
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_accelerators (child, accels);
}

static gboolean
strv_contains_any (GPtrArray *array, const char *a, const char *b)
{
  for (guint i = 0; i < array->len; i++)
    if (g_strstr_len (g_ptr_array_index (array, i), -1, a) != NULL
        || (b != NULL && g_strstr_len (g_ptr_array_index (array, i), -1, b) != NULL))
      return TRUE;
  return FALSE;
}

static void
test_action_help_overlay (Fixture *f)
{
  g_autoptr (GPtrArray) accels = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) overlay_accels = NULL;
  GtkShortcutsWindow *overlay;

  overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (f->window));
  g_assert_nonnull (overlay);
  overlay_accels
      = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app), "win.show-help-overlay");
  g_assert_true (g_strv_contains ((const char *const *) overlay_accels, "<Control>question"));

  g_assert_true (
      gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-help-overlay", NULL));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (overlay)));

  /* The overlay lists the shortcuts the application really sets. */
  collect_accelerators (GTK_WIDGET (overlay), accels);
  g_assert_true (strv_contains_any (accels, "<Control>q", "<Primary>q"));
  g_assert_true (strv_contains_any (accels, "<Control>w", "<Primary>w"));
  g_assert_true (strv_contains_any (accels, "<Control>question", "<Primary>question"));
  g_assert_true (strv_contains_any (accels, "F11", NULL));

  gtk_window_close (GTK_WINDOW (overlay));
  WAIT_FOR (!gtk_widget_get_visible (GTK_WIDGET (overlay)));
}

static void
test_action_about (Fixture *f)
{
  AdwAboutWindow *about;

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "about", NULL);
  about = find_window_of_type (f->app, ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (about);
  g_object_add_weak_pointer (G_OBJECT (about), (gpointer *) &about);
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (about)));

  g_assert_cmpstr (adw_about_window_get_application_name (about), ==, "DLSIA Studio");
  g_assert_cmpstr (adw_about_window_get_version (about), ==, PACKAGE_VERSION);
  g_assert_cmpstr (adw_about_window_get_developer_name (about), ==, "DLSIA Studio developers");
  g_assert_cmpint (adw_about_window_get_license_type (about), ==, GTK_LICENSE_MIT_X11);
  g_assert_cmpstr (adw_about_window_get_application_icon (about), ==, APP_ID);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (about)) == GTK_WINDOW (f->window));

  gtk_window_close (GTK_WINDOW (about));
  WAIT_FOR (about == NULL);
}

static void
test_action_fullscreen (Fixture *f)
{
  g_auto (GStrv) accels = NULL;

  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app), "win.fullscreen");
  g_assert_cmpstrv (accels, ((const char *const[]){ "F11", NULL }));

  /* Whether the window really goes fullscreen is up to the window manager (Xvfb has none);
   * the action must exist and toggle without complaint. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.fullscreen", NULL));
  iterate_pending ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.fullscreen", NULL));
  iterate_pending ();
}

static void
test_action_quit (Fixture *f)
{
  GSettings *settings = dls_application_get_settings (f->app);
  g_auto (GStrv) accels = NULL;

  gtk_window_set_default_size (GTK_WINDOW (f->window), 1100, 650);

  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app), "app.quit");
  g_assert_cmpstrv (accels, ((const char *const[]){ "<Control>q", NULL }));

  /* Quitting closes every window, which saves its state. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "quit", NULL);
  WAIT_FOR (gtk_application_get_windows (GTK_APPLICATION (f->app)) == NULL);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 1100);
}

/* ---- pictures ---- */

typedef struct
{
  guint8 r, g, b, a;
} Rgba;

/* The mean colour of a rectangle of CAIRO_FORMAT_ARGB32 pixels (native-endian 32-bit words,
 * premultiplied: the same as straight alpha where opaque). */
static Rgba
mean_colour (const guint8 *pixels, gsize stride, int x0, int y0, int x1, int y1)
{
  guint64 sum[4] = { 0 };
  guint64 n = (guint64) (x1 - x0) * (guint64) (y1 - y0);
  Rgba mean;

  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        guint32 p;
        memcpy (&p, pixels + y * stride + x * 4, 4);
        sum[0] += (p >> 16) & 0xff;
        sum[1] += (p >> 8) & 0xff;
        sum[2] += p & 0xff;
        sum[3] += p >> 24;
      }
  mean.r = sum[0] / n;
  mean.g = sum[1] / n;
  mean.b = sum[2] / n;
  mean.a = sum[3] / n;
  return mean;
}

/* Loads a PNG and checks it is a plausible picture of the main window, of the size given or,
 * when that is negative, of at most minus that size and at least 80 pixels less: the window's
 * widget is its default size less the margins of its client-side frame, and those depend on
 * the windowing system (resize borders on plain X11, shadows under a compositor). */
static void
check_window_png (const char *path, int expected_width, int expected_height)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GHashTable) colours = NULL;
  g_autofree guint8 *pixels = NULL;
  int width, height;
  gsize stride;
  Rgba header, content;
  int diff;

  texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  if (expected_width >= 0)
    {
      g_assert_cmpint (width, ==, expected_width);
      g_assert_cmpint (height, ==, expected_height);
    }
  else
    {
      g_assert_cmpint (width, <=, -expected_width);
      g_assert_cmpint (width, >=, -expected_width - 80);
      g_assert_cmpint (height, <=, -expected_height);
      g_assert_cmpint (height, >=, -expected_height - 80);
    }

  /* GdkTextureDownloader is GTK 4.10; 4.8 has gdk_texture_download (cairo's ARGB32). */
  stride = (gsize) width * 4;
  pixels = g_malloc (stride * height);
  gdk_texture_download (texture, pixels, stride);

  colours = g_hash_table_new (NULL, NULL);
  for (int y = 0; y < height; y += 2)
    for (int x = 0; x < width; x += 2)
      {
        guint32 p;
        memcpy (&p, pixels + y * stride + x * 4, 4);
        g_hash_table_add (colours, GUINT_TO_POINTER (p));
      }
  g_test_message ("%s: %dx%d, %u colours", path, width, height, g_hash_table_size (colours));
  g_assert_cmpuint (g_hash_table_size (colours), >, 16);

  /* A band of the header bar (left of the title, away from the corners) against a band of
   * the start page below the text: both opaque, and of different colours. */
  header = mean_colour (pixels, stride, 40, 12, width / 4, 30);
  content = mean_colour (pixels, stride, 40, height - 60, width / 4, height - 30);
  g_assert_cmpuint (header.a, ==, 255);
  g_assert_cmpuint (content.a, ==, 255);
  diff = ABS (header.r - content.r) + ABS (header.g - content.g) + ABS (header.b - content.b);
  g_test_message ("header %d,%d,%d content %d,%d,%d", header.r, header.g, header.b, content.r,
                  content.g, content.b);
  g_assert_cmpint (diff, >, 6);
}

static void
test_screenshot_render (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->tmpdir, "window.png", NULL);
  g_auto (Picture) picture = { 0 };
  g_autoptr (GError) error = NULL;

  /* GTK drops the window's last render node when it is queued for drawing: the capture must
   * still get a picture, from the next frame. */
  gtk_widget_queue_draw (GTK_WIDGET (f->window));

  take_picture (GTK_WIDGET (f->window), &picture);
  g_assert_no_error (picture.error);
  g_assert_nonnull (picture.texture);

  g_assert_true (dls_screenshot_save_texture (picture.texture, path, &error));
  g_assert_no_error (error);
  check_window_png (path, gtk_widget_get_width (GTK_WIDGET (f->window)),
                    gtk_widget_get_height (GTK_WIDGET (f->window)));

  g_assert_false (dls_screenshot_save_texture (picture.texture, "/nonexistent/dir/x.png", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_screenshot_not_drawn (void)
{
  GtkWidget *label = g_object_ref_sink (gtk_label_new ("never shown"));
  g_autoptr (GError) error = NULL;
  GdkTexture *texture;

  texture = dls_screenshot_render (label, &error);
  g_assert_null (texture);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_assert_finalize_object (label);
}

/* ---- the engine line ---- */

static void
test_engine_summary (void)
{
  g_autofree char *a = dls_engine_summary_format ("avx512", 16, "Haswell");
  g_autofree char *b = dls_engine_summary_format ("generic", 1, NULL);
  g_autofree char *c = dls_engine_summary_new ();

  g_assert_cmpstr (a, ==, "Compute engine: AVX-512 kernels · 16 threads · OpenBLAS Haswell");
  g_assert_cmpstr (b, ==, "Compute engine: generic kernels · 1 thread · OpenBLAS unknown");
  g_assert_true (g_str_has_prefix (c, "Compute engine: "));
}

/* ---- the dlsia-studio binary ---- */

typedef struct
{
  int exit_status; /* -1 when it did not exit normally */
  char *out;
  char *err;
} RunResult;

static void
run_result_clear (RunResult *r)
{
  g_free (r->out);
  g_free (r->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunResult, run_result_clear)

static gboolean
run_studio (RunResult *result, const char *arg1, const char *arg2)
{
  const char *binary = g_getenv ("DLSIA_STUDIO");
  const char *argv[] = { binary, arg1, arg2, NULL };
  g_autoptr (GError) error = NULL;
  int wait_status;

  if (binary == NULL)
    {
      g_test_skip ("DLSIA_STUDIO is not set");
      return FALSE;
    }

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &result->out, &result->err,
                &wait_status, &error);
  g_assert_no_error (error);
  g_test_message ("%s %s %s: stdout \"%s\" stderr \"%s\"", binary, arg1, arg2 ? arg2 : "",
                  result->out, result->err);

  result->exit_status = -1;
  if (g_spawn_check_wait_status (wait_status, &error))
    result->exit_status = 0;
  else if (g_error_matches (error, G_SPAWN_EXIT_ERROR, error->code))
    result->exit_status = error->code;
  return TRUE;
}

static void
test_binary_screenshot (void)
{
  g_autofree char *tmpdir = g_dir_make_tmp ("dlsia-gui-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (tmpdir, "shot.png", NULL);
  g_autofree char *arg = g_strconcat ("--screenshot=", path, NULL);
  g_auto (RunResult) result = { 0 };

  if (!run_studio (&result, arg, NULL))
    return;
  g_assert_cmpint (result.exit_status, ==, 0);
  g_assert_cmpstr (result.err, ==, "");
  /* The default size: a screenshot ignores the size the user left the window at. */
  check_window_png (path, -1280, -800);

  dls_test_tmpdir_remove (tmpdir);
}

static void
test_binary_screenshot_unwritable (void)
{
  g_auto (RunResult) result = { 0 };

  if (!run_studio (&result, "--screenshot=/nonexistent/dir/x.png", NULL))
    return;
  g_assert_cmpint (result.exit_status, !=, 0);
  g_assert_nonnull (strstr (result.err, "Cannot save the screenshot"));
  g_assert_nonnull (strstr (result.err, "/nonexistent/dir/x.png"));
}

static void
test_binary_missing_image (void)
{
  g_autofree char *tmpdir = g_dir_make_tmp ("dlsia-gui-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (tmpdir, "shot.png", NULL);
  g_autofree char *arg = g_strconcat ("--screenshot=", path, NULL);
  g_auto (RunResult) result = { 0 };

  if (!run_studio (&result, arg, "/nonexistent/volume.tif"))
    return;
  g_assert_cmpint (result.exit_status, ==, 1);
  g_assert_nonnull (strstr (result.err, "/nonexistent/volume.tif"));
  g_assert_nonnull (strstr (result.err, "no such file"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  dls_test_tmpdir_remove (tmpdir);
}

static void
test_binary_image (void)
{
  g_autofree char *tmpdir = g_dir_make_tmp ("dlsia-gui-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (tmpdir, "shot.png", NULL);
  g_autofree char *image = g_build_filename (tmpdir, "volume.tif", NULL);
  g_autofree char *arg = g_strconcat ("--screenshot=", path, NULL);
  g_auto (RunResult) result = { 0 };

  g_assert_true (g_file_set_contents (image, "not a TIFF", -1, NULL));
  if (!run_studio (&result, arg, image))
    return;
  g_assert_cmpint (result.exit_status, ==, 0);
  check_window_png (path, -1280, -800);

  dls_test_tmpdir_remove (tmpdir);
}


/* ---- the latent explorer ---- */

/* Two blobs of points: picking finds each point at its position at any zoom; a lasso around
 * one blob selects exactly it. */
static void
test_scatter_pick_and_lasso (Fixture *f)
{
  GtkWidget *win = gtk_window_new ();
  GtkWidget *scatter = dls_scatter_new ();
  g_autofree float *xy = g_new (float, 2 * 200);
  g_autoptr (GArray) sel = NULL;
  GRand *rand = g_rand_new_with_seed (7);
  double lasso[8], wx, wy;

  for (int i = 0; i < 200; i++)
    {
      xy[2 * i] = (float) ((i < 100 ? -5 : 5) + g_rand_double_range (rand, -1, 1));
      xy[2 * i + 1] = (float) g_rand_double_range (rand, -1, 1);
    }
  g_rand_free (rand);
  gtk_window_set_default_size (GTK_WINDOW (win), 600, 400);
  gtk_window_set_child (GTK_WINDOW (win), scatter);
  dls_scatter_set_points (DLS_SCATTER (scatter), xy, 200);
  gtk_window_present (GTK_WINDOW (win));
  wait_until_drawn (scatter);
  g_assert_cmpint (dls_scatter_get_n_points (DLS_SCATTER (scatter)), ==, 200);
  for (int zoom = 0; zoom < 3; zoom++)
    {
      int hits = 0;

      for (int i = 0; i < 200; i += 7)
        {
          int j;

          dls_scatter_to_widget (DLS_SCATTER (scatter), i, &wx, &wy);
          j = dls_scatter_pick (DLS_SCATTER (scatter), wx, wy);
          /* the point itself, or one drawn exactly on top of it */
          g_assert_cmpint (j, >=, 0);
          dls_scatter_to_widget (DLS_SCATTER (scatter), j, &lasso[0], &lasso[1]);
          g_assert_cmpfloat (hypot (lasso[0] - wx, lasso[1] - wy), <, 1e-6);
          hits += j == i;
        }
      g_assert_cmpint (hits, >=, 25);
      dls_scatter_zoom (DLS_SCATTER (scatter), 2.5, 300, 200);
    }
  /* far from every point: nothing */
  dls_scatter_fit (DLS_SCATTER (scatter));
  g_assert_cmpint (dls_scatter_pick (DLS_SCATTER (scatter), 300, 10), ==, -1);
  /* a box around the left blob */
  dls_scatter_to_widget (DLS_SCATTER (scatter), 0, &wx, &wy);
  lasso[0] = 0, lasso[1] = 0, lasso[2] = 300, lasso[3] = 0;
  lasso[4] = 300, lasso[5] = 400, lasso[6] = 0, lasso[7] = 400;
  dls_scatter_select_lasso (DLS_SCATTER (scatter), lasso, 4);
  sel = dls_scatter_get_selection (DLS_SCATTER (scatter));
  g_assert_cmpuint (sel->len, ==, 100);
  for (guint k = 0; k < sel->len; k++)
    g_assert_cmpint (g_array_index (sel, int, k), <, 100);
  gtk_window_destroy (GTK_WINDOW (win));
}

static GtkAdjustment *
explorer_child (DlsExplorer *ex, const char *name)
{
  GObject *o = gtk_widget_get_template_child (GTK_WIDGET (ex), DLS_TYPE_EXPLORER, name);

  g_assert_true (GTK_IS_ADJUSTMENT (o));
  return GTK_ADJUSTMENT (o);
}

/* The explorer on a small volume: compute a map, click a point (the views go to its slice),
 * select with a lasso and turn the selection into labels (one undo step). */
static void
test_explorer (Fixture *f)
{
  g_autofree char *path = make_volume (f, "explore.tif", 8, 64, 64, NULL);
  DlsExplorer *ex;
  DlsDocument *doc;
  const DlsSamples *samples;
  const int *clusters;
  int n_clusters, w, h;
  double box[8] = { -10, -10, 5000, -10, 5000, 5000, -10, 5000 };
  g_autoptr (GError) error = NULL;
  g_autofree guint32 *pixels = NULL;
  int colored = 0;

  g_assert_true (open_and_wait (f, path));
  doc = dls_window_get_document (f->window);
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "explore", NULL);
  ex = dls_window_get_explorer (f->window);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (ex)));
  gtk_adjustment_set_value (explorer_child (ex, "patch_adjustment"), 16);
  gtk_adjustment_set_value (explorer_child (ex, "stride_adjustment"), 16);
  gtk_adjustment_set_value (explorer_child (ex, "time_adjustment"), 2);
  g_assert_true (dls_explorer_compute (ex, &error));
  g_assert_no_error (error);
  g_assert_true (dls_explorer_is_busy (ex));
  WAIT_FOR_SECONDS (!dls_explorer_is_busy (ex), 300);
  samples = dls_explorer_get_samples (ex, &clusters, &n_clusters);
  g_assert_nonnull (samples);
  /* a 16-pixel grid on 8 slices of 64²: 4 × 4 × 8 */
  g_assert_cmpint (samples->n, ==, 128);
  g_assert_cmpint (dls_scatter_get_n_points (dls_explorer_get_scatter (ex)), ==, 128);
  g_assert_cmpint (n_clusters, >=, 0);
  for (int i = 0; i < samples->n; i++)
    g_assert_cmpint (clusters[i], <, MAX (n_clusters, 1));

  /* the scatter draws its points */
  pixels = widget_pixels (GTK_WIDGET (dls_explorer_get_scatter (ex)), &w, &h);
  for (int i = 0; i < w * h; i++)
    colored += ((pixels[i] >> 16) & 255) != ((pixels[i] >> 8) & 255)
               || ((pixels[i] >> 8) & 255) != (pixels[i] & 255);
  g_assert_cmpint (colored, >, 128);

  keep_widget_picture (GTK_WIDGET (ex), "explorer.png");
  /* a click on sample 37 moves the views to it */
  g_signal_emit_by_name (dls_explorer_get_scatter (ex), "point-activated", 37);
  g_assert_cmpint ((int) gtk_adjustment_get_value (template_child (f->window, "slice_adjustment")),
                   ==, (int) samples->pos[3 * 37]);

  /* everything selected, labelled as class 2, undone in one step */
  dls_scatter_select_lasso (dls_explorer_get_scatter (ex), box, 4);
  keep_widget_picture (GTK_WIDGET (ex), "explorer-selection.png");
  g_assert_cmpint (dls_explorer_label_selection (ex, 2), ==, 128);
  g_assert_cmpint (dls_document_count_labelled (doc, NULL, 0), >=, 128);
  g_assert_cmpuint (dls_document_get_labels (doc)[(samples->pos[0] * 64 + samples->pos[1]) * 64
                                                  + samples->pos[2]],
                    ==, 2);
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "undo", NULL);
  g_assert_cmpint (dls_document_count_labelled (doc, NULL, 0), ==, 0);

  /* whole slices as samples: one per slice */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (gtk_widget_get_template_child (
                                  GTK_WIDGET (ex), DLS_TYPE_EXPLORER, "sampling_dropdown")),
                              3);
  g_assert_true (dls_explorer_compute (ex, &error));
  WAIT_FOR_SECONDS (!dls_explorer_is_busy (ex), 300);
  samples = dls_explorer_get_samples (ex, NULL, NULL);
  g_assert_cmpint (samples->n, ==, 8);
  g_assert_cmpint (samples->height, ==, 64);
  g_assert_cmpint (dls_scatter_get_n_points (dls_explorer_get_scatter (ex)), ==, 8);
}

/* A model for three-channel images on a one-channel volume: a message naming the file and
 * saying what to do, and the model file as it was. */
static void
test_window_load_model_channels (Fixture *f)
{
  g_autofree char *path = make_volume (f, "Proben ä v.tif", 8, 32, 32, NULL);
  g_autofree char *model_path = g_build_filename (f->tmpdir, "β rgb.safetensors", NULL);
  g_autofree char *before = NULL, *after = NULL;
  gsize len_before, len_after;
  g_autoptr (GError) error = NULL;
  DlsModelConfig cfg;
  DlsModel *m;

  dls_model_config_init (&cfg, DLS_ARCH_MSDNET);
  cfg.in_channels = 3;
  cfg.num_layers = 3;
  g_assert_true (dls_model_config_finish (&cfg, &error));
  m = dls_model_new (&cfg, &error);
  g_assert_no_error (error);
  dls_model_init_weights (m, 1);
  g_assert_true (dls_model_save (m, model_path, &error));
  g_assert_no_error (error);
  dls_model_free (m);
  dls_model_config_clear (&cfg);
  g_assert_true (g_file_get_contents (model_path, &before, &len_before, NULL));

  g_assert_true (open_and_wait (f, path));
  g_assert_false (dls_window_load_model (f->window, model_path, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "β rgb.safetensors"));
  g_assert_nonnull (strstr (error->message, "3 channels"));
  g_assert_nonnull (strstr (error->message, "train one"));
  g_assert_false (action_enabled (f, "save-model"));
  g_assert_true (g_file_get_contents (model_path, &after, &len_after, NULL));
  g_assert_cmpmem (before, len_before, after, len_after);
}

static GtkDropDown *
explorer_dropdown (DlsExplorer *ex, const char *name)
{
  return GTK_DROP_DOWN (gtk_widget_get_template_child (GTK_WIDGET (ex), DLS_TYPE_EXPLORER, name));
}

static float *
compute_map (DlsExplorer *ex, int64_t *n)
{
  g_autoptr (GError) error = NULL;
  const DlsSamples *samples;

  g_assert_true (dls_explorer_compute (ex, &error));
  g_assert_no_error (error);
  WAIT_FOR_SECONDS (!dls_explorer_is_busy (ex), 300);
  samples = dls_explorer_get_samples (ex, NULL, NULL);
  g_assert_nonnull (samples);
  *n = samples->n;
  return g_memdup2 (dls_explorer_get_map (ex), sizeof (float) * 2 * samples->n);
}

/* The autoencoder of a Compute is kept: used again it gives the same map without training;
 * saved and loaded back it gives the same map again; a segmentation model or a broken file is
 * refused with a message, and a patch size it cannot take fails the Compute but keeps it. */
static void
test_explorer_model (Fixture *f)
{
  g_autofree char *path = make_volume (f, "explore.tif", 8, 64, 64, NULL);
  g_autofree char *ae_path = g_build_filename (f->tmpdir, "ae β.safetensors", NULL);
  g_autofree char *seg_path = g_build_filename (f->tmpdir, "seg.safetensors", NULL);
  g_autofree char *bad_path = g_build_filename (f->tmpdir, "bad.safetensors", NULL);
  g_autofree float *map1 = NULL, *map2 = NULL, *map3 = NULL;
  GtkDropDown *model_dd;
  DlsExplorer *ex;
  DlsModelConfig cfg;
  DlsModel *seg;
  int64_t n1, n2, n3;
  g_autoptr (GError) error = NULL;

  g_assert_true (open_and_wait (f, path));
  g_action_group_activate_action (G_ACTION_GROUP (f->window), "explore", NULL);
  ex = dls_window_get_explorer (f->window);
  model_dd = explorer_dropdown (ex, "model_dropdown");
  /* nothing to save or use before the first Compute */
  g_assert_false (dls_explorer_save_model (ex, ae_path, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (model_dd)), ==, 2);
  g_assert_cmpuint (gtk_drop_down_get_selected (model_dd), ==, 0); /* MSAE */

  gtk_adjustment_set_value (explorer_child (ex, "patch_adjustment"), 16);
  gtk_adjustment_set_value (explorer_child (ex, "stride_adjustment"), 16);
  gtk_adjustment_set_value (explorer_child (ex, "time_adjustment"), 2);
  map1 = compute_map (ex, &n1);
  g_assert_cmpint (n1, ==, 128);
  g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (model_dd)), ==, 3);
  g_assert_cmpuint (gtk_drop_down_get_selected (model_dd), ==, 0);
  g_assert_true (dls_explorer_save_model (ex, ae_path, &error));
  g_assert_no_error (error);

  /* "Use the last trained": no training (a latent size asked for now does not matter), the
   * same latent vectors, the same map */
  gtk_drop_down_set_selected (model_dd, 2);
  gtk_adjustment_set_value (explorer_child (ex, "latent_adjustment"), 4);
  map2 = compute_map (ex, &n2);
  g_assert_nonnull (strstr (adw_window_title_get_subtitle (ADW_WINDOW_TITLE (
                                gtk_widget_get_template_child (GTK_WIDGET (ex), DLS_TYPE_EXPLORER,
                                                               "window_title"))),
                            "latent size 16"));
  g_assert_cmpint (n2, ==, n1);
  g_assert_cmpmem (map2, sizeof (float) * 2 * n2, map1, sizeof (float) * 2 * n1);

  /* a patch size the autoencoder does not take: the Compute fails, the model stays */
  gtk_adjustment_set_value (explorer_child (ex, "patch_adjustment"), 24);
  g_assert_true (dls_explorer_compute (ex, &error));
  WAIT_FOR_SECONDS (!dls_explorer_is_busy (ex), 300);
  g_assert_true (dls_explorer_save_model (ex, ae_path, &error));
  g_assert_no_error (error);

  /* loaded from its file (a name with a space and a non-ASCII letter): its patch size comes
   * back, and the map is the same */
  gtk_drop_down_set_selected (model_dd, 0);
  gtk_adjustment_set_value (explorer_child (ex, "patch_adjustment"), 32);
  g_assert_true (dls_explorer_load_model (ex, ae_path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gtk_drop_down_get_selected (model_dd), ==, 2);
  g_assert_cmpint ((int) gtk_adjustment_get_value (explorer_child (ex, "patch_adjustment")), ==,
                   16);
  {
    GtkStringObject *item = g_list_model_get_item (gtk_drop_down_get_model (model_dd), 2);

    g_assert_nonnull (strstr (gtk_string_object_get_string (item), "ae β.safetensors"));
    g_object_unref (item);
  }
  map3 = compute_map (ex, &n3);
  g_assert_cmpmem (map3, sizeof (float) * 2 * n3, map1, sizeof (float) * 2 * n1);

  /* the patches are cut from the volume as they are, or aligned when asked */
  {
    DlsDocument *doc = dls_window_get_document (f->window);
    const DlsSamples *s = dls_explorer_get_samples (ex, NULL, NULL);
    float cut[16 * 16];
    g_autofree float *map4 = NULL;
    int64_t n4;

    dls_samples_cut (dls_document_get_volume (doc), 64, 64, s->pos[3 * 5], s->pos[3 * 5 + 1],
                     s->pos[3 * 5 + 2], 16, cut);
    g_assert_cmpmem (cut, sizeof cut, s->patches + 5 * 256, sizeof cut);
    gtk_check_button_set_active (GTK_CHECK_BUTTON (gtk_widget_get_template_child (
                                     GTK_WIDGET (ex), DLS_TYPE_EXPLORER, "align_check")),
                                 TRUE);
    map4 = compute_map (ex, &n4);
    s = dls_explorer_get_samples (ex, NULL, NULL);
    g_assert_cmpint (n4, ==, n1);
    g_assert_true (memcmp (cut, s->patches + 5 * 256, sizeof cut) != 0);
    g_assert_true (memcmp (map4, map1, sizeof (float) * 2 * n1) != 0);

    /* k-means on the latent vectors: k clusters, the same map */
    {
      g_autofree float *map5 = NULL;
      const int *clusters;
      int n_clusters;
      int64_t n5;

      gtk_drop_down_set_selected (explorer_dropdown (ex, "cluster_dropdown"), 2);
      gtk_adjustment_set_value (explorer_child (ex, "k_adjustment"), 3);
      map5 = compute_map (ex, &n5);
      g_assert_cmpmem (map5, sizeof (float) * 2 * n5, map4, sizeof (float) * 2 * n4);
      dls_explorer_get_samples (ex, &clusters, &n_clusters);
      g_assert_cmpint (n_clusters, ==, 3);
      for (int64_t i = 0; i < n5; i++)
        g_assert_true (clusters[i] >= 0 && clusters[i] < 3);
    }
  }

  /* not an autoencoder, and not a model at all */
  dls_model_config_init (&cfg, DLS_ARCH_MSDNET);
  cfg.in_channels = 1;
  cfg.out_channels = 2;
  cfg.num_layers = 3;
  g_assert_true (dls_model_config_finish (&cfg, &error));
  seg = dls_model_new (&cfg, &error);
  g_assert_no_error (error);
  dls_model_init_weights (seg, 1);
  g_assert_true (dls_model_save (seg, seg_path, &error));
  dls_model_free (seg);
  dls_model_config_clear (&cfg);
  g_assert_false (dls_explorer_load_model (ex, seg_path, &error));
  g_assert_nonnull (strstr (error->message, "autoencoder"));
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (bad_path, "not a model", -1, NULL));
  g_assert_false (dls_explorer_load_model (ex, bad_path, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* the loaded autoencoder is still the one in use */
  g_assert_cmpuint (gtk_drop_down_get_selected (model_dd), ==, 2);
  g_assert_true (dls_explorer_save_model (ex, seg_path, &error));
  g_assert_no_error (error);
}

#define ADD(path, ...)                                                                    \
  G_STMT_START                                                                            \
  {                                                                                       \
    static const TestCase test_case_ = { __VA_ARGS__ };                                   \
    g_test_add (path, Fixture, &test_case_, fixture_set_up, run_test, fixture_tear_down); \
  }                                                                                       \
  G_STMT_END

int
main (int argc, char *argv[])
{
  GSettingsSchemaSource *source;
  g_autoptr (GSettingsSchema) schema = NULL;

  /* Assertions compare English strings, whatever the locale of the machine. */
  gtk_disable_setlocale ();
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: skipping the GUI tests (run them under xvfb-run)\n");
      return 77;
    }

  /* The tests read and reset the settings themselves, so they need the schema. */
  source = g_settings_schema_source_get_default ();
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      g_printerr ("The schema %s is not found: run the tests with `meson test`, which points "
                  "GSETTINGS_SCHEMA_DIR at the build's data directory\n",
                  APP_ID);
      return 1;
    }

  ADD ("/gui/window/title", .body = test_window_title);
  ADD ("/gui/window/primary-menu", .body = test_window_primary_menu);
  ADD ("/gui/window/open-image", .body = test_window_open_image);
  ADD ("/gui/window/open-sample", .body = test_window_open_sample);
  ADD ("/gui/window/zero-spins", .body = test_window_zero_spins);
  ADD ("/gui/window/autosave-error", .body = test_window_autosave_error);
  ADD ("/gui/window/classes-over-budget", .body = test_window_classes_over_budget);
  ADD ("/gui/window/over-budget", .body = test_window_over_budget);
  ADD ("/gui/window/labels-wrong-size", .body = test_window_labels_wrong_size);
  ADD ("/gui/window/load-model-channels", .body = test_window_load_model_channels);
  ADD ("/gui/window/workflow", .body = test_window_workflow);
  ADD ("/gui/window/project-moved", .body = test_window_project_moved);
  ADD ("/gui/window/paint-xz", .body = test_window_paint_xz);
  ADD ("/gui/scatter/pick-and-lasso", .body = test_scatter_pick_and_lasso);
  ADD ("/gui/explorer", .body = test_explorer);
  ADD ("/gui/explorer-model", .body = test_explorer_model);
  ADD ("/gui/window/restore-state", .prepare = prepare_restore_state,
       .body = test_window_restore_state);
  ADD ("/gui/window/close-saves-state", .body = test_window_close_saves_state);
  ADD ("/gui/window/actions/help-overlay", .body = test_action_help_overlay);
  ADD ("/gui/window/actions/about", .body = test_action_about);
  ADD ("/gui/window/actions/fullscreen", .body = test_action_fullscreen);
  ADD ("/gui/window/actions/quit", .body = test_action_quit);
  ADD ("/gui/window/screenshot/render", .body = test_screenshot_render);
  g_test_add_func ("/gui/window/screenshot/not-drawn", test_screenshot_not_drawn);
  g_test_add_func ("/gui/window/engine-summary", test_engine_summary);
  g_test_add_func ("/gui/app/screenshot", test_binary_screenshot);
  g_test_add_func ("/gui/app/screenshot/unwritable", test_binary_screenshot_unwritable);
  g_test_add_func ("/gui/app/screenshot/missing-image", test_binary_missing_image);
  g_test_add_func ("/gui/app/screenshot/image", test_binary_image);

  return g_test_run ();
}
