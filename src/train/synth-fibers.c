/* SPDX-License-Identifier: MIT
 *
 * synth-fibers.c: a fibre-reinforced concrete tomogram with ground truth and sparse labels, for
 * the paper's second application (fibre segmentation with an SMSNet ensemble trained on a few
 * painted fibres).
 *
 * The volume is built on a 0–1 brightness scale in a float work volume, phase by phase: matrix,
 * aggregates (rotated ellipsoids with bumpy surfaces, drawn only into matrix so they do not
 * merge), sand grains (specks a little brighter or darker than the paste — they make thin fibres
 * hard to tell from texture), pores (spheres cut out of the paste), then fibres over everything
 * with anti-aliased edges.  Slow brightness variations and per-voxel noise are added, the volume
 * is blurred with a small Gaussian, signal-dependent noise is added and the result mapped to
 * uint16.  Each stage draws from its own random stream, so changing one does not reshuffle the
 * others.
 *
 * It does not: model X-ray physics (beam hardening, rings, streaks), curve the fibres, or keep
 * fibres out of aggregates (a fibre through a stone shows as a darker channel in it).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "engine.h"
#include "synth.h"

/* Phases in the truth volume while building; truth becomes 1/2 at the end.  NEAR_FIBRE marks
 * voxels within FIBRE_MARGIN of a fibre, where no class-1 stroke may go. */
enum {
  PH_MATRIX = 1,
  PH_FIBRE = 2,
  PH_AGGREGATE = 3,
  PH_PORE = 4,
  PH_GRAIN = 5,
  PH_MASK = 0x7f,
  NEAR_FIBRE = 0x80,
};

/* Brightness, 0–1 scale.  Steel fibres are the densest phase, so the brightest: above the
 * aggregates, though thin enough that blur and noise make their edges hard. */
#define LEVEL_MATRIX    0.45f
#define LEVEL_FIBRE     1.00f
#define LEVEL_AGGREGATE 0.72f
#define LEVEL_PORE      0.10f
#define FIBRE_MARGIN    3.0   /* voxels beyond a fibre's surface kept free of class-1 strokes */
#define FIBRE_FRACTION  0.015 /* of the volume, for the default count */
#define BLUR_SIGMA      0.8
#define BLUR_RADIUS     3

typedef struct {
  int64_t  dim[3]; /* Z, Y, X */
  float   *I;      /* brightness */
  uint8_t *ph;     /* phase | NEAR_FIBRE (the truth output) */
} Vol;

typedef struct {
  double  c[3], u[3]; /* centre and unit direction, (z, y, x) */
  double  half, r;    /* half length, radius */
  float    level;
  int64_t  core;      /* core voxels inside the volume */
  gboolean marked;    /* in the sparse labels */
} Fibre;

static inline int64_t
vox (const Vol *v, int64_t z, int64_t y, int64_t x)
{
  return (z * v->dim[1] + y) * v->dim[2] + x;
}

static void
stream_init (DlsRng *rng, uint64_t seed, uint64_t stage)
{
  dls_rng_init (rng, dls_hash64 (seed ^ dls_hash64 (stage)));
}

static inline double
uniform (DlsRng *rng, double lo, double hi)
{
  return lo + (hi - lo) * dls_rng_uniform (rng);
}

/* ≈ N(0, 1) from one draw: the sum of four 16-bit uniforms (Irwin–Hall), rescaled.  Cheap enough
 * for every voxel; the tails stop at ±3.46, which noise does not miss. */
