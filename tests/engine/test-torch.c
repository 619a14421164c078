/* SPDX-License-Identifier: MIT
 *
 * test-torch.c: the engine against numbers PyTorch computed (torch/vectors.json, written by
 * torch/make-vectors.py).  Every case of the file becomes one test path,
 * /engine/torch/<op>/<name>: the same layer is built with the engine API, given the same
 * weights, inputs and upstream gradient, and every recorded tensor — outputs, input and weight
 * gradients, BatchNorm running statistics and batch counters, optimizer steps — is compared.
 *
 * A value x from PyTorch and y from the engine agree when |x − y| ≤ 1e-5·max (1, |x|).  Run with
 * --verbose to see the largest error of each case.  PyTorch itself is not needed here: the
 * vectors are committed.
 */
#include "config.h"
#include "engine.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#define TOL 1e-5

/* ---- reading the vectors ---- */

static JsonObject *
member_object (JsonObject *o, const char *name)
{
  g_assert_true (json_object_has_member (o, name));
  return json_object_get_object_member (o, name);
}

static gboolean
has_tensor (JsonObject *t, const char *name)
{
  return json_object_has_member (t, name);
}

/* The dimensions of tensor `name` of t; returns how many there are. */
static int
tensor_dims (JsonObject *t, const char *name, int64_t *dims)
{
  JsonArray *shape = json_object_get_array_member (member_object (t, name), "shape");
  int ndim = json_array_get_length (shape);

  g_assert_cmpint (ndim, <=, DLS_MAX_DIMS);
  for (int i = 0; i < ndim; i++)
    dims[i] = json_array_get_int_element (shape, i);
  return ndim;
}

/* The engine's shape for a PyTorch tensor: (N, C, H, W) maps as it is, (N, F) to a flat one. */
static DlsShape
tensor_shape (JsonObject *t, const char *name)
{
  int64_t d[DLS_MAX_DIMS];
  int ndim = tensor_dims (t, name, d);

  if (ndim == 4)
    return DLS_SHAPE (d[0], d[1], d[2], d[3]);
  if (ndim == 2)
    return DLS_SHAPE_FLAT (d[0], d[1]);
  if (ndim == 1)
    return DLS_SHAPE_FLAT (1, d[0]);
  g_assert_not_reached ();
}

/* The values of tensor `name` of t, as floats (the file holds float32 values exactly). */
static float *
tensor_values (JsonObject *t, const char *name, int64_t *n_out)
{
  JsonArray *data = json_object_get_array_member (member_object (t, name), "data");
  int64_t d[DLS_MAX_DIMS], numel = 1;
  int ndim = tensor_dims (t, name, d);
  int64_t n = json_array_get_length (data);
  float *v = g_new (float, n + 1);

  for (int i = 0; i < ndim; i++)
    numel *= d[i];
  g_assert_cmpint (numel, ==, n);
  for (int64_t i = 0; i < n; i++)
    v[i] = (float) json_array_get_double_element (data, i);
  if (n_out)
    *n_out = n;
  return v;
}

static int32_t *
tensor_labels (JsonObject *t, const char *name)
{
  JsonArray *data = json_object_get_array_member (member_object (t, name), "data");
  int n = json_array_get_length (data);
  int32_t *v = g_new (int32_t, n + 1);

  for (int i = 0; i < n; i++)
    v[i] = json_array_get_int_element (data, i);
  return v;
}

static double
arg_double (JsonObject *c, const char *name)
{
  return json_object_get_double_member (member_object (c, "args"), name);
}

static int
arg_int (JsonObject *c, const char *name)
{
  return json_object_get_int_member (member_object (c, "args"), name);
}

/* ---- comparing ---- */

/* The largest error seen in one case, and where. */
typedef struct
{
  double err;       /* |x − y| / max (1, |x|) */
  char where[128];  /* tensor[index]: engine vs torch */
  const char *pass; /* "pass 2 (training): " for cases of several passes, or NULL */
} Report;

