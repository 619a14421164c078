/* SPDX-License-Identifier: MIT
 *
 * hdbscan.h: density-based clustering that finds the number of clusters itself, like HDBSCAN
 * (Campello, Moulavi & Sander 2013; McInnes & Healy 2017): core distances, a minimum spanning
 * tree of mutual reachability (Prim, O(n²)), single-linkage hierarchy, condensed tree and
 * excess-of-mass selection.  Deterministic.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct {
  int min_cluster_size;   /* 5 when 0 */
  int min_samples;        /* min_cluster_size when 0 */
} DlsHdbscanArgs;

/* labels n: 0..C−1, −1 noise; returns C (≥ 0), or −1 with error.  probabilities (n, membership
 * strength 0..1) may be NULL. */
int      dls_hdbscan (const float *x, int n, int d, const DlsHdbscanArgs *args, int *labels,
                      float *probabilities, GError **error);

G_END_DECLS
