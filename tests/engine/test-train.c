/* SPDX-License-Identifier: MIT
 *
 * test-train.c: learning.  Adam, SGD and BatchNorm's running statistics against values worked
 * out by hand; small networks that must learn toy tasks (a pixel classifier finding bright
 * blobs in noise, XOR, a masked regression); and determinism: the same seed and thread count
 * give the same weights, bit for bit.
 */
#include "check.h"

#include <math.h>

/* ---- optimizers, by hand ---- */

static DlsParams *
one_weight (int n)
{
  DlsParams *p = dls_params_new ();

  dls_params_add (p, "w", DLS_PARAM_WEIGHT, 1, (int64_t[]){ n }, NULL);
  g_assert_true (dls_params_alloc (p, NULL));
  return p;
}

/* With a constant gradient g, Adam's bias-corrected moments are m̂ = g and v̂ = g², so every
 * step moves by lr·g/(|g| + eps): exactly lr in the direction of −g. */
static void
test_adam_by_hand (void)
{
  g_autoptr (DlsParams) p = one_weight (2);
  g_autoptr (DlsOptimizer) opt = dls_optimizer_new_adam (p, &(DlsAdamArgs){ .lr = 0.1 });
  float *w = dls_params_weights (p), *g = dls_params_grads (p);

  w[0] = 1.0f, w[1] = -2.0f;
  for (int step = 1; step <= 5; step++)
    {
      g[0] = 0.5f, g[1] = -4.0f;
      dls_optimizer_step (opt);
      g_assert_cmpfloat_with_epsilon (w[0], 1.0f - 0.1f * step, 1e-5);
      g_assert_cmpfloat_with_epsilon (w[1], -2.0f + 0.1f * step, 1e-5);
    }
  g_assert_cmpint (dls_optimizer_steps (opt), ==, 5);
}

/* Weight decay adds wd·w to the gradient before the moments (torch.optim.Adam, not AdamW).
 * Step 1 from w = 1, g = 0, wd = 0.5: effective gradient 0.5, so w = 1 − lr. */
static void
test_adam_weight_decay (void)
{
  g_autoptr (DlsParams) p = one_weight (1);
  g_autoptr (DlsOptimizer) opt
      = dls_optimizer_new_adam (p, &(DlsAdamArgs){ .lr = 0.01, .weight_decay = 0.5 });
  float *w = dls_params_weights (p);

  w[0] = 1.0f;
  dls_params_grads (p)[0] = 0.0f;
  dls_optimizer_step (opt);
  g_assert_cmpfloat_with_epsilon (w[0], 0.99f, 1e-6);
}

/* SGD with momentum 0.9, lr 0.1, constant gradient 1:
 *   plain:    buf 1, 1.9, 2.71        → w −0.1, −0.29, −0.561
 *   nesterov: d = g + 0.9·buf = 1.9, 2.71, 3.439 → w −0.19, −0.461, −0.8049 */
static void
test_sgd_by_hand (void)
{
  static const float plain[3] = { -0.1f, -0.29f, -0.561f };
  static const float nesterov[3] = { -0.19f, -0.461f, -0.8049f };

  for (int nest = 0; nest < 2; nest++)
    {
      g_autoptr (DlsParams) p = one_weight (1);
      g_autoptr (DlsOptimizer) opt = dls_optimizer_new_sgd (
          p, &(DlsSgdArgs){ .lr = 0.1f, .momentum = 0.9f, .nesterov = nest });
      for (int step = 0; step < 3; step++)
        {
          dls_params_grads (p)[0] = 1.0f;
          dls_optimizer_step (opt);
          g_assert_cmpfloat_with_epsilon (dls_params_weights (p)[0],
                                          nest ? nesterov[step] : plain[step], 1e-6);
        }
    }
}

/* ---- BatchNorm running statistics, by hand ----
 * channel 0 sees {1, 2, 3, 4}: mean 2.5, biased variance 1.25, unbiased 5/3;
 *   running mean 0.9·0 + 0.1·2.5 = 0.25, running var 0.9·1 + 0.1·5/3 = 1.0666…
 * then {2, 2, 2, 2}: mean 2, variance 0;
 *   running mean 0.9·0.25 + 0.1·2 = 0.425, running var 0.9·1.0666… = 0.96.
 * The output of the first pass is (x − 2.5)/√(1.25 + 1e−5). */
