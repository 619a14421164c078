/* SPDX-License-Identifier: MIT
 *
 * sample.h: the bundled sample — a synthetic fibre-reinforced concrete volume (128 × 256 × 256,
 * uint16) with sparse labels of class 1 (matrix) and 2 (fibre), made by the library's
 * generator the first time it is asked for and kept in the user's cache folder.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The folder the sample lives in: $DLSIA_SAMPLE_DIR, or ~/.cache/dlsia-studio/sample. */
char *dls_sample_dir    (void);
/* Path of the sample's volume.tif, generating volume.tif, truth.tif and volume.labels.tif
 * (the sparse labels, where the app looks for a volume's labels) when missing.  Slow the first
 * time (seconds): call it from a worker thread. */
char *dls_sample_ensure (GCancellable *cancellable, GError **error);

G_END_DECLS
