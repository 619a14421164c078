/* SPDX-License-Identifier: MIT
 *
 * progress.h: training progress on stderr, shared by `dlsia train` and `dlsia embed` — a bar
 * redrawn at most ten times a second on a terminal, one plain line per epoch otherwise.
 */
#pragma once

#include <glib.h>

#include "trainer.h"

G_BEGIN_DECLS

typedef struct {
  gboolean tty;   /* stderr is a terminal: draw the bar */
  gint64   last;  /* monotonic time of the last redraw */
} CliProgress;

/* "42s", "3m05s", "2h10m", or "?" for a negative or infinite time. */
void cli_format_time    (char *buf, size_t n, double seconds);
/* A DlsTrainProgressFn; user_data is a CliProgress. */
void cli_train_progress (const DlsTrainProgress *p, void *user_data);

G_END_DECLS
