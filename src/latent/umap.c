/* SPDX-License-Identifier: MIT
 *
 * umap.c: a UMAP-style 2-D layout, following umap-learn 0.5 step by step:
 *   1. exact kNN (knn.c); n_neighbors counts the point itself, as in umap-learn, so 15 means the
 *      14 nearest other points;
 *   2. smooth_knn_dist: rho = distance to the nearest distinct point, sigma by binary search so
 *      that Σ exp (−(dᵢⱼ − rho) / sigma) = log2 (n_neighbors);
 *   3. memberships exp (−(dᵢⱼ − rho) / sigma), symmetrised by fuzzy union A + Aᵀ − A∘Aᵀ, edges
 *      below max / n_epochs dropped, each edge sampled every max / w epochs;
 *   4. SGD on 1 / (1 + a d^2b) (a, b fitted from min_dist and spread like find_ab_params), with
 *      negative_sample_rate 5, gamma 1, gradients clipped at 4, learning rate 1 → 0.
 *
 * Where it differs, on purpose, so that the result is the same bit for bit whatever the number of
 * threads: an epoch moves every point against a snapshot of the layout taken when the epoch
 * starts.  Point i walks its own edges in order (so it never overshoots by summing stale pulls),
 * reads its neighbours and negative samples from the snapshot, and its negative samples come
 * from a counter-based hash of (seed, epoch, i).  umap-learn moves both ends of an edge
 * ("move_other"); here the reverse edge of the symmetric graph moves the other end, and each
 * sampled edge pulls its head twice, so a pair gets the same pull per epoch as in umap-learn.
 * A point's walk is a chain of dependent steps (log, exp, divide), so 16 points walk side by side
 * in SIMD lanes (sgd_range(); sgd_range_naive() is the scalar reference, equal bit for bit), and
 * x^b is a polynomial (fast_powf()) rather than powf().
 * Init: PCA scaled to ±10 plus 1e-4 noise (umap-learn's "pca") or uniform ±10, then each axis
 * rescaled to [0, 10].  It does not do spectral init, other metrics, or transform() of new points.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>
#include <gio/gio.h>

#include "engine.h"
#include "engine-private.h"
#include "latent-private.h"
#include "pca.h"
#include "umap.h"

#define NEGATIVE_SAMPLE_RATE 5
#define GAMMA                1.0f
#define CLIP                 4.0f
#define LANES                16

/* ---- a, b ------------------------------------------------------------------------------------ */

static double
ab_residuals (double a, double b, const double *xv, const double *yv, int m, double *jac, double *r)
{
  double sse = 0;

  for (int i = 0; i < m; i++)
    {
      double u = xv[i] > 0 ? pow (xv[i], 2 * b) : 0, den = 1 + a * u, f = 1 / den;

      r[i] = f - yv[i];
      sse += r[i] * r[i];
      if (jac)
        {
          jac[2 * i] = -u / (den * den);
          jac[2 * i + 1] = xv[i] > 0 ? -a * u * 2 * log (xv[i]) / (den * den) : 0;
        }
    }
  return sse;
}

void
dls_umap_find_ab (double spread, double min_dist, double *a_out, double *b_out)
{
  enum
  {
    M = 300
  };
  double xv[M], yv[M], jac[2 * M], r[M], rt[M];
  double a = 1, b = 1, lambda = 1e-3, sse;

  for (int i = 0; i < M; i++)
    {
      xv[i] = spread * 3 * i / (M - 1);
      yv[i] = xv[i] < min_dist ? 1.0 : exp (-(xv[i] - min_dist) / spread);
    }
  /* Levenberg–Marquardt from (1, 1), as scipy's curve_fit */
  sse = ab_residuals (a, b, xv, yv, M, jac, r);
  for (int it = 0; it < 500; it++)
    {
      double h00 = 0, h01 = 0, h11 = 0, g0 = 0, g1 = 0;
      gboolean improved = FALSE;

      for (int i = 0; i < M; i++)
        {
          h00 += jac[2 * i] * jac[2 * i];
          h01 += jac[2 * i] * jac[2 * i + 1];
          h11 += jac[2 * i + 1] * jac[2 * i + 1];
          g0 += jac[2 * i] * r[i];
          g1 += jac[2 * i + 1] * r[i];
        }
      while (lambda < 1e12)
        {
          double m00 = h00 * (1 + lambda), m11 = h11 * (1 + lambda), det = m00 * m11 - h01 * h01;
          double da = -(m11 * g0 - h01 * g1) / det, db = -(m00 * g1 - h01 * g0) / det;
          double s2 = ab_residuals (a + da, b + db, xv, yv, M, NULL, rt);

          if (det != 0 && isfinite (s2) && s2 < sse)
            {
              gboolean small
                  = fabs (da) < 1e-12 * (1 + fabs (a)) && fabs (db) < 1e-12 * (1 + fabs (b));

              a += da;
              b += db;
              lambda = MAX (lambda / 10, 1e-12);
              improved = !small && (sse - s2) > 1e-16 * sse;
              sse = ab_residuals (a, b, xv, yv, M, jac, r);
              break;
            }
          lambda *= 10;
        }
      if (!improved)
        break;
    }
  *a_out = a;
  *b_out = b;
}

