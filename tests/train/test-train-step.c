/* SPDX-License-Identifier: MIT
 *
 * test-train-step.c: the fused MSDNet training step (engine msd-train.c through DlsTrainStep)
 * against the graph on small random networks — outputs, losses, running statistics and
 * num_batches_tracked after two steps, and the gradient of every parameter — and through the
 * trainers: the same weights after a few epochs either way, and the same bits on a second run.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "train-step.h"
#include "trainer.h"

typedef struct
{
  int L, w, cin, oc, n, h, wd;
  gboolean bn;
  int maxd; /* 0: custom dilations */
  int dil[4], ndil;
  DlsStepLoss loss;
} Case;

static const Case cases[] = {
  { 1, 1, 1, 2, 1, 9, 9, TRUE, 3, { 0 }, 0, DLS_STEP_CROSS_ENTROPY },
  { 3, 1, 1, 2, 1, 13, 17, TRUE, 10, { 0 }, 0, DLS_STEP_CROSS_ENTROPY },
  { 5, 2, 2, 3, 3, 13, 17, TRUE, 10, { 0 }, 0, DLS_STEP_CROSS_ENTROPY },
  { 6, 1, 2, 2, 3, 13, 17, FALSE, 0, { 10, 1, 7, 2 }, 4, DLS_STEP_CROSS_ENTROPY },
  { 4, 2, 1, 1, 2, 16, 11, FALSE, 10, { 0 }, 0, DLS_STEP_MSE_MASKED },
  { 8, 1, 1, 2, 1, 13, 17, TRUE, 0, { 9, 10, 3 }, 3, DLS_STEP_CROSS_ENTROPY },
  { 7, 2, 2, 2, 3, 20, 40, TRUE, 10, { 0 }, 0, DLS_STEP_L1_MASKED },
  { 12, 1, 1, 3, 1, 70, 45, TRUE, 10, { 0 }, 0, DLS_STEP_CROSS_ENTROPY },
};

static DlsModel *
make_model (const Case *k, uint64_t seed)
{
  DlsModelConfig cfg;
  DlsModel *m;
  DlsRng rng;

  dls_model_config_init (&cfg, DLS_ARCH_MSDNET);
  cfg.in_channels = k->cin;
  cfg.out_channels = k->oc;
  cfg.num_layers = k->L;
  cfg.layer_width = k->w;
  cfg.batchnorm = k->bn;
  if (k->maxd > 0)
    cfg.max_dilation = k->maxd;
  else
    {
      cfg.custom_dilations = g_memdup2 (k->dil, sizeof (int) * k->ndil);
      cfg.n_custom_dilations = k->ndil;
    }
  m = dls_model_new (&cfg, NULL);
  g_assert_nonnull (m);
  dls_model_config_clear (&cfg);
  dls_model_init_weights (m, seed);
  /* BatchNorm away from γ = 1, β = 0 and the initial running statistics */
  dls_rng_init (&rng, seed + 1);
  for (int i = 0; i < dls_params_count (m->params); i++)
    {
      const DlsParamInfo *info = dls_params_info (m->params, i);
      float *p = info->kind == DLS_PARAM_COUNTER ? NULL : dls_params_data (m->params, i);

      if (!g_str_has_prefix (info->name, "normalization_") || p == NULL)
        continue;
      for (int64_t e = 0; e < info->numel; e++)
        {
          float u = (float) dls_rng_uniform (&rng);

          if (g_str_has_suffix (info->name, ".weight"))
            p[e] = 0.6f + 0.8f * u;
          else if (g_str_has_suffix (info->name, ".bias"))
            p[e] = 0.4f * u - 0.2f;
          else if (g_str_has_suffix (info->name, ".running_mean"))
            p[e] = u;
          else if (g_str_has_suffix (info->name, ".running_var"))
            p[e] = 0.5f + u;
        }
    }
  return m;
}

