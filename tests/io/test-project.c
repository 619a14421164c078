/* SPDX-License-Identifier: MIT
 *
 * test-project.c: the project file (NAME.dlsia.json) and the label file (NAME.labels.tif).
 * Every file is made at test time in a temporary folder.  Projects go through save and load
 * and must come back field for field, with paths stored relative to the project's folder and
 * resolved back to absolute; bad files must fail with a GError in DLS_IO_ERROR whose message
 * names the file and the field (or says what the file is instead), never crash.  Label files
 * must come back voxel for voxel, and a failed save must leave the previous file byte for byte.
 */
#include "labels-file.h"
#include "project.h"
#include "tiff.h"
#include "tmpdir.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

/* ---- temporary folders and files ---- */


static int
dir_count (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  int n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
write_bytes (const char *path, const void *data, gsize n)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, data, (gssize) n, &error);
  g_assert_no_error (error);
}

static void
write_text (const char *path, const char *text)
{
  write_bytes (path, text, strlen (text));
}

static char *
read_text (const char *path, gsize *len)
{
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, len, &error);
  g_assert_no_error (error);
  return text;
}

static void
make_dir (const char *path)
{
  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
}

/* A stand-in volume: the project never reads it, only checks that it is there. */
static void
touch (const char *path)
{
  write_text (path, "not really a TIFF");
}

/* Every word in the NULL-terminated list appears in the message. */
static void
assert_message_has (const GError *error, const char *first, ...)
{
  va_list args;

  g_assert_nonnull (error);
  g_test_message ("message: %s", error->message);
  va_start (args, first);
  for (const char *w = first; w != NULL; w = va_arg (args, const char *))
    if (strstr (error->message, w) == NULL)
      g_error ("“%s” does not contain “%s”", error->message, w);
  va_end (args);
}

/* ---- a full disk, even for root: a file size limit makes write() fail with EFBIG ---- */

static struct rlimit saved_fsize;

static void
disk_full_begin (rlim_t bytes)
{
  struct rlimit small;

  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved_fsize), ==, 0);
  small = saved_fsize;
  small.rlim_cur = bytes;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
}

static void
disk_full_end (void)
{
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved_fsize), ==, 0);
  signal (SIGXFSZ, SIG_DFL);
}

/* ---- comparing projects ---- */

static void
assert_params_equal (JsonObject *a, JsonObject *b)
{
  g_autoptr (JsonNode) na = NULL;
  g_autoptr (JsonNode) nb = NULL;

  if (a == NULL || b == NULL)
    {
      g_assert_true (a == b);
      return;
    }
  na = json_node_init_object (json_node_alloc (), a);
  nb = json_node_init_object (json_node_alloc (), b);
  g_assert_true (json_node_equal (na, nb));
}

static void
assert_projects_equal (const DlsProject *a, const DlsProject *b)
{
  g_assert_cmpint (a->format, ==, b->format);
  g_assert_cmpstr (a->volume, ==, b->volume);
  g_assert_cmpstr (a->labels, ==, b->labels);
  g_assert_cmpuint (a->classes->len, ==, b->classes->len);
  for (guint i = 0; i < a->classes->len; i++)
    {
      const DlsProjectClass *ca = &g_array_index (a->classes, DlsProjectClass, i);
      const DlsProjectClass *cb = &g_array_index (b->classes, DlsProjectClass, i);
      g_assert_cmpstr (ca->name, ==, cb->name);
      g_assert_cmphex (ca->color, ==, cb->color);
    }
  g_assert_cmpstr (a->display.colormap, ==, b->display.colormap);
  g_assert_cmpint (a->display.contrast_auto, ==, b->display.contrast_auto);
  g_assert_cmpfloat (a->display.contrast_lo, ==, b->display.contrast_lo);
  g_assert_cmpfloat (a->display.contrast_hi, ==, b->display.contrast_hi);
  g_assert_cmpstr (a->display.overlay, ==, b->display.overlay);
  g_assert_cmpstr (a->display.uncertainty, ==, b->display.uncertainty);
  g_assert_cmpfloat (a->display.opacity, ==, b->display.opacity);
  g_assert_cmpint (a->display.show_labels, ==, b->display.show_labels);
  g_assert_cmpint (a->display.axis, ==, b->display.axis);
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (a->display.slice[i], ==, b->display.slice[i]);
  g_assert_cmpstr (a->training.arch, ==, b->training.arch);
  g_assert_cmpint (a->training.ensemble, ==, b->training.ensemble);
  g_assert_cmpint (a->training.epochs, ==, b->training.epochs);
  g_assert_cmpfloat (a->training.time_budget, ==, b->training.time_budget);
  g_assert_cmpint (a->training.patch, ==, b->training.patch);
  g_assert_cmpint (a->training.batch, ==, b->training.batch);
  g_assert_cmpfloat (a->training.lr, ==, b->training.lr);
  g_assert_cmpuint (a->training.seed, ==, b->training.seed);
  assert_params_equal (a->training.arch_params, b->training.arch_params);
  g_assert_cmpuint (a->models->len, ==, b->models->len);
  for (guint i = 0; i < a->models->len; i++)
    g_assert_cmpstr (g_ptr_array_index (a->models, i), ==, g_ptr_array_index (b->models, i));
}

