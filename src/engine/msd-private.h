/* SPDX-License-Identifier: MIT
 *
 * msd-private.h: what the fused MSDNet paths (msd.c for eval, msd-train.c for training) share:
 * a channel's chain of ReLUs and affine maps as one clamp-and-scale, and the row loop that
 * applies it.
 */
#pragma once

#include <math.h>

#include "engine-private.h"

G_BEGIN_DECLS

/* h = A·clamp(v, lo, hi) + B: any composition of ReLUs and affine maps of a raw map v */
typedef struct
{
  float A, lo, hi, B;
} ChanMap;

#define CHAN_MAP_IDENTITY ((ChanMap){ 1, -INFINITY, INFINITY, 0 })

/* The inner loops stream every map once per layer, so their width matters: built for AVX2 as
 * well as the baseline, picked at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DLS_CLONES __attribute__ ((target_clones ("avx2", "default")))
#else
#define DLS_CLONES
#endif

/* m ← relu ∘ m */
void dls_msd_map_relu (ChanMap *m);
/* dst[i] = A·clamp(src[i], lo, hi) + B */
void dls_msd_map_row  (float *restrict dst, const float *restrict src, int W, float A, float lo,
                       float hi, float B);

G_END_DECLS
