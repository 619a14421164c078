/* SPDX-License-Identifier: MIT
 *
 * window.h: DlsWindow, the main window of DLSIA Studio.
 */
#pragma once

#include <adwaita.h>

#include "types.h"

G_BEGIN_DECLS

#define DLS_TYPE_WINDOW (dls_window_get_type ())
G_DECLARE_FINAL_TYPE (DlsWindow, dls_window, DLS, WINDOW, AdwApplicationWindow)

DlsWindow *dls_window_new            (DlsApplication *application,
                                      GSettings      *settings);
GSettings *dls_window_get_settings   (DlsWindow      *self);
GFile     *dls_window_get_image_file (DlsWindow      *self);
void       dls_window_set_image_file (DlsWindow      *self,
                                      GFile          *file);

G_END_DECLS
