/* SPDX-License-Identifier: MIT
 *
 * bench-predict.c: `dlsia predict`'s compute on one slice — an MSDNet of 50 layers (in 1, out
 * 2, dilations 1–10, BatchNorm) on a 1024² image — beside Debian's PyTorch running the same
 * network (same layer layout as DLSIA's MixedScaleDenseNetwork, eval mode, torch.no_grad) in
 * the same run, at one thread and at all of them.  Prints milliseconds and the ratio; when
 * python3-torch is not installed that column is skipped.  Timing only, never a pass/fail test.
 *
 *   bench-predict [--size N] [--layers L] [--repeats R] [--no-torch] [--graph]
 *
 * --graph also times the plain graph path (the network as generic engine ops), to show what
 * the fused MSDNet path buys.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "predict.h"

static const char torch_script[]
    = "import sys, time, torch, torch.nn as nn\n"
      "size, layers, threads, repeats = map(int, sys.argv[1:5])\n"
      "torch.set_num_threads(threads)\n"
      "torch.manual_seed(0)\n"
      "class MSD(nn.Module):\n"
      "    def __init__(s, L, maxd=10):\n"
      "        super().__init__()\n"
      "        s.convs = nn.ModuleList([nn.Conv2d(1 + i, 1, 3, padding=i % maxd + 1,\n"
      "                                           dilation=i % maxd + 1) for i in range(L)])\n"
      "        s.bns = nn.ModuleList([nn.BatchNorm2d(2 + i) for i in range(L)])\n"
      "        s.final = nn.Conv2d(1 + L, 2, 1)\n"
      "    def forward(s, x):\n"
      "        x = torch.relu(x)\n"
      "        for c, b in zip(s.convs, s.bns):\n"
      "            x = b(torch.relu(torch.cat([x, c(x)], 1)))\n"
      "        return torch.softmax(s.final(x), 1)\n"
      "net = MSD(layers).eval()\n"
      "x = torch.rand(1, 1, size, size)\n"
      "ts = []\n"
      "with torch.no_grad():\n"
      "    net(x)\n"
      "    for _ in range(repeats):\n"
      "        t = time.perf_counter(); net(x); ts.append(time.perf_counter() - t)\n"
      "ts.sort()\n"
      "print(ts[len(ts) // 2] * 1000)\n";

/* Median milliseconds of PyTorch, or a negative number when it cannot run. */
static double
torch_ms (int size, int layers, int threads, int repeats)
{
  g_autofree char *out = NULL, *err = NULL, *a1 = g_strdup_printf ("%d", size);
  g_autofree char *a2 = g_strdup_printf ("%d", layers), *a3 = g_strdup_printf ("%d", threads);
  g_autofree char *a4 = g_strdup_printf ("%d", repeats);
  const char *python = g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)
                           ? "/usr/bin/python3"
                           : "python3";
  char *argv[] = { (char *) python, "-c", (char *) torch_script, a1, a2, a3, a4, NULL };
  int status = 0;

  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    return -1;
  return g_ascii_strtod (out, NULL);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
time_ours (DlsPredictor *p, const float *x, int size, float *out, int repeats)
{
  g_autofree double *t = g_new (double, repeats);
  g_autoptr (GError) error = NULL;

  if (!dls_predictor_run (p, x, size, size, out, NULL, &error)) /* warm-up */
    g_error ("%s", error->message);
  for (int r = 0; r < repeats; r++)
    {
      gint64 t0 = g_get_monotonic_time ();

      dls_predictor_run (p, x, size, size, out, NULL, NULL);
      t[r] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  qsort (t, repeats, sizeof (double), cmp_double);
  return t[repeats / 2];
}

int
main (int argc, char **argv)
{
  int size = 1024, layers = 50, repeats = 3;
  gboolean no_torch = FALSE, graph = FALSE;
  GOptionEntry entries[]
      = { { "size", 's', 0, G_OPTION_ARG_INT, &size, "Image side (1024)", "N" },
          { "layers", 'l', 0, G_OPTION_ARG_INT, &layers, "MSDNet layers (50)", "L" },
          { "repeats", 'r', 0, G_OPTION_ARG_INT, &repeats, "Timed runs, median (3)", "R" },
          { "no-torch", 0, 0, G_OPTION_ARG_NONE, &no_torch, "Skip PyTorch", NULL },
          { "graph", 0, 0, G_OPTION_ARG_NONE, &graph, "Also time the generic graph path", NULL },
          { NULL } };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— MSDNet inference against PyTorch");
  g_autoptr (GError) error = NULL;
  g_autofree float *x = NULL, *out = NULL;
  DlsModelConfig cfg;
  DlsModel *m;
  DlsRng rng;
  int all = dls_engine_get_threads (), counts[2] = { 1, all };
  double gflop;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || size < 16 || layers < 1 || repeats < 1)
    {
      g_printerr ("bench-predict: %s\n", error ? error->message : "bad arguments");
      return 2;
    }
  dls_model_config_init (&cfg, DLS_ARCH_MSDNET);
  cfg.num_layers = layers;
  m = dls_model_new (&cfg, &error);
  g_assert_no_error (error);
  dls_model_init_weights (m, 1);
  x = g_new (float, (size_t) size *size);
  out = g_new (float, (size_t) 2 * size * size);
  dls_rng_init (&rng, 2);
  for (int64_t i = 0; i < (int64_t) size * size; i++)
    x[i] = (float) dls_rng_uniform (&rng);
  gflop = 0;
  for (int i = 0; i < layers; i++)
    gflop += 18.0 * (1 + i);
  gflop = (gflop + 2.0 * 2 * (1 + layers)) * size * size / 1e9;

  printf ("MSDNet inference: %d layers, in 1, out 2, dilations 1–10, BatchNorm (eval), one %d² "
          "image, %.1f GFLOP; median of %d\n",
          layers, size, gflop, repeats);
  printf ("%-8s %12s %10s %14s %12s\n", "threads", "dlsia ms", "GFLOP/s", "PyTorch ms",
          "PyTorch/dlsia");
  for (int k = 0; k < (all > 1 ? 2 : 1); k++)
    {
      g_autoptr (DlsPredictor) p = NULL;
      double ours, theirs = -1;

      dls_engine_set_threads (counts[k]);
      p = dls_predictor_new (m);
      ours = time_ours (p, x, size, out, repeats);
      if (!no_torch)
        theirs = torch_ms (size, layers, counts[k], repeats);
      if (theirs > 0)
        printf ("%-8d %12.0f %10.1f %14.0f %11.1f×\n", counts[k], ours, gflop / ours * 1e3, theirs,
                theirs / ours);
      else
        printf ("%-8d %12.0f %10.1f %14s %12s\n", counts[k], ours, gflop / ours * 1e3,
                no_torch ? "skipped" : "not installed", "-");
      if (graph)
        {
          double t;

          dls_predictor_set_fused (p, FALSE);
          t = time_ours (p, x, size, out, 1);
          printf ("%-8s %12.0f %10.1f   (generic graph path)\n", "", t, gflop / t * 1e3);
        }
    }
  dls_model_free (m);
  dls_model_config_clear (&cfg);
  return 0;
}
