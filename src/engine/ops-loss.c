/* SPDX-License-Identifier: MIT
 *
 * ops-loss.c: losses, each producing a scalar.
 *
 * - cross_entropy: softmax cross-entropy over channels with an ignore label and optional class
 *   weights, reduced like PyTorch's "mean" (Σ w_y·loss / Σ w_y).  A batch in which every pixel
 *   is ignored gives a loss of 0 and no gradient (PyTorch gives NaN, which would poison the
 *   weights).
 * - mse_masked, l1_masked: Σ mask·err / Σ mask (DLSIA's masked losses), a plain mean without a
 *   mask; an all-zero mask again gives 0.
 * - dice, focal, tversky: DLSIA's binary losses on probabilities, flattened.
 *
 * Sums are accumulated in double, per task for cross-entropy (split by rows, reduced in task
 * order), so results are deterministic for a fixed thread count.
 */
#include "engine-private.h"
#include "ref.h"

#include <math.h>

/* ---- cross-entropy ---- */

typedef struct
{
  DlsGraph *g;
  DlsNodeImpl *n;
  DlsView x, dx;
  const int32_t *labels;
  double *partials; /* per task: Σ w·loss, Σ w */
  float scale;      /* backward: dL / Σ w */
} CeJob;

static float
class_weight (const DlsNodeImpl *n, int k)
{
  return n->a.ce.weights ? n->a.ce.weights[k] : 1.0f;
}

static void
ce_forward_task (void *data, int task, int n_tasks)
{
  CeJob *j = data;
  DlsShape s = dls_input_node (j->g, j->n, 0)->shape;
  int K = s.c, ignore = j->n->a.ce.ignore;
  double sum = 0, wsum = 0;
  int64_t lo, hi;

  dls_split ((int64_t) s.n * s.h, n_tasks, task, &lo, &hi);
  for (int64_t r = lo; r < hi; r++)
    {
      int n = r / s.h, y = r % s.h;
      const int32_t *lab = j->labels + r * s.w;
      for (int x = 0; x < s.w; x++)
        {
          float m = -INFINITY, e = 0.0f;
          if (lab[x] == ignore)
            continue;
          for (int k = 0; k < K; k++)
            m = fmaxf (m, *dls_view_at (j->x, n, k, y, x));
          for (int k = 0; k < K; k++)
            e += expf (*dls_view_at (j->x, n, k, y, x) - m);
          {
            double loss = (double) m + log ((double) e) - *dls_view_at (j->x, n, lab[x], y, x);
            double w = class_weight (j->n, lab[x]);
            sum += w * loss;
            wsum += w;
          }
        }
    }
  j->partials[2 * task] = sum;
  j->partials[2 * task + 1] = wsum;
}

static void
ce_backward_task (void *data, int task, int n_tasks)
{
  CeJob *j = data;
  DlsShape s = dls_input_node (j->g, j->n, 0)->shape;
  int K = s.c, ignore = j->n->a.ce.ignore;
  int64_t lo, hi;

  dls_split ((int64_t) s.n * s.h, n_tasks, task, &lo, &hi);
  for (int64_t r = lo; r < hi; r++)
    {
      int n = r / s.h, y = r % s.h;
      const int32_t *lab = j->labels + r * s.w;
      for (int x = 0; x < s.w; x++)
        {
          float m = -INFINITY, e = 0.0f, k_w;
          if (lab[x] == ignore)
            continue;
          for (int k = 0; k < K; k++)
            m = fmaxf (m, *dls_view_at (j->x, n, k, y, x));
          for (int k = 0; k < K; k++)
            e += expf (*dls_view_at (j->x, n, k, y, x) - m);
          k_w = j->scale * class_weight (j->n, lab[x]);
          for (int k = 0; k < K; k++)
            {
              float p = expf (*dls_view_at (j->x, n, k, y, x) - m) / e;
              *dls_view_at (j->dx, n, k, y, x) += k_w * (p - (k == lab[x] ? 1.0f : 0.0f));
            }
        }
    }
}

static void
ce_plan (DlsGraph *g, DlsNodeImpl *n)
{
  n->aux_bytes = sizeof (double) * 2 * (dls_graph_tasks (g) + 1);
}

static int
ce_tasks (DlsGraph *g, DlsNodeImpl *n)
{
  return dls_shape_numel (dls_input_node (g, n, 0)->shape) < 16384 ? 1 : dls_graph_tasks (g);
}

static void
ce_forward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *x = dls_input_node (g, n, 0);
  CeJob j = { g, n, x->value, x->grad, dls_input_node (g, n, 1)->aux, n->aux };
  int T = ce_tasks (g, n);
  double sum = 0, wsum = 0;

  dls_parallel (T, ce_forward_task, &j);
  for (int t = 0; t < T; t++)
    sum += j.partials[2 * t], wsum += j.partials[2 * t + 1];
  /* kept for backward, after the task partials */
  j.partials[2 * dls_graph_tasks (g)] = wsum;
  n->value.p[0] = wsum > 0 ? (float) (sum / wsum) : 0.0f;
}

