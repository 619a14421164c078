/* SPDX-License-Identifier: MIT
 *
 * test-embed-cli.c: `dlsia embed` as a user meets it — a small stack of DLSIA's shapes, one
 * sample per page: the TSV's header and row count, the same bytes for the same seed, the saved
 * model giving the same table again, k-means and PCA, components of a class map with their
 * label column; and every kind of bad input ending in one clear line and a non-zero status.
 * The binary's path comes from the DLSIA environment variable (set by meson).
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "synth.h"
#include "run-dlsia.h"
#include "tiff.h"

static char *tmpdir;

static char *
tmp (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

typedef DlsTestRun Run;

static Run
run (const char *first, ...)
{
  va_list ap;
  Run r;

  va_start (ap, first);
  r = dls_test_run_dlsia_va (NULL, "embed", first, ap);
  va_end (ap);
  return r;
}

#define run_clear dls_test_run_clear

static void
assert_ok (Run *r)
{
  if (r->status != 0)
    g_error ("status %d, stderr “%s”", r->status, r->err);
}

/* One line on stderr, naming what went wrong, and a failure status. */
static void
assert_fails (Run r, const char *fragment)
{
  if (r.status == 0 || strstr (r.err, fragment) == NULL)
    g_error ("status %d, stderr “%s”: expected failure mentioning “%s”", r.status, r.err, fragment);
  if (strchr (r.err, '\n') - r.err + 1 != (long) strlen (r.err))
    g_error ("more than one line on stderr: “%s”", r.err);
  run_clear (&r);
}

static char *
slurp (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  return text;
}

static char *
shapes_stack (const char *name, int count, int size)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *img = g_new (float, (gsize) count *size *size);
  g_autofree uint8_t *maps = g_new (uint8_t, (gsize) count * size * size);
  g_autofree uint8_t *cls = g_new (uint8_t, count);
  char *path = tmp (name);

  g_assert_true (dls_synth_shapes (&(DlsSynthShapesArgs){ count, size, 0.15, 7 }, img, NULL, maps,
                                   cls, &error));
  g_assert_true (dls_tiff_write_f32 (path, img, count, size, size, &error));
  g_assert_no_error (error);
  {
    /* the class maps beside it: NAME.classes.tif */
    g_autofree char *cpath = g_strconcat (path, ".classes.tif", NULL);

    g_assert_true (dls_tiff_write_u8 (cpath, maps, count, size, size, &error));
    g_assert_no_error (error);
  }
  return path;
}

