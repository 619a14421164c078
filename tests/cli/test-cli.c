/* SPDX-License-Identifier: MIT
 *
 * test-cli.c: the dlsia command line as a user meets it: --version and --help, a clear message
 * and exit status 2 for an unknown command or a bad option, a tiny benchmark run, and the model
 * commands — `init` for every architecture, `info` on models and TIFFs, `predict` checked
 * against the library's predictor — with every kind of bad input ending in one clear line and
 * a non-zero status.  The binary's path comes from the DLSIA environment variable (set by
 * meson); the TIFFs are made at test time.
 */
#include "config.h"

#include "hostile.h"
#include "tmpdir.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ensemble-file.h"
#include "predict.h"
#include "safetensors.h"
#include "run-dlsia.h"
#include "tiff.h"

static char *tmpdir;

static char *
tmp (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

typedef DlsTestRun Run;

static Run
run (const char *first, ...)
{
  va_list ap;
  Run r;

  va_start (ap, first);
  r = dls_test_run_dlsia_va (NULL, NULL, first, ap);
  va_end (ap);
  return r;
}

#define run_clear dls_test_run_clear

static void
test_version (void)
{
  Run r = run ("--version", NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "dlsia " PACKAGE_VERSION));
  g_assert_nonnull (strstr (r.out, "threads"));
  run_clear (&r);
  r = run ("version", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "dlsia " PACKAGE_VERSION));
  run_clear (&r);
}

static void
test_help (void)
{
  Run r = run ("--help", NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Usage: dlsia COMMAND"));
  g_assert_nonnull (strstr (r.out, "bench"));
  run_clear (&r);
  /* no command: the help, and a usage error */
  r = run (NULL, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.out, "Usage"));
  run_clear (&r);
  r = run ("bench", "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "--repeats"));
  run_clear (&r);
}

static void
test_bad_input (void)
{
  Run r = run ("frobnicate", NULL);

  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "unknown command “frobnicate”"));
  run_clear (&r);
  r = run ("bench", "--size", "4", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--size"));
  run_clear (&r);
  r = run ("bench", "--no-such-option", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "no-such-option"));
  run_clear (&r);
}

/* A tiny benchmark: it runs, prints the sgemm reference and the layers, and says it was quick. */
static void
test_bench_runs (void)
{
  Run r = run ("bench", "--quick", "--size", "32", "--repeats", "1", "--threads", "1", NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "sgemm"));
  g_assert_nonnull (strstr (r.out, "unet 16→16"));
  g_assert_nonnull (strstr (r.out, "msd 11→1 d2"));
  g_assert_nonnull (strstr (r.out, "quick run"));
  run_clear (&r);
}

/* One line on stderr, naming what went wrong, and a failure status. */
static void
assert_fails (Run *r, const char *fragment)
{
  if (r->status == 0 || strstr (r->err, fragment) == NULL)
    g_error ("status %d, stderr “%s”: expected failure mentioning “%s”", r->status, r->err,
             fragment);
  g_assert_cmpint (strlen (r->err), >, 0);
  g_assert_true (strchr (r->err, '\n') == r->err + strlen (r->err) - 1);
  run_clear (r);
}

static void
test_init_info (void)
{
  g_autofree char *m = tmp ("m.safetensors");
  const char *archs[] = { "tunet", "msdnet", "smsnet", "msae", "sae" };
  Run r = run ("init", "--arch", "msdnet", "--in-channels", "1", "--out-channels", "2",
               "--num-layers", "50", "--max-dilation", "10", "--seed", "7", "-o", m, NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "msdnet, 14,279 parameters"));
  run_clear (&r);
  r = run ("info", m, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "architecture: msdnet"));
  g_assert_nonnull (strstr (r.out, "14,279"));
  g_assert_nonnull (strstr (r.out, "\"max_dilation\" : 10"));
  g_assert_nonnull (strstr (r.out, "\"seed\" : 7"));
  run_clear (&r);
  for (size_t i = 0; i < G_N_ELEMENTS (archs); i++)
    {
      g_autofree char *path = tmp ("a.safetensors");
      g_autoptr (GError) error = NULL;
      DlsModel *model;

      r = run ("init", "--arch", archs[i], "--seed", "3", "-o", path, NULL);
      g_assert_cmpint (r.status, ==, 0);
      run_clear (&r);
      model = dls_model_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (dls_arch_name (model->config.arch), ==, archs[i]);
      g_assert_cmpint (model->config.seed, ==, 3);
      dls_model_free (model);
    }
  /* DLSIA's defaults where options are left out: the ensemble builder's for smsnet */
  {
    g_autofree char *path = tmp ("s.safetensors");
    g_autoptr (GError) error = NULL;
    DlsModel *model;

    r = run ("init", "--arch", "smsnet", "--out-channels", "3", "-o", path, NULL);
    g_assert_cmpint (r.status, ==, 0);
    run_clear (&r);
    model = dls_model_load (path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (model->config.sms.n_hidden_out_channels, ==, 1);
    g_assert_cmpint (model->config.sms.hidden_out_channels[0], ==, 9);
    g_assert_cmpint (model->config.sms.n_dilation_choices, ==, 4);
    g_assert_cmpfloat (model->config.sms.p_il, ==, 0.995);
    g_assert_true (model->config.sms.io);
    dls_model_free (model);
  }
}

