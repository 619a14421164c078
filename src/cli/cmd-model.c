/* SPDX-License-Identifier: MIT
 *
 * cmd-model.c: `dlsia init` (a new model file from hyperparameters named as DLSIA names its
 * constructor arguments, with dashes) and `dlsia info` (what a model file or a TIFF holds).
 */
#include "config.h"

#include <string.h>

#include "cli.h"
#include "safetensors.h"
#include "tiff.h"

/* ---- dlsia init ---- */

enum
{
  A_MSD = 1 << DLS_ARCH_MSDNET,
  A_TUN = 1 << DLS_ARCH_TUNET,
  A_SMS = 1 << DLS_ARCH_SMSNET,
  A_MAE = 1 << DLS_ARCH_MSAE,
  A_SAE = 1 << DLS_ARCH_SAE,
  A_ALL = 0x1f,
};

typedef enum
{
  O_IN,
  O_OUT,
  O_SEED,
  O_LAYERS_MSD,
  O_WIDTH,
  O_MAXDIL,
  O_CUSTOM,
  O_NORM,
  O_DROPOUT,
  O_IMAGE_SHAPE,
  O_DEPTH,
  O_BASE,
  O_GROWTH,
  O_HIDDEN_RATE,
  O_LAYERS,
  O_DILATIONS,
  O_HIDDEN_OUT,
  O_ALPHA,
  O_GAMMA,
  O_MAXDEG,
  O_MINDEG,
  O_IL,
  O_LO,
  O_IO,
  O_DILMODE,
  O_NETTYPE,
  O_INPUT_SHAPE,
  O_LATENT_DIM,
  O_MS_DEPTH,
  O_FINAL_ACTION,
  O_IN_SHAPE,
  O_LATENT_SHAPE,
  O_LATENT_SEQ,
  O_DROPOUT_P,
  O_HIDDEN_CH,
  O_COUNT,
} InitOpt;