/* ---- the fuzzy graph --------------------------------------------------------------------------- */

/* smooth_knn_dist for one point: kr neighbour distances (self excluded, ascending). */
static void
smooth_knn (const float *dist, int kr, double target, double mean_all, double *rho_out,
            double *sigma_out)
{
  double lo = 0, hi = INFINITY, mid = 1, rho = 0, mean_i = 0;

  for (int j = 0; j < kr; j++)
    if (dist[j] > 0)
      {
        rho = dist[j];
        break;
      }
  for (int it = 0; it < 64; it++)
    {
      double psum = 0;

      for (int j = 0; j < kr; j++)
        {
          double t = dist[j] - rho;

          psum += t > 0 ? exp (-t / mid) : 1.0;
        }
      if (fabs (psum - target) < 1e-5)
        break;
      if (psum > target)
        {
          hi = mid;
          mid = (lo + hi) / 2;
        }
      else
        {
          lo = mid;
          mid = isinf (hi) ? mid * 2 : (lo + hi) / 2;
        }
    }
  /* umap-learn's means include the zero distance to self */
  for (int j = 0; j < kr; j++)
    mean_i += dist[j];
  mean_i /= kr + 1;
  if (rho > 0)
    mid = MAX (mid, 1e-3 * mean_i);
  else
    mid = MAX (mid, 1e-3 * mean_all);
  *rho_out = rho;
  *sigma_out = mid;
}

typedef struct
{
  int i, j;
  float w;
} Entry;

static int
entry_cmp (const void *pa, const void *pb)
{
  const Entry *a = pa, *b = pb;

  if (a->i != b->i)
    return a->i < b->i ? -1 : 1;
  if (a->j != b->j)
    return a->j < b->j ? -1 : 1;
  return (a->w > b->w) - (a->w < b->w);
}

/* The symmetric fuzzy graph as CSR: rowptr (n + 1), col and w (nnz); returns nnz. */
static int64_t
fuzzy_graph (const int *knn, const float *dist, int n, int kr, int n_neighbors,
             int64_t **rowptr_out, int **col_out, float **w_out)
{
  g_autofree Entry *e = g_new (Entry, (gsize) 2 * n * kr);
  double target = log2 (n_neighbors), mean_all = 0;
  int64_t ne = 0, nnz = 0;
  int64_t *rowptr = g_new0 (int64_t, n + 1);
  int *col;
  float *w;

  for (gsize t = 0; t < (gsize) n * kr; t++)
    mean_all += dist[t];
  mean_all /= (double) n * (kr + 1);
  for (int i = 0; i < n; i++)
    {
      double rho, sigma;

      smooth_knn (dist + (gsize) i * kr, kr, target, mean_all, &rho, &sigma);
      for (int t = 0; t < kr; t++)
        {
          int j = knn[(gsize) i * kr + t];
          double dd = dist[(gsize) i * kr + t] - rho;
          float v = (dd <= 0 || sigma == 0) ? 1.0f : (float) exp (-dd / sigma);

          if (j < 0 || j == i)
            continue;
          e[ne++] = (Entry){ i, j, v };
          e[ne++] = (Entry){ j, i, v };
        }
    }
  /* fuzzy union: a pair seen twice came from A and Aᵀ */
  qsort (e, ne, sizeof (Entry), entry_cmp);
  col = g_new (int, ne);
  w = g_new (float, ne);
  for (int64_t t = 0; t < ne;)
    {
      float v = e[t].w;

      if (t + 1 < ne && e[t + 1].i == e[t].i && e[t + 1].j == e[t].j)
        {
          v = e[t].w + e[t + 1].w - e[t].w * e[t + 1].w;
          t += 2;
        }
      else
        t += 1;
      col[nnz] = e[t - 1].j;
      w[nnz] = v;
      rowptr[e[t - 1].i + 1]++;
      nnz++;
    }
  for (int i = 0; i < n; i++)
    rowptr[i + 1] += rowptr[i];
  *rowptr_out = rowptr;
  *col_out = col;
  *w_out = w;
  return nnz;
}

