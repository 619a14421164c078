/* SPDX-License-Identifier: MIT
 *
 * model.c: a model is a config plus its parameters.  The parameter set is made by building the
 * network once on a small image, so names, shapes and order always come from the same builder
 * code that later runs it; weights get PyTorch's default initialisation from an explicit seed.
 *
 * Layer helpers shared by the builders live here too: a conv, BatchNorm or linear layer named as
 * PyTorch names its tensors (NAME.weight, NAME.bias, NAME.running_mean, …).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "models.h"

DlsNode
dls_model_conv (DlsGraph *g, const char *name, DlsNode x, int out_ch, int k, gboolean bias,
                const DlsConvArgs *args)
{
  g_autofree char *wn = g_strconcat (name, ".weight", NULL);
  g_autofree char *bn = g_strconcat (name, ".bias", NULL);
  int64_t wshape[4] = { out_ch, 0, k, k };
  int64_t bshape[1] = { out_ch };
  DlsNode w, b = DLS_NODE_NONE;

  /* a failed op upstream: quietly on (dls_graph_shape() would complain) */
  if (x == DLS_NODE_NONE)
    return DLS_NODE_NONE;
  wshape[1] = dls_graph_shape (g, x).c;
  w = dls_graph_param (g, wn, 4, wshape);
  if (bias)
    b = dls_graph_param (g, bn, 1, bshape);
  return dls_graph_conv2d (g, x, w, b, args);
}

static DlsNode
model_bn (DlsGraph *g, const char *name, DlsNode x, DlsBatchNormMode mode, bool pre_relu,
          bool post_relu)
{
  g_autofree char *wn = g_strconcat (name, ".weight", NULL);
  g_autofree char *bn = g_strconcat (name, ".bias", NULL);
  g_autofree char *mn = g_strconcat (name, ".running_mean", NULL);
  g_autofree char *vn = g_strconcat (name, ".running_var", NULL);
  g_autofree char *cn = g_strconcat (name, ".num_batches_tracked", NULL);
  DlsBatchNormArgs args = { .mode = mode, .pre_relu = pre_relu, .post_relu = post_relu };
  int64_t shape[1];
  DlsNode gamma, beta, rm = DLS_NODE_NONE, rv = DLS_NODE_NONE, cnt = DLS_NODE_NONE;

  if (x == DLS_NODE_NONE)
    return DLS_NODE_NONE;
  shape[0] = dls_graph_shape (g, x).c;
  gamma = dls_graph_param (g, wn, 1, shape);
  beta = dls_graph_param (g, bn, 1, shape);
  if (mode == DLS_BN_RUNNING_STATS)
    {
      rm = dls_graph_buffer (g, mn, 1, shape);
      rv = dls_graph_buffer (g, vn, 1, shape);
      cnt = dls_graph_counter (g, cn);
    }
  return dls_graph_batchnorm (g, x, gamma, beta, rm, rv, cnt, &args);
}

DlsNode
dls_model_bn (DlsGraph *g, const char *name, DlsNode x, DlsBatchNormMode mode)
{
  return model_bn (g, name, x, mode, false, false);
}

DlsNode
dls_model_relu_bn (DlsGraph *g, const char *name, DlsNode x, DlsBatchNormMode mode)
{
  return model_bn (g, name, x, mode, true, false);
}

DlsNode
dls_model_bn_relu (DlsGraph *g, const char *name, DlsNode x, DlsBatchNormMode mode)
{
  return model_bn (g, name, x, mode, false, true);
}

DlsNode
dls_model_linear (DlsGraph *g, const char *name, DlsNode x, int out_features)
{
  g_autofree char *wn = g_strconcat (name, ".weight", NULL);
  g_autofree char *bn = g_strconcat (name, ".bias", NULL);
  int64_t wshape[2], bshape[1] = { out_features };
  DlsNode w, b;

  if (x == DLS_NODE_NONE)
    return DLS_NODE_NONE;
  wshape[0] = out_features;
  wshape[1] = dls_graph_shape (g, x).c;
  w = dls_graph_param (g, wn, 2, wshape);
  b = dls_graph_param (g, bn, 1, bshape);
  return dls_graph_linear (g, x, w, b);
}

/* ---- graphs ---- */

typedef gboolean (*BuildFunc) (DlsGraph *g, const DlsModelConfig *c, DlsNode x, DlsModelNodes *out);

static const BuildFunc builders[DLS_ARCH_COUNT] = {
  [DLS_ARCH_MSDNET] = dls_msdnet_build, [DLS_ARCH_TUNET] = dls_tunet_build,
  [DLS_ARCH_SMSNET] = dls_smsnet_build, [DLS_ARCH_MSAE] = dls_msae_build,
  [DLS_ARCH_SAE] = dls_sae_build,
};

