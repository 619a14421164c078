/* SPDX-License-Identifier: MIT
 *
 * test-embed.c: samples and embeddings of the latent explorer — grid counts and positions,
 * reflection at the volume's edge, labelled voxels, connected components of a synthetic 3-D
 * class map with known blobs (26- and 6-connectivity), pages; then an MSAE trained on DLSIA's
 * synthetic shapes whose latent vectors, mapped and clustered, recover the four classes
 * (adjusted Rand index), and the refusals (too few samples, a model of another size).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "embed.h"
#include "engine.h"
#include "metrics.h"
#include "synth.h"

/* A volume whose value says where it is: z·10⁴ + y·10² + x. */
static float *
coded_volume (int64_t D, int64_t H, int64_t W)
{
  float *v = g_new (float, D *H *W);

  for (int64_t z = 0; z < D; z++)
    for (int64_t y = 0; y < H; y++)
      for (int64_t x = 0; x < W; x++)
        v[(z * H + y) * W + x] = (float) (z * 10000 + y * 100 + x);
  return v;
}

static int64_t
reflect_ref (int64_t i, int64_t L)
{
  /* numpy.pad(mode="reflect"), by walking */
  while (i < 0 || i >= L)
    i = i < 0 ? -i : 2 * (L - 1) - i;
  return i;
}

static void
assert_patch_at (const float *patch, int size, int64_t H, int64_t W, int64_t z, int64_t cy,
                 int64_t cx)
{
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      {
        int64_t yy = reflect_ref (cy - size / 2 + y, H), xx = reflect_ref (cx - size / 2 + x, W);

        g_assert_cmpfloat (patch[y * size + x], ==, (float) (z * 10000 + yy * 100 + xx));
      }
}

static void
test_grid (void)
{
  int64_t D = 3, H = 70, W = 50;
  g_autofree float *v = coded_volume (D, H, W);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsSamples) s = NULL;
  /* y: 3 patches of 32 every 16 in 70 (3 spare pixels before), x: 2 in 50 (1 before); z: 0, 2 */
  static const int64_t ys[] = { 19, 35, 51 }, xs[] = { 17, 33 }, zs[] = { 0, 2 };
  int64_t i = 0;

  s = dls_samples_new (v, D, H, W, NULL,
                       &(DlsSampleArgs){ .mode = DLS_SAMPLING_GRID, .stride = 16, .stride_z = 2 },
                       &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->n, ==, 12);
  g_assert_cmpint (s->height, ==, 32);
  g_assert_null (s->label);
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 3; b++)
      for (int c = 0; c < 2; c++, i++)
        {
          g_assert_cmpint (s->pos[3 * i], ==, zs[a]);
          g_assert_cmpint (s->pos[3 * i + 1], ==, ys[b]);
          g_assert_cmpint (s->pos[3 * i + 2], ==, xs[c]);
          assert_patch_at (s->patches + i * 32 * 32, 32, H, W, zs[a], ys[b], xs[c]);
        }
  g_clear_pointer (&s, dls_samples_free);
  /* a class map gives each grid sample the class at its centre */
  {
    g_autofree uint8_t *lab = g_new0 (uint8_t, D * H * W);

    lab[(2 * H + 35) * W + 33] = 7;
    s = dls_samples_new (v, D, H, W, lab,
                         &(DlsSampleArgs){ .mode = DLS_SAMPLING_GRID, .stride = 16, .stride_z = 2 },
                         &error);
    g_assert_no_error (error);
    g_assert_cmpint (s->n, ==, 12);
    for (int64_t k = 0; k < 12; k++)
      g_assert_cmpint (s->label[k], ==, k == 6 + 2 + 1 ? 7 : 0);
    g_clear_pointer (&s, dls_samples_free);
  }
  /* the default stride is the patch side; every slice */
  s = dls_samples_new (v, D, H, W, NULL, &(DlsSampleArgs){ .mode = DLS_SAMPLING_GRID, .size = 16 },
                       &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->n, ==, 3 * 4 * 3);
  g_clear_pointer (&s, dls_samples_free);
  /* too many */
  s = dls_samples_new (
      v, D, H, W, NULL,
      &(DlsSampleArgs){ .mode = DLS_SAMPLING_GRID, .size = 4, .stride = 1, .max_samples = 1000 },
      &error);
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "stride"));
  g_assert_null (s);
}

