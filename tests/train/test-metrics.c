/* SPDX-License-Identifier: MIT
 *
 * test-metrics.c: segmentation and clustering scores (metrics.c) and per-pixel uncertainty with
 * conformal sets (uncertainty.c), on hand-computed cases, against brute-force references, and
 * statistically (ARI of independent labelings, conformal coverage on synthetic exchangeable
 * data).  Seeds are fixed, so the statistical checks are deterministic; their bounds are
 * several standard deviations wide all the same.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "engine.h"
#include "metrics.h"
#include "uncertainty.h"

/* ---- Confusion matrix ---------------------------------------------------------------------- */

/* K = 3, class 3 absent from truth and prediction.  Counted pixels (the first seven):
 *   truth 1 → pred 1,1,1,2      truth 2 → pred 2,2,1
 * class 1: tp 3 fp 1 fn 1 → F1 6/8, IoU 3/5;  class 2: tp 2 fp 1 fn 1 → F1 4/6, IoU 2/4.
 * Then unlabelled truth (skipped), a truth above K, a prediction above K and a prediction of 0
 * (all left out). */
static const uint8_t hand_truth[] = { 1, 1, 1, 1, 2, 2, 2, 0, 0, 4, 1, 2 };
static const uint8_t hand_pred[] = { 1, 1, 1, 2, 2, 2, 1, 2, 1, 1, 5, 0 };

static void
test_confusion_hand (void)
{
  DlsConfusion c;

  dls_confusion_init (&c, 3);
  dls_confusion_add (&c, hand_pred, hand_truth, G_N_ELEMENTS (hand_truth));

  g_assert_cmpint (c.counts[0 * 3 + 0], ==, 3);
  g_assert_cmpint (c.counts[0 * 3 + 1], ==, 1);
  g_assert_cmpint (c.counts[1 * 3 + 0], ==, 1);
  g_assert_cmpint (c.counts[1 * 3 + 1], ==, 2);
  g_assert_cmpint (dls_confusion_pixels (&c), ==, 7);

  g_assert_cmpfloat_with_epsilon (dls_confusion_f1 (&c, 1), 0.75, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_confusion_f1 (&c, 2), 4.0 / 6.0, 1e-12);
  g_assert_true (isnan (dls_confusion_f1 (&c, 3)));
  g_assert_cmpfloat_with_epsilon (dls_confusion_iou (&c, 1), 0.6, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_confusion_iou (&c, 2), 0.5, 1e-12);
  g_assert_true (isnan (dls_confusion_iou (&c, 3)));

  g_assert_cmpfloat_with_epsilon (dls_confusion_f1_micro (&c), 5.0 / 7.0, 1e-12);
  /* The absent class is skipped, not averaged in as 0 (which would give 0.4722). */
  g_assert_cmpfloat_with_epsilon (dls_confusion_f1_macro (&c), (0.75 + 4.0 / 6.0) / 2, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_confusion_iou_mean (&c), 0.55, 1e-12);

  /* Adding accumulates; reset starts over. */
  dls_confusion_add (&c, hand_pred, hand_truth, G_N_ELEMENTS (hand_truth));
  g_assert_cmpint (dls_confusion_pixels (&c), ==, 14);
  g_assert_cmpfloat_with_epsilon (dls_confusion_f1 (&c, 1), 0.75, 1e-12);
  dls_confusion_reset (&c);
  g_assert_cmpint (dls_confusion_pixels (&c), ==, 0);
  g_assert_true (isnan (dls_confusion_f1_micro (&c)));
  g_assert_true (isnan (dls_confusion_f1_macro (&c)));

  dls_confusion_clear (&c);
  g_assert_null (c.counts);
}

/* A class that is predicted but never true (or true but never predicted) scores 0 and counts
 * in the macro mean, as in torchmetrics. */
static void
test_confusion_unsupported (void)
{
  static const uint8_t truth[] = { 1, 1, 2, 2, 2 };
  static const uint8_t pred[] = { 1, 1, 2, 2, 3 };
  DlsConfusion c;

  dls_confusion_init (&c, 4);
  dls_confusion_add (&c, pred, truth, G_N_ELEMENTS (truth));

  g_assert_cmpfloat_with_epsilon (dls_confusion_f1 (&c, 1), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_confusion_f1 (&c, 2), 0.8, 1e-12); /* 4 / (4 + 0 + 1) */
  g_assert_cmpfloat_with_epsilon (dls_confusion_f1 (&c, 3), 0.0, 1e-12);
  g_assert_true (isnan (dls_confusion_f1 (&c, 4)));
  g_assert_cmpfloat_with_epsilon (dls_confusion_f1_macro (&c), 1.8 / 3, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_confusion_iou (&c, 2), 2.0 / 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_confusion_iou_mean (&c), (1 + 2.0 / 3.0 + 0) / 3, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_confusion_f1_micro (&c), 0.8, 1e-12);
  dls_confusion_clear (&c);
}

