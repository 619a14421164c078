/* SPDX-License-Identifier: MIT
 *
 * plot.h: axes for the live loss plot (and later a latent-space scatter): linear and log
 * scales between data and pixels, nice bounds and ticks, tick labels, and picking the point
 * nearest the pointer.  It draws nothing.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Data [d0,d1] ↔ pixels [p0,p1] (p1 < p0 allowed for y axes); log: d0, d1 > 0, mapped by
 * log10. */
typedef struct {
  double   d0, d1;
  double   p0, p1;
  gboolean log;
} DlsScale;

double dls_scale_map   (const DlsScale *s, double d);
double dls_scale_unmap (const DlsScale *s, double p);
/* Widen to nice bounds (1-2-5·10^k linear; powers of ten log); lo == hi made a non-empty
 * range. */
void   dls_scale_nice  (double *lo, double *hi, gboolean log);
/* Nice tick values inside [d0,d1], at most max_ticks, returns count; step reported for
 * formatting (log scales: the decade factor, e.g. 10 or 100). */
int    dls_scale_ticks (const DlsScale *s, int max_ticks, double *ticks, double *step);
/* As few decimals as the step needs, "1e-05" style for tiny/huge. */
void   dls_format_tick (double v, double step, char *buf, gsize len);
/* Index of the point nearest to pixel (px,py) within max_dist_px, −1 if none; ties → lowest
 * index. */
int    dls_plot_pick   (const double *xs, const double *ys, int n, const DlsScale *sx,
                        const DlsScale *sy, double px, double py, double max_dist_px);

/* Zoom a linear scale by factor (> 1: closer) keeping the data value at pixel p where it is;
 * pan it by dp pixels (the data moves with the pointer). */
void   dls_scale_zoom_about (DlsScale *s, double factor, double p);
void   dls_scale_pan   (DlsScale *s, double dp);
/* Even-odd rule: whether (x, y) lies inside the polygon of n vertices xy[2i], xy[2i+1]
 * (closed implicitly; fewer than 3 vertices contain nothing). */
gboolean dls_polygon_contains (const double *xy, int n, double x, double y);

G_END_DECLS