static DlsProject *
save_and_load (DlsProject *p, const char *path)
{
  g_autoptr (GError) error = NULL;
  DlsProject *back;

  g_assert_true (dls_project_save (p, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (p->path, ==, path);
  back = dls_project_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_cmpstr (back->path, ==, path);
  return back;
}

static void
set_class (DlsProject *p, guint i, const char *name, guint32 color)
{
  DlsProjectClass c = { g_strdup (name), color };

  if (i < p->classes->len)
    {
      g_free (g_array_index (p->classes, DlsProjectClass, i).name);
      g_array_index (p->classes, DlsProjectClass, i) = c;
    }
  else
    g_array_append_val (p->classes, c);
}

/* ---- project: defaults and round trips ---- */

static void
test_project_new (void)
{
  g_autoptr (DlsProject) p = dls_project_new ();

  g_assert_cmpint (p->format, ==, 1);
  g_assert_null (p->path);
  g_assert_null (p->volume);
  g_assert_null (p->labels);
  g_assert_cmpuint (p->classes->len, ==, 2);
  g_assert_cmpstr (g_array_index (p->classes, DlsProjectClass, 0).name, ==, "Background");
  g_assert_cmpstr (g_array_index (p->classes, DlsProjectClass, 1).name, ==, "Foreground");
  g_assert_cmphex (g_array_index (p->classes, DlsProjectClass, 0).color, ==,
                   dls_project_class_default_color (0));
  g_assert_cmphex (g_array_index (p->classes, DlsProjectClass, 1).color, ==,
                   dls_project_class_default_color (1));
  g_assert_cmphex (dls_project_class_default_color (0), !=, dls_project_class_default_color (1));
  g_assert_cmphex (dls_project_class_default_color (1) & 0xff, ==, 0xff);
  g_assert_cmpstr (p->display.colormap, ==, "gray");
  g_assert_true (p->display.contrast_auto);
  g_assert_cmpfloat (p->display.opacity, ==, 0.5);
  g_assert_true (p->display.show_labels);
  g_assert_cmpint (p->display.axis, ==, 0);
  g_assert_cmpstr (p->training.arch, ==, "smsnet");
  g_assert_cmpint (p->training.ensemble, ==, 3);
  g_assert_cmpint (p->training.epochs, ==, 20);
  g_assert_cmpfloat (p->training.time_budget, ==, 0.0);
  g_assert_cmpint (p->training.patch, ==, 64);
  g_assert_cmpint (p->training.batch, ==, 4);
  g_assert_cmpfloat (p->training.lr, ==, 1e-3);
  g_assert_cmpuint (p->training.seed, ==, 1);
  g_assert_null (p->training.arch_params);
  g_assert_cmpuint (p->models->len, ==, 0);
  g_assert_false (dls_project_volume_exists (p));
}

/* Every field set away from its default, names in several scripts, paths with spaces. */
static void
test_project_round_trip (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *folder = g_build_filename (dir, "Fibres – série 2", NULL);
  g_autofree char *path = g_build_filename (folder, "scan 01.dlsia.json", NULL);
  g_autofree char *volume = g_build_filename (folder, "scan 01.tif", NULL);
  g_autofree char *labels = g_build_filename (folder, "my labels", "scan 01 – ü.labels.tif", NULL);
  g_autofree char *model = g_build_filename (folder, "scan 01.smsnet.json", NULL);
  g_autofree char *model2 = g_build_filename (dir, "other models", "ø.safetensors", NULL);
  g_autoptr (DlsProject) p = dls_project_new ();
  g_autoptr (DlsProject) back = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  make_dir (folder);
  touch (volume);
  p->volume = g_strdup (volume);
  p->labels = g_strdup (labels);
  set_class (p, 0, "Matrix", 0x4477aaff);
  set_class (p, 1, "Fibre \"long\" \\ ends", 0xee667780);
  set_class (p, 2, "Pore – 孔 – Поры ✓", 0x00000000);
  set_class (p, 3, "", 0xffffffff);
  g_free (p->display.colormap);
  p->display.colormap = g_strdup ("viridis");
  p->display.contrast_auto = FALSE;
  p->display.contrast_lo = -0.1;
  p->display.contrast_hi = 1234.5678;
  g_free (p->display.overlay);
  p->display.overlay = g_strdup ("uncertainty");
  g_free (p->display.uncertainty);
  p->display.uncertainty = g_strdup ("set-size");
  p->display.opacity = 0.3;
  p->display.show_labels = FALSE;
  p->display.axis = 2;
  p->display.slice[0] = 12;
  p->display.slice[1] = 345;
  p->display.slice[2] = 6789;
  g_free (p->training.arch);
  p->training.arch = g_strdup ("tunet");
  p->training.ensemble = 5;
  p->training.epochs = 0;
  p->training.time_budget = 3600.25;
  p->training.patch = 128;
  p->training.batch = 16;
  p->training.lr = 1e-5;
  p->training.seed = G_GUINT64_CONSTANT (0xfedcba9876543210); /* past 2⁶³ */
  json_parser_load_from_data (parser,
                              "{\"depth\": 4, \"base_channels\": 16, \"growth\": 1.5,"
                              " \"dropout\": 0.1, \"tiny\": 1e-300, \"huge\": 1e20,"
                              " \"name\": \"ünï\", \"layers\": [1, 2.5, \"x\", null, true],"
                              " \"nested\": {\"a\": {}, \"b\": []}}",
                              -1, &error);
  g_assert_no_error (error);
  p->training.arch_params = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  g_ptr_array_add (p->models, g_strdup (model));
  g_ptr_array_add (p->models, g_strdup (model2));

  back = save_and_load (p, path);
  assert_projects_equal (p, back);
  g_assert_true (dls_project_volume_exists (back));

  /* and once more from what was loaded: nothing drifts */
  {
    g_autoptr (DlsProject) again = save_and_load (back, path);
    assert_projects_equal (p, again);
  }
  dls_test_tmpdir_remove (dir);
}

/* The text is the documented, human-readable layout: indented, relative paths, short numbers,
 * colours as #rrggbb, readable names. */
static void
test_project_text (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "volume.dlsia.json", NULL);
  g_autofree char *volume = g_build_filename (dir, "volume.tif", NULL);
  g_autoptr (DlsProject) p = dls_project_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();

  dls_project_set_volume (p, volume);
  g_free (g_array_index (p->classes, DlsProjectClass, 1).name);
  g_array_index (p->classes, DlsProjectClass, 1).name = g_strdup ("Fibre ü");
  g_array_index (p->classes, DlsProjectClass, 1).color = 0xee667780;
  p->display.opacity = 0.1;
  p->display.slice[0] = 12;
  g_ptr_array_add (p->models, g_build_filename (dir, "volume.smsnet.json", NULL));
  g_assert_true (dls_project_save (p, path, &error));
  g_assert_no_error (error);
  text = read_text (path, NULL);
  g_test_message ("%s", text);

  g_assert_true (g_str_has_prefix (text, "{\n  \"format\": 1,\n"));
  g_assert_nonnull (strstr (text, "\n  \"volume\": \"volume.tif\",\n"));
  g_assert_nonnull (strstr (text, "\n  \"labels\": \"volume.labels.tif\",\n"));
  g_assert_nonnull (strstr (text, "\"color\": \"#4477aa\""));
  g_assert_nonnull (strstr (text, "\"color\": \"#ee667780\""));
  g_assert_nonnull (strstr (text, "\"name\": \"Fibre ü\""));
  g_assert_nonnull (strstr (text, "\"opacity\": 0.1,"));
  g_assert_nonnull (strstr (text, "\"lr\": 0.001,"));
  g_assert_nonnull (strstr (text, "\"axis\": \"xy\""));
  g_assert_nonnull (strstr (text, "\"slice\": [12, 0, 0]"));
  g_assert_nonnull (strstr (text, "\"auto\": true"));
  g_assert_nonnull (strstr (text, "\"params\": {}"));
  g_assert_nonnull (strstr (text, "\"volume.smsnet.json\""));
  g_assert_true (g_str_has_suffix (text, "}\n"));
  g_assert_null (strstr (text, dir)); /* nothing absolute */

  /* valid JSON for anyone else too */
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  dls_test_tmpdir_remove (dir);
}

/* The file the brief shows, as a person would write it, loads into the documented fields. */
static void
test_project_load_example (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "volume.dlsia.json", NULL);
  g_autofree char *volume = g_build_filename (dir, "volume.tif", NULL);
  g_autofree char *labels = g_build_filename (dir, "volume.labels.tif", NULL);
  g_autofree char *model = g_build_filename (dir, "volume.smsnet.json", NULL);
  g_autoptr (DlsProject) p = NULL;
  g_autoptr (GError) error = NULL;

  write_text (
      path, "{ \"format\": 1, \"volume\": \"volume.tif\", \"labels\": \"volume.labels.tif\",\n"
            "  \"classes\": [ { \"name\": \"Matrix\", \"color\": \"#4477aa\" },"
            " { \"name\": \"Fibre\", \"color\": \"#EE6677\" } ],\n"
            "  \"display\": { \"colormap\": \"gray\", \"contrast\": { \"auto\": true, \"low\": 0,"
            " \"high\": 1 }, \"overlay\": \"prediction\", \"uncertainty\": \"margin\","
            " \"opacity\": 0.5, \"show_labels\": true, \"axis\": \"xz\", \"slice\": [12, 3, 4] },\n"
            "  \"training\": { \"arch\": \"msdnet\", \"ensemble\": 3, \"epochs\": 20.0,"
            " \"time_budget\": 0, \"patch\": 64, \"batch\": 4, \"lr\": 0.001, \"seed\": 7,"
            " \"params\": { \"depth\": 10 } },\n"
            "  \"models\": [ \"volume.smsnet.json\" ] }\n");
  p = dls_project_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p->volume, ==, volume);
  g_assert_cmpstr (p->labels, ==, labels);
  g_assert_cmpuint (p->classes->len, ==, 2);
  g_assert_cmpstr (g_array_index (p->classes, DlsProjectClass, 1).name, ==, "Fibre");
  g_assert_cmphex (g_array_index (p->classes, DlsProjectClass, 0).color, ==, 0x4477aaff);
  g_assert_cmphex (g_array_index (p->classes, DlsProjectClass, 1).color, ==, 0xee6677ff);
  g_assert_cmpint (p->display.axis, ==, 1);
  g_assert_cmpint (p->display.slice[0], ==, 12);
  g_assert_cmpint (p->display.slice[1], ==, 3);
  g_assert_cmpint (p->display.slice[2], ==, 4);
  g_assert_cmpfloat (p->display.contrast_hi, ==, 1.0);
  g_assert_cmpstr (p->training.arch, ==, "msdnet");
  g_assert_cmpint (p->training.epochs, ==, 20);
  g_assert_cmpuint (p->training.seed, ==, 7);
  g_assert_nonnull (p->training.arch_params);
  g_assert_cmpint (json_object_get_int_member (p->training.arch_params, "depth"), ==, 10);
  g_assert_cmpuint (p->models->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (p->models, 0), ==, model);
  dls_test_tmpdir_remove (dir);
}

