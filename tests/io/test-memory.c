/* SPDX-License-Identifier: MIT
 *
 * test-memory.c: the memory budget (memory.h) and reading a volume larger than it.  The
 * machine's RAM figures, sizes as people write them, where the budget comes from (the set
 * value, then DLSIA_MEMORY_BUDGET, then a percentage of RAM), the refusal's message, and a
 * sparse BigTIFF of about 10 GB made at test time (a few hundred kB on disk): the reader opens
 * it and reads any slice with one slice's memory, and dls_tiff_read_volume refuses it under
 * the budget before allocating.
 */
#include "config.h"

#include "memory.h"
#include "sparse-tiff.h"
#include "tiff.h"
#include "tmpdir.h"

#include <string.h>

/* 1280 × 2048 × 2048 uint16: 10 GiB of pixels, 20 GiB as float32 */
#define BIG_Z 1280
#define BIG_Y 2048
#define BIG_X 2048

static void
test_ram (void)
{
  guint64 total = dls_memory_total (), avail = dls_memory_available ();

  g_assert_cmpuint (total, >, 64 << 20);
  g_assert_cmpuint (avail, >, 0);
  g_assert_cmpuint (avail, <=, total);
}

static void
test_parse (void)
{
  static const struct
  {
    const char *text;
    guint64 bytes;
  } good[] = {
    { "2G", G_GUINT64_CONSTANT (2) << 30 },
    { "512M", 512 << 20 },
    { "1.5GB", G_GUINT64_CONSTANT (3) << 29 },
    { "300MiB", 300 << 20 },
    { "64k", 64 << 10 },
    { "1048576", 1048576 },
    { " 1T ", G_GUINT64_CONSTANT (1) << 40 },
    { "100B", 100 },
  };
  const char *bad[] = { "", "abc", "0", "-1G", "2X", "2GBs", "150%", "1e30T", "nan",
                        "inf", "G", "0.5", "1e-12%" };
  guint64 b = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (dls_memory_parse_size (good[i].text, &b, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (b, ==, good[i].bytes);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (dls_memory_parse_size (bad[i], &b, &error));
      g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, "2G"));
    }
  g_assert_true (dls_memory_parse_size ("40%", &b, NULL));
  g_assert_cmpfloat_with_epsilon ((double) b, dls_memory_total () * 0.4, 1e6);
}

static void
test_budget_sources (void)
{
  guint64 total = dls_memory_total ();

  g_unsetenv ("DLSIA_MEMORY_BUDGET");
  dls_memory_set_budget (0);
  /* the default: half the RAM */
  g_assert_cmpfloat_with_epsilon ((double) dls_memory_budget (), total * 0.5, 1e6);
  dls_memory_set_budget_percent (20);
  g_assert_cmpfloat_with_epsilon ((double) dls_memory_budget (), total * 0.2, 1e6);
  /* the environment wins over the percentage */
  g_setenv ("DLSIA_MEMORY_BUDGET", "3G", TRUE);
  g_assert_cmpuint (dls_memory_budget (), ==, G_GUINT64_CONSTANT (3) << 30);
  /* an unreadable one is ignored */
  g_setenv ("DLSIA_MEMORY_BUDGET", "lots", TRUE);
  g_assert_cmpfloat_with_epsilon ((double) dls_memory_budget (), total * 0.2, 1e6);
  /* the set value wins over both */
  g_setenv ("DLSIA_MEMORY_BUDGET", "3G", TRUE);
  dls_memory_set_budget (123456789);
  g_assert_cmpuint (dls_memory_budget (), ==, 123456789);
  dls_memory_set_budget (0);
  g_assert_cmpuint (dls_memory_budget (), ==, G_GUINT64_CONSTANT (3) << 30);
  g_unsetenv ("DLSIA_MEMORY_BUDGET");
  dls_memory_set_budget_percent (DLS_MEMORY_DEFAULT_PERCENT);
}

