/* SPDX-License-Identifier: MIT
 *
 * window.c: DlsWindow, the main window.  For now it holds the header bar with the primary menu
 * and a start page that says what the program does and how the compute engine is set up.  It
 * restores its size from GSettings when it is made and saves it when it closes, installs the
 * window's own actions (win.fullscreen; window.close comes from GtkWindow and
 * win.show-help-overlay from GtkApplicationWindow) and shows the name of the image it was given
 * as its subtitle.
 *
 * It deliberately does not read the image yet, and holds no application-wide state: actions
 * that outlive a window (quit, about) belong to DlsApplication.
 */
#include "config.h"

#include "window.h"

#include "application.h"
#include "engine-summary.h"

struct _DlsWindow
{
  AdwApplicationWindow parent_instance;

  GSettings *settings;
  GFile *image_file;

  /* template children */
  AdwWindowTitle *window_title;
  GtkMenuButton *primary_menu_button;
  AdwStatusPage *status_page;
  GtkLabel *engine_label;
};

G_DEFINE_FINAL_TYPE (DlsWindow, dls_window, ADW_TYPE_APPLICATION_WINDOW)

enum
{
  PROP_0,
  PROP_SETTINGS,
  PROP_IMAGE_FILE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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

static gboolean
dls_window_close_request (GtkWindow *window)
{
  dls_window_save_state (DLS_WINDOW (window));
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
   * Where the window's size is remembered; %NULL remembers nothing.
   */
  properties[PROP_SETTINGS]
      = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * DlsWindow:image-file: (nullable)
   *
   * The image volume the window shows.  Only its name is used for now.
   */
  properties[PROP_IMAGE_FILE]
      = g_param_spec_object ("image-file", NULL, NULL, G_TYPE_FILE,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dlsia/Studio/ui/window.ui");
  gtk_widget_class_bind_template_child (widget_class, DlsWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DlsWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, DlsWindow, status_page);
  gtk_widget_class_bind_template_child (widget_class, DlsWindow, engine_label);

  /* A stateful boolean action bound to GtkWindow:fullscreened. */
  gtk_widget_class_install_property_action (widget_class, "win.fullscreen", "fullscreened");
}

static void
dls_window_init (DlsWindow *self)
{
  g_autofree char *summary = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  summary = dls_engine_summary_new ();
  gtk_label_set_text (self->engine_label, summary);
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

/* Shows the image's name as the subtitle.  The file is not opened. */
void
dls_window_set_image_file (DlsWindow *self, GFile *file)
{
  g_autofree char *basename = NULL;

  g_return_if_fail (DLS_IS_WINDOW (self));
  g_return_if_fail (file == NULL || G_IS_FILE (file));

  if (!g_set_object (&self->image_file, file))
    return;

  if (file != NULL)
    {
      g_autofree char *path = g_file_get_path (file);
      g_autofree char *raw = NULL;

      /* File names need not be UTF-8; the title must be. */
      if (path != NULL)
        basename = g_filename_display_basename (path);
      else if ((raw = g_file_get_basename (file)) != NULL)
        basename = g_utf8_make_valid (raw, -1);
    }
  adw_window_title_set_subtitle (self->window_title, basename != NULL ? basename : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IMAGE_FILE]);
}
