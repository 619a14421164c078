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
 * gradient overwrites it (no zeroing pass before, no read during).
 */
#include "engine-private.h"
#include "ref.h"

#include <math.h>

/* x, or relu(x) for a BatchNorm with the ReLU folded in (relu is loop-invariant: the compiler
 * unswitches the loops). */
#define RX(v) (relu ? ((v) < 0.0f ? 0.0f : (v)) : (v))
/* relu'(x): PyTorch passes the gradient where the ReLU's output is positive */
#define PASS(v) (!relu || (v) > 0.0f)

/* Row reductions with eight partial sums (two 4-lane vectors, the baseline x86-64 width): the
 * plain loops cannot be vectorised (float addition does not reassociate), and BatchNorm's
 * statistics are the hottest loops of an MSDNet step.  The order is fixed, so results stay
 * deterministic. */
typedef float v4f __attribute__ ((vector_size (16)));
typedef int32_t v4i __attribute__ ((vector_size (16)));

static inline __attribute__ ((always_inline)) v4f
load4 (const float *p, bool relu)
{
  v4f v;

  memcpy (&v, p, sizeof v);
  if (relu)
    v = (v4f) ((v4i) v & ~(v < (v4f){ 0 })); /* NaN stays NaN */
  return v;
}

static inline __attribute__ ((always_inline)) float
hsum (v4f a, v4f b)
{
  v4f v = a + b;

  return (v[0] + v[2]) + (v[1] + v[3]);
}

/* Σ x (or Σ relu(x)) over a row */
static inline __attribute__ ((always_inline)) float
row_sum (const float *r, int w, bool relu)
{
  v4f a = { 0 }, b = { 0 };
  float s;
  int i = 0;

  for (; i + 8 <= w; i += 8)
    {
      a += load4 (r + i, relu);
      b += load4 (r + i + 4, relu);
    }
  s = hsum (a, b);
  for (; i < w; i++)
    s += RX (r[i]);
  return s;
}

/* Σ (x − m)² */
static inline __attribute__ ((always_inline)) float
row_sqdev (const float *r, int w, float m, bool relu)
{
  v4f a = { 0 }, b = { 0 }, mv = { m, m, m, m };
  float s;
  int i = 0;

  for (; i + 8 <= w; i += 8)
    {
      v4f d = load4 (r + i, relu) - mv, e = load4 (r + i + 4, relu) - mv;

      a += d * d;
      b += e * e;
    }
  s = hsum (a, b);
  for (; i < w; i++)
    s += (RX (r[i]) - m) * (RX (r[i]) - m);
  return s;
}

/* dy, or dy where the folded ReLU after the op passed it (post_relu).  The op's output is not
 * read: whether it was positive is recomputed from xr (x, or relu(x)) with the forward's own
 * expression, a·xr + b, so the mask is the forward's bit for bit and backward reads two maps
 * per channel instead of three (BatchNorm's backward is bound by memory traffic). */
static inline __attribute__ ((always_inline)) v4f
load_dy (const float *g, v4f xr, v4f av, v4f bv, bool post)
{
  v4f v;

  memcpy (&v, g, sizeof v);
  if (post)
    v = (v4f) ((v4i) v & (xr * av + bv > (v4f){ 0 }));
  return v;
}

#define GY(i) (post && !(RX (r[i]) * a + b > 0.0f) ? 0.0f : g[i])

/* Σ dy and Σ dy·(x − m); a, b: the forward's y = a·x + b, for the post_relu mask */
static inline __attribute__ ((always_inline)) void
row_dots (const float *g, const float *r, int w, float m, float a, float b, bool relu, bool post,
          float *sa, float *sb)
{
  v4f a0 = { 0 }, a1 = { 0 }, b0 = { 0 }, b1 = { 0 }, mv = { m, m, m, m };
  v4f av = { a, a, a, a }, bv = { b, b, b, b };
  int i = 0;

  for (; i + 8 <= w; i += 8)
    {
      v4f x0 = load4 (r + i, relu), x1 = load4 (r + i + 4, relu);
      v4f g0 = load_dy (g + i, x0, av, bv, post), g1 = load_dy (g + i + 4, x1, av, bv, post);

      a0 += g0;
      a1 += g1;
      b0 += g0 * (x0 - mv);
      b1 += g1 * (x1 - mv);
    }
  *sa = hsum (a0, a1);
  *sb = hsum (b0, b1);
  for (; i < w; i++)
    {
      *sa += GY (i);
      *sb += GY (i) * (RX (r[i]) - m);
    }
}