/* g_format_size puts a no-break space between number and unit */
static char *
plain (const char *message)
{
  g_autoptr (GString) s = g_string_new (message);

  g_string_replace (s, "\u00a0", " ", 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_check (void)
{
  g_autofree char *m1 = NULL, *m2 = NULL;
  g_autoptr (GError) error = NULL;

  g_setenv ("DLSIA_MEMORY_BUDGET", "1G", TRUE);
  g_assert_true (dls_memory_check (1 << 30, "it", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (dls_memory_check ((G_GUINT64_CONSTANT (1) << 30) + 1, "“v.tif” as float32",
                                    "use `dlsia predict`, which streams slice by slice", &error));
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE);
  /* what, how much, the budget, where it comes from, what to do */
  m1 = plain (error->message);
  g_assert_cmpstr (m1, ==,
                   "“v.tif” as float32 needs 1.0 GiB of memory but the memory budget is 1.0 GiB, "
                   "from DLSIA_MEMORY_BUDGET: raise DLSIA_MEMORY_BUDGET, or use `dlsia "
                   "predict`, which streams slice by slice");
  g_clear_error (&error);
  dls_memory_set_budget (G_GUINT64_CONSTANT (2) << 30);
  g_assert_false (dls_memory_check (G_GUINT64_CONSTANT (3) << 30, "it", NULL, &error));
  m2 = plain (error->message);
  g_assert_cmpstr (m2, ==,
                   "it needs 3.0 GiB of memory but the memory budget is 2.0 GiB: raise it with "
                   "--memory-budget");
  g_clear_error (&error);
  dls_memory_set_budget (0);
  g_unsetenv ("DLSIA_MEMORY_BUDGET");
  dls_memory_set_budget_percent (30);
  g_assert_false (dls_memory_check (dls_memory_total () * 0.5, "it", NULL, &error));
  g_assert_nonnull (strstr (error->message, "(30 % of "));
  g_assert_nonnull (strstr (error->message, "Preferences › Memory Budget"));
  g_clear_error (&error);
  /* more than the machine has: raising the budget would not help, so it is not suggested */
  g_assert_false (dls_memory_check (dls_memory_total () * 2, "it", "do less", &error));
  g_assert_nonnull (strstr (error->message, "more than this computer has"));
  g_assert_null (strstr (error->message, "raise"));
  g_assert_true (g_str_has_suffix (error->message, ": do less"));
  dls_memory_set_budget_percent (DLS_MEMORY_DEFAULT_PERCENT);
}

static void
test_sparse_bigtiff (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("dlsia-memory");
  g_autofree char *path = g_build_filename (dir, "big.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DlsTiffReader) r = NULL;
  g_autofree float *slice = NULL, *vol = NULL;
  const DlsTiffInfo *info;
  guint64 nominal = dls_test_write_sparse_bigtiff (path, BIG_Z, BIG_Y, BIG_X);

  g_assert_cmpuint (nominal, ==, G_GUINT64_CONSTANT (10) << 30); /* 10 GiB */
  dls_test_sparse_bigtiff_poke (path, BIG_Z, BIG_Y, BIG_X, BIG_Z - 3, 1000, 2000, 4321);
  /* holes: the file takes almost nothing on disk */
  g_assert_cmpuint (dls_test_file_disk_usage (path), <, 1 << 20);

  r = dls_tiff_reader_open (path, &error);
  g_assert_no_error (error);
  info = dls_tiff_reader_get_info (r);
  g_assert_cmpint (info->depth, ==, BIG_Z);
  g_assert_cmpint (info->height, ==, BIG_Y);
  g_assert_cmpint (info->width, ==, BIG_X);
  g_assert_cmpint (info->type, ==, DLS_SAMPLE_U16);
  g_assert_true (info->big_tiff);
  slice = g_new (float, BIG_Y * BIG_X);
  g_assert_true (dls_tiff_reader_read_slice (r, BIG_Z - 3, slice, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (slice[1000 * BIG_X + 2000], ==, 4321);
  g_assert_cmpfloat (slice[1000 * BIG_X + 1999], ==, 0);
  g_assert_true (dls_tiff_reader_read_slice (r, 0, slice, &error));
  g_assert_cmpfloat (slice[1000 * BIG_X + 2000], ==, 0);

  /* whole: refused by the budget, before 21 GB of floats are asked for */
  g_setenv ("DLSIA_MEMORY_BUDGET", "1G", TRUE);
  vol = dls_tiff_read_volume (path, NULL, &error);
  g_assert_null (vol);
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE);
  {
    g_autofree char *m = plain (error->message);

    g_assert_true (g_str_has_prefix (m, "“big.tif” as float32 needs 20.0 GiB of memory"));
    g_assert_nonnull (strstr (m, "the memory budget is 1.0 GiB"));
  }
  g_unsetenv ("DLSIA_MEMORY_BUDGET");
  g_clear_pointer (&r, dls_tiff_reader_free);
  dls_test_tmpdir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/io/memory/ram", test_ram);
  g_test_add_func ("/io/memory/parse", test_parse);
  g_test_add_func ("/io/memory/budget-sources", test_budget_sources);
  g_test_add_func ("/io/memory/check", test_check);
  g_test_add_func ("/io/memory/sparse-bigtiff", test_sparse_bigtiff);
  return g_test_run ();
}