static void
test_batchnorm_running_stats (void)
{
  g_autoptr (DlsParams) p = dls_params_new ();
  DlsGraph *g = dls_graph_new (p);
  DlsNode x = dls_graph_input (g, "x", DLS_SHAPE (2, 1, 1, 2), false);
  DlsNode rm = dls_graph_buffer (g, "bn.running_mean", 1, (int64_t[]){ 1 });
  DlsNode rv = dls_graph_buffer (g, "bn.running_var", 1, (int64_t[]){ 1 });
  DlsNode cnt = dls_graph_counter (g, "bn.num_batches_tracked");
  DlsNode y = dls_graph_batchnorm (g, x, DLS_NODE_NONE, DLS_NODE_NONE, rm, rv, cnt, NULL);
  float a[4] = { 1, 2, 3, 4 }, b[4] = { 2, 2, 2, 2 }, out[4];
  float *mean, *var;

  g_assert_true (dls_graph_compile (g, true, NULL));
  mean = dls_params_data (p, dls_params_find (p, "bn.running_mean"));
  var = dls_params_data (p, dls_params_find (p, "bn.running_var"));
  g_assert_cmpfloat (mean[0], ==, 0.0f);
  g_assert_cmpfloat (var[0], ==, 1.0f); /* PyTorch's initial running variance */

  dls_graph_set_input (g, x, a, NULL);
  dls_graph_forward (g);
  dls_graph_read (g, y, out);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (out[i], (a[i] - 2.5f) / sqrtf (1.25f + 1e-5f), 1e-6);
  g_assert_cmpfloat_with_epsilon (mean[0], 0.25f, 1e-7);
  g_assert_cmpfloat_with_epsilon (var[0], 0.9f + 0.1f * 5.0f / 3.0f, 1e-6);
  g_assert_cmpint (*dls_params_counter (p, dls_params_find (p, "bn.num_batches_tracked")), ==, 1);

  dls_graph_set_input (g, x, b, NULL);
  dls_graph_forward (g);
  g_assert_cmpfloat_with_epsilon (mean[0], 0.425f, 1e-6);
  g_assert_cmpfloat_with_epsilon (var[0], 0.96f, 1e-6);
  g_assert_cmpint (*dls_params_counter (p, dls_params_find (p, "bn.num_batches_tracked")), ==, 2);

  /* eval: the running statistics, untouched */
  dls_graph_set_training (g, false);
  dls_graph_set_input (g, x, a, NULL);
  dls_graph_forward (g);
  dls_graph_read (g, y, out);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (out[i], (a[i] - 0.425f) / sqrtf (0.96f + 1e-5f), 1e-5);
  g_assert_cmpfloat_with_epsilon (mean[0], 0.425f, 1e-6);
  g_assert_cmpint (*dls_params_counter (p, dls_params_find (p, "bn.num_batches_tracked")), ==, 2);
  dls_graph_free (g);
}

/* ---- toy tasks ---- */

/* PyTorch's default init: U(±1/√fan_in) for weights and biases. */
static void
init_uniform (DlsParams *p, DlsRng *rng)
{
  for (int i = 0; i < dls_params_count (p); i++)
    {
      const DlsParamInfo *info = dls_params_info (p, i);
      float *v = dls_params_data (p, i);
      int64_t fan_in = info->ndim >= 2 ? info->numel / info->shape[0] : info->numel;
      double bound = 1.0 / sqrt ((double) fan_in);
      if (info->kind != DLS_PARAM_WEIGHT)
        continue;
      for (int64_t k = 0; k < info->numel; k++)
        v[k] = (float) ((dls_rng_uniform (rng) * 2 - 1) * bound);
    }
}

/* Images of noise with a few bright discs; class 1 inside a disc.  Only a sparse 10 % of the
 * pixels are labelled, the rest ignored, as with hand-painted labels. */