static double
json_number (JsonNode *node)
{
  return JSON_NODE_HOLDS_NULL (node) ? NAN : json_node_get_double (node);
}

static void
test_confusion_json (void)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  DlsConfusion c;
  JsonObject *o;
  JsonArray *f1, *iou;

  dls_confusion_init (&c, 3);
  dls_confusion_add (&c, hand_pred, hand_truth, G_N_ELEMENTS (hand_truth));
  text = dls_confusion_to_json (&c);
  g_assert_null (strchr (text, '\n'));
  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);

  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (o, "classes"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (o, "pixels"), ==, 7);
  f1 = json_object_get_array_member (o, "f1");
  iou = json_object_get_array_member (o, "iou");
  g_assert_cmpuint (json_array_get_length (f1), ==, 3);
  g_assert_cmpuint (json_array_get_length (iou), ==, 3);
  g_assert_cmpfloat_with_epsilon (json_number (json_array_get_element (f1, 0)), 0.75, 1e-6);
  g_assert_cmpfloat_with_epsilon (json_number (json_array_get_element (f1, 1)), 4.0 / 6, 1e-6);
  g_assert_true (isnan (json_number (json_array_get_element (f1, 2))));
  g_assert_cmpfloat_with_epsilon (json_number (json_array_get_element (iou, 0)), 0.6, 1e-6);
  g_assert_true (isnan (json_number (json_array_get_element (iou, 2))));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "mean_f1"),
                                  dls_confusion_f1_macro (&c), 1e-6);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "mean_iou"), 0.55, 1e-6);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "f1_micro"), 5.0 / 7, 1e-6);
  dls_confusion_clear (&c);
}

/* ---- Pearson --------------------------------------------------------------------------------- */

static void
test_pearson (void)
{
  /* Σdadb = 6, Σda² = 10, Σdb² = 6 → r = 6/√60. */
  static const float a[] = { 1, 2, 3, 4, 5 };
  static const float b[] = { 2, 4, 5, 4, 5 };
  static const float a_off[] = { 1001, 1002, 1003, 1004, 1005 };
  static const float neg[] = { -1, -3, -5, -7, -9 };
  static const float flat[] = { 0.1f, 0.1f, 0.1f, 0.1f, 0.1f };
  const double want = 6.0 / sqrt (60.0);

  g_assert_cmpfloat_with_epsilon (dls_pearson (a, b, NULL, 5), want, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_pearson (b, a, NULL, 5), want, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_pearson (a_off, b, NULL, 5), want, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_pearson (a, neg, NULL, 5), -1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_pearson (a, a_off, NULL, 5), 1.0, 1e-12);
  g_assert_true (isnan (dls_pearson (a, flat, NULL, 5)));
  g_assert_true (isnan (dls_pearson (flat, a, NULL, 5)));
  g_assert_true (isnan (dls_pearson (a, b, NULL, 1)));
}

static void
test_pearson_masked (void)
{
  /* The hand case with two outliers that the mask hides. */
  static const float a[] = { 1, 2, 100, 3, 4, -7, 5 };
  static const float b[] = { 2, 4, -50, 5, 4, 30, 5 };
  static const uint8_t mask[] = { 1, 1, 0, 1, 2, 0, 1 };
  static const uint8_t one[] = { 0, 0, 0, 1, 0, 0, 0 };

  g_assert_cmpfloat_with_epsilon (dls_pearson (a, b, mask, 7), 6.0 / sqrt (60.0), 1e-12);
  g_assert_cmpfloat (dls_pearson (a, b, NULL, 7), <, 0.0);
  g_assert_true (isnan (dls_pearson (a, b, one, 7)));
}

/* ---- Adjusted Rand index ----------------------------------------------------------------- */

