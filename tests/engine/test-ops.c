/* SPDX-License-Identifier: MIT
 *
 * test-ops.c: every op of the engine against its double-precision reference loop, whose
 * backward is itself checked against finite differences (see check.h).  Shapes are odd and
 * even, batches larger than one, dilations 1–10, both padding modes, both conv kernels (direct
 * and im2col + GEMM), with one task and with more tasks than cores.
 */
#include "check.h"

#include <math.h>

#define SEED 20261124

static DlsRng rng;

/* ---- conv2d ---- */

static void
conv_fwd (Case *c, double *out)
{
  dls_ref_conv2d_forward (out, c->leaf[0].v, c->leaf[1].v, c->n_leaves > 2 ? c->leaf[2].v : NULL,
                          &c->a.conv);
}

static void
conv_bwd (Case *c, const double *dout, double **g)
{
  dls_ref_conv2d_backward (g[0], g[1], c->n_leaves > 2 ? g[2] : NULL, dout, c->leaf[0].v,
                           c->leaf[1].v, &c->a.conv);
}

static DlsNode
conv_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  const DlsConvGeom *geo = &c->a.conv;
  DlsConvArgs args
      = { .stride = geo->stride, .padding = geo->pad, .dilation = geo->dil, .pad_mode = geo->mode };

  DlsNode y = dls_graph_conv2d (g, l[0], l[1], c->n_leaves > 2 ? l[2] : DLS_NODE_NONE, &args);

  /* A second, unused reader with zero padding 2 gives y a halo of its own, so that the GEMM
   * path writes whole padded rows of a real halo'd buffer. */
  if (c->halo_out)
    dls_graph_conv2d (g, y, dls_graph_param (g, "reader", 4, (int64_t[]){ 1, geo->OC, 3, 3 }),
                      DLS_NODE_NONE, &(DlsConvArgs){ .padding = 2 });
  return y;
}

static void
run_conv (int N, int C, int OC, int H, int W, int K, int stride, int pad, int dil, DlsPadMode mode,
          bool bias, bool input_grad)
{
  Case c;
  DlsConvGeom *geo = &c.a.conv;

  case_init (&c, "conv2d N%d C%d→%d %d×%d k%d s%d p%d d%d %s%s", N, C, OC, H, W, K, stride, pad,
             dil, mode == DLS_PAD_REFLECT ? "reflect" : "zeros", bias ? " bias" : "");
  *geo = (DlsConvGeom){ .N = N,
                        .C = C,
                        .H = H,
                        .W = W,
                        .OC = OC,
                        .KH = K,
                        .KW = K,
                        .stride = stride,
                        .pad = pad,
                        .dil = dil,
                        .mode = mode };
  geo->OH = (H + 2 * pad - dil * (K - 1) - 1) / stride + 1;
  geo->OW = (W + 2 * pad - dil * (K - 1) - 1) / stride + 1;
  g_assert_cmpint (geo->OH, >, 0);
  g_assert_cmpint (geo->OW, >, 0);
  leaf_input (&c, "x", DLS_SHAPE (N, C, H, W), input_grad, -1, 1, &rng);
  leaf_weight (&c, "w", 4, (int64_t[]){ OC, C, K, K }, true, -0.5, 0.5, &rng);
  if (bias)
    leaf_weight (&c, "b", 1, (int64_t[]){ OC }, true, -0.5, 0.5, &rng);
  c.out = DLS_SHAPE (N, OC, geo->OH, geo->OW);
  c.halo_out = (N + C + OC + H + W + K + dil) % 2;
  c.ref_forward = conv_fwd;
  c.ref_backward = conv_bwd;
  c.build = conv_build;
  check_case (&c, &rng);
  case_clear (&c);
}

/* "Same" 3×3 dilated layers, every dilation, both paddings: few output channels take the
 * direct kernels, many the GEMM path. */
static void
test_conv2d_dilated (void)
{
  for (int d = 1; d <= 10; d++)
    for (int mode = 0; mode < 2; mode++)
      {
        int H = 2 * d + 3, W = 2 * d + 6; /* odd and even, reflect needs > d */
        run_conv (2, 3, 1, H, W, 3, 1, d, d, mode, true, true);
        run_conv (2, 5, 3, W, H, 3, 1, d, d, mode, d % 2, true);
        run_conv (2, 2, 11, H, H, 3, 1, d, d, mode, true, true);
      }
}

/* The direct kernel on wide images (several strips, tails) and many channels. */
static void
test_conv2d_direct_wide (void)
{
  run_conv (1, 13, 1, 9, 77, 3, 1, 2, 2, DLS_PAD_ZEROS, true, true);
  run_conv (2, 4, 2, 37, 41, 3, 1, 7, 7, DLS_PAD_REFLECT, true, true);
  run_conv (1, 17, 1, 33, 35, 3, 1, 1, 1, DLS_PAD_REFLECT, false, true);
  run_conv (3, 2, 8, 11, 64, 3, 1, 3, 3, DLS_PAD_ZEROS, true, false);
}

/* The output-channel-blocked kernels: 2–8 output channels, 3×3 dilated and 1×1, both paddings,
 * strips with tails; the input gradient runs them with the layer's C as output channels (1–6 per
 * block: C = 1, 2, 7, 13, 23 give blocks of 1, 2, 3 + 4, 4 + 4 + 5, 5 + 6 + 6 + 6). */
