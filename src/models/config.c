/* SPDX-License-Identifier: MIT
 *
 * config.c: model configs — DLSIA's defaults, range checks, and the JSON form stored in model
 * files under "dlsia.config".  Keys are DLSIA's constructor argument names, so a PyTorch user
 * can build the same module from the JSON by hand:
 *
 *   {"format": 1, "architecture": "msdnet", "in_channels": 1, "out_channels": 2,
 *    "num_layers": 50, "layer_width": 1, "max_dilation": 10, "custom_msdnet": null,
 *    "normalization": "BatchNorm2d", "dropout": null, "conv_kernel_size": 3,
 *    "final_layer": null, "seed": 7}
 *
 * tunet: image_shape, depth, base_channels, growth_rate, hidden_rate, conv_kernel_size,
 * maxpool_kernel_size, normalization, final_activation.  smsnet: layers, dilation_choices,
 * hidden_out_channels, layer_probabilities {LL_alpha, LL_gamma, LL_max_degree, LL_min_degree, IL,
 * LO, IO}, dilation_mode, network_type, in_shape, out_shape, stride_base and the sampled
 * "graph": {"nodes": N, "edges": [[from, to, dilation, channels], …], "sizes": [...]}.  msae:
 * input_shape, depth, base_channels, growth_rate, latent_dimension, max_dilation, MS_depth,
 * final_action.  sae: in_shape, latent_shape, latent_sequence, dropout_p, depth, dilations,
 * hidden_channels, alpha_range, gamma_range, max_degree, min_degree, pIL, pLO, IO, stride_base,
 * final_transform, encoder_graph, decoder_graph.  msdnet and tunet say "task": "classification"
 * or "regression" (inpainting).  Every model may carry
 * "input_normalization": {"method": "percentile", "low_percentile", "high_percentile", "low",
 * "high"[, "transform": "log1p"]}.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "models.h"

static const char *arch_names[DLS_ARCH_COUNT] = {
  [DLS_ARCH_MSDNET] = "msdnet", [DLS_ARCH_TUNET] = "tunet", [DLS_ARCH_SMSNET] = "smsnet",
  [DLS_ARCH_MSAE] = "msae",     [DLS_ARCH_SAE] = "sae",
};

const char *
dls_arch_name (DlsArch arch)
{
  return arch >= 0 && arch < DLS_ARCH_COUNT ? arch_names[arch] : "unknown";
}

gboolean
dls_arch_from_name (const char *name, DlsArch *arch)
{
  for (int i = 0; i < DLS_ARCH_COUNT; i++)
    if (name && g_ascii_strcasecmp (name, arch_names[i]) == 0)
      {
        *arch = i;
        return TRUE;
      }
  return FALSE;
}

static int *
int_dup (const int *v, int n)
{
  return v && n > 0 ? g_memdup2 (v, sizeof (int) * n) : NULL;
}

static void
set_ints (int **dst, int *n_dst, const int *v, int n)
{
  g_free (*dst);
  *dst = int_dup (v, n);
  *n_dst = n;
}

void
dls_model_config_init (DlsModelConfig *c, DlsArch arch)
{
  static const int dil14[] = { 1, 2, 3, 4 }, dil123[] = { 1, 2, 3 }, seq[] = { 32, 2 };

  memset (c, 0, sizeof *c);
  c->arch = arch;
  c->in_channels = 1;
  c->out_channels = 2;
  c->batchnorm = TRUE;
  c->stride_base = 2;
  switch (arch)
    {
    case DLS_ARCH_MSDNET:
      c->num_layers = 10;
      c->layer_width = 1;
      c->max_dilation = 10;
      break;
    case DLS_ARCH_TUNET:
      c->image_shape[0] = c->image_shape[1] = 64;
      c->depth = 4;
      c->base_channels = 16;
      c->growth_rate = 2;
      c->hidden_rate = 1;
      break;
    case DLS_ARCH_SMSNET:
      /* DLSIA's ensemble builder (construct_2dsms_ensembler) */
      c->sms.layers = 10;
      set_ints (&c->sms.dilation_choices, &c->sms.n_dilation_choices, dil14, 4);
      c->sms.alpha = c->sms.gamma = 0;
      c->sms.max_degree = 0; /* = layers, set in finish */
      c->sms.min_degree = 1;
      c->sms.p_il = c->sms.p_lo = 0.995;
      c->sms.io = TRUE;
      c->network_type = DLS_SMS_CLASSIFICATION;
      c->in_shape[0] = c->in_shape[1] = c->out_shape[0] = c->out_shape[1] = 64;
      break;
    case DLS_ARCH_MSAE:
      c->out_channels = 1;
      c->input_shape[0] = 1;
      c->input_shape[1] = c->input_shape[2] = 32;
      c->depth = 2;
      c->base_channels = 16;
      c->growth_rate = 2;
      c->latent_dimension = 16;
      c->max_dilation = 1;
      c->ms_depth = 2;
      break;
    case DLS_ARCH_SAE:
    default:
      c->out_channels = 1;
      c->in_shape[0] = c->in_shape[1] = 28;
      c->latent_shape[0] = c->latent_shape[1] = 7;
      set_ints (&c->latent_sequence, &c->n_latent_sequence, seq, 2);
      c->dropout_p = 0.05;
      c->depth = 20;
      set_ints (&c->sms.dilation_choices, &c->sms.n_dilation_choices, dil123, 3);
      c->hidden_channels = 10;
      c->sms.alpha = 0.75; /* alpha_range (0.75, 1.0), kept in alpha/gamma … */
      c->sms.gamma = 0.0;  /* … and gamma_range (0, 0.5) */
      c->sms.max_degree = 5;
      c->sms.min_degree = 1;
      c->sms.p_il = c->sms.p_lo = 1.0;
      c->sms.io = TRUE;
      break;
    }
}

