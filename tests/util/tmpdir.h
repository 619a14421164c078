/* SPDX-License-Identifier: MIT
 *
 * tmpdir.h: temporary folders for the test programs — made fresh for a test, removed with
 * everything in them (read-only ones included) when it ends.  Failures are test failures.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A new empty folder under the system's temporary folder, named after prefix. */
char *dls_test_tmpdir_new    (const char *prefix);
/* Removes dir and everything below it (folders made read-only by a test too; symbolic links
 * are removed, never followed). */
void  dls_test_tmpdir_remove (const char *dir);

G_END_DECLS
