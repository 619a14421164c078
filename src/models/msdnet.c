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