static void
make_blobs (float *img, int32_t *lab, int32_t *truth, int N, int S, DlsRng *rng)
{
  for (int n = 0; n < N; n++)
    {
      float cx[3], cy[3], r[3];
      for (int k = 0; k < 3; k++)
        {
          cx[k] = 3 + dls_rng_uniform (rng) * (S - 6);
          cy[k] = 3 + dls_rng_uniform (rng) * (S - 6);
          r[k] = 2 + dls_rng_uniform (rng) * 3;
        }
      for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++)
          {
            int64_t i = ((int64_t) n * S + y) * S + x;
            bool in = false;
            for (int k = 0; k < 3; k++)
              in |= (x - cx[k]) * (x - cx[k]) + (y - cy[k]) * (y - cy[k]) <= r[k] * r[k];
            img[i] = (in ? 0.7f : 0.2f) + 0.25f * (float) (dls_rng_uniform (rng) - 0.5);
            truth[i] = in;
            lab[i] = dls_rng_uniform (rng) < 0.1 ? (int32_t) in : -1;
          }
    }
}

typedef struct
{
  DlsGraph *g;
  DlsNode x, labels, logits, loss;
} Net;

/* conv 3×3 (4) → BN → relu → conv 3×3 dilated 2 (4) → relu → conv 1×1 (2) → cross-entropy */
static Net
tiny_net (DlsParams *p, int N, int S)
{
  Net net;
  DlsGraph *g = net.g = dls_graph_new (p);
  DlsNode h;

  net.x = dls_graph_input (g, "x", DLS_SHAPE (N, 1, S, S), false);
  net.labels = dls_graph_input_labels (g, "y", N, S, S);
  h = dls_graph_conv2d (g, net.x, dls_graph_param (g, "c0.weight", 4, (int64_t[]){ 4, 1, 3, 3 }),
                        dls_graph_param (g, "c0.bias", 1, (int64_t[]){ 4 }),
                        &(DlsConvArgs){ .padding = 1 });
  h = dls_graph_batchnorm (g, h, dls_graph_param (g, "bn.weight", 1, (int64_t[]){ 4 }),
                           dls_graph_param (g, "bn.bias", 1, (int64_t[]){ 4 }),
                           dls_graph_buffer (g, "bn.running_mean", 1, (int64_t[]){ 4 }),
                           dls_graph_buffer (g, "bn.running_var", 1, (int64_t[]){ 4 }),
                           dls_graph_counter (g, "bn.num_batches_tracked"), NULL);
  h = dls_graph_relu (g, h);
  h = dls_graph_conv2d (g, h, dls_graph_param (g, "c1.weight", 4, (int64_t[]){ 4, 4, 3, 3 }),
                        dls_graph_param (g, "c1.bias", 1, (int64_t[]){ 4 }),
                        &(DlsConvArgs){ .padding = 2, .dilation = 2, .pad_mode = DLS_PAD_REFLECT });
  h = dls_graph_dropout (g, dls_graph_relu (g, h), 0.1f);
  net.logits
      = dls_graph_conv2d (g, h, dls_graph_param (g, "c2.weight", 4, (int64_t[]){ 2, 4, 1, 1 }),
                          dls_graph_param (g, "c2.bias", 1, (int64_t[]){ 2 }), NULL);
  net.loss = dls_graph_cross_entropy (g, net.logits, net.labels, -1, NULL);
  dls_graph_mark_output (g, net.logits);
  g_assert_true (dls_graph_compile (g, true, NULL));
  return net;
}