/* Patches over the edge, and patches larger than the image (reflected more than once). */
static void
test_reflection (void)
{
  int64_t H = 5, W = 3;
  g_autofree float *v = coded_volume (2, H, W);
  g_autofree float *p = g_new (float, 16 * 16);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsSamples) s = NULL;

  dls_samples_cut (v, H, W, 1, 0, 0, 8, p);
  /* row −4 → 4, −1 → 1; column −4 → 0 (period 4 for W = 3), −1 → 1 */
  g_assert_cmpfloat (p[0], ==, 10000 + 4 * 100 + 0);
  g_assert_cmpfloat (p[3 * 8 + 3], ==, 10000 + 1 * 100 + 1);
  g_assert_cmpfloat (p[4 * 8 + 4], ==, 10000 + 0 * 100 + 0);
  assert_patch_at (p, 8, H, W, 1, 0, 0);
  dls_samples_cut (v, H, W, 0, 4, 2, 16, p);
  assert_patch_at (p, 16, H, W, 0, 4, 2);
  /* a 1-pixel-wide image */
  {
    float one[4] = { 1, 2, 3, 4 };

    dls_samples_cut (one, 4, 1, 0, 0, 0, 4, p);
    for (int y = 0; y < 4; y++)
      for (int x = 0; x < 4; x++)
        g_assert_cmpfloat (p[y * 4 + x], ==, one[reflect_ref (y - 2, 4)]);
  }
  /* the grid puts one centred patch on an axis shorter than a patch */
  s = dls_samples_new (v, 2, H, W, NULL, &(DlsSampleArgs){ .mode = DLS_SAMPLING_GRID, .size = 8 },
                       &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->n, ==, 2);
  g_assert_cmpint (s->pos[1], ==, 2);
  g_assert_cmpint (s->pos[2], ==, 1);
  assert_patch_at (s->patches + 64, 8, H, W, 1, 2, 1);
}

/* Known blobs in a 20 × 30 × 40 class map: a box of class 1, a ball of class 2 touching the box
 * (different class: separate), a diagonal chain of class 1 that touches only through corners
 * (one component under 26-connectivity, one per voxel under 6), and a single voxel of class 3
 * at the edge. */
static void
test_components (void)
{
  int64_t D = 20, H = 30, W = 40, n = D * H * W;
  g_autofree float *v = coded_volume (D, H, W);
  g_autofree uint8_t *lab = g_new0 (uint8_t, n);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsSamples) s = NULL;
  int64_t ball = 0;

#define AT(z, y, x) lab[((int64_t) (z) *H + (y)) * W + (x)]
  for (int z = 2; z <= 5; z++) /* box 4 × 5 × 6, centroid (3.5, 4, 7.5) → (4, 4, 8) */
    for (int y = 2; y <= 6; y++)
      for (int x = 5; x <= 10; x++)
        AT (z, y, x) = 1;
  for (int z = 0; z < D; z++) /* ball of radius 3 around (10, 15, 20) */
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        if ((z - 10) * (z - 10) + (y - 15) * (y - 15) + (x - 20) * (x - 20) <= 9)
          AT (z, y, x) = 2, ball++;
  for (int y = 7; y <= 9; y++) /* the ball's class beside the box's: does not merge with it */
    AT (3, y, 8) = 2;
  for (int i = 0; i < 5; i++) /* corner chain: (12..16, 20..24, 30..34), centroid (14, 22, 32) */
    AT (12 + i, 20 + i, 30 + i) = 1;
  AT (19, 29, 39) = 3;
