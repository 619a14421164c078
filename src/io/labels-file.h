/* SPDX-License-Identifier: MIT
 *
 * labels-file.h: the label volume as a uint8 TIFF stack (0 = unlabelled, 1..K) that Fiji,
 * napari and tifffile open as is, saved atomically (the app autosaves it a few seconds after
 * the last stroke, so a crash or a full disk must never cost the previous file).
 *
 * What it deliberately does not do: keep the labels in memory, know about classes' names, or
 * write anything but uint8 (a label file from elsewhere may be uint16 or int, read as long as
 * its values fit).
 */
#pragma once

#include <glib.h>

#include "io-error.h"

G_BEGIN_DECLS

/* Loads and checks: an error naming both sizes when the file's Z×Y×X differs from the expected one ("The label file is 64 × 128 × 128 (Z × Y × X) but the volume is 128 × 256 × 256."), when it is not a single-channel integer image, or when a value exceeds max_class (name the value and the slice). uint16/int images with values ≤ 255 are accepted. */
guint8  *dls_labels_file_load (const char *path, int Z, int Y, int X, int max_class, GError **error);
/* Atomic (temporary file + rename via the existing TIFF writer); Deflate; the previous file stays intact on any failure (e.g. unwritable folder, full disk) and the error says which path could not be written and why. */
gboolean dls_labels_file_save (const char *path, const guint8 *labels, int Z, int Y, int X, GError **error);
/* Number of non-zero voxels per class 1..n (counts[0] = unlabelled), for "restore 1,234 labelled pixels?" messages.
 * Every counts[0..n_counts-1] is set; values ≥ n_counts are not counted anywhere. */
void     dls_labels_count (const guint8 *labels, gsize n, gint64 *counts, int n_counts);

G_END_DECLS