void
dls_model_config_clear (DlsModelConfig *c)
{
  g_clear_pointer (&c->custom_dilations, g_free);
  g_clear_pointer (&c->sms.dilation_choices, g_free);
  g_clear_pointer (&c->sms.hidden_out_channels, g_free);
  g_clear_pointer (&c->latent_sequence, g_free);
  dls_sms_graph_clear (&c->graph);
  dls_sms_graph_clear (&c->encoder_graph);
  dls_sms_graph_clear (&c->decoder_graph);
}

void
dls_model_config_copy (DlsModelConfig *dst, const DlsModelConfig *src)
{
  *dst = *src;
  dst->custom_dilations = int_dup (src->custom_dilations, src->n_custom_dilations);
  dst->sms.dilation_choices = int_dup (src->sms.dilation_choices, src->sms.n_dilation_choices);
  dst->sms.hidden_out_channels
      = int_dup (src->sms.hidden_out_channels, src->sms.n_hidden_out_channels);
  dst->latent_sequence = int_dup (src->latent_sequence, src->n_latent_sequence);
  dls_sms_graph_copy (&dst->graph, &src->graph);
  dls_sms_graph_copy (&dst->encoder_graph, &src->encoder_graph);
  dls_sms_graph_copy (&dst->decoder_graph, &src->decoder_graph);
}

static gboolean
check_range (const char *arch, const char *what, double v, double lo, double hi, GError **error)
{
  if (!(v >= lo && v <= hi))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "%s: %s must be between %g and %g, not %g",
                   arch, what, lo, hi, v);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_ints (const char *arch, const char *what, const int *v, int n, int lo, int hi, GError **error)
{
  if (n < 1 || v == NULL)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "%s: %s needs at least one value", arch,
                   what);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    if (!check_range (arch, what, v[i], lo, hi, error))
      return FALSE;
  return TRUE;
}

static int
log_power (int big, int small, int base)
{
  /* DLSIA: floor(log(big/small)/log(base) + 0.5) */
  return (int) floor (log ((double) big / small) / log ((double) base) + 0.5);
}

