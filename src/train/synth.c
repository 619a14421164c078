/* SPDX-License-Identifier: MIT
 *
 * synth.c: synthetic X-ray scattering images with detector-gap masks (the inpainting study of
 * Chavez et al. 2022 that the paper's first application builds on) and DLSIA's random shapes
 * (test_data/two_d/random_shapes.py, used by the latent-space and labeling notebooks).  The
 * fibre volume lives in synth-fibers.c.
 *
 * Each image draws from its own random stream (seed, index), so image i is the same whatever the
 * count; only the class order of the shapes, exactly balanced and shuffled, depends on the count.
 *
 * It does not: compute scattering from a structure (rings and peaks are placed at random),
 * simulate detector response beyond Poisson counting, or reproduce numpy's random stream.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "engine.h"
#include "synth.h"

static void
image_stream (DlsRng *rng, uint64_t seed, uint64_t kind, int64_t i)
{
  dls_rng_init (rng, dls_hash64 (seed ^ dls_hash64 (kind)) + (uint64_t) i);
}

static inline double
uniform (DlsRng *rng, double lo, double hi)
{
  return lo + (hi - lo) * dls_rng_uniform (rng);
}

/* ---- X-ray scattering ------------------------------------------------------------------------ */

#define MAX_RINGS 8
#define MAX_PEAKS 16

typedef struct {
  double cy, cx;              /* beam centre */
  double I0, rc2, alpha, floor, ecc, c2b, s2b;
  int    n_rings;
  double R[MAX_RINGS], w[MAX_RINGS], amp[MAX_RINGS], tex[MAX_RINGS], c2[MAX_RINGS],
         s2[MAX_RINGS];
} Pattern;

/* The diffuse background's radial profile: flat to rc, then r^−α (Porod-like for α ≈ 4). */
static double
background (const Pattern *P, double r2)
{
  return P->I0 * pow (1 + r2 / P->rc2, -0.5 * P->alpha);
}

/* Photon counts: Knuth's product of uniforms below 30, the normal approximation above. */
static double
poisson (DlsRng *rng, double lambda)
{
  if (!(lambda > 0))
    return 0;
  if (lambda < 30)
    {
      double L = exp (-lambda), p = 1;
      int k = -1;

      do
        {
          k++;
          p *= dls_rng_uniform (rng);
        }
      while (p > L);
      return k;
    }
  return MAX (0, floor (lambda + sqrt (lambda) * dls_rng_normal (rng) + 0.5));
}

