/* SPDX-License-Identifier: MIT
 *
 * cmd-predict.c: `dlsia predict MODEL INPUT.tif --classes OUT.tif [--probabilities P.tif]
 * [--uncertainty U.tif] …` — a model or an ensemble over the slices of a TIFF image or stack.
 *
 * Along Z (the default) one slice is in memory at a time and outputs are written page by page,
 * so a volume of any size streams through; along Y or X the volume is read whole and the
 * outputs are put back in Z × Y × X order, which is refused up front when it would take more
 * than the memory budget (--memory-budget, memory.h).  Every output appears only when
 * complete.  --slices A:B takes part of the volume, so a cluster job array can split one.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ensemble-file.h"
#include "memory.h"
#include "predict.h"
#include "tiff.h"
#include "uncertainty.h"

#define AXIS_ALL 3 /* --axis all */

typedef enum
{
  M_MARGIN,
  M_ENTROPY,
  M_STD,
  M_SET_SIZE
} Measure;

typedef struct
{
  /* options */
  char *prob_path, *class_path, *out_path, *unc_path, *set_path, *certain_path, *possible_path;
  char *measure_s, *axis_s, *slices_s, *calibrate_path, *budget_s;
  int threads, tile, overlap, cls;
  double alpha;
  /* state */
  DlsEnsemble *ens;
  DlsEnsemblePredictor *pred;
  gboolean classifier, have_conformal;
  DlsConformal conf;
  Measure measure;
  int K;
} Predict;

static const char *
measure_name (Measure m)
{
  return (const char *[]){ "margin", "entropy", "std", "set-size" }[m];
}

/* Input slice s along the axis: C × rows × cols, from a whole volume (Z × C × Y × X). */
static void
cut_slice (const float *vol, const DlsTiffInfo *info, int axis, int64_t s, float *out)
{
  int64_t Z = info->depth, Y = info->height, X = info->width, C = info->channels;

  for (int64_t c = 0; c < C; c++)
    {
      if (axis == 1) /* XZ: rows z, cols x */
        for (int64_t z = 0; z < Z; z++)
          memcpy (out + (c * Z + z) * X, vol + ((z * C + c) * Y + s) * X, sizeof (float) * X);
      else /* YZ: rows z, cols y */
        for (int64_t z = 0; z < Z; z++)
          for (int64_t y = 0; y < Y; y++)
            out[(c * Z + z) * Y + y] = vol[((z * C + c) * Y + y) * X + s];
    }
}

/* The float maps of one slice along the axis (planes of rows × cols) put back into (or, add, added
 * to) a volume of `planes` planes whose extent along the axis is slices [s0, s0 + ns): Z × Y × X
 * with that axis cut to ns. */
static void
put_slice (float *dst, const float *src, int planes, const DlsTiffInfo *info, int axis, int64_t s,
           int64_t s0, int64_t ns, gboolean add)
{
  int64_t Z = info->depth, Y = info->height, X = info->width;
#define PUT(d, v) ((d) = add ? (d) + (v) : (v))

  for (int p = 0; p < planes; p++)
    if (axis == 0)
      for (int64_t i = 0; i < Y * X; i++)
        PUT (dst[((s - s0) * planes + p) * Y * X + i], src[p * Y * X + i]);
    else if (axis == 1)
      for (int64_t z = 0; z < Z; z++)
        for (int64_t x = 0; x < X; x++)
          PUT (dst[((z * planes + p) * ns + (s - s0)) * X + x], src[((int64_t) p * Z + z) * X + x]);
    else
      for (int64_t z = 0; z < Z; z++)
        for (int64_t y = 0; y < Y; y++)
          PUT (dst[((z * planes + p) * Y + y) * ns + (s - s0)], src[((int64_t) p * Z + z) * Y + y]);
#undef PUT
}

/* uint8 maps join the float planes every output is assembled in (see output_page) */
static void
widen (const uint8_t *b, float *out, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    out[i] = b[i];
}