static void fail (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

/* Every failure is logged, not only the one that ends up on the "not ok" line. */
static void
fail (const char *fmt, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_test_message ("FAIL: %s", msg);
  g_test_fail_printf ("%s", msg);
}

static void
check_floats (Report *r, const char *what, const float *got, const float *want, int64_t n)
{
  double worst = 0;
  int64_t at = 0, bad = 0;

  for (int64_t i = 0; i < n; i++)
    {
      double e = fabs ((double) got[i] - want[i]) / MAX (1.0, fabs (want[i]));
      if (!(e <= TOL))
        bad++;
      if (!(e <= worst))
        worst = e, at = i;
    }
  if (n > 0 && !(worst <= r->err))
    {
      r->err = worst;
      g_snprintf (r->where, sizeof r->where, "%s%s[%" G_GINT64_FORMAT "]: %.9g vs %.9g",
                  r->pass ? r->pass : "", what, at, got[at], want[at]);
    }
  if (bad > 0)
    fail ("%s%s: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
          " values differ from PyTorch; the worst, [%" G_GINT64_FORMAT
          "], is %.9g against %.9g (error %.3g, tolerance %g)",
          r->pass ? r->pass : "", what, bad, n, at, got[at], want[at], worst, TOL);
}

/* Compares got with tensor `name` of t. */
static void
check_tensor (Report *r, const char *what, const float *got, JsonObject *t, const char *name)
{
  int64_t n;
  g_autofree float *want = tensor_values (t, name, &n);

  check_floats (r, what, got, want, n);
}

/* Compares the value (or the gradient) of node x with tensor `name` of t. */
static void
check_node (Report *r, DlsGraph *g, DlsNode x, bool grad, JsonObject *t, const char *name)
{
  g_autofree float *got = g_new0 (float, dls_shape_numel (dls_graph_shape (g, x)) + 1);
  int64_t n;
  g_autofree float *want = tensor_values (t, name, &n);

  g_assert_cmpint (n, ==, dls_shape_numel (dls_graph_shape (g, x)));
  if (grad)
    dls_graph_read_grad (g, x, got);
  else
    dls_graph_read (g, x, got);
  check_floats (r, name, got, want, n);
}

static void
report (Report *r)
{
  g_test_message ("largest error %.3g at %s", r->err, r->err > 0 ? r->where : "-");
}

/* ---- building ---- */

static DlsNode
param_from (DlsGraph *g, JsonObject *t, const char *name)
{
  int64_t dims[DLS_MAX_DIMS];
  int ndim = tensor_dims (t, name, dims);

  return dls_graph_param (g, name, ndim, dims);
}

/* Copies tensor `name` of t into the parameter or buffer of that name (after compiling). */
static void
set_param (DlsParams *p, JsonObject *t, const char *name)
{
  int i = dls_params_find (p, name);
  int64_t n;
  g_autofree float *v = tensor_values (t, name, &n);

  g_assert_cmpint (i, >=, 0);
  g_assert_cmpint (dls_params_info (p, i)->numel, ==, n);
  memcpy (dls_params_data (p, i), v, sizeof (float) * n);
}

static void
compile (DlsGraph *g)
{
  g_autoptr (GError) error = NULL;

  g_assert_no_error (dls_graph_get_error (g));
  g_assert_true (dls_graph_compile (g, true, &error));
  g_assert_no_error (error);
}

static void
set_input (DlsGraph *g, DlsNode x, JsonObject *t, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *v = tensor_values (t, name, NULL);

  g_assert_true (dls_shape_equal (dls_graph_shape (g, x), tensor_shape (t, name)));
  g_assert_true (dls_graph_set_input (g, x, v, &error));
  g_assert_no_error (error);
}

/* Forward on t's "x", backward from y with t's "dout"; compares "out", "grad_x" and
 * "grad_<name>" of each of the n_params parameters. */
static void
run_layer (Report *r, DlsGraph *g, DlsNode x, DlsNode y, JsonObject *t, int n_params,
           const DlsNode *params)
{
  g_autofree float *dout = tensor_values (t, "dout", NULL);

  g_assert_true (dls_shape_equal (dls_graph_shape (g, y), tensor_shape (t, "out")));
  set_input (g, x, t, "x");
  dls_params_zero_grad (dls_graph_get_params (g));
  g_assert_true (dls_graph_forward (g));
  check_node (r, g, y, false, t, "out");
  g_assert_true (dls_graph_backward (g, y, dout));
  check_node (r, g, x, true, t, "grad_x");
  for (int i = 0; i < n_params; i++)
    {
      g_autofree char *name = g_strconcat ("grad_", dls_graph_node_name (g, params[i]), NULL);
      check_node (r, g, params[i], true, t, name);
    }
}

/* ---- the cases ---- */

static void
test_conv (gconstpointer data)
{
  JsonObject *c = (JsonObject *) data, *t = member_object (c, "tensors");
  bool transposed = g_str_equal (json_object_get_string_member (c, "op"), "conv_transpose2d");
  DlsGraph *g = dls_graph_new (NULL);
  Report r = { 0 };
  DlsNode x, y, p[2];
  int n_params = 1;

  x = dls_graph_input (g, "x", tensor_shape (t, "x"), true);
  p[0] = param_from (g, t, "weight");
  p[1] = DLS_NODE_NONE;
  if (has_tensor (t, "bias"))
    p[n_params++] = param_from (g, t, "bias");
  if (transposed)
    {
      DlsConvTransposeArgs a = { .stride = arg_int (c, "stride"),
                                 .padding = arg_int (c, "padding"),
                                 .output_padding = { arg_int (c, "output_padding"), arg_int (c, "output_padding") },
                                 .dilation = arg_int (c, "dilation") };
      y = dls_graph_conv_transpose2d (g, x, p[0], p[1], &a);
    }
  else
    {
      const char *mode = json_object_get_string_member (member_object (c, "args"), "pad_mode");
      DlsConvArgs a
          = { .stride = arg_int (c, "stride"),
              .padding = arg_int (c, "padding"),
              .dilation = arg_int (c, "dilation"),
              .pad_mode = g_str_equal (mode, "reflect") ? DLS_PAD_REFLECT : DLS_PAD_ZEROS };
      g_assert_true (g_str_equal (mode, "reflect") || g_str_equal (mode, "zeros"));
      y = dls_graph_conv2d (g, x, p[0], p[1], &a);
    }
  compile (g);
  set_param (dls_graph_get_params (g), t, "weight");
  if (n_params > 1)
    set_param (dls_graph_get_params (g), t, "bias");
  run_layer (&r, g, x, y, t, n_params, p);
  report (&r);
  dls_graph_free (g);
}

static void
test_linear (gconstpointer data)
{
  JsonObject *c = (JsonObject *) data, *t = member_object (c, "tensors");
  DlsGraph *g = dls_graph_new (NULL);
  Report r = { 0 };
  DlsNode x, y, p[2];

  x = dls_graph_input (g, "x", tensor_shape (t, "x"), true);
  p[0] = param_from (g, t, "weight");
  p[1] = param_from (g, t, "bias");
  y = dls_graph_linear (g, x, p[0], p[1]);
  compile (g);
  set_param (dls_graph_get_params (g), t, "weight");
  set_param (dls_graph_get_params (g), t, "bias");
  run_layer (&r, g, x, y, t, 2, p);
  report (&r);
  dls_graph_free (g);
}

/* maxpool2d, upsample_nearest and the activations: one input, no parameters. */
static void
test_unary (gconstpointer data)
{
  JsonObject *c = (JsonObject *) data, *t = member_object (c, "tensors");
  const char *op = json_object_get_string_member (c, "op");
  DlsGraph *g = dls_graph_new (NULL);
  Report r = { 0 };
  DlsNode x, y;

  x = dls_graph_input (g, "x", tensor_shape (t, "x"), true);
  if (g_str_equal (op, "maxpool2d"))
    y = dls_graph_maxpool2d (g, x, arg_int (c, "kernel"), arg_int (c, "stride"),
                             arg_int (c, "padding"));
  else if (g_str_equal (op, "upsample_nearest"))
    y = dls_graph_upsample_nearest (g, x, arg_int (c, "h"), arg_int (c, "w"));
  else if (g_str_equal (op, "softmax"))
    y = dls_graph_softmax (g, x);
  else if (g_str_equal (op, "sigmoid"))
    y = dls_graph_sigmoid (g, x);
  else if (g_str_equal (op, "relu"))
    y = dls_graph_relu (g, x);
  else
    g_assert_not_reached ();
  compile (g);
  run_layer (&r, g, x, y, t, 0, NULL);
  report (&r);
  dls_graph_free (g);
}

/* One graph, several passes on inputs of one shape: the running statistics, the batch counter,
 * outputs and gradients after each pass that recorded them. */
static void
test_batchnorm (gconstpointer data)
{
  JsonObject *c = (JsonObject *) data, *t = member_object (c, "tensors");
  JsonArray *steps = json_object_get_array_member (c, "steps");
  bool running = json_object_get_boolean_member (member_object (c, "args"), "track_running_stats");
  JsonObject *first = json_array_get_object_element (steps, 0);
  DlsShape xs = tensor_shape (first, "x");
  int64_t C = xs.c;
  DlsBatchNormArgs a = { .eps = arg_double (c, "eps"),
                         .momentum = arg_double (c, "momentum"),
                         .mode = running ? DLS_BN_RUNNING_STATS : DLS_BN_BATCH_STATS };
  DlsGraph *g = dls_graph_new (NULL);
  DlsParams *params = dls_graph_get_params (g);
  Report r = { 0 };
  DlsNode x, y, p[2], rmean = DLS_NODE_NONE, rvar = DLS_NODE_NONE, count = DLS_NODE_NONE;

  x = dls_graph_input (g, "x", xs, true);
  p[0] = dls_graph_param (g, "weight", 1, &C);
  p[1] = dls_graph_param (g, "bias", 1, &C);
  if (running)
    {
      rmean = dls_graph_buffer (g, "running_mean", 1, &C);
      rvar = dls_graph_buffer (g, "running_var", 1, &C);
      count = dls_graph_counter (g, "num_batches_tracked");
    }
  y = dls_graph_batchnorm (g, x, p[0], p[1], rmean, rvar, count, &a);
  compile (g);
  set_param (params, t, "weight");
  set_param (params, t, "bias");
  if (running)
    {
      set_param (params, t, "running_mean");
      set_param (params, t, "running_var");
    }

  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *s = json_array_get_object_element (steps, i);
      bool training = json_object_get_boolean_member (s, "training");
      g_autofree char *pass
          = g_strdup_printf ("pass %u (%s): ", i + 1, training ? "training" : "eval");

      r.pass = pass;
      dls_graph_set_training (g, training);
      if (has_tensor (s, "out"))
        run_layer (&r, g, x, y, s, 2, p);
      else
        {
          set_input (g, x, s, "x");
          g_assert_true (dls_graph_forward (g));
        }
      if (running)
        {
          int64_t want = json_object_get_int_member (s, "num_batches_tracked");
          int64_t got
              = *dls_params_counter (params, dls_params_find (params, "num_batches_tracked"));

          check_tensor (&r, "running_mean",
                        dls_params_data (params, dls_params_find (params, "running_mean")), s,
                        "running_mean");
          check_tensor (&r, "running_var",
                        dls_params_data (params, dls_params_find (params, "running_var")), s,
                        "running_var");
          if (got != want)
            fail ("%snum_batches_tracked is %" G_GINT64_FORMAT ", PyTorch has %" G_GINT64_FORMAT,
                  pass, got, want);
        }
      r.pass = NULL;
    }
  report (&r);
  dls_graph_free (g);
}

