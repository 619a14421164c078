/* SPDX-License-Identifier: MIT
 *
 * vf.h: the vector type of the direct convolution kernels (ops-conv-direct.c,
 * ops-conv-igemm.c) and its four helpers.  The includer defines V, the floats a vector holds
 * (8 for AVX2, 16 for AVX-512 and the "wide" build), and is compiled once per instruction set.
 * Loads and stores go through memcpy, so they need no alignment.
 */
#pragma once

#include <string.h>

#ifndef V
#error "define V (floats a vector) before including vf.h"
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