/* The uncertainty map of one slice from the mean and std planes. */
static void
uncertainty_map (Predict *P, const float *mean, const float *std, int64_t hw, float *out)
{
  switch (P->measure)
    {
    case M_MARGIN:
      dls_uncertainty_margin (mean, P->K, hw, out);
      break;
    case M_ENTROPY:
      dls_uncertainty_entropy (mean, P->K, hw, out);
      break;
    case M_STD:
      dls_uncertainty_std_of_argmax (mean, std, P->K, hw, out);
      break;
    case M_SET_SIZE:
    default:
      {
        g_autofree uint8_t *s = g_new (uint8_t, hw);

        dls_conformal_set_size (&P->conf, mean, P->K, hw, s);
        widen (s, out, hw);
      }
      break;
    }
}

/* Calibrates the conformal sets on the labelled pixels of a label file (same size as the
 * input), predicting only the slices (along Z) that hold labels. */
static gboolean
calibrate_from (Predict *P, DlsTiffReader *r, GError **error)
{
  const DlsTiffInfo *info = dls_tiff_reader_get_info (r);
  g_autoptr (DlsTiffReader) lr = dls_tiff_reader_open (P->calibrate_path, error);
  g_autoptr (DlsConformalBuilder) b = NULL;
  int64_t hw = info->width * info->height;
  g_autofree float *lab = NULL, *slice = NULL, *mean = NULL;
  g_autofree uint8_t *l8 = NULL;
  const DlsTiffInfo *li;

  if (lr == NULL)
    return FALSE;
  li = dls_tiff_reader_get_info (lr);
  if (li->width != info->width || li->height != info->height || li->depth != info->depth
      || li->channels != 1)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is not a one-channel label image of the input's size", P->calibrate_path);
      return FALSE;
    }
  b = dls_conformal_builder_new (P->K);
  lab = g_new (float, hw);
  l8 = g_new (uint8_t, hw);
  slice = g_new (float, hw * info->channels);
  mean = g_new (float, hw * P->K);
  for (int64_t z = 0; z < info->depth; z++)
    {
      gboolean any = FALSE;

      if (!dls_tiff_reader_read_slice (lr, z, lab, error))
        return FALSE;
      for (int64_t i = 0; i < hw; i++)
        {
          l8[i] = lab[i] >= 1 && lab[i] <= P->K ? (uint8_t) lab[i] : 0;
          any |= l8[i] != 0;
        }
      if (!any)
        continue;
      if (!dls_tiff_reader_read_slice (r, z, slice, error)
          || !dls_ensemble_predictor_run (P->pred, slice, (int) info->height, (int) info->width,
                                          mean, NULL, NULL, error))
        return FALSE;
      dls_conformal_builder_add (b, mean, l8, hw);
    }
  if (!dls_conformal_builder_finish (g_steal_pointer (&b), P->alpha, &P->conf, error))
    return FALSE;
  P->have_conformal = TRUE;
  g_printerr ("dlsia predict: conformal sets at α = %g: q̂ = %.4f from %" G_GINT64_FORMAT
              " labelled pixels\n",
              P->alpha, P->conf.qhat, P->conf.n_calibration);
  return TRUE;
}

typedef struct
{
  DlsTiffWriter *w;
  const char *path;
  DlsSampleType type;
  int planes; /* pages per slice */
  float *vol; /* axis Y/X: the whole output, Z × planes × Y × X */
} Output;

static gboolean
output_open (Output *o, const char *path, DlsSampleType type, int planes, int64_t w, int64_t h,
             int64_t pages, gboolean whole, int64_t vol_floats, GError **error)
{
  o->path = path;
  o->type = type;
  o->planes = planes;
  if (path == NULL)
    return TRUE;
  if (whole)
    {
      o->vol = g_try_new0 (float, vol_floats);
      if (o->vol == NULL)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY, "not enough memory for “%s”", path);
          return FALSE;
        }
    }
  o->w = dls_tiff_writer_new_stack (path, type, w, h, pages, error);
  return o->w != NULL;
}

/* Writes one Z slice's planes (float) to the output, converting to its type. */
static gboolean
output_page (Output *o, const float *planes, int64_t hw, GError **error)
{
  for (int p = 0; p < o->planes; p++)
    {
      const float *src = planes + p * hw;

      if (o->type == DLS_SAMPLE_U8)
        {
          g_autofree uint8_t *b = g_new (uint8_t, hw);

          for (int64_t i = 0; i < hw; i++)
            b[i] = (uint8_t) CLAMP (src[i], 0, 255);
          if (!dls_tiff_writer_add_page (o->w, b, error))
            return FALSE;
        }
      else if (!dls_tiff_writer_add_page (o->w, src, error))
        return FALSE;
    }
  return TRUE;
}

