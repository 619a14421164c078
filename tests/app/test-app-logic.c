/* SPDX-License-Identifier: MIT
 *
 * test-app-logic.c: the canvas's GTK-free logic against brute-force references — the view
 * transform, label planes on all three axes, the brush, flood fill, undo/redo, colormaps and
 * rendering, percentile ranges and plot scales.  Needs no display; no GTK is linked.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "brush.h"
#include "colormap.h"
#include "flood.h"
#include "plane.h"
#include "plot.h"
#include "undo.h"
#include "view.h"

/* ------------------------------------------------------------------------------------------ */
/* View                                                                                       */

static void
random_view (GRand *rng, DlsView *v)
{
  dls_view_init (v, g_rand_int_range (rng, 1, 3000), g_rand_int_range (rng, 1, 3000),
                 g_rand_int_range (rng, 1, 2000), g_rand_int_range (rng, 1, 1500));
  v->scale = exp (g_rand_double_range (rng, log (DLS_VIEW_MIN_SCALE), log (DLS_VIEW_MAX_SCALE)));
  v->ox = g_rand_double_range (rng, -5000, 5000);
  v->oy = g_rand_double_range (rng, -5000, 5000);
}

static void
test_view_round_trip (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (1);

  for (int t = 0; t < 2000; t++)
    {
      DlsView v;
      double wx = g_rand_double_range (rng, -3000, 3000),
             wy = g_rand_double_range (rng, -3000, 3000);
      double ix, iy, bx, by;

      random_view (rng, &v);
      dls_view_to_image (&v, wx, wy, &ix, &iy);
      dls_view_to_widget (&v, ix, iy, &bx, &by);
      g_assert_cmpfloat_with_epsilon (bx, wx, 1e-9 * (1 + fabs (wx)));
      g_assert_cmpfloat_with_epsilon (by, wy, 1e-9 * (1 + fabs (wy)));
      /* And the transform is the documented one. */
      dls_view_to_widget (&v, 3.0, 4.0, &bx, &by);
      g_assert_cmpfloat_with_epsilon (bx, v.ox + 3 * v.scale, 1e-9 * (1 + fabs (bx)));
      g_assert_cmpfloat_with_epsilon (by, v.oy + 4 * v.scale, 1e-9 * (1 + fabs (by)));
    }
}

static void
test_view_zoom_about (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (2);

  for (int t = 0; t < 5000; t++)
    {
      DlsView v;
      double factor = exp (g_rand_double_range (rng, log (0.5), log (2.0)));
      double wx, wy, ix, iy, ax, ay, old_scale;

      /* Image covering the whole widget at a moderate scale, cursor in the widget: the
       * image point under it must stay exactly there. */
      dls_view_init (&v, g_rand_int_range (rng, 100, 4000), g_rand_int_range (rng, 100, 4000),
                     g_rand_int_range (rng, 200, 1600), g_rand_int_range (rng, 200, 1200));
      v.scale = MAX (v.scale, MAX ((double) v.win_w / v.img_w, (double) v.win_h / v.img_h))
                * g_rand_double_range (rng, 1.0, 8.0);
      v.scale = MIN (v.scale, DLS_VIEW_MAX_SCALE / 2.5);
      v.ox = -g_rand_double_range (rng, 0, v.img_w * v.scale - v.win_w);
      v.oy = -g_rand_double_range (rng, 0, v.img_h * v.scale - v.win_h);
      wx = g_rand_double_range (rng, 0, v.win_w);
      wy = g_rand_double_range (rng, 0, v.win_h);
      old_scale = v.scale;
      dls_view_to_image (&v, wx, wy, &ix, &iy);
      dls_view_zoom_about (&v, factor, wx, wy);
      g_assert_cmpfloat_with_epsilon (v.scale, old_scale * factor, 1e-12 * v.scale);
      dls_view_to_image (&v, wx, wy, &ax, &ay);
      g_assert_cmpfloat_with_epsilon (ax, ix, 1e-9 * (1 + fabs (ix)));
      g_assert_cmpfloat_with_epsilon (ay, iy, 1e-9 * (1 + fabs (iy)));
    }

  /* Repeated zooms from the fitted view about points on the image compose the same way. */
  {
    DlsView v;
    double ix, iy, ax, ay;

    dls_view_init (&v, 512, 384, 800, 600);
    dls_view_to_image (&v, 300, 250, &ix, &iy);
    for (int t = 0; t < 20; t++)
      dls_view_zoom_about (&v, 1.25, 300, 250);
    for (int t = 0; t < 10; t++)
      dls_view_zoom_about (&v, 0.8, 300, 250);
    dls_view_to_image (&v, 300, 250, &ax, &ay);
    g_assert_cmpfloat_with_epsilon (ax, ix, 1e-9);
    g_assert_cmpfloat_with_epsilon (ay, iy, 1e-9);
  }

  /* set_scale_about: 1:1 about the centre keeps the centre's image point. */
  {
    DlsView v;
    double ix, iy, ax, ay;

    dls_view_init (&v, 2000, 1000, 800, 600);
    dls_view_to_image (&v, 400, 300, &ix, &iy);
    dls_view_set_scale_about (&v, 1.0, 400, 300);
    g_assert_cmpfloat (v.scale, ==, 1.0);
    dls_view_to_image (&v, 400, 300, &ax, &ay);
    g_assert_cmpfloat_with_epsilon (ax, ix, 1e-9);
    g_assert_cmpfloat_with_epsilon (ay, iy, 1e-9);
  }
}

static void
test_view_clamp (void)
{
  DlsView v;

  dls_view_init (&v, 100, 100, 400, 400);
  for (int t = 0; t < 100; t++)
    dls_view_zoom_about (&v, 2.0, 200, 200);
  g_assert_cmpfloat (v.scale, ==, DLS_VIEW_MAX_SCALE);
  for (int t = 0; t < 100; t++)
    dls_view_zoom_about (&v, 0.5, 200, 200);
  g_assert_cmpfloat (v.scale, ==, DLS_VIEW_MIN_SCALE);
  dls_view_set_scale_about (&v, 1e9, 10, 10);
  g_assert_cmpfloat (v.scale, ==, DLS_VIEW_MAX_SCALE);
  dls_view_set_scale_about (&v, 0, 10, 10);
  g_assert_cmpfloat (v.scale, ==, DLS_VIEW_MIN_SCALE);
  dls_view_set_scale_about (&v, NAN, 10, 10);
  g_assert_cmpfloat (v.scale, ==, DLS_VIEW_MIN_SCALE);
  /* Zero, negative and NaN factors change nothing. */
  dls_view_set_scale_about (&v, 2.0, 10, 10);
  dls_view_zoom_about (&v, 0, 10, 10);
  dls_view_zoom_about (&v, -3, 10, 10);
  dls_view_zoom_about (&v, NAN, 10, 10);
  g_assert_cmpfloat (v.scale, ==, 2.0);

  /* A fit that would need more than the limits is clamped: a 1-pixel image in a big widget,
   * a 100000-pixel image in a small one. */
  dls_view_init (&v, 1, 1, 1000, 1000);
  g_assert_cmpfloat (v.scale, ==, DLS_VIEW_MAX_SCALE);
  g_assert_cmpfloat_with_epsilon (v.ox + 0.5 * v.scale, 500, 1e-9);
  dls_view_init (&v, 100000, 100, 500, 500);
  g_assert_cmpfloat (v.scale, ==, DLS_VIEW_MIN_SCALE);
  g_assert_cmpfloat_with_epsilon (v.ox + 50000 * v.scale, 250, 1e-9);
}

