/* SPDX-License-Identifier: MIT
 *
 * autoencoders.c: DLSIA's two autoencoders with a dense latent vector.
 *
 * MSAE (msae.py): each encoder level is a MixedScaleWide block — one stack per dilation
 * 1..max_dilation of MS_depth × [3×3 conv → ReLU → BN], concatenated and mixed by a 1×1 conv —
 * then 2×2 max pooling; a linear layer maps the flattened map to the latent vector.  The decoder
 * mirrors it with 2×2 transposed convs.
 *
 * SparseAutoEncoder (sparsenet.py): an SMSNet that strides down to the latent image, a stack of
 * linear layers (Linear → BatchNorm1d → ReLU → Dropout per inner size) down to the latent vector
 * and back up, and an SMSNet that goes back up to the image.
 *
 * Both take exactly the image size they were made for.
 */
#include "config.h"

#include "models.h"

/* MixedScaleWide(in → out, width W, depth D) under `prefix`. */
static DlsNode
ms_wide (DlsGraph *g, const char *prefix, DlsNode x, int out_ch, int width, int depth)
{
  g_autofree DlsNode *parts = g_new (DlsNode, width);
  DlsNode y;

  for (int w = 0; w < width; w++)
    {
      int d = w + 1;

      y = x;
      for (int k = 0; k < depth; k++)
        {
          g_autofree char *cn = g_strdup_printf ("%sDilation %d.ops.%d", prefix, d, 3 * k);
          g_autofree char *bn = g_strdup_printf ("%sDilation %d.ops.%d", prefix, d, 3 * k + 2);
          DlsConvArgs a = { .padding = d, .dilation = d };

          y = dls_model_conv (g, cn, y, out_ch, 3, TRUE, &a);
          y = dls_model_relu_bn (g, bn, y, DLS_BN_RUNNING_STATS); /* ReLU → BN */
        }
      parts[w] = y;
    }
  y = width == 1 ? parts[0] : dls_graph_concat (g, width, parts);
  {
    g_autofree char *an = g_strdup_printf ("%saggregate", prefix);

    return dls_model_conv (g, an, y, out_ch, 1, TRUE, &(DlsConvArgs){ 0 });
  }
}

#define MSAE_MAX_DEPTH 12

gboolean
dls_msae_build (DlsGraph *g, const DlsModelConfig *c, DlsNode x, DlsModelNodes *out)
{
  DlsShape s = dls_graph_shape (g, x);
  int d = c->depth, ch_in[MSAE_MAX_DEPTH], ch_out[MSAE_MAX_DEPTH];
  int hs[MSAE_MAX_DEPTH + 1], ws[MSAE_MAX_DEPTH + 1];
  DlsNode y = x;

  if (d < 1 || d > MSAE_MAX_DEPTH)
    return FALSE;
  if (s.h != c->input_shape[1] || s.w != c->input_shape[2] || s.c != c->input_shape[0])
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "msae takes images of exactly %d × %d × %d (channels × height × width), "
                      "not %d × %d × %d",
                      c->input_shape[0], c->input_shape[1], c->input_shape[2], s.c, s.h, s.w);
      return FALSE;
    }
  ch_in[0] = c->input_shape[0];
  ch_out[0] = c->base_channels;
  for (int i = 1; i < d; i++)
    {
      ch_in[i] = ch_out[i - 1];
      ch_out[i] = (int) (ch_out[i - 1] * c->growth_rate);
    }
  hs[0] = s.h;
  ws[0] = s.w;
  for (int i = 1; i <= d; i++)
    {
      hs[i] = hs[i - 1] / 2;
      ws[i] = ws[i - 1] / 2;
      if (hs[i] < 1 || ws[i] < 1)
        return FALSE;
    }
  for (int i = 0; i < d; i++)
    {
      g_autofree char *p = g_strdup_printf ("encoder.network_operator_sequence.%d.0.", i);

      y = ms_wide (g, p, y, ch_out[i], c->max_dilation, c->ms_depth);
      y = dls_graph_maxpool2d (g, y, 2, 2, 0);
    }
  y = dls_graph_flatten (g, y);
  out->latent = y = dls_model_linear (g, "encoder.final_operator", y, c->latent_dimension);
  y = dls_model_linear (g, "decoder.first_operator", y, ch_out[d - 1] * hs[d] * ws[d]);
  y = dls_graph_reshape (g, y, DLS_SHAPE (s.n, ch_out[d - 1], hs[d], ws[d]));
  for (int j = 0; j < d; j++)
    {
      int i = d - 1 - j;
      g_autofree char *wn = g_strdup_printf ("decoder.network_operator_sequence.%d.0.weight", j);
      g_autofree char *bn = g_strdup_printf ("decoder.network_operator_sequence.%d.0.bias", j);
      g_autofree char *p = g_strdup_printf ("decoder.network_operator_sequence.%d.1.", j);
      int64_t wshape[4] = { ch_out[i], ch_out[i], 2, 2 }, bshape[1] = { ch_out[i] };
      DlsConvTransposeArgs ta
          = { .stride = 2, .output_padding = { hs[i] - 2 * hs[i + 1], ws[i] - 2 * ws[i + 1] } };
      DlsNode w = dls_graph_param (g, wn, 4, wshape), b = dls_graph_param (g, bn, 1, bshape);

      y = dls_graph_conv_transpose2d (g, y, w, b, &ta);
      y = ms_wide (g, p, y, ch_in[i], c->max_dilation, c->ms_depth);
    }
  if (c->final_sigmoid)
    y = dls_graph_sigmoid (g, y);
  out->output = y;
  return y != DLS_NODE_NONE;
}