static void
test_conv2d_block (void)
{
  for (int d = 1; d <= 4; d++)
    for (int mode = 0; mode < 2; mode++)
      {
        run_conv (1, 7, 6, 2 * d + 5, 45, 3, 1, d, d, mode, true, true);
        run_conv (2, 2, 4, 19, 2 * d + 3, 3, 1, d, d, mode, d % 2, true);
      }
  run_conv (1, 13, 8, 9, 37, 3, 1, 2, 2, DLS_PAD_REFLECT, true, true);
  run_conv (2, 23, 5, 11, 70, 3, 1, 3, 3, DLS_PAD_ZEROS, true, true);
  run_conv (1, 1, 6, 12, 40, 3, 1, 1, 1, DLS_PAD_REFLECT, true, false);
  run_conv (1, 1, 7, 10, 33, 3, 1, 2, 2, DLS_PAD_REFLECT, true, true);
  /* more input channels than one pass of the forward takes (16): the sums go through y */
  run_conv (1, 37, 6, 13, 29, 3, 1, 4, 4, DLS_PAD_REFLECT, true, true);
  run_conv (2, 34, 4, 9, 19, 3, 1, 1, 1, DLS_PAD_ZEROS, true, true);
  /* maps large enough that the halo fill and the gradient's fold (reflect: the input; zeros:
   * the output, which has a reader) are split between tasks */
  run_conv (2, 5, 3, 71, 73, 3, 1, 2, 2, DLS_PAD_REFLECT, true, true);
  /* 1×1 */
  run_conv (1, 41, 3, 7, 21, 1, 1, 0, 1, DLS_PAD_ZEROS, true, true);
  run_conv (1, 23, 6, 7, 70, 1, 1, 0, 1, DLS_PAD_ZEROS, true, true);
  run_conv (2, 13, 2, 9, 31, 1, 1, 0, 1, DLS_PAD_ZEROS, false, true);
  run_conv (1, 7, 1, 5, 20, 1, 1, 0, 1, DLS_PAD_ZEROS, true, true);
  run_conv (3, 2, 8, 6, 17, 1, 1, 0, 1, DLS_PAD_ZEROS, true, true);
}

/* Wider "same" 3×3 layers (9 and more output channels, as the U-Net levels): the blocked
 * forward and input gradient, and the weight gradient of ops-conv-igemm.c (up to four, with
 * AVX-512 six, output channels per block, so 9–12, 16, 17 and 32 leave blocks of 3–6; the tails
 * are the columns past the last whole vector of 4, 8 or 16), or im2col + sgemm past 128 × 64
 * channels.
 * Every dilation it takes, both paddings, a batch, an input without a gradient. */
static void
test_conv2d_wide_block (void)
{
  for (int d = 1; d <= 3; d++)
    for (int mode = 0; mode < 2; mode++)
      {
        run_conv (2, 3, 9 + d, 2 * d + 5, 37 + 4 * d, 3, 1, d, d, mode, true, true);
        run_conv (1, 16, 16, 2 * d + 4, 2 * d + 3, 3, 1, d, d, mode, d % 2, true);
      }
  run_conv (1, 1, 17, 11, 70, 3, 1, 1, 1, DLS_PAD_REFLECT, true, false);
  run_conv (3, 5, 9, 7, 19, 3, 1, 2, 2, DLS_PAD_ZEROS, true, true);
  run_conv (1, 33, 32, 5, 33, 3, 1, 1, 1, DLS_PAD_ZEROS, true, true);
  /* past the ops-conv-igemm.c limit: the weight gradient through im2col + sgemm */
  run_conv (1, 65, 128, 4, 11, 3, 1, 1, 1, DLS_PAD_REFLECT, true, true);
}

static void
test_conv2d_random (void)
{
  for (int i = 0; i < 40; i++)
    {
      int K = 1 + dls_rng_below (&rng, 5), dil = 1 + dls_rng_below (&rng, 3);
      int stride = 1 + dls_rng_below (&rng, 3), span = dil * (K - 1);
      int pad = dls_rng_below (&rng, span + 1);
      DlsPadMode mode = dls_rng_below (&rng, 2);
      int H = MAX (span + 1 - 2 * pad, 1) + dls_rng_below (&rng, 12);
      int W = MAX (span + 1 - 2 * pad, 1) + dls_rng_below (&rng, 12);
      if (mode == DLS_PAD_REFLECT && (pad >= H || pad >= W))
        mode = DLS_PAD_ZEROS;
      run_conv (1 + dls_rng_below (&rng, 3), 1 + dls_rng_below (&rng, 4),
                1 + dls_rng_below (&rng, 12), H, W, K, stride, pad, dil, mode,
                dls_rng_below (&rng, 2), dls_rng_below (&rng, 4) != 0);
    }
}

/* ---- conv_transpose2d ---- */

static void
convt_fwd (Case *c, double *out)
{
  dls_ref_conv_transpose2d_forward (out, c->leaf[0].v, c->leaf[1].v,
                                    c->n_leaves > 2 ? c->leaf[2].v : NULL, &c->a.conv);
}

static void
convt_bwd (Case *c, const double *dout, double **g)
{
  dls_ref_conv_transpose2d_backward (g[0], g[1], c->n_leaves > 2 ? g[2] : NULL, dout, c->leaf[0].v,
                                     c->leaf[1].v, &c->a.conv);
}

static DlsNode
convt_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  const DlsConvGeom *geo = &c->a.conv;
  DlsConvTransposeArgs args = {
    .stride = geo->stride, .padding = geo->pad, .output_padding = { geo->out_pad, geo->out_pad }, .dilation = geo->dil
  };

  return dls_graph_conv_transpose2d (g, l[0], l[1], c->n_leaves > 2 ? l[2] : DLS_NODE_NONE, &args);
}

static void
test_conv_transpose2d (void)
{
  for (int i = 0; i < 40; i++)
    {
      Case c;
      DlsConvGeom *geo = &c.a.conv;
      int N = 1 + dls_rng_below (&rng, 2), C = 1 + dls_rng_below (&rng, 4);
      int OC = 1 + dls_rng_below (&rng, 4), K = 1 + dls_rng_below (&rng, 4);
      int s = 1 + dls_rng_below (&rng, 3), d = 1 + dls_rng_below (&rng, 3);
      int H = 1 + dls_rng_below (&rng, 9), W = 1 + dls_rng_below (&rng, 9);
      int pad = dls_rng_below (&rng, d * (K - 1) + 1);
      int op = dls_rng_below (&rng, MAX (s, d));
      bool bias = dls_rng_below (&rng, 2);

      if (i == 0) /* TUNet's up-step: k2 s2, output padding for an odd size */
        N = 2, C = 4, OC = 2, K = 2, s = 2, d = 1, H = 5, W = 6, pad = 0, op = 1;
      case_init (&c, "conv_transpose2d N%d C%d→%d %d×%d k%d s%d p%d op%d d%d", N, C, OC, H, W, K, s,
                 pad, op, d);
      *geo = (DlsConvGeom){ .N = N,
                            .C = C,
                            .H = H,
                            .W = W,
                            .OC = OC,
                            .KH = K,
                            .KW = K,
                            .stride = s,
                            .pad = pad,
                            .dil = d,
                            .out_pad = op };
      geo->OH = (H - 1) * s - 2 * pad + d * (K - 1) + op + 1;
      geo->OW = (W - 1) * s - 2 * pad + d * (K - 1) + op + 1;
      if (geo->OH <= 0 || geo->OW <= 0)
        continue;
      leaf_input (&c, "x", DLS_SHAPE (N, C, H, W), true, -1, 1, &rng);
      leaf_weight (&c, "w", 4, (int64_t[]){ C, OC, K, K }, true, -0.5, 0.5, &rng);
      if (bias)
        leaf_weight (&c, "b", 1, (int64_t[]){ OC }, true, -0.5, 0.5, &rng);
      c.out = DLS_SHAPE (N, OC, geo->OH, geo->OW);
      c.ref_forward = convt_fwd;
      c.ref_backward = convt_bwd;
      c.build = convt_build;
      check_case (&c, &rng);
      case_clear (&c);
    }
}

