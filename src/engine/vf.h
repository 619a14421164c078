/* SPDX-License-Identifier: MIT
 *
 * vf.h: what the kernels built once per instruction set (ops-conv-direct.c, ops-conv-igemm.c)
 * share: NAME(f), f suffixed with the set meson passes as DLS_ISA; V, the floats a vector holds
 * (4 baseline, 8 AVX2, 16 AVX-512 or DLS_FORCE_V in the tests' "wide" build); the vector type
 * vf and its four helpers.  Loads and stores go through memcpy, so they need no alignment.
 */
#pragma once

#include <string.h>

#include "engine-private.h"

#ifndef DLS_ISA
#define DLS_ISA generic
#endif
#define PASTE2(a, b) a##_##b
#define PASTE(a, b)  PASTE2 (a, b)
#define NAME(f)      PASTE (f, DLS_ISA)

#if defined(DLS_FORCE_V)
#define V DLS_FORCE_V /* tests: AVX-512's lane count on a machine without it */
#elif defined(__AVX512F__)
#define V 16
#elif defined(__AVX__)
#define V 8
#else
#define V 4
#endif

typedef float vf __attribute__ ((vector_size (V * sizeof (float))));

static inline __attribute__ ((always_inline)) vf
load (const float *p)
{
  vf v;
  memcpy (&v, p, sizeof v);
  return v;
}

static inline __attribute__ ((always_inline)) void
store (float *p, vf v)
{
  memcpy (p, &v, sizeof v);
}

static inline __attribute__ ((always_inline)) vf
splat (float x)
{
  return (vf){ 0 } + x;
}

static inline __attribute__ ((always_inline)) float
hsum (vf v)
{
  float s = 0.0f;
  for (int i = 0; i < V; i++)
    s += v[i];
  return s;
}

/* 1 in the lanes of a row's last, partial vector (w % V of them), 0 in the lanes past its end */
static inline __attribute__ ((always_inline)) vf
tail_mask_of (int w)
{
  float m[V];

  for (int i = 0; i < V; i++)
    m[i] = i < w % V ? 1.0f : 0.0f;
  return load (m);
}

/* The bias gradient of output channel oc: Σ dY over rows [y0, y1) of image n, W wide, the
 * lanes past each row's end weighed zero by mask (tail_mask_of (W)). */
static inline __attribute__ ((always_inline)) float
bias_grad (DlsView dy, int n, int oc, int y0, int y1, int W, vf mask)
{
  vf acc = splat (0.0f);

  for (int row = y0; row < y1; row++)
    {
      const float *g = dls_view_at (dy, n, oc, row, 0);

      for (int x0 = 0; x0 < W; x0 += V)
        {
          vf gv = load (g + x0);

          if (W - x0 < V)
            gv *= mask;
          acc += gv;
        }
    }
  return hsum (acc);
}
