/* SPDX-License-Identifier: MIT
 *
 * flood.h: 4-connected flood fill of one region of equal label value within a label plane.
 * Scanline algorithm with an explicit heap stack (no recursion; a 4096² plane overflows
 * nothing).  Records changes in `undo` (may be NULL) without opening or closing an action.
 */
#pragma once

#include <glib.h>

#include "brush.h"
#include "plane.h"
#include "undo.h"

G_BEGIN_DECLS

/* Fills the region of equal label value containing pixel (x,y), within the plane, with
 * `value`.  Returns the changed rectangle; nothing happens when the region already has
 * `value` or (x,y) is outside. */
DlsRect dls_flood_fill (const DlsLabelPlane *p, int x, int y, guint8 value, DlsUndo *undo);

G_END_DECLS
