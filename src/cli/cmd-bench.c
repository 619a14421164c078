/* SPDX-License-Identifier: MIT
 *
 * cmd-bench.c: `dlsia bench` — without --workload, the conv2d kernels beside sgemm (a table);
 * with --workload msdnet|smsnet|tunet, the median time of one training step of that network and
 * the process's peak memory, as one JSON line for scripts:
 *
 *   {"workload": "msdnet", "size": 256, "batch": 1, "threads": 2, "steps": 5,
 *    "ms_per_step": 61.25, "peak_rss_mb": 98.4, "path": "fused"}
 *
 * "path" says whether the step ran as a graph or as the fused MSDNet step, as the trainer would
 * (--graph forces the graph, to compare).
 * One workload per process, so the peak memory is that workload's.
 */
#include "config.h"

#include "bench-train.h"
#include "cli.h"

static void
print_train_json (const DlsBenchTrainArgs *a, const DlsBenchTrainResult *r)
{
  char ms[G_ASCII_DTOSTR_BUF_SIZE], rss[G_ASCII_DTOSTR_BUF_SIZE];

  /* g_ascii_formatd: a decimal point whatever the locale, as JSON needs */
  g_ascii_formatd (ms, sizeof ms, "%.2f", r->ms_per_step);
  g_ascii_formatd (rss, sizeof rss, "%.1f", r->peak_rss_mb);
  g_print ("{\"workload\": \"%s\", \"size\": %d, \"batch\": %d, \"threads\": %d, \"steps\": %d, "
           "\"ms_per_step\": %s, \"peak_rss_mb\": %s, \"path\": \"%s\"}\n",
           dls_bench_workload_name (a->workload), a->size, a->batch, r->threads, a->steps, ms, rss,
           r->fused ? "fused" : "graph");
}

/* layers −1: not given */
static int
run_workload (const char *name, int size, int batch, int steps, int layers, int threads,
              gboolean graph)
{
  g_autoptr (GError) error = NULL;
  DlsBenchTrainArgs a = { .size = size, .batch = batch, .steps = steps, .graph_only = graph };
  DlsBenchTrainResult r;

  if (!dls_bench_workload_from_name (name, &a.workload))
    {
      g_printerr ("dlsia bench: --workload: “%s” is not one of msdnet, smsnet, tunet\n", name);
      return 2;
    }
  if (size < 8 || size > 16384)
    {
      g_printerr ("dlsia bench: --size: must be 8–16384 pixels, not %d\n", size);
      return 2;
    }
  if (batch < 1 || batch > 4096)
    {
      g_printerr ("dlsia bench: --batch: must be 1–4096, not %d\n", batch);
      return 2;
    }
  if (steps < 1 || steps > 100000)
    {
      g_printerr ("dlsia bench: --steps: must be 1–100000, not %d\n", steps);
      return 2;
    }
  if (layers != -1 && a.workload == DLS_BENCH_TUNET)
    {
      g_printerr ("dlsia bench: --layers: the tunet workload has a fixed depth (4)\n");
      return 2;
    }
  if (layers != -1 && (layers < 1 || layers > 10000))
    {
      g_printerr ("dlsia bench: --layers: must be 1–10000, not %d\n", layers);
      return 2;
    }
  a.layers = MAX (layers, 0); /* 0: the workload's default */
  if (threads > 0)
    dls_engine_set_threads (threads);
  if (!dls_bench_train (&a, &r, &error))
    {
      g_printerr ("dlsia bench: %s\n", error->message);
      return 1;
    }
  print_train_json (&a, &r);
  return 0;
}

int
cmd_bench (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— time the kernels or a training step");
  g_autoptr (GError) error = NULL;
  g_autofree char *workload = NULL;
  gboolean quick = FALSE, graph = FALSE;
  /* G_MININT: not given, so options of the other mode can be refused */
  int size = 256, threads = 0;
  int repeats = G_MININT, batch = G_MININT, steps = G_MININT, layers = G_MININT;
  GOptionEntry entries[] = {
    { "workload", 'w', 0, G_OPTION_ARG_STRING, &workload,
      "Time training steps of msdnet, smsnet or tunet instead (one JSON line)", "NAME" },
    { "size", 's', 0, G_OPTION_ARG_INT, &size, "Image side in pixels (default 256)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: all cores)", "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Workload: images per step (default 1)", "N" },
    { "steps", 'n', 0, G_OPTION_ARG_INT, &steps,
      "Workload: timed steps after two warm-up steps, median (default 5)", "N" },
    { "layers", 'l', 0, G_OPTION_ARG_INT, &layers,
      "Workload: MSDNet/SMSNet layers (default 50 and 20)", "N" },
    { "graph", 'g', 0, G_OPTION_ARG_NONE, &graph,
      "Workload: run MSDNet as a graph, not the fused training step the trainer uses", NULL },
    { "quick", 'q', 0, G_OPTION_ARG_NONE, &quick, "Kernels: a few shapes only", NULL },
    { "repeats", 'r', 0, G_OPTION_ARG_INT, &repeats,
      "Kernels: timed repetitions per shape (default 5)", "N" },
    { NULL }
  };

  g_option_context_set_summary (
      ctx,
      "Times conv2d forward and backward for U-Net and MSDNet layer shapes and prints GFLOP/s\n"
      "beside cblas_sgemm measured in the same run, on one thread and on all of them.\n\n"
      "With --workload, times whole training steps (forward, cross-entropy on sparse labels,\n"
      "backward, Adam) of one network instead and prints one JSON line: the median ms per\n"
      "step and the process's peak memory.  msdnet: 50 layers, dilations 1–10, BatchNorm;\n"
      "smsnet: the ensemble builder's defaults, 20 layers, seed 0; tunet: depth 4, base 16.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dlsia bench: %s\n", error->message);
      return 2;
    }
  if (argc > 1)
    {
      g_printerr ("dlsia bench: unexpected argument “%s”\n", argv[1]);
      return 2;
    }
  if (threads < 0)
    {
      g_printerr ("dlsia bench: --threads: must be ≥ 0 (0: all cores)\n");
      return 2;
    }
  if (workload != NULL)
    {
      if (quick || repeats != G_MININT)
        {
          g_printerr ("dlsia bench: --quick and --repeats belong to the kernel benchmark, not "
                      "to --workload (use --steps)\n");
          return 2;
        }
      return run_workload (workload, size, batch == G_MININT ? 1 : batch,
                           steps == G_MININT ? 5 : steps, layers == G_MININT ? -1 : layers,
                           threads, graph);
    }
  if (batch != G_MININT || steps != G_MININT || layers != G_MININT || graph)
    {
      g_printerr ("dlsia bench: --batch, --steps, --layers and --graph need --workload\n");
      return 2;
    }
  if (repeats == G_MININT)
    repeats = 5;
  if (size < 8 || size > 8192 || repeats < 1 || repeats > 1000)
    {
      g_printerr ("dlsia bench: --size must be 8–8192, --repeats 1–1000, --threads ≥ 0\n");
      return 2;
    }
  if (threads > 0)
    dls_engine_set_threads (threads);
  return dls_bench_conv (stdout,
                         &(DlsBenchArgs){ .size = size, .repeats = repeats, .quick = quick });
}