/* ---- pooling, upsampling ---- */

static void
pool_fwd (Case *c, double *out)
{
  DlsShape s = c->leaf[0].shape;
  dls_ref_maxpool2d_forward (out, c->leaf[0].v, s.n, s.c, s.h, s.w, c->a.pool.k, c->a.pool.s,
                             c->a.pool.p, c->out.h, c->out.w);
}

static void
pool_bwd (Case *c, const double *dout, double **g)
{
  DlsShape s = c->leaf[0].shape;
  dls_ref_maxpool2d_backward (g[0], dout, c->leaf[0].v, s.n, s.c, s.h, s.w, c->a.pool.k,
                              c->a.pool.s, c->a.pool.p, c->out.h, c->out.w);
}

static DlsNode
pool_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_maxpool2d (g, l[0], c->a.pool.k, c->a.pool.s, c->a.pool.p);
}

static void
test_maxpool2d (void)
{
  for (int i = 0; i < 30; i++)
    {
      Case c;
      int k = 1 + dls_rng_below (&rng, 4), s = 1 + dls_rng_below (&rng, 3);
      int p = dls_rng_below (&rng, k / 2 + 1);
      int H = k + dls_rng_below (&rng, 10), W = k + dls_rng_below (&rng, 10);
      int N = 1 + dls_rng_below (&rng, 3), C = 1 + dls_rng_below (&rng, 3);

      if (i == 0)
        k = 2, s = 2, p = 0, H = 7, W = 9; /* U-Net's pooling on an odd size */
      if (i == 1)
        k = 2, s = 2, p = 0, H = 12, W = 10, N = 2, C = 3; /* its fast path, several planes */
      case_init (&c, "maxpool2d N%d C%d %d×%d k%d s%d p%d", N, C, H, W, k, s, p);
      c.a.pool.k = k, c.a.pool.s = s, c.a.pool.p = p;
      leaf_input (&c, "x", DLS_SHAPE (N, C, H, W), true, -1, 1, &rng);
      c.out = DLS_SHAPE (N, C, (H + 2 * p - k) / s + 1, (W + 2 * p - k) / s + 1);
      c.ref_forward = pool_fwd;
      c.ref_backward = pool_bwd;
      c.build = pool_build;
      check_case (&c, &rng);
      case_clear (&c);
    }
}

static void
up_fwd (Case *c, double *out)
{
  DlsShape s = c->leaf[0].shape;
  dls_ref_upsample_forward (out, c->leaf[0].v, s.n, s.c, s.h, s.w, c->out.h, c->out.w);
}

static void
up_bwd (Case *c, const double *dout, double **g)
{
  DlsShape s = c->leaf[0].shape;
  dls_ref_upsample_backward (g[0], dout, s.n, s.c, s.h, s.w, c->out.h, c->out.w);
}

static DlsNode
up_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_upsample_nearest (g, l[0], c->out.h, c->out.w);
}

static void
test_upsample_nearest (void)
{
  static const int sizes[][4] = { { 5, 7, 11, 13 }, { 6, 6, 12, 12 }, { 7, 5, 3, 4 },
                                  { 4, 4, 4, 4 },   { 3, 9, 10, 2 },  { 1, 1, 5, 3 } };

  for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      Case c;
      case_init (&c, "upsample_nearest %d×%d → %d×%d", sizes[i][0], sizes[i][1], sizes[i][2],
                 sizes[i][3]);
      leaf_input (&c, "x", DLS_SHAPE (2, 3, sizes[i][0], sizes[i][1]), true, -1, 1, &rng);
      c.out = DLS_SHAPE (2, 3, sizes[i][2], sizes[i][3]);
      c.ref_forward = up_fwd;
      c.ref_backward = up_bwd;
      c.build = up_build;
      check_case (&c, &rng);
      case_clear (&c);
    }
}

/* ---- linear ---- */

static void
linear_fwd (Case *c, double *out)
{
  dls_ref_linear_forward (out, c->leaf[0].v, c->leaf[1].v, c->n_leaves > 2 ? c->leaf[2].v : NULL,
                          c->out.n, c->leaf[0].shape.c, c->out.c);
}

static void
linear_bwd (Case *c, const double *dout, double **g)
{
  dls_ref_linear_backward (g[0], g[1], c->n_leaves > 2 ? g[2] : NULL, dout, c->leaf[0].v,
                           c->leaf[1].v, c->out.n, c->leaf[0].shape.c, c->out.c);
}

static DlsNode
linear_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_linear (g, l[0], l[1], c->n_leaves > 2 ? l[2] : DLS_NODE_NONE);
}

static void
test_linear (void)
{
  for (int i = 0; i < 12; i++)
    {
      Case c;
      int N = 1 + dls_rng_below (&rng, 5), IN = 1 + dls_rng_below (&rng, 33);
      int OUT = 1 + dls_rng_below (&rng, 9);
      case_init (&c, "linear N%d %d→%d", N, IN, OUT);
      leaf_input (&c, "x", DLS_SHAPE_FLAT (N, IN), true, -1, 1, &rng);
      leaf_weight (&c, "w", 2, (int64_t[]){ OUT, IN }, true, -0.5, 0.5, &rng);
      if (i % 3)
        leaf_weight (&c, "b", 1, (int64_t[]){ OUT }, true, -0.5, 0.5, &rng);
      c.out = DLS_SHAPE_FLAT (N, OUT);
      c.ref_forward = linear_fwd;
      c.ref_backward = linear_bwd;
      c.build = linear_build;
      check_case (&c, &rng);
      case_clear (&c);
    }
}

