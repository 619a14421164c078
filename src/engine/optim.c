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
    opt->adam.lr = 1e-3;
  if (opt->adam.beta1 == 0 && opt->adam.beta2 == 0)
    {
      opt->adam.beta1 = 0.9;
      opt->adam.beta2 = 0.999;
    }
  if (opt->adam.eps <= 0)
    opt->adam.eps = 1e-8;
  return opt;
}

DlsOptimizer *
dls_optimizer_new_sgd (DlsParams *p, const DlsSgdArgs *args)
{
  DlsOptimizer *opt = optimizer_new (p, OPT_SGD);

  opt->sgd = args ? *args : (DlsSgdArgs){ .lr = 1e-2 };
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
dls_optimizer_set_lr (DlsOptimizer *opt, double lr)
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
  /* PyTorch computes the bias corrections in double (Python floats), then applies every
   * hyperparameter as a float scalar to float tensors. */
  double bc1 = 1.0 - pow (a->beta1, (double) opt->steps);
  double bc2 = 1.0 - pow (a->beta2, (double) opt->steps);
  float step_size = (float) (a->lr / bc1), bc2_sqrt = (float) sqrt (bc2);
  float b1 = (float) a->beta1, b2 = (float) a->beta2, eps = (float) a->eps;
  float one_b1 = (float) (1.0 - a->beta1), one_b2 = (float) (1.0 - a->beta2);
  float wd = (float) a->weight_decay;

  for (int64_t i = 0; i < opt->n; i++)
    {
      float g = grad[i];
      if (wd != 0.0f)
        g = g + wd * p[i];
      opt->m[i] = opt->m[i] * b1 + one_b1 * g;
      opt->v[i] = opt->v[i] * b2 + one_b2 * g * g;
      p[i] -= step_size * (opt->m[i] / (sqrtf (opt->v[i]) / bc2_sqrt + eps));
    }
}

static void
sgd_step (DlsOptimizer *opt)
{
  float *p = dls_params_weights (opt->params), *grad = dls_params_grads (opt->params);
  const DlsSgdArgs *a = &opt->sgd;
  float lr = (float) a->lr, mom = (float) a->momentum, wd = (float) a->weight_decay;
  float one_damp = (float) (1.0 - a->dampening);

  for (int64_t i = 0; i < opt->n; i++)
    {
      float d = grad[i];
      if (wd != 0.0f)
        d = d + wd * p[i];
      if (mom != 0.0f)
        {
          if (opt->steps == 1)
            opt->m[i] = d;
          else
            opt->m[i] = opt->m[i] * mom + one_damp * d;
          d = a->nesterov ? d + mom * opt->m[i] : opt->m[i];
        }
      p[i] -= lr * d;
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
