/* SPDX-License-Identifier: MIT
 *
 * cmd-evaluate.c: `dlsia evaluate PREDICTION.tif TRUTH.tif` — per-class F1 and IoU of a class
 * map against ground truth (both 1..K, 0 = not counted), printed as one JSON line; with
 * --regression, the Pearson correlation of two float images (over --mask pixels if given).
 * Slice by slice, so volumes of any size fit.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cli.h"
#include "metrics.h"
#include "tiff.h"

static gboolean
same_size (const DlsTiffInfo *a, const DlsTiffInfo *b)
{
  return a->width == b->width && a->height == b->height && a->depth == b->depth
         && a->channels == b->channels;
}

int
cmd_evaluate (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("PREDICTION.tif TRUTH.tif");
  g_autoptr (GError) error = NULL;
  g_autofree char *mask_path = NULL;
  gboolean regression = FALSE, log_units = FALSE;
  int classes = 0;
  GOptionEntry entries[]
      = { { "classes", 'k', 0, G_OPTION_ARG_INT, &classes,
            "Classes (default: the largest value seen)", "K" },
          { "regression", 'r', 0, G_OPTION_ARG_NONE, &regression,
            "Compare float images by Pearson correlation instead", NULL },
          { "log", 0, 0, G_OPTION_ARG_NONE, &log_units,
            "--regression: compare log(1 + x) of both (scattering intensities)", NULL },
          { "mask", 0, 0, G_OPTION_ARG_FILENAME, &mask_path,
            "--regression: only pixels where this image is non-zero (e.g. detector gaps)",
            "MASK.tif" },
          { NULL } };
  g_autoptr (DlsTiffReader) pr = NULL, tr = NULL, mr = NULL;
  const DlsTiffInfo *pi, *ti;
  g_autofree float *p = NULL, *t = NULL, *mk = NULL;
  int64_t hw;

  g_option_context_set_summary (ctx, "Scores a class map against ground truth: one JSON line "
                                     "with per-class and mean f1 and iou.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dlsia evaluate: %s\n", error->message);
      return 2;
    }
  if (argc != 3 || classes < 0 || classes > 255)
    {
      g_printerr ("dlsia evaluate: give PREDICTION.tif and TRUTH.tif (see --help)\n");
      return 2;
    }
  if (!(pr = dls_tiff_reader_open (argv[1], &error))
      || !(tr = dls_tiff_reader_open (argv[2], &error))
      || (mask_path && !(mr = dls_tiff_reader_open (mask_path, &error))))
    {
      g_printerr ("dlsia evaluate: %s\n", error->message);
      return 1;
    }
  pi = dls_tiff_reader_get_info (pr);
  ti = dls_tiff_reader_get_info (tr);
  if (!same_size (pi, ti) || (mr && !same_size (pi, dls_tiff_reader_get_info (mr))))
    {
      g_printerr ("dlsia evaluate: the images differ in size (%" G_GINT64_FORMAT
                  " × %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " against %" G_GINT64_FORMAT
                  " × %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT ")\n",
                  pi->depth, pi->height, pi->width, ti->depth, ti->height, ti->width);
      return 1;
    }
  hw = pi->width * pi->height * pi->channels;
  p = g_new (float, hw);
  t = g_new (float, hw);
  mk = mr ? g_new (float, hw) : NULL;
  if (regression)
    {
      DlsPearsonAcc acc = { 0 };

      for (int64_t z = 0; z < pi->depth; z++)
        {
          if (!dls_tiff_reader_read_slice (pr, z, p, &error)
              || !dls_tiff_reader_read_slice (tr, z, t, &error)
              || (mr && !dls_tiff_reader_read_slice (mr, z, mk, &error)))
            goto fail;
          if (log_units)
            for (int64_t i = 0; i < hw; i++)
              {
                p[i] = log1pf (MAX (p[i], 0.0f));
                t[i] = log1pf (MAX (t[i], 0.0f));
              }
          dls_pearson_acc_add (&acc, p, t, mk, hw);
        }
      {
        double cc = dls_pearson_acc_cc (&acc);
        g_autofree char *ccs = isfinite (cc) ? g_strdup_printf ("%.6f", cc) : g_strdup ("null");

        g_print ("{\"pixels\": %.0f, \"cc\": %s, \"mse\": %.6g}\n", acc.n, ccs,
                 acc.n > 0 ? dls_pearson_acc_mse (&acc) : 0.0);
      }
      return 0;
    }
  {
    g_autofree uint8_t *pb = g_new (uint8_t, hw), *tb = g_new (uint8_t, hw);
    g_autofree char *json = NULL;
    DlsConfusion conf;
    int K = classes;

    if (K == 0)
      for (int64_t z = 0; z < pi->depth; z++)
        {
          if (!dls_tiff_reader_read_slice (pr, z, p, &error)
              || !dls_tiff_reader_read_slice (tr, z, t, &error))
            goto fail;
          for (int64_t i = 0; i < hw; i++)
            K = MAX (K, (int) MAX (CLAMP (p[i], 0, 255), CLAMP (t[i], 0, 255)));
        }
    if (K < 1)
      {
        g_printerr ("dlsia evaluate: no classes in either image (all zero)\n");
        return 1;
      }
    dls_confusion_init (&conf, K);
    for (int64_t z = 0; z < pi->depth; z++)
      {
        if (!dls_tiff_reader_read_slice (pr, z, p, &error)
            || !dls_tiff_reader_read_slice (tr, z, t, &error))
          {
            dls_confusion_clear (&conf);
            goto fail;
          }
        for (int64_t i = 0; i < hw; i++)
          {
            pb[i] = (uint8_t) CLAMP (p[i], 0, 255);
            tb[i] = (uint8_t) CLAMP (t[i], 0, 255);
          }
        dls_confusion_add (&conf, pb, tb, hw);
      }
    json = dls_confusion_to_json (&conf);
    g_print ("%s\n", json);
    dls_confusion_clear (&conf);
  }
  return 0;
fail:
  g_printerr ("dlsia evaluate: %s\n", error->message);
  return 1;
}
