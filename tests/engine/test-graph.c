/* SPDX-License-Identifier: MIT
 *
 * test-graph.c: graphs as a whole.  Composite networks against composed reference loops
 * (a mixed-scale dense stack that lives in one buffer, reflect-padded chains), the memory plan
 * (no copies of the growing stack, reuse in inference graphs), build errors reported as
 * GErrors, cancellation, thread settings, shared parameters and the op table.
 */
#include "check.h"
#include "engine-private.h"

#include <cblas.h>
#include <math.h>

static DlsRng rng;

/* ---- the op table ---- */

static void
test_op_table (void)
{
  for (int op = 0; op < DLS_OP_COUNT; op++)
    {
      const DlsOpInfo *info = dls_op_info (op);
      g_assert_nonnull (info);
      g_assert_cmpint (info->op, ==, op);
      g_assert_nonnull (info->name);
      g_assert_nonnull (info->forward);
    }
}

/* ---- a mixed-scale dense stack: y_i = relu(conv_i(stack[0 : C + i])), stack grows by one
 * channel per layer, then a 1×1 conv over the whole stack.  Pelt & Sethian's layout, the one
 * the planner keeps in one buffer. ---- */

#define MSD_LAYERS 5

typedef struct
{
  int N, C, H, W, L;
} Msd;

static Msd msd;

static DlsConvGeom
msd_geom (int i)
{
  int d = 1 + i % 3;
  return (DlsConvGeom){ .N = msd.N,
                        .C = msd.C + i,
                        .H = msd.H,
                        .W = msd.W,
                        .OC = 1,
                        .OH = msd.H,
                        .OW = msd.W,
                        .KH = 3,
                        .KW = 3,
                        .stride = 1,
                        .pad = d,
                        .dil = d };
}

static DlsConvGeom
msd_final_geom (void)
{
  return (DlsConvGeom){ .N = msd.N,
                        .C = msd.C + msd.L,
                        .H = msd.H,
                        .W = msd.W,
                        .OC = 2,
                        .OH = msd.H,
                        .OW = msd.W,
                        .KH = 1,
                        .KW = 1,
                        .stride = 1,
                        .dil = 1 };
}

/* stack (N, C + L, H, W) from the leaves; pre[i] keeps layer i's pre-activation */
static void
msd_stack (Case *c, double *stack, double **pre)
{
  int64_t hw = (int64_t) msd.H * msd.W, ct = msd.C + msd.L;

  for (int n = 0; n < msd.N; n++)
    memcpy (stack + n * ct * hw, c->leaf[0].v + (int64_t) n * msd.C * hw,
            sizeof (double) * msd.C * hw);
  for (int i = 0; i < msd.L; i++)
    {
      DlsConvGeom g = msd_geom (i);
      g_autofree double *in = g_new (double, msd.N *g.C *hw);
      for (int n = 0; n < msd.N; n++)
        memcpy (in + n * g.C * hw, stack + n * ct * hw, sizeof (double) * g.C * hw);
      dls_ref_conv2d_forward (pre[i], in, c->leaf[1 + 2 * i].v, c->leaf[2 + 2 * i].v, &g);
      for (int n = 0; n < msd.N; n++)
        dls_ref_relu_forward (stack + (n * ct + g.C) * hw, pre[i] + n * hw, hw);
    }
}

static void
msd_fwd (Case *c, double *out)
{
  int64_t hw = (int64_t) msd.H * msd.W, ct = msd.C + msd.L;
  g_autofree double *stack = g_new (double, msd.N *ct *hw);
  double *pre[MSD_LAYERS];
  DlsConvGeom fg = msd_final_geom ();

  for (int i = 0; i < msd.L; i++)
    pre[i] = g_new (double, msd.N *hw);
  msd_stack (c, stack, pre);
  dls_ref_conv2d_forward (out, stack, c->leaf[1 + 2 * msd.L].v, c->leaf[2 + 2 * msd.L].v, &fg);
  for (int i = 0; i < msd.L; i++)
    g_free (pre[i]);
}

static void
msd_bwd (Case *c, const double *dout, double **grads)
{
  int64_t hw = (int64_t) msd.H * msd.W, ct = msd.C + msd.L;
  g_autofree double *stack = g_new (double, msd.N *ct *hw);
  g_autofree double *dstack = g_new0 (double, msd.N *ct *hw);
  double *pre[MSD_LAYERS];
  DlsConvGeom fg = msd_final_geom ();

  for (int i = 0; i < msd.L; i++)
    pre[i] = g_new (double, msd.N *hw);
  msd_stack (c, stack, pre);
  dls_ref_conv2d_backward (dstack, grads[1 + 2 * msd.L], grads[2 + 2 * msd.L], dout, stack,
                           c->leaf[1 + 2 * msd.L].v, &fg);
  for (int i = msd.L - 1; i >= 0; i--)
    {
      DlsConvGeom g = msd_geom (i);
      g_autofree double *in = g_new (double, msd.N *g.C *hw);
      g_autofree double *din = g_new0 (double, msd.N *g.C *hw);
      g_autofree double *dpre = g_new0 (double, msd.N *hw);
      for (int n = 0; n < msd.N; n++)
        {
          memcpy (in + n * g.C * hw, stack + n * ct * hw, sizeof (double) * g.C * hw);
          dls_ref_relu_backward (dpre + n * hw, dstack + (n * ct + g.C) * hw, pre[i] + n * hw, hw);
        }
      dls_ref_conv2d_backward (din, grads[1 + 2 * i], grads[2 + 2 * i], dpre, in,
                               c->leaf[1 + 2 * i].v, &g);
      for (int n = 0; n < msd.N; n++)
        for (int64_t k = 0; k < g.C * hw; k++)
          dstack[n * ct * hw + k] += din[n * g.C * hw + k];
    }
  for (int n = 0; n < msd.N; n++)
    for (int64_t k = 0; k < msd.C * hw; k++)
      grads[0][n * msd.C * hw + k] += dstack[n * ct * hw + k];
  for (int i = 0; i < msd.L; i++)
    g_free (pre[i]);
}

/* The engine side: one growing concat per layer, each layer reading a slice of the last. */
static DlsNode
msd_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  DlsNode stack = l[0];

  for (int i = 0; i < msd.L; i++)
    {
      DlsConvGeom geo = msd_geom (i);
      DlsNode y = dls_graph_conv2d (g, stack, l[1 + 2 * i], l[2 + 2 * i],
                                    &(DlsConvArgs){ .padding = geo.pad, .dilation = geo.dil });
      DlsNode parts[2] = { stack, dls_graph_relu (g, y) };
      stack = dls_graph_concat (g, 2, parts);
    }
  return dls_graph_conv2d (g, stack, l[1 + 2 * msd.L], l[2 + 2 * msd.L], NULL);
}

