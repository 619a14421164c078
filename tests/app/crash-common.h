/* SPDX-License-Identifier: MIT
 *
 * crash-common.h: what the crash test's child and parent agree on — the file names in the test
 * folder, the volume's size, the strokes (each a function of its number alone, so the parent
 * can replay any prefix of them) and the model weights of a version.
 */
#pragma once

#include <glib.h>
#include <string.h>

#include "models.h"
#include "undo.h"

#define CRASH_Z       8
#define CRASH_Y       64
#define CRASH_X       64
#define CRASH_N       ((gsize) CRASH_Z * CRASH_Y * CRASH_X)
#define CRASH_MEMBERS 2
#define CRASH_VOLUME  "Proben ä/β volume.tif"
#define CRASH_PROJECT "Proben ä/β volume.dlsia.json"
#define CRASH_MODEL   "Proben ä/β volume.msdnet.json"
#define CRASH_JOURNAL "journal.txt"

static inline guint64
crash_mix (guint64 x)
{
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/* Stroke n (from 1): a 4 × 4 square on one slice in class 1 + n mod 3, as the brush paints it:
 * an undo record of every voxel it changes.  Returns the range changed (lo > hi: none). */
static inline void
crash_stroke (guint8 *labels, DlsUndo *undo, guint64 n, gsize *lo, gsize *hi)
{
  guint64 r = crash_mix (n);
  int z = (int) (r % CRASH_Z), y0 = (int) ((r >> 8) % (CRASH_Y - 3));
  int x0 = (int) ((r >> 20) % (CRASH_X - 3));
  guint8 k = (guint8) (1 + n % 3);

  *lo = G_MAXSIZE;
  *hi = 0;
  if (undo)
    dls_undo_begin (undo);
  for (int y = y0; y < y0 + 4; y++)
    for (int x = x0; x < x0 + 4; x++)
      {
        gsize i = ((gsize) z * CRASH_Y + y) * CRASH_X + x;

        if (labels[i] == k)
          continue;
        if (undo)
          dls_undo_record (undo, i, labels[i], k);
        labels[i] = k;
        *lo = MIN (*lo, i);
        *hi = MAX (*hi, i);
      }
  if (undo)
    dls_undo_end (undo);
}

/* The weights of member k of model version v: exact in float, and v·8 + k = floor (w[0]). */
static inline float
crash_weight (guint64 v, int k, gint64 i)
{
  return (float) (v * 8 + (guint64) k) + (float) (i % 64) / 64.0f;
}

/* The version of member k whose weights w are, or 0 when they are no version's at all. */
static inline guint64
crash_weights_version (const float *w, gint64 n, int k)
{
  guint64 v;

  if (n == 0 || w[0] < 8)
    return 0;
  v = ((guint64) w[0] - (guint64) k) / 8;
  for (gint64 i = 0; i < n; i++)
    if (w[i] != crash_weight (v, k, i))
      return 0;
  return v;
}
