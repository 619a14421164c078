/* SPDX-License-Identifier: MIT
 *
 * uncertainty.c: margin, entropy, ensemble mean/std and split-conformal sets over whole
 * volumes.  The loops run plane by plane over blocks of pixels, so memory is read in order and
 * the compiler can vectorise them; nothing allocates per pixel.  Conformal calibration keeps
 * one float score per labelled pixel and finds q̂ with a selection, not a full sort.
 *
 * Not here: DLSIA's geometric averaging and Cornish–Fisher quantiles (regression ensembles),
 * and recalibration to a new α without the scores (a new builder does it).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "uncertainty.h"

/* Pixels per block in the per-pixel reductions over K planes: small enough for the stack and
 * L1, large enough for the vector loops. */
#define BLOCK 512

/* p: K × n planes, out: n. */
void
dls_uncertainty_margin (const float *p, int K, int64_t n, float *out)
{
  g_return_if_fail (K >= 1 && n >= 0);

  if (K == 1)
    {
      memset (out, 0, sizeof (float) * n);
      return;
    }
  for (int64_t i0 = 0; i0 < n; i0 += BLOCK)
    {
      const int64_t len = MIN (BLOCK, n - i0);
      const float *p0 = p + i0, *p1 = p + n + i0;
      float top[BLOCK], second[BLOCK];

      for (int64_t i = 0; i < len; i++)
        {
          top[i] = MAX (p0[i], p1[i]);
          second[i] = MIN (p0[i], p1[i]);
        }
      for (int k = 2; k < K; k++)
        {
          const float *pk = p + (int64_t) k * n + i0;

          /* Branch-free top two: the new second is the larger of the old second and the
           * smaller of (old top, v). */
          for (int64_t i = 0; i < len; i++)
            {
              float v = pk[i];

              second[i] = MAX (second[i], MIN (top[i], v));
              top[i] = MAX (top[i], v);
            }
        }
      for (int64_t i = 0; i < len; i++)
        out[i0 + i] = 1.0f - (top[i] - second[i]);
    }
}

/* p: K × n planes, out: n. */
void
dls_uncertainty_entropy (const float *p, int K, int64_t n, float *out)
{
  g_return_if_fail (K >= 1 && n >= 0);

  memset (out, 0, sizeof (float) * n);
  for (int k = 0; k < K; k++)
    {
      const float *pk = p + (int64_t) k * n;

      for (int64_t i = 0; i < n; i++)
        {
          float v = pk[i];

          out[i] -= v > 0.0f ? v * logf (v) : 0.0f;
        }
    }
}

/* members: M pointers to K × n planes; mean, std: K × n (std may be NULL). */
void
dls_ensemble_mean_std (const float *const *members, int M, int K, int64_t n, float *mean,
                       float *std)
{
  const int64_t len = (int64_t) K * n;

  g_return_if_fail (M >= 1 && K >= 1 && n >= 0);

  memcpy (mean, members[0], sizeof (float) * len);
  for (int m = 1; m < M; m++)
    {
      const float *x = members[m];

      for (int64_t i = 0; i < len; i++)
        mean[i] += x[i];
    }
  for (int64_t i = 0; i < len; i++)
    mean[i] /= (float) M;

  if (std == NULL)
    return;
  /* Two passes (deviations from the finished mean), so nearly equal members do not cancel. */
  memset (std, 0, sizeof (float) * len);
  if (M == 1)
    return;
  for (int m = 0; m < M; m++)
    {
      const float *x = members[m];

      for (int64_t i = 0; i < len; i++)
        {
          float d = x[i] - mean[i];

          std[i] += d * d;
        }
    }
  for (int64_t i = 0; i < len; i++)
    std[i] = sqrtf (std[i] / (float) (M - 1));
}

