/* SPDX-License-Identifier: MIT
 *
 * ops-conv-direct.c: direct 3×3 dilated "same" convolutions for layers with few output channels
 * (the one-channel layers of MSDNet and SMSNet), where im2col + GEMM would be a matrix–vector
 * product and run at a few GFLOP/s.
 *
 * Maps are planar with a halo at least as wide as the dilation, so no loop tests an edge.  The
 * loops are written with GCC vector types, not intrinsics: the compiler maps them to AVX-512,
 * AVX2 or SSE.  meson builds this file once per instruction set with DLS_ISA set, and
 * ops-conv.c picks one at start-up.  Each output strip keeps 2 rows × 4 vectors of accumulators
 * in registers (eight independent FMA chains), so one broadcast weight feeds eight FMAs.
 *
 * Not here: strided or non-3×3 kernels (they take the GEMM path).
 */
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

#define NV 4 /* vectors per strip row */
#define NR 2 /* rows per strip */
#define SW (NV * V)
#ifndef CB
#define CB 8 /* input channels per pass of the forward */
#endif
#define RB 32 /* rows per block in the backward passes */

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

/* Stores the first nx floats of a strip row. */
static inline __attribute__ ((always_inline)) void
store_strip (float *dst, const vf *acc, int nx)
{
  if (nx == SW)
    {
      for (int j = 0; j < NV; j++)
        store (dst + j * V, acc[j]);
      return;
    }
  for (int j = 0; j < NV && nx > 0; j++, nx -= V)
    {
      if (nx >= V)
        store (dst + j * V, acc[j]);
      else
        for (int i = 0; i < nx; i++)
          dst[j * V + i] = acc[j][i];
    }
}

/* acc[r][j] += Σ_c Σ_k w[c·9 + k] · src_c[row r + (ky − 1)·dy_step][x + j·V + (kx − 1)·d]
 * over rows [row, row + nr) of one strip: the body shared by the forward pass (src = x,
 * dy_step = +d) and the gathered input gradient (src = dY, weights flipped: dy_step = −d). */
static inline __attribute__ ((always_inline)) void
strip_accumulate (vf acc[NR][NV], const float *src, int64_t sc, int64_t sh, const float *w,
                  int64_t wstride, int C, int d, int sign, int nr)
{
  for (int c = 0; c < C; c++)
    {
      const float *base = src + c * sc;
      const float *wc = w + c * wstride;
      for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++)
          {
            const float *p = base + sign * ((ky - 1) * d * sh + (kx - 1) * d);
            vf wv = splat (wc[ky * 3 + kx]);
            for (int r = 0; r < nr; r++)
              for (int j = 0; j < NV; j++)
                acc[r][j] += wv * load (p + r * sh + j * V);
          }
    }
}

/* Loads the first nx floats of a strip row (the rest of the lanes are zero). */
static inline __attribute__ ((always_inline)) void
load_strip (vf *acc, const float *src, int nx)
{
  for (int j = 0; j < NV; j++)
    {
      if ((j + 1) * V <= nx)
        acc[j] = load (src + j * V);
      else
        {
          float t[V] = { 0 };
          for (int i = 0; i < V && j * V + i < nx; i++)
            t[i] = src[j * V + i];
          acc[j] = load (t);
        }
    }
}

/* y[n, oc, y0:y1, :] = b[oc] + conv(x[n]), for every oc.  Input channels are taken CB at a
 * time over all the rows, the partial sums going through y: the 2·d + 2 input rows a block
 * needs at any moment stay in L2 (and their pages in the TLB), so each input row comes from
 * memory once, however many channels the layer has. */
void NAME (dls_direct_forward) (DlsView y, DlsView x, const float *w, const float *b, int C, int OC,
                                int H, int W, int d, int y0, int y1, int n);

void
NAME (dls_direct_forward) (DlsView y, DlsView x, const float *w, const float *b, int C, int OC,
                           int H, int W, int d, int y0, int y1, int n)
{
  for (int oc = 0; oc < OC; oc++)
    {
      const float *woc = w + (int64_t) oc * C * 9;
      float bias = b ? b[oc] : 0.0f;

      for (int c0 = 0; c0 < C; c0 += CB)
        {
          int cb = MIN (CB, C - c0);
          for (int row = y0; row < y1; row += NR)
            {
              int nr = MIN (NR, y1 - row);
              for (int x0 = 0; x0 < W; x0 += SW)
                {
                  vf acc[NR][NV];
                  int nx = MIN (SW, W - x0);
                  const float *src = dls_view_at (x, n, c0, row, x0);

                  for (int r = 0; r < nr; r++)
                    {
                      if (c0 == 0)
                        for (int j = 0; j < NV; j++)
                          acc[r][j] = splat (bias);
                      else
                        load_strip (acc[r], dls_view_at (y, n, oc, row + r, x0), nx);
                    }
                  /* The rows the next row pair reads first: fetch them into L2 now.  The
                   * hardware prefetchers lose track of this many interleaved streams. */
                  for (int c = 0; c < cb; c++)
                    for (int r = 0; r < NR; r++)
                      for (int j = 0; j < SW; j += 16)
                        __builtin_prefetch (src + c * x.sc + (NR + r + d) * x.sh + j, 0, 2);
                  if (nr == NR)
                    strip_accumulate (acc, src, x.sc, x.sh, woc + c0 * 9, 9, cb, d, 1, NR);
                  else
                    strip_accumulate (acc, src, x.sc, x.sh, woc + c0 * 9, 9, cb, d, 1, 1);
                  for (int r = 0; r < nr; r++)
                    store_strip (dls_view_at (y, n, oc, row + r, x0), acc[r], nx);
                }
            }
        }
    }
}

