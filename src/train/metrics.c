/* SPDX-License-Identifier: MIT
 *
 * metrics.c: confusion-matrix scores (F1, IoU, micro/macro), Pearson correlation and the
 * adjusted Rand index.  The F1 summaries follow torchmetrics' multiclass F1 as DLSIA calls it
 * (segmentation_metrics): micro = pixel accuracy, macro = mean over the classes that occur in
 * truth or prediction.  DLSIA averages these over batches; we count over all pixels, so the
 * caller decides what a "set" is (one validation pass, one slice).
 *
 * Not here: losses (the engine's), regression metrics beyond Pearson, anything per batch.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

void
dls_confusion_init (DlsConfusion *c, int K)
{
  g_return_if_fail (c != NULL);
  g_return_if_fail (K >= 1 && K <= 255);

  c->K = K;
  c->counts = g_new0 (int64_t, (gsize) K * K);
}

void
dls_confusion_clear (DlsConfusion *c)
{
  g_return_if_fail (c != NULL);

  g_clear_pointer (&c->counts, g_free);
  c->K = 0;
}

void
dls_confusion_reset (DlsConfusion *c)
{
  g_return_if_fail (c != NULL);

  if (c->counts != NULL)
    memset (c->counts, 0, sizeof (int64_t) * c->K * c->K);
}

void
dls_confusion_add (DlsConfusion *c, const uint8_t *pred, const uint8_t *truth, int64_t n)
{
  unsigned K;
  int64_t *counts;

  g_return_if_fail (c != NULL && c->counts != NULL);
  g_return_if_fail (n >= 0);

  K = (unsigned) c->K;
  counts = c->counts;
  for (int64_t i = 0; i < n; i++)
    {
      /* label − 1 as unsigned: 0 (unlabelled) wraps above K, so one compare skips it. */
      unsigned t = (unsigned) truth[i] - 1u, p = (unsigned) pred[i] - 1u;

      if (t < K && p < K)
        counts[t * K + p]++;
    }
}

int64_t
dls_confusion_pixels (const DlsConfusion *c)
{
  int64_t total = 0;

  for (int i = 0; i < c->K * c->K; i++)
    total += c->counts[i];
  return total;
}

/* tp, fp, fn of class k (0-based). */
static void
class_counts (const DlsConfusion *c, int k, int64_t *tp, int64_t *fp, int64_t *fn)
{
  int64_t row = 0, col = 0;

  for (int j = 0; j < c->K; j++)
    {
      row += c->counts[(size_t) k * c->K + j];
      col += c->counts[(size_t) j * c->K + k];
    }
  *tp = c->counts[(size_t) k * c->K + k];
  *fp = col - *tp;
  *fn = row - *tp;
}

double
dls_confusion_f1 (const DlsConfusion *c, int k)
{
  int64_t tp, fp, fn;

  g_return_val_if_fail (c->counts != NULL && k >= 1 && k <= c->K, NAN);

  class_counts (c, k - 1, &tp, &fp, &fn);
  if (tp + fp + fn == 0)
    return NAN;
  return 2.0 * tp / (2.0 * tp + fp + fn);
}

double
dls_confusion_iou (const DlsConfusion *c, int k)
{
  int64_t tp, fp, fn;

  g_return_val_if_fail (c->counts != NULL && k >= 1 && k <= c->K, NAN);

  class_counts (c, k - 1, &tp, &fp, &fn);
  if (tp + fp + fn == 0)
    return NAN;
  return (double) tp / (double) (tp + fp + fn);
}

double
dls_confusion_f1_micro (const DlsConfusion *c)
{
  int64_t hit = 0, total;

  g_return_val_if_fail (c->counts != NULL, NAN);

  total = dls_confusion_pixels (c);
  for (int k = 0; k < c->K; k++)
    hit += c->counts[(size_t) k * c->K + k];
  return total > 0 ? (double) hit / (double) total : NAN;
}

/* Mean of the non-NaN values of f over the classes. */
static double
mean_present (const DlsConfusion *c, double (*f) (const DlsConfusion *, int))
{
  double sum = 0;
  int present = 0;

  for (int k = 1; k <= c->K; k++)
    {
      double v = f (c, k);

      if (!isnan (v))
        {
          sum += v;
          present++;
        }
    }
  return present > 0 ? sum / present : NAN;
}

double
dls_confusion_f1_macro (const DlsConfusion *c)
{
  g_return_val_if_fail (c->counts != NULL, NAN);

  return mean_present (c, dls_confusion_f1);
}

