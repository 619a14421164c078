/* SPDX-License-Identifier: MIT
 *
 * tunet.c: DLSIA's tunable U-Net (reference §2.2), 2-D, 3×3 convs, 2×2 max pooling.
 *
 * Channels follow DLSIA's integer arithmetic (int() after every product).  The transposed
 * convolutions' output_padding comes from the actual input size, level by level, so any size
 * works (DLSIA fixes it from image_shape at construction).  Skips are concatenated before the
 * upsampled map, as DLSIA does (the plain U-Net does the reverse).
 */
#include "config.h"

#include "models.h"

#define TUNET_MAX_DEPTH 16

static DlsNode
conv_bn_relu (DlsGraph *g, const char *block, int idx, DlsNode x, int out_ch, gboolean bn)
{
  g_autofree char *cname = g_strdup_printf ("%s.%d", block, idx);
  g_autofree char *bname = g_strdup_printf ("%s.%d", block, idx + 1);
  DlsConvArgs a = { .padding = 1 };

  x = dls_model_conv (g, cname, x, out_ch, 3, TRUE, &a);
  if (bn)
    return dls_model_bn_relu (g, bname, x, DLS_BN_RUNNING_STATS);
  return dls_graph_relu (g, x);
}

/* "double": conv → BN → ReLU → conv → BN → ReLU, Sequential indices 0..5. */
static DlsNode
double_conv (DlsGraph *g, const char *block, DlsNode x, int mid, int out, gboolean bn)
{
  x = conv_bn_relu (g, block, 0, x, mid, bn);
  return conv_bn_relu (g, block, 3, x, out, bn);
}

gboolean
dls_tunet_build (DlsGraph *g, const DlsModelConfig *c, DlsNode x, DlsModelNodes *out)
{
  int d = c->depth;
  int e_in[TUNET_MAX_DEPTH], e_mid[TUNET_MAX_DEPTH], e_out[TUNET_MAX_DEPTH];
  int hs[TUNET_MAX_DEPTH + 1], ws[TUNET_MAX_DEPTH + 1];
  DlsNode skip[TUNET_MAX_DEPTH];
  DlsShape s = dls_graph_shape (g, x);

  if (d < 2 || d > TUNET_MAX_DEPTH)
    return FALSE;
  for (int i = 0; i < d; i++)
    {
      e_in[i] = i == 0 ? c->in_channels : e_out[i - 1];
      e_mid[i] = i == 0 ? c->base_channels : (int) (e_in[i] * c->growth_rate);
      e_out[i] = (int) (e_mid[i] * c->hidden_rate);
      if (e_mid[i] < 1 || e_out[i] < 1)
        return FALSE;
    }
  hs[0] = s.h;
  ws[0] = s.w;
  for (int i = 1; i < d; i++)
    {
      hs[i] = hs[i - 1] / 2;
      ws[i] = ws[i - 1] / 2;
      if (hs[i] < 1 || ws[i] < 1)
        return FALSE;
    }

  for (int i = 0; i < d - 1; i++)
    {
      g_autofree char *block = g_strdup_printf ("Encode_%d", i);

      x = double_conv (g, block, x, e_mid[i], e_out[i], c->batchnorm);
      skip[i] = x;
      x = dls_graph_maxpool2d (g, x, 2, 2, 0);
    }
  {
    g_autofree char *block = g_strdup_printf ("Final_layer_%d", d - 1);

    x = double_conv (g, block, x, e_mid[d - 1], e_out[d - 1], c->batchnorm);
  }
  for (int i = d - 2; i >= 0; i--)
    {
      g_autofree char *wn = g_strdup_printf ("Step Up %d.weight", i);
      g_autofree char *bn = g_strdup_printf ("Step Up %d.bias", i);
      g_autofree char *block = g_strdup_printf ("Decode_%d", i);
      int cin = x == DLS_NODE_NONE ? 0 : dls_graph_shape (g, x).c; /* NONE: failed upstream */
      int64_t wshape[4] = { cin, e_out[i], 2, 2 }, bshape[1] = { e_out[i] };
      int oph = hs[i] - 2 * hs[i + 1], opw = ws[i] - 2 * ws[i + 1];
      DlsConvTransposeArgs ta = { .stride = 2, .output_padding = { oph, opw } };
      DlsNode w, b, cat[2];

      w = dls_graph_param (g, wn, 4, wshape);
      b = dls_graph_param (g, bn, 1, bshape);
      x = dls_graph_conv_transpose2d (g, x, w, b, &ta);
      cat[0] = skip[i];
      cat[1] = x;
      x = dls_graph_concat (g, 2, cat);
      x = double_conv (g, block, x, e_out[i], e_mid[i], c->batchnorm);
      if (i == 0)
        out->output
            = dls_model_conv (g, "Decode_0.6", x, c->out_channels, 1, TRUE, &(DlsConvArgs){ 0 });
    }
  return out->output != DLS_NODE_NONE;
}
