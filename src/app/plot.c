/* SPDX-License-Identifier: MIT
 *
 * plot.c: linear and log10 scales, nice bounds and ticks in the 1-2-5 series (decades on log
 * axes), compact tick labels and nearest-point picking in pixel space.  It draws nothing and
 * chooses no fonts or sizes.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

#include "plot.h"

/* log10 with non-positive values pinned to the smallest normal double, so that a stray zero
 * on a log axis maps far away but finite. */
static double
safe_log10 (double d)
{
  return log10 (d > DBL_MIN ? d : DBL_MIN);
}

double
dls_scale_map (const DlsScale *s, double d)
{
  double a = s->d0, b = s->d1;

  if (s->log)
    {
      a = safe_log10 (a);
      b = safe_log10 (b);
      d = safe_log10 (d);
    }
  if (a == b)
    return (s->p0 + s->p1) / 2;
  return s->p0 + (d - a) / (b - a) * (s->p1 - s->p0);
}

double
dls_scale_unmap (const DlsScale *s, double p)
{
  double a = s->d0, b = s->d1, d;

  if (s->log)
    {
      a = safe_log10 (a);
      b = safe_log10 (b);
    }
  if (s->p0 == s->p1)
    d = (a + b) / 2;
  else
    d = a + (p - s->p0) / (s->p1 - s->p0) * (b - a);
  return s->log ? pow (10, d) : d;
}

/* The smallest number of the 1-2-5·10^k series ≥ x (x > 0). */
static double
nice_ceil (double x)
{
  double e = pow (10, floor (log10 (x)));
  double f = x / e;

  if (f <= 1 + 1e-9)
    return e;
  if (f <= 2 + 1e-9)
    return 2 * e;
  if (f <= 5 + 1e-9)
    return 5 * e;
  return 10 * e;
}

/* The next number of the series after a member x. */
static double
nice_next (double x)
{
  double e = pow (10, floor (log10 (x) + 1e-9));
  double f = x / e;

  if (f < 1.5)
    return 2 * e;
  if (f < 3.5)
    return 5 * e;
  return 10 * e;
}

void
dls_scale_nice (double *lo, double *hi, gboolean log)
{
  double a, b, step;

  g_return_if_fail (lo != NULL && hi != NULL);

  a = MIN (*lo, *hi);
  b = MAX (*lo, *hi);
  if (!isfinite (a) || !isfinite (b))
    {
      a = log ? 1 : 0;
      b = log ? 10 : 1;
    }
  if (log)
    {
      if (b <= 0)
        a = 1, b = 10;
      else if (a <= 0)
        a = b / 1000;
      a = pow (10, floor (log10 (a) + 1e-9));
      b = pow (10, ceil (log10 (b) - 1e-9));
      if (b <= a)
        b = a * 10;
      *lo = a;
      *hi = b;
      return;
    }
  if (a == b)
    {
      double w = a == 0 ? 1 : fabs (a) * 0.1;

      a -= w;
      b += w;
    }
  /* A step of the series ≥ range / 8, bounds rounded out to it: tight, yet round. */
  step = nice_ceil ((b - a) / 8);
  *lo = floor (a / step + 1e-9) * step;
  *hi = ceil (b / step - 1e-9) * step;
  if (*lo == 0)
    *lo = 0; /* no −0 */
}

static int
linear_ticks (double lo, double hi, int max_ticks, double *ticks, double *step)
{
  /* Walk up the series from a step too fine for max_ticks to the first that fits.  With
   * max_ticks ≥ 2 that one still has a tick (three consecutive multiples of a step hold one of
   * the next); with max_ticks = 1 it may have none, and the previous step's first tick is
   * taken. */
  double st = nice_ceil ((hi - lo) / (4.0 * max_ticks)), prev = 0;
  double k0, k1;
  int n = 0;

  while (TRUE)
    {
      k0 = ceil (lo / st - 1e-9);
      k1 = floor (hi / st + 1e-9);
      if (k1 - k0 + 1 <= max_ticks)
        break;
      prev = st;
      st = nice_next (st);
    }
  if (k1 < k0 && prev > 0)
    {
      st = prev;
      k0 = k1 = ceil (lo / st - 1e-9);
    }
  for (double k = k0; k <= k1; k++)
    ticks[n++] = k == 0 ? 0 : k * st;
  if (step)
    *step = st;
  return n;
}

