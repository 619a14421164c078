/* SPDX-License-Identifier: MIT
 *
 * trainer.c: the training loop.  Two graphs share the model's parameters: a training graph on a
 * batch of patches (with backward) and an eval graph of the same shape for validation.  The
 * optimizer steps once per batch; after each epoch the validation pixels are scored in eval
 * mode and a copy of the best weights is kept (DLSIA keeps a reference to the live ones by
 * mistake and ends with the last).  Same seed and thread count → same weights.  The training
 * step itself is a DlsTrainStep: the graph, or the fused path for an MSDNet.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "metrics.h"
#include "train-private.h"
#include "train-step.h"

typedef struct
{
  DlsGraph *g;
  DlsModelNodes nodes;
  DlsNode labels, loss;
} LossGraph;

static gboolean
loss_graph (LossGraph *lg, DlsModel *m, int B, int P, const float *weights, gboolean train,
            GError **error)
{
  lg->g = dls_model_build_graph (m, B, P, P, &lg->nodes, error);
  if (lg->g == NULL)
    return FALSE;
  lg->labels = dls_graph_input_labels (lg->g, "labels", B, P, P);
  lg->loss = dls_graph_cross_entropy (lg->g, lg->nodes.output, lg->labels, -1, weights);
  dls_graph_mark_output (lg->g, lg->nodes.output);
  if (!dls_graph_compile (lg->g, train, error))
    {
      g_clear_pointer (&lg->g, dls_graph_free);
      return FALSE;
    }
  dls_graph_set_training (lg->g, train);
  return TRUE;
}

/* Validation: mean cross-entropy over validation pixels and their confusion matrix. */
static gboolean
validate (LossGraph *ev, DlsModel *m, DlsDataset *ds, int B, int max_patches, float *img,
          int32_t *lab, float *logits, double *loss, DlsConfusion *conf)
{
  int P = dls_dataset_patch_size (ds), C = m->config.in_channels, K = m->config.out_channels;
  int total = dls_dataset_n_patches (ds), n = total;
  int64_t pp = (int64_t) P * P;
  double sum = 0;
  int64_t count = 0;
  g_autofree uint8_t *pred = g_new (uint8_t, pp * B), *truth = g_new (uint8_t, pp * B);

  if (max_patches > 0)
    n = MIN (n, max_patches);
  for (int i0 = 0; i0 < n; i0 += B)
    {
      int64_t batch_count = 0;

      for (int b = 0; b < B; b++)
        /* a capped pass takes patches spread evenly over the dataset (all slices), not its
         * first ones */
        dls_dataset_get (ds, (int) ((int64_t) ((i0 + b) % n) * total / n), 0, img + b * C * pp,
                         NULL, lab + b * pp);
      /* a wrapped-around patch must not count twice */
      for (int b = n - i0; b < B; b++)
        for (int64_t k = 0; k < pp; k++)
          lab[b * pp + k] = -1;
      for (int64_t k = 0; k < B * pp; k++)
        batch_count += lab[k] >= 0;
      if (batch_count == 0)
        continue;
      if (!dls_graph_set_input (ev->g, ev->nodes.input, img, NULL)
          || !dls_graph_set_labels (ev->g, ev->labels, lab, NULL) || !dls_graph_forward (ev->g))
        return FALSE;
      sum += dls_graph_scalar (ev->g, ev->loss) * batch_count;
      count += batch_count;
      dls_graph_read (ev->g, ev->nodes.output, logits);
      for (int b = 0; b < B; b++)
        for (int64_t k = 0; k < pp; k++)
          {
            const float *l = logits + (int64_t) b * K * pp + k;
            int best = 0;

            for (int c = 1; c < K; c++)
              if (l[c * pp] > l[best * pp])
                best = c;
            pred[b * pp + k] = (uint8_t) (best + 1);
            truth[b * pp + k] = (uint8_t) (lab[b * pp + k] + 1);
          }
      dls_confusion_add (conf, pred, truth, B * pp);
    }
  *loss = count ? sum / count : NAN;
  return TRUE;
}

static void
report (const DlsTrainArgs *a, DlsTrainProgress *p)
{
  if (a->progress)
    a->progress (p, a->user_data);
}

