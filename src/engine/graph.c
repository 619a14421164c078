/* SPDX-License-Identifier: MIT
 *
 * graph.c: building graphs.  Every op checks its inputs' shapes here, at build time, and records
 * a plain-words GError on the graph when they do not fit (the first error wins; later ops given
 * DLS_NODE_NONE return it quietly).  Nothing here allocates activations: that is plan.c's job.
 */
#include "engine-private.h"

#include <math.h>
#include <stdarg.h>

/* clang-format off */
G_DEFINE_QUARK (dls-error-quark, dls_error)
/* clang-format on */

DlsGraph *
dls_graph_new (DlsParams *params)
{
  DlsGraph *g = g_new0 (DlsGraph, 1);

  dls_engine_init ();
  g->params = params ? dls_params_ref (params) : dls_params_new ();
  g->training = true;
  g->seed = 0x5eed;
  return g;
}

void
dls_graph_free (DlsGraph *g)
{
  if (g == NULL)
    return;
  if (g->prof)
    dls_graph_profile_print (g);
  g_free (g->prof);
  for (int i = 0; i < g->n_nodes; i++)
    {
      g_free (g->nodes[i].name);
      g_free (g->nodes[i].in);
      if (g->nodes[i].op == DLS_OP_CROSS_ENTROPY)
        g_free (g->nodes[i].a.ce.weights);
    }
  g_free (g->nodes);
  g_clear_error (&g->error);
  g_free (g->values);
  g_free (g->grads);
  g_free (g->aux_arena);
  g_free (g->scratch);
  g_free (g->ancestor);
  g_free (g->grad_roots);
  dls_params_unref (g->params);
  g_free (g);
}

DlsParams *
dls_graph_get_params (DlsGraph *g)
{
  return g->params;
}

const GError *
dls_graph_get_error (DlsGraph *g)
{
  return g->error;
}

int
dls_graph_n_nodes (DlsGraph *g)
{
  return g->n_nodes;
}

DlsShape
dls_graph_shape (DlsGraph *g, DlsNode x)
{
  g_return_val_if_fail (x >= 0 && x < g->n_nodes, (DlsShape){ 0 });
  return g->nodes[x].shape;
}

const char *
dls_graph_node_name (DlsGraph *g, DlsNode x)
{
  g_return_val_if_fail (x >= 0 && x < g->n_nodes, NULL);
  return g->nodes[x].name;
}

const char *
dls_graph_op_name (DlsGraph *g, DlsNode x)
{
  g_return_val_if_fail (x >= 0 && x < g->n_nodes, NULL);
  return dls_op_info (g->nodes[x].op)->name;
}

gboolean
dls_graph_failed (DlsGraph *g)
{
  return g->error != NULL;
}

void
dls_graph_fail (DlsGraph *g, DlsError code, const char *fmt, ...)
{
  va_list ap;

  if (g->error != NULL)
    return;
  va_start (ap, fmt);
  g->error = g_error_new_valist (DLS_ERROR, code, fmt, ap);
  va_end (ap);
}

/* True when x is a node of this graph; otherwise records why (unless an error is already there:
 * then x is DLS_NODE_NONE from a failed op and nothing more needs saying). */
bool
dls_graph_check_node (DlsGraph *g, DlsNode x, const char *op, const char *what)
{
  if (x >= 0 && x < g->n_nodes)
    return true;
  if (x == DLS_NODE_NONE && g->error != NULL)
    return false;
  dls_graph_fail (g, DLS_ERROR_ARGUMENT, "%s: the %s is not a node of this graph", op, what);
  return false;
}

static char *
shape_str (DlsShape s)
{
  if (s.d != 1)
    return g_strdup_printf ("%d×%d×%d×%d×%d", s.n, s.c, s.d, s.h, s.w);
  return g_strdup_printf ("%d×%d×%d×%d", s.n, s.c, s.h, s.w);
}

