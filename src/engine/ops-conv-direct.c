/* SPDX-License-Identifier: MIT
 *
 * ops-conv-direct.c: direct 3×3 dilated "same" convolutions for layers with few output channels
 * (the one-channel layers of MSDNet and SMSNet), where im2col + GEMM would be a matrix–vector
 * product and run at a few GFLOP/s.
 *
 * Maps are planar with a halo at least as wide as the dilation, so no loop tests an edge.  The
 * loops are written with GCC vector types, not intrinsics: the compiler maps them to AVX-512,
 * AVX2 or SSE.  meson builds this file once per instruction set with DLS_ISA set, and
 * ops-conv.c picks one at start-up.  Rows are processed in combs of four rows d apart, whose
 * 3×3 taps share input rows: each vector loaded feeds up to three FMAs, with the comb's
 * accumulators (eight or sixteen independent chains) in registers.  The backward passes go
 * through blocks of rows so that dY stays in cache while every channel meets it.
 *
 * The output-channel-blocked kernels at the end take layers with 2–8 output channels (3×3 or
 * 1×1) and every input gradient of those; strided kernels take the GEMM path.
 */
#include "engine-private.h"
#include "vf.h"


/* combs: KMAX rows × CNV vectors of accumulators, plus three weights and one input vector, fit
 * the 16 vector registers of AVX2 (CNV = 2) and the 32 of AVX-512 (CNV = 4) */
#define KMAX 4
#if V == 16
#define CNV 4
#else
#define CNV 2
#endif
#define CSW (CNV * V)
/* the weight gradient's combs: nine accumulators per vector of the strip */
#if V == 16
#define DCNV 2
#else
#define DCNV 1
#endif
#ifndef CB
#define CB 8 /* input channels per pass of the forward */
#endif
#define RB 128 /* rows per block in the backward passes */


/* The comb: K output rows d apart (y, y + d, …, y + (K − 1)·d) computed together.  Their 3×3
 * taps read the K + 2 input rows y − d, …, y + K·d, and each input vector loaded feeds up to
 * three output rows (one per kernel row), so a strip does ~1.6 FMAs per load instead of one.
 * sign = +1: forward (acc[k] += Σ w[ky][kx]·src[row y + (k + ky − 1)·d, x + (kx − 1)·d]);
 * sign = −1: the gathered input gradient, with the kernel flipped. */
static inline __attribute__ ((always_inline)) void
comb_accumulate (vf acc[KMAX][CNV], const float *src, int64_t sc, int64_t sh, const float *w,
                 int64_t wstride, int C, int d, const int sign, const int K)
{
  for (int c = 0; c < C; c++)
    {
      const float *base = src + c * sc;
      const float *wc = w + c * wstride;
      for (int kx = 0; kx < 3; kx++)
        {
          vf wk[3] = { splat (wc[kx]), splat (wc[3 + kx]), splat (wc[6 + kx]) };
          const float *col = base + sign * (kx - 1) * d;
#pragma GCC unroll 8
          for (int j = -1; j <= K; j++)
            {
              const float *p = col + (int64_t) j * d * sh;
#pragma GCC unroll 4
              for (int v = 0; v < CNV; v++)
                {
                  vf iv = load (p + v * V);
#pragma GCC unroll 4
                  for (int k = 0; k < K; k++)
                    {
                      int ky = sign > 0 ? j - k + 1 : k - j + 1;
                      if (ky >= 0 && ky <= 2)
                        acc[k][v] += wk[ky] * iv;
                    }
                }
            }
        }
    }
}

/* Runs body (K) for every comb of rows in [y0, y1) with spacing d: combs of KMAX rows through
 * chunks of KMAX·d rows, shorter ones at the end.  Every row is in exactly one comb. */
#define FOR_EACH_COMB(y0, y1, d, Y, K, body)           \
  for (int _b = (y0); _b < (y1); _b += KMAX * (d))     \
    for (int _r = 0; _r < (d) && _b + _r < (y1); _r++) \
      {                                                \
        int Y = _b + _r;                               \
        int K = MIN (KMAX, ((y1) -1 - Y) / (d) + 1);   \
        body                                           \
      }

/* Calls comb_accumulate with a compile-time comb size. */
#define COMB_DISPATCH(K, ...)               \
  do                                        \
    {                                       \
      switch (K)                            \
        {                                   \
        case 4:                             \
          comb_accumulate (__VA_ARGS__, 4); \
          break;                            \
        case 3:                             \
          comb_accumulate (__VA_ARGS__, 3); \
          break;                            \
        case 2:                             \
          comb_accumulate (__VA_ARGS__, 2); \
          break;                            \
        default:                            \
          comb_accumulate (__VA_ARGS__, 1); \
          break;                            \
        }                                   \
    }                                       \
  while (0)

