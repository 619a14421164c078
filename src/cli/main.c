/* SPDX-License-Identifier: MIT
 *
 * main.c: the `dlsia` command line.  A thin front end over the library: it parses arguments,
 * calls one library function per command and turns GErrors into messages and exit codes.
 * Commands live in a table; each parses its own options with GOptionContext so that
 * `dlsia COMMAND --help` explains it.
 */
#include "config.h"

#include "cli.h"
#include "engine.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  const char *name;
  const char *summary;
  int (*run) (int argc, char **argv);
} Command;

static int
cmd_bench (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— time the convolution kernels");
  g_autoptr (GError) error = NULL;
  gboolean quick = FALSE;
  int size = 256, repeats = 5, threads = 0;
  GOptionEntry entries[]
      = { { "quick", 'q', 0, G_OPTION_ARG_NONE, &quick, "A few shapes only", NULL },
          { "size", 's', 0, G_OPTION_ARG_INT, &size, "Image side in pixels (default 256)", "N" },
          { "repeats", 'r', 0, G_OPTION_ARG_INT, &repeats,
            "Timed repetitions per shape (default 5)", "N" },
          { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: all cores)",
            "N" },
          { NULL } };

  g_option_context_set_summary (
      ctx,
      "Times conv2d forward and backward for U-Net and MSDNet layer shapes and prints GFLOP/s\n"
      "beside cblas_sgemm measured in the same run, on one thread and on all of them.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dlsia bench: %s\n", error->message);
      return 2;
    }
  if (size < 8 || size > 8192 || repeats < 1 || repeats > 1000 || threads < 0)
    {
      g_printerr ("dlsia bench: --size must be 8–8192, --repeats 1–1000, --threads ≥ 0\n");
      return 2;
    }
  if (threads > 0)
    dls_engine_set_threads (threads);
  return dls_bench_conv (stdout,
                         &(DlsBenchArgs){ .size = size, .repeats = repeats, .quick = quick });
}

static int cmd_help (int argc, char **argv);

static int
cmd_version (int argc, char **argv)
{
  g_print ("dlsia %s (engine: %s kernels, OpenBLAS %s, %d threads)\n", PACKAGE_VERSION,
           dls_engine_kernel_isa (), dls_engine_blas_corename (), dls_engine_get_threads ());
  return 0;
}

static const Command commands[] = {
  { "info", "Describe a model file or a TIFF image", cmd_info },
  { "init", "Write a new model (TUNet, MSDNet, SMSNet, MSAE, SAE)", cmd_init },
  { "predict", "Run a model over a TIFF image or stack", cmd_predict },
  { "bench", "Time the convolution kernels against sgemm", cmd_bench },
  { "version", "Print the version and engine configuration", cmd_version },
  { "help", "Show this help", cmd_help },
};

static int
cmd_help (int argc, char **argv)
{
  g_print ("Usage: dlsia COMMAND [OPTION…]\n\n"
           "DLSIA Studio on the command line: segmentation networks (MSDNet, SMSNet, U-Net)\n"
           "trained on the CPU.\n\nCommands:\n");
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    g_print ("  %-10s %s\n", commands[i].name, commands[i].summary);
  g_print ("\nOptions:\n"
           "  -h, --help     Show this help\n"
           "  -V, --version  Print the version\n\n"
           "Run “dlsia COMMAND --help” for a command's options.\n"
           "DLSIA_THREADS=N sets the number of worker threads.\n");
  return 0;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      cmd_help (argc, argv);
      return 2;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    return cmd_help (argc, argv);
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0)
    return cmd_version (argc, argv);
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  g_printerr ("dlsia: unknown command “%s”. Run “dlsia --help” for the list.\n", argv[1]);
  return 2;
}
