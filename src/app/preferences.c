/* SPDX-License-Identifier: MIT
 *
 * preferences.c: DlsPreferencesWindow, the preferences window (template ui/preferences.ui).
 * Each row is bound to its GSettings key with g_settings_bind(), both ways: a change in the
 * window is written at once, and a key changed elsewhere (another window, `gsettings set`)
 * shows at once.  There is no Apply button and no state of its own.
 *
 * It deliberately does not act on the keys: apply-settings.c makes the engine and the open
 * documents follow them, whether or not this window was ever opened.
 */
#include "config.h"

#include "preferences.h"

#include <glib/gi18n.h>

#include "memory.h"

struct _DlsPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;

  /* template children */
  AdwActionRow *threads_row;
  GtkAdjustment *threads_adjustment;
  AdwActionRow *memory_row;
  GtkAdjustment *memory_adjustment;
  AdwActionRow *autosave_row;
  GtkAdjustment *autosave_adjustment;
};

G_DEFINE_FINAL_TYPE (DlsPreferencesWindow, dls_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum
{
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
dls_preferences_window_constructed (GObject *object)
{
  DlsPreferencesWindow *self = DLS_PREFERENCES_WINDOW (object);

  G_OBJECT_CLASS (dls_preferences_window_parent_class)->constructed (object);

  /* Without the schema there is nothing to keep the values in: show the rows, greyed out. */
  if (self->settings == NULL)
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->threads_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->memory_row), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->autosave_row), FALSE);
      return;
    }

  /* GSettings maps the int keys to the adjustments' doubles and back. */
  g_settings_bind (self->settings, "threads", self->threads_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "memory-budget", self->memory_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "autosave-interval", self->autosave_adjustment, "value",
                   G_SETTINGS_BIND_DEFAULT);
}

static void
dls_preferences_window_dispose (GObject *object)
{
  DlsPreferencesWindow *self = DLS_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), DLS_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (dls_preferences_window_parent_class)->dispose (object);
}

static void
dls_preferences_window_get_property (GObject *object, guint prop_id, GValue *value,
                                     GParamSpec *pspec)
{
  DlsPreferencesWindow *self = DLS_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dls_preferences_window_set_property (GObject *object, guint prop_id, const GValue *value,
                                     GParamSpec *pspec)
{
  DlsPreferencesWindow *self = DLS_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dls_preferences_window_class_init (DlsPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dls_preferences_window_constructed;
  object_class->dispose = dls_preferences_window_dispose;
  object_class->get_property = dls_preferences_window_get_property;
  object_class->set_property = dls_preferences_window_set_property;

  /**
   * DlsPreferencesWindow:settings: (nullable)
   *
   * The application's settings, which the rows edit; %NULL greys them out.
   */
  properties[PROP_SETTINGS]
      = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dlsia/Studio/ui/preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, DlsPreferencesWindow, threads_row);
  gtk_widget_class_bind_template_child (widget_class, DlsPreferencesWindow, threads_adjustment);
  gtk_widget_class_bind_template_child (widget_class, DlsPreferencesWindow, memory_row);
  gtk_widget_class_bind_template_child (widget_class, DlsPreferencesWindow, memory_adjustment);
  gtk_widget_class_bind_template_child (widget_class, DlsPreferencesWindow, autosave_row);
  gtk_widget_class_bind_template_child (widget_class, DlsPreferencesWindow, autosave_adjustment);
}

static void
dls_preferences_window_init (DlsPreferencesWindow *self)
{
  guint cores = g_get_num_processors ();
  g_autofree char *subtitle = NULL, *ram = g_format_size (dls_memory_total ());

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Translators: %u is the number of processor cores of this computer */
  subtitle = g_strdup_printf (_ ("For training and prediction; 0 means one per processor core, "
                                 "%u on this computer"),
                              cores);
  adw_action_row_set_subtitle (self->threads_row, subtitle);
  g_free (subtitle);

  /* Translators: %s is the memory of this computer, like "16.8 GB" */
  subtitle = g_strdup_printf (_ ("Percent of this computer's memory (%s) an opened volume may "
                                 "take; larger volumes are refused instead of running out of "
                                 "memory"),
                              ram);
  adw_action_row_set_subtitle (self->memory_row, subtitle);
}

/**
 * dls_preferences_window_new:
 * @parent: (nullable): the window it belongs to
 * @settings: (nullable): the application's settings, or %NULL when there are none
 */
DlsPreferencesWindow *
dls_preferences_window_new (GtkWindow *parent, GSettings *settings)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  /* clang-format off */
  return g_object_new (DLS_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "application", parent ? gtk_window_get_application (parent) : NULL,
                       "settings", settings,
                       NULL);
  /* clang-format on */
}

GSettings *
dls_preferences_window_get_settings (DlsPreferencesWindow *self)
{
  g_return_val_if_fail (DLS_IS_PREFERENCES_WINDOW (self), NULL);

  return self->settings;
}