static const struct
{
  const char *name;
  unsigned archs;
  const char *arg;
  const char *help;
} init_opts[O_COUNT] = {
  [O_IN] = { "in-channels", A_ALL, "N", "Input channels (1)" },
  [O_OUT] = { "out-channels", A_MSD | A_TUN | A_SMS | A_SAE, "N",
              "Classes, or output channels (2; sae: latent image channels, 1)" },
  [O_SEED] = { "seed", A_ALL, "N", "Seed of the weights and of SMSNet graphs (0)" },
  [O_LAYERS_MSD] = { "num-layers", A_MSD, "N", "msdnet: layers (10)" },
  [O_WIDTH] = { "layer-width", A_MSD, "N", "msdnet: new channels per layer (1)" },
  [O_MAXDIL] = { "max-dilation", A_MSD | A_MAE, "N",
                 "msdnet: dilations cycle 1..N (10); msae: stacks per level (1)" },
  [O_CUSTOM] = { "custom-msdnet", A_MSD, "D,D,…", "msdnet: explicit dilations, tiled" },
  [O_NORM] = { "normalization", A_MSD | A_TUN, "NAME", "BatchNorm2d (default) or none" },
  [O_DROPOUT] = { "dropout", A_MSD, "P,P,P", "msdnet: initial, hidden, final dropout" },
  [O_IMAGE_SHAPE] = { "image-shape", A_TUN, "HxW", "tunet: image shape for PyTorch (64x64)" },
  [O_DEPTH] = { "depth", A_TUN | A_MAE | A_SAE, "N",
                "tunet: levels (4); msae: levels (2); sae: hidden layers (20)" },
  [O_BASE] = { "base-channels", A_TUN | A_MAE, "N", "Channels of the first level (16)" },
  [O_GROWTH] = { "growth-rate", A_TUN | A_MAE, "X", "Channel growth per level (2)" },
  [O_HIDDEN_RATE] = { "hidden-rate", A_TUN, "X", "tunet: hidden channel rate (1)" },
  [O_LAYERS] = { "layers", A_SMS, "N", "smsnet: hidden layers (10)" },
  [O_DILATIONS] = { "dilation-choices", A_SMS | A_SAE, "D,D,…",
                    "Dilations to draw from (smsnet 1,2,3,4; sae 1,2,3)" },
  [O_HIDDEN_OUT] = { "hidden-out-channels", A_SMS, "C,C,…",
                     "smsnet: channels per hidden edge (3 × out-channels)" },
  [O_ALPHA] = { "alpha", A_SMS, "X", "Skip length: P(skip) ∝ e^(−α·length) (0)" },
  [O_GAMMA] = { "gamma", A_SMS, "X", "Degree: P(k) ∝ k^−γ (0)" },
  [O_MAXDEG] = { "max-degree", A_SMS | A_SAE, "N", "Maximum out-degree (layers; sae 5)" },
  [O_MINDEG] = { "min-degree", A_SMS | A_SAE, "N", "Minimum out-degree (1)" },
  [O_IL] = { "p-il", A_SMS | A_SAE, "P", "Input→hidden connection rate (0.995; sae 1)" },
  [O_LO] = { "p-lo", A_SMS | A_SAE, "P", "Hidden→output connection rate (0.995; sae 1)" },
  [O_IO] = { "p-io", A_SMS | A_SAE, "BOOL", "Input→output edge: true (default) or false" },
  [O_DILMODE] = { "dilation-mode", A_SMS, "MODE", "smsnet: Edges (default), Node, NodeCyclic" },
  [O_NETTYPE] = { "network-type", A_SMS, "TYPE",
                  "smsnet: Classification (default), Regression, Regression_Sigmoid, "
                  "Regression_Positive" },
  [O_INPUT_SHAPE] = { "input-shape", A_MAE, "CxHxW", "msae: image shape (1x32x32)" },
  [O_LATENT_DIM] = { "latent-dimension", A_MAE, "N", "msae: latent vector length (16)" },
  [O_MS_DEPTH] = { "ms-depth", A_MAE, "N", "msae: convs per mixed-scale stack (2)" },
  [O_FINAL_ACTION] = { "final-action", A_MAE, "NAME", "msae: none (default) or Sigmoid" },
  [O_IN_SHAPE] = { "in-shape", A_SAE, "HxW", "sae: image shape (28x28)" },
  [O_LATENT_SHAPE] = { "latent-shape", A_SAE, "HxW", "sae: latent image shape (7x7)" },
  [O_LATENT_SEQ] = { "latent-sequence", A_SAE, "N,N,…",
                     "sae: dense layer sizes, the last one the latent vector (32,2)" },
  [O_DROPOUT_P] = { "dropout-p", A_SAE, "P", "sae: dropout of the dense layers (0.05)" },
  [O_HIDDEN_CH] = { "hidden-channels", A_SAE, "N", "sae: channels per hidden edge (10)" },
};

static gboolean
parse_bool (const char *opt, const char *s, gboolean *out)
{
  if (g_ascii_strcasecmp (s, "true") == 0 || strcmp (s, "1") == 0
      || g_ascii_strcasecmp (s, "yes") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (s, "false") == 0 || strcmp (s, "0") == 0
           || g_ascii_strcasecmp (s, "no") == 0)
    *out = FALSE;
  else
    {
      g_printerr ("dlsia init: --%s needs true or false, not “%s”\n", opt, s);
      return FALSE;
    }
  return TRUE;
}

