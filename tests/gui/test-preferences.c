/* SPDX-License-Identifier: MIT
 *
 * test-preferences.c: the preferences window, the settings the running application follows,
 * and the keyboard shortcuts window, on a real display (Xvfb in CI).  Like test-window.c, each
 * test runs the application for real and runs its body from the main loop once the main window
 * has been drawn; app.quit ends the run.
 *
 * The shortcuts window is checked against the application itself, both ways: every action it
 * names exists and has an accelerator, every single key it lists is a shortcut of the main
 * window, and every accelerator and window shortcut the application has is listed, so the
 * window cannot promise a key that does nothing nor leave one out.
 *
 * With $DLSIA_TEST_PICTURES set to a folder, the preferences and the shortcuts window are saved
 * there as PNG, for people to look at; nothing checks their pixels.
 *
 * Without a display the program exits 77, which meson counts as skipped.
 */
#include "config.h"

#include "application.h"
#include "engine.h"
#include "memory.h"
#include "preferences.h"
#include "screenshot.h"
#include "window.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HELP_OVERLAY "/io/github/dlsia/Studio/gtk/help-overlay.ui"

typedef struct _Fixture Fixture;
typedef void (*TestBody) (Fixture *f);

struct _Fixture
{
  TestBody body;
  DlsApplication *app;
  DlsWindow *window;   /* the main window, with a reference of the test's own */
  GSettings *settings; /* the application's keys on the same (memory) backend */
  gboolean body_done;
};

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until cond holds; fails after 20 s instead of hanging. */
#define WAIT_FOR(cond)                                                       \
  G_STMT_START                                                               \
  {                                                                          \
    gboolean timed_out_ = FALSE;                                             \
    guint timeout_id_ = g_timeout_add_seconds (20, timeout_cb, &timed_out_); \
    while (!(cond) && !timed_out_)                                           \
      g_main_context_iteration (NULL, TRUE);                                 \
    if (!timed_out_)                                                         \
      g_source_remove (timeout_id_);                                         \
    g_assert_true (cond);                                                    \
  }                                                                          \
  G_STMT_END

static void
iterate_pending (void)
{
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

/* Runs the main loop for a while, for things that must *not* happen. */
static void
iterate_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static gpointer
find_window_of_type (DlsApplication *app, GType type)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      return l->data;
  return NULL;
}

static guint
count_windows_of_type (DlsApplication *app, GType type)
{
  guint n = 0;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    n += G_TYPE_CHECK_INSTANCE_TYPE (l->data, type);
  return n;
}

/* What "threads" = 0 means to the engine: $DLSIA_THREADS, else every online core. */
static int
default_threads (void)
{
  const char *env = g_getenv ("DLSIA_THREADS");
  long cores = sysconf (_SC_NPROCESSORS_ONLN);

  if (env != NULL && atoi (env) > 0)
    return MIN (atoi (env), 256);
  return cores > 0 ? (int) MIN (cores, 256) : 1;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->body = (TestBody) data;

  /* The memory backend lives as long as the process: start every test from the defaults. */
  f->settings = g_settings_new (APP_ID);
  g_settings_reset (f->settings, "threads");
  g_settings_reset (f->settings, "autosave-interval");
  g_settings_reset (f->settings, "memory-budget");

  /* Non-unique: a running DLSIA Studio or a test beside this one must not take our calls. */
  f->app = dls_application_new (APP_ID, G_APPLICATION_NON_UNIQUE);
}

static void
run_body (gpointer data)
{
  Fixture *f = data;

  g_application_hold (G_APPLICATION (f->app));
  f->window = g_object_ref (find_window_of_type (f->app, DLS_TYPE_WINDOW));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (f->window)));

  f->body (f);
  f->body_done = TRUE;

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "quit", NULL);
  g_application_release (G_APPLICATION (f->app));
}

static void
startup_cb (GApplication *app, Fixture *f)
{
  g_idle_add_once (run_body, f);
}

