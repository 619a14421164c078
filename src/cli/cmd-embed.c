/* SPDX-License-Identifier: MIT
 *
 * cmd-embed.c: `dlsia embed INPUT -o OUT.tsv` — samples from a volume (a grid, labelled voxels,
 * connected components) or a stack (one sample per page), their latent vectors from an
 * autoencoder (loaded with --model, else trained first: an MSAE with a 16-value latent), a 2-D
 * map of those (UMAP-style or PCA) and clusters (HDBSCAN-like or k-means), written as a TSV
 * table for pandas or R: a header row, then one row per sample — id, z, y, x, the latent
 * values, map_x, map_y, cluster (−1: noise) and, when the samples have one, label.
 * Ctrl+C stops training (saving the model with --save-model) and writes nothing else.
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "embed.h"
#include "labels-file.h"
#include "progress.h"
#include "safetensors.h"
#include "tiff.h"

static volatile int interrupted;

static void
on_sigint (int sig)
{
  (void) sig;
  interrupted = 1;
}

typedef struct
{
  CliProgress *pr;
  const char *what;
  int last_tenth;
} Stage;

/* "encode [#####.....] 52%" on a terminal, "map 10%", "map 20%", … otherwise. */
static void
on_stage (double f, void *user_data)
{
  Stage *st = user_data;
  int tenth = (int) floor (f * 10 + 1e-9);

  if (st->pr->tty)
    {
      gint64 now = g_get_monotonic_time ();
      char bar[25];

      if (now - st->pr->last < 100000 && f < 1)
        return;
      st->pr->last = now;
      for (int i = 0; i < 24; i++)
        bar[i] = i < (int) (f * 24) ? '#' : '.';
      bar[24] = '\0';
      g_printerr ("\r\033[K%s [%s] %3.0f%%", st->what, bar, 100 * f);
      return;
    }
  if (tenth > st->last_tenth)
    {
      st->last_tenth = tenth;
      g_printerr ("%s %d%%\n", st->what, 10 * tenth);
    }
}

static void
stage_end (Stage *st)
{
  if (st->pr->tty)
    g_printerr ("\r\033[K");
}

static void
append_float (GString *s, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (s, '\t');
  g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.6g", v));
}

static char *
tsv_table (const DlsSamples *s, const float *lat, int L, const float *map, const int *clusters)
{
  GString *t = g_string_sized_new ((gsize) s->n * (gsize) (L + 8) * 10 + 64);

  g_string_append (t, "id\tz\ty\tx");
  for (int j = 0; j < L; j++)
    g_string_append_printf (t, "\tlatent_%d", j);
  g_string_append (t, "\tmap_x\tmap_y\tcluster");
  if (s->label)
    g_string_append (t, "\tlabel");
  g_string_append_c (t, '\n');
  for (int64_t i = 0; i < s->n; i++)
    {
      g_string_append_printf (
          t, "%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT,
          i, s->pos[3 * i], s->pos[3 * i + 1], s->pos[3 * i + 2]);
      for (int j = 0; j < L; j++)
        append_float (t, lat[i * L + j]);
      append_float (t, map[2 * i]);
      append_float (t, map[2 * i + 1]);
      g_string_append_printf (t, "\t%d", clusters[i]);
      if (s->label)
        g_string_append_printf (t, "\t%d", s->label[i]);
      g_string_append_c (t, '\n');
    }
  return g_string_free (t, FALSE);
}

