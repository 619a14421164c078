/* SPDX-License-Identifier: MIT
 *
 * test-applications.c: the paper's three applications, small and fast, end to end through
 * the library:
 *   - fibres: an ensemble of SMSNets trained from the synthetic concrete volume's sparse labels
 *     (≤ 6 fibres); fibre F1 of each member and of the ensemble against the ground truth;
 *   - gap inpainting: a TUNet fills the detector gaps of synthetic scattering images; Pearson
 *     CC on the gap pixels;
 *   - shapes: an MSAE on DLSIA's four shapes; reconstruction CC, and k-means on the latent
 *     vectors against the true classes (adjusted Rand index).
 * The full-size runs and their figures are in README.md; DLSIA_FULL=1 runs the shapes case at
 * the latent-space notebook's size (2,000 images, noise 0.5, 30 epochs).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "kmeans.h"
#include "metrics.h"
#include "predict.h"
#include "synth.h"
#include "trainer.h"

static void
normalise (const float *raw, int64_t n, float *out, double *lo, double *hi, double pl, double ph,
           gboolean clip)
{
  dls_volume_percentiles (raw, n, pl, ph, lo, hi);
  for (int64_t i = 0; i < n; i++)
    {
      float v = (float) ((raw[i] - *lo) / (*hi - *lo));

      out[i] = clip ? CLAMP (v, 0.0f, 1.0f) : v;
    }
}

/* Fibre F1 (class 2) of a class map against the truth. */
static double
fibre_f1 (const uint8_t *pred, const uint8_t *truth, int64_t n)
{
  DlsConfusion c;
  double f1;

  dls_confusion_init (&c, 2);
  dls_confusion_add (&c, pred, truth, n);
  f1 = dls_confusion_f1 (&c, 2);
  dls_confusion_clear (&c);
  return f1;
}

static void
test_fibres (void)
{
  int64_t Z = 24, H = 96, W = 96, hw = H * W, n = Z * hw;
  int M = 3;
  g_autofree uint16_t *vol16 = g_new (uint16_t, n);
  g_autofree uint8_t *truth = g_new (uint8_t, n), *sparse = g_new (uint8_t, n);
  g_autofree float *raw = g_new (float, n), *norm = g_new (float, n);
  g_autofree uint8_t *pred = g_new (uint8_t, n);
  g_autofree float *probs = g_new (float, 2 * hw);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsDataset) ds = NULL;
  DlsModelConfig base, *cfgs;
  DlsModel *models[3];
  double lo, hi, f1[4];
  DlsVolume v;
  DlsLabels l;

  g_assert_true (
      dls_synth_fibers (&(DlsSynthFibersArgs){ Z, H, W, 1, 0 }, vol16, truth, sparse, &error));
  for (int64_t i = 0; i < n; i++)
    raw[i] = vol16[i];
  normalise (raw, n, norm, &lo, &hi, 1, 99, TRUE);
  v = (DlsVolume){ Z, H, W, 1, norm };
  l = (DlsLabels){ Z, H, W, sparse };
  ds = dls_dataset_new (&v, &l, 2, &(DlsDatasetArgs){ .patch = 48, .seed = 1 }, &error);
  g_assert_no_error (error);

  dls_model_config_init (&base, DLS_ARCH_SMSNET);
  base.seed = 1;
  base.sms.layers = 8;
  base.norm_set = TRUE;
  base.norm_low = lo;
  base.norm_high = hi;
  cfgs = dls_ensemble_configs (&base, &(DlsEnsembleArgs){ .n_networks = M }, &error);
  g_assert_no_error (error);
  for (int k = 0; k < M; k++)
    {
      DlsTrainResult r;

      models[k] = dls_model_new (&cfgs[k], &error);
      g_assert_no_error (error);
      dls_model_config_clear (&cfgs[k]);
      dls_model_init_weights (models[k], 10 + k);
      g_assert_true (dls_train_classifier (
          models[k], ds, &(DlsTrainArgs){ .epochs = 6, .batch = 4, .lr = 3e-3, .seed = 20 + k }, &r,
          &error));
      g_assert_no_error (error);
    }
  g_free (cfgs);
  dls_model_config_clear (&base);
  /* members, then the ensemble, slice by slice */
  for (int k = 0; k <= M; k++)
    {
      g_autoptr (DlsEnsemblePredictor) p = k < M ? dls_ensemble_predictor_new (&models[k], 1, NULL)
                                                 : dls_ensemble_predictor_new (models, M, NULL);

      for (int64_t z = 0; z < Z; z++)
        {
          g_assert_true (dls_ensemble_predictor_run (p, raw + z * hw, (int) H, (int) W, probs, NULL,
                                                     NULL, &error));
          for (int64_t i = 0; i < hw; i++)
            pred[z * hw + i] = probs[hw + i] > probs[i] ? 2 : 1;
        }
      f1[k] = fibre_f1 (pred, truth, n);
    }
  g_test_message ("fibre F1: members %.3f %.3f %.3f, ensemble %.3f", f1[0], f1[1], f1[2], f1[3]);
  {
    double med = MAX (MIN (f1[0], f1[1]), MIN (MAX (f1[0], f1[1]), f1[2]));

    g_assert_cmpfloat (f1[3], >=, med - 0.02);
  }
  g_assert_cmpfloat (f1[3], >, 0.5);
  for (int k = 0; k < M; k++)
    dls_model_free (models[k]);
}

