/* SPDX-License-Identifier: MIT
 *
 * memory.h: how much memory the program may use — the machine's RAM, a memory budget, and a
 * check that refuses, before anything is allocated, a job that would hold more than the
 * budget, with a message that says what needs how much and what to do instead.
 *
 * The budget is, first to last: the size given to dls_memory_set_budget() (the command line's
 * --memory-budget), the environment variable DLSIA_MEMORY_BUDGET ("2G", "512M", "1.5GB",
 * "40%" of RAM), or a percentage of the machine's RAM (dls_memory_set_budget_percent(): the
 * application's "Memory budget" preference; 50 % until told otherwise).
 *
 * It does not measure what the process uses now or watch it grow: the callers estimate what a
 * job will hold and ask once, up front.
 */
#pragma once

#include <glib.h>

#include "io-error.h"

G_BEGIN_DECLS

#define DLS_MEMORY_DEFAULT_PERCENT 50

/* The machine's RAM in bytes (/proc/meminfo MemTotal, else sysconf); 0 when unknown. */
guint64  dls_memory_total             (void);
/* Memory available to start new work (MemAvailable, else sysconf's free pages); 0 when
 * unknown. */
guint64  dls_memory_available         (void);

/* "2G", "512M", "1.5GB", "300MiB", "1048576", "1T" (binary units: 1K = 1024), or "40%" of RAM.
 * FALSE (and error) for anything else, zero included. */
gboolean dls_memory_parse_size        (const char   *text,
                                       guint64      *bytes,
                                       GError      **error);

/* 0 clears it (back to DLSIA_MEMORY_BUDGET or the percentage). */
void     dls_memory_set_budget        (guint64       bytes);
/* Clamped to 1–100. */
void     dls_memory_set_budget_percent (int          percent);
/* The budget now, in bytes.  Thread-safe. */
guint64  dls_memory_budget            (void);

/* FALSE with a DLS_IO_ERROR_TOO_LARGE when bytes_needed is more than the budget.  what names
 * the thing ("“big.tif” as float32"); alternative (may be NULL) is what the user could do
 * instead of raising the budget ("use `dlsia predict`, which streams slice by slice").
 * Sizes are in binary units (GiB) with a no-break space.  Example message: "“big.tif” as
 * float32 needs 20.0 GiB of memory but the memory budget is 11.7 GiB (50 % of 23.4 GiB RAM):
 * raise it in Preferences › Memory Budget, or use `dlsia predict`, which streams slice by
 * slice". */
gboolean dls_memory_check             (guint64       bytes_needed,
                                       const char   *what,
                                       const char   *alternative,
                                       GError      **error);

G_END_DECLS
