/* SPDX-License-Identifier: MIT
 *
 * msd-train.c: one MSDNet training step (forward with batch statistics, backward into the
 * model's gradients) in memory that grows linearly with depth.
 *
 * As a graph, DLSIA's MSDNet stores every layer's whole stack after ReLU + BatchNorm, and its
 * gradient: Σ_i (C_in + i·w) maps, O(L²) (100 layers on 512² take 11 GB).  But channel c of any
 * stack is a chain of ReLUs and affine maps of the map v_c that its convolution produced
 * (msd.c), with batch statistics too:
 *
 *     stack_i[c] = f_{i,c}(v_c) = A·clamp(v_c, lo, hi) + B,
 *
 * and BatchNorm i only needs the mean and variance of relu(f_{i,c}(v_c)).  So the forward keeps
 * the raw maps v (C_total planes) and four numbers per (layer, channel).  Each layer maps its
 * input stack band by band (rows) into a zero-bordered scratch buffer that the direct kernel
 * convolves, as the eval path does; the band's own rows also give that stack's share of the
 * batch statistics, so the old channels need no pass of their own.
 *
 * The backward keeps one gradient map per channel, G_c = dLoss/d stack[c], and walks the layers
 * back.  At layer i, per band of rows, with the band holding stack_i rebuilt from v (which is
 * also BatchNorm i's input before its ReLU): G_c ← BatchNorm i's backward (x̂ from the band),
 * the convolutions' weight gradient (dY against the band) and input gradient (added to G), and
 * then the sums Σ G and Σ G·x̂ that BatchNorm i − 1 needs from the finished rows.  The new
 * channels' G becomes dY of layer i beforehand (w small passes).  Memory: 2·C_total planes,
 * a band per thread, O(L) scalars per layer: O(L) in all.
 *
 * Deterministic: every parallel job has a task count fixed by the shapes (channels or row
 * bands), each task writes its own partial results, and partials are added in task order, so
 * the thread count does not change the answer.  The reference is the graph path
 * (dls_model_build_graph): the tests compare both.  Dropout is not supported (the caller keeps
 * the graph for it).
 */
#include "config.h"

#include <math.h>

#include "engine-private.h"
#include "msd-private.h"

#define SLACK DLS_MSD_SLACK

struct _DlsMsdTrainWork
{
  /* the shapes the buffers were made for */
  int N, H, W, Cin, OC, L, w, maxd;
  int Ct, R, n_bands;
  int64_t HW, NHW, PH, PW; /* dY planes: (H + 2·maxd) × (W + 2·maxd) */
  bool ready;              /* a forward ran: backward may follow */
  float *v;                /* raw maps, Ct × N × H × W */
  float *G;                /* gradients of the stack, Ct × N × H × W */
  float *dy;               /* dY of one layer's convolutions, w × N × PH × PW, zero border */
  float **scratch;         /* one band buffer per thread */
  int n_scratch;
  size_t scratch_floats;
  float *partials;      /* per band task: w × (C·9 + 1) weight-gradient partial sums */
  ChanMap *f;           /* f_{i,c} for i = 0..L, c < C_i: layer i's input stack */
  float *mean, *invstd; /* BatchNorm i's batch statistics, C_{i+1} each */
  double *sums;         /* per-channel sums, 2 × C_total */
  float *row;           /* per thread: one row (final layer) */
  double *dwf;          /* final layer: OC × C_total weight-gradient sums */
  double *bsums;        /* per band task: 2 × C_total partial sums (statistics, dots) */
  float *coef;          /* per channel: the BatchNorm backward's k, mean dy, mean, c; K */
};

/* offset of layer i's C_i maps in f, and of BatchNorm i's C_{i+1} statistics */
static inline int64_t
f_off (const DlsMsdTrainWork *k, int i)
{
  return (int64_t) i * k->Cin + (int64_t) k->w * i * (i - 1) / 2;
}

static inline int64_t
bn_off (const DlsMsdTrainWork *k, int i)
{
  return f_off (k, i + 1) - k->Cin;
}

static inline int
dil_of (const DlsMsdTrain *net, int layer, int j)
{
  return net->dilations[layer * net->width + j];
}

static int
layer_dil (const DlsMsdTrain *net, int layer)
{
  int d = 1;

  for (int j = 0; j < net->width; j++)
    d = MAX (d, dil_of (net, layer, j));
  return d;
}

/* ---- jobs ---- */

