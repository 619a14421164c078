/* SPDX-License-Identifier: MIT
 *
 * cmd-predict.c: `dlsia predict MODEL INPUT.tif --probabilities OUT.tif [--classes OUT.tif]` —
 * the model over every slice of a TIFF image or stack, whole slices at once, one slice in memory
 * at a time, outputs written page by page and renamed into place only when complete.
 */
#include "config.h"

#include <math.h>
#include <unistd.h>

#include "cli.h"
#include "predict.h"
#include "safetensors.h"
#include "tiff.h"

int
cmd_predict (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL INPUT.tif");
  g_autoptr (GError) error = NULL;
  g_autofree char *prob_path = NULL, *class_path = NULL, *out_path = NULL;
  g_autofree float *slice = NULL, *probs = NULL;
  g_autofree guint8 *classes = NULL;
  g_autoptr (DlsPredictor) pred = NULL;
  DlsTiffWriter *wp = NULL, *wc = NULL, *wo = NULL;
  DlsTiffReader *r = NULL;
  const DlsTiffInfo *info;
  DlsModel *m = NULL;
  int threads = 0, rc = 1, K;
  gboolean tty = isatty (2), classifier;
  gint64 t0 = g_get_monotonic_time (), last = 0;
  GOptionEntry entries[] = {
    { "probabilities", 'p', 0, G_OPTION_ARG_FILENAME, &prob_path,
      "Softmax probabilities, float32: all classes of slice 0, then of slice 1, …", "OUT.tif" },
    { "classes", 'c', 0, G_OPTION_ARG_FILENAME, &class_path,
      "Most probable class per pixel, uint8, 1..K (0 stays free for “unlabelled”)", "OUT.tif" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_path,
      "The raw network output, float32, channel pages per slice (regression, autoencoders)",
      "OUT.tif" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: all cores)", "N" },
    { NULL }
  };

  g_option_context_set_summary (
      ctx, "Runs MODEL on every slice of INPUT (a TIFF image or stack, or a folder of slices),\n"
           "whole slices at once.  The input goes through the normalisation stored in the\n"
           "model and nothing else (a model fresh from “dlsia init” takes raw values).  Pages\n"
           "of --probabilities are ordered class by class within each slice: slice 0 class 1,\n"
           "slice 0 class 2, …, then slice 1.  Outputs appear only when complete.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dlsia predict: %s\n", error->message);
      return 2;
    }
  if (argc != 3)
    {
      g_printerr ("dlsia predict: give a model and an input image (see --help)\n");
      return 2;
    }
  if (prob_path == NULL && class_path == NULL && out_path == NULL)
    {
      g_printerr ("dlsia predict: say what to write: --probabilities, --classes or --output\n");
      return 2;
    }
  if (threads < 0 || threads > 1024)
    {
      g_printerr ("dlsia predict: --threads must be 0 (all cores) to 1024\n");
      return 2;
    }
  if (threads > 0)
    dls_engine_set_threads (threads);

  m = dls_model_load (argv[1], &error);
  if (m == NULL)
    goto fail;
  classifier = dls_model_is_classifier (m);
  K = m->config.out_channels;
  if (!classifier && (prob_path || class_path))
    {
      g_printerr ("dlsia predict: “%s” is a %s model without classes; use --output\n", argv[1],
                  dls_arch_name (m->config.arch));
      goto out;
    }
  if (class_path && K > 255)
    {
      g_printerr ("dlsia predict: %d classes do not fit a uint8 class map\n", K);
      goto out;
    }
  r = dls_tiff_reader_open (argv[2], &error);
  if (r == NULL)
    goto fail;
  info = dls_tiff_reader_get_info (r);
  if (info->channels != m->config.in_channels)
    {
      g_printerr ("dlsia predict: the model takes %d input channel%s, “%s” has %d\n",
                  m->config.in_channels, m->config.in_channels == 1 ? "" : "s", argv[2],
                  info->channels);
      goto out;
    }
  if (info->width > 65536 || info->height > 65536)
    {
      g_printerr ("dlsia predict: slices of %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                  " are too large to predict whole\n",
                  info->width, info->height);
      goto out;
    }
  {
    int64_t hw = info->width * info->height;
    int h = (int) info->height, w = (int) info->width;

    slice = g_try_new (float, hw * info->channels);
    probs = g_try_new (float, hw * K);
    classes = class_path ? g_try_new (guint8, hw) : NULL;
    if (slice == NULL || probs == NULL || (class_path && classes == NULL))
      {
        g_printerr ("dlsia predict: not enough memory for slices of %d × %d\n", w, h);
        goto out;
      }
    if (prob_path
        && !(wp = dls_tiff_writer_new_stack (prob_path, DLS_SAMPLE_F32, w, h, info->depth * K,
                                             &error)))
      goto fail;
    if (out_path
        && !(wo = dls_tiff_writer_new_stack (out_path, DLS_SAMPLE_F32, w, h, info->depth * K,
                                             &error)))
      goto fail;
    if (class_path
        && !(wc = dls_tiff_writer_new_stack (class_path, DLS_SAMPLE_U8, w, h, info->depth, &error)))
      goto fail;
    pred = dls_predictor_new (m);
    for (int64_t z = 0; z < info->depth; z++)
      {
        if (!dls_tiff_reader_read_slice (r, z, slice, &error)
            || !dls_predictor_run (pred, slice, h, w, probs, NULL, &error))
          goto fail;
        for (int k = 0; k < K; k++)
          {
            if (wp && !dls_tiff_writer_add_page (wp, probs + k * hw, &error))
              goto fail;
            if (wo && !dls_tiff_writer_add_page (wo, probs + k * hw, &error))
              goto fail;
          }
        if (wc)
          {
            for (int64_t i = 0; i < hw; i++)
              {
                int best = 0;

                for (int k = 1; k < K; k++)
                  if (probs[k * hw + i] > probs[best * hw + i])
                    best = k;
                classes[i] = (guint8) (best + 1);
              }
            if (!dls_tiff_writer_add_page (wc, classes, &error))
              goto fail;
          }
        {
          gint64 now = g_get_monotonic_time ();

          if (tty && (now - last > 200000 || z + 1 == info->depth))
            {
              g_printerr ("\rdlsia predict: slice %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
                          "  %.1f s",
                          z + 1, info->depth, (now - t0) / 1e6);
              last = now;
            }
        }
      }
    if (tty)
      g_printerr ("\n");
  }
  if ((wp && !dls_tiff_writer_commit (g_steal_pointer (&wp), &error))
      || (wo && !dls_tiff_writer_commit (g_steal_pointer (&wo), &error))
      || (wc && !dls_tiff_writer_commit (g_steal_pointer (&wc), &error)))
    goto fail;
  g_printerr ("dlsia predict: %" G_GINT64_FORMAT " slice%s of %" G_GINT64_FORMAT
              " × %" G_GINT64_FORMAT " in %.2f s\n",
              info->depth, info->depth == 1 ? "" : "s", info->width, info->height,
              (g_get_monotonic_time () - t0) / 1e6);
  rc = 0;
  goto out;
fail:
  if (tty)
    g_printerr ("\n");
  g_printerr ("dlsia predict: %s\n", error->message);
out:
  if (wp)
    dls_tiff_writer_abort (wp);
  if (wo)
    dls_tiff_writer_abort (wo);
  if (wc)
    dls_tiff_writer_abort (wc);
  g_clear_pointer (&pred, dls_predictor_free);
  if (r)
    dls_tiff_reader_free (r);
  dls_model_free (m);
  return rc;
}