/* Saved by a Windows editor: a byte-order mark and CRLF line ends. */
static void
test_project_load_bom_crlf (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "p.dlsia.json", NULL);
  g_autofree char *volume = g_build_filename (dir, "v.tif", NULL);
  g_autoptr (DlsProject) p = NULL;
  g_autoptr (GError) error = NULL;

  write_text (path, "\xef\xbb\xbf{\r\n  \"format\": 1,\r\n  \"volume\": \"v.tif\"\r\n}\r\n");
  p = dls_project_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p->volume, ==, volume);
  dls_test_tmpdir_remove (dir);
}

/* {"format": 1} alone is a project with every default; keys this version does not know, and
 * display names it does not know, are passed over. */
static void
test_project_defaults_and_unknown_keys (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "p.dlsia.json", NULL);
  g_autofree char *volume = g_build_filename (dir, "v.tif", NULL);
  g_autofree char *labels = g_build_filename (dir, "v.labels.tif", NULL);
  g_autoptr (DlsProject) fresh = dls_project_new ();
  g_autoptr (GError) error = NULL;

  write_text (path, "{\"format\": 1}");
  {
    g_autoptr (DlsProject) p = dls_project_load (path, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (p->path, ==, path);
    g_free (fresh->path);
    fresh->path = g_strdup (path);
    assert_projects_equal (fresh, p);
  }

  write_text (path, "{\"format\": 1, \"volume\": \"v.tif\", \"future\": {\"x\": [1, 2]},"
                    " \"display\": {\"overlay\": \"hologram\", \"uncertainty\": \"vibes\","
                    " \"colormap\": \"magma\", \"zoom\": 3, \"opacity\": null},"
                    " \"training\": {\"optimizer\": \"lion\", \"seed\": null},"
                    " \"classes\": [{\"name\": \"A\", \"shortcut\": \"a\"}]}");
  {
    g_autoptr (DlsProject) p = dls_project_load (path, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (p->volume, ==, volume);
    g_assert_cmpstr (p->labels, ==, labels); /* no "labels": the default beside the volume */
    g_assert_cmpstr (p->display.overlay, ==, fresh->display.overlay);
    g_assert_cmpstr (p->display.uncertainty, ==, fresh->display.uncertainty);
    g_assert_cmpstr (p->display.colormap, ==, "magma"); /* colormap ids are the app's */
    g_assert_cmpfloat (p->display.opacity, ==, 0.5);
    g_assert_cmpuint (p->training.seed, ==, 1);
    g_assert_cmpuint (p->classes->len, ==, 1);
    g_assert_cmphex (g_array_index (p->classes, DlsProjectClass, 0).color, ==,
                     dls_project_class_default_color (0));
  }
  dls_test_tmpdir_remove (dir);
}

/* ---- project: relative paths ---- */

typedef struct
{
  const char *name;
  const char *project; /* relative to the temporary folder */
  const char *volume;
  const char *stored; /* what the file must say */
} RelativeCase;

static const RelativeCase relative_cases[] = {
  { "same-folder", "proj/v.dlsia.json", "proj/v.tif", "v.tif" },
  { "subfolder", "proj/v.dlsia.json", "proj/data/raw/v.tif", "data/raw/v.tif" },
  { "sibling", "proj/v.dlsia.json", "data/v.tif", "../data/v.tif" },
  { "cousin", "a/b/proj/v.dlsia.json", "a/c/d/v.tif", "../../c/d/v.tif" },
  { "prefix-name", "proj/v.dlsia.json", "project/v.tif", "../project/v.tif" },
};

static void
test_project_relative (gconstpointer data)
{
  const RelativeCase *c = data;
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, c->project, NULL);
  g_autofree char *volume = g_build_filename (dir, c->volume, NULL);
  g_autofree char *proj_dir = g_path_get_dirname (path);
  g_autofree char *vol_dir = g_path_get_dirname (volume);
  g_autofree char *text = NULL;
  g_autofree char *expected = g_strdup_printf ("\"volume\": \"%s\"", c->stored);
  g_autofree char *expected_model = g_strdup_printf ("\"%s\"", c->stored);
  g_autoptr (DlsProject) p = dls_project_new ();
  g_autoptr (DlsProject) back = NULL;

  make_dir (proj_dir);
  make_dir (vol_dir);
  touch (volume);
  dls_project_set_volume (p, volume);
  g_ptr_array_add (p->models, g_strdup (volume)); /* models are stored the same way */
  back = save_and_load (p, path);
  text = read_text (path, NULL);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, expected));
  g_assert_nonnull (strstr (text, expected_model));
  g_assert_cmpstr (back->volume, ==, volume);
  g_assert_cmpstr (g_ptr_array_index (back->models, 0), ==, volume);
  g_assert_true (dls_project_volume_exists (back));
  dls_test_tmpdir_remove (dir);
}

/* Paths that share only the root with the project stay absolute: a relative "../../mnt/…"
 * would break as soon as the project folder moves.  Absolute paths written by hand load. */
static void
test_project_relative_other_root (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "p.dlsia.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr (DlsProject) p = dls_project_new ();
  g_autoptr (DlsProject) back = NULL;
  g_autoptr (GError) error = NULL;

  p->volume = g_strdup ("/dls-nowhere/scans/v.tif");
  p->labels = g_strdup ("/dls-nowhere/scans/v.labels.tif");
  back = save_and_load (p, path);
  text = read_text (path, NULL);
  g_assert_nonnull (strstr (text, "\"volume\": \"/dls-nowhere/scans/v.tif\""));
  g_assert_cmpstr (back->volume, ==, "/dls-nowhere/scans/v.tif");
  g_assert_false (dls_project_volume_exists (back));

  /* "..", "." and doubled slashes written by hand come back clean */
  write_text (path, "{\"format\": 1, \"volume\": \"./x/..//y/v.tif\"}");
  g_clear_pointer (&back, dls_project_free);
  back = dls_project_load (path, &error);
  g_assert_no_error (error);
  {
    g_autofree char *want = g_build_filename (dir, "y", "v.tif", NULL);
    g_assert_cmpstr (back->volume, ==, want);
  }
  dls_test_tmpdir_remove (dir);
}

/* A relative project path is made absolute against the working folder, and saving by one name
 * and loading by another ("a/../a/p.json") agree. */
