/* SPDX-License-Identifier: MIT
 *
 * exec.c: running a compiled graph.  Forward walks the nodes in order; backward walks them in
 * reverse, zeroing each buffer's gradient just before its first writer (so no full-arena memset)
 * and running only the nodes that lead to the seed.  Also here: copying inputs in and values out,
 * and the halo service: filling a buffer's border with zeros or the image's reflection after it
 * is written, and folding a gradient's border back into the image before it is read.
 */
#include "engine-private.h"

#include <math.h>
#include <time.h>

/* ---- halos ---- */

static void
fill_plane (float *p, int64_t sh, int h, int w, int halo, DlsHaloMode mode)
{
  int f = mode == DLS_HALO_REFLECT ? MIN (halo, MIN (h - 1, w - 1)) : 0;
  int64_t wp = w + 2 * halo;

  /* Interior rows: left and right borders. */
  for (int y = 0; y < h; y++)
    {
      float *r = p + y * sh;
      for (int i = 1; i <= f; i++)
        {
          r[-i] = r[i];
          r[w - 1 + i] = r[w - 1 - i];
        }
      for (int i = f + 1; i <= halo; i++)
        r[-i] = r[w - 1 + i] = 0.0f;
    }
  /* Border rows, whole padded width (so the corners reflect in both directions). */
  for (int i = 1; i <= f; i++)
    {
      memcpy (p - i * sh - halo, p + i * sh - halo, sizeof (float) * wp);
      memcpy (p + (h - 1 + i) * sh - halo, p + (h - 1 - i) * sh - halo, sizeof (float) * wp);
    }
  for (int i = f + 1; i <= halo; i++)
    {
      memset (p - i * sh - halo, 0, sizeof (float) * wp);
      memset (p + (h - 1 + i) * sh - halo, 0, sizeof (float) * wp);
    }
}

void
dls_fill_halo (DlsView v, int n, int c, int h, int w, DlsHaloMode mode)
{
  if (v.halo <= 0 || v.p == NULL)
    return;
  for (int in = 0; in < n; in++)
    for (int ic = 0; ic < c; ic++)
      fill_plane (dls_view_at (v, in, ic, 0, 0), v.sh, h, w, v.halo, mode);
}

/* The adjoint of fill_plane: border gradients go back to the pixels they were copied from
 * (reflect) or are dropped (zeros); the border is left at zero either way. */
static void
fold_plane (float *p, int64_t sh, int h, int w, int halo, DlsHaloMode mode)
{
  int f = mode == DLS_HALO_REFLECT ? MIN (halo, MIN (h - 1, w - 1)) : 0;
  int64_t wp = w + 2 * halo;

  for (int i = 1; i <= f; i++)
    {
      float *dst = p + i * sh - halo, *src = p - i * sh - halo;
      for (int64_t x = 0; x < wp; x++)
        dst[x] += src[x];
      dst = p + (h - 1 - i) * sh - halo, src = p + (h - 1 + i) * sh - halo;
      for (int64_t x = 0; x < wp; x++)
        dst[x] += src[x];
    }
  for (int i = 1; i <= halo; i++)
    {
      memset (p - i * sh - halo, 0, sizeof (float) * wp);
      memset (p + (h - 1 + i) * sh - halo, 0, sizeof (float) * wp);
    }
  for (int y = 0; y < h; y++)
    {
      float *r = p + y * sh;
      for (int i = 1; i <= f; i++)
        {
          r[i] += r[-i];
          r[w - 1 - i] += r[w - 1 + i];
        }
      for (int i = 1; i <= halo; i++)
        r[-i] = r[w - 1 + i] = 0.0f;
    }
}

void
dls_finalize_grad (DlsView v, int n, int c, int h, int w, DlsHaloMode mode)
{
  if (v.halo <= 0 || v.p == NULL)
    return;
  for (int in = 0; in < n; in++)
    for (int ic = 0; ic < c; ic++)
      fold_plane (dls_view_at (v, in, ic, 0, 0), v.sh, h, w, v.halo, mode);
}

/* The halo service over the pool, planes split between tasks: run serially between two
 * parallel kernels they would be the larger part of a two-thread step's idle time. */
typedef struct
{
  DlsView v;
  DlsShape s;
  DlsHaloMode mode;
  bool fold;
} HaloJob;