typedef struct
{
  const DlsMsdTrain *net;
  DlsMsdTrainWork *k;
  int layer, C, C1, d;
  const ChanMap *f;  /* the maps of the stack being read */
  const ChanMap *fp; /* backward: the maps of the layer before (its BatchNorm's input) */
  const float *mp;   /* … and its BatchNorm's batch means */
  const float *dout;
  float *out;
} Job;

static inline float *
plane (const DlsMsdTrainWork *k, float *base, int c, int n)
{
  return base + (int64_t) c * k->NHW + (int64_t) n * k->HW;
}

/* Rows [y0 − d, y1 + d) of sample n's stack (C channels, maps f) into scratch s with a zero
 * border of d; returns the view of it whose (c, row, col) is the image's. */
static DlsView
build_band (const DlsMsdTrainWork *k, const ChanMap *f, int C, int n, int y0, int y1, int d,
            float *s)
{
  int W = k->W, H = k->H, rows = y1 - y0 + 2 * d, sw = W + 2 * d;
  int64_t sc = (int64_t) rows * sw;
  DlsView x = { 0 };

  for (int c = 0; c < C; c++)
    {
      ChanMap m = f[c];
      float *pl = s + c * sc;

      for (int r = 0; r < rows; r++)
        {
          int iy = y0 - d + r;
          float *dst = pl + (int64_t) r * sw;

          if (iy < 0 || iy >= H || m.A == 0)
            {
              float val = (iy < 0 || iy >= H) ? 0.0f : m.B;

              for (int i = 0; i < sw; i++)
                dst[i] = val;
              if (val != 0.0f)
                for (int i = 0; i < d; i++)
                  dst[i] = dst[W + d + i] = 0.0f;
              continue;
            }
          for (int i = 0; i < d; i++)
            dst[i] = dst[W + d + i] = 0.0f;
          dls_msd_map_row (dst + d, plane (k, k->v, c, n) + (int64_t) iy * W, W, m.A, m.lo, m.hi,
                           m.B);
        }
    }
  x.p = s + (int64_t) (d - y0) * sw + d;
  x.sc = sc;
  x.sh = sw;
  x.sn = 0;
  x.halo = d;
  return x;
}

static void
band_rows (const DlsMsdTrainWork *k, int task, int *n, int *y0, int *y1)
{
  *n = task / k->n_bands;
  *y0 = (task % k->n_bands) * k->R;
  *y1 = MIN (k->H, *y0 + k->R);
}

/* Forward of layer `layer`, one band of one sample: v[C + j] rows [y0, y1) = conv_j (stack),
 * and (BatchNorm) the band's share of the statistics of relu(stack) for the C old channels,
 * taken from the band itself (shifted by K_c). */
static void
forward_band (void *ctx, int task, int n_tasks)
{
  Job *j = ctx;
  DlsMsdTrainWork *k = j->k;
  const DlsMsdTrain *net = j->net;
  int n, y0, y1;
  DlsView x, y = { 0 };

  (void) n_tasks;
  band_rows (k, task, &n, &y0, &y1);
  x = build_band (k, j->f, j->C, n, y0, y1, j->d, k->scratch[dls_parallel_thread_index ()]);
  if (net->gamma)
    {
      double *bs = k->bsums + (int64_t) task * 2 * k->Ct;
      const float *K = k->coef + 4 * k->Ct;

      for (int c = 0; c < j->C; c++)
        {
          double s1 = 0, s2 = 0;

          for (int yy = y0; yy < y1; yy++)
            dls_msd_row_stats (dls_view_at (x, 0, c, yy, 0), k->W, CHAN_MAP_IDENTITY, K[c], &s1,
                               &s2);
          bs[2 * c] = s1;
          bs[2 * c + 1] = s2;
        }
    }
  for (int q = 0; q < net->width; q++)
    {
      int idx = j->layer * net->width + q;

      y.p = plane (k, k->v, j->C + q, n);
      y.sc = k->NHW;
      y.sh = k->W;
      dls_direct_kernels.forward (y, x, net->w[idx], net->b[idx], j->C, 1, k->H, k->W,
                                  net->dilations[idx], y0, y1, 0);
    }
}