static void
test_embed_pages (void)
{
  g_autofree char *stack = shapes_stack ("shapes.tif", 48, 32);
  g_autofree char *a = tmp ("a.tsv"), *b = tmp ("b.tsv"), *c = tmp ("c.tsv"), *d = tmp ("d.tsv");
  g_autofree char *model = tmp ("ae.safetensors");
  g_autofree char *ta = NULL, *tb = NULL, *tc = NULL, *td = NULL;
  g_auto (GStrv) lines = NULL, head = NULL;
  Run r;

  r = run (stack, "--sampling", "pages", "--epochs", "2", "--seed", "3", "--threads", "1",
           "--neighbors", "5", "--save-model", model, "-o", a, NULL);
  assert_ok (&r);
  g_assert_nonnull (strstr (r.err, "48 samples of 32 × 32 (pages)"));
  g_assert_nonnull (strstr (r.err, "epoch 2/2"));
  /* not a terminal: plain progress lines */
  g_assert_nonnull (strstr (r.err, "\nencode 100%\n"));
  g_assert_nonnull (strstr (r.err, "\nmap (umap) 100%\n"));
  g_assert_null (strstr (r.err, "\r"));
  run_clear (&r);
  ta = slurp (a);
  lines = g_strsplit (ta, "\n", -1);
  g_assert_cmpint (g_strv_length (lines), ==, 48 + 2); /* header, 48 rows, "" after the last \n */
  g_assert_cmpstr (lines[49], ==, "");
  head = g_strsplit (lines[0], "\t", -1);
  g_assert_cmpint (g_strv_length (head), ==, 4 + 16 + 3);
  g_assert_cmpstr (head[0], ==, "id");
  g_assert_cmpstr (head[3], ==, "x");
  g_assert_cmpstr (head[4], ==, "latent_0");
  g_assert_cmpstr (head[19], ==, "latent_15");
  g_assert_cmpstr (head[20], ==, "map_x");
  g_assert_cmpstr (head[22], ==, "cluster");
  g_assert_true (g_str_has_prefix (lines[48], "47\t47\t16\t16\t"));
  for (int i = 1; i <= 48; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], "\t", -1);

      g_assert_cmpint (g_strv_length (f), ==, 23);
      g_assert_cmpint (atoi (f[22]), >=, -1);
    }
  /* the same seed: the same bytes */
  r = run (stack, "--sampling", "pages", "--epochs", "2", "--seed", "3", "--threads", "1",
           "--neighbors", "5", "-o", b, NULL);
  assert_ok (&r);
  run_clear (&r);
  tb = slurp (b);
  g_assert_cmpstr (ta, ==, tb);
  /* the saved model gives the same table */
  r = run (stack, "--model", model, "--sampling", "pages", "--seed", "3", "--threads", "1",
           "--neighbors", "5", "-o", c, NULL);
  assert_ok (&r);
  run_clear (&r);
  tc = slurp (c);
  g_assert_cmpstr (ta, ==, tc);
  /* aligned samples: as many rows, other latent vectors */
  {
    g_autofree char *f = tmp ("aligned.tsv"), *tf = NULL;
    g_auto (GStrv) fl = NULL;

    r = run (stack, "--model", model, "--align", "--sampling", "pages", "--seed", "3",
             "--threads", "1", "--neighbors", "5", "-o", f, NULL);
    assert_ok (&r);
    g_assert_nonnull (strstr (r.err, "48 samples of 32 × 32 (pages, aligned)"));
    run_clear (&r);
    tf = slurp (f);
    fl = g_strsplit (tf, "\n", -1);
    g_assert_cmpint (g_strv_length (fl), ==, 48 + 2);
    g_assert_cmpstr (fl[0], ==, lines[0]);
    g_assert_true (g_str_has_prefix (fl[1], "0\t0\t16\t16\t"));
    g_assert_cmpstr (fl[1], !=, lines[1]);
  }
  /* PCA and k-means: clusters 0..2, no noise; grid sampling of 32² pages is one patch a page */
  r = run (stack, "--model", model, "--map", "pca", "--clusters", "kmeans:3", "-o", d, NULL);
  assert_ok (&r);
  g_assert_nonnull (strstr (r.err, "(grid)"));
  g_assert_nonnull (strstr (r.err, "3 clusters"));
  run_clear (&r);
  td = slurp (d);
  /* the class maps give a label column: each page's class */
  {
    g_autofree char *classes = g_strconcat (stack, ".classes.tif", NULL);
    g_autofree char *e = tmp ("labelled.tsv"), *te = NULL;
    g_auto (GStrv) el = NULL;

    r = run (stack, "--model", model, "--sampling", "pages", "--labels", classes, "--map", "pca",
             "-o", e, NULL);
    assert_ok (&r);
    run_clear (&r);
    te = slurp (e);
    el = g_strsplit (te, "\n", -1);
    g_assert_cmpint (g_strv_length (el), ==, 50);
    g_assert_true (g_str_has_suffix (el[0], "\tcluster\tlabel"));
    for (int i = 1; i <= 48; i++)
      {
        int cls = atoi (strrchr (el[i], '\t') + 1);

        g_assert_cmpint (cls, >=, 1);
        g_assert_cmpint (cls, <=, 4);
      }
  }
  g_strfreev (lines);
  lines = g_strsplit (td, "\n", -1);
  g_assert_cmpint (g_strv_length (lines), ==, 50);
  for (int i = 1; i <= 48; i++)
    {
      const char *last = strrchr (lines[i], '\t') + 1;

      g_assert_true (g_str_equal (last, "0") || g_str_equal (last, "1") || g_str_equal (last, "2"));
    }
}