/* The definition over all pairs (sklearn's pair-confusion form), O(n²). */
static double
ari_pairs (const int *a, const int *b, int n)
{
  double tp = 0, fp = 0, fn = 0, tn = 0;

  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      {
        gboolean sa = a[i] == a[j], sb = b[i] == b[j];

        tp += sa && sb;
        fn += sa && !sb;
        fp += !sa && sb;
        tn += !sa && !sb;
      }
  if (fn == 0 && fp == 0)
    return 1.0;
  return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

static void
test_ari_hand (void)
{
  /* sklearn's documented examples. */
  static const int a1[] = { 0, 0, 1, 2 }, b1[] = { 0, 0, 1, 1 };
  static const int a2[] = { 0, 1, 0, 1 }, b2[] = { 0, 0, 1, 1 };
  static const int a3[] = { 0, 0, 0, 0 }, b3[] = { 0, 1, 2, 3 };
  static const int a4[] = { 0, 0, 1, 1 }, b4[] = { 1, 1, 0, 0 };
  static const int one[] = { 5, 5, 5, 5 };

  g_assert_cmpfloat_with_epsilon (dls_adjusted_rand_index (a1, b1, 4), 4.0 / 7.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_adjusted_rand_index (b1, a1, 4), 4.0 / 7.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_adjusted_rand_index (a2, b2, 4), -0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (dls_adjusted_rand_index (a3, b3, 4), 0.0, 1e-12);
  g_assert_cmpfloat (dls_adjusted_rand_index (a4, b4, 4), ==, 1.0);
  g_assert_cmpfloat (dls_adjusted_rand_index (a3, one, 4), ==, 1.0);
  g_assert_cmpfloat (dls_adjusted_rand_index (b3, b3, 4), ==, 1.0);
  g_assert_cmpfloat (dls_adjusted_rand_index (a1, b1, 1), ==, 1.0);
}

static void
test_ari_relabelled (void)
{
  const int n = 5000;
  g_autofree int *a = g_new (int, n), *b = g_new (int, n), *c = g_new (int, n);
  DlsRng rng;

  dls_rng_init (&rng, 11);
  for (int i = 0; i < n; i++)
    {
      a[i] = (int) dls_rng_below (&rng, 12);
      b[i] = 2000000000 - 7 * a[i]; /* huge values: the hashed relabelling */
      c[i] = (a[i] * 5) % 12;       /* a permutation of 0..11 */
    }
  g_assert_cmpfloat (dls_adjusted_rand_index (a, b, n), ==, 1.0);
  g_assert_cmpfloat (dls_adjusted_rand_index (a, c, n), ==, 1.0);
  /* Merging two clusters is no longer the same partition. */
  for (int i = 0; i < n; i++)
    c[i] = a[i] == 3 ? 4 : a[i];
  g_assert_cmpfloat (dls_adjusted_rand_index (a, c, n), <, 0.99);
  g_assert_cmpfloat (dls_adjusted_rand_index (a, c, n), >, 0.8);
}

static void
test_ari_reference (void)
{
  const int n = 900;
  g_autofree int *a = g_new (int, n), *b = g_new (int, n);
  DlsRng rng;

  /* Correlated labelings of several sizes; the last case has 450 × 300 clusters, so the
   * contingency table goes through the sorted-keys path. */
  static const int ka[] = { 3, 10, 40, 450 }, kb[] = { 4, 7, 60, 300 };

  dls_rng_init (&rng, 5);
  for (size_t t = 0; t < G_N_ELEMENTS (ka); t++)
    {
      for (int i = 0; i < n; i++)
        {
          a[i] = (int) dls_rng_below (&rng, ka[t]);
          b[i] = dls_rng_uniform (&rng) < 0.6 ? a[i] % kb[t] : (int) dls_rng_below (&rng, kb[t]);
        }
      g_assert_cmpfloat_with_epsilon (dls_adjusted_rand_index (a, b, n), ari_pairs (a, b, n), 1e-9);
    }
}

static void
test_ari_random (void)
{
  const int n = 200000;
  g_autofree int *a = g_new (int, n), *b = g_new (int, n);
  DlsRng rng;
  double ari;

  /* Independent labelings: E[ARI] = 0 and its spread is O(1/n) here (≈ 1e-5), so 2e-3 is a
   * wide bound, yet far below what a wrong expected index gives (the unadjusted Rand index is
   * ≈ 0.7 for these cluster counts). */
  dls_rng_init (&rng, 99);
  for (int i = 0; i < n; i++)
    {
      a[i] = (int) dls_rng_below (&rng, 6);
      b[i] = (int) dls_rng_below (&rng, 9);
    }
  ari = dls_adjusted_rand_index (a, b, n);
  g_assert_cmpfloat (fabs (ari), <, 2e-3);
}

/* ---- Margin, entropy, ensembles ------------------------------------------------------------ */

static void
test_margin (void)
{
  /* K = 3 planes of 6 pixels: (.5 .3 .2) in three orders, a tie, one-hot, uniform. */
  /* clang-format off */
  static const float p[] = {
    0.5f, 0.2f, 0.3f, 0.4f, 0.0f, 1.0f / 3,
    0.3f, 0.5f, 0.2f, 0.4f, 1.0f, 1.0f / 3,
    0.2f, 0.3f, 0.5f, 0.2f, 0.0f, 1.0f / 3,
  };
  /* clang-format on */
  static const float want[] = { 0.8f, 0.8f, 0.8f, 1.0f, 0.0f, 1.0f };
  float out[6];

  dls_uncertainty_margin (p, 3, 6, out);
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat_with_epsilon (out[i], want[i], 1e-6);

  /* K = 2 and K = 1. */
  dls_uncertainty_margin (p, 2, 6, out);
  g_assert_cmpfloat_with_epsilon (out[0], 0.8f, 1e-6); /* (.5, .3) */
  g_assert_cmpfloat_with_epsilon (out[2], 0.9f, 1e-6); /* (.3, .2) */
  g_assert_cmpfloat_with_epsilon (out[4], 0.0f, 1e-6); /* (0, 1) */
  out[1] = 7;
  dls_uncertainty_margin (p, 1, 6, out);
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat (out[i], ==, 0.0f);
}

/* Against a per-pixel search, over more pixels than one block and not a multiple of it. */
static void
test_margin_blocks (void)
{
  const int K = 5, n = 1300, kn = K * n;
  g_autofree float *p = g_new (float, kn), *out = g_new (float, n);
  DlsRng rng;

  dls_rng_init (&rng, 3);
  for (int i = 0; i < K * n; i++)
    p[i] = (float) dls_rng_uniform (&rng);
  dls_uncertainty_margin (p, K, n, out);
  for (int i = 0; i < n; i++)
    {
      float t = -1, s = -1;

      for (int k = 0; k < K; k++)
        {
          float v = p[k * n + i];

          if (v > t)
            {
              s = t;
              t = v;
            }
          else if (v > s)
            s = v;
        }
      g_assert_cmpfloat (out[i], ==, 1.0f - (t - s));
    }
}

static void
test_entropy (void)
{
  /* K = 4 planes of 4 pixels: uniform, one-hot, two halves, (.7 .1 .1 .1). */
  /* clang-format off */
  static const float p[] = {
    0.25f, 0.0f, 0.5f, 0.7f,
    0.25f, 1.0f, 0.0f, 0.1f,
    0.25f, 0.0f, 0.5f, 0.1f,
    0.25f, 0.0f, 0.0f, 0.1f,
  };
  /* clang-format on */
  float out[4];

  dls_uncertainty_entropy (p, 4, 4, out);
  g_assert_cmpfloat_with_epsilon (out[0], log (4.0), 1e-6);
  g_assert_cmpfloat (out[1], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (out[2], log (2.0), 1e-6);
  g_assert_cmpfloat_with_epsilon (out[3], -0.7 * log (0.7) - 0.3 * log (0.1), 1e-6);
}

static void
test_ensemble (void)
{
  /* M = 3, K = 2, n = 2.  Pixel 0, class 1: .2 .4 .9 → mean .5, deviations −.3 −.1 .4,
   * unbiased variance .26/2 = .13 (the population one, .26/3, would give .294). */
  static const float m0[] = { 0.2f, 1.0f, 0.8f, 0.0f };
  static const float m1[] = { 0.4f, 1.0f, 0.6f, 0.0f };
  static const float m2[] = { 0.9f, 1.0f, 0.1f, 0.0f };
  const float *members[] = { m0, m1, m2 };
  static const float want_mean[] = { 0.5f, 1.0f, 0.5f, 0.0f };
  const float s = (float) sqrt (0.13);
  const float want_std[] = { s, 0.0f, s, 0.0f };
  float mean[4], std[4];

  dls_ensemble_mean_std (members, 3, 2, 2, mean, std);
  for (int i = 0; i < 4; i++)
    {
      g_assert_cmpfloat_with_epsilon (mean[i], want_mean[i], 1e-6);
      g_assert_cmpfloat_with_epsilon (std[i], want_std[i], 1e-6);
    }

  memset (mean, 0, sizeof mean);
  dls_ensemble_mean_std (members, 3, 2, 2, mean, NULL);
  g_assert_cmpfloat_with_epsilon (mean[0], 0.5f, 1e-6);

  /* Two members: mean .3, std |.2 − .4|/√2. */
  dls_ensemble_mean_std (members, 2, 2, 2, mean, std);
  g_assert_cmpfloat_with_epsilon (mean[0], 0.3f, 1e-6);
  g_assert_cmpfloat_with_epsilon (std[0], 0.2 / sqrt (2.0), 1e-6);

  std[1] = 9;
  dls_ensemble_mean_std (members + 2, 1, 2, 2, mean, std);
  for (int i = 0; i < 4; i++)
    {
      g_assert_cmpfloat (mean[i], ==, m2[i]);
      g_assert_cmpfloat (std[i], ==, 0.0f);
    }
}

static void
test_std_of_argmax (void)
{
  /* Pixels: argmax 2, argmax 1, a tie of 1 and 2 (the first wins), argmax 3. */
  /* clang-format off */
  static const float mean[] = {
    0.2f, 0.6f, 0.4f, 0.1f,
    0.5f, 0.2f, 0.4f, 0.1f,
    0.3f, 0.2f, 0.2f, 0.8f,
  };
  static const float std[] = {
    10, 11, 12, 13,
    20, 21, 22, 23,
    30, 31, 32, 33,
  };
  /* clang-format on */
  static const float want[] = { 20, 11, 12, 33 };
  const int K = 4, n = 1100, kn = K * n;
  g_autofree float *m = g_new (float, kn), *sd = g_new (float, kn);
  g_autofree float *big = g_new (float, n);
  float out[4];
  DlsRng rng;

  dls_uncertainty_std_of_argmax (mean, std, 3, 4, out);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (out[i], ==, want[i]);

  /* Several blocks against a per-pixel argmax. */
  dls_rng_init (&rng, 8);
  for (int i = 0; i < K * n; i++)
    {
      m[i] = (float) dls_rng_uniform (&rng);
      sd[i] = (float) i;
    }
  dls_uncertainty_std_of_argmax (m, sd, K, n, big);
  for (int i = 0; i < n; i++)
    {
      int best = 0;

      for (int k = 1; k < K; k++)
        if (m[k * n + i] > m[best * n + i])
          best = k;
      g_assert_cmpfloat (big[i], ==, sd[best * n + i]);
    }
}

/* ---- Conformal ----------------------------------------------------------------------------- */

/* Ten labelled pixels, K = 2, whose true-class probabilities are 15/16 … 6/16 in a shuffled
 * order, so the scores 1 − p_true are 1/16 … 10/16 (exact in float); plus an unlabelled pixel
 * and one labelled above K, both with scores that would move q̂ if they counted. */
#define N_HAND 12
static const int hand_scores16[N_HAND] = { 4, 9, 1, 7, 10, 2, 0, 6, 3, 8, 5, 0 };
static const uint8_t hand_labels[N_HAND] = { 1, 2, 2, 1, 2, 1, 0, 1, 2, 1, 2, 3 };

static void
make_hand (float *p)
{
  for (int i = 0; i < N_HAND; i++)
    {
      float s = hand_scores16[i] / 16.0f;
      int y = hand_labels[i] >= 1 && hand_labels[i] <= 2 ? hand_labels[i] - 1 : 0;

      if (hand_labels[i] == 0 || hand_labels[i] > 2)
        s = 1.0f; /* p_true would be 0: the largest score of all */
      p[y * N_HAND + i] = 1.0f - s;
      p[(1 - y) * N_HAND + i] = s;
    }
}

static void
test_conformal_qhat (void)
{
  /* n = 10.  α = .3: ⌈11·.7⌉ = 8, q_level .8, index ⌈.8·9⌉ = 8 → the 9th smallest score;
   * α = .5: ⌈5.5⌉ = 6, index ⌈.6·9⌉ = 6 → 7th; α = .2: ⌈8.8⌉ = 9, index ⌈8.1⌉ = 9 → 10th;
   * α = .15: ⌈9.35⌉ = 10, q_level 1 → the largest. */
  static const struct
  {
    double alpha;
    int rank16;
  } cases[] = { { 0.3, 9 }, { 0.5, 7 }, { 0.2, 10 }, { 0.15, 10 }, { 0.75, 4 } };
  float p[2 * N_HAND];

  make_hand (p);
  for (size_t t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      g_autoptr (GError) error = NULL;
      DlsConformal c;

      g_assert_true (
          dls_conformal_calibrate (&c, cases[t].alpha, p, hand_labels, 2, N_HAND, &error));
      g_assert_no_error (error);
      g_assert_cmpint (c.n_calibration, ==, 10);
      g_assert_cmpfloat (c.alpha, ==, cases[t].alpha);
      g_assert_cmpfloat (c.qhat, ==, cases[t].rank16 / 16.0);
    }
}

static int
cmp_float (const void *x, const void *y)
{
  float a = *(const float *) x, b = *(const float *) y;

  return (a > b) - (a < b);
}

/* q̂ against a full sort, for many α, on scores with many ties (probabilities in steps of
 * 1/64) and on distinct ones. */
static void
test_conformal_qhat_sorted (void)
{
  const int64_t n = 3001;
  g_autofree float *p = g_new (float, 2 * n), *sorted = g_new (float, n);
  g_autofree uint8_t *labels = g_new (uint8_t, n);
  DlsRng rng;

  dls_rng_init (&rng, 77);
  for (int ties = 0; ties < 2; ties++)
    {
      for (int64_t i = 0; i < n; i++)
        {
          double u = dls_rng_uniform (&rng);
          float q = ties ? (float) floor (u * 64) / 64.0f : (float) u;

          labels[i] = (uint8_t) (1 + dls_rng_below (&rng, 2));
          p[(labels[i] - 1) * n + i] = q;
          p[(2 - labels[i]) * n + i] = 1.0f - q;
          sorted[i] = 1.0f - q;
        }
      qsort (sorted, n, sizeof (float), cmp_float);
      for (double alpha = 0.001; alpha < 1; alpha += 0.0237)
        {
          g_autoptr (GError) error = NULL;
          int64_t m = (int64_t) ceil ((n + 1) * (1 - alpha));
          int64_t idx = (int64_t) ceil ((double) m / n * (n - 1));
          DlsConformal c;

          g_assert_true (dls_conformal_calibrate (&c, alpha, p, labels, 2, n, &error));
          g_assert_no_error (error);
          g_assert_cmpfloat (c.qhat, ==, sorted[idx]);
        }
    }
}

static void
test_conformal_too_few (void)
{
  static const uint8_t none[N_HAND] = { 0 };
  DlsConformal c = { .alpha = 0.5, .qhat = 0.25, .n_calibration = 3 };
  float p[2 * N_HAND];
  g_autoptr (GError) error = NULL;

  make_hand (p);
  /* n = 10 needs α ≥ 1/11: at α = .05, q_level = ⌈10.45⌉/10 > 1. */
  g_assert_false (dls_conformal_calibrate (&c, 0.05, p, hand_labels, 2, N_HAND, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "too few calibration pixels"));
  g_clear_error (&error);
  /* No labelled pixel at all. */
  g_assert_false (dls_conformal_calibrate (&c, 0.5, p, none, 2, N_HAND, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (dls_conformal_calibrate (&c, 0.0, p, hand_labels, 2, N_HAND, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_clear_error (&error);
  /* Failures leave the result alone. */
  g_assert_cmpfloat (c.qhat, ==, 0.25);
  g_assert_cmpint (c.n_calibration, ==, 3);
}

static void
test_conformal_builder (void)
{
  g_autoptr (GError) error = NULL;
  float p[2 * N_HAND], slice[2 * 6];
  DlsConformalBuilder *b = dls_conformal_builder_new (2);
  DlsConformal whole, parts;

  make_hand (p);
  g_assert_true (dls_conformal_calibrate (&whole, 0.3, p, hand_labels, 2, N_HAND, &error));

  /* The same pixels as two slices of 6 (each slice K × 6 planes). */
  for (int s = 0; s < 2; s++)
    {
      for (int k = 0; k < 2; k++)
        memcpy (slice + k * 6, p + k * N_HAND + s * 6, sizeof (float) * 6);
      dls_conformal_builder_add (b, slice, hand_labels + s * 6, 6);
    }
  g_assert_cmpint (dls_conformal_builder_count (b), ==, 10);
  g_assert_true (dls_conformal_builder_finish (b, 0.3, &parts, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (parts.qhat, ==, whole.qhat);
  g_assert_cmpint (parts.n_calibration, ==, 10);

  /* An abandoned builder and a failing finish both free it (checked under ASan). */
  b = dls_conformal_builder_new (2);
  dls_conformal_builder_add (b, p, hand_labels, N_HAND);
  dls_conformal_builder_free (b);
  b = dls_conformal_builder_new (2);
  g_assert_false (dls_conformal_builder_finish (b, 0.1, &parts, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
}

static void
test_conformal_sets (void)
{
  /* q̂ = .75: a class is in the set when p > .25 (strictly).  K = 3 planes of 5 pixels:
   * (.25 .25 .5) → {3};  (.3 .3 .4) → all;  (.2 .2 .2) → {};  (.5 .26 .24) → {1, 2};
   * (.9 .05 .05) → {1}. */
  /* clang-format off */
  static const float p[] = {
    0.25f, 0.3f, 0.2f, 0.5f, 0.9f,
    0.25f, 0.3f, 0.2f, 0.26f, 0.05f,
    0.5f, 0.4f, 0.2f, 0.24f, 0.05f,
  };
  /* clang-format on */
  static const uint8_t want_size[] = { 1, 3, 0, 2, 1 };
  static const uint8_t want_certain[3][5] = {
    { 0, 0, 0, 0, 1 },
    { 0, 0, 0, 0, 0 },
    { 1, 0, 0, 0, 0 },
  };
  static const uint8_t want_possible[3][5] = {
    { 0, 1, 0, 1, 1 },
    { 0, 1, 0, 1, 0 },
    { 1, 1, 0, 0, 0 },
  };
  const DlsConformal c = { .alpha = 0.1, .qhat = 0.75, .n_calibration = 100 };
  uint8_t out[5];

  dls_conformal_set_size (&c, p, 3, 5, out);
  g_assert_cmpmem (out, 5, want_size, 5);
  for (int k = 1; k <= 3; k++)
    {
      memset (out, 7, sizeof out);
      dls_conformal_certain (&c, p, 3, 5, k, out);
      g_assert_cmpmem (out, 5, want_certain[k - 1], 5);
      memset (out, 7, sizeof out);
      dls_conformal_possible (&c, p, 3, 5, k, out);
      g_assert_cmpmem (out, 5, want_possible[k - 1], 5);
    }
}

/* Synthetic exchangeable pixels: a true class y uniform in 1..3 and probabilities
 * softmax (1.5·[c = y] + N(0, 1)), an imperfect but informative model.  Calibrate on one half,
 * test on the other: the coverage must reach 1 − α (less a slack of ~5 standard deviations of
 * the two samples' noise) and not exceed 1 − α + 1/(n + 1) by more than the slack, and the sets
 * must be informative, not all three classes. */
static void
make_synthetic (DlsRng *rng, float *p, uint8_t *labels, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    {
      int y = (int) dls_rng_below (rng, 3);
      double z[3], sum = 0;

      for (int k = 0; k < 3; k++)
        {
          z[k] = exp (1.5 * (k == y) + dls_rng_normal (rng));
          sum += z[k];
        }
      for (int k = 0; k < 3; k++)
        p[k * n + i] = (float) (z[k] / sum);
      labels[i] = (uint8_t) (y + 1);
    }
}

static void
test_conformal_coverage (void)
{
  const int64_t n = 20000;
  const double alpha = 0.1, slack = 0.015;
  g_autofree float *pc = g_new (float, 3 * n), *pt = g_new (float, 3 * n);
  g_autofree uint8_t *lc = g_new (uint8_t, n), *lt = g_new (uint8_t, n);
  g_autofree uint8_t *size = g_new (uint8_t, n), *has = g_new (uint8_t, n);
  g_autoptr (GError) error = NULL;
  int64_t covered = 0, full = 0, total_size = 0;
  DlsConformal c;
  DlsRng rng;
  double coverage;

  dls_rng_init (&rng, 2024);
  make_synthetic (&rng, pc, lc, n);
  make_synthetic (&rng, pt, lt, n);
  g_assert_true (dls_conformal_calibrate (&c, alpha, pc, lc, 3, n, &error));
  g_assert_no_error (error);
  g_assert_cmpint (c.n_calibration, ==, n);

  dls_conformal_set_size (&c, pt, 3, n, size);
  for (int k = 1; k <= 3; k++)
    {
      dls_conformal_possible (&c, pt, 3, n, k, has);
      for (int64_t i = 0; i < n; i++)
        covered += lt[i] == k && has[i];
    }
  for (int64_t i = 0; i < n; i++)
    {
      full += size[i] == 3;
      total_size += size[i];
    }
  coverage = (double) covered / n;
  g_test_message ("qhat %.4f coverage %.4f mean size %.3f full %.3f", c.qhat, coverage,
                  (double) total_size / n, (double) full / n);
  g_assert_cmpfloat (coverage, >=, 1 - alpha - slack);
  g_assert_cmpfloat (coverage, <=, 1 - alpha + 1.0 / (n + 1) + slack);
  g_assert_cmpfloat ((double) total_size / n, <, 2.2);
  g_assert_cmpfloat ((double) full / n, <, 0.5);
}

/* Streamed over uneven blocks, with a mask and a large offset, the accumulator gives the
 * two-pass result; the MSE is the mean squared difference over the mask. */
static void
test_pearson_stream (void)
{
  int64_t n = 5000;
  g_autofree float *a = g_new (float, n), *b = g_new (float, n), *mf = g_new (float, n);
  g_autofree uint8_t *m8 = g_new (uint8_t, n);
  DlsPearsonAcc acc = { 0 };
  double sq = 0, cnt = 0;
  int64_t starts[] = { 0, 1, 7, 1000, 1001, 3333, 5000 };

  for (int64_t i = 0; i < n; i++)
    {
      a[i] = 1e4f + (float) sin (0.01 * i) + 0.1f * (float) (i % 7);
      b[i] = 1e4f + (float) sin (0.01 * i + 0.3);
      m8[i] = i % 5 != 0;
      mf[i] = m8[i];
      if (m8[i])
        {
          sq += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
          cnt++;
        }
    }
  for (size_t k = 0; k + 1 < G_N_ELEMENTS (starts); k++)
    dls_pearson_acc_add (&acc, a + starts[k], b + starts[k], mf + starts[k],
                         starts[k + 1] - starts[k]);
  g_assert_cmpfloat (acc.n, ==, cnt);
  g_assert_cmpfloat (fabs (dls_pearson_acc_cc (&acc) - dls_pearson (a, b, m8, n)), <, 1e-9);
  g_assert_cmpfloat (fabs (dls_pearson_acc_mse (&acc) - sq / cnt), <, 1e-9 * (sq / cnt));
  /* constant, or fewer than two values: NaN */
  {
    DlsPearsonAcc one = { 0 };

    dls_pearson_acc_add (&one, a, b, NULL, 1);
    g_assert_true (isnan (dls_pearson_acc_cc (&one)));
    dls_pearson_acc_add (&one, b, b, NULL, 0);
    g_assert_true (isnan (dls_pearson_acc_cc (&one)));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/train/metrics/confusion/hand", test_confusion_hand);
  g_test_add_func ("/train/metrics/confusion/unsupported", test_confusion_unsupported);
  g_test_add_func ("/train/metrics/confusion/json", test_confusion_json);
  g_test_add_func ("/train/metrics/pearson/hand", test_pearson);
  g_test_add_func ("/train/metrics/pearson/masked", test_pearson_masked);
  g_test_add_func ("/train/metrics/pearson/stream", test_pearson_stream);
  g_test_add_func ("/train/metrics/ari/hand", test_ari_hand);
  g_test_add_func ("/train/metrics/ari/relabelled", test_ari_relabelled);
  g_test_add_func ("/train/metrics/ari/reference", test_ari_reference);
  g_test_add_func ("/train/metrics/ari/random", test_ari_random);
  g_test_add_func ("/train/uncertainty/margin", test_margin);
  g_test_add_func ("/train/uncertainty/margin/blocks", test_margin_blocks);
  g_test_add_func ("/train/uncertainty/entropy", test_entropy);
  g_test_add_func ("/train/uncertainty/ensemble", test_ensemble);
  g_test_add_func ("/train/uncertainty/std-of-argmax", test_std_of_argmax);
  g_test_add_func ("/train/conformal/qhat", test_conformal_qhat);
  g_test_add_func ("/train/conformal/qhat/sorted", test_conformal_qhat_sorted);
  g_test_add_func ("/train/conformal/too-few", test_conformal_too_few);
  g_test_add_func ("/train/conformal/builder", test_conformal_builder);
  g_test_add_func ("/train/conformal/sets", test_conformal_sets);
  g_test_add_func ("/train/conformal/coverage", test_conformal_coverage);

  return g_test_run ();
}
