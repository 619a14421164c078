/* SPDX-License-Identifier: MIT
 *
 * msd-private.h: what the fused MSDNet paths (msd.c for eval, msd-train.c for training) share:
 * a channel's chain of ReLUs and affine maps as one clamp-and-scale, and the row loop that
 * applies it.
 */
#pragma once

#include <math.h>

/* Floats after each buffer that the kernels may read past a row's end (whole vectors of the
 * last strip; the values read there are never used). */
#define DLS_MSD_SLACK 256

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

/* f(u) */
static inline float
dls_msd_map_apply (ChanMap f, float u)
{
  u = u < f.lo ? f.lo : u;
  u = u > f.hi ? f.hi : u;
  return f.A * u + f.B;
}

/* m ← relu ∘ m */
void  dls_msd_map_relu (ChanMap *m);

/* ---- row loops (msd-rows.c) ---- */
/* dst[i] = A·clamp(src[i], lo, hi) + B */
void  dls_msd_map_row        (float *restrict dst, const float *restrict src, int W, float A,
                              float lo, float hi, float B);
/* x = relu(f(v)): *s1 += Σ (x − K), *s2 += Σ (x − K)² */
void  dls_msd_row_stats      (const float *restrict v, int W, ChanMap f, float K, double *s1,
                              double *s2);
/* x = relu(f(v)): *sdy += Σ g, *sdyx += Σ g·(x − m) */
void  dls_msd_row_dots       (const float *restrict g, const float *restrict v, int W, ChanMap f,
                              float m, double *sdy, double *sdyx);
/* dst = [f(v) > 0]·k·(g − mdy − (relu(f(v)) − m)·c); dst may be g */
void  dls_msd_row_bn_dx      (float *dst, const float *g, const float *restrict v, int W,
                              ChanMap f, float k, float mdy, float m, float c);
/* acc += wk·clamp(v, lo, hi) */
void  dls_msd_row_axpy_clamp (float *restrict acc, const float *restrict v, int W, float wk,
                              float lo, float hi);
/* acc += a·x */
void  dls_msd_row_axpy       (float *restrict acc, const float *restrict x, int W, float a);
float dls_msd_row_dot        (const float *restrict a, const float *restrict b, int W);

G_END_DECLS
