/* SPDX-License-Identifier: MIT
 *
 * bench-app.c: what the user waits for after pressing Train on the bundled sample (128 × 256 ×
 * 256, sparse labels of two classes), with the Train button's default settings
 * (dls_train_settings_default: SMSNet ensemble of 3, 10 epochs, at most 5 s per member).  The
 * sample is loaded the way the app loads it (dls_sample_ensure, dls_document_load), then a
 * DlsTrainJob runs exactly as the window starts it — snapshot of the labels, the middle slice
 * first — and the main loop here plays the window: it notes when the job's callback reports
 * the first slice of the prediction (the data of the first overlay the user sees; the canvas
 * then renders its 256² overlay and draws a frame: milliseconds, see bench-canvas) and when
 * the job ends.  Training alone is when the job's phase turns to predicting, polled every 2 ms,
 * which also shows where each member's time goes: its steps within the time limit, then the
 * validation pass and the copy of the best weights.
 *
 * Target: Train → first prediction overlay < 20 s on 2 cores.  Timing only, never a pass/fail
 * test; GTK-free, so it runs on a node without a display.
 *
 *   bench-app [--threads N] [--repeats R]
 *
 * The sample is made (once, seconds) in $DLSIA_SAMPLE_DIR, or when that is unset in sample/
 * beside this program — never in the user's cache.
 */
#include "config.h"

#include <stdlib.h>

#include "engine.h"
#include "sample.h"
#include "train-job.h"

#define TARGET_FIRST_S  20.0
#define DLS_MAX_MEMBERS 20

typedef struct
{
  GMainLoop *loop;
  DlsTrainJob *job;
  gint64 t0;
  double train_s, first_s, all_s; /* seconds after the start; < 0 until seen */
  int first_z;
  DlsJobPhase phase;
  /* where the training time goes, per member, from the job's status polled every 2 ms */
  int n_members;
  double seen_s[DLS_MAX_MEMBERS]; /* its first report (one step done) */
  double step_s[DLS_MAX_MEMBERS]; /* its last report of a step */
  int steps[DLS_MAX_MEMBERS], n_steps[DLS_MAX_MEMBERS], epochs[DLS_MAX_MEMBERS];
} Run;

static double
since (const Run *run)
{
  return (g_get_monotonic_time () - run->t0) / 1e6;
}

static void
on_job_event (DlsTrainJob *job, int z, gpointer user_data)
{
  Run *run = user_data;
  DlsJobStatus st;

  if (z >= 0)
    {
      if (run->first_s < 0)
        {
          run->first_s = since (run);
          run->first_z = z;
        }
      return;
    }
  run->all_s = since (run);
  dls_train_job_get_status (job, &st);
  run->phase = st.phase;
  if (st.phase == DLS_JOB_FAILED)
    g_printerr ("bench-app: the job failed: %s\n", st.error);
  g_free (st.error);
  g_main_loop_quit (run->loop);
}