/* Applies one given option to the config. */
static gboolean
apply (DlsModelConfig *c, InitOpt o, const char *v)
{
  const char *n = init_opts[o].name, *cmd = "init";
  int iv;

  switch (o)
    {
    case O_IN:
      if (!cli_parse_int (cmd, n, v, 1, 4096, &c->in_channels))
        return FALSE;
      c->input_shape[0] = c->in_channels;
      return TRUE;
    case O_OUT:
      return cli_parse_int (cmd, n, v, 1, 4096, &c->out_channels);
    case O_SEED:
      {
        char *end;
        guint64 s = g_ascii_strtoull (v, &end, 10);

        if (*v == '\0' || *end != '\0')
          {
            g_printerr ("dlsia init: --seed needs a whole number, not “%s”\n", v);
            return FALSE;
          }
        c->seed = s;
        return TRUE;
      }
    case O_LAYERS_MSD:
      return cli_parse_int (cmd, n, v, 1, 10000, &c->num_layers);
    case O_WIDTH:
      return cli_parse_int (cmd, n, v, 1, 1024, &c->layer_width);
    case O_MAXDIL:
      return cli_parse_int (cmd, n, v, 1, c->arch == DLS_ARCH_MSAE ? 64 : 1024, &c->max_dilation);
    case O_CUSTOM:
      return (c->n_custom_dilations = cli_parse_ints (cmd, n, v, 1, 1024, &c->custom_dilations))
             > 0;
    case O_NORM:
      if (g_ascii_strcasecmp (v, "none") == 0 || g_ascii_strcasecmp (v, "null") == 0)
        c->batchnorm = FALSE;
      else if (strcmp (v, "BatchNorm2d") == 0)
        c->batchnorm = TRUE;
      else
        {
          g_printerr ("dlsia init: --normalization is BatchNorm2d or none, not “%s”\n", v);
          return FALSE;
        }
      return TRUE;
    case O_DROPOUT:
      {
        g_auto (GStrv) p = g_strsplit (v, ",", -1);

        if (g_strv_length (p) != 3)
          {
            g_printerr ("dlsia init: --dropout needs three rates: initial,hidden,final\n");
            return FALSE;
          }
        for (int i = 0; i < 3; i++)
          if (!cli_parse_double (cmd, n, p[i], 0, 0.99, &c->dropout[i]))
            return FALSE;
        c->dropout_set = TRUE;
        return TRUE;
      }
    case O_IMAGE_SHAPE:
      return cli_parse_shape (cmd, n, v, 2, c->image_shape);
    case O_DEPTH:
      return cli_parse_int (cmd, n, v, c->arch == DLS_ARCH_TUNET ? 2 : 1,
                            c->arch == DLS_ARCH_SAE    ? 4096
                            : c->arch == DLS_ARCH_MSAE ? 12
                                                       : 16,
                            &c->depth);
    case O_BASE:
      return cli_parse_int (cmd, n, v, 1, 4096, &c->base_channels);
    case O_GROWTH:
      return cli_parse_double (cmd, n, v, 0.01, 64, &c->growth_rate);
    case O_HIDDEN_RATE:
      return cli_parse_double (cmd, n, v, 0.01, 64, &c->hidden_rate);
    case O_LAYERS:
      return cli_parse_int (cmd, n, v, 1, 4096, &c->sms.layers);
    case O_DILATIONS:
      return (c->sms.n_dilation_choices
              = cli_parse_ints (cmd, n, v, 1, 1024, &c->sms.dilation_choices))
             > 0;
    case O_HIDDEN_OUT:
      return (c->sms.n_hidden_out_channels
              = cli_parse_ints (cmd, n, v, 1, 4096, &c->sms.hidden_out_channels))
             > 0;
    case O_ALPHA:
      return cli_parse_double (cmd, n, v, 0, 100, &c->sms.alpha);
    case O_GAMMA:
      return cli_parse_double (cmd, n, v, 0, 100, &c->sms.gamma);
    case O_MAXDEG:
      return cli_parse_double (cmd, n, v, 0.001, 4096, &c->sms.max_degree);
    case O_MINDEG:
      return cli_parse_double (cmd, n, v, 0.001, 4096, &c->sms.min_degree);
    case O_IL:
      return cli_parse_double (cmd, n, v, 0, 1, &c->sms.p_il);
    case O_LO:
      return cli_parse_double (cmd, n, v, 0, 1, &c->sms.p_lo);
    case O_IO:
      return parse_bool (n, v, &c->sms.io);
    case O_DILMODE:
      if (strcmp (v, "Edges") == 0)
        c->sms.dilation_mode = DLS_SMS_DILATION_EDGES;
      else if (strcmp (v, "Node") == 0)
        c->sms.dilation_mode = DLS_SMS_DILATION_NODE;
      else if (strcmp (v, "NodeCyclic") == 0)
        c->sms.dilation_mode = DLS_SMS_DILATION_NODE_CYCLIC;
      else
        {
          g_printerr ("dlsia init: --dilation-mode is Edges, Node or NodeCyclic, not “%s”\n", v);
          return FALSE;
        }
      return TRUE;
    case O_NETTYPE:
      if (strcmp (v, "Classification") == 0)
        c->network_type = DLS_SMS_CLASSIFICATION;
      else if (strcmp (v, "Regression") == 0)
        c->network_type = DLS_SMS_REGRESSION;
      else if (strcmp (v, "Regression_Sigmoid") == 0)
        c->network_type = DLS_SMS_REGRESSION_SIGMOID;
      else if (strcmp (v, "Regression_Positive") == 0)
        c->network_type = DLS_SMS_REGRESSION_POSITIVE;
      else
        {
          g_printerr ("dlsia init: --network-type is Classification, Regression or "
                      "Regression_Sigmoid or Regression_Positive, not “%s”\n",
                      v);
          return FALSE;
        }
      return TRUE;
    case O_INPUT_SHAPE:
      if (!cli_parse_shape (cmd, n, v, 3, c->input_shape))
        return FALSE;
      c->in_channels = c->input_shape[0];
      return TRUE;
    case O_LATENT_DIM:
      return cli_parse_int (cmd, n, v, 1, 1 << 20, &c->latent_dimension);
    case O_MS_DEPTH:
      return cli_parse_int (cmd, n, v, 1, 64, &c->ms_depth);
    case O_FINAL_ACTION:
      if (g_ascii_strcasecmp (v, "none") == 0)
        c->final_sigmoid = FALSE;
      else if (strcmp (v, "Sigmoid") == 0)
        c->final_sigmoid = TRUE;
      else
        {
          g_printerr ("dlsia init: --final-action is none or Sigmoid, not “%s”\n", v);
          return FALSE;
        }
      return TRUE;
    case O_IN_SHAPE:
      return cli_parse_shape (cmd, n, v, 2, c->in_shape);
    case O_LATENT_SHAPE:
      return cli_parse_shape (cmd, n, v, 2, c->latent_shape);
    case O_LATENT_SEQ:
      return (c->n_latent_sequence = cli_parse_ints (cmd, n, v, 1, 1 << 20, &c->latent_sequence))
             > 0;
    case O_DROPOUT_P:
      return cli_parse_double (cmd, n, v, 0, 0.99, &c->dropout_p);
    case O_HIDDEN_CH:
      if (!cli_parse_int (cmd, n, v, 1, 4096, &iv))
        return FALSE;
      c->hidden_channels = iv;
      return TRUE;
    case O_COUNT:
    default:
      break;
    }
  return FALSE;
}