static void
test_init_errors (void)
{
  g_autofree char *m = tmp ("bad.safetensors");
  Run r = run ("init", "-o", m, NULL);

  assert_fails (&r, "--arch");
  r = run ("init", "--arch", "resnet", "-o", m, NULL);
  assert_fails (&r, "not “resnet”");
  r = run ("init", "--arch", "tunet", NULL);
  assert_fails (&r, "-o MODEL");
  r = run ("init", "--arch", "tunet", "--num-layers", "5", "-o", m, NULL);
  assert_fails (&r, "--num-layers does not apply to tunet");
  r = run ("init", "--arch", "msdnet", "--num-layers", "ten", "-o", m, NULL);
  assert_fails (&r, "--num-layers needs a whole number");
  r = run ("init", "--arch", "smsnet", "--dilation-choices", "1,x", "-o", m, NULL);
  assert_fails (&r, "--dilation-choices");
  r = run ("init", "--arch", "msdnet", "-o", "/nonexistent-dir/m.safetensors", NULL);
  assert_fails (&r, "m.safetensors");
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
}

/* A two-slice float stack with values in [0, 1000]. */
static float *
make_stack (const char *path, int Z, int H, int W)
{
  g_autoptr (GError) error = NULL;
  float *v = g_new (float, (size_t) Z *H *W);
  DlsRng rng;

  dls_rng_init (&rng, 5);
  for (int64_t i = 0; i < (int64_t) Z * H * W; i++)
    v[i] = (float) (1000 * dls_rng_uniform (&rng));
  g_assert_true (dls_tiff_write_f32 (path, v, Z, H, W, &error));
  g_assert_no_error (error);
  return v;
}

static void
test_predict (void)
{
  g_autofree char *m = tmp ("p.safetensors"), *in = tmp ("in stack.tif");
  g_autofree char *probs = tmp ("probs.tif"), *classes = tmp ("classes.tif");
  g_autofree float *vol = make_stack (in, 2, 23, 31);
  g_autoptr (GError) error = NULL;
  g_autofree float *p = NULL, *c = NULL;
  DlsTiffInfo pi = { 0 }, ci = { 0 };
  int64_t hw = 23 * 31;
  Run r;

  /* results are bit-identical for one thread count; compare at the same one */
  dls_engine_set_threads (1);

  for (int a = 0; a < 3; a++)
    {
      const char *arch = (const char *[]){ "msdnet", "smsnet", "tunet" }[a];
      DlsModel *model;

      r = run ("init", "--arch", arch, "--out-channels", "3", "--seed", "2", "-o", m, NULL);
      g_assert_cmpint (r.status, ==, 0);
      run_clear (&r);
      r = run ("predict", m, in, "--probabilities", probs, "--classes", classes, "--threads", "1",
               NULL);
      if (r.status != 0)
        g_error ("predict %s: %s", arch, r.err);
      run_clear (&r);
      p = dls_tiff_read_volume (probs, &pi, &error);
      g_assert_no_error (error);
      c = dls_tiff_read_volume (classes, &ci, &error);
      g_assert_no_error (error);
      /* slice 0's three classes, then slice 1's */
      g_assert_cmpint (pi.depth, ==, 6);
      g_assert_cmpint (pi.type, ==, DLS_SAMPLE_F32);
      g_assert_cmpint (ci.depth, ==, 2);
      g_assert_cmpint (ci.type, ==, DLS_SAMPLE_U8);
      /* the library's predictor gives the same numbers; classes are its argmax + 1 */
      model = dls_model_load (m, &error);
      g_assert_no_error (error);
      {
        g_autoptr (DlsPredictor) pred = dls_predictor_new (model);
        g_autofree float *want = g_new (float, 3 * hw);

        for (int z = 0; z < 2; z++)
          {
            g_assert_true (dls_predictor_run (pred, vol + z * hw, 23, 31, want, NULL, &error));
            for (int64_t i = 0; i < 3 * hw; i++)
              if (want[i] != p[z * 3 * hw + i])
                g_error ("%s slice %d value %" G_GINT64_FORMAT ": %.9g != %.9g", arch, z, i,
                         want[i], p[z * 3 * hw + i]);
            for (int64_t i = 0; i < hw; i++)
              {
                int best = 0;
                float sum = want[i] + want[hw + i] + want[2 * hw + i];

                g_assert_cmpfloat (fabsf (sum - 1.0f), <, 1e-5);
                for (int k = 1; k < 3; k++)
                  if (want[k * hw + i] > want[best * hw + i])
                    best = k;
                g_assert_cmpfloat (c[z * hw + i], ==, best + 1);
              }
          }
      }
      dls_model_free (model);
      dls_tiff_info_clear (&pi);
      dls_tiff_info_clear (&ci);
      g_clear_pointer (&p, g_free);
      g_clear_pointer (&c, g_free);
    }
}

