/* SPDX-License-Identifier: MIT
 *
 * flood.c: 4-connected scanline flood fill on a strided label plane.  Seeds wait on a heap
 * stack (a GArray), never on the C stack, so any plane size is safe.  Each popped seed grows
 * into its whole run on its row, and the rows above and below are scanned along that run for
 * new seeds, one per run of the target value.  Filling with a different value marks pixels as
 * done, so nothing is visited twice.  No 8-connectivity, no tolerance.
 */
#include "config.h"

#include "flood.h"

typedef struct
{
  int x, y;
} Seed;

static inline guint8
get (const DlsLabelPlane *p, int x, int y)
{
  return p->volume[dls_label_plane_index (p, x, y)];
}

/* Pushes one seed per run of `target` in row y between x0 and x1 (inclusive). */
static void
push_runs (GArray *stack, const DlsLabelPlane *p, int x0, int x1, int y, guint8 target)
{
  gboolean in_run = FALSE;

  for (int x = x0; x <= x1; x++)
    {
      gboolean match = get (p, x, y) == target;

      if (match && !in_run)
        g_array_append_val (stack, ((Seed){ x, y }));
      in_run = match;
    }
}

DlsRect
dls_flood_fill (const DlsLabelPlane *p, int x, int y, guint8 value, DlsUndo *undo)
{
  DlsRect changed = { 0, 0, 0, 0 };
  g_autoptr (GArray) stack = NULL;
  guint8 target;

  g_return_val_if_fail (p != NULL && p->volume != NULL, changed);
  if (x < 0 || y < 0 || x >= p->width || y >= p->height)
    return changed;
  target = get (p, x, y);
  if (target == value)
    return changed;

  stack = g_array_sized_new (FALSE, FALSE, sizeof (Seed), 256);
  g_array_append_val (stack, ((Seed){ x, y }));
  changed = (DlsRect){ x, y, x + 1, y + 1 };

  while (stack->len > 0)
    {
      Seed s = g_array_index (stack, Seed, stack->len - 1);
      int l, r;

      g_array_set_size (stack, stack->len - 1);
      if (get (p, s.x, s.y) != target)
        continue; /* filled since it was pushed */
      l = s.x;
      r = s.x;
      while (l > 0 && get (p, l - 1, s.y) == target)
        l--;
      while (r < p->width - 1 && get (p, r + 1, s.y) == target)
        r++;
      for (int i = l; i <= r; i++)
        {
          gsize k = dls_label_plane_index (p, i, s.y);

          if (undo)
            dls_undo_record (undo, k, target, value);
          p->volume[k] = value;
        }
      dls_rect_union (&changed, &(DlsRect){ l, s.y, r + 1, s.y + 1 });
      if (s.y > 0)
        push_runs (stack, p, l, r, s.y - 1, target);
      if (s.y < p->height - 1)
        push_runs (stack, p, l, r, s.y + 1, target);
    }
  return changed;
}
