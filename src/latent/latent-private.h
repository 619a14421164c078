/* SPDX-License-Identifier: MIT
 *
 * latent-private.h: helpers shared by the files of src/latent and reached by its tests: the
 * naive references kept beside the fast paths, and UMAP's a/b curve fit.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "umap.h"

G_BEGIN_DECLS

/* Squared Euclidean distance in double. */
double dls_latent_dist2 (const float *a, const float *b, int d);
/* dls_knn() by comparing every pair in double: the reference. */
void dls_latent_knn_naive (const float *x, int n, int d, int k, int *indices, float *distances);
/* UMAP's find_ab_params: least squares fit of 1 / (1 + a x^2b) to 1 for x < min_dist and
 * exp (−(x − min_dist) / spread) beyond, on 300 points of [0, 3 spread]. */
void dls_umap_find_ab (double spread, double min_dist, double *a, double *b);
/* The symmetric fuzzy graph dls_umap() lays out (n_neighbors clamped to [2, n − 1], counting the
 * point itself), as CSR: rowptr (n + 1), col and w (nnz, each row by column); returns nnz.  The
 * caller frees the three arrays with g_free(). */
int64_t dls_umap_fuzzy_graph (const float *x, int n, int d, int n_neighbors, int64_t **rowptr,
                              int **col, float **w);
/* dls_umap() with the layout computed one point at a time by plain scalar code: the reference
 * its 16-lane SIMD walk must match bit for bit. */
gboolean dls_umap_naive (const float *x, int n, int d, const DlsUmapArgs *args, float *out,
                         GError **error);
/* The minimum spanning tree of mutual reachability by Prim's algorithm, O(n²): edges (n − 1)
 * as from[e], to[e], weight[e] (the mutual reachability distance, not squared); core (n) is the
 * core distance of each point.  Exposed for tests. */
void dls_hdbscan_mst (const float *x, int n, int d, const float *core, int *from, int *to,
                      double *weight);

G_END_DECLS
