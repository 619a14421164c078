/* SPDX-License-Identifier: MIT
 *
 * view.c: the canvas's view transform — fit, resize, zoom about a point, pan with a margin
 * that keeps the image on screen, and conversions between widget and image coordinates.  Pure
 * arithmetic on a DlsView; it draws nothing and does not animate.
 */
#include "config.h"

#include <math.h>

#include "view.h"

/* Image pixels of the image that must stay inside the widget when panning or zooming. */
#define KEEP_VISIBLE_PX 32.0

static double
clamp_scale (double scale)
{
  if (!(scale > DLS_VIEW_MIN_SCALE)) /* also NaN */
    return DLS_VIEW_MIN_SCALE;
  if (scale > DLS_VIEW_MAX_SCALE)
    return DLS_VIEW_MAX_SCALE;
  return scale;
}

/* Clamps one offset so that at least min(32, extent, win) widget pixels of the image's extent
 * lie inside [0, win]: the left edge at most win − m, the right edge at least m. */
static double
clamp_offset (double o, double extent, double win)
{
  double m = MIN (KEEP_VISIBLE_PX, extent);
  m = MIN (m, MAX (win, 0));
  return CLAMP (o, m - extent, win - m);
}

static void
keep_visible (DlsView *v)
{
  v->ox = clamp_offset (v->ox, v->img_w * v->scale, v->win_w);
  v->oy = clamp_offset (v->oy, v->img_h * v->scale, v->win_h);
}

void
dls_view_init (DlsView *v, int img_w, int img_h, int win_w, int win_h)
{
  g_return_if_fail (v != NULL);

  v->img_w = MAX (img_w, 0);
  v->img_h = MAX (img_h, 0);
  v->win_w = MAX (win_w, 0);
  v->win_h = MAX (win_h, 0);
  v->scale = 1.0;
  v->ox = v->oy = 0.0;
  dls_view_fit (v);
}

void
dls_view_fit (DlsView *v)
{
  g_return_if_fail (v != NULL);

  if (v->img_w > 0 && v->img_h > 0 && v->win_w > 0 && v->win_h > 0)
    v->scale = clamp_scale (MIN ((double) v->win_w / v->img_w, (double) v->win_h / v->img_h));
  else
    v->scale = 1.0;
  v->ox = (v->win_w - v->img_w * v->scale) / 2;
  v->oy = (v->win_h - v->img_h * v->scale) / 2;
}

void
dls_view_resize (DlsView *v, int win_w, int win_h)
{
  double cx, cy;

  g_return_if_fail (v != NULL);

  win_w = MAX (win_w, 0);
  win_h = MAX (win_h, 0);
  if (win_w == v->win_w && win_h == v->win_h)
    return;
  /* From no size at all (a widget not yet allocated): nothing was shown, so fit. */
  if (v->win_w <= 0 || v->win_h <= 0)
    {
      v->win_w = win_w;
      v->win_h = win_h;
      dls_view_fit (v);
      return;
    }
  dls_view_to_image (v, v->win_w / 2.0, v->win_h / 2.0, &cx, &cy);
  v->win_w = win_w;
  v->win_h = win_h;
  v->ox = win_w / 2.0 - cx * v->scale;
  v->oy = win_h / 2.0 - cy * v->scale;
  keep_visible (v);
}

void
dls_view_set_image (DlsView *v, int img_w, int img_h)
{
  g_return_if_fail (v != NULL);

  img_w = MAX (img_w, 0);
  img_h = MAX (img_h, 0);
  if (img_w == v->img_w && img_h == v->img_h)
    return;
  v->img_w = img_w;
  v->img_h = img_h;
  dls_view_fit (v);
}

void
dls_view_set_scale_about (DlsView *v, double scale, double wx, double wy)
{
  double ix, iy;

  g_return_if_fail (v != NULL);

  dls_view_to_image (v, wx, wy, &ix, &iy);
  v->scale = clamp_scale (scale);
  v->ox = wx - ix * v->scale;
  v->oy = wy - iy * v->scale;
  /* Only bites when the point is off the image (or the widget): then the image may not be
   * zoomed away out of sight. */
  keep_visible (v);
}

void
dls_view_zoom_about (DlsView *v, double factor, double wx, double wy)
{
  g_return_if_fail (v != NULL);

  if (!(factor > 0) || !isfinite (factor))
    return;
  dls_view_set_scale_about (v, v->scale * factor, wx, wy);
}

void
dls_view_pan (DlsView *v, double dx, double dy)
{
  g_return_if_fail (v != NULL);

  if (isfinite (dx))
    v->ox += dx;
  if (isfinite (dy))
    v->oy += dy;
  keep_visible (v);
}

void
dls_view_to_image (const DlsView *v, double wx, double wy, double *ix, double *iy)
{
  if (ix)
    *ix = (wx - v->ox) / v->scale;
  if (iy)
    *iy = (wy - v->oy) / v->scale;
}

void
dls_view_to_widget (const DlsView *v, double ix, double iy, double *wx, double *wy)
{
  if (wx)
    *wx = v->ox + ix * v->scale;
  if (wy)
    *wy = v->oy + iy * v->scale;
}

gboolean
dls_view_pixel_at (const DlsView *v, double wx, double wy, int *x, int *y)
{
  double ix, iy, fx, fy;

  dls_view_to_image (v, wx, wy, &ix, &iy);
  fx = floor (ix);
  fy = floor (iy);
  /* Range-checked as doubles so that far-away points never overflow an int. */
  if (!(fx >= 0 && fx < v->img_w && fy >= 0 && fy < v->img_h))
    return FALSE;
  if (x)
    *x = (int) fx;
  if (y)
    *y = (int) fy;
  return TRUE;
}

/* Pixels [i0, i1) of an axis of n pixels whose widget extent [o + i·s, o + (i+1)·s) overlaps
 * [0, win).  The division gives a first guess; the loops settle it with the very expression
 * dls_view_to_widget evaluates, so that rounding cannot disagree with it. */
static void
visible_range (double o, double s, int n, int win, int *i0, int *i1)
{
  double a, b;
  int lo, hi;

  a = floor (-o / s);
  b = ceil ((win - o) / s);
  lo = (int) CLAMP (a, 0, n);
  hi = (int) CLAMP (b, 0, n);
  while (lo < n && !(o + (double) (lo + 1) * s > 0))
    lo++;
  while (lo > 0 && o + (double) lo * s > 0)
    lo--;
  while (hi > 0 && !(o + (double) (hi - 1) * s < win))
    hi--;
  while (hi < n && o + (double) hi * s < win)
    hi++;
  *i0 = lo;
  *i1 = hi;
}

void
dls_view_visible (const DlsView *v, int *x0, int *y0, int *x1, int *y1)
{
  int ax, ay, bx, by;

  visible_range (v->ox, v->scale, v->img_w, v->win_w, &ax, &bx);
  visible_range (v->oy, v->scale, v->img_h, v->win_h, &ay, &by);
  if (ax >= bx || ay >= by)
    ax = bx = ay = by = 0;
  if (x0)
    *x0 = ax;
  if (y0)
    *y0 = ay;
  if (x1)
    *x1 = bx;
  if (y1)
    *y1 = by;
}