/* One size × size image of expected counts in img, then counted; its gap mask. */
static void
scattering_image (DlsRng *rng, int64_t S, float *img, uint8_t *mask)
{
  Pattern P = { 0 };
  double stop_r, stop_cy, stop_cx, arm_c, arm_s, arm_w;
  int n_peaks;
  int64_t mw, mh, gx, gy, ox, oy;

  P.cy = S * uniform (rng, 0.35, 0.65);
  P.cx = S * uniform (rng, 0.35, 0.65);
  P.I0 = pow (10, uniform (rng, 4.5, 5.5));
  P.rc2 = pow (MAX (2.0, S * uniform (rng, 0.01, 0.03)), 2);
  P.alpha = uniform (rng, 2.5, 3.8);
  P.floor = uniform (rng, 0.5, 3.0);
  P.ecc = uniform (rng, 0, 0.3);
  {
    double phi = uniform (rng, 0, G_PI);
    P.c2b = cos (2 * phi);
    P.s2b = sin (2 * phi);
  }
  P.n_rings = 3 + (int) dls_rng_below (rng, 5);
  for (int k = 0; k < P.n_rings; k++)
    {
      double phi = uniform (rng, 0, G_PI);

      P.R[k] = S * uniform (rng, 0.06, 0.75);
      P.w[k] = uniform (rng, 0.7, 4.5) * MAX (1.0, S / 512.0);
      P.amp[k] = background (&P, P.R[k] * P.R[k]) * uniform (rng, 0.3, 6.0);
      /* texture: a ring fades to arcs when tex nears 1 */
      P.tex[k] = dls_rng_uniform (rng) < 0.5 ? 0 : uniform (rng, 0.2, 0.9);
      P.c2[k] = cos (2 * phi);
      P.s2[k] = sin (2 * phi);
    }

  for (int64_t y = 0; y < S; y++)
    for (int64_t x = 0; x < S; x++)
      {
        double dy = y - P.cy, dx = x - P.cx, r2 = dy * dy + dx * dx, r = sqrt (r2);
        double c2 = r2 > 0 ? (dx * dx - dy * dy) / r2 : 1, s2 = r2 > 0 ? 2 * dx * dy / r2 : 0;
        double lambda
            = background (&P, r2) * (1 + P.ecc * (c2 * P.c2b + s2 * P.s2b)) + P.floor;

        for (int k = 0; k < P.n_rings; k++)
          {
            double d = (r - P.R[k]) / P.w[k];
            if (fabs (d) < 6)
              lambda += P.amp[k] * exp (-0.5 * d * d)
                        * (1 + P.tex[k] * (c2 * P.c2[k] + s2 * P.s2[k]));
          }
        img[y * S + x] = (float) lambda;
      }

  /* Bragg-like spots, half of them with their Friedel mate across the centre */
  n_peaks = 2 + (int) dls_rng_below (rng, 7);
  for (int k = 0; k < n_peaks; k++)
    {
      double pr = S * uniform (rng, 0.08, 0.6), pa = uniform (rng, 0, 2 * G_PI);
      double sd = uniform (rng, 0.8, 2.5) * MAX (1.0, S / 512.0);
      double amp = background (&P, pr * pr) * pow (10, uniform (rng, 1.0, 2.5));
      int mates = dls_rng_uniform (rng) < 0.5 ? 2 : 1;

      for (int m = 0; m < mates; m++, pa += G_PI)
        {
          double py = P.cy + pr * sin (pa), px = P.cx + pr * cos (pa);
          int64_t y0 = MAX (0, (int64_t) floor (py - 4 * sd));
          int64_t y1 = MIN (S - 1, (int64_t) ceil (py + 4 * sd));
          int64_t x0 = MAX (0, (int64_t) floor (px - 4 * sd));
          int64_t x1 = MIN (S - 1, (int64_t) ceil (px + 4 * sd));

          for (int64_t y = y0; y <= y1; y++)
            for (int64_t x = x0; x <= x1; x++)
              {
                double d2 = (y - py) * (y - py) + (x - px) * (x - px);
                img[y * S + x] += (float) (amp * exp (-0.5 * d2 / (sd * sd)));
              }
        }
    }

  /* the beam stop and the arm holding it let through a thousandth */
  stop_r = MAX (3.0, S * uniform (rng, 0.025, 0.05));
  stop_cy = P.cy + uniform (rng, -1, 1);
  stop_cx = P.cx + uniform (rng, -1, 1);
  {
    double a = uniform (rng, 0, 2 * G_PI);
    arm_c = cos (a);
    arm_s = sin (a);
    arm_w = stop_r * uniform (rng, 0.4, 0.7);
  }
  for (int64_t y = 0; y < S; y++)
    for (int64_t x = 0; x < S; x++)
      {
        double dy = y - stop_cy, dx = x - stop_cx;
        double along = dx * arm_c + dy * arm_s, across = -dx * arm_s + dy * arm_c;

        if (dy * dy + dx * dx <= stop_r * stop_r || (along >= 0 && fabs (across) <= 0.5 * arm_w))
          img[y * S + x] *= 1e-3f;
      }

  for (int64_t i = 0; i < S * S; i++)
    img[i] = (float) poisson (rng, img[i]);

  /* Pilatus 1M: 487 × 195-pixel modules, 7-pixel gaps between columns, 17 between rows */
  mw = MAX (4, (int64_t) round (487.0 * S / 1000));
  mh = MAX (4, (int64_t) round (195.0 * S / 1000));
  gx = MAX (1, (int64_t) round (7.0 * S / 1000));
  gy = MAX (1, (int64_t) round (17.0 * S / 1000));
  ox = dls_rng_below (rng, (uint32_t) (mw + gx));
  oy = dls_rng_below (rng, (uint32_t) (mh + gy));
  for (int64_t y = 0; y < S; y++)
    for (int64_t x = 0; x < S; x++)
      mask[y * S + x] = (x + ox) % (mw + gx) >= mw || (y + oy) % (mh + gy) >= mh;
}

gboolean
dls_synth_scattering (const DlsSynthScatteringArgs *a, float *images, uint8_t *masks,
                      GError **error)
{
  g_return_val_if_fail (a != NULL && images != NULL && masks != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (a->count < 1 || a->count > 100000000 || a->size < 32 || a->size > 8192)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "%" G_GINT64_FORMAT " scattering images of %" G_GINT64_FORMAT
                   " pixels square are not possible: the count must be at least 1 and the "
                   "size 32–8192",
                   a->count, a->size);
      return FALSE;
    }
  for (int64_t i = 0; i < a->count; i++)
    {
      DlsRng rng;

      image_stream (&rng, a->seed, 1, i);
      scattering_image (&rng, a->size, images + i * a->size * a->size,
                        masks + i * a->size * a->size);
    }
  return TRUE;
}

/* ---- Random shapes --------------------------------------------------------------------------- */

const char *
dls_synth_shape_name (int cls)
{
  static const char *names[] = { "rectangle", "disc", "triangle", "annulus" };

  return cls >= 1 && cls <= DLS_SYNTH_SHAPE_CLASSES ? names[cls - 1] : NULL;
}