static char *
format_count (int64_t n)
{
  g_autofree char *s = g_strdup_printf ("%" G_GINT64_FORMAT, n);
  GString *out = g_string_new (NULL);
  int len = (int) strlen (s);

  for (int i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0 && s[i - 1] != '-')
        g_string_append_c (out, ',');
      g_string_append_c (out, s[i]);
    }
  return g_string_free (out, FALSE);
}

int
cmd_init (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("--arch ARCH [HYPERPARAMETER…] -o MODEL");
  g_autoptr (GError) error = NULL;
  g_autofree char *arch_name = NULL, *output = NULL;
  char *values[O_COUNT] = { 0 };
  GOptionEntry entries[O_COUNT + 3];
  DlsModelConfig cfg;
  DlsModel *m;
  DlsArch arch;
  int n = 0;
  int rc = 1;

  entries[n++] = (GOptionEntry){
    "arch", 'a', 0, G_OPTION_ARG_STRING, &arch_name, "tunet, msdnet, smsnet, msae or sae", "ARCH"
  };
  entries[n++] = (GOptionEntry){ "output", 'o',
                                 0,        G_OPTION_ARG_FILENAME,
                                 &output,  "The model file to write (.safetensors)",
                                 "MODEL" };
  for (int i = 0; i < O_COUNT; i++)
    entries[n++] = (GOptionEntry){ init_opts[i].name,   0,          0,
                                   G_OPTION_ARG_STRING, &values[i], init_opts[i].help,
                                   init_opts[i].arg };
  entries[n] = (GOptionEntry){ NULL };
  g_option_context_set_summary (
      ctx,
      "Writes a new model with PyTorch's default initialisation, seeded.  Hyperparameters are\n"
      "DLSIA's constructor arguments with dashes; those left out take DLSIA's defaults (for\n"
      "smsnet, those of DLSIA's ensemble builder).  An SMSNet's random graph is drawn from\n"
      "--seed and saved in the file.  Example:\n"
      "  dlsia init --arch msdnet --in-channels 1 --out-channels 2 --num-layers 50 \\\n"
      "             --max-dilation 10 --seed 7 -o m.safetensors");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dlsia init: %s\n", error->message);
      rc = 2;
      goto out;
    }
  if (argc > 1)
    {
      g_printerr ("dlsia init: unexpected argument “%s”\n", argv[1]);
      rc = 2;
      goto out;
    }
  if (arch_name == NULL || !dls_arch_from_name (arch_name, &arch))
    {
      g_printerr ("dlsia init: --arch must be tunet, msdnet, smsnet, msae or sae%s%s%s\n",
                  arch_name ? " (not “" : "", arch_name ? arch_name : "", arch_name ? "”)" : "");
      rc = 2;
      goto out;
    }
  if (output == NULL)
    {
      g_printerr ("dlsia init: say where to write the model with -o MODEL\n");
      rc = 2;
      goto out;
    }
  dls_model_config_init (&cfg, arch);
  for (int i = 0; i < O_COUNT; i++)
    if (values[i] != NULL)
      {
        if (!(init_opts[i].archs & (1u << arch)))
          {
            g_printerr ("dlsia init: --%s does not apply to %s\n", init_opts[i].name,
                        dls_arch_name (arch));
            dls_model_config_clear (&cfg);
            rc = 2;
            goto out;
          }
        if (!apply (&cfg, i, values[i]))
          {
            dls_model_config_clear (&cfg);
            rc = 2;
            goto out;
          }
      }
  m = dls_model_new (&cfg, &error);
  dls_model_config_clear (&cfg);
  if (m == NULL)
    {
      g_printerr ("dlsia init: %s\n", error->message);
      goto out;
    }
  dls_model_init_weights (m, m->config.seed);
  if (!dls_model_save (m, output, &error))
    {
      g_printerr ("dlsia init: %s\n", error->message);
      dls_model_free (m);
      goto out;
    }
  {
    g_autofree char *count = format_count (dls_model_n_params (m));

    g_print ("%s: %s, %s parameters\n", output, dls_arch_name (m->config.arch), count);
  }
  dls_model_free (m);
  rc = 0;
