/* SPDX-License-Identifier: MIT
 *
 * optim.c: Adam and SGD with momentum, step for step what torch.optim does (single-tensor code
 * path of PyTorch 1.13, weight decay as L2 added to the gradient), over the contiguous weight
 * buffer of a DlsParams.  Moments live in contiguous buffers of the same length.
 */
#include "engine-private.h"

#include <math.h>

typedef enum
{
  OPT_ADAM,
  OPT_SGD
} OptKind;

struct _DlsOptimizer
{
  OptKind kind;
  DlsParams *params;
  DlsAdamArgs adam;
  DlsSgdArgs sgd;
  float *m, *v; /* Adam: first and second moments; SGD: momentum buffer in m */
  int64_t n;
  int64_t steps;
};

static DlsOptimizer *
optimizer_new (DlsParams *p, OptKind kind)
{
  DlsOptimizer *opt = g_new0 (DlsOptimizer, 1);

  g_return_val_if_fail (dls_params_is_allocated (p), NULL);
  opt->kind = kind;
  opt->params = dls_params_ref (p);
  opt->n = dls_params_n_weights (p);
  opt->m = g_new0 (float, opt->n + 1);
  if (kind == OPT_ADAM)
    opt->v = g_new0 (float, opt->n + 1);
  return opt;
}

DlsOptimizer *
dls_optimizer_new_adam (DlsParams *p, const DlsAdamArgs *args)
{
  DlsOptimizer *opt = optimizer_new (p, OPT_ADAM);

  opt->adam = args ? *args : (DlsAdamArgs){ 0 };
  if (opt->adam.lr <= 0)
    opt->adam.lr = 1e-3f;
  if (opt->adam.beta1 == 0 && opt->adam.beta2 == 0)
    {
      opt->adam.beta1 = 0.9f;
      opt->adam.beta2 = 0.999f;
    }
  if (opt->adam.eps <= 0)
    opt->adam.eps = 1e-8f;
  return opt;
}

DlsOptimizer *
dls_optimizer_new_sgd (DlsParams *p, const DlsSgdArgs *args)
{
  DlsOptimizer *opt = optimizer_new (p, OPT_SGD);

  opt->sgd = args ? *args : (DlsSgdArgs){ .lr = 1e-2f };
  return opt;
}

void
dls_optimizer_free (DlsOptimizer *opt)
{
  if (opt == NULL)
    return;
  dls_params_unref (opt->params);
  g_free (opt->m);
  g_free (opt->v);
  g_free (opt);
}

void
dls_optimizer_set_lr (DlsOptimizer *opt, float lr)
{
  if (opt->kind == OPT_ADAM)
    opt->adam.lr = lr;
  else
    opt->sgd.lr = lr;
}

int64_t
dls_optimizer_steps (DlsOptimizer *opt)
{
  return opt->steps;
}

static void
adam_step (DlsOptimizer *opt)
{
  float *p = dls_params_weights (opt->params), *grad = dls_params_grads (opt->params);
  const DlsAdamArgs *a = &opt->adam;
  /* PyTorch computes the bias corrections in double (Python floats), then uses them as
   * scalars in float arithmetic. */
  double bc1 = 1.0 - pow (a->beta1, (double) opt->steps);
  double bc2 = 1.0 - pow (a->beta2, (double) opt->steps);
  float step_size = (float) (a->lr / bc1);
  float bc2_sqrt = (float) sqrt (bc2);
  float one_b1 = (float) (1.0 - a->beta1), one_b2 = (float) (1.0 - a->beta2);

  for (int64_t i = 0; i < opt->n; i++)
    {
      float g = grad[i];
      if (a->weight_decay != 0.0f)
        g = g + a->weight_decay * p[i];
      opt->m[i] = opt->m[i] * a->beta1 + one_b1 * g;
      opt->v[i] = opt->v[i] * a->beta2 + one_b2 * g * g;
      p[i] -= step_size * (opt->m[i] / (sqrtf (opt->v[i]) / bc2_sqrt + a->eps));
    }
}

static void
sgd_step (DlsOptimizer *opt)
{
  float *p = dls_params_weights (opt->params), *grad = dls_params_grads (opt->params);
  const DlsSgdArgs *a = &opt->sgd;

  for (int64_t i = 0; i < opt->n; i++)
    {
      float d = grad[i];
      if (a->weight_decay != 0.0f)
        d = d + a->weight_decay * p[i];
      if (a->momentum != 0.0f)
        {
          if (opt->steps == 1)
            opt->m[i] = d;
          else
            opt->m[i] = opt->m[i] * a->momentum + (1.0f - a->dampening) * d;
          d = a->nesterov ? d + a->momentum * opt->m[i] : opt->m[i];
        }
      p[i] -= a->lr * d;
    }
}

void
dls_optimizer_step (DlsOptimizer *opt)
{
  opt->steps++;
  if (opt->kind == OPT_ADAM)
    adam_step (opt);
  else
    sgd_step (opt);
}