static void
msd_case (Case *c, int N, int C, int H, int W)
{
  msd = (Msd){ N, C, H, W, MSD_LAYERS };
  case_init (c, "msd stack N%d C%d %d×%d, %d layers", N, C, H, W, msd.L);
  leaf_input (c, "x", DLS_SHAPE (N, C, H, W), true, -1, 1, &rng);
  for (int i = 0; i < msd.L; i++)
    {
      char wn[16], bn[16];
      g_snprintf (wn, sizeof wn, "w%d", i);
      g_snprintf (bn, sizeof bn, "b%d", i);
      leaf_weight (c, wn, 4, (int64_t[]){ 1, C + i, 3, 3 }, true, -0.5, 0.5, &rng);
      leaf_weight (c, bn, 1, (int64_t[]){ 1 }, true, 0.05, 0.3, &rng);
    }
  leaf_weight (c, "wf", 4, (int64_t[]){ 2, C + msd.L, 1, 1 }, true, -0.5, 0.5, &rng);
  leaf_weight (c, "bf", 1, (int64_t[]){ 2 }, true, -0.5, 0.5, &rng);
  c->out = DLS_SHAPE (N, 2, H, W);
  c->ref_forward = msd_fwd;
  c->ref_backward = msd_bwd;
  c->build = msd_build;
  c->fd_tol = 1e-5;
}

static void
test_msd_stack (void)
{
  Case c;

  msd_case (&c, 2, 1, 9, 11);
  check_case (&c, &rng);
  case_clear (&c);
  msd_case (&c, 1, 2, 13, 40);
  check_case (&c, &rng);
  case_clear (&c);
}

/* The stack is one buffer: memory grows linearly with depth, not quadratically. */
static void
test_msd_stack_memory (void)
{
  const int S = 64;
  size_t bytes[2];
  int depths[2] = { 10, 40 };

  for (int k = 0; k < 2; k++)
    {
      DlsGraph *g = dls_graph_new (NULL);
      DlsNode stack = dls_graph_input (g, "x", DLS_SHAPE (1, 1, S, S), false);
      for (int i = 0; i < depths[k]; i++)
        {
          char wn[16], bn[16];
          DlsNode parts[2], y;
          g_snprintf (wn, sizeof wn, "w%d", i);
          g_snprintf (bn, sizeof bn, "b%d", i);
          y = dls_graph_conv2d (g, stack, dls_graph_param (g, wn, 4, (int64_t[]){ 1, 1 + i, 3, 3 }),
                                dls_graph_param (g, bn, 1, (int64_t[]){ 1 }),
                                &(DlsConvArgs){ .padding = 1 + i % 10, .dilation = 1 + i % 10 });
          parts[0] = stack;
          parts[1] = y;
          stack = dls_graph_concat (g, 2, parts);
        }
      g_assert_true (dls_graph_compile (g, true, NULL));
      bytes[k] = dls_graph_arena_bytes (g);
      {
        /* values + gradients of 1 + depth planes with a halo of 10 (the largest dilation),
         * plus per-layer scratch: anything quadratic would be ~depth/2 times this */
        double plane = 4.0 * (S + 20) * (S + 20);
        double bound = 2.0 * (1 + depths[k]) * plane * 1.25 + (4 << 20);
        g_assert_cmpfloat ((double) bytes[k], <, bound);
      }
      dls_graph_free (g);
    }
  /* four times the depth, about four times the memory */
  g_assert_cmpfloat ((double) bytes[1] / bytes[0], <, 4.5);
}

/* ---- reflect-padded chain with a skip: conv(reflect, d2) → relu → conv(reflect, d3), added
 * to a zero-padded strided branch's upsampled result.  Halo fill and fold between layers. ---- */

/* the middle width: 3 runs the direct kernels, 12 the GEMM path with halo'd outputs */
static int chain_mid;

static DlsConvGeom
chain_geom (int i, int N, int C, int H, int W)
{
  if (i == 0)
    return (DlsConvGeom){ .N = N,
                          .C = C,
                          .H = H,
                          .W = W,
                          .OC = chain_mid,
                          .OH = H,
                          .OW = W,
                          .KH = 3,
                          .KW = 3,
                          .stride = 1,
                          .pad = 2,
                          .dil = 2,
                          .mode = DLS_PAD_REFLECT };
  return (DlsConvGeom){ .N = N,
                        .C = chain_mid,
                        .H = H,
                        .W = W,
                        .OC = 2,
                        .OH = H,
                        .OW = W,
                        .KH = 3,
                        .KW = 3,
                        .stride = 1,
                        .pad = 3,
                        .dil = 3,
                        .mode = DLS_PAD_REFLECT };
}

static void
chain_fwd (Case *c, double *out)
{
  DlsShape s = c->leaf[0].shape;
  DlsConvGeom g0 = chain_geom (0, s.n, s.c, s.h, s.w), g1 = chain_geom (1, s.n, s.c, s.h, s.w);
  int64_t m = (int64_t) s.n * chain_mid * s.h * s.w;
  g_autofree double *a = g_new (double, m), *r = g_new (double, m);

  dls_ref_conv2d_forward (a, c->leaf[0].v, c->leaf[1].v, NULL, &g0);
  dls_ref_relu_forward (r, a, m);
  dls_ref_conv2d_forward (out, r, c->leaf[2].v, c->leaf[3].v, &g1);
}

static void
chain_bwd (Case *c, const double *dout, double **grads)
{
  DlsShape s = c->leaf[0].shape;
  DlsConvGeom g0 = chain_geom (0, s.n, s.c, s.h, s.w), g1 = chain_geom (1, s.n, s.c, s.h, s.w);
  int64_t m = (int64_t) s.n * chain_mid * s.h * s.w;
  g_autofree double *a = g_new (double, m), *r = g_new (double, m);
  g_autofree double *dr = g_new0 (double, m), *da = g_new0 (double, m);

  dls_ref_conv2d_forward (a, c->leaf[0].v, c->leaf[1].v, NULL, &g0);
  dls_ref_relu_forward (r, a, m);
  dls_ref_conv2d_backward (dr, grads[2], grads[3], dout, r, c->leaf[2].v, &g1);
  dls_ref_relu_backward (da, dr, a, m);
  dls_ref_conv2d_backward (grads[0], grads[1], NULL, da, c->leaf[0].v, c->leaf[1].v, &g0);
}

static DlsNode
chain_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  DlsConvArgs a0 = { .padding = 2, .dilation = 2, .pad_mode = DLS_PAD_REFLECT };
  DlsConvArgs a1 = { .padding = 3, .dilation = 3, .pad_mode = DLS_PAD_REFLECT };
  DlsNode h = dls_graph_relu (g, dls_graph_conv2d (g, l[0], l[1], DLS_NODE_NONE, &a0));

  return dls_graph_conv2d (g, h, l[2], l[3], &a1);
}

