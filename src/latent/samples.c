/* SPDX-License-Identifier: MIT
 *
 * samples.c: choosing and cutting the patches of a latent space (see samples.h).  Positions
 * are chosen first (so the count can be checked before n × size² floats are allocated), then
 * the patches are cut.  Connected components by breadth-first search over a visited bitmap,
 * in Z, Y, X order of each component's first voxel, so the order is deterministic.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "samples.h"

static const char *const sampling_names[] = {
  [DLS_SAMPLING_GRID] = "grid",
  [DLS_SAMPLING_LABELS] = "labels",
  [DLS_SAMPLING_COMPONENTS] = "components",
  [DLS_SAMPLING_PAGES] = "pages",
};
G_STATIC_ASSERT (G_N_ELEMENTS (sampling_names) == DLS_SAMPLING_COUNT);

const char *
dls_sampling_name (DlsSampling s)
{
  return (unsigned) s < DLS_SAMPLING_COUNT ? sampling_names[s] : NULL;
}

gboolean
dls_sampling_from_name (const char *name, DlsSampling *s)
{
  for (int i = 0; i < DLS_SAMPLING_COUNT; i++)
    if (g_strcmp0 (name, sampling_names[i]) == 0)
      {
        *s = (DlsSampling) i;
        return TRUE;
      }
  return FALSE;
}

/* numpy's "reflect" (… 2 1 | 0 1 2 … L−1 | L−2 …), for any i: the pattern has period 2L − 2. */
static inline int64_t
reflect (int64_t i, int64_t L)
{
  int64_t p;

  if (L == 1)
    return 0;
  p = 2 * L - 2;
  i %= p;
  if (i < 0)
    i += p;
  return i < L ? i : p - i;
}

void
dls_samples_cut (const float *volume, int64_t height, int64_t width, int64_t z, int64_t cy,
                 int64_t cx, int size, float *out)
{
  const float *plane = volume + z * height * width;
  int64_t y0 = cy - size / 2, x0 = cx - size / 2;
  gboolean inside = y0 >= 0 && x0 >= 0 && y0 + size <= height && x0 + size <= width;

  for (int y = 0; y < size; y++)
    {
      if (inside)
        {
          memcpy (out + (int64_t) y * size, plane + (y0 + y) * width + x0, sizeof (float) * size);
          continue;
        }
      {
        const float *row = plane + reflect (y0 + y, height) * width;

        for (int x = 0; x < size; x++)
          out[(int64_t) y * size + x] = row[reflect (x0 + x, width)];
      }
    }
}

/* Centres along an axis of length L for patches of side P every S: as many whole patches as
 * fit, the grid centred (the spare pixels split before and after); one centred patch when the
 * axis is shorter than a patch. */
static int64_t
axis_centres (int64_t L, int P, int S, int64_t *first)
{
  int64_t n;

  if (L < P)
    {
      *first = L / 2;
      return 1;
    }
  n = (L - P) / S + 1;
  *first = (L - P - (n - 1) * S) / 2 + P / 2;
  return n;
}

typedef struct
{
  GArray *pos;   /* int64_t triples */
  GArray *label; /* int */
  GArray *vox;   /* int64_t */
} Picks;

static void
pick (Picks *p, int64_t z, int64_t y, int64_t x, int label, int64_t voxels)
{
  int64_t t[3] = { z, y, x };

  g_array_append_vals (p->pos, t, 3);
  if (p->label)
    g_array_append_val (p->label, label);
  if (p->vox)
    g_array_append_val (p->vox, voxels);
}

static gboolean
too_many (int64_t n, int64_t max, GError **error)
{
  if (n <= max)
    return FALSE;
  g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
               "more than %" G_GINT64_FORMAT " samples; sample more sparsely (a larger stride)",
               max);
  return TRUE;
}

/* The most frequent non-zero class of a page (the smaller on a tie), 0 when it has none. */
static int
page_class (const uint8_t *lab, int64_t n)
{
  int64_t count[256] = { 0 };
  int best = 0;

  for (int64_t i = 0; i < n; i++)
    count[lab[i]]++;
  for (int c = 1; c < 256; c++)
    if (count[c] > 0 && (best == 0 || count[c] > count[best]))
      best = c;
  return best;
}

