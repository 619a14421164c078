/* SPDX-License-Identifier: MIT
 *
 * test-large-cli.c: the dlsia commands on a volume larger than the memory budget — a sparse
 * BigTIFF of 1280 × 2048 × 2048 uint16 (10 GiB of pixels, 20 GiB as float32; a few hundred kB
 * on disk) made at test time.  `dlsia predict` along Z streams it: its peak resident memory
 * (getrusage RUSAGE_CHILDREN) stays far below the volume's size, and the output is written
 * page by page.  Along Y, `dlsia train` and `dlsia embed` refuse it up front under the budget
 * (DLSIA_MEMORY_BUDGET or --memory-budget) with a message that says what needs how much and
 * what to do, and exit 1 without having read it — except that `dlsia train` with sparse labels
 * reads only the slices that hold labels, and trains when those fit.
 */
#include "config.h"

#include "sparse-tiff.h"
#include "run-dlsia.h"
#include "tiff.h"
#include "tmpdir.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>

#define BIG_Z 1280
#define BIG_Y 2048
#define BIG_X 2048

static char *tmpdir, *big, *model;

static char *
tmp (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

typedef DlsTestRun Run;

/* dlsia with the arguments; budget (may be NULL) becomes DLSIA_MEMORY_BUDGET. */
static Run
run (const char *budget, const char *first, ...)
{
  g_auto (GStrv) envp = g_get_environ ();
  va_list ap;
  Run r;

  envp = budget ? g_environ_setenv (envp, "DLSIA_MEMORY_BUDGET", budget, TRUE)
                : g_environ_unsetenv (envp, "DLSIA_MEMORY_BUDGET");
  va_start (ap, first);
  r = dls_test_run_dlsia_va (envp, NULL, first, ap);
  va_end (ap);
  return r;
}

#define run_clear dls_test_run_clear

/* stderr with g_format_size's no-break spaces made plain */
static char *
plain (const char *message)
{
  g_autoptr (GString) s = g_string_new (message);

  g_string_replace (s, "\u00a0", " ", 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_predict_streams (void)
{
  g_autofree char *out = tmp ("classes.tif");
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsTiffReader) r = NULL;
  g_autofree float *page = g_new (float, BIG_Y * BIG_X);
  struct rusage ru;
  /* a budget far below the volume: streaming does not need it */
  Run p = run ("256M", "predict", model, big, "--slices", "0:2", "--classes", out, NULL);
  const DlsTiffInfo *info;

  g_test_message ("%s", p.err);
  g_assert_cmpint (p.status, ==, 0);
  g_assert_nonnull (strstr (p.err, "2 slices of 2048 × 2048"));
  g_assert_cmpint (getrusage (RUSAGE_CHILDREN, &ru), ==, 0);
  g_test_message ("peak resident memory of the dlsia runs so far: %ld MiB", ru.ru_maxrss / 1024);
  /* a few slices of 16 MiB as float32 (input, two class planes, outputs), not 20 GiB */
  g_assert_cmpint (ru.ru_maxrss, <, 1024 * 1024);
  run_clear (&p);

  r = dls_tiff_reader_open (out, &error);
  g_assert_no_error (error);
  info = dls_tiff_reader_get_info (r);
  g_assert_cmpint (info->depth, ==, 2);
  g_assert_cmpint (info->height, ==, BIG_Y);
  g_assert_cmpint (info->width, ==, BIG_X);
  g_assert_cmpint (info->type, ==, DLS_SAMPLE_U8);
  g_assert_true (dls_tiff_reader_read_slice (r, 1, page, &error));
  /* a constant input gives one class everywhere */
  g_assert_cmpfloat (page[0], >=, 1);
  g_assert_cmpfloat (page[0], <=, 2);
  g_assert_cmpfloat (page[BIG_Y * BIG_X - 1], ==, page[0]);
}

static void
test_predict_axis_refuses (void)
{
  g_autofree char *out = tmp ("classes-y.tif");
  Run p = run ("4G", "predict", model, big, "--axis", "y", "--slices", "0:1", "--classes", out,
               NULL);
  g_autofree char *m = plain (p.err);

  g_test_message ("%s", m);
  g_assert_cmpint (p.status, ==, 1);
  g_assert_true (g_str_has_prefix (m, "dlsia predict: Predicting “big.tif” along y (the volume "
                                      "and the outputs as float32) needs 20.0 GiB of memory"));
  g_assert_nonnull (strstr (m, "the memory budget is 4.0 GiB"));
  g_assert_nonnull (strstr (m, "predict along z (the default), which streams slice by slice"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  run_clear (&p);
  g_clear_pointer (&m, g_free);

  /* all three axes: the volume and one sum per class (two), all float32: 3 × 20 GiB */
  p = run ("4G", "predict", model, big, "--axis", "all", "--classes", out, NULL);
  m = plain (p.err);
  g_test_message ("%s", m);
  g_assert_cmpint (p.status, ==, 1);
  g_assert_true (g_str_has_prefix (m, "dlsia predict: Predicting “big.tif” along all three axes "
                                      "(the volume and the sums as float32) needs 60.0 GiB"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  run_clear (&p);
}

static void
test_train_refuses (void)
{
  g_autofree char *m = tmp ("never.safetensors");
  /* with --xz the whole volume is needed; the labels are never opened */
  Run t = run ("4G", "train", big, "/nonexistent/labels.tif", "--xz", "--epochs", "1", "-o", m,
               NULL);
  g_autofree char *e = plain (t.err);

  g_test_message ("%s", e);
  g_assert_cmpint (t.status, ==, 1);
  g_assert_true (g_str_has_prefix (
      e, "dlsia train: “big.tif” (1280 × 2048 × 2048 voxels) as float32, normalised, with its "
         "labels, needs 65.0 GiB of memory"));
  g_assert_nonnull (strstr (e, "the memory budget is 4.0 GiB"));
  g_assert_true (g_str_has_suffix (e, "leave out --xz and --yz to train on the labelled slices "
                                      "only, or train on a crop of the volume\n"));
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
  run_clear (&t);

  /* the option wins over the environment */
  t = run ("1T", "train", big, "/nonexistent/labels.tif", "--yz", "--memory-budget", "16G", "-o",
           m, NULL);
  g_clear_pointer (&e, g_free);
  e = plain (t.err);
  g_assert_cmpint (t.status, ==, 1);
  g_assert_nonnull (strstr (e, "needs 65.0 GiB of memory"));
  g_assert_nonnull (strstr (e, "16.0 GiB"));
  run_clear (&t);

  /* regression and autoencoders hold the volume too */
  t = run ("4G", "train", big, "--autoencoder", "-o", m, NULL);
  g_clear_pointer (&e, g_free);
  e = plain (t.err);
  g_assert_cmpint (t.status, ==, 1);
  g_assert_true (g_str_has_prefix (e, "dlsia train: “big.tif” (1280 × 2048 × 2048 voxels) as "
                                      "float32 needs 20.0 GiB of memory"));
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
  run_clear (&t);

  t = run (NULL, "train", big, "/nonexistent/labels.tif", "--memory-budget", "lots", "-o", m,
           NULL);
  g_assert_cmpint (t.status, ==, 2);
  g_assert_nonnull (strstr (t.err, "dlsia train: --memory-budget: “lots” is not a memory size"));
  run_clear (&t);
  t = run ("lots", "train", big, "/nonexistent/labels.tif", "-o", m, NULL);
  g_assert_cmpint (t.status, ==, 2);
  g_assert_nonnull (strstr (t.err, "dlsia train: DLSIA_MEMORY_BUDGET: “lots” is not"));
  run_clear (&t);
}

/* Over the budget, training reads only the slices that hold labels: 2 of 64 slices of
 * 1024 × 1024 (832 MiB to hold whole, 18 MiB for the two) train under a budget of 64 MiB. */
static void
test_train_labelled_slices (void)
{
  g_autofree char *vol = tmp ("tall.tif"), *lab = tmp ("tall-labels.tif");
  g_autofree char *m = tmp ("tall.safetensors");
  const int Z = 64, Y = 1024, X = 1024, labelled[] = { 10, 40 };
  struct rusage ru;
  Run t;

  dls_test_write_sparse_bigtiff (vol, Z, Y, X);
  dls_test_write_sparse_bigtiff (lab, Z, Y, X);
  /* two classes side by side on two slices, with values to tell them apart */
  for (gsize i = 0; i < G_N_ELEMENTS (labelled); i++)
    for (int y = 100; y < 116; y++)
      for (int x = 100; x < 164; x++)
        {
          int k = x < 132 ? 1 : 2;

          dls_test_sparse_bigtiff_poke (vol, Z, Y, X, labelled[i], y, x, k * 1000);
          dls_test_sparse_bigtiff_poke (lab, Z, Y, X, labelled[i], y, x, k);
        }
  t = run (NULL, "train", vol, lab, "--arch", "msdnet", "--layers", "3", "--epochs", "1",
           "--patch", "32", "--memory-budget", "64M", "-o", m, NULL);
  g_test_message ("%s", t.err);
  g_assert_cmpint (t.status, ==, 0);
  g_assert_nonnull (strstr (t.err, "the whole volume is over the memory budget; reading only "
                                   "the slices that hold labels"));
  g_assert_nonnull (strstr (t.err, "2 of 64 slices hold labels"));
  g_assert_true (g_file_test (m, G_FILE_TEST_EXISTS));
  g_assert_cmpint (getrusage (RUSAGE_CHILDREN, &ru), ==, 0);
  g_assert_cmpint (ru.ru_maxrss, <, 1024 * 1024);
  run_clear (&t);

  /* XZ and YZ patches need the whole volume */
  g_assert_cmpint (g_unlink (m), ==, 0);
  t = run (NULL, "train", vol, lab, "--xz", "--memory-budget", "64M", "-o", m, NULL);
  g_assert_cmpint (t.status, ==, 1);
  g_assert_nonnull (strstr (t.err, "leave out --xz and --yz to train on the labelled slices"));
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
  run_clear (&t);

  /* the labelled slices alone over the budget: refused, counting all of them */
  t = run (NULL, "train", vol, lab, "--memory-budget", "16M", "-o", m, NULL);
  g_assert_cmpint (t.status, ==, 1);
  g_assert_nonnull (strstr (t.err, "the 2 labelled slices of “tall.tif” as float32, normalised, "
                                   "with their labels, needs 18.0"));
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
  run_clear (&t);
}

static void
test_embed_refuses (void)
{
  g_autofree char *out = tmp ("never.tsv");
  Run t = run (NULL, "embed", big, "--memory-budget", "2G", "-o", out, NULL);
  g_autofree char *e = plain (t.err);

  g_test_message ("%s", e);
  g_assert_cmpint (t.status, ==, 1);
  g_assert_true (g_str_has_prefix (e, "dlsia embed: “big.tif” (1280 × 2048 × 2048 voxels) as "
                                      "float32 needs 20.0 GiB of memory"));
  g_assert_nonnull (strstr (e, "embed a crop of the volume"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  run_clear (&t);
}

int
main (int argc, char **argv)
{
  int rc;
  Run r;

  g_test_init (&argc, &argv, NULL);
  tmpdir = dls_test_tmpdir_new ("dlsia-large-cli");
  big = tmp ("big.tif");
  model = tmp ("m.safetensors");
  dls_test_write_sparse_bigtiff (big, BIG_Z, BIG_Y, BIG_X);
  r = run (NULL, "init", "--arch", "msdnet", "--in-channels", "1", "--out-channels", "2",
           "--num-layers", "4", "--seed", "1", "-o", model, NULL);
  g_assert_cmpint (r.status, ==, 0);
  run_clear (&r);
  g_test_add_func ("/cli/large/predict-streams", test_predict_streams);
  g_test_add_func ("/cli/large/predict-axis-refuses", test_predict_axis_refuses);
  g_test_add_func ("/cli/large/train-refuses", test_train_refuses);
  g_test_add_func ("/cli/large/train-labelled-slices", test_train_labelled_slices);
  g_test_add_func ("/cli/large/embed-refuses", test_embed_refuses);
  rc = g_test_run ();
  dls_test_tmpdir_remove (tmpdir);
  g_free (big);
  g_free (model);
  g_free (tmpdir);
  return rc;
}
