/* SPDX-License-Identifier: MIT
 *
 * test-torch-models.c: our networks against DLSIA's own PyTorch modules.  Each case in
 * tests/models/torch/ (made by make-vectors.py from DLSIA's classes) is a model file as this
 * program writes them plus NAME.io.safetensors with an input batch, DLSIA's output and, for the
 * autoencoders, its latent vectors.  We load the model through the normal loader, run the graph
 * in the mode the vector was made in and compare to 1e-4; MSDNets also go through the fused
 * eval path that `dlsia predict` uses, one image at a time.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "predict.h"
#include "safetensors.h"

static const char *cases[] = {
  "msdnet-bn",       "msdnet-w2-nobn", "msdnet-custom",  "tunet-odd",
  "tunet-gh",        "tunet-train",    "smsnet-example", "smsnet-random",
  "smsnet-positive", "smsnet-sigmoid", "msae",           "sae",
};

static const float *
io_tensor (DlsSafetensors *io, const char *name, const DlsTensorInfo **info)
{
  const DlsTensorInfo *t = dls_safetensors_find (io, name);

  if (t == NULL)
    return NULL;
  g_assert_cmpint (t->dtype, ==, DLS_DTYPE_F32);
  if (info)
    *info = t;
  return dls_safetensors_data (io, t);
}

static double
max_rel_diff (const float *a, const float *b, int64_t n)
{
  double worst = 0;

  for (int64_t i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double) a[i] - b[i]) / (1.0 + fabs ((double) b[i])));
  return worst;
}

static void
test_case (gconstpointer data)
{
  const char *name = data;
  g_autofree char *mfile = g_strdup_printf ("%s.safetensors", name);
  g_autofree char *iofile = g_strdup_printf ("%s.io.safetensors", name);
  g_autofree char *mpath = g_test_build_filename (G_TEST_DIST, "torch", mfile, NULL);
  g_autofree char *iopath = g_test_build_filename (G_TEST_DIST, "torch", iofile, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsSafetensors) io = NULL;
  const DlsTensorInfo *ti = NULL, *to = NULL, *tl = NULL;
  const float *x, *want, *want_latent;
  g_autofree float *got = NULL;
  DlsModelNodes nodes;
  DlsModel *m;
  DlsGraph *g;
  gboolean train;
  double diff;

  m = dls_model_load (mpath, &error);
  g_assert_no_error (error);
  io = dls_safetensors_open (iopath, &error);
  g_assert_no_error (error);
  train = g_strcmp0 (dls_safetensors_metadata (io, "mode"), "train") == 0;
  x = io_tensor (io, "input", &ti);
  want = io_tensor (io, "output", &to);
  want_latent = io_tensor (io, "latent", &tl);
  g_assert_nonnull (x);
  g_assert_nonnull (want);

  g = dls_model_build_graph (m, (int) ti->shape[0], (int) ti->shape[2], (int) ti->shape[3], &nodes,
                             &error);
  g_assert_no_error (error);
  g_assert_true (dls_graph_compile (g, false, &error));
  dls_graph_set_training (g, train);
  g_assert_true (dls_graph_set_input (g, nodes.input, x, &error));
  g_assert_true (dls_graph_forward (g));
  g_assert_cmpint (dls_shape_numel (dls_graph_shape (g, nodes.output)), ==, to->numel);
  got = g_new (float, to->numel);
  dls_graph_read (g, nodes.output, got);
  diff = max_rel_diff (got, want, to->numel);
  g_test_message ("%s: output max relative difference %.2g", name, diff);
  g_assert_cmpfloat (diff, <, 1e-4);
  if (want_latent)
    {
      g_autofree float *lat = g_new (float, tl->numel);

      g_assert_true (nodes.latent != DLS_NODE_NONE);
      g_assert_cmpint (dls_shape_numel (dls_graph_shape (g, nodes.latent)), ==, tl->numel);
      dls_graph_read (g, nodes.latent, lat);
      diff = max_rel_diff (lat, want_latent, tl->numel);
      g_test_message ("%s: latent max relative difference %.2g", name, diff);
      g_assert_cmpfloat (diff, <, 1e-4);
    }
  dls_graph_free (g);

  /* the fused eval path of `dlsia predict`, image by image (it returns softmax) */
  if (m->config.arch == DLS_ARCH_MSDNET && !train)
    {
      g_autoptr (DlsPredictor) p = dls_predictor_new (m);
      int C = m->config.in_channels, K = m->config.out_channels;
      int h = (int) ti->shape[2], w = (int) ti->shape[3];
      int64_t hw = (int64_t) h * w;
      g_autofree float *probs = g_new (float, K *hw);
      g_autofree float *ref = g_new (float, K *hw);

      for (int n = 0; n < ti->shape[0]; n++)
        {
          const float *logits = want + n * K * hw;

          g_assert_true (dls_predictor_run (p, x + n * C * hw, h, w, probs, NULL, &error));
          g_assert_no_error (error);
          for (int64_t i = 0; i < hw; i++)
            {
              double mx = -INFINITY, sum = 0;

              for (int k = 0; k < K; k++)
                mx = MAX (mx, logits[k * hw + i]);
              for (int k = 0; k < K; k++)
                sum += exp (logits[k * hw + i] - mx);
              for (int k = 0; k < K; k++)
                ref[k * hw + i] = (float) (exp (logits[k * hw + i] - mx) / sum);
            }
          diff = max_rel_diff (probs, ref, K * hw);
          g_test_message ("%s: fused path, image %d, max difference %.2g", name, n, diff);
          g_assert_cmpfloat (diff, <, 1e-4);
        }
    }
  dls_model_free (m);
}