/* The unrotated shape on an n × n canvas, as random_shapes.py draws it: centre n/2, x the
 * column, strict inequalities. */
static void
shape_canvas (int cls, DlsRng *rng, int n, float *canvas)
{
  double m = n / 2.0, p1 = 0, p2 = 0;

  switch (cls)
    {
    case 1: /* half-extents: .10–.20 along x, .30–.40 along y */
      p1 = uniform (rng, 0.10, 0.20) * n;
      p2 = uniform (rng, 0.30, 0.40) * n;
      break;
    case 2:
      p1 = uniform (rng, 0.10, 0.40) * n;
      break;
    case 3:
      p1 = uniform (rng, 0.10, 0.35) * n;
      break;
    default: /* outer radius, inner = outer − width, width .20–.70 of the radius */
      {
        double R = uniform (rng, 0.10, 0.40);
        p1 = R * n;
        p2 = (R - R * uniform (rng, 0.20, 0.70)) * n;
      }
      break;
    }
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      {
        double dx = fabs (x - m), dy = fabs (y - m), r = sqrt (dx * dx + dy * dy);
        gboolean in;

        switch (cls)
          {
          case 1:
            in = dx < p1 && dy < p2;
            break;
          case 2:
            in = r < p1;
            break;
          case 3: /* np.triu of the square: column ≥ row */
            in = dx < p1 && dy < p1 && x >= y;
            break;
          default:
            in = r < p1 && !(r < p2);
            break;
          }
        canvas[y * n + x] = in ? 1.0f : 0.0f;
      }
}

/* skimage.transform.rotate (bilinear, zeros outside): output (x, y) samples the input at
 * R(θ)·((x, y) − c) + c, c = ((n − 1)/2, (n − 1)/2). */
static void
rotate_bilinear (const float *src, int n, double theta, float *dst)
{
  double c = (n - 1) / 2.0, cs = cos (theta), sn = sin (theta);

  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      {
        double sx = cs * (x - c) - sn * (y - c) + c, sy = sn * (x - c) + cs * (y - c) + c;
        int x0 = (int) floor (sx), y0 = (int) floor (sy);
        double fx = sx - x0, fy = sy - y0, v = 0;

        for (int j = 0; j < 2; j++)
          for (int i = 0; i < 2; i++)
            {
              int xx = x0 + i, yy = y0 + j;
              if (xx >= 0 && xx < n && yy >= 0 && yy < n)
                v += (i ? fx : 1 - fx) * (j ? fy : 1 - fy) * src[yy * n + xx];
            }
        dst[y * n + x] = (float) CLAMP (v, 0.0, 1.0);
      }
}

gboolean
dls_synth_shapes (const DlsSynthShapesArgs *a, float *images, float *clean, uint8_t *class_maps,
                  uint8_t *classes, GError **error)
{
  int n = a && a->size > 0 ? a->size : 32;
  int64_t nn = (int64_t) n * n;
  g_autofree float *canvas = NULL, *rotated = NULL;
  DlsRng rng;

  g_return_val_if_fail (a != NULL && images != NULL && class_maps != NULL && classes != NULL,
                        FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (a->count < 1 || a->count > 100000000 || n < 8 || n > 1024 || !(a->noise >= 0)
      || !isfinite (a->noise))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "%" G_GINT64_FORMAT " shapes of %d pixels square with noise %g are not "
                   "possible: the count must be at least 1, the size 8–1024 and the noise ≥ 0",
                   a->count, n, a->noise);
      return FALSE;
    }

  /* exactly balanced classes in a random order */
  image_stream (&rng, a->seed, 2, -1);
  for (int64_t i = 0; i < a->count; i++)
    classes[i] = (uint8_t) (1 + i % DLS_SYNTH_SHAPE_CLASSES);
  for (int64_t i = a->count - 1; i > 0; i--)
    {
      int64_t j = (int64_t) (dls_rng_uniform (&rng) * (double) (i + 1));
      uint8_t t = classes[i];
      classes[i] = classes[j];
      classes[j] = t;
    }

  canvas = g_new (float, nn);
  rotated = g_new (float, nn);
  for (int64_t k = 0; k < a->count; k++)
    {
      float *img = images + k * nn;
      uint8_t *cm = class_maps + k * nn;

      image_stream (&rng, a->seed, 3, k);
      shape_canvas (classes[k], &rng, n, canvas);
      rotate_bilinear (canvas, n, uniform (&rng, 0, 2 * G_PI), rotated);
      for (int64_t i = 0; i < nn; i++)
        {
          img[i] = rotated[i] + (float) (a->noise * dls_rng_uniform (&rng));
          cm[i] = rotated[i] > 0.5f ? classes[k] : 0;
        }
      if (clean != NULL)
        memcpy (clean + k * nn, rotated, sizeof (float) * nn);
    }
  return TRUE;
}
