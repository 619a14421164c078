/* SPDX-License-Identifier: MIT
 *
 * application.c: DlsApplication, the AdwApplication of DLSIA Studio.  It parses the command
 * line (an optional IMAGE, and the hidden --screenshot=FILE used for documentation and tests),
 * owns the application-wide actions (app.quit, app.about) and the accelerators of every
 * action, creates the main window and holds the GSettings that windows remember their size in.
 *
 * With --screenshot it runs as its own instance (never forwarding to a running one), opens the
 * image (the sample when none is given), waits until it is loaded (or its error shown) and the
 * window drawn, writes it to FILE and quits; a write that fails makes the exit status 1, which
 * main() reads with dls_application_get_exit_status() because GApplication's run loop has no
 * way to return it.
 *
 * It deliberately does not read images itself: the window does, in the background.
 */
#include "config.h"

#include "application.h"

#include "apply-settings.h"
#include "engine-summary.h"
#include "preferences.h"
#include "screenshot.h"
#include "settings.h"
#include "window.h"

#include <glib/gi18n.h>

struct _DlsApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  char *screenshot_path; /* --screenshot, in the file system's encoding */
  gboolean screenshot_pending;
  int exit_status;
};

G_DEFINE_FINAL_TYPE (DlsApplication, dls_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  /* Not for users: documentation pictures and tests. */
  { "screenshot", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, NULL,
    N_ ("Save a picture of the window to FILE, then quit"), N_ ("FILE") },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, NULL, NULL, NULL },
  { NULL },
};

/* The first main window, made if there is none.  Other toplevels (the about window) may be
 * active, so the list is searched rather than the active window taken. */
static DlsWindow *
dls_application_get_main_window (DlsApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (DLS_IS_WINDOW (l->data))
      return DLS_WINDOW (l->data);

  /* A screenshot shows the default size, not the size the user last left the window at. */
  return dls_window_new (self, self->screenshot_path != NULL ? NULL : self->settings);
}

static void
screenshot_ready (GtkWidget *widget, GdkTexture *texture, const GError *render_error,
                  gpointer user_data)
{
  DlsApplication *self = DLS_APPLICATION (user_data);
  g_autoptr (GError) error = NULL;

  if (texture == NULL)
    error = g_error_copy (render_error);
  else
    dls_screenshot_save_texture (texture, self->screenshot_path, &error);

  if (error != NULL)
    {
      /* Translators: %s is the reason, e.g. "Error opening file “/x/y.png”: No such file…" */
      g_autofree char *message
          = g_strdup_printf (_ ("Cannot save the screenshot: %s"), error->message);
      g_printerr ("%s: %s\n", g_get_prgname (), message);
      self->exit_status = 1;
    }
  g_action_group_activate_action (G_ACTION_GROUP (self), "quit", NULL);
}

static void
capture_after_load (DlsWindow *window, gboolean ok, gpointer user_data)
{
  DlsApplication *self = DLS_APPLICATION (user_data);

  g_signal_handlers_disconnect_by_func (window, capture_after_load, self);
  dls_screenshot_capture (GTK_WIDGET (window), screenshot_ready, self);
}

/* With --screenshot the picture is taken once the image (the sample when none was given) is
 * loaded and drawn, or its error shown. */
static void
dls_application_present (DlsApplication *self, DlsWindow *window)
{
  gtk_window_present (GTK_WINDOW (window));

  if (self->screenshot_path != NULL && !self->screenshot_pending)
    {
      self->screenshot_pending = TRUE;
      g_signal_connect (window, "load-finished", G_CALLBACK (capture_after_load), self);
      if (!dls_window_is_loading (window) && dls_window_get_document (window) == NULL)
        dls_window_open_sample (window);
    }
}

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DlsApplication *self = DLS_APPLICATION (user_data);
  GList *windows;

  /* Close rather than destroy, so that each window saves its state.  Closing one window can
   * destroy others (its transient dialogs), hence the references. */
  windows = g_list_copy_deep (gtk_application_get_windows (GTK_APPLICATION (self)),
                              (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free_full (windows, g_object_unref);

  g_application_quit (G_APPLICATION (self));
}

static void
about_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DlsApplication *self = DLS_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autofree char *engine = dls_engine_summary_new ();
  g_autofree char *debug_info = NULL;
  GtkWindow *about;

  debug_info = g_strdup_printf ("DLSIA Studio %s\nGTK %u.%u.%u\nlibadwaita %u.%u.%u\n%s\n",
                                PACKAGE_VERSION, gtk_get_major_version (), gtk_get_minor_version (),
                                gtk_get_micro_version (), adw_get_major_version (),
                                adw_get_minor_version (), adw_get_micro_version (), engine);

  /* clang-format off */
  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "application", self,
                        "application-name", _("DLSIA Studio"),
                        "application-icon", APP_ID,
                        "version", PACKAGE_VERSION,
                        "developer-name", _("DLSIA Studio developers"),
                        "copyright", _("© 2026 DLSIA Studio developers"),
                        "license-type", GTK_LICENSE_MIT_X11,
                        "website", "https://github.com/phzwart/dlsia",
                        "comments", _("Label image volumes and train neural networks to segment "
                                      "them. The networks are those of DLSIA, Deep Learning for "
                                      "Scientific Image Analysis."),
                        "debug-info", debug_info,
                        /* Translators: your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  /* clang-format on */
  gtk_window_present (about);
}