/* max |a − b| ≤ tol · max(max |a|, floor) */
static void
assert_close (const char *what, const float *a, const float *b, int64_t n, double tol, double floor)
{
  double big = floor, diff = 0;
  int64_t at = 0;

  for (int64_t i = 0; i < n; i++)
    {
      big = MAX (big, fabs (a[i]));
      if (fabs (a[i] - b[i]) > diff)
        diff = fabs (a[i] - b[i]), at = i;
    }
  if (diff > tol * big)
    g_error ("%s: element %" G_GINT64_FORMAT ": graph %.8g, fused %.8g (max |x| %.3g)", what, at,
             a[at], b[at], big);
}

static void
run_case (const Case *k, int threads)
{
  g_autoptr (GError) error = NULL;
  DlsModel *m[2] = { make_model (k, 11), make_model (k, 11) };
  g_autoptr (DlsTrainStep) s0 = NULL, s1 = NULL;
  int64_t nx = (int64_t) k->n * k->cin * k->h * k->wd, no = (int64_t) k->n * k->oc * k->h * k->wd;
  g_autofree float *x = g_new (float, nx), *tg = g_new (float, no), *mk = g_new (float, no);
  g_autofree int32_t *lab = g_new (int32_t, (int64_t) k->n * k->h * k->wd);
  DlsParams *p0 = m[0]->params, *p1 = m[1]->params;
  DlsRng rng;

  dls_engine_set_threads (threads);
  dls_rng_init (&rng, 5);
  for (int64_t i = 0; i < nx; i++)
    x[i] = (float) (2 * dls_rng_uniform (&rng) - 0.5); /* some below 0: the input ReLU counts */
  for (int64_t i = 0; i < (int64_t) k->n * k->h * k->wd; i++)
    lab[i] = (int32_t) dls_rng_below (&rng, k->oc + 1) - 1;
  for (int64_t i = 0; i < no; i++)
    {
      tg[i] = (float) dls_rng_uniform (&rng);
      mk[i] = dls_rng_uniform (&rng) < 0.7 ? 1.0f : 0.0f;
    }
  s0 = dls_train_step_new (m[0], k->n, k->h, k->wd, k->loss, NULL, FALSE, &error);
  g_assert_no_error (error);
  s1 = dls_train_step_new (m[1], k->n, k->h, k->wd, k->loss, NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert_false (dls_train_step_is_fused (s0));
  g_assert_true (dls_train_step_is_fused (s1));
  for (int step = 0; step < 2; step++)
    {
      double l0, l1;

      g_assert_true (dls_train_step_run (s0, x, lab, tg, mk, &l0, &error));
      g_assert_no_error (error);
      g_assert_true (dls_train_step_run (s1, x, lab, tg, mk, &l1, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat_with_epsilon (l0, l1, 1e-4 * MAX (1.0, fabs (l0)));
      assert_close ("output", dls_train_step_output (s0), dls_train_step_output (s1), no, 1e-4,
                    1.0);
      for (int i = 0; i < dls_params_count (p0); i++)
        {
          const DlsParamInfo *info = dls_params_info (p0, i);

          if (info->kind == DLS_PARAM_COUNTER)
            g_assert_cmpint (*dls_params_counter (p0, i), ==, *dls_params_counter (p1, i));
          else if (info->kind == DLS_PARAM_BUFFER)
            assert_close (info->name, dls_params_data (p0, i), dls_params_data (p1, i), info->numel,
                          1e-4, 1e-3);
          else
            assert_close (info->name, dls_params_grad (p0, i), dls_params_grad (p1, i), info->numel,
                          1e-4, 1e-6);
        }
    }
  if (k->bn)
    g_assert_cmpint (
        *dls_params_counter (p1, dls_params_find (p1, "normalization_0.num_batches_tracked")), ==,
        2);
  dls_model_free (m[0]);
  dls_model_free (m[1]);
}

static void
test_step_msdnet (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %zu", i);
      run_case (&cases[i], 2);
    }
  run_case (&cases[2], 1);
  dls_engine_set_threads (0);
}

/* The fused step's results do not depend on the thread count: its tasks are fixed by the
 * shapes. */
static void
step_threads (const Case *k)
{
  g_autoptr (GError) error = NULL;
  DlsModel *m[2] = { make_model (k, 3), make_model (k, 3) };
  int64_t nx = (int64_t) k->n * k->cin * k->h * k->wd, npx = (int64_t) k->n * k->h * k->wd;
  g_autofree float *x = g_new (float, nx);
  g_autofree int32_t *lab = g_new (int32_t, npx);
  DlsRng rng;

  dls_rng_init (&rng, 9);
  for (int64_t i = 0; i < nx; i++)
    x[i] = (float) dls_rng_uniform (&rng);
  for (int64_t i = 0; i < npx; i++)
    lab[i] = (int32_t) dls_rng_below (&rng, k->oc);
  for (int t = 0; t < 2; t++)
    {
      g_autoptr (DlsTrainStep) s = NULL;
      double loss;

      dls_engine_set_threads (t + 1);
      s = dls_train_step_new (m[t], k->n, k->h, k->wd, k->loss, NULL, TRUE, &error);
      g_assert_no_error (error);
      g_assert_true (dls_train_step_run (s, x, lab, NULL, NULL, &loss, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpmem (dls_params_grads (m[0]->params), dls_params_n_weights (m[0]->params) * 4,
                   dls_params_grads (m[1]->params), dls_params_n_weights (m[1]->params) * 4);
  dls_engine_set_threads (0);
  dls_model_free (m[0]);
  dls_model_free (m[1]);
}

static void
test_step_threads (void)
{
  step_threads (&cases[2]); /* batch 3, width 2, two input channels */
  step_threads (&cases[7]); /* 70 × 45: several bands */
}

/* Dropout keeps the graph. */
static void
test_step_dropout (void)
{
  g_autoptr (GError) error = NULL;
  DlsModelConfig cfg;
  DlsModel *m;
  g_autoptr (DlsTrainStep) s = NULL;

  dls_model_config_init (&cfg, DLS_ARCH_MSDNET);
  cfg.num_layers = 3;
  cfg.dropout_set = TRUE;
  cfg.dropout[1] = 0.2;
  m = dls_model_new (&cfg, &error);
  g_assert_no_error (error);
  dls_model_config_clear (&cfg);
  s = dls_train_step_new (m, 1, 16, 16, DLS_STEP_CROSS_ENTROPY, NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert_false (dls_train_step_is_fused (s));
  g_clear_pointer (&s, dls_train_step_free);
  dls_model_free (m);
}

/* An SMSNet's training step against finite differences of its own loss along random
 * directions in weight space: the engine's planner (shared gradient memory, the 1×1 edges'
 * input gradients joined to a 3×3 edge's pass) must leave the gradient exact. */
static void
test_step_smsnet_gradient (void)
{
  g_autoptr (GError) error = NULL;
  const int S = 32, npix = S * S;
  DlsModelConfig cfg;
  DlsModel *m;
  g_autoptr (DlsTrainStep) s = NULL;
  g_autofree float *x = g_new (float, npix), *grad = NULL, *w0 = NULL, *v = NULL;
  g_autofree int32_t *y = g_new (int32_t, npix);
  DlsRng rng;
  int64_t nw;
  double loss, lp, lm;

  dls_model_config_init (&cfg, DLS_ARCH_SMSNET);
  cfg.sms.layers = 8;
  cfg.in_channels = 1;
  cfg.out_channels = 2;
  cfg.seed = 3;
  m = dls_model_new (&cfg, &error);
  g_assert_no_error (error);
  dls_model_config_clear (&cfg);
  dls_model_init_weights (m, 1);
  s = dls_train_step_new (m, 1, S, S, DLS_STEP_CROSS_ENTROPY, NULL, FALSE, &error);
  g_assert_no_error (error);
  dls_rng_init (&rng, 5);
  for (int i = 0; i < npix; i++)
    {
      x[i] = (float) dls_rng_uniform (&rng);
      y[i] = dls_rng_uniform (&rng) < 0.3 ? -1 : (int32_t) dls_rng_below (&rng, 2);
    }
  g_assert_true (dls_train_step_run (s, x, y, NULL, NULL, &loss, &error));
  nw = dls_params_n_weights (m->params);
  grad = g_memdup2 (dls_params_grads (m->params), sizeof (float) * nw);
  w0 = g_memdup2 (dls_params_weights (m->params), sizeof (float) * nw);
  v = g_new (float, nw);
  for (int k = 0; k < 3; k++)
    {
      /* small enough that few ReLUs flip, large enough above the float loss's rounding */
      const double eps = 3e-4;
      double dot = 0, fd;
      float *w = dls_params_weights (m->params);

      for (int64_t i = 0; i < nw; i++)
        {
          v[i] = (float) dls_rng_normal (&rng);
          dot += (double) grad[i] * v[i];
        }
      for (int64_t i = 0; i < nw; i++)
        w[i] = w0[i] + (float) eps * v[i];
      g_assert_true (dls_train_step_run (s, x, y, NULL, NULL, &lp, &error));
      for (int64_t i = 0; i < nw; i++)
        w[i] = w0[i] - (float) eps * v[i];
      g_assert_true (dls_train_step_run (s, x, y, NULL, NULL, &lm, &error));
      memcpy (w, w0, sizeof (float) * nw);
      fd = (lp - lm) / (2 * eps);
      g_test_message ("direction %d: finite differences %.6g, gradient %.6g", k, fd, dot);
      /* measured 0.3–3.4 % here; leaving the 1×1 terms out makes it 40 % */
      g_assert_cmpfloat (fabs (fd - dot), <=, 0.06 * fabs (dot) + 1e-3);
    }
  g_clear_pointer (&s, dls_train_step_free);
  dls_model_free (m);
}

/* Weights of two models agree within tol of each tensor's largest value. */
static void
assert_weights_close (DlsModel *a, DlsModel *b, double tol)
{
  for (int i = 0; i < dls_params_count (a->params); i++)
    {
      const DlsParamInfo *info = dls_params_info (a->params, i);

      if (info->kind == DLS_PARAM_COUNTER)
        g_assert_cmpint (*dls_params_counter (a->params, i), ==,
                         *dls_params_counter (b->params, i));
      else
        assert_close (info->name, dls_params_data (a->params, i), dls_params_data (b->params, i),
                      info->numel, tol, 1e-2);
    }
}

/* A noisy volume with two classes and sparse labels. */
static void
make_volume (DlsVolume *v, DlsLabels *l, int Z, int H, int W)
{
  DlsRng rng;
  int64_t n = (int64_t) Z * H * W;

  dls_rng_init (&rng, 3);
  *v = (DlsVolume){ Z, H, W, 1, g_new (float, n) };
  *l = (DlsLabels){ Z, H, W, g_new0 (uint8_t, n) };
  for (int64_t i = 0; i < n; i++)
    {
      int64_t y = i / W % H, x = i % W;
      int cls = (x - W / 2) * (x - W / 2) + (y - H / 2) * (y - H / 2) < H * W / 8 ? 2 : 1;

      v->data[i] = (cls == 2 ? 0.7f : 0.3f) + 0.15f * (float) dls_rng_normal (&rng);
      if (dls_rng_uniform (&rng) < 0.2)
        l->data[i] = (uint8_t) cls;
    }
}

/* dls_train_classifier: the fused step gives the graph's weights (within float rounding after
 * a few Adam steps) and the same bits for the same seed, on 1 and 2 threads. */
static void
test_trainer_msdnet (void)
{
  static const Case k = { 6, 1, 1, 2, 2, 0, 0, TRUE, 10, { 0 }, 0, DLS_STEP_CROSS_ENTROPY };
  g_autoptr (GError) error = NULL;
  DlsVolume v;
  DlsLabels l;
  DlsDataset *ds;

  make_volume (&v, &l, 3, 40, 40);
  ds = dls_dataset_new (&v, &l, 2, &(DlsDatasetArgs){ .patch = 24, .seed = 1 }, &error);
  g_assert_no_error (error);
  for (int threads = 1; threads <= 2; threads++)
    {
      DlsModel *m[3] = { make_model (&k, 7), make_model (&k, 7), make_model (&k, 7) };
      DlsTrainResult r[3];

      dls_engine_set_threads (threads);
      for (int i = 0; i < 3; i++)
        {
          g_assert_true (dls_train_classifier (
              m[i], ds,
              &(DlsTrainArgs){
                  .epochs = 2, .batch = 3, .lr = 1e-3, .seed = 4, .graph_only = i == 0 },
              &r[i], &error));
          g_assert_no_error (error);
        }
      g_test_message ("%d threads: val loss graph %.6f fused %.6f", threads, r[0].best_val_loss,
                      r[1].best_val_loss);
      g_assert_cmpfloat_with_epsilon (r[0].best_val_loss, r[1].best_val_loss, 1e-3);
      assert_weights_close (m[0], m[1], 1e-3);
      g_assert_cmpmem (dls_params_weights (m[1]->params), dls_params_n_weights (m[1]->params) * 4,
                       dls_params_weights (m[2]->params), dls_params_n_weights (m[2]->params) * 4);
      for (int i = 0; i < 3; i++)
        dls_model_free (m[i]);
    }
  dls_engine_set_threads (0);
  dls_dataset_free (ds);
  g_free (v.data);
  g_free (l.data);
}

/* dls_train_regressor (inpainting): the same with the masked MSE. */
static void
test_regressor_msdnet (void)
{
  static const Case k = { 5, 2, 1, 1, 2, 0, 0, TRUE, 10, { 0 }, 0, DLS_STEP_MSE_MASKED };
  g_autoptr (GError) error = NULL;
  DlsVolume in, tg;
  DlsLabels l;
  DlsModel *m[2] = { make_model (&k, 8), make_model (&k, 8) };

  make_volume (&in, &l, 3, 32, 32);
  tg = in;
  tg.data = g_new (float, 3 * 32 * 32);
  for (int i = 0; i < 3 * 32 * 32; i++)
    tg.data[i] = in.data[i] * in.data[i];
  for (int i = 0; i < 2; i++)
    {
      g_assert_true (dls_train_regressor (
          m[i],
          &(DlsRegressionData){
              .input = &in, .target = &tg, .mask = l.data, .patch = 16, .seed = 2 },
          DLS_REGRESSION_MSE,
          &(DlsTrainArgs){ .epochs = 2, .batch = 2, .seed = 5, .graph_only = i == 0 }, NULL,
          &error));
      g_assert_no_error (error);
    }
  assert_weights_close (m[0], m[1], 1e-3);
  dls_model_free (m[0]);
  dls_model_free (m[1]);
  g_free (in.data);
  g_free (tg.data);
  g_free (l.data);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/step/msdnet/fused-vs-graph", test_step_msdnet);
  g_test_add_func ("/train/step/smsnet/gradient", test_step_smsnet_gradient);
  g_test_add_func ("/train/step/msdnet/threads", test_step_threads);
  g_test_add_func ("/train/step/msdnet/dropout", test_step_dropout);
  g_test_add_func ("/train/step/msdnet/classifier", test_trainer_msdnet);
  g_test_add_func ("/train/step/msdnet/regressor", test_regressor_msdnet);
  return g_test_run ();
}
