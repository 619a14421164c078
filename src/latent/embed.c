/* SPDX-License-Identifier: MIT
 *
 * embed.c: training an autoencoder on samples, their latent vectors, and the 2-D map and
 * clusters of those (see embed.h).  The network comes from the same config function as
 * `dlsia train --autoencoder`'s; training is dls_train_regressor on whole patches (patch 0).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "autoencoder.h"
#include "embed.h"
#include "hdbscan.h"
#include "kmeans.h"
#include "pca.h"
#include "predict.h"
#include "umap.h"

DlsModel *
dls_embed_train (const DlsSamples *s, const DlsEmbedTrainArgs *args, DlsTrainResult *result,
                 GError **error)
{
  DlsEmbedTrainArgs a = *args;
  int64_t per, total;
  g_autofree float *norm = NULL;
  DlsModelConfig c;
  DlsTrainResult res_local;
  DlsModel *m;
  double lo, hi;

  if (result == NULL)
    result = &res_local;
  memset (result, 0, sizeof *result);
  if (a.p_low == 0 && a.p_high == 0)
    a.p_high = 100;
  if (s == NULL || a.latent < 0 || a.epochs < 0 || a.time_budget < 0 || a.batch < 0 || a.lr < 0
      || !(a.p_low >= 0 && a.p_low < a.p_high && a.p_high <= 100) || a.val_fraction >= 1)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "embedding: bad training arguments");
      return NULL;
    }
  if (s->n < 4)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "%" G_GINT64_FORMAT " sample%s: an autoencoder needs at least 4 to train", s->n,
                   s->n == 1 ? "" : "s");
      return NULL;
    }
  if (a.epochs == 0 && a.time_budget == 0)
    a.epochs = 20;
  per = (int64_t) s->height * s->width;
  total = s->n * per;
  dls_volume_percentiles (s->patches, total, a.p_low, a.p_high, &lo, &hi);
  if (!(hi > lo))
    hi = lo + 1; /* constant patches: anything maps them to 0 */
  dls_autoencoder_config_init (
      &c, a.sparse ? DLS_ARCH_SAE : DLS_ARCH_MSAE, 1, s->height, s->width,
      &(DlsAutoencoderArgs){
          .latent = a.latent, .depth = a.depth, .base = a.base, .layers = a.layers });
  c.seed = a.seed;
  c.norm_set = TRUE;
  c.norm_low = lo;
  c.norm_high = hi;
  c.norm_p_low = a.p_low;
  c.norm_p_high = a.p_high;
  c.regression = TRUE;
  m = dls_model_new (&c, error);
  dls_model_config_clear (&c);
  if (m == NULL)
    return NULL;
  dls_model_init_weights (m, m->config.seed);
  /* the network sees exactly what dls_model_encode will give it */
  norm = g_try_new (float, total);
  if (norm == NULL)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY, "no memory for the normalised patches");
      dls_model_free (m);
      return NULL;
    }
  dls_model_normalize (m, s->patches, norm, total);
  {
    DlsVolume v = { s->n, s->height, s->width, 1, norm };

    if (!dls_train_regressor (
            m,
            &(DlsRegressionData){ .input = &v,
                                  .target = &v,
                                  .patch = 0,
                                  .val_fraction = a.val_fraction == 0 ? 0.1 : a.val_fraction,
                                  .seed = a.seed },
            DLS_REGRESSION_MSE,
            &(DlsTrainArgs){ .epochs = a.epochs,
                             .time_budget = a.time_budget,
                             .batch = a.batch ? a.batch : 16,
                             .lr = a.lr > 0 ? a.lr : 3e-3,
                             .seed = a.seed + 1,
                             .max_val_patches = 512,
                             .cancel = a.cancel,
                             .progress = a.progress,
                             .user_data = a.user_data,
                             .member = 0,
                             .n_members = 1 },
            result, error))
      {
        dls_model_free (m);
        return NULL;
      }
  }
  return m;
}

gboolean
dls_embed_check (const DlsModel *m, const DlsSamples *s, GError **error)
{
  const DlsModelConfig *c = &m->config;
  int h, w;

  if (c->arch != DLS_ARCH_MSAE && c->arch != DLS_ARCH_SAE)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "the model is a %s; embedding needs an autoencoder (msae or sae)",
                   dls_arch_name (c->arch));
      return FALSE;
    }
  if (c->in_channels != 1)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "the autoencoder takes %d channels; samples have one", c->in_channels);
      return FALSE;
    }
  h = c->arch == DLS_ARCH_MSAE ? c->input_shape[1] : c->in_shape[0];
  w = c->arch == DLS_ARCH_MSAE ? c->input_shape[2] : c->in_shape[1];
  if (h != s->height || w != s->width)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE,
                   "the autoencoder was made for %d × %d images; the samples are %d × %d", h, w,
                   s->height, s->width);
      return FALSE;
    }
  return TRUE;
}