static void
ce_backward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *x = dls_input_node (g, n, 0);
  CeJob j = { g, n, x->value, x->grad, dls_input_node (g, n, 1)->aux, n->aux };
  double wsum = j.partials[2 * dls_graph_tasks (g)];

  if (!x->requires_grad || wsum <= 0)
    return;
  j.scale = (float) (n->grad.p[0] / wsum);
  dls_parallel (ce_tasks (g, n), ce_backward_task, &j);
}

/* ---- element-wise losses over flattened tensors ---- */

/* Runs the statement block on every element of same-shaped views, in NCHW order; AT (view)
 * is the current element. */
#define FOR_EACH(s, ...)                   \
  for (int _n = 0; _n < (s).n; _n++)       \
    for (int _c = 0; _c < (s).c; _c++)     \
      for (int _y = 0; _y < (s).h; _y++)   \
        for (int _x = 0; _x < (s).w; _x++) \
  __VA_ARGS__

#define AT(v) (*dls_view_at ((v), _n, _c, _y, _x))

static void
masked_forward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *p = dls_input_node (g, n, 0), *t = dls_input_node (g, n, 1);
  DlsNodeImpl *m = n->n_in > 2 ? dls_input_node (g, n, 2) : NULL;
  bool l1 = n->op == DLS_OP_L1_MASKED;
  double sum = 0, msum = 0;

  FOR_EACH (p->shape, {
    double e = (double) AT (p->value) - AT (t->value);
    double w = m ? AT (m->value) : 1.0;
    sum += w * (l1 ? fabs (e) : e * e);
    msum += w;
  })
  n->value.p[0] = msum != 0 ? (float) (sum / msum) : 0.0f;
  *(double *) n->aux = msum;
}

static void
masked_backward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *p = dls_input_node (g, n, 0), *t = dls_input_node (g, n, 1);
  DlsNodeImpl *m = n->n_in > 2 ? dls_input_node (g, n, 2) : NULL;
  bool l1 = n->op == DLS_OP_L1_MASKED;
  double msum = *(double *) n->aux;
  float k;

  if (msum == 0)
    return;
  k = (float) (n->grad.p[0] / msum);
  FOR_EACH (p->shape, {
    float e = AT (p->value) - AT (t->value);
    float w = m ? AT (m->value) : 1.0f;
    float d = k * w * (l1 ? (float) ((e > 0) - (e < 0)) : 2.0f * e);
    if (p->requires_grad)
      AT (p->grad) += d;
    if (t->requires_grad)
      AT (t->grad) -= d;
  })
}

static void
scalar_aux_plan (DlsGraph *g, DlsNodeImpl *n)
{
  n->aux_bytes = 4 * sizeof (double);
}

/* Σp, Σt, Σpt (dice, tversky) in aux[0..2]. */
static void
sums (DlsNodeImpl *p, DlsNodeImpl *t, double *sp, double *st, double *spt)
{
  *sp = *st = *spt = 0;
  FOR_EACH (p->shape, {
    double a = AT (p->value), b = AT (t->value);
    *sp += a;
    *st += b;
    *spt += a * b;
  })
}

static void
dice_forward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *p = dls_input_node (g, n, 0), *t = dls_input_node (g, n, 1);
  double *a = n->aux, s = n->a.loss.smooth;

  sums (p, t, &a[0], &a[1], &a[2]);
  n->value.p[0] = (float) (1.0 - (2 * a[2] + s) / (a[0] + a[1] + s));
}

static void
dice_backward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *p = dls_input_node (g, n, 0), *t = dls_input_node (g, n, 1);
  double *a = n->aux, s = n->a.loss.smooth, den = a[0] + a[1] + s, num = 2 * a[2] + s;
  double k = n->grad.p[0];

  if (!p->requires_grad)
    return;
  FOR_EACH (p->shape, {
    double ti = AT (t->value);
    AT (p->grad) += (float) (-k * (2 * ti * den - num) / (den * den));
  })
}

static void
tversky_forward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *p = dls_input_node (g, n, 0), *t = dls_input_node (g, n, 1);
  double *a = n->aux, s = n->a.loss.smooth, al = n->a.loss.alpha, be = n->a.loss.beta;
  double tp, fp, fn;

  sums (p, t, &a[0], &a[1], &a[2]);
  tp = a[2], fp = a[0] - a[2], fn = a[1] - a[2];
  n->value.p[0] = (float) (1.0 - (tp + s) / (tp + al * fp + be * fn + s));
}