static void
test_cross_entropy (gconstpointer data)
{
  JsonObject *c = (JsonObject *) data, *t = member_object (c, "tensors");
  JsonObject *args = member_object (c, "args");
  DlsShape ls = tensor_shape (t, "logits");
  g_autofree int32_t *labels = tensor_labels (t, "labels");
  g_autofree float *weights = NULL;
  DlsGraph *g = dls_graph_new (NULL);
  g_autoptr (GError) error = NULL;
  Report r = { 0 };
  DlsNode x, lab, loss;
  float got;

  if (json_object_has_member (args, "weights"))
    {
      JsonArray *w = json_object_get_array_member (args, "weights");
      g_assert_cmpint (json_array_get_length (w), ==, ls.c);
      weights = g_new (float, ls.c);
      for (int k = 0; k < ls.c; k++)
        weights[k] = (float) json_array_get_double_element (w, k);
    }
  x = dls_graph_input (g, "logits", ls, true);
  lab = dls_graph_input_labels (g, "labels", ls.n, ls.h, ls.w);
  loss = dls_graph_cross_entropy (g, x, lab, arg_int (c, "ignore_index"), weights);
  compile (g);
  set_input (g, x, t, "logits");
  g_assert_true (dls_graph_set_labels (g, lab, labels, &error));
  g_assert_no_error (error);
  g_assert_true (dls_graph_forward (g));
  got = dls_graph_scalar (g, loss);
  check_tensor (&r, "loss", &got, t, "loss");
  g_assert_true (dls_graph_backward (g, loss, NULL));
  check_node (&r, g, x, true, t, "grad_logits");
  report (&r);
  dls_graph_free (g);
}