static void
test_reflect_chain (void)
{
  static const int sizes[][2] = { { 7, 9 }, { 4, 12 }, { 19, 5 } };

  for (int mid = 0; mid < 2; mid++)
    for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
      {
        Case c;
        chain_mid = mid ? 12 : 3;
        case_init (&c, "reflect chain %d×%d, %d channels", sizes[i][0], sizes[i][1], chain_mid);
        leaf_input (&c, "x", DLS_SHAPE (2, 2, sizes[i][0], sizes[i][1]), true, -1, 1, &rng);
        leaf_weight (&c, "w0", 4, (int64_t[]){ chain_mid, 2, 3, 3 }, true, -0.5, 0.5, &rng);
        leaf_weight (&c, "w1", 4, (int64_t[]){ 2, chain_mid, 3, 3 }, true, -0.3, 0.3, &rng);
        leaf_weight (&c, "b1", 1, (int64_t[]){ 2 }, true, -0.5, 0.5, &rng);
        c.out = DLS_SHAPE (2, 2, sizes[i][0], sizes[i][1]);
        c.ref_forward = chain_fwd;
        c.ref_backward = chain_bwd;
        c.build = chain_build;
        c.fd_tol = 1e-5;
        check_case (&c, &rng);
        case_clear (&c);
      }
}

/* ---- two reflect-padded branches concatenated into a reflect-padded conv (an SMSNet node):
 * the branches write into the concat's buffer and fill its halo themselves, and fold its
 * gradient's halo themselves before their backward ---- */

static DlsConvGeom
cat_geom (int i, DlsShape s)
{
  static const int C[] = { 2, 2, 5 }, OC[] = { 3, 2, 2 }, D[] = { 2, 1, 3 };

  return (DlsConvGeom){ .N = s.n, .C = C[i], .H = s.h, .W = s.w, .OC = OC[i], .OH = s.h,
                        .OW = s.w, .KH = 3, .KW = 3, .stride = 1, .pad = D[i], .dil = D[i],
                        .mode = DLS_PAD_REFLECT };
}

/* the concat of relu (conv0 (x)) and relu (conv1 (x)), and the two pre-activations */
static void
cat_branches (Case *c, double *cat, double *a0, double *a1)
{
  DlsShape s = c->leaf[0].shape;
  int64_t p = (int64_t) s.h * s.w;
  DlsConvGeom g0 = cat_geom (0, s), g1 = cat_geom (1, s);

  dls_ref_conv2d_forward (a0, c->leaf[0].v, c->leaf[1].v, NULL, &g0);
  dls_ref_conv2d_forward (a1, c->leaf[0].v, c->leaf[2].v, NULL, &g1);
  for (int n = 0; n < s.n; n++)
    {
      dls_ref_relu_forward (cat + n * 5 * p, a0 + n * 3 * p, 3 * p);
      dls_ref_relu_forward (cat + (n * 5 + 3) * p, a1 + n * 2 * p, 2 * p);
    }
}

static void
cat_fwd (Case *c, double *out)
{
  DlsShape s = c->leaf[0].shape;
  int64_t p = (int64_t) s.h * s.w;
  DlsConvGeom g2 = cat_geom (2, s);
  g_autofree double *cat = g_new (double, s.n * 5 * p);
  g_autofree double *a0 = g_new (double, s.n * 3 * p), *a1 = g_new (double, s.n * 2 * p);

  cat_branches (c, cat, a0, a1);
  dls_ref_conv2d_forward (out, cat, c->leaf[3].v, c->leaf[4].v, &g2);
}

static void
cat_bwd (Case *c, const double *dout, double **grads)
{
  DlsShape s = c->leaf[0].shape;
  int64_t p = (int64_t) s.h * s.w;
  DlsConvGeom g0 = cat_geom (0, s), g1 = cat_geom (1, s), g2 = cat_geom (2, s);
  g_autofree double *cat = g_new (double, s.n * 5 * p), *dcat = g_new0 (double, s.n * 5 * p);
  g_autofree double *a0 = g_new (double, s.n * 3 * p), *a1 = g_new (double, s.n * 2 * p);
  g_autofree double *d0 = g_new0 (double, s.n * 3 * p), *d1 = g_new0 (double, s.n * 2 * p);

  cat_branches (c, cat, a0, a1);
  dls_ref_conv2d_backward (dcat, grads[3], grads[4], dout, cat, c->leaf[3].v, &g2);
  for (int n = 0; n < s.n; n++)
    {
      dls_ref_relu_backward (d0 + n * 3 * p, dcat + n * 5 * p, a0 + n * 3 * p, 3 * p);
      dls_ref_relu_backward (d1 + n * 2 * p, dcat + (n * 5 + 3) * p, a1 + n * 2 * p, 2 * p);
    }
  dls_ref_conv2d_backward (grads[0], grads[1], NULL, d0, c->leaf[0].v, c->leaf[1].v, &g0);
  dls_ref_conv2d_backward (grads[0], grads[2], NULL, d1, c->leaf[0].v, c->leaf[2].v, &g1);
}

static DlsNode
cat_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  DlsNode parts[2];

  for (int i = 0; i < 2; i++)
    parts[i] = dls_graph_relu (
        g, dls_graph_conv2d (g, l[0], l[1 + i], DLS_NODE_NONE,
                             &(DlsConvArgs){ .padding = 2 - i, .dilation = 2 - i,
                                             .pad_mode = DLS_PAD_REFLECT }));
  return dls_graph_conv2d (g, dls_graph_concat (g, 2, parts), l[3], l[4],
                           &(DlsConvArgs){ .padding = 3, .dilation = 3,
                                           .pad_mode = DLS_PAD_REFLECT });
}

static void
test_reflect_concat (void)
{
  static const int sizes[][2] = { { 8, 11 }, { 17, 6 } };

  for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      Case c;
      case_init (&c, "reflect concat %d×%d", sizes[i][0], sizes[i][1]);
      leaf_input (&c, "x", DLS_SHAPE (2, 2, sizes[i][0], sizes[i][1]), true, -1, 1, &rng);
      leaf_weight (&c, "w0", 4, (int64_t[]){ 3, 2, 3, 3 }, true, -0.5, 0.5, &rng);
      leaf_weight (&c, "w1", 4, (int64_t[]){ 2, 2, 3, 3 }, true, -0.5, 0.5, &rng);
      leaf_weight (&c, "w2", 4, (int64_t[]){ 2, 5, 3, 3 }, true, -0.3, 0.3, &rng);
      leaf_weight (&c, "b2", 1, (int64_t[]){ 2 }, true, -0.5, 0.5, &rng);
      c.out = DLS_SHAPE (2, 2, sizes[i][0], sizes[i][1]);
      c.ref_forward = cat_fwd;
      c.ref_backward = cat_bwd;
      c.build = cat_build;
      c.fd_tol = 1e-5;
      check_case (&c, &rng);
      case_clear (&c);
    }
}

