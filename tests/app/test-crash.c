/* SPDX-License-Identifier: MIT
 *
 * test-crash.c: crash safety.  A child process (crash-child.c) paints, autosaves and saves
 * models and the project as the app does, and this test kills it with SIGKILL at random
 * (seeded) moments, many times over, each time from the state the last one left.  After every
 * kill it checks, against the child's journal of what it had done when:
 *
 *  - the project opens, and so do the volume, its labels and the model it names;
 *  - the labels on disk are exactly those of the first S strokes for some S, and S covers
 *    every stroke journaled earlier than the kill minus the autosave interval (1 s) minus a
 *    slack for the write itself (0.5 s): nothing older than the interval is lost;
 *  - every model file loads and holds one whole version, the last one written or the one
 *    being written, never a mix inside a file;
 *  - files a killed writer left half-way are harmless: the next run opens everything.
 *
 * DLS_CRASH_ROUNDS and DLS_CRASH_SEED change the number of rounds (32) and the seed.  Half the
 * kills come early (during start-up and the first save), half after the autosave has had time
 * to run; the whole test takes about 40 s.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash-common.h"
#include "document.h"
#include "engine.h"
#include "ensemble-file.h"
#include "labels-file.h"
#include "project.h"
#include "safetensors.h"
#include "tiff.h"
#include "tmpdir.h"

#define INTERVAL_US (1 * G_USEC_PER_SEC)
#define SLACK_US    (G_USEC_PER_SEC / 2)

typedef struct
{
  guint64 last_stroke;      /* the last stroke journaled (0: none) */
  guint64 required;         /* the last stroke journaled before kill − interval − slack */
  guint64 started, written; /* the last model version begun, and written (0: none) */
  GHashTable *times;        /* stroke number → the time it was journaled */
} Journal;

static void
read_journal (const char *path, gint64 deadline, Journal *j)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  /* the last element is what follows the last newline: nothing, or a line cut by the kill */
  for (int i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    {
      char what;
      guint64 n;
      gint64 t;

      g_assert_cmpint (
          sscanf (lines[i], "%c %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT, &what, &n, &t), ==, 3);
      switch (what)
        {
        case 'S':
          j->last_stroke = n;
          g_hash_table_insert (j->times, GSIZE_TO_POINTER (n), g_memdup2 (&t, sizeof t));
          if (t < deadline)
            j->required = n;
          break;
        case 'm':
          j->started = n;
          break;
        case 'M':
          j->written = n;
          break;
        default:
          break;
        }
    }
}

/* The version of a model file (every weight checked), or 0 when it is no version at all. */
static guint64
model_version (DlsModel *m, int k)
{
  return crash_weights_version (dls_params_weights (m->params), dls_params_n_weights (m->params),
                                k);
}

/* Member k of the ensemble holds version vk; before this round it held prev (0: no file).  The
 * child writes member 0, member 1, then the manifest, one version after the other: a member
 * holds the last version started when that save got past it, else the one before. */
static gboolean
member_version_allowed (guint64 vk, guint64 prev, const Journal *j)
{
  if (vk == 0)
    return FALSE; /* half-written, or weights of no version */
  if (j->started == 0)
    return vk == prev;
  if (j->written == j->started)
    return vk == j->written;
  return vk == j->started || vk == (j->written != 0 ? j->written : prev);
}

static int
count_temp_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  int n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      const char *dot = strrchr (name, '.');

      n += g_str_has_suffix (name, ".part") || (dot != NULL && strlen (dot) == 7);
    }
  return n;
}