/* Adam and SGD on one vector, with the gradients PyTorch was given, step by step. */
static void
test_optimizer (gconstpointer data)
{
  JsonObject *c = (JsonObject *) data, *t = member_object (c, "tensors");
  JsonArray *steps = json_object_get_array_member (c, "steps");
  const char *op = json_object_get_string_member (c, "op");
  DlsParams *p = dls_params_new ();
  DlsOptimizer *opt;
  g_autoptr (GError) error = NULL;
  int64_t dims[DLS_MAX_DIMS];
  int ndim = tensor_dims (t, "param", dims);
  Report r = { 0 };

  g_assert_cmpint (dls_params_add (p, "param", DLS_PARAM_WEIGHT, ndim, dims, &error), >=, 0);
  g_assert_true (dls_params_alloc (p, &error));
  g_assert_no_error (error);
  set_param (p, t, "param");
  if (g_str_equal (op, "adam"))
    {
      DlsAdamArgs a = { .lr = arg_double (c, "lr"),
                        .beta1 = arg_double (c, "beta1"),
                        .beta2 = arg_double (c, "beta2"),
                        .eps = arg_double (c, "eps"),
                        .weight_decay = arg_double (c, "weight_decay") };
      opt = dls_optimizer_new_adam (p, &a);
    }
  else
    {
      DlsSgdArgs a
          = { .lr = arg_double (c, "lr"),
              .momentum = arg_double (c, "momentum"),
              .dampening = arg_double (c, "dampening"),
              .weight_decay = arg_double (c, "weight_decay"),
              .nesterov = json_object_get_boolean_member (member_object (c, "args"), "nesterov") };
      g_assert_true (g_str_equal (op, "sgd"));
      opt = dls_optimizer_new_sgd (p, &a);
    }

  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *s = json_array_get_object_element (steps, i);
      int64_t n;
      g_autofree float *grad = tensor_values (s, "grad", &n);
      g_autofree char *what = g_strdup_printf ("param after step %u", i + 1);

      g_assert_cmpint (n, ==, dls_params_n_weights (p));
      memcpy (dls_params_grads (p), grad, sizeof (float) * n);
      dls_optimizer_step (opt);
      check_tensor (&r, what, dls_params_weights (p), s, "param");
    }
  g_assert_cmpint (dls_optimizer_steps (opt), ==, json_array_get_length (steps));
  report (&r);
  dls_optimizer_free (opt);
  dls_params_unref (p);
}

