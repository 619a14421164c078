/* SPDX-License-Identifier: MIT
 *
 * test-train.c: datasets from sparse labels (checks, the seeded train/validation split, patch
 * positions, flips and rotations), the trainer (it learns an easy problem, is deterministic,
 * stops on cancel and on a NaN loss keeping the best weights, honours a time budget), tiled
 * prediction against whole images, and ensemble manifests.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ensemble-file.h"
#include "predict.h"
#include "safetensors.h"
#include "trainer.h"

/* An easy volume: bright discs (class 2) on a darker noisy background (class 1), with sparse
 * labels on a few percent of the pixels. */
typedef struct
{
  DlsVolume v;
  DlsLabels l, truth;
} Easy;

static void
easy_make (Easy *e, int Z, int H, int W, double label_rate, uint64_t seed)
{
  DlsRng rng;
  int64_t n = (int64_t) Z * H * W;

  dls_rng_init (&rng, seed);
  e->v = (DlsVolume){ Z, H, W, 1, g_new (float, n) };
  e->l = (DlsLabels){ Z, H, W, g_new0 (uint8_t, n) };
  e->truth = (DlsLabels){ Z, H, W, g_new (uint8_t, n) };
  memset (e->truth.data, 1, n);
  for (int z = 0; z < Z; z++)
    for (int k = 0; k < 5; k++)
      {
        int cy = 6 + (int) dls_rng_below (&rng, H - 12),
            cx = 6 + (int) dls_rng_below (&rng, W - 12);
        int r = 3 + (int) dls_rng_below (&rng, 4);

        for (int y = MAX (0, cy - r); y < MIN (H, cy + r + 1); y++)
          for (int x = MAX (0, cx - r); x < MIN (W, cx + r + 1); x++)
            if ((y - cy) * (y - cy) + (x - cx) * (x - cx) <= r * r)
              e->truth.data[((int64_t) z * H + y) * W + x] = 2;
      }
  for (int64_t i = 0; i < n; i++)
    {
      e->v.data[i] = (e->truth.data[i] == 2 ? 0.7f : 0.3f) + 0.1f * (float) dls_rng_normal (&rng);
      if (dls_rng_uniform (&rng) < label_rate)
        e->l.data[i] = e->truth.data[i];
    }
}

static void
easy_clear (Easy *e)
{
  g_free (e->v.data);
  g_free (e->l.data);
  g_free (e->truth.data);
}

static void
test_dataset_checks (void)
{
  Easy e;
  g_autoptr (GError) error = NULL;
  DlsLabels bad;
  DlsDataset *ds;

  easy_make (&e, 2, 40, 40, 0.05, 1);
  bad = e.l;
  bad.width = 39;
  g_assert_null (dls_dataset_new (&e.v, &bad, 2, NULL, &error));
  g_assert_nonnull (strstr (error->message, "the labels are 2 × 40 × 39"));
  g_clear_error (&error);
  e.l.data[77] = 5;
  g_assert_null (dls_dataset_new (&e.v, &e.l, 2, NULL, &error));
  g_assert_nonnull (strstr (error->message, "class 5"));
  g_clear_error (&error);
  memset (e.l.data, 0, 2 * 40 * 40);
  g_assert_null (dls_dataset_new (&e.v, &e.l, 2, NULL, &error));
  g_assert_nonnull (strstr (error->message, "no pixel is labelled"));
  g_clear_error (&error);
  e.l.data[5] = 2;
  g_assert_null (dls_dataset_new (&e.v, &e.l, 2, NULL, &error));
  g_assert_nonnull (strstr (error->message, "only class 2 is labelled"));
  g_clear_error (&error);
  e.l.data[6] = 1;
  g_assert_null (dls_dataset_new (&e.v, &e.l, 2, &(DlsDatasetArgs){ .patch = 64 }, &error));
  g_assert_nonnull (strstr (error->message, "smaller than the 64 × 64 training patch"));
  g_clear_error (&error);
  ds = dls_dataset_new (&e.v, &e.l, 2, &(DlsDatasetArgs){ .patch = 16, .val_fraction = -1 },
                        &error);
  g_assert_no_error (error);
  g_assert_cmpint (dls_dataset_n_labelled (ds, FALSE), ==, 2);
  g_assert_cmpint (dls_dataset_n_labelled (ds, TRUE), ==, 0);
  dls_dataset_free (ds);
  easy_clear (&e);
}

