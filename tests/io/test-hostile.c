/* SPDX-License-Identifier: MIT
 *
 * test-hostile.c: every file the program writes — labels, project, a model file, an ensemble
 * (manifest and members) and a TIFF export — written to hostile places: a path with spaces
 * and non-ASCII letters, a read-only folder, a full disk (a 256 KB tmpfs, and for unprivileged
 * runs a child process whose files may not grow past 1 KB), and beside the temporary files a
 * killed writer left.  Each failure must be a GError whose message names the file and says
 * why, and the file that was there before must be byte for byte what it was, with no
 * temporary file left behind.
 *
 * Mounting needs root; the tests that need it skip with the reason when it is not possible.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ensemble-file.h"
#include "hostile.h"
#include "labels-file.h"
#include "project.h"
#include "safetensors.h"
#include "tiff.h"
#include "tmpdir.h"

#define Z 8
#define Y 64
#define X 64
#define N ((gsize) Z * Y * X)

/* ---- the kinds of file, each in two versions (the second larger than 1 KB) ---- */

static guint64
mix (guint64 x)
{
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

static guint8 *
labels_version (int version)
{
  guint8 *l = g_new0 (guint8, N);

  for (gsize i = 0; i < N; i++)
    l[i] = version == 1 ? (i % 1000 == 0) : (guint8) (mix (i) % 3);
  return l;
}

static gboolean
labels_save (const char *path, int version, GError **error)
{
  g_autofree guint8 *l = labels_version (version);

  return dls_labels_file_save (path, l, Z, Y, X, error);
}

static void
labels_check (const char *path, int version)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *want = labels_version (version);
  g_autofree guint8 *got = dls_labels_file_load (path, Z, Y, X, 255, &error);

  g_assert_no_error (error);
  g_assert_cmpmem (got, N, want, N);
}

static char *
class_name (int version)
{
  return version == 1 ? g_strdup ("Matrix") : g_strnfill (4000, 'F');
}

static gboolean
project_save (const char *path, int version, GError **error)
{
  g_autoptr (DlsProject) p = dls_project_new ();
  DlsProjectClass *c = &g_array_index (p->classes, DlsProjectClass, 0);

  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *volume = g_build_filename (dir, "Daten ü", "β volume.tif", NULL);

  g_free (c->name);
  c->name = class_name (version);
  /* the names it holds, with spaces and non-ASCII letters too, stored relative */
  dls_project_set_volume (p, volume);
  g_ptr_array_add (p->models, g_build_filename (dir, "β volume.msdnet.json", NULL));
  return dls_project_save (p, path, error);
}

static void
project_check (const char *path, int version)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsProject) p = dls_project_load (path, &error);
  g_autofree char *want = class_name (version);

  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *volume = g_build_filename (dir, "Daten ü", "β volume.tif", NULL);
  g_autofree char *labels = g_build_filename (dir, "Daten ü", "β volume.labels.tif", NULL);
  g_autofree char *model = g_build_filename (dir, "β volume.msdnet.json", NULL);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (g_array_index (p->classes, DlsProjectClass, 0).name, ==, want);
  g_assert_cmpstr (p->volume, ==, volume);
  g_assert_cmpstr (p->labels, ==, labels);
  g_assert_cmpuint (p->models->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (p->models, 0), ==, model);
  /* relative in the file, in UTF-8 as written */
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "\"Daten ü/β volume.tif\""));
}

/* An MSDNet of 3 layers (version 1) or 30 (version 2), every weight = version + k. */
static DlsModel *
model_version (int version, int k)
{
  g_autoptr (GError) error = NULL;
  DlsModelConfig cfg;
  DlsModel *m;
  float *w;

  dls_model_config_init (&cfg, DLS_ARCH_MSDNET);
  cfg.num_layers = version == 1 ? 3 : 30;
  g_assert_true (dls_model_config_finish (&cfg, &error));
  m = dls_model_new (&cfg, &error);
  g_assert_no_error (error);
  dls_model_config_clear (&cfg);
  w = dls_params_weights (m->params);
  for (gint64 i = 0; i < dls_params_n_weights (m->params); i++)
    w[i] = (float) (version + k);
  return m;
}

