/* SPDX-License-Identifier: MIT
 *
 * apply-settings.c: the application follows its preference keys while it runs, whoever changes
 * them (the preferences window, `gsettings set`, dconf-editor).
 *
 *  - "threads" sets the size of the engine's worker pool (dls_engine_set_threads).  0 means
 *    the engine's own default: $DLSIA_THREADS when the program was started with it, else one
 *    thread per core.  The pool is never resized while a window trains or predicts: compiled
 *    graphs size their per-thread scratch memory by the thread count they were compiled with,
 *    so a pool that grows under a running job would hand them thread indices they have no
 *    memory for.  A change made meanwhile waits, and is applied once no job runs (checked
 *    twice a second while one is waiting).  "Runs" is what the window says: its win.cancel-train
 *    action is enabled exactly while its job runs.
 *  - "memory-budget" (percent of RAM) becomes the library's memory budget
 *    (dls_memory_set_budget_percent), which opening a volume checks before reading it; the
 *    environment variable DLSIA_MEMORY_BUDGET, when set, still wins (memory.h).
 *  - "autosave-interval" goes to the document of every open window at once; windows read it
 *    themselves for documents they open later.
 *
 * It deliberately keeps no copy of the keys: every decision reads them again.
 */
#include "config.h"

#include "apply-settings.h"

#include <stdlib.h>

#include "engine.h"
#include "memory.h"
#include "window.h"

#define APPLIER_KEY "dls-apply-settings"

typedef struct
{
  GtkApplication *app; /* owns this (object data); not a reference */
  GSettings *settings;
  int default_threads; /* what 0 means: $DLSIA_THREADS, or 0 for one per core */
  guint retry_id;
} Applier;

static void
applier_free (gpointer data)
{
  Applier *a = data;

  g_clear_handle_id (&a->retry_id, g_source_remove);
  g_clear_object (&a->settings);
  g_free (a);
}

static gboolean
engine_in_use (GtkApplication *app)
{
  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (DLS_IS_WINDOW (l->data)
        && g_action_group_get_action_enabled (G_ACTION_GROUP (l->data), "cancel-train"))
      return TRUE;
  return FALSE;
}

static void apply_threads (Applier *a);

static gboolean
retry_threads (gpointer data)
{
  Applier *a = data;

  a->retry_id = 0;
  apply_threads (a);
  return G_SOURCE_REMOVE;
}

static void
apply_threads (Applier *a)
{
  int n = g_settings_get_int (a->settings, "threads");

  if (engine_in_use (a->app))
    {
      if (a->retry_id == 0)
        a->retry_id = g_timeout_add (500, retry_threads, a);
      return;
    }
  g_clear_handle_id (&a->retry_id, g_source_remove);
  /* a no-op when the pool has that size already */
  dls_engine_set_threads (n > 0 ? n : a->default_threads);
}

static void
apply_autosave_interval (Applier *a)
{
  int seconds = g_settings_get_int (a->settings, "autosave-interval");

  for (GList *l = gtk_application_get_windows (a->app); l != NULL; l = l->next)
    if (DLS_IS_WINDOW (l->data) && dls_window_get_document (l->data) != NULL)
      dls_document_set_autosave_interval (dls_window_get_document (l->data), MAX (seconds, 1));
}

static void
apply_memory_budget (Applier *a)
{
  dls_memory_set_budget_percent (g_settings_get_int (a->settings, "memory-budget"));
}

static void
settings_changed (GSettings *settings, const char *key, GtkApplication *app)
{
  Applier *a = g_object_get_data (G_OBJECT (app), APPLIER_KEY);

  if (g_str_equal (key, "threads"))
    apply_threads (a);
  else if (g_str_equal (key, "memory-budget"))
    apply_memory_budget (a);
  else if (g_str_equal (key, "autosave-interval"))
    apply_autosave_interval (a);
}

/**
 * dls_apply_settings_init:
 * @app: the application; what this sets up lasts as long as it does
 * @settings: (nullable): its settings; %NULL (no schema) leaves the engine's defaults
 *
 * Applies the thread count and the memory budget now, and every key whenever it changes.  Call it once, at startup.
 */
void
dls_apply_settings_init (GtkApplication *app, GSettings *settings)
{
  Applier *a;
  const char *env = g_getenv ("DLSIA_THREADS");

  g_return_if_fail (GTK_IS_APPLICATION (app));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));
  g_return_if_fail (g_object_get_data (G_OBJECT (app), APPLIER_KEY) == NULL);

  if (settings == NULL)
    return;

  a = g_new0 (Applier, 1);
  a->app = app;
  a->settings = g_object_ref (settings);
  a->default_threads = env != NULL ? MAX (atoi (env), 0) : 0;
  g_object_set_data_full (G_OBJECT (app), APPLIER_KEY, a, applier_free);

  /* Disconnected when the application goes, whoever still holds the settings. */
  g_signal_connect_object (settings, "changed", G_CALLBACK (settings_changed), app, 0);
  apply_threads (a);
  apply_memory_budget (a);
}
