/* SPDX-License-Identifier: MIT
 *
 * ops-conv.c: conv2d and conv_transpose2d, forward and backward.
 *
 * Three implementations of conv2d.  One-output-channel 3×3 "same" layers run the comb kernels of
 * ops-conv-direct.c; layers with 2–8 output channels and a 3×3 or 1×1 "same" kernel its
 * output-channel-blocked kernels (forward, weight gradient, and the input gradient as the same
 * forward kernel on dY with transposed, flipped weights; the thin layers reading one input add
 * their input gradients in one pass, that of the first 3×3 one).  Wider 3×3 "same" layers (U-Net
 * levels) run the same blocked forward and input gradient, with the weight gradient of
 * ops-conv-igemm.c, or for the widest ones im2col + sgemm.  Everything else is im2col + one
 * single-threaded sgemm per tile of rows, with tiles spread over the pool's tasks: im2col reads
 * the input's halo, which the planner made as wide as the padding and filled with zeros or the
 * reflection.  The GEMMs read
 * and write whole padded rows of the tensors in place.  A stride-1 input gradient is itself a
 * convolution (of dY with the flipped kernel), gathered per tile of input rows; a strided one is
 * a col2im scatter split by channel ranges, so no two tasks write the same pixel.  The
 * transposed convolution is the same machinery run backwards.
 *
 * Weight and bias gradients are summed per task into private partials and reduced in task order,
 * so results are deterministic for a fixed thread count.
 *
 * The reference loops at the end define the maths; tests compare both paths against them.
 */
#include "engine-private.h"
#include "ref.h"

#include <math.h>

/* Which implementation the planner chose (DlsNodeImpl.kernel). */
enum
{
  KERNEL_GEMM,
  KERNEL_DIRECT, /* one output channel, 3×3: the comb kernels */
  KERNEL_BLOCK,  /* 2–8 output channels (or one, 1×1): output-channel blocks */
};

#define DIRECT_MAX_OC 8
/* Floats of one im2col tile: about 1 MB per thread keeps tiles in L2/L3. */
#define TILE_FLOATS (256 * 1024)

DlsDirectKernels dls_direct_kernels;

#define DECLARE_DIRECT(isa)                                                                       \
  void dls_direct_forward_##isa (DlsView, DlsView, const float *, const float *, int, int, int,   \
                                 int, int, int, int, int);                                        \
  void dls_direct_backward_weights_##isa (float *, float *, DlsView, DlsView, int, int, int, int, \
                                          int, int, int);                                         \
  void dls_direct_backward_input_##isa (DlsView, DlsView, const float *, int, int, int, int, int, \
                                        int, int, int, bool);                                     \
  void dls_block_conv_##isa (DlsView, DlsView, const float *, const float *, int, int, int, int,  \
                             int, int, int, int, int, bool);                                      \
  void dls_block_conv_multi_##isa (DlsView, const DlsBlockSrc *, int, int, int, int, int, int,    \
                                   int, bool);                                                    \
  void dls_pointwise_backward_weights_##isa (float *, float *, DlsView, DlsView, int, int, int,   \
                                             int, int, int);                                      \
  void dls_block_backward_weights_##isa (float *, float *, DlsView, DlsView, int, int, int, int,  \
                                         int, int, int);                                         \
  float dls_bn_row_sum_##isa (const float *, int, bool);                                          \
  float dls_bn_row_sqdev_##isa (const float *, int, float, bool);                                 \
  void dls_bn_row_dots_##isa (const float *, const float *, int, float, float, float, bool, bool, \
                              float *, float *);                                                  \
  void dls_bn_row_dx_##isa (float *, const float *, const float *, int, float, float, float,      \
                            float, float, float, bool, bool, bool);                               \
  void dls_bn_row_affine_##isa (float *, const float *, int, float, float, bool, bool);
#define DIRECT(isa)                                                                        \
  ((DlsDirectKernels){ dls_direct_forward_##isa, dls_direct_backward_weights_##isa,        \
                       dls_direct_backward_input_##isa, dls_block_conv_##isa,              \
                       dls_block_conv_multi_##isa, dls_pointwise_backward_weights_##isa,   \
                       dls_block_backward_weights_##isa, dls_bn_row_sum_##isa,             \
                       dls_bn_row_sqdev_##isa, dls_bn_row_dots_##isa, dls_bn_row_dx_##isa, \
                       dls_bn_row_affine_##isa, #isa })

DECLARE_DIRECT (generic)
#ifdef DLS_HAVE_X86_KERNELS
DECLARE_DIRECT (avx2)
DECLARE_DIRECT (avx512)
DECLARE_DIRECT (wide)
#endif

/* ops-conv-igemm.c: the weight gradient of wide 3×3 layers, per ISA, picked with the others */
typedef void (*IgemmDwFn) (float *, float *, DlsView, DlsView, int, int, int, int, int, int, int,
                           float *);
#define DECLARE_IGEMM(isa)                                                                      \
  void dls_igemm_backward_weights_##isa (float *, float *, DlsView, DlsView, int, int, int, int, \
                                         int, int, int, float *);
DECLARE_IGEMM (generic)
#ifdef DLS_HAVE_X86_KERNELS
DECLARE_IGEMM (avx2)
DECLARE_IGEMM (avx512)
DECLARE_IGEMM (wide)
#endif
static IgemmDwFn igemm_dw;
/* its vector accumulators: one vector (at most 16 lanes) per weight */
#define IGEMM_LANES 16
/* widest layer (C·OC) whose weight gradient takes it rather than im2col + sgemm */
#define IGEMM_MAX_CO (128 * 64)

void
dls_direct_kernels_init (void)
{
  const char *force = g_getenv ("DLSIA_ISA");

  dls_direct_kernels = DIRECT (generic);
  igemm_dw = dls_igemm_backward_weights_generic;
#ifdef DLS_HAVE_X86_KERNELS
  __builtin_cpu_init ();
  if (force && strcmp (force, "generic") == 0)
    return;
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    {
      dls_direct_kernels = DIRECT (avx2);
      igemm_dw = dls_igemm_backward_weights_avx2;
      /* tests only: the AVX-512 strip widths in AVX2 code */
      if (force && strcmp (force, "wide") == 0)
        {
          dls_direct_kernels = DIRECT (wide);
          igemm_dw = dls_igemm_backward_weights_wide;
        }
    }
  if (force && (strcmp (force, "avx2") == 0 || strcmp (force, "wide") == 0))
    return;
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw")
      && __builtin_cpu_supports ("avx512vl") && __builtin_cpu_supports ("avx512dq"))
    {
      dls_direct_kernels = DIRECT (avx512);
      igemm_dw = dls_igemm_backward_weights_avx512;
    }
#else
  (void) force;
#endif
}

const char *
dls_engine_kernel_isa (void)
{
  dls_engine_init ();
  return dls_direct_kernels.isa;
}

/* ---- im2col / col2im over halo'd views ---- */

/* col[k][p] for k = (c, ky, kx) and p over rows [oy0, oy1) × columns [ox0, ox0 + OWn) of the
 * output grid of sample n: src[n, c, oy·s − pad + ky·d, ox·s − pad + kx·d], zero outside the
 * source's halo band.  Rows and columns may start below zero: a GEMM can then write a whole
 * padded row span of a halo'd output in one go. */
