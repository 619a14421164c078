/* SPDX-License-Identifier: MIT
 *
 * test-synth.c: the synthetic data generators (synth.c, synth-fibers.c) on small sizes — the same
 * seed gives the same bytes and another seed other bytes; the fibre truth, the sparse labels
 * (consistent with the truth, few fibres, away from fibres) and the contrast; the scattering
 * masks and dynamic range; the shapes' balance, sizes and class maps.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "engine.h"
#include "synth.h"

/* ---- Fibres ---------------------------------------------------------------------------------- */

typedef struct {
  int64_t   D, H, W, V;
  uint16_t *volume;
  uint8_t  *truth, *sparse;
} Fibres;

static Fibres *
fibres_new (int64_t D, int64_t H, int64_t W, uint64_t seed, int n_fibers)
{
  Fibres *f = g_new0 (Fibres, 1);
  g_autoptr (GError) error = NULL;

  f->D = D, f->H = H, f->W = W, f->V = D * H * W;
  f->volume = g_new (uint16_t, f->V);
  f->truth = g_new (uint8_t, f->V);
  f->sparse = g_new (uint8_t, f->V);
  g_assert_true (dls_synth_fibers (&(DlsSynthFibersArgs){ .depth = D, .height = H, .width = W,
                                                          .seed = seed, .n_fibers = n_fibers },
                                   f->volume, f->truth, f->sparse, &error));
  g_assert_no_error (error);
  return f;
}

static void
fibres_free (Fibres *f)
{
  g_free (f->volume);
  g_free (f->truth);
  g_free (f->sparse);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fibres, fibres_free)

static void
test_fibers_deterministic (void)
{
  g_autoptr (Fibres) a = fibres_new (24, 48, 40, 5, 0);
  g_autoptr (Fibres) b = fibres_new (24, 48, 40, 5, 0);
  g_autoptr (Fibres) c = fibres_new (24, 48, 40, 6, 0);

  g_assert_cmpmem (a->volume, a->V * 2, b->volume, b->V * 2);
  g_assert_cmpmem (a->truth, a->V, b->truth, b->V);
  g_assert_cmpmem (a->sparse, a->V, b->sparse, b->V);
  g_assert_true (memcmp (a->volume, c->volume, a->V * 2) != 0);
  g_assert_true (memcmp (a->truth, c->truth, a->V) != 0);
  g_assert_true (memcmp (a->sparse, c->sparse, a->V) != 0);
}

/* Connected components (26-neighbourhood) of the voxels where labels == value. */
static int
count_components (const uint8_t *labels, int64_t D, int64_t H, int64_t W, uint8_t value)
{
  int64_t V = D * H * W;
  g_autofree uint8_t *seen = g_new0 (uint8_t, V);
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (int64_t));
  int n = 0;

  for (int64_t s = 0; s < V; s++)
    {
      if (labels[s] != value || seen[s])
        continue;
      n++;
      seen[s] = 1;
      g_array_append_val (stack, s);
      while (stack->len > 0)
        {
          int64_t i = g_array_index (stack, int64_t, stack->len - 1);
          int64_t z = i / (H * W), y = i / W % H, x = i % W;

          g_array_set_size (stack, stack->len - 1);
          for (int dz = -1; dz <= 1; dz++)
            for (int dy = -1; dy <= 1; dy++)
              for (int dx = -1; dx <= 1; dx++)
                {
                  int64_t zz = z + dz, yy = y + dy, xx = x + dx, j;

                  if (zz < 0 || zz >= D || yy < 0 || yy >= H || xx < 0 || xx >= W)
                    continue;
                  j = (zz * H + yy) * W + xx;
                  if (labels[j] == value && !seen[j])
                    {
                      seen[j] = 1;
                      g_array_append_val (stack, j);
                    }
                }
        }
    }
  return n;
}

static int
cmp_u16 (const void *a, const void *b)
{
  return (int) *(const uint16_t *) a - (int) *(const uint16_t *) b;
}

