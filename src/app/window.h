/* SPDX-License-Identifier: MIT
 *
 * window.h: DlsWindow, the main window of DLSIA Studio.
 */
#pragma once

#include <adwaita.h>

#include "canvas.h"
#include "dataset.h"
#include "document.h"
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
void       dls_window_open_sample    (DlsWindow      *self);
gboolean   dls_window_is_loading     (DlsWindow      *self);
/* The open document, or NULL; tests and the screenshot flag drive it. */
DlsDocument *dls_window_get_document (DlsWindow      *self);
GtkWidget *dls_window_get_canvas     (DlsWindow      *self,
                                      DlsAxis         axis);
/* The display settings (contrast, colormap, overlay) the views use. */
void       dls_window_get_display    (DlsWindow      *self,
                                      DlsDisplay     *display);
/* Moves the views to voxel (z, y, x) and outlines the size × size patch around it in the XY
 * view (the latent explorer's click). */
void       dls_window_show_patch     (DlsWindow      *self,
                                      int             z,
                                      int             y,
                                      int             x,
                                      int             size);
/* The latent explorer of this window, made on first use. */
DlsExplorer *dls_window_get_explorer (DlsWindow      *self);

/* What the menus do, without their file dialogs (tests, scripting). */
gboolean   dls_window_save_project   (DlsWindow      *self,
                                      const char     *path,
                                      GError        **error);
gboolean   dls_window_save_model     (DlsWindow      *self,
                                      const char     *path,
                                      GError        **error);
gboolean   dls_window_load_model     (DlsWindow      *self,
                                      const char     *path,
                                      GError        **error);
gboolean   dls_window_export_classes (DlsWindow      *self,
                                      const char     *path,
                                      GError        **error);
gboolean   dls_window_export_probabilities (DlsWindow *self,
                                      const char     *path,
                                      GError        **error);
gboolean   dls_window_export_uncertainty (DlsWindow  *self,
                                      const char     *path,
                                      GError        **error);
gboolean   dls_window_export_labels  (DlsWindow      *self,
                                      const char     *path,
                                      GError        **error);

G_END_DECLS