static void
test_predict_errors (void)
{
  g_autofree char *m = tmp ("e.safetensors"), *m2 = tmp ("e2.safetensors");
  g_autofree char *in = tmp ("e.tif"), *bad = tmp ("bad.tif"), *out = tmp ("out.tif");
  g_autofree float *vol = make_stack (in, 1, 16, 16);
  g_autofree char *bytes = NULL;
  gsize len;
  Run r;

  r = run ("init", "--arch", "msdnet", "-o", m, NULL);
  run_clear (&r);
  r = run ("predict", m, in, NULL);
  assert_fails (&r, "--probabilities");
  r = run ("predict", m, NULL);
  assert_fails (&r, "give a model and an input");
  r = run ("predict", m, "/nonexistent.tif", "--probabilities", out, NULL);
  assert_fails (&r, "nonexistent.tif");
  /* a truncated TIFF, random bytes, an empty file */
  g_assert_true (g_file_get_contents (in, &bytes, &len, NULL));
  g_assert_true (g_file_set_contents (bad, bytes, (gssize) len / 2, NULL));
  r = run ("predict", m, bad, "--probabilities", out, NULL);
  assert_fails (&r, "bad.tif");
  g_assert_true (g_file_set_contents (bad, "II*\0\x08\0\0\0\xff\xff garbage", 18, NULL));
  r = run ("predict", m, bad, "--probabilities", out, NULL);
  assert_fails (&r, "bad.tif");
  g_assert_true (g_file_set_contents (bad, "", 0, NULL));
  r = run ("predict", m, bad, "--probabilities", out, NULL);
  assert_fails (&r, "bad.tif");
  /* absurd dimensions: a 100000 × 100000 float page in a 200-byte file */
  {
    static const unsigned char hdr[] = {
      'I',  'I', 42, 0, 8, 0, 0,    0,    8,    0,    0,    1,
      4,    0,   1,  0, 0, 0, 0xa0, 0x86, 0x01, 0,                /* width 100000 */
      1,    1,   4,  0, 1, 0, 0,    0,    0xa0, 0x86, 0x01, 0,    /* height 100000 */
      2,    1,   3,  0, 1, 0, 0,    0,    32,   0,    0,    0,    /* 32 bits */
      3,    1,   3,  0, 1, 0, 0,    0,    1,    0,    0,    0,    /* no compression */
      6,    1,   3,  0, 1, 0, 0,    0,    1,    0,    0,    0,    /* min is black */
      0x11, 1,   4,  0, 1, 0, 0,    0,    200,  0,    0,    0,    /* strip at 200 */
      0x16, 1,   4,  0, 1, 0, 0,    0,    0xa0, 0x86, 0x01, 0,    /* rows per strip */
      0x17, 1,   4,  0, 1, 0, 0,    0,    0,    0x90, 0xd0, 0x03, /* strip bytes */
      0x53, 1,   3,  0, 1, 0, 0,    0,    3,    0,    0,    0,    /* float */
      0,    0,   0,  0,
    };
    g_assert_true (g_file_set_contents (bad, (const char *) hdr, sizeof hdr, NULL));
    r = run ("predict", m, bad, "--probabilities", out, NULL);
    assert_fails (&r, "bad.tif");
  }
  /* a model for two input channels on a one-channel image */
  r = run ("init", "--arch", "msdnet", "--in-channels", "2", "-o", m2, NULL);
  run_clear (&r);
  r = run ("predict", m2, in, "--probabilities", out, NULL);
  assert_fails (&r, "the model takes 2 input channels");
  /* a model file with a tensor missing, or not a model at all */
  {
    g_autoptr (GError) error = NULL;
    DlsModel *model = dls_model_load (m, &error);
    g_autoptr (JsonNode) cfg = dls_model_config_to_json (&model->config);
    g_autofree char *json = json_to_string (cfg, FALSE);
    const char *meta[] = { "dlsia.config", json, NULL };
    DlsTensorOut t = {
      "layer_0.conv_0.weight", DLS_DTYPE_F32, 4, { 1, 1, 3, 3 }, dls_params_data (model->params, 0)
    };

    g_assert_true (dls_safetensors_write (m2, &t, 1, meta, &error));
    dls_model_free (model);
    r = run ("predict", m2, in, "--probabilities", out, NULL);
    assert_fails (&r, "is missing");
    r = run ("info", m2, NULL);
    assert_fails (&r, "is missing");
  }
  r = run ("predict", in, in, "--probabilities", out, NULL);
  assert_fails (&r, "e.tif");
  /* an autoencoder has no classes */
  r = run ("init", "--arch", "msae", "--input-shape", "1x16x16", "-o", m2, NULL);
  run_clear (&r);
  r = run ("predict", m2, in, "--probabilities", out, NULL);
  assert_fails (&r, "use --output");
  r = run ("predict", m2, in, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  /* nothing written by a failed run */
  g_unlink (out);
  r = run ("predict", m, bad, "--probabilities", out, NULL);
  assert_fails (&r, "bad.tif");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

static void
test_info_tiff (void)
{
  g_autofree char *in = tmp ("info.tif");
  g_autofree float *vol = make_stack (in, 3, 10, 12);
  Run r = run ("info", in, NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "12 × 10"));
  g_assert_nonnull (strstr (r.out, "3 slices"));
  g_assert_nonnull (strstr (r.out, "float32"));
  run_clear (&r);
  r = run ("info", "/nonexistent", NULL);
  assert_fails (&r, "does not exist");
}

/* A tiny segmentation problem on disk: bright squares (class 2) on a dark noisy background,
 * its truth and a sparse label file. */
static void
make_problem (const char *vol_path, const char *truth_path, const char *labels_path)
{
  int Z = 10, H = 40, W = 44;
  int64_t n = (int64_t) Z * H * W;
  g_autofree float *v = g_new (float, n);
  g_autofree uint8_t *t = g_new (uint8_t, n), *l = g_new0 (uint8_t, n);
  g_autoptr (GError) error = NULL;
  DlsRng rng;

  dls_rng_init (&rng, 9);
  for (int64_t i = 0; i < n; i++)
    {
      int64_t y = i / W % H, x = i % W;

      t[i] = ((y / 8) + (x / 8)) % 3 == 0 ? 2 : 1;
      v[i] = (t[i] == 2 ? 700.0f : 300.0f) + 60.0f * (float) dls_rng_normal (&rng);
      if (dls_rng_uniform (&rng) < 0.08)
        l[i] = t[i];
    }
  g_assert_true (dls_tiff_write_f32 (vol_path, v, Z, H, W, &error));
  g_assert_true (dls_tiff_write_u8 (truth_path, t, Z, H, W, &error));
  g_assert_true (dls_tiff_write_u8 (labels_path, l, Z, H, W, &error));
}

static double
json_number (const char *json, const char *key)
{
  g_autoptr (JsonParser) p = json_parser_new ();

  g_assert_true (json_parser_load_from_data (p, json, -1, NULL));
  return json_object_get_double_member (json_node_get_object (json_parser_get_root (p)), key);
}

/* train → predict → evaluate, as in the README: an SMSNet ensemble learns the problem, the
 * manifest lists its members with a conformal calibration, predict writes every output, and
 * evaluate scores the class map. */
static void
test_train_predict_evaluate (void)
{
  g_autofree char *vol = tmp ("t vol.tif"), *truth = tmp ("t truth.tif"), *lab = tmp ("t lab.tif");
  g_autofree char *man = tmp ("ens.json"), *m0 = tmp ("ens.m0.safetensors");
  g_autofree char *cls = tmp ("t cls.tif"), *unc = tmp ("t unc.tif"), *set = tmp ("t set.tif");
  g_autofree char *prob = tmp ("t prob.tif"), *cls_y = tmp ("t cls y.tif"),
                  *part = tmp ("part.tif");
  g_autofree char *tiled = tmp ("t tiled.tif");
  g_autoptr (GError) error = NULL;
  DlsTiffInfo info = { 0 };
  g_autofree float *a = NULL, *b = NULL;
  Run r;

  make_problem (vol, truth, lab);
  r = run ("train", vol, lab, "--arch", "smsnet", "--layers", "5", "--ensemble", "2", "--epochs",
           "3", "--patch", "32", "--seed", "1", "--threads", "1", "-o", man, NULL);
  if (r.status != 0)
    g_error ("train: %s", r.err);
  g_assert_nonnull (strstr (r.err, "member 2/2"));
  g_assert_nonnull (strstr (r.err, "conformal sets"));
  run_clear (&r);
  g_assert_true (g_file_test (m0, G_FILE_TEST_EXISTS));
  {
    DlsEnsemble *e = dls_ensemble_load (man, &error);

    g_assert_no_error (error);
    g_assert_cmpint (e->n, ==, 2);
    g_assert_true (e->has_conformal);
    g_assert_true (e->models[0]->config.norm_set);
    dls_ensemble_free (e);
  }
  r = run ("predict", man, vol, "--classes", cls, "--probabilities", prob, "--uncertainty", unc,
           "--measure", "std", "--set-size", set, "--threads", "1", NULL);
  if (r.status != 0)
    g_error ("predict: %s", r.err);
  run_clear (&r);
  r = run ("evaluate", cls, truth, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_test_message ("evaluate: %s", r.out);
  g_assert_cmpfloat (json_number (r.out, "mean_f1"), >, 0.8);
  run_clear (&r);
  /* uncertainty and set sizes have the volume's shape and sane values */
  a = dls_tiff_read_volume (unc, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info.depth, ==, 10);
  for (int64_t i = 0; i < 10 * 40 * 44; i++)
    g_assert_true (a[i] >= 0 && a[i] <= 0.71);
  dls_tiff_info_clear (&info);
  g_free (a);
  a = dls_tiff_read_volume (set, &info, &error);
  for (int64_t i = 0; i < 10 * 40 * 44; i++)
    g_assert_true (a[i] >= 0 && a[i] <= 2);
  dls_tiff_info_clear (&info);
  g_clear_pointer (&a, g_free);

  /* along Y, the class map comes back in Z × Y × X order and agrees with Z mostly (the
   * networks see other slices, so not exactly) */
  r = run ("predict", man, vol, "--classes", cls_y, "--axis", "y", "--threads", "1", NULL);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  r = run ("evaluate", cls_y, truth, NULL);
  g_assert_cmpfloat (json_number (r.out, "mean_f1"), >, 0.5);
  run_clear (&r);
  a = dls_tiff_read_volume (cls_y, &info, &error);
  g_assert_cmpint (info.depth, ==, 10);
  g_assert_cmpint (info.height, ==, 40);
  g_assert_cmpint (info.width, ==, 44);
  dls_tiff_info_clear (&info);
  g_clear_pointer (&a, g_free);

  /* --axis all: per pixel the mean of the three directions' probabilities, the class their
   * argmax; conformal outputs and --slices are refused */
  {
    g_autofree char *p_all = tmp ("p all.tif"), *c_all = tmp ("c all.tif");
    g_autofree char *u_all = tmp ("u all.tif"), *p_y = tmp ("p y.tif"), *p_x = tmp ("p x.tif");
    g_autofree float *pz = NULL, *py = NULL, *px = NULL, *pa = NULL, *ca = NULL, *ua = NULL;
    int64_t hw = 40 * 44;
    double worst = 0;

    r = run ("predict", man, vol, "--probabilities", p_y, "--axis", "y", "--threads", "1",
             NULL);
    g_assert_cmpint (r.status, ==, 0);
    run_clear (&r);
    r = run ("predict", man, vol, "--probabilities", p_x, "--axis", "x", "--threads", "1",
             NULL);
    g_assert_cmpint (r.status, ==, 0);
    run_clear (&r);
    r = run ("predict", man, vol, "--probabilities", p_all, "--classes", c_all, "--uncertainty",
             u_all, "--measure", "std", "--axis", "all", "--threads", "1", NULL);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.err, "10 + 40 + 44 slices along z, y and x"));
    run_clear (&r);
    pz = dls_tiff_read_volume (prob, NULL, &error);
    py = dls_tiff_read_volume (p_y, NULL, &error);
    px = dls_tiff_read_volume (p_x, NULL, &error);
    pa = dls_tiff_read_volume (p_all, &info, &error);
    ca = dls_tiff_read_volume (c_all, NULL, &error);
    ua = dls_tiff_read_volume (u_all, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (info.depth, ==, 10 * 2);
    dls_tiff_info_clear (&info);
    for (int64_t z = 0; z < 10; z++)
      for (int64_t i = 0; i < hw; i++)
        {
          for (int k = 0; k < 2; k++)
            {
              int64_t j = (z * 2 + k) * hw + i;
              worst = MAX (worst, fabs (pa[j] - (pz[j] + py[j] + px[j]) / 3));
            }
          g_assert_cmpfloat (ca[z * hw + i], ==,
                             pa[(z * 2 + 1) * hw + i] > pa[z * 2 * hw + i] ? 2 : 1);
          g_assert_true (ua[z * hw + i] >= 0 && ua[z * hw + i] <= 0.71);
        }
    g_assert_cmpfloat (worst, <, 1e-5);
    /* --measure std: the sample standard deviation of the predicted class's probability over
     * both members in all three directions */
    {
      g_autofree char *m1 = tmp ("ens.m1.safetensors");
      const char *members[2] = { m0, m1 }, *axes[3] = { "z", "y", "x" };
      float *p[6];

      for (int m = 0; m < 2; m++)
        for (int ax = 0; ax < 3; ax++)
          {
            g_autofree char *out = tmp ("p member.tif");

            r = run ("predict", members[m], vol, "--probabilities", out, "--axis", axes[ax],
                     "--threads", "1", NULL);
            g_assert_cmpint (r.status, ==, 0);
            run_clear (&r);
            p[m * 3 + ax] = dls_tiff_read_volume (out, NULL, &error);
            g_assert_no_error (error);
          }
      worst = 0;
      for (int64_t z = 0; z < 10; z++)
        for (int64_t i = 0; i < hw; i++)
          {
            int k = (int) ca[z * hw + i] - 1;
            int64_t j = (z * 2 + k) * hw + i;
            double mu = 0, var = 0;

            for (int t = 0; t < 6; t++)
              mu += p[t][j] / 6;
            for (int t = 0; t < 6; t++)
              var += (p[t][j] - mu) * (p[t][j] - mu) / 5;
            worst = MAX (worst, fabs (ua[z * hw + i] - sqrt (var)));
          }
      for (int t = 0; t < 6; t++)
        g_free (p[t]);
      g_assert_cmpfloat (worst, <, 1e-4);
    }
    r = run ("predict", man, vol, "--classes", c_all, "--axis", "all", "--slices", "0:2", NULL);
    assert_fails (&r, "--slices");
    r = run ("predict", man, vol, "--set-size", c_all, "--axis", "all", NULL);
    assert_fails (&r, "--axis z");
    r = run ("predict", man, vol, "--classes", c_all, "--axis", "w", NULL);
    assert_fails (&r, "z, y, x or all");
  }

  /* --slices 1:3 gives slices 1 and 2, equal to the full run's; tiles of 32 stay close */
  r = run ("predict", man, vol, "--classes", part, "--slices", "1:3", "--threads", "1", NULL);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  a = dls_tiff_read_volume (part, &info, &error);
  b = dls_tiff_read_volume (cls, NULL, &error);
  g_assert_cmpint (info.depth, ==, 2);
  g_assert_cmpmem (a, 2 * 40 * 44 * 4, b + 40 * 44, 2 * 40 * 44 * 4);
  dls_tiff_info_clear (&info);
  g_clear_pointer (&a, g_free);
  r = run ("predict", man, vol, "--classes", tiled, "--tile", "32", "--overlap", "16", "--threads",
           "1", NULL);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  a = dls_tiff_read_volume (tiled, &info, &error);
  {
    int64_t same = 0;

    for (int64_t i = 0; i < 10 * 40 * 44; i++)
      same += a[i] == b[i];
    g_assert_cmpfloat ((double) same / (10 * 40 * 44), >, 0.9);
  }
  dls_tiff_info_clear (&info);

  /* bad input: labels of another size, classes beyond the model's, a zero time budget */
  {
    g_autofree char *small = tmp ("small.tif");
    uint8_t z[4] = { 1, 2, 0, 0 };

    g_assert_true (dls_tiff_write_u8 (small, z, 1, 2, 2, &error));
    r = run ("train", vol, small, "-o", man, NULL);
    assert_fails (&r, "the labels are 1 × 2 × 2");
    r = run ("train", vol, lab, "--time", "0", "-o", man, NULL);
    assert_fails (&r, "time budget of zero");
    r = run ("train", vol, lab, "--classes", "1", "-o", man, NULL);
    assert_fails (&r, "class 2");
    r = run ("predict", man, vol, "--certain", cls, NULL);
    assert_fails (&r, "--class");
    r = run ("evaluate", cls, small, NULL);
    assert_fails (&r, "differ in size");
  }
}

/* Paths with spaces and non-ASCII letters through train and predict; a model for three
 * channels on a one-channel volume; predictions into a read-only folder and onto a full disk.
 * Each failure is one line naming the file and saying what to do, and the user's files stay
 * byte for byte as they were. */
static void
test_hostile_paths (void)
{
  g_autofree char *sub = tmp ("Proben ä ö");
  g_autofree char *vol = NULL, *truth = NULL, *lab = NULL, *man = NULL, *cls = NULL;
  g_autofree char *rgb = NULL, *out = NULL, *ro = tmp ("nur lesen"), *full = tmp ("voll");
  g_autofree char *why = NULL;
  g_autoptr (GBytes) vol_bytes = NULL, lab_bytes = NULL, man_bytes = NULL;
  g_autoptr (GError) error = NULL;
  DlsTiffInfo info = { 0 };
  g_autofree float *classes = NULL;
  gboolean mounted;
  Run r;

  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  vol = g_build_filename (sub, "β volume.tif", NULL);
  truth = g_build_filename (sub, "β truth.tif", NULL);
  lab = g_build_filename (sub, "β volume.labels.tif", NULL);
  man = g_build_filename (sub, "β volume.msdnet.json", NULL);
  cls = g_build_filename (sub, "β classes ü.tif", NULL);
  rgb = g_build_filename (sub, "β rgb.safetensors", NULL);
  out = g_build_filename (sub, "β out.tif", NULL);
  make_problem (vol, truth, lab);
  vol_bytes = dls_test_file_bytes (vol);
  lab_bytes = dls_test_file_bytes (lab);

  /* an MSDNet: its eval kernels once read past their buffer on slices of this size, which the
   * sanitizer build of this test caught */
  r = run ("train", vol, lab, "--arch", "msdnet", "--layers", "3", "--ensemble", "1",
           "--epochs", "1", "--patch", "32", "--seed", "1", "--threads", "1", "-o", man, NULL);
  if (r.status != 0)
    g_error ("train: %s", r.err);
  g_assert_nonnull (strstr (r.err, "member 1/1: 1 epoch in "));
  run_clear (&r);
  r = run ("predict", man, vol, "--classes", cls, "--threads", "1", NULL);
  if (r.status != 0)
    g_error ("predict: %s", r.err);
  run_clear (&r);
  classes = dls_tiff_read_volume (cls, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info.depth, ==, 10);
  dls_tiff_info_clear (&info);
  dls_test_assert_file_is (vol, vol_bytes);
  dls_test_assert_file_is (lab, lab_bytes);
  man_bytes = dls_test_file_bytes (man);

  /* a model for three channels */
  r = run ("init", "--arch", "msdnet", "--in-channels", "3", "-o", rgb, NULL);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  r = run ("predict", rgb, vol, "--classes", out, NULL);
  g_test_message ("%s", r.err);
  g_assert_nonnull (strstr (r.err, "β volume.tif"));
  assert_fails (&r, "the model takes 3 input channels, “");
  r = run ("predict", rgb, vol, "--classes", out, NULL);
  assert_fails (&r, "predict with a model trained on images like it");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));

  /* a read-only folder, and a full disk (root: small tmpfs mounts) */
  g_assert_cmpint (g_mkdir (ro, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (full, 0755), ==, 0);
  mounted = dls_test_mount_tmpfs (ro, 64, &why);
  if (mounted && dls_test_make_read_only (ro, TRUE, &why))
    {
      g_autofree char *target = g_build_filename (ro, "β classes.tif", NULL);

      r = run ("predict", man, vol, "--classes", target, "--threads", "1", NULL);
      g_test_message ("%s", r.err);
      g_assert_nonnull (strstr (r.err, "β classes.tif"));
      assert_fails (&r, g_strerror (EROFS));
      dls_test_unmount (ro);
    }
  else
    {
      g_test_message ("read-only folder not tested: %s", why);
      if (mounted)
        dls_test_unmount (ro);
    }
  g_clear_pointer (&why, g_free);
  if (dls_test_mount_tmpfs (full, 4, &why))
    {
      g_autofree char *target = g_build_filename (full, "β classes.tif", NULL);
      g_autofree char *model = g_build_filename (full, "β model.json", NULL);

      r = run ("predict", man, vol, "--probabilities", target, "--threads", "1", NULL);
      g_test_message ("%s", r.err);
      g_assert_nonnull (strstr (r.err, "β classes.tif"));
      assert_fails (&r, g_strerror (ENOSPC));
      dls_test_assert_no_temp_files (full);
      r = run ("train", vol, lab, "--arch", "smsnet", "--layers", "5", "--ensemble", "1",
               "--epochs", "1", "--patch", "32", "--threads", "1", "-o", model, NULL);
      /* progress lines first, then the one line that says why */
      g_test_message ("%s", r.err);
      g_assert_cmpint (r.status, !=, 0);
      g_assert_nonnull (strstr (r.err, "dlsia train: Cannot write"));
      g_assert_nonnull (strstr (r.err, "β model"));
      g_assert_nonnull (strstr (r.err, g_strerror (ENOSPC)));
      run_clear (&r);
      dls_test_assert_no_temp_files (full);
      dls_test_unmount (full);
    }
  else
    g_test_message ("full disk not tested: %s", why);
  dls_test_assert_file_is (vol, vol_bytes);
  dls_test_assert_file_is (lab, lab_bytes);
  dls_test_assert_file_is (man, man_bytes);
}