static void
test_project_relative_project_path (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *sub = g_build_filename (dir, "sub", NULL);
  g_autofree char *volume = g_build_filename (dir, "sub", "v.tif", NULL);
  g_autofree char *expected_path = g_build_filename (dir, "sub", "v.dlsia.json", NULL);
  g_autoptr (DlsProject) p = dls_project_new ();
  g_autoptr (DlsProject) back = NULL;
  g_autoptr (GError) error = NULL;

  make_dir (sub);
  g_assert_cmpint (g_chdir (dir), ==, 0);
  dls_project_set_volume (p, "sub/v.tif");
  g_assert_cmpstr (p->volume, ==, volume);
  g_assert_true (dls_project_save (p, "sub/../sub/v.dlsia.json", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (p->path, ==, expected_path);
  back = dls_project_load ("./sub/v.dlsia.json", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->path, ==, expected_path);
  g_assert_cmpstr (back->volume, ==, volume);
  g_assert_cmpint (g_chdir (cwd), ==, 0);
  dls_test_tmpdir_remove (dir);
}

/* Copying the project and its volume to another folder: the copy finds its own volume. */
static void
test_project_moved_folder (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *old_dir = g_build_filename (dir, "old place", NULL);
  g_autofree char *new_dir = g_build_filename (dir, "new", "place", NULL);
  g_autofree char *old_path = g_build_filename (old_dir, "v.dlsia.json", NULL);
  g_autofree char *new_path = g_build_filename (new_dir, "v.dlsia.json", NULL);
  g_autofree char *old_volume = g_build_filename (old_dir, "data", "v.tif", NULL);
  g_autofree char *new_volume = g_build_filename (new_dir, "data", "v.tif", NULL);
  g_autofree char *new_data = g_build_filename (new_dir, "data", NULL);
  g_autofree char *old_data = g_build_filename (old_dir, "data", NULL);
  g_autofree char *new_labels = g_build_filename (new_dir, "data", "v.labels.tif", NULL);
  g_autofree char *new_model = g_build_filename (new_dir, "v.smsnet.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr (DlsProject) p = dls_project_new ();
  g_autoptr (DlsProject) moved = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  make_dir (old_data);
  make_dir (new_data);
  touch (old_volume);
  dls_project_set_volume (p, old_volume);
  g_ptr_array_add (p->models, g_build_filename (old_dir, "v.smsnet.json", NULL));
  g_assert_true (dls_project_save (p, old_path, &error));
  g_assert_no_error (error);

  text = read_text (old_path, &len);
  write_bytes (new_path, text, len);
  touch (new_volume);
  g_assert_cmpint (g_unlink (old_volume), ==, 0); /* the old copy is gone */

  moved = dls_project_load (new_path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (moved->volume, ==, new_volume);
  g_assert_cmpstr (moved->labels, ==, new_labels);
  g_assert_cmpstr (g_ptr_array_index (moved->models, 0), ==, new_model);
  g_assert_true (dls_project_volume_exists (moved));
  dls_test_tmpdir_remove (dir);
}

/* A volume that is not there loads (the app asks where it went), and locating it moves the
 * default label file along but leaves one the user chose. */
static void
test_project_missing_volume (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "v.dlsia.json", NULL);
  g_autofree char *volume = g_build_filename (dir, "v.tif", NULL);
  g_autofree char *found = g_build_filename (dir, "elsewhere", "renamed.TIF", NULL);
  g_autofree char *elsewhere = g_build_filename (dir, "elsewhere", NULL);
  g_autofree char *found_labels = g_build_filename (dir, "elsewhere", "renamed.labels.tif", NULL);
  g_autoptr (DlsProject) p = dls_project_new ();
  g_autoptr (DlsProject) back = NULL;
  g_autoptr (GError) error = NULL;

  dls_project_set_volume (p, volume);
  g_assert_false (dls_project_volume_exists (p));
  back = save_and_load (p, path);
  g_assert_cmpstr (back->volume, ==, volume);
  g_assert_false (dls_project_volume_exists (back));

  make_dir (elsewhere);
  touch (found);
  dls_project_set_volume (back, found);
  g_assert_cmpstr (back->volume, ==, found);
  g_assert_cmpstr (back->labels, ==, found_labels);
  g_assert_true (dls_project_volume_exists (back));
  dls_test_tmpdir_remove (dir);
}

static void
test_project_set_volume (void)
{
  g_autoptr (DlsProject) p = dls_project_new ();

  /* no volume yet: labels take the default */
  dls_project_set_volume (p, "/data/a/scan.tif");
  g_assert_cmpstr (p->volume, ==, "/data/a/scan.tif");
  g_assert_cmpstr (p->labels, ==, "/data/a/scan.labels.tif");

  /* the default moves along */
  dls_project_set_volume (p, "/data/b/scan 2.tiff");
  g_assert_cmpstr (p->labels, ==, "/data/b/scan 2.labels.tif");

  /* a label file the user chose stays */
  g_free (p->labels);
  p->labels = g_strdup ("/home/me/my labels.tif");
  dls_project_set_volume (p, "/data/c/scan.tif");
  g_assert_cmpstr (p->volume, ==, "/data/c/scan.tif");
  g_assert_cmpstr (p->labels, ==, "/home/me/my labels.tif");

  /* a default written a little differently is still the default */
  g_free (p->labels);
  p->labels = g_strdup ("/data/c/./scan.labels.tif");
  dls_project_set_volume (p, "/data/d//scan.tif");
  g_assert_cmpstr (p->volume, ==, "/data/d/scan.tif");
  g_assert_cmpstr (p->labels, ==, "/data/d/scan.labels.tif");

  /* a label file beside the volume but under another name is the user's */
  g_free (p->labels);
  p->labels = g_strdup ("/data/d/scan.labels-old.tif");
  dls_project_set_volume (p, "/data/e/scan.tif");
  g_assert_cmpstr (p->labels, ==, "/data/d/scan.labels-old.tif");
}

/* ---- project: bad files ---- */

typedef struct
{
  const char *name;
  const char *text;     /* NULL: the bytes below */
  const char *words[4]; /* each must appear in the message */
  int code;
} BadCase;

static const BadCase bad_cases[] = {
  { "empty", "", { "not a DLSIA Studio project", "empty" }, DLS_IO_ERROR_FORMAT },
  { "blank", " \n\t ", { "not a DLSIA Studio project", "empty" }, DLS_IO_ERROR_FORMAT },
  { "garbage", NULL, { "not a DLSIA Studio project", "not a text file" }, DLS_IO_ERROR_FORMAT },
  { "not-json",
    "format = 1\n",
    { "not a DLSIA Studio project", "not valid JSON", "line 1" },
    DLS_IO_ERROR_FORMAT },
  { "truncated",
    "{\"format\": 1, \"classes\": [",
    { "not a DLSIA Studio project", "JSON" },
    DLS_IO_ERROR_FORMAT },
  { "array",
    "[1, 2, 3]",
    { "not a DLSIA Studio project", "a list", "not a JSON object" },
    DLS_IO_ERROR_FORMAT },
  { "string",
    "\"hello\"",
    { "not a DLSIA Studio project", "not a JSON object" },
    DLS_IO_ERROR_FORMAT },
  { "no-format",
    "{\"volume\": \"v.tif\"}",
    { "not a DLSIA Studio project", "format" },
    DLS_IO_ERROR_FORMAT },
  { "format-2",
    "{\"format\": 2, \"volume\": \"v.tif\"}",
    { "newer DLSIA Studio", "format 2", "reads format 1" },
    DLS_IO_ERROR_UNSUPPORTED },
  { "format-0", "{\"format\": 0}", { "format", "0" }, DLS_IO_ERROR_FORMAT },
  { "format-string",
    "{\"format\": \"1\"}",
    { "“format”", "whole number", "text" },
    DLS_IO_ERROR_FORMAT },
  { "classes-number",
    "{\"format\": 1, \"classes\": 3}",
    { "“classes”", "a list", "a number" },
    DLS_IO_ERROR_FORMAT },
  { "classes-empty",
    "{\"format\": 1, \"classes\": []}",
    { "no classes", "at least one" },
    DLS_IO_ERROR_FORMAT },
  { "class-not-object",
    "{\"format\": 1, \"classes\": [\"Fibre\"]}",
    { "classes[0]", "object" },
    DLS_IO_ERROR_FORMAT },
  { "class-no-name",
    "{\"format\": 1, \"classes\": [{\"color\": \"#ffffff\"}]}",
    { "classes[0]", "no name" },
    DLS_IO_ERROR_FORMAT },
  { "class-name-number",
    "{\"format\": 1, \"classes\": [{\"name\": 5}]}",
    { "classes[0].name", "text" },
    DLS_IO_ERROR_FORMAT },
  { "color-red",
    "{\"format\": 1, \"classes\": [{\"name\": \"A\", \"color\": \"#4477aa\"},"
    " {\"name\": \"B\", \"color\": \"red\"}]}",
    { "classes[1].color", "“red”", "#rrggbb" },
    DLS_IO_ERROR_FORMAT },
  { "color-short",
    "{\"format\": 1, \"classes\": [{\"name\": \"A\", \"color\": \"#fff\"}]}",
    { "classes[0].color", "#rrggbb" },
    DLS_IO_ERROR_FORMAT },
  { "color-bad-hex",
    "{\"format\": 1, \"classes\": [{\"name\": \"A\", \"color\": \"#gg0000\"}]}",
    { "classes[0].color", "#rrggbb" },
    DLS_IO_ERROR_FORMAT },
  { "color-number",
    "{\"format\": 1, \"classes\": [{\"name\": \"A\", \"color\": 255}]}",
    { "classes[0].color", "text" },
    DLS_IO_ERROR_FORMAT },
  { "volume-number", "{\"format\": 1, \"volume\": 3}", { "“volume”", "text" }, DLS_IO_ERROR_FORMAT },
  { "volume-empty",
    "{\"format\": 1, \"volume\": \"\"}",
    { "“volume”", "empty" },
    DLS_IO_ERROR_FORMAT },
  { "labels-list",
    "{\"format\": 1, \"labels\": [\"a\"]}",
    { "“labels”", "text", "a list" },
    DLS_IO_ERROR_FORMAT },
  { "display-string",
    "{\"format\": 1, \"display\": \"gray\"}",
    { "“display”", "an object" },
    DLS_IO_ERROR_FORMAT },
  { "opacity-string",
    "{\"format\": 1, \"display\": {\"opacity\": \"half\"}}",
    { "display.opacity", "a number", "text" },
    DLS_IO_ERROR_FORMAT },
  { "opacity-range",
    "{\"format\": 1, \"display\": {\"opacity\": 1.5}}",
    { "display.opacity", "1.5", "0 to 1" },
    DLS_IO_ERROR_FORMAT },
  { "contrast-auto",
    "{\"format\": 1, \"display\": {\"contrast\": {\"auto\": 1}}}",
    { "display.contrast.auto", "true or false" },
    DLS_IO_ERROR_FORMAT },
  { "contrast-low",
    "{\"format\": 1, \"display\": {\"contrast\": {\"low\": \"0\"}}}",
    { "display.contrast.low", "a number" },
    DLS_IO_ERROR_FORMAT },
  { "contrast-list",
    "{\"format\": 1, \"display\": {\"contrast\": [0, 1]}}",
    { "display.contrast", "an object" },
    DLS_IO_ERROR_FORMAT },
  { "show-labels",
    "{\"format\": 1, \"display\": {\"show_labels\": \"yes\"}}",
    { "display.show_labels", "true or false" },
    DLS_IO_ERROR_FORMAT },
  { "axis-unknown",
    "{\"format\": 1, \"display\": {\"axis\": \"zz\"}}",
    { "display.axis", "“zz”", "xy" },
    DLS_IO_ERROR_FORMAT },
  { "axis-number",
    "{\"format\": 1, \"display\": {\"axis\": 0}}",
    { "display.axis", "text" },
    DLS_IO_ERROR_FORMAT },
  { "slice-short",
    "{\"format\": 1, \"display\": {\"slice\": [1, 2]}}",
    { "display.slice", "3 numbers" },
    DLS_IO_ERROR_FORMAT },
  { "slice-fraction",
    "{\"format\": 1, \"display\": {\"slice\": [1, 2.5, 0]}}",
    { "display.slice[1]", "whole number", "2.5" },
    DLS_IO_ERROR_FORMAT },
  { "slice-negative",
    "{\"format\": 1, \"display\": {\"slice\": [1, 2, -3]}}",
    { "display.slice[2]", "-3" },
    DLS_IO_ERROR_FORMAT },
  { "colormap-number",
    "{\"format\": 1, \"display\": {\"colormap\": 1}}",
    { "display.colormap", "text" },
    DLS_IO_ERROR_FORMAT },
  { "training-list",
    "{\"format\": 1, \"training\": []}",
    { "“training”", "an object" },
    DLS_IO_ERROR_FORMAT },
  { "arch-unknown",
    "{\"format\": 1, \"training\": {\"arch\": \"resnet\"}}",
    { "training.arch", "“resnet”", "smsnet" },
    DLS_IO_ERROR_FORMAT },
  { "epochs-string",
    "{\"format\": 1, \"training\": {\"epochs\": \"20\"}}",
    { "training.epochs", "whole number", "text" },
    DLS_IO_ERROR_FORMAT },
  { "epochs-negative",
    "{\"format\": 1, \"training\": {\"epochs\": -1}}",
    { "training.epochs", "-1" },
    DLS_IO_ERROR_FORMAT },
  { "ensemble-zero",
    "{\"format\": 1, \"training\": {\"ensemble\": 0}}",
    { "training.ensemble", "0" },
    DLS_IO_ERROR_FORMAT },
  { "ensemble-huge",
    "{\"format\": 1, \"training\": {\"ensemble\": 99999999999}}",
    { "training.ensemble", "99999999999" },
    DLS_IO_ERROR_FORMAT },
  { "patch-bool",
    "{\"format\": 1, \"training\": {\"patch\": true}}",
    { "training.patch", "whole number", "true or false" },
    DLS_IO_ERROR_FORMAT },
  { "batch-zero",
    "{\"format\": 1, \"training\": {\"batch\": 0}}",
    { "training.batch" },
    DLS_IO_ERROR_FORMAT },
  { "lr-zero",
    "{\"format\": 1, \"training\": {\"lr\": 0}}",
    { "training.lr" },
    DLS_IO_ERROR_FORMAT },
  { "time-budget-negative",
    "{\"format\": 1, \"training\": {\"time_budget\": -5}}",
    { "training.time_budget" },
    DLS_IO_ERROR_FORMAT },
  { "seed-string",
    "{\"format\": 1, \"training\": {\"seed\": \"1\"}}",
    { "training.seed", "whole number" },
    DLS_IO_ERROR_FORMAT },
  { "params-list",
    "{\"format\": 1, \"training\": {\"params\": [1]}}",
    { "training.params", "an object" },
    DLS_IO_ERROR_FORMAT },
  { "models-string",
    "{\"format\": 1, \"models\": \"m.json\"}",
    { "“models”", "a list" },
    DLS_IO_ERROR_FORMAT },
  { "models-number",
    "{\"format\": 1, \"models\": [\"a.json\", 2]}",
    { "models[1]", "text" },
    DLS_IO_ERROR_FORMAT },
};

static const guint8 garbage[] = { 0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00, 0xff,
                                  0xfe, 0x00, 0x01, 0x80, 0x81, 0xc3, 0x28, 0x7b, 0x22 };

static void
test_project_bad (gconstpointer data)
{
  const BadCase *c = data;
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "bad project.dlsia.json", NULL);
  g_autoptr (DlsProject) p = NULL;
  g_autoptr (GError) error = NULL;

  if (c->text != NULL)
    write_text (path, c->text);
  else
    write_bytes (path, garbage, sizeof garbage);
  p = dls_project_load (path, &error);
  g_assert_null (p);
  g_assert_error (error, DLS_IO_ERROR, c->code);
  assert_message_has (error, "“bad project.dlsia.json”", c->words[0] ? c->words[0] : "",
                      c->words[1] ? c->words[1] : "", c->words[2] ? c->words[2] : "",
                      c->words[3] ? c->words[3] : "", NULL);
  dls_test_tmpdir_remove (dir);
}

/* 300 classes is more than a uint8 label volume can hold; 255 is just right. */
static void
test_project_bad_class_count (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "many.dlsia.json", NULL);
  g_autoptr (GError) error = NULL;
  int counts[] = { 255, 256, 300 };

  for (guint k = 0; k < G_N_ELEMENTS (counts); k++)
    {
      g_autoptr (GString) s = g_string_new ("{\"format\": 1, \"classes\": [");
      g_autoptr (DlsProject) p = NULL;

      for (int i = 0; i < counts[k]; i++)
        g_string_append_printf (s, "%s{\"name\": \"c%d\"}", i ? ", " : "", i);
      g_string_append (s, "]}");
      write_text (path, s->str);
      p = dls_project_load (path, &error);
      if (counts[k] <= 255)
        {
          g_assert_no_error (error);
          g_assert_cmpuint (p->classes->len, ==, (guint) counts[k]);
          g_assert_cmpstr (g_array_index (p->classes, DlsProjectClass, 254).name, ==, "c254");
        }
      else
        {
          g_autofree char *n = g_strdup_printf ("%d classes", counts[k]);
          g_assert_null (p);
          g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT);
          assert_message_has (error, "many.dlsia.json", n, "255", NULL);
          g_clear_error (&error);
        }
    }
  dls_test_tmpdir_remove (dir);
}