static void
check_fit (int iw, int ih, int ww, int wh)
{
  DlsView v;
  double expect = MIN ((double) ww / iw, (double) wh / ih);

  dls_view_init (&v, iw, ih, ww, wh);
  expect = CLAMP (expect, DLS_VIEW_MIN_SCALE, DLS_VIEW_MAX_SCALE);
  g_assert_cmpfloat_with_epsilon (v.scale, expect, 1e-12);
  /* Centred. */
  g_assert_cmpfloat_with_epsilon (v.ox + iw * v.scale / 2, ww / 2.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (v.oy + ih * v.scale / 2, wh / 2.0, 1e-9);
  /* Whole image inside when the scale was not clamped up... */
  if (expect > DLS_VIEW_MIN_SCALE)
    {
      g_assert_cmpfloat (v.ox, >=, -1e-9);
      g_assert_cmpfloat (v.oy, >=, -1e-9);
      g_assert_cmpfloat (v.ox + iw * v.scale, <=, ww + 1e-9);
      g_assert_cmpfloat (v.oy + ih * v.scale, <=, wh + 1e-9);
    }
  /* ... and touching two opposite sides when not clamped at all (the largest that fits). */
  if (expect > DLS_VIEW_MIN_SCALE && expect < DLS_VIEW_MAX_SCALE)
    g_assert_true (fabs (v.ox) < 1e-9 || fabs (v.oy) < 1e-9);
}

static void
test_view_fit (void)
{
  check_fit (1000, 100, 800, 600); /* wide */
  check_fit (100, 1000, 800, 600); /* tall */
  check_fit (3, 2, 800, 600);      /* tiny */
  check_fit (4096, 4096, 1024, 768);
  check_fit (640, 480, 640, 480); /* exact */
  check_fit (7, 1, 1000, 1000);
  check_fit (333, 777, 1001, 999); /* non-integer scale */
  check_fit (1, 1, 1, 1);

  /* set_image refits only when the size changes. */
  {
    DlsView v;

    dls_view_init (&v, 300, 200, 600, 400);
    dls_view_zoom_about (&v, 3.0, 10, 10);
    dls_view_set_image (&v, 300, 200);
    g_assert_cmpfloat_with_epsilon (v.scale, 6.0, 1e-12);
    dls_view_set_image (&v, 200, 300);
    g_assert_cmpfloat_with_epsilon (v.scale, 400.0 / 300, 1e-12);
    g_assert_cmpfloat_with_epsilon (v.ox + 100 * v.scale, 300, 1e-9);
  }
}

static void
test_view_resize (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (3);

  for (int t = 0; t < 1000; t++)
    {
      DlsView v;
      double cx, cy, ax, ay;
      int nw = g_rand_int_range (rng, 100, 2000), nh = g_rand_int_range (rng, 100, 2000);

      dls_view_init (&v, g_rand_int_range (rng, 50, 3000), g_rand_int_range (rng, 50, 3000),
                     g_rand_int_range (rng, 100, 2000), g_rand_int_range (rng, 100, 2000));
      dls_view_zoom_about (&v, g_rand_double_range (rng, 1, 4), v.win_w / 2.0, v.win_h / 2.0);
      dls_view_to_image (&v, v.win_w / 2.0, v.win_h / 2.0, &cx, &cy);
      dls_view_resize (&v, nw, nh);
      g_assert_cmpint (v.win_w, ==, nw);
      g_assert_cmpint (v.win_h, ==, nh);
      dls_view_to_image (&v, nw / 2.0, nh / 2.0, &ax, &ay);
      g_assert_cmpfloat_with_epsilon (ax, cx, 1e-9 * (1 + fabs (cx)));
      g_assert_cmpfloat_with_epsilon (ay, cy, 1e-9 * (1 + fabs (cy)));
    }

  /* A view made before the widget had a size fits at its first real size. */
  {
    DlsView v;

    dls_view_init (&v, 400, 300, 0, 0);
    dls_view_resize (&v, 800, 300);
    g_assert_cmpfloat_with_epsilon (v.scale, 1.0, 1e-12);
    g_assert_cmpfloat_with_epsilon (v.ox, 200, 1e-9);
    g_assert_cmpfloat_with_epsilon (v.oy, 0, 1e-9);
  }
}

/* Widget pixels of the image inside the widget along one axis. */
static double
overlap (double o, double extent, double win)
{
  return MIN (o + extent, win) - MAX (o, 0);
}

static void
assert_partly_visible (const DlsView *v)
{
  double ew = v->img_w * v->scale, eh = v->img_h * v->scale;

  g_assert_cmpfloat (overlap (v->ox, ew, v->win_w), >=, MIN (MIN (32, ew), v->win_w) - 1e-9);
  g_assert_cmpfloat (overlap (v->oy, eh, v->win_h), >=, MIN (MIN (32, eh), v->win_h) - 1e-9);
}

static void
test_view_pan (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (4);
  DlsView v;

  /* A small pan moves exactly by the given amount. */
  dls_view_init (&v, 1000, 1000, 500, 500);
  dls_view_zoom_about (&v, 4, 250, 250);
  {
    double ox = v.ox, oy = v.oy;

    dls_view_pan (&v, 17.5, -3.25);
    g_assert_cmpfloat (v.ox, ==, ox + 17.5);
    g_assert_cmpfloat (v.oy, ==, oy - 3.25);
  }
  /* Far pans in every direction leave exactly 32 px in view. */
  dls_view_pan (&v, 1e6, 0);
  g_assert_cmpfloat_with_epsilon (v.ox, 500 - 32, 1e-9);
  dls_view_pan (&v, -1e7, 0);
  g_assert_cmpfloat_with_epsilon (v.ox + 1000 * v.scale, 32, 1e-9);
  dls_view_pan (&v, 0, 1e6);
  g_assert_cmpfloat_with_epsilon (v.oy, 500 - 32, 1e-9);
  dls_view_pan (&v, 0, -1e7);
  g_assert_cmpfloat_with_epsilon (v.oy + 1000 * v.scale, 32, 1e-9);
  /* An image smaller than 32 px stays whole. */
  dls_view_init (&v, 10, 5, 500, 500);
  dls_view_set_scale_about (&v, 2, 0, 0);
  dls_view_pan (&v, 1e6, 1e6);
  g_assert_cmpfloat_with_epsilon (v.ox + 20, 500, 1e-9);
  g_assert_cmpfloat_with_epsilon (v.oy + 10, 500, 1e-9);
  dls_view_pan (&v, -1e6, -1e6);
  g_assert_cmpfloat_with_epsilon (v.ox, 0, 1e-9);
  g_assert_cmpfloat_with_epsilon (v.oy, 0, 1e-9);

  /* Random walks of pans and zooms (also about points off the image) never lose it. */
  for (int t = 0; t < 200; t++)
    {
      dls_view_init (&v, g_rand_int_range (rng, 1, 3000), g_rand_int_range (rng, 1, 3000),
                     g_rand_int_range (rng, 1, 1500), g_rand_int_range (rng, 1, 1500));
      for (int s = 0; s < 50; s++)
        {
          if (g_rand_boolean (rng))
            dls_view_pan (&v, g_rand_double_range (rng, -3000, 3000),
                          g_rand_double_range (rng, -3000, 3000));
          else
            dls_view_zoom_about (&v, exp (g_rand_double_range (rng, -2, 2)),
                                 g_rand_double_range (rng, -2000, 4000),
                                 g_rand_double_range (rng, -2000, 4000));
          assert_partly_visible (&v);
        }
    }
}

static void
test_view_pixel_at (void)
{
  DlsView v;
  int x = -1, y = -1;

  dls_view_init (&v, 10, 8, 100, 80); /* scale 10, offset 0 */
  g_assert_cmpfloat (v.scale, ==, 10);
  g_assert_true (dls_view_pixel_at (&v, 0, 0, &x, &y));
  g_assert_cmpint (x, ==, 0);
  g_assert_cmpint (y, ==, 0);
  g_assert_true (dls_view_pixel_at (&v, 9.999, 19.999, &x, &y));
  g_assert_cmpint (x, ==, 0);
  g_assert_cmpint (y, ==, 1);
  g_assert_true (dls_view_pixel_at (&v, 10, 20, &x, &y));
  g_assert_cmpint (x, ==, 1);
  g_assert_cmpint (y, ==, 2);
  g_assert_true (dls_view_pixel_at (&v, 99.99, 79.99, &x, &y));
  g_assert_cmpint (x, ==, 9);
  g_assert_cmpint (y, ==, 7);
  g_assert_false (dls_view_pixel_at (&v, 100, 50, &x, &y));
  g_assert_false (dls_view_pixel_at (&v, 50, 80, &x, &y));
  g_assert_false (dls_view_pixel_at (&v, -0.001, 50, &x, &y));
  g_assert_false (dls_view_pixel_at (&v, 50, -0.001, &x, &y));
  g_assert_false (dls_view_pixel_at (&v, 1e300, 1e300, &x, &y));
  g_assert_false (dls_view_pixel_at (&v, -1e300, 5, &x, &y));
  g_assert_false (dls_view_pixel_at (&v, NAN, 5, &x, &y));
  /* With an offset and a fractional scale. */
  dls_view_pan (&v, 0, 0);
  v.ox = 3.5;
  v.oy = -7.25;
  v.scale = 0.5;
  g_assert_true (dls_view_pixel_at (&v, 3.5, -7.25, &x, &y));
  g_assert_cmpint (x, ==, 0);
  g_assert_cmpint (y, ==, 0);
  g_assert_true (dls_view_pixel_at (&v, 3.5 + 0.5 * 9.5, -7.25 + 0.5 * 7.9, &x, &y));
  g_assert_cmpint (x, ==, 9);
  g_assert_cmpint (y, ==, 7);
  g_assert_false (dls_view_pixel_at (&v, 3.4, 0, &x, &y));
}

static void
test_view_visible (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (5);

  for (int t = 0; t < 3000; t++)
    {
      DlsView v;
      int x0, y0, x1, y1, bx0 = G_MAXINT, by0 = G_MAXINT, bx1 = -1, by1 = -1;

      dls_view_init (&v, g_rand_int_range (rng, 1, 60), g_rand_int_range (rng, 1, 60),
                     g_rand_int_range (rng, 1, 300), g_rand_int_range (rng, 1, 300));
      v.scale = exp (g_rand_double_range (rng, log (0.3), log (DLS_VIEW_MAX_SCALE)));
      if (t % 3 == 0)
        v.scale = g_rand_int_range (rng, 1, 20); /* integer scales: edges land exactly */
      v.ox = g_rand_double_range (rng, -1500, 400);
      v.oy = g_rand_double_range (rng, -1500, 400);
      if (t % 5 == 0)
        v.ox = floor (v.ox), v.oy = floor (v.oy);

      for (int j = 0; j < v.img_h; j++)
        for (int i = 0; i < v.img_w; i++)
          {
            double ax, ay, bx, by;

            dls_view_to_widget (&v, i, j, &ax, &ay);
            dls_view_to_widget (&v, i + 1, j + 1, &bx, &by);
            if (bx > 0 && ax < v.win_w && by > 0 && ay < v.win_h)
              {
                bx0 = MIN (bx0, i);
                by0 = MIN (by0, j);
                bx1 = MAX (bx1, i + 1);
                by1 = MAX (by1, j + 1);
              }
          }
      dls_view_visible (&v, &x0, &y0, &x1, &y1);
      if (bx1 < 0)
        {
          g_assert_cmpint (x0, ==, x1);
        }
      else
        {
          g_assert_cmpint (x0, ==, bx0);
          g_assert_cmpint (y0, ==, by0);
          g_assert_cmpint (x1, ==, bx1);
          g_assert_cmpint (y1, ==, by1);
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Planes                                                                                     */

static void
test_plane_indices (void)
{
  const int Z = 5, Y = 7, X = 11;
  g_autofree guint8 *vol = g_new0 (guint8, Z * Y * X);
  g_autofree float *fvol = g_new0 (float, Z *Y *X);

  for (int axis = DLS_AXIS_Z; axis <= DLS_AXIS_X; axis++)
    {
      int n = axis == DLS_AXIS_Z ? Z : axis == DLS_AXIS_Y ? Y : X;

      for (int index = 0; index < n; index++)
        {
          DlsLabelPlane p;
          DlsFloatPlane f;

          dls_label_plane_init (&p, vol, Z, Y, X, axis, index);
          dls_float_plane_init (&f, fvol, Z, Y, X, axis, index);
          g_assert_true (p.volume == vol);
          g_assert_true (f.volume == fvol);
          g_assert_cmpint (p.width, ==, axis == DLS_AXIS_X ? Y : X);
          g_assert_cmpint (p.height, ==, axis == DLS_AXIS_Z ? Y : Z);
          g_assert_cmpint (f.width, ==, p.width);
          g_assert_cmpint (f.height, ==, p.height);
          for (int y = 0; y < p.height; y++)
            for (int x = 0; x < p.width; x++)
              {
                gsize expect;

                if (axis == DLS_AXIS_Z)
                  expect = ((gsize) index * Y + y) * X + x; /* z = index, y, x */
                else if (axis == DLS_AXIS_Y)
                  expect = ((gsize) y * Y + index) * X + x; /* z = y, y = index, x */
                else
                  expect = ((gsize) y * Y + x) * X + index; /* z = y, y = x, x = index */
                g_assert_cmpuint (dls_label_plane_index (&p, x, y), ==, expect);
                g_assert_cmpuint (dls_float_plane_index (&f, x, y), ==, expect);
              }
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Brush                                                                                      */

/* Distance from (px, py) to the segment a–b. */
static double
segment_distance (double px, double py, double ax, double ay, double bx, double by)
{
  double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy, t = 0;

  if (l2 > 0)
    t = CLAMP (((px - ax) * dx + (py - ay) * dy) / l2, 0, 1);
  return hypot (px - ax - t * dx, py - ay - t * dy);
}

static double
snap_ref (double v, int size)
{
  return size % 2 ? floor (v) + 0.5 : round (v);
}

/* Asserts that exactly the pixels of a W×H plane (axis Z of a 1×H×W volume) in [x0,x1)×[y0,y1)
 * hold `value` and all others 0. */
static void
assert_block (const guint8 *vol, int W, int H, int x0, int y0, int x1, int y1, guint8 value)
{
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        gboolean in = x >= x0 && x < x1 && y >= y0 && y < y1;

        if (vol[y * W + x] != (in ? value : 0))
          g_error ("pixel (%d, %d) is %d, expected %d", x, y, vol[y * W + x], in ? value : 0);
      }
}

static void
test_brush_small (void)
{
  enum
  {
    W = 16,
    H = 12
  };
  guint8 vol[W * H];
  DlsLabelPlane p;
  DlsRect r;
  /* Points anywhere inside pixel (5, 7), near its corners too. */
  const double pts[][2]
      = { { 5.0, 7.0 }, { 5.3, 7.9 }, { 5.999, 7.001 }, { 5.5, 7.5 }, { 5.49, 7.51 } };

  dls_label_plane_init (&p, vol, 1, H, W, DLS_AXIS_Z, 0);
  for (guint k = 0; k < G_N_ELEMENTS (pts); k++)
    {
      double x = pts[k][0], y = pts[k][1];
      int cx = (int) round (x), cy = (int) round (y); /* nearest corner */

      /* Size 1: the pixel under the point. */
      memset (vol, 0, sizeof vol);
      r = dls_brush_segment (&p, x, y, x, y, 1, 3, NULL);
      assert_block (vol, W, H, 5, 7, 6, 8, 3);
      g_assert_cmpint (r.x0, ==, 5);
      g_assert_cmpint (r.y0, ==, 7);
      g_assert_cmpint (r.x1, ==, 6);
      g_assert_cmpint (r.y1, ==, 8);
      /* Size 2: the 2×2 block around the nearest corner. */
      memset (vol, 0, sizeof vol);
      r = dls_brush_segment (&p, x, y, x, y, 2, 4, NULL);
      assert_block (vol, W, H, cx - 1, cy - 1, cx + 1, cy + 1, 4);
      g_assert_cmpint (r.x0, ==, cx - 1);
      g_assert_cmpint (r.y1, ==, cy + 1);
      /* Size 3: the full 3×3 block around the pixel. */
      memset (vol, 0, sizeof vol);
      r = dls_brush_segment (&p, x, y, x, y, 3, 5, NULL);
      assert_block (vol, W, H, 4, 6, 7, 9, 5);
      g_assert_cmpint (r.x0, ==, 4);
      g_assert_cmpint (r.y0, ==, 6);
      g_assert_cmpint (r.x1, ==, 7);
      g_assert_cmpint (r.y1, ==, 9);
    }

  /* Size 1 along a horizontal segment: the run of pixels under it. */
  memset (vol, 0, sizeof vol);
  dls_brush_segment (&p, 2.2, 3.6, 9.7, 3.1, 1, 1, NULL);
  assert_block (vol, W, H, 2, 3, 10, 4, 1);
  /* Size 2 along a vertical segment: a 2-wide column. */
  memset (vol, 0, sizeof vol);
  dls_brush_segment (&p, 4.1, 1.2, 3.9, 8.8, 2, 1, NULL);
  assert_block (vol, W, H, 3, 0, 5, 10, 1);
  /* Size 4 and 5 discs: the squares less their corners. */
  for (int size = 4; size <= 5; size++)
    {
      int n = 0;

      memset (vol, 0, sizeof vol);
      dls_brush_segment (&p, 8.2, 6.2, 8.2, 6.2, size, 1, NULL);
      for (int i = 0; i < W * H; i++)
        n += vol[i];
      g_assert_cmpint (n, ==, size * size - 4);
    }
  /* Size 1 along a diagonal: 8-connected, every pixel the segment's centre line crosses... at
   * least one pixel per column and per row, none twice in a row beyond the line. */
  memset (vol, 0, sizeof vol);
  dls_brush_segment (&p, 0.5, 0.5, 11.5, 11.5, 1, 1, NULL);
  for (int i = 0; i < 12; i++)
    g_assert_cmpint (vol[i * W + i], ==, 1);
}

static void
test_brush_disc_area (void)
{
  const int sizes[] = { 16, 31, 64, 101, 200, 256 };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      int size = sizes[k], W = size + 10, n = 0;
      g_autofree guint8 *vol = g_new0 (guint8, W * W);
      DlsLabelPlane p;
      DlsRect r;
      double r2 = size * size / 4.0, c = W / 2.0 + 0.3;

      dls_label_plane_init (&p, vol, 1, W, W, DLS_AXIS_Z, 0);
      r = dls_brush_segment (&p, c, c, c, c, size, 7, NULL);
      for (int i = 0; i < W * W; i++)
        n += vol[i] == 7;
      /* π r² to within the boundary's share (the Gauss circle problem: |error| ≤ r here)... */
      g_assert_cmpfloat (fabs (n - G_PI * r2), <=, size / 2.0);
      /* ... and exactly the pixel centres within r of the snapped centre. */
      {
        double sc = size % 2 ? floor (c) + 0.5 : round (c);
        int m = 0;

        for (int y = 0; y < W; y++)
          for (int x = 0; x < W; x++)
            {
              double dx = x + 0.5 - sc, dy = y + 0.5 - sc;
              gboolean in = dx * dx + dy * dy <= r2;

              g_assert_cmpint (vol[y * W + x] == 7, ==, in);
              m += in;
            }
        g_assert_cmpint (m, ==, n);
      }
      /* Round and as wide as the size in both directions. */
      g_assert_cmpint (r.x1 - r.x0, ==, size);
      g_assert_cmpint (r.y1 - r.y0, ==, size);
    }
}

/* Paints random segments on a W×H plane and checks every pixel against the capsule around the
 * snapped segment: painted when its centre is within size/2 (ties to 1e-6 excepted), never
 * beyond size/2 + 1 of the raw segment; the returned rectangle is the bounding box of the
 * changes. */
static void
test_brush_segments (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (6);
  enum
  {
    W = 203,
    H = 157
  };
  g_autofree guint8 *vol = g_new (guint8, W * H);
  DlsLabelPlane p;

  dls_label_plane_init (&p, vol, 1, H, W, DLS_AXIS_Z, 0);
  for (int t = 0; t < 400; t++)
    {
      int size = t < 100 ? g_rand_int_range (rng, 1, 9) : g_rand_int_range (rng, 1, 60);
      double ax = g_rand_double_range (rng, -20, W + 20),
             ay = g_rand_double_range (rng, -20, H + 20);
      double bx = g_rand_double_range (rng, -20, W + 20),
             by = g_rand_double_range (rng, -20, H + 20);
      double sax = snap_ref (ax, size), say = snap_ref (ay, size);
      double sbx = snap_ref (bx, size), sby = snap_ref (by, size), rad = size / 2.0;
      DlsRect r, box = { 0, 0, 0, 0 };

      if (t == 0) /* a long fast diagonal drag across the whole plane */
        ax = 0.3, ay = 0.2, bx = W - 0.4, by = H - 0.7, size = 5;
      sax = snap_ref (ax, size), say = snap_ref (ay, size);
      sbx = snap_ref (bx, size), sby = snap_ref (by, size), rad = size / 2.0;
      memset (vol, 0, W * H);
      r = dls_brush_segment (&p, ax, ay, bx, by, size, 9, NULL);
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            double d = segment_distance (x + 0.5, y + 0.5, sax, say, sbx, sby);
            guint8 v = vol[y * W + x];

            if (d < rad - 1e-6 && v != 9)
              g_error ("gap at (%d, %d), %g from the segment (size %d)", x, y, d, size);
            if (d > rad + 1e-6 && v != 0)
              g_error ("(%d, %d) painted %g from the segment (size %d)", x, y, d, size);
            if (segment_distance (x + 0.5, y + 0.5, ax, ay, bx, by) > rad + 1 && v != 0)
              g_error ("(%d, %d) painted beyond size/2 + 1", x, y);
            if (v)
              dls_rect_union (&box, &(DlsRect){ x, y, x + 1, y + 1 });
          }
      if (dls_rect_is_empty (&box))
        g_assert_true (dls_rect_is_empty (&r));
      else
        {
          g_assert_cmpint (r.x0, ==, box.x0);
          g_assert_cmpint (r.y0, ==, box.y0);
          g_assert_cmpint (r.x1, ==, box.x1);
          g_assert_cmpint (r.y1, ==, box.y1);
        }
      /* Painting the same again changes nothing. */
      r = dls_brush_segment (&p, ax, ay, bx, by, size, 9, NULL);
      g_assert_true (dls_rect_is_empty (&r));
    }
}

static void
test_brush_erase_clip (void)
{
  /* The plane is the middle slice of a 3-slice volume; the others must never be touched. */
  enum
  {
    W = 40,
    H = 30
  };
  guint8 vol[3 * W * H];
  DlsLabelPlane p;
  DlsRect r;
  int n;

  memset (vol, 0xee, sizeof vol);
  dls_label_plane_init (&p, vol, 3, H, W, DLS_AXIS_Z, 1);
  memset (vol + W * H, 0, W * H);

  /* A brush centred on a corner: only its inside quarter lands. */
  r = dls_brush_segment (&p, 0.2, 0.2, 0.2, 0.2, 21, 2, NULL);
  g_assert_cmpint (r.x0, ==, 0);
  g_assert_cmpint (r.y0, ==, 0);
  g_assert_cmpint (r.x1, ==, 11);
  g_assert_cmpint (r.y1, ==, 11);
  r = dls_brush_segment (&p, W - 0.5, H - 0.5, W + 100, H + 100, 21, 3, NULL);
  g_assert_cmpint (r.x1, ==, W);
  g_assert_cmpint (r.y1, ==, H);
  g_assert_cmpint (r.x0, ==, W - 11);
  /* Entirely outside, or with non-finite points: nothing. */
  r = dls_brush_segment (&p, -50, -50, -30, 200, 15, 4, NULL);
  g_assert_true (dls_rect_is_empty (&r));
  r = dls_brush_segment (&p, NAN, 3, 4, 5, 15, 4, NULL);
  g_assert_true (dls_rect_is_empty (&r));
  r = dls_brush_segment (&p, 10, 10, INFINITY, 5, 15, 4, NULL);
  g_assert_true (dls_rect_is_empty (&r));
  for (int i = 0; i < W * H; i++)
    {
      g_assert_cmpint (vol[i], ==, 0xee);
      g_assert_cmpint (vol[2 * W * H + i], ==, 0xee);
    }
  /* The same along the other axes, whose planes are strided. */
  for (int axis = DLS_AXIS_Y; axis <= DLS_AXIS_X; axis++)
    {
      enum
      {
        Z = 9,
        Y = 11,
        X = 13
      };
      guint8 v3[Z * Y * X];
      int index = axis == DLS_AXIS_Y ? 4 : 6, painted = 0;

      memset (v3, 0, sizeof v3);
      dls_label_plane_init (&p, v3, Z, Y, X, axis, index);
      dls_brush_segment (&p, -5, -5, 50, 50, 7, 1, NULL);
      for (int z = 0; z < Z; z++)
        for (int y = 0; y < Y; y++)
          for (int x = 0; x < X; x++)
            if (v3[(z * Y + y) * X + x])
              {
                g_assert_cmpint (axis == DLS_AXIS_Y ? y : x, ==, index);
                painted++;
              }
      g_assert_cmpint (painted, >, 0);
    }

  /* Erasing: value 0 clears what a stroke painted, and reports it. */
  dls_label_plane_init (&p, vol, 3, H, W, DLS_AXIS_Z, 1);
  memset (vol + W * H, 0, W * H);
  dls_brush_segment (&p, 5, 5, 30, 20, 6, 1, NULL);
  r = dls_brush_segment (&p, 5, 5, 30, 20, 6, 0, NULL);
  g_assert_false (dls_rect_is_empty (&r));
  n = 0;
  for (int i = 0; i < W * H; i++)
    n += vol[W * H + i];
  g_assert_cmpint (n, ==, 0);
  r = dls_brush_segment (&p, 5, 5, 30, 20, 6, 0, NULL);
  g_assert_true (dls_rect_is_empty (&r));
  /* Sizes outside 1..256 are clamped. */
  r = dls_brush_segment (&p, 10.5, 10.5, 10.5, 10.5, 0, 1, NULL);
  g_assert_cmpint (r.x1 - r.x0, ==, 1);
  r = dls_brush_segment (&p, 10.5, 10.5, 10.5, 10.5, -7, 1, NULL);
  g_assert_true (dls_rect_is_empty (&r)); /* size 1 again: already painted */
}

static void
test_brush_undo_records (void)
{
  enum
  {
    W = 64,
    H = 48
  };
  guint8 vol[W * H], before[W * H];
  g_autoptr (DlsUndo) u = dls_undo_new (0);
  DlsLabelPlane p;
  int changed = 0;
  gsize lo, hi;

  memset (vol, 0, sizeof vol);
  dls_label_plane_init (&p, vol, 1, H, W, DLS_AXIS_Z, 0);
  /* Half of the area already has the value: those pixels are no change. */
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W / 2; x++)
      vol[y * W + x] = 2;
  memcpy (before, vol, sizeof vol);

  dls_undo_begin (u);
  dls_brush_segment (&p, 10, 10, 50, 40, 9, 2, u);
  dls_brush_segment (&p, 50, 40, 10, 40, 9, 2, u); /* overlaps the first */
  g_assert_true (dls_undo_end (u));
  for (int i = 0; i < W * H; i++)
    changed += vol[i] != before[i];
  g_assert_cmpint (changed, >, 0);
  g_assert_cmpuint (dls_undo_n_actions (u), ==, 1);
  /* Only real changes were recorded: an action of nothing but no-ops is dropped. */
  dls_undo_begin (u);
  dls_brush_segment (&p, 10, 10, 50, 40, 9, 2, u);
  g_assert_false (dls_undo_end (u));
  g_assert_cmpuint (dls_undo_n_actions (u), ==, 1);

  g_assert_true (dls_undo_undo (u, vol, sizeof vol, &lo, &hi));
  g_assert_cmpmem (vol, sizeof vol, before, sizeof before);
  /* The range spans exactly the changed pixels. */
  {
    gsize first = G_MAXSIZE, last = 0;

    dls_undo_redo (u, vol, sizeof vol, NULL, NULL);
    for (gsize i = 0; i < sizeof vol; i++)
      if (vol[i] != before[i])
        first = MIN (first, i), last = MAX (last, i);
    g_assert_cmpuint (lo, ==, first);
    g_assert_cmpuint (hi, ==, last);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Flood fill                                                                                 */

/* The naive reference: breadth-first search from (x, y) over 4-neighbours of equal value. */
static int
flood_reference (const DlsLabelPlane *p, guint8 *vol, int x, int y, guint8 value)
{
  g_autofree int *queue = g_new (int, (gsize) p->width * p->height);
  g_autofree guint8 *seen = g_new0 (guint8, (gsize) p->width * p->height);
  guint8 target = vol[dls_label_plane_index (p, x, y)];
  int head = 0, tail = 0, n = 0;

  if (target == value)
    return 0;
  queue[tail++] = y * p->width + x;
  seen[y * p->width + x] = 1;
  while (head < tail)
    {
      int q = queue[head++], qx = q % p->width, qy = q / p->width;
      const int nb[4][2] = { { qx - 1, qy }, { qx + 1, qy }, { qx, qy - 1 }, { qx, qy + 1 } };

      vol[dls_label_plane_index (p, qx, qy)] = value;
      n++;
      for (int k = 0; k < 4; k++)
        {
          int nx = nb[k][0], ny = nb[k][1];

          if (nx < 0 || ny < 0 || nx >= p->width || ny >= p->height || seen[ny * p->width + nx])
            continue;
          if (vol[dls_label_plane_index (p, nx, ny)] != target)
            continue;
          seen[ny * p->width + nx] = 1;
          queue[tail++] = ny * p->width + nx;
        }
    }
  return n;
}

static void
test_flood_reference (void)
{
  enum
  {
    Z = 7,
    Y = 23,
    X = 31,
    N = Z * Y * X
  };
  g_autoptr (GRand) rng = g_rand_new_with_seed (7);
  guint8 a[N], b[N], before[N];

  for (int seed = 0; seed < 12; seed++)
    for (int axis = DLS_AXIS_Z; axis <= DLS_AXIS_X; axis++)
      {
        int n_index = axis == DLS_AXIS_Z ? Z : axis == DLS_AXIS_Y ? Y : X;
        int n_values = 2 + seed % 3;
        DlsLabelPlane p;

        for (int i = 0; i < N; i++)
          a[i] = (guint8) g_rand_int_range (rng, 0, n_values);
        memcpy (b, a, N);
        dls_label_plane_init (&p, a, Z, Y, X, axis, g_rand_int_range (rng, 0, n_index));

        for (int t = 0; t < 10; t++)
          {
            int x = g_rand_int_range (rng, 0, p.width), y = g_rand_int_range (rng, 0, p.height);
            guint8 value = (guint8) g_rand_int_range (rng, 0, n_values + 1);
            DlsLabelPlane q = p;
            DlsRect r, box = { 0, 0, 0, 0 };
            int n;

            memcpy (before, a, N);
            q.volume = b;
            n = flood_reference (&q, b, x, y, value);
            r = dls_flood_fill (&p, x, y, value, NULL);
            g_assert_cmpmem (a, N, b, N);
            for (int j = 0; j < p.height; j++)
              for (int i = 0; i < p.width; i++)
                if (a[dls_label_plane_index (&p, i, j)] != before[dls_label_plane_index (&p, i, j)])
                  dls_rect_union (&box, &(DlsRect){ i, j, i + 1, j + 1 });
            if (n == 0)
              g_assert_true (dls_rect_is_empty (&r));
            else
              {
                g_assert_cmpint (r.x0, ==, box.x0);
                g_assert_cmpint (r.y0, ==, box.y0);
                g_assert_cmpint (r.x1, ==, box.x1);
                g_assert_cmpint (r.y1, ==, box.y1);
              }
          }
      }
}

static void
test_flood_big (void)
{
  enum
  {
    S = 2048
  };
  g_autofree guint8 *vol = g_new0 (guint8, (gsize) S * S);
  g_autofree guint8 *ref = NULL;
  g_autoptr (GRand) rng = g_rand_new_with_seed (8);
  DlsLabelPlane p;
  DlsRect r;
  gsize n = 0, walls = 0;

  dls_label_plane_init (&p, vol, 1, S, S, DLS_AXIS_Z, 0);
  /* A serpentine: walls on every other row, open at alternating ends — one corridor 2 M
   * pixels long, the worst case for a recursive fill. */
  for (int y = 1; y < S; y += 2)
    for (int x = 0; x < S; x++)
      if (!((y / 2) % 2 == 0 ? x == S - 1 : x == 0))
        vol[(gsize) y * S + x] = 1, walls++;
  r = dls_flood_fill (&p, 0, 0, 2, NULL);
  for (gsize i = 0; i < (gsize) S * S; i++)
    n += vol[i] == 2;
  g_assert_cmpuint (n, ==, (gsize) S * S - walls);
  g_assert_cmpint (r.x0, ==, 0);
  g_assert_cmpint (r.y0, ==, 0);
  g_assert_cmpint (r.x1, ==, S);
  g_assert_cmpint (r.y1, ==, S);

  /* Random noise at the percolation threshold, against the reference. */
  for (gsize i = 0; i < (gsize) S * S; i++)
    vol[i] = g_rand_double (rng) < 0.41 ? 1 : 0;
  ref = g_memdup2 (vol, (gsize) S * S);
  {
    DlsLabelPlane q = p;

    q.volume = ref;
    for (int t = 0; t < 4; t++)
      {
        int x = g_rand_int_range (rng, 0, S), y = g_rand_int_range (rng, 0, S);

        flood_reference (&q, ref, x, y, 3 + t);
        dls_flood_fill (&p, x, y, 3 + t, NULL);
      }
  }
  g_assert_true (memcmp (vol, ref, (gsize) S * S) == 0);
}

static void
test_flood_noop (void)
{
  enum
  {
    W = 20,
    H = 10
  };
  guint8 vol[W * H], before[W * H];
  g_autoptr (DlsUndo) u = dls_undo_new (0);
  DlsLabelPlane p;
  DlsRect r;
  int n = 0;

  memset (vol, 1, sizeof vol);
  memset (vol + 5 * W, 0, W); /* a row of 0 splits the plane */
  memcpy (before, vol, sizeof vol);
  dls_label_plane_init (&p, vol, 1, H, W, DLS_AXIS_Z, 0);

  dls_undo_begin (u);
  r = dls_flood_fill (&p, 3, 3, 1, u); /* already 1 */
  g_assert_true (dls_rect_is_empty (&r));
  r = dls_flood_fill (&p, -1, 3, 2, u);
  g_assert_true (dls_rect_is_empty (&r));
  r = dls_flood_fill (&p, 3, H, 2, u);
  g_assert_true (dls_rect_is_empty (&r));
  r = dls_flood_fill (&p, W, 0, 2, u);
  g_assert_true (dls_rect_is_empty (&r));
  g_assert_false (dls_undo_end (u));
  g_assert_cmpmem (vol, sizeof vol, before, sizeof before);

  /* A real fill: only the upper part, recorded pixel by pixel, undone exactly. */
  dls_undo_begin (u);
  r = dls_flood_fill (&p, 3, 3, 4, u);
  g_assert_true (dls_undo_end (u));
  g_assert_cmpint (r.x0, ==, 0);
  g_assert_cmpint (r.y0, ==, 0);
  g_assert_cmpint (r.x1, ==, W);
  g_assert_cmpint (r.y1, ==, 5);
  for (int i = 0; i < W * H; i++)
    n += vol[i] == 4;
  g_assert_cmpint (n, ==, 5 * W);
  g_assert_true (dls_undo_undo (u, vol, sizeof vol, NULL, NULL));
  g_assert_cmpmem (vol, sizeof vol, before, sizeof before);
}

/* ------------------------------------------------------------------------------------------ */
/* Undo                                                                                       */

static void
test_undo_across_planes (void)
{
  enum
  {
    Z = 6,
    Y = 20,
    X = 24,
    N = Z * Y * X,
    STEPS = 12
  };
  g_autoptr (GRand) rng = g_rand_new_with_seed (9);
  g_autoptr (DlsUndo) u = dls_undo_new (0);
  g_autofree guint8 *snap = g_new (guint8, (gsize) (STEPS + 1) * N);
  guint8 vol[N];
  gsize lo, hi;

  memset (vol, 0, N);
  memcpy (snap, vol, N);
  for (int s = 0; s < STEPS; s++)
    {
      DlsAxis axis = (DlsAxis) (s % 3);
      int n_index = axis == DLS_AXIS_Z ? Z : axis == DLS_AXIS_Y ? Y : X;
      DlsLabelPlane p;

      dls_label_plane_init (&p, vol, Z, Y, X, axis, g_rand_int_range (rng, 0, n_index));
      dls_undo_begin (u);
      if (s % 4 == 3)
        dls_flood_fill (&p, g_rand_int_range (rng, 0, p.width), g_rand_int_range (rng, 0, p.height),
                        (guint8) (s + 1), u);
      else
        for (int k = 0; k < 4; k++) /* one stroke of several segments */
          dls_brush_segment (
              &p, g_rand_double_range (rng, 0, p.width), g_rand_double_range (rng, 0, p.height),
              g_rand_double_range (rng, 0, p.width), g_rand_double_range (rng, 0, p.height),
              g_rand_int_range (rng, 1, 6), (guint8) (k == 3 ? 0 : s % 3 + 1), u);
      g_assert_true (dls_undo_end (u));
      memcpy (snap + (gsize) (s + 1) * N, vol, N);
    }
  g_assert_cmpuint (dls_undo_n_actions (u), ==, STEPS);

  /* Undo everything, step by step, each one restoring the state before it exactly; the
   * reported range covers every changed voxel. */
  for (int s = STEPS; s > 0; s--)
    {
      g_assert_true (dls_undo_can_undo (u));
      g_assert_true (dls_undo_undo (u, vol, N, &lo, &hi));
      g_assert_cmpmem (vol, N, snap + (gsize) (s - 1) * N, N);
      for (gsize i = 0; i < N; i++)
        if (snap[(gsize) s * N + i] != snap[(gsize) (s - 1) * N + i])
          {
            g_assert_cmpuint (i, >=, lo);
            g_assert_cmpuint (i, <=, hi);
          }
    }
  g_assert_false (dls_undo_can_undo (u));
  g_assert_false (dls_undo_undo (u, vol, N, &lo, &hi));
  /* Redo everything. */
  for (int s = 1; s <= STEPS; s++)
    {
      g_assert_true (dls_undo_can_redo (u));
      g_assert_true (dls_undo_redo (u, vol, N, NULL, NULL));
      g_assert_cmpmem (vol, N, snap + (gsize) s * N, N);
    }
  g_assert_false (dls_undo_can_redo (u));
  g_assert_false (dls_undo_redo (u, vol, N, NULL, NULL));
  /* Half back, then a few forward again. */
  for (int s = 0; s < 6; s++)
    dls_undo_undo (u, vol, N, NULL, NULL);
  for (int s = 0; s < 3; s++)
    dls_undo_redo (u, vol, N, NULL, NULL);
  g_assert_cmpmem (vol, N, snap + (gsize) (STEPS - 3) * N, N);
}

static void
test_undo_records (void)
{
  g_autoptr (DlsUndo) u = dls_undo_new (0);
  guint8 vol[100] = { 0 };
  gsize lo = 0, hi = 0;

  g_assert_false (dls_undo_can_undo (u));
  g_assert_false (dls_undo_can_redo (u));
  g_assert_false (dls_undo_undo (u, vol, 100, &lo, &hi));

  /* Empty actions are dropped. */
  dls_undo_begin (u);
  g_assert_false (dls_undo_end (u));
  g_assert_cmpuint (dls_undo_n_actions (u), ==, 0);

  /* One action, a pixel changed three times: undo gives the first old, redo the last new. */
  dls_undo_begin (u);
  vol[40] = 1, dls_undo_record (u, 40, 0, 1);
  vol[7] = 5, dls_undo_record (u, 7, 0, 5);
  vol[40] = 2, dls_undo_record (u, 40, 1, 2);
  vol[40] = 3, dls_undo_record (u, 40, 2, 3);
  vol[93] = 9, dls_undo_record (u, 93, 0, 9);
  g_assert_true (dls_undo_end (u));
  g_assert_cmpuint (dls_undo_n_actions (u), ==, 1);
  g_assert_true (dls_undo_undo (u, vol, 100, &lo, &hi));
  g_assert_cmpint (vol[40], ==, 0);
  g_assert_cmpint (vol[7], ==, 0);
  g_assert_cmpint (vol[93], ==, 0);
  g_assert_cmpuint (lo, ==, 7);
  g_assert_cmpuint (hi, ==, 93);
  g_assert_true (dls_undo_can_redo (u));
  g_assert_true (dls_undo_redo (u, vol, 100, &lo, &hi));
  g_assert_cmpint (vol[40], ==, 3);
  g_assert_cmpint (vol[7], ==, 5);
  g_assert_cmpint (vol[93], ==, 9);
  g_assert_cmpuint (lo, ==, 7);
  g_assert_cmpuint (hi, ==, 93);

  /* A new kept action clears the redo list; an empty one does not. */
  g_assert_true (dls_undo_undo (u, vol, 100, NULL, NULL));
  dls_undo_begin (u);
  g_assert_false (dls_undo_end (u));
  g_assert_true (dls_undo_can_redo (u));
  dls_undo_begin (u);
  vol[50] = 4, dls_undo_record (u, 50, 0, 4);
  g_assert_true (dls_undo_end (u));
  g_assert_false (dls_undo_can_redo (u));
  g_assert_cmpuint (dls_undo_n_actions (u), ==, 1);
  g_assert_true (dls_undo_undo (u, vol, 100, &lo, &hi));
  g_assert_cmpuint (lo, ==, 50);
  g_assert_cmpuint (hi, ==, 50);
  g_assert_cmpint (vol[50], ==, 0);
  g_assert_cmpint (vol[40], ==, 0);

  /* An index beyond the volume is refused, and nothing is applied. */
  dls_undo_clear (u);
  dls_undo_begin (u);
  dls_undo_record (u, 3, 0, 1);
  dls_undo_record (u, 150, 0, 1);
  dls_undo_end (u);
  g_test_expect_message (NULL, G_LOG_LEVEL_CRITICAL, "*hi < n*");
  g_assert_false (dls_undo_undo (u, vol, 100, NULL, NULL));
  g_test_assert_expected_messages ();
  g_assert_cmpint (vol[3], ==, 0);
  g_assert_true (dls_undo_can_undo (u));

  /* Clear forgets both lists. */
  dls_undo_clear (u);
  g_assert_false (dls_undo_can_undo (u));
  g_assert_false (dls_undo_can_redo (u));
  g_assert_cmpuint (dls_undo_n_actions (u), ==, 0);
}

/* The GUI's gestures do not always arrive in order: undo in the middle of a stroke, a drag
 * cancelled without its end, a change recorded with no action open. */
static void
test_undo_out_of_order (void)
{
  g_autoptr (DlsUndo) u = dls_undo_new (0);
  guint8 vol[16] = { 0 };

  /* Undo mid-stroke takes back the stroke so far; its end then finds nothing open. */
  dls_undo_begin (u);
  vol[1] = 1, dls_undo_record (u, 1, 0, 1);
  vol[2] = 1, dls_undo_record (u, 2, 0, 1);
  g_assert_true (dls_undo_undo (u, vol, 16, NULL, NULL));
  g_assert_cmpint (vol[1], ==, 0);
  g_assert_cmpint (vol[2], ==, 0);
  g_assert_true (dls_undo_can_redo (u));
  /* The drag goes on painting: those changes form an action of their own... */
  vol[3] = 2, dls_undo_record (u, 3, 0, 2);
  /* ... which its end closes, clearing the redo list like any new action. */
  g_assert_true (dls_undo_end (u));
  g_assert_false (dls_undo_end (u));
  g_assert_false (dls_undo_can_redo (u));
  g_assert_cmpuint (dls_undo_n_actions (u), ==, 1);
  g_assert_true (dls_undo_undo (u, vol, 16, NULL, NULL));
  g_assert_cmpint (vol[3], ==, 0);
  g_assert_false (dls_undo_undo (u, vol, 16, NULL, NULL));

  /* A begin while one is open closes the first (a cancelled drag), each undone on its own. */
  dls_undo_clear (u);
  dls_undo_begin (u);
  vol[5] = 1, dls_undo_record (u, 5, 0, 1);
  dls_undo_begin (u);
  vol[6] = 1, dls_undo_record (u, 6, 0, 1);
  g_assert_true (dls_undo_end (u));
  g_assert_cmpuint (dls_undo_n_actions (u), ==, 2);
  g_assert_true (dls_undo_undo (u, vol, 16, NULL, NULL));
  g_assert_cmpint (vol[5], ==, 1);
  g_assert_cmpint (vol[6], ==, 0);
  g_assert_true (dls_undo_undo (u, vol, 16, NULL, NULL));
  g_assert_cmpint (vol[5], ==, 0);

  /* An empty open action is dropped by undo, which then undoes the action before it. */
  dls_undo_clear (u);
  dls_undo_begin (u);
  vol[7] = 4, dls_undo_record (u, 7, 0, 4);
  dls_undo_end (u);
  dls_undo_begin (u);
  g_assert_true (dls_undo_undo (u, vol, 16, NULL, NULL));
  g_assert_cmpint (vol[7], ==, 0);
  g_assert_false (dls_undo_end (u));
  g_assert_false (dls_undo_can_undo (u));
}

static void
test_undo_memory_limit (void)
{
  enum
  {
    N = 4096,
    ACTIONS = 40,
    PER = 100
  };
  /* Room for roughly ten actions of PER records (8 bytes each, plus bookkeeping). */
  g_autoptr (DlsUndo) u = dls_undo_new (10 * (PER * 8 + 64));
  g_autofree guint8 *snap = g_new (guint8, (gsize) (ACTIONS + 1) * N);
  guint8 vol[N];
  gsize kept;
  int undone = 0;

  memset (vol, 0, N);
  memcpy (snap, vol, N);
  for (int a = 0; a < ACTIONS; a++)
    {
      dls_undo_begin (u);
      for (int k = 0; k < PER; k++)
        {
          gsize i = (gsize) (a * 97 + k * 13) % N;
          guint8 nv = (guint8) (vol[i] + 1);

          dls_undo_record (u, i, vol[i], nv);
          vol[i] = nv;
        }
      g_assert_true (dls_undo_end (u));
      memcpy (snap + (gsize) (a + 1) * N, vol, N);
      g_assert_cmpuint (dls_undo_n_actions (u), <=, 11);
    }
  kept = dls_undo_n_actions (u);
  g_assert_cmpuint (kept, >=, 5);
  g_assert_cmpuint (kept, <, ACTIONS);
  /* The newest ones are the ones kept: undoing all of them lands on the state after the
   * dropped ones. */
  while (dls_undo_undo (u, vol, N, NULL, NULL))
    undone++;
  g_assert_cmpint (undone, ==, (int) kept);
  g_assert_cmpmem (vol, N, snap + (gsize) (ACTIONS - kept) * N, N);

  /* One action bigger than the whole limit is still kept (the last gesture can be undone). */
  {
    g_autoptr (DlsUndo) small = dls_undo_new (256);

    for (int a = 0; a < 3; a++)
      {
        dls_undo_begin (small);
        for (int k = 0; k < 1000; k++)
          dls_undo_record (small, k, 0, 1);
        g_assert_true (dls_undo_end (small));
        g_assert_cmpuint (dls_undo_n_actions (small), ==, 1);
      }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Colormaps and rendering                                                                    */

static void
test_colormap_ids (void)
{
  const char *ids[] = { "gray", "viridis", "magma", "inferno", "cividis", "turbo" };

  for (int c = 0; c < DLS_N_COLORMAPS; c++)
    {
      DlsColormap back = DLS_N_COLORMAPS;

      g_assert_cmpstr (dls_colormap_id (c), ==, ids[c]);
      g_assert_true (dls_colormap_from_id (dls_colormap_id (c), &back));
      g_assert_cmpint (back, ==, c);
      g_assert_nonnull (dls_colormap_label (c));
      g_assert_cmpint (g_ascii_toupper (ids[c][0]), ==, dls_colormap_label (c)[0]);
    }
  g_assert_false (dls_colormap_from_id ("jet", NULL));
  g_assert_false (dls_colormap_from_id ("Gray", NULL));
  g_assert_false (dls_colormap_from_id (NULL, NULL));
}

static void
test_colormap_tables (void)
{
  /* matplotlib's own 8-bit colours at entries 0, 37, 100, 128, 201, 255. */
  const struct
  {
    DlsColormap c;
    guint32 rgb[6];
    int tol;
  } ref[] = {
    { DLS_COLORMAP_VIRIDIS, { 0x440154, 0x46337f, 0x2a768e, 0x21918c, 0x73d056, 0xfde725 }, 2 },
    { DLS_COLORMAP_MAGMA, { 0x000004, 0x241253, 0x892881, 0xb73779, 0xfd9a6a, 0xfcfdbf }, 2 },
    { DLS_COLORMAP_INFERNO, { 0x000004, 0x290b55, 0x902568, 0xbc3754, 0xfc9f07, 0xfcffa4 }, 2 },
    { DLS_COLORMAP_CIVIDIS, { 0x00224e, 0x233c6e, 0x656870, 0x7d7c78, 0xc5b568, 0xfee838 }, 5 },
    { DLS_COLORMAP_TURBO, { 0x30123b, 0x4778f0, 0x3ff68a, 0xa4fc3c, 0xf36315, 0x7a0403 }, 2 },
  };
  const int at[6] = { 0, 37, 100, 128, 201, 255 };
  const guint32 *gray = dls_colormap_table (DLS_COLORMAP_GRAY);

  for (int i = 0; i < 256; i++)
    g_assert_cmphex (gray[i], ==, 0xff000000u | (guint32) i * 0x010101u);
  for (guint k = 0; k < G_N_ELEMENTS (ref); k++)
    {
      const guint32 *t = dls_colormap_table (ref[k].c);

      g_assert_true (t == dls_colormap_table (ref[k].c)); /* built once */
      for (int i = 0; i < 256; i++)
        g_assert_cmphex (t[i] >> 24, ==, 0xff);
      for (int e = 0; e < 6; e++)
        for (int ch = 0; ch < 3; ch++)
          {
            int got = (t[at[e]] >> (8 * ch)) & 0xff, want = (ref[k].rgb[e] >> (8 * ch)) & 0xff;
            /* The ends and entry 128 are anchors: exact. */
            int tol = at[e] == 0 || at[e] == 128 || at[e] == 255 ? 0 : ref[k].tol;

            if (ABS (got - want) > tol)
              g_error ("%s[%d] = %06x, matplotlib has %06x", dls_colormap_id (ref[k].c), at[e],
                       t[at[e]] & 0xffffff, ref[k].rgb[e]);
          }
    }
}

/* Expected premultiplied pixel of an unpremultiplied 0xAARRGGBB colour at opacity a. */
static guint32
premul_ref (guint32 argb, double a)
{
  long A = lround (((argb >> 24) & 0xff) * a);
  guint32 out = (guint32) A << 24;

  if (A == 0)
    return 0;
  for (int ch = 0; ch < 3; ch++)
    out |= (guint32) lround (((argb >> (8 * ch)) & 0xff) * (double) A / 255.0) << (8 * ch);
  return out;
}

static void
test_render_scalar (void)
{
  enum
  {
    Z = 3,
    Y = 4,
    X = 5,
    N = Z * Y * X
  };
  float vol[N];
  guint32 out[8 * 8];
  DlsFloatPlane p;
  const guint32 *viridis = dls_colormap_table (DLS_COLORMAP_VIRIDIS);

  for (int i = 0; i < N; i++)
    vol[i] = (float) i;

  /* Gray over [10, 20] on slice z = 0..: identity ramp, clamped outside. */
  dls_float_plane_init (&p, vol, Z, Y, X, DLS_AXIS_Z, 0);
  dls_render_scalar (&p, 0, 0, X, Y, DLS_COLORMAP_GRAY, 0.0f, 19.0f, 1.0, out, 8);
  for (int y = 0; y < Y; y++)
    for (int x = 0; x < X; x++)
      {
        int v = (int) lround ((y * X + x) * 255.0 / 19.0);

        g_assert_cmphex (out[y * 8 + x], ==, 0xff000000u | (guint32) v * 0x010101u);
      }
  dls_render_scalar (&p, 0, 0, X, Y, DLS_COLORMAP_GRAY, 5.0f, 10.0f, 1.0, out, 8);
  g_assert_cmphex (out[0], ==, 0xff000000);
  g_assert_cmphex (out[8 + 0], ==, 0xff000000);     /* v = 5 = lo */
  g_assert_cmphex (out[8 + 1], ==, 0xff333333);     /* v = 6: 51 */
  g_assert_cmphex (out[2 * 8 + 0], ==, 0xffffffff); /* v = 10 = hi */
  g_assert_cmphex (out[3 * 8 + 4], ==, 0xffffffff);

  /* lo == hi: ≥ lo is the top colour. */
  dls_render_scalar (&p, 0, 0, X, Y, DLS_COLORMAP_VIRIDIS, 7.0f, 7.0f, 1.0, out, 8);
  g_assert_cmphex (out[1 * 8 + 1], ==, viridis[0]);   /* v = 6 */
  g_assert_cmphex (out[1 * 8 + 2], ==, viridis[255]); /* v = 7 */
  g_assert_cmphex (out[1 * 8 + 3], ==, viridis[255]);

  /* NaN is transparent; alpha premultiplies; a strided sub-rectangle (axis X). */
  vol[(1 * Y + 2) * X + 3] = NAN;                         /* z = 1, y = 2, x = 3 */
  dls_float_plane_init (&p, vol, Z, Y, X, DLS_AXIS_X, 3); /* plane (x, y) = (y, z) */
  memset (out, 0xab, sizeof out);
  dls_render_scalar (&p, 1, 1, 3, 2, DLS_COLORMAP_VIRIDIS, 0.0f, (float) (N - 1), 0.5, out, 8);
  for (int j = 0; j < 2; j++)
    for (int i = 0; i < 3; i++)
      {
        int y = 1 + i, z = 1 + j;
        float v = vol[(z * Y + y) * X + 3];
        guint32 px = out[j * 8 + i];

        if (isnan (v))
          {
            g_assert_cmphex (px, ==, 0);
            continue;
          }
        int e = (int) lround (v * 255.0 / (N - 1));
        g_assert_cmphex (px, ==, premul_ref (viridis[e], 0.5));
        g_assert_cmpint (px >> 24, ==, 128);
        for (int ch = 0; ch < 3; ch++)
          g_assert_cmpuint ((px >> (8 * ch)) & 0xff, <=, px >> 24);
      }
  /* Outside the rectangle nothing was written. */
  g_assert_cmphex (out[3], ==, 0xabababab);
  g_assert_cmphex (out[2 * 8], ==, 0xabababab);
  /* Alpha 0: all transparent. */
  dls_render_scalar (&p, 0, 0, p.width, p.height, DLS_COLORMAP_TURBO, 0, 1, 0.0, out, 8);
  for (int j = 0; j < p.height; j++)
    for (int i = 0; i < p.width; i++)
      g_assert_cmphex (out[j * 8 + i], ==, 0);
}

static void
test_render_labels (void)
{
  enum
  {
    Z = 2,
    Y = 3,
    X = 4,
    N = Z * Y * X
  };
  guint8 lab[N];
  float conf[N];
  guint32 out[4 * 6];
  const guint32 palette[4] = { 0xffffffff, 0xffff0000, 0x8000ff00, 0xff0000ff };
  DlsLabelPlane p;
  DlsFloatPlane w;

  for (int i = 0; i < N; i++)
    {
      lab[i] = (guint8) (i % 5);                /* 4 is beyond the palette */
      conf[i] = (float) (i % 7) / 4.0f - 0.25f; /* −0.25 .. 1.25, clamped */
    }
  conf[9] = NAN;
  dls_label_plane_init (&p, lab, Z, Y, X, DLS_AXIS_Y, 1); /* width X, height Z */
  dls_float_plane_init (&w, conf, Z, Y, X, DLS_AXIS_Y, 1);

  for (int with_weight = 0; with_weight < 2; with_weight++)
    {
      memset (out, 0, sizeof out);
      dls_render_labels (&p, with_weight ? &w : NULL, 0, 0, X, Z, palette, 4, 0.6, out, 6);
      for (int z = 0; z < Z; z++)
        for (int x = 0; x < X; x++)
          {
            gsize i = (gsize) (z * Y + 1) * X + x;
            guint8 k = lab[i];
            double wt = with_weight ? (isnan (conf[i]) ? 0 : CLAMP (conf[i], 0.0, 1.0)) : 1;
            guint32 want = k == 0 || k >= 4 ? 0 : premul_ref (palette[k], 0.6 * wt);

            g_assert_cmphex (out[z * 6 + x], ==, want);
          }
    }
  /* Spot values: class 1 opaque red at alpha 0.6, class 2 half-transparent green. */
  g_assert_cmphex (premul_ref (palette[1], 0.6), ==, 0x99990000);
  g_assert_cmphex (premul_ref (palette[2], 0.6), ==, 0x4d004d00);
  {
    guint8 one[4] = { 1, 2, 0, 3 };
    guint32 px[4];

    dls_label_plane_init (&p, one, 1, 1, 4, DLS_AXIS_Z, 0);
    dls_render_labels (&p, NULL, 0, 0, 4, 1, palette, 4, 0.6, px, 4);
    g_assert_cmphex (px[0], ==, 0x99990000);
    g_assert_cmphex (px[1], ==, 0x4d004d00);
    g_assert_cmphex (px[2], ==, 0);
    g_assert_cmphex (px[3], ==, 0x99000099);
    dls_render_labels (&p, NULL, 0, 0, 4, 1, palette, 4, 1.0, px, 4);
    g_assert_cmphex (px[0], ==, 0xffff0000);
    g_assert_cmphex (px[1], ==, 0x80008000);
  }
}

static void
test_class_colors (void)
{
  g_assert_cmphex (dls_class_color_default (0), ==, 0);
  for (int a = 1; a <= 15; a++)
    {
      guint32 ca = dls_class_color_default (a);

      g_assert_cmphex (ca >> 24, ==, 0xff);
      for (int b = 1; b < a; b++)
        {
          guint32 cb = dls_class_color_default (b);
          int d = 0;

          for (int ch = 0; ch < 3; ch++)
            d += ABS ((int) ((ca >> (8 * ch)) & 0xff) - (int) ((cb >> (8 * ch)) & 0xff));
          g_assert_cmpint (d, >, 60); /* clearly different */
        }
    }
}

static int
cmp_float (gconstpointer a, gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;

  return x < y ? -1 : x > y;
}

static void
test_percentiles (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (10);
  const gsize n = 200000;
  g_autofree float *data = g_new (float, n);
  g_autofree float *sorted = g_new (float, n);
  const double ps[][2]
      = { { 1, 99 }, { 0, 100 }, { 0.5, 99.5 }, { 25, 75 }, { 50, 50 }, { 5, 95 } };
  gsize m = 0;
  float lo, hi;

  for (int dist = 0; dist < 3; dist++)
    {
      m = 0;
      for (gsize i = 0; i < n; i++)
        {
          float v;

          if (dist == 0) /* uniform */
            v = (float) g_rand_double_range (rng, -3, 7);
          else if (dist == 1) /* heavy tail: mostly small, a few huge */
            v = (float) exp (g_rand_double_range (rng, 0, 12));
          else /* discrete, few values (a label-like image) */
            v = (float) g_rand_int_range (rng, 0, 4) * 100.0f;
          if (i % 1000 == 7)
            v = NAN;
          if (i % 4999 == 3)
            v = i % 2 ? INFINITY : -INFINITY;
          data[i] = v;
          if (isfinite (v))
            sorted[m++] = v;
        }
      qsort (sorted, m, sizeof (float), cmp_float);
      for (guint k = 0; k < G_N_ELEMENTS (ps); k++)
        {
          double bin = ((double) sorted[m - 1] - sorted[0]) / 65536 * 2;

          dls_percentile_range (data, n, ps[k][0], ps[k][1], &lo, &hi);
          for (int e = 0; e < 2; e++)
            {
              double q = ps[k][e] / 100 * (m - 1);
              float a = sorted[(gsize) floor (q)], b = sorted[(gsize) ceil (q)];
              float got = e ? hi : lo;

              if (!(got >= a - bin && got <= b + bin))
                g_error ("dist %d: percentile %g is %g, sorted data has %g .. %g", dist, ps[k][e],
                         got, a, b);
            }
        }
      dls_percentile_range (data, n, 0, 100, &lo, &hi);
      g_assert_cmpfloat (lo, ==, sorted[0]);
      g_assert_cmpfloat (hi, ==, sorted[m - 1]);
    }

  /* Constant data, no finite data, nothing. */
  for (gsize i = 0; i < 100; i++)
    data[i] = 2.5f;
  dls_percentile_range (data, 100, 1, 99, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 2.5f);
  g_assert_cmpfloat (hi, ==, 2.5f);
  for (gsize i = 0; i < 100; i++)
    data[i] = NAN;
  dls_percentile_range (data, 100, 1, 99, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0f);
  g_assert_cmpfloat (hi, ==, 1.0f);
  dls_percentile_range (NULL, 0, 1, 99, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.0f);
  g_assert_cmpfloat (hi, ==, 1.0f);
}

static void
test_percentiles_speed (void)
{
  const gsize n = 16 * 1024 * 1024;
  g_autofree float *data = g_new (float, n);
  g_autoptr (GRand) rng = g_rand_new_with_seed (11);
  gint64 t0;
  double ms;
  float lo, hi;

  for (gsize i = 0; i < n; i++)
    data[i] = (float) (i % 4093) + (float) g_rand_double (rng);
  t0 = g_get_monotonic_time ();
  dls_percentile_range (data, n, 1, 99, &lo, &hi);
  ms = (g_get_monotonic_time () - t0) / 1000.0;
  g_test_message ("16 M values: %.1f ms", ms);
  g_assert_cmpfloat_with_epsilon (lo, 4093 * 0.01, 2);
  g_assert_cmpfloat_with_epsilon (hi, 4093 * 0.99, 2);
  /* 100 ms on an optimised build; sanitizers and slow CI get slack. */
  g_assert_cmpfloat (ms, <, 1000);
}

/* ------------------------------------------------------------------------------------------ */
/* Plot scales                                                                                */

static void
test_plot_map (void)
{
  const DlsScale lin = { -2, 8, 50, 550, FALSE };
  const DlsScale inv = { 0, 1, 400, 20, FALSE }; /* a y axis: up is smaller pixels */
  const DlsScale lg = { 1e-4, 10, 0, 500, TRUE };
  const DlsScale lg_inv = { 1e-3, 1e2, 300, 0, TRUE };
  g_autoptr (GRand) rng = g_rand_new_with_seed (12);

  g_assert_cmpfloat_with_epsilon (dls_scale_map (&lin, -2), 50, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_scale_map (&lin, 8), 550, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_scale_map (&lin, 3), 300, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_scale_map (&inv, 0), 400, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_scale_map (&inv, 1), 20, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_scale_map (&inv, 0.25), 305, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_scale_map (&lg, 1e-4), 0, 1e-9);
  g_assert_cmpfloat_with_epsilon (dls_scale_map (&lg, 1e-2), 200, 1e-9);
  g_assert_cmpfloat_with_epsilon (dls_scale_map (&lg, 10), 500, 1e-9);
  g_assert_cmpfloat_with_epsilon (dls_scale_map (&lg_inv, 1), 120, 1e-9);
  g_assert_true (isfinite (dls_scale_map (&lg, 0)));
  g_assert_true (isfinite (dls_scale_map (&lg, -1)));

  for (int t = 0; t < 1000; t++)
    {
      double d = g_rand_double_range (rng, -100, 100), p = g_rand_double_range (rng, -1000, 1000);
      double dl = pow (10, g_rand_double_range (rng, -6, 6));
      const DlsScale *s[] = { &lin, &inv, &lg, &lg_inv };

      for (int k = 0; k < 4; k++)
        {
          double x = s[k]->log ? dl : d;

          g_assert_cmpfloat_with_epsilon (dls_scale_unmap (s[k], dls_scale_map (s[k], x)), x,
                                          1e-9 * fabs (x) + 1e-12);
          g_assert_cmpfloat_with_epsilon (dls_scale_map (s[k], dls_scale_unmap (s[k], p)), p,
                                          1e-9 * (1 + fabs (p)));
        }
    }
}

/* Is v a member of the 1-2-5·10^k series? */
static gboolean
is_nice (double v)
{
  double e = pow (10, floor (log10 (v) + 1e-9)), f = v / e;

  return fabs (f - 1) < 1e-6 || fabs (f - 2) < 1e-6 || fabs (f - 5) < 1e-6;
}

static gboolean
is_multiple (double v, double step)
{
  double k = v / step;

  return fabs (k - round (k)) < 1e-6;
}

static void
test_plot_nice (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (13);
  double lo, hi;

  lo = 0.13, hi = 0.87;
  dls_scale_nice (&lo, &hi, FALSE);
  g_assert_cmpfloat_with_epsilon (lo, 0.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (hi, 0.9, 1e-12);
  lo = 3, hi = 3;
  dls_scale_nice (&lo, &hi, FALSE);
  g_assert_cmpfloat (lo, <, 3);
  g_assert_cmpfloat (hi, >, 3);
  lo = 0, hi = 0;
  dls_scale_nice (&lo, &hi, FALSE);
  g_assert_cmpfloat (lo, <, hi);
  lo = 0.0023, hi = 0.87;
  dls_scale_nice (&lo, &hi, TRUE);
  g_assert_cmpfloat_with_epsilon (lo, 1e-3, 1e-15);
  g_assert_cmpfloat_with_epsilon (hi, 1, 1e-12);
  lo = 0.5, hi = 0.5;
  dls_scale_nice (&lo, &hi, TRUE);
  g_assert_cmpfloat_with_epsilon (lo, 0.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (hi, 1, 1e-12);
  lo = 10, hi = 10;
  dls_scale_nice (&lo, &hi, TRUE);
  g_assert_cmpfloat (lo, <, hi);

  for (int t = 0; t < 2000; t++)
    {
      double a = g_rand_double_range (rng, -1000, 1000) * pow (10, g_rand_int_range (rng, -6, 4));
      double b = a + fabs (a) * g_rand_double_range (rng, 0.001, 3) + 1e-9;
      double step;

      lo = a, hi = b;
      dls_scale_nice (&lo, &hi, FALSE);
      g_assert_cmpfloat (lo, <=, a);
      g_assert_cmpfloat (hi, >=, b);
      /* Both bounds are multiples of one nice step no bigger than the range. */
      step = pow (10, floor (log10 (hi - lo)) - 1);
      g_assert_true (is_multiple (lo, step) && is_multiple (hi, step));
      g_assert_cmpfloat (hi - lo, <, (b - a) * 5 + 1e-9);
    }
}

static void
test_plot_ticks (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (14);
  double ticks[64], step;
  int n;

  {
    DlsScale s = { 0, 1, 0, 100, FALSE };

    n = dls_scale_ticks (&s, 6, ticks, &step);
    g_assert_cmpint (n, ==, 6);
    g_assert_cmpfloat_with_epsilon (step, 0.2, 1e-12);
    g_assert_cmpfloat (ticks[0], ==, 0);
    g_assert_cmpfloat_with_epsilon (ticks[5], 1, 1e-12);
  }
  {
    DlsScale s = { 1e-4, 10, 300, 0, TRUE };

    n = dls_scale_ticks (&s, 10, ticks, &step);
    g_assert_cmpint (n, ==, 6);
    g_assert_cmpfloat_with_epsilon (ticks[0], 1e-4, 1e-16);
    g_assert_cmpfloat_with_epsilon (ticks[5], 10, 1e-12);
    g_assert_cmpfloat_with_epsilon (step, 10, 1e-12);
    n = dls_scale_ticks (&s, 3, ticks, &step);
    g_assert_cmpint (n, <=, 3);
    g_assert_cmpint (n, >=, 2);
  }

  for (int t = 0; t < 3000; t++)
    {
      gboolean log = t % 3 == 0;
      int max_ticks = g_rand_int_range (rng, 1, 12);
      double a, b;
      gboolean decades;
      DlsScale s;

      if (log)
        {
          a = pow (10, g_rand_double_range (rng, -8, 5));
          b = a * pow (10, g_rand_double_range (rng, 0.05, 12));
        }
      else
        {
          a = g_rand_double_range (rng, -1000, 1000) * pow (10, g_rand_int_range (rng, -6, 4));
          b = a + fabs (a) * g_rand_double_range (rng, 0.001, 3) + 1e-9;
        }
      s = (DlsScale){ a, b, 0, 400, log };
      if (t % 2)
        s = (DlsScale){ b, a, 400, 0, log }; /* reversed data order */
      n = dls_scale_ticks (&s, max_ticks, ticks, &step);
      /* Log axes spanning two powers of ten or more get decade ticks; others 1-2-5 ones. */
      decades = log && floor (log10 (b) + 1e-9) > ceil (log10 (a) - 1e-9);
      if (n < 1)
        g_error ("no ticks for [%.17g, %.17g] (log %d, at most %d)", a, b, log, max_ticks);
      g_assert_cmpint (n, <=, max_ticks);
      for (int i = 0; i < n; i++)
        {
          g_assert_cmpfloat (ticks[i], >=, a - 1e-9 * fabs (a));
          g_assert_cmpfloat (ticks[i], <=, b + 1e-9 * fabs (b));
          if (i > 0)
            g_assert_cmpfloat (ticks[i], >, ticks[i - 1]);
          if (decades)
            {
              /* Decade ticks: powers of ten, `step` apart. */
              g_assert_cmpfloat (fabs (log10 (ticks[i]) - round (log10 (ticks[i]))), <, 1e-9);
              if (i > 0)
                g_assert_cmpfloat_with_epsilon (ticks[i] / ticks[i - 1], step, 1e-9 * step);
            }
          else
            g_assert_true (ticks[i] == 0 || is_multiple (ticks[i], step));
        }
      g_assert_true (is_nice (step));
    }
}

static void
test_plot_format (void)
{
  const struct
  {
    double v, step;
    const char *want;
  } cases[] = {
    { 0.5, 0.1, "0.5" },
    { 0.30000000000000004, 0.1, "0.3" },
    { 1, 0.5, "1.0" },
    { 1000, 500, "1000" },
    { 250, 50, "250" },
    { -0.2, 0.1, "-0.2" },
    { 0, 0.1, "0" },
    { 1e-17, 0.1, "0" },
    { -1e-17, 0.1, "0" },
    { 0.025, 0.005, "0.025" },
    { 1e-5, 1e-5, "1e-05" },
    { 2.5e-5, 5e-6, "2.5e-05" },
    { 3e6, 1e6, "3e+06" },
    { 0.001, 10, "0.001" },
    { 100, 10, "100" },
    { 12, 2, "12" },
    { 0.0002, 0.0001, "0.0002" },
  };
  char buf[32];

  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      dls_format_tick (cases[k].v, cases[k].step, buf, sizeof buf);
      g_assert_cmpstr (buf, ==, cases[k].want);
    }
}

static void
test_plot_pick (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (15);
  enum
  {
    N = 300
  };
  double xs[N], ys[N];

  for (int i = 0; i < N; i++)
    {
      xs[i] = g_rand_double_range (rng, 0, 100);
      ys[i] = exp (g_rand_double_range (rng, -5, 1));
    }
  xs[17] = xs[200], ys[17] = ys[200]; /* a duplicate: ties go to the lower index */

  for (int zoom = 0; zoom < 4; zoom++)
    {
      double z = pow (4, zoom);
      DlsScale sx = { 0, 100 / z, 0, 800, FALSE };
      DlsScale sy = { 1e-3 * z, 3, 600, 0, zoom % 2 == 1 };

      for (int t = 0; t < 500; t++)
        {
          double px = g_rand_double_range (rng, -50, 850), py = g_rand_double_range (rng, -50, 650);
          double r = g_rand_double_range (rng, 1, 40), best = r * r;
          int want = -1, got;

          for (int i = 0; i < N; i++)
            {
              double dx = dls_scale_map (&sx, xs[i]) - px, dy = dls_scale_map (&sy, ys[i]) - py;

              if (dx * dx + dy * dy < best || (want < 0 && dx * dx + dy * dy <= best))
                best = dx * dx + dy * dy, want = i;
            }
          got = dls_plot_pick (xs, ys, N, &sx, &sy, px, py, r);
          g_assert_cmpint (got, ==, want);
        }
      /* Exactly on the duplicate pair. */
      g_assert_cmpint (dls_plot_pick (xs, ys, N, &sx, &sy, dls_scale_map (&sx, xs[200]),
                                      dls_scale_map (&sy, ys[200]), 5),
                       ==, 17);
    }
  /* Beyond the radius: none. */
  {
    const double x1[1] = { 10 }, y1[1] = { 10 };
    DlsScale s = { 0, 100, 0, 100, FALSE };

    g_assert_cmpint (dls_plot_pick (x1, y1, 1, &s, &s, 13, 14, 5.0), ==, 0);
    g_assert_cmpint (dls_plot_pick (x1, y1, 1, &s, &s, 13, 14, 4.99), ==, -1);
    g_assert_cmpint (dls_plot_pick (x1, y1, 0, &s, &s, 10, 10, 5), ==, -1);
  }
}


/* Zooming about a pixel keeps the data under it; panning moves the data with the pointer; both
 * keep the scale's pixel range. */
static void
test_plot_zoom_pan (void)
{
  DlsScale s = { -2, 6, 10, 410, FALSE };
  double before = dls_scale_unmap (&s, 123);

  dls_scale_zoom_about (&s, 4, 123);
  g_assert_cmpfloat_with_epsilon (dls_scale_unmap (&s, 123), before, 1e-12);
  g_assert_cmpfloat_with_epsilon (s.d1 - s.d0, 2.0, 1e-12);
  dls_scale_zoom_about (&s, 0.25, 300);
  g_assert_cmpfloat_with_epsilon (s.d1 - s.d0, 8.0, 1e-12);
  before = dls_scale_unmap (&s, 200);
  dls_scale_pan (&s, 50);
  g_assert_cmpfloat_with_epsilon (dls_scale_unmap (&s, 250), before, 1e-12);
  /* an inverted (y) axis pans the same way in pixels */
  {
    DlsScale y = { 0, 1, 300, 0, FALSE };
    double d = dls_scale_unmap (&y, 100);

    dls_scale_pan (&y, -20);
    g_assert_cmpfloat_with_epsilon (dls_scale_unmap (&y, 80), d, 1e-12);
  }
}

/* The even-odd rule on a square, a concave "C" and degenerate polygons, against a hand count. */
static void
test_plot_polygon (void)
{
  const double square[] = { 0, 0, 4, 0, 4, 4, 0, 4 };
  /* a C opening to the right: the notch (2..4 × 1..3) is outside */
  const double c[] = { 0, 0, 4, 0, 4, 1, 2, 1, 2, 3, 4, 3, 4, 4, 0, 4 };

  g_assert_true (dls_polygon_contains (square, 4, 2, 2));
  g_assert_false (dls_polygon_contains (square, 4, 5, 2));
  g_assert_false (dls_polygon_contains (square, 4, -0.1, 2));
  g_assert_true (dls_polygon_contains (c, 8, 1, 2));
  g_assert_false (dls_polygon_contains (c, 8, 3, 2));
  g_assert_true (dls_polygon_contains (c, 8, 3, 0.5));
  g_assert_true (dls_polygon_contains (c, 8, 3, 3.5));
  g_assert_false (dls_polygon_contains (c, 2, 1, 1));
  g_assert_false (dls_polygon_contains (NULL, 0, 0, 0));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/view/round-trip", test_view_round_trip);
  g_test_add_func ("/app/view/zoom-about", test_view_zoom_about);
  g_test_add_func ("/app/view/clamp", test_view_clamp);
  g_test_add_func ("/app/view/fit", test_view_fit);
  g_test_add_func ("/app/view/resize", test_view_resize);
  g_test_add_func ("/app/view/pan", test_view_pan);
  g_test_add_func ("/app/view/pixel-at", test_view_pixel_at);
  g_test_add_func ("/app/view/visible", test_view_visible);
  g_test_add_func ("/app/plane/indices", test_plane_indices);
  g_test_add_func ("/app/brush/small-sizes", test_brush_small);
  g_test_add_func ("/app/brush/disc-area", test_brush_disc_area);
  g_test_add_func ("/app/brush/segments", test_brush_segments);
  g_test_add_func ("/app/brush/erase-clip", test_brush_erase_clip);
  g_test_add_func ("/app/brush/undo-records", test_brush_undo_records);
  g_test_add_func ("/app/flood/reference", test_flood_reference);
  g_test_add_func ("/app/flood/big", test_flood_big);
  g_test_add_func ("/app/flood/noop", test_flood_noop);
  g_test_add_func ("/app/undo/across-planes", test_undo_across_planes);
  g_test_add_func ("/app/undo/records", test_undo_records);
  g_test_add_func ("/app/undo/out-of-order", test_undo_out_of_order);
  g_test_add_func ("/app/undo/memory-limit", test_undo_memory_limit);
  g_test_add_func ("/app/colormap/ids", test_colormap_ids);
  g_test_add_func ("/app/colormap/tables", test_colormap_tables);
  g_test_add_func ("/app/colormap/render-scalar", test_render_scalar);
  g_test_add_func ("/app/colormap/render-labels", test_render_labels);
  g_test_add_func ("/app/colormap/class-colors", test_class_colors);
  g_test_add_func ("/app/colormap/percentiles", test_percentiles);
  g_test_add_func ("/app/colormap/percentiles-speed", test_percentiles_speed);
  g_test_add_func ("/app/plot/map-unmap", test_plot_map);
  g_test_add_func ("/app/plot/nice", test_plot_nice);
  g_test_add_func ("/app/plot/ticks", test_plot_ticks);
  g_test_add_func ("/app/plot/format", test_plot_format);
  g_test_add_func ("/app/plot/pick", test_plot_pick);
  g_test_add_func ("/app/plot/zoom-pan", test_plot_zoom_pan);
  g_test_add_func ("/app/plot/polygon", test_plot_polygon);

  return g_test_run ();
}