/* ---- four thin convolutions reading one input (an SMSNet node's out-edges): two 3×3 with
 * reflect padding and two 1×1, whose input gradients the first 3×3 one sums in its own pass;
 * their outputs concatenated ---- */

/* The dilations of the four: the second 3×3 one's reflected border narrower than the first's,
 * or wider (so that the first one's pass must cover the second one's border) */
static const int join_dil_narrow[] = { 2, 1, 1, 1 }, join_dil_wide[] = { 1, 1, 3, 1 };
static const int *join_dil = join_dil_narrow;
/* Their input's channels: 1 takes the one-output kernels of the joined gradient */
static int join_in = 5;

/* Their output channels: 6, 5, 6 and 2, 19 in all, more than one pass of the joined input
 * gradient takes (16 channels of dY), so its sums also go through the gradient between passes */
#define JOIN_OC_MAX 6
#define JOIN_CAT 19

static DlsConvGeom
join_geom (int i, DlsShape s)
{
  static const int OC[] = { 6, 5, 6, 2 }, K[] = { 3, 1, 3, 1 };
  const int *D = join_dil;

  return (DlsConvGeom){ .N = s.n,
                        .C = s.c,
                        .H = s.h,
                        .W = s.w,
                        .OC = OC[i],
                        .OH = s.h,
                        .OW = s.w,
                        .KH = K[i],
                        .KW = K[i],
                        .stride = 1,
                        .pad = K[i] == 3 ? D[i] : 0,
                        .dil = D[i],
                        .mode = DLS_PAD_REFLECT };
}

/* The reference readers' outputs concatenated into cat (JOIN_CAT channels), each through a ReLU
 * when relu; their own outputs kept in pre[i] when pre is given. */
static void
join_ref_parts (Case *c, double *cat, double **pre, bool relu)
{
  DlsShape s = c->leaf[0].shape;
  int64_t p = (int64_t) s.h * s.w;
  int c0 = 0;

  for (int i = 0; i < 4; i++)
    {
      DlsConvGeom g = join_geom (i, s);
      double *y = pre ? pre[i] : g_new (double, s.n * g.OC * p);
      dls_ref_conv2d_forward (y, c->leaf[0].v, c->leaf[1 + i].v, NULL, &g);
      for (int n = 0; n < s.n; n++)
        if (relu)
          dls_ref_relu_forward (cat + (n * JOIN_CAT + c0) * p, y + n * g.OC * p, g.OC * p);
        else
          memcpy (cat + (n * JOIN_CAT + c0) * p, y + n * g.OC * p, sizeof (double) * g.OC * p);
      if (!pre)
        g_free (y);
      c0 += g.OC;
    }
}

static void
join_fwd (Case *c, double *out)
{
  join_ref_parts (c, out, NULL, false);
}

static void
join_bwd (Case *c, const double *dout, double **grads)
{
  DlsShape s = c->leaf[0].shape;
  int64_t p = (int64_t) s.h * s.w;
  int c0 = 0;

  for (int i = 0; i < 4; i++)
    {
      DlsConvGeom g = join_geom (i, s);
      g_autofree double *dy = g_new (double, s.n *g.OC *p);
      for (int n = 0; n < s.n; n++)
        memcpy (dy + n * g.OC * p, dout + (n * JOIN_CAT + c0) * p, sizeof (double) * g.OC * p);
      dls_ref_conv2d_backward (grads[0], grads[1 + i], NULL, dy, c->leaf[0].v, c->leaf[1 + i].v,
                               &g);
      c0 += g.OC;
    }
}

/* the four readers of l[0] (weights l[1..4]), each through a ReLU when relu, concatenated */
static DlsNode
join_readers (Case *c, DlsGraph *g, const DlsNode *l, bool relu)
{
  DlsShape s = c->leaf[0].shape;
  DlsNode parts[4];

  for (int i = 0; i < 4; i++)
    {
      DlsConvGeom geo = join_geom (i, s);
      parts[i] = dls_graph_conv2d (
          g, l[0], l[1 + i], DLS_NODE_NONE,
          &(DlsConvArgs){ .padding = geo.pad, .dilation = geo.dil, .pad_mode = DLS_PAD_REFLECT });
      if (relu)
        parts[i] = dls_graph_relu (g, parts[i]);
    }
  return dls_graph_concat (g, 4, parts);
}

static DlsNode
join_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return join_readers (c, g, l, false);
}

/* the same readers, each followed by a ReLU, concatenated and mixed by a last 1×1 conv: the
 * members' dY are now intermediate gradients, whose memory other gradients may take over once
 * their lifetime ends (which must cover the leader's read) */

static DlsConvGeom
join_mix_geom (DlsShape s)
{
  return (DlsConvGeom){ .N = s.n, .C = JOIN_CAT, .H = s.h, .W = s.w, .OC = 2, .OH = s.h,
                        .OW = s.w, .KH = 1, .KW = 1, .stride = 1, .pad = 0, .dil = 1 };
}

static void
join_relu_fwd (Case *c, double *out)
{
  DlsShape s = c->leaf[0].shape;
  int64_t p = (int64_t) s.h * s.w;
  DlsConvGeom gm = join_mix_geom (s);
  g_autofree double *cat = g_new (double, s.n * JOIN_CAT * p);
  double *pre[4];

  for (int i = 0; i < 4; i++)
    pre[i] = g_new (double, s.n * JOIN_OC_MAX * p);
  join_ref_parts (c, cat, pre, true);
  dls_ref_conv2d_forward (out, cat, c->leaf[5].v, NULL, &gm);
  for (int i = 0; i < 4; i++)
    g_free (pre[i]);
}

static void
join_relu_bwd (Case *c, const double *dout, double **grads)
{
  DlsShape s = c->leaf[0].shape;
  int64_t p = (int64_t) s.h * s.w;
  DlsConvGeom gm = join_mix_geom (s);
  g_autofree double *cat = g_new (double, s.n * JOIN_CAT * p);
  g_autofree double *dcat = g_new0 (double, s.n * JOIN_CAT * p);
  double *pre[4];
  int c0 = 0;

  for (int i = 0; i < 4; i++)
    pre[i] = g_new (double, s.n * JOIN_OC_MAX * p);
  join_ref_parts (c, cat, pre, true);
  dls_ref_conv2d_backward (dcat, grads[5], NULL, dout, cat, c->leaf[5].v, &gm);
  for (int i = 0; i < 4; i++)
    {
      DlsConvGeom g = join_geom (i, s);
      g_autofree double *dy = g_new0 (double, s.n * g.OC * p);
      for (int n = 0; n < s.n; n++)
        dls_ref_relu_backward (dy + n * g.OC * p, dcat + (n * JOIN_CAT + c0) * p,
                               pre[i] + n * g.OC * p, g.OC * p);
      dls_ref_conv2d_backward (grads[0], grads[1 + i], NULL, dy, c->leaf[0].v, c->leaf[1 + i].v,
                               &g);
      c0 += g.OC;
      g_free (pre[i]);
    }
}