static void
test_inpainting (void)
{
  int64_t N = 6, S = 64, hw = S * S, n = N * hw;
  g_autofree float *full = g_new (float, n), *in = g_new (float, n), *tg = g_new (float, n);
  g_autofree float *out = g_new (float, hw), *outs = g_new (float, n);
  g_autofree uint8_t *mask = g_new (uint8_t, n);
  g_autoptr (GError) error = NULL;
  DlsModelConfig c;
  DlsModel *m;
  DlsTrainResult r;
  double lo, hi, cc;

  g_assert_true (dls_synth_scattering (&(DlsSynthScatteringArgs){ N, S, 3 }, full, mask, &error));
  /* log intensities, as scattering data are usually seen; the gaps read 0 */
  for (int64_t i = 0; i < n; i++)
    {
      full[i] = logf (1.0f + MAX (full[i], 0.0f));
      in[i] = mask[i] ? 0.0f : full[i];
    }
  normalise (in, n, in, &lo, &hi, 0, 100, FALSE);
  for (int64_t i = 0; i < n; i++)
    tg[i] = (float) ((full[i] - lo) / (hi - lo));
  dls_model_config_init (&c, DLS_ARCH_TUNET);
  c.depth = 3;
  c.base_channels = 8;
  c.in_channels = c.out_channels = 1;
  c.regression = TRUE;
  c.norm_set = TRUE;
  c.norm_low = lo;
  c.norm_high = hi;
  c.norm_p_low = 0;
  c.norm_p_high = 100;
  m = dls_model_new (&c, &error);
  g_assert_no_error (error);
  dls_model_config_clear (&c);
  dls_model_init_weights (m, 4);
  g_assert_true (dls_train_regressor (
      m,
      &(DlsRegressionData){ .input = &(DlsVolume){ N, S, S, 1, in },
                            .target = &(DlsVolume){ N, S, S, 1, tg },
                            .mask = mask,
                            .patch = 32,
                            .seed = 1 },
      DLS_REGRESSION_MSE, &(DlsTrainArgs){ .epochs = 15, .batch = 4, .lr = 3e-3, .seed = 2 }, &r,
      &error));
  g_assert_no_error (error);
  /* predict every image from its gapped raw version; CC on gap pixels in log units */
  {
    g_autoptr (DlsPredictor) p = dls_predictor_new (m);

    for (int64_t i = 0; i < N; i++)
      {
        g_autofree float *gapped = g_new (float, hw);

        for (int64_t k = 0; k < hw; k++)
          gapped[k] = mask[i * hw + k] ? 0.0f : full[i * hw + k];
        g_assert_true (dls_predictor_run (p, gapped, (int) S, (int) S, out, NULL, &error));
        memcpy (outs + i * hw, out, sizeof (float) * hw);
      }
  }
  cc = dls_pearson (outs, full, mask, n);
  g_test_message ("inpainting: CC on gap pixels %.4f (validation CC %.4f)", cc, r.best_cc);
  g_assert_cmpfloat (cc, >, 0.8);
  dls_model_free (m);
}

