/* SPDX-License-Identifier: MIT
 *
 * embed.h: latent vectors of samples (see samples.h) and their 2-D map and clusters.
 *
 * Training: an autoencoder (DLSIA's MSAE by default, latent length 16; the SparseAutoEncoder as
 * an option) learns to reconstruct the patches, like `dlsia train --autoencoder`: the patches'
 * raw values at two percentiles (0 and 100 by default) become the model's input normalisation,
 * a fraction of the samples is held out to keep the best weights, and the trainer's progress
 * callback, cancel flag, time budget and seed apply.  Encoding: the latent vector of every
 * sample through dls_model_encode, in chunks so a cancel flag and a progress callback work.
 * Map and clusters: the latent vectors are standardised per dimension (mean 0, std 1), then laid
 * out in 2-D (UMAP-style or PCA) and clustered (HDBSCAN-like, or k-means) on the map or, when
 * asked, on the standardised latent vectors.
 *
 * What it deliberately does not do: read or write files (the CLI and the app do), threads of
 * its own (call it from a worker thread; the engine uses its pool).
 */
#pragma once

#include "models.h"
#include "samples.h"
#include "trainer.h"

G_BEGIN_DECLS

typedef struct {
  gboolean            sparse;       /* the SparseAutoEncoder instead of the MSAE */
  int                 latent;       /* latent length, 16 when 0 */
  int                 depth, base;  /* msae: levels (2) and first channels (16) when 0 */
  int                 layers;       /* sae: SMSNet depth per half (20) when 0 */
  int                 epochs;       /* 0 with a time budget: until it runs out; 20 with neither */
  double              time_budget;  /* seconds, 0: none */
  int                 batch;        /* 16 when 0 */
  double              lr;           /* 3e-3 when 0 */
  double              p_low, p_high;/* normalisation percentiles, 0 and 100 when both 0 */
  double              val_fraction; /* samples held out, 0.1 when 0, negative: none */
  uint64_t            seed;         /* weights, split and batches */
  const volatile int *cancel;
  DlsTrainProgressFn  progress;
  void               *user_data;
} DlsEmbedTrainArgs;

/* A new autoencoder for the samples' patch size, trained on them; NULL with an error for bad
 * arguments, fewer than 4 samples, or a loss that became NaN.  Cancelling is not an error: the
 * model holds the best weights so far and result->cancelled says so.  result may be NULL. */
DlsModel *dls_embed_train    (const DlsSamples *s, const DlsEmbedTrainArgs *args,
                              DlsTrainResult *result, GError **error);

/* FALSE with a message that says what does not fit when m cannot encode the samples: not an
 * autoencoder, more than one input channel, or made for another image size. */
gboolean  dls_embed_check    (const DlsModel *m, const DlsSamples *s, GError **error);

/* The latent vectors of every sample, n × *latent (g_free them); NULL with an error, also
 * when cancelled (DLS_ERROR_CANCELLED).  progress (fraction done) and cancel may be NULL. */
float    *dls_embed_encode   (DlsModel *m, const DlsSamples *s, int *latent,
                              const volatile int *cancel,
                              void (*progress) (double fraction, void *user_data),
                              void *user_data, GError **error);

typedef enum {
  DLS_EMBED_MAP_UMAP,
  DLS_EMBED_MAP_PCA,
} DlsEmbedMap;

typedef enum {
  DLS_EMBED_CLUSTER_HDBSCAN,   /* finds the count itself; −1 = noise */
  DLS_EMBED_CLUSTER_KMEANS,    /* k clusters */
} DlsEmbedCluster;

typedef struct {
  DlsEmbedMap         map;
  DlsEmbedCluster     cluster;
  int                 k;                 /* k-means: clusters (≥ 1) */
  gboolean            on_latent;         /* cluster the standardised latent vectors, not the
                                          * 2-D map (on the shapes the map does better) */
  int                 n_neighbors;       /* umap: 15 when 0 */
  double              min_dist;          /* umap: 0.1 when 0 */
  int                 min_cluster_size;  /* hdbscan: max(5, n / 100) when 0 */
  uint64_t            seed;
  const volatile int *cancel;
  void              (*progress) (double fraction, void *user_data);  /* of the map */
  void               *user_data;
} DlsEmbedMapArgs;

/* latent: n × d.  map: n × 2; clusters: n (0..C−1, −1 noise).  Returns the number of clusters
 * C, or −1 with an error (fewer than 3 samples, cancelled, bad k). */
int       dls_embed_map      (const float *latent, int64_t n, int d, const DlsEmbedMapArgs *args,
                              float *map, int *clusters, GError **error);

G_END_DECLS
