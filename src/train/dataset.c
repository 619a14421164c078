/* SPDX-License-Identifier: MIT
 *
 * dataset.c: patches with labelled pixels, the seeded train/validation split of those pixels,
 * and the eight flips/rotations of a square patch.
 *
 * Patch positions are a half-overlapping grid over each slice (the last row and column of the
 * grid touch the far edges), kept when they hold at least one labelled pixel.  A pixel's
 * split is a hash of (seed, its index in the volume), so it does not change with the patch it
 * is seen in or with the axis.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"

typedef struct
{
  int32_t axis, slice, y0, x0;
} PatchPos;

struct _DlsDataset
{
  const DlsVolume *v;
  const DlsLabels *l;
  int K, P;
  double val_fraction;
  uint64_t seed;
  GArray *pos; /* PatchPos */
  int64_t n_train, n_val;
};

void
dls_dataset_free (DlsDataset *ds)
{
  if (ds == NULL)
    return;
  if (ds->pos)
    g_array_unref (ds->pos);
  g_free (ds);
}

gboolean
dls_dataset_split_is_validation (uint64_t seed, double val_fraction, int64_t voxel)
{
  if (val_fraction <= 0)
    return FALSE;
  return (double) (dls_hash64 (seed * 0x9e3779b97f4a7c15ULL + (uint64_t) voxel) >> 11)
             * (1.0 / 9007199254740992.0)
         < val_fraction;
}

static gboolean
is_validation (const DlsDataset *ds, int64_t voxel)
{
  return dls_dataset_split_is_validation (ds->seed, ds->val_fraction, voxel);
}

/* Slice geometry: the (rows, cols) of a slice along an axis, and the voxel index of (r, c). */
static void
slice_dims (const DlsDataset *ds, int axis, int64_t *rows, int64_t *cols, int64_t *n_slices)
{
  const DlsLabels *l = ds->l;

  switch (axis)
    {
    case DLS_AXIS_Z:
      *n_slices = l->depth, *rows = l->height, *cols = l->width;
      break;
    case DLS_AXIS_Y:
      *n_slices = l->height, *rows = l->depth, *cols = l->width;
      break;
    default:
      *n_slices = l->width, *rows = l->depth, *cols = l->height;
      break;
    }
}

static inline int64_t
voxel (const DlsDataset *ds, int axis, int64_t s, int64_t r, int64_t c)
{
  int64_t H = ds->l->height, W = ds->l->width;

  switch (axis)
    {
    case DLS_AXIS_Z:
      return (s * H + r) * W + c;
    case DLS_AXIS_Y:
      return (r * H + s) * W + c;
    default:
      return (r * H + c) * W + s;
    }
}

static void
add_positions (DlsDataset *ds, int axis)
{
  int64_t rows, cols, n_slices;
  int P = ds->P, step = MAX (1, P / 2);

  slice_dims (ds, axis, &rows, &cols, &n_slices);
  if (rows < P || cols < P)
    return;
  for (int64_t s = 0; s < n_slices; s++)
    {
      gboolean any = FALSE;

      for (int64_t r = 0; r < rows && !any; r++)
        for (int64_t c = 0; c < cols && !any; c++)
          any = ds->l->data[voxel (ds, axis, s, r, c)] != 0;
      if (!any)
        continue;
      for (int64_t y0 = 0;; y0 += step)
        {
          y0 = MIN (y0, rows - P);
          for (int64_t x0 = 0;; x0 += step)
            {
              gboolean hit = FALSE;

              x0 = MIN (x0, cols - P);
              for (int y = 0; y < P && !hit; y++)
                for (int x = 0; x < P && !hit; x++)
                  hit = ds->l->data[voxel (ds, axis, s, y0 + y, x0 + x)] != 0;
              if (hit)
                g_array_append_val (ds->pos,
                                    ((PatchPos){ axis, (int32_t) s, (int32_t) y0, (int32_t) x0 }));
              if (x0 == cols - P)
                break;
            }
          if (y0 == rows - P)
            break;
        }
    }
}