static void
test_shapes (void)
{
  gboolean full = g_getenv ("DLSIA_FULL") != NULL;
  int64_t N = full ? 2000 : 400, S = 32, hw = S * S;
  g_autofree float *img = g_new (float, N *hw), *clean = g_new (float, N *hw);
  g_autofree uint8_t *maps = g_new (uint8_t, N * hw), *cls = g_new (uint8_t, N);
  g_autofree float *norm = g_new (float, N *hw), *lat = NULL, *rec = g_new (float, hw);
  g_autofree int *km = g_new (int, N), *truth = g_new (int, N);
  g_autoptr (GError) error = NULL;
  DlsModelConfig c;
  DlsModel *m;
  DlsTrainResult r;
  double lo, hi, ari;
  int L;

  g_assert_true (dls_synth_shapes (&(DlsSynthShapesArgs){ N, (int) S, full ? 0.5 : 0.15, 5 }, img,
                                   clean, maps, cls, &error));
  normalise (img, N * hw, norm, &lo, &hi, 0, 100, FALSE);
  dls_model_config_init (&c, DLS_ARCH_MSAE);
  c.input_shape[1] = c.input_shape[2] = (int) S;
  c.depth = 2;
  c.base_channels = 8;
  c.latent_dimension = 16;
  c.max_dilation = 2;
  c.ms_depth = 1;
  c.norm_set = TRUE;
  c.norm_low = lo;
  c.norm_high = hi;
  m = dls_model_new (&c, &error);
  g_assert_no_error (error);
  dls_model_config_clear (&c);
  dls_model_init_weights (m, 6);
  g_assert_true (dls_train_regressor (
      m,
      &(DlsRegressionData){ .input = &(DlsVolume){ N, S, S, 1, norm },
                            .target = &(DlsVolume){ N, S, S, 1, norm },
                            .patch = 0,
                            .seed = 1 },
      DLS_REGRESSION_MSE,
      &(DlsTrainArgs){ .epochs = full ? 30 : 12, .batch = 16, .lr = 3e-3, .seed = 3 }, &r, &error));
  g_assert_no_error (error);
  lat = g_new (float, N * 16);
  L = dls_model_encode (m, img, N, (int) S, (int) S, lat, &error);
  g_assert_no_error (error);
  g_assert_cmpint (L, ==, 16);
  /* standardise each latent dimension, then k-means with k = 4 */
  for (int j = 0; j < L; j++)
    {
      double s = 0, ss = 0;

      for (int64_t i = 0; i < N; i++)
        s += lat[i * L + j];
      s /= N;
      for (int64_t i = 0; i < N; i++)
        ss += (lat[i * L + j] - s) * (lat[i * L + j] - s);
      ss = sqrt (ss / N) + 1e-12;
      for (int64_t i = 0; i < N; i++)
        lat[i * L + j] = (float) ((lat[i * L + j] - s) / ss);
    }
  g_assert_cmpfloat (dls_kmeans (lat, N, L, 4, 1, 10, km, NULL), >=, 0);
  for (int64_t i = 0; i < N; i++)
    truth[i] = cls[i];
  ari = dls_adjusted_rand_index (km, truth, N);
  g_test_message ("shapes: reconstruction CC (validation) %.4f, k-means ARI %.3f", r.best_cc, ari);
  g_assert_cmpfloat (r.best_cc, >, 0.8);
  /* chance is 0; rotations and sizes spread each class, so plain k-means on a 16-D latent
   * recovers the classes only in part (the latent explorer's map does better); at the full
   * run's noise of 0.5 it is near chance, which README reports */
  if (!full)
    g_assert_cmpfloat (ari, >, 0.1);
  (void) rec;
  dls_model_free (m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/applications/fibres", test_fibres);
  g_test_add_func ("/train/applications/inpainting", test_inpainting);
  g_test_add_func ("/train/applications/shapes", test_shapes);
  return g_test_run ();
}
