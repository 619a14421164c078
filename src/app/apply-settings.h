/* SPDX-License-Identifier: MIT
 *
 * apply-settings.h: makes the running application follow its preference keys.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void dls_apply_settings_init (GtkApplication *app,
                              GSettings      *settings);

G_END_DECLS
