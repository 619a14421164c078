/* SPDX-License-Identifier: MIT
 *
 * segment.c: dls_train_segmentation(), the segmentation job behind `dlsia train` and the app's
 * Train button (see segment.h).  The normalised copy of the volume lives only while the
 * members train; calibration reads the raw volume, because the predictor normalises with each
 * model's own mapping.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "predict.h"
#include "segment.h"

gboolean
dls_segment_calibrate (DlsModel **models, int n, const DlsVolume *raw, const DlsLabels *labels,
                       DlsDataset *ds, double alpha, const volatile int *cancel, DlsConformal *out,
                       GError **error)
{
  g_autoptr (DlsEnsemblePredictor) p = dls_ensemble_predictor_new (models, n, NULL);
  int K = models[0]->config.out_channels, C = raw->channels;
  int64_t H = raw->height, W = raw->width, hw = H * W;
  g_autofree float *mean = g_new (float, K *hw);
  g_autofree uint8_t *val = g_new (uint8_t, hw);
  DlsConformalBuilder *b = dls_conformal_builder_new (K);

  for (int64_t z = 0; z < raw->depth; z++)
    {
      gboolean any = FALSE;

      for (int64_t i = 0; i < hw; i++)
        {
          uint8_t l = labels->data[z * hw + i];

          val[i] = l && dls_dataset_is_validation (ds, z * hw + i) ? l : 0;
          any |= val[i] != 0;
        }
      if (!any)
        continue;
      if (!dls_ensemble_predictor_run (p, raw->data + z * C * hw, (int) H, (int) W, mean, NULL,
                                       cancel, error))
        {
          dls_conformal_builder_free (b);
          return FALSE;
        }
      dls_conformal_builder_add (b, mean, val, hw);
    }
  return dls_conformal_builder_finish (b, alpha, out, error);
}

/* The members' configs: SMSNets draw their graphs together (bounded, distinct), the others
 * differ by seed only.  Returns n configs to clear and free. */
static DlsModelConfig *
member_configs (const DlsSegmentArgs *a, int C, int K, int patch, float lo, float hi, int n,
                GError **error)
{
  DlsModelConfig base;
  DlsModelConfig *cfgs;

  dls_model_config_init (&base, a->arch);
  base.in_channels = C;
  base.out_channels = K;
  base.seed = a->seed;
  base.norm_set = TRUE;
  base.norm_low = lo;
  base.norm_high = hi;
  base.norm_p_low = a->p_low;
  base.norm_p_high = a->p_high;
  base.norm_log = a->log_transform;
  base.batchnorm = !a->no_batchnorm;
  if (a->arch == DLS_ARCH_SMSNET && a->layers)
    base.sms.layers = a->layers;
  if (a->arch == DLS_ARCH_MSDNET)
    base.num_layers = a->layers ? a->layers : 50;
  if (a->arch == DLS_ARCH_TUNET)
    {
      base.image_shape[0] = base.image_shape[1] = patch;
      if (a->depth)
        base.depth = a->depth;
      if (a->base)
        base.base_channels = a->base;
    }
  if (a->arch == DLS_ARCH_SMSNET)
    cfgs = dls_ensemble_configs (&base, &(DlsEnsembleArgs){ .n_networks = n }, error);
  else
    {
      cfgs = g_new (DlsModelConfig, n);
      for (int k = 0; k < n; k++)
        {
          dls_model_config_copy (&cfgs[k], &base);
          cfgs[k].seed = a->seed + (uint64_t) k;
        }
    }
  dls_model_config_clear (&base);
  return cfgs;
}

