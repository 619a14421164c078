/* SPDX-License-Identifier: MIT
 *
 * check.c: the op test harness (see check.h).
 */
#include "check.h"

#include <math.h>
#include <stdarg.h>

void
case_init (Case *c, const char *fmt, ...)
{
  va_list ap;

  memset (c, 0, sizeof *c);
  va_start (ap, fmt);
  g_vsnprintf (c->name, sizeof c->name, fmt, ap);
  va_end (ap);
  c->tol = 2e-5;
  c->fd_tol = 1e-6;
  c->training = true;
}

void
case_clear (Case *c)
{
  for (int i = 0; i < c->n_leaves; i++)
    {
      g_free (c->leaf[i].v);
      g_free (c->leaf[i].labels);
    }
  c->n_leaves = 0;
}

static double
uniform (DlsRng *rng, double lo, double hi)
{
  /* rounded to float, so that the engine sees exactly what the reference sees */
  return (float) (lo + (hi - lo) * dls_rng_uniform (rng));
}

static Leaf *
new_leaf (Case *c, LeafKind kind, const char *name)
{
  Leaf *l;

  g_assert_cmpint (c->n_leaves, <, (int) G_N_ELEMENTS (c->leaf));
  l = &c->leaf[c->n_leaves++];
  memset (l, 0, sizeof *l);
  l->kind = kind;
  g_strlcpy (l->name, name, sizeof l->name);
  return l;
}

Leaf *
leaf_input (Case *c, const char *name, DlsShape s, bool grad, double lo, double hi, DlsRng *rng)
{
  Leaf *l = new_leaf (c, LEAF_INPUT, name);

  l->shape = s;
  l->grad = grad;
  l->n = dls_shape_numel (s);
  l->v = g_new (double, l->n);
  for (int64_t i = 0; i < l->n; i++)
    l->v[i] = uniform (rng, lo, hi);
  return l;
}

Leaf *
leaf_weight (Case *c, const char *name, int ndim, const int64_t *dims, bool grad, double lo,
             double hi, DlsRng *rng)
{
  Leaf *l = new_leaf (c, LEAF_WEIGHT, name);

  l->ndim = ndim;
  l->n = 1;
  for (int i = 0; i < ndim; i++)
    {
      l->dims[i] = dims[i];
      l->n *= dims[i];
    }
  l->grad = grad;
  l->v = g_new (double, l->n);
  for (int64_t i = 0; i < l->n; i++)
    l->v[i] = uniform (rng, lo, hi);
  return l;
}

Leaf *
leaf_buffer (Case *c, const char *name, int64_t n, double lo, double hi, DlsRng *rng)
{
  Leaf *l = new_leaf (c, LEAF_BUFFER, name);

  l->ndim = 1;
  l->dims[0] = n;
  l->n = n;
  l->v = g_new (double, n);
  for (int64_t i = 0; i < n; i++)
    l->v[i] = uniform (rng, lo, hi);
  return l;
}

Leaf *
leaf_counter (Case *c, const char *name)
{
  return new_leaf (c, LEAF_COUNTER, name);
}

Leaf *
leaf_labels (Case *c, const char *name, int n, int h, int w, int classes, int ignore,
             double ignore_fraction, DlsRng *rng)
{
  Leaf *l = new_leaf (c, LEAF_LABELS, name);

  l->shape = DLS_SHAPE (n, 1, h, w);
  l->n = (int64_t) n * h * w;
  l->labels = g_new (int32_t, l->n);
  for (int64_t i = 0; i < l->n; i++)
    l->labels[i]
        = dls_rng_uniform (rng) < ignore_fraction ? ignore : (int32_t) dls_rng_below (rng, classes);
  return l;
}

double
max_abs_diff (const float *a, const double *b, int64_t n, double *scale)
{
  double m = 0, s = 0;

  for (int64_t i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - b[i]);
      if (!(d <= m)) /* NaN counts as the worst */
        m = isnan (d) ? INFINITY : d;
      s = fmax (s, fabs (b[i]));
    }
  if (scale)
    *scale = s;
  return m;
}

static double
loss_of (Case *c, const double *dout, double *out, int64_t n_out)
{
  double l = 0;

  c->ref_forward (c, out);
  for (int64_t i = 0; i < n_out; i++)
    l += out[i] * dout[i];
  return l;
}

/* Reference backward against central differences of the reference forward. */
static void
check_finite_differences (Case *c, const double *dout, double **grads, DlsRng *rng)
{
  int64_t n_out = dls_shape_numel (c->out);
  g_autofree double *out = g_new (double, n_out);

  for (int i = 0; i < c->n_leaves; i++)
    {
      Leaf *l = &c->leaf[i];
      int samples = MIN (l->n, 16);

      if (!l->grad)
        continue;
      for (int s = 0; s < samples; s++)
        {
          int64_t k = s == 0 ? 0 : s == 1 ? l->n - 1 : (int64_t) dls_rng_below (rng, l->n);
          double v = l->v[k], h = 1e-6 * fmax (1.0, fabs (v)), lp, lm, fd, err;

          l->v[k] = v + h;
          lp = loss_of (c, dout, out, n_out);
          l->v[k] = v - h;
          lm = loss_of (c, dout, out, n_out);
          l->v[k] = v;
          fd = (lp - lm) / (2 * h);
          err = fabs (fd - grads[i][k]);
          if (!(err <= c->fd_tol * fmax (1.0, fabs (grads[i][k]))))
            {
              g_test_fail_printf ("%s: d/d%s[%" G_GINT64_FORMAT "]: finite differences %.10g, "
                                  "reference backward %.10g",
                                  c->name, l->name, k, fd, grads[i][k]);
              return;
            }
        }
    }
}