/* A million "[" must not overflow the stack; deep but reasonable parameters, and brackets
 * inside strings, are fine. */
static void
test_project_bad_deep (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "deep.dlsia.json", NULL);
  g_autofree char *brackets = g_strnfill (1000000, '[');
  g_autoptr (GString) ok
      = g_string_new ("{\"format\": 1, \"classes\": [{\"name\": \"[[[{{{\\\"\"}],"
                      " \"training\": {\"params\": ");
  g_autoptr (DlsProject) p = NULL;
  g_autoptr (GError) error = NULL;

  write_text (path, brackets);
  p = dls_project_load (path, &error);
  g_assert_null (p);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT);
  assert_message_has (error, "deep.dlsia.json", "nested", NULL);
  g_clear_error (&error);

  for (int i = 0; i < 100; i++)
    g_string_append (ok, "{\"a\": ");
  g_string_append (ok, "[1]");
  for (int i = 0; i < 100; i++)
    g_string_append (ok, "}");
  g_string_append (ok, "}}");
  write_text (path, ok->str);
  p = dls_project_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_array_index (p->classes, DlsProjectClass, 0).name, ==, "[[[{{{\"");
  g_assert_true (json_object_has_member (p->training.arch_params, "a"));
  dls_test_tmpdir_remove (dir);
}

