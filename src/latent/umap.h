/* SPDX-License-Identifier: MIT
 *
 * umap.h: a UMAP-style 2-D layout of n points of dimension d (McInnes, Healy & Melville 2018):
 * exact k-nearest-neighbour graph, fuzzy membership weights with sigma/rho per point, fuzzy
 * union, and an SGD layout with negative sampling on the curve 1 / (1 + a·r^2b) fitted from
 * min_dist and spread.  Seeded and deterministic, whatever the number of threads.  Also the
 * exact kNN it uses and sklearn's trustworthiness to judge a layout.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct {
  int      n_neighbors;   /* 15 when 0 */
  double   min_dist;      /* 0.1 */
  double   spread;        /* 1.0 when 0 */
  int      n_epochs;      /* 0: 500 for n <= 10000, else 200 */
  uint64_t seed;
  gboolean init_pca;      /* TRUE (default in our use): start from PCA scaled to ±10, else random */
  const volatile int *cancel;
  void   (*progress) (double fraction, void *user_data);
  void    *user_data;
} DlsUmapArgs;

/* out: n × 2.  FALSE + error for n < 3, d < 1, or when cancelled (G_IO_ERROR_CANCELLED).
 * n_neighbors is clamped to n − 1. */
gboolean dls_umap (const float *x, int n, int d, const DlsUmapArgs *args, float *out,
                   GError **error);

/* k-nearest neighbours, exact (brute force with a blocked distance computation via sgemm is fine
 * up to ~20k): indices n × k (self excluded) and distances n × k, ascending. */
void     dls_knn (const float *x, int n, int d, int k, int *indices, float *distances);

/* sklearn's trustworthiness(X, Y, n_neighbors=k): 1 = neighbourhoods kept. */
double   dls_trustworthiness (const float *x, int d, const float *y, int dy, int n, int k);

G_END_DECLS
