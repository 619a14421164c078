/* SPDX-License-Identifier: MIT
 *
 * test-models.c: the networks' structure — DLSIA's parameter counts for every deterministic row
 * of the reference table, the SMSNet formula against built graphs, the graph sampler's rules,
 * the ensemble builder's bounded search, config JSON round trips, and forward passes on odd
 * sizes.  Numbers against PyTorch are in test-torch-models.c.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "models.h"

static int64_t
count (const DlsModelConfig *c)
{
  g_autoptr (GError) error = NULL;
  DlsModel *m = dls_model_new (c, &error);
  int64_t n;

  g_assert_no_error (error);
  g_assert_nonnull (m);
  n = dls_model_n_params (m);
  dls_model_free (m);
  return n;
}

static void
test_msdnet_counts (void)
{
  struct
  {
    int in, out, layers, width, maxdil;
    gboolean bn;
    int64_t want;
  } rows[] = {
    { 1, 2, 50, 1, 10, TRUE, 14279 }, { 1, 2, 50, 1, 10, FALSE, 11629 },
    { 1, 1, 40, 1, 10, TRUE, 9182 },  { 1, 2, 100, 1, 10, TRUE, 56054 },
    { 1, 3, 20, 2, 10, TRUE, 8246 },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      DlsModelConfig c;

      dls_model_config_init (&c, DLS_ARCH_MSDNET);
      c.in_channels = rows[i].in;
      c.out_channels = rows[i].out;
      c.num_layers = rows[i].layers;
      c.layer_width = rows[i].width;
      c.max_dilation = rows[i].maxdil;
      c.batchnorm = rows[i].bn;
      g_assert_cmpint (count (&c), ==, rows[i].want);
      dls_model_config_clear (&c);
    }
}

static void
test_tunet_counts (void)
{
  struct
  {
    int h, w, in, out, depth, base;
    double g, hr;
    gboolean bn;
    int64_t want;
  } rows[] = {
    { 64, 64, 1, 2, 4, 16, 2, 1, TRUE, 483170 }, { 64, 64, 1, 2, 4, 16, 2, 1, FALSE, 481762 },
    { 32, 32, 1, 1, 3, 10, 2, 1, TRUE, 46131 },  { 64, 128, 1, 4, 3, 4, 1.5, 1, TRUE, 3855 },
    { 64, 64, 1, 3, 4, 8, 2, 1, TRUE, 121403 },  { 64, 64, 1, 3, 4, 32, 2, 1, TRUE, 1927907 },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      DlsModelConfig c;

      dls_model_config_init (&c, DLS_ARCH_TUNET);
      c.image_shape[0] = rows[i].h;
      c.image_shape[1] = rows[i].w;
      c.in_channels = rows[i].in;
      c.out_channels = rows[i].out;
      c.depth = rows[i].depth;
      c.base_channels = rows[i].base;
      c.growth_rate = rows[i].g;
      c.hidden_rate = rows[i].hr;
      c.batchnorm = rows[i].bn;
      g_assert_cmpint (count (&c), ==, rows[i].want);
      dls_model_config_clear (&c);
    }
}

static void
test_msae_counts (void)
{
  struct
  {
    int c, h, w, depth, base;
    double g;
    int latent, maxdil, msdepth;
    int64_t want;
  } rows[] = {
    { 1, 32, 32, 2, 16, 2, 16, 1, 2, 98097 },
    { 1, 32, 32, 3, 8, 2, 16, 5, 1, 90285 },
    { 1, 64, 64, 3, 16, 2, 16, 3, 1, 317485 },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      DlsModelConfig c;

      dls_model_config_init (&c, DLS_ARCH_MSAE);
      c.in_channels = c.input_shape[0] = rows[i].c;
      c.input_shape[1] = rows[i].h;
      c.input_shape[2] = rows[i].w;
      c.depth = rows[i].depth;
      c.base_channels = rows[i].base;
      c.growth_rate = rows[i].g;
      c.latent_dimension = rows[i].latent;
      c.max_dilation = rows[i].maxdil;
      c.ms_depth = rows[i].msdepth;
      g_assert_cmpint (count (&c), ==, rows[i].want);
      dls_model_config_clear (&c);
    }
}

/* The worked example of reference §2.4 (seed 3 in PyTorch): 2,080 parameters. */
static const DlsSmsEdge example_edges[] = {
  { 0, 1, 1, 1 }, { 0, 2, 1, 1 }, { 0, 3, 1, 1 }, { 0, 4, 1, 1 }, { 0, 5, 1, 1 },
  { 1, 2, 1, 6 }, { 1, 3, 3, 6 }, { 1, 4, 2, 6 }, { 1, 5, 1, 6 }, { 2, 3, 2, 6 },
  { 2, 4, 3, 6 }, { 2, 5, 1, 6 }, { 3, 4, 1, 6 }, { 3, 5, 1, 6 }, { 4, 5, 1, 6 },
};

