/* SPDX-License-Identifier: MIT
 *
 * samples.h: the samples of a latent space — square 2-D patches cut from the XY slices of a
 * volume, each with the position of its centre (z, y, x) and, where there is one, a label.
 * Four ways to choose them:
 *   - grid:       patches on a regular grid in every stride-th slice, centred in the volume;
 *   - labels:     one patch around every stride-th labelled voxel (Z, Y, X order) of a label
 *                 volume, labelled with its class;
 *   - components: one patch per connected component of a class map (voxels of one class that
 *                 touch through faces, edges or corners — 26-connectivity — or faces only, 6),
 *                 centred on the component's centroid rounded to a voxel (a curved fibre's
 *                 centroid may lie outside the fibre), labelled with the component's class;
 *   - pages:      every page of a stack is one sample, whole (the reader already refuses pages
 *                 of unequal size).
 * Patches that cross the volume's edge are filled by reflection (numpy's "reflect": the edge
 * voxel is not repeated).  Memory: n × size² floats of raw values.
 *
 * Aligning (optional) puts every patch's object into one pose before it is embedded, the way
 * particle images are aligned before they are classified: the object (the pixels further from
 * the patch's median than half the largest deviation, bright or dark, whichever deviates more)
 * is moved to the centre, turned so that its long axis runs along x (the signs of its third
 * moments fixed, so that a shape and its turned copy match), and scaled to a root-mean-square
 * radius of a sixth of the patch.  Where an autoencoder's latent vectors would otherwise hold
 * an object's rotation and size more than its shape, they then hold its shape.
 *
 * What it deliberately does not do: 3-D patches, resampling (but for aligning), normalisation
 * of values (the model's config does that), more than one channel.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef enum {
  DLS_SAMPLING_GRID,
  DLS_SAMPLING_LABELS,
  DLS_SAMPLING_COMPONENTS,
  DLS_SAMPLING_PAGES,
  DLS_SAMPLING_COUNT,
} DlsSampling;

/* "grid", "labels", "components", "pages" */
const char *dls_sampling_name      (DlsSampling s);
gboolean    dls_sampling_from_name (const char *name, DlsSampling *s);

/* Refused beyond this many samples unless the args raise it. */
#define DLS_SAMPLES_DEFAULT_MAX 1000000

typedef struct {
  DlsSampling mode;
  int         size;          /* patch side, 32 when 0 (pages: ignored, the page is the sample) */
  int         stride;        /* grid: pixels between centres in Y and X (size when 0);
                              * labels: every stride-th labelled voxel (1 when 0) */
  int         stride_z;      /* grid: slices between sampled slices, 1 when 0 */
  int         connectivity;  /* components: 26 (0) or 6 */
  int64_t     max_samples;   /* DLS_SAMPLES_DEFAULT_MAX when 0 */
  gboolean    align;         /* each patch's object centred, turned and scaled (see above) */
} DlsSampleArgs;

typedef struct {
  int64_t  n;
  int      height, width;  /* of every patch: size × size, or the page */
  float   *patches;        /* n × height × width raw values */
  int64_t *pos;            /* n × 3: z, y, x of the patch centre (the voxel at row height / 2,
                            * column width / 2 of the patch) */
  int     *label;          /* n classes, when there is a label image, else NULL: the class of
                            * the voxel (labels), of the component (components), at the
                            * centre (grid), the most frequent non-zero one (pages; 0: none) */
  int64_t *voxels;         /* components: n voxel counts; NULL otherwise */
} DlsSamples;

/* volume: depth × height × width raw values; labels (the same size, 0 = none) are needed for
 * labels and components, and give grid and pages samples their label when present.  Fails with DLS_ERROR_ARGUMENT (a message that
 * names the reason) for bad arguments, no samples, or more than max_samples of them. */
DlsSamples *dls_samples_new  (const float   *volume,
                              int64_t        depth,
                              int64_t        height,
                              int64_t        width,
                              const uint8_t *labels,
                              const DlsSampleArgs *args,
                              GError       **error);
void        dls_samples_free (DlsSamples *s);

/* One h × w patch aligned as described above into out (h × w; not in); a patch without an
 * object (all values equal) is copied unchanged.  Values outside the patch read as its median. */
void        dls_sample_align (const float *in, int h, int w, float *out);

/* Copies the size × size patch centred at (z, cy, cx) of a depth × height × width volume
 * (rows cy − size/2 … cy − size/2 + size − 1), reflecting at the edges. */
void        dls_samples_cut  (const float *volume,
                              int64_t      height,
                              int64_t      width,
                              int64_t      z,
                              int64_t      cy,
                              int64_t      cx,
                              int          size,
                              float       *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsSamples, dls_samples_free)

G_END_DECLS