/* ---- batch norm ---- */

/* leaves: x, [gamma, beta], [running mean, running var, counter] */
static void
bn_parts (Case *c, const double **gamma, const double **beta, const double **mean,
          const double **var)
{
  int k = 1;

  *gamma = *beta = *mean = *var = NULL;
  if (c->a.bn.affine)
    {
      *gamma = c->leaf[1].v;
      *beta = c->leaf[2].v;
      k = 3;
    }
  if (c->a.bn.eval)
    {
      *mean = c->leaf[k].v;
      *var = c->leaf[k + 1].v;
    }
}

/* The BatchNorm's input: x, or relu(x) with the ReLU folded in (the reference composes the
 * two plain reference ops). */
static double *
bn_input (Case *c)
{
  int64_t n = c->leaf[0].n;
  double *x = g_memdup2 (c->leaf[0].v, sizeof (double) * n);

  if (c->a.bn.pre_relu)
    dls_ref_relu_forward (x, c->leaf[0].v, n);
  return x;
}

static void
bn_fwd (Case *c, double *out)
{
  const double *ga, *be, *m, *v;
  DlsShape s = c->leaf[0].shape;
  g_autofree double *x = bn_input (c);

  bn_parts (c, &ga, &be, &m, &v);
  dls_ref_batchnorm_forward (out, x, ga, be, m, v, s.n, s.c, s.h * s.w, c->a.bn.eps);
  if (c->a.bn.post_relu)
    dls_ref_relu_forward (out, out, c->leaf[0].n);
  if (c->a.bn.residual)
    for (int64_t k = 0; k < c->leaf[0].n; k++)
      out[k] += c->leaf[0].v[k];
}

static void
bn_bwd (Case *c, const double *dout, double **g)
{
  const double *dout_in = dout;
  const double *ga, *be, *m, *v;
  DlsShape s = c->leaf[0].shape;
  int64_t n = c->leaf[0].n;
  g_autofree double *x = bn_input (c), *dx = g_new0 (double, n);
  g_autofree double *y = NULL, *dy = NULL;

  bn_parts (c, &ga, &be, &m, &v);
  if (c->a.bn.post_relu)
    {
      /* the folded ReLU after: dY passes where the BatchNorm's output is positive */
      y = g_new (double, n);
      dy = g_new0 (double, n);
      dls_ref_batchnorm_forward (y, x, ga, be, m, v, s.n, s.c, s.h * s.w, c->a.bn.eps);
      dls_ref_relu_backward (dy, dout, y, n);
      dout = dy;
    }
  dls_ref_batchnorm_backward (dx, c->a.bn.affine ? g[1] : NULL, c->a.bn.affine ? g[2] : NULL,
                              dout, x, ga, m, v, s.n, s.c, s.h * s.w, c->a.bn.eps);
  if (c->a.bn.pre_relu)
    dls_ref_relu_backward (g[0], dx, c->leaf[0].v, n);
  else
    for (int64_t k = 0; k < n; k++)
      g[0][k] += dx[k];
  if (c->a.bn.residual)
    for (int64_t k = 0; k < n; k++)
      g[0][k] += dout_in[k];
}

static DlsNode
bn_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  DlsNode ga = DLS_NODE_NONE, be = DLS_NODE_NONE, m = DLS_NODE_NONE, v = DLS_NODE_NONE,
          cnt = DLS_NODE_NONE, y;
  int k = 1;
  DlsBatchNormArgs args = { .eps = c->a.bn.eps, .mode = c->a.bn.mode,
                            .pre_relu = c->a.bn.pre_relu, .post_relu = c->a.bn.post_relu };

  if (c->a.bn.affine)
    ga = l[1], be = l[2], k = 3;
  if (c->n_leaves > k)
    m = l[k], v = l[k + 1], cnt = l[k + 2];
  y = dls_graph_batchnorm (g, l[0], ga, be, m, v, cnt, &args);
  /* x + BatchNorm (x): the add writes x's gradient first, so BatchNorm adds to it */
  return c->a.bn.residual ? dls_graph_add (g, y, l[0]) : y;
}

/* residual: x + BatchNorm (x), so that BatchNorm's input gradient adds to another reader's */
static void
run_bn_case (DlsShape s, bool affine, bool eval, DlsBatchNormMode mode, bool pre_relu,
             bool post_relu, bool residual)
{
  Case c;

  case_init (&c, "%sbatchnorm %d×%d×%d×%d%s%s%s%s%s", residual ? "x + " : "", s.n, s.c, s.h, s.w,
             affine ? " affine" : "", eval ? " eval" : " train",
             mode == DLS_BN_BATCH_STATS ? " batch-stats" : "", pre_relu ? " pre-relu" : "",
             post_relu ? " post-relu" : "");
  c.a.bn.pre_relu = pre_relu;
  c.a.bn.post_relu = post_relu;
  c.a.bn.residual = residual;
  c.a.bn.eps = 1e-5f;
  c.a.bn.mode = mode;
  c.a.bn.affine = affine;
  c.a.bn.eval = eval;
  c.training = !eval;
  /* Batch statistics couple every pixel of a channel: second derivatives are large on tiny
   * batches, so finite differences get a looser bound there. */
  c.fd_tol = 1e-5;
  leaf_input (&c, "x", s, true, -2, 2, &rng);
  if (affine)
    {
      leaf_weight (&c, "gamma", 1, (int64_t[]){ s.c }, true, 0.5, 1.5, &rng);
      leaf_weight (&c, "beta", 1, (int64_t[]){ s.c }, true, -0.5, 0.5, &rng);
    }
  if (mode == DLS_BN_RUNNING_STATS)
    {
      leaf_buffer (&c, "running_mean", s.c, -0.5, 0.5, &rng);
      leaf_buffer (&c, "running_var", s.c, 0.5, 2.0, &rng);
      leaf_counter (&c, "num_batches_tracked");
    }
  c.out = s;
  c.ref_forward = bn_fwd;
  c.ref_backward = bn_bwd;
  c.build = bn_build;
  check_case (&c, &rng);
  case_clear (&c);
}