static void
test_project_bad_not_there (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "gone.dlsia.json", NULL);
  g_autoptr (DlsProject) p = NULL;
  g_autoptr (GError) error = NULL;

  p = dls_project_load (path, &error);
  g_assert_null (p);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_NOT_FOUND);
  assert_message_has (error, "gone.dlsia.json", "does not exist", NULL);
  g_clear_error (&error);

  p = dls_project_load (dir, &error);
  g_assert_null (p);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT);
  assert_message_has (error, "not a DLSIA Studio project", "folder", NULL);
  dls_test_tmpdir_remove (dir);
}

/* The app cannot write a project it could not open again. */
static void
test_project_save_invalid (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "p.dlsia.json", NULL);
  g_autoptr (DlsProject) p = dls_project_new ();
  g_autoptr (GError) error = NULL;

  p->training.ensemble = 0;
  g_assert_false (dls_project_save (p, path, &error));
  assert_message_has (error, "p.dlsia.json", "training.ensemble", NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_null (p->path);
  g_clear_error (&error);

  p->training.ensemble = 1;
  g_array_set_size (p->classes, 0);
  g_assert_false (dls_project_save (p, path, &error));
  assert_message_has (error, "no classes", NULL);
  g_clear_error (&error);

  for (guint i = 0; i < 256; i++)
    set_class (p, i, "c", 0xffffffff);
  g_assert_false (dls_project_save (p, path, &error));
  assert_message_has (error, "256 classes", "255", NULL);
  g_clear_error (&error);
  g_array_set_size (p->classes, 0);

  set_class (p, 0, "bad \xff name", 0xffffffff);
  g_assert_false (dls_project_save (p, path, &error));
  assert_message_has (error, "class name", "UTF-8", NULL);
  g_clear_error (&error);

  set_class (p, 0, "good name", 0xffffffff);
  g_ptr_array_add (p->models, g_strdup ("/tmp/models/\xe9t\xe9.json")); /* Latin-1 */
  g_assert_false (dls_project_save (p, path, &error));
  assert_message_has (error, "path of a model", "UTF-8", NULL);
  g_assert_cmpint (dir_count (dir), ==, 0);
  dls_test_tmpdir_remove (dir);
}

/* A folder that cannot be written: a clear error, and the project there stays byte for byte. */
static void
test_project_save_read_only (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (DlsProject) p = dls_project_new ();
  g_autoptr (GError) error = NULL;
  gsize len_before, len_after;

  if (geteuid () == 0)
    {
      g_test_skip ("root may write into read-only folders");
      return;
    }
  dir = dls_test_tmpdir_new ("dls-project");
  path = g_build_filename (dir, "p.dlsia.json", NULL);
  g_assert_true (dls_project_save (p, path, &error));
  g_assert_no_error (error);
  before = read_text (path, &len_before);

  g_assert_cmpint (g_chmod (dir, 0500), ==, 0);
  g_free (p->training.arch);
  p->training.arch = g_strdup ("tunet");
  g_assert_false (dls_project_save (p, path, &error));
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE);
  assert_message_has (error, path, g_strerror (EACCES), NULL);
  g_assert_cmpint (g_chmod (dir, 0700), ==, 0);

  after = read_text (path, &len_after);
  g_assert_cmpmem (before, len_before, after, len_after);
  g_assert_cmpint (dir_count (dir), ==, 1);
  dls_test_tmpdir_remove (dir);
}

/* The disk fills up while saving: an error naming the file, the previous project intact, no
 * temporary file left behind. */
static void
test_project_save_disk_full (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "p.dlsia.json", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (DlsProject) p = dls_project_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *long_name = g_strnfill (8000, 'x');
  gsize len_before, len_after;
  gboolean ok;

  g_assert_true (dls_project_save (p, path, &error));
  g_assert_no_error (error);
  before = read_text (path, &len_before);

  set_class (p, 2, long_name, 0x123456ff);
  disk_full_begin (4096);
  ok = dls_project_save (p, path, &error);
  disk_full_end ();
  g_assert_false (ok);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE);
  assert_message_has (error, path, g_strerror (EFBIG), NULL);

  after = read_text (path, &len_after);
  g_assert_cmpmem (before, len_before, after, len_after);
  g_assert_cmpint (dir_count (dir), ==, 1);
  dls_test_tmpdir_remove (dir);
}

/* ---- names beside the volume ---- */