/* The split holds out about the asked fraction, the same pixels for the same seed, others
 * for another; every patch holds labels; train and validation labels never overlap. */
static void
test_dataset_split (void)
{
  Easy e;
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsDataset) a = NULL, b = NULL, c = NULL;
  int P = 16, same = 0, diff = 0;
  int64_t n = 4 * 48 * 48;
  g_autofree float *img = g_new (float, P *P);
  g_autofree int32_t *tl = g_new (int32_t, P * P), *vl = g_new (int32_t, P * P);

  easy_make (&e, 4, 48, 48, 0.2, 2);
  a = dls_dataset_new (&e.v, &e.l, 2, &(DlsDatasetArgs){ .patch = P, .seed = 7 }, &error);
  b = dls_dataset_new (&e.v, &e.l, 2, &(DlsDatasetArgs){ .patch = P, .seed = 7 }, &error);
  c = dls_dataset_new (&e.v, &e.l, 2, &(DlsDatasetArgs){ .patch = P, .seed = 8 }, &error);
  g_assert_no_error (error);
  {
    double frac = (double) dls_dataset_n_labelled (a, TRUE)
                  / (dls_dataset_n_labelled (a, TRUE) + dls_dataset_n_labelled (a, FALSE));

    g_assert_cmpfloat (frac, >, 0.15);
    g_assert_cmpfloat (frac, <, 0.25);
  }
  for (int64_t i = 0; i < n; i++)
    if (e.l.data[i])
      {
        same += dls_dataset_is_validation (a, i) == dls_dataset_is_validation (b, i);
        diff += dls_dataset_is_validation (a, i) != dls_dataset_is_validation (c, i);
      }
  g_assert_cmpint (same, ==, dls_dataset_n_labelled (a, TRUE) + dls_dataset_n_labelled (a, FALSE));
  g_assert_cmpint (diff, >, 0);
  g_assert_cmpint (dls_dataset_n_patches (a), >, 0);
  for (int i = 0; i < dls_dataset_n_patches (a); i++)
    {
      int labelled = 0;

      dls_dataset_get (a, i, 0, img, tl, vl);
      for (int k = 0; k < P * P; k++)
        {
          g_assert_false (tl[k] >= 0 && vl[k] >= 0);
          labelled += tl[k] >= 0 || vl[k] >= 0;
          g_assert_cmpint (tl[k], <, 2);
        }
      g_assert_cmpint (labelled, >, 0);
    }
  easy_clear (&e);
}

/* The eight flips/rotations move image and labels together: a marked pixel lands where the
 * transform says. */
static void
test_dataset_augment (void)
{
  Easy e;
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsDataset) ds = NULL;
  int P = 16;
  g_autofree float *ref = g_new (float, P *P), *img = g_new (float, P *P);
  g_autofree int32_t *rl = g_new (int32_t, P * P), *tl = g_new (int32_t, P * P);

  easy_make (&e, 1, 16, 16, 0.3, 3);
  ds = dls_dataset_new (&e.v, &e.l, 2, &(DlsDatasetArgs){ .patch = P, .val_fraction = -1 }, &error);
  g_assert_no_error (error);
  dls_dataset_get (ds, 0, 0, ref, rl, NULL);
  for (int aug = 0; aug < 8; aug++)
    {
      dls_dataset_get (ds, 0, aug, img, tl, NULL);
      for (int y = 0; y < P; y++)
        for (int x = 0; x < P; x++)
          {
            int sy = y, sx = x;

            if (aug & 4)
              {
                int t = sy;

                sy = sx;
                sx = t;
              }
            if (aug & 1)
              sx = P - 1 - sx;
            if (aug & 2)
              sy = P - 1 - sy;
            g_assert_cmpfloat (img[y * P + x], ==, ref[sy * P + sx]);
            g_assert_cmpint (tl[y * P + x], ==, rl[sy * P + sx]);
          }
    }
  easy_clear (&e);
}

static DlsModel *
small_model (DlsArch arch, uint64_t seed)
{
  g_autoptr (GError) error = NULL;
  DlsModelConfig c;
  DlsModel *m;

  dls_model_config_init (&c, arch);
  c.seed = seed;
  if (arch == DLS_ARCH_MSDNET)
    c.num_layers = 6;
  if (arch == DLS_ARCH_SMSNET)
    c.sms.layers = 5;
  if (arch == DLS_ARCH_TUNET)
    {
      c.depth = 3;
      c.base_channels = 4;
    }
  m = dls_model_new (&c, &error);
  g_assert_no_error (error);
  dls_model_init_weights (m, seed);
  dls_model_config_clear (&c);
  return m;
}

