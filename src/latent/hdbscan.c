/* SPDX-License-Identifier: MIT
 *
 * hdbscan.c: HDBSCAN as the hdbscan library (McInnes & Healy) and sklearn compute it, with the
 * Euclidean metric:
 *   1. core distance of a point: distance to its min_samples-th nearest point, counting the point
 *      itself (sklearn's convention: min_samples = 1 is single linkage);
 *   2. minimum spanning tree of the mutual reachability max (core_a, core_b, d(a, b)) by Prim's
 *      algorithm, O(n²) time and O(n d) memory, no tree structure;
 *   3. single-linkage hierarchy by sorting the MST edges (ties by order of discovery) with a
 *      union-find;
 *   4. condensed tree with min_cluster_size (lambda = 1 / distance), stability of each cluster,
 *      excess-of-mass selection without the root (allow_single_cluster = False);
 *   5. labels 0..C−1 in the order of the selected clusters' ids, −1 for noise, and membership
 *      probabilities lambda_point / max lambda of the cluster.
 * Distances of 0 (duplicates) would give infinite lambdas and NaN stabilities; they are floored
 * at 1e-10 × the largest MST weight, which keeps every number finite and the result the same.
 * Deterministic, whatever the number of threads (only the kNN of the core distances uses the
 * worker pool; Prim runs on one core).  Not done: cluster_selection_epsilon, leaf selection, GLOSH
 * outlier scores, prediction for new points.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "hdbscan.h"
#include "latent-private.h"
#include "umap.h"

/* ---- 2. MST ---------------------------------------------------------------------------------- */

void
dls_hdbscan_mst (const float *x, int n, int d, const float *core, int *from, int *to,
                 double *weight)
{
  /* the points not yet in the tree, compacted: xt d × n (transposed, so the distance loop runs
   * over points and vectorises), their index, squared core, best squared reachability so far */
  g_autofree float *xt = g_new (float, (gsize) d *n);
  g_autofree float *core2 = g_new (float, n), *best = g_new (float, n), *tmp = g_new (float, n);
  g_autofree int *idx = g_new (int, n), *bfrom = g_new (int, n);
  g_autofree float *xcur = g_new (float, d);
  int m = n, cur;
  float ccur;

  for (int i = 0; i < n; i++)
    {
      for (int c = 0; c < d; c++)
        xt[(gsize) c * n + i] = x[(gsize) i * d + c];
      core2[i] = core[i] * core[i];
      best[i] = INFINITY;
      idx[i] = i;
      bfrom[i] = -1;
    }
  /* start from point 0 */
  cur = 0;
#define REMOVE(p)                                              \
  do                                                           \
    {                                                          \
      int last_ = --m;                                         \
      for (int c_ = 0; c_ < d; c_++)                           \
        xt[(gsize) c_ * n + (p)] = xt[(gsize) c_ * n + last_]; \
      core2[p] = core2[last_];                                 \
      best[p] = best[last_];                                   \
      idx[p] = idx[last_];                                     \
      bfrom[p] = bfrom[last_];                                 \
    }                                                          \
  while (0)
  for (int c = 0; c < d; c++)
    xcur[c] = xt[(gsize) c * n + 0];
  ccur = core2[0];
  REMOVE (0);
  for (int e = 0; e < n - 1; e++)
    {
      int arg = -1;
      float bv = INFINITY;

      /* tmp m: squared distances from cur */
      for (int p = 0; p < m; p++)
        tmp[p] = 0;
      for (int c = 0; c < d; c++)
        {
          const float *row = xt + (gsize) c * n;
          float xc = xcur[c];

          for (int p = 0; p < m; p++)
            {
              float t = row[p] - xc;

              tmp[p] += t * t;
            }
        }
      for (int p = 0; p < m; p++)
        {
          float r = MAX (tmp[p], MAX (core2[p], ccur));

          if (r < best[p])
            {
              best[p] = r;
              bfrom[p] = cur;
            }
        }
      for (int p = 0; p < m; p++)
        if (best[p] < bv || (best[p] == bv && idx[p] < idx[arg]))
          {
            bv = best[p];
            arg = p;
          }
      if (arg < 0) /* NaN in the data: take the next point as is */
        arg = 0;
      from[e] = bfrom[arg];
      to[e] = idx[arg];
      weight[e] = sqrt ((double) best[arg]);
      cur = idx[arg];
      for (int c = 0; c < d; c++)
        xcur[c] = xt[(gsize) c * n + arg];
      ccur = core2[arg];
      REMOVE (arg);
    }
#undef REMOVE
}

