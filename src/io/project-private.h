/* SPDX-License-Identifier: MIT
 *
 * project-private.h: what project.c (new, save), project-load.c and project-paths.c share.
 */
#pragma once

#include "project.h"

G_BEGIN_DECLS

/* The names the file uses; NULL-terminated. */
extern const char *const _dls_project_axis_names[];        /* "xy", "xz", "yz": axis 0, 1, 2 */
extern const char *const _dls_project_overlay_names[];
extern const char *const _dls_project_uncertainty_names[];
extern const char *const _dls_project_arch_names[];

/* Appends a class (the name is copied). */
void  _dls_project_add_class     (DlsProject *p, const char *name, guint32 color);

/* The checks both loading and saving make, so the app can never write a project it cannot open
 * again: NULL when all is well, otherwise what is wrong, naming the field. */
char *_dls_project_find_problem  (const DlsProject *p);

/* Lexical (no symbolic links resolved): `path` made absolute and clean against `relative_to`
 * (NULL: the working folder), and `target` written relative to the folder `dir`. */
char *_dls_project_absolute_path (const char *path, const char *relative_to);
char *_dls_project_relative_path (const char *target, const char *dir);

G_END_DECLS