static void
run_bn_relu (DlsShape s, bool affine, bool eval, DlsBatchNormMode mode, bool pre_relu,
             bool post_relu)
{
  run_bn_case (s, affine, eval, mode, pre_relu, post_relu, false);
}

static void
run_bn_full (DlsShape s, bool affine, bool eval, DlsBatchNormMode mode, bool pre_relu)
{
  run_bn_relu (s, affine, eval, mode, pre_relu, false);
}

static void
run_bn (DlsShape s, bool affine, bool eval, DlsBatchNormMode mode)
{
  run_bn_full (s, affine, eval, mode, false);
}

static void
test_batchnorm (void)
{
  run_bn (DLS_SHAPE (2, 3, 5, 7), true, false, DLS_BN_RUNNING_STATS);
  run_bn (DLS_SHAPE (3, 2, 4, 1), false, false, DLS_BN_RUNNING_STATS);
  run_bn (DLS_SHAPE (1, 4, 9, 8), true, true, DLS_BN_RUNNING_STATS);
  run_bn (DLS_SHAPE (2, 3, 6, 5), true, true, DLS_BN_BATCH_STATS); /* eval, still batch */
  run_bn (DLS_SHAPE (2, 5, 3, 3), false, false, DLS_BN_BATCH_STATS);
  /* BatchNorm1d: (N, C) */
  run_bn (DLS_SHAPE_FLAT (6, 4), true, false, DLS_BN_RUNNING_STATS);
  run_bn (DLS_SHAPE_FLAT (5, 3), true, true, DLS_BN_RUNNING_STATS);
  /* large enough to run on several tasks */
  run_bn (DLS_SHAPE (2, 3, 71, 73), true, false, DLS_BN_RUNNING_STATS);
  /* with the ReLU folded in: train, eval, batch statistics, several tasks */
  run_bn_full (DLS_SHAPE (2, 3, 5, 7), true, false, DLS_BN_RUNNING_STATS, true);
  run_bn_full (DLS_SHAPE (1, 4, 9, 8), true, true, DLS_BN_RUNNING_STATS, true);
  run_bn_full (DLS_SHAPE (2, 5, 3, 3), false, false, DLS_BN_BATCH_STATS, true);
  run_bn_full (DLS_SHAPE (2, 3, 71, 73), true, false, DLS_BN_RUNNING_STATS, true);
  /* with the ReLU after it folded in (conv → BN → ReLU) */
  run_bn_relu (DLS_SHAPE (2, 3, 5, 7), true, false, DLS_BN_RUNNING_STATS, false, true);
  run_bn_relu (DLS_SHAPE (1, 4, 9, 8), true, true, DLS_BN_RUNNING_STATS, false, true);
  run_bn_relu (DLS_SHAPE (2, 5, 3, 3), false, false, DLS_BN_BATCH_STATS, false, true);
  run_bn_relu (DLS_SHAPE (2, 5, 6, 5), true, true, DLS_BN_BATCH_STATS, false, true);
  run_bn_relu (DLS_SHAPE (2, 3, 71, 73), true, false, DLS_BN_RUNNING_STATS, false, true);
  run_bn_relu (DLS_SHAPE (1, 5, 67, 61), false, false, DLS_BN_BATCH_STATS, false, true);
  run_bn_relu (DLS_SHAPE (2, 3, 45, 43), true, true, DLS_BN_RUNNING_STATS, false, true);
  run_bn_relu (DLS_SHAPE (2, 3, 9, 10), true, false, DLS_BN_BATCH_STATS, true, true);
  /* the input gradient added to another reader's, with each fold */
  run_bn_case (DLS_SHAPE (2, 3, 9, 37), true, false, DLS_BN_BATCH_STATS, false, false, true);
  run_bn_case (DLS_SHAPE (1, 4, 11, 35), true, false, DLS_BN_BATCH_STATS, true, false, true);
  run_bn_case (DLS_SHAPE (2, 3, 9, 37), true, false, DLS_BN_BATCH_STATS, false, true, true);
  run_bn_case (DLS_SHAPE (1, 2, 13, 41), true, false, DLS_BN_BATCH_STATS, true, true, true);
}

/* ---- activations ---- */

static void
relu_fwd (Case *c, double *o)
{
  dls_ref_relu_forward (o, c->leaf[0].v, c->leaf[0].n);
}

static void
relu_bwd (Case *c, const double *d, double **g)
{
  dls_ref_relu_backward (g[0], d, c->leaf[0].v, c->leaf[0].n);
}

static DlsNode
relu_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_relu (g, l[0]);
}

static void
sig_fwd (Case *c, double *o)
{
  dls_ref_sigmoid_forward (o, c->leaf[0].v, c->leaf[0].n);
}

static void
sig_bwd (Case *c, const double *d, double **g)
{
  dls_ref_sigmoid_backward (g[0], d, c->leaf[0].v, c->leaf[0].n);
}

static DlsNode
sig_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_sigmoid (g, l[0]);
}

static void
soft_fwd (Case *c, double *o)
{
  DlsShape s = c->leaf[0].shape;
  dls_ref_softmax_forward (o, c->leaf[0].v, s.n, s.c, s.h * s.w);
}

static void
soft_bwd (Case *c, const double *d, double **g)
{
  DlsShape s = c->leaf[0].shape;
  dls_ref_softmax_backward (g[0], d, c->leaf[0].v, s.n, s.c, s.h * s.w);
}

static DlsNode
soft_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_softmax (g, l[0]);
}

static void
run_unary (const char *name, DlsShape s, void (*fwd) (Case *, double *),
           void (*bwd) (Case *, const double *, double **),
           DlsNode (*build) (Case *, DlsGraph *, const DlsNode *), double lo, double hi)
{
  Case c;

  case_init (&c, "%s %d×%d×%d×%d", name, s.n, s.c, s.h, s.w);
  leaf_input (&c, "x", s, true, lo, hi, &rng);
  /* keep clear of relu's kink, where finite differences are meaningless */
  for (int64_t i = 0; i < c.leaf[0].n; i++)
    if (fabs (c.leaf[0].v[i]) < 1e-3)
      c.leaf[0].v[i] = 0.5;
  c.out = s;
  c.ref_forward = fwd;
  c.ref_backward = bwd;
  c.build = build;
  check_case (&c, &rng);
  case_clear (&c);
}

