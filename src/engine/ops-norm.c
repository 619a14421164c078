/* SPDX-License-Identifier: MIT
 *
 * ops-norm.c: batch normalisation with PyTorch's semantics, for 2-D maps (statistics over N·H·W)
 * and flat features (over N).  Training normalises with the biased batch variance and moves the
 * running statistics by `momentum` towards the batch mean and the *unbiased* batch variance;
 * eval uses the running statistics; DLS_BN_BATCH_STATS (track_running_stats=False) always uses
 * the batch.  Sums are accumulated in double, as PyTorch does on the CPU.  Work is split by
 * channel ranges.  With pre_relu the op normalises relu(x), reading x and applying the ReLU on
 * the fly, so the ReLU's output and its gradient are never stored.  With post_relu it returns
 * relu(BatchNorm(x)) and its backward masks dY where that output was positive (recomputed from x,
 * so backward does not read the output), so the normalised map, the ReLU's pass and both
 * gradients of the pair are never stored either.  The first writer of x's
 * gradient overwrites it (no zeroing pass before, no read during).  The row loops are in
 * ops-norm-rows.c, built per instruction set.
 */
#include "engine-private.h"
#include "ref.h"

#include <math.h>

typedef struct
{
  DlsGraph *g;
  DlsNodeImpl *n;
  DlsView x, y, dx, dy;
  const float *gamma, *beta;
  float *rmean, *rvar, *dgamma, *dbeta;
  float *mean, *invstd; /* aux: saved for backward */
  bool batch;           /* normalise with batch statistics */
  bool relu;            /* normalise relu(x) */
  bool post;            /* relu of the result */
  bool assign;          /* backward: overwrite dx */
  bool update;          /* move the running statistics */
} BnJob;

static BnJob
bn_job (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *x = dls_input_node (g, n, 0);
  BnJob j = { g, n, x->value, n->value, x->grad, n->grad };

  if (n->in[1] != DLS_NODE_NONE)
    {
      DlsNodeImpl *ga = dls_input_node (g, n, 1), *be = dls_input_node (g, n, 2);
      j.gamma = ga->value.p;
      j.beta = be->value.p;
      j.dgamma = ga->requires_grad ? ga->grad.p : NULL;
      j.dbeta = be->requires_grad ? be->grad.p : NULL;
    }
  if (n->in[3] != DLS_NODE_NONE)
    {
      j.rmean = dls_input_node (g, n, 3)->value.p;
      j.rvar = dls_input_node (g, n, 4)->value.p;
    }
  j.mean = n->aux;
  j.invstd = j.mean + n->shape.c;
  j.batch = n->a.bn.mode == DLS_BN_BATCH_STATS || g->training;
  j.update = n->a.bn.mode == DLS_BN_RUNNING_STATS && g->training;
  j.relu = n->a.bn.pre_relu;
  j.post = n->a.bn.post_relu;
  if (!x->requires_grad)
    j.dx.p = NULL;
  return j;
}

/* y = a·x + b for channel c, from the statistics forward saved: backward recomputes the
 * post_relu mask with the very same a and b. */
static inline void
bn_coeffs (const BnJob *j, int c, float *a, float *b)
{
  *a = j->invstd[c] * (j->gamma ? j->gamma[c] : 1.0f);
  *b = (j->beta ? j->beta[c] : 0.0f) - j->mean[c] * *a;
}