gboolean
dls_model_config_finish (DlsModelConfig *c, GError **error)
{
  const char *a = dls_arch_name (c->arch);

  if (c->arch < 0 || c->arch >= DLS_ARCH_COUNT)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "unknown architecture");
      return FALSE;
    }
  if (!check_range (a, "in_channels", c->in_channels, 1, 4096, error)
      || !check_range (a, "out_channels", c->out_channels, 1, 4096, error))
    return FALSE;
  if (c->norm_set && !(c->norm_high > c->norm_low))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "%s: the input normalisation maps %g and %g to 0 and 1; the second must be "
                   "larger",
                   a, c->norm_low, c->norm_high);
      return FALSE;
    }
  switch (c->arch)
    {
    case DLS_ARCH_MSDNET:
      if (!check_range (a, "num_layers", c->num_layers, 1, 10000, error)
          || !check_range (a, "layer_width", c->layer_width, 1, 1024, error)
          || !check_range (a, "max_dilation", c->max_dilation, 1, 1024, error))
        return FALSE;
      if (c->custom_dilations
          && !check_ints (a, "custom_msdnet", c->custom_dilations, c->n_custom_dilations, 1, 1024,
                          error))
        return FALSE;
      if (c->dropout_set)
        for (int i = 0; i < 3; i++)
          if (!check_range (a, "dropout", c->dropout[i], 0, 0.999, error))
            return FALSE;
      return TRUE;
    case DLS_ARCH_TUNET:
      return check_range (a, "depth", c->depth, 2, 16, error)
             && check_range (a, "base_channels", c->base_channels, 1, 4096, error)
             && check_range (a, "growth_rate", c->growth_rate, 0.01, 64, error)
             && check_range (a, "hidden_rate", c->hidden_rate, 0.01, 64, error)
             && check_range (a, "image_shape", MIN (c->image_shape[0], c->image_shape[1]), 1,
                             1 << 20, error);
    case DLS_ARCH_SMSNET:
      if (c->sms.max_degree <= 0)
        c->sms.max_degree = c->sms.layers;
      if (c->sms.hidden_out_channels == NULL)
        {
          int h = 3 * c->out_channels;

          set_ints (&c->sms.hidden_out_channels, &c->sms.n_hidden_out_channels, &h, 1);
        }
      if (!check_range (a, "layers", c->sms.layers, 1, 4096, error)
          || !check_ints (a, "dilation_choices", c->sms.dilation_choices, c->sms.n_dilation_choices,
                          1, 1024, error)
          || !check_ints (a, "hidden_out_channels", c->sms.hidden_out_channels,
                          c->sms.n_hidden_out_channels, 1, 4096, error)
          || !check_range (a, "IL", c->sms.p_il, 0, 1, error)
          || !check_range (a, "LO", c->sms.p_lo, 0, 1, error))
        return FALSE;
      if (c->graph.n_edges == 0)
        {
          DlsRng rng;

          dls_rng_init (&rng, c->seed);
          if (!dls_sms_graph_sample (&c->graph, &c->sms, c->in_channels, &rng, error))
            return FALSE;
        }
      return dls_sms_graph_validate (&c->graph, error);
    case DLS_ARCH_MSAE:
      if (c->input_shape[0] != c->in_channels)
        c->input_shape[0] = c->in_channels;
      c->out_channels = c->in_channels;
      return check_range (a, "depth", c->depth, 1, MIN (12, 30), error)
             && check_range (a, "base_channels", c->base_channels, 1, 4096, error)
             && check_range (a, "growth_rate", c->growth_rate, 0.01, 64, error)
             && check_range (a, "latent_dimension", c->latent_dimension, 1, 1 << 20, error)
             && check_range (a, "max_dilation", c->max_dilation, 1, 64, error)
             && check_range (a, "MS_depth", c->ms_depth, 1, 64, error)
             && check_range (a, "input_shape", MIN (c->input_shape[1], c->input_shape[2]),
                             1 << c->depth, 1 << 16, error);
    case DLS_ARCH_SAE:
      {
        int P;

        if (!check_range (a, "latent_shape", MIN (c->latent_shape[0], c->latent_shape[1]), 1,
                          1 << 16, error)
            || !check_range (a, "in_shape", MIN (c->in_shape[0], c->in_shape[1]),
                             MAX (c->latent_shape[0], c->latent_shape[1]), 1 << 16, error)
            || !check_ints (a, "latent_sequence", c->latent_sequence, c->n_latent_sequence, 1,
                            1 << 20, error)
            || !check_ints (a, "dilations", c->sms.dilation_choices, c->sms.n_dilation_choices, 1,
                            1024, error)
            || !check_range (a, "depth", c->depth, 1, 4096, error)
            || !check_range (a, "hidden_channels", c->hidden_channels, 1, 4096, error)
            || !check_range (a, "dropout_p", c->dropout_p, 0, 0.999, error))
          return FALSE;
        P = log_power (c->in_shape[0], c->latent_shape[0], MAX (c->stride_base, 2));
        if (c->encoder_graph.n_edges == 0 || c->decoder_graph.n_edges == 0)
          {
            DlsSmsGraphArgs ga = c->sms;
            DlsRng rng;

            ga.layers = c->depth;
            ga.hidden_out_channels = &c->hidden_channels;
            ga.n_hidden_out_channels = 1;
            dls_rng_init (&rng, c->seed);
            /* DLSIA draws α and γ once for both halves, uniform in their ranges */
            ga.alpha = 0.75 + 0.25 * dls_rng_uniform (&rng);
            ga.gamma = 0.5 * dls_rng_uniform (&rng);
            c->sms.alpha = ga.alpha;
            c->sms.gamma = ga.gamma;
            ga.min_power = -P;
            ga.max_power = 0;
            if (!dls_sms_graph_sample (&c->encoder_graph, &ga, c->in_channels, &rng, error))
              return FALSE;
            ga.min_power = 0;
            ga.max_power = P;
            if (!dls_sms_graph_sample (&c->decoder_graph, &ga, c->out_channels, &rng, error))
              return FALSE;
          }
        return dls_sms_graph_validate (&c->encoder_graph, error)
               && dls_sms_graph_validate (&c->decoder_graph, error);
      }
    case DLS_ARCH_COUNT:
    default:
      break;
    }
  return FALSE;
}

/* ---- JSON ---- */

static JsonNode *
ints_node (const int *v, int n)
{
  JsonArray *arr = json_array_sized_new (n);
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (int i = 0; i < n; i++)
    json_array_add_int_element (arr, v[i]);
  json_node_take_array (node, arr);
  return node;
}

static JsonNode *
graph_node (const DlsSmsGraph *g)
{
  JsonObject *o = json_object_new ();
  JsonArray *edges = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (o, "nodes", g->n_nodes);
  for (int e = 0; e < g->n_edges; e++)
    {
      int v[4] = { g->edges[e].from, g->edges[e].to, g->edges[e].dilation, g->edges[e].channels };

      json_array_add_element (edges, ints_node (v, 4));
    }
  json_object_set_array_member (o, "edges", edges);
  if (g->sizes)
    json_object_set_member (o, "sizes", ints_node (g->sizes, g->n_nodes));
  json_node_take_object (node, o);
  return node;
}

static JsonNode *
pair_node (const int *v)
{
  return ints_node (v, 2);
}

static JsonNode *
doubles_node (const double *v, int n)
{
  JsonArray *arr = json_array_sized_new (n);
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (int i = 0; i < n; i++)
    json_array_add_double_element (arr, v[i]);
  json_node_take_array (node, arr);
  return node;
}

static const char *
network_type_name (DlsSmsNetworkType t)
{
  return t == DLS_SMS_REGRESSION            ? "Regression"
         : t == DLS_SMS_REGRESSION_SIGMOID  ? "Regression_Sigmoid"
         : t == DLS_SMS_REGRESSION_POSITIVE ? "Regression_Positive"
                                            : "Classification";
}

static const char *
dilation_mode_name (DlsSmsDilationMode m)
{
  return m == DLS_SMS_DILATION_NODE          ? "Node"
         : m == DLS_SMS_DILATION_NODE_CYCLIC ? "NodeCyclic"
                                             : "Edges";
}

