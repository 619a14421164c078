/* SPDX-License-Identifier: MIT
 *
 * view.h: the canvas's view transform between image (plane) pixels and widget pixels — a
 * uniform scale and an offset, with fitting, zooming about a point, panning that never loses
 * the image, and the visible pixel rectangle.  GTK-free: the canvas owns one and feeds it
 * sizes and pointer positions; this file draws nothing and knows no widgets.
 *
 * Image point (ix, iy) is at widget point (ox + ix·scale, oy + iy·scale); pixel (i, j) covers
 * image points [i, i+1) × [j, j+1).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DLS_VIEW_MIN_SCALE (1.0 / 64)
#define DLS_VIEW_MAX_SCALE 64.0

typedef struct {
  double scale;        /* widget pixels per image pixel */
  double ox, oy;       /* widget position of the image's top-left corner (image point 0,0) */
  int    img_w, img_h; /* image size */
  int    win_w, win_h; /* widget size */
} DlsView;

/* = fit */
void     dls_view_init            (DlsView *v, int img_w, int img_h, int win_w, int win_h);
/* Whole image visible, centred, largest scale that fits (any real number, clamped). */
void     dls_view_fit             (DlsView *v);
/* Keeps the image point at the widget centre fixed; from a 0-sized widget (not yet
 * allocated) it fits instead. */
void     dls_view_resize          (DlsView *v, int win_w, int win_h);
/* New plane size: refits if the size changed. */
void     dls_view_set_image       (DlsView *v, int img_w, int img_h);
/* The image point under (wx, wy) stays there; scale clamped. */
void     dls_view_zoom_about      (DlsView *v, double factor, double wx, double wy);
/* E.g. 1:1 about the centre. */
void     dls_view_set_scale_about (DlsView *v, double scale, double wx, double wy);
/* By widget pixels; keeps at least 32 px (or the whole image if smaller) of the image inside
 * the widget. */
void     dls_view_pan             (DlsView *v, double dx, double dy);
void     dls_view_to_image        (const DlsView *v, double wx, double wy, double *ix, double *iy);
void     dls_view_to_widget       (const DlsView *v, double ix, double iy, double *wx, double *wy);
/* Floor of image coords; FALSE outside the image. */
gboolean dls_view_pixel_at        (const DlsView *v, double wx, double wy, int *x, int *y);
/* Image pixels [x0,x1) × [y0,y1) at least partly visible, clipped to the image; empty →
 * x0 == x1 (and y0 == y1). */
void     dls_view_visible         (const DlsView *v, int *x0, int *y0, int *x1, int *y1);

G_END_DECLS