static void
test_activations (void)
{
  DlsShape shapes[] = { DLS_SHAPE (2, 3, 4, 5), DLS_SHAPE (1, 1, 1, 9), DLS_SHAPE_FLAT (3, 7),
                        DLS_SHAPE (2, 4, 67, 71) };

  for (size_t i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      run_unary ("relu", shapes[i], relu_fwd, relu_bwd, relu_build, -1, 1);
      run_unary ("sigmoid", shapes[i], sig_fwd, sig_bwd, sig_build, -4, 4);
      run_unary ("softmax", shapes[i], soft_fwd, soft_bwd, soft_build, -3, 3);
    }
}

/* Dropout is linear once its mask is drawn: check the mask's statistics, its scaling, that the
 * gradient follows the same mask, that eval mode is the identity, and that the mask depends on
 * the seed only. */
static void
test_dropout (void)
{
  const int n = 20000;
  const float p = 0.3f;
  g_autofree float *x = g_new (float, n), *y = g_new (float, n), *y2 = g_new (float, n);
  g_autofree float *gx = g_new (float, n), *ones = g_new (float, n);
  int dropped = 0;

  for (int i = 0; i < n; i++)
    x[i] = 1.0f + (i % 7), ones[i] = 1.0f;

  for (int pass = 0; pass < 3; pass++)
    {
      DlsGraph *g = dls_graph_new (NULL);
      DlsNode in = dls_graph_input (g, "x", DLS_SHAPE (4, 5, 20, 50), true);
      DlsNode out = dls_graph_dropout (g, in, p);

      g_assert_true (dls_graph_compile (g, true, NULL));
      dls_graph_set_seed (g, pass < 2 ? 42 : 43);
      dls_graph_set_input (g, in, x, NULL);
      dls_graph_forward (g);
      dls_graph_read (g, out, pass == 0 ? y : y2);
      if (pass == 0)
        {
          dls_graph_backward (g, out, ones);
          dls_graph_read_grad (g, in, gx);
          for (int i = 0; i < n; i++)
            {
              if (y[i] == 0.0f)
                {
                  dropped++;
                  g_assert_cmpfloat (gx[i], ==, 0.0f);
                }
              else
                {
                  g_assert_cmpfloat_with_epsilon (y[i], x[i] / (1 - p), 1e-5);
                  g_assert_cmpfloat_with_epsilon (gx[i], 1 / (1 - p), 1e-6);
                }
            }
          /* binomial: 6000 ± 65, so ±400 is six sigma */
          g_assert_cmpint (abs (dropped - (int) (p * n)), <, 400);
          /* eval mode: identity, gradient one */
          dls_graph_set_training (g, false);
          dls_graph_forward (g);
          dls_graph_read (g, out, y2);
          g_assert_cmpmem (y2, sizeof (float) * n, x, sizeof (float) * n);
        }
      else if (pass == 1)
        g_assert_cmpmem (y2, sizeof (float) * n, y, sizeof (float) * n);
      else
        g_assert_true (memcmp (y2, y, sizeof (float) * n) != 0);
      dls_graph_free (g);
    }
}

/* ---- shape ops ---- */

static void
concat_fwd (Case *c, double *out)
{
  DlsShape s = c->out;
  int64_t hw = (int64_t) s.h * s.w;
  int c0 = 0;

  for (int i = 0; i < c->n_leaves; i++)
    {
      DlsShape t = c->leaf[i].shape;
      for (int n = 0; n < s.n; n++)
        memcpy (out + ((int64_t) n * s.c + c0) * hw, c->leaf[i].v + (int64_t) n * t.c * hw,
                sizeof (double) * t.c * hw);
      c0 += t.c;
    }
}

static void
concat_bwd (Case *c, const double *dout, double **g)
{
  DlsShape s = c->out;
  int64_t hw = (int64_t) s.h * s.w;
  int c0 = 0;

  for (int i = 0; i < c->n_leaves; i++)
    {
      DlsShape t = c->leaf[i].shape;
      for (int n = 0; n < s.n; n++)
        for (int64_t k = 0; k < t.c * hw; k++)
          g[i][(int64_t) n * t.c * hw + k] += dout[((int64_t) n * s.c + c0) * hw + k];
      c0 += t.c;
    }
}

static DlsNode
concat_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_concat (g, c->n_leaves, l);
}

static void
slice_fwd (Case *c, double *out)
{
  DlsShape s = c->leaf[0].shape;
  int64_t hw = (int64_t) s.h * s.w;
  int w = c->a.slice.c1 - c->a.slice.c0;

  for (int n = 0; n < s.n; n++)
    memcpy (out + (int64_t) n * w * hw, c->leaf[0].v + ((int64_t) n * s.c + c->a.slice.c0) * hw,
            sizeof (double) * w * hw);
}

static void
slice_bwd (Case *c, const double *dout, double **g)
{
  DlsShape s = c->leaf[0].shape;
  int64_t hw = (int64_t) s.h * s.w;
  int w = c->a.slice.c1 - c->a.slice.c0;

  for (int n = 0; n < s.n; n++)
    for (int64_t k = 0; k < w * hw; k++)
      g[0][((int64_t) n * s.c + c->a.slice.c0) * hw + k] += dout[(int64_t) n * w * hw + k];
}

/* A slice of a computed tensor (scale by one), so that it is a view into a real buffer. */
static DlsNode
slice_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_slice (g, dls_graph_scale (g, l[0], 1.0f), c->a.slice.c0, c->a.slice.c1);
}

static void
copy_fwd (Case *c, double *out)
{
  memcpy (out, c->leaf[0].v, sizeof (double) * c->leaf[0].n);
}

static void
copy_bwd (Case *c, const double *dout, double **g)
{
  for (int64_t i = 0; i < c->leaf[0].n; i++)
    g[0][i] += dout[i];
}

static DlsNode
reshape_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_reshape (g, l[0], c->out);
}