DlsNode
dls_graph_add_node (DlsGraph *g, DlsOp op, DlsShape shape, int n_in, const DlsNode *in)
{
  DlsNodeImpl *n;

  if (g->compiled)
    {
      dls_graph_fail (g, DLS_ERROR_STATE, "%s: the graph is already compiled",
                      dls_op_info (op)->name);
      return DLS_NODE_NONE;
    }
  if (shape.n <= 0 || shape.c <= 0 || shape.d <= 0 || shape.h <= 0 || shape.w <= 0)
    {
      g_autofree char *s = shape_str (shape);
      dls_graph_fail (g, DLS_ERROR_SHAPE, "%s: the result would have shape %s, which is empty",
                      dls_op_info (op)->name, s);
      return DLS_NODE_NONE;
    }
  /* The depth axis is there for 3-D work later; no op handles it yet. */
  if (shape.d != 1 && op != DLS_OP_PARAM)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE, "%s: 3-D tensors (depth %d) are not supported yet",
                      dls_op_info (op)->name, shape.d);
      return DLS_NODE_NONE;
    }
  if (dls_shape_numel (shape) > ((int64_t) 1 << 40))
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE, "%s: the result would be too large",
                      dls_op_info (op)->name);
      return DLS_NODE_NONE;
    }
  if (g->n_nodes == g->cap)
    {
      g->cap = g->cap ? 2 * g->cap : 64;
      g->nodes = g_renew (DlsNodeImpl, g->nodes, g->cap);
    }
  n = &g->nodes[g->n_nodes];
  memset (n, 0, sizeof *n);
  n->op = op;
  n->shape = shape;
  n->n_in = n_in;
  n->in = n_in ? g_memdup2 (in, sizeof (DlsNode) * n_in) : NULL;
  n->alias_of = DLS_NODE_NONE;
  n->root = DLS_NODE_NONE;
  n->dx_leader = n->dx_next = DLS_NODE_NONE;
  return g->n_nodes++;
}

/* ---- leaves ---- */

DlsNode
dls_graph_input (DlsGraph *g, const char *name, DlsShape shape, bool requires_grad)
{
  DlsNode x;

  if (dls_graph_failed (g))
    return DLS_NODE_NONE;
  x = dls_graph_add_node (g, DLS_OP_INPUT, shape, 0, NULL);
  if (x == DLS_NODE_NONE)
    return x;
  g->nodes[x].name = g_strdup (name ? name : "input");
  g->nodes[x].requires_grad = requires_grad;
  return x;
}

DlsNode
dls_graph_input_labels (DlsGraph *g, const char *name, int n, int h, int w)
{
  DlsNode x;

  if (dls_graph_failed (g))
    return DLS_NODE_NONE;
  x = dls_graph_add_node (g, DLS_OP_LABELS, DLS_SHAPE (n, 1, h, w), 0, NULL);
  if (x == DLS_NODE_NONE)
    return x;
  g->nodes[x].name = g_strdup (name ? name : "labels");
  return x;
}

static DlsNode
param_node (DlsGraph *g, const char *name, DlsParamKind kind, int ndim, const int64_t *shape)
{
  g_autoptr (GError) error = NULL;
  DlsShape s = { 1, 1, 1, 1, 1 };
  int32_t *dims[DLS_MAX_DIMS] = { &s.n, &s.c, &s.d, &s.h, &s.w };
  int idx;
  DlsNode x;

  if (dls_graph_failed (g))
    return DLS_NODE_NONE;
  idx = dls_params_add (g->params, name, kind, ndim, shape, &error);
  if (idx < 0)
    {
      dls_graph_fail (g, error->code, "%s", error->message);
      return DLS_NODE_NONE;
    }
  /* The node's shape: [a, b, c, d] maps to n, c, h, w; [a, b] to n, c; [a] to n.  The engine
   * reads parameters as flat arrays, so this only serves shape checks. */
  if (ndim == 4)
    {
      s.n = shape[0], s.c = shape[1], s.h = shape[2], s.w = shape[3];
    }
  else if (ndim == 5)
    {
      for (int i = 0; i < 5; i++)
        *dims[i] = shape[i];
    }
  else
    {
      for (int i = 0; i < ndim; i++)
        *dims[i] = shape[i];
    }
  x = dls_graph_add_node (g, DLS_OP_PARAM, s, 0, NULL);
  if (x == DLS_NODE_NONE)
    return x;
  g->nodes[x].name = g_strdup (name);
  g->nodes[x].a.param.index = idx;
  g->nodes[x].a.param.kind = kind;
  g->nodes[x].requires_grad = (kind == DLS_PARAM_WEIGHT);
  return x;
}

DlsNode
dls_graph_param (DlsGraph *g, const char *name, int ndim, const int64_t *shape)
{
  return param_node (g, name, DLS_PARAM_WEIGHT, ndim, shape);
}

DlsNode
dls_graph_buffer (DlsGraph *g, const char *name, int ndim, const int64_t *shape)
{
  return param_node (g, name, DLS_PARAM_BUFFER, ndim, shape);
}

DlsNode
dls_graph_counter (DlsGraph *g, const char *name)
{
  return param_node (g, name, DLS_PARAM_COUNTER, 0, NULL);
}

