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
  { "train", "Train a model or an ensemble from sparse labels", cmd_train },
  { "embed", "Latent vectors of patches, a 2-D map and clusters (TSV)", cmd_embed },
  { "evaluate", "Score a class map against ground truth (F1, IoU)", cmd_evaluate },
  { "synth", "Make synthetic volumes with ground truth", cmd_synth },
  { "bench", "Time the kernels against sgemm, or training steps (--workload)", cmd_bench },
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
      {
        /* so that “Usage: dlsia train …” names the command as typed */
        g_autofree char *name = g_strdup_printf ("dlsia %s", commands[i].name);

        g_set_prgname (name);
        return commands[i].run (argc - 1, argv + 1);
      }
  g_printerr ("dlsia: unknown command “%s”. Run “dlsia --help” for the list.\n", argv[1]);
  return 2;
}
