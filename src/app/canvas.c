/* SPDX-License-Identifier: MIT
 *
 * canvas.c: DlsCanvas (see canvas.h).  Each layer of the shown plane — image, overlay,
 * labels — is kept as a cairo image surface of the plane's size and re-rendered only when its
 * data changes (a brush segment re-renders just the rectangle it touched); drawing then scales
 * the surfaces with nearest filtering, so pixels stay square at every zoom and a frame costs
 * the same whatever the zoom.
 *
 * Mouse: primary button paints (or fills), middle button or Space + primary pans, secondary
 * button moves the crosshair (the other views follow), the wheel changes the slice and
 * Ctrl + wheel zooms about the pointer.  Keyboard commands are the window's actions.
 *
 * It deliberately holds no state of its own about the work: the document has the data, the
 * window the display and paint settings.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "brush.h"
#include "canvas.h"
#include "flood.h"
#include "plane.h"
#include "view.h"

/* Labels are drawn nearly opaque: they are sparse and must stand out on any overlay. */
#define LABEL_ALPHA 0.9

typedef enum {
  DRAG_NONE,
  DRAG_PAINT,
  DRAG_PAN,
} DragMode;

struct _DlsCanvas
{
  GtkWidget parent_instance;

  DlsAxis axis;
  DlsDocument *doc;
  gulong labels_id, prediction_id, classes_id;
  int pos[3];                 /* z, y, x */
  int depth, height, width;   /* of the volume */
  int pw, ph, slice;          /* the plane shown */

  DlsView view;
  gboolean view_ready;
  DlsDisplay display;
  DlsPaint paint;

  cairo_surface_t *base, *labels, *overlay;
  gboolean base_dirty, labels_dirty, overlay_dirty;          /* the whole layer is stale */
  cairo_region_t *base_valid, *labels_valid, *overlay_valid; /* parts rendered and current */
  cairo_surface_t *frames[2]; /* the last two frames drawn (see dls_canvas_snapshot) */
  int frame_turn;
  float overlay_lo, overlay_hi;

  DragMode drag;
  double drag_x, drag_y; /* last point of a paint drag (image), or of a pan (widget) */
  gboolean space_held;
  gboolean hover;
  double hover_x, hover_y; /* widget */
  double scroll_acc;
  int outline[4];             /* z, y, x, size of the outlined patch (size 0: none) */
};

G_DEFINE_FINAL_TYPE (DlsCanvas, dls_canvas, GTK_TYPE_WIDGET)