/* A 2 × 64 × 64 volume with 6 blobs of two classes: components with their labels. */
static void
test_embed_components (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree float *v = g_new (float, 2 * 64 * 64);
  g_autofree uint8_t *lab = g_new0 (uint8_t, 2 * 64 * 64);
  g_autofree char *vol = tmp ("vol.tif"), *labels = tmp ("vol.labels.tif"), *out = tmp ("v.tsv");
  g_autofree char *small = tmp ("small.labels.tif"), *text = NULL;
  g_auto (GStrv) lines = NULL;
  Run r;

  for (int i = 0; i < 2 * 64 * 64; i++)
    v[i] = (float) ((i * 7919) % 1000);
  for (int b = 0; b < 6; b++)
    for (int y = 0; y < 5; y++)
      for (int x = 0; x < 5; x++)
        lab[(b % 2) * 4096 + (10 + 20 * (b / 2) + y) * 64 + 8 + 10 * b + x] = (uint8_t) (1 + b % 2);
  g_assert_true (dls_tiff_write_f32 (vol, v, 2, 64, 64, &error));
  g_assert_true (dls_tiff_write_u8 (labels, lab, 2, 64, 64, &error));
  g_assert_true (dls_tiff_write_u8 (small, lab, 1, 64, 64, &error));
  g_assert_no_error (error);
  r = run (vol, "--sampling", "components", "--labels", labels, "--patch", "16", "--epochs", "1",
           "--latent", "4", "--map", "pca", "--clusters", "kmeans:2", "-o", out, NULL);
  assert_ok (&r);
  run_clear (&r);
  text = slurp (out);
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpint (g_strv_length (lines), ==, 6 + 2);
  g_assert_true (g_str_has_suffix (lines[0], "\tmap_x\tmap_y\tcluster\tlabel"));
  /* the first blob: slice 0, rows 10–14, columns 8–12 */
  g_assert_true (g_str_has_prefix (lines[1], "0\t0\t12\t10\t"));
  g_assert_true (g_str_has_suffix (lines[1], "\t1"));
  /* labels of another size */
  assert_fails (run (vol, "--sampling", "labels", "--labels", small, "-o", out, NULL), "64");
}

static void
test_embed_errors (void)
{
  g_autofree char *stack = shapes_stack ("few.tif", 3, 16);
  g_autofree char *stack16 = shapes_stack ("s16.tif", 8, 16);
  g_autofree char *model = tmp ("ae.safetensors"), *out = tmp ("e.tsv");
  g_autofree char *missing = tmp ("no-such.tif");

  Run r = run ("--help", NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "--sampling"));
  g_assert_nonnull (strstr (r.out, "kmeans:K"));
  run_clear (&r);
  assert_fails (run (missing, "-o", out, NULL), "no-such.tif");
  assert_fails (run (stack, NULL), "-o OUT.tsv");
  assert_fails (run (stack16, "--sampling", "random", "-o", out, NULL), "random");
  assert_fails (run (stack16, "--sampling", "labels", "-o", out, NULL), "--labels");
  assert_fails (run (stack16, "--map", "tsne", "-o", out, NULL), "tsne");
  assert_fails (run (stack16, "--clusters", "dbscan", "-o", out, NULL), "dbscan");
  assert_fails (run (stack16, "--clusters", "kmeans:0", "-o", out, NULL), "kmeans");
  assert_fails (run (stack16, "--clusters", "kmeans:x", "-o", out, NULL), "kmeans");
  assert_fails (run (stack16, "--arch", "tunet", "-o", out, NULL), "tunet");
  assert_fails (run (stack16, "--cluster-on", "pixels", "-o", out, NULL), "pixels");
  assert_fails (run (stack16, "--time", "0", "-o", out, NULL), "--time");
  assert_fails (run (stack16, "--bogus", "-o", out, NULL), "bogus");
  assert_fails (run (stack, "--sampling", "pages", "-o", out, NULL), "3 samples");
  /* a model made for 32 × 32 (test_embed_pages saved it) on 16 × 16 pages */
  if (g_file_test (model, G_FILE_TEST_EXISTS))
    assert_fails (run (stack16, "--model", model, "--sampling", "pages", "-o", out, NULL),
                  "32 × 32");
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("dlsia-embed-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);
  g_test_add_func ("/cli/embed/pages", test_embed_pages);
  g_test_add_func ("/cli/embed/components", test_embed_components);
  g_test_add_func ("/cli/embed/errors", test_embed_errors);
  rc = g_test_run ();
  {
    g_autoptr (GDir) d = g_dir_open (tmpdir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name (d)))
      {
        g_autofree char *p = tmp (name);

        g_unlink (p);
      }
    g_rmdir (tmpdir);
  }
  return rc;
}