static void
test_fibers_truth (void)
{
  g_autoptr (Fibres) f = fibres_new (48, 96, 96, 11, 0);
  int64_t n_truth[3] = { 0 }, n_sparse[3] = { 0 };
  g_autoptr (GArray) v1 = g_array_new (FALSE, FALSE, sizeof (uint16_t));
  g_autoptr (GArray) v2 = g_array_new (FALSE, FALSE, sizeof (uint16_t));
  double fibre_fraction, labelled, mean2 = 0;
  int components;

  g_assert_cmpint (dls_synth_fibers_default_count (48, 96, 96), >=, 4);
  g_assert_cmpint (dls_synth_fibers_default_count (128, 256, 256), >=, 30);
  g_assert_cmpint (dls_synth_fibers_default_count (128, 256, 256), <=, 60);

  for (int64_t i = 0; i < f->V; i++)
    {
      g_assert_cmpint (f->truth[i], >=, 1);
      g_assert_cmpint (f->truth[i], <=, 2);
      g_assert_cmpint (f->sparse[i], <=, 2);
      n_truth[f->truth[i]]++;
      n_sparse[f->sparse[i]]++;
      /* every sparse label agrees with the truth */
      if (f->sparse[i] != 0)
        g_assert_cmpint (f->sparse[i], ==, f->truth[i]);
      g_array_append_val (f->truth[i] == 2 ? v2 : v1, f->volume[i]);
      if (f->truth[i] == 2)
        mean2 += f->volume[i];
    }
  fibre_fraction = (double) n_truth[2] / f->V;
  g_assert_cmpfloat (fibre_fraction, >, 0.005);
  g_assert_cmpfloat (fibre_fraction, <, 0.05);

  /* both classes painted, a few tenths of a percent in all */
  g_assert_cmpint (n_sparse[1], >, 0);
  g_assert_cmpint (n_sparse[2], >, 0);
  labelled = (double) (n_sparse[1] + n_sparse[2]) / f->V;
  g_assert_cmpfloat (labelled, >, 0.001);
  g_assert_cmpfloat (labelled, <, 0.01);

  /* a handful of fibres marked */
  components = count_components (f->sparse, f->D, f->H, f->W, 2);
  g_assert_cmpint (components, >=, 1);
  g_assert_cmpint (components, <=, DLS_SYNTH_FIBERS_MAX_MARKED);

  /* class-1 strokes stay away from fibres: no fibre voxel within √8 voxels (the margin is 3) */
  for (int64_t i = 0; i < f->V; i++)
    {
      int64_t z = i / (f->H * f->W), y = i / f->W % f->H, x = i % f->W;

      if (f->sparse[i] != 1)
        continue;
      for (int64_t zz = MAX (0, z - 2); zz <= MIN (f->D - 1, z + 2); zz++)
        for (int64_t yy = MAX (0, y - 2); yy <= MIN (f->H - 1, y + 2); yy++)
          for (int64_t xx = MAX (0, x - 2); xx <= MIN (f->W - 1, x + 2); xx++)
            if ((zz - z) * (zz - z) + (yy - y) * (yy - y) + (xx - x) * (xx - x) <= 8)
              g_assert_cmpint (f->truth[(zz * f->H + yy) * f->W + xx], ==, 1);
    }

  /* steel fibres are the brightest phase on average, yet blur and noise make the
   * distributions overlap: a tenth of the fibre voxels are darker than the brightest tenth of
   * the rest (stone and bright grains) */
  qsort (v1->data, v1->len, sizeof (uint16_t), cmp_u16);
  qsort (v2->data, v2->len, sizeof (uint16_t), cmp_u16);
  mean2 /= n_truth[2];
  {
    double median1 = g_array_index (v1, uint16_t, v1->len / 2);
    double q10_2 = g_array_index (v2, uint16_t, v2->len / 10);
    double q90_1 = g_array_index (v1, uint16_t, v1->len * 9 / 10);
    double q99_1 = g_array_index (v1, uint16_t, v1->len * 99 / 100);

    g_test_message ("fibre mean %.0f, q10 %.0f; non-fibre median %.0f, q90 %.0f, q99 %.0f",
                    mean2, q10_2, median1, q90_1, q99_1);
    g_assert_cmpfloat (mean2, >, q90_1);
    g_assert_cmpfloat (q10_2, <, q99_1);
  }
}