static void
tversky_backward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *p = dls_input_node (g, n, 0), *t = dls_input_node (g, n, 1);
  double *a = n->aux, s = n->a.loss.smooth, al = n->a.loss.alpha, be = n->a.loss.beta;
  double tp = a[2], fp = a[0] - a[2], fn = a[1] - a[2];
  double num = tp + s, den = tp + al * fp + be * fn + s, k = n->grad.p[0];

  if (!p->requires_grad)
    return;
  FOR_EACH (p->shape, {
    double ti = AT (t->value);
    double dden = ti + al * (1 - ti) - be * ti;
    AT (p->grad) += (float) (-k * (ti * den - num * dden) / (den * den));
  })
}

/* PyTorch's binary_cross_entropy clamps each log at −100. */
static double
clamped_log (double x)
{
  return fmax (log (x), -100.0);
}

static double
focal_of_bce (double bce, double alpha, double gamma)
{
  return alpha * pow (1 - exp (-bce), gamma) * bce;
}

static double
focal_dbce (double bce, double alpha, double gamma)
{
  double e = exp (-bce), q = 1 - e;
  double dq = gamma == 0 ? 0 : gamma * pow (q, gamma - 1) * e;
  return alpha * (pow (q, gamma) + bce * dq);
}

static void
focal_forward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *p = dls_input_node (g, n, 0), *t = dls_input_node (g, n, 1);
  double *a = n->aux, sum = 0, count = (double) dls_shape_numel (p->shape);

  FOR_EACH (p->shape, {
    double pi = AT (p->value), ti = AT (t->value);
    sum -= ti * clamped_log (pi) + (1 - ti) * clamped_log (1 - pi);
  })
  a[0] = sum / count;
  n->value.p[0] = (float) focal_of_bce (a[0], n->a.loss.alpha, n->a.loss.gamma);
}

static void
focal_backward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *p = dls_input_node (g, n, 0), *t = dls_input_node (g, n, 1);
  double *a = n->aux, count = (double) dls_shape_numel (p->shape);
  double k = n->grad.p[0] * focal_dbce (a[0], n->a.loss.alpha, n->a.loss.gamma) / count;

  if (!p->requires_grad)
    return;
  FOR_EACH (p->shape, {
    double pi = AT (p->value), ti = AT (t->value);
    AT (p->grad) += (float) (k * (pi - ti) / fmax ((1 - pi) * pi, 1e-12));
  })
}

const DlsOpInfo dls_op_cross_entropy
    = { DLS_OP_CROSS_ENTROPY, "cross_entropy", ce_plan, ce_forward, ce_backward };
const DlsOpInfo dls_op_mse_masked
    = { DLS_OP_MSE_MASKED, "mse_masked", scalar_aux_plan, masked_forward, masked_backward };
const DlsOpInfo dls_op_l1_masked
    = { DLS_OP_L1_MASKED, "l1_masked", scalar_aux_plan, masked_forward, masked_backward };
const DlsOpInfo dls_op_dice = { DLS_OP_DICE, "dice", scalar_aux_plan, dice_forward, dice_backward };
const DlsOpInfo dls_op_focal
    = { DLS_OP_FOCAL, "focal", scalar_aux_plan, focal_forward, focal_backward };
const DlsOpInfo dls_op_tversky
    = { DLS_OP_TVERSKY, "tversky", scalar_aux_plan, tversky_forward, tversky_backward };

/* ---- reference loops ---- */

double
dls_ref_cross_entropy_forward (const double *logits, const int32_t *labels, int N, int K, int HW,
                               int ignore, const double *weights)
{
  double sum = 0, wsum = 0;

  for (int n = 0; n < N; n++)
    for (int i = 0; i < HW; i++)
      {
        int y = labels[(int64_t) n * HW + i];
        double m = -INFINITY, e = 0, w;
        if (y == ignore)
          continue;
        for (int k = 0; k < K; k++)
          m = fmax (m, logits[((int64_t) n * K + k) * HW + i]);
        for (int k = 0; k < K; k++)
          e += exp (logits[((int64_t) n * K + k) * HW + i] - m);
        w = weights ? weights[y] : 1.0;
        sum += w * (m + log (e) - logits[((int64_t) n * K + y) * HW + i]);
        wsum += w;
      }
  return wsum > 0 ? sum / wsum : 0.0;
}

