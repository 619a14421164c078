/* SPDX-License-Identifier: MIT
 *
 * ops-norm-rows.c: the row loops of BatchNorm (ops-norm.c), built once per instruction set with
 * the direct kernels and picked with them: sums and dot products of one row, its input gradient
 * and its affine map, with the folded ReLUs (see ops-norm.c).  BatchNorm is bound by how fast
 * these stream a channel through the caches, and AVX2's 8 lanes move twice what the baseline's
 * 4 do.  Each entry point picks a loop compiled for its flags.
 */
#include "vf.h"

typedef int32_t vi __attribute__ ((vector_size (V * sizeof (int32_t))));

/* x, or relu(x) for a BatchNorm with the ReLU folded in (relu is a compile-time constant in
 * every loop below) */
#define RX(v) (relu ? ((v) < 0.0f ? 0.0f : (v)) : (v))
/* relu'(x): PyTorch passes the gradient where the ReLU's output is positive */
#define PASS(v) (!relu || (v) > 0.0f)

static inline __attribute__ ((always_inline)) vf
load_rx (const float *p, bool relu)
{
  vf v = load (p);

  if (relu)
    v = (vf) ((vi) v & ~(v < splat (0.0f))); /* NaN stays NaN */
  return v;
}

/* The forward's y = a·x + b, written once so that backward's mask (below) is the forward's
 * bit for bit, however the compiler contracts it. */
static inline __attribute__ ((always_inline)) vf
affine (vf x, vf a, vf b)
{
  return x * a + b;
}

static inline __attribute__ ((always_inline)) float
affine1 (float x, float a, float b)
{
  return x * a + b;
}

/* Σ x (or Σ relu(x)) over a row, in two vectors of partial sums: the plain loops cannot be
 * vectorised (float addition does not reassociate).  The order is fixed, so results stay
 * deterministic. */
static inline __attribute__ ((always_inline)) float
sum_of (const float *r, int w, const bool relu)
{
  vf a = splat (0.0f), b = splat (0.0f);
  float s;
  int i = 0;

  for (; i + 2 * V <= w; i += 2 * V)
    {
      a += load_rx (r + i, relu);
      b += load_rx (r + i + V, relu);
    }
  s = hsum (a + b);
  for (; i < w; i++)
    s += RX (r[i]);
  return s;
}

/* Σ (x − m)² */
static inline __attribute__ ((always_inline)) float
sqdev_of (const float *r, int w, float m, const bool relu)
{
  vf a = splat (0.0f), b = splat (0.0f), mv = splat (m);
  float s;
  int i = 0;

  for (; i + 2 * V <= w; i += 2 * V)
    {
      vf d = load_rx (r + i, relu) - mv, e = load_rx (r + i + V, relu) - mv;

      a += d * d;
      b += e * e;
    }
  s = hsum (a + b);
  for (; i < w; i++)
    s += (RX (r[i]) - m) * (RX (r[i]) - m);
  return s;
}

/* dy, or dy where the folded ReLU after the op passed it (post).  The op's output is not read:
 * whether it was positive is recomputed from xr (x, or relu(x)) with the forward's own
 * expression, so backward reads two maps per channel instead of three. */
static inline __attribute__ ((always_inline)) vf
load_dy (const float *g, vf xr, vf av, vf bv, const bool post)
{
  vf v = load (g);

  if (post)
    v = (vf) ((vi) v & (affine (xr, av, bv) > splat (0.0f)));
  return v;
}

#define GY(i) (post && !(affine1 (RX (r[i]), a, b) > 0.0f) ? 0.0f : g[i])

/* Σ dy and Σ dy·(x − m); a, b: the forward's y = a·x + b, for the post mask */
static inline __attribute__ ((always_inline)) void
dots_of (const float *g, const float *r, int w, float m, float a, float b, const bool relu,
         const bool post, float *sa, float *sb)
{
  vf a0 = splat (0.0f), a1 = splat (0.0f), b0 = splat (0.0f), b1 = splat (0.0f);
  vf mv = splat (m), av = splat (a), bv = splat (b);
  int i = 0;

  for (; i + 2 * V <= w; i += 2 * V)
    {
      vf x0 = load_rx (r + i, relu), x1 = load_rx (r + i + V, relu);
      vf g0 = load_dy (g + i, x0, av, bv, post), g1 = load_dy (g + i + V, x1, av, bv, post);

      a0 += g0;
      a1 += g1;
      b0 += g0 * (x0 - mv);
      b1 += g1 * (x1 - mv);
    }
  *sa = hsum (a0 + a1);
  *sb = hsum (b0 + b1);
  for (; i < w; i++)
    {
      *sa += GY (i);
      *sb += GY (i) * (RX (r[i]) - m);
    }
}

