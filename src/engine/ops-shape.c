/* SPDX-License-Identifier: MIT
 *
 * ops-shape.c: leaves (input, labels, parameters), concat and slice along channels, reshape,
 * add, scale, and linear.
 *
 * Concat and slice are usually free: the planner writes a concat's inputs straight into their
 * channel range of its buffer and makes a slice a view, so both forward and backward have
 * nothing to do.  Only an input that could not be placed (a parameter, a slice, a node already
 * placed in another concat) is copied here.  Reshape always copies.
 */
#include "engine-private.h"
#include "ref.h"

static void
nothing (DlsGraph *g, DlsNodeImpl *n)
{
}

/* ---- concat ---- */

static void
copy_rows (DlsView dst, DlsView src, DlsShape s, bool add)
{
  for (int n = 0; n < s.n; n++)
    for (int c = 0; c < s.c; c++)
      for (int y = 0; y < s.h; y++)
        {
          float *d = dls_view_at (dst, n, c, y, 0);
          const float *r = dls_view_at (src, n, c, y, 0);
          if (add)
            for (int i = 0; i < s.w; i++)
              d[i] += r[i];
          else
            memcpy (d, r, sizeof (float) * s.w);
        }
}

static bool
placed_in (DlsGraph *g, DlsNodeImpl *x, DlsNodeImpl *concat, int c0)
{
  return x->alias_of == concat - g->nodes && x->alias_c0 == c0;
}

static void
concat_forward (DlsGraph *g, DlsNodeImpl *n)
{
  int c0 = 0;

  for (int i = 0; i < n->n_in; i++)
    {
      DlsNodeImpl *x = dls_input_node (g, n, i);
      if (!placed_in (g, x, n, c0))
        copy_rows (dls_view_channels (n->value, c0), x->value, x->shape, false);
      c0 += x->shape.c;
    }
}

static void
concat_backward (DlsGraph *g, DlsNodeImpl *n)
{
  int c0 = 0;

  for (int i = 0; i < n->n_in; i++)
    {
      DlsNodeImpl *x = dls_input_node (g, n, i);
      if (x->requires_grad && !placed_in (g, x, n, c0))
        copy_rows (x->grad, dls_view_channels (n->grad, c0), x->shape, true);
      c0 += x->shape.c;
    }
}

/* ---- reshape: element k of a sample in NCHW order stays element k ---- */

static void
reshape_copy (DlsView dst, DlsShape ds, DlsView src, DlsShape ss, bool add, bool to_src)
{
  for (int n = 0; n < ss.n; n++)
    {
      int oc = 0, oy = 0, ox = 0;
      for (int c = 0; c < ss.c; c++)
        for (int y = 0; y < ss.h; y++)
          for (int x = 0; x < ss.w; x++)
            {
              float *a = dls_view_at (src, n, c, y, x);
              float *b = dls_view_at (dst, n, oc, oy, ox);
              if (to_src)
                *a = add ? *a + *b : *b;
              else
                *b = add ? *b + *a : *a;
              if (++ox == ds.w)
                {
                  ox = 0;
                  if (++oy == ds.h)
                    oy = 0, oc++;
                }
            }
    }
}

static void
reshape_forward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *x = dls_input_node (g, n, 0);
  reshape_copy (n->value, n->shape, x->value, x->shape, false, false);
}

static void
reshape_backward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *x = dls_input_node (g, n, 0);
  reshape_copy (n->grad, n->shape, x->grad, x->shape, true, true);
}

/* ---- add, scale ---- */

static void
add_forward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *a = dls_input_node (g, n, 0), *b = dls_input_node (g, n, 1);
  DlsShape s = n->shape;

  for (int in = 0; in < s.n; in++)
    for (int c = 0; c < s.c; c++)
      for (int y = 0; y < s.h; y++)
        {
          const float *ra = dls_view_at (a->value, in, c, y, 0);
          const float *rb = dls_view_at (b->value, in, c, y, 0);
          float *o = dls_view_at (n->value, in, c, y, 0);
          for (int i = 0; i < s.w; i++)
            o[i] = ra[i] + rb[i];
        }
}

static void
add_backward (DlsGraph *g, DlsNodeImpl *n)
{
  for (int i = 0; i < 2; i++)
    {
      DlsNodeImpl *x = dls_input_node (g, n, i);
      if (x->requires_grad)
        copy_rows (x->grad, n->grad, n->shape, true);
    }
}

static void
scale_forward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *x = dls_input_node (g, n, 0);
  DlsShape s = n->shape;
  float k = n->a.scale.s;

  for (int in = 0; in < s.n; in++)
    for (int c = 0; c < s.c; c++)
      for (int y = 0; y < s.h; y++)
        {
          const float *r = dls_view_at (x->value, in, c, y, 0);
          float *o = dls_view_at (n->value, in, c, y, 0);
          for (int i = 0; i < s.w; i++)
            o[i] = k * r[i];
        }
}

static void
scale_backward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *x = dls_input_node (g, n, 0);
  DlsShape s = n->shape;
  float k = n->a.scale.s;

  for (int in = 0; in < s.n; in++)
    for (int c = 0; c < s.c; c++)
      for (int y = 0; y < s.h; y++)
        {
          const float *r = dls_view_at (n->grad, in, c, y, 0);
          float *o = dls_view_at (x->grad, in, c, y, 0);
          for (int i = 0; i < s.w; i++)
            o[i] += k * r[i];
        }
}

/* ---- linear: y (N × OUT) = x (N × IN) · Wᵀ + b ---- */