/* ---- 3. single linkage ------------------------------------------------------------------------ */

typedef struct
{
  double w;
  int e;
} Edge;

static int
edge_cmp (const void *pa, const void *pb)
{
  const Edge *a = pa, *b = pb;

  if (a->w != b->w)
    return a->w < b->w ? -1 : 1;
  return (a->e > b->e) - (a->e < b->e);
}

static int
uf_find (int *parent, int a)
{
  int r = a;

  while (parent[r] != r)
    r = parent[r];
  while (parent[a] != r)
    {
      int t = parent[a];

      parent[a] = r;
      a = t;
    }
  return r;
}

/* ---- 4. condensed tree ------------------------------------------------------------------------ */

typedef struct
{
  int parent, child; /* condensed ids: points 0..n−1, clusters n.. (root n) */
  double lambda;
  int size;
} Row;

/* The leaves under hierarchy node `node` (ids < n are points, n + t is merge t). */
static void
push_leaves (const int *left, const int *right, int n, int node, int *stack, int *rows_out,
             int *n_out)
{
  int sp = 0;

  stack[sp++] = node;
  while (sp > 0)
    {
      int v = stack[--sp];

      if (v < n)
        rows_out[(*n_out)++] = v;
      else
        {
          stack[sp++] = right[v - n];
          stack[sp++] = left[v - n];
        }
    }
}

