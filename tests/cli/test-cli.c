/* SPDX-License-Identifier: MIT
 *
 * test-cli.c: the dlsia command line as a user meets it: --version and --help, a clear message
 * and exit status 2 for an unknown command or a bad option, and a tiny benchmark run.  The
 * binary's path comes from the DLSIA environment variable (set by meson).
 */
#include "config.h"

#include <glib.h>
#include <string.h>
#include <sys/wait.h>

typedef struct
{
  int status;
  char *out, *err;
} Run;

static Run
run (const char *first, ...)
{
  Run r = { 0 };
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  const char *binary = g_getenv ("DLSIA");
  va_list ap;
  int wait_status;

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (char *) binary);
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r.out, &r.err, &wait_status, &error));
  g_assert_no_error (error);
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
test_version (void)
{
  Run r = run ("--version", NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "dlsia " PACKAGE_VERSION));
  g_assert_nonnull (strstr (r.out, "threads"));
  run_clear (&r);
  r = run ("version", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_prefix (r.out, "dlsia " PACKAGE_VERSION));
  run_clear (&r);
}

static void
test_help (void)
{
  Run r = run ("--help", NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "Usage: dlsia COMMAND"));
  g_assert_nonnull (strstr (r.out, "bench"));
  run_clear (&r);
  /* no command: the help, and a usage error */
  r = run (NULL, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.out, "Usage"));
  run_clear (&r);
  r = run ("bench", "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "--repeats"));
  run_clear (&r);
}

static void
test_bad_input (void)
{
  Run r = run ("frobnicate", NULL);

  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "unknown command “frobnicate”"));
  run_clear (&r);
  r = run ("bench", "--size", "4", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--size"));
  run_clear (&r);
  r = run ("bench", "--no-such-option", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "no-such-option"));
  run_clear (&r);
}

/* A tiny benchmark: it runs, prints the sgemm reference and the layers, and says it was quick. */
static void
test_bench_runs (void)
{
  Run r = run ("bench", "--quick", "--size", "32", "--repeats", "1", "--threads", "1", NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "sgemm"));
  g_assert_nonnull (strstr (r.out, "unet 16→16"));
  g_assert_nonnull (strstr (r.out, "msd 11→1 d2"));
  g_assert_nonnull (strstr (r.out, "quick run"));
  run_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/version", test_version);
  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/bad-input", test_bad_input);
  g_test_add_func ("/cli/bench", test_bench_runs);
  return g_test_run ();
}
