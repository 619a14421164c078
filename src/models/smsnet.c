/* SPDX-License-Identifier: MIT
 *
 * smsnet.c: DLSIA's sparse mixed-scale networks (reference §2.4): the random graph sampler, the
 * checks on an explicit graph, the parameter formula, and the builder that turns a graph into
 * engine ops.
 *
 * The sampler follows DLSIA's intended rule (distance-weighted targets, degree ∝ k^−γ), not its
 * reference code's relabelling, which silently drops about a fifth of the edges; the sampled
 * graph is part of the model's config, so a saved model never depends on the sampler again.
 *
 * Edge operators, as DLSIA builds them: an edge leaving the input is a 3×3 conv with dilation 1,
 * reflect padding, BatchNorm on batch statistics and ReLU, carrying in_channels (also I→O); a
 * hidden→hidden edge the same with its own dilation; a hidden→output edge a 1×1 conv without
 * bias; then Last_Action, a 1×1 conv with bias (and a sigmoid, or BatchNorm and ReLU, for the
 * regression types).  Nodes at other scales (the autoencoder halves)
 * are reached by strided convs going down and transposed convs (zero padding) going up.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "models.h"

void
dls_sms_graph_clear (DlsSmsGraph *g)
{
  g_clear_pointer (&g->edges, g_free);
  g_clear_pointer (&g->sizes, g_free);
  g->n_nodes = g->n_edges = 0;
}

void
dls_sms_graph_copy (DlsSmsGraph *dst, const DlsSmsGraph *src)
{
  dst->n_nodes = src->n_nodes;
  dst->n_edges = src->n_edges;
  dst->edges = src->edges ? g_memdup2 (src->edges, sizeof (DlsSmsEdge) * src->n_edges) : NULL;
  dst->sizes = src->sizes ? g_memdup2 (src->sizes, sizeof (int) * src->n_nodes) : NULL;
}

/* ---- sampling ---- */

static int
round_half_up (double x)
{
  return (int) (x + 0.5);
}

/* Draws k distinct items of `cand` (n of them) with weights w, without replacement, in draw
 * order, into out. */
static void
weighted_sample (DlsRng *rng, int *cand, double *w, int n, int k, int *out)
{
  for (int t = 0; t < k; t++)
    {
      double total = 0, r, acc = 0;
      int pick = n - 1;

      for (int i = 0; i < n; i++)
        total += w[i];
      r = dls_rng_uniform (rng) * total;
      for (int i = 0; i < n; i++)
        {
          acc += w[i];
          if (r < acc)
            {
              pick = i;
              break;
            }
        }
      out[t] = cand[pick];
      cand[pick] = cand[n - 1];
      w[pick] = w[n - 1];
      n--;
    }
}

static int
pick (DlsRng *rng, const int *choices, int n)
{
  return choices[dls_rng_below (rng, (uint32_t) n)];
}

static int
cmp_edge (const void *a, const void *b)
{
  const DlsSmsEdge *x = a, *y = b;

  if (x->from != y->from)
    return x->from - y->from;
  return x->to - y->to;
}