static void
bn_forward_task (void *data, int task, int n_tasks)
{
  BnJob *j = data;
  DlsShape s = j->n->shape;
  double M = (double) s.n * s.h * s.w;
  float eps = j->n->a.bn.eps, mom = j->n->a.bn.momentum;
  const bool relu = j->relu, post = j->post;
  const DlsDirectKernels *K = &dls_direct_kernels;
  int64_t lo, hi;

  dls_split (s.c, n_tasks, task, &lo, &hi);
  for (int c = lo; c < hi; c++)
    {
      double mean, var;
      float a, b;

      if (j->batch)
        {
          double sum = 0, sq = 0;
          for (int n = 0; n < s.n; n++)
            for (int y = 0; y < s.h; y++)
              sum += K->bn_sum (dls_view_at (j->x, n, c, y, 0), s.w, relu);
          mean = sum / M;
          for (int n = 0; n < s.n; n++)
            for (int y = 0; y < s.h; y++)
              sq += K->bn_sqdev (dls_view_at (j->x, n, c, y, 0), s.w, (float) mean, relu);
          var = sq / M;
          if (j->update)
            {
              double unbiased = M > 1 ? var * M / (M - 1) : var;
              j->rmean[c] = (1.0f - mom) * j->rmean[c] + mom * (float) mean;
              j->rvar[c] = (1.0f - mom) * j->rvar[c] + mom * (float) unbiased;
            }
        }
      else
        {
          mean = j->rmean[c];
          var = j->rvar[c];
        }
      j->mean[c] = (float) mean;
      j->invstd[c] = (float) (1.0 / sqrt (var + eps));
      bn_coeffs (j, c, &a, &b);
      for (int n = 0; n < s.n; n++)
        for (int y = 0; y < s.h; y++)
          K->bn_affine (dls_view_at (j->y, n, c, y, 0), dls_view_at (j->x, n, c, y, 0), s.w, a, b,
                        relu, post);
    }
}

/* One channel's backward: Σ dy and Σ dy·x̂ over its rows, then dx.  Returns them for dγ and
 * dβ. */
static void
bn_backward_channel (BnJob *j, int c, double *psdy, double *psdyx)
{
  const DlsDirectKernels *K = &dls_direct_kernels;
  DlsShape s = j->n->shape;
  double M = (double) s.n * s.h * s.w;
  float mean = j->mean[c], inv = j->invstd[c];
  float gam = j->gamma ? j->gamma[c] : 1.0f;
  double sdy = 0, sdyx = 0; /* Σ dy, Σ dy·x̂ */
  float k, mdy = 0.0f, m = 0.0f, cc = 0.0f, a, b;

  bn_coeffs (j, c, &a, &b);
  for (int n = 0; n < s.n; n++)
    for (int y = 0; y < s.h; y++)
      {
        float ra, rb;

        K->bn_dots (dls_view_at (j->dy, n, c, y, 0), dls_view_at (j->x, n, c, y, 0), s.w, mean,
                    a, b, j->relu, j->post, &ra, &rb);
        sdy += ra;
        sdyx += rb;
      }
  sdyx *= inv;
  *psdy = sdy;
  *psdyx = sdyx;
  if (j->dx.p == NULL)
    return;
  /* batch: dx = γ·inv/M · (M·dy − Σdy − x̂·Σ(dy·x̂)); running statistics: γ·inv·dy */
  k = gam * inv;
  if (j->batch)
    {
      mdy = (float) (sdy / M);
      m = mean;
      cc = inv * (float) (sdyx / M);
    }
  for (int n = 0; n < s.n; n++)
    for (int y = 0; y < s.h; y++)
      K->bn_dx (dls_view_at (j->dx, n, c, y, 0), dls_view_at (j->dy, n, c, y, 0),
                dls_view_at (j->x, n, c, y, 0), s.w, k, mdy, m, cc, a, b, j->relu, j->post,
                j->assign);
}

static void
bn_backward_task (void *data, int task, int n_tasks)
{
  BnJob *j = data;
  int64_t lo, hi;

  dls_split (j->n->shape.c, n_tasks, task, &lo, &hi);
  for (int c = lo; c < hi; c++)
    {
      double sdy, sdyx;

      bn_backward_channel (j, c, &sdy, &sdyx);
      if (j->dgamma)
        j->dgamma[c] += (float) sdyx;
      if (j->dbeta)
        j->dbeta[c] += (float) sdy;
    }
}

static int
bn_tasks (DlsGraph *g, DlsNodeImpl *n)
{
  return dls_shape_numel (n->shape) < 16384 ? 1 : dls_graph_tasks (g);
}

