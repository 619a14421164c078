/* SPDX-License-Identifier: MIT
 *
 * ops-pool.c: max pooling (floor mode, implicit −∞ padding, first maximum wins, NaN propagates as
 * in PyTorch) and nearest-neighbour upsampling to a given size (PyTorch's "nearest" index rule,
 * computed in float as PyTorch does).  Both backward passes scatter, so work is split by whole
 * planes and no two tasks touch the same pixel.
 */
#include "engine-private.h"
#include "ref.h"

#include <math.h>

typedef struct
{
  DlsGraph *g;
  DlsNodeImpl *n;
  DlsView x, y, dx, dy;
  DlsShape xs;
} PoolJob;

static PoolJob
pool_job (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *x = dls_input_node (g, n, 0);
  return (PoolJob){ g, n, x->value, n->value, x->grad, n->grad, x->shape };
}

static int
plane_tasks (DlsGraph *g, DlsNodeImpl *n)
{
  return dls_shape_numel (n->shape) < 16384 ? 1 : dls_graph_tasks (g);
}

/* ---- max pooling ---- */

/* The U-Net's 2×2 windows, stride 2, no padding: the same scan order and NaN rule as the
 * general loop (the first NaN, else the first maximum), without its per-pixel window bounds,
 * as selects the compiler turns into blends. */
static void
maxpool_2x2_plane (float *out, int32_t *a, const float *r0, const float *r1, int OW, int XW,
                   int oy)
{
  for (int ox = 0; ox < OW; ox++)
    {
      float v[4] = { r0[2 * ox], r0[2 * ox + 1], r1[2 * ox], r1[2 * ox + 1] };
      float best = v[0];
      int pick = 0;
      bool stop = isnan (v[0]);

      for (int i = 1; i < 4; i++)
        {
          bool take = !stop && (v[i] > best || isnan (v[i]));
          best = take ? v[i] : best;
          pick = take ? i : pick;
          stop = stop || isnan (v[i]);
        }
      out[ox] = best;
      a[ox] = (2 * oy + (pick >> 1)) * XW + 2 * ox + (pick & 1);
    }
}

static void
maxpool_forward_task (void *data, int task, int n_tasks)
{
  PoolJob *j = data;
  DlsShape s = j->n->shape;
  int k = j->n->a.pool.k, st = j->n->a.pool.s, p = j->n->a.pool.p;
  int32_t *arg = j->n->aux;
  int64_t lo, hi;

  dls_split ((int64_t) s.n * s.c, n_tasks, task, &lo, &hi);
  for (int64_t nc = lo; nc < hi; nc++)
    {
      int n = nc / s.c, c = nc % s.c;
      int32_t *a = arg + nc * s.h * s.w;
      if (k == 2 && st == 2 && p == 0)
        {
          for (int oy = 0; oy < s.h; oy++)
            maxpool_2x2_plane (dls_view_at (j->y, n, c, oy, 0), a + oy * s.w,
                               dls_view_at (j->x, n, c, 2 * oy, 0),
                               dls_view_at (j->x, n, c, 2 * oy + 1, 0), s.w, j->xs.w, oy);
          continue;
        }
      for (int oy = 0; oy < s.h; oy++)
        {
          float *out = dls_view_at (j->y, n, c, oy, 0);
          int y0 = MAX (oy * st - p, 0), y1 = MIN (oy * st - p + k, j->xs.h);
          for (int ox = 0; ox < s.w; ox++)
            {
              int x0 = MAX (ox * st - p, 0), x1 = MIN (ox * st - p + k, j->xs.w);
              float best = -INFINITY;
              int32_t where = y0 * j->xs.w + x0;
              for (int iy = y0; iy < y1; iy++)
                {
                  const float *r = dls_view_at (j->x, n, c, iy, 0);
                  for (int ix = x0; ix < x1; ix++)
                    if (r[ix] > best || isnan (r[ix]))
                      {
                        best = r[ix];
                        where = iy * j->xs.w + ix;
                        if (isnan (best))
                          goto found;
                      }
                }
            found:
              out[ox] = best;
              a[oy * s.w + ox] = where;
            }
        }
    }
}

static void
maxpool_backward_task (void *data, int task, int n_tasks)
{
  PoolJob *j = data;
  DlsShape s = j->n->shape;
  const int32_t *arg = j->n->aux;
  int64_t lo, hi;

  dls_split ((int64_t) s.n * s.c, n_tasks, task, &lo, &hi);
  for (int64_t nc = lo; nc < hi; nc++)
    {
      int n = nc / s.c, c = nc % s.c;
      const int32_t *a = arg + nc * s.h * s.w;
      for (int oy = 0; oy < s.h; oy++)
        {
          const float *g = dls_view_at (j->dy, n, c, oy, 0);
          for (int ox = 0; ox < s.w; ox++)
            {
              int32_t w = a[oy * s.w + ox];
              *dls_view_at (j->dx, n, c, w / j->xs.w, w % j->xs.w) += g[ox];
            }
        }
    }
}

static void
maxpool_plan (DlsGraph *g, DlsNodeImpl *n)
{
  n->aux_bytes = sizeof (int32_t) * dls_shape_numel (n->shape);
}

static void
maxpool_forward (DlsGraph *g, DlsNodeImpl *n)
{
  PoolJob j = pool_job (g, n);
  dls_parallel (plane_tasks (g, n), maxpool_forward_task, &j);
}

