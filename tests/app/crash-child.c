/* SPDX-License-Identifier: MIT
 *
 * crash-child.c: the process test-crash kills.  It works as the app does, through the same
 * GTK-free layer: opens the volume (its labels come back from NAME.labels.tif), opens the
 * project, paints strokes through the document's undo with a 1 s autosave, and every 250 ms
 * saves a new version of a two-member model ensemble (dls_ensemble_save, as the window's
 * "Save Model") and then the project naming it (dls_project_save).  After each stroke and each
 * save it appends a line to a journal and fsyncs it, the truth of what was done when:
 *
 *   S N T   stroke N was applied at monotonic time T (µs)
 *   m V T   model version V started to be written
 *   M V T   model version V is written
 *   P V T   the project naming it is written
 *
 * Usage: crash-child FOLDER FIRST-STROKE FIRST-VERSION.  It runs until it is killed (or 60 s).
 * Exit codes 2.. say what failed before painting began.
 */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "crash-common.h"
#include "document.h"
#include "engine.h"
#include "ensemble-file.h"
#include "project.h"

typedef struct
{
  DlsDocument *doc;
  DlsProject *project;
  DlsModel *models[CRASH_MEMBERS];
  char *model_path, *project_path;
  int journal;
  guint64 stroke, version;
} Child;

static void
journal (Child *c, char what, guint64 n)
{
  char line[64];
  int len = g_snprintf (line, sizeof line, "%c %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT "\n", what,
                        n, g_get_monotonic_time ());

  if (write (c->journal, line, (size_t) len) != len || fdatasync (c->journal) != 0)
    exit (9);
}

static gboolean
paint_tick (gpointer data)
{
  Child *c = data;
  gsize lo, hi;

  crash_stroke (dls_document_get_labels (c->doc), dls_document_get_undo (c->doc), c->stroke, &lo,
                &hi);
  if (lo <= hi)
    dls_document_labels_changed (c->doc, lo, hi);
  journal (c, 'S', c->stroke);
  c->stroke++;
  return G_SOURCE_CONTINUE;
}

static gboolean
model_tick (gpointer data)
{
  Child *c = data;
  g_autoptr (GError) error = NULL;

  for (int k = 0; k < CRASH_MEMBERS; k++)
    {
      float *w = dls_params_weights (c->models[k]->params);
      gint64 n = dls_params_n_weights (c->models[k]->params);

      for (gint64 i = 0; i < n; i++)
        w[i] = crash_weight (c->version, k, i);
    }
  journal (c, 'm', c->version);
  if (!dls_ensemble_save (c->model_path, c->models, CRASH_MEMBERS, FALSE, 0, 0, 0, &error))
    g_error ("%s", error->message);
  journal (c, 'M', c->version);
  g_ptr_array_set_size (c->project->models, 0);
  g_ptr_array_add (c->project->models, g_strdup (c->model_path));
  if (!dls_project_save (c->project, c->project_path, &error))
    g_error ("%s", error->message);
  journal (c, 'P', c->version);
  c->version++;
  return G_SOURCE_CONTINUE;
}

static gboolean
give_up (gpointer data)
{
  exit (8);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree char *volume = NULL, *journal_path = NULL;
  DlsModelConfig cfg;
  Child c = { 0 };

  /* never outlive the test */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (argc != 4)
    return 2;
  volume = g_build_filename (argv[1], CRASH_VOLUME, NULL);
  c.project_path = g_build_filename (argv[1], CRASH_PROJECT, NULL);
  c.model_path = g_build_filename (argv[1], CRASH_MODEL, NULL);
  journal_path = g_build_filename (argv[1], CRASH_JOURNAL, NULL);
  c.stroke = g_ascii_strtoull (argv[2], NULL, 10);
  c.version = g_ascii_strtoull (argv[3], NULL, 10);
  c.journal = g_open (journal_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (c.journal < 0)
    return 3;

  /* what the app does on opening a project: the project, then its volume and labels */
  if (g_file_test (c.project_path, G_FILE_TEST_EXISTS))
    {
      c.project = dls_project_load (c.project_path, &error);
      if (c.project == NULL)
        {
          g_printerr ("crash-child: %s\n", error->message);
          return 4;
        }
    }
  else
    {
      c.project = dls_project_new ();
      dls_project_set_volume (c.project, volume);
    }
  c.doc = dls_document_load (volume, NULL, NULL, &error);
  if (c.doc == NULL || dls_document_get_labels_warning (c.doc) != NULL)
    {
      g_printerr ("crash-child: %s\n",
                  c.doc ? dls_document_get_labels_warning (c.doc) : error->message);
      return 5;
    }
  dls_document_set_autosave_interval (c.doc, 1);

  dls_model_config_init (&cfg, DLS_ARCH_MSDNET);
  cfg.num_layers = 3;
  cfg.max_dilation = 3;
  if (!dls_model_config_finish (&cfg, &error))
    return 6;
  for (int k = 0; k < CRASH_MEMBERS; k++)
    if ((c.models[k] = dls_model_new (&cfg, &error)) == NULL)
      return 7;
  dls_model_config_clear (&cfg);

  loop = g_main_loop_new (NULL, FALSE);
  g_timeout_add (10, paint_tick, &c);
  g_timeout_add (250, model_tick, &c);
  g_timeout_add_seconds (60, give_up, NULL);
  g_main_loop_run (loop);
  return 0;
}
