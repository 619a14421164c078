/* SPDX-License-Identifier: MIT
 *
 * ensemble-predict.c: several models over one image, whole or in blended tiles, averaged.
 *
 * Tiles start every tile − overlap pixels (the last one flush with the far edge); each tile's
 * output is weighted by a ramp that rises across the overlap on every side that borders
 * another tile (sides on the image border keep weight 1), and the blend divides by the summed
 * weights.  A network whose receptive field fits in the overlap then gives nearly the
 * whole-image result; BatchNorm on batch statistics (SMSNet) sees each tile's own statistics,
 * which the blending smooths over.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "predict.h"

struct _DlsEnsemblePredictor
{
  int n;
  DlsModel **models;
  DlsPredictor **pred;
  DlsTileArgs tiles;
};

DlsEnsemblePredictor *
dls_ensemble_predictor_new (DlsModel *const *models, int n, const DlsTileArgs *tiles)
{
  DlsEnsemblePredictor *p = g_new0 (DlsEnsemblePredictor, 1);

  p->n = n;
  p->models = g_memdup2 (models, sizeof (DlsModel *) * n);
  p->pred = g_new (DlsPredictor *, n);
  for (int i = 0; i < n; i++)
    p->pred[i] = dls_predictor_new (models[i]);
  if (tiles)
    p->tiles = *tiles;
  if (p->tiles.overlap <= 0)
    p->tiles.overlap = 32;
  return p;
}

void
dls_ensemble_predictor_free (DlsEnsemblePredictor *p)
{
  if (p == NULL)
    return;
  for (int i = 0; i < p->n; i++)
    dls_predictor_free (p->pred[i]);
  g_free (p->pred);
  g_free (p->models);
  g_free (p);
}

/* Tile starts along one axis of n pixels. */
static int
tile_starts (int n, int tile, int overlap, int *starts)
{
  int step = MAX (1, tile - overlap), k = 0;

  for (int s = 0;; s += step)
    {
      s = MIN (s, n - tile);
      starts[k++] = s;
      if (s == n - tile)
        break;
    }
  return k;
}

/* The blending weight of pixel i of a tile of length t at start s in an axis of n pixels. */
static float
ramp (int i, int t, int s, int n, int overlap)
{
  float w = 1.0f;

  if (s > 0)
    w = MIN (w, (i + 1.0f) / (overlap + 1.0f));
  if (s + t < n)
    w = MIN (w, (t - i + 0.0f) / (overlap + 1.0f));
  return w;
}

/* One member over the image, tiled when it is larger than a tile. */
static gboolean
run_member (DlsEnsemblePredictor *p, int m, const float *image, int h, int w, float *out,
            const volatile int *cancel, GError **error)
{
  int C = p->models[m]->config.in_channels, K = p->models[m]->config.out_channels;
  int T = p->tiles.tile, ov;

  /* automatic: whole slices up to 4096², tiles of 1024 beyond (a graph's activations for a
   * larger slice would take gigabytes) */
  if (T == 0 && (int64_t) h * w > (int64_t) 4096 * 4096)
    T = 1024;
  ov = MIN (p->tiles.overlap, T / 2);
  int64_t hw = (int64_t) h * w;
  g_autofree int *ys = NULL, *xs = NULL;
  g_autofree float *crop = NULL, *res = NULL, *wsum = NULL;
  int ny, nx;

  if (T <= 0 || (h <= T && w <= T))
    return dls_predictor_run (p->pred[m], image, h, w, out, cancel, error);
  {
    int th = MIN (T, h), tw = MIN (T, w);
    gsize n_crop = (gsize) C * th * tw, n_res = (gsize) K * th * tw;

    ys = g_new (int, h + 1);
    xs = g_new (int, w + 1);
    ny = tile_starts (h, th, ov, ys);
    nx = tile_starts (w, tw, ov, xs);
    crop = g_try_new (float, n_crop);
    res = g_try_new (float, n_res);
    wsum = g_try_new0 (float, (gsize) hw);
    if (crop == NULL || res == NULL || wsum == NULL)
      {
        g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY, "not enough memory for %d × %d tiles", th,
                     tw);
        return FALSE;
      }
    memset (out, 0, sizeof (float) * K * hw);
    for (int a = 0; a < ny; a++)
      for (int b = 0; b < nx; b++)
        {
          int y0 = ys[a], x0 = xs[b];

          for (int c = 0; c < C; c++)
            for (int y = 0; y < th; y++)
              memcpy (crop + ((int64_t) c * th + y) * tw,
                      image + ((int64_t) c * h + y0 + y) * w + x0, sizeof (float) * tw);
          if (!dls_predictor_run (p->pred[m], crop, th, tw, res, cancel, error))
            return FALSE;
          for (int y = 0; y < th; y++)
            {
              float wy = ramp (y, th, y0, h, ov);

              for (int x = 0; x < tw; x++)
                {
                  float wt = wy * ramp (x, tw, x0, w, ov);
                  int64_t o = (int64_t) (y0 + y) * w + x0 + x;

                  wsum[o] += wt;
                  for (int k = 0; k < K; k++)
                    out[k * hw + o] += wt * res[((int64_t) k * th + y) * tw + x];
                }
            }
        }
    for (int k = 0; k < K; k++)
      for (int64_t i = 0; i < hw; i++)
        out[k * hw + i] /= wsum[i];
  }
  return TRUE;
}

gboolean
dls_ensemble_predictor_run (DlsEnsemblePredictor *p, const float *image, int h, int w, float *mean,
                            float *std, const volatile int *cancel, GError **error)
{
  int K = p->models[0]->config.out_channels, M = p->n;
  int64_t n = (int64_t) K * h * w;
  g_autofree float *one = NULL;
  g_autofree double *s1 = NULL, *s2 = NULL;

  if (M == 1)
    {
      if (!run_member (p, 0, image, h, w, mean, cancel, error))
        return FALSE;
      if (std)
        memset (std, 0, sizeof (float) * n);
      return TRUE;
    }
  one = g_try_new (float, n);
  s1 = g_try_new0 (double, n);
  s2 = std ? g_try_new0 (double, n) : NULL;
  if (one == NULL || s1 == NULL || (std && s2 == NULL))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY, "not enough memory for %d × %d outputs", h,
                   w);
      return FALSE;
    }
  for (int m = 0; m < M; m++)
    {
      if (!run_member (p, m, image, h, w, one, cancel, error))
        return FALSE;
      for (int64_t i = 0; i < n; i++)
        {
          s1[i] += one[i];
          if (s2)
            s2[i] += (double) one[i] * one[i];
        }
    }
  for (int64_t i = 0; i < n; i++)
    {
      double mu = s1[i] / M;

      mean[i] = (float) mu;
      if (std)
        std[i] = (float) sqrt (MAX (0.0, (s2[i] - M * mu * mu) / (M - 1)));
    }
  return TRUE;
}