/* Connected components of equal non-zero class; one pick per component at its centroid. */
static gboolean
components (Picks *p, const uint8_t *lab, int64_t D, int64_t H, int64_t W, int conn, int64_t max,
            GError **error)
{
  int64_t plane = H * W, total = D * plane;
  g_autofree uint8_t *seen = g_new0 (uint8_t, (total + 7) / 8);
  g_autoptr (GArray) queue = g_array_new (FALSE, FALSE, sizeof (int64_t));
  int64_t count = 0;

  for (int64_t s = 0; s < total; s++)
    {
      int cls = lab[s];
      double sz = 0, sy = 0, sx = 0;
      int64_t head = 0;

      if (cls == 0 || (seen[s >> 3] >> (s & 7) & 1))
        continue;
      if (too_many (++count, max, error))
        return FALSE;
      g_array_set_size (queue, 0);
      g_array_append_val (queue, s);
      seen[s >> 3] |= (uint8_t) (1u << (s & 7));
      while (head < (int64_t) queue->len)
        {
          int64_t v = g_array_index (queue, int64_t, head++);
          int64_t z = v / plane, y = v / W % H, x = v % W;

          sz += (double) z;
          sy += (double) y;
          sx += (double) x;
          for (int dz = -1; dz <= 1; dz++)
            for (int dy = -1; dy <= 1; dy++)
              for (int dx = -1; dx <= 1; dx++)
                {
                  int64_t nz = z + dz, ny = y + dy, nx = x + dx, u;

                  if ((dz | dy | dx) == 0 || (conn == 6 && ABS (dz) + ABS (dy) + ABS (dx) != 1))
                    continue;
                  if (nz < 0 || ny < 0 || nx < 0 || nz >= D || ny >= H || nx >= W)
                    continue;
                  u = nz * plane + ny * W + nx;
                  if (lab[u] != cls || (seen[u >> 3] >> (u & 7) & 1))
                    continue;
                  seen[u >> 3] |= (uint8_t) (1u << (u & 7));
                  g_array_append_val (queue, u);
                }
        }
      {
        double k = (double) queue->len;

        pick (p, (int64_t) (sz / k + 0.5), (int64_t) (sy / k + 0.5), (int64_t) (sx / k + 0.5), cls,
              (int64_t) queue->len);
      }
    }
  return TRUE;
}

DlsSamples *
dls_samples_new (const float *volume, int64_t D, int64_t H, int64_t W, const uint8_t *labels,
                 const DlsSampleArgs *args, GError **error)
{
  DlsSampleArgs a = *args;
  Picks p = { 0 };
  DlsSamples *s;
  int64_t n, per;
  int size;

  if (a.size == 0)
    a.size = 32;
  if (a.max_samples == 0)
    a.max_samples = DLS_SAMPLES_DEFAULT_MAX;
  if (a.connectivity == 0)
    a.connectivity = 26;
  if (volume == NULL || D < 1 || H < 1 || W < 1 || (unsigned) a.mode >= DLS_SAMPLING_COUNT
      || a.size < 2 || a.size > 4096 || a.stride < 0 || a.stride_z < 0 || a.max_samples < 1
      || (a.connectivity != 6 && a.connectivity != 26))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "samples: bad arguments (patch side 2–4096, strides ≥ 0, connectivity 6 or "
                   "26)");
      return NULL;
    }
  if ((a.mode == DLS_SAMPLING_LABELS || a.mode == DLS_SAMPLING_COMPONENTS) && labels == NULL)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "sampling by %s needs a label image",
                   dls_sampling_name (a.mode));
      return NULL;
    }
  p.pos = g_array_new (FALSE, FALSE, sizeof (int64_t));
  if (labels != NULL)
    p.label = g_array_new (FALSE, FALSE, sizeof (int));
  if (a.mode == DLS_SAMPLING_COMPONENTS)
    p.vox = g_array_new (FALSE, FALSE, sizeof (int64_t));
  size = a.size;
  switch (a.mode)
    {
    case DLS_SAMPLING_GRID:
      {
        int S = a.stride ? a.stride : size, SZ = a.stride_z ? a.stride_z : 1;
        int64_t y0, x0, z0, ny = axis_centres (H, size, S, &y0),
                            nx = axis_centres (W, size, S, &x0);
        int64_t nz = axis_centres (D, 1, SZ, &z0);

        if (too_many (nz * ny * nx, a.max_samples, error))
          goto fail;
        for (int64_t z = 0; z < nz; z++)
          for (int64_t y = 0; y < ny; y++)
            for (int64_t x = 0; x < nx; x++)
              {
                int64_t cz = z0 + z * SZ, cy = y0 + y * S, cx = x0 + x * S;

                pick (&p, cz, cy, cx, labels ? labels[(cz * H + cy) * W + cx] : 0, 0);
              }
      }
      break;
    case DLS_SAMPLING_LABELS:
      {
        int S = a.stride ? a.stride : 1;
        int64_t seen = 0, count = 0;

        for (int64_t v = 0; v < D * H * W; v++)
          if (labels[v] != 0 && seen++ % S == 0)
            {
              if (too_many (++count, a.max_samples, error))
                goto fail;
              pick (&p, v / (H * W), v / W % H, v % W, labels[v], 0);
            }
      }
      break;
    case DLS_SAMPLING_COMPONENTS:
      if (!components (&p, labels, D, H, W, a.connectivity, a.max_samples, error))
        goto fail;
      break;
    case DLS_SAMPLING_PAGES:
    default:
      if (too_many (D, a.max_samples, error))
        goto fail;
      for (int64_t z = 0; z < D; z++)
        pick (&p, z, H / 2, W / 2, labels ? page_class (labels + z * H * W, H * W) : 0, 0);
      break;
    }
  n = p.pos->len / 3;
  if (n == 0)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   a.mode == DLS_SAMPLING_LABELS ? "the label image has no labelled voxels"
                                                 : "the label image has no components (all 0)");
      goto fail;
    }
  s = g_new0 (DlsSamples, 1);
  s->n = n;
  s->height = a.mode == DLS_SAMPLING_PAGES ? (int) H : size;
  s->width = a.mode == DLS_SAMPLING_PAGES ? (int) W : size;
  per = (int64_t) s->height * s->width;
  s->patches = g_try_new (float, n *per);
  if (s->patches == NULL)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY,
                   "no memory for %" G_GINT64_FORMAT " patches of %d × %d", n, s->height, s->width);
      g_free (s);
      goto fail;
    }
  s->pos = (int64_t *) g_array_free (p.pos, FALSE);
  s->label = p.label ? (int *) g_array_free (p.label, FALSE) : NULL;
  s->voxels = p.vox ? (int64_t *) g_array_free (p.vox, FALSE) : NULL;
  for (int64_t i = 0; i < n; i++)
    if (a.mode == DLS_SAMPLING_PAGES)
      memcpy (s->patches + i * per, volume + i * per, sizeof (float) * per);
    else
      dls_samples_cut (volume, H, W, s->pos[3 * i], s->pos[3 * i + 1], s->pos[3 * i + 2], size,
                       s->patches + i * per);
  if (a.align)
    {
      g_autofree float *tmp = g_new (float, per);

      for (int64_t i = 0; i < n; i++)
        {
          dls_sample_align (s->patches + i * per, s->height, s->width, tmp);
          memcpy (s->patches + i * per, tmp, sizeof (float) * per);
        }
    }
  return s;