static DlsNode
join_relu_build (Case *c, DlsGraph *g, const DlsNode *l)
{
  return dls_graph_conv2d (g, join_readers (c, g, l, true), l[5], DLS_NODE_NONE,
                           &(DlsConvArgs){ .padding = 0, .dilation = 1 });
}

/* x and the four readers' weights, on an h × w image */
static void
join_leaves (Case *c, int h, int w)
{
  leaf_input (c, "x", DLS_SHAPE (2, join_in, h, w), true, -1, 1, &rng);
  for (int k = 0; k < 4; k++)
    {
      DlsConvGeom geo = join_geom (k, c->leaf[0].shape);
      char name[8];
      g_snprintf (name, sizeof name, "w%d", k);
      leaf_weight (c, name, 4, (int64_t[]){ geo.OC, join_in, geo.KH, geo.KW }, true, -0.5, 0.5,
                   &rng);
    }
}

static void
test_pointwise_join (void)
{
  static const int sizes[][2] = { { 9, 13 }, { 20, 7 } };

  for (size_t i = 0; i < 4 * G_N_ELEMENTS (sizes); i++)
    {
      Case c;
      join_dil = i % 2 ? join_dil_wide : join_dil_narrow;
      join_in = i % 4 < 2 ? 5 : 1;
      case_init (&c, "input gradients joined %d×%d×%d, dilations %d %d", join_in,
                 sizes[i / 4][0], sizes[i / 4][1], join_dil[0], join_dil[2]);
      join_leaves (&c, sizes[i / 4][0], sizes[i / 4][1]);
      c.out = DLS_SHAPE (2, JOIN_CAT, sizes[i / 4][0], sizes[i / 4][1]);
      c.ref_forward = join_fwd;
      c.ref_backward = join_bwd;
      c.build = join_build;
      c.fd_tol = 1e-5;
      check_case (&c, &rng);
      case_clear (&c);

      case_init (&c, "input gradients joined, ReLUs and a mix %d×%d×%d, dilations %d %d",
                 join_in, sizes[i / 4][0], sizes[i / 4][1], join_dil[0], join_dil[2]);
      join_leaves (&c, sizes[i / 4][0], sizes[i / 4][1]);
      leaf_weight (&c, "mix", 4, (int64_t[]){ 2, JOIN_CAT, 1, 1 }, true, -0.5, 0.5, &rng);
      c.out = DLS_SHAPE (2, 2, sizes[i / 4][0], sizes[i / 4][1]);
      c.ref_forward = join_relu_fwd;
      c.ref_backward = join_relu_bwd;
      c.build = join_relu_build;
      c.fd_tol = 1e-5;
      check_case (&c, &rng);
      case_clear (&c);
    }
  join_dil = join_dil_narrow;
  join_in = 5;
}

static void
test_pointwise_join_plan (void)
{
  DlsGraph *g = dls_graph_new (NULL);
  DlsNode x = dls_graph_input (g, "x", DLS_SHAPE (1, 5, 16, 16), true), conv[4], parts[5];
  /* a one-channel 3×3 reader first: it runs the comb kernels, which cannot lead a group */
  DlsNode one = dls_graph_conv2d (g, x, dls_graph_param (g, "w1ch", 4, (int64_t[]){ 1, 5, 3, 3 }),
                                  DLS_NODE_NONE,
                                  &(DlsConvArgs){ .padding = 1, .dilation = 1,
                                                  .pad_mode = DLS_PAD_REFLECT });

  for (int i = 0; i < 4; i++)
    {
      DlsConvGeom geo = join_geom (i, DLS_SHAPE (1, 5, 16, 16));
      char name[8];
      g_snprintf (name, sizeof name, "w%d", i);
      parts[i] = conv[i] = dls_graph_conv2d (
          g, x, dls_graph_param (g, name, 4, (int64_t[]){ geo.OC, 5, geo.KH, geo.KW }),
          DLS_NODE_NONE,
          &(DlsConvArgs){ .padding = geo.pad, .dilation = geo.dil, .pad_mode = DLS_PAD_REFLECT });
    }
  parts[4] = one;
  dls_graph_concat (g, 5, parts);
  g_assert_true (dls_graph_compile (g, true, NULL));
  g_assert_cmpint (g->nodes[one].dx_leader, ==, DLS_NODE_NONE);
  /* the first blocked 3×3 reader leads the other three, in index order */
  for (int i = 0; i < 4; i++)
    g_assert_cmpint (g->nodes[conv[i]].dx_leader, ==, conv[0]);
  g_assert_cmpint (g->nodes[conv[0]].dx_next, ==, conv[1]);
  g_assert_cmpint (g->nodes[conv[1]].dx_next, ==, conv[2]);
  g_assert_cmpint (g->nodes[conv[2]].dx_next, ==, conv[3]);
  g_assert_cmpint (g->nodes[conv[3]].dx_next, ==, DLS_NODE_NONE);
  dls_graph_free (g);
}

/* ---- inference graphs reuse memory and compute the same ---- */

static DlsGraph *
conv_chain (DlsParams *p, int depth, int S, bool with_backward, DlsNode *in, DlsNode *out)
{
  DlsGraph *g = dls_graph_new (p);
  DlsNode x = *in = dls_graph_input (g, "x", DLS_SHAPE (1, 4, S, S), false);

  for (int i = 0; i < depth; i++)
    {
      char wn[16];
      g_snprintf (wn, sizeof wn, "w%d", i);
      x = dls_graph_relu (
          g, dls_graph_conv2d (g, x, dls_graph_param (g, wn, 4, (int64_t[]){ 4, 4, 3, 3 }),
                               DLS_NODE_NONE,
                               &(DlsConvArgs){ .padding = 1 + i % 4, .dilation = 1 + i % 4 }));
    }
  *out = x;
  g_assert_true (dls_graph_compile (g, with_backward, NULL));
  return g;
}

static void
test_inference_memory (void)
{
  const int S = 48, depth = 12;
  g_autoptr (DlsParams) p = dls_params_new ();
  DlsNode xi, yi, xt, yt;
  DlsGraph *train = conv_chain (p, depth, S, true, &xt, &yt);
  DlsGraph *infer = conv_chain (p, depth, S, false, &xi, &yi);
  g_autofree float *x = g_new (float, 4 * S * S);
  g_autofree float *a = g_new (float, 4 * S * S), *b = g_new (float, 4 * S * S);

  for (int64_t i = 0; i < dls_params_n_weights (p); i++)
    dls_params_weights (p)[i] = (float) (dls_rng_uniform (&rng) - 0.5) * 0.5f;
  for (int i = 0; i < 4 * S * S; i++)
    x[i] = (float) dls_rng_uniform (&rng);
  dls_graph_set_input (train, xt, x, NULL);
  dls_graph_set_input (infer, xi, x, NULL);
  g_assert_true (dls_graph_forward (train));
  g_assert_true (dls_graph_forward (infer));
  dls_graph_read (train, yt, a);
  dls_graph_read (infer, yi, b);
  g_assert_cmpmem (a, sizeof (float) * 4 * S * S, b, sizeof (float) * 4 * S * S);
  /* a few live buffers instead of one per node, and no gradients */
  g_assert_cmpuint (dls_graph_arena_bytes (infer) * 4, <, dls_graph_arena_bytes (train));
  dls_graph_free (train);
  dls_graph_free (infer);
}