typedef struct
{
  int reports, epochs_done, cancel_after;
  volatile int cancel;
} Watch;

static void
watch (const DlsTrainProgress *p, void *data)
{
  Watch *w = data;

  w->reports++;
  w->epochs_done += p->epoch_done;
  g_assert_cmpint (p->step, <=, p->n_steps);
  if (w->cancel_after && w->reports >= w->cancel_after)
    w->cancel = 1;
}

/* It learns: bright discs against background, well above chance on validation pixels. */
static void
test_trainer_learns (void)
{
  Easy e;
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsDataset) ds = NULL;
  DlsArch archs[] = { DLS_ARCH_MSDNET, DLS_ARCH_SMSNET };

  easy_make (&e, 3, 48, 48, 0.1, 4);
  ds = dls_dataset_new (&e.v, &e.l, 2, &(DlsDatasetArgs){ .patch = 32, .seed = 1 }, &error);
  g_assert_no_error (error);
  for (size_t a = 0; a < G_N_ELEMENTS (archs); a++)
    {
      DlsModel *m = small_model (archs[a], 5);
      DlsTrainResult r;
      Watch w = { 0 };

      g_assert_true (dls_train_classifier (
          m, ds,
          &(DlsTrainArgs){
              .epochs = 8, .batch = 2, .lr = 1e-2, .seed = 3, .progress = watch, .user_data = &w },
          &r, &error));
      g_assert_no_error (error);
      g_test_message ("%s: best epoch %d, val loss %.3f, F1 macro %.3f", dls_arch_name (archs[a]),
                      r.best_epoch, r.best_val_loss, r.best_f1_macro);
      g_assert_cmpint (r.epochs_run, ==, 8);
      g_assert_cmpint (w.epochs_done, ==, 8);
      g_assert_cmpfloat (r.best_f1_macro, >, 0.85);
      dls_model_free (m);
    }
  easy_clear (&e);
}

/* Same seed and thread count → the same weights, bit for bit; another seed → others. */
static void
test_trainer_deterministic (void)
{
  Easy e;
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsDataset) ds = NULL;
  DlsModel *m[3];

  easy_make (&e, 2, 40, 40, 0.1, 5);
  ds = dls_dataset_new (&e.v, &e.l, 2, &(DlsDatasetArgs){ .patch = 24 }, &error);
  for (int i = 0; i < 3; i++)
    {
      m[i] = small_model (DLS_ARCH_SMSNET, 9);
      g_assert_true (dls_train_classifier (
          m[i], ds, &(DlsTrainArgs){ .epochs = 2, .batch = 2, .seed = i < 2 ? 1 : 2 }, NULL,
          &error));
    }
  g_assert_cmpmem (dls_params_weights (m[0]->params), dls_params_n_weights (m[0]->params) * 4,
                   dls_params_weights (m[1]->params), dls_params_n_weights (m[1]->params) * 4);
  g_assert_true (memcmp (dls_params_weights (m[0]->params), dls_params_weights (m[2]->params),
                         dls_params_n_weights (m[0]->params) * 4)
                 != 0);
  for (int i = 0; i < 3; i++)
    dls_model_free (m[i]);
  easy_clear (&e);
}

/* Cancel within a step, keeping the best weights (here the initial ones: no epoch ended);
 * a NaN loss stops with a message, also keeping them; a time budget stops in time; nothing to
 * train is refused. */