static void
test_fibers_count (void)
{
  g_autoptr (Fibres) one = fibres_new (16, 32, 32, 2, 1);
  g_autoptr (GError) error = NULL;
  uint16_t v[8 * 8 * 7];
  uint8_t t[8 * 8 * 7], s[8 * 8 * 7];
  int64_t n2 = 0;

  /* one fibre through the middle: it is marked, and it is all there is of class 2 */
  for (int64_t i = 0; i < one->V; i++)
    n2 += one->sparse[i] == 2;
  g_assert_cmpint (n2, >, 0);
  g_assert_cmpint (count_components (one->sparse, one->D, one->H, one->W, 2), ==, 1);

  g_assert_false (dls_synth_fibers (&(DlsSynthFibersArgs){ .depth = 8, .height = 8, .width = 7 },
                                    v, t, s, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (dls_synth_fibers (
      &(DlsSynthFibersArgs){ .depth = 7, .height = 8, .width = 8, .n_fibers = -1 }, v, t, s,
      &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
}

/* ---- Scattering ------------------------------------------------------------------------------ */

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

static void
test_scattering (void)
{
  const int64_t N = 3, S = 96, P = S * S;
  g_autofree float *img = g_new (float, N * P), *img2 = g_new (float, N * P);
  g_autofree float *sorted = g_new (float, P);
  g_autofree uint8_t *mask = g_new (uint8_t, N * P), *mask2 = g_new (uint8_t, N * P);
  g_autoptr (GError) error = NULL;

  g_assert_true (dls_synth_scattering (&(DlsSynthScatteringArgs){ N, S, 7 }, img, mask, &error));
  g_assert_no_error (error);
  g_assert_true (dls_synth_scattering (&(DlsSynthScatteringArgs){ N, S, 7 }, img2, mask2, &error));
  g_assert_cmpmem (img, N * P * sizeof (float), img2, N * P * sizeof (float));
  g_assert_cmpmem (mask, N * P, mask2, N * P);
  /* image i does not depend on the count */
  g_assert_true (dls_synth_scattering (&(DlsSynthScatteringArgs){ 1, S, 7 }, img2, mask2, &error));
  g_assert_cmpmem (img, P * sizeof (float), img2, P * sizeof (float));
  g_assert_true (dls_synth_scattering (&(DlsSynthScatteringArgs){ N, S, 8 }, img2, mask2, &error));
  g_assert_true (memcmp (img, img2, N * P * sizeof (float)) != 0);

  for (int64_t k = 0; k < N; k++)
    {
      const float *im = img + k * P;
      const uint8_t *m = mask + k * P;
      int64_t gaps = 0, full_rows = 0, full_cols = 0;

      for (int64_t i = 0; i < P; i++)
        {
          g_assert_cmpfloat (im[i], >=, 0);
          g_assert_cmpfloat (im[i], ==, floorf (im[i])); /* counts */
          g_assert_cmpint (m[i], <=, 1);
          gaps += m[i];
        }
      /* gaps: a few percent, in whole rows and whole columns (module gaps) */
      g_assert_cmpfloat ((double) gaps / P, >, 0.02);
      g_assert_cmpfloat ((double) gaps / P, <, 0.15);
      for (int64_t y = 0; y < S; y++)
        {
          int64_t n = 0;
          for (int64_t x = 0; x < S; x++)
            n += m[y * S + x];
          full_rows += n == S;
        }
      for (int64_t x = 0; x < S; x++)
        {
          int64_t n = 0;
          for (int64_t y = 0; y < S; y++)
            n += m[y * S + x];
          full_cols += n == S;
        }
      g_assert_cmpint (full_rows, >=, 1);
      g_assert_cmpint (full_cols, >=, 1);

      /* a large dynamic range: the brightest pixel hundreds of times the median, and the beam
       * stop leaves pixels near zero */
      memcpy (sorted, im, P * sizeof (float));
      qsort (sorted, P, sizeof (float), cmp_float);
      g_test_message ("image %" G_GINT64_FORMAT ": min %g median %g max %g", k, sorted[0],
                      sorted[P / 2], sorted[P - 1]);
      g_assert_cmpfloat (sorted[P - 1], >, 100 * MAX (sorted[P / 2], 1));
      g_assert_cmpfloat (sorted[P / 200], <, 5);
    }

  g_assert_false (dls_synth_scattering (&(DlsSynthScatteringArgs){ 1, 16, 7 }, img2, mask2,
                                        &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
}

/* ---- Shapes ---------------------------------------------------------------------------------- */

static void
test_shapes (void)
{
  const int64_t N = 41, n = 32, P = n * n;
  const double noise = 0.5;
  g_autofree float *img = g_new (float, N * P), *clean = g_new (float, N * P);
  g_autofree float *img2 = g_new (float, N * P);
  g_autofree uint8_t *cm = g_new (uint8_t, N * P), *cls = g_new (uint8_t, N);
  g_autofree uint8_t *cm2 = g_new (uint8_t, N * P), *cls2 = g_new (uint8_t, N);
  int64_t per_class[5] = { 0 };
  /* class-map areas allowed per class, from DLSIA's size ranges (in units of n²), widened for
   * the rotation's interpolation */
  const double area_lo[5] = { 0, 4 * 0.10 * 0.30, G_PI * 0.01, 2 * 0.01, G_PI * 0.01 * 0.36 };
  const double area_hi[5] = { 0, 4 * 0.20 * 0.40, G_PI * 0.16, 2 * 0.35 * 0.35,
                              G_PI * 0.16 * 0.91 };
  g_autoptr (GError) error = NULL;
  DlsSynthShapesArgs a = { .count = N, .noise = noise, .seed = 3 };

  g_assert_true (dls_synth_shapes (&a, img, clean, cm, cls, &error));
  g_assert_no_error (error);
  g_assert_true (dls_synth_shapes (&a, img2, NULL, cm2, cls2, &error));
  g_assert_cmpmem (img, N * P * sizeof (float), img2, N * P * sizeof (float));
  g_assert_cmpmem (cm, N * P, cm2, N * P);
  g_assert_cmpmem (cls, N, cls2, N);
  a.seed = 4;
  g_assert_true (dls_synth_shapes (&a, img2, NULL, cm2, cls2, &error));
  g_assert_true (memcmp (img, img2, N * P * sizeof (float)) != 0);

  for (int64_t k = 0; k < N; k++)
    {
      int64_t area = 0;

      g_assert_cmpint (cls[k], >=, 1);
      g_assert_cmpint (cls[k], <=, 4);
      per_class[cls[k]]++;
      for (int64_t i = 0; i < P; i++)
        {
          float c = clean[k * P + i], d = img[k * P + i] - c;

          g_assert_cmpfloat (c, >=, 0);
          g_assert_cmpfloat (c, <=, 1);
          g_assert_cmpfloat (d, >=, -1e-6);
          g_assert_cmpfloat (d, <, noise + 1e-6);
          /* class pixels exactly where the shape is */
          g_assert_cmpint (cm[k * P + i], ==, c > 0.5f ? cls[k] : 0);
          area += cm[k * P + i] != 0;
        }
      g_assert_cmpfloat (area, >=, 0.75 * area_lo[cls[k]] * P - 4);
      g_assert_cmpfloat (area, <=, 1.25 * area_hi[cls[k]] * P + 4);
    }
  /* balanced: 41 = 11 + 10 + 10 + 10 */
  for (int c = 1; c <= 4; c++)
    {
      g_assert_cmpint (per_class[c], >=, N / 4);
      g_assert_cmpint (per_class[c], <=, N / 4 + 1);
    }
  g_assert_cmpstr (dls_synth_shape_name (4), ==, "annulus");
  g_assert_null (dls_synth_shape_name (0));

  a.noise = -1;
  g_assert_false (dls_synth_shapes (&a, img2, NULL, cm2, cls2, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/synth/fibers/deterministic", test_fibers_deterministic);
  g_test_add_func ("/train/synth/fibers/truth", test_fibers_truth);
  g_test_add_func ("/train/synth/fibers/count", test_fibers_count);
  g_test_add_func ("/train/synth/scattering", test_scattering);
  g_test_add_func ("/train/synth/shapes", test_shapes);
  return g_test_run ();
}