int64_t
dls_umap_fuzzy_graph (const float *x, int n, int d, int n_neighbors, int64_t **rowptr, int **col,
                      float **w)
{
  int kr = CLAMP (n_neighbors, 2, n - 1) - 1;
  g_autofree int *knn = g_new (int, (gsize) n *kr);
  g_autofree float *dist = g_new (float, (gsize) n *kr);

  dls_knn (x, n, d, kr, knn, dist);
  return fuzzy_graph (knn, dist, n, kr, kr + 1, rowptr, col, w);
}

/* ---- the layout -------------------------------------------------------------------------------- */

typedef struct
{
  int n, n_epochs, epoch;
  float a, b, alpha;
  uint64_t seed;
  const int64_t *rowptr;
  const int *col;
  const double *eps, *eps_neg; /* epochs per sample, per negative sample (−1: never) */
  double *next, *next_neg;     /* epoch of next sample, of next negative sample */
  const float *prev;           /* n × 2 snapshot */
  float *y;                    /* n × 2 */
  gboolean naive;              /* sgd_range_naive() in place of sgd_range() */
} SgdCtx;

/* x^b for x > 0 as 2^(b log2 x), inline and branch-free so that independent samples overlap
 * (and vectorise): log2 of the mantissa in [√½, √2) by the atanh series to t⁷ (error < 2e-8),
 * 2^f for |f| ≤ ½ by Taylor to f⁷.  Same bits on every run; within 1e-5 of powf for x in
 * [1e-20, 1e20] (about 1e-7 for the distances a layout has), far below what the SGD notices. */
static inline float
fast_powf (float x, float b)
{
  union
  {
    float f;
    uint32_t u;
  } vx = { x }, vm, ve;
  int32_t e = (int32_t) ((vx.u >> 23) & 0xff) - 127;
  float m, t, t2, l2, y, f, p;
  int32_t k;

  /* m in [√½, √2): mantissas above √2 take exponent 0x3f000000 (m / 2) and e + 1 */
  {
    uint32_t hi = (vx.u & 0x007fffff) > 0x003504f3;

    vm.u = (vx.u & 0x007fffff) | (0x3f800000 - (hi << 23));
    e += (int32_t) hi;
  }
  m = vm.f;
  t = (m - 1.0f) / (m + 1.0f);
  t2 = t * t;
  l2 = (float) e + 2.88539008f * t * (1.0f + t2 * (1.0f / 3 + t2 * (1.0f / 5 + t2 * (1.0f / 7))));
  y = b * l2;
  y = y < -126.0f ? -126.0f : y > 126.0f ? 126.0f : y;
  k = (int32_t) (y + 126.5f) - 126;   /* round: y + 126.5 > 0 truncates to floor */
  f = (y - (float) k) * 0.693147181f; /* 2^(y − k) = e^f, |f| ≤ ln 2 / 2 */
  p = 1.0f
      + f
            * (1.0f
               + f
                     * (0.5f
                        + f
                              * (1.0f / 6
                                 + f
                                       * (1.0f / 24
                                          + f
                                                * (1.0f / 120
                                                   + f * (1.0f / 720 + f * (1.0f / 5040)))))));
  ve.u = (uint32_t) (k + 127) << 23;
  return p * ve.f;
}

/* fast_powf() on 4 lanes with GCC/Clang vector extensions: the same operations in the same
 * order, so each lane gives the bits fast_powf() gives. */
