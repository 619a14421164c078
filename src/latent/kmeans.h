/* SPDX-License-Identifier: MIT
 *
 * kmeans.h: k-means clustering of n points of dimension d (k-means++ seeding, Lloyd's
 * iterations, several seeded restarts keeping the lowest inertia).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* x: n × d row-major.  labels (n) get 0..k−1; centers (k × d) may be NULL.  Returns the
 * inertia (sum of squared distances to the assigned centres), or a negative number for bad
 * arguments (k < 1, k > n). */
double dls_kmeans (const float *x, int64_t n, int d, int k, uint64_t seed, int restarts,
                   int *labels, float *centers);

G_END_DECLS