/* ---- helpers for shape checks ---- */

static bool
check_2d (DlsGraph *g, DlsNode x, const char *op)
{
  DlsShape s = g->nodes[x].shape;

  if (s.d != 1)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE, "%s: 3-D input (depth %d) is not supported yet", op, s.d);
      return false;
    }
  return true;
}

static int64_t
param_numel (DlsGraph *g, DlsNode x)
{
  return dls_shape_numel (g->nodes[x].shape);
}

static bool
is_weight (DlsGraph *g, DlsNode x)
{
  return g->nodes[x].op == DLS_OP_PARAM;
}

/* ---- convolutions ---- */

DlsNode
dls_graph_conv2d (DlsGraph *g, DlsNode x, DlsNode w, DlsNode b, const DlsConvArgs *args)
{
  const char *op = "conv2d";
  DlsConvArgs a = args ? *args : (DlsConvArgs){ 0 };
  DlsShape xs, ws;
  DlsConvGeom geo = { 0 };
  DlsNode y;

  if (!dls_graph_check_node (g, x, op, "input") || !dls_graph_check_node (g, w, op, "weight"))
    return DLS_NODE_NONE;
  if (b != DLS_NODE_NONE && !dls_graph_check_node (g, b, op, "bias"))
    return DLS_NODE_NONE;
  if (!check_2d (g, x, op))
    return DLS_NODE_NONE;
  a.stride = a.stride ? a.stride : 1;
  a.dilation = a.dilation ? a.dilation : 1;
  xs = g->nodes[x].shape;
  ws = g->nodes[w].shape;
  if (a.stride < 0 || a.dilation < 0 || a.padding < 0)
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT,
                      "conv2d: stride (%d), dilation (%d) and padding (%d) cannot be negative",
                      a.stride, a.dilation, a.padding);
      return DLS_NODE_NONE;
    }
  if (!is_weight (g, w) || ws.d != 1 || ws.c != xs.c)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "conv2d: the weight must be a parameter [OC, %d, KH, KW] for an input with "
                      "%d channels, not [%d, %d, %d, %d]",
                      xs.c, xs.c, ws.n, ws.c, ws.h, ws.w);
      return DLS_NODE_NONE;
    }
  if (b != DLS_NODE_NONE && param_numel (g, b) != ws.n)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "conv2d: the bias has %" G_GINT64_FORMAT " values for %d output channels",
                      param_numel (g, b), ws.n);
      return DLS_NODE_NONE;
    }
  if (a.pad_mode == DLS_PAD_REFLECT && (a.padding >= xs.h || a.padding >= xs.w))
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "conv2d: reflect padding of %d needs an image larger than %d pixels on "
                      "each side, but the input is %d×%d",
                      a.padding, a.padding, xs.h, xs.w);
      return DLS_NODE_NONE;
    }
  geo.N = xs.n, geo.C = xs.c, geo.H = xs.h, geo.W = xs.w;
  geo.OC = ws.n, geo.KH = ws.h, geo.KW = ws.w;
  geo.stride = a.stride, geo.pad = a.padding, geo.dil = a.dilation, geo.mode = a.pad_mode;
  geo.OH = (xs.h + 2 * a.padding - a.dilation * (ws.h - 1) - 1) / a.stride + 1;
  geo.OW = (xs.w + 2 * a.padding - a.dilation * (ws.w - 1) - 1) / a.stride + 1;
  if (xs.h + 2 * a.padding - a.dilation * (ws.h - 1) - 1 < 0
      || xs.w + 2 * a.padding - a.dilation * (ws.w - 1) - 1 < 0)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "conv2d: a %d×%d kernel with dilation %d and padding %d does not fit in "
                      "the %d×%d input",
                      ws.h, ws.w, a.dilation, a.padding, xs.h, xs.w);
      return DLS_NODE_NONE;
    }
  {
    DlsNode in[3] = { x, w, b };
    y = dls_graph_add_node (g, DLS_OP_CONV2D, DLS_SHAPE (xs.n, geo.OC, geo.OH, geo.OW),
                            b == DLS_NODE_NONE ? 2 : 3, in);
  }
  if (y != DLS_NODE_NONE)
    {
      g->nodes[y].a.conv.geo = geo;
      g->nodes[y].a.conv.has_bias = b != DLS_NODE_NONE;
    }
  return y;
}