static void
im2col (float *col, DlsView src, int n, int C, int H, int W, int KH, int KW, int s, int pad, int d,
        int oy0, int oy1, int ox0, int OWn)
{
  int64_t P = (int64_t) (oy1 - oy0) * OWn;
  int band = src.halo;

  for (int c = 0; c < C; c++)
    for (int ky = 0; ky < KH; ky++)
      for (int kx = 0; kx < KW; kx++)
        {
          float *dst = col + (((int64_t) c * KH + ky) * KW + kx) * P;
          int off = kx * d - pad;
          /* local columns j whose source lies inside the band: −band ≤ (ox0 + j)·s + off < W + band
           */
          int64_t a = -band - off - (int64_t) ox0 * s, b = W + band - off - (int64_t) ox0 * s;
          int lo = a <= 0 ? 0 : (int) MIN ((a + s - 1) / s, OWn);
          int hi = b <= 0 ? 0 : (int) MIN ((b + s - 1) / s, OWn);
          hi = MAX (hi, lo);
          for (int oy = oy0; oy < oy1; oy++, dst += OWn)
            {
              int iy = oy * s - pad + ky * d;
              if (iy < -band || iy >= H + band)
                {
                  memset (dst, 0, sizeof (float) * OWn);
                  continue;
                }
              const float *row = dls_view_at (src, n, c, iy, (int64_t) ox0 * s + off);
              memset (dst, 0, sizeof (float) * lo);
              if (s == 1)
                memcpy (dst + lo, row + lo, sizeof (float) * (hi - lo));
              else
                for (int j = lo; j < hi; j++)
                  dst[j] = row[(int64_t) j * s];
              memset (dst + hi, 0, sizeof (float) * (OWn - hi));
            }
        }
}

/* The adjoint of im2col for channels [c0, c1), over a column layout [ox0, ox0 + OWn) of which
 * only the columns [0, OWv) are sources: dst[n, c, iy, ix] += col[…][p].  Positions outside
 * dst's halo band are dropped. */
static void
col2im (DlsView dst, const float *col, int n, int c0, int c1, int H, int W, int KH, int KW, int s,
        int pad, int d, int oy0, int oy1, int ox0, int OWn, int OWv)
{
  int64_t P = (int64_t) (oy1 - oy0) * OWn;
  int band = dst.halo;

  for (int c = c0; c < c1; c++)
    for (int ky = 0; ky < KH; ky++)
      for (int kx = 0; kx < KW; kx++)
        {
          const float *src = col + (((int64_t) (c - c0) * KH + ky) * KW + kx) * P - ox0;
          int off = kx * d - pad;
          int lo = off >= -band ? 0 : (-band - off + s - 1) / s;
          int hi = W + band - off <= 0 ? 0 : (W + band - off + s - 1) / s;
          lo = MIN (lo, OWv);
          hi = CLAMP (hi, lo, OWv);
          for (int oy = oy0; oy < oy1; oy++, src += OWn)
            {
              int iy = oy * s - pad + ky * d;
              if (iy < -band || iy >= H + band)
                continue;
              float *row = dls_view_at (dst, n, c, iy, 0);
              if (s == 1)
                {
                  float *r = row + off;
                  for (int ox = lo; ox < hi; ox++)
                    r[ox] += src[ox];
                }
              else
                for (int ox = lo; ox < hi; ox++)
                  row[ox * s + off] += src[ox];
            }
        }
}

/* Copies rows [y0, y1) of channels [0, C) of sample n into a dense (C × rows·W) matrix. */
static void
gather_rows (float *dst, DlsView v, int n, int C, int y0, int y1, int W)
{
  int64_t P = (int64_t) (y1 - y0) * W;

  for (int c = 0; c < C; c++)
    for (int y = y0; y < y1; y++)
      memcpy (dst + c * P + (int64_t) (y - y0) * W, dls_view_at (v, n, c, y, 0),
              sizeof (float) * W);
}

/* Tiles: rows per tile so that K × rows × width stays near TILE_FLOATS, and at least four
 * tiles per task so that tasks finish together. */
static int
tile_rows (int K, int rows_total, int width, int N, int T)
{
  int64_t rows = TILE_FLOATS / ((int64_t) MAX (K, 1) * width);
  int64_t share = ((int64_t) rows_total * N) / (4 * T);

  rows = MIN (rows, MAX (share, 1));
  return (int) CLAMP (rows, 1, rows_total);
}

/* ---- shared state for parallel tasks ---- */

typedef struct
{
  DlsGraph *g;
  DlsNodeImpl *node;
  const DlsConvGeom *geo;
  DlsView x, y, dx, dy;
  const float *w, *b;
  const float *wt; /* conv2d backward: flipped, transposed weights (C × OC·KK) */
  int64_t wlen;
  bool need_dw;   /* the weight or bias wants a gradient */
  bool block_dw;  /* output-channel blocks: the block task computes it (else the GEMM task) */
  bool assign_dx; /* the first writer of dX: overwrite instead of adding */
  int rows;       /* rows per tile */
  int n_tiles;    /* per sample */
  int row0;       /* first row of the tiled grid (−e for reflect gradients) */
  int grid_rows;  /* rows of the tiled grid */
  /* a group's leader: the input gradients of all its members at once */
  const DlsBlockSrc *srcs;
  int n_srcs;
  int dx_border; /* border rows and columns of dX this pass writes */
} ConvJob;

/* Tasks of a convolution's passes.  Thin blocked layers (an SMSNet's edges) take several per
 * thread, claimed from the pool's counter as threads come free: on a shared machine one thread
 * is often slowed for a while, and with one task each the other would wait for it at the end of
 * every layer.  Their weight-gradient partials are per task, so the split, and with it the
 * result, depends on the thread count only.  Wider layers keep one task per thread: their GEMM
 * tiles and partials grow with the task count. */
#define THIN_TASKS_PER_THREAD 4

static int
conv_tasks (DlsGraph *g, const DlsNodeImpl *n)
{
  int T = dls_graph_tasks (g);

  if (T > 1 && n->kernel == KERNEL_BLOCK && n->a.conv.geo.OC <= DIRECT_MAX_OC)
    return THIN_TASKS_PER_THREAD * T;
  return T;
}

static float *
conv_partials (DlsNodeImpl *n, int task)
{
  const DlsConvGeom *geo = &n->a.conv.geo;
  int64_t wlen = (int64_t) geo->OC * geo->C * geo->KH * geo->KW;

  return (float *) n->aux + (size_t) task * (wlen + geo->OC);
}

static void
reduce_partials (DlsGraph *g, DlsNodeImpl *n, float *dw, float *db)
{
  const DlsConvGeom *geo = &n->a.conv.geo;
  int64_t wlen = (int64_t) geo->OC * geo->C * geo->KH * geo->KW;
  int T = conv_tasks (g, n);

  for (int t = 0; t < T; t++)
    {
      const float *p = conv_partials (n, t);
      if (dw)
        for (int64_t i = 0; i < wlen; i++)
          dw[i] += p[i];
      if (db)
        for (int oc = 0; oc < geo->OC; oc++)
          db[oc] += p[wlen + oc];
    }
}