JsonNode *
dls_model_config_to_json (const DlsModelConfig *c)
{
  JsonObject *o = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_int_member (o, "format", 1);
  json_object_set_string_member (o, "architecture", dls_arch_name (c->arch));
  json_object_set_int_member (o, "in_channels", c->in_channels);
  json_object_set_int_member (o, "out_channels", c->out_channels);
  switch (c->arch)
    {
    case DLS_ARCH_MSDNET:
      json_object_set_int_member (o, "num_layers", c->num_layers);
      json_object_set_int_member (o, "layer_width", c->layer_width);
      json_object_set_int_member (o, "max_dilation", c->max_dilation);
      if (c->custom_dilations)
        json_object_set_member (o, "custom_msdnet",
                                ints_node (c->custom_dilations, c->n_custom_dilations));
      else
        json_object_set_null_member (o, "custom_msdnet");
      if (c->batchnorm)
        json_object_set_string_member (o, "normalization", "BatchNorm2d");
      else
        json_object_set_null_member (o, "normalization");
      if (c->dropout_set)
        json_object_set_member (o, "dropout", doubles_node (c->dropout, 3));
      else
        json_object_set_null_member (o, "dropout");
      json_object_set_int_member (o, "conv_kernel_size", 3);
      json_object_set_null_member (o, "final_layer");
      break;
    case DLS_ARCH_TUNET:
      json_object_set_member (o, "image_shape", pair_node (c->image_shape));
      json_object_set_int_member (o, "depth", c->depth);
      json_object_set_int_member (o, "base_channels", c->base_channels);
      json_object_set_double_member (o, "growth_rate", c->growth_rate);
      json_object_set_double_member (o, "hidden_rate", c->hidden_rate);
      json_object_set_int_member (o, "conv_kernel_size", 3);
      json_object_set_int_member (o, "maxpool_kernel_size", 2);
      if (c->batchnorm)
        json_object_set_string_member (o, "normalization", "BatchNorm2d");
      else
        json_object_set_null_member (o, "normalization");
      json_object_set_null_member (o, "final_activation");
      break;
    case DLS_ARCH_SMSNET:
      {
        JsonObject *lp = json_object_new ();

        json_object_set_int_member (o, "layers", c->sms.layers);
        json_object_set_member (o, "dilation_choices",
                                ints_node (c->sms.dilation_choices, c->sms.n_dilation_choices));
        json_object_set_member (
            o, "hidden_out_channels",
            ints_node (c->sms.hidden_out_channels, c->sms.n_hidden_out_channels));
        json_object_set_double_member (lp, "LL_alpha", c->sms.alpha);
        json_object_set_double_member (lp, "LL_gamma", c->sms.gamma);
        json_object_set_double_member (lp, "LL_max_degree", c->sms.max_degree);
        json_object_set_double_member (lp, "LL_min_degree", c->sms.min_degree);
        json_object_set_double_member (lp, "IL", c->sms.p_il);
        json_object_set_double_member (lp, "LO", c->sms.p_lo);
        json_object_set_boolean_member (lp, "IO", c->sms.io);
        json_object_set_object_member (o, "layer_probabilities", lp);
        json_object_set_string_member (o, "dilation_mode",
                                       dilation_mode_name (c->sms.dilation_mode));
        json_object_set_string_member (o, "network_type", network_type_name (c->network_type));
        json_object_set_member (o, "in_shape", pair_node (c->in_shape));
        json_object_set_member (o, "out_shape", pair_node (c->out_shape));
        json_object_set_int_member (o, "stride_base", c->stride_base);
        json_object_set_member (o, "graph", graph_node (&c->graph));
      }
      break;
    case DLS_ARCH_MSAE:
      json_object_set_member (o, "input_shape", ints_node (c->input_shape, 3));
      json_object_set_int_member (o, "depth", c->depth);
      json_object_set_int_member (o, "base_channels", c->base_channels);
      json_object_set_double_member (o, "growth_rate", c->growth_rate);
      json_object_set_int_member (o, "latent_dimension", c->latent_dimension);
      json_object_set_int_member (o, "max_dilation", c->max_dilation);
      json_object_set_int_member (o, "MS_depth", c->ms_depth);
      if (c->final_sigmoid)
        json_object_set_string_member (o, "final_action", "Sigmoid");
      else
        json_object_set_null_member (o, "final_action");
      break;
    case DLS_ARCH_SAE:
      json_object_set_member (o, "in_shape", pair_node (c->in_shape));
      json_object_set_member (o, "latent_shape", pair_node (c->latent_shape));
      json_object_set_member (o, "latent_sequence",
                              ints_node (c->latent_sequence, c->n_latent_sequence));
      json_object_set_double_member (o, "dropout_p", c->dropout_p);
      json_object_set_int_member (o, "depth", c->depth);
      json_object_set_member (o, "dilations",
                              ints_node (c->sms.dilation_choices, c->sms.n_dilation_choices));
      json_object_set_int_member (o, "hidden_channels", c->hidden_channels);
      json_object_set_double_member (o, "LL_alpha", c->sms.alpha);
      json_object_set_double_member (o, "LL_gamma", c->sms.gamma);
      json_object_set_double_member (o, "max_degree", c->sms.max_degree);
      json_object_set_double_member (o, "min_degree", c->sms.min_degree);
      json_object_set_double_member (o, "pIL", c->sms.p_il);
      json_object_set_double_member (o, "pLO", c->sms.p_lo);
      json_object_set_boolean_member (o, "IO", c->sms.io);
      json_object_set_int_member (o, "stride_base", c->stride_base);
      json_object_set_null_member (o, "final_transform");
      json_object_set_member (o, "encoder_graph", graph_node (&c->encoder_graph));
      json_object_set_member (o, "decoder_graph", graph_node (&c->decoder_graph));
      break;
    case DLS_ARCH_COUNT:
    default:
      break;
    }
  if (c->arch == DLS_ARCH_MSDNET || c->arch == DLS_ARCH_TUNET)
    json_object_set_string_member (o, "task", c->regression ? "regression" : "classification");
  if (c->norm_set)
    {
      JsonObject *n = json_object_new ();

      json_object_set_string_member (n, "method", "percentile");
      if (c->norm_log)
        json_object_set_string_member (n, "transform", "log1p");
      json_object_set_double_member (n, "low_percentile", c->norm_p_low);
      json_object_set_double_member (n, "high_percentile", c->norm_p_high);
      json_object_set_double_member (n, "low", c->norm_low);
      json_object_set_double_member (n, "high", c->norm_high);
      json_object_set_object_member (o, "input_normalization", n);
    }
  if (c->conformal_set)
    {
      JsonObject *n = json_object_new ();

      json_object_set_double_member (n, "alpha", c->conformal_alpha);
      json_object_set_double_member (n, "qhat", c->conformal_qhat);
      json_object_set_int_member (n, "n_calibration", c->conformal_n);
      json_object_set_object_member (o, "conformal", n);
    }
  json_object_set_int_member (o, "seed", (gint64) c->seed);
  json_node_take_object (node, o);
  return node;
}

