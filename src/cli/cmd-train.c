/* SPDX-License-Identifier: MIT
 *
 * cmd-train.c: `dlsia train VOLUME.tif LABELS.tif -o MODEL` — a segmentation model (or an
 * ensemble of them) from sparse labels.  The volume's 1–99 % percentiles become the model's
 * input normalisation; labelled pixels are split into training and validation; each member is
 * saved as soon as it finishes (with the manifest rewritten), and Ctrl+C stops within one step
 * keeping the best weights so far.  After training, the validation pixels calibrate the
 * conformal prediction sets stored with the model.
 *
 * A volume too large for the memory budget (--memory-budget) is not read whole: the labels are
 * scanned slice by slice and only the slices that hold labels are read, which is all that
 * training on XY patches needs (see read_labelled_slices).
 */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "autoencoder.h"
#include "cli.h"
#include "memory.h"
#include "progress.h"
#include "ensemble-file.h"
#include "predict.h"
#include "safetensors.h"
#include "segment.h"
#include "tiff.h"
#include "trainer.h"
#include "uncertainty.h"

static volatile int interrupted;

static void
on_sigint (int sig)
{
  (void) sig;
  interrupted = 1;
}

/* Where member k of n goes: the output itself for one model (whatever its name), else beside
 * the manifest (fibres.json → fibres.m0.safetensors). */
static char *
member_path (const char *output, int k, int n)
{
  return n == 1 ? g_strdup (output) : dls_ensemble_member_path (output, k, n);
}

/* Labels as uint8 0..255, refusing non-integers, negatives, several channels. */
static uint8_t *
read_labels (const char *path, DlsTiffInfo *info, GError **error)
{
  g_autofree float *v = dls_tiff_read_volume (path, info, error);
  int64_t n;
  uint8_t *out;

  if (v == NULL)
    return NULL;
  if (info->channels != 1)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” has %d channels; a label image has one", path, info->channels);
      return NULL;
    }
  n = info->depth * info->height * info->width;
  out = g_new (uint8_t, n);
  for (int64_t i = 0; i < n; i++)
    {
      if (!(v[i] >= 0 && v[i] <= 255 && v[i] == floorf (v[i])))
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                       "“%s” holds %g; labels are whole numbers 0 (unlabelled) to 255", path, v[i]);
          g_free (out);
          return NULL;
        }
      out[i] = (uint8_t) v[i];
    }
  return out;
}

/* Training cuts its patches from XY slices that hold labels, so a volume too large to hold
 * whole can still train when its labels are sparse: the labels are read slice by slice, and
 * only the labelled slices of the volume are kept.  vinfo and linfo then describe a volume of
 * just those slices (all_slices: how many the volume has).  The labelled slices (as float32, their normalised copy and the labels)
 * must fit the memory budget; the scan stops keeping slices once they would not, and counts
 * the rest for the message. */
