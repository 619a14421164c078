/* SPDX-License-Identifier: MIT
 *
 * regress.c: training for regression — detector-gap inpainting (TUNet, MSDNet) and
 * autoencoders (MSAE, SparseAutoEncoder).  The loss is DLSIA's masked MSE or L1 (Σ mask·err /
 * Σ mask) over the training part of the mask; validation scores the held-out part by loss and
 * by Pearson CC, the figure DLSIA and the inpainting paper report.
 *
 * With patches, training positions are drawn at random (seeded) from every slice and the
 * mask's pixels are split by a hash of their index; with whole slices (patch 0, autoencoders)
 * whole slices are held out.  Like the classifier, it keeps the best-validation weights, stops
 * on cancel within a step and on a non-finite loss with a message.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "metrics.h"
#include "train-private.h"
#include "train-step.h"

typedef struct
{
  const DlsRegressionData *d;
  int P, PH, PW; /* patch (or slice) height and width */
  int C, Ct;
  gboolean whole;
  double val;
  uint64_t seed;
} Src;

static gboolean
held_out (const Src *s, int64_t key)
{
  if (s->val <= 0)
    return FALSE;
  return (double) (dls_hash64 (s->seed * 0x9e3779b97f4a7c15ULL + (uint64_t) key + 1) >> 11)
             * (1.0 / 9007199254740992.0)
         < s->val;
}

/* Fills one sample: input, target and the loss mask of the wanted part (train or val). */
static int64_t
fill (const Src *s, int64_t z, int y0, int x0, gboolean validation, float *in, float *tg, float *mk)
{
  const DlsRegressionData *d = s->d;
  int64_t H = d->input->height, W = d->input->width, plane = H * W, n = 0;
  int PH = s->PH, PW = s->PW;

  for (int c = 0; c < s->C; c++)
    for (int y = 0; y < PH; y++)
      memcpy (in + ((int64_t) c * PH + y) * PW,
              d->input->data + ((z * s->C + c) * H + y0 + y) * W + x0, sizeof (float) * PW);
  for (int c = 0; c < s->Ct; c++)
    for (int y = 0; y < PH; y++)
      memcpy (tg + ((int64_t) c * PH + y) * PW,
              d->target->data + ((z * s->Ct + c) * H + y0 + y) * W + x0, sizeof (float) * PW);
  for (int y = 0; y < PH; y++)
    for (int x = 0; x < PW; x++)
      {
        int64_t vox = z * plane + (int64_t) (y0 + y) * W + x0 + x;
        gboolean on = d->mask ? d->mask[vox] != 0 : TRUE;
        gboolean part = s->whole ? held_out (s, z) : held_out (s, vox);
        float v = on && part == validation ? 1.0f : 0.0f;

        for (int c = 0; c < s->Ct; c++)
          mk[((int64_t) c * PH + y) * PW + x] = v;
        n += v != 0;
      }
  return n;
}

typedef struct
{
  DlsGraph *g;
  DlsModelNodes nodes;
  DlsNode target, mask, loss;
} RegGraph;

static gboolean
reg_graph (RegGraph *rg, DlsModel *m, int B, int PH, int PW, DlsRegressionLoss loss, gboolean train,
           GError **error)
{
  int Ct = m->config.out_channels;

  rg->g = dls_model_build_graph (m, B, PH, PW, &rg->nodes, error);
  if (rg->g == NULL)
    return FALSE;
  rg->target = dls_graph_input (rg->g, "target", DLS_SHAPE (B, Ct, PH, PW), false);
  rg->mask = dls_graph_input (rg->g, "mask", DLS_SHAPE (B, Ct, PH, PW), false);
  rg->loss = loss == DLS_REGRESSION_L1
                 ? dls_graph_l1_masked (rg->g, rg->nodes.output, rg->target, rg->mask)
                 : dls_graph_mse_masked (rg->g, rg->nodes.output, rg->target, rg->mask);
  dls_graph_mark_output (rg->g, rg->nodes.output);
  if (!dls_graph_compile (rg->g, train, error))
    {
      g_clear_pointer (&rg->g, dls_graph_free);
      return FALSE;
    }
  dls_graph_set_training (rg->g, train);
  return TRUE;
}

static gboolean
run (RegGraph *rg, const float *in, const float *tg, const float *mk)
{
  return dls_graph_set_input (rg->g, rg->nodes.input, in, NULL)
         && dls_graph_set_input (rg->g, rg->target, tg, NULL)
         && dls_graph_set_input (rg->g, rg->mask, mk, NULL) && dls_graph_forward (rg->g);
}