/* ---- conv2d, GEMM path ----
 * Every GEMM works on whole padded rows of the tensor it writes or reads, so that the output,
 * dY and dX are used in place (ldc / ldb = the channel stride): the columns that fall in a halo
 * are computed and then overwritten (values) or are zero (gradients) or are the reflected
 * border's true gradient (folded back later). */

static void
conv_gemm_forward_task (void *data, int task, int n_tasks)
{
  ConvJob *job = data;
  const DlsConvGeom *geo = job->geo;
  int K = geo->C * geo->KH * geo->KW, hy = job->y.halo, Wy = geo->OW + 2 * hy;
  float *col = dls_thread_scratch (job->g, dls_parallel_thread_index ());
  int64_t units = (int64_t) geo->N * job->n_tiles, lo, hi;

  dls_split (units, n_tasks, task, &lo, &hi);
  for (int64_t u = lo; u < hi; u++)
    {
      int n = u / job->n_tiles;
      int oy0 = (u % job->n_tiles) * job->rows, oy1 = MIN (oy0 + job->rows, geo->OH);
      int64_t P = (int64_t) (oy1 - oy0) * Wy;
      float *out = dls_view_at (job->y, n, 0, oy0, -hy);

      im2col (col, job->x, n, geo->C, geo->H, geo->W, geo->KH, geo->KW, geo->stride, geo->pad,
              geo->dil, oy0, oy1, -hy, Wy);
      /* start from the bias and accumulate: no separate zeroing pass inside sgemm */
      for (int oc = 0; oc < geo->OC; oc++)
        {
          float bias = job->b ? job->b[oc] : 0.0f, *o = out + oc * job->y.sc;
          for (int64_t p = 0; p < P; p++)
            o[p] = bias;
        }
      dls_sgemm (false, false, geo->OC, P, K, 1.0f, job->w, K, col, P, 1.0f, out, job->y.sc);
    }
}

/* Weight and bias gradients of one task's tiles, into its partials. */
static void
conv_gemm_dw_task (void *data, int task, int n_tasks)
{
  ConvJob *job = data;
  const DlsConvGeom *geo = job->geo;
  int K = geo->C * geo->KH * geo->KW, hy = job->dy.halo, Wy = geo->OW + 2 * hy;
  float *col = dls_thread_scratch (job->g, dls_parallel_thread_index ());
  float *part = conv_partials (job->node, task);
  bool need_w = job->g->nodes[job->node->in[1]].requires_grad;
  int64_t units = (int64_t) geo->N * job->n_tiles, lo, hi;

  memset (part, 0, sizeof (float) * (job->wlen + geo->OC));
  dls_split (units, n_tasks, task, &lo, &hi);
  for (int64_t u = lo; u < hi; u++)
    {
      int n = u / job->n_tiles;
      int oy0 = (u % job->n_tiles) * job->rows, oy1 = MIN (oy0 + job->rows, geo->OH);
      int64_t P = (int64_t) (oy1 - oy0) * Wy;
      const float *gy = dls_view_at (job->dy, n, 0, oy0, -hy); /* halo columns are zero */

      for (int oc = 0; oc < geo->OC; oc++)
        {
          const float *g = gy + oc * job->dy.sc;
          float s = 0.0f;
          for (int64_t p = 0; p < P; p++)
            s += g[p];
          part[job->wlen + oc] += s;
        }
      if (need_w)
        {
          im2col (col, job->x, n, geo->C, geo->H, geo->W, geo->KH, geo->KW, geo->stride, geo->pad,
                  geo->dil, oy0, oy1, -hy, Wy);
          /* dW (OC × K) += dY (OC × P) · colᵀ (P × K) */
          dls_sgemm (false, true, geo->OC, K, P, 1.0f, gy, job->dy.sc, col, P, 1.0f, part, K);
        }
    }
}

/* Input gradient, stride 1: a convolution of dY with the flipped kernel, gathered per tile of
 * input rows, so tasks never write the same pixel.  For reflect padding the grid includes the
 * border rows, whose gradient the planner folds back. */
static void
conv_gemm_dx_gather_task (void *data, int task, int n_tasks)
{
  ConvJob *job = data;
  const DlsConvGeom *geo = job->geo;
  int KK = geo->KH * geo->KW, hx = job->dx.halo, Wx = geo->W + 2 * hx;
  int flip_pad = geo->dil * (geo->KH - 1) - geo->pad;
  float *col = dls_thread_scratch (job->g, dls_parallel_thread_index ());
  int64_t units = (int64_t) geo->N * job->n_tiles, lo, hi;

  dls_split (units, n_tasks, task, &lo, &hi);
  for (int64_t u = lo; u < hi; u++)
    {
      int n = u / job->n_tiles;
      int r0 = job->row0 + (u % job->n_tiles) * job->rows;
      int r1 = MIN (r0 + job->rows, job->row0 + job->grid_rows);
      int64_t P = (int64_t) (r1 - r0) * Wx;

      im2col (col, job->dy, n, geo->OC, geo->OH, geo->OW, geo->KH, geo->KW, 1, flip_pad, geo->dil,
              r0, r1, -hx, Wx);
      /* dX (C × P) += Wt (C × OC·KK) · col (OC·KK × P) */
      dls_sgemm (false, false, geo->C, P, geo->OC * KK, 1.0f, job->wt, geo->OC * KK, col, P,
                 job->assign_dx ? 0.0f : 1.0f, dls_view_at (job->dx, n, 0, r0, -hx), job->dx.sc);
    }
}

/* Input gradient, strided: dcol rows = Wᵀ · dY for this task's channels, then col2im. */
static void
conv_gemm_dx_scatter_task (void *data, int task, int n_tasks)
{
  ConvJob *job = data;
  const DlsConvGeom *geo = job->geo;
  int KK = geo->KH * geo->KW, K = geo->C * KK, hy = job->dy.halo, Wy = geo->OW + 2 * hy;
  float *dcol = dls_thread_scratch (job->g, dls_parallel_thread_index ());
  int64_t lo, hi;

  dls_split (geo->C, n_tasks, task, &lo, &hi);
  if (lo == hi)
    return;
  for (int n = 0; n < geo->N; n++)
    for (int t = 0; t < job->n_tiles; t++)
      {
        int oy0 = t * job->rows, oy1 = MIN (oy0 + job->rows, geo->OH);
        int64_t P = (int64_t) (oy1 - oy0) * Wy;

        /* dcol ((hi−lo)·KK × P) = W[:, lo:hi]ᵀ · dY; W is OC × K row-major */
        dls_sgemm (true, false, (hi - lo) * KK, P, geo->OC, 1.0f, job->w + lo * KK, K,
                   dls_view_at (job->dy, n, 0, oy0, -hy), job->dy.sc, 0.0f, dcol, P);
        col2im (job->dx, dcol, n, lo, hi, geo->H, geo->W, geo->KH, geo->KW, geo->stride, geo->pad,
                geo->dil, oy0, oy1, -hy, Wy, geo->OW);
      }
}

/* ---- conv2d, direct path ---- */