static gboolean
read_labelled_slices (const char *vpath, const char *lpath, DlsTiffInfo *vinfo,
                      DlsTiffInfo *linfo, int64_t *all_slices, float **vol_out,
                      uint8_t **lab_out, GError **error)
{
  g_autoptr (DlsTiffReader) vr = dls_tiff_reader_open (vpath, error);
  g_autoptr (DlsTiffReader) lr = NULL;
  g_autoptr (GArray) zs = g_array_new (FALSE, FALSE, sizeof (int64_t));
  g_autoptr (GByteArray) labels = g_byte_array_new ();
  g_autofree float *slice = NULL, *vol = NULL;
  g_autofree uint8_t *l8 = NULL;
  g_autofree char *name = NULL, *what = NULL;
  const DlsTiffInfo *vi, *li;
  guint64 per_slice, budget = dls_memory_budget ();
  int64_t hw, cs, n_labelled = 0;

  if (vr == NULL || (lr = dls_tiff_reader_open (lpath, error)) == NULL)
    return FALSE;
  vi = dls_tiff_reader_get_info (vr);
  li = dls_tiff_reader_get_info (lr);
  if (li->channels != 1)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” has %d channels; a label image has one", lpath, li->channels);
      return FALSE;
    }
  if (li->depth != vi->depth || li->height != vi->height || li->width != vi->width)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "the labels are %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                   " (slices × height × width), the volume %" G_GINT64_FORMAT
                   " × %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT,
                   li->depth, li->height, li->width, vi->depth, vi->height, vi->width);
      return FALSE;
    }
  *all_slices = vi->depth;
  hw = vi->height * vi->width;
  cs = vi->channels * hw;
  /* float32 twice (read, normalised) and one byte of labels a voxel */
  per_slice = (guint64) cs * 2 * sizeof (float) + (guint64) hw;
  slice = g_new (float, hw);
  l8 = g_new (uint8_t, hw);
  for (int64_t z = 0; z < li->depth; z++)
    {
      gboolean any = FALSE;

      if (!dls_tiff_reader_read_slice (lr, z, slice, error))
        return FALSE;
      for (int64_t i = 0; i < hw; i++)
        {
          float v = slice[i];

          if (!(v >= 0 && v <= 255 && v == floorf (v)))
            {
              g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                           "“%s” holds %g; labels are whole numbers 0 (unlabelled) to 255",
                           lpath, v);
              return FALSE;
            }
          l8[i] = (uint8_t) v;
          any |= l8[i] != 0;
        }
      if (!any)
        continue;
      n_labelled++;
      if ((guint64) n_labelled * per_slice <= budget)
        {
          g_array_append_val (zs, z);
          g_byte_array_append (labels, l8, (guint) hw);
        }
    }
  if (n_labelled == 0)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT, "“%s” holds no labels", lpath);
      return FALSE;
    }
  name = g_filename_display_basename (vpath);
  what = g_strdup_printf ("the %" G_GINT64_FORMAT " labelled slices of “%s” as float32, "
                          "normalised, with their labels,",
                          n_labelled, name);
  if (!dls_memory_check ((guint64) n_labelled * per_slice, what,
                         "train on a crop of the volume, or on fewer labelled slices", error))
    return FALSE;
  vol = g_try_new (float, (gsize) n_labelled * cs);
  if (vol == NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
                   "not enough memory for the labelled slices of “%s”", name);
      return FALSE;
    }
  for (guint j = 0; j < zs->len; j++)
    if (!dls_tiff_reader_read_slice (vr, g_array_index (zs, int64_t, j), vol + j * cs, error))
      return FALSE;
  *vinfo = *vi;
  vinfo->compression = g_strdup (vi->compression);
  vinfo->depth = n_labelled;
  *linfo = *li;
  linfo->compression = g_strdup (li->compression);
  linfo->depth = n_labelled;
  *vol_out = g_steal_pointer (&vol);
  *lab_out = g_byte_array_free (g_steal_pointer (&labels), FALSE);
  return TRUE;
}

/* ---- segmentation ---- */

typedef struct
{
  const char *output;
  CliProgress *pr;
  GPtrArray *files;
  int patch;
} SegmentJob;

static void
on_segment_info (const DlsSegmentInfo *info, void *user_data)
{
  SegmentJob *job = user_data;

  if (info->patch < job->patch)
    g_printerr ("dlsia train: the slices are smaller than %d², so patches are %d²\n", job->patch,
                info->patch);
  g_printerr ("dlsia train: %" G_GINT64_FORMAT " training and %" G_GINT64_FORMAT
              " validation pixels in %d patches of %d², %d classes; input %g → 0, %g → 1\n",
              info->n_train, info->n_val, info->n_patches, info->patch, info->n_classes,
              info->norm_low, info->norm_high);
}

/* Each member is saved as soon as it finishes, and the manifest rewritten, so an interrupted
 * run keeps what it has. */
static gboolean
on_member_done (DlsModel *m, int k, int n, const DlsTrainResult *res, void *user_data,
                GError **error)
{
  SegmentJob *job = user_data;
  g_autofree char *file = member_path (job->output, k, n);

  if (job->pr->tty)
    g_printerr ("\r\033[K");
  if (!dls_model_save (m, file, error))
    return FALSE;
  g_ptr_array_add (job->files, g_path_get_basename (file));
  g_printerr ("dlsia train: member %d/%d: %d epoch%s in %.1f s, best epoch %d (val loss "
              "%.4f, F1 macro %.3f)%s → %s\n",
              k + 1, n, res->epochs_run, res->epochs_run == 1 ? "" : "s", res->seconds,
              res->best_epoch + 1, res->best_val_loss, res->best_f1_macro,
              res->cancelled       ? ", interrupted"
              : res->stopped_early ? ", stopped early"
                                   : "",
              file);
  return n == 1
         || dls_ensemble_write_manifest (job->output, m->config.out_channels,
                                         (const char *const *) job->files->pdata, job->files->len,
                                         FALSE, 0, 0, 0, error);
}