static void
example_config (DlsModelConfig *c)
{
  static const int hidden[] = { 6 };

  dls_model_config_init (c, DLS_ARCH_SMSNET);
  c->in_channels = 1;
  c->out_channels = 2;
  g_free (c->sms.hidden_out_channels);
  c->sms.hidden_out_channels = g_memdup2 (hidden, sizeof hidden);
  c->sms.n_hidden_out_channels = 1;
  c->graph.n_nodes = 6;
  c->graph.n_edges = G_N_ELEMENTS (example_edges);
  c->graph.edges = g_memdup2 (example_edges, sizeof example_edges);
}

static void
test_smsnet_example (void)
{
  DlsModelConfig c;
  g_autoptr (GError) error = NULL;
  DlsModel *m;

  example_config (&c);
  g_assert_cmpint (dls_sms_graph_n_params (&c.graph, 1, 2), ==, 2080);
  m = dls_model_new (&c, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dls_model_n_params (m), ==, 2080);
  /* DLSIA's names and shapes */
  {
    int i = dls_params_find (m->params, "Edge_1_3.0.weight");
    const DlsParamInfo *p;

    g_assert_cmpint (i, >=, 0);
    p = dls_params_info (m->params, i);
    g_assert_cmpint (p->shape[0], ==, 6);
    g_assert_cmpint (p->shape[1], ==, 1);
    p = dls_params_info (m->params, dls_params_find (m->params, "Edge_2_5.0.weight"));
    g_assert_cmpint (p->ndim, ==, 4);
    g_assert_cmpint (p->shape[0], ==, 6);
    g_assert_cmpint (p->shape[1], ==, 7);
    g_assert_cmpint (p->shape[2], ==, 1);
    p = dls_params_info (m->params, dls_params_find (m->params, "Last_Action.0.weight"));
    g_assert_cmpint (p->shape[1], ==, 25);
    g_assert_cmpint (dls_params_find (m->params, "Edge_2_5.0.bias"), <, 0);
    g_assert_cmpint (dls_params_find (m->params, "Edge_1_3.1.running_mean"), <, 0);
    g_assert_cmpint (dls_params_find (m->params, "Edge_1_3.1.weight"), >=, 0);
  }
  dls_model_free (m);
  dls_model_config_clear (&c);
}

/* The formula against the built network, and the sampler's rules, over 100 seeds and a few
 * settings. */