static void
conv_direct_forward_task (void *data, int task, int n_tasks)
{
  ConvJob *job = data;
  const DlsConvGeom *geo = job->geo;
  int64_t lo, hi;

  dls_split ((int64_t) geo->N * geo->OH, n_tasks, task, &lo, &hi);
  while (lo < hi)
    {
      int n = lo / geo->OH, y0 = lo % geo->OH, y1 = MIN (geo->OH, y0 + (hi - lo));
      dls_direct_kernels.forward (job->y, job->x, job->w, job->b, geo->C, geo->OC, geo->H, geo->W,
                                  geo->dil, y0, y1, n);
      lo += y1 - y0;
    }
}

static void
conv_direct_backward_task (void *data, int task, int n_tasks)
{
  ConvJob *job = data;
  const DlsConvGeom *geo = job->geo;
  float *part = conv_partials (job->node, task);
  float *tmp = dls_thread_scratch (job->g, dls_parallel_thread_index ());
  /* reflect padding: the input gradient also covers the border, folded back by the planner */
  int e = geo->mode == DLS_PAD_REFLECT ? geo->dil : 0, HE = geo->H + 2 * e;
  int64_t lo, hi;

  memset (part, 0, sizeof (float) * (job->wlen + geo->OC));
  if (job->need_dw)
    {
      dls_split ((int64_t) geo->N * geo->OH, n_tasks, task, &lo, &hi);
      while (lo < hi)
        {
          int n = lo / geo->OH, y0 = lo % geo->OH, y1 = MIN (geo->OH, y0 + (hi - lo));
          dls_direct_kernels.backward_weights (tmp, tmp + job->wlen, job->dy, job->x, geo->C,
                                               geo->OC, geo->W, geo->dil, y0, y1, n);
          for (int64_t i = 0; i < job->wlen + geo->OC; i++)
            part[i] += tmp[i];
          lo += y1 - y0;
        }
    }
  if (job->dx.p == NULL)
    return;
  dls_split ((int64_t) geo->N * HE, n_tasks, task, &lo, &hi);
  while (lo < hi)
    {
      int n = lo / HE, y0 = lo % HE, y1 = MIN (HE, y0 + (hi - lo));
      dls_direct_kernels.backward_input (job->dx, job->dy, job->w, geo->C, geo->OC, -e, geo->W + e,
                                         geo->dil, y0 - e, y1 - e, n, job->assign_dx);
      lo += y1 - y0;
    }
}

/* ---- conv2d, output-channel blocks ---- */

/* The weights of a KS × KS "same" convolution with OUT output and IN input channels, packed for
 * dls_block_conv: blocks of output channels [OUT·i/nb, OUT·(i+1)/nb), nb = ⌈OUT/6⌉, block
 * starting at o0 laid out [c][t][o] from wp + o0·IN·KK.  From w [OC, C, KK] as is (OUT = OC),
 * or for the input gradient (OUT = C, IN = OC) transposed with the taps flipped. */
void
dls_block_pack (float *wp, const float *w, int OC, int C, int KK, bool input_grad)
{
  int OUT = input_grad ? C : OC, IN = input_grad ? OC : C, nb = (OUT + 5) / 6;

  for (int i = 0; i < nb; i++)
    {
      int o0 = OUT * i / nb, ob = OUT * (i + 1) / nb - o0;
      float *dst = wp + (int64_t) o0 * IN * KK;
      for (int c = 0; c < IN; c++)
        for (int t = 0; t < KK; t++)
          for (int o = 0; o < ob; o++)
            dst[((int64_t) c * KK + t) * ob + o]
                = input_grad ? w[((int64_t) c * C + o0 + o) * KK + (KK - 1 - t)]
                             : w[((int64_t) (o0 + o) * C + c) * KK + t];
    }
}

static void
conv_block_forward_task (void *data, int task, int n_tasks)
{
  ConvJob *job = data;
  const DlsConvGeom *geo = job->geo;
  int64_t lo, hi;

  dls_split ((int64_t) geo->N * geo->OH, n_tasks, task, &lo, &hi);
  while (lo < hi)
    {
      int n = lo / geo->OH, y0 = lo % geo->OH, y1 = MIN (geo->OH, y0 + (hi - lo));
      dls_direct_kernels.block_conv (job->y, job->x, job->wt, job->b, geo->C, geo->OC, geo->KH,
                                     geo->dil, 0, geo->W, y0, y1, n, false);
      lo += y1 - y0;
    }
}

static void
conv_block_backward_task (void *data, int task, int n_tasks)
{
  ConvJob *job = data;
  const DlsConvGeom *geo = job->geo;
  float *part = conv_partials (job->node, task);
  float *tmp = dls_thread_scratch (job->g, dls_parallel_thread_index ());
  /* reflect padding: the input gradient also covers the border, folded back by the planner (a
   * group's widest) */
  int e = job->dx_border, HE = geo->H + 2 * e;
  int64_t lo, hi;

  if (job->need_dw && job->block_dw)
    {
      memset (part, 0, sizeof (float) * (job->wlen + geo->OC));
      dls_split ((int64_t) geo->N * geo->OH, n_tasks, task, &lo, &hi);
      while (lo < hi)
        {
          int n = lo / geo->OH, y0 = lo % geo->OH, y1 = MIN (geo->OH, y0 + (hi - lo));
          if (geo->KH == 3 && geo->OC > DIRECT_MAX_OC)
            igemm_dw (tmp, tmp + job->wlen, job->dy, job->x, geo->C, geo->OC, geo->W, geo->dil,
                      y0, y1, n, tmp + job->wlen + geo->OC);
          else if (geo->KH == 3)
            dls_direct_kernels.block_backward_weights (tmp, tmp + job->wlen, job->dy, job->x,
                                                       geo->C, geo->OC, geo->W, geo->dil, y0, y1,
                                                       n);
          else
            dls_direct_kernels.pointwise_backward_weights (tmp, tmp + job->wlen, job->dy, job->x,
                                                           geo->C, geo->OC, geo->W, y0, y1, n);
          for (int64_t i = 0; i < job->wlen + geo->OC; i++)
            part[i] += tmp[i];
          lo += y1 - y0;
        }
    }
  if (job->dx.p == NULL)
    return;
  /* dX = dY convolved with the flipped, transposed kernel: OC input channels, C outputs */
  dls_split ((int64_t) geo->N * HE, n_tasks, task, &lo, &hi);
  while (lo < hi)
    {
      int n = lo / HE, y0 = lo % HE, y1 = MIN (HE, y0 + (hi - lo));
      if (job->n_srcs > 0)
        dls_direct_kernels.block_conv_multi (job->dx, job->srcs, job->n_srcs, geo->C, -e,
                                             geo->W + e, y0 - e, y1 - e, n, !job->assign_dx);
      else
        dls_direct_kernels.block_conv (job->dx, job->dy, job->wt, NULL, geo->OC, geo->C, geo->KH,
                                       geo->dil, -e, geo->W + e, y0 - e, y1 - e, n,
                                       !job->assign_dx);
      lo += y1 - y0;
    }
}

/* ---- op glue ---- */

static bool
use_direct (const DlsConvGeom *geo)
{
  return geo->KH == 3 && geo->KW == 3 && geo->stride == 1 && geo->pad == geo->dil
         && geo->OC == 1 && geo->C <= 16 * 64;
}