/* ---- training graphs share gradient buffers by lifetime and compute the same ---- */

static void
test_gradient_memory (void)
{
  const int S = 40, depth = 12;
  g_autoptr (DlsParams) p = dls_params_new ();
  DlsNode x, y;
  DlsGraph *g = conv_chain (p, depth, S, true, &x, &y);

  /* a gradient lives from its last reader's backward to its producer's: in a chain, two or
   * three at a time instead of one per node */
  g_test_message ("values %ld floats, gradients %ld", (long) g->values_len, (long) g->grads_len);
  g_assert_cmpint (g->grads_len * 4, <, g->values_len);
  dls_graph_free (g);
}

/* ---- bad input: clear GErrors at build time, never a crash ---- */

static void
expect_build_error (DlsGraph *g, const char *fragment)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (dls_graph_compile (g, true, &error));
  g_assert_nonnull (error);
  g_assert_error (error, DLS_ERROR, error->code);
  if (strstr (error->message, fragment) == NULL)
    g_error ("expected “%s” in the error, got “%s”", fragment, error->message);
  g_test_message ("error: %s", error->message);
  /* and it stays failed */
  g_clear_error (&error);
  g_assert_false (dls_graph_compile (g, false, &error));
  g_assert_nonnull (error);
  dls_graph_free (g);
}

static DlsNode
weight (DlsGraph *g, const char *name, int64_t a, int64_t b, int64_t c, int64_t d)
{
  return dls_graph_param (g, name, 4, (int64_t[]){ a, b, c, d });
}

static void
test_build_errors (void)
{
  DlsGraph *g;
  DlsNode a, b, parts[2];

  /* concat of maps of different sizes */
  g = dls_graph_new (NULL);
  parts[0] = dls_graph_input (g, "a", DLS_SHAPE (1, 2, 8, 8), false);
  parts[1] = dls_graph_input (g, "b", DLS_SHAPE (1, 1, 8, 9), false);
  a = dls_graph_concat (g, 2, parts);
  g_assert_cmpint (a, ==, DLS_NODE_NONE);
  /* later ops on the failed node stay quiet; the first error is kept */
  g_assert_cmpint (dls_graph_relu (g, a), ==, DLS_NODE_NONE);
  expect_build_error (g, "does not match");

  /* reflect padding wider than the image */
  g = dls_graph_new (NULL);
  a = dls_graph_input (g, "x", DLS_SHAPE (1, 1, 5, 20), false);
  dls_graph_conv2d (g, a, weight (g, "w", 1, 1, 3, 3), DLS_NODE_NONE,
                    &(DlsConvArgs){ .padding = 5, .dilation = 5, .pad_mode = DLS_PAD_REFLECT });
  expect_build_error (g, "reflect padding of 5");

  /* a loss given labels of the wrong size */
  g = dls_graph_new (NULL);
  a = dls_graph_input (g, "x", DLS_SHAPE (2, 3, 16, 16), false);
  b = dls_graph_input_labels (g, "y", 2, 16, 15);
  dls_graph_cross_entropy (g, a, b, -1, NULL);
  expect_build_error (g, "do not match");

  /* masked loss with a mask of another shape */
  g = dls_graph_new (NULL);
  a = dls_graph_input (g, "p", DLS_SHAPE (1, 1, 8, 8), false);
  dls_graph_mse_masked (g, a, a, dls_graph_input (g, "m", DLS_SHAPE (1, 1, 8, 7), false));
  expect_build_error (g, "differ in shape");

  /* conv weight for another number of channels */
  g = dls_graph_new (NULL);
  a = dls_graph_input (g, "x", DLS_SHAPE (1, 3, 8, 8), false);
  dls_graph_conv2d (g, a, weight (g, "w", 4, 2, 3, 3), DLS_NODE_NONE, NULL);
  expect_build_error (g, "input with 3 channels");

  /* kernel larger than the image */
  g = dls_graph_new (NULL);
  a = dls_graph_input (g, "x", DLS_SHAPE (1, 1, 4, 4), false);
  dls_graph_conv2d (g, a, weight (g, "w", 1, 1, 3, 3), DLS_NODE_NONE,
                    &(DlsConvArgs){ .dilation = 4 });
  expect_build_error (g, "does not fit");

  /* linear on a map */
  g = dls_graph_new (NULL);
  a = dls_graph_input (g, "x", DLS_SHAPE (2, 3, 4, 4), false);
  dls_graph_linear (g, a, dls_graph_param (g, "w", 2, (int64_t[]){ 5, 48 }), DLS_NODE_NONE);
  expect_build_error (g, "flatten");

  /* batchnorm parameters of the wrong length */
  g = dls_graph_new (NULL);
  a = dls_graph_input (g, "x", DLS_SHAPE (2, 3, 4, 4), false);
  dls_graph_batchnorm (g, a, dls_graph_param (g, "g", 1, (int64_t[]){ 4 }),
                       dls_graph_param (g, "b", 1, (int64_t[]){ 4 }), DLS_NODE_NONE, DLS_NODE_NONE,
                       DLS_NODE_NONE, &(DlsBatchNormArgs){ .mode = DLS_BN_BATCH_STATS });
  expect_build_error (g, "for 3 channels");

  /* slice outside the channels; reshape that changes the count; add of two shapes */
  g = dls_graph_new (NULL);
  dls_graph_slice (g, dls_graph_input (g, "x", DLS_SHAPE (1, 3, 4, 4), false), 2, 4);
  expect_build_error (g, "[2, 4)");
  g = dls_graph_new (NULL);
  dls_graph_reshape (g, dls_graph_input (g, "x", DLS_SHAPE (1, 3, 4, 4), false),
                     DLS_SHAPE (1, 5, 2, 5));
  expect_build_error (g, "cannot become");
  g = dls_graph_new (NULL);
  dls_graph_add (g, dls_graph_input (g, "a", DLS_SHAPE (1, 3, 4, 4), false),
                 dls_graph_input (g, "b", DLS_SHAPE (1, 3, 4, 5), false));
  expect_build_error (g, "differ");

  /* pooling window larger than the image; dropout probability out of range */
  g = dls_graph_new (NULL);
  dls_graph_maxpool2d (g, dls_graph_input (g, "x", DLS_SHAPE (1, 1, 3, 3), false), 4, 4, 0);
  expect_build_error (g, "does not fit");
  g = dls_graph_new (NULL);
  dls_graph_dropout (g, dls_graph_input (g, "x", DLS_SHAPE (1, 1, 3, 3), false), 1.0f);
  expect_build_error (g, "probability");

  /* one parameter name, two shapes */
  g = dls_graph_new (NULL);
  weight (g, "w", 1, 1, 3, 3);
  weight (g, "w", 1, 1, 5, 5);
  expect_build_error (g, "another shape");

  /* a tensor read by both a zero-padded and a reflect-padded convolution */
  g = dls_graph_new (NULL);
  a = dls_graph_relu (g, dls_graph_input (g, "x", DLS_SHAPE (1, 1, 8, 8), false));
  dls_graph_conv2d (g, a, weight (g, "w0", 1, 1, 3, 3), DLS_NODE_NONE,
                    &(DlsConvArgs){ .padding = 1 });
  dls_graph_conv2d (g, a, weight (g, "w1", 1, 1, 3, 3), DLS_NODE_NONE,
                    &(DlsConvArgs){ .padding = 1, .pad_mode = DLS_PAD_REFLECT });
  expect_build_error (g, "both zero-padded and reflect-padded");

  /* the depth axis is reserved */
  g = dls_graph_new (NULL);
  dls_graph_input (g, "v", (DlsShape){ 1, 1, 4, 8, 8 }, false);
  expect_build_error (g, "3-D tensors");

  /* a node from nowhere */
  g = dls_graph_new (NULL);
  dls_graph_relu (g, 12345);
  expect_build_error (g, "not a node of this graph");
}

