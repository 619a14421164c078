/* SPDX-License-Identifier: MIT
 *
 * pca.h: principal component analysis of n points of dimension d (covariance eigen-decomposition
 * through LAPACK from OpenBLAS).  Deterministic: components come by decreasing variance with a
 * fixed sign.  It does not whiten and does not handle d in the many thousands (d × d covariance).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* x n × d row-major (float), centred internally; out n × k (the first k principal coordinates,
 * by decreasing variance; sign fixed so the largest-magnitude loading of each component is
 * positive — deterministic); components k × d and explained (k, fraction of total variance) may
 * be NULL.  FALSE + error for k > d, n < 2. */
gboolean dls_pca (const float *x, int n, int d, int k, float *out, float *components,
                  float *explained, GError **error);

G_END_DECLS
