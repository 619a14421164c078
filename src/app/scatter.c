/* SPDX-License-Identifier: MIT
 *
 * scatter.c: DlsScatter (see scatter.h).  Points are small opaque squares written straight
 * into an image of the widget's size, in colour order (sorted once when the colours change, so
 * the drawing is the same whatever the input order), then painted with one cairo call:
 * ten thousand points redraw in a few milliseconds.  The axes are two linear DlsScales
 * (plot.h), which also do the picking and the zoom about the pointer.
 *
 * Mouse: click picks a point ("point-activated"), primary drag draws a lasso that selects
 * ("selection-changed"), middle drag pans, the wheel zooms about the pointer.  Hovering shows
 * the point's thumbnail from the thumbnail function.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "plot.h"
#include "scatter.h"

#define POINT_SIZE 4.0
#define PICK_RADIUS 8.0
#define CLICK_SLOP 4.0
#define DEFAULT_COLOR 0xff3584e4u

typedef enum {
  DRAG_NONE,
  DRAG_LASSO,
  DRAG_PAN,
} DragMode;

struct _DlsScatter
{
  GtkWidget parent_instance;

  int n;
  double *xs, *ys;          /* data coordinates */
  guint32 *colors;          /* n, or NULL */
  int *order;               /* n indices sorted by colour */
  gboolean *selected;
  DlsScale sx, sy;
  gboolean fitted;

  DlsScatterThumbFunc thumb;
  gpointer thumb_data;
  GDestroyNotify thumb_destroy;
  int hover;
  double hover_x, hover_y;

  cairo_surface_t *image;   /* the points as last drawn */
  gboolean image_dirty;
  DlsScale drawn_sx, drawn_sy;

  DragMode drag;
  GArray *lasso;            /* of double x, y (widget) */
  double last_x, last_y;
};

G_DEFINE_FINAL_TYPE (DlsScatter, dls_scatter, GTK_TYPE_WIDGET)

enum
{
  POINT_ACTIVATED,
  POINT_HOVERED,
  SELECTION_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- view ---- */

static void
update_pixel_ranges (DlsScatter *self)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self)), h = gtk_widget_get_height (GTK_WIDGET (self));

  self->sx.p0 = 12;
  self->sx.p1 = MAX (w - 12, 13);
  self->sy.p0 = MAX (h - 12, 13);
  self->sy.p1 = 12;
}