/* Builds and runs the case in the engine; fills out (output) and grads (per leaf). */
static void
run_engine (Case *c, const float *dout, float *out, float **grads)
{
  g_autoptr (GError) error = NULL;
  DlsGraph *g = dls_graph_new (NULL);
  DlsParams *p = dls_graph_get_params (g);
  DlsNode nodes[G_N_ELEMENTS (c->leaf)], y;

  for (int i = 0; i < c->n_leaves; i++)
    {
      Leaf *l = &c->leaf[i];
      switch (l->kind)
        {
        case LEAF_INPUT:
          nodes[i] = dls_graph_input (g, l->name, l->shape, l->grad);
          break;
        case LEAF_WEIGHT:
          nodes[i] = dls_graph_param (g, l->name, l->ndim, l->dims);
          break;
        case LEAF_BUFFER:
          nodes[i] = dls_graph_buffer (g, l->name, l->ndim, l->dims);
          break;
        case LEAF_COUNTER:
          nodes[i] = dls_graph_counter (g, l->name);
          break;
        case LEAF_LABELS:
          nodes[i] = dls_graph_input_labels (g, l->name, l->shape.n, l->shape.h, l->shape.w);
          break;
        }
    }
  y = c->build (c, g, nodes);
  if (!dls_graph_compile (g, true, &error))
    g_error ("%s: compile: %s", c->name, error->message);
  g_assert_true (dls_shape_equal (dls_graph_shape (g, y), c->out));
  dls_graph_set_training (g, c->training);

  for (int i = 0; i < c->n_leaves; i++)
    {
      Leaf *l = &c->leaf[i];
      g_autofree float *f = l->v ? g_new (float, l->n) : NULL;
      for (int64_t k = 0; f && k < l->n; k++)
        f[k] = (float) l->v[k];
      if (l->kind == LEAF_INPUT)
        g_assert_true (dls_graph_set_input (g, nodes[i], f, NULL));
      else if (l->kind == LEAF_WEIGHT || l->kind == LEAF_BUFFER)
        {
          int idx = dls_params_find (p, l->name);
          memcpy (dls_params_data (p, idx), f, sizeof (float) * l->n);
        }
      else if (l->kind == LEAF_LABELS)
        g_assert_true (dls_graph_set_labels (g, nodes[i], l->labels, NULL));
    }

  for (int round = 0; round < 2; round++)
    {
      g_autofree float *out2 = round ? g_new (float, dls_shape_numel (c->out)) : NULL;
      float *o = round ? out2 : out;

      dls_params_zero_grad (p);
      g_assert_true (dls_graph_forward (g));
      dls_graph_read (g, y, o);
      g_assert_true (dls_graph_backward (g, y, dout));
      for (int i = 0; i < c->n_leaves; i++)
        {
          Leaf *l = &c->leaf[i];
          g_autofree float *g2 = round && l->grad ? g_new (float, l->n) : NULL;
          if (!l->grad)
            continue;
          dls_graph_read_grad (g, nodes[i], round ? g2 : grads[i]);
          if (round)
            g_assert_cmpmem (g2, sizeof (float) * l->n, grads[i], sizeof (float) * l->n);
        }
      /* A second pass over the same arena gives the same bits. */
      if (round)
        g_assert_cmpmem (out2, sizeof (float) * dls_shape_numel (c->out), out,
                         sizeof (float) * dls_shape_numel (c->out));
    }
  dls_graph_free (g);
}

static void
compare (Case *c, const char *what, const float *got, const double *want, int64_t n, int tasks)
{
  double scale, err = max_abs_diff (got, want, n, &scale);

  if (!(err <= c->tol * fmax (1.0, scale)))
    g_test_fail_printf ("%s (%d tasks): %s differs from the reference by %g (largest value %g)",
                        c->name, tasks, what, err, scale);
}

void
check_case (Case *c, DlsRng *rng)
{
  int64_t n_out = dls_shape_numel (c->out);
  g_autofree double *ref_out = g_new (double, n_out);
  g_autofree double *dout = g_new (double, n_out);
  g_autofree float *doutf = g_new (float, n_out);
  g_autofree float *out = g_new (float, n_out);
  double *ref_grads[G_N_ELEMENTS (c->leaf)] = { 0 };
  float *grads[G_N_ELEMENTS (c->leaf)] = { 0 };
  int saved_threads = dls_engine_get_threads ();

  for (int64_t i = 0; i < n_out; i++)
    doutf[i] = dout[i] = uniform (rng, -1, 1);
  for (int i = 0; i < c->n_leaves; i++)
    if (c->leaf[i].grad)
      {
        ref_grads[i] = g_new0 (double, c->leaf[i].n);
        grads[i] = g_new0 (float, c->leaf[i].n);
      }

  c->ref_forward (c, ref_out);
  c->ref_backward (c, dout, ref_grads);
  check_finite_differences (c, dout, ref_grads, rng);

  /* One task, then more tasks than cores: the split must not change the maths. */
  for (int t = 0; t < 2; t++)
    {
      int tasks = t == 0 ? 1 : 3;
      dls_engine_set_threads (tasks);
      run_engine (c, doutf, out, grads);
      compare (c, "the output", out, ref_out, n_out, tasks);
      for (int i = 0; i < c->n_leaves; i++)
        if (c->leaf[i].grad)
          {
            char what[64];
            g_snprintf (what, sizeof what, "the gradient of %s", c->leaf[i].name);
            compare (c, what, grads[i], ref_grads[i], c->leaf[i].n, tasks);
          }
    }
  dls_engine_set_threads (saved_threads);

  for (int i = 0; i < c->n_leaves; i++)
    {
      g_free (ref_grads[i]);
      g_free (grads[i]);
    }
}