/* mean, std: K × n; out: n. */
void
dls_uncertainty_std_of_argmax (const float *mean, const float *std, int K, int64_t n, float *out)
{
  g_return_if_fail (K >= 1 && n >= 0);

  for (int64_t i0 = 0; i0 < n; i0 += BLOCK)
    {
      const int64_t len = MIN (BLOCK, n - i0);
      float best[BLOCK];

      memcpy (best, mean + i0, sizeof (float) * len);
      memcpy (out + i0, std + i0, sizeof (float) * len);
      for (int k = 1; k < K; k++)
        {
          const float *mk = mean + (int64_t) k * n + i0, *sk = std + (int64_t) k * n + i0;
          float *o = out + i0;

          /* Strict >: the first class wins a tie, as argmax does. */
          for (int64_t i = 0; i < len; i++)
            {
              gboolean better = mk[i] > best[i];

              best[i] = better ? mk[i] : best[i];
              o[i] = better ? sk[i] : o[i];
            }
        }
    }
}

/* ---- Conformal ---------------------------------------------------------------------------- */

struct _DlsConformalBuilder
{
  int K;
  GArray *scores; /* float, 1 − p_true of each labelled pixel */
};

DlsConformalBuilder *
dls_conformal_builder_new (int K)
{
  DlsConformalBuilder *b;

  g_return_val_if_fail (K >= 1 && K <= 255, NULL);

  b = g_new0 (DlsConformalBuilder, 1);
  b->K = K;
  b->scores = g_array_new (FALSE, FALSE, sizeof (float));
  return b;
}

void
dls_conformal_builder_free (DlsConformalBuilder *b)
{
  if (b == NULL)
    return;
  g_array_unref (b->scores);
  g_free (b);
}

/* p: K × n planes, labels: n. */
void
dls_conformal_builder_add (DlsConformalBuilder *b, const float *p, const uint8_t *labels, int64_t n)
{
  unsigned K;
  int64_t count = 0;
  float *s;

  g_return_if_fail (b != NULL && n >= 0);

  /* Unsigned label − 1: unlabelled (0) wraps above K and is skipped with the rest.  Count
   * first, so the scores go straight into the array, grown once per slice. */
  K = (unsigned) b->K;
  for (int64_t i = 0; i < n; i++)
    count += (unsigned) labels[i] - 1u < K;
  g_return_if_fail ((int64_t) b->scores->len + count <= G_MAXUINT);
  g_array_set_size (b->scores, b->scores->len + (guint) count);
  s = (float *) (void *) b->scores->data + (b->scores->len - (guint) count);
  for (int64_t i = 0; i < n; i++)
    {
      unsigned y = (unsigned) labels[i] - 1u;

      if (y < K)
        *s++ = 1.0f - p[(int64_t) y * n + i];
    }
}

int64_t
dls_conformal_builder_count (const DlsConformalBuilder *b)
{
  g_return_val_if_fail (b != NULL, 0);

  return b->scores->len;
}

static inline void
swap_f (float *x, float *y)
{
  float t = *x;

  *x = *y;
  *y = t;
}

static int
cmp_float (const void *x, const void *y)
{
  float a = *(const float *) x, b = *(const float *) y;

  return (a > b) - (a < b);
}

/* The value of rank k (0-based) of v[0..n), reordering v: Hoare quickselect on the median of
 * three (equal values split evenly, so the many identical scores of confident pixels cost
 * nothing extra), with a sort of what is left if the splits keep coming out lopsided. */
static float
select_kth (float *v, int64_t n, int64_t k)
{
  int64_t lo = 0, hi = n - 1;
  int budget = 2 * (int) g_bit_storage ((gulong) n) + 8;

  while (hi > lo)
    {
      int64_t mid = lo + (hi - lo) / 2, i = lo - 1, j = hi + 1;
      float pivot;

      if (budget-- == 0)
        {
          qsort (v + lo, hi - lo + 1, sizeof (float), cmp_float);
          return v[k];
        }
      if (v[mid] < v[lo])
        swap_f (&v[mid], &v[lo]);
      if (v[hi] < v[lo])
        swap_f (&v[hi], &v[lo]);
      if (v[hi] < v[mid])
        swap_f (&v[hi], &v[mid]);
      pivot = v[mid];
      for (;;)
        {
          do
            i++;
          while (v[i] < pivot);
          do
            j--;
          while (v[j] > pivot);
          if (i >= j)
            break;
          swap_f (&v[i], &v[j]);
        }
      /* v[lo..j] ≤ pivot ≤ v[j+1..hi] */
      if (k <= j)
        hi = j;
      else
        lo = j + 1;
    }
  return v[k];
}

