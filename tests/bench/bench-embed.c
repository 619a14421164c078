/* SPDX-License-Identifier: MIT
 *
 * bench-embed.c: the latent explorer's budget — 10,000 samples of 32 × 32 (DLSIA's shapes)
 * through the default MSAE's encoder (latent 16), the UMAP-style map and HDBSCAN-like
 * clusters, on 2 threads; the issue asks for under 30 s in all.  The autoencoder is trained
 * briefly first on 1,000 of the samples (not timed in the total) so the latent vectors have
 * structure like real ones.  Options: --samples N, --threads T, --train-epochs E.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed.h"
#include "engine.h"
#include "metrics.h"
#include "synth.h"

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* CPU seconds of the whole process (all threads): on a loaded machine the wall clock says more
 * about the neighbours than about us, and CPU / threads is what 2 free cores would take at best. */
static double
cpu (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main (int argc, char **argv)
{
  int64_t N = 10000, S = 32;
  int threads = 2, epochs = 2, L = 0, C;
  int64_t noise = 0;
  g_autoptr (GError) error = NULL;
  g_autofree float *img = NULL, *lat = NULL, *map = NULL;
  g_autofree uint8_t *maps = NULL, *cls = NULL;
  g_autofree int *clusters = NULL, *truth = NULL;
  g_autoptr (DlsSamples) s = NULL;
  DlsSamples sub;
  DlsModel *m;
  double t0, c0, t_enc, t_map, t_all, c_enc, c_map;

  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (strcmp (argv[i], "--samples") == 0)
        N = atoll (argv[i + 1]);
      else if (strcmp (argv[i], "--threads") == 0)
        threads = atoi (argv[i + 1]);
      else if (strcmp (argv[i], "--train-epochs") == 0)
        epochs = atoi (argv[i + 1]);
    }
  dls_engine_set_threads (threads);
  img = g_new (float, N *S *S);
  maps = g_new (uint8_t, N * S * S);
  cls = g_new (uint8_t, N);
  if (!dls_synth_shapes (&(DlsSynthShapesArgs){ N, (int) S, 0.15, 11 }, img, NULL, maps, cls,
                         &error))
    g_error ("%s", error->message);
  s = dls_samples_new (img, N, S, S, NULL, &(DlsSampleArgs){ .mode = DLS_SAMPLING_PAGES }, &error);
  g_assert_no_error (error);
  sub = *s;
  sub.n = MIN (N, 1000);
  t0 = now ();
  m = dls_embed_train (&sub, &(DlsEmbedTrainArgs){ .epochs = epochs, .seed = 1 }, NULL, &error);
  g_assert_no_error (error);
  printf ("train (not in the total): default MSAE, %" G_GINT64_FORMAT " samples, %d epochs: "
          "%.1f s\n",
          sub.n, epochs, now () - t0);

  t0 = now ();
  c0 = cpu ();
  lat = dls_embed_encode (m, s, &L, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  t_enc = now () - t0;
  c_enc = cpu () - c0;
  map = g_new (float, 2 * N);
  clusters = g_new (int, N);
  t0 = now ();
  c0 = cpu ();
  C = dls_embed_map (lat, N, L,
                     &(DlsEmbedMapArgs){ .map = DLS_EMBED_MAP_UMAP,
                                         .cluster = DLS_EMBED_CLUSTER_HDBSCAN,
                                         .seed = 1 },
                     map, clusters, &error);
  g_assert_no_error (error);
  t_map = now () - t0;
  c_map = cpu () - c0;
  t_all = t_enc + t_map;
  truth = g_new (int, N);
  for (int64_t i = 0; i < N; i++)
    {
      truth[i] = cls[i];
      if (clusters[i] < 0) /* noise counts as one more cluster */
        clusters[i] = C, noise++;
    }
  printf ("encode %" G_GINT64_FORMAT " × %d² → %d: %.2f s wall, %.2f s CPU\n", N, (int) S, L, t_enc,
          c_enc);
  printf ("umap (15 neighbours) + hdbscan: %.2f s wall, %.2f s CPU, %d clusters (%" G_GINT64_FORMAT
          " samples noise), ARI vs shape class %.3f\n",
          t_map, c_map, C, noise, dls_adjusted_rand_index (clusters, truth, N));
  printf ("total encode + map + clusters on %d threads: %.2f s wall (target < 30 s) %s; %.2f s "
          "CPU\n",
          threads, t_all, t_all < 30 ? "OK" : "OVER", c_enc + c_map);
  dls_model_free (m);
  return 0;
}