/* d += pass(x) · k·(g − mdy − (x − m)·c): BatchNorm's input gradient in batch mode (c = inv ·
 * mean(dy·x̂)), with the folded ReLUs' masks; c = mdy = m = 0 gives the eval form k·g.
 * assign: d = … (the first writer of the gradient).  a, b as for row_dots. */
static inline __attribute__ ((always_inline)) void
row_dx (float *d, const float *g, const float *r, int w, float k, float mdy, float m, float c,
        float a, float b, bool relu, bool post, bool assign)
{
  v4f kv = { k, k, k, k }, dv = { mdy, mdy, mdy, mdy }, mv = { m, m, m, m }, cv = { c, c, c, c };
  v4f av = { a, a, a, a }, bv = { b, b, b, b };
  int i = 0;

  for (; i + 4 <= w; i += 4)
    {
      v4f x, xr = load4 (r + i, relu), gv = load_dy (g + i, xr, av, bv, post);
      v4f v = kv * (gv - dv - (xr - mv) * cv);

      if (relu)
        {
          memcpy (&x, r + i, sizeof x);
          v = (v4f) ((v4i) v & (x > (v4f){ 0 }));
        }
      if (!assign)
        v += load4 (d + i, false);
      memcpy (d + i, &v, sizeof v);
    }
  for (; i < w; i++)
    {
      float v = PASS (r[i]) ? k * (GY (i) - mdy - (RX (r[i]) - m) * c) : 0.0f;
      d[i] = assign ? v : d[i] + v;
    }
}

/* o = a·x + b (x = relu(x) when folded), then relu(o) when post */
static inline __attribute__ ((always_inline)) void
row_affine (float *o, const float *r, int w, float a, float b, bool relu, bool post)
{
  v4f av = { a, a, a, a }, bv = { b, b, b, b };
  int i = 0;

  for (; i + 4 <= w; i += 4)
    {
      v4f v = load4 (r + i, relu) * av + bv;

      if (post)
        v = (v4f) ((v4i) v & ~(v < (v4f){ 0 })); /* NaN stays NaN, as in PyTorch */
      memcpy (o + i, &v, sizeof v);
    }
  for (; i < w; i++)
    {
      float v = RX (r[i]) * a + b;
      o[i] = post && v < 0.0f ? 0.0f : v;
    }
}

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
              {
                sum += row_sum (dls_view_at (j->x, n, c, y, 0), s.w, relu);
              }
          mean = sum / M;
          for (int n = 0; n < s.n; n++)
            for (int y = 0; y < s.h; y++)
              {
                sq += row_sqdev (dls_view_at (j->x, n, c, y, 0), s.w, (float) mean, relu);
              }
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
          {
            float *o = dls_view_at (j->y, n, c, y, 0);
            const float *r = dls_view_at (j->x, n, c, y, 0);
            /* the four combinations, each with its own loop */
            if (relu && post)
              row_affine (o, r, s.w, a, b, true, true);
            else if (relu)
              row_affine (o, r, s.w, a, b, true, false);
            else if (post)
              row_affine (o, r, s.w, a, b, false, true);
            else
              row_affine (o, r, s.w, a, b, false, false);
          }
    }
}

/* One channel's backward with the folds known at compile time: Σ dy and Σ dy·x̂ over its
 * rows, then dx.  Returns them for dγ and dβ. */
static inline __attribute__ ((always_inline)) void
bn_backward_channel (BnJob *j, int c, double *psdy, double *psdyx, const bool relu,
                     const bool post, const bool assign)
{
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

        row_dots (dls_view_at (j->dy, n, c, y, 0), dls_view_at (j->x, n, c, y, 0), s.w, mean, a,
                  b, relu, post, &ra, &rb);
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
      row_dx (dls_view_at (j->dx, n, c, y, 0), dls_view_at (j->dy, n, c, y, 0),
              dls_view_at (j->x, n, c, y, 0), s.w, k, mdy, m, cc, a, b, relu, post, assign);
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
      int which = (j->relu ? 4 : 0) | (j->post ? 2 : 0) | (j->assign ? 1 : 0);

      switch (which)
        {
#define CASE(i)                                                                   \
  case i:                                                                         \
    bn_backward_channel (j, c, &sdy, &sdyx, (i) & 4, (i) & 2, (i) & 1);           \
    break;
          CASE (0) CASE (1) CASE (2) CASE (3) CASE (4) CASE (5) CASE (6) CASE (7)
#undef CASE
        default:
          g_assert_not_reached ();
        }
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