static void
test_project_path_helpers (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *slices = g_build_filename (dir, "run 7 slices", NULL);
  g_autofree char *slices_slash = g_strconcat (slices, "/", NULL);
  g_autofree char *want_project = g_build_filename (dir, "run 7 slices.dlsia.json", NULL);
  g_autofree char *want_labels = g_build_filename (dir, "run 7 slices.labels.tif", NULL);
  struct
  {
    const char *volume, *project, *labels;
  } cases[] = {
    { "a/b.tif", "a/b.dlsia.json", "a/b.labels.tif" },
    { "a/b.TIFF", "a/b.dlsia.json", "a/b.labels.tif" },
    { "a/b.Tif", "a/b.dlsia.json", "a/b.labels.tif" },
    { "a/b.ome.tif", "a/b.dlsia.json", "a/b.labels.tif" },
    { "a/b.OME.TIFF", "a/b.dlsia.json", "a/b.labels.tif" },
    { "/x/y z/scan.2024.tif", "/x/y z/scan.2024.dlsia.json", "/x/y z/scan.2024.labels.tif" },
    { "b.tif", "b.dlsia.json", "b.labels.tif" },
    { "/b.tif", "/b.dlsia.json", "/b.labels.tif" },
    { "a/b.raw", "a/b.raw.dlsia.json", "a/b.raw.labels.tif" },
    { "a/.tif", "a/.tif.dlsia.json", "a/.tif.labels.tif" },
    { "a/c/", "a/c.dlsia.json", "a/c.labels.tif" }, /* a folder, by its trailing slash */
    { "a/c.tif/", "a/c.tif.dlsia.json", "a/c.tif.labels.tif" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *project = dls_project_path_for_volume (cases[i].volume);
      g_autofree char *labels = dls_labels_path_for_volume (cases[i].volume);
      g_assert_cmpstr (project, ==, cases[i].project);
      g_assert_cmpstr (labels, ==, cases[i].labels);
    }

  /* a folder of slices (named like a file or not): the names go beside it, not inside */
  make_dir (slices);
  for (int k = 0; k < 2; k++)
    {
      g_autofree char *project = dls_project_path_for_volume (k ? slices_slash : slices);
      g_autofree char *labels = dls_labels_path_for_volume (k ? slices_slash : slices);
      g_assert_cmpstr (project, ==, want_project);
      g_assert_cmpstr (labels, ==, want_labels);
    }
  {
    g_autofree char *folder_tif = g_build_filename (dir, "stack.tif", NULL);
    g_autofree char *want = g_build_filename (dir, "stack.tif.dlsia.json", NULL);
    g_autofree char *got = NULL;

    make_dir (folder_tif);
    got = dls_project_path_for_volume (folder_tif);
    g_assert_cmpstr (got, ==, want);
  }
  dls_test_tmpdir_remove (dir);
}

/* ---- label files ---- */

static guint8 *
pattern_labels (int Z, int Y, int X, int K)
{
  guint8 *l = g_new (guint8, (gsize) Z * Y * X);

  for (int z = 0; z < Z; z++)
    for (int y = 0; y < Y; y++)
      for (int x = 0; x < X; x++)
        l[((gsize) z * Y + y) * X + x] = (guint8) ((z * 7 + y * 3 + x) % (K + 1));
  return l;
}

static void
test_labels_round_trip (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "scan ü.labels.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsTiffReader) r = NULL;
  const int Z = 5, Y = 33, X = 47;
  g_autofree guint8 *labels = pattern_labels (Z, Y, X, 255);
  g_autofree guint8 *back = NULL;
  g_autofree guint8 *sparse = g_new0 (guint8, (gsize) Z * Y * X);

  g_assert_true (dls_labels_file_save (path, labels, Z, Y, X, &error));
  g_assert_no_error (error);
  back = dls_labels_file_load (path, Z, Y, X, 255, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back, (gsize) Z * Y * X, labels, (gsize) Z * Y * X);
  g_assert_cmpint (dir_count (dir), ==, 1); /* no temporary file left */

  /* a uint8 Deflate stack of Z pages, as Fiji and tifffile expect */
  r = dls_tiff_reader_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dls_tiff_reader_get_info (r)->type, ==, DLS_SAMPLE_U8);
  g_assert_cmpint (dls_tiff_reader_get_info (r)->depth, ==, Z);
  g_assert_cmpint (dls_tiff_reader_get_info (r)->channels, ==, 1);
  g_assert_cmpstr (dls_tiff_reader_get_info (r)->compression, ==, "Deflate");
  g_clear_pointer (&r, dls_tiff_reader_free);

  /* overwriting works, and sparse labels (what a user paints) come back too */
  sparse[3] = 2;
  sparse[(gsize) Z * Y * X - 1] = 1;
  g_assert_true (dls_labels_file_save (path, sparse, Z, Y, X, &error));
  g_assert_no_error (error);
  g_clear_pointer (&back, g_free);
  back = dls_labels_file_load (path, Z, Y, X, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back, (gsize) Z * Y * X, sparse, (gsize) Z * Y * X);
  g_assert_cmpint (dir_count (dir), ==, 1);
  dls_test_tmpdir_remove (dir);
}

static void
test_labels_wrong_size (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "v.labels.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *labels = g_new0 (guint8, 4 * 8 * 6);
  g_autofree guint8 *back = NULL;

  g_assert_true (dls_labels_file_save (path, labels, 4, 8, 6, &error));
  g_assert_no_error (error);
  back = dls_labels_file_load (path, 5, 8, 6, 3, &error);
  g_assert_null (back);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT);
  assert_message_has (error, "v.labels.tif", "is 4 × 8 × 6 (Z × Y × X)", "the volume is 5 × 8 × 6",
                      NULL);
  g_clear_error (&error);

  back = dls_labels_file_load (path, 4, 6, 8, 3, &error); /* Y and X swapped */
  g_assert_null (back);
  assert_message_has (error, "4 × 8 × 6", "4 × 6 × 8", NULL);
  dls_test_tmpdir_remove (dir);
}

static void
test_labels_above_max_class (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "v.labels.tif", NULL);
  g_autoptr (GError) error = NULL;
  const int Z = 3, Y = 4, X = 5;
  g_autofree guint8 *labels = g_new0 (guint8, Z * Y * X);
  g_autofree guint8 *back = NULL;

  labels[(2 * Y + 1) * X + 3] = 7; /* z = 2, y = 1, x = 3 */
  labels[0] = 3;
  g_assert_true (dls_labels_file_save (path, labels, Z, Y, X, &error));
  g_assert_no_error (error);

  back = dls_labels_file_load (path, Z, Y, X, 3, &error);
  g_assert_null (back);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT);
  assert_message_has (error, "v.labels.tif", "label 7", "z = 2", "to 3", NULL);
  assert_message_has (error, "y = 1, x = 3", NULL);
  g_clear_error (&error);

  back = dls_labels_file_load (path, Z, Y, X, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back, (gsize) Z * Y * X, labels, (gsize) Z * Y * X);
  dls_test_tmpdir_remove (dir);
}

/* Label files from elsewhere are often uint16: read while their values fit. */
static void
test_labels_uint16 (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "from-napari.tif", NULL);
  g_autoptr (GError) error = NULL;
  const int Z = 2, Y = 6, X = 9;
  g_autofree guint16 *wide = g_new (guint16, Z * Y * X);
  g_autofree guint8 *want = pattern_labels (Z, Y, X, 4);
  g_autofree guint8 *back = NULL;

  for (int i = 0; i < Z * Y * X; i++)
    wide[i] = want[i];
  g_assert_true (dls_tiff_write_u16 (path, wide, Z, Y, X, &error));
  g_assert_no_error (error);
  back = dls_labels_file_load (path, Z, Y, X, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back, (gsize) Z * Y * X, want, (gsize) Z * Y * X);
  g_clear_pointer (&back, g_free);

  /* 300 does not fit a uint8 label, whatever max_class says */
  wide[Y * X + 2] = 300;
  g_assert_true (dls_tiff_write_u16 (path, wide, Z, Y, X, &error));
  g_assert_no_error (error);
  back = dls_labels_file_load (path, Z, Y, X, 255, &error);
  g_assert_null (back);
  assert_message_has (error, "label 300", "z = 1", NULL);
  dls_test_tmpdir_remove (dir);
}

static void
test_labels_float_rejected (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "probabilities.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree float *values = g_new0 (float, 2 * 3 * 4);
  g_autofree guint8 *back = NULL;

  values[5] = 1.0f; /* whole numbers, but a float image is not a label file */
  g_assert_true (dls_tiff_write_f32 (path, values, 2, 3, 4, &error));
  g_assert_no_error (error);
  back = dls_labels_file_load (path, 2, 3, 4, 3, &error);
  g_assert_null (back);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT);
  assert_message_has (error, "probabilities.tif", "not a label file", "float32", NULL);
  dls_test_tmpdir_remove (dir);
}

/* An RGB image (three samples per pixel), made with libtiff. */
static void
test_labels_rgb_rejected (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "painted.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *back = NULL;
  guint8 row[4 * 3] = { 0 };
  TIFF *tif;

  TIFFSetErrorHandler (NULL);
  TIFFSetWarningHandler (NULL);
  tif = TIFFOpen (path, "w");
  g_assert_nonnull (tif);
  TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, 4);
  TIFFSetField (tif, TIFFTAG_IMAGELENGTH, 2);
  TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, 3);
  TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
  TIFFSetField (tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField (tif, TIFFTAG_ROWSPERSTRIP, 2);
  for (int y = 0; y < 2; y++)
    g_assert_cmpint (TIFFWriteScanline (tif, row, (uint32_t) y, 0), ==, 1);
  TIFFClose (tif);

  back = dls_labels_file_load (path, 1, 2, 4, 3, &error);
  g_assert_null (back);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT);
  assert_message_has (error, "painted.tif", "3 channels", NULL);
  dls_test_tmpdir_remove (dir);
}

static void
test_labels_not_there (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "none.labels.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *back = NULL;

  back = dls_labels_file_load (path, 1, 1, 1, 1, &error);
  g_assert_null (back);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_NOT_FOUND);
  assert_message_has (error, "none.labels.tif", NULL);
  dls_test_tmpdir_remove (dir);
}

