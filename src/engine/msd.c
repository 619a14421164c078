/* SPDX-License-Identifier: MIT
 *
 * msd.c: MSDNet inference (eval mode) without rewriting the stack at every layer.
 *
 * DLSIA's MSDNet applies ReLU and BatchNorm to the whole stack after each layer, so run as a
 * graph every old map is read and written again per layer: for 50 layers on a 1024² slice that
 * is ~10 GB of memory traffic, three times the convolutions' own.  In eval mode each of those
 * steps is a monotone scalar map of one channel, and any composition of ReLUs and affine maps
 * of a scalar has the form
 *
 *     h = A·clamp(v, lo, hi) + B
 *
 * where v is the map as its convolution produced it.  So we keep only the raw maps and four
 * numbers per channel, update the numbers after each layer, and apply the map while copying a
 * band of rows into a small zero-bordered scratch buffer that the direct dilated kernel then
 * reads from cache.  Every layer reads the raw maps once and writes one new map.
 *
 * Exact up to float rounding (the tests compare it with the graph).  Training, dropout and
 * batch statistics go through the graph; this is only the eval forward pass.
 */
#include "config.h"

#include <math.h>

#include "engine-private.h"
#include "msd-private.h"

DLS_CLONES static void
accumulate_row (float *restrict acc, const float *restrict src, int W, float wk, float lo, float hi)
{
  for (int i = 0; i < W; i++)
    {
      float v = src[i];

      v = v < lo ? lo : v;
      v = v > hi ? hi : v;
      acc[i] += wk * v;
    }
}

/* h ← relu(h) */
void
dls_msd_map_relu (ChanMap *m)
{
  if (m->A > 0)
    {
      float t = -m->B / m->A;

      if (t > m->hi)
        *m = (ChanMap){ 0, -INFINITY, INFINITY, 0 };
      else
        m->lo = MAX (m->lo, t);
    }
  else if (m->A < 0)
    {
      float t = -m->B / m->A;

      if (t < m->lo)
        *m = (ChanMap){ 0, -INFINITY, INFINITY, 0 };
      else
        m->hi = MIN (m->hi, t);
    }
  else
    m->B = MAX (m->B, 0.0f);
}

typedef struct
{
  const DlsMsdEval *net;
  int H, W, C, d, layer, R, n_bands;
  float **raw; /* C_total planes of H × W */
  ChanMap *maps;
  float **scratch; /* per thread */
  size_t scratch_floats;
  float *out;
} MsdJob;

/* One band of output rows of layer `layer`: the C input channels' rows [y0 − d, y1 + d) mapped
 * into scratch with a zero border of d, then the direct kernel per new channel. */
static void
layer_band (void *ctx, int task, int n_tasks)
{
  MsdJob *j = ctx;
  const DlsMsdEval *net = j->net;
  int W = j->W, H = j->H, d = j->d, C = j->C;
  int y0 = task * j->R, y1 = MIN (H, y0 + j->R);
  int rows = y1 - y0 + 2 * d, sw = W + 2 * d;
  float *s = j->scratch[dls_parallel_thread_index ()];
  int64_t sc = (int64_t) rows * sw;
  DlsView x = { 0 }, y = { 0 };

  (void) n_tasks;
  for (int c = 0; c < C; c++)
    {
      ChanMap m = j->maps[c];
      float *plane = s + c * sc;

      for (int r = 0; r < rows; r++)
        {
          int iy = y0 - d + r;
          float *dst = plane + (int64_t) r * sw;

          if (iy < 0 || iy >= H || m.A == 0)
            {
              float v = (iy < 0 || iy >= H) ? 0.0f : m.B;

              for (int i = 0; i < sw; i++)
                dst[i] = v;
              if (v != 0.0f)
                for (int i = 0; i < d; i++)
                  dst[i] = dst[W + d + i] = 0.0f;
              continue;
            }
          for (int i = 0; i < d; i++)
            dst[i] = dst[W + d + i] = 0.0f;
          dls_msd_map_row (dst + d, j->raw[c] + (int64_t) iy * W, W, m.A, m.lo, m.hi, m.B);
        }
    }
  /* element (c, row, col) of the image is s[c·sc + (row − y0 + d)·sw + col + d] */
  x.p = s + (int64_t) (d - y0) * sw + d;
  x.sc = sc;
  x.sh = sw;
  x.sn = 0;
  x.halo = d;
  for (int k = 0; k < net->width; k++)
    {
      int idx = j->layer * net->width + k;

      y.p = j->raw[C + k];
      y.sc = (int64_t) H * W;
      y.sh = W;
      y.halo = 0;
      dls_direct_kernels.forward (y, x, net->w[idx], net->b[idx], C, 1, H, W, net->dilations[idx],
                                  y0, y1, 0);
    }
}