static DlsNode
flatten_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_flatten (g, l[0]);
}

static void
add_fwd (Case *c, double *out)
{
  for (int64_t i = 0; i < c->leaf[0].n; i++)
    out[i] = c->leaf[0].v[i] + c->leaf[1].v[i];
}

static void
add_bwd (Case *c, const double *dout, double **g)
{
  for (int64_t i = 0; i < c->leaf[0].n; i++)
    g[0][i] += dout[i], g[1][i] += dout[i];
}

static DlsNode
add_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_add (g, l[0], l[1]);
}

static void
scale_fwd (Case *c, double *out)
{
  for (int64_t i = 0; i < c->leaf[0].n; i++)
    out[i] = (float) c->a.scale * c->leaf[0].v[i];
}

static void
scale_bwd (Case *c, const double *dout, double **g)
{
  for (int64_t i = 0; i < c->leaf[0].n; i++)
    g[0][i] += (float) c->a.scale * dout[i];
}

static DlsNode
scale_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_scale (g, l[0], (float) c->a.scale);
}

static void
run_simple (Case *c, void (*fwd) (Case *, double *),
            void (*bwd) (Case *, const double *, double **),
            DlsNode (*build) (Case *, DlsGraph *, const DlsNode *))
{
  c->ref_forward = fwd;
  c->ref_backward = bwd;
  c->build = build;
  check_case (c, &rng);
  case_clear (c);
}

static void
test_shape_ops (void)
{
  Case c;

  case_init (&c, "concat of three");
  leaf_input (&c, "a", DLS_SHAPE (2, 1, 5, 7), true, -1, 1, &rng);
  leaf_input (&c, "b", DLS_SHAPE (2, 3, 5, 7), true, -1, 1, &rng);
  leaf_input (&c, "c", DLS_SHAPE (2, 2, 5, 7), true, -1, 1, &rng);
  c.out = DLS_SHAPE (2, 6, 5, 7);
  run_simple (&c, concat_fwd, concat_bwd, concat_build);

  case_init (&c, "slice 2:5 of 6");
  leaf_input (&c, "x", DLS_SHAPE (3, 6, 4, 3), true, -1, 1, &rng);
  c.a.slice.c0 = 2, c.a.slice.c1 = 5;
  c.out = DLS_SHAPE (3, 3, 4, 3);
  run_simple (&c, slice_fwd, slice_bwd, slice_build);

  case_init (&c, "reshape 2×3×4×5 → 2×6×2×5");
  leaf_input (&c, "x", DLS_SHAPE (2, 3, 4, 5), true, -1, 1, &rng);
  c.out = DLS_SHAPE (2, 6, 2, 5);
  run_simple (&c, copy_fwd, copy_bwd, reshape_build);

  case_init (&c, "flatten 3×2×3×5");
  leaf_input (&c, "x", DLS_SHAPE (3, 2, 3, 5), true, -1, 1, &rng);
  c.out = DLS_SHAPE_FLAT (3, 30);
  run_simple (&c, copy_fwd, copy_bwd, flatten_build);

  case_init (&c, "add");
  leaf_input (&c, "a", DLS_SHAPE (2, 3, 4, 5), true, -1, 1, &rng);
  leaf_input (&c, "b", DLS_SHAPE (2, 3, 4, 5), true, -1, 1, &rng);
  c.out = DLS_SHAPE (2, 3, 4, 5);
  run_simple (&c, add_fwd, add_bwd, add_build);

  case_init (&c, "scale by −1.5");
  leaf_input (&c, "x", DLS_SHAPE (2, 3, 4, 5), true, -1, 1, &rng);
  c.a.scale = -1.5;
  c.out = DLS_SHAPE (2, 3, 4, 5);
  run_simple (&c, scale_fwd, scale_bwd, scale_build);
}

/* ---- losses ---- */

static void
ce_fwd (Case *c, double *out)
{
  DlsShape s = c->leaf[0].shape;
  out[0]
      = dls_ref_cross_entropy_forward (c->leaf[0].v, c->leaf[1].labels, s.n, s.c, s.h * s.w,
                                       c->a.ce.ignore, c->a.ce.weighted ? c->a.ce.weights : NULL);
}

static void
ce_bwd (Case *c, const double *dout, double **g)
{
  DlsShape s = c->leaf[0].shape;
  dls_ref_cross_entropy_backward (g[0], dout[0], c->leaf[0].v, c->leaf[1].labels, s.n, s.c,
                                  s.h * s.w, c->a.ce.ignore,
                                  c->a.ce.weighted ? c->a.ce.weights : NULL);
}

static DlsNode
ce_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  float w[8];

  for (int k = 0; k < 8; k++)
    w[k] = (float) c->a.ce.weights[k];
  return dls_graph_cross_entropy (g, l[0], l[1], c->a.ce.ignore, c->a.ce.weighted ? w : NULL);
}

static void
run_ce (DlsShape s, bool weighted, double ignore_fraction)
{
  Case c;

  case_init (&c, "cross_entropy %d×%d×%d×%d%s, %.0f%% ignored", s.n, s.c, s.h, s.w,
             weighted ? " weighted" : "", 100 * ignore_fraction);
  c.a.ce.ignore = -1;
  c.a.ce.weighted = weighted;
  for (int k = 0; k < 8; k++)
    c.a.ce.weights[k] = (float) (0.25 + k * 0.5);
  leaf_input (&c, "logits", s, true, -3, 3, &rng);
  leaf_labels (&c, "labels", s.n, s.h, s.w, s.c, -1, ignore_fraction, &rng);
  c.out = DLS_SHAPE_FLAT (1, 1);
  run_simple (&c, ce_fwd, ce_bwd, ce_build);
}

static void
masked_fwd (Case *c, double *out)
{
  out[0]
      = dls_ref_masked_forward (c->leaf[0].v, c->leaf[1].v, c->a.loss.masked ? c->leaf[2].v : NULL,
                                c->leaf[0].n, c->a.loss.l1);
}

static void
masked_bwd (Case *c, const double *dout, double **g)
{
  dls_ref_masked_backward (g[0], g[1], dout[0], c->leaf[0].v, c->leaf[1].v,
                           c->a.loss.masked ? c->leaf[2].v : NULL, c->leaf[0].n, c->a.loss.l1);
}