static void
test_smsnet_formula_seeds (void)
{
  static const int dil[] = { 1, 2, 4, 8 }, hid[] = { 1, 2, 3 };

  for (int seed = 0; seed < 100; seed++)
    {
      DlsModelConfig c;
      g_autoptr (GError) error = NULL;
      DlsModel *m;
      g_autofree int *indeg = NULL;
      int O;

      dls_model_config_init (&c, DLS_ARCH_SMSNET);
      c.seed = seed;
      c.in_channels = 1 + seed % 2;
      c.out_channels = 2 + seed % 3;
      c.sms.layers = 3 + seed % 17;
      if (seed % 2)
        {
          g_free (c.sms.dilation_choices);
          c.sms.dilation_choices = g_memdup2 (dil, sizeof dil);
          c.sms.n_dilation_choices = 4;
          c.sms.hidden_out_channels = g_memdup2 (hid, sizeof hid);
          c.sms.n_hidden_out_channels = 3;
          c.sms.alpha = 0.75;
          c.sms.gamma = 2;
          c.sms.max_degree = -1;
          c.sms.p_il = c.sms.p_lo = 0.25;
          c.sms.io = seed % 4 == 1;
          c.sms.dilation_mode
              = seed % 3 == 0 ? DLS_SMS_DILATION_NODE : DLS_SMS_DILATION_NODE_CYCLIC;
        }
      m = dls_model_new (&c, &error);
      if (m == NULL)
        {
          /* only a graph with no path at all may be refused */
          g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
          g_assert_false (c.sms.io);
          dls_model_config_clear (&c);
          continue;
        }
      g_assert_cmpint (dls_model_n_params (m), ==,
                       dls_sms_graph_n_params (&m->config.graph, c.in_channels, c.out_channels));
      /* rules: edges go forward; edges from I carry in_channels with dilation 1; hidden edges
       * use the given choices; every hidden node is reached and reaches on */
      O = m->config.graph.n_nodes - 1;
      indeg = g_new0 (int, O + 1);
      for (int e = 0; e < m->config.graph.n_edges; e++)
        {
          const DlsSmsEdge *E = &m->config.graph.edges[e];

          g_assert_cmpint (E->from, <, E->to);
          indeg[E->to]++;
          if (E->from == 0)
            {
              g_assert_cmpint (E->channels, ==, c.in_channels);
              g_assert_cmpint (E->dilation, ==, 1);
            }
          else
            {
              gboolean ok = FALSE;

              for (int k = 0; k < m->config.sms.n_hidden_out_channels; k++)
                ok |= E->channels == m->config.sms.hidden_out_channels[k];
              g_assert_true (ok);
            }
          if (E->from > 0 && E->to < O)
            {
              gboolean ok = FALSE;

              for (int k = 0; k < m->config.sms.n_dilation_choices; k++)
                ok |= E->dilation == m->config.sms.dilation_choices[k];
              g_assert_true (ok);
            }
        }
      for (int v = 1; v <= O; v++)
        g_assert_cmpint (indeg[v], >, 0);
      /* with the ensemble builder's defaults (IL = LO = 0.995, max degree = layers) every
       * surviving hidden node is fed by I and feeds O */
      if (seed % 2 == 0)
        {
          int from_i = 0, to_o = 0;

          for (int e = 0; e < m->config.graph.n_edges; e++)
            {
              from_i += m->config.graph.edges[e].from == 0 && m->config.graph.edges[e].to != O;
              to_o += m->config.graph.edges[e].to == O && m->config.graph.edges[e].from != 0;
            }
          g_assert_cmpint (from_i, ==, O - 1);
          g_assert_cmpint (to_o, ==, O - 1);
        }
      dls_model_free (m);
      dls_model_config_clear (&c);
    }
}

/* DLSIA's max_degree None: every hidden node gets out-degree exactly 1. */
static void
test_smsnet_degree_rule (void)
{
  DlsSmsGraphArgs a = { 0 };
  int dil[] = { 1, 2 }, hid[] = { 4 };
  DlsRng rng;

  a.layers = 20;
  a.dilation_choices = dil;
  a.n_dilation_choices = 2;
  a.hidden_out_channels = hid;
  a.n_hidden_out_channels = 1;
  a.alpha = 0.75;
  a.gamma = 2;
  a.max_degree = 0;
  a.min_degree = 1;
  a.p_il = a.p_lo = 0;
  dls_rng_init (&rng, 5);
  for (int t = 0; t < 20; t++)
    {
      DlsSmsGraph g = { 0 };
      g_autoptr (GError) error = NULL;
      g_autofree int *hidden_out = NULL;
      int O;

      g_assert_true (dls_sms_graph_sample (&g, &a, 1, &rng, &error));
      O = g.n_nodes - 1;
      hidden_out = g_new0 (int, g.n_nodes);
      for (int e = 0; e < g.n_edges; e++)
        if (g.edges[e].from > 0 && g.edges[e].to < O)
          hidden_out[g.edges[e].from]++;
      for (int v = 1; v < O - 1; v++)
        g_assert_cmpint (hidden_out[v], <=, 1);
      dls_sms_graph_clear (&g);
    }
}

