/* SPDX-License-Identifier: MIT
 *
 * plane.c: the strides of a slice through a Z×Y×X volume along each axis.  Index arithmetic
 * only; the planes borrow the volume and never check pixel coordinates (callers stay within
 * width × height).
 */
#include "config.h"

#include "plane.h"

static void
plane_geometry (int Z, int Y, int X, DlsAxis axis, int index, gsize *origin, gssize *sx, gssize *sy,
                int *width, int *height)
{
  gsize YX = (gsize) Y * X;

  switch (axis)
    {
    case DLS_AXIS_Z:
      *origin = (gsize) index * YX;
      *sx = 1;
      *sy = X;
      *width = X;
      *height = Y;
      break;
    case DLS_AXIS_Y:
      *origin = (gsize) index * X;
      *sx = 1;
      *sy = (gssize) YX;
      *width = X;
      *height = Z;
      break;
    case DLS_AXIS_X:
    default:
      *origin = (gsize) index;
      *sx = X;
      *sy = (gssize) YX;
      *width = Y;
      *height = Z;
      break;
    }
}

static gboolean
plane_args_ok (int Z, int Y, int X, DlsAxis axis, int index)
{
  int n;

  if (Z < 0 || Y < 0 || X < 0)
    return FALSE;
  n = axis == DLS_AXIS_Z ? Z : axis == DLS_AXIS_Y ? Y : axis == DLS_AXIS_X ? X : -1;
  return index >= 0 && index < n;
}

void
dls_label_plane_init (DlsLabelPlane *p, guint8 *volume, int Z, int Y, int X, DlsAxis axis,
                      int index)
{
  g_return_if_fail (p != NULL);
  g_return_if_fail (plane_args_ok (Z, Y, X, axis, index));

  p->volume = volume;
  plane_geometry (Z, Y, X, axis, index, &p->origin, &p->sx, &p->sy, &p->width, &p->height);
}

void
dls_float_plane_init (DlsFloatPlane *p, const float *volume, int Z, int Y, int X, DlsAxis axis,
                      int index)
{
  g_return_if_fail (p != NULL);
  g_return_if_fail (plane_args_ok (Z, Y, X, axis, index));

  p->volume = volume;
  plane_geometry (Z, Y, X, axis, index, &p->origin, &p->sx, &p->sy, &p->width, &p->height);
}