double
dls_confusion_iou_mean (const DlsConfusion *c)
{
  g_return_val_if_fail (c->counts != NULL, NAN);

  return mean_present (c, dls_confusion_iou);
}

/* JSON has no NaN: null stands for "not defined". */
static void
append_number (GString *s, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    g_string_append (s, "null");
  else
    g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.6g", v));
}

static void
append_list (GString *s, const DlsConfusion *c, double (*f) (const DlsConfusion *, int))
{
  g_string_append_c (s, '[');
  for (int k = 1; k <= c->K; k++)
    {
      if (k > 1)
        g_string_append (s, ", ");
      append_number (s, f (c, k));
    }
  g_string_append_c (s, ']');
}

char *
dls_confusion_to_json (const DlsConfusion *c)
{
  GString *s;

  g_return_val_if_fail (c->counts != NULL, NULL);

  s = g_string_new (NULL);
  g_string_append_printf (s, "{\"classes\": %d, \"f1\": ", c->K);
  append_list (s, c, dls_confusion_f1);
  g_string_append (s, ", \"iou\": ");
  append_list (s, c, dls_confusion_iou);
  g_string_append (s, ", \"mean_f1\": ");
  append_number (s, dls_confusion_f1_macro (c));
  g_string_append (s, ", \"mean_iou\": ");
  append_number (s, dls_confusion_iou_mean (c));
  g_string_append (s, ", \"f1_micro\": ");
  append_number (s, dls_confusion_f1_micro (c));
  g_string_append_printf (s, ", \"pixels\": %" G_GINT64_FORMAT "}", dls_confusion_pixels (c));
  return g_string_free (s, FALSE);
}

double
dls_pearson (const float *a, const float *b, const uint8_t *mask, int64_t n)
{
  double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  float amin = INFINITY, amax = -INFINITY, bmin = INFINITY, bmax = -INFINITY;
  int64_t m = 0;
  double ma, mb;

  g_return_val_if_fail (n >= 0, NAN);

  /* Centring on the means (second pass) keeps the sums exact enough for values with a large
   * offset, where Σab − n·ā·b̄ would cancel.  Constancy is tested on the values themselves, not
   * on a variance that rounding can leave a hair above 0. */
  for (int64_t i = 0; i < n; i++)
    {
      if (mask != NULL && mask[i] == 0)
        continue;
      sa += a[i];
      sb += b[i];
      amin = MIN (amin, a[i]);
      amax = MAX (amax, a[i]);
      bmin = MIN (bmin, b[i]);
      bmax = MAX (bmax, b[i]);
      m++;
    }
  if (m < 2 || !(amin < amax) || !(bmin < bmax))
    return NAN;
  ma = sa / m;
  mb = sb / m;
  for (int64_t i = 0; i < n; i++)
    {
      double da, db;

      if (mask != NULL && mask[i] == 0)
        continue;
      da = a[i] - ma;
      db = b[i] - mb;
      sab += da * db;
      saa += da * da;
      sbb += db * db;
    }
  return CLAMP (sab / sqrt (saa * sbb), -1.0, 1.0);
}

/* Dense ids 0..*n_ids−1 for the values of v (first appearance order). */
static int *
relabel (const int *v, int64_t n, int *n_ids)
{
  int *ids = g_new (int, MAX (n, 1));
  int vmax = 0;
  int next = 0;

  for (int64_t i = 0; i < n; i++)
    vmax = MAX (vmax, v[i]);

  if ((int64_t) vmax < 2 * n + 1024)
    {
      /* Small label values: a lookup table. */
      g_autofree int *map = g_new (int, (gsize) vmax + 1);

      for (int j = 0; j <= vmax; j++)
        map[j] = -1;
      for (int64_t i = 0; i < n; i++)
        {
          if (map[v[i]] < 0)
            map[v[i]] = next++;
          ids[i] = map[v[i]];
        }
    }
  else
    {
      g_autoptr (GHashTable) map = g_hash_table_new (g_direct_hash, g_direct_equal);

      for (int64_t i = 0; i < n; i++)
        {
          gpointer id;

          if (!g_hash_table_lookup_extended (map, GINT_TO_POINTER (v[i]), NULL, &id))
            {
              id = GINT_TO_POINTER (next++);
              g_hash_table_insert (map, GINT_TO_POINTER (v[i]), id);
            }
          ids[i] = GPOINTER_TO_INT (id);
        }
    }
  *n_ids = next;
  return ids;
}

static int
cmp_int64 (const void *x, const void *y)
{
  int64_t a = *(const int64_t *) x, b = *(const int64_t *) y;

  return (a > b) - (a < b);
}