/* ---- regression and autoencoders ---- */

typedef struct
{
  const char *input, *target, *mask, *output, *arch_name, *pct;
  gboolean autoencoder, l1, time_given, log, no_bn;
  int epochs, batch, patch, patience, threads, ensemble, latent, layers, depth, base;
  double time_budget, lr, val_fraction;
  uint64_t seed;
} RegressionJob;

static int
train_regression (RegressionJob *j)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *in = NULL, *tg = NULL, *mk = NULL;
  g_autofree uint8_t *mask = NULL;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  DlsTiffInfo ii = { 0 }, ti = { 0 }, mi = { 0 };
  DlsArch arch = j->autoencoder ? DLS_ARCH_MSAE : DLS_ARCH_TUNET;
  double p_low = 0, p_high = 100, lo, hi;
  CliProgress pr = { .tty = isatty (2) };
  int64_t n, hw;
  int rc = 1, epochs = j->epochs;

  if (j->arch_name && !dls_arch_from_name (j->arch_name, &arch))
    arch = DLS_ARCH_COUNT;
  if (j->autoencoder
          ? (arch != DLS_ARCH_MSAE && arch != DLS_ARCH_SAE)
          : (arch != DLS_ARCH_TUNET && arch != DLS_ARCH_MSDNET && arch != DLS_ARCH_SMSNET))
    {
      g_printerr ("dlsia train: --arch must be %s\n",
                  j->autoencoder ? "msae or sae for an autoencoder"
                                 : "tunet, msdnet or smsnet for regression");
      return 2;
    }
  if (j->time_given && j->time_budget <= 0)
    {
      g_printerr ("dlsia train: a time budget of zero trains nothing; give --time above 0\n");
      return 2;
    }
  if (epochs == 0 && j->time_budget == 0)
    epochs = 20;
  if (j->pct)
    {
      g_auto (GStrv) p = g_strsplit (j->pct, ",", -1);

      if (g_strv_length (p) != 2 || !cli_parse_double ("train", "percentiles", p[0], 0, 100, &p_low)
          || !cli_parse_double ("train", "percentiles", p[1], 0, 100, &p_high) || p_low >= p_high)
        {
          g_printerr ("dlsia train: --percentiles needs LO,HI with LO < HI\n");
          return 2;
        }
    }
  if (j->threads > 0)
    dls_engine_set_threads (j->threads);
  /* the input, target and mask as float32 (normalised in place) and the mask as uint8 */
  if (j->input != NULL
      && !cli_check_volume_memory (j->input, sizeof (float),
                                   (j->target ? sizeof (float) : 0)
                                       + (j->mask ? sizeof (float) + 1 : 0),
                                   j->target ? "as float32, with its target and mask,"
                                             : "as float32",
                                   "train on a crop of the volume", &error))
    goto fail;
  in = dls_tiff_read_volume (j->input, &ii, &error);
  if (in == NULL)
    goto fail;
  if (j->target)
    {
      tg = dls_tiff_read_volume (j->target, &ti, &error);
      if (tg == NULL)
        goto fail;
      if (ti.depth != ii.depth || ti.height != ii.height || ti.width != ii.width)
        {
          g_printerr ("dlsia train: “%s” and “%s” differ in size\n", j->input, j->target);
          goto out;
        }
    }
  if (j->mask)
    {
      mk = dls_tiff_read_volume (j->mask, &mi, &error);
      if (mk == NULL)
        goto fail;
      if (mi.depth != ii.depth || mi.height != ii.height || mi.width != ii.width
          || mi.channels != 1)
        {
          g_printerr ("dlsia train: the mask “%s” is not one channel of the input's size\n",
                      j->mask);
          goto out;
        }
    }
  hw = ii.height * ii.width;
  n = ii.depth * ii.channels * hw;
  if (j->log)
    {
      for (int64_t i = 0; i < n; i++)
        in[i] = log1pf (MAX (in[i], 0.0f));
      for (int64_t i = 0; tg && i < ti.depth * ti.channels * hw; i++)
        tg[i] = log1pf (MAX (tg[i], 0.0f));
    }
  /* one linear map for input and target (no clipping: the target's range matters) */
  dls_volume_percentiles (in, n, p_low, p_high, &lo, &hi);
  for (int64_t i = 0; i < n; i++)
    in[i] = (float) ((in[i] - lo) / (hi - lo));
  if (tg)
    for (int64_t i = 0; i < ti.depth * ti.channels * hw; i++)
      tg[i] = (float) ((tg[i] - lo) / (hi - lo));
  if (mk)
    {
      int64_t on = 0;

      mask = g_new (uint8_t, ii.depth * hw);
      for (int64_t i = 0; i < ii.depth * hw; i++)
        on += (mask[i] = mk[i] != 0);
      if (on == 0)
        {
          g_printerr ("dlsia train: the mask “%s” is empty\n", j->mask);
          goto out;
        }
    }
  for (int k = 0; k < j->ensemble; k++)
    {
      DlsVolume vin = { ii.depth, ii.height, ii.width, ii.channels, in };
      DlsVolume vtg = tg ? (DlsVolume){ ti.depth, ti.height, ti.width, ti.channels, tg } : vin;
      DlsModelConfig c;
      DlsTrainResult res;
      DlsModel *m;
      g_autofree char *file = NULL;

      if (j->autoencoder)
        dls_autoencoder_config_init (&c, arch, ii.channels, (int) ii.height, (int) ii.width,
                                     &(DlsAutoencoderArgs){ .latent = j->latent,
                                                            .depth = j->depth,
                                                            .base = j->base,
                                                            .layers = j->layers });
      else
        dls_model_config_init (&c, arch);
      c.seed = j->seed + k;
      c.in_channels = ii.channels;
      c.out_channels = vtg.channels;
      c.norm_set = TRUE;
      c.norm_low = lo;
      c.norm_high = hi;
      c.norm_p_low = p_low;
      c.norm_p_high = p_high;
      c.norm_log = j->log;
      c.regression = TRUE;
      c.batchnorm = !j->no_bn;
      if (arch == DLS_ARCH_MSDNET)
        c.num_layers = j->layers ? j->layers : 50;
      if (arch == DLS_ARCH_SMSNET)
        {
          c.network_type = DLS_SMS_REGRESSION;
          if (j->layers)
            c.sms.layers = j->layers;
        }
      if (arch == DLS_ARCH_TUNET)
        {
          c.image_shape[0] = c.image_shape[1] = MIN (j->patch, (int) MIN (ii.height, ii.width));
          if (j->depth)
            c.depth = j->depth;
          if (j->base)
            c.base_channels = j->base;
        }
      m = dls_model_new (&c, &error);
      dls_model_config_clear (&c);
      if (m == NULL)
        goto fail;
      dls_model_init_weights (m, m->config.seed);
      if (!dls_train_regressor (
              m,
              &(DlsRegressionData){ .input = &vin,
                                    .target = &vtg,
                                    .mask = mask,
                                    .patch = j->autoencoder ? 0 : j->patch,
                                    .val_fraction = j->val_fraction > 0 ? j->val_fraction : -1,
                                    .seed = j->seed },
              j->l1 ? DLS_REGRESSION_L1 : DLS_REGRESSION_MSE,
              &(DlsTrainArgs){ .epochs = epochs,
                               .time_budget = j->time_budget,
                               .batch = j->batch,
                               .lr = j->lr,
                               .patience = j->patience,
                               .seed = j->seed + 1000 * k,
                               .cancel = &interrupted,
                               .progress = cli_train_progress,
                               .user_data = &pr,
                               .member = k,
                               .n_members = j->ensemble },
              &res, &error))
        {
          dls_model_free (m);
          goto fail;
        }
      if (pr.tty)
        g_printerr ("\r\033[K");
      file = member_path (j->output, k, j->ensemble);
      if (!dls_model_save (m, file, &error))
        {
          dls_model_free (m);
          goto fail;
        }
      g_ptr_array_add (files, g_path_get_basename (file));
      g_printerr ("dlsia train: member %d/%d: %d epoch%s in %.1f s, best epoch %d (val loss %.5f, "
                  "CC %.4f)%s → %s\n",
                  k + 1, j->ensemble, res.epochs_run, res.epochs_run == 1 ? "" : "s",
                  res.seconds, res.best_epoch + 1, res.best_val_loss, res.best_cc,
                  res.cancelled ? ", interrupted" : "", file);
      dls_model_free (m);
      if (j->ensemble > 1
          && !dls_ensemble_write_manifest (j->output, vtg.channels,
                                           (const char *const *) files->pdata, k + 1, FALSE, 0, 0,
                                           0, &error))
        goto fail;
      if (interrupted)
        break;
    }
  rc = interrupted ? 130 : 0;
  goto out;