DlsNode
dls_graph_conv_transpose2d (DlsGraph *g, DlsNode x, DlsNode w, DlsNode b,
                            const DlsConvTransposeArgs *args)
{
  const char *op = "conv_transpose2d";
  DlsConvTransposeArgs a = args ? *args : (DlsConvTransposeArgs){ 0 };
  DlsShape xs, ws;
  DlsConvGeom geo = { 0 };
  DlsNode y;

  if (!dls_graph_check_node (g, x, op, "input") || !dls_graph_check_node (g, w, op, "weight"))
    return DLS_NODE_NONE;
  if (b != DLS_NODE_NONE && !dls_graph_check_node (g, b, op, "bias"))
    return DLS_NODE_NONE;
  if (!check_2d (g, x, op))
    return DLS_NODE_NONE;
  a.stride = a.stride ? a.stride : 1;
  a.dilation = a.dilation ? a.dilation : 1;
  xs = g->nodes[x].shape;
  ws = g->nodes[w].shape;
  if (a.stride < 0 || a.dilation < 0 || a.padding < 0 || a.output_padding[0] < 0
      || a.output_padding[1] < 0)
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT,
                      "conv_transpose2d: stride, dilation and paddings cannot be negative");
      return DLS_NODE_NONE;
    }
  if (MAX (a.output_padding[0], a.output_padding[1]) >= MAX (a.stride, a.dilation))
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT,
                      "conv_transpose2d: output padding (%d) must be smaller than the stride "
                      "(%d) or the dilation (%d)",
                      MAX (a.output_padding[0], a.output_padding[1]), a.stride, a.dilation);
      return DLS_NODE_NONE;
    }
  /* PyTorch's transposed weight is [C, OC, KH, KW]. */
  if (!is_weight (g, w) || ws.d != 1 || ws.n != xs.c)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "conv_transpose2d: the weight must be a parameter [%d, OC, KH, KW] for an "
                      "input with %d channels, not [%d, %d, %d, %d]",
                      xs.c, xs.c, ws.n, ws.c, ws.h, ws.w);
      return DLS_NODE_NONE;
    }
  if (b != DLS_NODE_NONE && param_numel (g, b) != ws.c)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "conv_transpose2d: the bias has %" G_GINT64_FORMAT
                      " values for %d output channels",
                      param_numel (g, b), ws.c);
      return DLS_NODE_NONE;
    }
  geo.N = xs.n, geo.C = xs.c, geo.H = xs.h, geo.W = xs.w;
  geo.OC = ws.c, geo.KH = ws.h, geo.KW = ws.w;
  geo.stride = a.stride, geo.pad = a.padding, geo.dil = a.dilation;
  geo.out_pad = a.output_padding[0];
  geo.OH = (xs.h - 1) * a.stride - 2 * a.padding + a.dilation * (ws.h - 1) + a.output_padding[0] + 1;
  geo.OW = (xs.w - 1) * a.stride - 2 * a.padding + a.dilation * (ws.w - 1) + a.output_padding[1] + 1;
  if (geo.OH <= 0 || geo.OW <= 0)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "conv_transpose2d: padding %d leaves no output for a %d×%d input", a.padding,
                      xs.h, xs.w);
      return DLS_NODE_NONE;
    }
  {
    DlsNode in[3] = { x, w, b };
    y = dls_graph_add_node (g, DLS_OP_CONV_TRANSPOSE2D, DLS_SHAPE (xs.n, geo.OC, geo.OH, geo.OW),
                            b == DLS_NODE_NONE ? 2 : 3, in);
  }
  if (y != DLS_NODE_NONE)
    {
      g->nodes[y].a.conv.geo = geo;
      g->nodes[y].a.conv.has_bias = b != DLS_NODE_NONE;
    }
  return y;
}

DlsNode
dls_graph_maxpool2d (DlsGraph *g, DlsNode x, int kernel, int stride, int padding)
{
  DlsShape xs;
  int oh, ow;
  DlsNode y;

  if (!dls_graph_check_node (g, x, "maxpool2d", "input") || !check_2d (g, x, "maxpool2d"))
    return DLS_NODE_NONE;
  stride = stride ? stride : kernel;
  if (kernel <= 0 || stride <= 0 || padding < 0 || 2 * padding > kernel)
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT,
                      "maxpool2d: kernel %d, stride %d, padding %d: the kernel and stride must "
                      "be positive and the padding at most half the kernel",
                      kernel, stride, padding);
      return DLS_NODE_NONE;
    }
  xs = g->nodes[x].shape;
  oh = (xs.h + 2 * padding - kernel) / stride + 1;
  ow = (xs.w + 2 * padding - kernel) / stride + 1;
  if (xs.h + 2 * padding < kernel || xs.w + 2 * padding < kernel)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "maxpool2d: a %d×%d window does not fit in the %d×%d "
                      "input",
                      kernel, kernel, xs.h, xs.w);
      return DLS_NODE_NONE;
    }
  y = dls_graph_add_node (g, DLS_OP_MAXPOOL2D, DLS_SHAPE (xs.n, xs.c, oh, ow), 1, &x);
  if (y != DLS_NODE_NONE)
    {
      g->nodes[y].a.pool.k = kernel;
      g->nodes[y].a.pool.s = stride;
      g->nodes[y].a.pool.p = padding;
    }
  return y;
}

