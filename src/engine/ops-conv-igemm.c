/* SPDX-License-Identifier: MIT
 *
 * ops-conv-igemm.c: the weight gradient of a 3×3 dilated "same" convolution with many channels
 * (the U-Net levels: up to 128 × 64 channels), without im2col.
 *
 * dW[o, c, ky, kx] = Σ dY[o, y, x] · X[c, y + (ky − 1)·d, x + (kx − 1)·d] is a GEMM whose long
 * dimension is the pixels.  A micro-kernel holds four (AVX-512: six) output channels × the
 * three kernel columns of one (input channel, kernel row) in vector accumulators, each X vector
 * loaded meeting as many dY vectors and each dY vector three shifted X vectors.  The pixels go
 * in tiles of a few whole rows (about TILE pixels; whole rows ran 1.5× faster than 64- or
 * 128-column pieces) and every (output block, channel, kernel row) meets a tile before the next
 * one, so the tile of dY stays in L1.  Tiles leave their sums as vectors in a scratch array (one
 * vector per weight); the horizontal sums come once at the end.
 *
 * As ops-conv-direct.c, meson builds this file once per instruction set with DLS_ISA set, and
 * ops-conv.c picks one at start-up.
 */
#include "engine-private.h"
#include "vf.h"


/* output channels per micro-kernel: OBW × 3 accumulators, three X vectors and one of dY fill
 * the 16 vector registers of AVX2 (four channels ran 1.2× faster than three) and leave room in
 * the 32 of AVX-512 */
#if defined(__AVX512F__)
#define OBW 6
#else
#define OBW 4
#endif
#ifndef SEG
#define SEG 1024 /* columns per tile: whole rows run faster than pieces */
#endif
#ifndef TILE
#define TILE 1024 /* pixels per tile: rows = TILE / columns */
#endif


/* OB output channels from o0, input channel c, kernel row ky, over rows [r0, r1) and columns
 * [xb, xe) (whole vectors inside the row): vacc[(o·C + c)·9 + ky·3 + kx] += the partial
 * products, or = when first.  masked: the one vector at xb, whose lanes past the row's end pair
 * with whatever follows the row and are weighed zero by mask. */
static inline __attribute__ ((always_inline)) void
dw_tile (float *vacc, DlsView dy, DlsView x, int C, int c, int ky, int o0, int d, int r0, int r1,
         int xb, int xe, const float *mask, int n, bool first, const int OB, const bool masked)
{
  vf acc[OBW][3];

#pragma GCC unroll 8
  for (int o = 0; o < OB; o++)
#pragma GCC unroll 3
    for (int kx = 0; kx < 3; kx++)
      acc[o][kx] = splat (0.0f);
  for (int row = r0; row < r1; row++)
    {
      const float *g = dls_view_at (dy, n, o0, row, 0);
      const float *xr = dls_view_at (x, n, c, row + (ky - 1) * d, 0);
      for (int x0 = xb; x0 < (masked ? xb + V : xe); x0 += V)
        {
          vf xv[3];

#pragma GCC unroll 3
          for (int kx = 0; kx < 3; kx++)
            xv[kx] = load (xr + x0 + (kx - 1) * d);
          if (masked)
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++)
              xv[kx] *= load (mask);
#pragma GCC unroll 8
          for (int o = 0; o < OB; o++)
            {
              vf gv = load (g + o * dy.sc + x0);
#pragma GCC unroll 3
              for (int kx = 0; kx < 3; kx++)
                acc[o][kx] += gv * xv[kx];
            }
        }
    }
#pragma GCC unroll 8
  for (int o = 0; o < OB; o++)
#pragma GCC unroll 3
    for (int kx = 0; kx < 3; kx++)
      {
        float *p = vacc + (((int64_t) (o0 + o) * C + c) * 9 + ky * 3 + kx) * V;
        store (p, first ? acc[o][kx] : load (p) + acc[o][kx]);
      }
}

/* dw_tile with a compile-time block size: the whole vectors of [xb, xe), then the masked one */
#define DW_CASE(OB)                                                                       \
  case OB:                                                                                \
    if (xf > xb)                                                                          \
      dw_tile (vacc, dy, x, C, c, ky, o0, d, r0, r1, xb, xf, mask_f, n, first, OB, false); \
    if (xf < xe)                                                                          \
      dw_tile (vacc, dy, x, C, c, ky, o0, d, r0, r1, xf, xe, mask_f, n, first && xf == xb,  \
               OB, true);                                                                 \
    break;

/* dW (OC·C·9) and db (OC) partial sums over rows [y0, y1) of sample n, overwritten; W columns.
 * vacc: scratch of OC·C·9·V floats. */
void NAME (dls_igemm_backward_weights) (float *dwp, float *dbp, DlsView dy, DlsView x, int C,
                                        int OC, int W, int d, int y0, int y1, int n, float *vacc);

void
NAME (dls_igemm_backward_weights) (float *dwp, float *dbp, DlsView dy, DlsView x, int C, int OC,
                                   int W, int d, int y0, int y1, int n, float *vacc)
{
  float mask_f[V];
  int64_t nw = (int64_t) OC * C * 9;
  int Wv = (W + V - 1) / V * V, Wf = W / V * V, nb = (OC + OBW - 1) / OBW;
  int rt = CLAMP (TILE / MIN (Wv, SEG), 2, 32);

  /* x is masked rather than dY: the lanes past the row may hold anything, dY's as well */
  for (int i = 0; i < V; i++)
    mask_f[i] = i < W % V ? 1.0f : 0.0f;
  /* the first tile stores its sums instead of adding them: no zeroing pass */
  if (y0 >= y1)
    memset (vacc, 0, sizeof (float) * nw * V);
  for (int oc = 0; oc < OC; oc++)
    dbp[oc] = bias_grad (dy, n, oc, y0, y1, W, load (mask_f));
  for (int r0 = y0; r0 < y1; r0 += rt)
    for (int xb = 0; xb < Wv; xb += SEG)
      {
        int r1 = MIN (r0 + rt, y1), xe = MIN (xb + SEG, Wv), xf = MIN (xe, Wf);
        bool first = r0 == y0 && xb == 0;
        for (int i = 0; i < nb; i++)
          {
            int o0 = OC * i / nb, ob = OC * (i + 1) / nb - o0;
            for (int c = 0; c < C; c++)
              for (int ky = 0; ky < 3; ky++)
                switch (ob)
                  {
                    DW_CASE (1)
                    DW_CASE (2)
                    DW_CASE (3)
#if OBW > 3
                    DW_CASE (4)
#endif
#if OBW > 4
                    DW_CASE (5)
                    DW_CASE (6)
#endif
                  default:
                    g_assert_not_reached ();
                  }
          }
      }
  for (int64_t i = 0; i < nw; i++)
    dwp[i] = hsum (load (vacc + i * V));
}