#undef AT
  s = dls_samples_new (
      v, D, H, W, lab,
      &(DlsSampleArgs){ .mode = DLS_SAMPLING_COMPONENTS, .size = 8, .max_samples = 100 }, &error);
  g_assert_no_error (error);
  /* in Z, Y, X order of the first voxel: box, class-2 bar, ball, chain, the corner voxel */
  g_assert_cmpint (s->n, ==, 5);
  {
    static const int64_t pos[5][3]
        = { { 4, 4, 8 }, { 3, 8, 8 }, { 10, 15, 20 }, { 14, 22, 32 }, { 19, 29, 39 } };
    static const int cls[5] = { 1, 2, 2, 1, 3 };
    int64_t vox[5] = { 120, 3, ball, 5, 1 };

    for (int i = 0; i < 5; i++)
      {
        g_assert_cmpint (s->pos[3 * i], ==, pos[i][0]);
        g_assert_cmpint (s->pos[3 * i + 1], ==, pos[i][1]);
        g_assert_cmpint (s->pos[3 * i + 2], ==, pos[i][2]);
        g_assert_cmpint (s->label[i], ==, cls[i]);
        g_assert_cmpint (s->voxels[i], ==, vox[i]);
        assert_patch_at (s->patches + i * 64, 8, H, W, pos[i][0], pos[i][1], pos[i][2]);
      }
  }
  g_clear_pointer (&s, dls_samples_free);
  /* faces only: the chain falls apart into its 5 voxels */
  s = dls_samples_new (
      v, D, H, W, lab,
      &(DlsSampleArgs){ .mode = DLS_SAMPLING_COMPONENTS, .size = 8, .connectivity = 6 }, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->n, ==, 9);
  g_clear_pointer (&s, dls_samples_free);
  /* no labels: an error that says so */
  memset (lab, 0, n);
  s = dls_samples_new (v, D, H, W, lab, &(DlsSampleArgs){ .mode = DLS_SAMPLING_COMPONENTS },
                       &error);
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_assert_null (s);
  g_clear_error (&error);
  s = dls_samples_new (v, D, H, W, NULL, &(DlsSampleArgs){ .mode = DLS_SAMPLING_LABELS }, &error);
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "label image"));
}

static void
test_labels (void)
{
  int64_t D = 2, H = 10, W = 12;
  g_autofree float *v = coded_volume (D, H, W);
  g_autofree uint8_t *lab = g_new0 (uint8_t, D * H * W);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsSamples) s = NULL;

  for (int x = 0; x < 7; x++) /* 7 voxels of class 2 in slice 0, row 3; 2 of class 1 in slice 1 */
    lab[3 * W + x] = 2;
  lab[H * W + 5 * W + 5] = lab[H * W + 9 * W + 11] = 1;
  s = dls_samples_new (v, D, H, W, lab,
                       &(DlsSampleArgs){ .mode = DLS_SAMPLING_LABELS, .size = 6, .stride = 3 },
                       &error);
  g_assert_no_error (error);
  /* labelled voxels 0, 3, 6 of 9: x = 0, 3, 6 in row 3, then (1, 9, 11) */
  g_assert_cmpint (s->n, ==, 3);
  g_assert_cmpint (s->pos[2], ==, 0);
  g_assert_cmpint (s->pos[5], ==, 3);
  g_assert_cmpint (s->pos[8], ==, 6);
  g_assert_cmpint (s->label[0], ==, 2);
  g_clear_pointer (&s, dls_samples_free);
  s = dls_samples_new (v, D, H, W, lab, &(DlsSampleArgs){ .mode = DLS_SAMPLING_LABELS, .size = 6 },
                       &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->n, ==, 9);
  g_assert_cmpint (s->pos[3 * 8], ==, 1);
  g_assert_cmpint (s->pos[3 * 8 + 1], ==, 9);
  g_assert_cmpint (s->pos[3 * 8 + 2], ==, 11);
  g_assert_cmpint (s->label[8], ==, 1);
  assert_patch_at (s->patches + 8 * 36, 6, H, W, 1, 9, 11);
}