/* ---- registering ---- */

static GTestDataFunc
test_for_op (const char *op)
{
  static const struct
  {
    const char *op;
    GTestDataFunc func;
  } table[] = {
    /* clang-format off */
    { "conv2d", test_conv },
    { "conv_transpose2d", test_conv },
    { "maxpool2d", test_unary },
    { "upsample_nearest", test_unary },
    { "softmax", test_unary },
    { "sigmoid", test_unary },
    { "relu", test_unary },
    { "linear", test_linear },
    { "batchnorm", test_batchnorm },
    { "cross_entropy", test_cross_entropy },
    { "adam", test_optimizer },
    { "sgd", test_optimizer },
    /* clang-format on */
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_str_equal (op, table[i].op))
      return table[i].func;
  return NULL;
}

/* meson sets G_TEST_SRCDIR to tests/; run by hand, the file is found in the source tree. */
static char *
vectors_path (void)
{
  if (g_getenv ("G_TEST_SRCDIR") != NULL)
    return g_test_build_filename (G_TEST_DIST, "engine", "torch", "vectors.json", NULL);
  return g_build_filename (SOURCE_DIR, "tests", "engine", "torch", "vectors.json", NULL);
}

int
main (int argc, char **argv)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  JsonArray *cases;

  g_test_init (&argc, &argv, NULL);

  path = vectors_path ();
  if (!json_parser_load_from_file (parser, path, &error))
    g_error ("cannot read the PyTorch vectors %s: %s", path, error->message);
  cases = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                        "cases");
  for (guint i = 0; i < json_array_get_length (cases); i++)
    {
      JsonObject *c = json_array_get_object_element (cases, i);
      const char *op = json_object_get_string_member (c, "op");
      GTestDataFunc func = test_for_op (op);
      g_autofree char *test_path = NULL;

      if (func == NULL)
        g_error ("%s: case %u has an unknown op “%s”", path, i, op);
      test_path
          = g_strdup_printf ("/engine/torch/%s/%s", op, json_object_get_string_member (c, "name"));
      g_test_add_data_func (test_path, c, func);
    }
  return g_test_run ();
}