static void
model_assert_version (DlsModel *m, int version, int k)
{
  const float *w = dls_params_weights (m->params);

  g_assert_cmpint (m->config.num_layers, ==, version == 1 ? 3 : 30);
  for (gint64 i = 0; i < dls_params_n_weights (m->params); i++)
    g_assert_cmpfloat (w[i], ==, (float) (version + k));
}

static gboolean
model_save (const char *path, int version, GError **error)
{
  DlsModel *m = model_version (version, 0);
  gboolean ok = dls_model_save (m, path, error);

  dls_model_free (m);
  return ok;
}

static void
model_check (const char *path, int version)
{
  g_autoptr (GError) error = NULL;
  DlsModel *m = dls_model_load (path, &error);

  g_assert_no_error (error);
  model_assert_version (m, version, 0);
  dls_model_free (m);
}

static gboolean
ensemble_save (const char *path, int version, GError **error)
{
  DlsModel *m[2] = { model_version (version, 0), model_version (version, 1) };
  gboolean ok = dls_ensemble_save (path, m, 2, FALSE, 0, 0, 0, error);

  dls_model_free (m[0]);
  dls_model_free (m[1]);
  return ok;
}

static void
ensemble_check (const char *path, int version)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsEnsemble) e = dls_ensemble_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (e->n, ==, 2);
  for (int k = 0; k < 2; k++)
    model_assert_version (e->models[k], version, k);
}

static float *
tiff_version (int version)
{
  float *v = g_new (float, N);

  for (gsize i = 0; i < N; i++)
    v[i] = version == 1 ? 0.0f : (float) (mix (i) % 100000) / 7.0f;
  return v;
}

static gboolean
tiff_save (const char *path, int version, GError **error)
{
  g_autofree float *v = tiff_version (version);

  return dls_tiff_write_f32 (path, v, Z, Y, X, error);
}

static void
tiff_check (const char *path, int version)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *want = tiff_version (version);
  DlsTiffInfo info = { 0 };
  g_autofree float *got = dls_tiff_read_volume (path, &info, &error);

  g_assert_no_error (error);
  g_assert_cmpint (info.depth, ==, Z);
  g_assert_cmpmem (got, N * sizeof (float), want, N * sizeof (float));
  dls_tiff_info_clear (&info);
}

typedef struct
{
  const char *id;
  const char *file;    /* its name, spaces and non-ASCII letters included */
  const char *more[2]; /* the other files it writes (an ensemble's members) */
  gboolean (*save) (const char *path, int version, GError **error);
  void (*check) (const char *path, int version);
} Kind;

static const Kind kinds[] = {
  { "labels", "β volume.labels.tif", { NULL }, labels_save, labels_check },
  { "project", "β volume.dlsia.json", { NULL }, project_save, project_check },
  { "model", "β volume.msdnet.safetensors", { NULL }, model_save, model_check },
  { "ensemble",
    "β volume.msdnet.json",
    { "β volume.msdnet.m0.safetensors", "β volume.msdnet.m1.safetensors" },
    ensemble_save,
    ensemble_check },
  { "tiff", "β volume classes.tif", { NULL }, tiff_save, tiff_check },
};

/* ---- what a failed save must leave ---- */

typedef struct
{
  char *path[3];
  GBytes *bytes[3];
} Snapshot;

static void
snapshot_take (Snapshot *s, const Kind *kind, const char *dir)
{
  s->path[0] = g_build_filename (dir, kind->file, NULL);
  for (int i = 0; i < 2; i++)
    s->path[i + 1] = kind->more[i] ? g_build_filename (dir, kind->more[i], NULL) : NULL;
  for (int i = 0; i < 3; i++)
    s->bytes[i] = s->path[i] ? dls_test_file_bytes (s->path[i]) : NULL;
  g_assert_nonnull (s->bytes[0]);
}

/* Every file as it was, and no temporary file beside them. */
static void
snapshot_assert_unchanged (Snapshot *s, const char *dir)
{
  for (int i = 0; i < 3; i++)
    if (s->path[i])
      dls_test_assert_file_is (s->path[i], s->bytes[i]);
  dls_test_assert_no_temp_files (dir);
}

