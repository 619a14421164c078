/* SPDX-License-Identifier: MIT
 *
 * knn.c: exact k-nearest neighbours by brute force, and sklearn's trustworthiness.
 *
 * The fast path centres the data, computes squared distances a block at a time as
 * |x|² + |y|² − 2 x·y with one sgemm per block, keeps the k + margin best candidates of each row,
 * then re-ranks those with distances summed directly in double and ties broken by index.  So the
 * answer does not depend on the blocking or on the number of threads, and matches knn_naive()
 * (kept as the reference) except where the float Gram trick misorders points beyond the margin,
 * which needs more than `margin` near-ties.  Rows are spread over the engine's worker pool.
 * It does not build a tree: O(n² d), fine up to ~20k points.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

#include "engine.h"
#include "engine-private.h"
#include "latent-private.h"
#include "umap.h"

#define ROW_BLOCK 256
#define COL_BLOCK 2048

double
dls_latent_dist2 (const float *a, const float *b, int d)
{
  double s = 0;

  for (int j = 0; j < d; j++)
    {
      double t = (double) a[j] - b[j];

      s += t * t;
    }
  return s;
}

/* Inserts (v, j) into the ascending list (dist, idx) of length *len ≤ cap, ties by index. */
static inline void
topk_insert (double *dist, int *idx, int *len, int cap, double v, int j)
{
  int p;

  if (*len == cap)
    {
      if (v > dist[cap - 1] || (v == dist[cap - 1] && j > idx[cap - 1]))
        return;
      p = cap - 1;
    }
  else
    p = (*len)++;
  while (p > 0 && (dist[p - 1] > v || (dist[p - 1] == v && idx[p - 1] > j)))
    {
      dist[p] = dist[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
  dist[p] = v;
  idx[p] = j;
}

/* The reference: every pair in double.  indices n × k, distances n × k. */
void
dls_latent_knn_naive (const float *x, int n, int d, int k, int *indices, float *distances)
{
  g_autofree double *dist = g_new (double, MAX (k, 1));
  g_autofree int *idx = g_new (int, MAX (k, 1));

  for (int i = 0; i < n; i++)
    {
      int len = 0;

      for (int j = 0; j < n; j++)
        if (j != i)
          topk_insert (dist, idx, &len, k,
                       dls_latent_dist2 (x + (gsize) i * d, x + (gsize) j * d, d), j);
      for (int t = 0; t < k; t++)
        {
          indices[(gsize) i * k + t] = t < len ? idx[t] : -1;
          distances[(gsize) i * k + t] = t < len ? (float) sqrt (dist[t]) : INFINITY;
        }
    }
}

typedef struct
{
  const float *x;  /* n × d, original */
  const float *xc; /* n × d, centred */
  const float *sq; /* n, |xc|² */
  int n, d, k, m;  /* m: candidates kept per row */
  int *indices;
  float *distances;
} KnnCtx;

static void
knn_task (void *data, int task, int n_tasks)
{
  KnnCtx *c = data;
  int n = c->n, d = c->d, k = c->k, m = c->m;
  int64_t r0, r1;
  g_autofree float *g = g_new (float, (gsize) ROW_BLOCK *COL_BLOCK);
  g_autofree double *cd = g_new (double, (gsize) ROW_BLOCK *m);
  g_autofree int *ci = g_new (int, (gsize) ROW_BLOCK *m);
  g_autofree int *clen = g_new (int, ROW_BLOCK);

  dls_split ((n + ROW_BLOCK - 1) / ROW_BLOCK, n_tasks, task, &r0, &r1);
  for (int64_t blk = r0; blk < r1; blk++)
    {
      int i0 = (int) blk * ROW_BLOCK, bi = MIN (ROW_BLOCK, n - i0);

      memset (clen, 0, sizeof (int) * ROW_BLOCK);
      for (int j0 = 0; j0 < n; j0 += COL_BLOCK)
        {
          int bj = MIN (COL_BLOCK, n - j0);

          /* g bi × bj = xc[i0:] · xc[j0:]ᵀ */
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, bi, bj, d, 1.0f,
                       c->xc + (gsize) i0 * d, d, c->xc + (gsize) j0 * d, d, 0.0f, g, bj);
          for (int a = 0; a < bi; a++)
            {
              const float *gr = g + (gsize) a * bj;
              double *rd = cd + (gsize) a * m;
              int *ri = ci + (gsize) a * m;
              float sqi = c->sq[i0 + a];

              for (int b = 0; b < bj; b++)
                {
                  float v = sqi + c->sq[j0 + b] - 2.0f * gr[b];

                  if (clen[a] == m && v > rd[m - 1])
                    continue;
                  if (j0 + b != i0 + a)
                    topk_insert (rd, ri, &clen[a], m, v, j0 + b);
                }
            }
        }
      /* re-rank the candidates exactly */
      for (int a = 0; a < bi; a++)
        {
          int i = i0 + a, len = 0;
          double ed[m];
          int *ri = ci + (gsize) a * m, ei[m];

          for (int t = 0; t < clen[a]; t++)
            topk_insert (ed, ei, &len, m,
                         dls_latent_dist2 (c->x + (gsize) i * d, c->x + (gsize) ri[t] * d, d),
                         ri[t]);
          for (int t = 0; t < k; t++)
            {
              c->indices[(gsize) i * k + t] = t < len ? ei[t] : -1;
              c->distances[(gsize) i * k + t] = t < len ? (float) sqrt (ed[t]) : INFINITY;
            }
        }
    }
}

void
dls_knn (const float *x, int n, int d, int k, int *indices, float *distances)
{
  KnnCtx c = { .x = x, .n = n, .d = d, .k = k, .indices = indices, .distances = distances };
  g_autofree float *xc = NULL, *sq = NULL;
  g_autofree double *mean = NULL;
  int n_blocks, n_threads;

  if (n <= 0 || k <= 0)
    return;
  /* xc n × d centred (in double, then float): smaller norms, smaller cancellation */
  xc = g_new (float, (gsize) n *d);
  sq = g_new (float, n);
  mean = g_new0 (double, d);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < d; j++)
      mean[j] += x[(gsize) i * d + j];
  for (int i = 0; i < n; i++)
    {
      double s = 0;

      for (int j = 0; j < d; j++)
        {
          float v = (float) (x[(gsize) i * d + j] - mean[j] / n);

          xc[(gsize) i * d + j] = v;
          s += (double) v * v;
        }
      sq[i] = (float) s;
    }
  c.xc = xc;
  c.sq = sq;
  c.m = MIN (MAX (n - 1, 1), k + MAX (8, k / 2));
  n_threads = dls_engine_get_threads ();
  n_blocks = (n + ROW_BLOCK - 1) / ROW_BLOCK;
  dls_parallel (MIN (n_blocks, 4 * n_threads), knn_task, &c);
}