/* Regression: a TUNet fills masked gaps; evaluate reports the CC over the gap pixels. */
static void
test_train_regression (void)
{
  g_autofree char *full = tmp ("r full.tif"), *in = tmp ("r in.tif"), *mask = tmp ("r mask.tif");
  g_autofree char *model = tmp ("r.safetensors"), *out = tmp ("r out.tif");
  g_autoptr (GError) error = NULL;
  int Z = 3, H = 32, W = 32;
  int64_t n = (int64_t) Z * H * W;
  g_autofree float *f = g_new (float, n), *g = g_new (float, n);
  g_autofree uint8_t *m = g_new (uint8_t, n);
  Run r;

  for (int64_t i = 0; i < n; i++)
    {
      int64_t z = i / (H * W), y = i / W % H, x = i % W;

      f[i] = (float) (100 + 80 * sin (0.3 * x + z) * cos (0.25 * y));
      m[i] = x == 15 || x == 16;
      g[i] = m[i] ? 0.0f : f[i];
    }
  g_assert_true (dls_tiff_write_f32 (full, f, Z, H, W, &error));
  g_assert_true (dls_tiff_write_f32 (in, g, Z, H, W, &error));
  g_assert_true (dls_tiff_write_u8 (mask, m, Z, H, W, &error));
  r = run ("train", in, "--target", full, "--mask", mask, "--arch", "tunet", "--depth", "2",
           "--base-channels", "8", "--patch", "32", "--epochs", "30", "--lr", "0.003", "--threads",
           "1", "-o", model, NULL);
  if (r.status != 0)
    g_error ("train: %s", r.err);
  g_assert_nonnull (strstr (r.err, "val CC"));
  run_clear (&r);
  r = run ("predict", model, in, "--output", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  r = run ("evaluate", "--regression", out, full, "--mask", mask, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_test_message ("evaluate: %s", r.out);
  g_assert_cmpfloat (json_number (r.out, "cc"), >, 0.8);
  run_clear (&r);
}


int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("dlsia-cli-XXXXXX", NULL);
  g_test_add_func ("/cli/init-info", test_init_info);
  g_test_add_func ("/cli/init-errors", test_init_errors);
  g_test_add_func ("/cli/info-tiff", test_info_tiff);
  g_test_add_func ("/cli/predict", test_predict);
  g_test_add_func ("/cli/predict-errors", test_predict_errors);
  g_test_add_func ("/cli/train-predict-evaluate", test_train_predict_evaluate);
  g_test_add_func ("/cli/train-regression", test_train_regression);
  g_test_add_func ("/cli/hostile-paths", test_hostile_paths);
  g_test_add_func ("/cli/version", test_version);
  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/bad-input", test_bad_input);
  g_test_add_func ("/cli/bench", test_bench_runs);
  rc = g_test_run ();
  dls_test_tmpdir_remove (tmpdir);
  g_free (tmpdir);
  return rc;
}