/* The state_dict names, dtypes and shapes of three reference rows (torch/names.txt, printed by
 * PyTorch from DLSIA's modules) equal our parameter sets, tensor for tensor. */
static void
check_names (DlsModel *m, char **lines, int *at)
{
  int n = 0;

  for (; lines[*at] && lines[*at][0] != '#' && lines[*at][0] != '\0'; (*at)++, n++)
    {
      g_auto (GStrv) f = g_strsplit (lines[*at], "\t", 3);
      int i = dls_params_find (m->params, f[0]);
      const DlsParamInfo *p;
      GString *shape = g_string_new ("[");

      if (i < 0)
        g_error ("%s: tensor “%s” missing", dls_arch_name (m->config.arch), f[0]);
      p = dls_params_info (m->params, i);
      for (int d = 0; d < p->ndim; d++)
        g_string_append_printf (shape, "%s%" G_GINT64_FORMAT, d ? ", " : "", p->shape[d]);
      g_string_append_c (shape, ']');
      g_assert_cmpstr (f[1], ==, p->kind == DLS_PARAM_COUNTER ? "I64" : "F32");
      g_assert_cmpstr (f[2], ==, shape->str);
      g_string_free (shape, TRUE);
    }
  g_assert_cmpint (n, ==, dls_params_count (m->params));
}

static void
test_names (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "torch", "names.txt", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  DlsArch archs[3] = { DLS_ARCH_TUNET, DLS_ARCH_MSDNET, DLS_ARCH_MSAE };
  int at = 0, k = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  lines = g_strsplit (text, "\n", -1);
  for (; lines[at] && k < 3; at++)
    if (g_str_has_prefix (lines[at], "## "))
      {
        DlsModelConfig c;
        DlsModel *m;

        dls_model_config_init (&c, archs[k]);
        if (archs[k] == DLS_ARCH_MSDNET)
          c.num_layers = 50;
        m = dls_model_new (&c, &error);
        g_assert_no_error (error);
        at++;
        check_names (m, lines, &at);
        dls_model_free (m);
        dls_model_config_clear (&c);
        k++;
      }
  g_assert_cmpint (k, ==, 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models/torch/names", test_names);
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/models/torch/%s", cases[i]);

      g_test_add_data_func (path, cases[i], test_case);
    }
  return g_test_run ();
}