/* ------------------------------------------------------------------------------------------- */

typedef struct
{
  double v;
  int j;
} Ranked;

static int
ranked_cmp (const void *pa, const void *pb)
{
  const Ranked *a = pa, *b = pb;

  if (a->v != b->v)
    return a->v < b->v ? -1 : 1;
  return (a->j > b->j) - (a->j < b->j);
}

/* sklearn.manifold.trustworthiness: T = 1 − 2 / (n k (2n − 3k − 1)) Σᵢ Σ_{j ∈ Nᵏ_Y(i)} max (0,
 * r(i, j) − k), r(i, j) the rank (1-based, self excluded) of j among i's neighbours in X.  Ties
 * in X are ranked by index.  O(n² log n). */
double
dls_trustworthiness (const float *x, int d, const float *y, int dy, int n, int k)
{
  g_autofree int *ny = NULL, *rank = NULL;
  g_autofree float *dyst = NULL;
  g_autofree Ranked *row = NULL;
  double t = 0;

  if (n < 2 || k < 1 || k >= n)
    return NAN;
  ny = g_new (int, (gsize) n *k);
  dyst = g_new (float, (gsize) n *k);
  dls_knn (y, n, dy, k, ny, dyst);
  rank = g_new (int, n);
  row = g_new (Ranked, n);
  for (int i = 0; i < n; i++)
    {
      int m = 0;

      for (int j = 0; j < n; j++)
        if (j != i)
          row[m++] = (Ranked){ dls_latent_dist2 (x + (gsize) i * d, x + (gsize) j * d, d), j };
      qsort (row, m, sizeof (Ranked), ranked_cmp);
      for (int r = 0; r < m; r++)
        rank[row[r].j] = r + 1;
      for (int t2 = 0; t2 < k; t2++)
        t += MAX (0, rank[ny[(gsize) i * k + t2]] - k);
    }
  return 1.0 - t * (2.0 / ((double) n * k * (2.0 * n - 3.0 * k - 1.0)));
}
