/* SPDX-License-Identifier: MIT
 *
 * train-job.c: DlsTrainJob (see train-job.h).  The job owns copies of everything the worker
 * reads that the user may change meanwhile (the labels); the volume is never written, so the
 * worker reads the document's.  The prediction is handed to the document once the first
 * (visible) slice is ready, so the old overlay stays until the new one has something to show.
 *
 * Cancelling during training throws the new members away: the shown model stays the previous
 * one.  Cancelling during prediction keeps the slices already predicted.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "predict.h"
#include "train-job.h"

struct _DlsTrainJob
{
  DlsDocument *doc;
  DlsTrainSettings settings;
  int z_first;
  guint8 *labels;
  int K;
  volatile int cancel;
  GThread *thread;
  GMainContext *context;
  DlsTrainJobFn fn;
  gpointer user_data;
  gint alive;               /* 0 once dls_train_job_free began: no more callbacks */
  gatomicrefcount ref;      /* the owner's, and one per queued notification */

  GMutex lock;              /* guards what follows */
  DlsJobStatus status;
  GArray *losses;
  gint64 started;
  DlsSegmentResult result;
  DlsPrediction *prediction; /* the job's (for identity checks only; owned by the worker) */
  DlsModel **given;          /* predict-only: the caller's models (borrowed) */
  int n_given;
  gboolean given_calibrated;
  DlsConformal given_conformal;
};

typedef struct {
  DlsTrainJob *job;
  int z;
  DlsPrediction *publish;   /* hand this prediction to the document first */
  gboolean calibrated;      /* … or its conformal calibration */
  DlsConformal conformal;
} Notify;

static gboolean
notify_main (gpointer data)
{
  Notify *n = data;

  if (g_atomic_int_get (&n->job->alive))
    {
      if (n->calibrated)
        {
          DlsPrediction *p = dls_document_get_prediction (n->job->doc);

          if (p != NULL && p == n->job->prediction)
            {
              p->conformal = n->conformal;
              p->calibrated = TRUE;
              dls_document_prediction_arrived (n->job->doc, -1);
            }
        }
      else if (n->publish)
        dls_document_set_prediction (n->job->doc, n->publish);
      else if (n->z >= 0)
        dls_document_prediction_arrived (n->job->doc, n->z);
      if (n->job->fn && n->z != -2)
        n->job->fn (n->job, n->z, n->job->user_data);
    }
  return G_SOURCE_REMOVE;
}

static void
job_unref (DlsTrainJob *job)
{
  if (!g_atomic_ref_count_dec (&job->ref))
    return;
  dls_segment_result_clear (&job->result);
  g_free (job->given);
  g_array_unref (job->losses);
  g_free (job->labels);
  g_free (job->status.error);
  g_mutex_clear (&job->lock);
  g_main_context_unref (job->context);
  g_object_unref (job->doc);
  g_free (job);
}

static void
notify_free (gpointer data)
{
  Notify *n = data;

  g_clear_pointer (&n->publish, dls_prediction_unref);
  job_unref (n->job);
  g_free (n);
}

/* Always a source, never g_main_context_invoke(): that calls the function right here, on the
 * worker, whenever it can acquire the context (the default one, not being iterated at this
 * moment), and the callback and the document's signals must run on the main thread, in
 * order. */
static void
post (DlsTrainJob *job, Notify *n)
{
  GSource *source = g_idle_source_new ();

  g_atomic_ref_count_inc (&job->ref);
  n->job = job;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, notify_main, n, notify_free);
  g_source_attach (source, job->context);
  g_source_unref (source);
}

static void
notify (DlsTrainJob *job, int z, DlsPrediction *publish)
{
  Notify *n = g_new0 (Notify, 1);

  n->z = z;
  n->publish = publish ? dls_prediction_ref (publish) : NULL;
  post (job, n);
}

/* Split-conformal calibration from the prediction itself: every slice is predicted anyway, so
 * the validation pixels (the split dls_train_segmentation used) cost no extra inference. */