static inline float
fast_normal (DlsRng *rng)
{
  uint64_t b = dls_rng_next (rng);
  uint32_t s = (uint32_t) (b & 0xffff) + (uint32_t) ((b >> 16) & 0xffff)
               + (uint32_t) ((b >> 32) & 0xffff) + (uint32_t) (b >> 48);

  return ((float) s * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
}

static void
random_unit (DlsRng *rng, double *u)
{
  double n;

  do
    {
      u[0] = dls_rng_normal (rng);
      u[1] = dls_rng_normal (rng);
      u[2] = dls_rng_normal (rng);
      n = sqrt (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    }
  while (n < 1e-6);
  for (int i = 0; i < 3; i++)
    u[i] /= n;
}

/* A uniformly random rotation (rows are the new axes), from a random unit quaternion. */
static void
random_rotation (DlsRng *rng, double *R)
{
  double q[4], n = 0;

  for (int i = 0; i < 4; i++)
    {
      q[i] = dls_rng_normal (rng);
      n += q[i] * q[i];
    }
  n = sqrt (MAX (n, 1e-12));
  for (int i = 0; i < 4; i++)
    q[i] /= n;
  double w = q[0], x = q[1], y = q[2], z = q[3];
  double m[9] = { 1 - 2 * (y * y + z * z), 2 * (x * y - w * z),     2 * (x * z + w * y),
                  2 * (x * y + w * z),     1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                  2 * (x * z - w * y),     2 * (y * z + w * x),     1 - 2 * (x * x + y * y) };
  memcpy (R, m, sizeof m);
}

int
dls_synth_fibers_default_count (int64_t depth, int64_t height, int64_t width)
{
  double V = (double) depth * height * width;
  double S = 2.0 * ((double) depth * height + (double) depth * width + (double) height * width);
  /* Lines through a uniform point of a box cross it in about 5V/S on average (Cauchy's 4V/S
   * for isotropic lines, weighted by chord length); mean radius 2.25. */
  double chord = S > 0 ? 5.0 * V / S : 1;
  double n = FIBRE_FRACTION * V / (G_PI * 2.25 * 2.25 * chord);

  return (int) CLAMP (round (n), 1, 100000);
}

/* ---- Matrix phases --------------------------------------------------------------------------- */

/* A blob: an ellipsoid in a random orientation whose surface is pushed in and out by three
 * cosine bumps of the direction. */
typedef struct {
  double c[3], R[9], inv_a[3], reach;
  double bump_amp[3], bump_freq[3], bump_phase[3], bump_dir[3][3], bump_total;
  double grad[3];
  float  level;
} Blob;

static gboolean
blob_inside (const Blob *b, const double *d)
{
  double s2 = 0, r2, g = 0;

  for (int i = 0; i < 3; i++)
    {
      double q = (b->R[3 * i] * d[0] + b->R[3 * i + 1] * d[1] + b->R[3 * i + 2] * d[2])
                 * b->inv_a[i];
      s2 += q * q;
    }
  if (s2 > (1 + b->bump_total) * (1 + b->bump_total))
    return FALSE;
  if (s2 < (1 - b->bump_total) * (1 - b->bump_total))
    return TRUE;
  r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
  if (r2 < 1e-12)
    return TRUE;
  for (int k = 0; k < 3; k++)
    {
      double dot = (b->bump_dir[k][0] * d[0] + b->bump_dir[k][1] * d[1]
                    + b->bump_dir[k][2] * d[2])
                   / sqrt (r2);
      g += b->bump_amp[k] * cos (b->bump_freq[k] * dot + b->bump_phase[k]);
    }
  return s2 < (1 + g) * (1 + g);
}

/* Paints the blob into matrix voxels only; returns how many it took. */
static int64_t
blob_draw (Vol *v, const Blob *b)
{
  int64_t lo[3], hi[3], n = 0;

  for (int i = 0; i < 3; i++)
    {
      lo[i] = MAX (0, (int64_t) floor (b->c[i] - b->reach));
      hi[i] = MIN (v->dim[i] - 1, (int64_t) ceil (b->c[i] + b->reach));
      if (lo[i] > hi[i])
        return 0;
    }
  for (int64_t z = lo[0]; z <= hi[0]; z++)
    for (int64_t y = lo[1]; y <= hi[1]; y++)
      for (int64_t x = lo[2]; x <= hi[2]; x++)
        {
          int64_t i = vox (v, z, y, x);
          double d[3] = { z - b->c[0], y - b->c[1], x - b->c[2] };

          if (v->ph[i] != PH_MATRIX || !blob_inside (b, d))
            continue;
          v->ph[i] = PH_AGGREGATE;
          v->I[i] = b->level + (float) (b->grad[0] * d[0] + b->grad[1] * d[1] + b->grad[2] * d[2]);
          n++;
        }
  return n;
}

/* Aggregates until `fraction` of the volume is stone: log-uniform sizes from 3.5 voxels to a
 * fifth of the smallest side, so many small stones and a few large ones. */
static void
add_aggregates (Vol *v, DlsRng *rng, double fraction)
{
  int64_t V = v->dim[0] * v->dim[1] * v->dim[2], done = 0;
  double r_min = 3.5, r_max = CLAMP (MIN (v->dim[0], MIN (v->dim[1], v->dim[2])) / 5.0, 5, 40);

  for (int tries = 0; done < fraction * V && tries < 100000; tries++)
    {
      Blob b = { 0 };
      double a = r_min * pow (r_max / r_min, dls_rng_uniform (rng));
      double axes[3] = { a, a * uniform (rng, 0.55, 1.0), a * uniform (rng, 0.45, 0.9) };
      double g[3];

      for (int i = 0; i < 3; i++)
        {
          b.c[i] = uniform (rng, -a * 0.5, v->dim[i] - 1 + a * 0.5);
          b.inv_a[i] = 1.0 / axes[i];
        }
      random_rotation (rng, b.R);
      for (int k = 0; k < 3; k++)
        {
          b.bump_amp[k] = uniform (rng, 0.0, 0.06);
          b.bump_freq[k] = uniform (rng, 2.0, 6.0);
          b.bump_phase[k] = uniform (rng, 0, 2 * G_PI);
          random_unit (rng, b.bump_dir[k]);
          b.bump_total += b.bump_amp[k];
        }
      b.reach = a * (1 + b.bump_total) + 1;
      b.level = LEVEL_AGGREGATE + (float) uniform (rng, -0.07, 0.07);
      random_unit (rng, g);
      for (int i = 0; i < 3; i++)
        b.grad[i] = g[i] * 0.04 / a; /* ±0.04 across the stone */
      done += blob_draw (v, &b);
    }
}

/* Spheres of radius log-uniform in [r_lo, r_hi] into voxels of the phases in `into` (a bit set
 * of phases), until `fraction` of the volume is taken.  level_sd > 0 draws each sphere's level
 * around `level`. */
static void
add_spheres (Vol *v, DlsRng *rng, double fraction, double r_lo, double r_hi, int into, int phase,
             float level, float level_sd)
{
  int64_t V = v->dim[0] * v->dim[1] * v->dim[2], done = 0;
  int64_t max_tries = 64 + (int64_t) (fraction * V) * 4;

  for (int64_t tries = 0; done < fraction * V && tries < max_tries; tries++)
    {
      double r = r_lo * pow (r_hi / r_lo, dls_rng_uniform (rng)), c[3];
      float l = level + level_sd * fast_normal (rng);
      int64_t lo[3], hi[3];
      gboolean empty = FALSE;

      for (int i = 0; i < 3; i++)
        {
          c[i] = uniform (rng, 0, v->dim[i] - 1);
          lo[i] = MAX (0, (int64_t) ceil (c[i] - r));
          hi[i] = MIN (v->dim[i] - 1, (int64_t) floor (c[i] + r));
          empty |= lo[i] > hi[i];
        }
      if (empty)
        continue;
      for (int64_t z = lo[0]; z <= hi[0]; z++)
        for (int64_t y = lo[1]; y <= hi[1]; y++)
          for (int64_t x = lo[2]; x <= hi[2]; x++)
            {
              double dz = z - c[0], dy = y - c[1], dx = x - c[2];
              int64_t i = vox (v, z, y, x);

              if (dz * dz + dy * dy + dx * dx > r * r || !(into & (1 << v->ph[i])))
                continue;
              v->ph[i] = (uint8_t) phase;
              v->I[i] = l;
              done++;
            }
    }
}

/* ---- Fibres ---------------------------------------------------------------------------------- */

static double
fibre_core_radius (const Fibre *f)
{
  /* Never below 0.75: some voxel of every slice across the fibre lies within 0.71 of its axis,
   * so a marked core is one connected line. */
  return MAX (0.75, f->r - 1.0);
}

/* Visits the voxels within `reach` of the fibre's segment: along the axis where the direction is
 * largest, one slice at a time, a box around the axis point.  mark: writes 2 into sparse on the
 * core; otherwise draws (truth, brightness, NEAR_FIBRE) and counts the core. */
static void
fibre_scan (Vol *v, Fibre *f, double reach, uint8_t *sparse)
{
  int a = 0, b, e;
  double p0, p1, box, core = fibre_core_radius (f);
  int64_t s_lo, s_hi;

  for (int i = 1; i < 3; i++)
    if (fabs (f->u[i]) > fabs (f->u[a]))
      a = i;
  b = (a + 1) % 3;
  e = (a + 2) % 3;
  p0 = f->c[a] - f->half * f->u[a];
  p1 = f->c[a] + f->half * f->u[a];
  s_lo = MAX (0, (int64_t) floor (MIN (p0, p1) - reach));
  s_hi = MIN (v->dim[a] - 1, (int64_t) ceil (MAX (p0, p1) + reach));
  box = reach / fabs (f->u[a]) + 1;

  for (int64_t s = s_lo; s <= s_hi; s++)
    {
      double t = CLAMP ((s - f->c[a]) / f->u[a], -f->half, f->half);
      double qb = f->c[b] + t * f->u[b], qe = f->c[e] + t * f->u[e];
      int64_t b_lo = MAX (0, (int64_t) floor (qb - box));
      int64_t b_hi = MIN (v->dim[b] - 1, (int64_t) ceil (qb + box));
      int64_t e_lo = MAX (0, (int64_t) floor (qe - box));
      int64_t e_hi = MIN (v->dim[e] - 1, (int64_t) ceil (qe + box));

      for (int64_t pb = b_lo; pb <= b_hi; pb++)
        for (int64_t pe = e_lo; pe <= e_hi; pe++)
          {
            int64_t p[3];
            double w[3], tt, d2 = 0, d;
            int64_t i;

            p[a] = s;
            p[b] = pb;
            p[e] = pe;
            for (int k = 0; k < 3; k++)
              w[k] = p[k] - f->c[k];
            tt = CLAMP (w[0] * f->u[0] + w[1] * f->u[1] + w[2] * f->u[2], -f->half, f->half);
            for (int k = 0; k < 3; k++)
              d2 += (w[k] - tt * f->u[k]) * (w[k] - tt * f->u[k]);
            if (d2 > reach * reach)
              continue;
            i = vox (v, p[0], p[1], p[2]);
            d = sqrt (d2);
            if (sparse != NULL)
              {
                if (d <= core)
                  sparse[i] = 2;
                continue;
              }
            v->ph[i] |= NEAR_FIBRE;
            if (d <= f->r)
              v->ph[i] = PH_FIBRE | NEAR_FIBRE;
            if (d <= core)
              f->core++;
            /* partial volume: the share of the voxel inside, linear across its width */
            if (d < f->r + 0.5)
              {
                float cover = (float) MIN (1.0, f->r + 0.5 - d);
                v->I[i] = v->I[i] * (1 - cover) + f->level * cover;
              }
          }
    }
}

static Fibre *
make_fibres (const Vol *v, DlsRng *rng, int n)
{
  Fibre *f = g_new0 (Fibre, n);
  double diag = sqrt ((double) v->dim[0] * v->dim[0] + (double) v->dim[1] * v->dim[1]
                      + (double) v->dim[2] * v->dim[2]);

  for (int k = 0; k < n; k++)
    {
      for (int i = 0; i < 3; i++)
        f[k].c[i] = uniform (rng, 0, v->dim[i] - 1);
      random_unit (rng, f[k].u);
      f[k].half = uniform (rng, 0.35, 0.7) * diag;
      f[k].r = uniform (rng, 1.5, 3.0);
      f[k].level = LEVEL_FIBRE + (float) uniform (rng, -0.015, 0.015);
    }
  return f;
}

/* ---- Sparse labels --------------------------------------------------------------------------- */

/* Paints class 1 with a round brush of radius `brush` along a segment in slice z, skipping
 * fibres and their margin and voxels already labelled.  Returns the voxels it labelled. */
static int64_t
paint_segment (const Vol *v, uint8_t *sparse, int64_t z, const double *p, const double *q,
               double brush)
{
  double dy = q[0] - p[0], dx = q[1] - p[1], len2 = dy * dy + dx * dx;
  int64_t y_lo = MAX (0, (int64_t) floor (MIN (p[0], q[0]) - brush));
  int64_t y_hi = MIN (v->dim[1] - 1, (int64_t) ceil (MAX (p[0], q[0]) + brush));
  int64_t x_lo = MAX (0, (int64_t) floor (MIN (p[1], q[1]) - brush));
  int64_t x_hi = MIN (v->dim[2] - 1, (int64_t) ceil (MAX (p[1], q[1]) + brush));
  int64_t n = 0;

  for (int64_t y = y_lo; y <= y_hi; y++)
    for (int64_t x = x_lo; x <= x_hi; x++)
      {
        double t = len2 > 0 ? CLAMP (((y - p[0]) * dy + (x - p[1]) * dx) / len2, 0, 1) : 0;
        double ey = y - p[0] - t * dy, ex = x - p[1] - t * dx;
        int64_t i = vox (v, z, y, x);

        if (ey * ey + ex * ex > brush * brush || sparse[i] != 0 || (v->ph[i] & NEAR_FIBRE))
          continue;
        sparse[i] = 1;
        n++;
      }
  return n;
}

/* Strokes a scientist might paint in XY slices: through aggregates and the paste (short
 * polylines) and on pores (dabs), cycling through the three, each starting on a voxel of that
 * phase away from fibres, until about 0.22 % of the volume is labelled. */
static void
paint_background (const Vol *v, uint8_t *sparse, DlsRng *rng)
{
  static const int cycle[] = { PH_AGGREGATE, PH_MATRIX, PH_PORE, PH_AGGREGATE, PH_MATRIX };
  int64_t V = v->dim[0] * v->dim[1] * v->dim[2];
  int64_t target = (int64_t) (0.0022 * V) + 20, done = 0;

  for (int k = 0; done < target && k < 20000; k++)
    {
      int want = cycle[k % G_N_ELEMENTS (cycle)];
      int64_t z = 0, i;
      double p[2] = { 0 }, q[2];
      gboolean found = FALSE;

      for (int t = 0; t < 64 && !found; t++)
        {
          z = dls_rng_below (rng, (uint32_t) v->dim[0]);
          p[0] = dls_rng_below (rng, (uint32_t) v->dim[1]);
          p[1] = dls_rng_below (rng, (uint32_t) v->dim[2]);
          i = vox (v, z, (int64_t) p[0], (int64_t) p[1]);
          found = !(v->ph[i] & NEAR_FIBRE)
                  && ((v->ph[i] & PH_MASK) == want
                      || (want == PH_MATRIX && (v->ph[i] & PH_MASK) == PH_GRAIN));
        }
      if (!found)
        continue;
      if (want == PH_PORE)
        {
          q[0] = p[0] + uniform (rng, -1, 1);
          q[1] = p[1] + uniform (rng, -1, 1);
          done += paint_segment (v, sparse, z, p, q, uniform (rng, 1.0, 1.8));
          continue;
        }
      {
        double angle = uniform (rng, 0, 2 * G_PI), brush = uniform (rng, 0.8, 2.0);
        int segments = 2 + (int) dls_rng_below (rng, 2);

        for (int s = 0; s < segments; s++)
          {
            double len = uniform (rng, 5, 18);

            q[0] = p[0] + len * sin (angle);
            q[1] = p[1] + len * cos (angle);
            done += paint_segment (v, sparse, z, p, q, brush);
            p[0] = q[0];
            p[1] = q[1];
            angle += uniform (rng, -0.7, 0.7);
          }
      }
    }
}

/* Marks the cores of a quarter of the fibres, at least 2 and at most
 * DLS_SYNTH_FIBERS_MAX_MARKED, taken in random order, preferring fibres with at least 30 core
 * voxels inside the volume. */
static void
mark_fibres (Vol *v, Fibre *f, int n, uint8_t *sparse, DlsRng *rng)
{
  g_autofree int *order = g_new (int, n);
  int marked = 0, wanted = CLAMP ((n + 3) / 4, 2, DLS_SYNTH_FIBERS_MAX_MARKED);

  for (int k = 0; k < n; k++)
    order[k] = k;
  for (int k = n - 1; k > 0; k--)
    {
      int j = (int) dls_rng_below (rng, (uint32_t) k + 1), t = order[k];
      order[k] = order[j];
      order[j] = t;
    }
  for (int pass = 0; pass < 2; pass++)
    for (int k = 0; k < n && marked < wanted; k++)
      {
        Fibre *fk = &f[order[k]];

        if (fk->core == 0 || (pass == 0) != (fk->core >= 30) || fk->marked)
          continue;
        fibre_scan (v, fk, fibre_core_radius (fk), sparse);
        fk->marked = TRUE;
        marked++;
      }
}

/* ---- Blur, noise, quantisation --------------------------------------------------------------- */

/* Adds amp × value noise: normal values on a lattice of `cell` voxels, interpolated with
 * smoothstep weights.  Per row the Z and Y interpolation is done once on the lattice row. */
static void
add_value_noise (Vol *v, DlsRng *rng, double cell, float amp)
{
  int64_t D = v->dim[0], H = v->dim[1], W = v->dim[2];
  int64_t gz = (int64_t) (D / cell) + 2, gy = (int64_t) (H / cell) + 2;
  int64_t gx = (int64_t) (W / cell) + 2;
  g_autofree float *g = g_new (float, gz * gy * gx);
  g_autofree float *row = g_new (float, gx);
  g_autofree int64_t *ix = g_new (int64_t, W);
  g_autofree float *wx = g_new (float, W);

  for (int64_t i = 0; i < gz * gy * gx; i++)
    g[i] = (float) dls_rng_normal (rng);
  for (int64_t x = 0; x < W; x++)
    {
      double f = x / cell, t;
      ix[x] = (int64_t) f;
      t = f - ix[x];
      wx[x] = (float) (t * t * (3 - 2 * t));
    }
  for (int64_t z = 0; z < D; z++)
    {
      double fz = z / cell, tz = fz - (int64_t) fz;
      int64_t iz = (int64_t) fz;
      float wz = (float) (tz * tz * (3 - 2 * tz));

      for (int64_t y = 0; y < H; y++)
        {
          double fy = y / cell, ty = fy - (int64_t) fy;
          int64_t iy = (int64_t) fy;
          float wy = (float) (ty * ty * (3 - 2 * ty));
          const float *g00 = g + (iz * gy + iy) * gx, *g01 = g00 + gx;
          const float *g10 = g00 + gy * gx, *g11 = g10 + gx;
          float *I = v->I + vox (v, z, y, 0);

          for (int64_t j = 0; j < gx; j++)
            {
              float a = g00[j] + wy * (g01[j] - g00[j]);
              float b = g10[j] + wy * (g11[j] - g10[j]);
              row[j] = a + wz * (b - a);
            }
          for (int64_t x = 0; x < W; x++)
            {
              float a = row[ix[x]], b = row[ix[x] + 1];
              I[x] += amp * (a + wx[x] * (b - a));
            }
        }
    }
}

static void
gaussian_kernel (float *w)
{
  double sum = 0;

  for (int k = -BLUR_RADIUS; k <= BLUR_RADIUS; k++)
    sum += w[k + BLUR_RADIUS] = (float) exp (-0.5 * k * k / (BLUR_SIGMA * BLUR_SIGMA));
  for (int k = 0; k <= 2 * BLUR_RADIUS; k++)
    w[k] = (float) (w[k] / sum);
}

/* Blurs X and Y in place (edges clamped). */
static void
blur_xy (Vol *v, const float *w)
{
  int64_t H = v->dim[1], W = v->dim[2];
  g_autofree float *line = g_new (float, W + 2 * BLUR_RADIUS);
  g_autofree float *plane = g_new (float, H * W);

  for (int64_t z = 0; z < v->dim[0]; z++)
    {
      float *P = v->I + vox (v, z, 0, 0);

      for (int64_t y = 0; y < H; y++)
        {
          float *r = P + y * W;

          for (int64_t x = -BLUR_RADIUS; x < W + BLUR_RADIUS; x++)
            line[x + BLUR_RADIUS] = r[CLAMP (x, 0, W - 1)];
          for (int64_t x = 0; x < W; x++)
            {
              float s = 0;
              for (int k = 0; k <= 2 * BLUR_RADIUS; k++)
                s += w[k] * line[x + k];
              r[x] = s;
            }
        }
      memcpy (plane, P, sizeof (float) * H * W);
      for (int64_t y = 0; y < H; y++)
        {
          float *r = P + y * W;

          memset (r, 0, sizeof (float) * W);
          for (int k = -BLUR_RADIUS; k <= BLUR_RADIUS; k++)
            {
              const float *src = plane + CLAMP (y + k, 0, H - 1) * W;
              for (int64_t x = 0; x < W; x++)
                r[x] += w[k + BLUR_RADIUS] * src[x];
            }
        }
    }
}

/* Blurs Z into a plane at a time and writes the uint16 volume: detector-like noise whose
 * variance grows with the signal, then 0–1 mapped to 5000–45000. */
static void
blur_z_noise_quantise (const Vol *v, const float *w, DlsRng *rng, uint16_t *out)
{
  int64_t D = v->dim[0], HW = v->dim[1] * v->dim[2];
  g_autofree float *acc = g_new (float, HW);

  for (int64_t z = 0; z < D; z++)
    {
      memset (acc, 0, sizeof (float) * HW);
      for (int k = -BLUR_RADIUS; k <= BLUR_RADIUS; k++)
        {
          const float *src = v->I + CLAMP (z + k, 0, D - 1) * HW;
          for (int64_t i = 0; i < HW; i++)
            acc[i] += w[k + BLUR_RADIUS] * src[i];
        }
      for (int64_t i = 0; i < HW; i++)
        {
          float s = acc[i], sd = 0.02f + 0.04f * sqrtf (MAX (s, 0.0f));
          float val = 5000.0f + 40000.0f * (s + sd * fast_normal (rng));

          out[z * HW + i] = (uint16_t) CLAMP (lrintf (val), 0, 65535);
        }
    }
}

/* ---- The whole ------------------------------------------------------------------------------- */

enum { STAGE_AGGREGATES = 1, STAGE_GRAINS, STAGE_PORES, STAGE_FIBRES, STAGE_LABELS,
       STAGE_FIELD, STAGE_NOISE };

gboolean
dls_synth_fibers (const DlsSynthFibersArgs *a, uint16_t *volume, uint8_t *truth, uint8_t *sparse,
                  GError **error)
{
  Vol v = { { 0 }, NULL, truth };
  g_autofree Fibre *fibres = NULL;
  int64_t V;
  int n;
  float w[2 * BLUR_RADIUS + 1];
  DlsRng rng;

  g_return_val_if_fail (a != NULL && volume != NULL && truth != NULL && sparse != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (a->depth < 8 || a->height < 8 || a->width < 8 || a->depth > (1 << 20)
      || a->height > (1 << 20) || a->width > (1 << 20)
      || (double) a->depth * a->height * a->width > (double) (G_GINT64_CONSTANT (1) << 34))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "A fibre volume of %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                   " × %" G_GINT64_FORMAT " is not possible: each side must be at least 8 and "
                   "the whole at most 2³⁴ voxels",
                   a->depth, a->height, a->width);
      return FALSE;
    }
  if (a->n_fibers < 0 || a->n_fibers > 100000)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "%d fibres: the count must be 0 (the default for the size) to 100000",
                   a->n_fibers);
      return FALSE;
    }
  V = a->depth * a->height * a->width;
  v.dim[0] = a->depth;
  v.dim[1] = a->height;
  v.dim[2] = a->width;
  v.I = g_try_new (float, V);
  if (v.I == NULL)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY,
                   "Not enough memory for a %" G_GINT64_FORMAT "-voxel work volume", V);
      return FALSE;
    }
  n = a->n_fibers > 0 ? a->n_fibers
                      : dls_synth_fibers_default_count (a->depth, a->height, a->width);

  for (int64_t i = 0; i < V; i++)
    v.I[i] = LEVEL_MATRIX;
  memset (truth, PH_MATRIX, V);
  memset (sparse, 0, V);

  stream_init (&rng, a->seed, STAGE_AGGREGATES);
  add_aggregates (&v, &rng, 0.25);
  stream_init (&rng, a->seed, STAGE_GRAINS);
  add_spheres (&v, &rng, 0.12, 0.7, 1.6, 1 << PH_MATRIX, PH_GRAIN, LEVEL_MATRIX, 0.06f);
  stream_init (&rng, a->seed, STAGE_PORES);
  add_spheres (&v, &rng, 0.015, 1.2, 4.5, (1 << PH_MATRIX) | (1 << PH_GRAIN), PH_PORE,
               LEVEL_PORE, 0.01f);

  stream_init (&rng, a->seed, STAGE_FIBRES);
  fibres = make_fibres (&v, &rng, n);
  for (int k = 0; k < n; k++)
    fibre_scan (&v, &fibres[k], fibres[k].r + FIBRE_MARGIN, NULL);

  stream_init (&rng, a->seed, STAGE_LABELS);
  mark_fibres (&v, fibres, n, sparse, &rng);
  paint_background (&v, sparse, &rng);
  for (int64_t i = 0; i < V; i++)
    truth[i] = (truth[i] & PH_MASK) == PH_FIBRE ? 2 : 1;

  stream_init (&rng, a->seed, STAGE_FIELD);
  add_value_noise (&v, &rng, 40.0, 0.035f);
  add_value_noise (&v, &rng, 10.0, 0.015f);
  stream_init (&rng, a->seed, STAGE_NOISE);
  for (int64_t i = 0; i < V; i++)
    v.I[i] += 0.1f * fast_normal (&rng);
  gaussian_kernel (w);
  blur_xy (&v, w);
  blur_z_noise_quantise (&v, w, &rng, volume);

  g_free (v.I);
  return TRUE;
}