static void
run_test (Fixture *f, gconstpointer data)
{
  g_signal_connect_after (f->app, "startup", G_CALLBACK (startup_cb), f);
  g_assert_cmpint (g_application_run (G_APPLICATION (f->app), 0, NULL), ==, 0);
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
  g_settings_reset (f->settings, "threads");
  g_assert_finalize_object (f->settings);
  /* Leave the engine as the next test expects it. */
  dls_engine_set_threads (default_threads ());
}

static gpointer
template_child (gpointer widget, GType type, const char *name)
{
  gpointer child = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (child);
  return child;
}

/* Opens the preferences as Ctrl+comma would, and waits until they are shown. */
static DlsPreferencesWindow *
open_preferences (Fixture *f)
{
  DlsPreferencesWindow *prefs;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "app.preferences", NULL));
  prefs = find_window_of_type (f->app, DLS_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (prefs);
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (prefs)));
  return prefs;
}

static void
close_preferences (DlsPreferencesWindow *prefs)
{
  g_object_add_weak_pointer (G_OBJECT (prefs), (gpointer *) &prefs);
  gtk_window_close (GTK_WINDOW (prefs));
  WAIT_FOR (prefs == NULL);
}

typedef struct
{
  gboolean done;
  const char *name;
} Picture;

static void
picture_taken (GtkWidget *widget, GdkTexture *texture, const GError *error, gpointer user_data)
{
  Picture *picture = user_data;
  g_autofree char *path = g_build_filename (g_getenv ("DLSIA_TEST_PICTURES"), picture->name, NULL);
  g_autoptr (GError) save_error = NULL;

  g_assert_no_error (error);
  dls_screenshot_save_texture (texture, path, &save_error);
  g_assert_no_error (save_error);
  g_test_message ("saved %s", path);
  picture->done = TRUE;
}

/* Saves a picture of the widget when $DLSIA_TEST_PICTURES asks for them. */
static void
maybe_save_picture (GtkWidget *widget, const char *name)
{
  Picture picture = { FALSE, name };

  if (g_getenv ("DLSIA_TEST_PICTURES") == NULL)
    return;
  iterate_for (400); /* let the opening transitions end */
  dls_screenshot_capture (widget, picture_taken, &picture);
  WAIT_FOR (picture.done);
}

/* ---- preferences ---- */

static void
test_preferences_action (Fixture *f)
{
  g_auto (GStrv) accels = NULL;
  DlsPreferencesWindow *prefs;

  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app), "app.preferences");
  g_assert_cmpstrv (accels, ((const char *const[]){ "<Control>comma", NULL }));

  prefs = open_preferences (f);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (prefs)) == GTK_WINDOW (f->window));
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (prefs)));
  g_assert_true (dls_preferences_window_get_settings (prefs)
                 == dls_application_get_settings (f->app));

  /* A second Ctrl+comma brings the same window forward. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "app.preferences", NULL));
  g_assert_cmpuint (count_windows_of_type (f->app, DLS_TYPE_PREFERENCES_WINDOW), ==, 1);

  close_preferences (prefs);
}

static void
test_preferences_threads (Fixture *f)
{
  DlsPreferencesWindow *prefs = open_preferences (f);
  GtkAdjustment *adj = template_child (prefs, DLS_TYPE_PREFERENCES_WINDOW, "threads_adjustment");
  AdwActionRow *row = template_child (prefs, DLS_TYPE_PREFERENCES_WINDOW, "threads_row");
  g_autofree char *cores = g_strdup_printf ("%u", g_get_num_processors ());

  g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, 0);
  g_assert_cmpint (dls_engine_get_threads (), ==, default_threads ());
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), cores));
  maybe_save_picture (GTK_WIDGET (prefs), "preferences.png");

  /* A key changed elsewhere shows in the row and resizes the engine at once. */
  g_settings_set_int (f->settings, "threads", 3);
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, 3);
  g_assert_cmpint (dls_engine_get_threads (), ==, 3);

  /* The row writes the key, and the engine follows. */
  gtk_adjustment_set_value (adj, 1);
  g_assert_cmpint (g_settings_get_int (f->settings, "threads"), ==, 1);
  g_assert_cmpint (dls_engine_get_threads (), ==, 1);

  /* 0: the engine's own default again. */
  gtk_adjustment_set_value (adj, 0);
  g_assert_cmpint (g_settings_get_int (f->settings, "threads"), ==, 0);
  g_assert_cmpint (dls_engine_get_threads (), ==, default_threads ());

  close_preferences (prefs);
}

