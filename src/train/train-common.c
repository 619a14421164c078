/* SPDX-License-Identifier: MIT
 *
 * train-common.c: helpers of the training loops (trainer.c, regress.c).
 */
#include "config.h"

#include <math.h>

#include "train-private.h"

DlsParams *
dls_train_best_new (DlsModel *m, GError **error)
{
  DlsModel *twin = dls_model_new (&m->config, error);
  DlsParams *best;

  if (twin == NULL)
    return NULL;
  best = dls_params_ref (twin->params);
  dls_model_free (twin);
  if (!dls_params_copy_from (best, m->params, error))
    {
      dls_params_unref (best);
      return NULL;
    }
  return best;
}

gboolean
dls_train_check_loss (double loss, int epoch, int step, DlsModel *m, DlsParams *best,
                      GError **error)
{
  if (isfinite (loss))
    return TRUE;
  dls_params_copy_from (m->params, best, NULL);
  g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
               "training diverged: the loss became %s at epoch %d, step %d; the best weights so "
               "far are kept (try a lower learning rate)",
               isnan (loss) ? "NaN" : "infinite", epoch + 1, step + 1);
  return FALSE;
}

DlsTrainStepResult
dls_train_take_step (DlsTrainStep *tr, DlsOptimizer *opt, const float *x, const int32_t *labels,
                     const float *target, const float *mask, int epoch, int step, DlsModel *m,
                     DlsParams *best, double *loss, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!dls_train_step_run (tr, x, labels, target, mask, loss, &local))
    {
      if (g_error_matches (local, DLS_ERROR, DLS_ERROR_CANCELLED))
        return DLS_TRAIN_STEP_CANCELLED;
      g_propagate_error (error, g_steal_pointer (&local));
      return DLS_TRAIN_STEP_FAILED;
    }
  if (!dls_train_check_loss (*loss, epoch, step, m, best, error))
    return DLS_TRAIN_STEP_FAILED;
  dls_optimizer_step (opt);
  return DLS_TRAIN_STEP_DONE;
}

double
dls_train_eta (const DlsTrainArgs *a, int epoch, int steps, int done_in_epoch, double elapsed)
{
  double eta;

  if (a->epochs <= 0)
    return MAX (0, a->time_budget - elapsed);
  {
    double done = (double) epoch * steps + done_in_epoch, total = (double) a->epochs * steps;

    eta = elapsed / done * (total - done);
  }
  if (a->time_budget > 0)
    eta = MIN (eta, a->time_budget - elapsed);
  return eta;
}

gboolean
dls_train_epoch_end (const DlsTrainArgs *a, DlsTrainProgress *prog, DlsTrainResult *r, DlsModel *m,
                     DlsParams *best, gboolean validated, int *since_best, double elapsed)
{
  gboolean better = validated ? prog->val_loss < r->best_val_loss : TRUE;

  if (better)
    {
      r->best_epoch = validated ? prog->epoch : -1;
      r->best_val_loss = validated ? prog->val_loss : NAN;
      r->best_f1_micro = prog->f1_micro;
      r->best_f1_macro = prog->f1_macro;
      r->best_cc = prog->cc;
      dls_params_copy_from (best, m->params, NULL);
      *since_best = 0;
    }
  else
    (*since_best)++;
  prog->epoch_done = TRUE;
  prog->improved = better;
  if (a->progress)
    a->progress (prog, a->user_data);
  prog->epoch_done = FALSE;
  if (a->patience > 0 && *since_best >= a->patience)
    {
      r->stopped_early = TRUE;
      return TRUE;
    }
  return a->time_budget > 0 && elapsed >= a->time_budget;
}
