/* SPDX-License-Identifier: MIT
 *
 * explorer.h: DlsExplorer, the latent-space explorer window of a main window's volume.
 */
#pragma once

#include <adwaita.h>

#include "samples.h"
#include "scatter.h"
#include "types.h"

G_BEGIN_DECLS

#define DLS_TYPE_EXPLORER (dls_explorer_get_type ())
G_DECLARE_FINAL_TYPE (DlsExplorer, dls_explorer, DLS, EXPLORER, AdwWindow)

DlsExplorer      *dls_explorer_new             (DlsWindow   *window);
/* What the Compute button does (FALSE with an error when it cannot start). */
gboolean          dls_explorer_compute         (DlsExplorer *self,
                                                GError     **error);
gboolean          dls_explorer_is_busy         (DlsExplorer *self);
/* Loads an autoencoder (MSAE or sparse autoencoder) and selects "Use" it, with its patch size;
 * FALSE with an error for another kind of model or while a Compute runs. */
gboolean          dls_explorer_load_model      (DlsExplorer *self,
                                                const char  *path,
                                                GError     **error);
/* Saves the autoencoder of the last Compute (or the loaded one), atomically. */
gboolean          dls_explorer_save_model      (DlsExplorer *self,
                                                const char  *path,
                                                GError     **error);
/* Paints the centre of every selected sample with class klass (one undo step); returns how
 * many samples changed a label. */
int               dls_explorer_label_selection (DlsExplorer *self,
                                                int          klass);
DlsScatter       *dls_explorer_get_scatter     (DlsExplorer *self);
/* The samples of the map shown (NULL before the first Compute) and their clusters. */
const DlsSamples *dls_explorer_get_samples     (DlsExplorer *self,
                                                const int  **clusters,
                                                int         *n_clusters);
/* The map of those samples, n × 2 (x, y), or NULL. */
const float      *dls_explorer_get_map         (DlsExplorer *self);

G_END_DECLS