static gboolean
poll_phase (gpointer user_data)
{
  Run *run = user_data;
  DlsJobStatus st;

  dls_train_job_get_status (run->job, &st);
  g_free (st.error);
  if (st.phase == DLS_JOB_TRAINING && st.last.n_members > 0 && st.last.step > 0
      && st.last.member < DLS_MAX_MEMBERS)
    {
      int m = st.last.member, done = st.last.epoch * st.last.n_steps + st.last.step;

      run->n_members = MAX (run->n_members, m + 1);
      if (run->seen_s[m] == 0)
        run->seen_s[m] = since (run);
      if (done != run->steps[m])
        run->step_s[m] = since (run);
      run->steps[m] = done;
      run->n_steps[m] = st.last.n_steps;
      run->epochs[m] = st.last.epoch + 1;
    }
  if (st.phase != DLS_JOB_TRAINING && run->train_s < 0)
    {
      run->train_s = since (run);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
run_once (DlsDocument *doc, const DlsTrainSettings *s, Run *run)
{
  int Z, Y, X;
  guint poll_id;

  dls_document_get_size (doc, &Z, &Y, &X);
  *run = (Run){ .train_s = -1, .first_s = -1, .all_s = -1, .first_z = -1 };
  run->loop = g_main_loop_new (NULL, FALSE);
  run->t0 = g_get_monotonic_time ();
  /* the window opens a volume at its middle slice and predicts the slice shown first */
  run->job = dls_train_job_start (doc, s, Z / 2, on_job_event, run);
  poll_id = g_timeout_add (2, poll_phase, run);
  g_main_loop_run (run->loop);
  if (run->train_s < 0)
    g_source_remove (poll_id);
  dls_train_job_free (run->job);
  g_main_loop_unref (run->loop);
  return run->phase == DLS_JOB_DONE;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
print_load (void)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) f = NULL;

  if (g_file_get_contents ("/proc/loadavg", &text, NULL, NULL)
      && g_strv_length (f = g_strsplit (text, " ", 4)) >= 3)
    printf ("load average (1, 5, 15 min): %s %s %s on %d cores\n", f[0], f[1], f[2],
            g_get_num_processors ());
}

int
main (int argc, char **argv)
{
  int threads = 0, repeats = 1;
  GOptionEntry entries[]
      = { { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Engine threads (all cores)", "N" },
          { "repeats", 'r', 0, G_OPTION_ARG_INT, &repeats, "Timed runs, median (1)", "R" },
          { NULL } };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— Train → first overlay on the sample");
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsDocument) doc = NULL;
  g_autofree char *path = NULL;
  g_autofree double *train = NULL, *first = NULL, *all = NULL;
  DlsTrainSettings s = dls_train_settings_default ();
  gint64 t0;
  double load_s;
  int Z, Y, X, first_z = -1;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || threads < 0 || repeats < 1)
    {
      g_printerr ("bench-app: %s\n", error ? error->message : "bad arguments");
      return 2;
    }
  if (g_getenv ("DLSIA_SAMPLE_DIR") == NULL)
    {
      g_autofree char *here = g_path_get_dirname (argv[0]);
      g_autofree char *dir = g_build_filename (here, "sample", NULL);

      g_setenv ("DLSIA_SAMPLE_DIR", dir, TRUE);
    }
  if (threads > 0)
    dls_engine_set_threads (threads);

  t0 = g_get_monotonic_time ();
  path = dls_sample_ensure (NULL, &error);
  if (path == NULL)
    {
      g_printerr ("bench-app: %s\n", error->message);
      return 1;
    }
  doc = dls_document_load (path, NULL, NULL, &error);
  if (doc == NULL)
    {
      g_printerr ("bench-app: %s\n", error->message);
      return 1;
    }
  load_s = (g_get_monotonic_time () - t0) / 1e6;
  dls_document_get_size (doc, &Z, &Y, &X);

  printf (
      "Train → first prediction overlay: the bundled sample %d × %d × %d (%s), %" G_GINT64_FORMAT
      " labelled voxels; %s ensemble of %d, %d epochs, %g s per member; %d engine thread%s; "
      "median of %d\n",
      Z, Y, X, path, dls_document_count_labelled (doc, NULL, 0), dls_arch_name (s.arch), s.members,
      s.epochs, s.time_budget, dls_engine_get_threads (), dls_engine_get_threads () == 1 ? "" : "s",
      repeats);
  print_load ();
  printf ("sample ready and loaded in %.2f s (not counted)\n", load_s);

  train = g_new (double, repeats);
  first = g_new (double, repeats);
  all = g_new (double, repeats);
  for (int r = 0; r < repeats; r++)
    {
      Run run;

      if (!run_once (doc, &s, &run))
        {
          g_printerr ("bench-app: the job did not finish\n");
          return 1;
        }
      train[r] = run.train_s;
      first[r] = run.first_s;
      all[r] = run.all_s;
      first_z = run.first_z;
      printf ("run %d: training %.2f s, first slice %.2f s, all %.2f s; before the first step "
              "(normalisation, patches, first model) %.2f s\n",
              r + 1, run.train_s, run.first_s, run.all_s, run.seen_s[0]);
      for (int m = 0; m < run.n_members; m++)
        {
          double next = m + 1 < run.n_members ? run.seen_s[m + 1] : run.train_s;

          printf (
              "  member %d: %d steps of %d a epoch (%d epoch%s) %5.2f – %5.2f s, then %.2f s to "
              "the %s (validation, best weights)\n",
              m + 1, run.steps[m], run.n_steps[m], run.epochs[m], run.epochs[m] == 1 ? "" : "s",
              run.seen_s[m], run.step_s[m], next - run.step_s[m],
              m + 1 < run.n_members ? "next member's first step" : "end of training");
        }
    }

  {
    double tr = median (train, repeats), fi = median (first, repeats), al = median (all, repeats);

    g_autofree char *trained = g_strdup_printf ("training done (%d members)", s.members);

    printf ("%-44s %10s %10s %10s\n", "from pressing Train to", "s", "target s", "of target");
    printf ("%-44s %10.2f %10s %10s\n", trained, tr, "", "");
    printf ("%-44s %10.2f %10.0f %9.0f%%\n", "first slice of the prediction (overlay data)", fi,
            TARGET_FIRST_S, 100 * fi / TARGET_FIRST_S);
    printf ("%-44s %10.2f %10s %10s\n", "whole volume predicted", al, "", "");
    printf ("first slice predicted (z = %d) in %.2f s; the other %d slices %.1f ms each\n", first_z,
            fi - tr, Z - 1, Z > 1 ? (al - fi) / (Z - 1) * 1e3 : 0.0);
  }
  return 0;
}
