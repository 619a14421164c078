/* SPDX-License-Identifier: MIT
 *
 * msd-rows.c: the row loops of the fused MSDNet paths (msd.c, msd-train.c): a channel's
 * clamp-and-scale map applied to a row, BatchNorm's statistics and backward through it, and a
 * few plain ones.  They stream every map once or twice per layer, so their width matters: each
 * is built for AVX2 as well as the baseline (picked at load time), and the reductions use
 * explicit eight-lane vectors (GCC vector types; selects are bit masks, as C has no vector ?:)
 * whose lanes are added in a fixed order, so results do not depend on the thread that ran them.
 */
#include "config.h"

#include "msd-private.h"

DLS_CLONES void
dls_msd_map_row (float *restrict dst, const float *restrict src, int W, float A, float lo, float hi,
                 float B)
{
  for (int i = 0; i < W; i++)
    {
      float v = src[i];

      v = v < lo ? lo : v;
      v = v > hi ? hi : v;
      dst[i] = A * v + B;
    }
}

/* the helpers are always inlined: no 32-byte vector crosses a call in the baseline clone */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v8f __attribute__ ((vector_size (32)));
typedef int32_t v8i __attribute__ ((vector_size (32)));

#define VL 8

static inline __attribute__ ((always_inline)) v8f
ld (const float *p)
{
  v8f v;

  memcpy (&v, p, sizeof v);
  return v;
}

static inline __attribute__ ((always_inline)) void
st (float *p, v8f v)
{
  memcpy (p, &v, sizeof v);
}

static inline __attribute__ ((always_inline)) v8f
spl (float x)
{
  return (v8f){ 0 } + x;
}

static inline __attribute__ ((always_inline)) v8f
sel (v8i m, v8f a, v8f b)
{
  return (v8f) (((v8i) a & m) | ((v8i) b & ~m));
}

static inline __attribute__ ((always_inline)) float
lanes_sum (v8f a)
{
  return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

/* f(v) = A·clamp(v, lo, hi) + B, lane-wise */
typedef struct
{
  v8f A, lo, hi, B;
} VMap;

static inline __attribute__ ((always_inline)) VMap
vmap (ChanMap f)
{
  return (VMap){ spl (f.A), spl (f.lo), spl (f.hi), spl (f.B) };
}

static inline __attribute__ ((always_inline)) v8f
vapply (VMap f, v8f u)
{
  u = sel (u < f.lo, f.lo, u);
  u = sel (u > f.hi, f.hi, u);
  return f.A * u + f.B;
}

/* x = relu(f(v)): Σ (x − K) and Σ (x − K)² (the shift K, one value of the map, keeps the
 * one-pass variance accurate) */
DLS_CLONES void
dls_msd_row_stats (const float *restrict v, int W, ChanMap f, float K, double *s1, double *s2)
{
  VMap m = vmap (f);
  v8f a = { 0 }, b = { 0 }, k = spl (K), zero = { 0 };
  float ta = 0, tb = 0;
  int i = 0;

  for (; i + VL <= W; i += VL)
    {
      v8f x = vapply (m, ld (v + i));

      x = sel (x > zero, x, zero) - k;
      a += x;
      b += x * x;
    }
  for (; i < W; i++)
    {
      float x = MAX (dls_msd_map_apply (f, v[i]), 0.0f) - K;

      ta += x;
      tb += x * x;
    }
  *s1 += lanes_sum (a) + ta;
  *s2 += lanes_sum (b) + tb;
}

/* Σ g and Σ g·(x − m), x = relu(f(v)) */
DLS_CLONES void
dls_msd_row_dots (const float *restrict g, const float *restrict v, int W, ChanMap f, float m,
                  double *sdy, double *sdyx)
{
  VMap fm = vmap (f);
  v8f a = { 0 }, b = { 0 }, mv = spl (m), zero = { 0 };
  float ta = 0, tb = 0;
  int i = 0;

  for (; i + VL <= W; i += VL)
    {
      v8f x = vapply (fm, ld (v + i)), gv = ld (g + i);

      x = sel (x > zero, x, zero);
      a += gv;
      b += gv * (x - mv);
    }
  for (; i < W; i++)
    {
      float x = MAX (dls_msd_map_apply (f, v[i]), 0.0f);

      ta += g[i];
      tb += g[i] * (x - m);
    }
  *sdy += lanes_sum (a) + ta;
  *sdyx += lanes_sum (b) + tb;
}

/* dst = [f(v) > 0] · k·(g − mdy − (relu(f(v)) − m)·c): BatchNorm's training-mode input gradient
 * through the ReLU before it; k = 1, mdy = c = 0 is the ReLU alone.  dst may be g. */
DLS_CLONES void
dls_msd_row_bn_dx (float *dst, const float *g, const float *restrict v, int W, ChanMap f, float k,
                   float mdy, float m, float c)
{
  VMap fm = vmap (f);
  v8f kv = spl (k), dv = spl (mdy), mv = spl (m), cv = spl (c), zero = { 0 };
  int i = 0;

  for (; i + VL <= W; i += VL)
    {
      v8f x = vapply (fm, ld (v + i)), r = kv * (ld (g + i) - dv - (x - mv) * cv);

      st (dst + i, sel (x > zero, r, zero));
    }
  for (; i < W; i++)
    {
      float x = dls_msd_map_apply (f, v[i]);

      dst[i] = x > 0.0f ? k * (g[i] - mdy - (x - m) * c) : 0.0f;
    }
}

/* acc += wk·clamp(v, lo, hi) */
DLS_CLONES void
dls_msd_row_axpy_clamp (float *restrict acc, const float *restrict v, int W, float wk, float lo,
                        float hi)
{
  for (int i = 0; i < W; i++)
    {
      float u = v[i];

      u = u < lo ? lo : u;
      u = u > hi ? hi : u;
      acc[i] += wk * u;
    }
}

/* acc += a·x */
DLS_CLONES void
dls_msd_row_axpy (float *restrict acc, const float *restrict x, int W, float a)
{
  for (int i = 0; i < W; i++)
    acc[i] += a * x[i];
}

DLS_CLONES float
dls_msd_row_dot (const float *restrict a, const float *restrict b, int W)
{
  v8f s = { 0 };
  float t = 0;
  int i = 0;

  for (; i + VL <= W; i += VL)
    s += ld (a + i) * ld (b + i);
  for (; i < W; i++)
    t += a[i] * b[i];
  return lanes_sum (s) + t;
}