/* Batch statistics of the new channels [C, C1): relu(v_c), shifted by its first value. */
static void
stats_task (void *ctx, int task, int n_tasks)
{
  Job *j = ctx;
  DlsMsdTrainWork *k = j->k;
  int64_t lo, hi;

  dls_split (j->C1 - j->C, n_tasks, task, &lo, &hi);
  for (int c = j->C + lo; c < j->C + hi; c++)
    {
      const float *v0 = plane (k, k->v, c, 0);
      float K = MAX (v0[0], 0.0f);
      double s1 = 0, s2 = 0;

      for (int64_t r = 0; r < (int64_t) k->N * k->H; r++)
        dls_msd_row_stats (v0 + r * k->W, k->W, CHAN_MAP_IDENTITY, K, &s1, &s2);
      k->coef[4 * k->Ct + c] = K;
      k->sums[2 * c] = s1;
      k->sums[2 * c + 1] = s2;
    }
}

/* out rows of one band: b[oc] + Σ_c W[oc, c]·f_L,c(v_c) */
static void
final_forward_band (void *ctx, int task, int n_tasks)
{
  Job *j = ctx;
  DlsMsdTrainWork *k = j->k;
  const DlsMsdTrain *net = j->net;
  int C = k->Ct, W = k->W, n, y0, y1;
  float *acc = k->row + (size_t) dls_parallel_thread_index () * (W + SLACK);

  (void) n_tasks;
  band_rows (k, task, &n, &y0, &y1);
  for (int oc = 0; oc < k->OC; oc++)
    {
      double bias = net->final_b ? net->final_b[oc] : 0.0;

      for (int c = 0; c < C; c++)
        bias += (double) net->final_w[(int64_t) oc * C + c] * j->f[c].B;
      for (int yy = y0; yy < y1; yy++)
        {
          for (int i = 0; i < W; i++)
            acc[i] = (float) bias;
          for (int c = 0; c < C; c++)
            {
              ChanMap m = j->f[c];
              float wk = net->final_w[(int64_t) oc * C + c] * m.A;

              if (wk != 0.0f)
                dls_msd_row_axpy_clamp (acc, plane (k, k->v, c, n) + (int64_t) yy * W, W, wk, m.lo,
                                        m.hi);
            }
          memcpy (j->out + (((int64_t) n * k->OC + oc) * k->H + yy) * W, acc, sizeof (float) * W);
        }
    }
}

/* ---- buffers ---- */

DlsMsdTrainWork *
dls_msd_train_work_new (void)
{
  return g_new0 (DlsMsdTrainWork, 1);
}

static void
work_clear (DlsMsdTrainWork *k)
{
  for (int t = 0; t < k->n_scratch; t++)
    g_free (k->scratch[t]);
  g_clear_pointer (&k->scratch, g_free);
  g_clear_pointer (&k->v, g_free);
  g_clear_pointer (&k->G, g_free);
  g_clear_pointer (&k->dy, g_free);
  g_clear_pointer (&k->partials, g_free);
  g_clear_pointer (&k->f, g_free);
  g_clear_pointer (&k->mean, g_free);
  g_clear_pointer (&k->invstd, g_free);
  g_clear_pointer (&k->sums, g_free);
  g_clear_pointer (&k->row, g_free);
  g_clear_pointer (&k->dwf, g_free);
  g_clear_pointer (&k->bsums, g_free);
  g_clear_pointer (&k->coef, g_free);
  memset (k, 0, sizeof *k);
}

void
dls_msd_train_work_free (DlsMsdTrainWork *k)
{
  if (k == NULL)
    return;
  work_clear (k);
  g_free (k);
}