/* While a window trains (its win.cancel-train is enabled) the pool keeps its size; the new one
 * is taken once the job is over. */
static void
test_preferences_threads_wait_for_job (Fixture *f)
{
  GAction *cancel = g_action_map_lookup_action (G_ACTION_MAP (f->window), "cancel-train");
  int before = dls_engine_get_threads ();
  int wanted = before == 3 ? 2 : 3;

  g_assert_nonnull (cancel);
  g_assert_false (g_action_get_enabled (cancel));

  g_simple_action_set_enabled (G_SIMPLE_ACTION (cancel), TRUE);
  g_settings_set_int (f->settings, "threads", wanted);
  iterate_for (700);
  g_assert_cmpint (dls_engine_get_threads (), ==, before);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (cancel), FALSE);
  WAIT_FOR (dls_engine_get_threads () == wanted);
}

static void
test_preferences_autosave (Fixture *f)
{
  DlsPreferencesWindow *prefs = open_preferences (f);
  GtkAdjustment *adj = template_child (prefs, DLS_TYPE_PREFERENCES_WINDOW, "autosave_adjustment");

  g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, 5);

  gtk_adjustment_set_value (adj, 42);
  g_assert_cmpint (g_settings_get_int (f->settings, "autosave-interval"), ==, 42);

  g_settings_set_int (f->settings, "autosave-interval", 7);
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, 7);

  /* The schema's range holds: the row cannot write 0 s. */
  gtk_adjustment_set_value (adj, 0);
  g_assert_cmpint (g_settings_get_int (f->settings, "autosave-interval"), ==, 1);

  close_preferences (prefs);
}

/* The memory budget row edits "memory-budget", and the library's budget follows the key. */
static void
test_preferences_memory_budget (Fixture *f)
{
  DlsPreferencesWindow *prefs = open_preferences (f);
  GtkAdjustment *adj = template_child (prefs, DLS_TYPE_PREFERENCES_WINDOW, "memory_adjustment");
  double total = (double) dls_memory_total ();

  g_unsetenv ("DLSIA_MEMORY_BUDGET");
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, 50);
  g_assert_cmpfloat_with_epsilon ((double) dls_memory_budget (), total * 0.5, 1e6);

  gtk_adjustment_set_value (adj, 30);
  g_assert_cmpint (g_settings_get_int (f->settings, "memory-budget"), ==, 30);
  g_assert_cmpfloat_with_epsilon ((double) dls_memory_budget (), total * 0.3, 1e6);

  g_settings_set_int (f->settings, "memory-budget", 70);
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, 70);
  g_assert_cmpfloat_with_epsilon ((double) dls_memory_budget (), total * 0.7, 1e6);

  /* The schema's range holds: the row cannot write 100 %. */
  gtk_adjustment_set_value (adj, 100);
  g_assert_cmpint (g_settings_get_int (f->settings, "memory-budget"), <=, 90);

  close_preferences (prefs);
}