int
cmd_embed (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("INPUT.tif -o OUT.tsv");
  g_autoptr (GError) error = NULL;
  g_autofree char *output = NULL, *model_path = NULL, *save_path = NULL, *labels_path = NULL;
  g_autofree char *sampling_s = NULL, *map_s = NULL, *clusters_s = NULL, *arch_s = NULL;
  g_autofree char *pct_s = NULL, *space_s = NULL, *budget_s = NULL;
  int patch = 0, stride = 0, stride_z = 0, connectivity = 26, latent = 0, epochs = 0, batch = 16;
  int threads = 0, neighbors = 15, min_cluster = 0;
  double time_budget = NAN, lr = 3e-3, min_dist = 0.1;
  gint64 seed = 0, max_samples = DLS_SAMPLES_DEFAULT_MAX;
  gboolean align = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "The table to write (TSV)", "OUT.tsv" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path,
      "An autoencoder to use (else one is trained first)", "MODEL" },
    { "save-model", 0, 0, G_OPTION_ARG_FILENAME, &save_path, "Keep the trained autoencoder here",
      "MODEL" },
    { "sampling", 0, 0, G_OPTION_ARG_STRING, &sampling_s,
      "grid (default), labels, components or pages", "HOW" },
    { "labels", 'l', 0, G_OPTION_ARG_FILENAME, &labels_path,
      "Label or class image (uint8, INPUT's size): needed by --sampling labels and "
      "components; with grid and pages it gives the label column (the class at the centre, "
      "the page's most frequent class)",
      "LABELS.tif" },
    { "patch", 'p', 0, G_OPTION_ARG_INT, &patch,
      "Patch side (32; the model's input size with --model)", "N" },
    { "stride", 0, 0, G_OPTION_ARG_INT, &stride,
      "grid: pixels between patch centres (the patch side); labels: every N-th labelled voxel "
      "(1)",
      "N" },
    { "stride-z", 0, 0, G_OPTION_ARG_INT, &stride_z, "grid: slices between sampled slices (1)",
      "N" },
    { "connectivity", 0, 0, G_OPTION_ARG_INT, &connectivity,
      "components: 26 (faces, edges, corners; default) or 6 (faces)", "N" },
    { "max-samples", 0, 0, G_OPTION_ARG_INT64, &max_samples, "Refuse more samples (1000000)", "N" },
    { "align", 0, 0, G_OPTION_ARG_NONE, &align,
      "Align each sample's object first: centred, its long axis along x, scaled to one size (so "
      "that rotation and size do not dominate the latent space; use the same with --model)",
      NULL },
    { "arch", 'a', 0, G_OPTION_ARG_STRING, &arch_s, "msae (default) or sae", "ARCH" },
    { "latent", 0, 0, G_OPTION_ARG_INT, &latent, "Latent vector length (16)", "N" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Training epochs (20 without --time)", "N" },
    { "time", 0, 0, G_OPTION_ARG_DOUBLE, &time_budget, "Training time budget, seconds", "S" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Samples per step (16)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Adam learning rate (0.003)", "X" },
    { "percentiles", 0, 0, G_OPTION_ARG_STRING, &pct_s,
      "Input normalisation of a trained model: raw values at these percentiles map to 0 and 1 "
      "(0,100)",
      "LO,HI" },
    { "map", 0, 0, G_OPTION_ARG_STRING, &map_s, "umap (default) or pca", "HOW" },
    { "neighbors", 0, 0, G_OPTION_ARG_INT, &neighbors, "umap: n_neighbors (15)", "N" },
    { "min-dist", 0, 0, G_OPTION_ARG_DOUBLE, &min_dist, "umap: min_dist (0.1)", "X" },
    { "clusters", 'c', 0, G_OPTION_ARG_STRING, &clusters_s,
      "hdbscan (default: finds the count) or kmeans:K", "HOW" },
    { "cluster-on", 0, 0, G_OPTION_ARG_STRING, &space_s,
      "Cluster the 2-D map (default) or the latent vectors", "map|latent" },
    { "min-cluster-size", 0, 0, G_OPTION_ARG_INT, &min_cluster,
      "hdbscan: smallest cluster (max(5, samples / 100))", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed of weights, batches, map, clusters (0)",
      "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: all cores)", "N" },
    { "memory-budget", 0, 0, G_OPTION_ARG_STRING, &budget_s, CLI_MEMORY_BUDGET_HELP, "SIZE" },
    { NULL }
  };
  DlsSampling sampling = DLS_SAMPLING_GRID;
  DlsEmbedMapArgs map_args = { .map = DLS_EMBED_MAP_UMAP, .cluster = DLS_EMBED_CLUSTER_HDBSCAN };
  g_auto (DlsTiffInfo) info = { 0 };
  g_autofree float *vol = NULL, *lat = NULL, *map = NULL;
  g_autofree guint8 *lab = NULL;
  g_autofree int *clusters = NULL;
  g_autofree char *table = NULL;
  g_autoptr (DlsSamples) s = NULL;
  CliProgress pr = { .tty = isatty (2) };
  DlsModel *m = NULL;
  double p_low = 0, p_high = 100;
  gint64 t0 = g_get_monotonic_time ();
  int L = 0, C, rc = 1;

  g_option_context_set_summary (
      ctx, "Latent vectors of image patches from an autoencoder, a 2-D map of them and clusters.\n"
           "Samples are patches of INPUT's XY slices on a grid, around labelled voxels or at the\n"
           "centroid of each connected component of a class map (--labels), or whole pages of a\n"
           "stack (--sampling pages).  Without --model an MSAE is trained on the samples first.\n"
           "OUT.tsv gets a header row and one row per sample: id z y x latent_0 … map_x map_y\n"
           "cluster (−1: noise) [label].\n"
           "Example: dlsia synth shapes --count 2000 -o shapes && dlsia embed shapes/images.tif "
           "--sampling pages --seed 1 -o shapes.tsv");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dlsia embed: %s\n", error->message);
      return 2;
    }
  if (argc != 2 || output == NULL)
    {
      g_printerr ("dlsia embed: give INPUT.tif and -o OUT.tsv (see --help)\n");
      return 2;
    }
  if (sampling_s && !dls_sampling_from_name (sampling_s, &sampling))
    {
      g_printerr ("dlsia embed: --sampling is grid, labels, components or pages, not “%s”\n",
                  sampling_s);
      return 2;
    }
  if ((sampling == DLS_SAMPLING_LABELS || sampling == DLS_SAMPLING_COMPONENTS)
      && labels_path == NULL)
    {
      g_printerr ("dlsia embed: --sampling %s needs --labels LABELS.tif\n", sampling_s);
      return 2;
    }
  if (map_s && g_strcmp0 (map_s, "umap") != 0 && g_strcmp0 (map_s, "pca") != 0)
    {
      g_printerr ("dlsia embed: --map is umap or pca, not “%s”\n", map_s);
      return 2;
    }
  if (g_strcmp0 (map_s, "pca") == 0)
    map_args.map = DLS_EMBED_MAP_PCA;
  if (clusters_s && g_strcmp0 (clusters_s, "hdbscan") != 0)
    {
      if (!g_str_has_prefix (clusters_s, "kmeans:"))
        {
          g_printerr ("dlsia embed: --clusters is hdbscan or kmeans:K, not “%s”\n", clusters_s);
          return 2;
        }
      map_args.cluster = DLS_EMBED_CLUSTER_KMEANS;
      if (!cli_parse_int ("embed", "clusters kmeans:K, K", clusters_s + 7, 1, 10000, &map_args.k))
        return 2;
    }
  if (space_s && g_strcmp0 (space_s, "map") != 0 && g_strcmp0 (space_s, "latent") != 0)
    {
      g_printerr ("dlsia embed: --cluster-on is map or latent, not “%s”\n", space_s);
      return 2;
    }
  map_args.on_latent = g_strcmp0 (space_s, "latent") == 0;
  if (arch_s && g_strcmp0 (arch_s, "msae") != 0 && g_strcmp0 (arch_s, "sae") != 0)
    {
      g_printerr ("dlsia embed: --arch is msae or sae, not “%s”\n", arch_s);
      return 2;
    }
  if (patch < 0 || (patch != 0 && (patch < 4 || patch > 4096)) || stride < 0 || stride_z < 0
      || (connectivity != 6 && connectivity != 26) || latent < 0 || latent > 4096 || epochs < 0
      || batch < 1 || batch > 4096 || !(lr > 0) || threads < 0 || neighbors < 2 || !(min_dist >= 0)
      || min_cluster < 0 || max_samples < 1)
    {
      g_printerr ("dlsia embed: an option is out of range (--patch 4–4096, --connectivity 6 or "
                  "26, --latent 1–4096, --batch 1–4096, --lr > 0, --neighbors ≥ 2)\n");
      return 2;
    }
  if (!isnan (time_budget) && time_budget <= 0)
    {
      g_printerr ("dlsia embed: a time budget of zero trains nothing; give --time above 0\n");
      return 2;
    }
  if (model_path && (save_path || arch_s || latent || epochs || !isnan (time_budget) || pct_s))
    {
      g_printerr ("dlsia embed: --model uses a trained autoencoder; --save-model, --arch, "
                  "--latent, --epochs, --time and --percentiles are for training one\n");
      return 2;
    }
  if (pct_s)
    {
      g_auto (GStrv) p = g_strsplit (pct_s, ",", -1);

      if (g_strv_length (p) != 2 || !cli_parse_double ("embed", "percentiles", p[0], 0, 100, &p_low)
          || !cli_parse_double ("embed", "percentiles", p[1], 0, 100, &p_high) || p_low >= p_high)
        {
          g_printerr ("dlsia embed: --percentiles needs LO,HI with LO < HI, e.g. 1,99\n");
          return 2;
        }
    }
  if (!cli_set_memory_budget ("embed", budget_s))
    return 2;
  if (threads > 0)
    dls_engine_set_threads (threads);

  if (model_path)
    {
      m = dls_model_load (model_path, &error);
      if (m == NULL)
        goto fail;
      if (m->config.arch != DLS_ARCH_MSAE && m->config.arch != DLS_ARCH_SAE)
        {
          g_printerr ("dlsia embed: “%s” is a %s; embedding needs an autoencoder (msae or sae)\n",
                      model_path, dls_arch_name (m->config.arch));
          goto out;
        }
      if (patch == 0 && sampling != DLS_SAMPLING_PAGES)
        patch = m->config.arch == DLS_ARCH_MSAE ? m->config.input_shape[1] : m->config.in_shape[0];
    }
  /* the volume as float32, and the labels */
  if (!cli_check_volume_memory (argv[1], sizeof (float), labels_path ? 1 : 0, "as float32",
                                "embed a crop of the volume", &error))
    goto fail;
  vol = dls_tiff_read_volume (argv[1], &info, &error);
  if (vol == NULL)
    goto fail;
  if (info.channels != 1)
    {
      g_printerr ("dlsia embed: “%s” has %d channels; embedding takes one\n", argv[1],
                  info.channels);
      goto out;
    }
  if (labels_path)
    {
      lab = dls_labels_file_load (labels_path, (int) info.depth, (int) info.height,
                                  (int) info.width, 255, &error);
      if (lab == NULL)
        goto fail;
    }
  s = dls_samples_new (vol, info.depth, info.height, info.width, lab,
                       &(DlsSampleArgs){ .mode = sampling,
                                         .size = patch,
                                         .stride = stride,
                                         .stride_z = stride_z,
                                         .connectivity = connectivity,
                                         .max_samples = max_samples,
                                         .align = align },
                       &error);
  if (s == NULL)
    goto fail;
  g_clear_pointer (&vol, g_free);
  if (s->n < 4)
    {
      g_printerr ("dlsia embed: %" G_GINT64_FORMAT " sample%s; a map and clusters need at "
                  "least 4\n",
                  s->n, s->n == 1 ? "" : "s");
      goto out;
    }
  if (m != NULL && !dls_embed_check (m, s, &error))
    {
      g_printerr ("dlsia embed: “%s”: %s\n", model_path, error->message);
      goto out;
    }
  g_printerr ("dlsia embed: %" G_GINT64_FORMAT " samples of %d × %d (%s%s)\n", s->n, s->height,
              s->width, dls_sampling_name (sampling), align ? ", aligned" : "");
  signal (SIGINT, on_sigint);
  if (m == NULL)
    {
      DlsTrainResult res;

      m = dls_embed_train (
          s,
          &(DlsEmbedTrainArgs){ .sparse = g_strcmp0 (arch_s, "sae") == 0,
                                .latent = latent,
                                .epochs = epochs,
                                .time_budget = isnan (time_budget) ? 0 : time_budget,
                                .batch = batch,
                                .lr = lr,
                                .p_low = p_low,
                                .p_high = p_high,
                                .seed = (uint64_t) seed,
                                .cancel = &interrupted,
                                .progress = cli_train_progress,
                                .user_data = &pr },
          &res, &error);
      if (m == NULL)
        goto fail;
      if (pr.tty)
        g_printerr ("\r\033[K");
      g_printerr ("dlsia embed: %s trained: %d epoch%s in %.1f s, best epoch %d (val loss %.5f, "
                  "CC %.4f)%s\n",
                  dls_arch_name (m->config.arch), res.epochs_run,
                  res.epochs_run == 1 ? "" : "s", res.seconds, res.best_epoch + 1,
                  res.best_val_loss, res.best_cc, res.cancelled ? ", interrupted" : "");
      if (save_path)
        {
          if (!dls_model_save (m, save_path, &error))
            goto fail;
          g_printerr ("dlsia embed: model → %s\n", save_path);
        }
      if (interrupted)
        {
          g_printerr ("dlsia embed: interrupted; no table written\n");
          rc = 130;
          goto out;
        }
    }
  {
    Stage st = { &pr, "encode", 0 };

    lat = dls_embed_encode (m, s, &L, &interrupted, on_stage, &st, &error);
    stage_end (&st);
    if (lat == NULL)
      goto fail;
  }
  map = g_new (float, s->n * 2);
  clusters = g_new (int, s->n);
  {
    Stage st = { &pr, map_args.map == DLS_EMBED_MAP_UMAP ? "map (umap)" : "map (pca)", 0 };

    map_args.n_neighbors = neighbors;
    map_args.min_dist = min_dist;
    map_args.min_cluster_size = min_cluster;
    map_args.seed = (uint64_t) seed;
    map_args.cancel = &interrupted;
    map_args.progress = on_stage;
    map_args.user_data = &st;
    C = dls_embed_map (lat, s->n, L, &map_args, map, clusters, &error);
    stage_end (&st);
    if (C < 0)
      goto fail;
  }
  table = tsv_table (s, lat, L, map, clusters);
  if (!dls_io_write_file (output, table, strlen (table), &error))
    goto fail;
  {
    int64_t noise = 0;

    for (int64_t i = 0; i < s->n; i++)
      noise += clusters[i] < 0;
    g_printerr ("dlsia embed: %d clusters (%" G_GINT64_FORMAT " samples noise), %d latent values "
                "per sample, %.1f s → %s\n",
                C, noise, L, (g_get_monotonic_time () - t0) / 1e6, output);
  }
  rc = 0;
  goto out;
fail:
  if (pr.tty)
    g_printerr ("\r\033[K");
  if (interrupted)
    {
      g_printerr ("dlsia embed: interrupted; no table written\n");
      rc = 130;
    }
  else
    g_printerr ("dlsia embed: %s\n", error->message);
out:
  dls_model_free (m);
  return rc;
}