static gboolean
work_reserve (DlsMsdTrainWork *k, const DlsMsdTrain *net, int N, int H, int W)
{
  int L = net->num_layers, w = net->width, threads = dls_engine_get_threads (), maxd = 1;
  size_t band;

  for (int i = 0; i < L; i++)
    maxd = MAX (maxd, layer_dil (net, i));
  if (k->v && k->N == N && k->H == H && k->W == W && k->Cin == net->in_channels
      && k->OC == net->out_channels && k->L == L && k->w == w && k->maxd == maxd
      && k->n_scratch == threads)
    return TRUE;
  work_clear (k);
  k->N = N;
  k->H = H;
  k->W = W;
  k->Cin = net->in_channels;
  k->OC = net->out_channels;
  k->L = L;
  k->w = w;
  k->maxd = maxd;
  k->Ct = k->Cin + L * w;
  k->HW = (int64_t) H * W;
  k->NHW = N * k->HW;
  k->PH = H + 2 * maxd;
  k->PW = W + 2 * maxd;
  k->R = MAX (32, 2 * maxd);
  k->n_bands = (H + k->R - 1) / k->R;
  k->n_scratch = threads;
  band = (size_t) MAX (k->Ct - w, 1) * (MIN (k->R, H) + 2 * maxd) * (W + 2 * maxd) + SLACK;
  k->scratch_floats = band;
  k->v = g_try_malloc (sizeof (float) * ((size_t) k->Ct * k->NHW + SLACK));
  k->G = g_try_malloc (sizeof (float) * ((size_t) k->Ct * k->NHW + SLACK));
  k->dy = g_try_malloc0 (sizeof (float) * ((size_t) w * N * k->PH * k->PW + SLACK));
  k->partials = g_try_malloc (sizeof (float) * ((size_t) N * k->n_bands * w * (k->Ct * 9 + 1)));
  k->scratch = g_new0 (float *, threads);
  for (int t = 0; t < threads; t++)
    k->scratch[t] = g_try_malloc0 (sizeof (float) * band);
  k->f = g_new (ChanMap, f_off (k, L + 1));
  k->mean = g_new (float, MAX (bn_off (k, L), 1));
  k->invstd = g_new (float, MAX (bn_off (k, L), 1));
  k->sums = g_new (double, 2 * (size_t) k->Ct);
  k->row = g_new (float, (size_t) threads *(W + SLACK));
  k->dwf = g_new (double, (size_t) k->OC * k->Ct);
  k->bsums = g_new (double, (size_t) N * k->n_bands * 2 * k->Ct);
  k->coef = g_new (float, 5 * (size_t) k->Ct);
  if (k->v == NULL || k->G == NULL || k->dy == NULL || k->partials == NULL
      || k->scratch[threads - 1] == NULL)
    {
      work_clear (k);
      return FALSE;
    }
  return TRUE;
}

size_t
dls_msd_train_work_bytes (const DlsMsdTrainWork *k)
{
  if (k == NULL || k->v == NULL)
    return 0;
  return sizeof (float)
         * (2 * (size_t) k->Ct * k->NHW + (size_t) k->w * k->N * k->PH * k->PW
            + (size_t) k->n_scratch * k->scratch_floats
            + (size_t) k->N * k->n_bands * k->w * (k->Ct * 9 + 1));
}

static gboolean
cancelled (const volatile int *cancel, GError **error)
{
  if (cancel == NULL || *cancel == 0)
    return FALSE;
  g_set_error (error, DLS_ERROR, DLS_ERROR_CANCELLED, "cancelled");
  return TRUE;
}

static int
channel_tasks (int C)
{
  return MIN (C, dls_engine_get_threads ());
}

/* sums[0 .. 2·C) = Σ over the band tasks' partial sums, in task order */
static void
reduce_sums (DlsMsdTrainWork *k, int C, int n_tasks)
{
  for (int e = 0; e < 2 * C; e++)
    {
      double t = 0;

      for (int task = 0; task < n_tasks; task++)
        t += k->bsums[(int64_t) task * 2 * k->Ct + e];
      k->sums[e] = t;
    }
}

/* ---- forward ---- */