/* out[oc] = b' + Σ_k W'[oc, k]·clamp(v_k, lo_k, hi_k), rows of one band. */
static void
final_band (void *ctx, int task, int n_tasks)
{
  MsdJob *j = ctx;
  const DlsMsdEval *net = j->net;
  int W = j->W, H = j->H, C = j->C, OC = net->out_channels;
  int y0 = task * j->R, y1 = MIN (H, y0 + j->R);
  float *acc = j->scratch[dls_parallel_thread_index ()];

  (void) n_tasks;
  for (int oc = 0; oc < OC; oc++)
    {
      double bias = net->final_b ? net->final_b[oc] : 0.0;

      for (int k = 0; k < C; k++)
        bias += (double) net->final_w[(int64_t) oc * C + k] * j->maps[k].B;
      for (int yy = y0; yy < y1; yy++)
        {
          float *o = j->out + ((int64_t) oc * H + yy) * W;

          for (int i = 0; i < W; i++)
            acc[i] = (float) bias;
          for (int k = 0; k < C; k++)
            {
              ChanMap m = j->maps[k];
              float wk = net->final_w[(int64_t) oc * C + k] * m.A;
              const float *src = j->raw[k] + (int64_t) yy * W;

              if (wk != 0.0f)
                accumulate_row (acc, src, W, wk, m.lo, m.hi);
            }
          memcpy (o, acc, sizeof (float) * W);
        }
    }
}

struct _DlsMsdWork
{
  float *planes;
  size_t planes_floats;
  float **scratch;
  int n_scratch;
  size_t scratch_floats;
};

DlsMsdWork *
dls_msd_work_new (void)
{
  return g_new0 (DlsMsdWork, 1);
}

void
dls_msd_work_free (DlsMsdWork *w)
{
  if (w == NULL)
    return;
  for (int t = 0; t < w->n_scratch; t++)
    g_free (w->scratch[t]);
  g_free (w->scratch);
  g_free (w->planes);
  g_free (w);
}

/* Grows the buffers to what this image needs (they are kept for the next one), each with
 * DLS_MSD_SLACK floats after it for the kernels' vector loads past a row's end. */
static gboolean
work_reserve (DlsMsdWork *w, size_t planes, int threads, size_t scratch)
{
  planes += DLS_MSD_SLACK;
  scratch += DLS_MSD_SLACK;
  if (w->planes_floats < planes)
    {
      g_free (w->planes);
      w->planes = g_try_malloc (sizeof (float) * planes);
      w->planes_floats = w->planes ? planes : 0;
      if (w->planes == NULL)
        return FALSE;
    }
  if (w->n_scratch != threads || w->scratch_floats < scratch)
    {
      for (int t = 0; t < w->n_scratch; t++)
        g_free (w->scratch[t]);
      g_free (w->scratch);
      w->scratch = g_new0 (float *, threads);
      w->n_scratch = threads;
      w->scratch_floats = scratch;
      for (int t = 0; t < threads; t++)
        if ((w->scratch[t] = g_try_malloc (sizeof (float) * scratch)) == NULL)
          {
            w->scratch_floats = 0;
            return FALSE;
          }
    }
  return TRUE;
}

gboolean
dls_msd_eval_forward (const DlsMsdEval *net, DlsMsdWork *work, const float *x, int H, int W,
                      float *out, const volatile int *cancel, GError **error)
{
  int L = net->num_layers, w = net->width, Cin = net->in_channels;
  int Ct = Cin + L * w, maxd = 1;
  g_autoptr (DlsMsdWork) own = work ? NULL : dls_msd_work_new ();
  MsdJob j = { 0 };
  float *planes;
  gboolean ok = FALSE;

  if (work == NULL)
    work = own;
  dls_engine_init ();
  for (int i = 0; i < L * w; i++)
    maxd = MAX (maxd, net->dilations[i]);
  j.net = net;
  j.H = H;
  j.W = W;
  j.R = MAX (32, 2 * maxd);
  j.n_bands = (H + j.R - 1) / j.R;
  j.scratch_floats = MAX ((size_t) (Ct - w) * (j.R + 2 * maxd) * (W + 2 * maxd), (size_t) W);
  j.out = out;
  if (!work_reserve (work, (size_t) Ct * H * W, dls_engine_get_threads (), j.scratch_floats))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY,
                   "not enough memory for an MSDNet of %d layers on %d × %d", L, H, W);
      return FALSE;
    }
  planes = work->planes;
  j.scratch = work->scratch;
  j.raw = g_new (float *, Ct);
  j.maps = g_new (ChanMap, Ct);
  for (int c = 0; c < Ct; c++)
    j.raw[c] = planes + (size_t) c * H * W;
  memcpy (planes, x, sizeof (float) * (size_t) Cin * H * W);
  for (int c = 0; c < Ct; c++)
    j.maps[c] = (ChanMap){ 1, -INFINITY, INFINITY, 0 };
  if (net->input_relu)
    for (int c = 0; c < Cin; c++)
      dls_msd_map_relu (&j.maps[c]);

  for (int i = 0; i < L; i++)
    {
      int C = Cin + i * w;

      if (cancel && *cancel)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_CANCELLED, "cancelled");
          goto out;
        }
      j.C = C;
      j.layer = i;
      j.d = 0;
      for (int k = 0; k < w; k++)
        j.d = MAX (j.d, net->dilations[i * w + k]);
      dls_parallel (j.n_bands, layer_band, &j);
      for (int c = 0; c < C + w; c++)
        {
          dls_msd_map_relu (&j.maps[c]);
          if (net->bn_scale)
            {
              float a = net->bn_scale[i][c], b = net->bn_shift[i][c];

              j.maps[c].A *= a;
              j.maps[c].B = j.maps[c].B * a + b;
            }
        }
    }
  j.C = Ct;
  dls_parallel (j.n_bands, final_band, &j);
  ok = TRUE;
out:
  g_free (j.maps);
  g_free (j.raw);
  return ok;
}