/* Without settings (no schema installed) the rows are there, greyed out. */
static void
test_preferences_no_settings (void)
{
  DlsPreferencesWindow *prefs = dls_preferences_window_new (NULL, NULL);

  g_object_ref_sink (prefs);
  g_assert_null (dls_preferences_window_get_settings (prefs));
  g_assert_false (gtk_widget_get_sensitive (
      template_child (prefs, DLS_TYPE_PREFERENCES_WINDOW, "threads_row")));
  g_assert_false (gtk_widget_get_sensitive (
      template_child (prefs, DLS_TYPE_PREFERENCES_WINDOW, "autosave_row")));
  g_assert_false (gtk_widget_get_sensitive (
      template_child (prefs, DLS_TYPE_PREFERENCES_WINDOW, "memory_row")));
  gtk_window_destroy (GTK_WINDOW (prefs));
  g_assert_finalize_object (prefs);
}

/* ---- the shortcuts window ---- */

/* Every GtkShortcutsShortcut of the shortcuts window, as built from its resource. */
static GPtrArray *
overlay_shortcuts (GtkBuilder **builder)
{
  GPtrArray *shortcuts = g_ptr_array_new ();
  GSList *objects;

  *builder = gtk_builder_new_from_resource (HELP_OVERLAY);
  objects = gtk_builder_get_objects (*builder);
  for (GSList *l = objects; l != NULL; l = l->next)
    if (GTK_IS_SHORTCUTS_SHORTCUT (l->data))
      g_ptr_array_add (shortcuts, l->data);
  g_slist_free (objects);
  g_assert_cmpuint (shortcuts->len, >, 0);
  return shortcuts;
}

/* Whether the widget has an action of that full name ("win.undo", "window.close"): in its
 * action groups, or installed by its class or an ancestor class. */
static gboolean
widget_has_action (GtkWidget *widget, const char *full_name)
{
  const char *dot = strchr (full_name, '.');
  const char *name, *property;
  const GVariantType *parameter_type;
  GType owner;

  g_assert_nonnull (dot);
  if (g_str_has_prefix (full_name, "win.")
      && g_action_group_has_action (G_ACTION_GROUP (widget), dot + 1))
    return TRUE;
  /* the out arguments are not optional */
  for (guint i = 0; gtk_widget_class_query_action (GTK_WIDGET_GET_CLASS (widget), i, &owner, &name,
                                                   &parameter_type, &property);
       i++)
    if (g_str_equal (name, full_name))
      return TRUE;
  return FALSE;
}

/* The keys an accelerator text of the shortcuts window stands for: alternatives are separated
 * by spaces, and "1...9" is the range of keys from 1 to 9. */
static void
expand_accelerator (const char *text, GPtrArray *keys)
{
  g_auto (GStrv) alternatives = g_strsplit (text, " ", -1);

  for (guint i = 0; alternatives[i] != NULL; i++)
    {
      g_auto (GStrv) range = g_strsplit (alternatives[i], "...", 2);
      guint first, last;
      GdkModifierType mods, mods_last;

      g_assert_true (gtk_accelerator_parse (range[0], &first, &mods));
      if (range[1] == NULL)
        last = first;
      else
        {
          g_assert_true (gtk_accelerator_parse (range[1], &last, &mods_last));
          g_assert_cmpuint (mods, ==, mods_last);
          g_assert_cmpuint (first, <, last);
        }
      for (guint k = first; k <= last; k++)
        g_ptr_array_add (keys, gtk_accelerator_name (k, mods));
    }
}

static gboolean
ptr_array_has_string (GPtrArray *array, const char *s)
{
  return g_ptr_array_find_with_equal_func (array, s, g_str_equal, NULL);
}

/* The accelerators the application sets, in gtk_accelerator_name()'s spelling. */
static GPtrArray *
application_accelerators (GtkApplication *app)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) actions = gtk_application_list_action_descriptions (app);

  for (guint i = 0; actions[i] != NULL; i++)
    {
      g_auto (GStrv) accels = gtk_application_get_accels_for_action (app, actions[i]);

      for (guint j = 0; accels[j] != NULL; j++)
        {
          guint key;
          GdkModifierType mods;

          g_assert_true (gtk_accelerator_parse (accels[j], &key, &mods));
          g_ptr_array_add (names, gtk_accelerator_name (key, mods));
        }
    }
  return names;
}