static void
halo_task (void *data, int task, int n_tasks)
{
  HaloJob *j = data;
  int64_t lo, hi;

  dls_split ((int64_t) j->s.n * j->s.c, n_tasks, task, &lo, &hi);
  for (int64_t i = lo; i < hi; i++)
    {
      float *p = dls_view_at (j->v, i / j->s.c, i % j->s.c, 0, 0);
      if (j->fold)
        fold_plane (p, j->v.sh, j->s.h, j->s.w, j->v.halo, j->mode);
      else
        fill_plane (p, j->v.sh, j->s.h, j->s.w, j->v.halo, j->mode);
    }
}

static void
halo_parallel (DlsGraph *g, DlsView v, DlsShape s, DlsHaloMode mode, bool fold)
{
  HaloJob j = { v, s, mode, fold };
  int planes = s.n * s.c;
  int tasks = planes > 1 && dls_shape_numel (s) >= 16384 ? MIN (dls_graph_tasks (g), planes) : 1;

  if (v.halo <= 0 || v.p == NULL)
    return;
  dls_parallel (tasks, halo_task, &j);
}

/* ---- row-parallel helper for element-wise ops ---- */

typedef struct
{
  DlsShape shape;
  DlsRowFn fn;
  void *ctx;
} RowsJob;

static void
rows_task (void *data, int task, int n_tasks)
{
  RowsJob *job = data;
  int64_t rows = (int64_t) job->shape.n * job->shape.c * job->shape.h, lo, hi;

  dls_split (rows, n_tasks, task, &lo, &hi);
  for (int64_t r = lo; r < hi; r++)
    {
      int y = r % job->shape.h;
      int64_t nc = r / job->shape.h;
      job->fn (job->ctx, nc / job->shape.c, nc % job->shape.c, y);
    }
}

void
dls_parallel_rows (DlsGraph *g, DlsShape shape, DlsRowFn fn, void *ctx)
{
  RowsJob job = { shape, fn, ctx };
  /* Small tensors are not worth waking the pool for. */
  int tasks = dls_shape_numel (shape) < 16384 ? 1 : dls_graph_tasks (g);

  dls_parallel (tasks, rows_task, &job);
}

void
dls_zero_outside (DlsView v, int n, int c, int h, int w, int e)
{
  int hl = v.halo;
  int64_t wp = w + 2 * hl;

  if (v.p == NULL)
    return;
  for (int in = 0; in < n; in++)
    for (int ic = 0; ic < c; ic++)
      {
        float *p = dls_view_at (v, in, ic, 0, 0);
        for (int y = -hl; y < h + hl; y++)
          {
            float *r = p + (int64_t) y * v.sh;
            if (y < -e || y >= h + e)
              memset (r - hl, 0, sizeof (float) * wp);
            else
              {
                memset (r - hl, 0, sizeof (float) * (hl - e));
                memset (r + w + e, 0, sizeof (float) * (hl - e));
              }
          }
      }
}

bool
dls_take_grad_assign (DlsGraph *g, DlsNodeImpl *n, int i)
{
  DlsNodeImpl *r = &g->nodes[g->nodes[n->in[i]].root];
  bool ok = r->grad_assign_now && r->grad_assigner == n - g->nodes;

  r->grad_assign_now = false;
  return ok;
}

/* ---- copies between user arrays and views ---- */

static void
copy_in (DlsView v, DlsShape s, const float *src)
{
  int64_t hw = (int64_t) s.d * s.h * s.w;

  for (int n = 0; n < s.n; n++)
    for (int c = 0; c < s.c; c++)
      {
        const float *plane = src + ((int64_t) n * s.c + c) * hw;
        for (int y = 0; y < s.h; y++)
          memcpy (dls_view_at (v, n, c, y, 0), plane + (int64_t) y * s.w, sizeof (float) * s.w);
      }
}

static void
copy_out (DlsView v, DlsShape s, float *dst)
{
  int64_t hw = (int64_t) s.d * s.h * s.w;

  for (int n = 0; n < s.n; n++)
    for (int c = 0; c < s.c; c++)
      {
        float *plane = dst + ((int64_t) n * s.c + c) * hw;
        for (int y = 0; y < s.h; y++)
          memcpy (plane + (int64_t) y * s.w, dls_view_at (v, n, c, y, 0), sizeof (float) * s.w);
      }
}