/* Few output channels and a "same" 3×3 or 1×1 kernel: GEMMs would have M ≤ 8.  And any "same"
 * 3×3 layer: the blocked forward and input gradient beat im2col + sgemm at every width, as they
 * read each input vector once per six output channels and skip the im2col copy. */
static bool
use_block (const DlsConvGeom *geo)
{
  bool same = (geo->KH == 3 && geo->pad == geo->dil) || (geo->KH == 1 && geo->pad == 0);

  if (geo->KH == 3 && geo->KW == 3 && geo->stride == 1 && same && geo->OC > DIRECT_MAX_OC)
    return true;
  return geo->KH == geo->KW && geo->stride == 1 && same && geo->OC <= DIRECT_MAX_OC
         && geo->OC * geo->C <= 16 * 64;
}

/* A blocked layer's weight gradient: its own kernels, but im2col + sgemm for the widest layers,
 * where the vector accumulators of ops-conv-igemm.c would outgrow the caches */
static bool
block_dw (const DlsConvGeom *geo)
{
  return geo->OC <= DIRECT_MAX_OC || (int64_t) geo->OC * geo->C <= IGEMM_MAX_CO;
}

/* Tiles for one pass: a grid of rows [row0, row0 + grid_rows) per sample, each tile holding
 * K × rows × width floats of im2col. */
static void
set_tiles (ConvJob *job, int K, int row0, int grid_rows, int width)
{
  job->row0 = row0;
  job->grid_rows = grid_rows;
  job->rows = tile_rows (K, grid_rows, width, job->geo->N, dls_graph_tasks (job->g));
  job->n_tiles = (grid_rows + job->rows - 1) / job->rows;
}

/* The input gradient's grid: every input row, plus the reflected border rows. */
static int
dx_border (const DlsConvGeom *geo)
{
  return geo->mode == DLS_PAD_REFLECT ? geo->pad : 0;
}

static bool
dx_gathers (const DlsConvGeom *geo)
{
  return geo->stride == 1 && geo->KH == geo->KW;
}

/* ---- the input gradients of convolutions reading one input, joined in one pass ----
 *
 * An SMSNet node feeds several thin 3×3 convolutions, each with its own dilation, and one 1×1
 * edge to the output node.  Each input gradient alone would be a read-modify-write of the
 * node's whole gradient, many channels deep; instead the node's 3×3 reader with the lowest
 * index (the last of them to run backward, when every member's dY is final) adds the other
 * readers' terms in its own pass (dls_block_conv_multi).  The planner does not count the
 * members as writers of that gradient.
 *
 * With reflect padding each 3×3 reader also writes the input's border, as wide as its own
 * dilation; the leader's pass covers the widest of them (group_border).  A member with a
 * narrower border adds exact zeros in the rest of the band, as its dY is zero there: the
 * planner widens each member's dY halo (zeros, after its fold) to what the pass reads. */

static bool
dx_groupable (DlsGraph *g, DlsNodeImpl *n, int KS)
{
  const DlsConvGeom *geo = &n->a.conv.geo;

  /* the kernel conv2d_plan picks: output-channel blocks, not the one-channel combs */
  return n->op == DLS_OP_CONV2D && n->in[0] != DLS_NODE_NONE && geo->KH == KS && !use_direct (geo)
         && use_block (geo) && geo->OC <= DIRECT_MAX_OC && g->nodes[n->in[0]].requires_grad;
}

/* A convolution's input-gradient border, or the widest of its group's when it leads one */
static int
group_border (DlsGraph *g, DlsNodeImpl *n)
{
  int e = dx_border (&n->a.conv.geo);

  if (n->dx_leader == n - g->nodes)
    for (DlsNode m = n->dx_next; m != DLS_NODE_NONE; m = g->nodes[m].dx_next)
      e = MAX (e, dx_border (&g->nodes[m].a.conv.geo));
  return e;
}

void
dls_conv_plan_groups (DlsGraph *g)
{
  for (int i = 0; i < g->n_nodes; i++)
    g->nodes[i].dx_leader = g->nodes[i].dx_next = DLS_NODE_NONE;
  for (int i = 0; i < g->n_nodes; i++)
    {
      DlsNodeImpl *n = &g->nodes[i];
      DlsNode last = i;
      bool first = dx_groupable (g, n, 3);

      /* the first 3×3 reader of its input */
      for (int j = 0; j < i && first; j++)
        first = !(dx_groupable (g, &g->nodes[j], 3) && g->nodes[j].in[0] == n->in[0]);
      if (!first)
        continue;
      for (int j = i + 1; j < g->n_nodes; j++)
        if ((dx_groupable (g, &g->nodes[j], 1) || dx_groupable (g, &g->nodes[j], 3))
            && g->nodes[j].in[0] == n->in[0])
          {
            g->nodes[j].dx_leader = i;
            g->nodes[last].dx_next = j;
            last = j;
          }
      if (last != i)
        n->dx_leader = i;
    }
}

/* The leader's sources, after its partials and packed weights in aux: the members that this
 * backward pass reaches, highest index first (the order their own passes would have run in),
 * then the leader, each with its transposed weights packed in its own aux. */
static void
group_gather (DlsGraph *g, DlsNodeImpl *n, ConvJob *job)
{
  const DlsConvGeom *geo = &n->a.conv.geo;
  float *wp = conv_partials (n, conv_tasks (g, n));
  size_t off = sizeof (float) * ((wp - (float *) n->aux) + geo->OC * geo->C * geo->KH * geo->KW);
  DlsBlockSrc *src = (DlsBlockSrc *) ((char *) n->aux + (off + 15) / 16 * 16);
  int k = 0;

  for (DlsNode m = n->dx_next; m != DLS_NODE_NONE; m = g->nodes[m].dx_next)
    {
      DlsNodeImpl *mn = &g->nodes[m];
      const DlsConvGeom *mg = &mn->a.conv.geo;
      float *mwp = conv_partials (mn, conv_tasks (g, mn));

      if (!g->ancestor[m])
        continue;
      dls_block_pack (mwp, dls_input_node (g, mn, 1)->value.p, mg->OC, mg->C, mg->KH * mg->KW,
                      true);
      src[k++] = (DlsBlockSrc){ .x = mn->grad,
                                .wp = mwp,
                                .C = mg->OC,
                                .KS = mg->KH,
                                .d = mg->KH == 3 ? mg->dil : 1,
                                .r0 = -dx_border (mg),
                                .r1 = mg->H + dx_border (mg) };
    }
  for (int i = 0; i < k / 2; i++)
    {
      DlsBlockSrc t = src[i];
      src[i] = src[k - 1 - i];
      src[k - 1 - i] = t;
    }
  dls_block_pack (wp, job->w, geo->OC, geo->C, geo->KH * geo->KW, true);
  src[k++] = (DlsBlockSrc){ .x = n->grad,
                            .wp = wp,
                            .C = geo->OC,
                            .KS = geo->KH,
                            .d = geo->dil,
                            .r0 = -dx_border (geo),
                            .r1 = geo->H + dx_border (geo) };
  job->srcs = src;
  job->n_srcs = k;
}