static void
test_pages (void)
{
  int64_t D = 5, H = 12, W = 9;
  g_autofree float *v = coded_volume (D, H, W);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsSamples) s = NULL;
  DlsSampling m;

  s = dls_samples_new (v, D, H, W, NULL, &(DlsSampleArgs){ .mode = DLS_SAMPLING_PAGES }, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->n, ==, 5);
  g_assert_cmpint (s->height, ==, 12);
  g_assert_cmpint (s->width, ==, 9);
  g_assert_cmpint (s->pos[3 * 4], ==, 4);
  g_assert_cmpint (s->pos[3 * 4 + 1], ==, 6);
  g_assert_cmpint (s->pos[3 * 4 + 2], ==, 4);
  g_assert_cmpmem (s->patches, D * H * W * sizeof (float), v, D * H * W * sizeof (float));
  /* with a class map: each page's most frequent non-zero class */
  {
    g_autofree uint8_t *lab = g_new0 (uint8_t, D * H * W);

    lab[0] = 3;                 /* page 0: one voxel of 3 */
    memset (lab + H * W, 2, 5); /* page 1: 5 of 2, 4 of 1 */
    memset (lab + H * W + 10, 1, 4);
    memset (lab + 2 * H * W, 4, 3); /* page 2: a tie of 3 of 4 and 3 of 1: the smaller */
    memset (lab + 2 * H * W + 20, 1, 3);
    g_clear_pointer (&s, dls_samples_free);
    s = dls_samples_new (v, D, H, W, lab, &(DlsSampleArgs){ .mode = DLS_SAMPLING_PAGES }, &error);
    g_assert_no_error (error);
    g_assert_nonnull (s->label);
    g_assert_cmpint (s->label[0], ==, 3);
    g_assert_cmpint (s->label[1], ==, 2);
    g_assert_cmpint (s->label[2], ==, 1);
    g_assert_cmpint (s->label[3], ==, 0);
  }
  g_assert_true (dls_sampling_from_name ("components", &m));
  g_assert_cmpint (m, ==, DLS_SAMPLING_COMPONENTS);
  g_assert_false (dls_sampling_from_name ("random", &m));
  g_assert_cmpstr (dls_sampling_name (DLS_SAMPLING_PAGES), ==, "pages");
}

/* ---- Embedding ------------------------------------------------------------------------------ */

/* Aligning: a shape turned and scaled comes out in one pose — its object centred, its long
 * axis along x, its root-mean-square radius a sixth of the patch — so two copies of a shape at
 * other angles and sizes match after aligning far better than before; a dark object on a bright
 * background aligns like the bright one. */
static void
moments (const float *im, int S, double *mx, double *my, double *cxx, double *cyy, double *r)
{
  double W = 0, x1 = 0, y1 = 0, xx = 0, yy = 0;

  for (int y = 0; y < S; y++)
    for (int x = 0; x < S; x++)
      if (im[y * S + x] > 0.5f)
        W++, x1 += x, y1 += y;
  x1 /= W, y1 /= W;
  for (int y = 0; y < S; y++)
    for (int x = 0; x < S; x++)
      if (im[y * S + x] > 0.5f)
        xx += (x - x1) * (x - x1), yy += (y - y1) * (y - y1);
  *mx = x1, *my = y1, *cxx = xx / W, *cyy = yy / W, *r = sqrt ((xx + yy) / W);
}

static double
correlation (const float *a, const float *b, int64_t n)
{
  double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;

  for (int64_t i = 0; i < n; i++)
    ma += a[i], mb += b[i];
  ma /= n, mb /= n;
  for (int64_t i = 0; i < n; i++)
    sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma),
        sbb += (b[i] - mb) * (b[i] - mb);
  return sab / sqrt (saa * sbb);
}