/* Autosave into a folder that became read-only: the error names the file and the reason, the
 * previous labels stay byte for byte, and no temporary file is left. */
static void
test_labels_save_read_only (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree guint8 *labels = pattern_labels (3, 5, 7, 2);
  g_autoptr (GError) error = NULL;
  gsize len_before, len_after;

  if (geteuid () == 0)
    {
      g_test_skip ("root may write into read-only folders");
      return;
    }
  dir = dls_test_tmpdir_new ("dls-project");
  path = g_build_filename (dir, "v.labels.tif", NULL);
  g_assert_true (dls_labels_file_save (path, labels, 3, 5, 7, &error));
  g_assert_no_error (error);
  before = read_text (path, &len_before);

  g_assert_cmpint (g_chmod (dir, 0500), ==, 0);
  memset (labels, 1, 3 * 5 * 7);
  g_assert_false (dls_labels_file_save (path, labels, 3, 5, 7, &error));
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE);
  assert_message_has (error, path, g_strerror (EACCES), NULL);
  g_assert_cmpint (g_chmod (dir, 0700), ==, 0);

  after = read_text (path, &len_after);
  g_assert_cmpmem (before, len_before, after, len_after);
  g_assert_cmpint (dir_count (dir), ==, 1);

  /* a folder that is not there at all */
  g_clear_error (&error);
  {
    g_autofree char *nowhere = g_build_filename (dir, "gone", "v.labels.tif", NULL);
    g_assert_false (dls_labels_file_save (nowhere, labels, 3, 5, 7, &error));
    assert_message_has (error, nowhere, g_strerror (ENOENT), NULL);
  }
  dls_test_tmpdir_remove (dir);
}

static void
test_labels_save_disk_full (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dls-project");
  g_autofree char *path = g_build_filename (dir, "v.labels.tif", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  const int Z = 8, Y = 64, X = 64;
  g_autofree guint8 *labels = g_new0 (guint8, Z * Y * X);
  g_autoptr (GError) error = NULL;
  gsize len_before, len_after;
  gboolean ok;

  labels[5] = 1;
  g_assert_true (dls_labels_file_save (path, labels, Z, Y, X, &error));
  g_assert_no_error (error);
  before = read_text (path, &len_before);

  /* noise does not compress: the new file needs about Z × Y × X bytes */
  for (int i = 0; i < Z * Y * X; i++)
    labels[i] = (guint8) ((i * 2654435761u) >> 24);
  disk_full_begin (4096);
  ok = dls_labels_file_save (path, labels, Z, Y, X, &error);
  disk_full_end ();
  g_assert_false (ok);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE);
  assert_message_has (error, path, g_strerror (EFBIG), NULL);

  after = read_text (path, &len_after);
  g_assert_cmpmem (before, len_before, after, len_after);
  g_assert_cmpint (dir_count (dir), ==, 1);
  dls_test_tmpdir_remove (dir);
}

static void
test_labels_count (void)
{
  const guint8 labels[] = { 0, 1, 1, 2, 0, 0, 5, 255, 2, 2, 1, 0 };
  gint64 counts[4];
  gint64 wide[300];

  memset (counts, 0x55, sizeof counts);
  dls_labels_count (labels, G_N_ELEMENTS (labels), counts, 4);
  g_assert_cmpint (counts[0], ==, 4);
  g_assert_cmpint (counts[1], ==, 3);
  g_assert_cmpint (counts[2], ==, 3);
  g_assert_cmpint (counts[3], ==, 0); /* 5 and 255 are beyond n_counts: not counted */

  dls_labels_count (labels, G_N_ELEMENTS (labels), wide, 300);
  g_assert_cmpint (wide[5], ==, 1);
  g_assert_cmpint (wide[255], ==, 1);
  g_assert_cmpint (wide[256], ==, 0);
  g_assert_cmpint (wide[299], ==, 0);

  dls_labels_count (labels, 0, counts, 4);
  for (int i = 0; i < 4; i++)
    g_assert_cmpint (counts[i], ==, 0);

  /* a larger volume: every voxel counted once */
  {
    g_autofree guint8 *big = pattern_labels (7, 64, 65, 9);
    gint64 c10[10], sum = 0;
    gsize n = (gsize) 7 * 64 * 65;
    gint64 want3 = 0;

    for (gsize i = 0; i < n; i++)
      want3 += big[i] == 3;
    dls_labels_count (big, n, c10, 10);
    for (int i = 0; i < 10; i++)
      sum += c10[i];
    g_assert_cmpint (sum, ==, (gint64) n);
    g_assert_cmpint (c10[3], ==, want3);
  }

  /* sparse, as painted labels are: runs of zeros skipped eight at a time, from any alignment,
   * labels in a skipped word's neighbours and in the tail */
  {
    guint8 sparse[1024 + 11] = { 0 };
    const gsize at[] = { 0, 7, 8, 200, 201, 207, 640, 1029, 1034 };

    for (gsize k = 0; k < G_N_ELEMENTS (at); k++)
      sparse[at[k]] = (guint8) (1 + k % 3);
    for (gsize off = 0; off < 8; off++)
      {
        gsize n = sizeof sparse - off;
        gint64 want[4] = { 0 }, got[4];

        for (gsize i = 0; i < n; i++)
          want[sparse[off + i]]++;
        dls_labels_count (sparse + off, n, got, 4);
        for (int c = 0; c < 4; c++)
          g_assert_cmpint (got[c], ==, want[c]);
      }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/io/project/new", test_project_new);
  g_test_add_func ("/io/project/round-trip", test_project_round_trip);
  g_test_add_func ("/io/project/text", test_project_text);
  g_test_add_func ("/io/project/load/example", test_project_load_example);
  g_test_add_func ("/io/project/load/bom-crlf", test_project_load_bom_crlf);
  g_test_add_func ("/io/project/load/defaults-and-unknown-keys",
                   test_project_defaults_and_unknown_keys);
  for (guint i = 0; i < G_N_ELEMENTS (relative_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/io/project/relative/%s", relative_cases[i].name);
      g_test_add_data_func (name, &relative_cases[i], test_project_relative);
    }
  g_test_add_func ("/io/project/relative/other-root", test_project_relative_other_root);
  g_test_add_func ("/io/project/relative/project-path", test_project_relative_project_path);
  g_test_add_func ("/io/project/moved-folder", test_project_moved_folder);
  g_test_add_func ("/io/project/missing-volume", test_project_missing_volume);
  g_test_add_func ("/io/project/set-volume", test_project_set_volume);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/io/project/bad/%s", bad_cases[i].name);
      g_test_add_data_func (name, &bad_cases[i], test_project_bad);
    }
  g_test_add_func ("/io/project/bad/class-count", test_project_bad_class_count);
  g_test_add_func ("/io/project/bad/deep", test_project_bad_deep);
  g_test_add_func ("/io/project/bad/not-there", test_project_bad_not_there);
  g_test_add_func ("/io/project/save/invalid", test_project_save_invalid);
  g_test_add_func ("/io/project/save/read-only-folder", test_project_save_read_only);
  g_test_add_func ("/io/project/save/disk-full", test_project_save_disk_full);
  g_test_add_func ("/io/project/path-helpers", test_project_path_helpers);

  g_test_add_func ("/io/labels/round-trip", test_labels_round_trip);
  g_test_add_func ("/io/labels/wrong-size", test_labels_wrong_size);
  g_test_add_func ("/io/labels/above-max-class", test_labels_above_max_class);
  g_test_add_func ("/io/labels/uint16", test_labels_uint16);
  g_test_add_func ("/io/labels/float-rejected", test_labels_float_rejected);
  g_test_add_func ("/io/labels/rgb-rejected", test_labels_rgb_rejected);
  g_test_add_func ("/io/labels/not-there", test_labels_not_there);
  g_test_add_func ("/io/labels/save/read-only-folder", test_labels_save_read_only);
  g_test_add_func ("/io/labels/save/disk-full", test_labels_save_disk_full);
  g_test_add_func ("/io/labels/count", test_labels_count);

  return g_test_run ();
}
