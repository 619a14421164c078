/* SPDX-License-Identifier: MIT
 *
 * application.h: DlsApplication, the AdwApplication of DLSIA Studio.
 */
#pragma once

#include <adwaita.h>

#include "types.h"

G_BEGIN_DECLS

#define DLS_TYPE_APPLICATION (dls_application_get_type ())
G_DECLARE_FINAL_TYPE (DlsApplication, dls_application, DLS, APPLICATION, AdwApplication)

DlsApplication *dls_application_new             (const char       *application_id,
                                                 GApplicationFlags flags);
GSettings      *dls_application_get_settings    (DlsApplication   *self);
int             dls_application_get_exit_status (DlsApplication   *self);

G_END_DECLS