static void
bn_plan (DlsGraph *g, DlsNodeImpl *n)
{
  n->aux_bytes = 2 * sizeof (float) * n->shape.c;
  n->assigns_input_grad = true;
}

static void
bn_forward (DlsGraph *g, DlsNodeImpl *n)
{
  BnJob j = bn_job (g, n);

  dls_parallel (bn_tasks (g, n), bn_forward_task, &j);
  if (j.update)
    (*dls_params_counter (g->params, dls_input_node (g, n, 5)->a.param.index))++;
  /* backward must use the statistics this forward used */
  n->kernel = j.batch;
}

static void
bn_backward (DlsGraph *g, DlsNodeImpl *n)
{
  BnJob j = bn_job (g, n);

  j.batch = n->kernel;
  j.assign = j.dx.p != NULL && dls_take_grad_assign (g, n, 0);
  if (j.assign)
    dls_zero_outside (j.dx, n->shape.n, n->shape.c, n->shape.h, n->shape.w, 0);
  dls_parallel (bn_tasks (g, n), bn_backward_task, &j);
}

const DlsOpInfo dls_op_batchnorm
    = { DLS_OP_BATCHNORM, "batchnorm", bn_plan, bn_forward, bn_backward };

/* ---- reference loops ---- */

static void
ref_stats (const double *x, int N, int C, int HW, int c, double *mean, double *var)
{
  double s = 0, q = 0, M = (double) N * HW;

  for (int n = 0; n < N; n++)
    for (int i = 0; i < HW; i++)
      s += x[((int64_t) n * C + c) * HW + i];
  *mean = s / M;
  for (int n = 0; n < N; n++)
    for (int i = 0; i < HW; i++)
      {
        double d = x[((int64_t) n * C + c) * HW + i] - *mean;
        q += d * d;
      }
  *var = q / M;
}

void
dls_ref_batchnorm_forward (double *y, const double *x, const double *gamma, const double *beta,
                           const double *mean, const double *var, int N, int C, int HW, double eps)
{
  for (int c = 0; c < C; c++)
    {
      double m, v;
      if (mean)
        m = mean[c], v = var[c];
      else
        ref_stats (x, N, C, HW, c, &m, &v);
      for (int n = 0; n < N; n++)
        for (int i = 0; i < HW; i++)
          {
            int64_t k = ((int64_t) n * C + c) * HW + i;
            y[k] = (x[k] - m) / sqrt (v + eps) * (gamma ? gamma[c] : 1.0) + (beta ? beta[c] : 0);
          }
    }
}

void
dls_ref_batchnorm_backward (double *dx, double *dgamma, double *dbeta, const double *dy,
                            const double *x, const double *gamma, const double *mean,
                            const double *var, int N, int C, int HW, double eps)
{
  double M = (double) N * HW;

  for (int c = 0; c < C; c++)
    {
      double m, v, inv, g = gamma ? gamma[c] : 1.0, sdy = 0, sdyx = 0;
      if (mean)
        m = mean[c], v = var[c];
      else
        ref_stats (x, N, C, HW, c, &m, &v);
      inv = 1.0 / sqrt (v + eps);
      for (int n = 0; n < N; n++)
        for (int i = 0; i < HW; i++)
          {
            int64_t k = ((int64_t) n * C + c) * HW + i;
            sdy += dy[k];
            sdyx += dy[k] * (x[k] - m) * inv;
          }
      if (dgamma)
        dgamma[c] += sdyx;
      if (dbeta)
        dbeta[c] += sdy;
      if (!dx)
        continue;
      for (int n = 0; n < N; n++)
        for (int i = 0; i < HW; i++)
          {
            int64_t k = ((int64_t) n * C + c) * HW + i;
            if (mean)
              dx[k] += g * inv * dy[k];
            else
              dx[k] += g * inv * (dy[k] - sdy / M - (x[k] - m) * inv * sdyx / M);
          }
    }
}