enum
{
  POSITION_CHANGED,
  HOVER,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- geometry ---- */

static int
slice_of (DlsCanvas *self, const int *pos)
{
  return self->axis == DLS_AXIS_Z ? pos[0] : self->axis == DLS_AXIS_Y ? pos[1] : pos[2];
}

/* plane point → volume z, y, x */
static void
plane_to_volume (DlsCanvas *self, int px, int py, int *pos)
{
  switch (self->axis)
    {
    case DLS_AXIS_Z:
      pos[0] = self->slice, pos[1] = py, pos[2] = px;
      break;
    case DLS_AXIS_Y:
      pos[0] = py, pos[1] = self->slice, pos[2] = px;
      break;
    default:
      pos[0] = px, pos[1] = py, pos[2] = self->slice;
      break;
    }
}

static void
crosshair_in_plane (DlsCanvas *self, int *px, int *py)
{
  switch (self->axis)
    {
    case DLS_AXIS_Z:
      *px = self->pos[2], *py = self->pos[1];
      break;
    case DLS_AXIS_Y:
      *px = self->pos[2], *py = self->pos[0];
      break;
    default:
      *px = self->pos[0], *py = self->pos[1];
      break;
    }
}

/* The YZ view stands beside the XY view, so it shows Z across and Y down (its rows line up
 * with the XY view's rows): the library's X planes (Y across, Z down), transposed. */
static void
label_plane (DlsCanvas *self, DlsLabelPlane *p, guint8 *volume)
{
  dls_label_plane_init (p, volume, self->depth, self->height, self->width, self->axis,
                        self->slice);
  if (self->axis == DLS_AXIS_X)
    {
      gssize t = p->sx;
      int w = p->width;

      p->sx = p->sy, p->sy = t;
      p->width = p->height, p->height = w;
    }
}

/* The same geometry over the float volume. */
static void
float_plane (DlsCanvas *self, DlsFloatPlane *p, const float *volume)
{
  DlsLabelPlane g;

  label_plane (self, &g, NULL);
  *p = (DlsFloatPlane){ volume, g.origin, g.sx, g.sy, g.width, g.height };
}

/* ---- layers ---- */

static cairo_surface_t *
ensure_surface (cairo_surface_t **s, int w, int h)
{
  if (*s == NULL || cairo_image_surface_get_width (*s) != w
      || cairo_image_surface_get_height (*s) != h)
    {
      g_clear_pointer (s, cairo_surface_destroy);
      *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
    }
  return *s;
}

static void
render_base_rect (DlsCanvas *self, int x0, int y0, int w, int h)
{
  cairo_surface_t *s = ensure_surface (&self->base, self->pw, self->ph);
  int stride = cairo_image_surface_get_stride (s) / 4;
  DlsFloatPlane fp;

  cairo_surface_flush (s);
  float_plane (self, &fp, dls_document_get_volume (self->doc));
  dls_render_scalar (&fp, x0, y0, w, h, self->display.colormap, self->display.lo, self->display.hi,
                     1.0, (guint32 *) cairo_image_surface_get_data (s) + (gsize) y0 * stride + x0,
                     stride);
  cairo_surface_mark_dirty_rectangle (s, x0, y0, w, h);
}

static void
render_labels_rect (DlsCanvas *self, int x0, int y0, int w, int h)
{
  cairo_surface_t *s = ensure_surface (&self->labels, self->pw, self->ph);
  int stride = cairo_image_surface_get_stride (s) / 4;
  guint32 *data = (guint32 *) cairo_image_surface_get_data (s);
  DlsLabelPlane lp;

  x0 = CLAMP (x0, 0, self->pw);
  y0 = CLAMP (y0, 0, self->ph);
  w = MIN (w, self->pw - x0);
  h = MIN (h, self->ph - y0);
  if (w <= 0 || h <= 0)
    return;
  cairo_surface_flush (s);
  label_plane (self, &lp, dls_document_get_labels (self->doc));
  dls_render_labels (&lp, NULL, x0, y0, w, h, dls_document_get_palette (self->doc), 256,
                     LABEL_ALPHA, data + (gsize) y0 * stride + x0, stride);
  cairo_surface_mark_dirty_rectangle (s, x0, y0, w, h);
}

/* The volume z of plane pixel (x, y): the YZ view shows Z across, the XZ view Z down. */
static inline int
z_of (DlsCanvas *self, int x, int y)
{
  return self->axis == DLS_AXIS_Z ? self->slice : self->axis == DLS_AXIS_Y ? y : x;
}

/* Class colours at 256 confidence levels: lut[k·256 + q] is class k + 1 at opacity
 * opacity · q / 255, premultiplied, computed by dls_render_labels itself so the overlay's
 * colours are the ones it would give (the confidence is quantised to 8 bits, as alpha is). */
static guint32 *
overlay_lut (DlsCanvas *self, int K, gboolean weighted)
{
  guint32 *lut = g_new (guint32, (gsize) K * 256);
  guint8 k8[256];
  float q[256];

  for (int i = 0; i < 256; i++)
    q[i] = weighted ? i / 255.0f : 1.0f;
  for (int k = 0; k < K; k++)
    {
      DlsLabelPlane lp = { k8, 0, 1, 256, 256, 1 };
      DlsFloatPlane wp = { q, 0, 1, 256, 256, 1 };

      memset (k8, k + 1, sizeof k8);
      dls_render_labels (&lp, &wp, 0, 0, 256, 1, dls_document_get_palette (self->doc), 256,
                         self->display.opacity, lut + (gsize) k * 256, 256);
    }
  return lut;
}

/* Prediction and segmentation: the argmax class in its colour, faded where the ensemble is
 * unsure (prediction), straight into the surface through overlay_lut (a per-pixel
 * premultiplication was most of a slice change).  The uncertainty map goes through a plane of
 * its measure and the colormap. */
static void
render_overlay_rect (DlsCanvas *self, int x0, int y0, int w, int h)
{
  DlsPrediction *p = dls_document_get_prediction (self->doc);
  cairo_surface_t *s = self->overlay;
  gsize n = (gsize) self->depth * self->height * self->width;
  gboolean uncertainty = self->display.overlay == DLS_OVERLAY_UNCERTAINTY;
  g_autofree float *val = NULL;
  g_autofree guint32 *lut = NULL;
  DlsLabelPlane geom;
  const float *probs = p->probs;
  int stride = cairo_image_surface_get_stride (s) / 4, K = p->K;
  /* confidence → LUT level: (best − 1/K) / (1 − 1/K) · 255, clamped */
  float scale = K > 1 ? 255.0f / (1.0f - 1.0f / K) : 0;
  float offset = K > 1 ? -scale / K + 0.5f : 255.5f;
  guint32 *data = (guint32 *) cairo_image_surface_get_data (s) + (gsize) y0 * stride + x0;

  cairo_surface_flush (s);
  if (uncertainty)
    val = g_new (float, (gsize) w *h);
  else
    lut = overlay_lut (self, K, self->display.overlay == DLS_OVERLAY_PREDICTION);
  /* geometry only: which volume index each plane pixel shows */
  label_plane (self, &geom, NULL);
  for (int j = 0; j < h; j++)
    {
      int y = y0 + j;
      guint32 *row = data + (gsize) j * stride;
      float *vrow = val ? val + (gsize) j * w : NULL;
      gsize idx = dls_label_plane_index (&geom, x0, y);
      gboolean row_done
          = self->axis != DLS_AXIS_X && dls_prediction_slice_done (p, z_of (self, x0, y));

      for (int i = 0; i < w; i++, idx += geom.sx)
        {
          float best = probs[idx], level;
          int arg = 0;

          if (!row_done && (self->axis != DLS_AXIS_X || !dls_prediction_slice_done (p, x0 + i)))
            {
              if (vrow)
                vrow[i] = NAN;
              else
                row[i] = 0;
              continue;
            }
          if (vrow)
            {
              vrow[i] = dls_prediction_measure (p, self->display.measure, idx);
              continue;
            }
          for (int k = 1; k < K; k++)
            if (probs[k * n + idx] > best)
              best = probs[k * n + idx], arg = k;
          level = CLAMP (best * scale + offset, 0.0f, 255.0f);
          row[i] = lut[arg * 256 + (int) level];
        }
    }
  if (uncertainty)
    {
      DlsFloatPlane fp = { val, 0, 1, w, w, h };

      dls_render_scalar (&fp, 0, 0, w, h, DLS_COLORMAP_INFERNO, self->overlay_lo, self->overlay_hi,
                         self->display.opacity, data, stride);
    }
  cairo_surface_mark_dirty_rectangle (s, x0, y0, w, h);
}

typedef void (*RenderRectFn) (DlsCanvas *self, int x0, int y0, int w, int h);

/* Renders the part of a layer that is visible and not yet valid, and marks it valid. */
static void
render_visible (DlsCanvas *self, cairo_region_t *valid, const cairo_rectangle_int_t *visible,
                RenderRectFn render)
{
  cairo_region_t *missing = cairo_region_create_rectangle (visible);

  cairo_region_subtract (missing, valid);
  for (int i = 0, n = cairo_region_num_rectangles (missing); i < n; i++)
    {
      cairo_rectangle_int_t r;

      cairo_region_get_rectangle (missing, i, &r);
      render (self, r.x, r.y, r.width, r.height);
    }
  cairo_region_union (valid, missing);
  cairo_region_destroy (missing);
}

/* Layers are rendered where they are seen, when they are seen: a slice change at 4× renders
 * 1/16 of what it did, and a pan renders the strip it uncovers.  Whole-layer staleness (the
 * *_dirty flags, set by changes of slice, display or data) empties a layer's valid region. */
static void
update_layers (DlsCanvas *self)
{
  DlsPrediction *p = dls_document_get_prediction (self->doc);
  cairo_rectangle_int_t vis;
  int x1, y1;

  dls_view_visible (&self->view, &vis.x, &vis.y, &x1, &y1);
  vis.width = x1 - vis.x;
  vis.height = y1 - vis.y;
  if (self->base_dirty)
    {
      ensure_surface (&self->base, self->pw, self->ph);
      cairo_region_subtract (self->base_valid, self->base_valid);
      self->base_dirty = FALSE;
    }
  if (self->labels_dirty)
    {
      ensure_surface (&self->labels, self->pw, self->ph);
      cairo_region_subtract (self->labels_valid, self->labels_valid);
      self->labels_dirty = FALSE;
    }
  if (self->overlay_dirty)
    {
      cairo_region_subtract (self->overlay_valid, self->overlay_valid);
      self->overlay_dirty = FALSE;
      if (p == NULL || self->display.overlay == DLS_OVERLAY_NONE)
        g_clear_pointer (&self->overlay, cairo_surface_destroy);
      else
        {
          ensure_surface (&self->overlay, self->pw, self->ph);
          dls_prediction_measure_range (p, self->display.measure, &self->overlay_lo, &self->overlay_hi);
        }
    }
  if (vis.width <= 0 || vis.height <= 0)
    return;
  render_visible (self, self->base_valid, &vis, render_base_rect);
  render_visible (self, self->labels_valid, &vis, render_labels_rect);
  if (self->overlay != NULL)
    render_visible (self, self->overlay_valid, &vis, render_overlay_rect);
}

static void
invalidate_all (DlsCanvas *self)
{
  self->base_dirty = self->labels_dirty = self->overlay_dirty = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---- drawing ---- */

static void
paint_layer (cairo_t *cr, cairo_surface_t *s, double alpha)
{
  if (s == NULL)
    return;
  cairo_set_source_surface (cr, s, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_NONE);
  cairo_paint_with_alpha (cr, alpha);
}

static void
draw_legend (DlsCanvas *self, cairo_t *cr, int h)
{
  g_autofree char *text = dls_canvas_describe_overlay (self);
  PangoLayout *layout;
  const guint32 *table = dls_colormap_table (DLS_COLORMAP_INFERNO);
  int tw, th, bar = 160;

  if (text == NULL)
    return;
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  pango_layout_get_pixel_size (layout, &tw, &th);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.7);
  cairo_rectangle (cr, 8, h - 8 - th - 22, MAX (tw, bar) + 12, th + 22);
  cairo_fill (cr);
  for (int i = 0; i < bar; i++)
    {
      guint32 c = table[i * 255 / (bar - 1)];

      cairo_set_source_rgb (cr, ((c >> 16) & 255) / 255.0, ((c >> 8) & 255) / 255.0,
                            (c & 255) / 255.0);
      cairo_rectangle (cr, 14 + i, h - 8 - th - 16, 1, 10);
      cairo_fill (cr);
    }
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_move_to (cr, 14, h - 8 - th - 4);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static void
draw_frame (DlsCanvas *self, cairo_t *cr, int w, int h)
{
  int cx, cy;

  cairo_set_source_rgb (cr, 0.12, 0.12, 0.13);
  cairo_paint (cr);
  if (self->doc == NULL)
    return;
  if (!self->view_ready || self->view.win_w != w || self->view.win_h != h)
    {
      if (!self->view_ready)
        dls_view_init (&self->view, self->pw, self->ph, w, h);
      else
        dls_view_resize (&self->view, w, h);
      self->view_ready = TRUE;
    }
  update_layers (self);

  cairo_save (cr);
  cairo_translate (cr, self->view.ox, self->view.oy);
  cairo_scale (cr, self->view.scale, self->view.scale);
  cairo_rectangle (cr, 0, 0, self->pw, self->ph);
  cairo_clip (cr);
  paint_layer (cr, self->base, 1.0);
  paint_layer (cr, self->overlay, 1.0);
  if (self->display.show_labels)
    paint_layer (cr, self->labels, 1.0);
  cairo_restore (cr);

  /* crosshair: where the other views cut this one */
  if (self->depth > 1)
    {
      double wx, wy;

      crosshair_in_plane (self, &cx, &cy);
      dls_view_to_widget (&self->view, cx + 0.5, cy + 0.5, &wx, &wy);
      cairo_set_line_width (cr, 1);
      cairo_set_source_rgba (cr, 1.0, 0.85, 0.2, 0.55);
      cairo_move_to (cr, floor (wx) + 0.5, 0);
      cairo_line_to (cr, floor (wx) + 0.5, h);
      cairo_move_to (cr, 0, floor (wy) + 0.5);
      cairo_line_to (cr, w, floor (wy) + 0.5);
      cairo_stroke (cr);
    }
  /* the patch the latent explorer pointed at */
  if (self->outline[3] > 0 && self->axis == DLS_AXIS_Z && self->outline[0] == self->slice)
    {
      int half = self->outline[3] / 2;
      double x0, y0, x1, y1;

      dls_view_to_widget (&self->view, self->outline[2] - half, self->outline[1] - half, &x0, &y0);
      dls_view_to_widget (&self->view, self->outline[2] - half + self->outline[3],
                          self->outline[1] - half + self->outline[3], &x1, &y1);
      cairo_set_line_width (cr, 2);
      cairo_set_source_rgb (cr, 1.0, 0.85, 0.2);
      cairo_rectangle (cr, x0, y0, x1 - x0, y1 - y0);
      cairo_stroke (cr);
    }
  /* the brush's footprint under the pointer */
  if (self->hover && self->paint.tool != DLS_TOOL_FILL && self->drag != DRAG_PAN
      && !self->space_held)
    {
      cairo_set_line_width (cr, 1);
      cairo_set_source_rgba (cr, 1, 1, 1, 0.8);
      cairo_arc (cr, self->hover_x, self->hover_y, MAX (self->paint.size * self->view.scale / 2, 2),
                 0, 2 * G_PI);
      cairo_stroke (cr);
    }
  /* one legend is enough: on the main (XY) view */
  if (self->display.overlay == DLS_OVERLAY_UNCERTAINTY && self->axis == DLS_AXIS_Z)
    draw_legend (self, cr, h);
}

/* The frame is drawn here, into an image of our own, and only that image goes into the
 * recorded drawing (gtk_snapshot_append_cairo) that GTK keeps as the frame's render node.
 * Recording the layers themselves made the node hold cairo snapshots of them, and cairo copies
 * a whole layer (16 MB at 2048²) before the next write to it — every brush segment, every
 * slice change — for as long as GTK keeps the last frame's node.  Two frame images take turns:
 * GTK lets go of the node before last by the time we draw again, so the image we draw into is
 * no longer shared and cairo copies nothing (if it still were, cairo would copy it first, and
 * the old frame would stay right).  A new image per frame costs its page faults (~1000 for
 * 1280 × 800), and a texture node instead of a cairo one is converted pixel by pixel by GTK
 * 4.8's cairo renderer (~10 ms). */
static void
dls_canvas_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DlsCanvas *self = DLS_CANVAS (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  int sf = gtk_widget_get_scale_factor (widget);
  cairo_surface_t *frame;
  cairo_t *cr;

  if (w <= 0 || h <= 0)
    return;
  self->frame_turn ^= 1;
  frame = ensure_surface (&self->frames[self->frame_turn], w * sf, h * sf);
  cairo_surface_set_device_scale (frame, sf, sf);
  cr = cairo_create (frame);
  draw_frame (self, cr, w, h);
  cairo_destroy (cr);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  cairo_set_source_surface (cr, frame, 0, 0);
  cairo_paint (cr);
  cairo_destroy (cr);
}

/* ---- input ---- */

static void
set_hover (DlsCanvas *self, double x, double y, gboolean inside)
{
  int px, py, pos[3] = { -1, -1, -1 };

  self->hover = inside;
  self->hover_x = x;
  self->hover_y = y;
  if (inside && self->doc && dls_view_pixel_at (&self->view, x, y, &px, &py))
    plane_to_volume (self, px, py, pos);
  g_signal_emit (self, signals[HOVER], 0, pos[0], pos[1], pos[2]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_motion (GtkEventControllerMotion *c, double x, double y, DlsCanvas *self)
{
  set_hover (self, x, y, TRUE);
}

static void
on_leave (GtkEventControllerMotion *c, DlsCanvas *self)
{
  set_hover (self, 0, 0, FALSE);
}

static guint8
paint_value (DlsCanvas *self)
{
  return self->paint.tool == DLS_TOOL_ERASER ? 0 : (guint8) self->paint.klass;
}

/* Applies one brush segment (image coords) and redraws what changed. */
static void
paint_segment (DlsCanvas *self, double ax, double ay, double bx, double by)
{
  DlsLabelPlane lp;
  DlsRect r;
  int a[3], b[3];
  gsize hw = (gsize) self->height * self->width;

  label_plane (self, &lp, dls_document_get_labels (self->doc));
  if (self->paint.tool == DLS_TOOL_FILL)
    {
      int px = (int) floor (bx), py = (int) floor (by);

      r = dls_flood_fill (&lp, px, py, paint_value (self), dls_document_get_undo (self->doc));
    }
  else
    r = dls_brush_segment (&lp, ax, ay, bx, by, self->paint.size, paint_value (self),
                           dls_document_get_undo (self->doc));
  if (dls_rect_is_empty (&r))
    return;
  render_labels_rect (self, r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0);
  plane_to_volume (self, r.x0, r.y0, a);
  plane_to_volume (self, r.x1 - 1, r.y1 - 1, b);
  {
    gsize lo = (gsize) MIN (a[0], b[0]) * hw + (gsize) MIN (a[1], b[1]) * self->width
               + MIN (a[2], b[2]);
    gsize hi = (gsize) MAX (a[0], b[0]) * hw + (gsize) MAX (a[1], b[1]) * self->width
               + MAX (a[2], b[2]);

    /* the emission re-renders the other views; this one is already up to date */
    g_signal_handler_block (self->doc, self->labels_id);
    dls_document_labels_changed (self->doc, lo, hi);
    g_signal_handler_unblock (self->doc, self->labels_id);
  }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_drag_begin (GtkGestureDrag *g, double x, double y, DlsCanvas *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (g));
  double ix, iy;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (self->doc == NULL)
    {
      gtk_gesture_set_state (GTK_GESTURE (g), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }
  dls_view_to_image (&self->view, x, y, &ix, &iy);
  if (button == GDK_BUTTON_MIDDLE || (button == GDK_BUTTON_PRIMARY && self->space_held))
    {
      self->drag = DRAG_PAN;
      self->drag_x = x;
      self->drag_y = y;
    }
  else if (button == GDK_BUTTON_PRIMARY)
    {
      self->drag = DRAG_PAINT;
      self->drag_x = ix;
      self->drag_y = iy;
      dls_undo_begin (dls_document_get_undo (self->doc));
      paint_segment (self, ix, iy, ix, iy);
    }
  else if (button == GDK_BUTTON_SECONDARY)
    {
      int px, py, pos[3];

      self->drag = DRAG_NONE;
      if (dls_view_pixel_at (&self->view, x, y, &px, &py))
        {
          plane_to_volume (self, px, py, pos);
          g_signal_emit (self, signals[POSITION_CHANGED], 0, pos[0], pos[1], pos[2]);
        }
    }
}

static void
on_drag_update (GtkGestureDrag *g, double dx, double dy, DlsCanvas *self)
{
  double sx, sy, x, y, ix, iy;

  if (!gtk_gesture_drag_get_start_point (g, &sx, &sy))
    return;
  x = sx + dx;
  y = sy + dy;
  if (self->drag == DRAG_PAN)
    {
      dls_view_pan (&self->view, x - self->drag_x, y - self->drag_y);
      self->drag_x = x;
      self->drag_y = y;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
  else if (self->drag == DRAG_PAINT && self->paint.tool != DLS_TOOL_FILL)
    {
      dls_view_to_image (&self->view, x, y, &ix, &iy);
      paint_segment (self, self->drag_x, self->drag_y, ix, iy);
      self->drag_x = ix;
      self->drag_y = iy;
      set_hover (self, x, y, TRUE);
    }
}

static void
on_drag_end (GtkGestureDrag *g, double dx, double dy, DlsCanvas *self)
{
  if (self->drag == DRAG_PAINT && self->doc != NULL)
    dls_undo_end (dls_document_get_undo (self->doc));
  self->drag = DRAG_NONE;
}

static gboolean
on_scroll (GtkEventControllerScroll *c, double dx, double dy, DlsCanvas *self)
{
  GdkModifierType mods
      = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (c));

  if (self->doc == NULL)
    return FALSE;
  if (mods & GDK_CONTROL_MASK)
    {
      double wx = self->hover ? self->hover_x : self->view.win_w / 2.0;
      double wy = self->hover ? self->hover_y : self->view.win_h / 2.0;

      dls_view_zoom_about (&self->view, pow (1.25, -dy), wx, wy);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return TRUE;
    }
  self->scroll_acc += dy;
  while (fabs (self->scroll_acc) >= 1)
    {
      int step = self->scroll_acc > 0 ? 1 : -1, pos[3] = { self->pos[0], self->pos[1], self->pos[2] };
      int *s = self->axis == DLS_AXIS_Z ? &pos[0] : self->axis == DLS_AXIS_Y ? &pos[1] : &pos[2];
      int n = self->axis == DLS_AXIS_Z ? self->depth : self->axis == DLS_AXIS_Y ? self->height
                                                                               : self->width;

      self->scroll_acc -= step;
      *s = CLAMP (*s + step, 0, n - 1);
      g_signal_emit (self, signals[POSITION_CHANGED], 0, pos[0], pos[1], pos[2]);
    }
  return TRUE;
}

static gboolean
on_key_pressed (GtkEventControllerKey *c, guint keyval, guint keycode, GdkModifierType state,
                DlsCanvas *self)
{
  if (keyval == GDK_KEY_space)
    {
      self->space_held = TRUE;
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grab");
      return TRUE;
    }
  return FALSE;
}

static void
on_key_released (GtkEventControllerKey *c, guint keyval, guint keycode, GdkModifierType state,
                 DlsCanvas *self)
{
  if (keyval == GDK_KEY_space)
    {
      self->space_held = FALSE;
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "crosshair");
    }
}

/* ---- document signals ---- */

static void
on_labels_changed (DlsDocument *doc, guint64 lo, guint64 hi, DlsCanvas *self)
{
  gsize hw = (gsize) self->height * self->width;

  if (self->axis == DLS_AXIS_Z)
    {
      gsize first = (gsize) self->slice * hw, last = first + hw - 1;

      if (hi < first || lo > last)
        return;
      /* whole rows between the first and last touched index of this slice: stale, rendered
       * again where they are seen at the next frame */
      {
        int y0 = lo < first ? 0 : (int) ((lo - first) / self->width);
        int y1 = hi > last ? self->height - 1 : (int) ((hi - first) / self->width);
        cairo_rectangle_int_t rows = { 0, y0, self->pw, y1 - y0 + 1 };

        cairo_region_subtract_rectangle (self->labels_valid, &rows);
      }
    }
  else
    self->labels_dirty = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_prediction_changed (DlsDocument *doc, int z, DlsCanvas *self)
{
  /* an XY view only cares about its own slice arriving */
  if (z >= 0 && self->axis == DLS_AXIS_Z && z != self->slice)
    return;
  self->overlay_dirty = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_classes_changed (DlsDocument *doc, DlsCanvas *self)
{
  self->labels_dirty = self->overlay_dirty = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---- object ---- */

static void
dls_canvas_dispose (GObject *object)
{
  DlsCanvas *self = DLS_CANVAS (object);

  dls_canvas_set_document (self, NULL);
  g_clear_pointer (&self->base, cairo_surface_destroy);
  g_clear_pointer (&self->labels, cairo_surface_destroy);
  g_clear_pointer (&self->overlay, cairo_surface_destroy);
  g_clear_pointer (&self->frames[0], cairo_surface_destroy);
  g_clear_pointer (&self->frames[1], cairo_surface_destroy);
  g_clear_pointer (&self->base_valid, cairo_region_destroy);
  g_clear_pointer (&self->labels_valid, cairo_region_destroy);
  g_clear_pointer (&self->overlay_valid, cairo_region_destroy);
  G_OBJECT_CLASS (dls_canvas_parent_class)->dispose (object);
}

static void
dls_canvas_class_init (DlsCanvasClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dls_canvas_dispose;
  widget_class->snapshot = dls_canvas_snapshot;

  /* the user moved through the volume: wheel (slice) or secondary click (crosshair) */
  signals[POSITION_CHANGED] = g_signal_new ("position-changed", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                            3, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT);
  /* the voxel under the pointer, or −1, −1, −1 */
  signals[HOVER] = g_signal_new ("hover", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT);
  gtk_widget_class_set_css_name (widget_class, "dls-canvas");
}

static void
dls_canvas_init (DlsCanvas *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *scroll
      = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  GtkEventController *key = gtk_event_controller_key_new ();
  GtkGesture *drag = gtk_gesture_drag_new ();

  self->paint = (DlsPaint){ DLS_TOOL_BRUSH, 5, 1 };
  self->base_valid = cairo_region_create ();
  self->labels_valid = cairo_region_create ();
  self->overlay_valid = cairo_region_create ();
  self->display = (DlsDisplay){ DLS_COLORMAP_GRAY,  0,   1,   DLS_OVERLAY_PREDICTION,
                                DLS_MEASURE_MARGIN, 0.5, TRUE };
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "crosshair");

  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key_pressed), self);
  g_signal_connect (key, "key-released", G_CALLBACK (on_key_released), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), 0);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
}

GtkWidget *
dls_canvas_new (DlsAxis axis)
{
  DlsCanvas *self = g_object_new (DLS_TYPE_CANVAS, NULL);

  self->axis = axis;
  return GTK_WIDGET (self);
}

DlsAxis
dls_canvas_get_axis (DlsCanvas *self)
{
  return self->axis;
}

void
dls_canvas_set_document (DlsCanvas *self, DlsDocument *doc)
{
  g_return_if_fail (DLS_IS_CANVAS (self));

  if (self->doc == doc)
    return;
  if (self->doc != NULL)
    {
      g_clear_signal_handler (&self->labels_id, self->doc);
      g_clear_signal_handler (&self->prediction_id, self->doc);
      g_clear_signal_handler (&self->classes_id, self->doc);
      g_clear_object (&self->doc);
    }
  self->view_ready = FALSE;
  if (doc == NULL)
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }
  self->doc = g_object_ref (doc);
  self->labels_id = g_signal_connect (doc, "labels-changed", G_CALLBACK (on_labels_changed), self);
  self->prediction_id
      = g_signal_connect (doc, "prediction-changed", G_CALLBACK (on_prediction_changed), self);
  self->classes_id
      = g_signal_connect (doc, "classes-changed", G_CALLBACK (on_classes_changed), self);
  dls_document_get_size (doc, &self->depth, &self->height, &self->width);
  self->pos[0] = self->depth / 2;
  self->pos[1] = self->height / 2;
  self->pos[2] = self->width / 2;
  self->slice = slice_of (self, self->pos);
  {
    DlsLabelPlane g;

    label_plane (self, &g, NULL);
    self->pw = g.width;
    self->ph = g.height;
  }
  invalidate_all (self);
}

void
dls_canvas_set_position (DlsCanvas *self, int z, int y, int x)
{
  int slice;

  if (self->doc == NULL)
    return;
  self->pos[0] = CLAMP (z, 0, self->depth - 1);
  self->pos[1] = CLAMP (y, 0, self->height - 1);
  self->pos[2] = CLAMP (x, 0, self->width - 1);
  slice = slice_of (self, self->pos);
  if (slice != self->slice)
    {
      self->slice = slice;
      invalidate_all (self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dls_canvas_set_display (DlsCanvas *self, const DlsDisplay *d)
{
  gboolean base = d->colormap != self->display.colormap || d->lo != self->display.lo
                  || d->hi != self->display.hi;
  gboolean overlay = d->overlay != self->display.overlay || d->measure != self->display.measure
                     || d->opacity != self->display.opacity;

  self->display = *d;
  self->base_dirty |= base;
  self->overlay_dirty |= overlay;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dls_canvas_set_paint (DlsCanvas *self, const DlsPaint *paint)
{
  self->paint = *paint;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
zoom_about_centre (DlsCanvas *self, double scale)
{
  if (!self->view_ready)
    return;
  dls_view_set_scale_about (&self->view, scale, self->view.win_w / 2.0, self->view.win_h / 2.0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dls_canvas_zoom (DlsCanvas *self, double factor)
{
  zoom_about_centre (self, self->view.scale * factor);
}

void
dls_canvas_zoom_actual (DlsCanvas *self)
{
  zoom_about_centre (self, 1.0);
}

void
dls_canvas_zoom_fit (DlsCanvas *self)
{
  if (!self->view_ready)
    return;
  dls_view_fit (&self->view);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
dls_canvas_get_scale (DlsCanvas *self)
{
  return self->view.scale;
}

void
dls_canvas_pan (DlsCanvas *self, double dx, double dy)
{
  if (!self->view_ready)
    return;
  dls_view_pan (&self->view, dx, dy);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dls_canvas_stroke (DlsCanvas *self, const double *xy, int n_points)
{
  g_return_if_fail (self->doc != NULL && n_points > 0);

  dls_undo_begin (dls_document_get_undo (self->doc));
  paint_segment (self, xy[0], xy[1], xy[0], xy[1]);
  for (int i = 1; i < n_points; i++)
    paint_segment (self, xy[2 * i - 2], xy[2 * i - 1], xy[2 * i], xy[2 * i + 1]);
  dls_undo_end (dls_document_get_undo (self->doc));
}

void
dls_canvas_set_outline (DlsCanvas *self, int z, int y, int x, int size)
{
  self->outline[0] = z;
  self->outline[1] = y;
  self->outline[2] = x;
  self->outline[3] = MAX (size, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

char *
dls_canvas_describe_overlay (DlsCanvas *self)
{
  DlsPrediction *p = self->doc ? dls_document_get_prediction (self->doc) : NULL;
  float lo, hi;

  if (p == NULL || self->display.overlay != DLS_OVERLAY_UNCERTAINTY)
    return NULL;
  dls_prediction_measure_range (p, self->display.measure, &lo, &hi);
  switch (self->display.measure)
    {
    case DLS_MEASURE_MARGIN:
      /* Translators: the legend of the uncertainty map; p₁, p₂ the two largest probabilities */
      return g_strdup_printf (_ ("Margin 1 − (p₁ − p₂): %g (sure) – %g (tie)"), lo, hi);
    case DLS_MEASURE_ENTROPY:
      return g_strdup_printf (_ ("Entropy: %g – %.3g (uniform)"), lo, hi);
    case DLS_MEASURE_STD:
      if (p->n_members < 2)
        return g_strdup (_ ("Ensemble std: needs an ensemble of two or more"));
      return g_strdup_printf (_ ("Ensemble std of the predicted class: %g – %g"), lo, hi);
    default:
      if (!p->calibrated)
        return g_strdup (_ ("Conformal set size: not calibrated (too few labels)"));
      return g_strdup_printf (_ ("Conformal set size at α = %g: %g – %g classes"),
                              p->conformal.alpha, lo, hi);
    }
}