/* Trains the tiny net for `steps` Adam steps; returns the final weights (caller frees). */
static float *
train_blobs (int steps, uint64_t seed, float *accuracy)
{
  const int N = 4, S = 32;
  g_autoptr (DlsParams) p = dls_params_new ();
  Net net = tiny_net (p, N, S);
  g_autoptr (DlsOptimizer) opt = NULL;
  g_autofree float *img = g_new (float, N *S *S), *logits = g_new (float, N * 2 * S * S);
  g_autofree int32_t *lab = g_new (int32_t, N * S * S), *truth = g_new (int32_t, N * S * S);
  DlsRng rng;
  int correct = 0;
  float first_loss = 0, loss = 0;

  dls_rng_init (&rng, seed);
  init_uniform (p, &rng);
  for (int c = 0; c < 4; c++)
    dls_params_data (p, dls_params_find (p, "bn.weight"))[c] = 1.0f;
  opt = dls_optimizer_new_adam (p, &(DlsAdamArgs){ .lr = 0.02f });
  dls_graph_set_seed (net.g, seed);
  for (int step = 0; step < steps; step++)
    {
      make_blobs (img, lab, truth, N, S, &rng);
      dls_graph_set_input (net.g, net.x, img, NULL);
      g_assert_true (dls_graph_set_labels (net.g, net.labels, lab, NULL));
      dls_params_zero_grad (p);
      dls_graph_forward (net.g);
      loss = dls_graph_scalar (net.g, net.loss);
      if (step == 0)
        first_loss = loss;
      dls_graph_backward (net.g, net.loss, NULL);
      dls_params_clip_grad_value (p, 100.0f);
      dls_optimizer_step (opt);
    }
  g_test_message ("blobs: loss %.4f → %.4f after %d steps", first_loss, loss, steps);

  /* fresh images, eval mode (running statistics, no dropout), every pixel scored */
  dls_graph_set_training (net.g, false);
  make_blobs (img, lab, truth, N, S, &rng);
  dls_graph_set_input (net.g, net.x, img, NULL);
  dls_graph_forward (net.g);
  dls_graph_read (net.g, net.logits, logits);
  for (int n = 0; n < N; n++)
    for (int i = 0; i < S * S; i++)
      {
        float l0 = logits[(n * 2 + 0) * S * S + i], l1 = logits[(n * 2 + 1) * S * S + i];
        correct += (l1 > l0) == (truth[n * S * S + i] == 1);
      }
  *accuracy = (float) correct / (N * S * S);
  dls_graph_free (net.g);
  return g_memdup2 (dls_params_weights (p), sizeof (float) * dls_params_n_weights (p));
}

static void
test_learns_blobs (void)
{
  float accuracy;
  g_autofree float *w = train_blobs (150, 3, &accuracy);

  g_test_message ("blobs: pixel accuracy %.3f", accuracy);
  g_assert_cmpfloat (accuracy, >=, 0.95f);
}

/* Same seed, same thread count: the same weights, bit for bit.  Another seed: others. */
static void
test_deterministic (void)
{
  float acc;
  g_autofree float *a = train_blobs (20, 11, &acc);
  g_autofree float *b = train_blobs (20, 11, &acc);
  g_autofree float *c = train_blobs (20, 12, &acc);
  /* the tiny net has 4·9+4 + 4+4 + 4·4·9+4 + 2·4+2 = 206 weights */
  const size_t n = 206;

  g_assert_cmpmem (a, n * sizeof (float), b, n * sizeof (float));
  g_assert_true (memcmp (a, c, n * sizeof (float)) != 0);
}

/* XOR with a two-layer perceptron: linear (2→8) → relu → linear (8→2) → cross-entropy. */
static void
test_learns_xor (void)
{
  g_autoptr (DlsParams) p = dls_params_new ();
  DlsGraph *g = dls_graph_new (p);
  DlsNode x = dls_graph_input (g, "x", DLS_SHAPE_FLAT (4, 2), false);
  DlsNode y = dls_graph_input_labels (g, "y", 4, 1, 1);
  DlsNode h = dls_graph_relu (
      g, dls_graph_linear (g, x, dls_graph_param (g, "l0.weight", 2, (int64_t[]){ 8, 2 }),
                           dls_graph_param (g, "l0.bias", 1, (int64_t[]){ 8 })));
  DlsNode logits = dls_graph_linear (g, h, dls_graph_param (g, "l1.weight", 2, (int64_t[]){ 2, 8 }),
                                     dls_graph_param (g, "l1.bias", 1, (int64_t[]){ 2 }));
  DlsNode loss = dls_graph_cross_entropy (g, logits, y, -1, NULL);
  float in[8] = { 0, 0, 0, 1, 1, 0, 1, 1 }, out[8];
  int32_t lab[4] = { 0, 1, 1, 0 };
  g_autoptr (DlsOptimizer) opt = NULL;
  DlsRng rng;

  dls_graph_mark_output (g, logits);
  g_assert_true (dls_graph_compile (g, true, NULL));
  dls_rng_init (&rng, 5);
  init_uniform (p, &rng);
  opt = dls_optimizer_new_adam (p, &(DlsAdamArgs){ .lr = 0.05f });
  dls_graph_set_input (g, x, in, NULL);
  dls_graph_set_labels (g, y, lab, NULL);
  for (int step = 0; step < 400; step++)
    {
      dls_params_zero_grad (p);
      dls_graph_forward (g);
      dls_graph_backward (g, loss, NULL);
      dls_optimizer_step (opt);
    }
  dls_graph_forward (g);
  g_test_message ("xor: loss %.5f", dls_graph_scalar (g, loss));
  g_assert_cmpfloat (dls_graph_scalar (g, loss), <, 0.05f);
  dls_graph_read (g, logits, out);
  for (int i = 0; i < 4; i++)
    g_assert_cmpint (out[2 * i + 1] > out[2 * i], ==, lab[i]);
  dls_graph_free (g);
}