static void
calibrate (DlsTrainJob *job, DlsPrediction *p)
{
  gsize hw = (gsize) p->height * p->width, n = hw * p->depth;
  g_autofree float *probs = g_new (float, p->K * hw);
  g_autofree guint8 *val = g_new (guint8, hw);
  DlsConformalBuilder *b = dls_conformal_builder_new (p->K);
  g_autoptr (GError) error = NULL;
  Notify *note;

  for (int z = 0; z < p->depth; z++)
    {
      gboolean any = FALSE;

      for (gsize i = 0; i < hw; i++)
        {
          guint8 l = job->labels[z * hw + i];

          val[i] = l && dls_dataset_split_is_validation (job->settings.seed, 0.2,
                                                         (int64_t) (z * hw + i))
                       ? l
                       : 0;
          any |= val[i] != 0;
        }
      if (!any)
        continue;
      for (int k = 0; k < p->K; k++)
        memcpy (probs + k * hw, p->probs + k * n + z * hw, hw * sizeof (float));
      dls_conformal_builder_add (b, probs, val, (int64_t) hw);
    }
  note = g_new0 (Notify, 1);
  if (!dls_conformal_builder_finish (b, 0.1, &note->conformal, &error))
    {
      g_free (note);
      return;
    }
  note->calibrated = TRUE;
  note->z = -2;
  post (job, note);
}

static void
on_progress (const DlsTrainProgress *p, void *user_data)
{
  DlsTrainJob *job = user_data;
  double per = p->n_epochs > 0 ? p->n_epochs : 1;
  double within, x;

  if (p->n_epochs > 0)
    within = (p->epoch + (p->n_steps ? (double) p->step / p->n_steps : 0)) / per;
  else
    within = job->settings.time_budget > 0 ? MIN (p->elapsed / job->settings.time_budget, 1) : 0;
  x = p->member * per + p->epoch + (p->n_steps ? (double) p->step / p->n_steps : 0);
  g_mutex_lock (&job->lock);
  job->status.last = *p;
  /* training is 90 % of the bar, prediction the rest */
  job->status.fraction = 0.9 * (p->member + within) / MAX (p->n_members, 1);
  if (isfinite (p->loss) && p->step > 0)
    {
      DlsLossPoint pt = { x, p->loss, FALSE };

      g_array_append_val (job->losses, pt);
    }
  if (p->epoch_done && isfinite (p->val_loss))
    {
      DlsLossPoint pt = { p->member * per + p->epoch + 1, p->val_loss, TRUE };

      g_array_append_val (job->losses, pt);
    }
  g_mutex_unlock (&job->lock);
}

static void
set_phase (DlsTrainJob *job, DlsJobPhase phase, const char *error)
{
  g_mutex_lock (&job->lock);
  job->status.phase = phase;
  if (error)
    job->status.error = g_strdup (error);
  if (phase == DLS_JOB_DONE)
    job->status.fraction = 1;
  g_mutex_unlock (&job->lock);
}

/* Predicts slice z into p. */
static gboolean
predict_slice (DlsTrainJob *job, DlsEnsemblePredictor *pr, DlsPrediction *p, int z, float *mean,
               float *std, GError **error)
{
  gsize hw = (gsize) p->height * p->width, n = hw * p->depth;
  const float *image = dls_document_get_volume (job->doc) + z * hw;

  if (!dls_ensemble_predictor_run (pr, image, p->height, p->width, mean, std, &job->cancel,
                                   error))
    return FALSE;
  for (int k = 0; k < p->K; k++)
    memcpy (p->probs + k * n + z * hw, mean + k * hw, hw * sizeof (float));
  if (p->std)
    dls_uncertainty_std_of_argmax (mean, std, p->K, (int64_t) hw, p->std + z * hw);
  g_atomic_int_set (&p->done[z], 1);
  return TRUE;
}

