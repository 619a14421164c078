/* SPDX-License-Identifier: MIT
 *
 * plane.h: a 2-D strided view into a Z×Y×X volume (uint8 labels, or float display and
 * prediction data), for any of the three slicing axes.  Only index arithmetic: it owns
 * nothing, copies nothing and checks nothing beyond its arguments.
 *
 * Axis Z: plane = slice z = index, width X, height Y.
 * Axis Y: plane = y = index, width X, height Z (plane y = z).
 * Axis X: plane = x = index, width Y, height Z (plane x = y, plane y = z).
 */
#pragma once

#include <glib.h>

#include "dataset.h"

G_BEGIN_DECLS

typedef struct {
  guint8 *volume;    /* Z×Y×X, row-major, x fastest */
  gsize   origin;    /* volume index of plane pixel (0,0) */
  gssize  sx, sy;    /* volume-index step for +1 in plane x, in plane y */
  int     width, height;
} DlsLabelPlane;

void dls_label_plane_init (DlsLabelPlane *p, guint8 *volume, int Z, int Y, int X,
                           DlsAxis axis, int index);

static inline gsize
dls_label_plane_index (const DlsLabelPlane *p, int x, int y)
{
  return p->origin + (gssize) x * p->sx + (gssize) y * p->sy;
}

/* The same for float volumes (display, predictions): same geometry, float data. */
typedef struct {
  const float *volume;
  gsize        origin;
  gssize       sx, sy;
  int          width, height;
} DlsFloatPlane;

void dls_float_plane_init (DlsFloatPlane *p, const float *volume, int Z, int Y, int X,
                           DlsAxis axis, int index);

static inline gsize
dls_float_plane_index (const DlsFloatPlane *p, int x, int y)
{
  return p->origin + (gssize) x * p->sx + (gssize) y * p->sy;
}

G_END_DECLS