gboolean
dls_sms_graph_sample (DlsSmsGraph *out, const DlsSmsGraphArgs *a, int in_channels, DlsRng *rng,
                      GError **error)
{
  int L = a->layers;
  g_autofree gboolean *ll = NULL; /* L × L hidden adjacency */
  g_autofree int *indeg = NULL, *outdeg = NULL, *id = NULL, *cand = NULL, *picked = NULL;
  g_autofree double *wts = NULL;
  g_autoptr (GArray) edges = g_array_new (FALSE, FALSE, sizeof (DlsSmsEdge));
  double maxd = a->max_degree > 0 ? a->max_degree : 1.0;
  int n_alive = 0, n_nodes, O;

  if (L < 1 || L > 4096 || a->n_dilation_choices < 1 || a->n_hidden_out_channels < 1)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "smsnet: need 1 to 4096 layers, dilation choices and hidden channel choices");
      return FALSE;
    }
  ll = g_new0 (gboolean, (size_t) L * L);
  indeg = g_new0 (int, L);
  outdeg = g_new0 (int, L);
  cand = g_new (int, L);
  picked = g_new (int, L);
  wts = g_new (double, L);

  /* 1. hidden DAG: node i → k distinct later nodes, P(j) ∝ exp(−α(j − i)), P(k) ∝ k^−γ */
  for (int i = 0; i < L - 1; i++)
    {
      int kmax = L - i, n_cand = L - 1 - i, hi, lo, k;

      if (maxd >= 1)
        hi = MIN ((int) maxd, kmax) - 1;
      else
        hi = MIN (kmax, round_half_up (L * maxd)) - 1;
      if (a->min_degree >= 1)
        lo = MIN ((int) a->min_degree, kmax);
      else
        lo = MAX (1, MIN (kmax, round_half_up (L * a->min_degree)) - 1);
      hi = MAX (hi, 1);
      lo = MAX (lo, 1);
      lo = MIN (lo, hi);
      hi = MIN (hi, n_cand);
      lo = MIN (lo, hi);
      {
        double total = 0, r, acc = 0;

        for (int kk = lo; kk <= hi; kk++)
          total += pow (kk, -a->gamma);
        r = dls_rng_uniform (rng) * total;
        k = hi;
        for (int kk = lo; kk <= hi; kk++)
          {
            acc += pow (kk, -a->gamma);
            if (r < acc)
              {
                k = kk;
                break;
              }
          }
      }
      for (int j = 0; j < n_cand; j++)
        {
          cand[j] = i + 1 + j;
          wts[j] = exp (-a->alpha * (j + 1));
        }
      weighted_sample (rng, cand, wts, n_cand, k, picked);
      for (int t = 0; t < k; t++)
        {
          ll[(size_t) i * L + picked[t]] = TRUE;
          outdeg[i]++;
          indeg[picked[t]]++;
        }
    }

  /* 2. surviving hidden nodes get ids 1..n in order; O is last */
  id = g_new0 (int, L);
  for (int i = 0; i < L; i++)
    id[i] = (indeg[i] > 0 || outdeg[i] > 0) ? ++n_alive : 0;
  n_nodes = n_alive + 2;
  O = n_nodes - 1;

  /* 3. IL: I → every source, plus round(|M ∪ T|·IL) of the others; LO: every sink → O, plus
   * round(|S ∪ M|·LO) of the others */
  {
    g_autofree gboolean *from_i = g_new0 (gboolean, L);
    g_autofree gboolean *to_o = g_new0 (gboolean, L);
    int n = 0;

    for (int i = 0; i < L; i++)
      if (id[i] && indeg[i] == 0)
        from_i[i] = TRUE;
      else if (id[i])
        {
          cand[n] = i;
          wts[n++] = 1;
        }
    {
      int k = MIN (n, round_half_up (n * a->p_il));

      weighted_sample (rng, cand, wts, n, k, picked);
      for (int t = 0; t < k; t++)
        from_i[picked[t]] = TRUE;
    }
    n = 0;
    for (int i = 0; i < L; i++)
      if (id[i] && outdeg[i] == 0)
        to_o[i] = TRUE;
      else if (id[i])
        {
          cand[n] = i;
          wts[n++] = 1;
        }
    {
      int k = MIN (n, round_half_up (n * a->p_lo));

      weighted_sample (rng, cand, wts, n, k, picked);
      for (int t = 0; t < k; t++)
        to_o[picked[t]] = TRUE;
    }

    /* 4. edges with dilations and channels */
    {
      g_autofree int *node_dil = g_new0 (int, n_nodes);
      int cyc = 0;

      for (int i = 0; i < L; i++)
        if (id[i])
          node_dil[id[i]] = a->dilation_mode == DLS_SMS_DILATION_NODE_CYCLIC
                                ? a->dilation_choices[cyc++ % a->n_dilation_choices]
                                : pick (rng, a->dilation_choices, a->n_dilation_choices);
      for (int i = 0; i < L; i++)
        if (from_i[i])
          g_array_append_val (edges, ((DlsSmsEdge){ 0, id[i], 1, in_channels }));
      if (a->io)
        g_array_append_val (edges, ((DlsSmsEdge){ 0, O, 1, in_channels }));
      for (int i = 0; i < L; i++)
        {
          for (int j = i + 1; j < L; j++)
            if (ll[(size_t) i * L + j])
              {
                int d = a->dilation_mode == DLS_SMS_DILATION_EDGES
                            ? pick (rng, a->dilation_choices, a->n_dilation_choices)
                            : node_dil[id[j]];
                int c = pick (rng, a->hidden_out_channels, a->n_hidden_out_channels);

                g_array_append_val (edges, ((DlsSmsEdge){ id[i], id[j], d, c }));
              }
          if (to_o[i])
            {
              int c = pick (rng, a->hidden_out_channels, a->n_hidden_out_channels);

              g_array_append_val (edges, ((DlsSmsEdge){ id[i], O, 1, c }));
            }
        }
    }
  }
  if (edges->len == 0)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "smsnet: the sampled graph has no path from input to output (IO is off and "
                   "no hidden node is connected)");
      return FALSE;
    }
  /* applied source by source, in node order: every node's inputs come before its outputs */
  qsort (edges->data, edges->len, sizeof (DlsSmsEdge), cmp_edge);

  dls_sms_graph_clear (out);
  out->n_nodes = n_nodes;
  out->n_edges = edges->len;
  out->edges = (DlsSmsEdge *) g_array_free (g_steal_pointer (&edges), FALSE);
  out->sizes = g_new0 (int, n_nodes);
  /* 5. node scales, uniform in [min_power, max_power]; I at 0, O at min_power for an encoder
   * (max_power 0) or max_power for a decoder (min_power 0) */
  if (a->min_power < a->max_power)
    {
      for (int v = 1; v < O; v++)
        out->sizes[v] = a->min_power
                        + (int) dls_rng_below (rng, (uint32_t) (a->max_power - a->min_power + 1));
      out->sizes[O] = a->max_power == 0 ? a->min_power : a->max_power;
    }
  return TRUE;
}