gboolean
dls_conformal_builder_finish (DlsConformalBuilder *b, double alpha, DlsConformal *out,
                              GError **error)
{
  g_autoptr (DlsConformalBuilder) owned = b;
  int64_t n, m, idx;

  g_return_val_if_fail (b != NULL && out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(alpha > 0.0 && alpha < 1.0))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "conformal α must lie in (0, 1), not %g",
                   alpha);
      return FALSE;
    }
  n = b->scores->len;
  /* m = ⌈(n + 1)(1 − α)⌉ in double, as numpy computes it; q_level = m / n. */
  m = n > 0 ? (int64_t) ceil ((double) (n + 1) * (1.0 - alpha)) : 1;
  if (n == 0 || m > n)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "too few calibration pixels for α = %g: %" G_GINT64_FORMAT
                   " labelled, and q̂ needs n ≥ 1/α − 1 = %.4g",
                   alpha, n, 1.0 / alpha - 1.0);
      return FALSE;
    }
  /* numpy's "higher" takes the order statistic ⌈q_level·(n − 1)⌉.  q_level·(n − 1) =
   * m(n − 1)/n is an integer only when m = n (n and n − 1 are coprime), so integer ceiling
   * division gives the same index without rounding trouble. */
  idx = (m * (n - 1) + n - 1) / n;
  out->alpha = alpha;
  out->qhat = select_kth ((float *) (void *) b->scores->data, n, idx);
  out->n_calibration = n;
  return TRUE;
}

gboolean
dls_conformal_calibrate (DlsConformal *c, double alpha, const float *p, const uint8_t *labels,
                         int K, int64_t n, GError **error)
{
  DlsConformalBuilder *b;

  g_return_val_if_fail (c != NULL && K >= 1 && K <= 255 && n >= 0, FALSE);

  b = dls_conformal_builder_new (K);
  dls_conformal_builder_add (b, p, labels, n);
  return dls_conformal_builder_finish (b, alpha, c, error);
}

/* 1 − q̂ in float: DLSIA compares float32 softmaxes with 1 − q̂ in float32. */
static inline float
threshold (const DlsConformal *c)
{
  return 1.0f - (float) c->qhat;
}

/* p: K × n planes, out: n. */
void
dls_conformal_set_size (const DlsConformal *c, const float *p, int K, int64_t n, uint8_t *out)
{
  const float thr = threshold (c);

  g_return_if_fail (K >= 1 && K <= 255 && n >= 0);

  memset (out, 0, n);
  for (int k = 0; k < K; k++)
    {
      const float *pk = p + (int64_t) k * n;

      for (int64_t i = 0; i < n; i++)
        out[i] += pk[i] > thr;
    }
}

void
dls_conformal_certain (const DlsConformal *c, const float *p, int K, int64_t n, int k, uint8_t *out)
{
  const float thr = threshold (c);
  const float *pk;

  g_return_if_fail (k >= 1 && k <= K && n >= 0);

  pk = p + (int64_t) (k - 1) * n;
  dls_conformal_set_size (c, p, K, n, out);
  for (int64_t i = 0; i < n; i++)
    out[i] = out[i] == 1 && pk[i] > thr;
}

void
dls_conformal_possible (const DlsConformal *c, const float *p, int K, int64_t n, int k,
                        uint8_t *out)
{
  const float thr = threshold (c);
  const float *pk;

  g_return_if_fail (k >= 1 && k <= K && n >= 0);

  pk = p + (int64_t) (k - 1) * n;
  for (int64_t i = 0; i < n; i++)
    out[i] = pk[i] > thr;
}