fail:
  g_array_free (p.pos, TRUE);
  if (p.label)
    g_array_free (p.label, TRUE);
  if (p.vox)
    g_array_free (p.vox, TRUE);
  return NULL;
}

/* ---- aligning ---- */

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;

  return (x > y) - (x < y);
}

/* Bilinear, with `outside` beyond the edges. */
static float
sample_at (const float *in, int h, int w, double x, double y, float outside)
{
  int x0 = (int) floor (x), y0 = (int) floor (y);
  double fx = x - x0, fy = y - y0, v = 0;

  for (int j = 0; j < 2; j++)
    for (int i = 0; i < 2; i++)
      {
        int xx = x0 + i, yy = y0 + j;
        double wgt = (i ? fx : 1 - fx) * (j ? fy : 1 - fy);

        v += wgt * (xx >= 0 && xx < w && yy >= 0 && yy < h ? in[(int64_t) yy * w + xx] : outside);
      }
  return (float) v;
}

void
dls_sample_align (const float *in, int h, int w, float *out)
{
  int64_t n = (int64_t) h * w;
  g_autofree float *sorted = g_memdup2 (in, sizeof (float) * n);
  float median, lo, hi, t;
  gboolean bright;
  double W = 0, mx = 0, my = 0, cxx = 0, cyy = 0, cxy = 0, s3u = 0, s3v = 0;
  double theta, r, scale, ux, uy, vx, vy, cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;

  qsort (sorted, n, sizeof (float), cmp_float);
  median = sorted[n / 2];
  lo = sorted[0];
  hi = sorted[n - 1];
  bright = hi - median >= median - lo;
  t = bright ? median + (hi - median) / 2 : median - (median - lo) / 2;
  if (hi == lo || !isfinite (hi) || !isfinite (lo))
    {
      memcpy (out, in, sizeof (float) * n);
      return;
    }
#define IN_OBJECT(v) (bright ? (v) > t : (v) < t)
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (IN_OBJECT (in[(int64_t) y * w + x]))
        W++, mx += x, my += y;
  mx /= W;
  my /= W;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (IN_OBJECT (in[(int64_t) y * w + x]))
        {
          double dx = x - mx, dy = y - my;

          cxx += dx * dx, cyy += dy * dy, cxy += dx * dy;
        }
  cxx /= W, cyy /= W, cxy /= W;
  theta = 0.5 * atan2 (2 * cxy, cxx - cyy); /* the long axis */
  r = sqrt (cxx + cyy);
  scale = r > 0 ? r / (MIN (h, w) / 6.0) : 1;
  ux = cos (theta), uy = sin (theta), vx = -uy, vy = ux;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (IN_OBJECT (in[(int64_t) y * w + x]))
        {
          double a = (x - mx) * ux + (y - my) * uy, b = (x - mx) * vx + (y - my) * vy;

          s3u += a * a * a, s3v += b * b * b;
        }
#undef IN_OBJECT
  if (s3u < 0)
    ux = -ux, uy = -uy;
  if (s3v < 0)
    vx = -vx, vy = -vy;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        double a = (x - cx) * scale, b = (y - cy) * scale;

        out[(int64_t) y * w + x]
            = sample_at (in, h, w, mx + a * ux + b * vx, my + a * uy + b * vy, median);
      }
}

void
dls_samples_free (DlsSamples *s)
{
  if (s == NULL)
    return;
  g_free (s->patches);
  g_free (s->pos);
  g_free (s->label);
  g_free (s->voxels);
  g_free (s);
}