gboolean
dls_sms_graph_validate (const DlsSmsGraph *g, GError **error)
{
  g_autofree gboolean *used_as_source = NULL;
  g_autofree gboolean *has_in = NULL, *has_out = NULL;

  if (g->n_nodes < 2 || g->n_edges < 1 || g->edges == NULL)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "smsnet graph: needs at least an input and an output node and one edge");
      return FALSE;
    }
  used_as_source = g_new0 (gboolean, g->n_nodes);
  has_in = g_new0 (gboolean, g->n_nodes);
  has_out = g_new0 (gboolean, g->n_nodes);
  for (int e = 0; e < g->n_edges; e++)
    {
      const DlsSmsEdge *E = &g->edges[e];

      if (E->from < 0 || E->to <= E->from || E->to >= g->n_nodes)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                       "smsnet graph: edge %d (%d → %d) does not go forward between nodes 0 and "
                       "%d",
                       e, E->from, E->to, g->n_nodes - 1);
          return FALSE;
        }
      if (E->dilation < 1 || E->dilation > 1024 || E->channels < 1 || E->channels > 65536)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                       "smsnet graph: edge %d → %d has dilation %d and %d channels", E->from, E->to,
                       E->dilation, E->channels);
          return FALSE;
        }
      if (used_as_source[E->to])
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                       "smsnet graph: edge %d → %d comes after node %d was already used", E->from,
                       E->to, E->to);
          return FALSE;
        }
      if (E->from > 0 && !has_in[E->from])
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                       "smsnet graph: node %d is used before any edge reaches it", E->from);
          return FALSE;
        }
      used_as_source[E->from] = TRUE;
      has_in[E->to] = TRUE;
      has_out[E->from] = TRUE;
    }
  for (int v = 1; v < g->n_nodes; v++)
    if (!has_in[v] || (v < g->n_nodes - 1 && !has_out[v]))
      {
        g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                     "smsnet graph: node %d is not on a path from input to output", v);
        return FALSE;
      }
  if (!has_out[0])
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "smsnet graph: no edge leaves the input node");
      return FALSE;
    }
  return TRUE;
}

/* Channels of every node: the sum of its incoming edges' channels (I: in_channels). */
static int *
node_channels (const DlsSmsGraph *g, int in_channels)
{
  int *ch = g_new0 (int, g->n_nodes);

  ch[0] = in_channels;
  for (int e = 0; e < g->n_edges; e++)
    ch[g->edges[e].to] += g->edges[e].channels;
  return ch;
}

int64_t
dls_sms_graph_n_params (const DlsSmsGraph *g, int in_channels, int out_channels)
{
  g_autofree int *ch = node_channels (g, in_channels);
  int O = g->n_nodes - 1;
  int64_t p = 0;

  for (int e = 0; e < g->n_edges; e++)
    {
      const DlsSmsEdge *E = &g->edges[e];

      if (E->from == 0 || E->to != O)
        p += (int64_t) ch[E->from] * E->channels * 9 + 3 * E->channels; /* conv, bias, BN */
      else
        p += (int64_t) ch[E->from] * E->channels;
    }
  return p + (int64_t) ch[O] * out_channels + out_channels;
}

