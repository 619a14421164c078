/* SPDX-License-Identifier: MIT
 *
 * msdnet.c: DLSIA's MixedScaleDenseNetwork (reference §2.1), 2-D, kernel 3.
 *
 * Layer i convolves the whole stack so far (C_in + i·w channels) into w new channels, each with
 * its own dilation, and appends them; the activation and BatchNorm then run over the whole new
 * stack, so old maps pass through ReLU + BN again at every layer.  That is what DLSIA computes
 * (its nn.Sequential also ReLUs the raw input first, because the activation module is registered
 * before the layers), and weights trained in PyTorch need it.  The concat aliases: each BN
 * writes straight into the channel range of the next stack.
 *
 * Not reproduced: a final_layer that DLSIA would also apply to the input (its bug 2).
 */
#include "config.h"

#include "models.h"

static int
msd_dilation (const DlsModelConfig *c, int layer, int j)
{
  int k = layer * c->layer_width + j;

  if (c->custom_dilations != NULL && c->n_custom_dilations > 0)
    return c->custom_dilations[k % c->n_custom_dilations];
  return k % c->max_dilation + 1;
}

gboolean
dls_msdnet_build (DlsGraph *g, const DlsModelConfig *c, DlsNode x, DlsModelNodes *out)
{
  int w = c->layer_width;
  DlsNode h = dls_graph_relu (g, x);
  DlsNode *parts = g_new (DlsNode, w + 1);

  if (c->dropout_set && c->dropout[0] > 0)
    h = dls_graph_dropout (g, h, (float) c->dropout[0]);
  for (int i = 0; i < c->num_layers; i++)
    {
      parts[0] = h;
      for (int j = 0; j < w; j++)
        {
          int d = msd_dilation (c, i, j);
          DlsConvArgs a = { .padding = d, .dilation = d };
          g_autofree char *name = g_strdup_printf ("layer_%d.conv_%d", i, j);

          parts[j + 1] = dls_model_conv (g, name, h, 1, 3, TRUE, &a);
        }
      h = dls_graph_concat (g, w + 1, parts);
      if (c->dropout_set && c->dropout[1] > 0)
        h = dls_graph_dropout (g, h, (float) c->dropout[1]);
      if (c->batchnorm)
        {
          g_autofree char *name = g_strdup_printf ("normalization_%d", i);

          /* ReLU then BatchNorm over the whole stack, as one op: the ReLU's output of every
           * layer's stack is never stored */
          h = dls_model_relu_bn (g, name, h, DLS_BN_RUNNING_STATS);
        }
      else
        h = dls_graph_relu (g, h);
    }
  g_free (parts);
  if (c->dropout_set && c->dropout[2] > 0)
    h = dls_graph_dropout (g, h, (float) c->dropout[2]);
  out->output
      = dls_model_conv (g, "final_convolution", h, c->out_channels, 1, TRUE, &(DlsConvArgs){ 0 });
  return out->output != DLS_NODE_NONE;
}

static float *
tensor (DlsModel *m, gboolean grad, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static float *
tensor (DlsModel *m, gboolean grad, const char *fmt, ...)
{
  g_autofree char *name = NULL;
  va_list ap;
  int i;

  va_start (ap, fmt);
  name = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  i = dls_params_find (m->params, name);
  if (i < 0)
    return NULL;
  return grad ? dls_params_grad (m->params, i) : dls_params_data (m->params, i);
}

DlsMsdTrain *
dls_msdnet_train_spec_new (DlsModel *m, const char **why)
{
  const DlsModelConfig *c = &m->config;
  int L = c->num_layers, w = c->layer_width, n = MAX (L * w, 1), nl = MAX (L, 1);
  DlsMsdTrain *s;
  int *dil;
  const float **W, **B;
  float **dW, **dB;

  if (c->arch != DLS_ARCH_MSDNET)
    {
      if (why)
        *why = "not an MSDNet";
      return NULL;
    }
  if (c->dropout_set && (c->dropout[0] > 0 || c->dropout[1] > 0 || c->dropout[2] > 0))
    {
      if (why)
        *why = "dropout";
      return NULL;
    }
  s = g_new0 (DlsMsdTrain, 1);
  dil = g_new (int, n);
  W = g_new (const float *, n);
  B = g_new (const float *, n);
  dW = g_new (float *, n);
  dB = g_new (float *, n);
  for (int i = 0; i < L; i++)
    for (int j = 0; j < w; j++)
      {
        int k = i * w + j;

        dil[k] = msd_dilation (c, i, j);
        W[k] = tensor (m, FALSE, "layer_%d.conv_%d.weight", i, j);
        B[k] = tensor (m, FALSE, "layer_%d.conv_%d.bias", i, j);
        dW[k] = tensor (m, TRUE, "layer_%d.conv_%d.weight", i, j);
        dB[k] = tensor (m, TRUE, "layer_%d.conv_%d.bias", i, j);
      }
  *s = (DlsMsdTrain){
    .in_channels = c->in_channels,
    .out_channels = c->out_channels,
    .num_layers = L,
    .width = w,
    .input_relu = true,
    .dilations = dil,
    .w = W,
    .b = B,
    .dw = dW,
    .db = dB,
    .final_w = tensor (m, FALSE, "final_convolution.weight"),
    .final_b = tensor (m, FALSE, "final_convolution.bias"),
    .final_dw = tensor (m, TRUE, "final_convolution.weight"),
    .final_db = tensor (m, TRUE, "final_convolution.bias"),
  };
  if (c->batchnorm)
    {
      const float **ga = g_new (const float *, nl), **be = g_new (const float *, nl);
      float **dga = g_new (float *, nl), **dbe = g_new (float *, nl);
      float **rm = g_new (float *, nl), **rv = g_new (float *, nl);
      int64_t **cnt = g_new (int64_t *, nl);

      for (int i = 0; i < L; i++)
        {
          g_autofree char *cn = g_strdup_printf ("normalization_%d.num_batches_tracked", i);
          int k = dls_params_find (m->params, cn);

          ga[i] = tensor (m, FALSE, "normalization_%d.weight", i);
          be[i] = tensor (m, FALSE, "normalization_%d.bias", i);
          dga[i] = tensor (m, TRUE, "normalization_%d.weight", i);
          dbe[i] = tensor (m, TRUE, "normalization_%d.bias", i);
          rm[i] = tensor (m, FALSE, "normalization_%d.running_mean", i);
          rv[i] = tensor (m, FALSE, "normalization_%d.running_var", i);
          cnt[i] = k >= 0 ? dls_params_counter (m->params, k) : NULL;
        }
      s->gamma = ga;
      s->beta = be;
      s->dgamma = dga;
      s->dbeta = dbe;
      s->running_mean = rm;
      s->running_var = rv;
      s->num_batches_tracked = cnt;
    }
  return s;
}

void
dls_msdnet_train_spec_free (DlsMsdTrain *s)
{
  if (s == NULL)
    return;
  g_free ((gpointer) s->dilations);
  g_free ((gpointer) s->w);
  g_free ((gpointer) s->b);
  g_free ((gpointer) s->dw);
  g_free ((gpointer) s->db);
  g_free ((gpointer) s->gamma);
  g_free ((gpointer) s->beta);
  g_free ((gpointer) s->dgamma);
  g_free ((gpointer) s->dbeta);
  g_free ((gpointer) s->running_mean);
  g_free ((gpointer) s->running_var);
  g_free ((gpointer) s->num_batches_tracked);
  g_free (s);
}