/* The key shortcuts of the main window's own shortcut controllers, as accelerator names.  The
 * shortcuts GTK makes from the application's accelerators are left out: those are checked by
 * their action names. */
static GPtrArray *
window_key_shortcuts (GtkApplication *app, GtkWidget *window)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) app_accels = application_accelerators (app);
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (window);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr (GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);
          char *name;

          if (!GTK_IS_KEYVAL_TRIGGER (trigger)
              || !GTK_IS_NAMED_ACTION (gtk_shortcut_get_action (shortcut)))
            continue;
          name = gtk_accelerator_name (
              gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)),
              gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)));
          if (g_ptr_array_find_with_equal_func (app_accels, name, g_str_equal, NULL))
            g_free (name);
          else
            g_ptr_array_add (keys, name);
        }
    }
  return keys;
}

/* The shortcuts window loads, names only actions that exist and have keys, lists only keys the
 * window has (Space is the canvas's: hold it and drag to pan), and shows a mouse icon for
 * each gesture. */
static void
test_help_overlay_entries (Fixture *f)
{
  g_autoptr (GtkBuilder) builder = NULL;
  g_autoptr (GPtrArray) shortcuts = overlay_shortcuts (&builder);
  g_autoptr (GPtrArray) window_keys
      = window_key_shortcuts (GTK_APPLICATION (f->app), GTK_WIDGET (f->window));
  GtkIconTheme *theme
      = gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (f->window)));

  g_assert_cmpuint (window_keys->len, >, 0);
  for (guint i = 0; i < shortcuts->len; i++)
    {
      GtkShortcutsShortcut *s = g_ptr_array_index (shortcuts, i);
      g_autofree char *title = NULL, *action = NULL, *accelerator = NULL;
      g_autoptr (GIcon) icon = NULL;
      GtkShortcutType type;

      g_object_get (s, "title", &title, "action-name", &action, "accelerator", &accelerator,
                    "shortcut-type", &type, "icon", &icon, NULL);
      g_test_message ("%s", title);
      g_assert_true (title != NULL && *title != '\0');
      if (action != NULL)
        {
          g_auto (GStrv) accels
              = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app), action);

          g_autofree char *name = NULL;
          g_autoptr (GVariant) target = NULL;
          g_autoptr (GError) error = NULL;

          /* detailed names too: win.export::classes */
          g_assert_true (type == GTK_SHORTCUT_ACCELERATOR);
          g_action_parse_detailed_name (action, &name, &target, &error);
          g_assert_no_error (error);
          if (g_str_has_prefix (name, "app."))
            g_assert_true (g_action_group_has_action (G_ACTION_GROUP (f->app), name + 4));
          else
            g_assert_true (widget_has_action (GTK_WIDGET (f->window), name));
          g_assert_cmpuint (g_strv_length (accels), >, 0);
        }
      else if (type == GTK_SHORTCUT_ACCELERATOR)
        {
          g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);

          g_assert_nonnull (accelerator);
          expand_accelerator (accelerator, keys);
          for (guint k = 0; k < keys->len; k++)
            if (!g_str_equal (g_ptr_array_index (keys, k), "space"))
              {
                g_test_message ("  key %s", (char *) g_ptr_array_index (keys, k));
                g_assert_true (ptr_array_has_string (window_keys, g_ptr_array_index (keys, k)));
              }
        }
      else
        {
          g_assert_true (type == GTK_SHORTCUT_GESTURE);
          g_assert_nonnull (icon);
          g_assert_true (gtk_icon_theme_has_gicon (theme, icon));
        }
    }
}

/* Nothing is left out: every accelerator the application sets and every key of the window is
 * in the shortcuts window (keypad + and − go with + and −). */