static void
test_align (void)
{
  enum { N = 64, S = 48 };
  g_autofree float *img = g_new (float, N * S * S), *al = g_new (float, N * S * S);
  g_autofree float *neg = g_new (float, S * S), *neg_al = g_new (float, S * S);
  g_autofree uint8_t *maps = g_new (uint8_t, N * S * S), *cls = g_new (uint8_t, N);
  g_autoptr (GError) error = NULL;
  int first[5] = { -1, -1, -1, -1, -1 };
  double raw_sum = 0, al_sum = 0;
  int pairs = 0;

  g_assert_true (dls_synth_shapes (&(DlsSynthShapesArgs){ N, S, 0.0, 3 }, img, NULL, maps, cls,
                                   &error));
  for (int i = 0; i < N; i++)
    {
      double mx, my, cxx, cyy, r;

      dls_sample_align (img + i * S * S, S, S, al + i * S * S);
      moments (al + i * S * S, S, &mx, &my, &cxx, &cyy, &r);
      g_assert_cmpfloat (fabs (mx - (S - 1) / 2.0), <, 1.0);
      g_assert_cmpfloat (fabs (my - (S - 1) / 2.0), <, 1.0);
      g_assert_cmpfloat (fabs (r - S / 6.0), <, 0.1 * S / 6.0);
      if (cls[i] == 1) /* rectangles: the long axis along x */
        g_assert_cmpfloat (cxx, >, 2 * cyy);
      /* rectangles and triangles against the first of their class */
      if (cls[i] != 1 && cls[i] != 3)
        continue;
      if (first[cls[i]] < 0)
        {
          first[cls[i]] = i;
          continue;
        }
      raw_sum += correlation (img + i * S * S, img + first[cls[i]] * S * S, S * S);
      al_sum += correlation (al + i * S * S, al + first[cls[i]] * S * S, S * S);
      pairs++;
    }
  g_assert_cmpint (pairs, >, 10);
  g_test_message ("align: mean correlation with the first of the class %.3f raw, %.3f aligned",
                  raw_sum / pairs, al_sum / pairs);
  g_assert_cmpfloat (al_sum / pairs, >, 0.85);
  g_assert_cmpfloat (al_sum / pairs, >, raw_sum / pairs + 0.2);

  /* dark on bright aligns the same */
  for (int k = 0; k < S * S; k++)
    neg[k] = 1.0f - img[k];
  dls_sample_align (neg, S, S, neg_al);
  for (int k = 0; k < S * S; k++)
    g_assert_cmpfloat (fabs ((1.0f - neg_al[k]) - al[k]), <, 1e-4);
  /* nothing to align: unchanged */
  for (int k = 0; k < S * S; k++)
    neg[k] = 0.25f;
  dls_sample_align (neg, S, S, neg_al);
  g_assert_cmpmem (neg, S * S * sizeof (float), neg_al, S * S * sizeof (float));
}

/* DLSIA's shapes, rotated at random and of random size.  Unaligned, an MSAE's latent vectors
 * hold rotation and size as much as the class (k-means on them: ARI ≈ 0.14 here; README has
 * the figures).  Aligned (DlsSampleArgs.align), the shapes come out: the bar is an
 * adjusted Rand index of 0.8 for clusters of the latent vectors against the four classes. */
#define SHAPES_N     800
#define SHAPES_NOISE 0.15

/* HDBSCAN's noise (−1) counts as one more cluster. */
static double
ari_with_noise (const int *labels, const int *truth, int64_t n, int C)
{
  g_autofree int *l = g_new (int, n);

  for (int64_t i = 0; i < n; i++)
    l[i] = labels[i] < 0 ? C : labels[i];
  return dls_adjusted_rand_index (l, truth, n);
}