static gpointer
job_thread (gpointer data)
{
  DlsTrainJob *job = data;
  g_autoptr (GError) error = NULL;
  int Z, Y, X;
  DlsVolume raw;
  DlsLabels labels;
  DlsSegmentResult result;
  g_autoptr (DlsPrediction) p = NULL;
  g_autoptr (DlsEnsemblePredictor) pr = NULL;
  g_autofree float *mean = NULL, *std = NULL;
  DlsModel **models;
  int n_models;
  gboolean ok;

  dls_document_get_size (job->doc, &Z, &Y, &X);
  if (job->given != NULL)
    {
      models = job->given;
      n_models = job->n_given;
      goto predict;
    }
  raw = (DlsVolume){ Z, Y, X, 1, (float *) dls_document_get_volume (job->doc) };
  labels = (DlsLabels){ Z, Y, X, job->labels };
  ok = dls_train_segmentation (&raw, &labels, job->K,
                               &(DlsSegmentArgs){ .arch = job->settings.arch,
                                                  .ensemble = job->settings.members,
                                                  .epochs = job->settings.epochs,
                                                  .time_budget = job->settings.time_budget,
                                                  .patch = job->settings.patch,
                                                  .layers = job->settings.arch == DLS_ARCH_TUNET
                                                                ? 0
                                                                : job->settings.layers,
                                                  .depth = job->settings.arch == DLS_ARCH_TUNET
                                                               ? job->settings.layers
                                                               : 0,
                                                  .seed = job->settings.seed,
                                                  .alpha = -1, /* calibrated below */
                                                  .max_val_patches
                                                  = job->settings.max_val_patches,
                                                  .cancel = &job->cancel,
                                                  .progress = on_progress,
                                                  .user_data = job },
                               &result, &error);
  g_mutex_lock (&job->lock);
  job->result = result;
  g_mutex_unlock (&job->lock);
  if (!ok || result.n_models == 0)
    {
      set_phase (job, job->cancel ? DLS_JOB_CANCELLED : DLS_JOB_FAILED,
                 error ? error->message : "no model was trained");
      notify (job, -1, NULL);
      return NULL;
    }
  if (result.cancelled)
    {
      set_phase (job, DLS_JOB_CANCELLED, NULL);
      notify (job, -1, NULL);
      return NULL;
    }

  models = result.models;
  n_models = result.n_models;

predict:
  set_phase (job, DLS_JOB_PREDICTING, NULL);
  p = dls_prediction_new (job->K, Z, Y, X, n_models);
  if (p == NULL)
    {
      set_phase (job, DLS_JOB_FAILED, "not enough memory for the prediction of the volume");
      notify (job, -1, NULL);
      return NULL;
    }
  job->prediction = p;
  p->calibrated = job->given_calibrated;
  p->conformal = job->given_conformal;
  pr = dls_ensemble_predictor_new (models, n_models, NULL);
  mean = g_new (float, (gsize) job->K * Y * X);
  std = g_new (float, (gsize) job->K * Y * X);
  g_mutex_lock (&job->lock);
  job->status.n_slices = Z;
  g_mutex_unlock (&job->lock);
  /* the visible slice, then outwards from it */
  for (int i = 0; i < 2 * Z; i++)
    {
      int z = job->z_first + (i % 2 ? (i + 1) / 2 : -(i / 2));

      if (z < 0 || z >= Z || (i > 0 && z == job->z_first))
        continue;
      if (!predict_slice (job, pr, p, z, mean, std, &error))
        break;
      g_mutex_lock (&job->lock);
      job->status.slices_done++;
      job->status.fraction = 0.9 + 0.1 * job->status.slices_done / Z;
      g_mutex_unlock (&job->lock);
      notify (job, z, z == job->z_first ? p : NULL);
    }
  if (error == NULL && !job->cancel && job->given == NULL)
    calibrate (job, p);
  if (error != NULL && !job->cancel)
    set_phase (job, DLS_JOB_FAILED, error->message);
  else
    set_phase (job, job->cancel ? DLS_JOB_CANCELLED : DLS_JOB_DONE, NULL);
  notify (job, -1, NULL);
  return NULL;
}

DlsTrainSettings
dls_train_settings_default (void)
{
  return (DlsTrainSettings){
    .arch = DLS_ARCH_SMSNET,
    .members = 3,
    .epochs = 10,
    .time_budget = 5,
    .patch = 0,
    .seed = 1,
    .max_val_patches = 64,
  };
}