static void
test_smsnet_same_seed_same_graph (void)
{
  DlsModelConfig a, b;
  g_autoptr (GError) error = NULL;

  dls_model_config_init (&a, DLS_ARCH_SMSNET);
  a.seed = 42;
  a.sms.layers = 15;
  dls_model_config_copy (&b, &a);
  g_assert_true (dls_model_config_finish (&a, &error));
  g_assert_true (dls_model_config_finish (&b, &error));
  g_assert_cmpint (a.graph.n_edges, ==, b.graph.n_edges);
  g_assert_cmpmem (a.graph.edges, sizeof (DlsSmsEdge) * a.graph.n_edges, b.graph.edges,
                   sizeof (DlsSmsEdge) * b.graph.n_edges);
  dls_model_config_clear (&b);
  b.seed = 43;
  dls_model_config_copy (&b, &a);
  b.seed = 43;
  dls_sms_graph_clear (&b.graph);
  g_assert_true (dls_model_config_finish (&b, &error));
  g_assert_false (a.graph.n_edges == b.graph.n_edges
                  && memcmp (a.graph.edges, b.graph.edges, sizeof (DlsSmsEdge) * a.graph.n_edges)
                         == 0);
  dls_model_config_clear (&a);
  dls_model_config_clear (&b);
}

static void
test_smsnet_bad_graph (void)
{
  DlsModelConfig c;
  g_autoptr (GError) error = NULL;

  example_config (&c);
  /* an edge out of node 3 before the last edge into it */
  c.graph.edges[12] = (DlsSmsEdge){ 2, 3, 1, 6 };
  c.graph.edges[9] = (DlsSmsEdge){ 3, 4, 1, 6 };
  g_assert_null (dls_model_new (&c, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "node 3"));
  g_clear_error (&error);
  c.graph.edges[0].to = 9;
  g_assert_null (dls_model_new (&c, &error));
  g_assert_nonnull (error);
  dls_model_config_clear (&c);
}

static void
test_ensemble (void)
{
  DlsModelConfig base;
  DlsEnsembleArgs args = { .n_networks = 4 };
  g_autoptr (GError) error = NULL;
  DlsModelConfig *cfgs;

  /* a bare config: the builder fills in DLSIA's defaults itself */
  dls_model_config_init (&base, DLS_ARCH_SMSNET);
  base.seed = 1;
  cfgs = dls_ensemble_configs (&base, &args, &error);
  g_assert_no_error (error);
  for (int k = 0; k < 4; k++)
    {
      g_assert_cmpint (cfgs[k].graph.n_edges, >, 0);
      for (int j = 0; j < k; j++)
        g_assert_true (cfgs[k].seed != cfgs[j].seed);
      dls_model_config_clear (&cfgs[k]);
    }
  g_free (cfgs);

  /* bounds: every member lands inside them */
  args.params_lo = 5000;
  args.params_hi = 15000;
  cfgs = dls_ensemble_configs (&base, &args, &error);
  g_assert_no_error (error);
  for (int k = 0; k < 4; k++)
    {
      int64_t p = dls_sms_graph_n_params (&cfgs[k].graph, 1, 2);

      g_assert_cmpint (p, >, 5000);
      g_assert_cmpint (p, <, 15000);
      dls_model_config_clear (&cfgs[k]);
    }
  g_free (cfgs);

  /* impossible bounds: a clear error after a bounded number of draws, not a hang */
  args.params_lo = 10;
  args.params_hi = 20;
  args.max_draws = 50;
  cfgs = dls_ensemble_configs (&base, &args, &error);
  g_assert_null (cfgs);
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "after 50 random graphs"));
  dls_model_config_clear (&base);
}

static void
roundtrip (DlsArch arch)
{
  DlsModelConfig c, back;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) j = NULL, j2 = NULL;
  g_autofree char *s1 = NULL, *s2 = NULL;

  dls_model_config_init (&c, arch);
  c.seed = 11;
  c.norm_set = TRUE;
  c.norm_low = -3.5;
  c.norm_high = 1200;
  c.norm_p_low = 1;
  c.norm_p_high = 99;
  if (arch == DLS_ARCH_SAE)
    {
      c.in_shape[0] = c.in_shape[1] = 16;
      c.latent_shape[0] = c.latent_shape[1] = 4;
      c.depth = 5;
    }
  g_assert_true (dls_model_config_finish (&c, &error));
  j = dls_model_config_to_json (&c);
  s1 = json_to_string (j, FALSE);
  g_assert_true (dls_model_config_from_json (&back, j, &error));
  g_assert_no_error (error);
  j2 = dls_model_config_to_json (&back);
  s2 = json_to_string (j2, FALSE);
  g_assert_cmpstr (s1, ==, s2);
  g_assert_true (strstr (s1, "\"architecture\":\"") != NULL);
  g_assert_cmpint (count (&c), ==, count (&back));
  dls_model_config_clear (&c);
  dls_model_config_clear (&back);
}

