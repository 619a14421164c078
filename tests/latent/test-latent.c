/* SPDX-License-Identifier: MIT
 *
 * test-latent.c: the latent-space explorer's numerics (src/latent): PCA on hand cases and
 * against a brute-force (Jacobi) eigen-decomposition, kNN against brute force, trustworthiness
 * on a hand case, the UMAP-style map on separated blobs, its determinism and cancellation, and
 * HDBSCAN on blobs of different densities and sizes, with noise and duplicates.  Seeds are
 * fixed, so every check is deterministic.
 */
#include "config.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "engine.h"
#include "hdbscan.h"
#include "kmeans.h"
#include "latent-private.h"
#include "metrics.h"
#include "pca.h"
#include "umap.h"

/* n points in d dimensions from `n_blobs` Gaussian blobs: blob b has sizes[b] points, standard
 * deviation sd[b], centre drawn from N(0, spread²) per coordinate; truth gets b. */
static float *
make_blobs (int n_blobs, const int *sizes, const double *sd, double spread, int d, uint64_t seed,
            int **truth_out, int *n_out)
{
  DlsRng rng;
  int n = 0, i = 0;
  float *x;
  int *truth;

  dls_rng_init (&rng, seed);
  for (int b = 0; b < n_blobs; b++)
    n += sizes[b];
  x = g_new (float, (gsize) n *d);
  truth = g_new (int, n);
  for (int b = 0; b < n_blobs; b++)
    {
      double centre[d];

      for (int j = 0; j < d; j++)
        centre[j] = spread * dls_rng_normal (&rng);
      for (int s = 0; s < sizes[b]; s++, i++)
        {
          for (int j = 0; j < d; j++)
            x[(gsize) i * d + j] = (float) (centre[j] + sd[b] * dls_rng_normal (&rng));
          truth[i] = b;
        }
    }
  *truth_out = truth;
  *n_out = n;
  return x;
}

static gboolean
all_finite (const float *v, gsize n)
{
  for (gsize t = 0; t < n; t++)
    if (!isfinite (v[t]))
      return FALSE;
  return TRUE;
}

/* ---- PCA ------------------------------------------------------------------------------------- */

/* Five points on the line c + t v, v = (2, 1, 2) / 3, t = −2, −1, 0, 1, 3 (mean 0.2): the first
 * coordinate is t − 0.2 (v's largest loadings tie, the first is positive), all the variance is
 * in it. */
static void
test_pca_line (void)
{
  const float t[] = { -2, -1, 0, 1, 3 }, v[] = { 2 / 3.f, 1 / 3.f, 2 / 3.f }, c[] = { 1, -2, 5 };
  float x[5 * 3], out[5 * 2], comp[2 * 3], expl[2];

  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 3; j++)
      x[i * 3 + j] = c[j] + t[i] * v[j];
  g_assert_true (dls_pca (x, 5, 3, 2, out, comp, expl, NULL));
  for (int i = 0; i < 5; i++)
    {
      g_assert_cmpfloat_with_epsilon (out[i * 2], t[i] - 0.2f, 1e-5);
      g_assert_cmpfloat_with_epsilon (out[i * 2 + 1], 0, 1e-5);
    }
  for (int j = 0; j < 3; j++)
    g_assert_cmpfloat_with_epsilon (comp[j], v[j], 1e-5);
  g_assert_cmpfloat_with_epsilon (expl[0], 1, 1e-5);
  g_assert_cmpfloat_with_epsilon (expl[1], 0, 1e-5);
}

/* Four points c + s u + t v with (s, t) = (±3, ±1), u = (1, 2, 2) / 3, v = (2, 1, −2) / 3:
 * variances 12 and 4/3, so 0.9 and 0.1 of the total; coordinates s and t (u's largest loading
 * is the positive 2/3 at index 1, v's tie of ±2/3 goes to index 0, positive). */
