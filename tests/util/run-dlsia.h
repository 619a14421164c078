/* SPDX-License-Identifier: MIT
 *
 * run-dlsia.h: running the dlsia binary (the path meson passes in $DLSIA) from a test, with its
 * exit status and what it printed.
 */
#pragma once

#include <glib.h>
#include <stdarg.h>

typedef struct
{
  int status;     /* the exit status; −1 when a signal ended it */
  char *out, *err;
} DlsTestRun;

/* dlsia [first_arg] ARGS… (up to NULL) in envp (NULL: this process's environment); first_arg,
 * when not NULL, comes before the list (a subcommand a whole test program uses).  Fails the
 * test when the binary cannot be started. */
DlsTestRun dls_test_run_dlsia_va (char *const *envp, const char *first_arg, const char *first,
                                  va_list ap);
void       dls_test_run_clear    (DlsTestRun *r);