/* ---- building ---- */

/* The size of a node at scale power p for an input of n pixels (DLSIA's scaling tables): a
 * stride-s conv of k = 3, padding d, dilation d gives ⌊(n − 1)/s⌋ + 1 going down, n·s going up. */
static int
scaled_size (int n, int p, int base)
{
  int s = 1;

  for (int i = 0; i < ABS (p); i++)
    s *= base;
  return p <= 0 ? (n - 1) / s + 1 : n * s;
}

static DlsNode
edge_op (DlsGraph *g, const char *name, DlsNode x, int out_ch, int k, int dil, gboolean bias,
         gboolean reflect, int stride, int up, int oph, int opw)
{
  g_autofree char *wn = g_strconcat (name, ".weight", NULL);
  g_autofree char *bn = g_strconcat (name, ".bias", NULL);
  int pad = dil * (k - 1) / 2;
  int cin = x == DLS_NODE_NONE ? 0 : dls_graph_shape (g, x).c; /* NONE: a failed op upstream */
  int64_t bshape[1] = { out_ch };
  DlsNode w, b = DLS_NODE_NONE;

  if (!up)
    {
      int64_t wshape[4] = { out_ch, cin, k, k };
      DlsConvArgs a = { .stride = stride,
                        .padding = pad,
                        .dilation = dil,
                        .pad_mode = reflect && pad > 0 ? DLS_PAD_REFLECT : DLS_PAD_ZEROS };

      w = dls_graph_param (g, wn, 4, wshape);
      if (bias)
        b = dls_graph_param (g, bn, 1, bshape);
      return dls_graph_conv2d (g, x, w, b, &a);
    }
  else
    {
      int64_t wshape[4] = { cin, out_ch, k, k };
      DlsConvTransposeArgs a
          = { .stride = stride, .padding = pad, .dilation = dil, .output_padding = { oph, opw } };

      w = dls_graph_param (g, wn, 4, wshape);
      if (bias)
        b = dls_graph_param (g, bn, 1, bshape);
      return dls_graph_conv_transpose2d (g, x, w, b, &a);
    }
}

DlsNode
dls_sms_build_edges (DlsGraph *g, const char *prefix, const DlsSmsGraph *graph, int in_channels,
                     DlsNode x, int h, int w, int stride_base)
{
  int N = graph->n_nodes, O = N - 1;
  g_autofree DlsNode *acc = g_new (DlsNode, N);
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree int *n_parts = g_new0 (int, N);

  (void) in_channels;
  for (int v = 0; v < N; v++)
    {
      acc[v] = DLS_NODE_NONE;
      g_ptr_array_add (parts, g_new (DlsNode, graph->n_edges + 1));
    }
  acc[0] = x;
  for (int e = 0; e < graph->n_edges; e++)
    {
      const DlsSmsEdge *E = &graph->edges[e];
      int pu = graph->sizes ? graph->sizes[E->from] : 0;
      int pv = graph->sizes ? graph->sizes[E->to] : 0;
      int hv = scaled_size (h, pv, stride_base), wv = scaled_size (w, pv, stride_base);
      int up = pv > pu, stride = 1;
      g_autofree char *name = g_strdup_printf ("%sEdge_%d_%d", prefix, E->from, E->to);
      g_autofree char *bnname = g_strdup_printf ("%sEdge_%d_%d.1", prefix, E->from, E->to);
      g_autofree char *opname = g_strdup_printf ("%sEdge_%d_%d.0", prefix, E->from, E->to);
      DlsNode src, y;
      DlsShape ss;
      int oph = 0, opw = 0;

      /* a node is complete once its first outgoing edge runs: concatenate its inputs */
      if (acc[E->from] == DLS_NODE_NONE)
        {
          DlsNode *p = g_ptr_array_index (parts, E->from);

          if (n_parts[E->from] == 0)
            return DLS_NODE_NONE;
          acc[E->from] = n_parts[E->from] == 1 ? p[0] : dls_graph_concat (g, n_parts[E->from], p);
        }
      src = acc[E->from];
      if (src == DLS_NODE_NONE)
        return DLS_NODE_NONE; /* an edge into it failed; the graph holds the error */
      ss = dls_graph_shape (g, src);
      for (int i = 0; i < ABS (pv - pu); i++)
        stride *= stride_base;
      if (up)
        {
          oph = hv - ((ss.h - 1) * stride + 1);
          opw = wv - ((ss.w - 1) * stride + 1);
        }
      (void) name;
      if (E->from == 0 || E->to != O)
        {
          int dil = E->from == 0 ? 1 : E->dilation;

          y = edge_op (g, opname, src, E->channels, 3, dil, TRUE, TRUE, stride, up, oph, opw);
          y = dls_model_bn_relu (g, bnname, y, DLS_BN_BATCH_STATS);
        }
      else
        y = edge_op (g, opname, src, E->channels, 1, 1, FALSE, FALSE, stride, up, oph, opw);
      if (y == DLS_NODE_NONE)
        return DLS_NODE_NONE;
      ((DlsNode *) g_ptr_array_index (parts, E->to))[n_parts[E->to]++] = y;
    }
  {
    DlsNode *p = g_ptr_array_index (parts, O);

    if (n_parts[O] == 0)
      return DLS_NODE_NONE;
    return n_parts[O] == 1 ? p[0] : dls_graph_concat (g, n_parts[O], p);
  }
}

