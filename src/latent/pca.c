/* SPDX-License-Identifier: MIT
 *
 * pca.c: PCA by the eigen-decomposition of the d × d covariance (double, dsyev_ from OpenBLAS's
 * LAPACK).  Centring and the covariance are in double so that a plane of points comes back exact
 * to float precision.  The sign of each component is fixed (largest-magnitude loading positive,
 * the first one on a tie) so that the same data always gives the same picture.  It does not
 * whiten and is meant for latent vectors (d up to a few hundred), not for images as vectors.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <cblas.h>

#include "engine.h"
#include "pca.h"

/* LAPACK from libopenblas; no header for it on Debian 12.  The trailing lengths are gfortran's
 * hidden CHARACTER arguments. */
extern void dsyev_ (const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *info, size_t l_jobz,
                    size_t l_uplo);

/* Symmetric eigen-decomposition of a (d × d, row-major, overwritten by eigenvectors as rows),
 * eigenvalues w ascending.  Returns LAPACK's info. */
static int
sym_eigen (double *a, int d, double *w)
{
  int lwork = -1, info = 0;
  double q = 0;

  /* Row-major symmetric = column-major symmetric; eigenvectors come back as columns of the
   * column-major matrix, i.e. as rows of ours. */
  dsyev_ ("V", "U", &d, a, &d, w, &q, &lwork, &info, 1, 1);
  if (info != 0)
    return info;
  lwork = (int) q;
  {
    g_autofree double *work = g_new (double, MAX (lwork, 1));

    dsyev_ ("V", "U", &d, a, &d, w, work, &lwork, &info, 1, 1);
  }
  return info;
}

gboolean
dls_pca (const float *x, int n, int d, int k, float *out, float *components, float *explained,
         GError **error)
{
  g_autofree double *xc = NULL, *mean = NULL, *cov = NULL, *w = NULL, *comp = NULL;
  double total = 0;
  int info;

  if (x == NULL || out == NULL || d < 1 || k < 1 || k > d || n < 2)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "PCA needs at least 2 points and 1 ≤ k ≤ d (n = %d, d = %d, k = %d)", n, d, k);
      return FALSE;
    }
  /* xc n × d: centred data in double */
  xc = g_new (double, (gsize) n *d);
  mean = g_new0 (double, d);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < d; j++)
      mean[j] += x[(gsize) i * d + j];
  for (int j = 0; j < d; j++)
    mean[j] /= n;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < d; j++)
      xc[(gsize) i * d + j] = x[(gsize) i * d + j] - mean[j];

  /* cov d × d = xcᵀ xc / (n − 1), upper triangle (row-major), mirrored */
  cov = g_new0 (double, (gsize) d *d);
  cblas_dsyrk (CblasRowMajor, CblasUpper, CblasTrans, d, n, 1.0 / (n - 1), xc, d, 0.0, cov, d);
  for (int i = 0; i < d; i++)
    for (int j = 0; j < i; j++)
      cov[(gsize) i * d + j] = cov[(gsize) j * d + i];
  for (int j = 0; j < d; j++)
    total += cov[(gsize) j * d + j];

  w = g_new (double, d);
  info = sym_eigen (cov, d, w);
  if (info != 0)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "PCA: the eigen-decomposition did not converge (LAPACK info %d)", info);
      return FALSE;
    }

  /* comp k × d: eigenvectors by decreasing eigenvalue, sign fixed */
  comp = g_new (double, (gsize) k *d);
  for (int c = 0; c < k; c++)
    {
      const double *v = cov + (gsize) (d - 1 - c) * d;
      double *o = comp + (gsize) c * d;
      int arg = 0;

      for (int j = 1; j < d; j++)
        if (fabs (v[j]) > fabs (v[arg]))
          arg = j;
      for (int j = 0; j < d; j++)
        o[j] = v[arg] < 0 ? -v[j] : v[j];
      if (components)
        for (int j = 0; j < d; j++)
          components[(gsize) c * d + j] = (float) o[j];
      if (explained)
        explained[c] = total > 0 ? (float) (MAX (w[d - 1 - c], 0.0) / total) : 0.0f;
    }

  /* out n × k = xc compᵀ */
  for (int i = 0; i < n; i++)
    for (int c = 0; c < k; c++)
      {
        double s = 0;

        for (int j = 0; j < d; j++)
          s += xc[(gsize) i * d + j] * comp[(gsize) c * d + j];
        out[(gsize) i * k + c] = (float) s;
      }
  return TRUE;
}
