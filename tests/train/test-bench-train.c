/* SPDX-License-Identifier: MIT
 *
 * test-bench-train.c: the training-step benchmark on tiny images — the library gives a time, a
 * peak and a finite loss for every workload, and `dlsia bench --workload` prints one JSON line
 * with the documented keys, or a message naming the bad option and exit status 2.  It checks
 * that the benchmark works, never how fast it is (tests/bench/bench-train does that).
 *
 *   test-bench-train PATH-TO-DLSIA
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "bench-train.h"

static const char *dlsia_path;

static void
test_library (void)
{
  for (int w = 0; w < DLS_BENCH_WORKLOAD_COUNT; w++)
    {
      g_autoptr (GError) error = NULL;
      DlsBenchTrainArgs a
          = { .workload = w, .size = 16, .steps = 1, .layers = w == DLS_BENCH_TUNET ? 0 : 3 };
      DlsBenchTrainResult r;

      g_assert_true (dls_bench_train (&a, &r, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (r.ms_per_step, >, 0);
      g_assert_cmpfloat (r.peak_rss_mb, >, 0);
      g_assert_cmpfloat (r.arena_mb, >, 0);
      g_assert_cmpint (r.n_params, >, 0);
      g_assert_cmpint (r.threads, ==, dls_engine_get_threads ());
      g_assert_true (isfinite (r.loss));
    }
}

static void
test_library_errors (void)
{
  g_autoptr (GError) error = NULL;
  DlsBenchTrainResult r;
  DlsBenchWorkload w;

  g_assert_false (dls_bench_train (
      &(DlsBenchTrainArgs){ .workload = DLS_BENCH_TUNET, .size = 16, .layers = 5 }, &r, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (dls_bench_train (&(DlsBenchTrainArgs){ .workload = DLS_BENCH_MSDNET, .size = 4 },
                                   &r, &error));
  g_assert_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (dls_bench_workload_from_name ("SMSNet", &w));
  g_assert_cmpint (w, ==, DLS_BENCH_SMSNET);
  g_assert_false (dls_bench_workload_from_name ("unet", &w));
  g_assert_cmpstr (dls_bench_workload_name (DLS_BENCH_TUNET), ==, "tunet");
}

typedef struct
{
  int status;
  char *out, *err;
} Run;

static Run
run (const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  Run r = { 0 };
  int wait_status = 0;

  g_ptr_array_add (argv, (char *) dlsia_path);
  g_ptr_array_add (argv, "bench");
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, 0, NULL, NULL, &r.out, &r.err,
                               &wait_status, NULL));
  r.status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return r;
}

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

static void
test_cli_json (void)
{
  const char *args[] = { "--workload", "msdnet", "--layers",  "2", "--size", "16", "--steps", "1",
                         "--batch",    "2",      "--threads", "1", NULL };
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  Run r = run (args);
  JsonObject *o;

  g_assert_cmpint (r.status, ==, 0);
  /* one line */
  g_assert_nonnull (strchr (r.out, '\n'));
  g_assert_cmpstr (strchr (r.out, '\n') + 1, ==, "");
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "workload"), ==, "msdnet");
  g_assert_cmpint (json_object_get_int_member (o, "size"), ==, 16);
  g_assert_cmpint (json_object_get_int_member (o, "batch"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "threads"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (o, "steps"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (o, "ms_per_step"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "peak_rss_mb"), >, 0);
  run_clear (&r);
}

static void
expect_error (const char *const *args, const char *needle)
{
  Run r = run (args);

  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpstr (r.out, ==, "");
  if (strstr (r.err, needle) == NULL)
    g_error ("expected “%s” in: %s", needle, r.err);
  run_clear (&r);
}

static void
test_cli_errors (void)
{
  expect_error ((const char *[]){ "--workload", "resnet", NULL }, "--workload");
  expect_error ((const char *[]){ "--workload", "msdnet", "--size", "4", NULL }, "--size");
  expect_error ((const char *[]){ "--workload", "msdnet", "--steps", "0", NULL }, "--steps");
  expect_error ((const char *[]){ "--workload", "msdnet", "--batch", "0", NULL }, "--batch");
  expect_error ((const char *[]){ "--workload", "tunet", "--layers", "3", NULL }, "--layers");
  expect_error ((const char *[]){ "--workload", "msdnet", "--layers", "0", NULL }, "--layers");
  expect_error ((const char *[]){ "--workload", "msdnet", "--quick", NULL }, "--quick");
  expect_error ((const char *[]){ "--steps", "3", NULL }, "--workload");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    {
      g_printerr ("usage: test-bench-train PATH-TO-DLSIA\n");
      return 1;
    }
  dlsia_path = argv[1];
  g_test_add_func ("/train/bench/library", test_library);
  g_test_add_func ("/train/bench/library-errors", test_library_errors);
  g_test_add_func ("/train/bench/cli-json", test_cli_json);
  g_test_add_func ("/train/bench/cli-errors", test_cli_errors);
  return g_test_run ();
}
