/* SPDX-License-Identifier: MIT
 *
 * settings.h: the application's GSettings, found even when the schema is not installed.
 * GTK-free.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GSettings *dls_settings_new (const char *schema_id);

G_END_DECLS