void
dls_scatter_fit (DlsScatter *self)
{
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;

  for (int i = 0; i < self->n; i++)
    {
      x0 = MIN (x0, self->xs[i]), x1 = MAX (x1, self->xs[i]);
      y0 = MIN (y0, self->ys[i]), y1 = MAX (y1, self->ys[i]);
    }
  if (self->n == 0)
    x0 = y0 = 0, x1 = y1 = 1;
  if (x1 - x0 < 1e-9)
    x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-9)
    y0 -= 0.5, y1 += 0.5;
  /* a margin of 5 % */
  self->sx = (DlsScale){ x0 - 0.05 * (x1 - x0), x1 + 0.05 * (x1 - x0), 0, 1, FALSE };
  self->sy = (DlsScale){ y0 - 0.05 * (y1 - y0), y1 + 0.05 * (y1 - y0), 1, 0, FALSE };
  update_pixel_ranges (self);
  self->fitted = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dls_scatter_zoom (DlsScatter *self, double factor, double wx, double wy)
{
  update_pixel_ranges (self);
  dls_scale_zoom_about (&self->sx, factor, wx);
  dls_scale_zoom_about (&self->sy, factor, wy);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
dls_scatter_pick (DlsScatter *self, double wx, double wy)
{
  update_pixel_ranges (self);
  return dls_plot_pick (self->xs, self->ys, self->n, &self->sx, &self->sy, wx, wy, PICK_RADIUS);
}

void
dls_scatter_to_widget (DlsScatter *self, int i, double *wx, double *wy)
{
  g_return_if_fail (i >= 0 && i < self->n);
  update_pixel_ranges (self);
  *wx = dls_scale_map (&self->sx, self->xs[i]);
  *wy = dls_scale_map (&self->sy, self->ys[i]);
}

/* ---- data ---- */

static const guint32 *sort_colors; /* qsort has no user data; only the main thread sorts */

static int
cmp_color (const void *a, const void *b)
{
  guint32 ca = sort_colors[*(const int *) a], cb = sort_colors[*(const int *) b];

  if (ca != cb)
    return ca < cb ? -1 : 1;
  return *(const int *) a - *(const int *) b;
}

static void
sort_by_color (DlsScatter *self)
{
  for (int i = 0; i < self->n; i++)
    self->order[i] = i;
  if (self->colors == NULL)
    return;
  sort_colors = self->colors;
  qsort (self->order, self->n, sizeof (int), cmp_color);
  sort_colors = NULL;
}

void
dls_scatter_set_points (DlsScatter *self, const float *xy, int n)
{
  g_return_if_fail (DLS_IS_SCATTER (self) && n >= 0 && (n == 0 || xy != NULL));

  g_free (self->xs);
  g_free (self->ys);
  g_free (self->order);
  g_free (self->selected);
  g_clear_pointer (&self->colors, g_free);
  self->n = n;
  self->xs = g_new (double, MAX (n, 1));
  self->ys = g_new (double, MAX (n, 1));
  self->order = g_new (int, MAX (n, 1));
  self->selected = g_new0 (gboolean, MAX (n, 1));
  for (int i = 0; i < n; i++)
    {
      self->xs[i] = xy[2 * i];
      self->ys[i] = xy[2 * i + 1];
    }
  sort_by_color (self);
  self->hover = -1;
  self->image_dirty = TRUE;
  dls_scatter_fit (self);
}

int
dls_scatter_get_n_points (DlsScatter *self)
{
  return self->n;
}

void
dls_scatter_set_colors (DlsScatter *self, const guint32 *argb)
{
  g_clear_pointer (&self->colors, g_free);
  if (argb != NULL && self->n > 0)
    self->colors = g_memdup2 (argb, self->n * sizeof (guint32));
  sort_by_color (self);
  self->image_dirty = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dls_scatter_set_thumbnail_func (DlsScatter *self, DlsScatterThumbFunc fn, gpointer user_data,
                                GDestroyNotify destroy)
{
  if (self->thumb_destroy)
    self->thumb_destroy (self->thumb_data);
  self->thumb = fn;
  self->thumb_data = user_data;
  self->thumb_destroy = destroy;
}

void
dls_scatter_select_lasso (DlsScatter *self, const double *xy, int n)
{
  update_pixel_ranges (self);
  for (int i = 0; i < self->n; i++)
    self->selected[i] = dls_polygon_contains (xy, n, dls_scale_map (&self->sx, self->xs[i]),
                                              dls_scale_map (&self->sy, self->ys[i]));
  self->image_dirty = TRUE;
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dls_scatter_select_none (DlsScatter *self)
{
  memset (self->selected, 0, MAX (self->n, 1) * sizeof (gboolean));
  self->image_dirty = TRUE;
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

GArray *
dls_scatter_get_selection (DlsScatter *self)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (int));

  for (int i = 0; i < self->n; i++)
    if (self->selected[i])
      g_array_append_val (a, i);
  return a;
}

/* ---- drawing ---- */

static gboolean
scale_equal (const DlsScale *a, const DlsScale *b)
{
  return a->d0 == b->d0 && a->d1 == b->d1 && a->p0 == b->p0 && a->p1 == b->p1;
}

static void
dls_scatter_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DlsScatter *self = DLS_SCATTER (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  cairo_t *cr;
  double half = POINT_SIZE / 2;

  if (w <= 0 || h <= 0)
    return;
  if (!self->fitted)
    dls_scatter_fit (self);
  update_pixel_ranges (self);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  cairo_set_source_rgb (cr, 0.12, 0.12, 0.13);
  cairo_paint (cr);

  /* the points, written straight into an image: a few pixels each, far cheaper than asking
   * cairo to rasterise ten thousand rectangles; kept until the points or the view change, so
   * that hovering only repaints it */
  if (self->image == NULL || cairo_image_surface_get_width (self->image) != w
      || cairo_image_surface_get_height (self->image) != h
      || !scale_equal (&self->drawn_sx, &self->sx) || !scale_equal (&self->drawn_sy, &self->sy))
    self->image_dirty = TRUE;
  if (self->image_dirty)
  {
    cairo_surface_t *img;
    guint32 *px;
    int stride, ps = (int) POINT_SIZE;

    if (self->image == NULL || cairo_image_surface_get_width (self->image) != w
        || cairo_image_surface_get_height (self->image) != h)
      {
        g_clear_pointer (&self->image, cairo_surface_destroy);
        self->image = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
      }
    img = self->image;
    cairo_surface_flush (img);
    px = (guint32 *) cairo_image_surface_get_data (img);
    stride = cairo_image_surface_get_stride (img) / 4;
    memset (px, 0, (gsize) stride * 4 * h);

    for (int j = 0; j < self->n; j++)
      {
        int i = self->order[j];
        guint32 c = self->colors ? self->colors[i] : DEFAULT_COLOR;
        int x0 = (int) floor (dls_scale_map (&self->sx, self->xs[i]) - half);
        int y0 = (int) floor (dls_scale_map (&self->sy, self->ys[i]) - half);

        /* opaque colours only (the palette's): premultiplied equals straight */
        c |= 0xff000000u;
        for (int y = MAX (y0, 0); y < MIN (y0 + ps, h); y++)
          for (int x = MAX (x0, 0); x < MIN (x0 + ps, w); x++)
            px[y * stride + x] = c;
      }
    /* the selection: white frames around the points */
    for (int i = 0; i < self->n; i++)
      if (self->selected[i])
        {
          int x0 = (int) floor (dls_scale_map (&self->sx, self->xs[i]) - half) - 2;
          int y0 = (int) floor (dls_scale_map (&self->sy, self->ys[i]) - half) - 2;
          int x1 = x0 + ps + 3, y1 = y0 + ps + 3;

          for (int x = MAX (x0, 0); x <= MIN (x1, w - 1); x++)
            {
              if (y0 >= 0 && y0 < h)
                px[y0 * stride + x] = 0xffffffffu;
              if (y1 >= 0 && y1 < h)
                px[y1 * stride + x] = 0xffffffffu;
            }
          for (int y = MAX (y0, 0); y <= MIN (y1, h - 1); y++)
            {
              if (x0 >= 0 && x0 < w)
                px[y * stride + x0] = 0xffffffffu;
              if (x1 >= 0 && x1 < w)
                px[y * stride + x1] = 0xffffffffu;
            }
        }
    cairo_surface_mark_dirty (img);
    self->drawn_sx = self->sx;
    self->drawn_sy = self->sy;
    self->image_dirty = FALSE;
  }
  cairo_set_source_surface (cr, self->image, 0, 0);
  cairo_paint (cr);

  if (self->drag == DRAG_LASSO && self->lasso->len >= 4)
    {
      const double *p = (const double *) self->lasso->data;

      cairo_move_to (cr, p[0], p[1]);
      for (guint k = 1; k < self->lasso->len / 2; k++)
        cairo_line_to (cr, p[2 * k], p[2 * k + 1]);
      cairo_close_path (cr);
      cairo_set_source_rgba (cr, 1, 1, 1, 0.15);
      cairo_fill_preserve (cr);
      cairo_set_source_rgba (cr, 1, 1, 1, 0.8);
      cairo_stroke (cr);
    }

  /* the hovered point and its picture */
  if (self->hover >= 0 && self->hover < self->n)
    {
      double x = dls_scale_map (&self->sx, self->xs[self->hover]);
      double y = dls_scale_map (&self->sy, self->ys[self->hover]);
      cairo_surface_t *thumb = self->thumb ? self->thumb (self->hover, self->thumb_data) : NULL;

      cairo_set_source_rgb (cr, 1, 0.85, 0.2);
      cairo_set_line_width (cr, 2);
      cairo_arc (cr, x, y, POINT_SIZE + 2, 0, 2 * G_PI);
      cairo_stroke (cr);
      if (thumb != NULL)
        {
          int tw = cairo_image_surface_get_width (thumb), th = cairo_image_surface_get_height (thumb);
          double s = 96.0 / MAX (MAX (tw, th), 1);
          double bx = MIN (x + 12, w - 96 - 8), by = MAX (y - 96 - 12, 4);

          cairo_set_source_rgb (cr, 0, 0, 0);
          cairo_rectangle (cr, bx - 2, by - 2, tw * s + 4, th * s + 4);
          cairo_fill (cr);
          cairo_save (cr);
          cairo_translate (cr, bx, by);
          cairo_scale (cr, s, s);
          cairo_set_source_surface (cr, thumb, 0, 0);
          cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
          cairo_paint (cr);
          cairo_restore (cr);
          cairo_surface_destroy (thumb);
        }
    }
  cairo_destroy (cr);
}

/* ---- input ---- */

static void
on_motion (GtkEventControllerMotion *c, double x, double y, DlsScatter *self)
{
  int i = self->drag == DRAG_NONE ? dls_scatter_pick (self, x, y) : -1;

  self->hover_x = x;
  self->hover_y = y;
  if (i != self->hover)
    {
      self->hover = i;
      g_signal_emit (self, signals[POINT_HOVERED], 0, i);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static void
on_leave (GtkEventControllerMotion *c, DlsScatter *self)
{
  if (self->hover != -1)
    {
      self->hover = -1;
      g_signal_emit (self, signals[POINT_HOVERED], 0, -1);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static gboolean
on_scroll (GtkEventControllerScroll *c, double dx, double dy, DlsScatter *self)
{
  dls_scatter_zoom (self, pow (1.2, -dy), self->hover_x, self->hover_y);
  return TRUE;
}

static void
on_drag_begin (GtkGestureDrag *g, double x, double y, DlsScatter *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (g));

  self->last_x = x;
  self->last_y = y;
  g_array_set_size (self->lasso, 0);
  if (button == GDK_BUTTON_MIDDLE)
    self->drag = DRAG_PAN;
  else if (button == GDK_BUTTON_PRIMARY)
    {
      self->drag = DRAG_LASSO;
      g_array_append_val (self->lasso, x);
      g_array_append_val (self->lasso, y);
    }
  else
    self->drag = DRAG_NONE;
}

static void
on_drag_update (GtkGestureDrag *g, double dx, double dy, DlsScatter *self)
{
  double sx, sy, x, y;

  gtk_gesture_drag_get_start_point (g, &sx, &sy);
  x = sx + dx;
  y = sy + dy;
  if (self->drag == DRAG_PAN)
    {
      dls_scale_pan (&self->sx, x - self->last_x);
      dls_scale_pan (&self->sy, y - self->last_y);
    }
  else if (self->drag == DRAG_LASSO)
    {
      g_array_append_val (self->lasso, x);
      g_array_append_val (self->lasso, y);
    }
  self->last_x = x;
  self->last_y = y;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_drag_end (GtkGestureDrag *g, double dx, double dy, DlsScatter *self)
{
  double sx, sy;

  gtk_gesture_drag_get_start_point (g, &sx, &sy);
  if (self->drag == DRAG_LASSO)
    {
      if (hypot (dx, dy) < CLICK_SLOP)
        {
          /* a click: pick */
          int i = dls_scatter_pick (self, sx, sy);

          if (i >= 0)
            g_signal_emit (self, signals[POINT_ACTIVATED], 0, i);
        }
      else
        dls_scatter_select_lasso (self, (const double *) self->lasso->data,
                                  (int) self->lasso->len / 2);
    }
  self->drag = DRAG_NONE;
  g_array_set_size (self->lasso, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---- object ---- */

static void
dls_scatter_finalize (GObject *object)
{
  DlsScatter *self = DLS_SCATTER (object);

  g_free (self->xs);
  g_free (self->ys);
  g_free (self->colors);
  g_free (self->order);
  g_free (self->selected);
  g_array_unref (self->lasso);
  g_clear_pointer (&self->image, cairo_surface_destroy);
  if (self->thumb_destroy)
    self->thumb_destroy (self->thumb_data);
  G_OBJECT_CLASS (dls_scatter_parent_class)->finalize (object);
}

static void
dls_scatter_class_init (DlsScatterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = dls_scatter_finalize;
  widget_class->snapshot = dls_scatter_snapshot;
  signals[POINT_ACTIVATED] = g_signal_new ("point-activated", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                           1, G_TYPE_INT);
  signals[POINT_HOVERED] = g_signal_new ("point-hovered", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                         G_TYPE_INT);
  signals[SELECTION_CHANGED] = g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 0);
  gtk_widget_class_set_css_name (widget_class, "dls-scatter");
}

static void
dls_scatter_init (DlsScatter *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *scroll
      = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  GtkGesture *drag = gtk_gesture_drag_new ();

  self->lasso = g_array_new (FALSE, FALSE, sizeof (double));
  self->hover = -1;
  self->xs = g_new0 (double, 1);
  self->ys = g_new0 (double, 1);
  self->order = g_new0 (int, 1);
  self->selected = g_new0 (gboolean, 1);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), 0);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
}

GtkWidget *
dls_scatter_new (void)
{
  return g_object_new (DLS_TYPE_SCATTER, NULL);
}