gboolean
dls_train_classifier (DlsModel *m, DlsDataset *ds, const DlsTrainArgs *args, DlsTrainResult *result,
                      GError **error)
{
  DlsTrainArgs a = *args;
  DlsTrainResult r = { .best_epoch = -1, .best_val_loss = INFINITY };
  LossGraph ev = { 0 };
  g_autoptr (DlsTrainStep) tr = NULL;
  g_autoptr (DlsOptimizer) opt = NULL;
  g_autoptr (DlsParams) best = NULL;
  g_autofree float *img = NULL, *logits = NULL;
  g_autofree int32_t *lab = NULL;
  g_autofree int *order = NULL;
  DlsTrainProgress prog = { 0 };
  int P = dls_dataset_patch_size (ds), C = m->config.in_channels, K = m->config.out_channels;
  int n = dls_dataset_n_patches (ds), B, steps, since_best = 0;
  int64_t pp = (int64_t) P * P;
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = FALSE, have_val = dls_dataset_n_labelled (ds, TRUE) > 0;
  DlsRng rng;

  if (a.epochs < 0 || a.time_budget < 0 || (a.epochs == 0 && a.time_budget <= 0))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "nothing to train: give a number of epochs or a time budget above zero");
      return FALSE;
    }
  if (n == 0)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "no %d × %d patch holds a labelled pixel",
                   P, P);
      return FALSE;
    }
  if (m->config.arch != DLS_ARCH_MSDNET && m->config.arch != DLS_ARCH_TUNET
      && m->config.arch != DLS_ARCH_SMSNET)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "a %s is not a segmentation network",
                   dls_arch_name (m->config.arch));
      return FALSE;
    }
  B = MIN (a.batch > 0 ? a.batch : 4, n);
  steps = (n + B - 1) / B;
  tr = dls_train_step_new (m, B, P, P, DLS_STEP_CROSS_ENTROPY, a.class_weights, !a.graph_only,
                           error);
  if (tr == NULL || !loss_graph (&ev, m, B, P, a.class_weights, FALSE, error))
    goto out;
  dls_train_step_set_seed (tr, a.seed);
  dls_train_step_set_cancel_flag (tr, a.cancel);
  dls_graph_set_cancel_flag (ev.g, a.cancel);
  opt = dls_optimizer_new_adam (m->params, &(DlsAdamArgs){ .lr = a.lr > 0 ? a.lr : 1e-3 });
  best = dls_train_best_new (m, error);
  if (best == NULL)
    goto out;
  img = g_new (float, B *C *pp);
  lab = g_new (int32_t, B * pp);
  logits = g_new (float, (int64_t) B *K *pp);
  order = g_new (int, n);
  dls_rng_init (&rng, a.seed ^ 0x5eed5eedULL);

  prog.member = a.member;
  prog.n_members = MAX (a.n_members, 1);
  prog.n_epochs = a.epochs;
  prog.n_steps = steps;
  prog.val_loss = prog.f1_micro = prog.f1_macro = prog.cc = NAN;
  for (int epoch = 0; a.epochs == 0 || epoch < a.epochs; epoch++)
    {
      double sum = 0;

      for (int i = 0; i < n; i++)
        order[i] = i;
      for (int i = n - 1; i > 0; i--)
        {
          int j = (int) dls_rng_below (&rng, (uint32_t) i + 1), t = order[i];

          order[i] = order[j];
          order[j] = t;
        }
      prog.epoch = epoch;
      prog.epoch_done = prog.improved = FALSE;
      for (int s = 0; s < steps; s++)
        {
          double loss, elapsed;

          if (a.cancel && *a.cancel)
            {
              r.cancelled = TRUE;
              goto finish;
            }
          for (int b = 0; b < B; b++)
            dls_dataset_get (ds, order[(s * B + b) % n], (int) dls_rng_below (&rng, 8),
                             img + b * C * pp, lab + b * pp, NULL);
          switch (dls_train_take_step (tr, opt, img, lab, NULL, NULL, epoch, s, m, best, &loss,
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
          sum += loss;
          elapsed = (g_get_monotonic_time () - t0) / 1e6;
          prog.step = s + 1;
          prog.loss = sum / (s + 1);
          prog.elapsed = elapsed;
          prog.eta = dls_train_eta (&a, epoch, steps, s + 1, elapsed);
          report (&a, &prog);
          if (a.time_budget > 0 && elapsed >= a.time_budget)
            break;
        }
      r.epochs_run = epoch + 1;
      /* validation, in eval mode */
      {
        DlsConfusion conf;
        double vloss = NAN;

        dls_confusion_init (&conf, K);
        if (have_val
            && !validate (&ev, m, ds, B, a.max_val_patches, img, lab, logits, &vloss, &conf))
          {
            dls_confusion_clear (&conf);
            r.cancelled = TRUE;
            goto finish;
          }
        prog.val_loss = vloss;
        prog.f1_micro = have_val ? dls_confusion_f1_micro (&conf) : NAN;
        prog.f1_macro = have_val ? dls_confusion_f1_macro (&conf) : NAN;
        dls_confusion_clear (&conf);
        if (dls_train_epoch_end (&a, &prog, &r, m, best, have_val, &since_best,
                                 (g_get_monotonic_time () - t0) / 1e6))
          break;
      }
    }
finish:
  /* the best weights (a cancelled run keeps the best of its finished epochs) */
  dls_params_copy_from (m->params, best, NULL);
  ok = TRUE;
out:
  r.seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (result)
    *result = r;
  g_clear_pointer (&ev.g, dls_graph_free);
  return ok;
}