typedef float v4f __attribute__ ((vector_size (16)));
typedef int32_t v4i __attribute__ ((vector_size (16)));

static inline v4f
v4_select (v4i mask, v4f a, v4f b)
{
  return (v4f) ((mask & (v4i) a) | (~mask & (v4i) b));
}

static inline v4f
fast_powf_v4 (v4f x, float b)
{
  v4i u = (v4i) x, mant = u & 0x007fffff, hi = mant > 0x003504f3;
  v4i e = ((u >> 23) & 0xff) - 127 - hi;
  v4f m = (v4f) (mant | (0x3f800000 - (hi & 0x00800000)));
  v4f t = (m - 1.0f) / (m + 1.0f), t2 = t * t, l2, y, f, p;
  v4i k;

  l2 = __builtin_convertvector(e, v4f)
       + 2.88539008f * t * (1.0f + t2 * (1.0f / 3 + t2 * (1.0f / 5 + t2 * (1.0f / 7))));
  y = b * l2;
  y = v4_select (y < -126.0f, (v4f){ -126.0f, -126.0f, -126.0f, -126.0f }, y);
  y = v4_select (y > 126.0f, (v4f){ 126.0f, 126.0f, 126.0f, 126.0f }, y);
  k = __builtin_convertvector(y + 126.5f, v4i) - 126;
  f = (y - __builtin_convertvector(k, v4f)) * 0.693147181f;
  p = 1.0f
      + f
            * (1.0f
               + f
                     * (0.5f
                        + f
                              * (1.0f / 6
                                 + f
                                       * (1.0f / 24
                                          + f
                                                * (1.0f / 120
                                                   + f * (1.0f / 720 + f * (1.0f / 5040)))))));
  return p * (v4f) ((k + 127) << 23);
}

static inline float
clipf (float v)
{
  return v > CLIP ? CLIP : v < -CLIP ? -CLIP : v;
}

/* The moves of one point in one epoch, in umap-learn's order: for each sampled edge two pulls
 * towards its other end, then its negative samples one by one.  Targets only, so that the
 * arithmetic can run for LANES points side by side. */
typedef struct
{
  int k;         /* the other point */
  float attract; /* 1: edge pull, 0: negative sample */
} Op;

typedef struct
{
  Op *ops;
  int len, cap;
} OpList;

static inline void
op_push (OpList *l, int k, float attract)
{
  if (l->len == l->cap)
    {
      l->cap = MAX (64, 2 * l->cap);
      l->ops = g_renew (Op, l->ops, l->cap);
    }
  l->ops[l->len++] = (Op){ k, attract };
}

/* Point i's moves this epoch; advances its edges' sampling schedule. */
static void
sgd_plan (SgdCtx *c, int i, OpList *l)
{
  uint64_t stream = dls_hash64 (c->seed ^ dls_hash64 (((uint64_t) c->epoch << 32) | (uint32_t) i));
  uint64_t counter = 0;
  int epoch = c->epoch, n = c->n;

  l->len = 0;
  for (int64_t e = c->rowptr[i]; e < c->rowptr[i + 1]; e++)
    {
      int n_neg;

      if (c->eps[e] <= 0 || c->next[e] > epoch)
        continue;
      op_push (l, c->col[e], 1);
      op_push (l, c->col[e], 1);
      c->next[e] += c->eps[e];
      n_neg = (int) ((epoch - c->next_neg[e]) / c->eps_neg[e]);
      for (int p = 0; p < n_neg; p++)
        {
          uint64_t r = dls_hash64 (stream + counter++);
          int k = (int) (((r >> 32) * (uint64_t) n) >> 32);

          if (k != i)
            op_push (l, k, 0);
        }
      if (n_neg > 0)
        c->next_neg[e] += n_neg * c->eps_neg[e];
    }
}

/* Gives a lane the next point of [*next, hi) with at least one move, writing out those without;
 * returns 1, or 0 (and head −1) when none is left. */
