/* SPDX-License-Identifier: MIT
 *
 * synth.h: synthetic data with ground truth for the paper's three applications — a fibre-
 * reinforced concrete tomogram with full and sparse labels (segmentation), X-ray scattering
 * images with detector-gap masks (inpainting), and DLSIA's four random shapes (latent spaces and
 * classification).  Every generator is a pure function of its arguments: the same seed gives the
 * same bytes on every run and machine build, and the caller allocates the outputs.
 *
 * What it deliberately does not do: simulate physics (no projections, reconstruction artefacts
 * or form factors), threads, or I/O (the `dlsia synth` command writes the TIFFs).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* ---- Fibre-reinforced concrete ---------------------------------------------------------------
 * A uint16 volume Z × Y × X: a grainy cement matrix with slow variations of brightness, bright
 * aggregates of varied size, dark pores, and thin straight fibres (radius 1.5–3 voxels, random
 * 3-D orientations, long enough to cross most of the volume) a little brighter than the matrix,
 * blurred a little, with noise that grows with the signal.  Grey levels: pores ≈ 9000, paste
 * ≈ 23000 (noise σ ≈ 2000), fibres ≈ 27000, stone ≈ 34000.  128 × 256 × 256 takes about a
 * second on one core.
 *
 * truth:  1 = not fibre, 2 = fibre, at every voxel.
 * sparse: 0 = unlabelled; 2 along the cores of a quarter of the fibres (2 to 6, fewer when
 *         there are fewer) over their length inside the volume; 1 along short strokes painted in
 *         XY slices through matrix, aggregates and pores, away from every fibre.  About
 *         0.2–0.5 % of the voxels; every label agrees with truth.
 */
#define DLS_SYNTH_FIBERS_MAX_MARKED 6

typedef struct {
  int64_t  depth, height, width;  /* each at least 8 */
  uint64_t seed;
  int      n_fibers;              /* 0: dls_synth_fibers_default_count() */
} DlsSynthFibersArgs;

/* About 1.5 % of the volume in fibres (49 at 128 × 256 × 256). */
int      dls_synth_fibers_default_count (int64_t depth, int64_t height, int64_t width);
/* volume, truth and sparse hold depth × height × width values each.  FALSE with
 * DLS_ERROR_ARGUMENT for a bad size or count, DLS_ERROR_MEMORY when the float work volume cannot
 * be allocated. */
gboolean dls_synth_fibers               (const DlsSynthFibersArgs *a,
                                         uint16_t                 *volume,
                                         uint8_t                  *truth,
                                         uint8_t                  *sparse,
                                         GError                  **error);

/* ---- X-ray scattering ------------------------------------------------------------------------
 * count images of size × size photon counts (float32, whole numbers ≥ 0): a power-law diffuse
 * background around a beam centre, powder rings of random radius, width and texture, a few
 * Bragg-like peaks, a beam stop disc with its arm (a thousandth gets through), Poisson noise;
 * counts run from 0 to 10⁴–10⁵.  masks: 1 = a pixel in a detector gap, 0 = measured: the module
 * grid of a Pilatus 1M (487 × 195-pixel modules, gaps of 7 and 17 pixels) scaled to the image,
 * shifted at random in each image, about 9 % of the pixels.  The images hold the true values in
 * the gaps too: they are the ground truth of inpainting.
 */
typedef struct {
  int64_t  count;   /* ≥ 1 */
  int64_t  size;    /* 32–8192 */
  uint64_t seed;
} DlsSynthScatteringArgs;

/* images and masks hold count × size × size values.  Image i depends on the seed and i only. */
gboolean dls_synth_scattering           (const DlsSynthScatteringArgs *a,
                                         float                        *images,
                                         uint8_t                      *masks,
                                         GError                      **error);

/* ---- DLSIA's random shapes -------------------------------------------------------------------
 * test_data/two_d/random_shapes.py: class 1 rectangle (half-extents .10–.20 × .30–.40 of the
 * side), 2 disc (radius .10–.40), 3 right isosceles triangle (legs 2 × .10–.35, the upper
 * triangle of a centred square), 4 annulus (radius .10–.40, ring width .20–.70 of the radius);
 * drawn centred, rotated by a uniform angle with bilinear interpolation (skimage's rotate), plus
 * U(0, noise) per pixel.  Unlike DLSIA the classes are exactly balanced (count / 4 each, ±1) and
 * shuffled.
 */
#define DLS_SYNTH_SHAPE_CLASSES 4

typedef struct {
  int64_t  count;   /* ≥ 1 */
  int      size;    /* 0: 32 (the notebooks' n_xy); 8–1024 */
  double   noise;   /* ≥ 0; 0.5 in the latent-space notebook, 0.15 in the labeling one */
  uint64_t seed;
} DlsSynthShapesArgs;

/* images (noisy) and clean are count × size × size float32, class_maps the same in uint8:
 * (clean > .5) · class, DLSIA's ClassImage; classes holds count values 1..4.  clean may be NULL. */
gboolean dls_synth_shapes               (const DlsSynthShapesArgs *a,
                                         float                    *images,
                                         float                    *clean,
                                         uint8_t                  *class_maps,
                                         uint8_t                  *classes,
                                         GError                  **error);
/* "rectangle", "disc", "triangle", "annulus" for 1..4; NULL otherwise. */
const char *dls_synth_shape_name        (int cls);

G_END_DECLS