static void
test_help_overlay_complete (Fixture *f)
{
  g_autoptr (GtkBuilder) builder = NULL;
  g_autoptr (GPtrArray) shortcuts = overlay_shortcuts (&builder);
  g_autoptr (GPtrArray) window_keys
      = window_key_shortcuts (GTK_APPLICATION (f->app), GTK_WIDGET (f->window));
  g_autoptr (GPtrArray) listed_actions = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) listed_keys = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) accel_actions
      = gtk_application_list_action_descriptions (GTK_APPLICATION (f->app));

  for (guint i = 0; i < shortcuts->len; i++)
    {
      g_autofree char *action = NULL, *accelerator = NULL;

      g_object_get (g_ptr_array_index (shortcuts, i), "action-name", &action, "accelerator",
                    &accelerator, NULL);
      if (action != NULL)
        g_ptr_array_add (listed_actions, g_steal_pointer (&action));
      else if (accelerator != NULL && *accelerator != '\0')
        expand_accelerator (accelerator, listed_keys);
    }

  for (guint i = 0; accel_actions[i] != NULL; i++)
    {
      g_test_message ("accelerator of %s", accel_actions[i]);
      g_assert_true (ptr_array_has_string (listed_actions, accel_actions[i]));
    }
  g_assert_true (ptr_array_has_string (listed_actions, "app.preferences"));
  g_assert_true (ptr_array_has_string (listed_actions, "win.show-help-overlay"));

  for (guint i = 0; i < window_keys->len; i++)
    {
      const char *key = g_ptr_array_index (window_keys, i);

      g_test_message ("window shortcut %s", key);
      if (g_str_equal (key, "KP_Add"))
        key = "plus";
      else if (g_str_equal (key, "KP_Subtract"))
        key = "minus";
      g_assert_true (ptr_array_has_string (listed_keys, key));
    }
}

/* Ctrl+? opens it on the main window. */
static void
test_help_overlay_shows (Fixture *f)
{
  GtkShortcutsWindow *overlay
      = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (f->window));
  g_auto (GStrv) accels
      = gtk_application_get_accels_for_action (GTK_APPLICATION (f->app), "win.show-help-overlay");

  g_assert_nonnull (overlay);
  g_assert_true (g_strv_contains ((const char *const *) accels, "<Control>question"));
  g_assert_true (
      gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-help-overlay", NULL));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (overlay)));
  maybe_save_picture (GTK_WIDGET (overlay), "shortcuts.png");
  gtk_window_close (GTK_WINDOW (overlay));
  WAIT_FOR (!gtk_widget_get_visible (GTK_WIDGET (overlay)));
}

/* The tool icons the side panel can use are in the icon theme (from the resource). */
static void
test_tool_icons (Fixture *f)
{
  static const char *const names[] = {
    "io.github.dlsia.Studio-brush-symbolic",
    "io.github.dlsia.Studio-eraser-symbolic",
    "io.github.dlsia.Studio-flood-fill-symbolic",
  };
  GtkIconTheme *theme
      = gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (f->window)));

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (gtk_icon_theme_has_icon (theme, names[i]));
}

#define ADD(path, fn) \
  g_test_add (path, Fixture, (gconstpointer) fn, fixture_set_up, run_test, fixture_tear_down)

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

  ADD ("/gui/preferences/action", test_preferences_action);
  ADD ("/gui/preferences/threads", test_preferences_threads);
  ADD ("/gui/preferences/threads/wait-for-job", test_preferences_threads_wait_for_job);
  ADD ("/gui/preferences/autosave", test_preferences_autosave);
  ADD ("/gui/preferences/memory-budget", test_preferences_memory_budget);
  g_test_add_func ("/gui/preferences/no-settings", test_preferences_no_settings);
  ADD ("/gui/help-overlay/entries", test_help_overlay_entries);
  ADD ("/gui/help-overlay/complete", test_help_overlay_complete);
  ADD ("/gui/help-overlay/shows", test_help_overlay_shows);
  ADD ("/gui/icons/tools", test_tool_icons);

  return g_test_run ();
}
