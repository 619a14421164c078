/* SPDX-License-Identifier: MIT
 *
 * brush.h: painting into a label plane with a round brush swept along a segment (a capsule),
 * so a fast drag leaves no gaps.  Records every real change in `undo` (may be NULL).  It does
 * not open or close undo actions (the caller brackets a whole stroke) and does not redraw.
 */
#pragma once

#include <glib.h>

#include "plane.h"
#include "undo.h"

G_BEGIN_DECLS

/* [x0,x1) × [y0,y1); empty when x0 >= x1 || y0 >= y1. */
typedef struct {
  int x0, y0, x1, y1;
} DlsRect;

gboolean dls_rect_is_empty (const DlsRect *r);
/* r ∪= other (the bounding box); an empty side is ignored. */
void     dls_rect_union    (DlsRect *r, const DlsRect *other);

/* The brush of diameter `size` (1..256 pixels) moved from image point (ax,ay) to (bx,by) (real
 * image coordinates, pixel (i,j) covers [i,i+1)×[j,j+1)): each endpoint is snapped to the
 * nearest pixel centre for odd sizes and to the nearest pixel corner for even sizes; every
 * pixel whose centre lies within size/2 of the segment between the snapped points (a capsule;
 * a disc when the points coincide) gets `value` (0 erases).  So size 1 paints exactly the pixel
 * under the point, size 2 a 2×2 block, size 3 a full 3×3 block, and a fast drag leaves no
 * gaps.  Clipped to the plane.  Returns the changed rectangle (empty if nothing changed). */
DlsRect  dls_brush_segment (const DlsLabelPlane *p, double ax, double ay, double bx, double by,
                            int size, guint8 value, DlsUndo *undo);

G_END_DECLS