static inline int
lane_load (SgdCtx *c, int *next, int hi, OpList *list, int *head, int *pos, float *y0, float *y1)
{
  const float *prev = c->prev;

  *head = -1;
  while (*next < hi)
    {
      int i = (*next)++;

      sgd_plan (c, i, list);
      if (list->len > 0)
        {
          *head = i;
          *pos = 0;
          *y0 = prev[2 * i];
          *y1 = prev[2 * i + 1];
          return 1;
        }
      c->y[2 * i] = prev[2 * i];
      c->y[2 * i + 1] = prev[2 * i + 1];
    }
  return 0;
}

/* One epoch for points [lo, hi) against the snapshot.  LANES points walk their moves side by
 * side, each lane taking the next point when its walk ends; lanes share instructions only, so a
 * point's result is its own sequential walk whatever lane, task or thread runs it. */
static void
sgd_range (SgdCtx *c, int lo, int hi)
{
  const float a = c->a, b = c->b, alpha = c->alpha;
  const float *prev = c->prev;
  OpList lists[LANES] = { { 0 } };
  float y0[LANES], y1[LANES], tx[LANES], ty[LANES], at[LANES], on[LANES];
  int head[LANES], pos[LANES], next = lo, active = 0;

  for (int l = 0; l < LANES; l++)
    active += lane_load (c, &next, hi, &lists[l], &head[l], &pos[l], &y0[l], &y1[l]);
  while (active > 0)
    {
      for (int l = 0; l < LANES; l++)
        if (head[l] >= 0)
          {
            const Op *op = &lists[l].ops[pos[l]];

            tx[l] = prev[2 * op->k];
            ty[l] = prev[2 * op->k + 1];
            at[l] = op->attract;
            on[l] = 1;
          }
        else
          {
            tx[l] = y0[l] = 0;
            ty[l] = y1[l] = 0;
            at[l] = on[l] = 0;
          }
      /* four lanes at a time, branch-free: both gradients computed, then selected */
      for (int l = 0; l < LANES; l += 4)
        {
          v4f vy0, vy1, vtx, vty, vat, von, d0, d1, d2, q, pb, den, ga, gr, g, z, m0, m1;
          v4i ok, att;

          memcpy (&vy0, y0 + l, sizeof vy0);
          memcpy (&vy1, y1 + l, sizeof vy1);
          memcpy (&vtx, tx + l, sizeof vtx);
          memcpy (&vty, ty + l, sizeof vty);
          memcpy (&vat, at + l, sizeof vat);
          memcpy (&von, on + l, sizeof von);
          d0 = vy0 - vtx;
          d1 = vy1 - vty;
          d2 = d0 * d0 + d1 * d1;
          ok = d2 > 0.0f;
          att = vat > 0.0f;
          q = v4_select (ok, d2, (v4f){ 1, 1, 1, 1 });
          pb = fast_powf_v4 (q, b);
          den = a * pb + 1.0f;
          /* attractive −2ab d^(2(b−1)) / (1 + a d^2b); repulsive 2γb / ((0.001 + d²)(1 + a d^2b)) */
          ga = -2.0f * a * b * (pb / q) / den;
          gr = 2.0f * GAMMA * b / ((0.001f + d2) * den);
          g = v4_select (att, ga, gr);
          /* d = 0: no pull, and a push of 4 in each direction (umap-learn) */
          z = v4_select (att, (v4f){ 0, 0, 0, 0 }, (v4f){ CLIP, CLIP, CLIP, CLIP });
          m0 = g * d0;
          m1 = g * d1;
          m0 = v4_select (m0 > CLIP, (v4f){ CLIP, CLIP, CLIP, CLIP }, m0);
          m0 = v4_select (m0 < -CLIP, (v4f){ -CLIP, -CLIP, -CLIP, -CLIP }, m0);
          m1 = v4_select (m1 > CLIP, (v4f){ CLIP, CLIP, CLIP, CLIP }, m1);
          m1 = v4_select (m1 < -CLIP, (v4f){ -CLIP, -CLIP, -CLIP, -CLIP }, m1);
          m0 = v4_select (ok, m0, z);
          m1 = v4_select (ok, m1, z);
          vy0 += von * m0 * alpha;
          vy1 += von * m1 * alpha;
          memcpy (y0 + l, &vy0, sizeof vy0);
          memcpy (y1 + l, &vy1, sizeof vy1);
        }
      for (int l = 0; l < LANES; l++)
        if (head[l] >= 0 && ++pos[l] == lists[l].len)
          {
            c->y[2 * head[l]] = y0[l];
            c->y[2 * head[l] + 1] = y1[l];
            active--;
            active += lane_load (c, &next, hi, &lists[l], &head[l], &pos[l], &y0[l], &y1[l]);
          }
    }
  for (int l = 0; l < LANES; l++)
    g_free (lists[l].ops);
}