static void
test_crash_kill9 (void)
{
  const char *child = g_getenv ("DLS_CRASH_CHILD");
  const char *rounds_env = g_getenv ("DLS_CRASH_ROUNDS"), *seed_env = g_getenv ("DLS_CRASH_SEED");
  int rounds = rounds_env ? atoi (rounds_env) : 32;
  guint32 seed = seed_env ? (guint32) atoll (seed_env) : 20261125;
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autofree char *dir = dls_test_tmpdir_new ("dls-crash");
  g_autofree char *sub = g_build_filename (dir, "Proben ä", NULL);
  g_autofree char *volume = g_build_filename (dir, CRASH_VOLUME, NULL);
  g_autofree char *project_path = g_build_filename (dir, CRASH_PROJECT, NULL);
  g_autofree char *model_path = g_build_filename (dir, CRASH_MODEL, NULL);
  g_autofree char *journal_path = g_build_filename (dir, CRASH_JOURNAL, NULL);
  g_autofree char *labels_path = NULL;
  g_autofree guint8 *on_disk_state = g_new0 (guint8, CRASH_N); /* strokes 1..saved */
  g_autofree guint8 *replay = g_new0 (guint8, CRASH_N);
  g_autofree guint16 *v = g_new (guint16, CRASH_N);
  g_autoptr (GError) error = NULL;
  guint64 saved = 0, next_version = 1, member[CRASH_MEMBERS] = { 0 };
  guint64 strokes_checked = 0, required = 0, lost = 0, at_risk = 0, mixed = 0, model_checks = 0;
  gint64 worst_wait = G_MININT64;
  int temp_files = 0;

  g_assert_nonnull (child);
  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  for (gsize i = 0; i < CRASH_N; i++)
    v[i] = (guint16) (crash_mix (i) % 4096);
  g_assert_true (dls_tiff_write_u16 (volume, v, CRASH_Z, CRASH_Y, CRASH_X, &error));
  g_assert_no_error (error);
  labels_path = dls_labels_path_for_volume (volume);

  for (int round = 0; round < rounds; round++)
    {
      g_autofree char *first = g_strdup_printf ("%" G_GUINT64_FORMAT, saved + 1);
      g_autofree char *version = g_strdup_printf ("%" G_GUINT64_FORMAT, next_version);
      char *argv[] = { (char *) child, dir, first, version, NULL };
      /* half early (start-up, first saves), half once the autosave has had its chance */
      gint64 delay = round % 2 ? g_rand_int_range (rand, 20000, 500000)
                               : g_rand_int_range (rand, 1600000, 2400000);
      gint64 killed_at;
      g_autoptr (GHashTable) times = g_hash_table_new_full (NULL, NULL, NULL, g_free);
      Journal j = { .times = times };
      GPid pid;
      int status;

      g_assert_cmpint (g_unlink (journal_path) == 0 || errno == ENOENT, ==, TRUE);
      g_assert_true (
          g_spawn_async (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error));
      g_assert_no_error (error);
      g_usleep ((gulong) delay);
      killed_at = g_get_monotonic_time ();
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_spawn_close_pid (pid);
      /* it was killed, not stopped by a failure of its own */
      g_assert_true (WIFSIGNALED (status));
      g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

      read_journal (journal_path, killed_at - INTERVAL_US - SLACK_US, &j);

      /* the labels: exactly strokes 1..s for some s, with s ≥ every stroke older than the
       * interval */
      {
        guint64 s = saved, last = MAX (j.last_stroke, saved);
        g_autofree guint8 *labels = NULL;

        if (g_file_test (labels_path, G_FILE_TEST_EXISTS))
          {
            labels = dls_labels_file_load (labels_path, CRASH_Z, CRASH_Y, CRASH_X, 255, &error);
            g_assert_no_error (error);
            memcpy (replay, on_disk_state, CRASH_N);
            while (memcmp (replay, labels, CRASH_N) != 0)
              {
                gsize lo, hi;

                if (s == last)
                  g_error (
                      "round %d: the labels on disk are no prefix of strokes %" G_GUINT64_FORMAT
                      "..%" G_GUINT64_FORMAT,
                      round, saved, last);
                crash_stroke (replay, NULL, ++s, &lo, &hi);
              }
            memcpy (on_disk_state, replay, CRASH_N);
          }
        /* how long after the interval the oldest stroke not on disk had waited: what the slack
         * must cover (the save's own time, a busy machine) */
        {
          gint64 *t = g_hash_table_lookup (j.times, GSIZE_TO_POINTER (s + 1));

          if (t != NULL)
            worst_wait = MAX (worst_wait, killed_at - INTERVAL_US - *t);
        }
        if (s < j.required)
          {
            g_test_message ("round %d: strokes %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT
                            " lost, older than the autosave interval",
                            round, s + 1, j.required);
            lost += j.required - s;
          }
        strokes_checked += j.last_stroke > saved ? j.last_stroke - saved : 0;
        required += j.required > saved ? j.required - saved : 0;
        at_risk += last - s;
        saved = s;
      }

      /* the models: each member file one whole version, the one written or being written */
      if (g_file_test (model_path, G_FILE_TEST_EXISTS))
        {
          g_autoptr (DlsEnsemble) e = dls_ensemble_load (model_path, &error);

          g_assert_no_error (error);
          g_assert_cmpint (e->n, ==, CRASH_MEMBERS);
          for (int k = 0; k < CRASH_MEMBERS; k++)
            {
              guint64 vk = model_version (e->models[k], k);

              if (!member_version_allowed (vk, member[k], &j))
                g_error ("round %d: model member %d holds version %" G_GUINT64_FORMAT
                         " (before: %" G_GUINT64_FORMAT ", started %" G_GUINT64_FORMAT
                         ", written %" G_GUINT64_FORMAT ")",
                         round, k, vk, member[k], j.started, j.written);
              member[k] = vk;
            }
          model_checks++;
          mixed += member[0] != member[1];
        }
      else
        for (int k = 0; k < CRASH_MEMBERS; k++)
          {
            g_autofree char *path = dls_ensemble_member_path (model_path, k, CRASH_MEMBERS);

            /* the first save, killed before its manifest */
            g_assert_cmpuint (member[k], ==, 0);
            if (g_file_test (path, G_FILE_TEST_EXISTS))
              {
                DlsModel *m = dls_model_load (path, &error);

                g_assert_no_error (error);
                g_assert_true (member_version_allowed (model_version (m, k), 0, &j));
                dls_model_free (m);
              }
          }
      next_version = MAX (next_version, j.started + 1);

      /* the project opens, names this volume, labels and model, and they open */
      if (g_file_test (project_path, G_FILE_TEST_EXISTS))
        {
          g_autoptr (DlsProject) p = dls_project_load (project_path, &error);
          DlsDocument *doc;

          g_assert_no_error (error);
          g_assert_cmpstr (p->volume, ==, volume);
          g_assert_cmpstr (p->labels, ==, labels_path);
          g_assert_cmpuint (p->models->len, ==, 1);
          g_assert_cmpstr (g_ptr_array_index (p->models, 0), ==, model_path);
          doc = dls_document_load (p->volume, NULL, NULL, &error);
          g_assert_no_error (error);
          g_assert_null (dls_document_get_labels_warning (doc));
          g_assert_cmpmem (dls_document_get_labels (doc), CRASH_N, on_disk_state, CRASH_N);
          g_assert_finalize_object (doc);
        }
      temp_files = count_temp_files (sub);
    }

  g_test_message (
      "kill -9 rounds: %d (seed %u); strokes journaled and checked: %" G_GUINT64_FORMAT
      "; of them older than the autosave interval + slack, so required on disk: %" G_GUINT64_FORMAT
      "; of those lost: %" G_GUINT64_FORMAT
      "; strokes younger than it, lost as allowed: %" G_GUINT64_FORMAT
      "; model checks: %" G_GUINT64_FORMAT
      ", of them with members of different versions (a save killed half-way "
      "through the ensemble): %" G_GUINT64_FORMAT "; temporary files left by killed writers: %d"
      "; the oldest unsaved stroke at a kill was %.3f s past the interval (slack %.1f s)",
      rounds, seed, strokes_checked, required, lost, at_risk, model_checks, mixed, temp_files,
      worst_wait / 1e6, SLACK_US / 1e6);
  g_assert_cmpuint (lost, ==, 0);
  g_assert_cmpuint (required, >, 0);
  dls_test_tmpdir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/crash/kill9", test_crash_kill9);
  return g_test_run ();
}