static void
output_abort (Output *o)
{
  if (o->w)
    dls_tiff_writer_abort (o->w);
  o->w = NULL;
  g_clear_pointer (&o->vol, g_free);
}

/* The outputs' files put in place, one after the other */
static gboolean
commit_outputs (Output *outs, int n, GError **error)
{
  for (int o = 0; o < n; o++)
    if (outs[o].w)
      {
        DlsTiffWriter *w = outs[o].w;

        outs[o].w = NULL;
        if (!dls_tiff_writer_commit (w, error))
          return FALSE;
      }
  return TRUE;
}

enum
{
  O_PROB,
  O_CLASS,
  O_RAW,
  O_UNC,
  O_SET,
  O_CERTAIN,
  O_POSSIBLE,
  N_OUT
};

/* Everything computed for one slice (rows × cols = hw): per output, its float planes. */
static void
slice_outputs (Predict *P, const float *mean, const float *std, int64_t hw, float **res,
               const Output *outs)
{
  int K = P->K;

  if (outs[O_PROB].path || outs[O_RAW].path)
    memcpy (res[outs[O_PROB].path ? O_PROB : O_RAW], mean, sizeof (float) * K * hw);
  if (outs[O_PROB].path && outs[O_RAW].path)
    memcpy (res[O_RAW], mean, sizeof (float) * K * hw);
  if (outs[O_CLASS].path)
    for (int64_t i = 0; i < hw; i++)
      {
        int best = 0;

        for (int k = 1; k < K; k++)
          if (mean[k * hw + i] > mean[best * hw + i])
            best = k;
        res[O_CLASS][i] = (float) (best + 1);
      }
  if (outs[O_UNC].path)
    uncertainty_map (P, mean, std, hw, res[O_UNC]);
  if (outs[O_SET].path || outs[O_CERTAIN].path || outs[O_POSSIBLE].path)
    {
      g_autofree uint8_t *b = g_new (uint8_t, hw);

      if (outs[O_SET].path)
        {
          dls_conformal_set_size (&P->conf, mean, K, hw, b);
          widen (b, res[O_SET], hw);
        }
      if (outs[O_CERTAIN].path)
        {
          dls_conformal_certain (&P->conf, mean, K, hw, P->cls, b);
          widen (b, res[O_CERTAIN], hw);
        }
      if (outs[O_POSSIBLE].path)
        {
          dls_conformal_possible (&P->conf, mean, K, hw, P->cls, b);
          widen (b, res[O_POSSIBLE], hw);
        }
    }
}

/* --axis all: every slice along Z, then Y, then X; per pixel, the mean of the three directions'
 * ensemble means, and (want_std) the standard deviation over every member in every direction,
 * from each direction's mean and std.  Then the outputs, page by page along Z.  The volume and
 * the running sums stay in memory. */