/* The reference for sgd_range(): one point at a time, scalar, the same operations in the same
 * order (the library is built with -ffp-contract=off so that no FMA changes that). */
static void
sgd_range_naive (SgdCtx *c, int lo, int hi)
{
  const float a = c->a, b = c->b, alpha = c->alpha;
  const float *prev = c->prev;
  OpList list = { 0 };

  for (int i = lo; i < hi; i++)
    {
      float y0 = prev[2 * i], y1 = prev[2 * i + 1];

      sgd_plan (c, i, &list);
      for (int s = 0; s < list.len; s++)
        {
          int k = list.ops[s].k;
          gboolean att = list.ops[s].attract > 0;
          float d0 = y0 - prev[2 * k], d1 = y1 - prev[2 * k + 1], d2 = d0 * d0 + d1 * d1;
          float q = d2 > 0 ? d2 : 1.0f, pb = fast_powf (q, b), den = a * pb + 1.0f, g, m0, m1;

          g = att ? -2.0f * a * b * (pb / q) / den : 2.0f * GAMMA * b / ((0.001f + d2) * den);
          m0 = d2 > 0 ? clipf (g * d0) : att ? 0.0f : CLIP;
          m1 = d2 > 0 ? clipf (g * d1) : att ? 0.0f : CLIP;
          y0 += m0 * alpha;
          y1 += m1 * alpha;
        }
      c->y[2 * i] = y0;
      c->y[2 * i + 1] = y1;
    }
  g_free (list.ops);
}

static void
sgd_task (void *data, int task, int n_tasks)
{
  SgdCtx *c = data;
  int64_t lo, hi;

  dls_split (c->n, n_tasks, task, &lo, &hi);
  if (c->naive)
    sgd_range_naive (c, (int) lo, (int) hi);
  else
    sgd_range (c, (int) lo, (int) hi);
}

static void
init_layout (const float *x, int n, int d, gboolean init_pca, DlsRng *rng, float *y)
{
  gboolean done = FALSE;

  if (init_pca)
    {
      int k = MIN (2, d);
      g_autofree float *p = g_new (float, (gsize) n *k);
      float amax = 0;

      if (dls_pca (x, n, d, k, p, NULL, NULL, NULL))
        {
          for (gsize t = 0; t < (gsize) n * k; t++)
            amax = MAX (amax, fabsf (p[t]));
          for (int i = 0; i < n; i++)
            for (int c = 0; c < 2; c++)
              y[2 * i + c] = c < k && amax > 0 ? p[(gsize) i * k + c] * (10.0f / amax) : 0.0f;
          for (int t = 0; t < 2 * n; t++)
            y[t] += (float) (1e-4 * dls_rng_normal (rng));
          done = TRUE;
        }
    }
  if (!done)
    for (int t = 0; t < 2 * n; t++)
      y[t] = (float) (dls_rng_uniform (rng) * 20.0 - 10.0);
  /* each axis to [0, 10] */
  for (int c = 0; c < 2; c++)
    {
      float lo = FLT_MAX, hi = -FLT_MAX;

      for (int i = 0; i < n; i++)
        {
          lo = MIN (lo, y[2 * i + c]);
          hi = MAX (hi, y[2 * i + c]);
        }
      for (int i = 0; i < n; i++)
        y[2 * i + c] = hi > lo ? 10.0f * (y[2 * i + c] - lo) / (hi - lo) : 0.0f;
    }
}

static gboolean
cancelled (const DlsUmapArgs *args, GError **error)
{
  if (args->cancel == NULL || *args->cancel == 0)
    return FALSE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The map was cancelled");
  return TRUE;
}