/* Masked regression ("inpainting"): learn y = 2x − 1 per pixel with a 1×1 conv, where the
 * target is garbage wherever the mask is 0.  The masked loss must ignore the garbage. */
static void
test_learns_masked_regression (void)
{
  const int S = 16;
  g_autoptr (DlsParams) p = dls_params_new ();
  DlsGraph *g = dls_graph_new (p);
  DlsNode x = dls_graph_input (g, "x", DLS_SHAPE (2, 1, S, S), false);
  DlsNode t = dls_graph_input (g, "t", DLS_SHAPE (2, 1, S, S), false);
  DlsNode m = dls_graph_input (g, "m", DLS_SHAPE (2, 1, S, S), false);
  DlsNode y = dls_graph_conv2d (g, x, dls_graph_param (g, "w", 4, (int64_t[]){ 1, 1, 1, 1 }),
                                dls_graph_param (g, "b", 1, (int64_t[]){ 1 }), NULL);
  DlsNode loss = dls_graph_mse_masked (g, y, t, m);
  g_autofree float *xs = g_new (float, 2 * S * S), *ts = g_new (float, 2 * S * S);
  g_autofree float *ms = g_new (float, 2 * S * S);
  g_autoptr (DlsOptimizer) opt = NULL;
  DlsRng rng;

  g_assert_true (dls_graph_compile (g, true, NULL));
  dls_rng_init (&rng, 9);
  for (int i = 0; i < 2 * S * S; i++)
    {
      xs[i] = (float) dls_rng_uniform (&rng);
      ms[i] = (i / S) % 4 == 0 ? 0.0f : 1.0f; /* a "detector gap" every fourth row */
      ts[i] = ms[i] > 0 ? 2 * xs[i] - 1 : 100.0f;
    }
  dls_graph_set_input (g, x, xs, NULL);
  dls_graph_set_input (g, t, ts, NULL);
  dls_graph_set_input (g, m, ms, NULL);
  opt = dls_optimizer_new_adam (p, &(DlsAdamArgs){ .lr = 0.05f });
  for (int step = 0; step < 500; step++)
    {
      dls_params_zero_grad (p);
      dls_graph_forward (g);
      dls_graph_backward (g, loss, NULL);
      dls_optimizer_step (opt);
    }
  g_assert_cmpfloat_with_epsilon (dls_params_data (p, dls_params_find (p, "w"))[0], 2.0f, 0.02);
  g_assert_cmpfloat_with_epsilon (dls_params_data (p, dls_params_find (p, "b"))[0], -1.0f, 0.02);
  dls_graph_free (g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/train/adam-by-hand", test_adam_by_hand);
  g_test_add_func ("/engine/train/adam-weight-decay", test_adam_weight_decay);
  g_test_add_func ("/engine/train/sgd-by-hand", test_sgd_by_hand);
  g_test_add_func ("/engine/train/batchnorm-running-stats", test_batchnorm_running_stats);
  g_test_add_func ("/engine/train/learns-blobs", test_learns_blobs);
  g_test_add_func ("/engine/train/learns-xor", test_learns_xor);
  g_test_add_func ("/engine/train/learns-masked-regression", test_learns_masked_regression);
  g_test_add_func ("/engine/train/deterministic", test_deterministic);
  return g_test_run ();
}