fail:
  if (pr.tty)
    g_printerr ("\r\033[K");
  g_printerr ("dlsia train: %s\n", error->message);
out:
  dls_tiff_info_clear (&ii);
  dls_tiff_info_clear (&ti);
  dls_tiff_info_clear (&mi);
  return rc;
}

int
cmd_train (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("VOLUME.tif LABELS.tif -o MODEL");
  g_autoptr (GError) error = NULL;
  g_autofree char *arch_name = NULL, *output = NULL, *weights_s = NULL;
  g_autofree char *layers_s = NULL, *pct_s = NULL, *target_path = NULL, *mask_path = NULL;
  g_autofree char *loss_s = NULL;
  gboolean autoencoder = FALSE, log_transform = FALSE;
  g_autofree char *norm_s = NULL, *budget_s = NULL;
  int latent = 0;
  int ensemble = 1, epochs = 0, batch = 4, patch = 64, patience = 0, threads = 0, classes = 0;
  int depth = 0, base = 0;
  double time_budget = NAN, lr = 1e-3, val_fraction = 0.2, alpha = 0.1;
  gint64 seed = 0;
  gboolean xz = FALSE, yz = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "The model file, or the ensemble manifest with --ensemble > 1", "MODEL" },
    { "arch", 'a', 0, G_OPTION_ARG_STRING, &arch_name, "smsnet (default), msdnet or tunet",
      "ARCH" },
    { "ensemble", 'e', 0, G_OPTION_ARG_INT, &ensemble, "Members (1); SMSNets each draw a graph",
      "K" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Epochs per member (20 without --time)", "N" },
    { "time", 0, 0, G_OPTION_ARG_DOUBLE, &time_budget, "Time budget per member, seconds", "S" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Patches per step (4)", "N" },
    { "patch", 'p', 0, G_OPTION_ARG_INT, &patch, "Patch side (64)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Adam learning rate (0.001)", "X" },
    { "patience", 0, 0, G_OPTION_ARG_INT, &patience,
      "Stop after N epochs without a better validation loss (0: never)", "N" },
    { "val-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &val_fraction,
      "Labelled pixels held out for validation (0.2)", "F" },
    { "classes", 'k', 0, G_OPTION_ARG_INT, &classes, "Classes (default: the largest label)", "K" },
    { "class-weights", 0, 0, G_OPTION_ARG_STRING, &weights_s, "Loss weight per class", "W,W,…" },
    { "xz", 0, 0, G_OPTION_ARG_NONE, &xz, "Also train on XZ slices", NULL },
    { "yz", 0, 0, G_OPTION_ARG_NONE, &yz, "Also train on YZ slices", NULL },
    { "layers", 'l', 0, G_OPTION_ARG_STRING, &layers_s,
      "smsnet: hidden layers (10); msdnet: layers (50)", "N" },
    { "depth", 0, 0, G_OPTION_ARG_INT, &depth, "tunet: levels (4)", "N" },
    { "base-channels", 0, 0, G_OPTION_ARG_INT, &base, "tunet: first level's channels (16)", "N" },
    { "normalization", 0, 0, G_OPTION_ARG_STRING, &norm_s,
      "msdnet, tunet: BatchNorm2d (default) or none", "NAME" },
    { "log", 0, 0, G_OPTION_ARG_NONE, &log_transform,
      "Take log(1 + x) of the input first (and of a regression target): scattering data", NULL },
    { "percentiles", 0, 0, G_OPTION_ARG_STRING, &pct_s,
      "Input normalisation: raw values at these percentiles map to 0 and 1 (1,99; 0,100 for "
      "regression and autoencoders)",
      "LO,HI" },
    { "alpha", 0, 0, G_OPTION_ARG_DOUBLE, &alpha, "Conformal miscoverage (0.1)", "A" },
    { "target", 0, 0, G_OPTION_ARG_FILENAME, &target_path,
      "Regression (inpainting): train VOLUME → TARGET instead of classes", "TARGET.tif" },
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &mask_path,
      "Regression: the loss counts only where MASK is non-zero (e.g. detector gaps)", "MASK.tif" },
    { "autoencoder", 0, 0, G_OPTION_ARG_NONE, &autoencoder,
      "Train an autoencoder (msae or sae) on VOLUME's slices, one sample per slice", NULL },
    { "loss", 0, 0, G_OPTION_ARG_STRING, &loss_s, "Regression loss: mse (default) or l1", "L" },
    { "latent-dimension", 0, 0, G_OPTION_ARG_INT, &latent, "msae: latent vector length (16)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed of weights, graphs and batches (0)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Worker threads (default: all cores)", "N" },
    { "memory-budget", 0, 0, G_OPTION_ARG_STRING, &budget_s, CLI_MEMORY_BUDGET_HELP, "SIZE" },
    { NULL }
  };
  g_autofree float *vol = NULL, *cls_w = NULL;
  g_autofree uint8_t *lab = NULL;
  g_autoptr (GPtrArray) member_files = g_ptr_array_new_with_free_func (g_free);
  DlsTiffInfo vinfo = { 0 }, linfo = { 0 };
  DlsSegmentResult res = { 0 };
  DlsVolume raw;
  DlsLabels labels;
  DlsArch arch = DLS_ARCH_SMSNET;
  double p_low = 1, p_high = 99;
  CliProgress pr = { .tty = isatty (2) };
  int K = 0, layers = 0, n_done = 0, rc = 1;

  g_option_context_set_summary (
      ctx,
      "Trains a segmentation network on the labelled pixels of LABELS (uint8, same size as\n"
      "VOLUME: 0 = unlabelled, 1..K = classes).  Patches holding labels are cut from the XY\n"
      "slices (and XZ/YZ with --xz/--yz), flipped and rotated at random; a fraction of the\n"
      "labelled pixels is held out to pick the best epoch and to calibrate the conformal\n"
      "prediction sets.  Ctrl+C stops soon, keeping the best weights.\n"
      "Example: dlsia train volume.tif sparse-labels.tif --arch smsnet --ensemble 3 --epochs 20 "
      "--seed 1 -o fibres.json");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dlsia train: %s\n", error->message);
      return 2;
    }
  if (norm_s && g_strcmp0 (norm_s, "none") != 0 && g_strcmp0 (norm_s, "BatchNorm2d") != 0)
    {
      g_printerr ("dlsia train: --normalization is BatchNorm2d or none, not “%s”\n", norm_s);
      return 2;
    }
  if (!cli_set_memory_budget ("train", budget_s))
    return 2;
  if (target_path || autoencoder)
    {
      RegressionJob job = { .input = argc > 1 ? argv[1] : NULL,
                            .target = target_path,
                            .mask = mask_path,
                            .output = output,
                            .arch_name = arch_name,
                            .autoencoder = autoencoder,
                            .epochs = epochs,
                            .time_budget = isnan (time_budget) ? 0 : time_budget,
                            .batch = batch,
                            .patch = patch,
                            .lr = lr,
                            .patience = patience,
                            .val_fraction = val_fraction,
                            .seed = (uint64_t) seed,
                            .threads = threads,
                            .ensemble = ensemble,
                            .latent = latent,
                            .l1 = g_strcmp0 (loss_s, "l1") == 0,
                            .depth = depth,
                            .base = base,
                            .pct = pct_s,
                            .log = log_transform,
                            .no_bn = g_strcmp0 (norm_s, "none") == 0,
                            .time_given = FALSE };

      if (loss_s && g_strcmp0 (loss_s, "l1") != 0 && g_strcmp0 (loss_s, "mse") != 0)
        {
          g_printerr ("dlsia train: --loss is mse or l1, not “%s”\n", loss_s);
          return 2;
        }
      job.time_given = !isnan (time_budget);
      if (argc != 2 || output == NULL || (target_path && autoencoder))
        {
          g_printerr ("dlsia train: regression takes VOLUME.tif --target TARGET.tif -o MODEL, an "
                      "autoencoder VOLUME.tif --autoencoder -o MODEL (see --help)\n");
          return 2;
        }
      if (layers_s && !cli_parse_int ("train", "layers", layers_s, 1, 10000, &job.layers))
        return 2;
      return train_regression (&job);
    }
  if (argc != 3 || output == NULL)
    {
      g_printerr ("dlsia train: give VOLUME.tif LABELS.tif and -o MODEL (see --help)\n");
      return 2;
    }
  if (arch_name
      && (!dls_arch_from_name (arch_name, &arch)
          || (arch != DLS_ARCH_SMSNET && arch != DLS_ARCH_MSDNET && arch != DLS_ARCH_TUNET)))
    {
      g_printerr ("dlsia train: --arch must be smsnet, msdnet or tunet, not “%s”\n", arch_name);
      return 2;
    }
  if (ensemble < 1 || ensemble > 100 || epochs < 0 || batch < 1 || batch > 1024 || patch < 8
      || patch > 4096 || lr <= 0 || patience < 0 || threads < 0 || classes < 0 || classes > 255
      || !(alpha > 0 && alpha < 1) || !(val_fraction >= 0 && val_fraction < 1))
    {
      g_printerr ("dlsia train: an option is out of range (--ensemble 1–100, --batch 1–1024, "
                  "--patch 8–4096, --lr > 0, --alpha and --val-fraction in [0, 1))\n");
      return 2;
    }
  if (!isnan (time_budget) && time_budget <= 0)
    {
      g_printerr ("dlsia train: a time budget of zero trains nothing; give --time above 0\n");
      return 2;
    }
  if (isnan (time_budget))
    {
      time_budget = 0;
      if (epochs == 0)
        epochs = 20;
    }
  if (layers_s && !cli_parse_int ("train", "layers", layers_s, 1, 10000, &layers))
    return 2;
  if (pct_s)
    {
      g_auto (GStrv) p = g_strsplit (pct_s, ",", -1);

      if (g_strv_length (p) != 2 || !cli_parse_double ("train", "percentiles", p[0], 0, 100, &p_low)
          || !cli_parse_double ("train", "percentiles", p[1], 0, 100, &p_high) || p_low >= p_high)
        {
          g_printerr ("dlsia train: --percentiles needs LO,HI with LO < HI, e.g. 1,99\n");
          return 2;
        }
    }
  if (threads > 0)
    dls_engine_set_threads (threads);

  /* The volume as float32 and its normalised copy, the labels read as float32 and kept as
   * uint8, checked before any of it is read.  Over the budget, only the slices that hold
   * labels are read (XZ and YZ patches need the whole volume: refused). */
  if (cli_check_volume_memory (argv[1], 2 * sizeof (float), sizeof (float) + 1,
                               "as float32, normalised, with its labels,",
                               xz || yz ? "leave out --xz and --yz to train on the labelled "
                                          "slices only, or train on a crop of the volume"
                                        : NULL,
                               &error))
    {
      vol = dls_tiff_read_volume (argv[1], &vinfo, &error);
      if (vol == NULL)
        goto fail;
      lab = read_labels (argv[2], &linfo, &error);
      if (lab == NULL)
        goto fail;
    }
  else if (g_error_matches (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE) && !xz && !yz)
    {
      int64_t all_slices = 0;

      g_clear_error (&error);
      g_printerr ("dlsia train: the whole volume is over the memory budget; reading only the "
                  "slices that hold labels\n");
      if (!read_labelled_slices (argv[1], argv[2], &vinfo, &linfo, &all_slices, &vol, &lab,
                                 &error))
        goto fail;
      g_printerr ("dlsia train: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                  " slices hold labels; their values set the input normalisation\n",
                  vinfo.depth, all_slices);
    }
  else
    goto fail;
  if (linfo.depth != vinfo.depth || linfo.height != vinfo.height || linfo.width != vinfo.width)
    {
      g_printerr ("dlsia train: the labels are %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                  " × %" G_GINT64_FORMAT " (slices × height × width), the volume %" G_GINT64_FORMAT
                  " × %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT "\n",
                  linfo.depth, linfo.height, linfo.width, vinfo.depth, vinfo.height, vinfo.width);
      goto out;
    }
  {
    int64_t n = vinfo.depth * vinfo.height * vinfo.width;
    int mx = 0;

    for (int64_t i = 0; i < n; i++)
      mx = MAX (mx, lab[i]);
    K = classes ? classes : MAX (mx, 2);
  }
  if (weights_s)
    {
      g_auto (GStrv) p = g_strsplit (weights_s, ",", -1);

      if ((int) g_strv_length (p) != K)
        {
          g_printerr ("dlsia train: --class-weights needs %d weights, one per class\n", K);
          goto out;
        }
      cls_w = g_new (float, K);
      for (int k = 0; k < K; k++)
        {
          double w;

          if (!cli_parse_double ("train", "class-weights", p[k], 0, 1e6, &w))
            goto out;
          cls_w[k] = (float) w;
        }
    }
  raw = (DlsVolume){ vinfo.depth, vinfo.height, vinfo.width, vinfo.channels, vol };
  labels = (DlsLabels){ linfo.depth, linfo.height, linfo.width, lab };
  signal (SIGINT, on_sigint);
  {
    SegmentJob job = { .output = output, .pr = &pr, .files = member_files, .patch = patch };

    if (!dls_train_segmentation (
            &raw, &labels, K,
            &(DlsSegmentArgs){ .arch = arch,
                               .ensemble = ensemble,
                               .epochs = epochs,
                               .time_budget = time_budget,
                               .batch = batch,
                               .lr = lr,
                               .patience = patience,
                               .class_weights = cls_w,
                               .seed = (uint64_t) seed,
                               .patch = patch,
                               .val_fraction = val_fraction > 0 ? val_fraction : -1,
                               .use_xz = xz,
                               .use_yz = yz,
                               .p_low = p_low,
                               .p_high = p_high,
                               .log_transform = log_transform,
                               .no_batchnorm = g_strcmp0 (norm_s, "none") == 0,
                               .layers = layers,
                               .depth = depth,
                               .base = base,
                               .alpha = alpha,
                               .cancel = &interrupted,
                               .progress = cli_train_progress,
                               .info = on_segment_info,
                               .member_done = on_member_done,
                               .user_data = &job },
            &res, &error))
      goto fail;
  }
  n_done = res.n_models;
  if (res.calibrated)
    {
      g_printerr ("dlsia train: conformal sets at α = %g: q̂ = %.4f from %" G_GINT64_FORMAT
                  " validation pixels\n",
                  alpha, res.conformal.qhat, res.conformal.n_calibration);
      if (ensemble > 1)
        {
          if (!dls_ensemble_write_manifest (output, K, (const char *const *) member_files->pdata,
                                            n_done, TRUE, alpha, res.conformal.qhat,
                                            res.conformal.n_calibration, &error))
            goto fail;
        }
      else
        {
          DlsModel *m = res.models[0];

          m->config.conformal_set = TRUE;
          m->config.conformal_alpha = alpha;
          m->config.conformal_qhat = res.conformal.qhat;
          m->config.conformal_n = res.conformal.n_calibration;
          if (!dls_model_save (m, output, &error))
            goto fail;
        }
    }
  else if (res.calibration_note != NULL)
    g_printerr ("dlsia train: no conformal calibration: %s\n", res.calibration_note);
  rc = interrupted ? 130 : 0;
  if (interrupted)
    g_printerr ("dlsia train: interrupted; %d member%s saved with the best weights so far\n",
                n_done, n_done == 1 ? "" : "s");
  goto out;
fail:
  if (pr.tty)
    g_printerr ("\r\033[K");
  g_printerr ("dlsia train: %s\n", error->message);
out:
  dls_segment_result_clear (&res);
  dls_tiff_info_clear (&vinfo);
  dls_tiff_info_clear (&linfo);
  return rc;
}