static DlsNode
masked_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  DlsNode m = c->a.loss.masked ? l[2] : DLS_NODE_NONE;
  return c->a.loss.l1 ? dls_graph_l1_masked (g, l[0], l[1], m)
                      : dls_graph_mse_masked (g, l[0], l[1], m);
}

static void
binary_fwd (Case *c, double *out)
{
  const double *p = c->leaf[0].v, *t = c->leaf[1].v;
  int64_t n = c->leaf[0].n;

  if (c->a.loss.gamma > 0)
    out[0] = dls_ref_focal_forward (p, t, n, c->a.loss.alpha, c->a.loss.gamma);
  else if (c->a.loss.beta > 0)
    out[0] = dls_ref_tversky_forward (p, t, n, c->a.loss.alpha, c->a.loss.beta, c->a.loss.smooth);
  else
    out[0] = dls_ref_dice_forward (p, t, n, c->a.loss.smooth);
}

static void
binary_bwd (Case *c, const double *dout, double **g)
{
  const double *p = c->leaf[0].v, *t = c->leaf[1].v;
  int64_t n = c->leaf[0].n;

  if (c->a.loss.gamma > 0)
    dls_ref_focal_backward (g[0], dout[0], p, t, n, c->a.loss.alpha, c->a.loss.gamma);
  else if (c->a.loss.beta > 0)
    dls_ref_tversky_backward (g[0], dout[0], p, t, n, c->a.loss.alpha, c->a.loss.beta,
                              c->a.loss.smooth);
  else
    dls_ref_dice_backward (g[0], dout[0], p, t, n, c->a.loss.smooth);
}

static DlsNode
binary_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  if (c->a.loss.gamma > 0)
    return dls_graph_focal (g, l[0], l[1], c->a.loss.alpha, c->a.loss.gamma);
  if (c->a.loss.beta > 0)
    return dls_graph_tversky (g, l[0], l[1], c->a.loss.alpha, c->a.loss.beta, c->a.loss.smooth);
  return dls_graph_dice (g, l[0], l[1], c->a.loss.smooth);
}

/* the benchmarks' median: odd and even counts, any order, repeated values */
static void
test_median (void)
{
  double odd[] = { 5, 1, 4, 2, 3 }, even[] = { 8, -1, 3, 2 }, one[] = { 7 };
  double same[] = { 2, 9, 2, 2 };

  g_assert_cmpfloat (dls_median (odd, 5), ==, 3);
  g_assert_cmpfloat (dls_median (even, 4), ==, 2.5);
  g_assert_cmpfloat (dls_median (one, 1), ==, 7);
  g_assert_cmpfloat (dls_median (same, 4), ==, 2);
}

static void
test_losses (void)
{
  DlsShape s = DLS_SHAPE (2, 3, 5, 7);
  Case c;

  run_ce (DLS_SHAPE (2, 4, 3, 5), false, 0.3);
  run_ce (DLS_SHAPE (2, 4, 3, 5), true, 0.3);
  run_ce (DLS_SHAPE (3, 2, 9, 11), true, 0.0);
  run_ce (DLS_SHAPE (2, 5, 70, 67), true, 0.6); /* several tasks */

  for (int l1 = 0; l1 < 2; l1++)
    for (int masked = 0; masked < 2; masked++)
      {
        case_init (&c, "%s%s", l1 ? "l1" : "mse", masked ? " masked" : "");
        c.a.loss.l1 = l1;
        c.a.loss.masked = masked;
        leaf_input (&c, "pred", s, true, -1, 1, &rng);
        leaf_input (&c, "target", s, true, -1, 1, &rng);
        if (masked)
          {
            leaf_input (&c, "mask", s, false, 0, 1, &rng);
            /* a binary mask, as for detector gaps, with some fractional weights */
            for (int64_t i = 0; i < c.leaf[2].n; i++)
              c.leaf[2].v[i] = i % 3 == 0 ? 0.0 : i % 3 == 1 ? 1.0 : c.leaf[2].v[i];
          }
        c.out = DLS_SHAPE_FLAT (1, 1);
        run_simple (&c, masked_fwd, masked_bwd, masked_build);
      }

  for (int kind = 0; kind < 3; kind++)
    {
      case_init (&c, "%s", kind == 0 ? "dice" : kind == 1 ? "focal" : "tversky");
      c.a.loss.smooth = 1.0;
      if (kind == 1)
        c.a.loss.alpha = 0.8, c.a.loss.gamma = 0.5;
      if (kind == 2)
        c.a.loss.alpha = 0.75, c.a.loss.beta = 0.25;
      leaf_input (&c, "p", s, true, 0.05, 0.95, &rng);
      leaf_input (&c, "t", s, false, 0, 1, &rng);
      for (int64_t i = 0; i < c.leaf[1].n; i++)
        if (i % 2)
          c.leaf[1].v[i] = c.leaf[1].v[i] > 0.5; /* mostly hard targets */
      c.out = DLS_SHAPE_FLAT (1, 1);
      run_simple (&c, binary_fwd, binary_bwd, binary_build);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dls_rng_init (&rng, SEED);

  g_test_add_func ("/engine/conv2d/dilated", test_conv2d_dilated);
  g_test_add_func ("/engine/conv2d/direct-wide", test_conv2d_direct_wide);
  g_test_add_func ("/engine/conv2d/block", test_conv2d_block);
  g_test_add_func ("/engine/conv2d/wide-block", test_conv2d_wide_block);
  g_test_add_func ("/engine/conv2d/random", test_conv2d_random);
  g_test_add_func ("/engine/conv-transpose2d/random", test_conv_transpose2d);
  g_test_add_func ("/engine/maxpool2d", test_maxpool2d);
  g_test_add_func ("/engine/upsample-nearest", test_upsample_nearest);
  g_test_add_func ("/engine/linear", test_linear);
  g_test_add_func ("/engine/batchnorm", test_batchnorm);
  g_test_add_func ("/engine/activations", test_activations);
  g_test_add_func ("/engine/dropout", test_dropout);
  g_test_add_func ("/engine/shape-ops", test_shape_ops);
  g_test_add_func ("/engine/losses", test_losses);
  g_test_add_func ("/engine/median", test_median);
  return g_test_run ();
}
