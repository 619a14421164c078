/* SPDX-License-Identifier: MIT
 *
 * screenshot.h: pictures of widgets as GTK draws them, without a screen (the hidden
 * --screenshot option and the GUI tests use it).
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* texture: the picture, or NULL with error set. */
typedef void (*DlsScreenshotFunc) (GtkWidget    *widget,
                                   GdkTexture   *texture,
                                   const GError *error,
                                   gpointer      user_data);

void        dls_screenshot_capture      (GtkWidget        *widget,
                                         DlsScreenshotFunc func,
                                         gpointer          user_data);
GdkTexture *dls_screenshot_render       (GtkWidget        *widget,
                                         GError          **error);
gboolean    dls_screenshot_save_texture (GdkTexture       *texture,
                                         const char       *filename,
                                         GError          **error);

G_END_DECLS