DlsNode
dls_graph_upsample_nearest (DlsGraph *g, DlsNode x, int h, int w)
{
  DlsShape xs;

  if (!dls_graph_check_node (g, x, "upsample_nearest", "input")
      || !check_2d (g, x, "upsample_nearest"))
    return DLS_NODE_NONE;
  xs = g->nodes[x].shape;
  if (h <= 0 || w <= 0)
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT, "upsample_nearest: the target size %d×%d is empty", h,
                      w);
      return DLS_NODE_NONE;
    }
  return dls_graph_add_node (g, DLS_OP_UPSAMPLE_NEAREST, DLS_SHAPE (xs.n, xs.c, h, w), 1, &x);
}

DlsNode
dls_graph_linear (DlsGraph *g, DlsNode x, DlsNode w, DlsNode b)
{
  DlsShape xs, ws;

  if (!dls_graph_check_node (g, x, "linear", "input")
      || !dls_graph_check_node (g, w, "linear", "weight"))
    return DLS_NODE_NONE;
  if (b != DLS_NODE_NONE && !dls_graph_check_node (g, b, "linear", "bias"))
    return DLS_NODE_NONE;
  xs = g->nodes[x].shape;
  ws = g->nodes[w].shape;
  if (xs.h != 1 || xs.w != 1 || xs.d != 1)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "linear: the input must be flat (N, features), not %d×%d×%d×%d; flatten "
                      "it first",
                      xs.n, xs.c, xs.h, xs.w);
      return DLS_NODE_NONE;
    }
  if (!is_weight (g, w) || ws.c != xs.c || ws.h != 1 || ws.w != 1)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "linear: the weight must be a parameter [OUT, %d] for %d input features",
                      xs.c, xs.c);
      return DLS_NODE_NONE;
    }
  if (b != DLS_NODE_NONE && param_numel (g, b) != ws.n)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "linear: the bias has %" G_GINT64_FORMAT " values for %d outputs",
                      param_numel (g, b), ws.n);
      return DLS_NODE_NONE;
    }
  {
    DlsNode in[3] = { x, w, b };
    return dls_graph_add_node (g, DLS_OP_LINEAR, DLS_SHAPE_FLAT (xs.n, ws.n),
                               b == DLS_NODE_NONE ? 2 : 3, in);
  }
}

/* ---- normalisation, activations ---- */

DlsNode
dls_graph_batchnorm (DlsGraph *g, DlsNode x, DlsNode gamma, DlsNode beta, DlsNode running_mean,
                     DlsNode running_var, DlsNode counter, const DlsBatchNormArgs *args)
{
  const char *op = "batchnorm";
  DlsBatchNormArgs a = args ? *args : (DlsBatchNormArgs){ 0 };
  DlsNode in[6] = { x, gamma, beta, running_mean, running_var, counter };
  const char *what[6]
      = { "input", "weight", "bias", "running mean", "running variance", "batch counter" };
  DlsShape xs;
  DlsNode y;

  if (!dls_graph_check_node (g, x, op, "input"))
    return DLS_NODE_NONE;
  for (int i = 1; i < 6; i++)
    if (in[i] != DLS_NODE_NONE && !dls_graph_check_node (g, in[i], op, what[i]))
      return DLS_NODE_NONE;
  if (!check_2d (g, x, op))
    return DLS_NODE_NONE;
  xs = g->nodes[x].shape;
  if ((gamma == DLS_NODE_NONE) != (beta == DLS_NODE_NONE))
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT, "batchnorm: give both weight and bias, or neither");
      return DLS_NODE_NONE;
    }
  if (a.mode == DLS_BN_RUNNING_STATS
      && (running_mean == DLS_NODE_NONE || running_var == DLS_NODE_NONE
          || counter == DLS_NODE_NONE))
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT,
                      "batchnorm: running statistics mode needs the running mean, variance and "
                      "batch counter");
      return DLS_NODE_NONE;
    }
  for (int i = 1; i < 5; i++)
    if (in[i] != DLS_NODE_NONE && param_numel (g, in[i]) != xs.c)
      {
        dls_graph_fail (g, DLS_ERROR_SHAPE,
                        "batchnorm: the %s has %" G_GINT64_FORMAT " values for %d channels",
                        what[i], param_numel (g, in[i]), xs.c);
        return DLS_NODE_NONE;
      }
  if (counter != DLS_NODE_NONE && g->nodes[counter].a.param.kind != DLS_PARAM_COUNTER)
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT, "batchnorm: the batch counter must be a counter");
      return DLS_NODE_NONE;
    }
  if (a.mode == DLS_BN_BATCH_STATS)
    in[3] = in[4] = in[5] = DLS_NODE_NONE;
  y = dls_graph_add_node (g, DLS_OP_BATCHNORM, xs, 6, in);
  if (y != DLS_NODE_NONE)
    {
      g->nodes[y].a.bn.eps = a.eps > 0 ? a.eps : 1e-5f;
      g->nodes[y].a.bn.momentum = a.momentum > 0 ? a.momentum : 0.1f;
      g->nodes[y].a.bn.mode = a.mode;
      g->nodes[y].a.bn.pre_relu = a.pre_relu;
      g->nodes[y].a.bn.post_relu = a.post_relu;
    }
  return y;
}

