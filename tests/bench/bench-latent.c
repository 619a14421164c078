/* SPDX-License-Identifier: MIT
 *
 * bench-latent.c: `meson test -C build --benchmark` entry for the latent-space explorer: wall
 * time of the exact kNN (k = 14, what the map uses), the UMAP-style map (defaults: 15
 * neighbours, 500 epochs up to 10,000 points) and HDBSCAN (defaults) on 16-D points from 10
 * Gaussian blobs of different sizes and widths, at n = 2,000 and 10,000; median of REPEATS runs
 * of wall time and of process CPU time (all threads; the honest number on a shared machine),
 * with the ARI of HDBSCAN's clusters (noise as one more label) and, up to 5,000 points, the
 * map's trustworthiness as sanity checks.  Timing only;
 * never a pass/fail test.
 *   bench-latent [N ...] [--repeats R] [--threads T]
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "hdbscan.h"
#include "metrics.h"
#include "umap.h"

enum
{
  D = 16,
  BLOBS = 10,
  K = 14
};

/* CPU seconds of the process (all threads): on a shared machine, beside wall time. */
static double
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
bench_n (int n, int repeats)
{
  g_autofree float *x = g_new (float, (gsize) n *D), *dist = g_new (float, (gsize) n *K);
  g_autofree float *y = g_new (float, (gsize) n * 2);
  g_autofree int *truth = g_new (int, n), *idx = g_new (int, (gsize) n *K);
  g_autofree int *lab = g_new (int, n);
  g_autofree double *t_knn = g_new (double, repeats), *t_umap = g_new (double, repeats);
  g_autofree double *t_hdb = g_new (double, repeats);
  g_autofree double *c_knn = g_new (double, repeats), *c_umap = g_new (double, repeats);
  g_autofree double *c_hdb = g_new (double, repeats);
  double centre[BLOBS][D], sd[BLOBS], weight[BLOBS], wsum = 0;
  DlsUmapArgs uargs = { .min_dist = 0.1, .seed = 1, .init_pca = TRUE };
  int c = 0;
  DlsRng rng;

  dls_rng_init (&rng, 2024);
  for (int b = 0; b < BLOBS; b++)
    {
      for (int j = 0; j < D; j++)
        centre[b][j] = 4 * dls_rng_normal (&rng);
      sd[b] = 0.5 + dls_rng_uniform (&rng);
      weight[b] = 1 + 3 * dls_rng_uniform (&rng);
      wsum += weight[b];
    }
  for (int i = 0; i < n; i++)
    {
      double u = dls_rng_uniform (&rng) * wsum;
      int b = 0;

      while (b < BLOBS - 1 && (u -= weight[b]) > 0)
        b++;
      truth[i] = b;
      for (int j = 0; j < D; j++)
        x[(gsize) i * D + j] = (float) (centre[b][j] + sd[b] * dls_rng_normal (&rng));
    }

  for (int r = 0; r < repeats; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double c0 = cpu_now ();

      dls_knn (x, n, D, K, idx, dist);
      t_knn[r] = (g_get_monotonic_time () - t0) / 1e6;
      c_knn[r] = cpu_now () - c0;
      t0 = g_get_monotonic_time ();
      c0 = cpu_now ();
      if (!dls_umap (x, n, D, &uargs, y, NULL))
        g_error ("umap failed");
      t_umap[r] = (g_get_monotonic_time () - t0) / 1e6;
      c_umap[r] = cpu_now () - c0;
      t0 = g_get_monotonic_time ();
      c0 = cpu_now ();
      c = dls_hdbscan (x, n, D, NULL, lab, NULL, NULL);
      t_hdb[r] = (g_get_monotonic_time () - t0) / 1e6;
      c_hdb[r] = cpu_now () - c0;
    }
  for (int i = 0; i < n; i++)
    if (lab[i] < 0)
      lab[i] = c;
  if (n <= 5000)
    printf ("n %6d trustworthiness of the map (k = 5) %.4f\n", n,
            dls_trustworthiness (x, D, y, 2, n, 5));
  printf ("n %6d d %d  wall (cpu) s: knn(k=%d) %.3f (%.3f)  umap %.3f (%.3f)  hdbscan %.3f (%.3f)  "
          "[median of %d; hdbscan %d clusters, ARI %.3f]\n",
          n, D, K, dls_median (t_knn, repeats), dls_median (c_knn, repeats),
          dls_median (t_umap, repeats), dls_median (c_umap, repeats), dls_median (t_hdb, repeats),
          dls_median (c_hdb, repeats), repeats, c, dls_adjusted_rand_index (lab, truth, n));
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  int sizes[8], n_sizes = 0, repeats = 3, threads = 0;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--repeats") == 0 && i + 1 < argc)
        repeats = atoi (argv[++i]);
      else if (strcmp (argv[i], "--threads") == 0 && i + 1 < argc)
        threads = atoi (argv[++i]);
      else if (n_sizes < 8 && atoi (argv[i]) >= 3)
        sizes[n_sizes++] = atoi (argv[i]);
      else
        {
          fprintf (stderr, "usage: bench-latent [N ≥ 3 ...] [--repeats R] [--threads T]\n");
          return 2;
        }
    }
  if (n_sizes == 0)
    {
      sizes[n_sizes++] = 2000;
      sizes[n_sizes++] = 10000;
    }
  if (threads > 0)
    dls_engine_set_threads (threads);
  printf ("latent: %d threads, OpenBLAS %s\n", dls_engine_get_threads (),
          dls_engine_blas_corename ());
  for (int s = 0; s < n_sizes; s++)
    bench_n (sizes[s], MAX (repeats, 1));
  return 0;
}