/* d += pass(x) · k·(g − mdy − (x − m)·c): BatchNorm's input gradient in batch mode (c = inv ·
 * mean(dy·x̂)), with the folded ReLUs' masks; c = mdy = m = 0 gives the eval form k·g.
 * assign: d = … (the first writer of the gradient).  a, b as for dots_of. */
static inline __attribute__ ((always_inline)) void
dx_of (float *d, const float *g, const float *r, int w, float k, float mdy, float m, float c,
       float a, float b, const bool relu, const bool post, const bool assign)
{
  vf kv = splat (k), dv = splat (mdy), mv = splat (m), cv = splat (c);
  vf av = splat (a), bv = splat (b);
  int i = 0;

  for (; i + V <= w; i += V)
    {
      vf xr = load_rx (r + i, relu), gv = load_dy (g + i, xr, av, bv, post);
      vf v = kv * (gv - dv - (xr - mv) * cv);

      if (relu)
        v = (vf) ((vi) v & (load (r + i) > splat (0.0f)));
      if (!assign)
        v += load (d + i);
      store (d + i, v);
    }
  for (; i < w; i++)
    {
      float v = PASS (r[i]) ? k * (GY (i) - mdy - (RX (r[i]) - m) * c) : 0.0f;
      d[i] = assign ? v : d[i] + v;
    }
}

/* o = a·x + b (x = relu(x) when folded), then relu(o) when post */
static inline __attribute__ ((always_inline)) void
affine_of (float *o, const float *r, int w, float a, float b, const bool relu, const bool post)
{
  vf av = splat (a), bv = splat (b);
  int i = 0;

  for (; i + V <= w; i += V)
    {
      vf v = affine (load_rx (r + i, relu), av, bv);

      if (post)
        v = (vf) ((vi) v & ~(v < splat (0.0f))); /* NaN stays NaN, as in PyTorch */
      store (o + i, v);
    }
  for (; i < w; i++)
    {
      float v = affine1 (RX (r[i]), a, b);
      o[i] = post && v < 0.0f ? 0.0f : v;
    }
}

float NAME (dls_bn_row_sum) (const float *r, int w, bool relu);
float NAME (dls_bn_row_sqdev) (const float *r, int w, float m, bool relu);
void NAME (dls_bn_row_dots) (const float *g, const float *r, int w, float m, float a, float b,
                             bool relu, bool post, float *sa, float *sb);
void NAME (dls_bn_row_dx) (float *d, const float *g, const float *r, int w, float k, float mdy,
                           float m, float c, float a, float b, bool relu, bool post, bool assign);
void NAME (dls_bn_row_affine) (float *o, const float *r, int w, float a, float b, bool relu,
                               bool post);

float
NAME (dls_bn_row_sum) (const float *r, int w, bool relu)
{
  return relu ? sum_of (r, w, true) : sum_of (r, w, false);
}

float
NAME (dls_bn_row_sqdev) (const float *r, int w, float m, bool relu)
{
  return relu ? sqdev_of (r, w, m, true) : sqdev_of (r, w, m, false);
}

void
NAME (dls_bn_row_dots) (const float *g, const float *r, int w, float m, float a, float b,
                        bool relu, bool post, float *sa, float *sb)
{
  switch ((relu ? 2 : 0) | (post ? 1 : 0))
    {
#define CASE(i)                                                         \
  case i:                                                               \
    dots_of (g, r, w, m, a, b, (i) & 2, (i) & 1, sa, sb);               \
    break;
      CASE (0) CASE (1) CASE (2) CASE (3)
#undef CASE
    }
}

void
NAME (dls_bn_row_dx) (float *d, const float *g, const float *r, int w, float k, float mdy,
                      float m, float c, float a, float b, bool relu, bool post, bool assign)
{
  switch ((relu ? 4 : 0) | (post ? 2 : 0) | (assign ? 1 : 0))
    {
#define CASE(i)                                                                 \
  case i:                                                                       \
    dx_of (d, g, r, w, k, mdy, m, c, a, b, (i) & 4, (i) & 2, (i) & 1);          \
    break;
      CASE (0) CASE (1) CASE (2) CASE (3) CASE (4) CASE (5) CASE (6) CASE (7)
#undef CASE
    }
}

void
NAME (dls_bn_row_affine) (float *o, const float *r, int w, float a, float b, bool relu, bool post)
{
  switch ((relu ? 2 : 0) | (post ? 1 : 0))
    {
#define CASE(i)                                                         \
  case i:                                                               \
    affine_of (o, r, w, a, b, (i) & 2, (i) & 1);                        \
    break;
      CASE (0) CASE (1) CASE (2) CASE (3)
#undef CASE
    }
}