static DlsNode
unary (DlsGraph *g, DlsOp op, DlsNode x)
{
  if (!dls_graph_check_node (g, x, dls_op_info (op)->name, "input"))
    return DLS_NODE_NONE;
  return dls_graph_add_node (g, op, g->nodes[x].shape, 1, &x);
}

DlsNode
dls_graph_dropout (DlsGraph *g, DlsNode x, float p)
{
  DlsNode y;

  if (!(p >= 0.0f && p < 1.0f))
    {
      if (dls_graph_check_node (g, x, "dropout", "input"))
        dls_graph_fail (g, DLS_ERROR_ARGUMENT, "dropout: the probability %g is not in [0, 1)", p);
      return DLS_NODE_NONE;
    }
  y = unary (g, DLS_OP_DROPOUT, x);
  if (y != DLS_NODE_NONE)
    g->nodes[y].a.dropout.p = p;
  return y;
}

DlsNode
dls_graph_relu (DlsGraph *g, DlsNode x)
{
  return unary (g, DLS_OP_RELU, x);
}

DlsNode
dls_graph_sigmoid (DlsGraph *g, DlsNode x)
{
  return unary (g, DLS_OP_SIGMOID, x);
}

DlsNode
dls_graph_softmax (DlsGraph *g, DlsNode x)
{
  return unary (g, DLS_OP_SOFTMAX, x);
}

/* ---- shape ops ---- */

DlsNode
dls_graph_concat (DlsGraph *g, int n, const DlsNode *xs)
{
  DlsShape s;

  if (n <= 0)
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT, "concat: nothing to concatenate");
      return DLS_NODE_NONE;
    }
  for (int i = 0; i < n; i++)
    if (!dls_graph_check_node (g, xs[i], "concat", "input"))
      return DLS_NODE_NONE;
  s = g->nodes[xs[0]].shape;
  for (int i = 1; i < n; i++)
    {
      DlsShape t = g->nodes[xs[i]].shape;
      if (t.n != s.n || t.d != s.d || t.h != s.h || t.w != s.w)
        {
          g_autofree char *a = shape_str (s);
          g_autofree char *b = shape_str (t);
          dls_graph_fail (g, DLS_ERROR_SHAPE,
                          "concat: input %d has shape %s, which does not match %s of input 0 "
                          "outside the channel axis",
                          i, b, a);
          return DLS_NODE_NONE;
        }
      s.c += t.c;
    }
  for (int i = 0; i < n; i++)
    if (g->nodes[xs[i]].op == DLS_OP_PARAM || g->nodes[xs[i]].op == DLS_OP_LABELS)
      {
        dls_graph_fail (g, DLS_ERROR_ARGUMENT, "concat: input %d is not an activation", i);
        return DLS_NODE_NONE;
      }
  return dls_graph_add_node (g, DLS_OP_CONCAT, s, n, xs);
}