static void
test_config_roundtrip (void)
{
  for (int a = 0; a < DLS_ARCH_COUNT; a++)
    roundtrip (a);
}

static void
test_config_errors (void)
{
  const char *bad[][2] = {
    { "[1, 2]", "not a JSON object" },
    { "{\"architecture\": \"resnet\"}", "unknown architecture “resnet”" },
    { "{\"architecture\": \"msdnet\", \"in_channels\": 1, \"out_channels\": 2}",
      "“num_layers” is missing" },
    { "{\"architecture\": \"msdnet\", \"in_channels\": 1, \"out_channels\": 2, \"num_layers\": "
      "\"ten\"}",
      "“num_layers” must be a number" },
    { "{\"architecture\": \"msdnet\", \"in_channels\": 0, \"out_channels\": 2, \"num_layers\": 3}",
      "in_channels must be between" },
    { "{\"architecture\": \"smsnet\", \"in_channels\": 1, \"out_channels\": 2, \"layers\": 3, "
      "\"graph\": {\"nodes\": 3, \"edges\": [[0, 1, 1]]}}",
      "“graph” must be" },
    { "{\"format\": 7, \"architecture\": \"msdnet\"}", "format 7 is newer" },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonParser) p = json_parser_new ();
      g_autoptr (GError) error = NULL;
      DlsModelConfig c;

      g_assert_true (json_parser_load_from_data (p, bad[i][0], -1, NULL));
      g_assert_false (dls_model_config_from_json (&c, json_parser_get_root (p), &error));
      g_assert_nonnull (error);
      if (strstr (error->message, bad[i][1]) == NULL)
        g_error ("case %zu: “%s” lacks “%s”", i, error->message, bad[i][1]);
    }
}

/* Forward passes run at sizes DLSIA's fixed image_shape would not allow (odd, non-square) and
 * give finite values of the right shape; a TUNet's output size always equals its input size. */
static void
forward_ok (DlsModel *m, int n, int h, int w)
{
  g_autoptr (GError) error = NULL;
  DlsModelNodes nodes;
  DlsGraph *g = dls_model_build_graph (m, n, h, w, &nodes, &error);
  DlsShape s;
  g_autofree float *x = NULL, *y = NULL;
  DlsRng rng;

  g_assert_no_error (error);
  g_assert_true (dls_graph_compile (g, false, &error));
  s = dls_graph_shape (g, nodes.output);
  g_assert_cmpint (s.h, ==, h);
  g_assert_cmpint (s.w, ==, w);
  g_assert_cmpint (s.n, ==, n);
  x = g_new (float, (size_t) n * m->config.in_channels * h * w);
  dls_rng_init (&rng, 3);
  for (int64_t i = 0; i < (int64_t) n * m->config.in_channels * h * w; i++)
    x[i] = (float) dls_rng_uniform (&rng);
  g_assert_true (dls_graph_set_input (g, nodes.input, x, &error));
  dls_graph_set_training (g, false);
  g_assert_true (dls_graph_forward (g));
  y = g_new (float, dls_shape_numel (s));
  dls_graph_read (g, nodes.output, y);
  for (int64_t i = 0; i < dls_shape_numel (s); i++)
    g_assert_true (isfinite (y[i]));
  dls_graph_free (g);
}