static void
test_pca_plane (void)
{
  const float st[4][2] = { { -3, -1 }, { -3, 1 }, { 3, -1 }, { 3, 1 } };
  const float u[] = { 1 / 3.f, 2 / 3.f, 2 / 3.f }, v[] = { 2 / 3.f, 1 / 3.f, -2 / 3.f };
  const float c[] = { 1, -2, 5 };
  float x[4 * 3], out[4 * 3], comp[3 * 3], expl[3];
  GError *error = NULL;

  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++)
      x[i * 3 + j] = c[j] + st[i][0] * u[j] + st[i][1] * v[j];
  g_assert_true (dls_pca (x, 4, 3, 3, out, comp, expl, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 4; i++)
    {
      g_assert_cmpfloat_with_epsilon (out[i * 3], st[i][0], 1e-5);
      g_assert_cmpfloat_with_epsilon (out[i * 3 + 1], st[i][1], 1e-5);
      g_assert_cmpfloat_with_epsilon (out[i * 3 + 2], 0, 1e-5);
    }
  for (int j = 0; j < 3; j++)
    {
      g_assert_cmpfloat_with_epsilon (comp[j], u[j], 1e-5);
      g_assert_cmpfloat_with_epsilon (comp[3 + j], v[j], 1e-5);
    }
  g_assert_cmpfloat_with_epsilon (expl[0], 0.9, 1e-5);
  g_assert_cmpfloat_with_epsilon (expl[1], 0.1, 1e-5);
  g_assert_cmpfloat_with_epsilon (expl[2], 0, 1e-5);

  /* the refusals */
  g_assert_false (dls_pca (x, 4, 3, 4, out, NULL, NULL, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (dls_pca (x, 1, 3, 2, out, NULL, NULL, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_clear_error (&error);
}

/* Cyclic Jacobi rotations on a symmetric d × d matrix (double): eigenvalues on the diagonal,
 * eigenvectors in the columns of v.  The reference for dsyev_. */
static void
jacobi_eigen (double *a, double *v, int d)
{
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++)
      v[i * d + j] = i == j;
  for (int sweep = 0; sweep < 100; sweep++)
    {
      double off = 0;

      for (int p = 0; p < d; p++)
        for (int q = p + 1; q < d; q++)
          off += a[p * d + q] * a[p * d + q];
      if (off < 1e-30)
        break;
      for (int p = 0; p < d; p++)
        for (int q = p + 1; q < d; q++)
          {
            double apq = a[p * d + q], theta, t, cs, sn;

            if (fabs (apq) < 1e-300)
              continue;
            theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
            t = (theta >= 0 ? 1 : -1) / (fabs (theta) + sqrt (theta * theta + 1));
            cs = 1 / sqrt (t * t + 1);
            sn = t * cs;
            for (int k = 0; k < d; k++)
              {
                double akp = a[k * d + p], akq = a[k * d + q];

                a[k * d + p] = cs * akp - sn * akq;
                a[k * d + q] = sn * akp + cs * akq;
              }
            for (int k = 0; k < d; k++)
              {
                double apk = a[p * d + k], aqk = a[q * d + k];

                a[p * d + k] = cs * apk - sn * aqk;
                a[q * d + k] = sn * apk + cs * aqk;
              }
            for (int k = 0; k < d; k++)
              {
                double vkp = v[k * d + p], vkq = v[k * d + q];

                v[k * d + p] = cs * vkp - sn * vkq;
                v[k * d + q] = sn * vkp + cs * vkq;
              }
          }
    }
}

static void
test_pca_random (void)
{
  enum
  {
    N = 300,
    D = 6,
    K = 4
  };
  const double scale[D] = { 5, 3, 2, 1, 0.5, 0.25 };
  g_autofree float *x = g_new (float, N *D), *out = g_new (float, N *K);
  double mean[D] = { 0 }, cov[D * D] = { 0 }, vec[D * D], total = 0;
  float comp[K * D], expl[K];
  int order[D];
  DlsRng rng;

  dls_rng_init (&rng, 7);
  /* correlated: each coordinate mixes the previous one in */
  for (int i = 0; i < N; i++)
    for (int j = 0; j < D; j++)
      x[i * D + j] = (float) (scale[j] * dls_rng_normal (&rng) + (j ? 0.5 * x[i * D + j - 1] : 3));
  for (int i = 0; i < N; i++)
    for (int j = 0; j < D; j++)
      mean[j] += x[i * D + j] / (double) N;
  for (int i = 0; i < N; i++)
    for (int p = 0; p < D; p++)
      for (int q = 0; q < D; q++)
        cov[p * D + q] += (x[i * D + p] - mean[p]) * (x[i * D + q] - mean[q]) / (N - 1);
  for (int p = 0; p < D; p++)
    total += cov[p * D + p];
  jacobi_eigen (cov, vec, D);
  for (int j = 0; j < D; j++)
    order[j] = j;
  for (int a = 0; a < D; a++) /* by decreasing eigenvalue */
    for (int b = a + 1; b < D; b++)
      if (cov[order[b] * D + order[b]] > cov[order[a] * D + order[a]])
        {
          int t = order[a];
          order[a] = order[b];
          order[b] = t;
        }

  g_assert_true (dls_pca (x, N, D, K, out, comp, expl, NULL));
  for (int c = 0; c < K; c++)
    {
      int e = order[c], arg = 0;
      double dot = 0;

      g_assert_cmpfloat_with_epsilon (expl[c], cov[e * D + e] / total, 1e-5);
      for (int j = 0; j < D; j++)
        dot += comp[c * D + j] * vec[j * D + e];
      g_assert_cmpfloat_with_epsilon (fabs (dot), 1, 1e-5);
      /* sign convention: the largest-magnitude loading is positive */
      for (int j = 1; j < D; j++)
        if (fabsf (comp[c * D + j]) > fabsf (comp[c * D + arg]))
          arg = j;
      g_assert_cmpfloat (comp[c * D + arg], >, 0);
      /* coordinates are the projections on the components */
      for (int i = 0; i < N; i++)
        {
          double s = 0;

          for (int j = 0; j < D; j++)
            s += (x[i * D + j] - mean[j]) * comp[c * D + j];
          g_assert_cmpfloat_with_epsilon (out[i * K + c], s, 1e-4 * (1 + fabs (s)));
        }
    }
  /* the sign is fixed: flipping the data flips the coordinates, not the components */
  {
    g_autofree float *xn = g_new (float, N *D), *outn = g_new (float, N *K);
    float compn[K * D];

    for (int t = 0; t < N * D; t++)
      xn[t] = -x[t];
    g_assert_true (dls_pca (xn, N, D, K, outn, compn, NULL, NULL));
    for (int t = 0; t < K * D; t++)
      g_assert_cmpfloat_with_epsilon (compn[t], comp[t], 1e-5);
    for (int t = 0; t < N * K; t++)
      g_assert_cmpfloat_with_epsilon (outn[t], -out[t], 1e-4);
  }
}

/* ---- kNN and trustworthiness ----------------------------------------------------------------- */

static void
check_knn (const float *x, int n, int d, int k)
{
  g_autofree int *ia = g_new (int, (gsize) n *k), *ib = g_new (int, (gsize) n *k);
  g_autofree float *da = g_new (float, (gsize) n *k), *db = g_new (float, (gsize) n *k);

  dls_knn (x, n, d, k, ia, da);
  dls_latent_knn_naive (x, n, d, k, ib, db);
  for (gsize t = 0; t < (gsize) n * k; t++)
    {
      g_assert_cmpint (ia[t], ==, ib[t]);
      g_assert_cmpfloat (da[t], ==, db[t]);
    }
  for (int i = 0; i < n; i++)
    for (int t = 0; t < k; t++)
      {
        g_assert_cmpint (ia[(gsize) i * k + t], !=, i);
        if (t)
          g_assert_cmpfloat (da[(gsize) i * k + t - 1], <=, da[(gsize) i * k + t]);
      }
}

static void
test_knn_brute_force (void)
{
  const int sizes[] = { 1000, 800, 700 };
  const double sd[] = { 1, 2, 0.5 };
  g_autofree int *truth = NULL;
  int n;
  g_autofree float *x = make_blobs (3, sizes, sd, 5, 16, 11, &truth, &n);

  /* 2500 points: several row blocks and two column blocks */
  check_knn (x, n, 16, 15);
  check_knn (x, 300, 3, 1);
  /* duplicates: ties go by index */
  for (int i = 0; i < 100; i++)
    memcpy (x + (gsize) (100 + i) * 16, x + (gsize) i * 16, sizeof (float) * 16);
  check_knn (x, 400, 16, 5);
}

/* X on a line at 0, 1, 3, 7, 10; Y at 0, 5, 1.5, 3.2, 10; k = 1.  Nearest in Y and its rank in
 * X: 0 → 2 (rank 2), 1 → 3 (3), 2 → 0 (2), 3 → 2 (2), 4 → 1 (3); Σ max (0, r − 1) = 7, so
 * T = 1 − 7 · 2 / (5 · 1 · (10 − 3 − 1)) = 8/15. */
static void
test_trustworthiness_hand (void)
{
  const float x[] = { 0, 1, 3, 7, 10 }, y[] = { 0, 5, 1.5f, 3.2f, 10 };
  g_autofree float *big = NULL;
  DlsRng rng;

  g_assert_cmpfloat_with_epsilon (dls_trustworthiness (x, 1, y, 1, 5, 1), 8.0 / 15, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_trustworthiness (x, 1, x, 1, 5, 1), 1, 1e-12);
  big = g_new (float, 200 * 4);
  dls_rng_init (&rng, 3);
  for (int t = 0; t < 200 * 4; t++)
    big[t] = (float) dls_rng_normal (&rng);
  g_assert_cmpfloat_with_epsilon (dls_trustworthiness (big, 4, big, 4, 200, 5), 1, 1e-12);
  /* a projection on the first two coordinates keeps less */
  g_assert_cmpfloat (dls_trustworthiness (big, 4, big, 4, 200, 5), >,
                     dls_trustworthiness (big, 4, big, 2, 200, 5) + 0.0);
}

/* ---- UMAP ------------------------------------------------------------------------------------ */

static void
test_umap_ab (void)
{
  double a, b;

  /* umap-learn's find_ab_params (1.0, 0.1) */
  dls_umap_find_ab (1.0, 0.1, &a, &b);
  g_assert_cmpfloat_with_epsilon (a, 1.5769434604, 1e-4);
  g_assert_cmpfloat_with_epsilon (b, 0.8950608781, 1e-4);
  /* and (1.0, 0.5): a 0.5830300199, b 1.334166992 */
  dls_umap_find_ab (1.0, 0.5, &a, &b);
  g_assert_cmpfloat_with_epsilon (a, 0.5830300199, 1e-3);
  g_assert_cmpfloat_with_epsilon (b, 1.3341669920, 1e-3);
}

/* 1-D points 0, 1, 3, 7 with n_neighbors 3 (two others).  Each point's nearer neighbour is at rho,
 * membership 1; the farther one gets p with 1 + p = log2 3, whatever the distances.  Memberships
 * 0→1 1, 0→2 p; 1→0 1, 1→2 p; 2→1 1, 2→0 p; 3→2 1, 3→1 p.  Fuzzy union a + b − ab:
 * 0–1 1, 0–2 2p − p², 1–2 1, 2–3 1, 1–3 p, and no 0–3. */
static void
test_umap_fuzzy_graph (void)
{
  const float x[] = { 0, 1, 3, 7 };
  const double p = log2 (3) - 1;
  const double expect[4][4]
      = { { 0, 1, 2 * p - p * p, 0 }, { 1, 0, 1, p }, { 2 * p - p * p, 1, 0, 1 }, { 0, p, 1, 0 } };
  g_autofree int64_t *rowptr = NULL;
  g_autofree int *col = NULL;
  g_autofree float *w = NULL;
  double got[4][4] = { { 0 } };
  int64_t nnz = dls_umap_fuzzy_graph (x, 4, 1, 3, &rowptr, &col, &w);

  g_assert_cmpint (nnz, ==, 10);
  g_assert_cmpint (rowptr[4], ==, nnz);
  for (int i = 0; i < 4; i++)
    for (int64_t e = rowptr[i]; e < rowptr[i + 1]; e++)
      {
        if (e > rowptr[i])
          g_assert_cmpint (col[e - 1], <, col[e]);
        got[i][col[e]] = w[e];
      }
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++)
      g_assert_cmpfloat_with_epsilon (got[i][j], expect[i][j], 1e-4);
}

static float *
five_blobs (int **truth, int *n)
{
  const int sizes[] = { 100, 100, 100, 100, 100 };
  const double sd[] = { 1, 1, 1, 1, 1 };

  return make_blobs (5, sizes, sd, 6, 16, 2024, truth, n);
}

static void
test_umap_blobs (void)
{
  g_autofree int *truth = NULL, *lab = g_new (int, 500);
  int n;
  g_autofree float *x = five_blobs (&truth, &n);
  g_autofree float *y = g_new (float, (gsize) n * 2);
  DlsUmapArgs args = { .min_dist = 0.1, .seed = 1, .init_pca = TRUE };
  double tw, ari;

  for (int init = 0; init < 2; init++)
    {
      args.init_pca = init == 0;
      g_assert_true (dls_umap (x, n, 16, &args, y, NULL));
      g_assert_true (all_finite (y, (gsize) n * 2));
      tw = dls_trustworthiness (x, 16, y, 2, n, 5);
      dls_kmeans (y, n, 2, 5, 1, 4, lab, NULL);
      ari = dls_adjusted_rand_index (lab, truth, n);
      g_test_message ("init %s: trustworthiness %.4f, ARI of k-means on the map %.4f",
                      init == 0 ? "pca" : "random", tw, ari);
      g_assert_cmpfloat (tw, >=, 0.9);
      g_assert_cmpfloat (ari, >=, 0.95);
    }
}

static void
test_umap_deterministic (void)
{
  g_autofree int *truth = NULL;
  int n, threads = dls_engine_get_threads ();
  g_autofree float *x = five_blobs (&truth, &n);
  g_autofree float *y1 = g_new (float, (gsize) n * 2), *y2 = g_new (float, (gsize) n * 2);
  g_autofree float *y3 = g_new (float, (gsize) n * 2), *y4 = g_new (float, (gsize) n * 2);
  DlsUmapArgs args = { .min_dist = 0.1, .seed = 42, .init_pca = TRUE, .n_epochs = 200 };

  g_assert_true (dls_umap (x, n, 16, &args, y1, NULL));
  g_assert_true (dls_umap (x, n, 16, &args, y2, NULL));
  g_assert_cmpmem (y1, sizeof (float) * n * 2, y2, sizeof (float) * n * 2);
  /* the same with another number of threads */
  dls_engine_set_threads (threads == 1 ? 3 : 1);
  g_assert_true (dls_umap (x, n, 16, &args, y3, NULL));
  dls_engine_set_threads (threads);
  g_assert_cmpmem (y1, sizeof (float) * n * 2, y3, sizeof (float) * n * 2);
  /* another seed: another map */
  args.seed = 43;
  g_assert_true (dls_umap (x, n, 16, &args, y4, NULL));
  g_assert_true (memcmp (y1, y4, sizeof (float) * n * 2) != 0);
}

/* The 16-lane SIMD walk of the layout against the plain scalar one, bit for bit. */
static void
test_umap_naive (void)
{
  g_autofree int *truth = NULL;
  int n;
  g_autofree float *x = five_blobs (&truth, &n);
  g_autofree float *y1 = g_new (float, (gsize) n * 2), *y2 = g_new (float, (gsize) n * 2);
  DlsUmapArgs args = { .min_dist = 0.1, .seed = 3, .init_pca = TRUE, .n_epochs = 100 };

  g_assert_true (dls_umap (x, n, 16, &args, y1, NULL));
  g_assert_true (dls_umap_naive (x, n, 16, &args, y2, NULL));
  g_assert_cmpmem (y1, sizeof (float) * n * 2, y2, sizeof (float) * n * 2);
}

typedef struct
{
  volatile int *cancel;
  int calls;
  double last;
} ProgressData;

static void
on_progress (double fraction, void *user_data)
{
  ProgressData *p = user_data;

  g_assert_cmpfloat (fraction, >=, p->last);
  g_assert_cmpfloat (fraction, <=, 1);
  p->last = fraction;
  if (++p->calls == 3)
    *p->cancel = 1;
}

static void
test_umap_cancel (void)
{
  g_autofree int *truth = NULL;
  int n;
  g_autofree float *x = five_blobs (&truth, &n);
  g_autofree float *y = g_new (float, (gsize) n * 2);
  volatile int cancel = 0;
  ProgressData p = { &cancel, 0, 0 };
  DlsUmapArgs args = {
    .seed = 1, .init_pca = TRUE, .cancel = &cancel, .progress = on_progress, .user_data = &p
  };
  GError *error = NULL;

  g_assert_false (dls_umap (x, n, 16, &args, y, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (p.calls, ==, 3);
  /* cancelled before it starts: no progress at all */
  p.last = 0;
  g_assert_false (dls_umap (x, n, 16, &args, y, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (p.calls, ==, 3);
  /* a full run reports 1 at the end */
  cancel = 0;
  p = (ProgressData){ &cancel, -1000, 0 };
  args.n_epochs = 30;
  g_assert_true (dls_umap (x, n, 16, &args, y, NULL));
  g_assert_cmpfloat (p.last, ==, 1);
}

static void
test_umap_small (void)
{
  const float x3[] = { 0, 0, 1, 0, 0, 5 };
  float y3[6];
  g_autofree float *xd = g_new (float, 60 * 4), *yd = g_new (float, 60 * 2);
  GError *error = NULL;
  DlsUmapArgs args = { .min_dist = 0.1, .seed = 5, .init_pca = TRUE };
  DlsRng rng;

  g_assert_true (dls_umap (x3, 3, 2, &args, y3, &error));
  g_assert_no_error (error);
  g_assert_true (all_finite (y3, 6));
  g_assert_false (dls_umap (x3, 2, 2, &args, y3, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (dls_umap (x3, 3, 0, &args, y3, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_clear_error (&error);
  /* d = 1 */
  g_assert_true (dls_umap (x3, 3, 1, &args, y3, NULL));
  g_assert_true (all_finite (y3, 6));

  /* duplicates: 6 distinct points, each 10 times, then all 60 the same */
  dls_rng_init (&rng, 9);
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 4; j++)
      xd[i * 4 + j] = (float) dls_rng_normal (&rng);
  for (int i = 6; i < 60; i++)
    memcpy (xd + i * 4, xd + (i % 6) * 4, sizeof (float) * 4);
  for (int init = 0; init < 2; init++)
    {
      args.init_pca = init;
      g_assert_true (dls_umap (xd, 60, 4, &args, yd, NULL));
      g_assert_true (all_finite (yd, 120));
    }
  for (int i = 1; i < 60; i++)
    memcpy (xd + i * 4, xd, sizeof (float) * 4);
  for (int init = 0; init < 2; init++)
    {
      args.init_pca = init;
      g_assert_true (dls_umap (xd, 60, 4, &args, yd, NULL));
      g_assert_true (all_finite (yd, 120));
    }
}

/* ---- HDBSCAN --------------------------------------------------------------------------------- */

/* ARI with noise (−1) as one more label. */
static double
ari_with_noise (const int *labels, const int *truth, int n, int n_clusters)
{
  g_autofree int *l = g_new (int, n);

  for (int i = 0; i < n; i++)
    l[i] = labels[i] < 0 ? n_clusters : labels[i];
  return dls_adjusted_rand_index (l, truth, n);
}

/* 1-D: 0..4, 100..104 and 50; min_cluster_size 5, min_samples 1 (single linkage).  The root
 * splits at 50 into A = {0..4, 50} and B = {100..104}; A loses 50 at distance 46 (lambda 1/46)
 * and then falls apart into single points at lambda 1, B too.  Both leaves are selected; 50
 * belongs to A with probability (1/46) / 1. */
static void
test_hdbscan_hand (void)
{
  const float x[] = { 0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 50 };
  const int expect[] = { 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0 };
  int lab[11];
  float prob[11];
  DlsHdbscanArgs args = { .min_cluster_size = 5, .min_samples = 1 };

  g_assert_cmpint (dls_hdbscan (x, 11, 1, &args, lab, prob, NULL), ==, 2);
  for (int i = 0; i < 11; i++)
    {
      g_assert_cmpint (lab[i], ==, expect[i]);
      g_assert_cmpfloat_with_epsilon (prob[i], i == 10 ? 1.0 / 46 : 1.0, 1e-6);
    }
  /* min_samples 3: core distances 1 or 2 inside the groups, 47 for 50: the same labels */
  args.min_samples = 3;
  g_assert_cmpint (dls_hdbscan (x, 11, 1, &args, lab, prob, NULL), ==, 2);
  for (int i = 0; i < 11; i++)
    g_assert_cmpint (lab[i], ==, expect[i]);
  /* min_cluster_size 6: B is too small to be a cluster, so the root never splits: all noise */
  args.min_cluster_size = 6;
  g_assert_cmpint (dls_hdbscan (x, 11, 1, &args, lab, prob, NULL), ==, 0);
  for (int i = 0; i < 11; i++)
    g_assert_cmpint (lab[i], ==, -1);
}

static void
test_hdbscan_blobs (void)
{
  const int sizes[] = { 300, 100, 50, 150 };
  const double sd[] = { 0.5, 2, 0.2, 1 };
  g_autofree int *truth = NULL;
  int n, c, noise = 0;
  g_autofree float *x = make_blobs (4, sizes, sd, 12, 4, 77, &truth, &n);
  g_autofree int *lab = g_new (int, n);
  g_autofree float *prob = g_new (float, n);
  DlsHdbscanArgs args = { .min_cluster_size = 15 };
  double ari;

  c = dls_hdbscan (x, n, 4, &args, lab, prob, NULL);
  for (int i = 0; i < n; i++)
    {
      noise += lab[i] < 0;
      g_assert_cmpint (lab[i], >=, -1);
      g_assert_cmpint (lab[i], <, c);
      g_assert_true (prob[i] >= 0 && prob[i] <= 1);
      g_assert_true ((lab[i] < 0) == (prob[i] == 0) || lab[i] >= 0);
    }
  ari = ari_with_noise (lab, truth, n, c);
  g_test_message ("%d clusters, %d noise, ARI %.4f", c, noise, ari);
  g_assert_cmpint (c, ==, 4);
  g_assert_cmpfloat (ari, >=, 0.9);

  /* in 16-D with the defaults */
  {
    g_autofree int *t16 = NULL;
    int n16;
    g_autofree float *x16 = make_blobs (4, sizes, sd, 12, 16, 78, &t16, &n16);

    c = dls_hdbscan (x16, n16, 16, NULL, lab, NULL, NULL);
    ari = ari_with_noise (lab, t16, n16, c);
    g_test_message ("16-D defaults: %d clusters, ARI %.4f", c, ari);
    g_assert_cmpint (c, ==, 4);
    g_assert_cmpfloat (ari, >=, 0.9);
  }
}

static void
test_hdbscan_noise (void)
{
  const int sizes[] = { 200, 200 };
  const double sd[] = { 0.3, 0.3 };
  g_autofree int *truth = NULL;
  int n, c, noise_kept = 0, blob_noise = 0;
  g_autofree float *blobs = make_blobs (2, sizes, sd, 10, 2, 5, &truth, &n);
  int m = n + 200;
  g_autofree float *x = g_new (float, (gsize) m * 2);
  g_autofree int *lab = g_new (int, m);
  DlsHdbscanArgs args = { .min_cluster_size = 20, .min_samples = 10 };
  DlsRng rng;

  /* 200 points uniform in a box 4 times wider than the blobs' spread */
  memcpy (x, blobs, sizeof (float) * n * 2);
  dls_rng_init (&rng, 6);
  for (int t = n * 2; t < m * 2; t++)
    x[t] = (float) (dls_rng_uniform (&rng) * 80 - 40);
  c = dls_hdbscan (x, m, 2, &args, lab, NULL, NULL);
  for (int i = n; i < m; i++)
    noise_kept += lab[i] == -1;
  for (int i = 0; i < n; i++)
    blob_noise += lab[i] == -1;
  g_test_message ("%d clusters; uniform points labelled noise: %d / 200; blob points: %d / %d", c,
                  noise_kept, blob_noise, n);
  g_assert_cmpint (c, ==, 2);
  g_assert_cmpint (noise_kept, >=, 160);
  g_assert_cmpint (blob_noise, <=, n / 10);
  g_assert_cmpfloat (ari_with_noise (lab, truth, n, c), >=, 0.9);
}

static void
test_hdbscan_deterministic (void)
{
  const int sizes[] = { 300, 200, 100 };
  const double sd[] = { 1, 0.5, 2 };
  g_autofree int *truth = NULL;
  int n;
  g_autofree float *x = make_blobs (3, sizes, sd, 6, 16, 8, &truth, &n);
  g_autofree int *l1 = g_new (int, n), *l2 = g_new (int, n);
  g_autofree float *p1 = g_new (float, n), *p2 = g_new (float, n);
  int threads = dls_engine_get_threads ();

  g_assert_cmpint (dls_hdbscan (x, n, 16, NULL, l1, p1, NULL), ==,
                   dls_hdbscan (x, n, 16, NULL, l2, p2, NULL));
  g_assert_cmpmem (l1, sizeof (int) * n, l2, sizeof (int) * n);
  g_assert_cmpmem (p1, sizeof (float) * n, p2, sizeof (float) * n);
  dls_engine_set_threads (threads == 1 ? 3 : 1);
  dls_hdbscan (x, n, 16, NULL, l2, p2, NULL);
  dls_engine_set_threads (threads);
  g_assert_cmpmem (l1, sizeof (int) * n, l2, sizeof (int) * n);
  g_assert_cmpmem (p1, sizeof (float) * n, p2, sizeof (float) * n);
}

static void
test_hdbscan_duplicates (void)
{
  const int sizes[] = { 60, 60, 60 };
  const double sd[] = { 0.5, 0.5, 0.5 };
  g_autofree int *truth = NULL;
  int n, c;
  g_autofree float *b = make_blobs (3, sizes, sd, 10, 3, 12, &truth, &n);
  int m = 3 * n;
  g_autofree float *x = g_new (float, (gsize) m * 3), *prob = g_new (float, m);
  g_autofree int *lab = g_new (int, m), *t3 = g_new (int, m);
  DlsHdbscanArgs args = { .min_cluster_size = 15, .min_samples = 15 };

  /* every point three times */
  for (int i = 0; i < m; i++)
    {
      memcpy (x + (gsize) i * 3, b + (gsize) (i % n) * 3, sizeof (float) * 3);
      t3[i] = truth[i % n];
    }
  /* three copies of each point triple every count: min_cluster_size 15 sees what 5 sees
   * without them (with 5, pairs of copied points are clusters of 6, and it finds those) */
  c = dls_hdbscan (b, n, 3, NULL, lab, NULL, NULL);
  g_assert_cmpint (c, ==, 3);
  c = dls_hdbscan (x, m, 3, &args, lab, prob, NULL);
  g_assert_cmpint (c, ==, 3);
  g_assert_true (all_finite (prob, m));
  g_assert_cmpfloat (ari_with_noise (lab, t3, m, c), >=, 0.9);
  /* 30 copies of one point: no NaN, no crash; with a far blob beside them */
  for (int i = 0; i < 30; i++)
    memcpy (x + (gsize) i * 3, b, sizeof (float) * 3);
  c = dls_hdbscan (x, 30, 3, NULL, lab, prob, NULL);
  g_assert_cmpint (c, >=, 0);
  g_assert_true (all_finite (prob, 30));
  c = dls_hdbscan (x, 90, 3, NULL, lab, prob, NULL);
  g_assert_cmpint (c, >=, 1);
  g_assert_true (all_finite (prob, 90));
  for (int i = 0; i < 90; i++)
    g_assert_true (prob[i] >= 0 && prob[i] <= 1);
  /* the defaults on the copies: many small clusters, all numbers finite */
  c = dls_hdbscan (x, m, 3, NULL, lab, prob, NULL);
  g_assert_cmpint (c, >=, 3);
  g_assert_true (all_finite (prob, m));
}

static void
test_hdbscan_small (void)
{
  const float x[] = { 0, 0, 1, 1, 2, 2, 3, 3 };
  int lab[4] = { 7, 7, 7, 7 };
  float prob[4] = { 7, 7, 7, 7 };
  DlsHdbscanArgs args = { .min_cluster_size = 5 };
  GError *error = NULL;

  g_assert_cmpint (dls_hdbscan (x, 4, 2, &args, lab, prob, &error), ==, 0);
  g_assert_no_error (error);
  for (int i = 0; i < 4; i++)
    {
      g_assert_cmpint (lab[i], ==, -1);
      g_assert_cmpfloat (prob[i], ==, 0);
    }
  g_assert_cmpint (dls_hdbscan (x, 1, 2, &args, lab, prob, NULL), ==, 0);
  g_assert_cmpint (dls_hdbscan (x, 0, 2, &args, lab, prob, NULL), ==, 0);
  args.min_cluster_size = 2;
  g_assert_cmpint (dls_hdbscan (x, 4, 2, &args, lab, prob, NULL), >=, 0);
  g_assert_cmpint (dls_hdbscan (x, 4, 0, &args, lab, prob, &error), ==, -1);
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_clear_error (&error);
}

/* Prim's tree against Kruskal on every pair, in double: the same total weight. */
static void
test_hdbscan_mst (void)
{
  enum
  {
    N = 150,
    D = 5,
    K = 4
  };
  g_autofree float *x = g_new (float, N *D), *core = g_new (float, N), *kd = g_new (float, N *K);
  g_autofree int *ki = g_new (int, N *K), *from = g_new (int, N), *to = g_new (int, N);
  g_autofree double *w = g_new (double, N), *pw = g_new (double, N *(N - 1) / 2);
  g_autofree int *pa = g_new (int, N *(N - 1) / 2), *pb = g_new (int, N *(N - 1) / 2);
  int uf[N], np = 0, used = 0;
  double total = 0, ref = 0;
  DlsRng rng;

  dls_rng_init (&rng, 4);
  for (int t = 0; t < N * D; t++)
    x[t] = (float) dls_rng_normal (&rng);
  dls_latent_knn_naive (x, N, D, K, ki, kd);
  for (int i = 0; i < N; i++)
    core[i] = kd[i * K + K - 1];
  dls_hdbscan_mst (x, N, D, core, from, to, w);
  for (int e = 0; e < N - 1; e++)
    total += w[e];
  /* every point in the tree once as `to`, never 0 (the start) */
  {
    int seen[N] = { 0 };

    for (int e = 0; e < N - 1; e++)
      seen[to[e]]++;
    g_assert_cmpint (seen[0], ==, 0);
    for (int i = 1; i < N; i++)
      g_assert_cmpint (seen[i], ==, 1);
  }
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++)
      {
        pa[np] = i;
        pb[np] = j;
        pw[np++] = MAX (sqrt (dls_latent_dist2 (x + i * D, x + j * D, D)), MAX (core[i], core[j]));
      }
  for (int i = 0; i < N; i++)
    uf[i] = i;
  while (used < N - 1)
    {
      int best = -1;

      for (int p = 0; p < np; p++) /* O(n⁴), fine for 150 points */
        if (pw[p] >= 0 && (best < 0 || pw[p] < pw[best]))
          best = p;
      {
        int a = pa[best], b = pb[best];

        while (uf[a] != a)
          a = uf[a];
        while (uf[b] != b)
          b = uf[b];
        if (a != b)
          {
            uf[a] = b;
            ref += pw[best];
            used++;
          }
        pw[best] = -1;
      }
    }
  g_assert_cmpfloat_with_epsilon (total, ref, 1e-5 * ref);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/latent/pca/line", test_pca_line);
  g_test_add_func ("/latent/pca/plane", test_pca_plane);
  g_test_add_func ("/latent/pca/random", test_pca_random);
  g_test_add_func ("/latent/knn/brute-force", test_knn_brute_force);
  g_test_add_func ("/latent/trustworthiness/hand", test_trustworthiness_hand);
  g_test_add_func ("/latent/umap/ab", test_umap_ab);
  g_test_add_func ("/latent/umap/fuzzy-graph", test_umap_fuzzy_graph);
  g_test_add_func ("/latent/umap/blobs", test_umap_blobs);
  g_test_add_func ("/latent/umap/deterministic", test_umap_deterministic);
  g_test_add_func ("/latent/umap/naive", test_umap_naive);
  g_test_add_func ("/latent/umap/cancel", test_umap_cancel);
  g_test_add_func ("/latent/umap/small", test_umap_small);
  g_test_add_func ("/latent/hdbscan/hand", test_hdbscan_hand);
  g_test_add_func ("/latent/hdbscan/blobs", test_hdbscan_blobs);
  g_test_add_func ("/latent/hdbscan/noise", test_hdbscan_noise);
  g_test_add_func ("/latent/hdbscan/deterministic", test_hdbscan_deterministic);
  g_test_add_func ("/latent/hdbscan/duplicates", test_hdbscan_duplicates);
  g_test_add_func ("/latent/hdbscan/small", test_hdbscan_small);
  g_test_add_func ("/latent/hdbscan/mst", test_hdbscan_mst);

  return g_test_run ();
}
