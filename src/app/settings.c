/* SPDX-License-Identifier: MIT
 *
 * settings.c: creates the application's GSettings without ever aborting.  g_settings_new()
 * aborts when the schema is not installed, which is the normal case for a program run straight
 * from the build tree.  So the schema is looked up first: installed (or on GSETTINGS_SCHEMA_DIR,
 * as `meson devenv` and the tests set it), settings persist as usual; otherwise the schema
 * compiled into the build directory is used on a memory backend, so an uninstalled build never
 * writes into the user's settings; with neither, there are no settings (NULL) and callers
 * simply do not remember anything.  It does not define any key; the schema in data/ does.
 */
#include "config.h"

#include "settings.h"

/* g_memory_settings_backend_new() is in the backend API, which GIO guards with this. */
#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

GSettings *
dls_settings_new (const char *schema_id)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchemaSource) build_source = NULL;
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettingsBackend) backend = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (schema_id != NULL, NULL);

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, schema_id, TRUE);
  if (schema != NULL)
    return g_settings_new_full (schema, NULL, NULL);

#ifdef DLS_BUILD_SCHEMA_DIR
  if (g_file_test (DLS_BUILD_SCHEMA_DIR "/gschemas.compiled", G_FILE_TEST_IS_REGULAR))
    {
      build_source = g_settings_schema_source_new_from_directory (DLS_BUILD_SCHEMA_DIR, source,
                                                                  FALSE, &error);
      if (build_source != NULL)
        schema = g_settings_schema_source_lookup (build_source, schema_id, FALSE);
      else
        g_debug ("Cannot read the schemas in %s: %s", DLS_BUILD_SCHEMA_DIR, error->message);
    }
  if (schema != NULL)
    {
      g_debug ("Schema %s is not installed; using the build tree's, without persistence",
               schema_id);
      backend = g_memory_settings_backend_new ();
      return g_settings_new_full (schema, backend, NULL);
    }
#endif

  g_message ("The settings schema %s is not installed; settings will not be remembered", schema_id);
  return NULL;
}
