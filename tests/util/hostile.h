/* SPDX-License-Identifier: MIT
 *
 * hostile.h: hostile places to write to, for the test programs — a small file system of its
 * own (a tmpfs, when the test may mount one), a read-only folder, and a child process whose
 * files may not grow past a few kilobytes (RLIMIT_FSIZE), which behaves like a full disk and
 * needs no privilege.  Each says why when the system does not allow it, for g_test_skip.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Mounts an empty tmpfs of size_kb on the existing empty folder dir (root only); FALSE and why
 * when it cannot. */
gboolean dls_test_mount_tmpfs (const char *dir, int size_kb, char **why);
/* Makes dir read-only for this process, files already in it included: a read-only remount
 * when dir is a tmpfs of dls_test_mount_tmpfs, chmod 0555 when not root; FALSE and why when
 * neither works (root writes into any folder chmod makes read-only). */
gboolean dls_test_make_read_only (const char *dir, gboolean mounted, char **why);
/* Unmounts what dls_test_mount_tmpfs mounted (lazily, so open files do not keep it). */
void dls_test_unmount (const char *dir);

/* Runs fn(data) in a forked child whose files cannot grow past limit bytes (writes past it fail
 * with EFBIG, SIGXFSZ ignored) and returns what fn returned (0..255), or -1 when the child did
 * not exit normally.  fn must not use the parent's threads or main loop. */
int dls_test_run_with_file_limit (gsize limit, int (*fn) (gpointer data), gpointer data);

/* The file's bytes; NULL when it is not there. */
GBytes *dls_test_file_bytes (const char *path);
/* Asserts path holds exactly `before` (NULL: that it is not there). */
void dls_test_assert_file_is (const char *path, GBytes *before);
/* Asserts dir holds no temporary files of a writer (".NAME.XXXXXX.part", "NAME.XXXXXX"). */
void dls_test_assert_no_temp_files (const char *dir);

G_END_DECLS
