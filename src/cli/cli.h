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

G_END_DECLS