/* Loads the first nx floats of a comb strip row (the other lanes are zero), stores them. */
static inline __attribute__ ((always_inline)) void
load_cstrip (vf *acc, const float *src, int nx)
{
  for (int j = 0; j < CNV; j++)
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

static inline __attribute__ ((always_inline)) void
store_cstrip (float *dst, const vf *acc, int nx)
{
  for (int j = 0; j < CNV && nx > 0; j++, nx -= V)
    {
      if (nx >= V)
        store (dst + j * V, acc[j]);
      else
        for (int i = 0; i < nx; i++)
          dst[j * V + i] = acc[j][i];
    }
}

/* y[n, oc, y0:y1, :] = b[oc] + conv(x[n]), for every oc.  Input channels are taken CB at a
 * time over all the rows, the partial sums going through y, so the rows a block reads stay in
 * L2 (and their pages in the TLB) however many channels the layer has; rows go in combs. */
/* y[n, oc, rows [r0, r1), columns [xb, xe)] = (from_y ? y : bias) + the 3×3 taps of input
 * channels [c0, c0 + cb) (weights w[c][9]), in combs of rows d apart */
static inline __attribute__ ((always_inline)) void
comb_pass (DlsView y, int oc, DlsView x, int c0, int cb, const float *w, float bias, bool from_y,
           int d, int xb, int xe, int r0, int r1, int n)
{
  FOR_EACH_COMB (r0, r1, d, row, k, {
    /* the first row of the comb after this one */
    int next = _r + 1 < d ? row + 1 : _b + KMAX * d;
    for (int x0 = xb; x0 < xe; x0 += CSW)
      {
        vf acc[KMAX][CNV];
        int nx = MIN (CSW, xe - x0);
        const float *src = dls_view_at (x, n, c0, row, x0);

        for (int r = 0; r < k; r++)
          {
            if (!from_y)
              for (int j = 0; j < CNV; j++)
                acc[r][j] = splat (bias);
            else
              load_cstrip (acc[r], dls_view_at (y, n, oc, row + r * d, x0), nx);
          }
        /* The next comb's rows, into L2 now: the hardware prefetchers lose track of this many
         * interleaved streams. */
        for (int c = 0; c < cb; c++)
          for (int j = -1; j <= KMAX; j++)
            __builtin_prefetch (src + c * x.sc + (next - row + (int64_t) j * d) * x.sh, 0, 2);
        COMB_DISPATCH (k, acc, src, x.sc, x.sh, w, 9, cb, d, 1);
        for (int r = 0; r < k; r++)
          store_cstrip (dls_view_at (y, n, oc, row + r * d, x0), acc[r], nx);
      }
  })
}

void NAME (dls_direct_forward) (DlsView y, DlsView x, const float *w, const float *b, int C, int OC,
                                int H, int W, int d, int y0, int y1, int n);

void
NAME (dls_direct_forward) (DlsView y, DlsView x, const float *w, const float *b, int C, int OC,
                           int H, int W, int d, int y0, int y1, int n)
{
  for (int oc = 0; oc < OC; oc++)
    {
      const float *woc = w + (int64_t) oc * C * 9;

      for (int c0 = 0; c0 < C; c0 += CB)
        comb_pass (y, oc, x, c0, MIN (CB, C - c0), woc + c0 * 9, b ? b[oc] : 0.0f, c0 > 0, d, 0,
                   W, y0, y1, n);
    }
}

/* One comb of K dY rows (g, g + d rows, …) against the K + 2 rows of x they pair with:
 * acc[ky·3 + kx] += dY[row k] · x[row k + ky − 1, x + (kx − 1)·d], DCNV vectors at a time. */
static inline __attribute__ ((always_inline)) void
dw_comb (vf acc[9][DCNV], const float *g, const float *xr, int64_t gsh, int64_t xsh, int W, int d,
         vf tail_mask, const int K)
{
  for (int x0 = 0; x0 < W; x0 += DCNV * V)
    {
      vf gv[KMAX][DCNV];

      for (int k = 0; k < K; k++)
        for (int v = 0; v < DCNV; v++)
          {
            int at = x0 + v * V;
            /* lanes past the row's end pair with whatever lies there: weigh them zero */
            gv[k][v] = at + V <= W
                           ? load (g + k * d * gsh + at)
                           : (at < W ? load (g + k * d * gsh + at) * tail_mask : splat (0.0f));
          }
      for (int kx = 0; kx < 3; kx++)
        {
#pragma GCC unroll 8
          for (int j = -1; j <= K; j++)
            {
              const float *p = xr + (int64_t) j * d * xsh + (kx - 1) * d + x0;
#pragma GCC unroll 4
              for (int v = 0; v < DCNV; v++)
                {
                  vf xv = load (p + v * V);
#pragma GCC unroll 4
                  for (int k = 0; k < K; k++)
                    {
                      int ky = j - k + 1;
                      if (ky >= 0 && ky <= 2)
                        acc[ky * 3 + kx][v] += gv[k][v] * xv;
                    }
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
  vf tail_mask = tail_mask_of (W);
  memset (dwp, 0, sizeof (float) * OC * C * 9);

  for (int oc = 0; oc < OC; oc++)
    {
      dbp[oc] = bias_grad (dy, n, oc, y0, y1, W, tail_mask);

      /* dW[oc, c, k] = Σ dY[oc] · shifted x[c]: nine dot products per (oc, c), over combs of
       * dY rows so that each x vector loaded meets up to three of them. */
      for (int r0 = y0; r0 < y1; r0 += RB)
        {
          int r1 = MIN (r0 + RB, y1);
          for (int c = 0; c < C; c++)
            {
              vf acc[9][DCNV];
              float *dst = dwp + ((int64_t) oc * C + c) * 9;

              for (int k = 0; k < 9; k++)
                for (int v = 0; v < DCNV; v++)
                  acc[k][v] = splat (0.0f);
              FOR_EACH_COMB (r0, r1, d, row, k, {
                const float *g = dls_view_at (dy, n, oc, row, 0);
                const float *xr = dls_view_at (x, n, c, row, 0);
                switch (k)
                  {
                  case 4:
                    dw_comb (acc, g, xr, dy.sh, x.sh, W, d, tail_mask, 4);
                    break;
                  case 3:
                    dw_comb (acc, g, xr, dy.sh, x.sh, W, d, tail_mask, 3);
                    break;
                  case 2:
                    dw_comb (acc, g, xr, dy.sh, x.sh, W, d, tail_mask, 2);
                    break;
                  default:
                    dw_comb (acc, g, xr, dy.sh, x.sh, W, d, tail_mask, 1);
                    break;
                  }
              })
              for (int k = 0; k < 9; k++)
                {
                  vf t = acc[k][0];
                  for (int v = 1; v < DCNV; v++)
                    t += acc[k][v];
                  dst[k] += hsum (t);
                }
            }
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
    {
      int r1 = MIN (r0 + RB, y1);
      for (int c = 0; c < C; c++)
        FOR_EACH_COMB (r0, r1, d, row, k, {
          /* the dX rows read next: the next comb's, or the next channel's first */
          int next = _r + 1 < d ? row + 1 : _b + KMAX * d;
          float *ahead = next < r1 ? dls_view_at (dx, n, c, next, 0)
                                   : (c + 1 < C ? dls_view_at (dx, n, c + 1, r0, 0) : NULL);
          for (int x0 = xb; x0 < xe; x0 += CSW)
            {
              vf acc[KMAX][CNV];
              int nx = MIN (CSW, xe - x0);
              const float *src = dls_view_at (dy, n, 0, row, x0);

              if (ahead && !assign)
                for (int m = 0; m < KMAX; m++)
                  __builtin_prefetch (ahead + (int64_t) m * d * dx.sh + x0, 1, 3);
              for (int r = 0; r < k; r++)
                {
                  if (assign)
                    for (int j = 0; j < CNV; j++)
                      acc[r][j] = splat (0.0f);
                  else
                    load_cstrip (acc[r], dls_view_at (dx, n, c, row + r * d, x0), nx);
                }
              /* weights of channel c for output oc sit at w[(oc·C + c)·9]: stride C·9 over oc */
              COMB_DISPATCH (k, acc, src, dy.sc, dy.sh, w + (int64_t) c * 9, (int64_t) C * 9, OC, d,
                             -1);
              for (int r = 0; r < k; r++)
                store_cstrip (dls_view_at (dx, n, c, row + r * d, x0), acc[r], nx);
            }
        })
    }
}

/* ---- output-channel blocks: layers with a few output channels (2–8 of SMSNet's edges), and
 * the input gradient of any layer these kernels run ----
 * The comb kernels above loop over output channels outside, so every input vector is loaded
 * once per output channel.  Here a strip of NV vectors of OB output channels is held in
 * registers (OB·NV ≤ 12 accumulators) and each input vector loaded feeds OB FMAs, with the OB
 * weights of a tap broadcast from a packed copy: wp[c][ky·KS + kx][o] per block of channels. */

/* accumulator vectors per output channel, for OB channels in one block */
#define BLOCK_NV(OB) ((OB) >= 4 ? 2 : (OB) == 3 ? 3 : (OB) == 2 ? 4 : 6)
#define BLOCK_MAX    6
/* input channels per pass of dls_block_conv: the three rows of each that a strip reads stay in
 * L1 (a concat of 67 channels would not), the partial sums going through y */
#define BLOCK_CC 16
#define BLOCK_MAX_NV 6

/* A plain broadcast (splat's 0 + x costs an add; a loop of lane stores is not recognised) */
static inline __attribute__ ((always_inline)) vf
bcast (float x)
{
#if V == 16
  return (vf){ x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x };
#elif V == 8
  return (vf){ x, x, x, x, x, x, x, x };
#else
  return (vf){ x, x, x, x };
#endif
}

/* The taps of one strip: acc[o][v] += Σ_c Σ_taps wp[c][t][o] · src[c][tap offset + v·V + lane],
 * for o < OB, over NV whole vectors. */
static inline __attribute__ ((always_inline)) void
block_taps (vf acc[BLOCK_MAX][BLOCK_MAX_NV], const float *src, int64_t sc, int64_t sh,
            const float *wp, int C, int d, const int KS, const int OB, const int NV)
{
  const int h = KS / 2;

  for (int c = 0; c < C; c++)
    {
      const float *sp = src + c * sc;
      /* the next strip's input lines: up to 3·C rows are read side by side, more streams than
       * the hardware prefetchers follow, and the row below is new to the caches */
#pragma GCC unroll 3
      for (int ky = 0; ky < KS; ky++)
        {
          __builtin_prefetch (sp + (int64_t) (ky - h) * d * sh + NV * V, 0, 3);
          __builtin_prefetch (sp + (int64_t) (ky - h) * d * sh + 2 * NV * V - 1, 0, 3);
        }
#pragma GCC unroll 3
      for (int ky = 0; ky < KS; ky++)
#pragma GCC unroll 3
        for (int kx = 0; kx < KS; kx++)
          {
            const float *p = sp + (int64_t) (ky - h) * d * sh + (kx - h) * d;
            const float *wt = wp + (c * KS * KS + ky * KS + kx) * OB;
            vf iv[BLOCK_MAX_NV];

#pragma GCC unroll 8
            for (int v = 0; v < NV; v++)
              iv[v] = load (p + v * V);
#pragma GCC unroll 8
            for (int o = 0; o < OB; o++)
              {
                vf wv = bcast (wt[o]);
#pragma GCC unroll 8
                for (int v = 0; v < NV; v++)
                  acc[o][v] += wv * iv[v];
              }
          }
    }
}

/* A strip's accumulators: from dst (accumulate) or the bias (b may be NULL), and back */
static inline __attribute__ ((always_inline)) void
strip_load (vf acc[BLOCK_MAX][BLOCK_MAX_NV], const float *dst, int64_t dsc, const float *bias,
            bool accumulate, const int OB, const int NV)
{
#pragma GCC unroll 8
  for (int o = 0; o < OB; o++)
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++)
      acc[o][v] = accumulate ? load (dst + o * dsc + v * V) : bcast (bias ? bias[o] : 0.0f);
}

static inline __attribute__ ((always_inline)) void
strip_store (float *dst, int64_t dsc, vf acc[BLOCK_MAX][BLOCK_MAX_NV], const int OB,
             const int NV)
{
#pragma GCC unroll 8
  for (int o = 0; o < OB; o++)
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++)
      store (dst + o * dsc + v * V, acc[o][v]);
}

/* A strip of nx < NV·V columns goes through a private copy t (OB rows of NV·V), so the main
 * path has no tail logic: dst's first nx columns in (zeros past them), then back out. */
static inline __attribute__ ((always_inline)) void
tail_in (float *t, const float *dst, int64_t dsc, int nx, bool accumulate, const int OB,
         const int NV)
{
  for (int o = 0; o < OB; o++)
    for (int i = 0; i < NV * V; i++)
      t[o * NV * V + i] = accumulate && i < nx ? dst[o * dsc + i] : 0.0f;
}

static inline __attribute__ ((always_inline)) void
tail_out (float *dst, int64_t dsc, const float *t, int nx, const int OB, const int NV)
{
  for (int o = 0; o < OB; o++)
    memcpy (dst + o * dsc, t + o * NV * V, sizeof (float) * nx);
}

/* One strip of NV whole vectors: dst[o][0, NV·V) (+)= bias[o] + Σ_c Σ_taps wp[c][t][o] ·
 * src[c][tap offset + x], for o < OB; dst channels dsc apart. */
static inline __attribute__ ((always_inline)) void
block_strip (float *dst, int64_t dsc, const float *src, int64_t sc, int64_t sh, const float *wp,
             const float *bias, int C, int d, bool accumulate, const int KS, const int OB,
             const int NV)
{
  /* fixed sizes: an array sized by the (constant-propagated) parameters would still be a
   * variable-length array, which stays in memory */
  vf acc[BLOCK_MAX][BLOCK_MAX_NV];

  strip_load (acc, dst, dsc, bias, accumulate, OB, NV);
  block_taps (acc, src, sc, sh, wp, C, d, KS, OB, NV);
  strip_store (dst, dsc, acc, OB, NV);
}

static inline __attribute__ ((always_inline)) void
block_strip_tail (float *dst, int64_t dsc, const float *src, int64_t sc, int64_t sh,
                  const float *wp, const float *bias, int C, int d, int nx, bool accumulate,
                  const int KS, const int OB, const int NV)
{
  float t[BLOCK_MAX * BLOCK_MAX_NV * V];

  tail_in (t, dst, dsc, nx, accumulate, OB, NV);
  block_strip (t, NV * V, src, sc, sh, wp, bias, C, d, accumulate, KS, OB, NV);
  tail_out (dst, dsc, t, nx, OB, NV);
}

/* a block of OB output channels over columns [xb, xe) of one row, from input channels
 * [c0, c0 + cn), starting from the bias (b may be NULL) unless acc */
#define BLOCK_CASE(KS, OB)                                                                    \
  case OB:                                                                                    \
    {                                                                                         \
      const int sw = BLOCK_NV (OB) * V;                                                       \
      int x0 = xb;                                                                            \
      for (; x0 + sw <= xe; x0 += sw)                                                         \
        block_strip (dst + x0, y.sc, src + x0, x.sc, x.sh, wpb, bias, cn, d, acc, KS, OB,     \
                     BLOCK_NV (OB));                                                          \
      for (; x0 + V <= xe; x0 += V)                                                           \
        block_strip (dst + x0, y.sc, src + x0, x.sc, x.sh, wpb, bias, cn, d, acc, KS, OB, 1); \
      if (x0 < xe)                                                                            \
        block_strip_tail (dst + x0, y.sc, src + x0, x.sc, x.sh, wpb, bias, cn, d, xe - x0,    \
                          acc, KS, OB, 1);                                                    \
    }                                                                                         \
    break;

/* y[n, 0, rows [y0, y1), columns [xb, xe)] (+)= Σ_s conv_s (x_s), source s only on its rows
 * [r0, r1): one output channel, such as the input gradient of a one-channel SMSNet node read by
 * several 6-channel edges.  Blocks of one output would hold six vectors of one row and load a
 * vector per FMA (10–30 GFLOP/s), so each 3×3 source goes in combs of rows d apart as the
 * one-channel kernels above do, each input vector feeding up to three rows; 1×1 sources go row
 * by row. */
static void
comb_gather (DlsView y, const DlsBlockSrc *src, int n_src, int xb, int xe, int y0, int y1, int n,
             bool accumulate)
{
  if (!accumulate)
    for (int row = y0; row < y1; row++)
      memset (dls_view_at (y, n, 0, row, xb), 0, sizeof (float) * (xe - xb));
  for (int s = 0; s < n_src; s++)
    {
      const DlsBlockSrc *e = &src[s];
      int r0 = MAX (y0, e->r0), r1 = MIN (y1, e->r1), d = e->d;

      if (e->KS == 1)
        {
          /* a 1×1 source (the edge to the output node): one FMA per vector loaded anyway */
          for (int row = r0; row < r1; row++)
            for (int x0 = xb; x0 < xe; x0 += CSW)
              {
                vf acc[CNV];
                int nx = MIN (CSW, xe - x0);
                const float *sp = dls_view_at (e->x, n, 0, row, x0);

                load_cstrip (acc, dls_view_at (y, n, 0, row, x0), nx);
                for (int c = 0; c < e->C; c++)
                  for (int v = 0; v < CNV; v++)
                    acc[v] += bcast (e->wp[c]) * load (sp + c * e->x.sc + v * V);
                store_cstrip (dls_view_at (y, n, 0, row, x0), acc, nx);
              }
          continue;
        }
      /* the packed weights of one output: [c][tap], 9 apart */
      comb_pass (y, 0, e->x, 0, e->C, e->wp, 0.0f, true, d, xb, xe, r0, r1, n);
    }
}

/* y[n, o, rows [y0, y1), columns [xb, xe)] (+)= b[o] + Σ_c Σ_taps w · x[n, c, shifted], for
 * every o < OC, with a KS × KS (3 or 1) kernel of dilation d, "same" size; x needs a halo of
 * (KS / 2)·d past the region.  wp: the weights packed by block (see dls_block_pack: block i
 * covers output channels [OC·i/nb, OC·(i+1)/nb) and starts at the first one's offset × C·KS²).
 * accumulate: add to y instead of starting from the bias (b may be NULL).  Rows go in combs d
 * apart, so consecutive rows share two of their three input rows; input channels go BLOCK_CC
 * at a time through each comb, the sums passing through y (stored and reloaded as they are, so
 * the result does not change). */
void NAME (dls_block_conv) (DlsView y, DlsView x, const float *wp, const float *b, int C, int OC,
                            int KS, int d, int xb, int xe, int y0, int y1, int n,
                            bool accumulate);

void
NAME (dls_block_conv) (DlsView y, DlsView x, const float *wp, const float *b, int C, int OC,
                       int KS, int d, int xb, int xe, int y0, int y1, int n, bool accumulate)
{
  int nb = (OC + BLOCK_MAX - 1) / BLOCK_MAX, step = KS == 3 ? d : 1;
  int nc = (C + BLOCK_CC - 1) / BLOCK_CC;

  /* one output: an input gradient (the forward of a one-channel layer takes the combs) */
  if (OC == 1 && KS == 3 && !b)
    {
      DlsBlockSrc one = { .x = x, .wp = wp, .C = C, .KS = 3, .d = d, .r0 = y0, .r1 = y1 };
      comb_gather (y, &one, 1, xb, xe, y0, y1, n, accumulate);
      return;
    }
  for (int b0 = y0; b0 < y1; b0 += 8 * step)
    for (int r = 0; r < step; r++)
      for (int k = 0; k < nc; k++)
        for (int row = b0 + r; row < MIN (y1, b0 + 8 * step); row += step)
          for (int i = 0; i < nb; i++)
            {
              int o0 = OC * i / nb, ob = OC * (i + 1) / nb - o0;
              int c0 = C * k / nc, cn = C * (k + 1) / nc - c0;
              float *dst = dls_view_at (y, n, o0, row, 0);
              const float *src = dls_view_at (x, n, c0, row, 0);
              /* block i's weights, [c][t][o], from channel c0 on */
              const float *wpb = wp + ((int64_t) o0 * C + (int64_t) c0 * ob) * KS * KS;
              const float *bias = b ? b + o0 : NULL;
              bool acc = accumulate || k > 0;

              if (KS == 3)
                switch (ob)
                  {
                    BLOCK_CASE (3, 1)
                    BLOCK_CASE (3, 2)
                    BLOCK_CASE (3, 3)
                    BLOCK_CASE (3, 4)
                    BLOCK_CASE (3, 5)
                    BLOCK_CASE (3, 6)
                  default:
                    g_assert_not_reached ();
                  }
              else
                switch (ob)
                  {
                    BLOCK_CASE (1, 1)
                    BLOCK_CASE (1, 2)
                    BLOCK_CASE (1, 3)
                    BLOCK_CASE (1, 4)
                    BLOCK_CASE (1, 5)
                    BLOCK_CASE (1, 6)
                  default:
                    g_assert_not_reached ();
                  }
            }
}

/* One strip of dls_block_conv_multi: dst[o][0, NV·V) (+)= Σ_s (source s's taps), the sources
 * in the order given, each only on its rows. */
static inline __attribute__ ((always_inline)) void
multi_strip (float *dst, int64_t dsc, const DlsBlockSrc *src, int n_src, int row, int x0, int n,
             int o0, bool accumulate, const int OB, const int NV)
{
  vf acc[BLOCK_MAX][BLOCK_MAX_NV];

  strip_load (acc, dst, dsc, NULL, accumulate, OB, NV);
  for (int s = 0; s < n_src; s++)
    {
      const DlsBlockSrc *e = &src[s];
      const float *sp, *wpb;

      if (row < e->r0 || row >= e->r1)
        continue;
      sp = dls_view_at (e->x, n, 0, row, x0);
      wpb = e->wp + (int64_t) o0 * e->C * e->KS * e->KS;
      if (e->KS == 3)
        block_taps (acc, sp, e->x.sc, e->x.sh, wpb, e->C, e->d, 3, OB, NV);
      else
        block_taps (acc, sp, e->x.sc, e->x.sh, wpb, e->C, e->d, 1, OB, NV);
    }
  strip_store (dst, dsc, acc, OB, NV);
}

static inline __attribute__ ((always_inline)) void
multi_strip_tail (float *dst, int64_t dsc, const DlsBlockSrc *src, int n_src, int row, int x0,
                  int n, int o0, int nx, bool accumulate, const int OB, const int NV)
{
  float t[BLOCK_MAX * BLOCK_MAX_NV * V];

  tail_in (t, dst, dsc, nx, accumulate, OB, NV);
  multi_strip (t, NV * V, src, n_src, row, x0, n, o0, accumulate, OB, NV);
  tail_out (dst, dsc, t, nx, OB, NV);
}

#define MULTI_CASE(OB)                                                                           \
  case OB:                                                                                       \
    {                                                                                            \
      int x0 = xb;                                                                               \
      for (; x0 + BLOCK_NV (OB) * V <= xe; x0 += BLOCK_NV (OB) * V)                              \
        multi_strip (dst + x0, y.sc, src, n_src, row, x0, n, o0, accumulate, OB, BLOCK_NV (OB)); \
      for (; x0 + V <= xe; x0 += V)                                                              \
        multi_strip (dst + x0, y.sc, src, n_src, row, x0, n, o0, accumulate, OB, 1);             \
      if (x0 < xe)                                                                               \
        multi_strip_tail (dst + x0, y.sc, src, n_src, row, x0, n, o0, xe - x0, accumulate, OB,   \
                          1);                                                                    \
    }                                                                                            \
    break;

/* Rows [ra, rb) of a comb (step apart), every output block: dst (+)= the sources' sums */
static inline __attribute__ ((always_inline)) void
multi_rows (DlsView y, const DlsBlockSrc *src, int n_src, int OC, int xb, int xe, int ra, int rb,
            int step, int n, bool accumulate)
{
  int nb = (OC + BLOCK_MAX - 1) / BLOCK_MAX;

  for (int row = ra; row < rb; row += step)
    for (int i = 0; i < nb; i++)
      {
        int o0 = OC * i / nb, ob = OC * (i + 1) / nb - o0;
        float *dst = dls_view_at (y, n, o0, row, 0);

        switch (ob)
          {
            MULTI_CASE (1)
            MULTI_CASE (2)
            MULTI_CASE (3)
            MULTI_CASE (4)
            MULTI_CASE (5)
            MULTI_CASE (6)
          default:
            g_assert_not_reached ();
          }
      }
}

/* y[n, o, rows [y0, y1), columns [xb, xe)] (+)= Σ_s conv_s (x_s), o < OC: dls_block_conv summed
 * over several sources with their own kernels and dilations, in one pass instead of one
 * read-modify-write of y each.  Each source's weights are packed for OC outputs as
 * dls_block_pack does; source s adds nothing outside rows [r0, r1).  The sums go in source
 * order, each as dls_block_conv would add it.  Sources go through each comb of rows in groups
 * of up to BLOCK_CC input channels, the sums passing through y between groups as they do
 * between dls_block_conv's channel chunks: with every source at once, the rows one strip reads
 * (three per channel of each source) did not stay in L1, and each output block read them again
 * from L2 (a node read by eight 6-channel convolutions: 20.0 → 17.5 ms).  One output channel
 * goes through comb_gather, source by source. */
void NAME (dls_block_conv_multi) (DlsView y, const DlsBlockSrc *src, int n_src, int OC, int xb,
                                  int xe, int y0, int y1, int n, bool accumulate);

void
NAME (dls_block_conv_multi) (DlsView y, const DlsBlockSrc *src, int n_src, int OC, int xb, int xe,
                             int y0, int y1, int n, bool accumulate)
{
  int step = 1;

  if (OC == 1)
    {
      comb_gather (y, src, n_src, xb, xe, y0, y1, n, accumulate);
      return;
    }
  /* rows in combs d apart, d of the (last) 3×3 source, as dls_block_conv goes */
  for (int s = 0; s < n_src; s++)
    if (src[s].KS == 3)
      step = src[s].d;
  for (int b0 = y0; b0 < y1; b0 += 8 * step)
    for (int r = 0; r < step; r++)
      for (int g0 = 0, g1; g0 < n_src; g0 = g1)
        {
          int cs = src[g0].C;

          for (g1 = g0 + 1; g1 < n_src && cs + src[g1].C <= BLOCK_CC; g1++)
            cs += src[g1].C;
          multi_rows (y, src + g0, g1 - g0, OC, xb, xe, b0 + r, MIN (y1, b0 + 8 * step), step,
                      n, accumulate || g0 > 0);
        }
}

/* dW[oc, c] and db[oc] partial sums of a 1×1 convolution over rows [y0, y1) of sample n,
 * overwritten: dot products of whole rows, OB output channels × two input channels at a time
 * so that each vector loaded feeds several FMAs. */
void NAME (dls_pointwise_backward_weights) (float *dwp, float *dbp, DlsView dy, DlsView x, int C,
                                            int OC, int W, int y0, int y1, int n);

/* One vector of OB dY rows (gsc apart) against CB2 x rows (xsc apart) */
static inline __attribute__ ((always_inline)) void
pointwise_dw_step (vf acc[4][2], const float *g, int64_t gsc, const float *xr, int64_t xsc,
                   int x0, vf tail_mask, const bool tail, const int OB, const int CB2)
{
  vf xv[2], gv;

  for (int k = 0; k < CB2; k++)
    {
      xv[k] = load (xr + k * xsc + x0);
      if (tail)
        xv[k] *= tail_mask;
    }
  for (int o = 0; o < OB; o++)
    {
      gv = load (g + o * gsc + x0);
      if (tail)
        gv *= tail_mask;
      for (int k = 0; k < CB2; k++)
        acc[o][k] += gv * xv[k];
    }
}

static inline __attribute__ ((always_inline)) void
pointwise_dw_rows (float *dwp, DlsView dy, DlsView x, int C, int c, int o0, int W, int y0,
                   int y1, int n, vf tail_mask, const int OB, const int CB2)
{
  vf acc[4][2];

  for (int o = 0; o < OB; o++)
    for (int k = 0; k < CB2; k++)
      acc[o][k] = splat (0.0f);
  for (int row = y0; row < y1; row++)
    {
      const float *g = dls_view_at (dy, n, o0, row, 0);
      const float *xr = dls_view_at (x, n, c, row, 0);
      int x0 = 0;

      /* whole vectors, then the last part vector (same order of the sums) */
#pragma GCC unroll 2
      for (; x0 + V <= W; x0 += V)
        pointwise_dw_step (acc, g, dy.sc, xr, x.sc, x0, tail_mask, false, OB, CB2);
      if (x0 < W)
        pointwise_dw_step (acc, g, dy.sc, xr, x.sc, x0, tail_mask, true, OB, CB2);
    }
  for (int o = 0; o < OB; o++)
    for (int k = 0; k < CB2; k++)
      dwp[(int64_t) (o0 + o) * C + c + k] += hsum (acc[o][k]);
}

void
NAME (dls_pointwise_backward_weights) (float *dwp, float *dbp, DlsView dy, DlsView x, int C,
                                       int OC, int W, int y0, int y1, int n)
{
  vf tail_mask = tail_mask_of (W);

  memset (dwp, 0, sizeof (float) * OC * C);
  for (int oc = 0; oc < OC; oc++)
    dbp[oc] = bias_grad (dy, n, oc, y0, y1, W, tail_mask);
  /* rows in chunks of 8, so the chunk of dY stays in L1/L2 while every channel meets it; the
   * output blocks inside, so the rows of x are read once */
  for (int r0 = y0; r0 < y1; r0 += 8)
    {
      int r1 = MIN (r0 + 8, y1);
      for (int c = 0; c < C; c += 2)
        for (int o0 = 0; o0 < OC; o0 += 4)
          {
            int ob = MIN (4, OC - o0);
            bool two = c + 1 < C;
#define PW_CASE(OB)                                                                    \
  case OB:                                                                             \
    if (two)                                                                           \
      pointwise_dw_rows (dwp, dy, x, C, c, o0, W, r0, r1, n, tail_mask, OB, 2);        \
    else                                                                               \
      pointwise_dw_rows (dwp, dy, x, C, c, o0, W, r0, r1, n, tail_mask, OB, 1);        \
    break;
            switch (ob)
              {
                PW_CASE (1)
                PW_CASE (2)
                PW_CASE (3)
                PW_CASE (4)
              default:
                g_assert_not_reached ();
              }
#undef PW_CASE
          }
    }
}

/* dW and db partial sums of a 3×3 layer with 2–8 output channels over rows [y0, y1) of sample
 * n, overwritten.  For one input channel and one kernel row, OB ≤ 4 output channels × the three
 * kernel columns are twelve accumulators: each vector of dY loaded meets three shifted vectors
 * of x, each of those OB vectors of dY.  Rows go in chunks of 8 so the chunk of dY stays in L1
 * while every channel meets it. */
/* One vector of a dY row (OB channels gsc apart) against the three shifted vectors of x */
static inline __attribute__ ((always_inline)) void
block_dw_step (vf acc[4][3], const float *g, int64_t gsc, const float *xr, int x0, int d,
               vf tail_mask, const bool tail, const int OB)
{
  vf gv[4];

#pragma GCC unroll 4
  for (int o = 0; o < OB; o++)
    {
      gv[o] = load (g + o * gsc + x0);
      /* lanes past the row's end pair with whatever lies there: weigh them zero */
      if (tail)
        gv[o] *= tail_mask;
    }
#pragma GCC unroll 3
  for (int kx = 0; kx < 3; kx++)
    {
      vf xv = load (xr + x0 + (kx - 1) * d);
#pragma GCC unroll 4
      for (int o = 0; o < OB; o++)
        acc[o][kx] += gv[o] * xv;
    }
}

static inline __attribute__ ((always_inline)) void
block_dw_rows (float *dwp, DlsView dy, DlsView x, int C, int c, int ky, int o0, int W, int d,
               int r0, int r1, int n, vf tail_mask, const int OB)
{
  vf acc[4][3];

#pragma GCC unroll 4
  for (int o = 0; o < OB; o++)
#pragma GCC unroll 3
    for (int kx = 0; kx < 3; kx++)
      acc[o][kx] = splat (0.0f);
  for (int row = r0; row < r1; row++)
    {
      const float *g = dls_view_at (dy, n, o0, row, 0);
      const float *xr = dls_view_at (x, n, c, row + (ky - 1) * d, 0);
      int x0 = 0;

      /* whole vectors, then the row's last part vector with its lanes past the end weighed
       * zero: no test in the main loop (the order of the sums is the same either way) */
#pragma GCC unroll 2
      for (; x0 + V <= W; x0 += V)
        block_dw_step (acc, g, dy.sc, xr, x0, d, tail_mask, false, OB);
      if (x0 < W)
        block_dw_step (acc, g, dy.sc, xr, x0, d, tail_mask, true, OB);
    }
  for (int o = 0; o < OB; o++)
    for (int kx = 0; kx < 3; kx++)
      dwp[((int64_t) (o0 + o) * C + c) * 9 + ky * 3 + kx] += hsum (acc[o][kx]);
}

#ifndef DW_ROWS
#define DW_ROWS 32
#endif
void NAME (dls_block_backward_weights) (float *dwp, float *dbp, DlsView dy, DlsView x, int C,
                                        int OC, int W, int d, int y0, int y1, int n);

void
NAME (dls_block_backward_weights) (float *dwp, float *dbp, DlsView dy, DlsView x, int C, int OC,
                                   int W, int d, int y0, int y1, int n)
{
  vf tail_mask = tail_mask_of (W);
  int nb = (OC + 3) / 4;

  memset (dwp, 0, sizeof (float) * OC * C * 9);
  for (int oc = 0; oc < OC; oc++)
    dbp[oc] = bias_grad (dy, n, oc, y0, y1, W, tail_mask);
  for (int r0 = y0; r0 < y1; r0 += DW_ROWS)
    {
      int r1 = MIN (r0 + DW_ROWS, y1);
      for (int c = 0; c < C; c++)
        for (int i = 0; i < nb; i++)
          {
            int o0 = OC * i / nb, ob = OC * (i + 1) / nb - o0;
            for (int ky = 0; ky < 3; ky++)
              switch (ob)
                {
                case 4:
                  block_dw_rows (dwp, dy, x, C, c, ky, o0, W, d, r0, r1, n, tail_mask, 4);
                  break;
                case 3:
                  block_dw_rows (dwp, dy, x, C, c, ky, o0, W, d, r0, r1, n, tail_mask, 3);
                  break;
                case 2:
                  block_dw_rows (dwp, dy, x, C, c, ky, o0, W, d, r0, r1, n, tail_mask, 2);
                  break;
                default:
                  block_dw_rows (dwp, dy, x, C, c, ky, o0, W, d, r0, r1, n, tail_mask, 1);
                  break;
                }
        }
    }
}