DlsNode
dls_graph_slice (DlsGraph *g, DlsNode x, int c0, int c1)
{
  DlsShape s;
  DlsNode y;

  if (!dls_graph_check_node (g, x, "slice", "input"))
    return DLS_NODE_NONE;
  s = g->nodes[x].shape;
  if (c0 < 0 || c1 > s.c || c0 >= c1)
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT,
                      "slice: channels [%d, %d) are not a range inside the %d channels", c0, c1,
                      s.c);
      return DLS_NODE_NONE;
    }
  if (g->nodes[x].op == DLS_OP_PARAM || g->nodes[x].op == DLS_OP_LABELS)
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT, "slice: the input is not an activation");
      return DLS_NODE_NONE;
    }
  s.c = c1 - c0;
  y = dls_graph_add_node (g, DLS_OP_SLICE, s, 1, &x);
  if (y != DLS_NODE_NONE)
    g->nodes[y].a.slice.c0 = c0;
  return y;
}

DlsNode
dls_graph_reshape (DlsGraph *g, DlsNode x, DlsShape shape)
{
  DlsShape s;

  if (!dls_graph_check_node (g, x, "reshape", "input"))
    return DLS_NODE_NONE;
  s = g->nodes[x].shape;
  if (dls_shape_numel (s) != dls_shape_numel (shape) || shape.n != s.n)
    {
      g_autofree char *a = shape_str (s);
      g_autofree char *b = shape_str (shape);
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "reshape: %s cannot become %s (the batch size and the number of values "
                      "must stay the same)",
                      a, b);
      return DLS_NODE_NONE;
    }
  return dls_graph_add_node (g, DLS_OP_RESHAPE, shape, 1, &x);
}

DlsNode
dls_graph_flatten (DlsGraph *g, DlsNode x)
{
  DlsShape s;

  if (!dls_graph_check_node (g, x, "flatten", "input"))
    return DLS_NODE_NONE;
  s = g->nodes[x].shape;
  if ((int64_t) s.c * s.d * s.h * s.w > INT32_MAX)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE, "flatten: too many features per sample");
      return DLS_NODE_NONE;
    }
  return dls_graph_reshape (g, x, DLS_SHAPE_FLAT (s.n, s.c * s.d * s.h * s.w));
}

DlsNode
dls_graph_add (DlsGraph *g, DlsNode a, DlsNode b)
{
  DlsNode in[2] = { a, b };

  if (!dls_graph_check_node (g, a, "add", "first input")
      || !dls_graph_check_node (g, b, "add", "second input"))
    return DLS_NODE_NONE;
  if (!dls_shape_equal (g->nodes[a].shape, g->nodes[b].shape))
    {
      g_autofree char *sa = shape_str (g->nodes[a].shape);
      g_autofree char *sb = shape_str (g->nodes[b].shape);
      dls_graph_fail (g, DLS_ERROR_SHAPE, "add: shapes %s and %s differ", sa, sb);
      return DLS_NODE_NONE;
    }
  return dls_graph_add_node (g, DLS_OP_ADD, g->nodes[a].shape, 2, in);
}

DlsNode
dls_graph_scale (DlsGraph *g, DlsNode x, float s)
{
  DlsNode y = unary (g, DLS_OP_SCALE, x);

  if (y != DLS_NODE_NONE)
    g->nodes[y].a.scale.s = s;
  return y;
}

/* ---- losses ---- */

static bool
check_same (DlsGraph *g, const char *op, DlsNode a, const char *an, DlsNode b, const char *bn)
{
  if (!dls_shape_equal (g->nodes[a].shape, g->nodes[b].shape))
    {
      g_autofree char *sa = shape_str (g->nodes[a].shape);
      g_autofree char *sb = shape_str (g->nodes[b].shape);
      dls_graph_fail (g, DLS_ERROR_SHAPE, "%s: the %s (%s) and the %s (%s) differ in shape", op, an,
                      sa, bn, sb);
      return false;
    }
  return true;
}