/* Runs twice: the second time every halo is final, so scratch is sized for padded rows. */
static void
conv2d_plan (DlsGraph *g, DlsNodeImpl *n)
{
  const DlsConvGeom *geo = &n->a.conv.geo;
  DlsHaloMode mode = geo->mode == DLS_PAD_REFLECT ? DLS_HALO_REFLECT : DLS_HALO_ZERO;
  int64_t wlen = (int64_t) geo->OC * geo->C * geo->KH * geo->KW;
  int T = dls_graph_tasks (g), KK = geo->KH * geo->KW, K = geo->C * KK;

  if (geo->pad > 0)
    dls_plan_request_halo (g, n->in[0], geo->pad, mode);
  n->aux_bytes = sizeof (float) * ((size_t) T * (wlen + geo->OC) + wlen);
  if (use_direct (geo))
    {
      n->kernel = KERNEL_DIRECT;
      n->assigns_input_grad = true;
      /* the input gradient is a gather over dY: it needs dY's border, twice as wide when it
       * also covers the input's reflected border */
      dls_plan_request_halo (g, n - g->nodes,
                             geo->mode == DLS_PAD_REFLECT ? 2 * geo->dil : geo->dil, DLS_HALO_ANY);
      dls_plan_request_scratch (g, wlen + geo->OC);
    }
  else if (use_block (geo))
    {
      n->kernel = KERNEL_BLOCK;
      n->assigns_input_grad = true;
      n->aux_bytes = sizeof (float) * ((size_t) conv_tasks (g, n) * (wlen + geo->OC) + wlen);
      if (geo->KH == 3)
        dls_plan_request_halo (g, n - g->nodes,
                               geo->mode == DLS_PAD_REFLECT ? 2 * geo->dil : geo->dil,
                               DLS_HALO_ANY);
      if (n->dx_leader == n - g->nodes)
        {
          /* every source's dY is read over the group's widest border, its taps reaching one
           * dilation further */
          int members = 0, e = group_border (g, n);
          dls_plan_request_halo (g, n - g->nodes, e + geo->dil, DLS_HALO_ANY);
          for (DlsNode m = n->dx_next; m != DLS_NODE_NONE; m = g->nodes[m].dx_next, members++)
            {
              const DlsConvGeom *mg = &g->nodes[m].a.conv.geo;
              dls_plan_request_halo (g, m, e + (mg->KH == 3 ? mg->dil : 0), DLS_HALO_ANY);
            }
          n->aux_bytes = (n->aux_bytes + 15) / 16 * 16 + sizeof (DlsBlockSrc) * (members + 1);
        }
      if (!block_dw (geo))
        {
          int wy = geo->OW + 2 * dls_plan_halo (g, n - g->nodes);
          dls_plan_request_scratch (g, (size_t) K * tile_rows (K, geo->OH, wy, geo->N, T) * wy);
        }
      else if (geo->OC > DIRECT_MAX_OC)
        dls_plan_request_scratch (g, wlen + geo->OC + wlen * IGEMM_LANES);
      else
        dls_plan_request_scratch (g, wlen + geo->OC);
    }
  else
    {
      int wy = geo->OW + 2 * dls_plan_halo (g, n - g->nodes);
      int wx = geo->W + 2 * dls_plan_halo (g, n->in[0]);
      int gx = geo->H + 2 * dx_border (geo);
      int rows = tile_rows (K, geo->OH, wy, geo->N, T);
      int rows_dx = tile_rows (geo->OC * KK, gx, wx, geo->N, T);

      n->kernel = KERNEL_GEMM;
      n->assigns_input_grad = dx_gathers (geo);
      dls_plan_request_scratch (g, (size_t) K * rows * wy);
      if (dx_gathers (geo))
        dls_plan_request_scratch (g, (size_t) geo->OC * KK * rows_dx * wx);
    }
}

static ConvJob
conv_job (DlsGraph *g, DlsNodeImpl *n)
{
  const DlsConvGeom *geo = &n->a.conv.geo;
  DlsNodeImpl *x = dls_input_node (g, n, 0), *w = dls_input_node (g, n, 1);
  ConvJob job = {
    .g = g,
    .node = n,
    .geo = geo,
    .x = x->value,
    .y = n->value,
    .dx = x->grad,
    .dy = n->grad,
    .w = w->value.p,
    .b = n->a.conv.has_bias ? dls_input_node (g, n, 2)->value.p : NULL,
    .wlen = (int64_t) geo->OC * geo->C * geo->KH * geo->KW,
  };

  if (!x->requires_grad)
    job.dx.p = NULL;
  job.need_dw = w->requires_grad || (n->a.conv.has_bias && dls_input_node (g, n, 2)->requires_grad);
  if (n->op == DLS_OP_CONV2D)
    set_tiles (&job, geo->C * geo->KH * geo->KW, 0, geo->OH, geo->OW + 2 * job.y.halo);
  else
    set_tiles (&job, geo->OC * geo->KH * geo->KW, 0, geo->H, geo->W);
  return job;
}

static void
conv2d_forward (DlsGraph *g, DlsNodeImpl *n)
{
  ConvJob job = conv_job (g, n);
  const DlsConvGeom *geo = &n->a.conv.geo;

  if (n->kernel == KERNEL_DIRECT)
    dls_parallel (dls_graph_tasks (g), conv_direct_forward_task, &job);
  else if (n->kernel == KERNEL_BLOCK)
    {
      /* packed weights after the partials in aux */
      float *wp = conv_partials (n, conv_tasks (g, n));
      dls_block_pack (wp, job.w, geo->OC, geo->C, geo->KH * geo->KW, false);
      job.wt = wp;
      dls_parallel (conv_tasks (g, n), conv_block_forward_task, &job);
    }
  else
    dls_parallel (dls_graph_tasks (g), conv_gemm_forward_task, &job);
}

