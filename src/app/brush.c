/* SPDX-License-Identifier: MIT
 *
 * brush.c: a round brush swept along a segment.  The swept shape (a capsule) is convex, so
 * each pixel row it touches is one run, found exactly from the two end discs and the band
 * between them; only the pixels of those runs are visited.  No anti-aliasing (labels are
 * classes) and no pressure or spacing: one call paints one whole segment.
 */
#include "config.h"

#include <math.h>

#include "brush.h"

/* A pixel centre counts as inside when within this of the brush edge: exact ties (a size-5
 * disc's (2,1) neighbours at distance √6.25 = 2.5) must not hinge on rounding. */
#define EDGE_EPS 1e-9

gboolean
dls_rect_is_empty (const DlsRect *r)
{
  return r->x0 >= r->x1 || r->y0 >= r->y1;
}

void
dls_rect_union (DlsRect *r, const DlsRect *other)
{
  if (dls_rect_is_empty (other))
    return;
  if (dls_rect_is_empty (r))
    {
      *r = *other;
      return;
    }
  r->x0 = MIN (r->x0, other->x0);
  r->y0 = MIN (r->y0, other->y0);
  r->x1 = MAX (r->x1, other->x1);
  r->y1 = MAX (r->y1, other->y1);
}

/* Odd sizes centre on a pixel, even sizes on a corner, so the footprint is symmetric. */
static double
snap (double v, int size)
{
  return (size & 1) ? floor (v) + 0.5 : floor (v + 0.5);
}

/* Widens [*lo, *hi] by the x interval where the disc of radius r about (cx, cy) meets the
 * horizontal line through y. */
static void
disc_span (double cx, double cy, double r, double y, double *lo, double *hi)
{
  double dy = y - cy, h;

  if (fabs (dy) > r + EDGE_EPS)
    return;
  h = sqrt (MAX (r * r - dy * dy, 0.0));
  *lo = MIN (*lo, cx - h);
  *hi = MAX (*hi, cx + h);
}

/* Intersects [*lo, *hi] with {x : c0 ≤ k·x + c ≤ c1}. */
static void
clip_linear (double k, double c, double c0, double c1, double *lo, double *hi)
{
  if (fabs (k) < 1e-12)
    {
      if (c < c0 - EDGE_EPS || c > c1 + EDGE_EPS)
        *hi = -INFINITY, *lo = INFINITY;
      return;
    }
  double a = (c0 - c) / k, b = (c1 - c) / k;
  *lo = MAX (*lo, MIN (a, b));
  *hi = MIN (*hi, MAX (a, b));
}

/* Widens [*lo, *hi] by the band's part of the capsule on the line through y: points whose
 * projection on the segment lies inside it and whose distance from its line is at most r. */
static void
band_span (double ax, double ay, double ux, double uy, double L, double r, double y, double *lo,
           double *hi)
{
  double blo = -INFINITY, bhi = INFINITY;

  /* t = (x − ax)·ux + (y − ay)·uy ∈ [0, L];  s = −(x − ax)·uy + (y − ay)·ux ∈ [−r, r] */
  clip_linear (ux, -ax * ux + (y - ay) * uy, 0, L, &blo, &bhi);
  clip_linear (-uy, ax * uy + (y - ay) * ux, -r - EDGE_EPS, r + EDGE_EPS, &blo, &bhi);
  if (blo <= bhi)
    {
      *lo = MIN (*lo, blo);
      *hi = MAX (*hi, bhi);
    }
}

DlsRect
dls_brush_segment (const DlsLabelPlane *p, double ax, double ay, double bx, double by, int size,
                   guint8 value, DlsUndo *undo)
{
  DlsRect changed = { 0, 0, 0, 0 };
  double r, L, ux = 0, uy = 0, ylo, yhi;
  int j0, j1;

  g_return_val_if_fail (p != NULL && p->volume != NULL, changed);
  if (!isfinite (ax) || !isfinite (ay) || !isfinite (bx) || !isfinite (by))
    return changed;

  size = CLAMP (size, 1, 256);
  r = size / 2.0;
  ax = snap (ax, size);
  ay = snap (ay, size);
  bx = snap (bx, size);
  by = snap (by, size);
  L = hypot (bx - ax, by - ay);
  if (L > 0)
    {
      ux = (bx - ax) / L;
      uy = (by - ay) / L;
    }

  /* Rows whose centre j + 0.5 lies within the capsule's vertical extent, clipped. */
  ylo = MIN (ay, by) - r - EDGE_EPS;
  yhi = MAX (ay, by) + r + EDGE_EPS;
  if (yhi < 0 || ylo > p->height)
    return changed;
  j0 = (int) MAX (ceil (ylo - 0.5), 0);
  j1 = (int) MIN (floor (yhi - 0.5), p->height - 1.0);

  for (int j = j0; j <= j1; j++)
    {
      double y = j + 0.5, lo = INFINITY, hi = -INFINITY, flo, fhi;
      int i0, i1;

      disc_span (ax, ay, r, y, &lo, &hi);
      disc_span (bx, by, r, y, &lo, &hi);
      if (L > 0)
        band_span (ax, ay, ux, uy, L, r, y, &lo, &hi);
      if (!(lo <= hi))
        continue;
      flo = ceil (lo - EDGE_EPS - 0.5);
      fhi = floor (hi + EDGE_EPS - 0.5);
      if (fhi < 0 || flo > p->width - 1.0)
        continue;
      i0 = (int) MAX (flo, 0);
      i1 = (int) MIN (fhi, p->width - 1.0);

      for (int i = i0; i <= i1; i++)
        {
          gsize k = dls_label_plane_index (p, i, j);
          guint8 old = p->volume[k];

          if (old == value)
            continue;
          if (undo)
            dls_undo_record (undo, k, old, value);
          p->volume[k] = value;
          dls_rect_union (&changed, &(DlsRect){ i, j, i + 1, j + 1 });
        }
    }
  return changed;
}