int
dls_hdbscan (const float *x, int n, int d, const DlsHdbscanArgs *args, int *labels,
             float *probabilities, GError **error)
{
  int mcs = args && args->min_cluster_size > 0 ? args->min_cluster_size : 5;
  int ms = args && args->min_samples > 0 ? args->min_samples : mcs;
  int m = n - 1, n_rows = 0, next_label, n_clusters = 0, root;
  g_autofree float *core = NULL;
  g_autofree int *from = NULL, *to = NULL, *uf = NULL, *left = NULL, *right = NULL, *size = NULL;
  g_autofree int *relabel = NULL, *queue = NULL, *stack = NULL, *leaves = NULL, *cparent = NULL;
  g_autofree int *sel = NULL, *label_of = NULL, *point_row = NULL;
  g_autofree double *weight = NULL, *dist = NULL, *birth = NULL, *stab = NULL, *death = NULL;
  g_autofree gboolean *is_cluster = NULL;
  g_autofree Edge *edges = NULL;
  g_autofree Row *rows = NULL;
  double wmax = 0, floor_d;

  if (x == NULL || labels == NULL || n < 0 || d < 1)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "Clustering needs points of at least 1 dimension (n = %d, d = %d)", n, d);
      return -1;
    }
  mcs = MAX (mcs, 2);
  for (int i = 0; i < n; i++)
    {
      labels[i] = -1;
      if (probabilities)
        probabilities[i] = 0;
    }
  if (n < mcs || n < 2)
    return 0;

  /* 1. core distances: the (ms − 1)-th other point */
  core = g_new0 (float, n);
  ms = MIN (ms, n);
  if (ms > 1)
    {
      g_autofree int *ki = g_new (int, (gsize) n *(ms - 1));
      g_autofree float *kd = g_new (float, (gsize) n *(ms - 1));

      dls_knn (x, n, d, ms - 1, ki, kd);
      for (int i = 0; i < n; i++)
        core[i] = kd[(gsize) i * (ms - 1) + ms - 2];
    }

  /* 2. MST */
  from = g_new (int, m);
  to = g_new (int, m);
  weight = g_new (double, m);
  dls_hdbscan_mst (x, n, d, core, from, to, weight);

  /* 3. single linkage: merge t makes node n + t of left[t], right[t] at dist[t] */
  edges = g_new (Edge, m);
  for (int e = 0; e < m; e++)
    {
      edges[e] = (Edge){ weight[e], e };
      wmax = MAX (wmax, weight[e]);
    }
  qsort (edges, m, sizeof (Edge), edge_cmp);
  floor_d = wmax > 0 ? 1e-10 * wmax : 1.0;
  uf = g_new (int, 2 * n - 1);
  left = g_new (int, m);
  right = g_new (int, m);
  size = g_new (int, 2 * n - 1);
  dist = g_new (double, m);
  for (int v = 0; v < 2 * n - 1; v++)
    {
      uf[v] = v;
      size[v] = 1;
    }
  for (int t = 0; t < m; t++)
    {
      int e = edges[t].e, a = uf_find (uf, from[e]), b = uf_find (uf, to[e]);

      left[t] = a;
      right[t] = b;
      dist[t] = edges[t].w;
      size[n + t] = size[a] + size[b];
      uf[a] = uf[b] = n + t;
    }

  /* 4. condense: BFS from the root of the hierarchy */
  root = 2 * n - 2;
  relabel = g_new (int, 2 * n - 1);
  queue = g_new (int, 2 * n - 1);
  stack = g_new (int, 2 * n - 1);
  leaves = g_new (int, n);
  rows = g_new (Row, 2 * n);
  relabel[root] = n;
  next_label = n + 1;
  {
    int qh = 0, qt = 0;

    queue[qt++] = root;
    while (qh < qt)
      {
        int node = queue[qh++], t = node - n, l = left[t], r = right[t];
        int lc = size[l], rc = size[r], p = relabel[node];
        double lambda = 1.0 / MAX (dist[t], floor_d);

        if (lc >= mcs && rc >= mcs)
          {
            relabel[l] = next_label++;
            relabel[r] = next_label++;
            rows[n_rows++] = (Row){ p, relabel[l], lambda, lc };
            rows[n_rows++] = (Row){ p, relabel[r], lambda, rc };
          }
        else
          {
            if (lc < mcs)
              {
                int nl = 0;

                push_leaves (left, right, n, l, stack, leaves, &nl);
                for (int s = 0; s < nl; s++)
                  rows[n_rows++] = (Row){ p, leaves[s], lambda, 1 };
              }
            else
              relabel[l] = p;
            if (rc < mcs)
              {
                int nl = 0;

                push_leaves (left, right, n, r, stack, leaves, &nl);
                for (int s = 0; s < nl; s++)
                  rows[n_rows++] = (Row){ p, leaves[s], lambda, 1 };
              }
            else
              relabel[r] = p;
          }
        /* children that stay (as a cluster or as the continuation of this one) are visited */
        if (l >= n && lc >= mcs)
          queue[qt++] = l;
        if (r >= n && rc >= mcs)
          queue[qt++] = r;
      }
  }

  /* stability of clusters n .. next_label − 1 (index c − n) */
  {
    int nc = next_label - n;

    birth = g_new0 (double, nc);
    stab = g_new0 (double, nc);
    death = g_new0 (double, nc);
    cparent = g_new (int, nc);
    is_cluster = g_new0 (gboolean, nc);
    sel = g_new (int, nc);
    label_of = g_new (int, nc);
    point_row = g_new (int, n);
    cparent[0] = -1;
    for (int s = 0; s < n_rows; s++)
      if (rows[s].child >= n)
        {
          birth[rows[s].child - n] = rows[s].lambda;
          cparent[rows[s].child - n] = rows[s].parent - n;
        }
      else
        point_row[rows[s].child] = s;
    for (int s = 0; s < n_rows; s++)
      {
        int pc = rows[s].parent - n;

        stab[pc] += (rows[s].lambda - birth[pc]) * rows[s].size;
        death[pc] = MAX (death[pc], rows[s].lambda);
      }

    /* excess of mass, leaves first (children have larger ids), root excluded */
    {
      g_autofree double *sub = g_new0 (double, nc);

      for (int c = nc - 1; c >= 1; c--)
        {
          is_cluster[c] = TRUE;
          if (sub[c] > stab[c])
            {
              is_cluster[c] = FALSE;
              stab[c] = sub[c];
            }
          sub[cparent[c]] += stab[c];
        }
      /* a selected cluster deselects its descendants: top-down, ids ascending */
      for (int c = 1; c < nc; c++)
        {
          int a = cparent[c];

          while (a > 0 && !is_cluster[a])
            a = cparent[a];
          if (a > 0)
            is_cluster[c] = FALSE;
        }
      /* hdbscan walks the ancestors only through clusters it has not yet deselected; the loop
       * above sees deselected ones too, which is the same since a kept ancestor deselects all */
    }
    for (int c = 0; c < nc; c++)
      {
        label_of[c] = -1;
        if (c > 0 && is_cluster[c])
          label_of[c] = n_clusters++;
      }
    /* the selected cluster at or above each cluster, or −1 */
    sel[0] = -1;
    for (int c = 1; c < nc; c++)
      sel[c] = is_cluster[c] ? c : sel[cparent[c]];
    for (int i = 0; i < n; i++)
      {
        const Row *row = &rows[point_row[i]];
        int c = sel[row->parent - n];

        labels[i] = c < 0 ? -1 : label_of[c];
        if (probabilities && c >= 0)
          {
            double ml = death[c];

            probabilities[i] = ml == 0 ? 1.0f : (float) (MIN (row->lambda, ml) / ml);
          }
      }
  }
  return n_clusters;
}