static gboolean
predict_all_axes (Predict *P, const float *vol, const DlsTiffInfo *info, Output *outs,
                  float **res, gboolean want_std, gboolean tty, GError **error)
{
  int64_t Z = info->depth, Y = info->height, X = info->width, C = info->channels, K = P->K;
  int64_t page = Y * X, big = MAX (page, MAX (Z * X, Z * Y)), total = Z + Y + X, done = 0;
  int M = P->ens->n;
  g_autofree float *sum = g_try_new0 (float, Z * K * page);
  g_autofree float *sq = want_std ? g_try_new0 (float, Z * K * page) : NULL;
  g_autofree float *slice = g_try_new (float, big * C);
  g_autofree float *mean = g_try_new (float, big * K), *std = g_try_new (float, big * K);
  gint64 t0 = g_get_monotonic_time (), last = 0;

  if (sum == NULL || (want_std && sq == NULL) || slice == NULL || mean == NULL || std == NULL)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY,
                   "not enough memory to average the three directions; predict along one axis");
      return FALSE;
    }
  for (int axis = 0; axis < 3; axis++)
    {
      int64_t n = axis == 0 ? Z : axis == 1 ? Y : X;
      int64_t rows = axis == 0 ? Y : Z, cols = axis == 2 ? Y : X, hw = rows * cols;

      for (int64_t s = 0; s < n; s++, done++)
        {
          gint64 now;

          if (axis == 0)
            memcpy (slice, vol + s * C * page, sizeof (float) * C * page);
          else
            cut_slice (vol, info, axis, s, slice);
          if (!dls_ensemble_predictor_run (P->pred, slice, (int) rows, (int) cols, mean,
                                           want_std && M > 1 ? std : NULL, NULL, error))
            return FALSE;
          put_slice (sum, mean, (int) K, info, axis, s, 0, n, TRUE);
          if (want_std)
            {
              /* Σ p² over the members: (M − 1)·std² + M·mean² */
              for (int64_t i = 0; i < K * hw; i++)
                std[i] = (M > 1 ? (M - 1) * std[i] * std[i] : 0.0f) + M * mean[i] * mean[i];
              put_slice (sq, std, (int) K, info, axis, s, 0, n, TRUE);
            }
          now = g_get_monotonic_time ();
          if (tty && (now - last > 200000 || done + 1 == total))
            {
              double el = (now - t0) / 1e6, eta = el / (done + 1) * (total - done - 1);

              g_printerr ("\r\033[Kdlsia predict: %c slice %" G_GINT64_FORMAT
                          "/%" G_GINT64_FORMAT " (%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
                          " in all)  %.1f s, ETA %.0f s",
                          "zyx"[axis], s + 1, n, done + 1, total, el, eta);
              last = now;
            }
        }
    }
  for (int64_t z = 0; z < Z; z++)
    {
      const float *sz = sum + z * K * page, *qz = sq ? sq + z * K * page : NULL;

      for (int64_t i = 0; i < K * page; i++)
        {
          float m = sz[i] / 3;

          mean[i] = m;
          /* sample standard deviation over the 3·M predictions */
          std[i] = qz ? sqrtf (MAX (0.0f, (qz[i] - 3 * M * m * m) / (3 * M - 1))) : 0.0f;
        }
      slice_outputs (P, mean, std, page, res, outs);
      for (int o = 0; o < N_OUT; o++)
        if (outs[o].path && !output_page (&outs[o], res[o], page, error))
          return FALSE;
    }
  return TRUE;
}