/* dW and db partial sums over output rows [y0, y1) of sample n, overwritten.  Rows go in
 * blocks of RB so that a block of dY stays in cache while every channel is paired with it. */
void NAME (dls_direct_backward_weights) (float *dwp, float *dbp, DlsView dy, DlsView x, int C,
                                         int OC, int W, int d, int y0, int y1, int n);

void
NAME (dls_direct_backward_weights) (float *dwp, float *dbp, DlsView dy, DlsView x, int C, int OC,
                                    int W, int d, int y0, int y1, int n)
{
  float mask_f[V];
  int tail = W % V;
  vf tail_mask;

  for (int i = 0; i < V; i++)
    mask_f[i] = i < tail ? 1.0f : 0.0f;
  tail_mask = load (mask_f);
  memset (dwp, 0, sizeof (float) * OC * C * 9);

  for (int oc = 0; oc < OC; oc++)
    {
      vf bacc = splat (0.0f);

      for (int row = y0; row < y1; row++)
        {
          const float *g = dls_view_at (dy, n, oc, row, 0);
          for (int x0 = 0; x0 < W; x0 += V)
            {
              vf gv = load (g + x0);
              if (W - x0 < V)
                gv *= tail_mask;
              bacc += gv;
            }
        }
      dbp[oc] = hsum (bacc);

      /* dW[oc, c, k] = Σ dY[oc] · shifted x[c]: nine dot products per (oc, c). */
      for (int r0 = y0; r0 < y1; r0 += RB)
        for (int c = 0; c < C; c++)
          {
            vf acc[9];
            float *dst = dwp + ((int64_t) oc * C + c) * 9;

            for (int k = 0; k < 9; k++)
              acc[k] = splat (0.0f);
            for (int row = r0; row < MIN (r0 + RB, y1); row++)
              {
                const float *g = dls_view_at (dy, n, oc, row, 0);
                const float *xr = dls_view_at (x, n, c, row, 0);
                for (int x0 = 0; x0 < W; x0 += V)
                  {
                    vf gv = load (g + x0);
                    if (W - x0 < V)
                      gv *= tail_mask;
                    for (int ky = 0; ky < 3; ky++)
                      for (int kx = 0; kx < 3; kx++)
                        acc[ky * 3 + kx]
                            += gv * load (xr + (ky - 1) * d * x.sh + (kx - 1) * d + x0);
                  }
              }
            for (int k = 0; k < 9; k++)
              dst[k] += hsum (acc[k]);
          }
    }
}

/* dX[n, c, y0:y1, x0:x1] += Σ_oc correlation of dY[oc] with the flipped kernel w[oc, c], for
 * every c (= when assign: the first writer of dX need not read it).  The region may reach into
 * dX's halo (reflect padding: the border's gradient is folded back later); dY must then have a
 * zero halo of 2·d. */
void NAME (dls_direct_backward_input) (DlsView dx, DlsView dy, const float *w, int C, int OC,
                                       int xb, int xe, int d, int y0, int y1, int n, bool assign);

void
NAME (dls_direct_backward_input) (DlsView dx, DlsView dy, const float *w, int C, int OC, int xb,
                                  int xe, int d, int y0, int y1, int n, bool assign)
{
  /* rows in blocks of RB: the dY rows a block reads stay in cache across the channels */
  for (int r0 = y0; r0 < y1; r0 += RB)
    for (int c = 0; c < C; c++)
      for (int row = r0; row < MIN (r0 + RB, y1); row += NR)
        {
          int nr = MIN (NR, MIN (r0 + RB, y1) - row);
          /* the dX rows this loop reads next: the next row pair, or the next channel's block */
          bool last = row + NR >= MIN (r0 + RB, y1);
          float *ahead = last ? (c + 1 < C ? dls_view_at (dx, n, c + 1, r0, 0) : NULL)
                              : dls_view_at (dx, n, c, row + NR, 0);
          for (int x0 = xb; x0 < xe; x0 += SW)
            {
              vf acc[NR][NV];
              int nx = MIN (SW, xe - x0);
              const float *src = dls_view_at (dy, n, 0, row, x0);

              if (ahead && !assign)
                for (int r = 0; r < NR; r++)
                  for (int j = 0; j < SW; j += 16)
                    __builtin_prefetch (ahead + r * dx.sh + x0 + j, 1, 3);

              for (int r = 0; r < nr; r++)
                {
                  if (assign)
                    for (int j = 0; j < NV; j++)
                      acc[r][j] = splat (0.0f);
                  else
                    load_strip (acc[r], dls_view_at (dx, n, c, row + r, x0), nx);
                }
              /* weights of channel c for output oc sit at w[(oc·C + c)·9]: stride C·9 over oc */
              if (nr == NR)
                strip_accumulate (acc, src, dy.sc, dy.sh, w + (int64_t) c * 9, (int64_t) C * 9, OC,
                                  d, -1, NR);
              else
                strip_accumulate (acc, src, dy.sc, dy.sh, w + (int64_t) c * 9, (int64_t) C * 9, OC,
                                  d, -1, 1);
              for (int r = 0; r < nr; r++)
                store_strip (dls_view_at (dx, n, c, row + r, x0), acc[r], nx);
            }
        }
}