static void
conv2d_backward (DlsGraph *g, DlsNodeImpl *n)
{
  ConvJob job = conv_job (g, n);
  const DlsConvGeom *geo = &n->a.conv.geo;
  DlsNodeImpl *w = dls_input_node (g, n, 1);
  DlsNodeImpl *b = n->a.conv.has_bias ? dls_input_node (g, n, 2) : NULL;

  /* a member of a group: its leader computes its input gradient */
  if (n->dx_leader != DLS_NODE_NONE && n->dx_leader != n - g->nodes)
    job.dx.p = NULL;
  else if (n->dx_leader != DLS_NODE_NONE && job.dx.p != NULL)
    group_gather (g, n, &job);
  job.dx_border = n->dx_leader == n - g->nodes ? group_border (g, n) : dx_border (geo);
  /* The first writer of a gradient buffer that it covers whole overwrites it: no zeroing pass
   * before, no read of zeros during.  It zeros what it will not write itself. */
  job.assign_dx = job.dx.p != NULL && dls_take_grad_assign (g, n, 0);
  if (job.assign_dx)
    dls_zero_outside (job.dx, geo->N, geo->C, geo->H, geo->W, job.dx_border);

  if (n->kernel == KERNEL_DIRECT)
    dls_parallel (dls_graph_tasks (g), conv_direct_backward_task, &job);
  else if (n->kernel == KERNEL_BLOCK)
    {
      float *wp = conv_partials (n, conv_tasks (g, n));
      if (job.dx.p)
        dls_block_pack (wp, job.w, geo->OC, geo->C, geo->KH * geo->KW, true);
      job.wt = wp;
      job.block_dw = block_dw (geo);
      if (job.dx.p || (job.need_dw && job.block_dw))
        dls_parallel (conv_tasks (g, n), conv_block_backward_task, &job);
      if (job.need_dw && !job.block_dw)
        dls_parallel (dls_graph_tasks (g), conv_gemm_dw_task, &job);
    }
  else
    {
      if (job.need_dw)
        dls_parallel (dls_graph_tasks (g), conv_gemm_dw_task, &job);
      if (job.dx.p && dx_gathers (geo))
        {
          /* Wt[c][oc, ky, kx] = W[oc][c][KH−1−ky][KW−1−kx], after the partials in aux */
          int KK = geo->KH * geo->KW;
          float *wt = conv_partials (n, dls_graph_tasks (g));
          for (int oc = 0; oc < geo->OC; oc++)
            for (int c = 0; c < geo->C; c++)
              for (int k = 0; k < KK; k++)
                wt[((int64_t) c * geo->OC + oc) * KK + k]
                    = job.w[((int64_t) oc * geo->C + c) * KK + (KK - 1 - k)];
          job.wt = wt;
          set_tiles (&job, geo->OC * KK, -dx_border (geo), geo->H + 2 * dx_border (geo),
                     geo->W + 2 * job.dx.halo);
          dls_parallel (dls_graph_tasks (g), conv_gemm_dx_gather_task, &job);
        }
      else if (job.dx.p)
        dls_parallel (dls_graph_tasks (g), conv_gemm_dx_scatter_task, &job);
    }
  if (job.need_dw)
    reduce_partials (g, n, w->requires_grad ? w->grad.p : NULL,
                     b && b->requires_grad ? b->grad.p : NULL);
}

/* ---- conv_transpose2d: forward = col2im (Wᵀ·x), backward = im2col (dY) ---- */

static void
convt_forward_task (void *data, int task, int n_tasks)
{
  ConvJob *job = data;
  const DlsConvGeom *geo = job->geo;
  int KK = geo->KH * geo->KW, OK = geo->OC * KK;
  float *scratch = dls_thread_scratch (job->g, dls_parallel_thread_index ());
  int64_t lo, hi;

  dls_split (geo->OC, n_tasks, task, &lo, &hi);
  if (lo == hi)
    return;
  for (int n = 0; n < geo->N; n++)
    {
      for (int oc = lo; oc < hi; oc++)
        {
          float bias = job->b ? job->b[oc] : 0.0f;
          for (int oy = 0; oy < geo->OH; oy++)
            {
              float *dst = dls_view_at (job->y, n, oc, oy, 0);
              for (int ox = 0; ox < geo->OW; ox++)
                dst[ox] = bias;
            }
        }
      for (int t = 0; t < job->n_tiles; t++)
        {
          int iy0 = t * job->rows, iy1 = MIN (iy0 + job->rows, geo->H);
          int64_t P = (int64_t) (iy1 - iy0) * geo->W;
          float *col = scratch, *xin = scratch + (int64_t) OK * P;

          gather_rows (xin, job->x, n, geo->C, iy0, iy1, geo->W);
          /* col ((hi−lo)·KK × P) = W[:, lo:hi]ᵀ · x, with W as C × (OC·KK) */
          dls_sgemm (true, false, (hi - lo) * KK, P, geo->C, 1.0f, job->w + lo * KK, OK, xin, P,
                     0.0f, col, P);
          /* scatter: input pixel (iy, ix) lands on output (iy·s − pad + ky·d, …) */
          col2im (job->y, col, n, lo, hi, geo->OH, geo->OW, geo->KH, geo->KW, geo->stride, geo->pad,
                  geo->dil, iy0, iy1, 0, geo->W, geo->W);
        }
    }
}

static void
convt_backward_task (void *data, int task, int n_tasks)
{
  ConvJob *job = data;
  const DlsConvGeom *geo = job->geo;
  int KK = geo->KH * geo->KW, OK = geo->OC * KK;
  float *scratch = dls_thread_scratch (job->g, dls_parallel_thread_index ());
  float *part = conv_partials (job->node, task);
  bool need_dw = job->g->nodes[job->node->in[1]].requires_grad;
  int64_t units = (int64_t) geo->N * job->n_tiles, lo, hi;

  memset (part, 0, sizeof (float) * (job->wlen + geo->OC));
  dls_split (units, n_tasks, task, &lo, &hi);
  for (int64_t u = lo; u < hi; u++)
    {
      int n = u / job->n_tiles;
      int iy0 = (u % job->n_tiles) * job->rows, iy1 = MIN (iy0 + job->rows, geo->H);
      int64_t P = (int64_t) (iy1 - iy0) * geo->W;
      float *col = scratch, *tmp = scratch + (int64_t) OK * P;

      im2col (col, job->dy, n, geo->OC, geo->OH, geo->OW, geo->KH, geo->KW, geo->stride, geo->pad,
              geo->dil, iy0, iy1, 0, geo->W);
      if (job->dx.p)
        {
          /* dx (C × P) = W (C × OK) · col (OK × P) */
          dls_sgemm (false, false, geo->C, P, OK, 1.0f, job->w, OK, col, P, 0.0f, tmp, P);
          for (int c = 0; c < geo->C; c++)
            for (int iy = iy0; iy < iy1; iy++)
              {
                float *dst = dls_view_at (job->dx, n, c, iy, 0);
                const float *src = tmp + c * P + (int64_t) (iy - iy0) * geo->W;
                for (int ix = 0; ix < geo->W; ix++)
                  dst[ix] += src[ix];
              }
        }
      if (need_dw)
        {
          gather_rows (tmp, job->x, n, geo->C, iy0, iy1, geo->W);
          /* dW (C × OK) += x (C × P) · colᵀ (P × OK) */
          dls_sgemm (false, true, geo->C, OK, P, 1.0f, tmp, P, col, P, 1.0f, part, OK);
        }
    }
  /* db: plain sums of dY over this task's share of output rows */
  dls_split ((int64_t) geo->N * geo->OH, n_tasks, task, &lo, &hi);
  for (int64_t r = lo; r < hi; r++)
    for (int oc = 0; oc < geo->OC; oc++)
      {
        const float *src = dls_view_at (job->dy, r / geo->OH, oc, r % geo->OH, 0);
        float s = 0.0f;
        for (int ox = 0; ox < geo->OW; ox++)
          s += src[ox];
        part[job->wlen + oc] += s;
      }
}

static void
convt_plan (DlsGraph *g, DlsNodeImpl *n)
{
  const DlsConvGeom *geo = &n->a.conv.geo;
  int64_t wlen = (int64_t) geo->OC * geo->C * geo->KH * geo->KW;
  int OK = geo->OC * geo->KH * geo->KW;
  int rows = tile_rows (OK, geo->H, geo->W, geo->N, dls_graph_tasks (g));

  n->kernel = KERNEL_GEMM;
  n->aux_bytes = sizeof (float) * (size_t) dls_graph_tasks (g) * (wlen + geo->OC);
  /* im2col of dY reaches `pad` pixels outside the output */
  dls_plan_request_halo (g, n - g->nodes, geo->pad, DLS_HALO_ANY);
  dls_plan_request_scratch (g, (size_t) (OK + MAX (geo->C, 1)) * rows * geo->W);
}