/* Labels outside the classes, inputs given to the wrong node: GErrors at run time. */
static void
test_run_errors (void)
{
  g_autoptr (GError) error = NULL;
  DlsGraph *g = dls_graph_new (NULL);
  DlsNode x = dls_graph_input (g, "x", DLS_SHAPE (1, 3, 2, 2), true);
  DlsNode y = dls_graph_input_labels (g, "y", 1, 2, 2);
  DlsNode loss = dls_graph_cross_entropy (g, x, y, -1, NULL);
  int32_t bad[4] = { 0, 1, 3, -1 }, good[4] = { 0, 1, 2, -1 };
  float data[12] = { 0 };

  g_assert_true (dls_graph_compile (g, true, NULL));
  g_assert_false (dls_graph_set_labels (g, y, bad, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "label 3"));
  g_clear_error (&error);
  g_assert_false (dls_graph_set_input (g, y, data, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (dls_graph_set_labels (g, y, good, NULL));
  g_assert_true (dls_graph_set_input (g, x, data, NULL));
  g_assert_true (dls_graph_forward (g));
  /* uniform logits over three classes: log 3 */
  g_assert_cmpfloat_with_epsilon (dls_graph_scalar (g, loss), logf (3.0f), 1e-6);
  /* compiling twice, adding nodes after compiling */
  g_assert_false (dls_graph_compile (g, true, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_STATE);
  g_clear_error (&error);
  g_assert_cmpint (dls_graph_relu (g, x), ==, DLS_NODE_NONE);
  dls_graph_free (g);

  /* all pixels ignored: the loss is 0 and no gradient flows, instead of 0/0 */
  g = dls_graph_new (NULL);
  x = dls_graph_input (g, "x", DLS_SHAPE (1, 3, 2, 2), true);
  y = dls_graph_input_labels (g, "y", 1, 2, 2);
  loss = dls_graph_cross_entropy (g, x, y, -1, NULL);
  g_assert_true (dls_graph_compile (g, true, NULL));
  {
    int32_t none[4] = { -1, -1, -1, -1 };
    float gx[12];
    dls_graph_set_labels (g, y, none, NULL);
    dls_graph_set_input (g, x, data, NULL);
    dls_graph_forward (g);
    g_assert_cmpfloat (dls_graph_scalar (g, loss), ==, 0.0f);
    dls_graph_backward (g, loss, NULL);
    dls_graph_read_grad (g, x, gx);
    for (int i = 0; i < 12; i++)
      g_assert_cmpfloat (gx[i], ==, 0.0f);
  }
  dls_graph_free (g);
}

/* ---- cancellation: checked between nodes ---- */

static void
test_cancel (void)
{
  volatile int flag = 0;
  g_autoptr (DlsParams) p = dls_params_new ();
  DlsNode x, y;
  DlsGraph *g = conv_chain (p, 4, 16, true, &x, &y);
  float in[4 * 16 * 16] = { 0 };

  dls_graph_set_cancel_flag (g, &flag);
  dls_graph_set_input (g, x, in, NULL);
  g_assert_true (dls_graph_forward (g));
  flag = 1;
  g_assert_false (dls_graph_forward (g));
  g_assert_false (dls_graph_backward (g, y, in));
  flag = 0;
  g_assert_true (dls_graph_forward (g));
  dls_graph_free (g);
}

/* ---- threads ---- */

static void
test_threads (void)
{
  int saved = dls_engine_get_threads ();

  dls_engine_set_threads (3);
  g_assert_cmpint (dls_engine_get_threads (), ==, 3);
  /* OpenBLAS runs single-threaded inside the engine's tasks: never oversubscribed */
  g_assert_cmpint (openblas_get_num_threads (), ==, 1);
  dls_engine_set_threads (1);
  g_assert_cmpint (dls_engine_get_threads (), ==, 1);
  dls_engine_set_threads (0);
  g_assert_cmpint (dls_engine_get_threads (), >=, 1);
  g_assert_cmpint (openblas_get_num_threads (), ==, 1);
  dls_engine_set_threads (saved);
  g_assert_nonnull (dls_engine_kernel_isa ());
}

/* Two graphs running at once from two threads (training and prediction in the app): each
 * gets correct results. */
typedef struct
{
  DlsGraph *g;
  DlsNode x, y;
  float *in, *out;
} Runner;

static gpointer
run_many (gpointer data)
{
  Runner *r = data;

  for (int i = 0; i < 20; i++)
    {
      dls_graph_set_input (r->g, r->x, r->in, NULL);
      dls_graph_forward (r->g);
    }
  dls_graph_read (r->g, r->y, r->out);
  return NULL;
}

static void
test_concurrent_graphs (void)
{
  const int S = 64;
  g_autoptr (DlsParams) p = dls_params_new ();
  Runner r[2];
  g_autofree float *ref = g_new (float, 4 * S * S);
  GThread *threads[2];

  for (int k = 0; k < 2; k++)
    {
      r[k].g = conv_chain (p, 6, S, k == 0, &r[k].x, &r[k].y);
      r[k].in = g_new (float, 4 * S * S);
      r[k].out = g_new (float, 4 * S * S);
      for (int i = 0; i < 4 * S * S; i++)
        r[k].in[i] = (float) ((i * 7919) % 101) / 101.0f;
    }
  for (int64_t i = 0; i < dls_params_n_weights (p); i++)
    dls_params_weights (p)[i] = (float) (dls_rng_uniform (&rng) - 0.5) * 0.5f;
  run_many (&r[0]);
  memcpy (ref, r[0].out, sizeof (float) * 4 * S * S);
  for (int k = 0; k < 2; k++)
    threads[k] = g_thread_new ("runner", run_many, &r[k]);
  for (int k = 0; k < 2; k++)
    g_thread_join (threads[k]);
  for (int k = 0; k < 2; k++)
    {
      g_assert_cmpmem (r[k].out, sizeof (float) * 4 * S * S, ref, sizeof (float) * 4 * S * S);
      dls_graph_free (r[k].g);
      g_free (r[k].in);
      g_free (r[k].out);
    }
}

/* ---- backward from an intermediate node; parameters shared by two graphs ---- */

static void
test_partial_backward (void)
{
  g_autoptr (DlsParams) p = dls_params_new ();
  DlsNode x, y;
  DlsGraph *g = conv_chain (p, 3, 12, true, &x, &y);
  float in[4 * 12 * 12], ones[4 * 12 * 12];
  DlsNode mid = y - 3; /* the second layer's relu: x, then (w, conv, relu) per layer */

  g_assert_cmpstr (dls_graph_op_name (g, mid), ==, "relu");
  for (int i = 0; i < 4 * 12 * 12; i++)
    in[i] = 1.0f, ones[i] = 1.0f;
  for (int64_t i = 0; i < dls_params_n_weights (p); i++)
    dls_params_weights (p)[i] = 0.1f;
  dls_graph_set_input (g, x, in, NULL);
  dls_graph_forward (g);
  dls_params_zero_grad (p);
  g_assert_true (dls_graph_backward (g, mid, ones));
  /* the last layer's weight got nothing, the first two did */
  {
    float *gw = dls_params_grad (p, dls_params_find (p, "w2"));
    float *gw0 = dls_params_grad (p, dls_params_find (p, "w0"));
    for (int i = 0; i < 4 * 4 * 9; i++)
      g_assert_cmpfloat (gw[i], ==, 0.0f);
    g_assert_cmpfloat (fabsf (gw0[0]), >, 0.0f);
  }
  dls_graph_free (g);
}

static void
test_params (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsParams) a = dls_params_new ();
  g_autoptr (DlsParams) b = dls_params_new ();
  g_autoptr (DlsParams) c = dls_params_new ();
  int64_t shape[2] = { 3, 4 };

  g_assert_cmpint (dls_params_add (a, "w", DLS_PARAM_WEIGHT, 2, shape, NULL), ==, 0);
  g_assert_cmpint (dls_params_add (a, "rm", DLS_PARAM_BUFFER, 1, shape, NULL), ==, 1);
  g_assert_cmpint (dls_params_add (a, "n", DLS_PARAM_COUNTER, 0, NULL, NULL), ==, 2);
  g_assert_cmpint (dls_params_add (a, "w", DLS_PARAM_WEIGHT, 2, shape, NULL), ==, 0);
  g_assert_cmpint (dls_params_add (a, "w", DLS_PARAM_BUFFER, 2, shape, &error), ==, -1);
  g_clear_error (&error);
  g_assert_cmpint (dls_params_add (a, "", DLS_PARAM_WEIGHT, 2, shape, &error), ==, -1);
  g_clear_error (&error);
  g_assert_true (dls_params_alloc (a, NULL));
  g_assert_cmpint (dls_params_n_weights (a), ==, 12);
  g_assert_cmpint (dls_params_add (a, "late", DLS_PARAM_WEIGHT, 2, shape, &error), ==, -1);
  g_assert_error (error, DLS_ERROR, DLS_ERROR_STATE);
  g_clear_error (&error);
  dls_params_data (a, 0)[5] = 2.5f;
  dls_params_data (a, 1)[2] = -1.0f;
  *dls_params_counter (a, 2) = 7;

  dls_params_add (b, "w", DLS_PARAM_WEIGHT, 2, shape, NULL);
  dls_params_add (b, "rm", DLS_PARAM_BUFFER, 1, shape, NULL);
  dls_params_add (b, "n", DLS_PARAM_COUNTER, 0, NULL, NULL);
  g_assert_true (dls_params_copy_from (b, a, NULL));
  g_assert_cmpfloat (dls_params_data (b, 0)[5], ==, 2.5f);
  g_assert_cmpfloat (dls_params_data (b, 1)[2], ==, -1.0f);
  g_assert_cmpint (*dls_params_counter (b, 2), ==, 7);

  dls_params_add (c, "v", DLS_PARAM_WEIGHT, 2, shape, NULL);
  g_assert_false (dls_params_copy_from (c, a, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_SHAPE);

  dls_params_grads (a)[0] = -3.0f, dls_params_grads (a)[1] = 0.5f, dls_params_grads (a)[2] = 2.0f;
  dls_params_clip_grad_value (a, 1.0f);
  g_assert_cmpfloat (dls_params_grads (a)[0], ==, -1.0f);
  g_assert_cmpfloat (dls_params_grads (a)[1], ==, 0.5f);
  g_assert_cmpfloat (dls_params_grads (a)[2], ==, 1.0f);
  dls_params_zero_grad (a);
  g_assert_cmpfloat (dls_params_grads (a)[0], ==, 0.0f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dls_rng_init (&rng, 77);

  g_test_add_func ("/engine/graph/op-table", test_op_table);
  g_test_add_func ("/engine/graph/msd-stack", test_msd_stack);
  g_test_add_func ("/engine/graph/msd-stack-memory", test_msd_stack_memory);
  g_test_add_func ("/engine/graph/reflect-chain", test_reflect_chain);
  g_test_add_func ("/engine/graph/reflect-concat", test_reflect_concat);
  g_test_add_func ("/engine/graph/pointwise-join", test_pointwise_join);
  g_test_add_func ("/engine/graph/pointwise-join-plan", test_pointwise_join_plan);
  g_test_add_func ("/engine/graph/inference-memory", test_inference_memory);
  g_test_add_func ("/engine/graph/gradient-memory", test_gradient_memory);
  g_test_add_func ("/engine/graph/build-errors", test_build_errors);
  g_test_add_func ("/engine/graph/run-errors", test_run_errors);
  g_test_add_func ("/engine/graph/cancel", test_cancel);
  g_test_add_func ("/engine/graph/threads", test_threads);
  g_test_add_func ("/engine/graph/concurrent", test_concurrent_graphs);
  g_test_add_func ("/engine/graph/partial-backward", test_partial_backward);
  g_test_add_func ("/engine/graph/params", test_params);
  return g_test_run ();
}