static inline int64_t
pairs (int64_t m)
{
  return m * (m - 1) / 2;
}

void
dls_pearson_acc_add (DlsPearsonAcc *acc, const float *a, const float *b, const float *mask,
                     int64_t n)
{
  double m = 0, sa = 0, sb = 0, ma, mb, caa = 0, cbb = 0, cab = 0, sq = 0, tot, f;

  for (int64_t i = 0; i < n; i++)
    if (mask == NULL || mask[i] != 0)
      {
        m++;
        sa += a[i];
        sb += b[i];
      }
  if (m == 0)
    return;
  ma = sa / m;
  mb = sb / m;
  for (int64_t i = 0; i < n; i++)
    if (mask == NULL || mask[i] != 0)
      {
        double da = a[i] - ma, db = b[i] - mb, e = (double) a[i] - b[i];

        caa += da * da;
        cbb += db * db;
        cab += da * db;
        sq += e * e;
      }
  /* merge the block into the running sums */
  tot = acc->n + m;
  f = acc->n * m / tot;
  acc->caa += caa + (ma - acc->ma) * (ma - acc->ma) * f;
  acc->cbb += cbb + (mb - acc->mb) * (mb - acc->mb) * f;
  acc->cab += cab + (ma - acc->ma) * (mb - acc->mb) * f;
  acc->ma += (ma - acc->ma) * m / tot;
  acc->mb += (mb - acc->mb) * m / tot;
  acc->n = tot;
  acc->sq_err += sq;
}

double
dls_pearson_acc_cc (const DlsPearsonAcc *acc)
{
  if (acc->n < 2 || !(acc->caa > 0) || !(acc->cbb > 0))
    return NAN;
  return CLAMP (acc->cab / sqrt (acc->caa * acc->cbb), -1.0, 1.0);
}

double
dls_pearson_acc_mse (const DlsPearsonAcc *acc)
{
  return acc->n > 0 ? acc->sq_err / acc->n : NAN;
}

double
dls_adjusted_rand_index (const int *a, const int *b, int64_t n)
{
  g_autofree int *ia = NULL, *ib = NULL;
  g_autofree int64_t *rows = NULL, *cols = NULL;
  int na, nb;
  int64_t sum_ij = 0, sum_a = 0, sum_b = 0;
  double expected, max_index;

  g_return_val_if_fail (n >= 0, NAN);

  if (n < 2)
    return 1.0;
  for (int64_t i = 0; i < n; i++)
    g_return_val_if_fail (a[i] >= 0 && b[i] >= 0, NAN);

  ia = relabel (a, n, &na);
  ib = relabel (b, n, &nb);
  rows = g_new0 (int64_t, na);
  cols = g_new0 (int64_t, nb);
  for (int64_t i = 0; i < n; i++)
    {
      rows[ia[i]]++;
      cols[ib[i]]++;
    }
  for (int i = 0; i < na; i++)
    sum_a += pairs (rows[i]);
  for (int j = 0; j < nb; j++)
    sum_b += pairs (cols[j]);

  /* The contingency table: dense when it is small, otherwise the sorted (row, column) keys,
   * whose runs are its non-zero cells (at most n of them). */
  if ((int64_t) na * nb <= MAX (n, 1 << 16))
    {
      g_autofree int64_t *table = g_new0 (int64_t, (gsize) na * nb);

      for (int64_t i = 0; i < n; i++)
        table[(int64_t) ia[i] * nb + ib[i]]++;
      for (int64_t j = 0; j < (int64_t) na * nb; j++)
        sum_ij += pairs (table[j]);
    }
  else
    {
      g_autofree int64_t *keys = g_new (int64_t, n);
      int64_t run = 1;

      for (int64_t i = 0; i < n; i++)
        keys[i] = (int64_t) ia[i] * nb + ib[i];
      qsort (keys, n, sizeof (int64_t), cmp_int64);
      for (int64_t i = 1; i <= n; i++)
        {
          if (i < n && keys[i] == keys[i - 1])
            run++;
          else
            {
              sum_ij += pairs (run);
              run = 1;
            }
        }
    }

  /* Every pair together in a is together in b and the reverse: the same partition.  This is
   * also the only way max_index = expected (both one cluster, or both all singletons), so the
   * division below is safe. */
  if (sum_ij == sum_a && sum_ij == sum_b)
    return 1.0;
  expected = (double) sum_a * (double) sum_b / (double) pairs (n);
  max_index = 0.5 * ((double) sum_a + (double) sum_b);
  return ((double) sum_ij - expected) / (max_index - expected);
}