static void
maxpool_backward (DlsGraph *g, DlsNodeImpl *n)
{
  PoolJob j = pool_job (g, n);
  dls_parallel (plane_tasks (g, n), maxpool_backward_task, &j);
}

/* ---- nearest upsampling ---- */

/* PyTorch's nearest_idx for an explicit output size. */
static int
nearest_src (int o, int in, int out)
{
  if (in == out)
    return o;
  if (out == 2 * in)
    return o >> 1;
  return MIN ((int) floorf ((float) o * ((float) in / (float) out)), in - 1);
}

static void
upsample_forward_task (void *data, int task, int n_tasks)
{
  PoolJob *j = data;
  DlsShape s = j->n->shape;
  int64_t lo, hi;
  g_autofree int *sx = g_new (int, s.w);

  for (int ox = 0; ox < s.w; ox++)
    sx[ox] = nearest_src (ox, j->xs.w, s.w);
  dls_split ((int64_t) s.n * s.c, n_tasks, task, &lo, &hi);
  for (int64_t nc = lo; nc < hi; nc++)
    for (int oy = 0; oy < s.h; oy++)
      {
        int n = nc / s.c, c = nc % s.c;
        const float *r = dls_view_at (j->x, n, c, nearest_src (oy, j->xs.h, s.h), 0);
        float *out = dls_view_at (j->y, n, c, oy, 0);
        for (int ox = 0; ox < s.w; ox++)
          out[ox] = r[sx[ox]];
      }
}

static void
upsample_backward_task (void *data, int task, int n_tasks)
{
  PoolJob *j = data;
  DlsShape s = j->n->shape;
  int64_t lo, hi;
  g_autofree int *sx = g_new (int, s.w);

  for (int ox = 0; ox < s.w; ox++)
    sx[ox] = nearest_src (ox, j->xs.w, s.w);
  dls_split ((int64_t) s.n * s.c, n_tasks, task, &lo, &hi);
  for (int64_t nc = lo; nc < hi; nc++)
    for (int oy = 0; oy < s.h; oy++)
      {
        int n = nc / s.c, c = nc % s.c;
        float *d = dls_view_at (j->dx, n, c, nearest_src (oy, j->xs.h, s.h), 0);
        const float *g = dls_view_at (j->dy, n, c, oy, 0);
        for (int ox = 0; ox < s.w; ox++)
          d[sx[ox]] += g[ox];
      }
}

static void
upsample_forward (DlsGraph *g, DlsNodeImpl *n)
{
  PoolJob j = pool_job (g, n);
  dls_parallel (plane_tasks (g, n), upsample_forward_task, &j);
}

static void
upsample_backward (DlsGraph *g, DlsNodeImpl *n)
{
  PoolJob j = pool_job (g, n);
  dls_parallel (plane_tasks (g, n), upsample_backward_task, &j);
}

const DlsOpInfo dls_op_maxpool2d
    = { DLS_OP_MAXPOOL2D, "maxpool2d", maxpool_plan, maxpool_forward, maxpool_backward };
const DlsOpInfo dls_op_upsample_nearest
    = { DLS_OP_UPSAMPLE_NEAREST, "upsample_nearest", NULL, upsample_forward, upsample_backward };

/* ---- reference loops ---- */

static int64_t
ref_argmax (const double *x, int H, int W, int oy, int ox, int k, int s, int p)
{
  double best = -INFINITY;
  int64_t where = -1;

  for (int ky = 0; ky < k; ky++)
    for (int kx = 0; kx < k; kx++)
      {
        int iy = oy * s - p + ky, ix = ox * s - p + kx;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
          continue;
        if (where < 0 || x[iy * W + ix] > best)
          {
            best = x[iy * W + ix];
            where = iy * W + ix;
          }
      }
  return where;
}

void
dls_ref_maxpool2d_forward (double *y, const double *x, int N, int C, int H, int W, int k, int s,
                           int p, int OH, int OW)
{
  for (int64_t nc = 0; nc < (int64_t) N * C; nc++)
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++)
        y[(nc * OH + oy) * OW + ox]
            = x[nc * H * W + ref_argmax (x + nc * H * W, H, W, oy, ox, k, s, p)];
}

void
dls_ref_maxpool2d_backward (double *dx, const double *dy, const double *x, int N, int C, int H,
                            int W, int k, int s, int p, int OH, int OW)
{
  for (int64_t nc = 0; nc < (int64_t) N * C; nc++)
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++)
        dx[nc * H * W + ref_argmax (x + nc * H * W, H, W, oy, ox, k, s, p)]
            += dy[(nc * OH + oy) * OW + ox];
}

/* PyTorch's rule is the definition, float rounding included. */
#define ref_nearest nearest_src

void
dls_ref_upsample_forward (double *y, const double *x, int N, int C, int H, int W, int OH, int OW)
{
  for (int64_t nc = 0; nc < (int64_t) N * C; nc++)
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++)
        y[(nc * OH + oy) * OW + ox]
            = x[(nc * H + ref_nearest (oy, H, OH)) * W + ref_nearest (ox, W, OW)];
}

void
dls_ref_upsample_backward (double *dx, const double *dy, int N, int C, int H, int W, int OH, int OW)
{
  for (int64_t nc = 0; nc < (int64_t) N * C; nc++)
    for (int oy = 0; oy < OH; oy++)
      for (int ox = 0; ox < OW; ox++)
        dx[(nc * H + ref_nearest (oy, H, OH)) * W + ref_nearest (ox, W, OW)]
            += dy[(nc * OH + oy) * OW + ox];
}
