/* SPDX-License-Identifier: MIT
 *
 * screenshot.c: renders a widget to a texture and a PNG file as GTK draws it, but without the
 * display's own renderer: the widget is snapshotted through a GtkWidgetPaintable and the
 * render node is drawn by a cairo renderer realized here, so it works alike on X11, Wayland
 * or Xvfb and needs no GL.
 *
 * A GtkWidgetPaintable shows the render node the widget made when it was last drawn, and GTK
 * drops that node whenever the widget is queued for redrawing (a style change when the window
 * becomes active is enough).  So dls_screenshot_capture() waits until the widget has been laid
 * out, asks for one more frame and renders right after that frame is painted, when the node is
 * sure to be there; dls_screenshot_render() alone works only at such a moment.
 *
 * It deliberately does not capture the screen (no decorations drawn by a compositor, nothing of
 * other windows) and writes nothing but the one PNG file, atomically.
 */
#include "config.h"

#include "screenshot.h"

#include <glib/gi18n.h>

/* Frames to wait after mapping before the picture is taken: the first lays the widget out. */
#define SETTLE_FRAMES 2
/* Painted frames that may come and go without a render node before giving up. */
#define MAX_ATTEMPTS 10

typedef struct
{
  GWeakRef widget;
  DlsScreenshotFunc func;
  gpointer user_data;
  guint n_ticks;
  guint n_attempts;
  gulong after_paint_id;
} Capture;

typedef struct
{
  GtkWidget *widget;
  GdkTexture *texture;
  GError *error;
  DlsScreenshotFunc func;
  gpointer user_data;
} Result;

static void
capture_free (gpointer data, GClosure *closure)
{
  Capture *capture = data;

  g_weak_ref_clear (&capture->widget);
  g_free (capture);
}

/* The callback runs from an idle, outside the frame clock's signal, so it may close windows
 * or quit the application. */
static void
result_deliver (gpointer data)
{
  Result *result = data;

  result->func (result->widget, result->texture, result->error, result->user_data);
  g_object_unref (result->widget);
  g_clear_object (&result->texture);
  g_clear_error (&result->error);
  g_free (result);
}

static void
capture_after_paint (GdkFrameClock *frame_clock, gpointer data)
{
  Capture *capture = data;
  g_autoptr (GtkWidget) widget = g_weak_ref_get (&capture->widget);
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  Result *result;

  if (widget == NULL || !gtk_widget_get_mapped (widget))
    {
      /* Gone: there is no one to tell. */
      g_signal_handler_disconnect (frame_clock, capture->after_paint_id);
      return;
    }

  texture = dls_screenshot_render (widget, &error);
  if (texture == NULL && ++capture->n_attempts < MAX_ATTEMPTS)
    {
      /* Invalidated after this frame's paint: try again after the next one. */
      gtk_widget_queue_draw (widget);
      return;
    }

  result = g_new0 (Result, 1);
  result->widget = g_steal_pointer (&widget);
  result->texture = g_steal_pointer (&texture);
  result->error = g_steal_pointer (&error);
  result->func = capture->func;
  result->user_data = capture->user_data;
  g_idle_add_once (result_deliver, result);

  g_signal_handler_disconnect (frame_clock, capture->after_paint_id); /* frees capture */
}

/* Frees the capture if the widget went away before the tick handed it to the frame clock. */
static void
capture_tick_destroy (gpointer data)
{
  Capture *capture = data;

  if (capture->after_paint_id == 0)
    capture_free (capture, NULL);
}

static gboolean
capture_tick (GtkWidget *widget, GdkFrameClock *frame_clock, gpointer data)
{
  Capture *capture = data;

  /* Tick callbacks run at the start of a frame, before its layout and paint. */
  if (++capture->n_ticks < SETTLE_FRAMES)
    return G_SOURCE_CONTINUE;

  capture->after_paint_id = g_signal_connect_data (
      frame_clock, "after-paint", G_CALLBACK (capture_after_paint), capture, capture_free, 0);
  gtk_widget_queue_draw (widget);
  return G_SOURCE_REMOVE;
}

/**
 * dls_screenshot_capture:
 *
 * Renders the widget once it has been mapped, laid out and painted, and calls func with the
 * picture from an idle.  If the widget goes away before that, func is not called.
 */
void
dls_screenshot_capture (GtkWidget *widget, DlsScreenshotFunc func, gpointer user_data)
{
  Capture *capture;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (func != NULL);

  capture = g_new0 (Capture, 1);
  g_weak_ref_init (&capture->widget, widget);
  capture->func = func;
  capture->user_data = user_data;
  gtk_widget_add_tick_callback (widget, capture_tick, capture, capture_tick_destroy);
}

/**
 * dls_screenshot_render:
 *
 * The widget as it was last drawn, at its current size.  Fails when the widget is not mapped
 * or has been invalidated since it was last drawn.
 */
GdkTexture *
dls_screenshot_render (GtkWidget *widget, GError **error)
{
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GskRenderer) renderer = NULL;
  GtkSnapshot *snapshot;
  GdkTexture *texture;
  graphene_rect_t viewport;
  int width, height;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  if (width <= 0 || height <= 0 || !gtk_widget_get_mapped (widget))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           _ ("The window has not been drawn yet"));
      return NULL;
    }

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                           _ ("The window is being redrawn"));
      return NULL;
    }

  /* Our own renderer, not the window's: its GL renderer would need the window's context and
   * gives nothing more here. */
  renderer = gsk_cairo_renderer_new ();
  if (!gsk_renderer_realize (renderer, NULL, error))
    return NULL;
  viewport = GRAPHENE_RECT_INIT (0, 0, width, height);
  texture = gsk_renderer_render_texture (renderer, node, &viewport);
  gsk_renderer_unrealize (renderer);
  return texture;
}

gboolean
dls_screenshot_save_texture (GdkTexture *texture, const char *filename, GError **error)
{
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GFile) file = NULL;

  g_return_val_if_fail (GDK_IS_TEXTURE (texture), FALSE);
  g_return_val_if_fail (filename != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* gdk_texture_save_to_png() says only that it failed; writing the bytes ourselves gives the
   * reason (no such folder, permission denied) and replaces the file atomically. */
  png = gdk_texture_save_to_png_bytes (texture);
  file = g_file_new_for_path (filename);
  return g_file_replace_contents (file, g_bytes_get_data (png, NULL), g_bytes_get_size (png), NULL,
                                  FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL, NULL, error);
}