static gboolean
umap_run (const float *x, int n, int d, const DlsUmapArgs *args, float *out, gboolean naive,
          GError **error)
{
  DlsUmapArgs def = { 0 };
  int n_neighbors, kr, n_epochs, n_tasks;
  double a, b, spread, wmax = 0;
  g_autofree int *knn = NULL, *col = NULL;
  g_autofree float *dist = NULL, *w = NULL, *prev = NULL;
  g_autofree int64_t *rowptr = NULL;
  g_autofree double *eps = NULL, *eps_neg = NULL, *next = NULL, *next_neg = NULL;
  int64_t nnz;
  DlsRng rng;
  SgdCtx c;

  if (args == NULL)
    {
      def.min_dist = 0.1;
      def.init_pca = TRUE;
      args = &def;
    }
  if (x == NULL || out == NULL || n < 3 || d < 1)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "The map needs at least 3 points of at least 1 dimension (n = %d, d = %d)", n,
                   d);
      return FALSE;
    }
  n_neighbors = args->n_neighbors > 0 ? args->n_neighbors : 15;
  n_neighbors = CLAMP (n_neighbors, 2, n - 1);
  kr = n_neighbors - 1;
  spread = args->spread > 0 ? args->spread : 1.0;
  n_epochs = args->n_epochs > 0 ? args->n_epochs : n <= 10000 ? 500 : 200;
  dls_umap_find_ab (spread, MAX (args->min_dist, 0.0), &a, &b);
  dls_rng_init (&rng, args->seed);

  /* 1–3: the graph */
  if (cancelled (args, error))
    return FALSE;
  knn = g_new (int, (gsize) n *kr);
  dist = g_new (float, (gsize) n *kr);
  dls_knn (x, n, d, kr, knn, dist);
  if (args->progress)
    args->progress (0.05, args->user_data);
  if (cancelled (args, error))
    return FALSE;
  nnz = fuzzy_graph (knn, dist, n, kr, n_neighbors, &rowptr, &col, &w);
  for (int64_t e = 0; e < nnz; e++)
    wmax = MAX (wmax, w[e]);
  eps = g_new (double, MAX (nnz, 1));
  eps_neg = g_new (double, MAX (nnz, 1));
  next = g_new (double, MAX (nnz, 1));
  next_neg = g_new (double, MAX (nnz, 1));
  for (int64_t e = 0; e < nnz; e++)
    {
      double ns = w[e] < wmax / n_epochs ? 0 : n_epochs * (w[e] / wmax);

      eps[e] = ns > 0 ? n_epochs / ns : -1;
      eps_neg[e] = eps[e] / NEGATIVE_SAMPLE_RATE;
      next[e] = eps[e];
      next_neg[e] = eps_neg[e];
    }

  /* 4: the layout */
  init_layout (x, n, d, args->init_pca, &rng, out);
  prev = g_new (float, (gsize) 2 * n);
  c = (SgdCtx){ .n = n,
                .n_epochs = n_epochs,
                .a = (float) a,
                .b = (float) b,
                .seed = dls_hash64 (args->seed ^ 0x756d6170ull),
                .rowptr = rowptr,
                .col = col,
                .eps = eps,
                .eps_neg = eps_neg,
                .next = next,
                .next_neg = next_neg,
                .prev = prev,
                .y = out,
                .naive = naive };
  /* small tasks: on a busy machine a preempted worker holds up the epoch for one task only */
  n_tasks = CLAMP (n / 128, 1, 32 * dls_engine_get_threads ());
  for (int epoch = 0; epoch < n_epochs; epoch++)
    {
      if (cancelled (args, error))
        return FALSE;
      c.epoch = epoch;
      c.alpha = (float) (1.0 - (double) MAX (epoch - 1, 0) / n_epochs);
      memcpy (prev, out, sizeof (float) * 2 * n);
      dls_parallel (n_tasks, sgd_task, &c);
      if (args->progress && (epoch % 10 == 9 || epoch == n_epochs - 1))
        args->progress (0.05 + 0.95 * (epoch + 1) / n_epochs, args->user_data);
    }
  return TRUE;
}

gboolean
dls_umap (const float *x, int n, int d, const DlsUmapArgs *args, float *out, GError **error)
{
  return umap_run (x, n, d, args, out, FALSE, error);
}

gboolean
dls_umap_naive (const float *x, int n, int d, const DlsUmapArgs *args, float *out, GError **error)
{
  return umap_run (x, n, d, args, out, TRUE, error);
}