gboolean
dls_msd_train_forward (const DlsMsdTrain *net, DlsMsdTrainWork *k, const float *x, int N, int H,
                       int W, float *out, const volatile int *cancel, GError **error)
{
  int L = net->num_layers, w = net->width, Cin = net->in_channels;
  float eps = net->eps > 0 ? net->eps : 1e-5f, mom = net->momentum > 0 ? net->momentum : 0.1f;
  ChanMap *f0;

  dls_engine_init ();
  if (N < 1 || H < 1 || W < 1 || Cin < 1 || w < 1 || L < 0 || net->out_channels < 1)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE, "MSDNet training: bad shape %d × %d × %d", N,
                   H, W);
      return FALSE;
    }
  if (!work_reserve (k, net, N, H, W))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY,
                   "not enough memory to train an MSDNet of %d layers on %d × %d × %d", L, N, H, W);
      return FALSE;
    }
  k->ready = false;
  /* x (N, Cin, H, W) → planes of N × H × W */
  for (int c = 0; c < Cin; c++)
    for (int n = 0; n < N; n++)
      memcpy (plane (k, k->v, c, n), x + ((int64_t) n * Cin + c) * k->HW, sizeof (float) * k->HW);
  f0 = k->f + f_off (k, 0);
  for (int c = 0; c < Cin; c++)
    {
      f0[c] = CHAN_MAP_IDENTITY;
      if (net->input_relu)
        dls_msd_map_relu (&f0[c]);
    }
  for (int i = 0; i < L; i++)
    {
      int C = Cin + i * w, C1 = C + w;
      ChanMap *fi = k->f + f_off (k, i), *fn = k->f + f_off (k, i + 1);
      Job j
          = { .net = net, .k = k, .layer = i, .C = C, .C1 = C1, .d = layer_dil (net, i), .f = fi };

      if (cancelled (cancel, error))
        return FALSE;
      if (net->gamma)
        for (int c = 0; c < C; c++)
          k->coef[4 * k->Ct + c] = MAX (dls_msd_map_apply (fi[c], plane (k, k->v, c, 0)[0]), 0.0f);
      dls_parallel (N * k->n_bands, forward_band, &j);
      if (net->gamma)
        {
          dls_parallel (channel_tasks (w), stats_task, &j);
          reduce_sums (k, C, N * k->n_bands);
        }
      for (int c = 0; c < C1; c++)
        {
          ChanMap m = c < C ? fi[c] : CHAN_MAP_IDENTITY;

          dls_msd_map_relu (&m);
          if (net->gamma)
            {
              /* as ops-norm.c does it, rounding included */
              double M = (double) k->NHW, d1 = k->sums[2 * c] / M;
              double mean = k->coef[4 * k->Ct + c] + d1;
              double var = MAX (k->sums[2 * c + 1] / M - d1 * d1, 0.0);
              double unbiased = M > 1 ? var * M / (M - 1) : var;
              float *rm = net->running_mean[i], *rv = net->running_var[i];
              float mf = (float) mean, inv = (float) (1.0 / sqrt (var + eps)), a, b;

              rm[c] = (1.0f - mom) * rm[c] + mom * mf;
              rv[c] = (1.0f - mom) * rv[c] + mom * (float) unbiased;
              k->mean[bn_off (k, i) + c] = mf;
              k->invstd[bn_off (k, i) + c] = inv;
              a = inv * net->gamma[i][c];
              b = net->beta[i][c] - mf * a;
              m.A *= a;
              m.B = m.B * a + b;
            }
          fn[c] = m;
        }
      if (net->gamma && net->num_batches_tracked && net->num_batches_tracked[i])
        (*net->num_batches_tracked[i])++;
    }
  {
    Job j = { .net = net, .k = k, .f = k->f + f_off (k, L), .out = out };

    dls_parallel (N * k->n_bands, final_forward_band, &j);
  }
  k->ready = true;
  return TRUE;
}

/* ---- backward ---- */

/* The final 1×1 convolution, per channel: G_c = Σ_oc W[oc, c]·dOut[oc], the sums of
 * dOut[oc]·f_L,c(v_c) for its weight gradient, and (BatchNorm) the last BatchNorm's Σ G and
 * Σ G·(x − mean), x = relu(f_{L−1},c(v_c)). */
static void
final_backward_task (void *ctx, int task, int n_tasks)
{
  Job *j = ctx;
  DlsMsdTrainWork *k = j->k;
  const DlsMsdTrain *net = j->net;
  int W = k->W, C = k->Ct, OC = k->OC, Cp = C - k->w;
  float *h = k->row + (size_t) dls_parallel_thread_index () * (W + SLACK);
  int64_t lo, hi;

  dls_split (C, n_tasks, task, &lo, &hi);
  for (int c = lo; c < hi; c++)
    {
      ChanMap m = j->f[c], fp = c < Cp && j->fp ? j->fp[c] : CHAN_MAP_IDENTITY;
      double *s = k->dwf + (int64_t) c * OC, sdy = 0, sdyx = 0;

      for (int oc = 0; oc < OC; oc++)
        s[oc] = 0;
      for (int n = 0; n < k->N; n++)
        for (int y = 0; y < k->H; y++)
          {
            float *g = plane (k, k->G, c, n) + (int64_t) y * W;
            const float *v = plane (k, k->v, c, n) + (int64_t) y * W;

            dls_msd_map_row (h, v, W, m.A, m.lo, m.hi, m.B);
            memset (g, 0, sizeof (float) * W);
            for (int oc = 0; oc < OC; oc++)
              {
                const float *d = j->dout + (((int64_t) n * OC + oc) * k->H + y) * W;

                dls_msd_row_axpy (g, d, W, net->final_w[(int64_t) oc * C + c]);
                s[oc] += dls_msd_row_dot (d, h, W);
              }
            if (j->mp)
              dls_msd_row_dots (g, v, W, fp, j->mp[c], &sdy, &sdyx);
          }
      k->sums[2 * c] = sdy;
      k->sums[2 * c + 1] = sdyx;
    }
}