static bool
check_compiled (DlsGraph *g, DlsNode x, GError **error)
{
  if (!g->compiled)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_STATE, "the graph is not compiled");
      return false;
    }
  if (x < 0 || x >= g->n_nodes)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "node %d is not in the graph", x);
      return false;
    }
  return true;
}

gboolean
dls_graph_set_input (DlsGraph *g, DlsNode x, const float *data, GError **error)
{
  DlsNodeImpl *n;

  if (!check_compiled (g, x, error))
    return FALSE;
  n = &g->nodes[x];
  if (n->op != DLS_OP_INPUT)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "node “%s” is not an input",
                   n->name ? n->name : dls_op_info (n->op)->name);
      return FALSE;
    }
  copy_in (n->value, n->shape, data);
  dls_fill_halo (n->value, n->shape.n, n->shape.c, n->shape.h, n->shape.w,
                 dls_node_halo_mode (g, n));
  return TRUE;
}

gboolean
dls_graph_set_labels (DlsGraph *g, DlsNode x, const int32_t *labels, GError **error)
{
  DlsNodeImpl *n;
  int64_t count;

  if (!check_compiled (g, x, error))
    return FALSE;
  n = &g->nodes[x];
  if (n->op != DLS_OP_LABELS)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "node “%s” is not a label input",
                   n->name ? n->name : dls_op_info (n->op)->name);
      return FALSE;
    }
  count = (int64_t) n->shape.n * n->shape.h * n->shape.w;
  /* Every label must be a class of each loss reading it, or that loss's ignore label. */
  for (int i = x + 1; i < g->n_nodes; i++)
    {
      DlsNodeImpl *ce = &g->nodes[i];
      if (ce->op != DLS_OP_CROSS_ENTROPY || ce->in[1] != x)
        continue;
      for (int64_t j = 0; j < count; j++)
        if (labels[j] != ce->a.ce.ignore && (labels[j] < 0 || labels[j] >= ce->a.ce.k))
          {
            g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                         "label %d at position %" G_GINT64_FORMAT " is not one of the %d "
                         "classes (0–%d) nor the ignore label %d",
                         labels[j], j, ce->a.ce.k, ce->a.ce.k - 1, ce->a.ce.ignore);
            return FALSE;
          }
    }
  memcpy (n->aux, labels, sizeof (int32_t) * count);
  return TRUE;
}

void
dls_graph_read (DlsGraph *g, DlsNode x, float *out)
{
  DlsNodeImpl *n;

  g_return_if_fail (g->compiled && x >= 0 && x < g->n_nodes);
  n = &g->nodes[x];
  g_return_if_fail (n->op != DLS_OP_LABELS);
  if (n->op == DLS_OP_PARAM)
    {
      g_return_if_fail (n->value.p != NULL);
      memcpy (out, n->value.p, sizeof (float) * dls_shape_numel (n->shape));
      return;
    }
  copy_out (n->value, n->shape, out);
}

void
dls_graph_read_grad (DlsGraph *g, DlsNode x, float *out)
{
  DlsNodeImpl *n;

  g_return_if_fail (g->compiled && x >= 0 && x < g->n_nodes);
  n = &g->nodes[x];
  if (n->grad.p == NULL)
    {
      memset (out, 0, sizeof (float) * dls_shape_numel (n->shape));
      return;
    }
  if (n->op == DLS_OP_PARAM)
    {
      memcpy (out, n->grad.p, sizeof (float) * dls_shape_numel (n->shape));
      return;
    }
  copy_out (n->grad, n->shape, out);
}

float
dls_graph_scalar (DlsGraph *g, DlsNode x)
{
  g_return_val_if_fail (g->compiled && x >= 0 && x < g->n_nodes, NAN);
  return g->nodes[x].value.p[0];
}

void
dls_graph_set_training (DlsGraph *g, bool training)
{
  g->training = training;
}

bool
dls_graph_get_training (DlsGraph *g)
{
  return g->training;
}

void
dls_graph_set_seed (DlsGraph *g, uint64_t seed)
{
  g->seed = seed;
  g->step = 0;
}

void
dls_graph_set_cancel_flag (DlsGraph *g, const volatile int *flag)
{
  g->cancel = flag;
}

static bool
cancelled (DlsGraph *g)
{
  return g->cancel != NULL && __atomic_load_n (g->cancel, __ATOMIC_RELAXED) != 0;
}