out:
  for (int i = 0; i < O_COUNT; i++)
    g_free (values[i]);
  return rc;
}

/* ---- dlsia info ---- */

static gboolean
looks_like_tiff (const char *path)
{
  guint8 b[4] = { 0 };
  FILE *f;
  size_t got;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return TRUE; /* a folder of slices */
  f = fopen (path, "rb");
  if (f == NULL)
    return FALSE;
  got = fread (b, 1, 4, f);
  fclose (f);
  return got == 4
         && ((b[0] == 'I' && b[1] == 'I' && (b[2] == 42 || b[2] == 43) && b[3] == 0)
             || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && (b[3] == 42 || b[3] == 43)));
}

static int
info_tiff (const char *path)
{
  g_autoptr (GError) error = NULL;
  DlsTiffReader *r = dls_tiff_reader_open (path, &error);
  const DlsTiffInfo *i;

  if (r == NULL)
    {
      g_printerr ("dlsia info: %s\n", error->message);
      return 1;
    }
  i = dls_tiff_reader_get_info (r);
  g_print ("%s: TIFF image%s\n", path, i->depth > 1 ? " stack" : "");
  g_print ("  size:        %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
           " (width × height), %" G_GINT64_FORMAT " slice%s\n",
           i->width, i->height, i->depth, i->depth == 1 ? "" : "s");
  g_print ("  channels:    %d\n", i->channels);
  g_print ("  type:        %s\n", dls_sample_type_name (i->type));
  g_print ("  pages:       %" G_GINT64_FORMAT "\n", i->pages);
  g_print ("  compression: %s%s%s%s\n", i->compression ? i->compression : "none",
           i->tiled ? ", tiled" : "", i->big_tiff ? ", BigTIFF" : "",
           i->big_endian ? ", big-endian" : "");
  dls_tiff_reader_free (r);
  return 0;
}