gboolean
dls_train_segmentation (const DlsVolume *raw, const DlsLabels *labels, int n_classes,
                        const DlsSegmentArgs *args, DlsSegmentResult *result, GError **error)
{
  DlsSegmentArgs a = *args;
  int64_t n = raw->depth * raw->channels * raw->height * raw->width;
  int min_side = (int) MIN (raw->height, raw->width);
  g_autofree float *norm = NULL;
  g_autoptr (DlsDataset) ds = NULL;
  DlsModelConfig *cfgs = NULL;
  DlsVolume volume;
  double lo, hi;
  int entered = 0;
  gboolean ok = TRUE;

  memset (result, 0, sizeof *result);
  if (a.arch != DLS_ARCH_SMSNET && a.arch != DLS_ARCH_MSDNET && a.arch != DLS_ARCH_TUNET)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "%s is not a segmentation network; use smsnet, msdnet or tunet",
                   dls_arch_name (a.arch));
      return FALSE;
    }
  if (a.ensemble <= 0)
    a.ensemble = 1;
  if (a.p_low == 0 && a.p_high == 0)
    a.p_high = 99, a.p_low = 1;
  if (a.alpha == 0)
    a.alpha = 0.1;
  if (a.patch <= 0)
    a.patch = 64;
  if (a.epochs <= 0 && !(a.time_budget > 0))
    a.epochs = 20;

  norm = g_try_new (float, n);
  if (norm == NULL)
    {
      g_set_error_literal (error, DLS_ERROR, DLS_ERROR_MEMORY,
                           "not enough memory for a normalised copy of the volume");
      return FALSE;
    }
  /* percentiles of the (log-)values, then the very mapping prediction applies */
  for (int64_t i = 0; i < n; i++)
    norm[i] = a.log_transform ? log1pf (MAX (raw->data[i], 0.0f)) : raw->data[i];
  dls_volume_percentiles (norm, n, a.p_low, a.p_high, &lo, &hi);
  dls_config_normalize (&(DlsModelConfig){ .norm_set = TRUE,
                                           .norm_low = lo,
                                           .norm_high = hi,
                                           .norm_log = a.log_transform },
                        raw->data, norm, n);
  volume = *raw;
  volume.data = norm;
  ds = dls_dataset_new (&volume, labels, n_classes,
                        &(DlsDatasetArgs){ .patch = MIN (a.patch, min_side),
                                           .val_fraction = a.val_fraction > 0 ? a.val_fraction
                                                           : a.val_fraction < 0 ? -1
                                                                                : 0.2,
                                           .use_xz = a.use_xz,
                                           .use_yz = a.use_yz,
                                           .seed = a.seed },
                        error);
  if (ds == NULL)
    return FALSE;
  result->info = (DlsSegmentInfo){ .n_train = dls_dataset_n_labelled (ds, FALSE),
                                   .n_val = dls_dataset_n_labelled (ds, TRUE),
                                   .n_patches = dls_dataset_n_patches (ds),
                                   .patch = dls_dataset_patch_size (ds),
                                   .n_classes = n_classes,
                                   .norm_low = lo,
                                   .norm_high = hi };
  if (a.info)
    a.info (&result->info, a.user_data);

  cfgs = member_configs (&a, raw->channels, n_classes, dls_dataset_patch_size (ds), lo, hi,
                         a.ensemble, error);
  if (cfgs == NULL)
    return FALSE;
  result->models = g_new0 (DlsModel *, a.ensemble);
  for (int k = 0; k < a.ensemble && ok; k++)
    {
      DlsTrainResult res;
      DlsModel *m;

      entered = k + 1;
      m = dls_model_new (&cfgs[k], error);
      dls_model_config_clear (&cfgs[k]);
      if (m == NULL)
        {
          ok = FALSE;
          break;
        }
      dls_model_init_weights (m, m->config.seed);
      if (!dls_train_classifier (m, ds,
                                 &(DlsTrainArgs){ .epochs = a.epochs,
                                                  .time_budget = a.time_budget,
                                                  .batch = a.batch,
                                                  .lr = a.lr,
                                                  .class_weights = a.class_weights,
                                                  .patience = a.patience,
                                                  .max_val_patches = a.max_val_patches,
                                                  .seed = a.seed + 1000 * (uint64_t) k,
                                                  .cancel = a.cancel,
                                                  .progress = a.progress,
                                                  .user_data = a.user_data,
                                                  .member = k,
                                                  .n_members = a.ensemble },
                                 &res, error))
        {
          dls_model_free (m);
          ok = FALSE;
          break;
        }
      result->models[result->n_models++] = m;
      if (a.member_done && !a.member_done (m, k, a.ensemble, &res, a.user_data, error))
        ok = FALSE;
      if (res.cancelled || (a.cancel && *a.cancel))
        {
          result->cancelled = TRUE;
          break;
        }
    }
  /* the configs of members never reached */
  for (int k = entered; k < a.ensemble; k++)
    dls_model_config_clear (&cfgs[k]);
  g_free (cfgs);
  if (!ok)
    return FALSE;

  if (result->n_models > 0 && !result->cancelled && a.alpha > 0 && result->info.n_val > 0)
    {
      g_autoptr (GError) cal_error = NULL;

      /* calibration that cannot be done (too few validation pixels) leaves calibrated FALSE */
      result->calibrated
          = dls_segment_calibrate (result->models, result->n_models, raw, labels, ds, a.alpha,
                                   a.cancel, &result->conformal, &cal_error);
      if (cal_error != NULL)
        result->calibration_note = g_strdup (cal_error->message);
      if (a.cancel && *a.cancel)
        result->cancelled = TRUE;
    }
  return TRUE;
}

void
dls_segment_result_clear (DlsSegmentResult *result)
{
  for (int k = 0; k < result->n_models; k++)
    dls_model_free (result->models[k]);
  g_free (result->models);
  g_free (result->calibration_note);
  memset (result, 0, sizeof *result);
}