static void
convt_forward (DlsGraph *g, DlsNodeImpl *n)
{
  ConvJob job = conv_job (g, n);

  dls_parallel (dls_graph_tasks (g), convt_forward_task, &job);
}

static void
convt_backward (DlsGraph *g, DlsNodeImpl *n)
{
  ConvJob job = conv_job (g, n);
  DlsNodeImpl *w = dls_input_node (g, n, 1);
  DlsNodeImpl *b = n->a.conv.has_bias ? dls_input_node (g, n, 2) : NULL;

  dls_parallel (dls_graph_tasks (g), convt_backward_task, &job);
  reduce_partials (g, n, w->requires_grad ? w->grad.p : NULL,
                   b && b->requires_grad ? b->grad.p : NULL);
}

const DlsOpInfo dls_op_conv2d
    = { DLS_OP_CONV2D, "conv2d", conv2d_plan, conv2d_forward, conv2d_backward };
const DlsOpInfo dls_op_conv_transpose2d
    = { DLS_OP_CONV_TRANSPOSE2D, "conv_transpose2d", convt_plan, convt_forward, convt_backward };

/* ---- reference loops ---- */

/* The source pixel a padded coordinate reads, or −1 for a zero. */
static int
ref_src (int i, int n, DlsPadMode mode)
{
  if (i >= 0 && i < n)
    return i;
  if (mode == DLS_PAD_ZEROS)
    return -1;
  if (i < 0)
    i = -i;
  if (i >= n)
    i = 2 * (n - 1) - i;
  return i >= 0 && i < n ? i : -1;
}

void
dls_ref_conv2d_forward (double *y, const double *x, const double *w, const double *b,
                        const DlsConvGeom *g)
{
  for (int n = 0; n < g->N; n++)
    for (int oc = 0; oc < g->OC; oc++)
      for (int oy = 0; oy < g->OH; oy++)
        for (int ox = 0; ox < g->OW; ox++)
          {
            double s = b ? b[oc] : 0.0;
            for (int c = 0; c < g->C; c++)
              for (int ky = 0; ky < g->KH; ky++)
                for (int kx = 0; kx < g->KW; kx++)
                  {
                    int iy = ref_src (oy * g->stride - g->pad + ky * g->dil, g->H, g->mode);
                    int ix = ref_src (ox * g->stride - g->pad + kx * g->dil, g->W, g->mode);
                    if (iy < 0 || ix < 0)
                      continue;
                    s += w[((oc * g->C + c) * g->KH + ky) * g->KW + kx]
                         * x[((n * g->C + c) * g->H + iy) * g->W + ix];
                  }
            y[((n * g->OC + oc) * g->OH + oy) * g->OW + ox] = s;
          }
}

void
dls_ref_conv2d_backward (double *dx, double *dw, double *db, const double *dy, const double *x,
                         const double *w, const DlsConvGeom *g)
{
  for (int n = 0; n < g->N; n++)
    for (int oc = 0; oc < g->OC; oc++)
      for (int oy = 0; oy < g->OH; oy++)
        for (int ox = 0; ox < g->OW; ox++)
          {
            double gy = dy[((n * g->OC + oc) * g->OH + oy) * g->OW + ox];
            if (db)
              db[oc] += gy;
            for (int c = 0; c < g->C; c++)
              for (int ky = 0; ky < g->KH; ky++)
                for (int kx = 0; kx < g->KW; kx++)
                  {
                    int iy = ref_src (oy * g->stride - g->pad + ky * g->dil, g->H, g->mode);
                    int ix = ref_src (ox * g->stride - g->pad + kx * g->dil, g->W, g->mode);
                    int wi = ((oc * g->C + c) * g->KH + ky) * g->KW + kx;
                    int xi = ((n * g->C + c) * g->H + iy) * g->W + ix;
                    if (iy < 0 || ix < 0)
                      continue;
                    if (dw)
                      dw[wi] += gy * x[xi];
                    if (dx)
                      dx[xi] += gy * w[wi];
                  }
          }
}

void
dls_ref_conv_transpose2d_forward (double *y, const double *x, const double *w, const double *b,
                                  const DlsConvGeom *g)
{
  for (int n = 0; n < g->N; n++)
    for (int oc = 0; oc < g->OC; oc++)
      for (int i = 0; i < g->OH * g->OW; i++)
        y[(n * g->OC + oc) * g->OH * g->OW + i] = b ? b[oc] : 0.0;
  for (int n = 0; n < g->N; n++)
    for (int c = 0; c < g->C; c++)
      for (int iy = 0; iy < g->H; iy++)
        for (int ix = 0; ix < g->W; ix++)
          for (int oc = 0; oc < g->OC; oc++)
            for (int ky = 0; ky < g->KH; ky++)
              for (int kx = 0; kx < g->KW; kx++)
                {
                  int oy = iy * g->stride - g->pad + ky * g->dil;
                  int ox = ix * g->stride - g->pad + kx * g->dil;
                  if (oy < 0 || oy >= g->OH || ox < 0 || ox >= g->OW)
                    continue;
                  y[((n * g->OC + oc) * g->OH + oy) * g->OW + ox]
                      += x[((n * g->C + c) * g->H + iy) * g->W + ix]
                         * w[((c * g->OC + oc) * g->KH + ky) * g->KW + kx];
                }
}

void
dls_ref_conv_transpose2d_backward (double *dx, double *dw, double *db, const double *dy,
                                   const double *x, const double *w, const DlsConvGeom *g)
{
  if (db)
    for (int n = 0; n < g->N; n++)
      for (int oc = 0; oc < g->OC; oc++)
        for (int i = 0; i < g->OH * g->OW; i++)
          db[oc] += dy[(n * g->OC + oc) * g->OH * g->OW + i];
  for (int n = 0; n < g->N; n++)
    for (int c = 0; c < g->C; c++)
      for (int iy = 0; iy < g->H; iy++)
        for (int ix = 0; ix < g->W; ix++)
          for (int oc = 0; oc < g->OC; oc++)
            for (int ky = 0; ky < g->KH; ky++)
              for (int kx = 0; kx < g->KW; kx++)
                {
                  int oy = iy * g->stride - g->pad + ky * g->dil;
                  int ox = ix * g->stride - g->pad + kx * g->dil;
                  int xi = ((n * g->C + c) * g->H + iy) * g->W + ix;
                  int wi = ((c * g->OC + oc) * g->KH + ky) * g->KW + kx;
                  double gy;
                  if (oy < 0 || oy >= g->OH || ox < 0 || ox >= g->OW)
                    continue;
                  gy = dy[((n * g->OC + oc) * g->OH + oy) * g->OW + ox];
                  if (dx)
                    dx[xi] += gy * w[wi];
                  if (dw)
                    dw[wi] += gy * x[xi];
                }
}