static void
snapshot_clear (Snapshot *s)
{
  for (int i = 0; i < 3; i++)
    {
      g_free (s->path[i]);
      g_clear_pointer (&s->bytes[i], g_bytes_unref);
    }
}

/* The message names the file (as the user reads it) and says why. */
static void
assert_message (const GError *error, const Kind *kind, const char *why)
{
  g_assert_nonnull (error);
  g_test_message ("%s: %s", kind->id, error->message);
  if (strstr (error->message, kind->file) == NULL
      && (kind->more[0] == NULL || strstr (error->message, kind->more[0]) == NULL)
      && (kind->more[1] == NULL || strstr (error->message, kind->more[1]) == NULL))
    g_error ("the message does not name “%s”: %s", kind->file, error->message);
  if (why != NULL && strstr (error->message, why) == NULL)
    g_error ("the message does not say “%s”: %s", why, error->message);
}

/* ---- the places ---- */

/* A folder with spaces and non-ASCII letters: the files go there and come back. */
static void
test_non_ascii (gconstpointer data)
{
  const Kind *kind = data;
  g_autofree char *dir = dls_test_tmpdir_new ("dls-hostile");
  g_autofree char *sub = g_build_filename (dir, "Proben ä ö", NULL);
  g_autofree char *path = g_build_filename (sub, kind->file, NULL);
  g_autofree char *missing = g_build_filename (sub, "β fehlt ß.tif", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  g_assert_true (kind->save (path, 1, &error));
  g_assert_no_error (error);
  kind->check (path, 1);
  g_assert_true (kind->save (path, 2, &error));
  g_assert_no_error (error);
  kind->check (path, 2);
  dls_test_assert_no_temp_files (sub);

  /* a name that is not there comes back in the message as the user wrote it */
  if (kind->check == labels_check)
    g_assert_null (dls_labels_file_load (missing, Z, Y, X, 255, &error));
  else if (kind->check == project_check)
    g_assert_null (dls_project_load (missing, &error));
  else if (kind->check == tiff_check)
    g_assert_null (dls_tiff_read_volume (missing, NULL, &error));
  else
    g_assert_null (dls_ensemble_load (missing, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "β fehlt ß.tif"));
  dls_test_tmpdir_remove (dir);
}

/* A read-only folder (a read-only tmpfs for root, chmod otherwise). */
static void
test_read_only (gconstpointer data)
{
  const Kind *kind = data;
  g_autofree char *dir = dls_test_tmpdir_new ("dls-hostile");
  g_autofree char *sub = g_build_filename (dir, "nur lesen ä", NULL);
  g_autofree char *path = g_build_filename (sub, kind->file, NULL);
  g_autofree char *why = NULL;
  g_autoptr (GError) error = NULL;
  Snapshot s = { 0 };
  gboolean mounted;

  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  mounted = dls_test_mount_tmpfs (sub, 1024, &why);
  g_clear_pointer (&why, g_free);
  g_assert_true (kind->save (path, 1, &error));
  g_assert_no_error (error);
  snapshot_take (&s, kind, sub);
  if (!dls_test_make_read_only (sub, mounted, &why))
    {
      snapshot_clear (&s);
      if (mounted)
        dls_test_unmount (sub);
      dls_test_tmpdir_remove (dir);
      g_test_skip (why);
      return;
    }

  g_assert_false (kind->save (path, 2, &error));
  assert_message (error, kind, g_strerror (mounted ? EROFS : EACCES));
  snapshot_assert_unchanged (&s, sub);
  kind->check (path, 1);

  snapshot_clear (&s);
  if (mounted)
    dls_test_unmount (sub);
  dls_test_tmpdir_remove (dir);
}

/* Fills the file system dir is on; returns the filler's path. */
static char *
fill_up (const char *dir)
{
  char *filler = g_build_filename (dir, "filler", NULL);
  int fd = g_open (filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  char block[4096] = { 0 };

  g_assert_cmpint (fd, >=, 0);
  while (write (fd, block, sizeof block) > 0)
    ;
  g_assert_cmpint (errno, ==, ENOSPC);
  /* the last few bytes */
  while (write (fd, block, 1) > 0)
    ;
  close (fd);
  return filler;
}

/* A full disk: a 256 KB tmpfs, filled up after the first version was saved. */
static void
test_disk_full (gconstpointer data)
{
  const Kind *kind = data;
  g_autofree char *dir = dls_test_tmpdir_new ("dls-hostile");
  g_autofree char *sub = g_build_filename (dir, "voll ä", NULL);
  g_autofree char *path = g_build_filename (sub, kind->file, NULL);
  g_autofree char *why = NULL, *filler = NULL;
  g_autoptr (GError) error = NULL;
  Snapshot s = { 0 };

  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  if (!dls_test_mount_tmpfs (sub, 256, &why))
    {
      dls_test_tmpdir_remove (dir);
      g_test_skip (why);
      return;
    }
  g_assert_true (kind->save (path, 1, &error));
  g_assert_no_error (error);
  snapshot_take (&s, kind, sub);
  filler = fill_up (sub);

  g_assert_false (kind->save (path, 2, &error));
  assert_message (error, kind, g_strerror (ENOSPC));
  g_assert_cmpint (g_unlink (filler), ==, 0);
  snapshot_assert_unchanged (&s, sub);
  kind->check (path, 1);

  /* with room again, the save works */
  g_clear_error (&error);
  g_assert_true (kind->save (path, 2, &error));
  g_assert_no_error (error);
  kind->check (path, 2);

  snapshot_clear (&s);
  dls_test_unmount (sub);
  dls_test_tmpdir_remove (dir);
}

/* The disk fills up after the first member of an ensemble: the previous ensemble stays whole,
 * its members are not a mix of the old and the new save. */
static void
test_ensemble_half_full (void)
{
  const Kind *kind = &kinds[3];
  g_autofree char *dir = dls_test_tmpdir_new ("dls-hostile");
  g_autofree char *sub = g_build_filename (dir, "voll ä", NULL);
  g_autofree char *path = g_build_filename (sub, kind->file, NULL);
  g_autofree char *probe = g_build_filename (dir, "probe.safetensors", NULL);
  g_autofree char *why = NULL, *filler = NULL;
  g_autoptr (GError) error = NULL;
  GStatBuf st;
  Snapshot s = { 0 };

  g_assert_true (model_save (probe, 2, &error));
  g_assert_cmpint (g_stat (probe, &st), ==, 0);
  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  if (!dls_test_mount_tmpfs (sub, 256, &why))
    {
      dls_test_tmpdir_remove (dir);
      g_test_skip (why);
      return;
    }
  g_assert_true (kind->save (path, 1, &error));
  g_assert_no_error (error);
  snapshot_take (&s, kind, sub);
  filler = fill_up (sub);
  /* room for one member of the new version, not two */
  {
    GStatBuf fs;

    g_assert_cmpint (g_stat (filler, &fs), ==, 0);
    g_assert_cmpint (truncate (filler, fs.st_size - (st.st_size + 8192)), ==, 0);
  }

  g_assert_false (kind->save (path, 2, &error));
  assert_message (error, kind, g_strerror (ENOSPC));
  g_assert_nonnull (strstr (error->message, kind->more[1]));
  snapshot_assert_unchanged (&s, sub);
  kind->check (path, 1);

  g_assert_cmpint (g_unlink (filler), ==, 0);
  snapshot_clear (&s);
  dls_test_unmount (sub);
  dls_test_tmpdir_remove (dir);
}

typedef struct
{
  const Kind *kind;
  const char *path;
} LimitJob;

static int
save_past_limit (gpointer data)
{
  LimitJob *job = data;
  g_autoptr (GError) error = NULL;

  if (job->kind->save (job->path, 2, &error))
    return 1;
  assert_message (error, job->kind, g_strerror (EFBIG));
  return 0;
}

/* A full disk without privileges: a child whose files may not grow past 1 KB. */
static void
test_file_limit (gconstpointer data)
{
  const Kind *kind = data;
  g_autofree char *dir = dls_test_tmpdir_new ("dls-hostile");
  g_autofree char *path = g_build_filename (dir, kind->file, NULL);
  g_autoptr (GError) error = NULL;
  LimitJob job = { kind, path };
  Snapshot s = { 0 };

  g_assert_true (kind->save (path, 1, &error));
  g_assert_no_error (error);
  snapshot_take (&s, kind, dir);
  g_assert_cmpint (dls_test_run_with_file_limit (1024, save_past_limit, &job), ==, 0);
  snapshot_assert_unchanged (&s, dir);
  kind->check (path, 1);
  snapshot_clear (&s);
  dls_test_tmpdir_remove (dir);
}

/* A writer killed half-way leaves its temporary file beside the target (the TIFF writer's
 * ".NAME.XXXXXX.part", g_file_set_contents' "NAME.XXXXXX"): reading ignores it, and saving
 * again works and leaves it alone. */
static void
test_stale_temp (gconstpointer data)
{
  const Kind *kind = data;
  g_autofree char *dir = dls_test_tmpdir_new ("dls-hostile");
  g_autofree char *path = g_build_filename (dir, kind->file, NULL);
  g_autofree char *part_name = g_strdup_printf (".%s.Q1w2E3.part", kind->file);
  g_autofree char *tmp_name = g_strdup_printf ("%s.Q1w2E3", kind->file);
  g_autofree char *part = g_build_filename (dir, part_name, NULL);
  g_autofree char *tmp = g_build_filename (dir, tmp_name, NULL);
  g_autoptr (GError) error = NULL;
  /* half a file of the second version */
  g_autofree char *half_dir = g_build_filename (dir, "half", NULL);
  g_autofree char *half = g_build_filename (half_dir, kind->file, NULL);
  g_autoptr (GBytes) whole = NULL;
  gsize len;

  g_assert_cmpint (g_mkdir (half_dir, 0755), ==, 0);
  g_assert_true (kind->save (half, 2, &error));
  whole = dls_test_file_bytes (half);
  len = g_bytes_get_size (whole);
  g_assert_true (
      g_file_set_contents (part, g_bytes_get_data (whole, NULL), (gssize) len / 2, NULL));
  g_assert_true (g_file_set_contents (tmp, g_bytes_get_data (whole, NULL), (gssize) len / 2, NULL));

  g_assert_true (kind->save (path, 1, &error));
  g_assert_no_error (error);
  kind->check (path, 1);
  g_assert_true (kind->save (path, 2, &error));
  g_assert_no_error (error);
  kind->check (path, 2);
  /* harmless: left as they were, for whoever made them */
  g_assert_true (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (tmp, G_FILE_TEST_EXISTS));

  /* and the half-written file itself, should someone copy it into place, is refused with a
   * message naming it */
  g_assert_true (
      g_file_set_contents (half, g_bytes_get_data (whole, NULL), (gssize) len / 2, NULL));
  if (kind->check == labels_check)
    g_assert_null (dls_labels_file_load (half, Z, Y, X, 255, &error));
  else if (kind->check == project_check)
    g_assert_null (dls_project_load (half, &error));
  else if (kind->check == tiff_check)
    g_assert_null (dls_tiff_read_volume (half, NULL, &error));
  else
    g_assert_null (dls_ensemble_load (half, &error));
  assert_message (error, kind, NULL);
  dls_test_tmpdir_remove (dir);
}

int
main (int argc, char **argv)
{
  static const struct
  {
    const char *id;
    GTestDataFunc fn;
  } places[] = {
    { "non-ascii", test_non_ascii },   { "read-only", test_read_only },
    { "disk-full", test_disk_full },   { "file-limit", test_file_limit },
    { "stale-temp", test_stale_temp },
  };

  g_test_init (&argc, &argv, NULL);
  for (gsize p = 0; p < G_N_ELEMENTS (places); p++)
    for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
      {
        g_autofree char *name = g_strdup_printf ("/io/hostile/%s/%s", places[p].id, kinds[k].id);

        g_test_add_data_func (name, &kinds[k], places[p].fn);
      }
  g_test_add_func ("/io/hostile/disk-full/ensemble-half-way", test_ensemble_half_full);
  return g_test_run ();
}
