/* SPDX-License-Identifier: MIT
 *
 * kmeans.c: k-means with k-means++ seeding (Arthur & Vassilvitskii) and Lloyd's iterations
 * until no label changes (at most 300), best of several seeded restarts.  Distances in double;
 * deterministic for a seed.  An empty cluster takes the point farthest from its centre.
 */
#include "config.h"

#include <float.h>
#include <string.h>

#include "engine.h"
#include "kmeans.h"

static double
dist2 (const float *a, const float *b, int d)
{
  double s = 0;

  for (int j = 0; j < d; j++)
    {
      double t = (double) a[j] - b[j];

      s += t * t;
    }
  return s;
}

static double
one_run (const float *x, int64_t n, int d, int k, DlsRng *rng, int *lab, float *c)
{
  g_autofree double *dmin = g_new (double, n);
  gsize kd = (gsize) k * d;
  g_autofree double *sum = g_new (double, kd);
  g_autofree int64_t *cnt = g_new (int64_t, k);
  double inertia = 0;

  /* k-means++ */
  memcpy (c, x + (int64_t) dls_rng_below (rng, (uint32_t) MIN (n, G_MAXUINT32)) * d,
          sizeof (float) * d);
  for (int64_t i = 0; i < n; i++)
    dmin[i] = dist2 (x + i * d, c, d);
  for (int j = 1; j < k; j++)
    {
      double total = 0, r, acc = 0;
      int64_t pick = n - 1;

      for (int64_t i = 0; i < n; i++)
        total += dmin[i];
      r = dls_rng_uniform (rng) * total;
      for (int64_t i = 0; i < n; i++)
        if ((acc += dmin[i]) > r)
          {
            pick = i;
            break;
          }
      memcpy (c + (int64_t) j * d, x + pick * d, sizeof (float) * d);
      for (int64_t i = 0; i < n; i++)
        dmin[i] = MIN (dmin[i], dist2 (x + i * d, c + (int64_t) j * d, d));
    }
  for (int64_t i = 0; i < n; i++)
    lab[i] = -1;
  for (int iter = 0; iter < 300; iter++)
    {
      gboolean changed = FALSE;

      inertia = 0;
      for (int64_t i = 0; i < n; i++)
        {
          double best = DBL_MAX;
          int bj = 0;

          for (int j = 0; j < k; j++)
            {
              double t = dist2 (x + i * d, c + (int64_t) j * d, d);

              if (t < best)
                {
                  best = t;
                  bj = j;
                }
            }
          changed |= lab[i] != bj;
          lab[i] = bj;
          dmin[i] = best;
          inertia += best;
        }
      if (!changed)
        break;
      memset (sum, 0, sizeof (double) * k * d);
      memset (cnt, 0, sizeof (int64_t) * k);
      for (int64_t i = 0; i < n; i++)
        {
          cnt[lab[i]]++;
          for (int t = 0; t < d; t++)
            sum[(int64_t) lab[i] * d + t] += x[i * d + t];
        }
      for (int j = 0; j < k; j++)
        {
          if (cnt[j] == 0)
            {
              int64_t far = 0;

              for (int64_t i = 1; i < n; i++)
                if (dmin[i] > dmin[far])
                  far = i;
              memcpy (c + (int64_t) j * d, x + far * d, sizeof (float) * d);
              dmin[far] = 0;
              continue;
            }
          for (int t = 0; t < d; t++)
            c[(int64_t) j * d + t] = (float) (sum[(int64_t) j * d + t] / cnt[j]);
        }
    }
  return inertia;
}

double
dls_kmeans (const float *x, int64_t n, int d, int k, uint64_t seed, int restarts, int *labels,
            float *centers)
{
  g_autofree int *lab = NULL;
  g_autofree float *c = NULL;
  double best = -1;
  gsize kd;
  DlsRng rng;

  if (k < 1 || n < k || d < 1)
    return -1;
  kd = (gsize) k * d;
  lab = g_new (int, n);
  c = g_new (float, kd);
  dls_rng_init (&rng, seed);
  for (int r = 0; r < MAX (restarts, 1); r++)
    {
      double in = one_run (x, n, d, k, &rng, lab, c);

      if (best < 0 || in < best)
        {
          best = in;
          memcpy (labels, lab, sizeof (int) * n);
          if (centers)
            memcpy (centers, c, sizeof (float) * k * d);
        }
    }
  return best;
}
