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