static void
test_shapes (void)
{
  int64_t N = SHAPES_N, S = 32, hw = S * S;
  g_autofree float *img = g_new (float, N *hw), *map = g_new (float, 2 * N);
  g_autofree uint8_t *maps = g_new (uint8_t, N * hw), *cls = g_new (uint8_t, N);
  g_autofree int *truth = g_new (int, N), *lab = g_new (int, N);
  g_autofree float *lat = NULL, *lat2 = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsSamples) s = NULL;
  DlsTrainResult r;
  DlsModel *m;
  double ari_lat, ari_km, ari_hd;
  int L = 0, L2 = 0, C;

  g_assert_true (dls_synth_shapes (&(DlsSynthShapesArgs){ N, (int) S, SHAPES_NOISE, 5 }, img, NULL,
                                   maps, cls, &error));
  s = dls_samples_new (img, N, S, S, NULL,
                       &(DlsSampleArgs){ .mode = DLS_SAMPLING_PAGES, .align = TRUE }, &error);
  g_assert_no_error (error);
  m = dls_embed_train (s, &(DlsEmbedTrainArgs){ .epochs = 10, .base = 8, .seed = 1 }, &r, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  g_assert_cmpint (m->config.arch, ==, DLS_ARCH_MSAE);
  g_assert_true (m->config.norm_set);
  lat = dls_embed_encode (m, s, &L, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (L, ==, 16);
  /* encoding is deterministic */
  lat2 = dls_embed_encode (m, s, &L2, NULL, NULL, NULL, &error);
  g_assert_cmpmem (lat, N * L * sizeof (float), lat2, N * L2 * sizeof (float));
  for (int64_t i = 0; i < N; i++)
    truth[i] = cls[i];
  /* k-means (k = 4) on the standardised latent vectors */
  C = dls_embed_map (lat, N, L,
                     &(DlsEmbedMapArgs){ .map = DLS_EMBED_MAP_PCA,
                                         .cluster = DLS_EMBED_CLUSTER_KMEANS,
                                         .k = 4,
                                         .on_latent = TRUE,
                                         .seed = 1 },
                     map, lab, &error);
  g_assert_no_error (error);
  g_assert_cmpint (C, ==, 4);
  ari_lat = dls_adjusted_rand_index (lab, truth, N);
  /* the UMAP map, then k-means (k = 4) or HDBSCAN on it */
  C = dls_embed_map (lat, N, L,
                     &(DlsEmbedMapArgs){ .map = DLS_EMBED_MAP_UMAP,
                                         .cluster = DLS_EMBED_CLUSTER_KMEANS,
                                         .k = 4,
                                         .n_neighbors = 30,
                                         .seed = 1 },
                     map, lab, &error);
  g_assert_no_error (error);
  ari_km = dls_adjusted_rand_index (lab, truth, N);
  C = dls_embed_map (lat, N, L,
                     &(DlsEmbedMapArgs){ .map = DLS_EMBED_MAP_UMAP,
                                         .cluster = DLS_EMBED_CLUSTER_HDBSCAN,
                                         .n_neighbors = 30,
                                         .min_cluster_size = (int) N / 40,
                                         .seed = 1 },
                     map, lab, &error);
  g_assert_no_error (error);
  g_assert_cmpint (C, >=, 2);
  ari_hd = ari_with_noise (lab, truth, N, C);
  g_test_message ("aligned shapes (%d, noise %.2f): reconstruction CC %.4f in %.1f s; ARI: k-means "
                  "(k = 4) on the latent vectors %.3f, on the UMAP map %.3f; HDBSCAN on the map "
                  "%.3f (%d clusters)",
                  SHAPES_N, SHAPES_NOISE, r.best_cc, r.seconds, ari_lat, ari_km, ari_hd, C);
  g_assert_cmpfloat (r.best_cc, >, 0.9);
  g_assert_cmpfloat (ari_lat, >=, 0.8);
  g_assert_cmpfloat (MAX (ari_km, ari_hd), >, 0.5);
  dls_model_free (m);
}

static void
test_refusals (void)
{
  g_autofree float *img = g_new0 (float, 5 * 16 * 16);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsSamples) s = NULL, big = NULL;
  g_autofree float *lat = NULL;
  DlsModel *m;
  int L = 0;

  for (int i = 0; i < 5 * 16 * 16; i++)
    img[i] = (float) (i % 7);
  s = dls_samples_new (img, 3, 16, 16, NULL, &(DlsSampleArgs){ .mode = DLS_SAMPLING_PAGES },
                       &error);
  g_assert_no_error (error);
  m = dls_embed_train (s, &(DlsEmbedTrainArgs){ .epochs = 1 }, NULL, &error);
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "at least 4"));
  g_assert_null (m);
  g_clear_error (&error);
  g_clear_pointer (&s, dls_samples_free);
  s = dls_samples_new (img, 5, 16, 16, NULL, &(DlsSampleArgs){ .mode = DLS_SAMPLING_PAGES },
                       &error);
  m = dls_embed_train (s, &(DlsEmbedTrainArgs){ .epochs = 1, .latent = 4, .base = 4, .seed = 2 },
                       NULL, &error);
  g_assert_no_error (error);
  /* a model for 16 × 16 does not take 32 × 32 patches */
  big = dls_samples_new (img, 1, 16, 16, NULL,
                         &(DlsSampleArgs){ .mode = DLS_SAMPLING_GRID, .size = 32 }, &error);
  g_assert_no_error (error);
  lat = dls_embed_encode (m, big, &L, NULL, NULL, NULL, &error);
  g_assert_error (error, DLS_ERROR, DLS_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "16 × 16"));
  g_assert_null (lat);
  g_clear_error (&error);
  /* a cancelled encoding */
  {
    volatile int cancel = 1;

    lat = dls_embed_encode (m, s, &L, &cancel, NULL, NULL, &error);
    g_assert_error (error, DLS_ERROR, DLS_ERROR_CANCELLED);
    g_assert_null (lat);
    g_clear_error (&error);
  }
  /* the SparseAutoEncoder option */
  dls_model_free (m);
  m = dls_embed_train (
      s, &(DlsEmbedTrainArgs){ .sparse = TRUE, .epochs = 1, .latent = 6, .layers = 3, .seed = 2 },
      NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (m->config.arch, ==, DLS_ARCH_SAE);
  lat = dls_embed_encode (m, s, &L, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (L, ==, 6);
  dls_model_free (m);
  /* a map needs 3 samples; k-means at most n clusters */
  {
    float x[4] = { 0, 1, 2, 3 }, mp[8];
    int c[4];

    g_assert_cmpint (dls_embed_map (x, 2, 2, &(DlsEmbedMapArgs){ 0 }, mp, c, &error), ==, -1);
    g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
    g_clear_error (&error);
    g_assert_cmpint (dls_embed_map (x, 4, 1,
                                    &(DlsEmbedMapArgs){ .map = DLS_EMBED_MAP_PCA,
                                                        .cluster = DLS_EMBED_CLUSTER_KMEANS,
                                                        .k = 5 },
                                    mp, c, &error),
                     ==, -1);
    g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  dls_engine_set_threads (2);
  g_test_add_func ("/latent/samples/grid", test_grid);
  g_test_add_func ("/latent/samples/reflection", test_reflection);
  g_test_add_func ("/latent/samples/components", test_components);
  g_test_add_func ("/latent/samples/labels", test_labels);
  g_test_add_func ("/latent/samples/pages", test_pages);
  g_test_add_func ("/latent/embed/refusals", test_refusals);
  g_test_add_func ("/latent/embed/align", test_align);
  g_test_add_func ("/latent/embed/shapes", test_shapes);
  return g_test_run ();
}