DlsNode
dls_graph_cross_entropy (DlsGraph *g, DlsNode logits, DlsNode labels, int ignore_label,
                         const float *class_weights)
{
  const char *op = "cross_entropy";
  DlsShape ls, ys;
  DlsNode in[2] = { logits, labels };
  DlsNode y;

  if (!dls_graph_check_node (g, logits, op, "logits")
      || !dls_graph_check_node (g, labels, op, "labels"))
    return DLS_NODE_NONE;
  ls = g->nodes[logits].shape;
  ys = g->nodes[labels].shape;
  if (g->nodes[labels].op != DLS_OP_LABELS)
    {
      dls_graph_fail (g, DLS_ERROR_ARGUMENT,
                      "cross_entropy: the labels must be an integer label input");
      return DLS_NODE_NONE;
    }
  if (ys.n != ls.n || ys.h != ls.h || ys.w != ls.w || ls.d != 1)
    {
      dls_graph_fail (g, DLS_ERROR_SHAPE,
                      "cross_entropy: labels of %d×%d×%d do not match the %d×%d×%d prediction "
                      "(batch × height × width)",
                      ys.n, ys.h, ys.w, ls.n, ls.h, ls.w);
      return DLS_NODE_NONE;
    }
  if (class_weights)
    for (int k = 0; k < ls.c; k++)
      if (!(class_weights[k] >= 0.0f) || !isfinite (class_weights[k]))
        {
          dls_graph_fail (g, DLS_ERROR_ARGUMENT,
                          "cross_entropy: class weight %d (%g) must be a number ≥ 0", k,
                          class_weights[k]);
          return DLS_NODE_NONE;
        }
  y = dls_graph_add_node (g, DLS_OP_CROSS_ENTROPY, DLS_SHAPE_FLAT (1, 1), 2, in);
  if (y != DLS_NODE_NONE)
    {
      g->nodes[y].a.ce.ignore = ignore_label;
      g->nodes[y].a.ce.k = ls.c;
      g->nodes[y].a.ce.weights
          = class_weights ? g_memdup2 (class_weights, sizeof (float) * ls.c) : NULL;
    }
  return y;
}

static DlsNode
masked_loss (DlsGraph *g, DlsOp op, DlsNode pred, DlsNode target, DlsNode mask)
{
  const char *name = dls_op_info (op)->name;
  DlsNode in[3] = { pred, target, mask };

  if (!dls_graph_check_node (g, pred, name, "prediction")
      || !dls_graph_check_node (g, target, name, "target"))
    return DLS_NODE_NONE;
  if (mask != DLS_NODE_NONE && !dls_graph_check_node (g, mask, name, "mask"))
    return DLS_NODE_NONE;
  if (!check_same (g, name, pred, "prediction", target, "target"))
    return DLS_NODE_NONE;
  if (mask != DLS_NODE_NONE && !check_same (g, name, pred, "prediction", mask, "mask"))
    return DLS_NODE_NONE;
  return dls_graph_add_node (g, op, DLS_SHAPE_FLAT (1, 1), mask == DLS_NODE_NONE ? 2 : 3, in);
}

DlsNode
dls_graph_mse_masked (DlsGraph *g, DlsNode pred, DlsNode target, DlsNode mask)
{
  return masked_loss (g, DLS_OP_MSE_MASKED, pred, target, mask);
}

DlsNode
dls_graph_l1_masked (DlsGraph *g, DlsNode pred, DlsNode target, DlsNode mask)
{
  return masked_loss (g, DLS_OP_L1_MASKED, pred, target, mask);
}

static DlsNode
binary_loss (DlsGraph *g, DlsOp op, DlsNode p, DlsNode t, float alpha, float beta, float gamma,
             float smooth)
{
  const char *name = dls_op_info (op)->name;
  DlsNode in[2] = { p, t };
  DlsNode y;

  if (!dls_graph_check_node (g, p, name, "prediction")
      || !dls_graph_check_node (g, t, name, "target"))
    return DLS_NODE_NONE;
  if (!check_same (g, name, p, "prediction", t, "target"))
    return DLS_NODE_NONE;
  y = dls_graph_add_node (g, op, DLS_SHAPE_FLAT (1, 1), 2, in);
  if (y != DLS_NODE_NONE)
    {
      g->nodes[y].a.loss.alpha = alpha;
      g->nodes[y].a.loss.beta = beta;
      g->nodes[y].a.loss.gamma = gamma;
      g->nodes[y].a.loss.smooth = smooth;
    }
  return y;
}

DlsNode
dls_graph_dice (DlsGraph *g, DlsNode p, DlsNode t, float smooth)
{
  return binary_loss (g, DLS_OP_DICE, p, t, 0, 0, 0, smooth);
}

DlsNode
dls_graph_focal (DlsGraph *g, DlsNode p, DlsNode t, float alpha, float gamma)
{
  return binary_loss (g, DLS_OP_FOCAL, p, t, alpha, 0, gamma, 0);
}

DlsNode
dls_graph_tversky (DlsGraph *g, DlsNode p, DlsNode t, float alpha, float beta, float smooth)
{
  return binary_loss (g, DLS_OP_TVERSKY, p, t, alpha, beta, 0, smooth);
}

void
dls_graph_mark_output (DlsGraph *g, DlsNode x)
{
  g_return_if_fail (x >= 0 && x < g->n_nodes);
  g->nodes[x].keep = true;
}