/* BatchNorm `layer`'s backward coefficients from the sums of G (k, mean dy, mean, c per channel;
 * the ReLU alone without BatchNorm) and its γ and β gradients. */
static void
bn_coefficients (const DlsMsdTrain *net, DlsMsdTrainWork *k, int i, int C1)
{
  float *kk = k->coef, *mdy = kk + k->Ct, *mm = mdy + k->Ct, *cc = mm + k->Ct;
  double M = (double) k->NHW;

  for (int c = 0; c < C1; c++)
    {
      if (net->gamma)
        {
          float inv = k->invstd[bn_off (k, i) + c];
          double sdy = k->sums[2 * c], sdyx = k->sums[2 * c + 1] * inv;

          if (net->dgamma)
            net->dgamma[i][c] += (float) sdyx;
          if (net->dbeta)
            net->dbeta[i][c] += (float) sdy;
          kk[c] = net->gamma[i][c] * inv;
          mdy[c] = (float) (sdy / M);
          mm[c] = k->mean[bn_off (k, i) + c];
          cc[c] = inv * (float) (sdyx / M);
        }
      else
        kk[c] = 1.0f, mdy[c] = mm[c] = cc[c] = 0.0f;
    }
}

/* BatchNorm `layer` backward for its new channels [C, C1): dY of the layer's convolutions. */
static void
new_channels_task (void *ctx, int task, int n_tasks)
{
  Job *j = ctx;
  DlsMsdTrainWork *k = j->k;
  const float *kk = k->coef, *mdy = kk + k->Ct, *mm = mdy + k->Ct, *cc = mm + k->Ct;
  int64_t lo, hi;

  dls_split ((int64_t) (j->C1 - j->C) * k->N * k->H, n_tasks, task, &lo, &hi);
  for (int64_t r = lo; r < hi; r++)
    {
      int c = j->C + (int) (r / (k->N * k->H)), n = (int) (r / k->H % k->N), y = (int) (r % k->H);
      const float *g = plane (k, k->G, c, n) + (int64_t) y * k->W;
      float *dst = k->dy + ((int64_t) (c - j->C) * k->N + n) * k->PH * k->PW + (y + k->maxd) * k->PW
                   + k->maxd;

      dls_msd_row_bn_dx (dst, g, plane (k, k->v, c, n) + (int64_t) y * k->W, k->W,
                         CHAN_MAP_IDENTITY, kk[c], mdy[c], mm[c], cc[c]);
    }
}

/* Layer `layer` backward, one band of one sample, all in the band's rows: BatchNorm `layer`'s
 * backward for the old channels' G (x from the band, which holds the stack before the ReLU),
 * the convolutions' weight-gradient partial sums (dY against the band) and input gradient
 * (added to G), then the sums that BatchNorm `layer − 1` needs from the finished G. */