int
dls_scale_ticks (const DlsScale *s, int max_ticks, double *ticks, double *step)
{
  double lo, hi;

  g_return_val_if_fail (s != NULL && (ticks != NULL || max_ticks <= 0), 0);

  lo = MIN (s->d0, s->d1);
  hi = MAX (s->d0, s->d1);
  if (max_ticks <= 0 || !isfinite (lo) || !isfinite (hi) || (s->log && lo <= 0))
    return 0;
  if (lo == hi)
    {
      ticks[0] = lo;
      if (step)
        *step = lo != 0 ? pow (10, floor (log10 (fabs (lo)))) : 1;
      return 1;
    }
  if (s->log)
    {
      double e0 = ceil (log10 (lo) - 1e-9), e1 = floor (log10 (hi) + 1e-9);

      /* Less than two decades in view: plain ticks of the 1-2-5 series read better. */
      if (e1 - e0 >= 1)
        {
          double m = 1, prev = 1;
          int n = 0;

          /* Every m-th decade, m = 1, 2, 5, 10, 20, 50, …, the first that fits (or the last
           * that still had a tick, for max_ticks = 1). */
          while ((floor (e1 / m) - ceil (e0 / m) + 1) > max_ticks)
            {
              prev = m;
              m = nice_next (m);
            }
          if (floor (e1 / m) < ceil (e0 / m))
            m = prev;
          for (double e = ceil (e0 / m) * m; e <= e1 && n < max_ticks; e += m)
            ticks[n++] = pow (10, e);
          if (step)
            *step = pow (10, m);
          return n;
        }
    }
  return linear_ticks (lo, hi, max_ticks, ticks, step);
}

void
dls_format_tick (double v, double step, char *buf, gsize len)
{
  double a = fabs (v);

  g_return_if_fail (buf != NULL && len > 0);

  if (!isfinite (v))
    {
      g_snprintf (buf, len, "%g", v);
      return;
    }
  if (!(step > 0) || !isfinite (step))
    step = a > 0 ? a : 1;
  if (a < step * 1e-9)
    {
      g_snprintf (buf, len, "0");
      return;
    }
  if (a < 1e-4 || a >= 1e6)
    {
      /* Mantissa digits: as many as the step resolves below the value's own exponent. */
      int digits = (int) (floor (log10 (a) + 1e-9) - floor (log10 (MIN (step, a)) + 1e-9));

      g_snprintf (buf, len, "%.*e", CLAMP (digits, 0, 15), v);
      return;
    }
  /* Decimals for whichever is finer, the step or the value (a log axis's 0.001 with its
   * decade step 10). */
  int decimals = (int) -floor (log10 (MIN (step, a)) + 1e-9);
  g_snprintf (buf, len, "%.*f", CLAMP (decimals, 0, 15), v);
}

int
dls_plot_pick (const double *xs, const double *ys, int n, const DlsScale *sx, const DlsScale *sy,
               double px, double py, double max_dist_px)
{
  double best = max_dist_px * max_dist_px;
  int best_i = -1;

  g_return_val_if_fail (n <= 0 || (xs != NULL && ys != NULL), -1);
  g_return_val_if_fail (sx != NULL && sy != NULL, -1);

  if (!(max_dist_px >= 0))
    return -1;
  for (int i = 0; i < n; i++)
    {
      double dx = dls_scale_map (sx, xs[i]) - px;
      double dy = dls_scale_map (sy, ys[i]) - py;
      double d2 = dx * dx + dy * dy;

      if (!isfinite (d2))
        continue;
      if (d2 < best || (best_i < 0 && d2 <= best))
        {
          best = d2;
          best_i = i;
        }
    }
  return best_i;
}

void
dls_scale_zoom_about (DlsScale *s, double factor, double p)
{
  double d = dls_scale_unmap (s, p);

  g_return_if_fail (!s->log && factor > 0);
  s->d0 = d + (s->d0 - d) / factor;
  s->d1 = d + (s->d1 - d) / factor;
}

void
dls_scale_pan (DlsScale *s, double dp)
{
  double shift;

  g_return_if_fail (!s->log && s->p1 != s->p0);
  shift = dp * (s->d1 - s->d0) / (s->p1 - s->p0);
  s->d0 -= shift;
  s->d1 -= shift;
}

gboolean
dls_polygon_contains (const double *xy, int n, double x, double y)
{
  gboolean inside = FALSE;

  if (n < 3)
    return FALSE;
  for (int i = 0, j = n - 1; i < n; j = i++)
    {
      double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];

      if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
        inside = !inside;
    }
  return inside;
}