gboolean
dls_train_regressor (DlsModel *m, const DlsRegressionData *d, DlsRegressionLoss loss,
                     const DlsTrainArgs *args, DlsTrainResult *result, GError **error)
{
  DlsTrainArgs a = *args;
  DlsTrainResult r = { .best_epoch = -1, .best_val_loss = INFINITY, .best_cc = NAN };
  DlsTrainProgress prog = { 0 };
  RegGraph ev = { 0 };
  g_autoptr (DlsTrainStep) tr = NULL;
  Src s = { .d = d };
  g_autoptr (DlsOptimizer) opt = NULL;
  g_autoptr (DlsParams) best = NULL;
  g_autofree float *in = NULL, *tg = NULL, *mk = NULL, *out = NULL;
  g_autoptr (GArray) train_z = g_array_new (FALSE, FALSE, sizeof (int64_t));
  g_autoptr (GArray) val_pos = g_array_new (FALSE, FALSE, sizeof (int64_t));
  int64_t Z = d->input->depth, H = d->input->height, W = d->input->width;
  int B, steps, since_best = 0;
  int64_t per;
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = FALSE;
  DlsRng rng;

  s.C = m->config.in_channels;
  s.Ct = m->config.out_channels;
  s.whole = d->patch <= 0;
  s.PH = s.whole ? (int) H : MIN (d->patch, (int) H);
  s.PW = s.whole ? (int) W : MIN (d->patch, (int) W);
  s.val = d->val_fraction == 0 ? 0.2 : MAX (0, d->val_fraction);
  s.seed = d->seed;
  if (a.epochs < 0 || a.time_budget < 0 || (a.epochs == 0 && a.time_budget <= 0))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "nothing to train: give a number of epochs or a time budget above zero");
      return FALSE;
    }
  if (d->input->channels != s.C || d->target->channels != s.Ct || d->target->depth != Z
      || d->target->height != H || d->target->width != W)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE,
                   "the model maps %d channels to %d; the input has %d and the target %d (or the "
                   "target's size differs)",
                   s.C, s.Ct, d->input->channels, d->target->channels);
      return FALSE;
    }
  /* training slices (whole) or every slice (patches); validation samples */
  for (int64_t z = 0; z < Z; z++)
    if (!s.whole || !held_out (&s, z))
      g_array_append_val (train_z, z);
  if (train_z->len == 0)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "every slice went to validation: give more slices or a smaller fraction");
      return FALSE;
    }
  if (s.whole)
    {
      for (int64_t z = 0; z < Z; z++)
        if (held_out (&s, z))
          g_array_append_val (val_pos, z);
    }
  else
    for (int64_t z = 0; z < Z; z++)
      for (int64_t y0 = 0; y0 + s.PH <= H; y0 += s.PH)
        for (int64_t x0 = 0; x0 + s.PW <= W && val_pos->len < 256; x0 += s.PW)
          {
            int64_t key = (z * H + y0) * W + x0;

            g_array_append_val (val_pos, key);
          }
  B = a.batch > 0 ? a.batch : 4;
  if (s.whole)
    B = MIN (B, (int) train_z->len);
  per = (int64_t) train_z->len * (s.whole ? 1 : MAX (1, (H * W) / ((int64_t) s.PH * s.PW)));
  steps = (int) CLAMP ((per + B - 1) / B, 1, 256);
  tr = dls_train_step_new (m, B, s.PH, s.PW,
                           loss == DLS_REGRESSION_L1 ? DLS_STEP_L1_MASKED : DLS_STEP_MSE_MASKED,
                           NULL, !a.graph_only, error);
  if (tr == NULL || !reg_graph (&ev, m, B, s.PH, s.PW, loss, FALSE, error))
    goto out;
  dls_train_step_set_seed (tr, a.seed);
  dls_train_step_set_cancel_flag (tr, a.cancel);
  dls_graph_set_cancel_flag (ev.g, a.cancel);
  opt = dls_optimizer_new_adam (m->params, &(DlsAdamArgs){ .lr = a.lr > 0 ? a.lr : 1e-3 });
  best = dls_train_best_new (m, error);
  if (best == NULL)
    goto out;
  {
    int64_t sin = (int64_t) B * s.C * s.PH * s.PW, sout = (int64_t) B * s.Ct * s.PH * s.PW;

    in = g_new (float, sin);
    tg = g_new (float, sout);
    mk = g_new (float, sout);
    out = g_new (float, sout);
  }
  dls_rng_init (&rng, a.seed ^ 0x7e57ULL);
  prog.member = a.member;
  prog.n_members = MAX (a.n_members, 1);
  prog.n_epochs = a.epochs;
  prog.n_steps = steps;
  prog.val_loss = prog.f1_micro = prog.f1_macro = prog.cc = NAN;
  for (int epoch = 0; a.epochs == 0 || epoch < a.epochs; epoch++)
    {
      double sum = 0;
      int done = 0;

      prog.epoch = epoch;
      for (int st = 0; st < steps; st++)
        {
          int64_t sample = (int64_t) B * s.Ct * s.PH * s.PW / B, counted = 0;
          double lv, elapsed;

          if (a.cancel && *a.cancel)
            {
              r.cancelled = TRUE;
              goto finish;
            }
          for (int b = 0; b < B; b++)
            {
              int64_t z = g_array_index (train_z, int64_t, dls_rng_below (&rng, train_z->len));
              int y0 = s.whole ? 0 : (int) dls_rng_below (&rng, (uint32_t) (H - s.PH + 1));
              int x0 = s.whole ? 0 : (int) dls_rng_below (&rng, (uint32_t) (W - s.PW + 1));

              counted += fill (&s, z, y0, x0, FALSE, in + b * (int64_t) s.C * s.PH * s.PW,
                               tg + b * sample, mk + b * sample);
            }
          if (counted == 0)
            continue;
          switch (dls_train_take_step (tr, opt, in, NULL, tg, mk, epoch, st, m, best, &lv,
                                       error))
            {
            case DLS_TRAIN_STEP_FAILED:
              goto out;
            case DLS_TRAIN_STEP_CANCELLED:
              r.cancelled = TRUE;
              goto finish;
            default:
              break;
            }
          sum += lv;
          done++;
          elapsed = (g_get_monotonic_time () - t0) / 1e6;
          prog.step = st + 1;
          prog.loss = sum / done;
          prog.elapsed = elapsed;
          prog.eta = dls_train_eta (&a, epoch, steps, st + 1, elapsed);
          if (a.progress)
            a.progress (&prog, a.user_data);
          if (a.time_budget > 0 && elapsed >= a.time_budget)
            break;
        }
      r.epochs_run = epoch + 1;
      /* validation: loss and CC over held-out mask pixels */
      {
        DlsPearsonAcc acc = { 0 };
        double vsum = 0, vloss = NAN, cc;

        for (guint i = 0; i < val_pos->len; i += B)
          {
            int64_t sample = (int64_t) s.Ct * s.PH * s.PW, cnt = 0;

            for (int b = 0; b < B; b++)
              {
                int64_t key = g_array_index (val_pos, int64_t, (i + b) % val_pos->len);
                int64_t z = s.whole ? key : key / (H * W);
                int y0 = s.whole ? 0 : (int) (key / W % H), x0 = s.whole ? 0 : (int) (key % W);
                int64_t c = fill (&s, z, y0, x0, TRUE, in + b * (int64_t) s.C * s.PH * s.PW,
                                  tg + b * sample, mk + b * sample);

                if (i + b >= val_pos->len)
                  memset (mk + b * sample, 0, sizeof (float) * sample);
                else
                  cnt += c;
              }
            if (cnt == 0)
              continue;
            if (!run (&ev, in, tg, mk))
              {
                r.cancelled = TRUE;
                goto finish;
              }
            vsum += dls_graph_scalar (ev.g, ev.loss) * cnt;
            dls_graph_read (ev.g, ev.nodes.output, out);
            dls_pearson_acc_add (&acc, out, tg, mk, B * sample);
          }
        if (acc.n > 1)
          vloss = vsum / (acc.n / s.Ct);
        cc = dls_pearson_acc_cc (&acc);
        prog.val_loss = vloss;
        prog.cc = cc;
        if (dls_train_epoch_end (&a, &prog, &r, m, best, acc.n > 1, &since_best,
                                 (g_get_monotonic_time () - t0) / 1e6))
          break;
      }
    }
finish:
  dls_params_copy_from (m->params, best, NULL);
  ok = TRUE;
out:
  r.seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (result)
    *result = r;
  g_clear_pointer (&ev.g, dls_graph_free);
  return ok;
}