static void
test_trainer_stops (void)
{
  Easy e;
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsDataset) ds = NULL;
  DlsModel *m = small_model (DLS_ARCH_MSDNET, 2), *init = small_model (DLS_ARCH_MSDNET, 2);
  DlsTrainResult r;
  Watch w = { .cancel_after = 3 };
  int64_t nw = dls_params_n_weights (m->params);

  easy_make (&e, 2, 40, 40, 0.1, 6);
  ds = dls_dataset_new (&e.v, &e.l, 2, &(DlsDatasetArgs){ .patch = 16 }, &error);
  g_assert_true (dls_train_classifier (
      m, ds,
      &(DlsTrainArgs){
          .epochs = 5, .batch = 1, .cancel = &w.cancel, .progress = watch, .user_data = &w },
      &r, &error));
  g_assert_true (r.cancelled);
  g_assert_cmpint (w.reports, ==, 3);
  g_assert_cmpmem (dls_params_weights (m->params), nw * 4, dls_params_weights (init->params),
                   nw * 4);

  /* NaN inputs make the loss NaN (an SMSNet: MSDNet's input ReLU would zero them) */
  {
    DlsModel *s = small_model (DLS_ARCH_SMSNET, 3), *s0 = small_model (DLS_ARCH_SMSNET, 3);
    int64_t ns = dls_params_n_weights (s->params);

    for (int64_t i = 0; i < 2 * 40 * 40; i++)
      e.v.data[i] = NAN;
    g_assert_false (dls_train_classifier (s, ds, &(DlsTrainArgs){ .epochs = 2 }, &r, &error));
    g_assert_nonnull (strstr (error->message, "training diverged: the loss became NaN"));
    g_clear_error (&error);
    g_assert_cmpmem (dls_params_weights (s->params), ns * 4, dls_params_weights (s0->params),
                     ns * 4);
    dls_model_free (s);
    dls_model_free (s0);
  }

  g_assert_false (dls_train_classifier (m, ds, &(DlsTrainArgs){ 0 }, &r, &error));
  g_assert_nonnull (strstr (error->message, "nothing to train"));
  g_clear_error (&error);
  easy_clear (&e);
  easy_make (&e, 2, 40, 40, 0.1, 6);
  {
    g_autoptr (DlsDataset) d2
        = dls_dataset_new (&e.v, &e.l, 2, &(DlsDatasetArgs){ .patch = 16 }, &error);
    gint64 t0 = g_get_monotonic_time ();

    g_assert_true (dls_train_classifier (m, d2, &(DlsTrainArgs){ .time_budget = 0.3, .batch = 1 },
                                         &r, &error));
    g_assert_cmpfloat ((g_get_monotonic_time () - t0) / 1e6, <, 3.0);
    g_assert_cmpint (r.epochs_run, >=, 1);
  }
  dls_model_free (m);
  dls_model_free (init);
  easy_clear (&e);
}

/* Tiles: with a tile at least the image size the result is the whole-image one exactly; with
 * small tiles a U-Net (running statistics, receptive field within the overlap) stays close. */
static void
test_tiles (void)
{
  g_autoptr (GError) error = NULL;
  DlsModel *m = small_model (DLS_ARCH_TUNET, 4);
  int H = 150, W = 170, K = 2;
  int64_t hw = (int64_t) H * W;
  g_autofree float *img = g_new (float, hw), *whole = g_new (float, K *hw);
  g_autofree float *tiled = g_new (float, K *hw);
  DlsRng rng;
  double sum = 0, worst = 0;

  dls_rng_init (&rng, 1);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      img[y * W + x] = (float) (sin (x * 0.2) * cos (y * 0.13) + 0.2 * dls_rng_normal (&rng));
  {
    g_autoptr (DlsEnsemblePredictor) p = dls_ensemble_predictor_new (&m, 1, NULL);
    g_autoptr (DlsEnsemblePredictor) q
        = dls_ensemble_predictor_new (&m, 1, &(DlsTileArgs){ .tile = 256 });

    g_assert_true (dls_ensemble_predictor_run (p, img, H, W, whole, NULL, NULL, &error));
    g_assert_true (dls_ensemble_predictor_run (q, img, H, W, tiled, NULL, NULL, &error));
    g_assert_cmpmem (whole, K * hw * 4, tiled, K * hw * 4);
  }
  {
    g_autoptr (DlsEnsemblePredictor) q
        = dls_ensemble_predictor_new (&m, 1, &(DlsTileArgs){ .tile = 64, .overlap = 32 });

    g_assert_true (dls_ensemble_predictor_run (q, img, H, W, tiled, NULL, NULL, &error));
    g_assert_no_error (error);
  }
  for (int64_t i = 0; i < K * hw; i++)
    {
      double d = fabs (whole[i] - tiled[i]);

      sum += d;
      worst = MAX (worst, d);
    }
  g_test_message ("tiled vs whole: mean |Δp| %.2g, max %.2g", sum / (K * hw), worst);
  g_assert_cmpfloat (sum / (K * hw), <, 2e-3);
  g_assert_cmpfloat (worst, <, 0.05);
  dls_model_free (m);
}