static bool
dense (DlsView v, DlsShape s)
{
  return v.halo == 0 && v.sc == 1 && v.sn == s.c;
}

/* A flat (N, C) view as a dense matrix: itself, or a copy in buf. */
static float *
as_matrix (DlsView v, DlsShape s, float *buf)
{
  if (dense (v, s))
    return v.p;
  for (int n = 0; n < s.n; n++)
    for (int c = 0; c < s.c; c++)
      buf[(int64_t) n * s.c + c] = *dls_view_at (v, n, c, 0, 0);
  return buf;
}

static void
linear_plan (DlsGraph *g, DlsNodeImpl *n)
{
  DlsShape xs = dls_input_node (g, n, 0)->shape;
  dls_plan_request_scratch (g, (size_t) xs.n * xs.c + (size_t) n->shape.n * n->shape.c);
}

static void
linear_forward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *x = dls_input_node (g, n, 0), *w = dls_input_node (g, n, 1);
  const float *b = n->n_in > 2 ? dls_input_node (g, n, 2)->value.p : NULL;
  int N = x->shape.n, IN = x->shape.c, OUT = n->shape.c;
  float *scratch = dls_thread_scratch (g, 0);
  float *xm = as_matrix (x->value, x->shape, scratch);
  float *ym = dense (n->value, n->shape) ? n->value.p : scratch + (int64_t) N * IN;

  dls_sgemm (false, true, N, OUT, IN, 1.0f, xm, IN, w->value.p, IN, 0.0f, ym, OUT);
  for (int i = 0; i < N; i++)
    for (int o = 0; o < OUT; o++)
      {
        float v = ym[(int64_t) i * OUT + o] + (b ? b[o] : 0.0f);
        *dls_view_at (n->value, i, o, 0, 0) = v;
      }
}

static void
linear_backward (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *x = dls_input_node (g, n, 0), *w = dls_input_node (g, n, 1);
  DlsNodeImpl *b = n->n_in > 2 ? dls_input_node (g, n, 2) : NULL;
  int N = x->shape.n, IN = x->shape.c, OUT = n->shape.c;
  float *scratch = dls_thread_scratch (g, 0);
  float *gy = as_matrix (n->grad, n->shape, scratch + (int64_t) N * IN);

  if (b && b->requires_grad)
    for (int i = 0; i < N; i++)
      for (int o = 0; o < OUT; o++)
        b->grad.p[o] += gy[(int64_t) i * OUT + o];
  if (w->requires_grad)
    {
      float *xm = as_matrix (x->value, x->shape, scratch);
      /* dW (OUT × IN) += dYᵀ · X */
      dls_sgemm (true, false, OUT, IN, N, 1.0f, gy, OUT, xm, IN, 1.0f, w->grad.p, IN);
    }
  if (x->requires_grad)
    {
      if (dense (x->grad, x->shape))
        dls_sgemm (false, false, N, IN, OUT, 1.0f, gy, OUT, w->value.p, IN, 1.0f, x->grad.p, IN);
      else
        {
          dls_sgemm (false, false, N, IN, OUT, 1.0f, gy, OUT, w->value.p, IN, 0.0f, scratch, IN);
          for (int i = 0; i < N; i++)
            for (int c = 0; c < IN; c++)
              *dls_view_at (x->grad, i, c, 0, 0) += scratch[(int64_t) i * IN + c];
        }
    }
}

const DlsOpInfo dls_op_input = { DLS_OP_INPUT, "input", NULL, nothing, NULL };
const DlsOpInfo dls_op_labels = { DLS_OP_LABELS, "labels", NULL, nothing, NULL };
const DlsOpInfo dls_op_param = { DLS_OP_PARAM, "param", NULL, nothing, NULL };
const DlsOpInfo dls_op_concat = { DLS_OP_CONCAT, "concat", NULL, concat_forward, concat_backward };
const DlsOpInfo dls_op_slice = { DLS_OP_SLICE, "slice", NULL, nothing, NULL };
const DlsOpInfo dls_op_reshape
    = { DLS_OP_RESHAPE, "reshape", NULL, reshape_forward, reshape_backward };
const DlsOpInfo dls_op_add = { DLS_OP_ADD, "add", NULL, add_forward, add_backward };
const DlsOpInfo dls_op_scale = { DLS_OP_SCALE, "scale", NULL, scale_forward, scale_backward };
const DlsOpInfo dls_op_linear
    = { DLS_OP_LINEAR, "linear", linear_plan, linear_forward, linear_backward };

/* ---- reference loops ---- */

void
dls_ref_linear_forward (double *y, const double *x, const double *w, const double *b, int N, int IN,
                        int OUT)
{
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OUT; o++)
      {
        double s = b ? b[o] : 0;
        for (int i = 0; i < IN; i++)
          s += x[(int64_t) n * IN + i] * w[(int64_t) o * IN + i];
        y[(int64_t) n * OUT + o] = s;
      }
}

void
dls_ref_linear_backward (double *dx, double *dw, double *db, const double *dy, const double *x,
                         const double *w, int N, int IN, int OUT)
{
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OUT; o++)
      {
        double g = dy[(int64_t) n * OUT + o];
        if (db)
          db[o] += g;
        for (int i = 0; i < IN; i++)
          {
            if (dw)
              dw[(int64_t) o * IN + i] += g * x[(int64_t) n * IN + i];
            if (dx)
              dx[(int64_t) n * IN + i] += g * w[(int64_t) o * IN + i];
          }
      }
}
