/* SPDX-License-Identifier: MIT
 *
 * undo.c: label-edit history as packed (volume index, old, new) records, one growable array
 * per user action, in an undo stack and a redo stack.  A pixel changed twice in one action
 * needs no merging: undo applies the records newest first (so the first old value wins) and
 * redo oldest first (so the last new value wins).  Memory is bounded by dropping the oldest
 * undoable actions.  It never touches a volume except in undo/redo.
 */
#include "config.h"

#include "undo.h"

/* One record in 8 bytes: index << 16 | old << 8 | new (indices below 2^48). */
#define RECORD(index, o, n) (((guint64) (index) << 16) | ((guint64) (o) << 8) | (guint64) (n))
#define RECORD_INDEX(r)     ((gsize) ((r) >> 16))
#define RECORD_OLD(r)       ((guint8) ((r) >> 8))
#define RECORD_NEW(r)       ((guint8) (r))
#define MAX_INDEX           ((G_GUINT64_CONSTANT (1) << 48) - 1)

typedef struct
{
  guint64 *rec;
  gsize len, cap;
  gsize lo, hi; /* volume-index range of the records */
} Action;

struct _DlsUndo
{
  gsize max_bytes; /* 0: no limit */
  gsize bytes;     /* of every action, the open one included */
  GPtrArray *undo; /* of Action, oldest first */
  GPtrArray *redo; /* of Action, the next to redo last */
  Action *open;
};

static gsize
action_bytes (const Action *a)
{
  return sizeof (Action) + a->cap * sizeof (guint64);
}

static void
action_free (Action *a)
{
  g_free (a->rec);
  g_free (a);
}

static void
drop_action (DlsUndo *u, Action *a)
{
  u->bytes -= action_bytes (a);
  action_free (a);
}

static void
clear_stack (DlsUndo *u, GPtrArray *stack)
{
  for (guint i = 0; i < stack->len; i++)
    drop_action (u, g_ptr_array_index (stack, i));
  g_ptr_array_set_size (stack, 0);
}

/* Drops the oldest undoable actions while over the limit, keeping the newest closed one (so the
 * last gesture can always be undone) and never the open one. */
static void
enforce_limit (DlsUndo *u)
{
  guint keep = u->open ? 0 : 1;
  guint drop = 0;

  if (u->max_bytes == 0)
    return;
  while (u->bytes > u->max_bytes && u->undo->len - drop > keep)
    drop_action (u, g_ptr_array_index (u->undo, drop++));
  if (drop)
    g_ptr_array_remove_range (u->undo, 0, drop);
}

DlsUndo *
dls_undo_new (gsize max_bytes)
{
  DlsUndo *u = g_new0 (DlsUndo, 1);

  u->max_bytes = max_bytes;
  u->undo = g_ptr_array_new ();
  u->redo = g_ptr_array_new ();
  return u;
}

void
dls_undo_free (DlsUndo *u)
{
  if (u == NULL)
    return;
  dls_undo_clear (u);
  g_ptr_array_unref (u->undo);
  g_ptr_array_unref (u->redo);
  g_free (u);
}

void
dls_undo_begin (DlsUndo *u)
{
  g_return_if_fail (u != NULL);

  /* A gesture that never saw its end (a cancelled drag) is closed as it stands. */
  if (u->open)
    dls_undo_end (u);
  u->open = g_new0 (Action, 1);
  u->bytes += action_bytes (u->open);
}

void
dls_undo_record (DlsUndo *u, gsize index, guint8 old_value, guint8 new_value)
{
  Action *a;

  g_return_if_fail (u != NULL);
  g_return_if_fail (index <= MAX_INDEX);

  /* A change outside begin/end still gets undone: it opens an action of its own. */
  if (u->open == NULL)
    dls_undo_begin (u);
  a = u->open;
  if (a->len == a->cap)
    {
      gsize cap = MAX (a->cap * 2, 64);

      u->bytes -= action_bytes (a);
      a->rec = g_renew (guint64, a->rec, cap);
      a->cap = cap;
      u->bytes += action_bytes (a);
      enforce_limit (u);
    }
  if (a->len == 0)
    a->lo = a->hi = index;
  a->lo = MIN (a->lo, index);
  a->hi = MAX (a->hi, index);
  a->rec[a->len++] = RECORD (index, old_value, new_value);
}

gboolean
dls_undo_end (DlsUndo *u)
{
  Action *a;

  g_return_val_if_fail (u != NULL, FALSE);

  if (u->open == NULL) /* already closed, e.g. by an undo in the middle of a stroke */
    return FALSE;
  a = u->open;
  u->open = NULL;
  u->bytes -= action_bytes (a);
  if (a->len == 0)
    {
      action_free (a);
      return FALSE;
    }
  a->rec = g_renew (guint64, a->rec, a->len);
  a->cap = a->len;
  u->bytes += action_bytes (a);
  clear_stack (u, u->redo);
  g_ptr_array_add (u->undo, a);
  enforce_limit (u);
  return TRUE;
}

gboolean
dls_undo_can_undo (const DlsUndo *u)
{
  g_return_val_if_fail (u != NULL, FALSE);
  return u->undo->len > 0;
}

gboolean
dls_undo_can_redo (const DlsUndo *u)
{
  g_return_val_if_fail (u != NULL, FALSE);
  return u->redo->len > 0;
}

static gboolean
move_action (DlsUndo *u, GPtrArray *from, GPtrArray *to, gboolean backwards, guint8 *volume,
             gsize n, gsize *lo, gsize *hi)
{
  Action *a;

  g_return_val_if_fail (u != NULL, FALSE);
  g_return_val_if_fail (volume != NULL, FALSE);
  /* Undo in the middle of a stroke: the stroke so far is one action, closed here (the
   * caller's later end finds nothing open and does nothing). */
  if (u->open)
    dls_undo_end (u);
  if (from->len == 0)
    return FALSE;
  a = g_ptr_array_index (from, from->len - 1);
  g_return_val_if_fail (a->hi < n, FALSE);

  if (backwards)
    for (gsize i = a->len; i-- > 0;)
      volume[RECORD_INDEX (a->rec[i])] = RECORD_OLD (a->rec[i]);
  else
    for (gsize i = 0; i < a->len; i++)
      volume[RECORD_INDEX (a->rec[i])] = RECORD_NEW (a->rec[i]);
  g_ptr_array_remove_index (from, from->len - 1);
  g_ptr_array_add (to, a);
  if (lo)
    *lo = a->lo;
  if (hi)
    *hi = a->hi;
  return TRUE;
}

gboolean
dls_undo_undo (DlsUndo *u, guint8 *volume, gsize n, gsize *lo, gsize *hi)
{
  g_return_val_if_fail (u != NULL, FALSE);
  return move_action (u, u->undo, u->redo, TRUE, volume, n, lo, hi);
}

gboolean
dls_undo_redo (DlsUndo *u, guint8 *volume, gsize n, gsize *lo, gsize *hi)
{
  g_return_val_if_fail (u != NULL, FALSE);
  return move_action (u, u->redo, u->undo, FALSE, volume, n, lo, hi);
}

void
dls_undo_clear (DlsUndo *u)
{
  g_return_if_fail (u != NULL);

  clear_stack (u, u->undo);
  clear_stack (u, u->redo);
  if (u->open)
    {
      drop_action (u, u->open);
      u->open = NULL;
    }
}

gsize
dls_undo_n_actions (const DlsUndo *u)
{
  g_return_val_if_fail (u != NULL, 0);
  return u->undo->len;
}