float *
dls_embed_encode (DlsModel *m, const DlsSamples *s, int *latent, const volatile int *cancel,
                  void (*progress) (double fraction, void *user_data), void *user_data,
                  GError **error)
{
  /* chunks of 1024 keep a cancel within a second or so, and cost one graph build each */
  const int64_t chunk = 1024;
  int64_t per = (int64_t) s->height * s->width;
  g_autofree float *out = NULL;
  int L = 0;

  if (!dls_embed_check (m, s, error))
    return NULL;
  for (int64_t i0 = 0; i0 < s->n; i0 += chunk)
    {
      int64_t nb = MIN (chunk, s->n - i0);
      int l;

      if (cancel && *cancel)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_CANCELLED, "encoding cancelled");
          return NULL;
        }
      if (out == NULL)
        {
          /* the latent length is known after the first chunk; encode it into a scratch row */
          g_autofree float *first = NULL;
          DlsModelConfig *c = &m->config;
          int guess = c->arch == DLS_ARCH_MSAE ? c->latent_dimension
                                               : c->latent_sequence[c->n_latent_sequence - 1];

          first = g_new (float, nb *guess);
          l = dls_model_encode (m, s->patches, nb, s->height, s->width, first, error);
          if (l == 0)
            return NULL;
          if (l != guess)
            {
              g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE,
                           "the latent vector has %d values, the config says %d", l, guess);
              return NULL;
            }
          L = l;
          out = g_try_new (float, s->n *L);
          if (out == NULL)
            {
              g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY, "no memory for the latent vectors");
              return NULL;
            }
          memcpy (out, first, sizeof (float) * nb * L);
        }
      else if (dls_model_encode (m, s->patches + i0 * per, nb, s->height, s->width, out + i0 * L,
                                 error)
               == 0)
        return NULL;
      if (progress)
        progress ((double) (i0 + nb) / s->n, user_data);
    }
  *latent = L;
  return g_steal_pointer (&out);
}

/* Each column to mean 0 and standard deviation 1 (constant columns to 0). */
static float *
standardise (const float *x, int64_t n, int d)
{
  float *z = g_new (float, n *d);

  for (int j = 0; j < d; j++)
    {
      double mean = 0, var = 0;

      for (int64_t i = 0; i < n; i++)
        mean += x[i * d + j];
      mean /= n;
      for (int64_t i = 0; i < n; i++)
        var += (x[i * d + j] - mean) * (x[i * d + j] - mean);
      var = sqrt (var / n);
      for (int64_t i = 0; i < n; i++)
        z[i * d + j] = var > 1e-12 ? (float) ((x[i * d + j] - mean) / var) : 0.0f;
    }
  return z;
}

int
dls_embed_map (const float *latent, int64_t n, int d, const DlsEmbedMapArgs *a, float *map,
               int *clusters, GError **error)
{
  g_autofree float *z = NULL;
  int C;

  if (n < 3 || n > G_MAXINT || d < 1)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "%" G_GINT64_FORMAT " samples: a map needs at least 3", n);
      return -1;
    }
  if (a->cluster == DLS_EMBED_CLUSTER_KMEANS && (a->k < 1 || a->k > n))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "k-means needs 1 to %" G_GINT64_FORMAT " clusters, not %d", n, a->k);
      return -1;
    }
  z = standardise (latent, n, d);
  if (a->map == DLS_EMBED_MAP_PCA)
    {
      if (d < 2)
        {
          /* one latent value: the map is that value against zero */
          for (int64_t i = 0; i < n; i++)
            map[2 * i] = z[i], map[2 * i + 1] = 0;
        }
      else if (!dls_pca (z, (int) n, d, 2, map, NULL, NULL, error))
        return -1;
      if (a->progress)
        a->progress (1.0, a->user_data);
    }
  else if (!dls_umap (z, (int) n, d,
                      &(DlsUmapArgs){ .n_neighbors = a->n_neighbors,
                                      .min_dist = a->min_dist > 0 ? a->min_dist : 0.1,
                                      .seed = a->seed,
                                      .init_pca = TRUE,
                                      .cancel = a->cancel,
                                      .progress = a->progress,
                                      .user_data = a->user_data },
                      map, error))
    return -1;
  {
    const float *x = a->on_latent ? z : map;
    int dx = a->on_latent ? d : 2;
    int mcs = a->min_cluster_size ? a->min_cluster_size : (int) MAX (5, n / 100);

    if (a->cluster == DLS_EMBED_CLUSTER_KMEANS)
      {
        if (dls_kmeans (x, n, dx, a->k, a->seed, 10, clusters, NULL) < 0)
          {
            g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "k-means failed");
            return -1;
          }
        return a->k;
      }
    /* min_samples = min_cluster_size, HDBSCAN's default: a smaller one (10, as UMAP's
     * documentation suggests) split the shapes into 14–35 clusters and lowered the ARI */
    C = dls_hdbscan (x, (int) n, dx, &(DlsHdbscanArgs){ .min_cluster_size = mcs }, clusters, NULL,
                     error);
  }
  return C;
}
