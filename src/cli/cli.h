/* SPDX-License-Identifier: MIT
 *
 * cli.h: what the `dlsia` commands share — one function per command, and small parsers that
 * turn option strings into numbers with a message naming the option when they are wrong.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int cmd_bench   (int argc, char **argv);
int cmd_info    (int argc, char **argv);
int cmd_init    (int argc, char **argv);
int cmd_predict (int argc, char **argv);
int cmd_train   (int argc, char **argv);
int cmd_evaluate (int argc, char **argv);
int cmd_embed   (int argc, char **argv);
int cmd_synth   (int argc, char **argv);

/* Each prints "dlsia CMD: --OPTION: reason" and returns FALSE on a bad value. */
gboolean cli_parse_int    (const char *cmd, const char *opt, const char *s, int lo, int hi,
                           int *out);
gboolean cli_parse_double (const char *cmd, const char *opt, const char *s, double lo, double hi,
                           double *out);
/* "1,2,3" (or "1 2 3"); returns the count or −1. */
int      cli_parse_ints   (const char *cmd, const char *opt, const char *s, int lo, int hi,
                           int **out);
/* "64x64" or "1x32x32": exactly n positive sizes. */
gboolean cli_parse_shape  (const char *cmd, const char *opt, const char *s, int n, int *out);

/* --memory-budget SIZE (s may be NULL: not given): sets the library's memory budget
 * (memory.h).  Without the option, a DLSIA_MEMORY_BUDGET that does not parse is reported here
 * rather than ignored.  Prints "dlsia CMD: …" and returns FALSE when either is wrong. */
gboolean cli_set_memory_budget (const char *cmd, const char *s);

/* Before reading a volume whole: FALSE (and the budget's message) when PATH's values times
 * per_value plus its voxels times per_voxel bytes are over the memory budget.  holding says
 * what is held ("as float32, normalised and with its labels"), alternative what else to do
 * (may be NULL). */
gboolean cli_check_volume_memory (const char *path, guint64 per_value, guint64 per_voxel,
                                  const char *holding, const char *alternative, GError **error);

#define CLI_MEMORY_BUDGET_HELP                                                                   \
  "Refuse jobs that would hold more than SIZE in memory (2G, 512M, 40%; default: "             \
  "$DLSIA_MEMORY_BUDGET, else half the RAM)"

G_END_DECLS