DlsGraph *
dls_model_build_graph (DlsModel *m, int n, int h, int w, DlsModelNodes *nodes, GError **error)
{
  const DlsModelConfig *c = &m->config;
  DlsModelNodes out = { DLS_NODE_NONE, DLS_NODE_NONE, DLS_NODE_NONE };
  DlsGraph *g;

  if (n < 1 || h < 1 || w < 1)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE, "an image of %d × %d × %d cannot be used", n,
                   h, w);
      return NULL;
    }
  g = dls_graph_new (m->params);
  out.input = dls_graph_input (g, "input", DLS_SHAPE (n, c->in_channels, h, w), false);
  if (!builders[c->arch](g, c, out.input, &out) || dls_graph_get_error (g) != NULL
      || out.output == DLS_NODE_NONE)
    {
      const GError *e = dls_graph_get_error (g);

      if (e != NULL)
        g_set_error (error, e->domain, e->code, "%s %d × %d: %s", dls_arch_name (c->arch), h, w,
                     e->message);
      else
        g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE,
                     "%s: an image of %d × %d does not fit this network", dls_arch_name (c->arch),
                     h, w);
      dls_graph_free (g);
      return NULL;
    }
  dls_graph_mark_output (g, out.output);
  if (out.latent != DLS_NODE_NONE)
    dls_graph_mark_output (g, out.latent);
  if (nodes)
    *nodes = out;
  return g;
}

/* The smallest image the network takes, for making its parameter set. */
static void
probe_size (const DlsModelConfig *c, int *h, int *w)
{
  switch (c->arch)
    {
    case DLS_ARCH_TUNET:
      *h = c->image_shape[0];
      *w = c->image_shape[1];
      break;
    case DLS_ARCH_MSAE:
      *h = c->input_shape[1];
      *w = c->input_shape[2];
      break;
    case DLS_ARCH_SAE:
      *h = c->in_shape[0];
      *w = c->in_shape[1];
      break;
    case DLS_ARCH_SMSNET:
    case DLS_ARCH_MSDNET:
    default:
      /* reflect padding needs the image wider than the largest dilation */
      *h = *w = 16;
      for (int i = 0; i < c->graph.n_edges; i++)
        *h = *w = MAX (*h, 2 * c->graph.edges[i].dilation + 2);
      break;
    }
}

DlsModel *
dls_model_new (const DlsModelConfig *cfg, GError **error)
{
  g_autoptr (DlsParams) params = dls_params_new ();
  DlsModel *m = g_new0 (DlsModel, 1);
  DlsGraph *g;
  int h, w;

  dls_model_config_copy (&m->config, cfg);
  if (!dls_model_config_finish (&m->config, error))
    {
      dls_model_free (m);
      return NULL;
    }
  m->params = g_steal_pointer (&params);
  probe_size (&m->config, &h, &w);
  g = dls_model_build_graph (m, 1, h, w, NULL, error);
  if (g == NULL)
    {
      dls_model_free (m);
      return NULL;
    }
  dls_graph_free (g);
  if (!dls_params_alloc (m->params, error))
    {
      dls_model_free (m);
      return NULL;
    }
  return m;
}

void
dls_model_free (DlsModel *m)
{
  if (m == NULL)
    return;
  dls_model_config_clear (&m->config);
  if (m->params)
    dls_params_unref (m->params);
  g_free (m);
}

int64_t
dls_model_n_params (DlsModel *m)
{
  return dls_params_n_weights (m->params);
}

/* PyTorch computes fan_in from dimension 1 of every weight: C·k·k for a conv [OC, C, k, k], but
 * OC·k·k for a transposed conv [C, OC, k, k]; IN for a linear [OUT, IN]. */
static int64_t
fan_in (const DlsParamInfo *w)
{
  int64_t f = w->ndim >= 2 ? w->shape[1] : 1;

  for (int d = 2; d < w->ndim; d++)
    f *= w->shape[d];
  return f;
}

void
dls_model_init_weights (DlsModel *m, uint64_t seed)
{
  DlsParams *p = m->params;
  DlsRng rng;
  int n = dls_params_count (p);

  dls_rng_init (&rng, seed);
  for (int i = 0; i < n; i++)
    {
      const DlsParamInfo *info = dls_params_info (p, i);
      const char *dot = strrchr (info->name, '.');
      const char *leaf = dot ? dot + 1 : info->name;
      float *data = info->kind == DLS_PARAM_COUNTER ? NULL : dls_params_data (p, i);
      double bound = 0;
      int partner;

      if (info->kind == DLS_PARAM_COUNTER)
        {
          *dls_params_counter (p, i) = 0;
          continue;
        }
      if (info->kind == DLS_PARAM_BUFFER)
        {
          float v = strcmp (leaf, "running_var") == 0 ? 1.0f : 0.0f;

          for (int64_t k = 0; k < info->numel; k++)
            data[k] = v;
          continue;
        }
      if (strcmp (leaf, "weight") == 0 && info->ndim == 1)
        {
          for (int64_t k = 0; k < info->numel; k++)
            data[k] = 1.0f; /* BatchNorm γ */
          continue;
        }
      if (strcmp (leaf, "weight") == 0)
        bound = 1.0 / sqrt ((double) fan_in (info));
      else
        {
          /* a bias: U(±1/√fan_in) of its weight, 0 for BatchNorm's β */
          g_autofree char *wname
              = g_strdup_printf ("%.*s.weight", (int) (leaf - info->name - 1), info->name);

          partner = dls_params_find (p, wname);
          if (partner >= 0 && dls_params_info (p, partner)->ndim >= 2)
            bound = 1.0 / sqrt ((double) fan_in (dls_params_info (p, partner)));
        }
      for (int64_t k = 0; k < info->numel; k++)
        data[k] = (float) ((2.0 * dls_rng_uniform (&rng) - 1.0) * bound);
    }
}
