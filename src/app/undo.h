/* SPDX-License-Identifier: MIT
 *
 * undo.h: undo/redo of label edits as (volume index, old, new) records — independent of which
 * slice or view the edit was made in, so history survives slice and view changes.  One action
 * is one user gesture (a whole stroke, a fill).  It stores records only; it does not paint,
 * redraw or know about planes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DlsUndo DlsUndo;

/* Oldest actions dropped beyond this much memory (never the open one, nor the newest closed
 * one: the last gesture can always be undone); 0: no limit.  Records take 8 bytes each. */
DlsUndo *dls_undo_new       (gsize max_bytes);
void     dls_undo_free      (DlsUndo *u);
/* Opens one user action (a whole stroke, a fill).  One is open at a time: an action still open
 * (a drag that was cancelled without its end) is closed first. */
void     dls_undo_begin     (DlsUndo *u);
/* Call only on a real change; a pixel changed twice in one action keeps its first old and last
 * new value on undo/redo.  Outside begin/end it opens an action (closed by the next end, begin,
 * undo or redo). */
void     dls_undo_record    (DlsUndo *u, gsize index, guint8 old_value, guint8 new_value);
/* Closes it; an empty action is dropped (returns FALSE); a kept one clears the redo list.  With
 * none open (an undo closed it mid-stroke) it does nothing and returns FALSE. */
gboolean dls_undo_end       (DlsUndo *u);
gboolean dls_undo_can_undo  (const DlsUndo *u);
gboolean dls_undo_can_redo  (const DlsUndo *u);
/* Apply to `volume` (Z×Y×X of n voxels; indices ≥ n are a programming error →
 * g_return_val_if_fail); the affected volume-index range [lo, hi] is reported when not NULL (so
 * the caller can tell which slices to redraw and which slice to jump to).  FALSE when there is
 * nothing to undo/redo.  An action still open (undo pressed mid-stroke) is closed first, so undo
 * takes back the stroke so far. */
gboolean dls_undo_undo      (DlsUndo *u, guint8 *volume, gsize n, gsize *lo, gsize *hi);
gboolean dls_undo_redo      (DlsUndo *u, guint8 *volume, gsize n, gsize *lo, gsize *hi);
void     dls_undo_clear     (DlsUndo *u);
/* Undoable actions. */
gsize    dls_undo_n_actions (const DlsUndo *u);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsUndo, dls_undo_free)

G_END_DECLS
