/* SPDX-License-Identifier: MIT
 *
 * bench-train.c: one training step of a DLSIA network, timed.  The model is built from its config
 * with seed-0 weights, a graph over batch × 1 × size² with int32 labels compiled for backward,
 * and Adam (lr 1e-3).  Inputs are uniform in [0, 1); labels are 0 or 1 with about 30 % of the
 * pixels set to −1 (ignored), like sparse hand labels.  A step is what the trainer does: set the
 * input and labels, forward, zero the gradients, backward from the loss, optimizer step.  Two
 * warm-up steps, then the median of the timed ones.
 *
 * Peak memory is the process's (getrusage), so a caller that wants a clean figure runs one
 * workload per process, as `dlsia bench --workload` does.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench-train.h"
#include "train-step.h"

#define WARMUP_STEPS 2

static const char *workload_names[DLS_BENCH_WORKLOAD_COUNT] = {
  [DLS_BENCH_MSDNET] = "msdnet",
  [DLS_BENCH_SMSNET] = "smsnet",
  [DLS_BENCH_TUNET] = "tunet",
};

const char *
dls_bench_workload_name (DlsBenchWorkload w)
{
  return w >= 0 && w < DLS_BENCH_WORKLOAD_COUNT ? workload_names[w] : "unknown";
}

gboolean
dls_bench_workload_from_name (const char *name, DlsBenchWorkload *w)
{
  for (int i = 0; i < DLS_BENCH_WORKLOAD_COUNT; i++)
    if (name && g_ascii_strcasecmp (name, workload_names[i]) == 0)
      {
        *w = i;
        return TRUE;
      }
  return FALSE;
}

static int
size_of (const DlsBenchTrainArgs *a)
{
  return a->size > 0 ? a->size : 256;
}

DlsModel *
dls_bench_train_model (const DlsBenchTrainArgs *a, GError **error)
{
  DlsModelConfig cfg;
  DlsModel *m;
  int size = size_of (a);

  switch (a->workload)
    {
    case DLS_BENCH_MSDNET:
      dls_model_config_init (&cfg, DLS_ARCH_MSDNET);
      cfg.num_layers = a->layers > 0 ? a->layers : 50;
      cfg.max_dilation = 10;
      cfg.batchnorm = TRUE;
      break;
    case DLS_BENCH_SMSNET:
      dls_model_config_init (&cfg, DLS_ARCH_SMSNET);
      cfg.sms.layers = a->layers > 0 ? a->layers : 20;
      break;
    case DLS_BENCH_TUNET:
      dls_model_config_init (&cfg, DLS_ARCH_TUNET);
      if (a->layers > 0)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                       "the tunet workload has no layer count (it is a U-Net of depth 4)");
          return NULL;
        }
      cfg.depth = 4;
      cfg.base_channels = 16;
      cfg.growth_rate = 2;
      cfg.image_shape[0] = cfg.image_shape[1] = size;
      break;
    case DLS_BENCH_WORKLOAD_COUNT:
    default:
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "unknown benchmark workload %d",
                   a->workload);
      return NULL;
    }
  cfg.in_channels = 1;
  cfg.out_channels = 2;
  cfg.seed = 0;
  m = dls_model_new (&cfg, error);
  dls_model_config_clear (&cfg);
  if (m != NULL)
    dls_model_init_weights (m, 0);
  return m;
}

static double
peak_rss_mb (void)
{
  struct rusage ru;

  if (getrusage (RUSAGE_SELF, &ru) != 0)
    return 0;
  return ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

gboolean
dls_bench_train (const DlsBenchTrainArgs *a, DlsBenchTrainResult *r, GError **error)
{
  int size = size_of (a), batch = a->batch > 0 ? a->batch : 1;
  int steps = a->steps > 0 ? a->steps : 5;
  int64_t npix = (int64_t) batch * size * size;
  g_autofree float *x = NULL;
  g_autofree int32_t *y = NULL;
  g_autofree double *t = NULL;
  DlsTrainStep *st = NULL;
  DlsOptimizer *opt = NULL;
  DlsModel *m = NULL;
  double loss = NAN;
  DlsRng rng;
  gboolean ok = FALSE;

  memset (r, 0, sizeof *r);
  if (a->size < 0 || a->batch < 0 || a->steps < 0 || size < 8 || size > 16384 || batch > 4096
      || steps > 100000)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "benchmark: size must be 8–16384, batch 1–4096, steps 1–100000");
      return FALSE;
    }
  m = dls_bench_train_model (a, error);
  if (m == NULL)
    return FALSE;
  st = dls_train_step_new (m, batch, size, size, DLS_STEP_CROSS_ENTROPY, NULL, !a->graph_only,
                           error);
  if (st == NULL)
    goto out;
  opt = dls_optimizer_new_adam (m->params, &(DlsAdamArgs){ .lr = 1e-3 });

  x = g_new (float, npix);
  y = g_new (int32_t, npix);
  dls_rng_init (&rng, 0);
  for (int64_t i = 0; i < npix; i++)
    {
      x[i] = (float) dls_rng_uniform (&rng);
      y[i] = dls_rng_uniform (&rng) < 0.3 ? -1 : (int32_t) dls_rng_below (&rng, 2);
    }

  t = g_new (double, steps);
  for (int s = 0; s < WARMUP_STEPS + steps; s++)
    {
      gint64 t0 = g_get_monotonic_time ();

      if (!dls_train_step_run (st, x, y, NULL, NULL, &loss, error))
        goto out;
      dls_optimizer_step (opt);
      if (s >= WARMUP_STEPS)
        t[s - WARMUP_STEPS] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  r->ms_per_step = dls_median (t, steps);
  r->peak_rss_mb = peak_rss_mb ();
  r->arena_mb = dls_train_step_bytes (st) / (1024.0 * 1024.0);
  r->n_params = dls_model_n_params (m);
  r->threads = dls_engine_get_threads ();
  r->loss = loss;
  r->fused = dls_train_step_is_fused (st);
  ok = TRUE;

out:
  g_clear_pointer (&opt, dls_optimizer_free);
  g_clear_pointer (&st, dls_train_step_free);
  dls_model_free (m);
  return ok;
}
