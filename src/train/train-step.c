/* SPDX-License-Identifier: MIT
 *
 * train-step.c: forward + loss + backward of one batch, through the model's graph or, for an
 * MSDNet without dropout, through the engine's fused MSDNet training path.  The fused path's
 * loss is the same loss op in a graph of its own whose input stands for the model's output:
 * its gradient there is dLoss/d output, which the fused backward takes.
 */
#include "config.h"

#include "train-step.h"

struct _DlsTrainStep
{
  DlsModel *m;
  int N, H, W;
  DlsGraph *g; /* model + loss, or (fused) the loss alone */
  DlsNode input, output, labels, target, mask, loss;
  DlsMsdTrain *msd;
  DlsMsdTrainWork *work;
  float *out, *dout; /* fused: the model's output and its gradient; graph: a copy of the output */
  gboolean have_out;
  const volatile int *cancel;
};

static gboolean
add_loss (DlsTrainStep *s, DlsStepLoss loss, const float *class_weights, GError **error)
{
  DlsGraph *g = s->g;
  DlsShape os = DLS_SHAPE (s->N, s->m->config.out_channels, s->H, s->W);

  switch (loss)
    {
    case DLS_STEP_CROSS_ENTROPY:
      s->labels = dls_graph_input_labels (g, "labels", s->N, s->H, s->W);
      s->loss = dls_graph_cross_entropy (g, s->output, s->labels, -1, class_weights);
      break;
    case DLS_STEP_MSE_MASKED:
    case DLS_STEP_L1_MASKED:
      s->target = dls_graph_input (g, "target", os, false);
      s->mask = dls_graph_input (g, "mask", os, false);
      s->loss = loss == DLS_STEP_L1_MASKED
                    ? dls_graph_l1_masked (g, s->output, s->target, s->mask)
                    : dls_graph_mse_masked (g, s->output, s->target, s->mask);
      break;
    default:
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "unknown loss %d", loss);
      return FALSE;
    }
  dls_graph_mark_output (g, s->output);
  if (!dls_graph_compile (g, true, error))
    return FALSE;
  dls_graph_set_training (g, true);
  return TRUE;
}

DlsTrainStep *
dls_train_step_new (DlsModel *m, int n, int h, int w, DlsStepLoss loss, const float *class_weights,
                    gboolean fused, GError **error)
{
  g_autoptr (DlsTrainStep) s = g_new0 (DlsTrainStep, 1);
  DlsModelNodes nodes;

  s->m = m;
  s->labels = s->target = s->mask = DLS_NODE_NONE;
  s->N = n;
  s->H = h;
  s->W = w;
  s->msd = fused ? dls_msdnet_train_spec_new (m, NULL) : NULL;
  if (s->msd != NULL)
    {
      int64_t numel = (int64_t) n * m->config.out_channels * h * w;

      if (n < 1 || h < 1 || w < 1)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE, "an image of %d × %d × %d cannot be used",
                       n, h, w);
          return NULL;
        }
      s->g = dls_graph_new (m->params);
      s->output
          = dls_graph_input (s->g, "output", DLS_SHAPE (n, m->config.out_channels, h, w), true);
      s->work = dls_msd_train_work_new ();
      s->out = g_try_new (float, numel);
      s->dout = g_try_new (float, numel);
      if (s->out == NULL || s->dout == NULL)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY, "not enough memory for a batch");
          return NULL;
        }
    }
  else
    {
      s->g = dls_model_build_graph (m, n, h, w, &nodes, error);
      if (s->g == NULL)
        return NULL;
      s->input = nodes.input;
      s->output = nodes.output;
    }
  if (!add_loss (s, loss, class_weights, error))
    return NULL;
  return g_steal_pointer (&s);
}

void
dls_train_step_free (DlsTrainStep *s)
{
  if (s == NULL)
    return;
  g_clear_pointer (&s->g, dls_graph_free);
  g_clear_pointer (&s->msd, dls_msdnet_train_spec_free);
  g_clear_pointer (&s->work, dls_msd_train_work_free);
  g_free (s->out);
  g_free (s->dout);
  g_free (s);
}

gboolean
dls_train_step_is_fused (DlsTrainStep *s)
{
  return s->msd != NULL;
}

void
dls_train_step_set_seed (DlsTrainStep *s, uint64_t seed)
{
  dls_graph_set_seed (s->g, seed);
}

void
dls_train_step_set_cancel_flag (DlsTrainStep *s, const volatile int *flag)
{
  s->cancel = flag;
  dls_graph_set_cancel_flag (s->g, flag);
}

static gboolean
stopped (GError **error)
{
  g_set_error (error, DLS_ERROR, DLS_ERROR_CANCELLED, "cancelled");
  return FALSE;
}

gboolean
dls_train_step_run (DlsTrainStep *s, const float *x, const int32_t *labels, const float *target,
                    const float *mask, double *loss, GError **error)
{
  s->have_out = FALSE;
  if ((s->labels != DLS_NODE_NONE && labels == NULL)
      || (s->target != DLS_NODE_NONE && (target == NULL || mask == NULL)))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "the loss's labels or target are missing");
      return FALSE;
    }
  if ((s->labels != DLS_NODE_NONE && !dls_graph_set_labels (s->g, s->labels, labels, error))
      || (s->target != DLS_NODE_NONE && !dls_graph_set_input (s->g, s->target, target, error))
      || (s->mask != DLS_NODE_NONE && !dls_graph_set_input (s->g, s->mask, mask, error)))
    return FALSE;
  dls_params_zero_grad (s->m->params);
  if (s->msd != NULL)
    {
      if (!dls_msd_train_forward (s->msd, s->work, x, s->N, s->H, s->W, s->out, s->cancel, error)
          || !dls_graph_set_input (s->g, s->output, s->out, error))
        return FALSE;
      if (!dls_graph_forward (s->g) || !dls_graph_backward (s->g, s->loss, NULL))
        return stopped (error);
      s->have_out = TRUE;
      dls_graph_read_grad (s->g, s->output, s->dout);
      if (!dls_msd_train_backward (s->msd, s->work, s->dout, s->cancel, error))
        return FALSE;
    }
  else
    {
      if (!dls_graph_set_input (s->g, s->input, x, error))
        return FALSE;
      if (!dls_graph_forward (s->g) || !dls_graph_backward (s->g, s->loss, NULL))
        return stopped (error);
    }
  *loss = dls_graph_scalar (s->g, s->loss);
  return TRUE;
}

const float *
dls_train_step_output (DlsTrainStep *s)
{
  if (s->msd != NULL)
    return s->out;
  if (s->out == NULL)
    s->out = g_new (float, (int64_t) s->N * s->m->config.out_channels * s->H * s->W);
  if (!s->have_out)
    dls_graph_read (s->g, s->output, s->out);
  s->have_out = TRUE;
  return s->out;
}

size_t
dls_train_step_bytes (DlsTrainStep *s)
{
  return dls_graph_arena_bytes (s->g) + dls_msd_train_work_bytes (s->work);
}