/* ---- reading, with a message naming the key that is wrong ---- */

typedef struct
{
  JsonObject *o;
  GError **error;
  gboolean ok;
} Reader;

static JsonNode *
member (Reader *r, JsonObject *o, const char *key, gboolean required)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;

  if ((n == NULL || JSON_NODE_HOLDS_NULL (n)) && required && r->ok)
    {
      g_set_error (r->error, DLS_ERROR, DLS_ERROR_ARGUMENT, "model config: “%s” is missing", key);
      r->ok = FALSE;
    }
  return n && !JSON_NODE_HOLDS_NULL (n) ? n : NULL;
}

static gboolean
is_number (JsonNode *n)
{
  GType t;

  if (!JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  t = json_node_get_value_type (n);
  return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE || t == G_TYPE_BOOLEAN;
}

static double
get_num (Reader *r, JsonObject *o, const char *key, gboolean required, double dflt)
{
  JsonNode *n = member (r, o, key, required);

  if (n == NULL)
    return dflt;
  if (!is_number (n))
    {
      if (r->ok)
        g_set_error (r->error, DLS_ERROR, DLS_ERROR_ARGUMENT, "model config: “%s” must be a number",
                     key);
      r->ok = FALSE;
      return dflt;
    }
  return json_node_get_value_type (n) == G_TYPE_INT64     ? (double) json_node_get_int (n)
         : json_node_get_value_type (n) == G_TYPE_BOOLEAN ? json_node_get_boolean (n)
                                                          : json_node_get_double (n);
}

static int
get_int (Reader *r, JsonObject *o, const char *key, gboolean required, int dflt)
{
  double v = get_num (r, o, key, required, dflt);

  if (r->ok && (v != floor (v) || v < -1e9 || v > 1e9))
    {
      g_set_error (r->error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "model config: “%s” must be a whole number", key);
      r->ok = FALSE;
    }
  return r->ok ? (int) v : dflt;
}

/* An array of n_max ints at most; returns the count, or −1 when absent. */
static int
get_ints (Reader *r, JsonObject *o, const char *key, gboolean required, int **out)
{
  JsonNode *n = member (r, o, key, required);
  JsonArray *a;
  int len;

  if (n == NULL)
    return -1;
  if (!JSON_NODE_HOLDS_ARRAY (n)
      || (len = json_array_get_length (a = json_node_get_array (n))) > (1 << 20))
    {
      if (r->ok)
        g_set_error (r->error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                     "model config: “%s” must be a list of whole numbers", key);
      r->ok = FALSE;
      return -1;
    }
  g_free (*out);
  *out = g_new0 (int, MAX (len, 1));
  for (int i = 0; i < len; i++)
    {
      JsonNode *e = json_array_get_element (a, i);

      if (!is_number (e) || json_node_get_value_type (e) != G_TYPE_INT64)
        {
          if (r->ok)
            g_set_error (r->error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                         "model config: “%s” must be a list of whole numbers", key);
          r->ok = FALSE;
          return -1;
        }
      (*out)[i] = (int) CLAMP (json_node_get_int (e), -1000000000, 1000000000);
    }
  return len;
}

static void
get_pair (Reader *r, JsonObject *o, const char *key, gboolean required, int *pair, int n_want)
{
  g_autofree int *v = NULL;
  int n = get_ints (r, o, key, required, &v);

  if (n < 0)
    return;
  if (n != n_want)
    {
      if (r->ok)
        g_set_error (r->error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                     "model config: “%s” must have %d values", key, n_want);
      r->ok = FALSE;
      return;
    }
  memcpy (pair, v, sizeof (int) * n_want);
}

static const char *
get_str (Reader *r, JsonObject *o, const char *key)
{
  JsonNode *n = member (r, o, key, FALSE);

  if (n == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    {
      if (r->ok)
        g_set_error (r->error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                     "model config: “%s” must be a string or null", key);
      r->ok = FALSE;
      return NULL;
    }
  return json_node_get_string (n);
}

static void
get_graph (Reader *r, JsonObject *o, const char *key, DlsSmsGraph *g)
{
  JsonNode *n = member (r, o, key, FALSE);
  JsonObject *go;
  JsonArray *edges;
  JsonNode *en;

  if (n == NULL)
    return;
  if (!JSON_NODE_HOLDS_OBJECT (n))
    goto bad;
  go = json_node_get_object (n);
  en = json_object_get_member (go, "edges");
  if (en == NULL || !JSON_NODE_HOLDS_ARRAY (en))
    goto bad;
  edges = json_node_get_array (en);
  dls_sms_graph_clear (g);
  g->n_nodes = get_int (r, go, "nodes", TRUE, 0);
  if (!r->ok || g->n_nodes < 2 || g->n_nodes > 100000 || json_array_get_length (edges) > 1000000)
    goto bad;
  g->n_edges = json_array_get_length (edges);
  g->edges = g_new0 (DlsSmsEdge, MAX (g->n_edges, 1));
  for (int e = 0; e < g->n_edges; e++)
    {
      JsonNode *item = json_array_get_element (edges, e);
      JsonArray *ea;
      int v[4];

      if (!JSON_NODE_HOLDS_ARRAY (item)
          || json_array_get_length (ea = json_node_get_array (item)) != 4)
        goto bad;
      for (int k = 0; k < 4; k++)
        {
          JsonNode *x = json_array_get_element (ea, k);

          if (!is_number (x) || json_node_get_value_type (x) != G_TYPE_INT64)
            goto bad;
          v[k] = (int) CLAMP (json_node_get_int (x), -1, 1000000);
        }
      g->edges[e] = (DlsSmsEdge){ v[0], v[1], v[2], v[3] };
    }
  {
    g_autofree int *sizes = NULL;
    int ns = get_ints (r, go, "sizes", FALSE, &sizes);

    if (ns >= 0 && ns != g->n_nodes)
      goto bad;
    for (int i = 0; i < ns; i++)
      if (ABS (sizes[i]) > 16)
        goto bad;
    g->sizes = ns >= 0 ? g_steal_pointer (&sizes) : NULL;
  }
  return;
bad:
  if (r->ok)
    g_set_error (r->error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                 "model config: “%s” must be {\"nodes\": N, \"edges\": [[from, to, dilation, "
                 "channels], …]}",
                 key);
  r->ok = FALSE;
}

/* DLSIA's normalization argument: absent means its default, BatchNorm2d; null means none. */
static gboolean
get_norm_name (Reader *r, JsonObject *o)
{
  const char *n;

  if (!json_object_has_member (o, "normalization"))
    return TRUE;
  n = get_str (r, o, "normalization");
  if (n == NULL)
    return FALSE;
  if (g_strcmp0 (n, "BatchNorm2d") != 0 && r->ok)
    {
      g_set_error (r->error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "model config: normalization “%s” is not supported (BatchNorm2d or null)", n);
      r->ok = FALSE;
    }
  return TRUE;
}

/* A seed as the writer stores it: an int64 (seeds past 2^63 wrap to negative numbers), or a
 * whole number written as a float. */
static uint64_t
get_seed (Reader *r, JsonObject *o)
{
  JsonNode *n = member (r, o, "seed", FALSE);
  double v;

  if (n != NULL && is_number (n) && json_node_get_value_type (n) == G_TYPE_INT64)
    return (uint64_t) json_node_get_int (n);
  v = get_num (r, o, "seed", FALSE, 0);
  if (r->ok && !(v == floor (v) && v >= 0 && v < 18446744073709551616.0))
    {
      g_set_error (r->error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "model config: “seed” must be a whole number from 0");
      r->ok = FALSE;
    }
  return r->ok ? (uint64_t) v : 0;
}

static gboolean config_from_json (DlsModelConfig *c, JsonNode *node, GError **error);

/* Whatever went wrong, nothing allocated stays behind in c. */
gboolean
dls_model_config_from_json (DlsModelConfig *c, JsonNode *node, GError **error)
{
  memset (c, 0, sizeof *c);
  if (!config_from_json (c, node, error))
    {
      dls_model_config_clear (c);
      return FALSE;
    }
  return TRUE;
}

static gboolean
config_from_json (DlsModelConfig *c, JsonNode *node, GError **error)
{
  Reader r = { NULL, error, TRUE };
  JsonObject *o;
  const char *arch_name;
  DlsArch arch;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "model config: not a JSON object");
      return FALSE;
    }
  o = r.o = json_node_get_object (node);
  if (get_int (&r, o, "format", FALSE, 1) != 1 && r.ok)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "model config: format %d is newer than this program understands",
                   get_int (&r, o, "format", FALSE, 1));
      return FALSE;
    }
  arch_name = get_str (&r, o, "architecture");
  if (!r.ok)
    return FALSE;
  if (arch_name == NULL || !dls_arch_from_name (arch_name, &arch))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "model config: unknown architecture “%s” (known: msdnet, tunet, smsnet, msae, "
                   "sae)",
                   arch_name ? arch_name : "(none)");
      return FALSE;
    }
  dls_model_config_init (c, arch);
  c->in_channels = get_int (&r, o, "in_channels", arch != DLS_ARCH_MSAE, c->in_channels);
  c->out_channels = get_int (&r, o, "out_channels", arch != DLS_ARCH_MSAE, c->out_channels);
  c->seed = get_seed (&r, o);
  switch (arch)
    {
    case DLS_ARCH_MSDNET:
      c->num_layers = get_int (&r, o, "num_layers", TRUE, 0);
      c->layer_width = get_int (&r, o, "layer_width", FALSE, 1);
      c->max_dilation = get_int (&r, o, "max_dilation", FALSE, 10);
      {
        int n = get_ints (&r, o, "custom_msdnet", FALSE, &c->custom_dilations);

        c->n_custom_dilations = MAX (n, 0);
        if (n == 0)
          g_clear_pointer (&c->custom_dilations, g_free);
      }
      c->batchnorm = get_norm_name (&r, o);
      {
        JsonNode *d = member (&r, o, "dropout", FALSE);

        if (d != NULL)
          {
            JsonArray *a = JSON_NODE_HOLDS_ARRAY (d) ? json_node_get_array (d) : NULL;

            if (a == NULL || json_array_get_length (a) != 3
                || !is_number (json_array_get_element (a, 0))
                || !is_number (json_array_get_element (a, 1))
                || !is_number (json_array_get_element (a, 2)))
              {
                g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                             "model config: “dropout” must be null or three rates");
                return FALSE;
              }
            c->dropout_set = TRUE;
            for (int i = 0; i < 3; i++)
              c->dropout[i] = json_array_get_double_element (a, i);
          }
      }
      if (get_str (&r, o, "final_layer") != NULL && r.ok)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                       "model config: msdnet final_layer is not supported (DLSIA applies it to "
                       "the input too)");
          return FALSE;
        }
      break;
    case DLS_ARCH_TUNET:
      get_pair (&r, o, "image_shape", FALSE, c->image_shape, 2);
      c->depth = get_int (&r, o, "depth", TRUE, 0);
      c->base_channels = get_int (&r, o, "base_channels", TRUE, 0);
      c->growth_rate = get_num (&r, o, "growth_rate", FALSE, 2);
      c->hidden_rate = get_num (&r, o, "hidden_rate", FALSE, 1);
      c->batchnorm = get_norm_name (&r, o);
      if (get_int (&r, o, "conv_kernel_size", FALSE, 3) != 3
          || get_int (&r, o, "maxpool_kernel_size", FALSE, 2) != 2)
        {
          if (r.ok)
            g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                         "model config: only conv_kernel_size 3 and maxpool_kernel_size 2 are "
                         "supported");
          return FALSE;
        }
      break;
    case DLS_ARCH_SMSNET:
      {
        JsonNode *lpn = member (&r, o, "layer_probabilities", FALSE);
        JsonObject *lp = lpn && JSON_NODE_HOLDS_OBJECT (lpn) ? json_node_get_object (lpn) : NULL;
        const char *s;
        int n;

        c->sms.layers = get_int (&r, o, "layers", TRUE, 0);
        n = get_ints (&r, o, "dilation_choices", FALSE, &c->sms.dilation_choices);
        if (n >= 0)
          c->sms.n_dilation_choices = n;
        n = get_ints (&r, o, "hidden_out_channels", FALSE, &c->sms.hidden_out_channels);
        if (n >= 0)
          c->sms.n_hidden_out_channels = n;
        if (lp)
          {
            c->sms.alpha = get_num (&r, lp, "LL_alpha", FALSE, c->sms.alpha);
            c->sms.gamma = get_num (&r, lp, "LL_gamma", FALSE, c->sms.gamma);
            c->sms.max_degree = get_num (&r, lp, "LL_max_degree", FALSE, 0);
            c->sms.min_degree = get_num (&r, lp, "LL_min_degree", FALSE, 1);
            c->sms.p_il = get_num (&r, lp, "IL", FALSE, c->sms.p_il);
            c->sms.p_lo = get_num (&r, lp, "LO", FALSE, c->sms.p_lo);
            c->sms.io = get_num (&r, lp, "IO", FALSE, c->sms.io) != 0;
          }
        s = get_str (&r, o, "dilation_mode");
        c->sms.dilation_mode = g_strcmp0 (s, "Node") == 0         ? DLS_SMS_DILATION_NODE
                               : g_strcmp0 (s, "NodeCyclic") == 0 ? DLS_SMS_DILATION_NODE_CYCLIC
                                                                  : DLS_SMS_DILATION_EDGES;
        s = get_str (&r, o, "network_type");
        if (s == NULL || g_strcmp0 (s, "Classification") == 0)
          c->network_type = DLS_SMS_CLASSIFICATION;
        else if (g_strcmp0 (s, "Regression") == 0)
          c->network_type = DLS_SMS_REGRESSION;
        else if (g_strcmp0 (s, "Regression_Sigmoid") == 0)
          c->network_type = DLS_SMS_REGRESSION_SIGMOID;
        else if (g_strcmp0 (s, "Regression_Positive") == 0)
          c->network_type = DLS_SMS_REGRESSION_POSITIVE;
        else if (r.ok)
          {
            g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                         "model config: network_type “%s” is not supported", s);
            return FALSE;
          }
        get_pair (&r, o, "in_shape", FALSE, c->in_shape, 2);
        get_pair (&r, o, "out_shape", FALSE, c->out_shape, 2);
        c->stride_base = get_int (&r, o, "stride_base", FALSE, 2);
        get_graph (&r, o, "graph", &c->graph);
      }
      break;
    case DLS_ARCH_MSAE:
      get_pair (&r, o, "input_shape", TRUE, c->input_shape, 3);
      c->in_channels = c->out_channels = c->input_shape[0];
      c->depth = get_int (&r, o, "depth", TRUE, 0);
      c->base_channels = get_int (&r, o, "base_channels", TRUE, 0);
      c->growth_rate = get_num (&r, o, "growth_rate", TRUE, 0);
      c->latent_dimension = get_int (&r, o, "latent_dimension", TRUE, 0);
      c->max_dilation = get_int (&r, o, "max_dilation", TRUE, 0);
      c->ms_depth = get_int (&r, o, "MS_depth", TRUE, 0);
      c->final_sigmoid = g_strcmp0 (get_str (&r, o, "final_action"), "Sigmoid") == 0;
      break;
    case DLS_ARCH_SAE:
      {
        int n;

        get_pair (&r, o, "in_shape", TRUE, c->in_shape, 2);
        get_pair (&r, o, "latent_shape", TRUE, c->latent_shape, 2);
        n = get_ints (&r, o, "latent_sequence", FALSE, &c->latent_sequence);
        if (n >= 0)
          c->n_latent_sequence = n;
        c->dropout_p = get_num (&r, o, "dropout_p", FALSE, c->dropout_p);
        c->depth = get_int (&r, o, "depth", FALSE, c->depth);
        n = get_ints (&r, o, "dilations", FALSE, &c->sms.dilation_choices);
        if (n >= 0)
          c->sms.n_dilation_choices = n;
        c->hidden_channels = get_int (&r, o, "hidden_channels", FALSE, c->hidden_channels);
        c->sms.alpha = get_num (&r, o, "LL_alpha", FALSE, c->sms.alpha);
        c->sms.gamma = get_num (&r, o, "LL_gamma", FALSE, c->sms.gamma);
        c->sms.max_degree = get_num (&r, o, "max_degree", FALSE, c->sms.max_degree);
        c->sms.min_degree = get_num (&r, o, "min_degree", FALSE, c->sms.min_degree);
        c->sms.p_il = get_num (&r, o, "pIL", FALSE, c->sms.p_il);
        c->sms.p_lo = get_num (&r, o, "pLO", FALSE, c->sms.p_lo);
        c->sms.io = get_num (&r, o, "IO", FALSE, c->sms.io) != 0;
        c->stride_base = get_int (&r, o, "stride_base", FALSE, 2);
        get_graph (&r, o, "encoder_graph", &c->encoder_graph);
        get_graph (&r, o, "decoder_graph", &c->decoder_graph);
      }
      break;
    case DLS_ARCH_COUNT:
    default:
      break;
    }
  {
    JsonNode *nn = member (&r, o, "input_normalization", FALSE);

    if (nn && JSON_NODE_HOLDS_OBJECT (nn))
      {
        JsonObject *no = json_node_get_object (nn);

        c->norm_set = TRUE;
        c->norm_low = get_num (&r, no, "low", TRUE, 0);
        c->norm_high = get_num (&r, no, "high", TRUE, 1);
        c->norm_p_low = get_num (&r, no, "low_percentile", FALSE, 1);
        c->norm_p_high = get_num (&r, no, "high_percentile", FALSE, 99);
        {
          const char *t = get_str (&r, no, "transform");

          if (t && g_strcmp0 (t, "log1p") != 0 && r.ok)
            {
              g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                           "model config: input transform “%s” is not supported (log1p)", t);
              r.ok = FALSE;
            }
          c->norm_log = t != NULL;
        }
      }
  }
  {
    const char *task = get_str (&r, o, "task");

    if (task && g_strcmp0 (task, "regression") != 0 && g_strcmp0 (task, "classification") != 0
        && r.ok)
      {
        g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                     "model config: task “%s” is neither classification nor regression", task);
        r.ok = FALSE;
      }
    c->regression = g_strcmp0 (task, "regression") == 0;
  }
  {
    JsonNode *cn = member (&r, o, "conformal", FALSE);

    if (cn && JSON_NODE_HOLDS_OBJECT (cn))
      {
        JsonObject *co = json_node_get_object (cn);
        double n;

        c->conformal_set = TRUE;
        c->conformal_alpha = get_num (&r, co, "alpha", TRUE, 0.1);
        c->conformal_qhat = get_num (&r, co, "qhat", TRUE, 1);
        n = get_num (&r, co, "n_calibration", FALSE, 0);
        c->conformal_n = n >= 0 && n < 1e18 ? (int64_t) n : -1;
        if (r.ok
            && !(c->conformal_alpha > 0 && c->conformal_alpha < 1 && c->conformal_qhat >= 0
                 && c->conformal_qhat <= 1 && c->conformal_n >= 0))
          {
            g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                         "model config: the conformal alpha, qhat or n_calibration is out of "
                         "range");
            r.ok = FALSE;
          }
      }
  }
  if (!r.ok)
    {
      dls_model_config_clear (c);
      return FALSE;
    }
  if (!dls_model_config_finish (c, error))
    {
      dls_model_config_clear (c);
      return FALSE;
    }
  return TRUE;
}