void
dls_ref_cross_entropy_backward (double *dlogits, double dloss, const double *logits,
                                const int32_t *labels, int N, int K, int HW, int ignore,
                                const double *weights)
{
  double wsum = 0;

  for (int64_t i = 0; i < (int64_t) N * HW; i++)
    if (labels[i] != ignore)
      wsum += weights ? weights[labels[i]] : 1.0;
  if (wsum <= 0)
    return;
  for (int n = 0; n < N; n++)
    for (int i = 0; i < HW; i++)
      {
        int y = labels[(int64_t) n * HW + i];
        double m = -INFINITY, e = 0, w;
        if (y == ignore)
          continue;
        for (int k = 0; k < K; k++)
          m = fmax (m, logits[((int64_t) n * K + k) * HW + i]);
        for (int k = 0; k < K; k++)
          e += exp (logits[((int64_t) n * K + k) * HW + i] - m);
        w = weights ? weights[y] : 1.0;
        for (int k = 0; k < K; k++)
          {
            int64_t j = ((int64_t) n * K + k) * HW + i;
            dlogits[j] += dloss * w / wsum * (exp (logits[j] - m) / e - (k == y));
          }
      }
}

double
dls_ref_masked_forward (const double *p, const double *t, const double *mask, int64_t n, bool l1)
{
  double sum = 0, msum = 0;

  for (int64_t i = 0; i < n; i++)
    {
      double e = p[i] - t[i], w = mask ? mask[i] : 1.0;
      sum += w * (l1 ? fabs (e) : e * e);
      msum += w;
    }
  return msum != 0 ? sum / msum : 0.0;
}

void
dls_ref_masked_backward (double *dp, double *dt, double dloss, const double *p, const double *t,
                         const double *mask, int64_t n, bool l1)
{
  double msum = 0;

  for (int64_t i = 0; i < n; i++)
    msum += mask ? mask[i] : 1.0;
  if (msum == 0)
    return;
  for (int64_t i = 0; i < n; i++)
    {
      double e = p[i] - t[i], w = mask ? mask[i] : 1.0;
      double d = dloss * w / msum * (l1 ? (double) ((e > 0) - (e < 0)) : 2 * e);
      if (dp)
        dp[i] += d;
      if (dt)
        dt[i] -= d;
    }
}

double
dls_ref_dice_forward (const double *p, const double *t, int64_t n, double smooth)
{
  double sp = 0, st = 0, spt = 0;

  for (int64_t i = 0; i < n; i++)
    sp += p[i], st += t[i], spt += p[i] * t[i];
  return 1 - (2 * spt + smooth) / (sp + st + smooth);
}

void
dls_ref_dice_backward (double *dp, double dloss, const double *p, const double *t, int64_t n,
                       double smooth)
{
  double sp = 0, st = 0, spt = 0, den, num;

  for (int64_t i = 0; i < n; i++)
    sp += p[i], st += t[i], spt += p[i] * t[i];
  den = sp + st + smooth, num = 2 * spt + smooth;
  for (int64_t i = 0; i < n; i++)
    dp[i] += -dloss * (2 * t[i] * den - num) / (den * den);
}

double
dls_ref_focal_forward (const double *p, const double *t, int64_t n, double alpha, double gamma)
{
  double bce = 0;

  for (int64_t i = 0; i < n; i++)
    bce -= t[i] * clamped_log (p[i]) + (1 - t[i]) * clamped_log (1 - p[i]);
  return focal_of_bce (bce / n, alpha, gamma);
}

void
dls_ref_focal_backward (double *dp, double dloss, const double *p, const double *t, int64_t n,
                        double alpha, double gamma)
{
  double bce = 0, k;

  for (int64_t i = 0; i < n; i++)
    bce -= t[i] * clamped_log (p[i]) + (1 - t[i]) * clamped_log (1 - p[i]);
  bce /= n;
  k = dloss * focal_dbce (bce, alpha, gamma) / n;
  for (int64_t i = 0; i < n; i++)
    dp[i] += k * (p[i] - t[i]) / fmax ((1 - p[i]) * p[i], 1e-12);
}

double
dls_ref_tversky_forward (const double *p, const double *t, int64_t n, double alpha, double beta,
                         double smooth)
{
  double tp = 0, fp = 0, fn = 0;

  for (int64_t i = 0; i < n; i++)
    tp += p[i] * t[i], fp += (1 - t[i]) * p[i], fn += t[i] * (1 - p[i]);
  return 1 - (tp + smooth) / (tp + alpha * fp + beta * fn + smooth);
}

void
dls_ref_tversky_backward (double *dp, double dloss, const double *p, const double *t, int64_t n,
                          double alpha, double beta, double smooth)
{
  double tp = 0, fp = 0, fn = 0, num, den;

  for (int64_t i = 0; i < n; i++)
    tp += p[i] * t[i], fp += (1 - t[i]) * p[i], fn += t[i] * (1 - p[i]);
  num = tp + smooth, den = tp + alpha * fp + beta * fn + smooth;
  for (int64_t i = 0; i < n; i++)
    dp[i] += -dloss * (t[i] * den - num * (t[i] + alpha * (1 - t[i]) - beta * t[i])) / (den * den);
}