/* ---- profile (DLSIA_PROFILE) ---- */

/* DLSIA_PROFILE=cpu: the calling thread's CPU time instead of the wall clock.  On a shared,
 * loaded machine it is much steadier; it counts only the caller's share of the work, so it is
 * meant for one thread. */
static double
prof_clock (void)
{
  static int cpu = -1;
  struct timespec t;

  if (cpu < 0)
    cpu = g_strcmp0 (g_getenv ("DLSIA_PROFILE"), "cpu") == 0;
  if (!cpu)
    return g_get_monotonic_time () * 1e-6;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static double
prof_now (DlsGraph *g)
{
  return g->prof ? prof_clock () : 0.0;
}

static void
prof_add (DlsGraph *g, int node, int pass, double t0)
{
  if (g->prof)
    g->prof[2 * (size_t) node + pass] += prof_clock () - t0;
}

static int
cmp_prof (const void *a, const void *b, void *data)
{
  const double *p = data;
  int i = *(const int *) a, j = *(const int *) b;
  double x = p[2 * i] + p[2 * i + 1], y = p[2 * j] + p[2 * j + 1];

  return (x < y) - (x > y);
}

/* One line per node that took time, the slowest first, in milliseconds per step. */
void
dls_graph_profile_print (DlsGraph *g)
{
  g_autofree int *order = g_new (int, g->n_nodes);
  double fwd = 0, bwd = 0, steps = MAX (g->prof_steps, 1);

  for (int i = 0; i < g->n_nodes; i++)
    {
      order[i] = i;
      fwd += g->prof[2 * i];
      bwd += g->prof[2 * i + 1];
    }
  g_qsort_with_data (order, g->n_nodes, sizeof (int), cmp_prof, g->prof);
  fprintf (stderr, "profile: %d steps, forward %.2f ms, backward %.2f ms per step\n",
           g->prof_steps, 1e3 * fwd / steps, 1e3 * bwd / steps);
  fprintf (stderr, "%5s %-18s %-22s %5s %4s %9s %9s\n", "node", "op", "shape", "kern", "halo",
           "fwd ms", "bwd ms");
  for (int k = 0; k < g->n_nodes; k++)
    {
      int i = order[k];
      DlsNodeImpl *n = &g->nodes[i];
      double f = g->prof[2 * i], b = g->prof[2 * i + 1];
      g_autofree char *shape = NULL;

      if (f + b < 1e-5 * steps)
        break;
      if (n->op == DLS_OP_CONV2D)
        shape = g_strdup_printf ("%d>%d k%d d%d %dx%d", n->a.conv.geo.C, n->a.conv.geo.OC,
                                 n->a.conv.geo.KH, n->a.conv.geo.dil, n->shape.h, n->shape.w);
      else
        shape = g_strdup_printf ("%dx%dx%dx%d", n->shape.n, n->shape.c, n->shape.h, n->shape.w);
      fprintf (stderr, "%5d %-18s %-22s %5d %4d %9.3f %9.3f\n", i, dls_op_info (n->op)->name,
               shape, n->kernel, g->nodes[n->root].halo, 1e3 * f / steps, 1e3 * b / steps);
    }
}

gboolean
dls_graph_forward (DlsGraph *g)
{
  g_return_val_if_fail (g->compiled, FALSE);
  g->step++;
  g->prof_steps++;
  for (int i = 0; i < g->n_nodes; i++)
    {
      DlsNodeImpl *n = &g->nodes[i];
      double t0;

      if (n->op == DLS_OP_INPUT || n->op == DLS_OP_LABELS || n->op == DLS_OP_PARAM)
        continue;
      if (cancelled (g))
        return FALSE;
      t0 = prof_now (g);
      dls_op_info (n->op)->forward (g, n);
      if (dls_node_owns_values (n) && n->value.halo > 0 && !n->halo_by_members)
        halo_parallel (g, n->value, n->shape, dls_node_halo_mode (g, n), false);
      prof_add (g, i, 0, t0);
    }
  return TRUE;
}

typedef struct
{
  float *p;
  int64_t len;
} ZeroJob;

static void
zero_task (void *data, int task, int n_tasks)
{
  ZeroJob *j = data;
  int64_t lo, hi;

  dls_split (j->len, n_tasks, task, &lo, &hi);
  memset (j->p + lo, 0, sizeof (float) * (hi - lo));
}

static void
zero_root_grad (DlsGraph *g, DlsNodeImpl *r)
{
  DlsView v = r->grad;
  /* The root's whole block, halos included; split between tasks when large. */
  ZeroJob j = { v.p - v.halo * v.sh - v.halo, v.sn * r->shape.n };

  dls_parallel (j.len >= 262144 ? dls_graph_tasks (g) : 1, zero_task, &j);
}

gboolean
dls_graph_backward (DlsGraph *g, DlsNode from, const float *dout)
{
  DlsNodeImpl *f;
  int next_root = 0;
  double t_pre;

  g_return_val_if_fail (g->compiled, FALSE);
  g_return_val_if_fail (from >= 0 && from < g->n_nodes, FALSE);
  if (!g->with_backward)
    {
      g_critical ("dls_graph_backward: the graph was compiled without backward");
      return FALSE;
    }
  f = &g->nodes[from];
  if (!f->requires_grad)
    return TRUE;
  if (dout == NULL && dls_shape_numel (f->shape) != 1)
    {
      g_critical ("dls_graph_backward: a gradient is needed for a non-scalar node");
      return FALSE;
    }

  memset (g->ancestor, 0, g->n_nodes);
  g->ancestor[from] = 1;
  for (int k = from; k >= 0; k--)
    if (g->ancestor[k])
      {
        for (int j = 0; j < g->nodes[k].n_in; j++)
          if (g->nodes[k].in[j] != DLS_NODE_NONE)
            g->ancestor[g->nodes[k].in[j]] = 1;
        /* the leader of its convolution group computes its input gradient */
        if (g->nodes[k].dx_leader != DLS_NODE_NONE)
          g->ancestor[g->nodes[k].dx_leader] = 1;
      }

  /* Buffers read after `from`, and the one holding `from`, start at zero now; every other one
   * just before its last reader runs backward. */
  t_pre = prof_now (g);
  for (int i = 0; i < g->n_grad_roots; i++)
    {
      DlsNodeImpl *r = &g->nodes[g->grad_roots[i]];
      r->grad_assign_now = false;
      if (r->grad_touch > from || g->grad_roots[i] == f->root)
        zero_root_grad (g, r);
    }
  while (next_root < g->n_grad_roots && g->nodes[g->grad_roots[next_root]].grad_touch > from)
    next_root++;
  prof_add (g, from, 1, t_pre);

  if (f->op == DLS_OP_PARAM)
    {
      /* Seeding a parameter's gradient directly: just add. */
      int64_t m = dls_shape_numel (f->shape);
      for (int64_t i = 0; i < m; i++)
        f->grad.p[i] += dout ? dout[i] : 1.0f;
      return TRUE;
    }
  if (dout)
    copy_in (f->grad, f->shape, dout);
  else
    f->grad.p[0] = 1.0f;

  for (int k = from; k >= 0; k--)
    {
      DlsNodeImpl *n = &g->nodes[k];
      double t0 = prof_now (g);

      while (next_root < g->n_grad_roots && g->nodes[g->grad_roots[next_root]].grad_touch == k)
        {
          DlsNode r = g->grad_roots[next_root++];
          DlsNodeImpl *root = &g->nodes[r];
          if (r == f->root)
            continue;
          /* Its first writer overwrites it, if that writer runs now and computes this gradient. */
          if (root->grad_assigner == k && g->ancestor[k] && n->requires_grad
              && g->nodes[n->in[0]].requires_grad)
            root->grad_assign_now = true;
          else
            zero_root_grad (g, root);
        }
      if (!n->requires_grad || !g->ancestor[k] || n->op == DLS_OP_PARAM)
        continue;
      if (cancelled (g))
        return FALSE;
      /* Fold the gradient's border back into the image (reflect), or clear it (zeros) before
       * the producer reads it; an input has no producer, so only reflect matters there. */
      if (dls_node_owns_values (n) && n->grad.halo > 0 && !n->halo_by_members
          && (n->op != DLS_OP_INPUT || dls_node_halo_mode (g, n) == DLS_HALO_REFLECT))
        halo_parallel (g, n->grad, n->shape, dls_node_halo_mode (g, n), true);
      if (dls_op_info (n->op)->backward)
        dls_op_info (n->op)->backward (g, n);
      prof_add (g, k, 1, t0);
    }
  return TRUE;
}