static DlsTrainJob *
job_new (DlsDocument *doc, const DlsTrainSettings *settings, int z_first, DlsTrainJobFn fn,
         gpointer user_data)
{
  DlsTrainJob *job = g_new0 (DlsTrainJob, 1);
  int Z, Y, X;

  dls_document_get_size (doc, &Z, &Y, &X);
  job->doc = g_object_ref (doc);
  job->settings = *settings;
  /* the prediction loop reaches every slice, and hands the prediction over, only from a slice
   * inside the volume */
  job->z_first = CLAMP (z_first, 0, Z - 1);
  job->labels = dls_document_copy_labels (doc);
  job->K = dls_document_get_n_classes (doc);
  job->context = g_main_context_ref_thread_default ();
  job->fn = fn;
  job->user_data = user_data;
  job->alive = 1;
  g_atomic_ref_count_init (&job->ref);
  job->losses = g_array_new (FALSE, FALSE, sizeof (DlsLossPoint));
  job->started = g_get_monotonic_time ();
  g_mutex_init (&job->lock);
  return job;
}

DlsTrainJob *
dls_train_job_start (DlsDocument *doc, const DlsTrainSettings *settings, int z_first,
                     DlsTrainJobFn fn, gpointer user_data)
{
  DlsTrainJob *job = job_new (doc, settings, z_first, fn, user_data);

  job->thread = g_thread_new ("dlsia-train", job_thread, job);
  return job;
}

DlsTrainJob *
dls_train_job_start_predict (DlsDocument *doc, DlsModel *const *models, int n,
                             const DlsConformal *conformal, int z_first, DlsTrainJobFn fn,
                             gpointer user_data)
{
  DlsTrainJob *job = job_new (doc, &(DlsTrainSettings){ 0 }, z_first, fn, user_data);

  job->given = g_memdup2 (models, n * sizeof (DlsModel *));
  job->n_given = n;
  job->K = models[0]->config.out_channels;
  if (conformal != NULL)
    {
      job->given_calibrated = TRUE;
      job->given_conformal = *conformal;
    }
  job->status.phase = DLS_JOB_PREDICTING;
  job->thread = g_thread_new ("dlsia-predict", job_thread, job);
  return job;
}

DlsModel **
dls_train_job_steal_models (DlsTrainJob *job, int *n)
{
  DlsModel **models;

  *n = 0;
  if (job->status.phase != DLS_JOB_DONE || job->given != NULL)
    return NULL;
  g_mutex_lock (&job->lock);
  models = g_steal_pointer (&job->result.models);
  *n = job->result.n_models;
  job->result.n_models = 0;
  g_mutex_unlock (&job->lock);
  return models;
}

gboolean
dls_train_job_get_conformal (DlsTrainJob *job, DlsConformal *out)
{
  DlsPrediction *p = dls_document_get_prediction (job->doc);

  if (p == NULL || p != job->prediction || !p->calibrated)
    return FALSE;
  *out = p->conformal;
  return TRUE;
}

void
dls_train_job_cancel (DlsTrainJob *job)
{
  job->cancel = 1;
}

void
dls_train_job_get_status (DlsTrainJob *job, DlsJobStatus *status)
{
  g_mutex_lock (&job->lock);
  *status = job->status;
  status->error = g_strdup (job->status.error);
  status->elapsed = (g_get_monotonic_time () - job->started) / 1e6;
  g_mutex_unlock (&job->lock);
}

GArray *
dls_train_job_get_losses (DlsTrainJob *job)
{
  GArray *copy;

  g_mutex_lock (&job->lock);
  copy = g_array_copy (job->losses);
  g_mutex_unlock (&job->lock);
  return copy;
}

void
dls_train_job_free (DlsTrainJob *job)
{
  if (job == NULL)
    return;
  g_atomic_int_set (&job->alive, 0);
  job->cancel = 1;
  g_thread_join (job->thread);
  job_unref (job);
}