/* encoder_fc_layers / decoder_fc_layers: Linear, BatchNorm1d, ReLU, Dropout per inner size. */
static DlsNode
fc_stack (DlsGraph *g, const char *prefix, DlsNode x, const int *sizes, int n, int last,
          double dropout_p)
{
  int idx = 0;

  for (int t = 0; t < n; t++)
    {
      g_autofree char *ln = g_strdup_printf ("%s.%d", prefix, idx);
      g_autofree char *bn = g_strdup_printf ("%s.%d", prefix, idx + 1);

      x = dls_model_linear (g, ln, x, sizes[t]);
      x = dls_model_bn_relu (g, bn, x, DLS_BN_RUNNING_STATS);
      if (dropout_p > 0)
        x = dls_graph_dropout (g, x, (float) dropout_p);
      idx += 4;
    }
  {
    g_autofree char *ln = g_strdup_printf ("%s.%d", prefix, idx);

    return dls_model_linear (g, ln, x, last);
  }
}

gboolean
dls_sae_build (DlsGraph *g, const DlsModelConfig *c, DlsNode x, DlsModelNodes *out)
{
  DlsShape s = dls_graph_shape (g, x);
  int base = c->stride_base > 1 ? c->stride_base : 2;
  int lh = c->latent_shape[0], lw = c->latent_shape[1];
  int n_lat = c->out_channels * lh * lw, nseq = c->n_latent_sequence;
  g_autofree int *rev = NULL;
  DlsNode y;

  if (s.h != c->in_shape[0] || s.w != c->in_shape[1] || nseq < 1)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE, "sae takes images of exactly %d × %d, not %d × %d",
                      c->in_shape[0], c->in_shape[1], s.h, s.w);
      return FALSE;
    }
  y = dls_sms_build_edges (g, "encode.", &c->encoder_graph, c->in_channels, x, s.h, s.w, base);
  y = dls_model_conv (g, "encode.Last_Action.0", y, c->out_channels, 1, TRUE, &(DlsConvArgs){ 0 });
  if (y != DLS_NODE_NONE
      && !dls_shape_equal (dls_graph_shape (g, y), DLS_SHAPE (s.n, c->out_channels, lh, lw)))
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE, "sae: the encoder's graph ends at %d × %d, not %d × %d",
                      dls_graph_shape (g, y).h, dls_graph_shape (g, y).w, lh, lw);
      return FALSE;
    }
  y = dls_graph_flatten (g, y);
  out->latent = y = fc_stack (g, "encoder_fc_layers", y, c->latent_sequence, nseq - 1,
                              c->latent_sequence[nseq - 1], c->dropout_p);
  rev = g_new (int, MAX (nseq - 1, 1));
  for (int t = 0; t < nseq - 1; t++)
    rev[t] = c->latent_sequence[nseq - 2 - t];
  y = fc_stack (g, "decoder_fc_layers", y, rev, nseq - 1, n_lat, c->dropout_p);
  y = dls_graph_reshape (g, y, DLS_SHAPE (s.n, c->out_channels, lh, lw));
  y = dls_sms_build_edges (g, "decode.", &c->decoder_graph, c->out_channels, y, lh, lw, base);
  y = dls_model_conv (g, "decode.Last_Action.0", y, c->in_channels, 1, TRUE, &(DlsConvArgs){ 0 });
  if (y != DLS_NODE_NONE
      && !dls_shape_equal (dls_graph_shape (g, y), DLS_SHAPE (s.n, c->in_channels, s.h, s.w)))
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE, "sae: the decoder's graph ends at %d × %d, not %d × %d",
                      dls_graph_shape (g, y).h, dls_graph_shape (g, y).w, s.h, s.w);
      return FALSE;
    }
  out->output = y;
  return y != DLS_NODE_NONE;
}