/* One preferences window: a second activation brings it forward. */
static void
preferences_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  DlsApplication *self = DLS_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (DLS_IS_PREFERENCES_WINDOW (l->data))
      {
        gtk_window_present (l->data);
        return;
      }
  gtk_window_present (GTK_WINDOW (dls_preferences_window_new (parent, self->settings)));
}

static const GActionEntry app_entries[] = {
  { "quit", quit_activated },
  { "about", about_activated },
  { "preferences", preferences_activated },
};

/* Keys with Ctrl; the single keys (tools, classes, overlays) are the window's own shortcuts. */
static const struct {
  const char *action;
  const char *accels[3];
} win_accels[] = {
  { "win.open", { "<Control>o", NULL } },
  { "win.undo", { "<Control>z", NULL } },
  { "win.redo", { "<Control><Shift>z", "<Control>y", NULL } },
  { "win.save-project", { "<Control>s", NULL } },
  { "win.save-project-as", { "<Control><Shift>s", NULL } },
  { "win.export::classes", { "<Control>e", NULL } },
  { "win.train", { "<Control>t", NULL } },
  { "win.explore", { "<Control>l", NULL } },
  { "win.cancel-train", { "<Control>period", NULL } },
  { "win.zoom-fit", { "<Control>0", NULL } },
  { "win.zoom-actual", { "<Control>1", NULL } },
};

static int
dls_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  DlsApplication *self = DLS_APPLICATION (app);
  g_autofree char **images = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;

  if (g_variant_dict_lookup (options, "screenshot", "^ay", &self->screenshot_path))
    {
      /* Handled here, in this process: a running instance must not take the picture. */
      g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
    }

  if (!g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&ay", &images))
    return -1; /* go on: register and activate */

  if (g_strv_length (images) > 1)
    {
      g_printerr ("%s: %s\n", g_get_prgname (), _ ("Give at most one image"));
      return 1;
    }

  /* Checked here so that the message reaches the terminal the user typed the command in, even
   * when another instance opens the image. */
  file = g_file_new_for_commandline_arg (images[0]);
  if (!g_file_query_exists (file, NULL))
    {
      g_autofree char *name = g_file_get_parse_name (file);
      /* Translators: %s is a file name */
      g_autofree char *message
          = g_strdup_printf (_ ("Cannot open “%s”: there is no such file"), name);
      g_printerr ("%s: %s\n", g_get_prgname (), message);
      return 1;
    }

  if (!g_application_register (app, NULL, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return 1;
    }
  g_application_open (app, &file, 1, "");
  return 0; /* the main loop still runs while a window is open */
}

static void
dls_application_startup (GApplication *app)
{
  DlsApplication *self = DLS_APPLICATION (app);
  static const char *const quit_accels[] = { "<Control>q", NULL };
  static const char *const close_accels[] = { "<Control>w", NULL };
  static const char *const fullscreen_accels[] = { "F11", NULL };
  static const char *const preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (dls_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_entries, G_N_ELEMENTS (app_entries),
                                   self);
  /* win.show-help-overlay gets Ctrl+? from GtkApplication, with the help overlay. */
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.fullscreen",
                                         fullscreen_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);
  for (guint i = 0; i < G_N_ELEMENTS (win_accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), win_accels[i].action,
                                           win_accels[i].accels);

  gtk_window_set_default_icon_name (APP_ID);
  self->settings = dls_settings_new (APP_ID);
  dls_apply_settings_init (GTK_APPLICATION (self), self->settings);
}

static void
dls_application_activate (GApplication *app)
{
  DlsApplication *self = DLS_APPLICATION (app);

  dls_application_present (self, dls_application_get_main_window (self));
}

static void
dls_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  DlsApplication *self = DLS_APPLICATION (app);
  DlsWindow *window = dls_application_get_main_window (self);

  if (n_files > 0)
    dls_window_set_image_file (window, files[0]);
  dls_application_present (self, window);
}

static void
dls_application_dispose (GObject *object)
{
  DlsApplication *self = DLS_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_pointer (&self->screenshot_path, g_free);

  G_OBJECT_CLASS (dls_application_parent_class)->dispose (object);
}

static void
dls_application_class_init (DlsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = dls_application_dispose;
  app_class->handle_local_options = dls_application_handle_local_options;
  app_class->startup = dls_application_startup;
  app_class->activate = dls_application_activate;
  app_class->open = dls_application_open;
}

static void
dls_application_init (DlsApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _ ("[IMAGE]"));
  g_application_set_option_context_summary (
      G_APPLICATION (self), _ ("Label image volumes and train neural networks to segment them."));
}

/**
 * dls_application_new:
 * @application_id: the application id; APP_ID in the program
 * @flags: G_APPLICATION_HANDLES_OPEN in the program; tests add G_APPLICATION_NON_UNIQUE
 *
 * The resource base path is fixed, so the templates and the help overlay load whatever the id.
 */
DlsApplication *
dls_application_new (const char *application_id, GApplicationFlags flags)
{
  g_return_val_if_fail (g_application_id_is_valid (application_id), NULL);

  /* clang-format off */
  return g_object_new (DLS_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/dlsia/Studio",
                       NULL);
  /* clang-format on */
}

/* The settings windows remember their size in; NULL before startup or without a schema. */
GSettings *
dls_application_get_settings (DlsApplication *self)
{
  g_return_val_if_fail (DLS_IS_APPLICATION (self), NULL);

  return self->settings;
}

/* Non-zero when --screenshot could not write its file. */
int
dls_application_get_exit_status (DlsApplication *self)
{
  g_return_val_if_fail (DLS_IS_APPLICATION (self), 1);

  return self->exit_status;
}