/* Ensembles: the mean and std of members; manifests written and read back. */
static void
test_ensemble (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("dlsia-ens-XXXXXX", NULL);
  g_autofree char *f0 = g_build_filename (dir, "a.m0.safetensors", NULL);
  g_autofree char *f1 = g_build_filename (dir, "a.m1.safetensors", NULL);
  g_autofree char *man = g_build_filename (dir, "a.json", NULL);
  DlsModel *m[2] = { small_model (DLS_ARCH_SMSNET, 1), small_model (DLS_ARCH_SMSNET, 2) };
  const char *members[] = { "a.m0.safetensors", "a.m1.safetensors" };
  int H = 20, W = 24, K = 2;
  int64_t hw = (int64_t) H * W;
  g_autofree float *img = g_new0 (float, hw), *p0 = g_new (float, K *hw);
  g_autofree float *p1 = g_new (float, K *hw), *mean = g_new (float, K *hw);
  g_autofree float *std = g_new (float, K *hw);
  DlsEnsemble *e;

  for (int64_t i = 0; i < hw; i++)
    img[i] = (float) (i % 7) / 7.0f;
  {
    g_autoptr (DlsPredictor) a = dls_predictor_new (m[0]), b = dls_predictor_new (m[1]);
    g_autoptr (DlsEnsemblePredictor) p = dls_ensemble_predictor_new (m, 2, NULL);

    g_assert_true (dls_predictor_run (a, img, H, W, p0, NULL, &error));
    g_assert_true (dls_predictor_run (b, img, H, W, p1, NULL, &error));
    g_assert_true (dls_ensemble_predictor_run (p, img, H, W, mean, std, NULL, &error));
    for (int64_t i = 0; i < K * hw; i++)
      {
        g_assert_cmpfloat (fabsf (mean[i] - (p0[i] + p1[i]) / 2), <, 1e-6);
        /* two members: std = |a − b| / √2 */
        g_assert_cmpfloat (fabsf (std[i] - fabsf (p0[i] - p1[i]) / (float) G_SQRT2), <, 1e-5);
      }
  }
  g_assert_true (dls_model_save (m[0], f0, &error));
  g_assert_true (dls_model_save (m[1], f1, &error));
  g_assert_true (dls_ensemble_write_manifest (man, 2, members, 2, TRUE, 0.1, 0.25, 100, &error));
  e = dls_ensemble_load (man, &error);
  g_assert_no_error (error);
  g_assert_cmpint (e->n, ==, 2);
  g_assert_true (e->has_conformal);
  g_assert_cmpfloat (e->qhat, ==, 0.25);
  g_assert_cmpint (e->models[1]->config.graph.n_edges, ==, m[1]->config.graph.n_edges);
  dls_ensemble_free (e);
  /* a single model file is an ensemble of one; a manifest with a missing member says which */
  e = dls_ensemble_load (f0, &error);
  g_assert_cmpint (e->n, ==, 1);
  dls_ensemble_free (e);
  g_unlink (f1);
  g_assert_null (dls_ensemble_load (man, &error));
  g_assert_nonnull (strstr (error->message, "a.m1.safetensors"));
  g_clear_error (&error);
  g_file_set_contents (man, "{\"kind\": \"something\"}", -1, NULL);
  g_assert_null (dls_ensemble_load (man, &error));
  g_assert_nonnull (strstr (error->message, "not a valid ensemble"));
  g_unlink (f0);
  g_unlink (man);
  g_rmdir (dir);
  dls_model_free (m[0]);
  dls_model_free (m[1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dls_engine_set_threads (1);
  g_test_add_func ("/train/dataset/checks", test_dataset_checks);
  g_test_add_func ("/train/dataset/split", test_dataset_split);
  g_test_add_func ("/train/dataset/augment", test_dataset_augment);
  g_test_add_func ("/train/trainer/learns", test_trainer_learns);
  g_test_add_func ("/train/trainer/deterministic", test_trainer_deterministic);
  g_test_add_func ("/train/trainer/stops", test_trainer_stops);
  g_test_add_func ("/train/predict/tiles", test_tiles);
  g_test_add_func ("/train/predict/ensemble", test_ensemble);
  return g_test_run ();
}
