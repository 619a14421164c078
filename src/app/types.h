/* SPDX-License-Identifier: MIT
 *
 * types.h: forward declarations of the application's object types, so that headers can name
 * each other's types without including each other.  No definitions live here; each type's
 * header declares it with G_DECLARE_FINAL_TYPE (repeating a typedef is allowed in C11).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DlsApplication DlsApplication;
typedef struct _DlsWindow      DlsWindow;
typedef struct _DlsExplorer    DlsExplorer;

G_END_DECLS