int
cmd_predict (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("MODEL INPUT.tif");
  g_autoptr (GError) error = NULL;
  Predict P = { .alpha = 0.1, .cls = 0 };
  GOptionEntry entries[] = {
    { "classes", 'c', 0, G_OPTION_ARG_FILENAME, &P.class_path,
      "Most probable class per pixel, uint8, 1..K like the label files", "OUT.tif" },
    { "probabilities", 'p', 0, G_OPTION_ARG_FILENAME, &P.prob_path,
      "Softmax probabilities (the ensemble mean), float32: slice 0 class 1, slice 0 class 2, …, "
      "then slice 1",
      "OUT.tif" },
    { "uncertainty", 'u', 0, G_OPTION_ARG_FILENAME, &P.unc_path,
      "Uncertainty per pixel, float32 (see --measure)", "OUT.tif" },
    { "measure", 'm', 0, G_OPTION_ARG_STRING, &P.measure_s,
      "margin: 1 − (p1 − p2) (default); entropy: −Σ p ln p; std: standard deviation across "
      "ensemble members of the predicted class; set-size: classes in the conformal set",
      "NAME" },
    { "set-size", 0, 0, G_OPTION_ARG_FILENAME, &P.set_path,
      "Conformal prediction set size per pixel, uint8", "OUT.tif" },
    { "certain", 0, 0, G_OPTION_ARG_FILENAME, &P.certain_path,
      "uint8 1 where the conformal set is exactly {--class}", "OUT.tif" },
    { "possible", 0, 0, G_OPTION_ARG_FILENAME, &P.possible_path,
      "uint8 1 where --class is in the conformal set", "OUT.tif" },
    { "class", 0, 0, G_OPTION_ARG_INT, &P.cls, "The class of --certain/--possible (1..K)", "K" },
    { "calibrate", 0, 0, G_OPTION_ARG_FILENAME, &P.calibrate_path,
      "Calibrate the conformal sets on the labelled pixels of this label TIFF (held out from "
      "training!) instead of the model's stored calibration",
      "LABELS.tif" },
    { "alpha", 0, 0, G_OPTION_ARG_DOUBLE, &P.alpha, "Conformal miscoverage for --calibrate (0.1)",
      "A" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &P.out_path,
      "The raw network output, float32 (regression, autoencoders)", "OUT.tif" },
    { "axis", 0, 0, G_OPTION_ARG_STRING, &P.axis_s,
      "Predict XY slices (z, default; streams slice by slice), XZ slices (y) or YZ slices (x), "
      "or all three and average them (all: three times the work, often better on thin "
      "structures; no conformal outputs); y, x and all hold the whole volume in memory",
      "z|y|x|all" },
    { "slices", 0, 0, G_OPTION_ARG_STRING, &P.slices_s,
      "Only slices A to B − 1 along the axis (for splitting a volume over jobs)", "A:B" },
    { "tile", 0, 0, G_OPTION_ARG_INT, &P.tile,
      "Predict in blended tiles of this side when a slice is larger (default: whole slices up to "
      "4096², tiles of 1024 beyond)",
      "N" },
    { "overlap", 0, 0, G_OPTION_ARG_INT, &P.overlap, "Tile overlap in pixels (32)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &P.threads, "Worker threads (default: all cores)", "N" },
    { "memory-budget", 0, 0, G_OPTION_ARG_STRING, &P.budget_s,
      CLI_MEMORY_BUDGET_HELP " (--axis y, x and all; z streams)", "SIZE" },
    { NULL }
  };
  Output outs[N_OUT] = { 0 };
  g_autoptr (DlsTiffReader) r = NULL;
  g_autofree float *vol = NULL, *slice = NULL, *mean = NULL, *std = NULL;
  float *res[N_OUT] = { 0 };
  const DlsTiffInfo *info;
  DlsTiffInfo vinfo = { 0 };
  int axis = 0, rc = 1;
  int64_t s0 = 0, s1 = -1, n_slices, rows, cols, hw;
  const char *paths[N_OUT];
  int planes[N_OUT];
  const DlsSampleType types[N_OUT] = { DLS_SAMPLE_F32, DLS_SAMPLE_U8, DLS_SAMPLE_F32,
                                       DLS_SAMPLE_F32, DLS_SAMPLE_U8, DLS_SAMPLE_U8,
                                       DLS_SAMPLE_U8 };
  gboolean tty = isatty (2);
  gint64 t0 = g_get_monotonic_time (), last = 0;

  g_option_context_set_summary (
      ctx,
      "Runs MODEL (a model file, or an ensemble manifest from “dlsia train --ensemble”) on\n"
      "INPUT (a TIFF image or stack, or a folder of slices), applying the input normalisation\n"
      "stored in the model and nothing else.  Ensembles average their members' softmax.\n"
      "Outputs keep the input's Z × Y × X order and appear only when complete.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dlsia predict: %s\n", error->message);
      rc = 2;
      goto out;
    }
  if (argc != 3)
    {
      g_printerr ("dlsia predict: give a model and an input image (see --help)\n");
      rc = 2;
      goto out;
    }
  if (!P.prob_path && !P.class_path && !P.out_path && !P.unc_path && !P.set_path && !P.certain_path
      && !P.possible_path)
    {
      g_printerr ("dlsia predict: say what to write: --classes, --probabilities, --uncertainty, "
                  "--set-size, --certain, --possible or --output\n");
      rc = 2;
      goto out;
    }
  P.measure = M_MARGIN;
  if (P.measure_s)
    {
      gboolean found = FALSE;

      for (int m = 0; m <= M_SET_SIZE; m++)
        if (g_strcmp0 (P.measure_s, measure_name (m)) == 0)
          {
            P.measure = m;
            found = TRUE;
          }
      if (!found)
        {
          g_printerr ("dlsia predict: --measure is margin, entropy, std or set-size, not “%s”\n",
                      P.measure_s);
          rc = 2;
          goto out;
        }
    }
  if (P.axis_s)
    {
      if (g_ascii_strcasecmp (P.axis_s, "all") == 0)
        axis = AXIS_ALL;
      else if (strlen (P.axis_s) != 1 || !strchr ("zyxZYX", P.axis_s[0]))
        {
          g_printerr ("dlsia predict: --axis is z, y, x or all, not “%s”\n", P.axis_s);
          rc = 2;
          goto out;
        }
      else
        axis = g_ascii_tolower (P.axis_s[0]) == 'z'   ? 0
               : g_ascii_tolower (P.axis_s[0]) == 'y' ? 1
                                                      : 2;
    }
  if (axis == AXIS_ALL && P.slices_s)
    {
      g_printerr ("dlsia predict: --axis all predicts the whole volume; --slices splits one "
                  "axis (give --axis z, y or x)\n");
      rc = 2;
      goto out;
    }
  if (axis == AXIS_ALL
      && (P.set_path || P.certain_path || P.possible_path || P.calibrate_path
          || (P.unc_path && P.measure == M_SET_SIZE)))
    {
      g_printerr ("dlsia predict: conformal sets are calibrated on predictions along one axis "
                  "and do not hold for the average of three; predict them with --axis z\n");
      rc = 2;
      goto out;
    }
  if (P.slices_s)
    {
      char *colon = strchr (P.slices_s, ':');
      g_autofree char *a = colon ? g_strndup (P.slices_s, colon - P.slices_s) : NULL;
      int ia, ib;

      if (colon == NULL || !cli_parse_int ("predict", "slices", a, 0, G_MAXINT, &ia)
          || !cli_parse_int ("predict", "slices", colon + 1, 1, G_MAXINT, &ib) || ib <= ia)
        {
          g_printerr ("dlsia predict: --slices needs A:B with A < B, e.g. 0:64\n");
          rc = 2;
          goto out;
        }
      s0 = ia;
      s1 = ib;
    }
  if (P.threads < 0 || P.tile < 0 || (P.tile > 0 && P.tile < 16) || P.overlap < 0
      || !(P.alpha > 0 && P.alpha < 1))
    {
      g_printerr ("dlsia predict: --threads ≥ 0, --tile 0 or ≥ 16, --overlap ≥ 0, --alpha in "
                  "(0, 1)\n");
      rc = 2;
      goto out;
    }
  if (!cli_set_memory_budget ("predict", P.budget_s))
    {
      rc = 2;
      goto out;
    }
  if (P.threads > 0)
    dls_engine_set_threads (P.threads);

  P.ens = dls_ensemble_load (argv[1], &error);
  if (P.ens == NULL)
    goto fail;
  P.K = P.ens->models[0]->config.out_channels;
  memcpy (paths,
          (const char *[N_OUT]){ P.prob_path, P.class_path, P.out_path, P.unc_path, P.set_path,
                                 P.certain_path, P.possible_path },
          sizeof paths);
  memcpy (planes, (int[N_OUT]){ P.K, 1, P.K, 1, 1, 1, 1 }, sizeof planes);
  P.classifier = dls_model_is_classifier (P.ens->models[0]);
  if (!P.classifier
      && (P.prob_path || P.class_path || P.unc_path || P.set_path || P.certain_path
          || P.possible_path))
    {
      g_printerr ("dlsia predict: “%s” is a %s model without classes; use --output\n", argv[1],
                  dls_arch_name (P.ens->models[0]->config.arch));
      goto out;
    }
  if (P.class_path && P.K > 255)
    {
      g_printerr ("dlsia predict: %d classes do not fit a uint8 class map\n", P.K);
      goto out;
    }
  if ((P.certain_path || P.possible_path) && (P.cls < 1 || P.cls > P.K))
    {
      g_printerr ("dlsia predict: --certain and --possible need --class 1..%d\n", P.K);
      goto out;
    }
  if (P.measure == M_STD && P.unc_path && P.ens->n < 2 && axis != AXIS_ALL)
    g_printerr ("dlsia predict: warning: --measure std of a single model is 0 everywhere\n");
  /* conformal: stored in the manifest or the model unless --calibrate */
  if (P.ens->has_conformal)
    {
      P.conf = (DlsConformal){ P.ens->alpha, P.ens->qhat, P.ens->n_calibration };
      P.have_conformal = TRUE;
    }
  else if (P.ens->n == 1 && P.ens->models[0]->config.conformal_set)
    {
      const DlsModelConfig *c = &P.ens->models[0]->config;

      P.conf = (DlsConformal){ c->conformal_alpha, c->conformal_qhat, c->conformal_n };
      P.have_conformal = TRUE;
    }
  r = dls_tiff_reader_open (argv[2], &error);
  if (r == NULL)
    goto fail;
  info = dls_tiff_reader_get_info (r);
  if (info->channels != P.ens->models[0]->config.in_channels)
    {
      int c = P.ens->models[0]->config.in_channels;

      g_printerr ("dlsia predict: the model takes %d input channel%s, “%s” has %d; predict "
                  "with a model trained on images like it\n",
                  c, c == 1 ? "" : "s", argv[2], info->channels);
      goto out;
    }
  if (info->width > 65536 || info->height > 65536)
    {
      g_printerr ("dlsia predict: slices of %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                  " are too large to predict; use --tile\n",
                  info->width, info->height);
      goto out;
    }
  P.pred = dls_ensemble_predictor_new (P.ens->models, P.ens->n,
                                       &(DlsTileArgs){ .tile = P.tile, .overlap = P.overlap });
  if (P.calibrate_path && !calibrate_from (&P, r, &error))
    goto fail;
  if ((P.set_path || P.certain_path || P.possible_path || (P.unc_path && P.measure == M_SET_SIZE))
      && !P.have_conformal)
    {
      g_printerr ("dlsia predict: the model has no conformal calibration; train it with dlsia "
                  "train or give --calibrate LABELS.tif\n");
      goto out;
    }

  if (axis == AXIS_ALL)
    {
      /* the volume as float32 and the running sums, before any of it is allocated */
      gboolean want_std = P.unc_path && P.measure == M_STD;
      guint64 need = (guint64) info->depth * info->height * info->width
                     * (info->channels + (guint64) P.K * (want_std ? 2 : 1));
      g_autofree char *name = g_filename_display_basename (argv[2]);
      g_autofree char *what = g_strdup_printf (
          "Predicting “%s” along all three axes (the volume and the sums as float32)", name);

      if (!dls_memory_check (need * sizeof (float), what,
                             "predict along z (the default), which streams slice by slice",
                             &error))
        goto fail;
      for (int o = 0; o < N_OUT; o++)
        {
          if (!output_open (&outs[o], paths[o], types[o], planes[o], info->width, info->height,
                            info->depth * planes[o], FALSE, 0, &error))
            goto fail;
          if (paths[o])
            res[o] = g_new (float, planes[o] * info->width * info->height);
        }
      vol = dls_tiff_read_volume (argv[2], &vinfo, &error);
      if (vol == NULL
          || !predict_all_axes (&P, vol, info, outs, res, want_std, tty, &error))
        goto fail;
      if (tty)
        g_printerr ("\r\033[K");
      if (!commit_outputs (outs, N_OUT, &error))
        goto fail;
      g_printerr ("dlsia predict: %" G_GINT64_FORMAT " + %" G_GINT64_FORMAT " + %" G_GINT64_FORMAT
                  " slices along z, y and x with %d model%s, averaged, in %.2f s\n",
                  info->depth, info->height, info->width, P.ens->n, P.ens->n == 1 ? "" : "s",
                  (g_get_monotonic_time () - t0) / 1e6);
      rc = 0;
      goto out;
    }
  n_slices = axis == 0 ? info->depth : axis == 1 ? info->height : info->width;
  rows = axis == 0 ? info->height : info->depth;
  cols = axis == 2 ? info->height : info->width;
  if (s1 < 0)
    s1 = n_slices;
  if (s1 > n_slices)
    {
      g_printerr ("dlsia predict: --slices goes to %" G_GINT64_FORMAT
                  " but there are %" G_GINT64_FORMAT " slices along %c\n",
                  s1, n_slices, "zyx"[axis]);
      goto out;
    }
  hw = rows * cols;
  {
    /* output volume: Z × Y × X restricted to the slice range along the axis */
    int64_t oz = axis == 0 ? s1 - s0 : info->depth, oy = axis == 1 ? s1 - s0 : info->height;
    int64_t ox = axis == 2 ? s1 - s0 : info->width;

    if (axis != 0)
      {
        /* the input volume as float32 and every output whole, before any of it is allocated */
        guint64 need = (guint64) info->depth * info->channels * info->height * info->width;
        g_autofree char *name = g_filename_display_basename (argv[2]);
        g_autofree char *what = NULL;

        for (int o = 0; o < N_OUT; o++)
          if (paths[o])
            need += (guint64) oz * oy * ox * planes[o];
        what = g_strdup_printf ("Predicting “%s” along %c (the volume and the outputs as float32)",
                                name, "zyx"[axis]);
        if (!dls_memory_check (need * sizeof (float), what,
                               "predict along z (the default), which streams slice by slice",
                               &error))
          goto fail;
      }
    for (int o = 0; o < N_OUT; o++)
      {
        if (!output_open (&outs[o], paths[o], types[o], planes[o], ox, oy, oz * planes[o],
                          axis != 0, oz * oy * ox * planes[o], &error))
          goto fail;
        if (paths[o])
          res[o] = g_new (float, planes[o] * hw);
      }
    if (axis != 0)
      {
        vol = dls_tiff_read_volume (argv[2], &vinfo, &error);
        if (vol == NULL)
          goto fail;
      }
    slice = g_try_new (float, hw * info->channels);
    mean = g_try_new (float, hw *P.K);
    std = g_try_new (float, hw *P.K);
    if (slice == NULL || mean == NULL || std == NULL)
      {
        g_printerr ("dlsia predict: not enough memory for slices of %" G_GINT64_FORMAT
                    " × %" G_GINT64_FORMAT "\n",
                    cols, rows);
        goto out;
      }
    for (int64_t s = s0; s < s1; s++)
      {
        if (axis == 0)
          {
            if (!dls_tiff_reader_read_slice (r, s, slice, &error))
              goto fail;
          }
        else
          cut_slice (vol, info, axis, s, slice);
        if (!dls_ensemble_predictor_run (P.pred, slice, (int) rows, (int) cols, mean,
                                         P.ens->n > 1 ? std : NULL, NULL, &error))
          goto fail;
        if (P.ens->n == 1)
          memset (std, 0, sizeof (float) * hw * P.K);
        slice_outputs (&P, mean, std, hw, res, outs);
        for (int o = 0; o < N_OUT; o++)
          if (outs[o].path)
            {
              if (axis == 0)
                {
                  if (!output_page (&outs[o], res[o], hw, &error))
                    goto fail;
                }
              else
                put_slice (outs[o].vol, res[o], outs[o].planes, info, axis, s, s0, s1 - s0,
                           FALSE);
            }
        {
          gint64 now = g_get_monotonic_time ();

          if (tty && (now - last > 200000 || s + 1 == s1))
            {
              double el = (now - t0) / 1e6, eta = el / (s - s0 + 1) * (s1 - s - 1);

              g_printerr ("\r\033[Kdlsia predict: slice %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
                          "  %.1f s, ETA %.0f s",
                          s - s0 + 1, s1 - s0, el, eta);
              last = now;
            }
        }
      }
    if (tty)
      g_printerr ("\r\033[K");
    if (axis != 0)
      for (int o = 0; o < N_OUT; o++)
        if (outs[o].path)
          {
            int64_t page = oy * ox;

            for (int64_t z = 0; z < oz; z++)
              if (!output_page (&outs[o], outs[o].vol + z * outs[o].planes * page, page, &error))
                goto fail;
          }
    if (!commit_outputs (outs, N_OUT, &error))
      goto fail;
  }
  g_printerr ("dlsia predict: %" G_GINT64_FORMAT " slice%s of %" G_GINT64_FORMAT
              " × %" G_GINT64_FORMAT " with %d model%s in %.2f s\n",
              s1 - s0, s1 - s0 == 1 ? "" : "s", cols, rows, P.ens->n, P.ens->n == 1 ? "" : "s",
              (g_get_monotonic_time () - t0) / 1e6);
  rc = 0;
  goto out;
fail:
  if (tty)
    g_printerr ("\r\033[K");
  g_printerr ("dlsia predict: %s\n", error->message);
out:
  for (int o = 0; o < N_OUT; o++)
    {
      output_abort (&outs[o]);
      g_free (res[o]);
    }
  dls_tiff_info_clear (&vinfo);
  g_clear_pointer (&P.pred, dls_ensemble_predictor_free);
  g_clear_pointer (&P.ens, dls_ensemble_free);
  g_free (P.prob_path);
  g_free (P.class_path);
  g_free (P.out_path);
  g_free (P.unc_path);
  g_free (P.set_path);
  g_free (P.certain_path);
  g_free (P.possible_path);
  g_free (P.measure_s);
  g_free (P.axis_s);
  g_free (P.slices_s);
  g_free (P.calibrate_path);
  g_free (P.budget_s);
  return rc;
}