static int
info_model (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) cfg = NULL;
  g_autofree char *json = NULL, *count = NULL;
  DlsModel *m = dls_model_load (path, &error);
  int n_bn = 0;

  if (m == NULL)
    {
      g_printerr ("dlsia info: %s\n", error->message);
      return 1;
    }
  count = format_count (dls_model_n_params (m));
  for (int i = 0; i < dls_params_count (m->params); i++)
    n_bn += dls_params_info (m->params, i)->kind == DLS_PARAM_COUNTER;
  g_print ("%s: DLSIA Studio model\n", path);
  g_print ("  architecture: %s\n", dls_arch_name (m->config.arch));
  g_print ("  parameters:   %s (trainable), in %d tensors\n", count, dls_params_count (m->params));
  g_print ("  channels:     %d in, %d out\n", m->config.in_channels, m->config.out_channels);
  if (m->config.norm_set)
    g_print ("  input:        raw %g → 0, %g → 1 (percentiles %g–%g), clipped\n",
             m->config.norm_low, m->config.norm_high, m->config.norm_p_low, m->config.norm_p_high);
  else
    g_print ("  input:        raw values (no normalisation stored)\n");
  if (m->config.arch == DLS_ARCH_SMSNET)
    g_print ("  graph:        %d nodes, %d edges\n", m->config.graph.n_nodes,
             m->config.graph.n_edges);
  cfg = dls_model_config_to_json (&m->config);
  json = json_to_string (cfg, TRUE);
  g_print ("  config:\n%s\n", json);
  dls_model_free (m);
  return 0;
}

int
cmd_info (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("FILE…");
  g_autoptr (GError) error = NULL;
  int rc = 0;

  g_option_context_set_summary (ctx, "Describes model files (architecture, config, parameter "
                                     "count) and TIFF images\n(size, type, pages).");
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dlsia info: %s\n", error->message);
      return 2;
    }
  if (argc < 2)
    {
      g_printerr ("dlsia info: name a model file or a TIFF\n");
      return 2;
    }
  for (int i = 1; i < argc; i++)
    {
      if (!g_file_test (argv[i], G_FILE_TEST_EXISTS))
        {
          g_printerr ("dlsia info: “%s” does not exist\n", argv[i]);
          rc = 1;
          continue;
        }
      if (looks_like_tiff (argv[i]))
        rc |= info_tiff (argv[i]);
      else
        rc |= info_model (argv[i]);
    }
  return rc;
}