gboolean
dls_smsnet_build (DlsGraph *g, const DlsModelConfig *c, DlsNode x, DlsModelNodes *out)
{
  DlsShape s = dls_graph_shape (g, x);
  DlsNode o = dls_sms_build_edges (g, "", &c->graph, c->in_channels, x, s.h, s.w,
                                   c->stride_base > 1 ? c->stride_base : 2);

  o = dls_model_conv (g, "Last_Action.0", o, c->out_channels, 1, TRUE, &(DlsConvArgs){ 0 });
  if (c->network_type == DLS_SMS_REGRESSION_SIGMOID)
    o = dls_graph_sigmoid (g, o);
  else if (c->network_type == DLS_SMS_REGRESSION_POSITIVE)
    o = dls_model_bn_relu (g, "Last_Action.1", o, DLS_BN_BATCH_STATS);
  out->output = o;
  return o != DLS_NODE_NONE;
}

/* ---- ensembles ---- */

DlsModelConfig *
dls_ensemble_configs (const DlsModelConfig *base_in, const DlsEnsembleArgs *args, GError **error)
{
  int n = args->n_networks, max_draws = args->max_draws > 0 ? args->max_draws : 100 * n;
  g_autoptr (GError) last = NULL;
  DlsModelConfig base, *cfgs;
  DlsRng rng;
  int draws = 0;

  if (n < 1 || n > 1000 || base_in->arch != DLS_ARCH_SMSNET)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "an SMSNet ensemble needs 1 to 1000 networks");
      return NULL;
    }
  /* the base with its defaults filled in (hidden channels, maximum degree) */
  dls_model_config_copy (&base, base_in);
  if (!dls_model_config_finish (&base, error))
    {
      dls_model_config_clear (&base);
      return NULL;
    }
  cfgs = g_new0 (DlsModelConfig, n);
  dls_rng_init (&rng, base.seed);
  for (int k = 0; k < n; k++)
    {
      int64_t p = 0;

      dls_model_config_copy (&cfgs[k], &base);
      dls_sms_graph_clear (&cfgs[k].graph);
      for (;;)
        {
          DlsRng grng;

          if (draws >= max_draws)
            {
              if (args->params_lo <= 0 && args->params_hi <= 0 && last != NULL)
                g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                             "no usable SMSNet graph after %d random graphs: %s", draws,
                             last->message);
              else
                g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                             "no SMSNet with between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
                             " parameters after %d random graphs (%d of %d networks found); "
                             "widen the bounds or change the layers or channels",
                             args->params_lo, args->params_hi, draws, k, n);
              for (int j = 0; j <= k; j++)
                dls_model_config_clear (&cfgs[j]);
              g_free (cfgs);
              dls_model_config_clear (&base);
              return NULL;
            }
          draws++;
          cfgs[k].seed = dls_rng_next (&rng);
          dls_rng_init (&grng, cfgs[k].seed);
          g_clear_error (&last);
          if (!dls_sms_graph_sample (&cfgs[k].graph, &base.sms, base.in_channels, &grng, &last))
            continue;
          p = dls_sms_graph_n_params (&cfgs[k].graph, base.in_channels, base.out_channels);
          if ((args->params_lo <= 0 || p > args->params_lo)
              && (args->params_hi <= 0 || p < args->params_hi))
            break;
        }
    }
  dls_model_config_clear (&base);
  return cfgs;
}