static void
test_forward_sizes (void)
{
  DlsArch archs[] = { DLS_ARCH_MSDNET, DLS_ARCH_TUNET, DLS_ARCH_SMSNET };
  int sizes[][2] = { { 100, 111 }, { 37, 45 }, { 64, 17 }, { 9, 33 } };

  for (size_t a = 0; a < G_N_ELEMENTS (archs); a++)
    {
      DlsModelConfig c;
      g_autoptr (GError) error = NULL;
      DlsModel *m;

      dls_model_config_init (&c, archs[a]);
      c.seed = 2;
      if (archs[a] == DLS_ARCH_TUNET)
        {
          c.depth = 3;
          c.base_channels = 4;
        }
      m = dls_model_new (&c, &error);
      g_assert_no_error (error);
      dls_model_init_weights (m, 9);
      for (size_t s = 0; s < G_N_ELEMENTS (sizes); s++)
        forward_ok (m, 2, sizes[s][0], sizes[s][1]);
      dls_model_free (m);
      dls_model_config_clear (&c);
    }
}

/* PyTorch's default initialisation: weights and biases within ±1/√fan_in (fan_in from dim 1,
 * so C_out·k² for a transposed conv), spread over that range; BN γ = 1, β = 0, var = 1. */
static void
test_init (void)
{
  DlsModelConfig c;
  g_autoptr (GError) error = NULL;
  DlsModel *m, *m2;

  dls_model_config_init (&c, DLS_ARCH_TUNET);
  m = dls_model_new (&c, &error);
  m2 = dls_model_new (&c, &error);
  dls_model_init_weights (m, 7);
  dls_model_init_weights (m2, 7);
  g_assert_cmpmem (dls_params_weights (m->params), dls_params_n_weights (m->params) * 4,
                   dls_params_weights (m2->params), dls_params_n_weights (m2->params) * 4);
  for (int i = 0; i < dls_params_count (m->params); i++)
    {
      const DlsParamInfo *p = dls_params_info (m->params, i);
      const float *d = p->kind == DLS_PARAM_COUNTER ? NULL : dls_params_data (m->params, i);
      double bound = 0, maxabs = 0;

      if (g_str_has_suffix (p->name, "running_var"))
        g_assert_cmpfloat (d[0], ==, 1.0f);
      else if (g_str_has_suffix (p->name, "running_mean"))
        g_assert_cmpfloat (d[0], ==, 0.0f);
      if (p->kind != DLS_PARAM_WEIGHT)
        continue;
      if (p->ndim == 1 && g_str_has_suffix (p->name, ".weight"))
        {
          g_assert_cmpfloat (d[0], ==, 1.0f);
          continue;
        }
      if (p->ndim == 4)
        bound = 1.0 / sqrt ((double) p->shape[1] * p->shape[2] * p->shape[3]);
      if (p->ndim != 4)
        continue;
      for (int64_t k = 0; k < p->numel; k++)
        maxabs = MAX (maxabs, fabs (d[k]));
      g_assert_cmpfloat (maxabs, <=, bound);
      if (p->numel > 200)
        g_assert_cmpfloat (maxabs, >, 0.9 * bound);
    }
  {
    /* the ConvT of the bottom level: [128, 64, 2, 2] → bound 1/√(64·4) */
    int i = dls_params_find (m->params, "Step Up 2.weight");
    const DlsParamInfo *p = dls_params_info (m->params, i);

    g_assert_cmpint (p->shape[0], ==, 128);
    g_assert_cmpint (p->shape[1], ==, 64);
  }
  dls_model_free (m);
  dls_model_free (m2);
  dls_model_config_clear (&c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/msdnet/counts", test_msdnet_counts);
  g_test_add_func ("/models/tunet/counts", test_tunet_counts);
  g_test_add_func ("/models/msae/counts", test_msae_counts);
  g_test_add_func ("/models/smsnet/example", test_smsnet_example);
  g_test_add_func ("/models/smsnet/formula-100-seeds", test_smsnet_formula_seeds);
  g_test_add_func ("/models/smsnet/degree-rule", test_smsnet_degree_rule);
  g_test_add_func ("/models/smsnet/seeded", test_smsnet_same_seed_same_graph);
  g_test_add_func ("/models/smsnet/bad-graph", test_smsnet_bad_graph);
  g_test_add_func ("/models/ensemble/bounds", test_ensemble);
  g_test_add_func ("/models/config/roundtrip", test_config_roundtrip);
  g_test_add_func ("/models/config/errors", test_config_errors);
  g_test_add_func ("/models/forward/odd-sizes", test_forward_sizes);
  g_test_add_func ("/models/init/pytorch-default", test_init);
  return g_test_run ();
}