static void
backward_band (void *ctx, int task, int n_tasks)
{
  Job *j = ctx;
  DlsMsdTrainWork *k = j->k;
  const DlsMsdTrain *net = j->net;
  const float *kk = k->coef, *mdy = kk + k->Ct, *mm = mdy + k->Ct, *cc = mm + k->Ct;
  int C = j->C, W = k->W, n, y0, y1;
  int64_t stride = (int64_t) C * 9 + 1;
  float *part = k->partials + (int64_t) task * net->width * stride;
  DlsView x, g = { k->G, k->HW, k->NHW, k->W, 0 };

  (void) n_tasks;
  band_rows (k, task, &n, &y0, &y1);
  x = build_band (k, j->f, C, n, y0, y1, j->d, k->scratch[dls_parallel_thread_index ()]);
  if (j->layer > 0)
    for (int c = 0; c < C; c++)
      for (int y = y0; y < y1; y++)
        {
          float *gr = dls_view_at (g, n, c, y, 0);

          dls_msd_row_bn_dx (gr, gr, dls_view_at (x, 0, c, y, 0), W, CHAN_MAP_IDENTITY, kk[c],
                             mdy[c], mm[c], cc[c]);
        }
  for (int q = 0; q < net->width; q++)
    {
      int idx = j->layer * net->width + q, d = net->dilations[idx];
      DlsView dy = { k->dy + (int64_t) q * k->N * k->PH * k->PW + k->maxd * k->PW + k->maxd,
                     k->PH * k->PW, k->N * k->PH * k->PW, k->PW, k->maxd };

      dls_direct_kernels.backward_weights (part + q * stride, part + q * stride + C * 9, dy, x, C,
                                           1, W, d, y0, y1, n);
      if (j->layer > 0)
        dls_direct_kernels.backward_input (g, dy, net->w[idx], C, 1, 0, W, d, y0, y1, n, false);
    }
  if (j->layer > 0 && j->mp)
    {
      double *bs = k->bsums + (int64_t) task * 2 * k->Ct;
      int Cp = C - net->width;

      for (int c = 0; c < C; c++)
        {
          ChanMap fp = c < Cp ? j->fp[c] : CHAN_MAP_IDENTITY;
          double sdy = 0, sdyx = 0;

          for (int y = y0; y < y1; y++)
            dls_msd_row_dots (dls_view_at (g, n, c, y, 0), plane (k, k->v, c, n) + (int64_t) y * W,
                              W, fp, j->mp[c], &sdy, &sdyx);
          bs[2 * c] = sdy;
          bs[2 * c + 1] = sdyx;
        }
    }
}

gboolean
dls_msd_train_backward (const DlsMsdTrain *net, DlsMsdTrainWork *k, const float *dout,
                        const volatile int *cancel, GError **error)
{
  int L = net->num_layers, w = net->width, Cin = net->in_channels, Ct = k->Ct, OC = k->OC;
  int n_band_tasks = k->N * k->n_bands;

  if (!k->ready || k->L != L || k->w != w || k->Cin != Cin || k->OC != net->out_channels)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_STATE,
                   "MSDNet training: backward needs the forward of the same network first");
      return FALSE;
    }
  k->ready = false;
  {
    Job j = { .net = net, .k = k, .f = k->f + f_off (k, L), .dout = dout };

    if (net->gamma && L > 0)
      {
        j.fp = k->f + f_off (k, L - 1);
        j.mp = k->mean + bn_off (k, L - 1);
      }
    dls_parallel (channel_tasks (Ct), final_backward_task, &j);
    if (net->final_dw)
      for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < Ct; c++)
          net->final_dw[(int64_t) oc * Ct + c] += (float) k->dwf[(int64_t) c * OC + oc];
    if (net->final_db)
      for (int oc = 0; oc < OC; oc++)
        {
          double s = 0;

          for (int n = 0; n < k->N; n++)
            for (int64_t r = 0; r < k->H; r++)
              {
                const float *d = dout + (((int64_t) n * OC + oc) * k->H + r) * k->W;
                float t = 0;

                for (int i = 0; i < k->W; i++)
                  t += d[i];
                s += t;
              }
          net->final_db[oc] += (float) s;
        }
  }
  for (int i = L - 1; i >= 0; i--)
    {
      int C = Cin + i * w;
      int64_t stride = (int64_t) C * 9 + 1;
      Job j = { .net = net,
                .k = k,
                .layer = i,
                .C = C,
                .C1 = C + w,
                .d = layer_dil (net, i),
                .f = k->f + f_off (k, i) };

      if (cancelled (cancel, error))
        return FALSE;
      if (net->gamma && i > 0)
        {
          j.fp = k->f + f_off (k, i - 1);
          j.mp = k->mean + bn_off (k, i - 1);
        }
      /* k->sums holds BatchNorm i's sums (from the final layer or from layer i + 1's bands) */
      bn_coefficients (net, k, i, C + w);
      dls_parallel (dls_engine_get_threads (), new_channels_task, &j);
      dls_parallel (n_band_tasks, backward_band, &j);
      if (j.mp)
        reduce_sums (k, C, n_band_tasks);
      for (int q = 0; q < w; q++)
        {
          int idx = i * w + q;

          for (int64_t e = 0; e < stride; e++)
            {
              double s = 0;

              for (int t = 0; t < n_band_tasks; t++)
                s += k->partials[((int64_t) t * w + q) * stride + e];
              if (e < stride - 1 && net->dw && net->dw[idx])
                net->dw[idx][e] += (float) s;
              else if (e == stride - 1 && net->db && net->db[idx])
                net->db[idx][0] += (float) s;
            }
        }
    }
  return TRUE;
}
