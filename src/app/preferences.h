/* SPDX-License-Identifier: MIT
 *
 * preferences.h: DlsPreferencesWindow, the preferences of DLSIA Studio.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DLS_TYPE_PREFERENCES_WINDOW (dls_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (DlsPreferencesWindow, dls_preferences_window, DLS, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

DlsPreferencesWindow *dls_preferences_window_new          (GtkWindow            *parent,
                                                           GSettings            *settings);
GSettings            *dls_preferences_window_get_settings (DlsPreferencesWindow *self);

G_END_DECLS
