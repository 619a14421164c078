/* SPDX-License-Identifier: MIT
 *
 * run-dlsia.c: see run-dlsia.h.
 */
#include "run-dlsia.h"

#include <sys/wait.h>

DlsTestRun
dls_test_run_dlsia_va (char *const *envp, const char *first_arg, const char *first, va_list ap)
{
  DlsTestRun r = { 0 };
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  const char *binary = g_getenv ("DLSIA");
  int wait_status;

  g_assert_nonnull (binary);
  g_ptr_array_add (argv, (char *) binary);
  if (first_arg != NULL)
    g_ptr_array_add (argv, (char *) first_arg);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, (char **) envp, G_SPAWN_DEFAULT, NULL,
                               NULL, &r.out, &r.err, &wait_status, &error));
  g_assert_no_error (error);
  r.status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return r;
}

void
dls_test_run_clear (DlsTestRun *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}