DlsDataset *
dls_dataset_new (const DlsVolume *v, const DlsLabels *l, int n_classes, const DlsDatasetArgs *args,
                 GError **error)
{
  g_autoptr (DlsDataset) ds = g_new0 (DlsDataset, 1);
  int64_t n = l->depth * l->height * l->width;
  int64_t per_class[256] = { 0 };
  int present = 0, bad = -1;
  int64_t bad_at = 0;

  if (v->depth != l->depth || v->height != l->height || v->width != l->width)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE,
                   "the labels are %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                   " (Z × Y × X) but the volume is %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                   " × %" G_GINT64_FORMAT,
                   l->depth, l->height, l->width, v->depth, v->height, v->width);
      return NULL;
    }
  if (n_classes < 1 || n_classes > 255)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "%d classes: need 1 to 255", n_classes);
      return NULL;
    }
  for (int64_t i = 0; i < n; i++)
    {
      per_class[l->data[i]]++;
      if (l->data[i] > n_classes && bad < 0)
        {
          bad = l->data[i];
          bad_at = i;
        }
    }
  if (bad >= 0)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "the labels hold class %d (first at z %" G_GINT64_FORMAT ", y %" G_GINT64_FORMAT
                   ", x %" G_GINT64_FORMAT ") but the model has %d classes",
                   bad, bad_at / (l->height * l->width), bad_at / l->width % l->height,
                   bad_at % l->width, n_classes);
      return NULL;
    }
  for (int k = 1; k <= n_classes; k++)
    present += per_class[k] > 0;
  if (present == 0)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "no pixel is labelled: paint some pixels of each class first");
      return NULL;
    }
  if (present < 2 && n_classes > 1)
    {
      int only = 1;

      while (per_class[only] == 0)
        only++;
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "only class %d is labelled: label pixels of at least two classes", only);
      return NULL;
    }
  ds->v = v;
  ds->l = l;
  ds->K = n_classes;
  ds->P = args && args->patch > 0 ? args->patch : 64;
  ds->val_fraction = args ? (args->val_fraction == 0 ? 0.2 : MAX (0, args->val_fraction)) : 0.2;
  ds->seed = args ? args->seed : 0;
  if (l->height < ds->P || l->width < ds->P)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE,
                   "the slices (%" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                   ") are smaller than the %d × %d training patch; choose a smaller patch",
                   l->width, l->height, ds->P, ds->P);
      return NULL;
    }
  ds->pos = g_array_new (FALSE, FALSE, sizeof (PatchPos));
  add_positions (ds, DLS_AXIS_Z);
  if (args && args->use_xz)
    add_positions (ds, DLS_AXIS_Y);
  if (args && args->use_yz)
    add_positions (ds, DLS_AXIS_X);
  for (int64_t i = 0; i < n; i++)
    if (l->data[i])
      {
        if (is_validation (ds, i))
          ds->n_val++;
        else
          ds->n_train++;
      }
  if (ds->n_train == 0)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "every labelled pixel went to validation: label more pixels");
      return NULL;
    }
  return g_steal_pointer (&ds);
}

gboolean
dls_dataset_is_validation (DlsDataset *ds, int64_t voxel)
{
  return is_validation (ds, voxel);
}

int
dls_dataset_n_patches (DlsDataset *ds)
{
  return (int) ds->pos->len;
}

int
dls_dataset_patch_size (DlsDataset *ds)
{
  return ds->P;
}

int64_t
dls_dataset_n_labelled (DlsDataset *ds, gboolean validation)
{
  return validation ? ds->n_val : ds->n_train;
}

void
dls_dataset_get (DlsDataset *ds, int i, int aug, float *image, int32_t *train_labels,
                 int32_t *val_labels)
{
  PatchPos p = g_array_index (ds->pos, PatchPos, i);
  const DlsVolume *v = ds->v;
  int P = ds->P, C = v->channels;
  int64_t H = v->height, W = v->width, plane = H * W;

  for (int y = 0; y < P; y++)
    for (int x = 0; x < P; x++)
      {
        /* (y, x) of the output reads (sy, sx) of the slice */
        int sy = y, sx = x;
        int64_t vox;
        int lab;

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
        vox = voxel (ds, p.axis, p.slice, p.y0 + sy, p.x0 + sx);
        for (int c = 0; c < C; c++)
          {
            int64_t z = vox / plane, rest = vox % plane;

            image[(int64_t) c * P * P + y * P + x] = v->data[(z * C + c) * plane + rest];
          }
        lab = ds->l->data[vox];
        if (lab && is_validation (ds, vox))
          {
            if (train_labels)
              train_labels[y * P + x] = -1;
            if (val_labels)
              val_labels[y * P + x] = lab - 1;
          }
        else
          {
            if (train_labels)
              train_labels[y * P + x] = lab ? lab - 1 : -1;
            if (val_labels)
              val_labels[y * P + x] = -1;
          }
      }
}

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *) a, y = *(const float *) b;

  return x < y ? -1 : x > y;
}

void
dls_volume_percentiles (const float *data, int64_t n, double p_low, double p_high, double *low,
                        double *high)
{
  int64_t m = MIN (n, 4000000), k = 0;
  g_autofree float *s = g_new (float, MAX (m, 1));
  double step = (double) n / MAX (m, 1);

  for (int64_t i = 0; i < m; i++)
    {
      float x = data[(int64_t) (i * step)];

      if (isfinite (x))
        s[k++] = x;
    }
  if (k == 0)
    {
      *low = 0;
      *high = 1;
      return;
    }
  qsort (s, k, sizeof (float), cmp_float);
  *low = s[(int64_t) CLAMP (p_low / 100.0 * (k - 1) + 0.5, 0, k - 1)];
  *high = s[(int64_t) CLAMP (p_high / 100.0 * (k - 1) + 0.5, 0, k - 1)];
  if (!(*high > *low))
    *high = *low + 1;
}
