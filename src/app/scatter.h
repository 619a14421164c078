/* SPDX-License-Identifier: MIT
 *
 * scatter.h: DlsScatter, a 2-D scatter plot of many points (a latent-space map): pan and zoom,
 * one colour per point, hover with a thumbnail, click to pick a point, lasso to select.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A picture for the hover tooltip of point i (a new reference), or NULL. */
typedef cairo_surface_t *(*DlsScatterThumbFunc) (int i, gpointer user_data);

#define DLS_TYPE_SCATTER (dls_scatter_get_type ())
G_DECLARE_FINAL_TYPE (DlsScatter, dls_scatter, DLS, SCATTER, GtkWidget)

GtkWidget *dls_scatter_new            (void);
/* xy: n × 2, copied; the view is fitted to them. */
void       dls_scatter_set_points     (DlsScatter *self, const float *xy, int n);
int        dls_scatter_get_n_points   (DlsScatter *self);
/* argb: n colours 0xAARRGGBB (copied), or NULL for one colour. */
void       dls_scatter_set_colors     (DlsScatter *self, const guint32 *argb);
void       dls_scatter_set_thumbnail_func (DlsScatter *self, DlsScatterThumbFunc fn,
                                       gpointer user_data, GDestroyNotify destroy);
void       dls_scatter_fit            (DlsScatter *self);
void       dls_scatter_zoom           (DlsScatter *self, double factor, double wx, double wy);
/* The point nearest the widget position within 8 pixels, or −1. */
int        dls_scatter_pick           (DlsScatter *self, double wx, double wy);
void       dls_scatter_to_widget      (DlsScatter *self, int i, double *wx, double *wy);
/* Selection: a lasso in widget coordinates (n vertices) selects the points inside it. */
void       dls_scatter_select_lasso   (DlsScatter *self, const double *xy, int n);
void       dls_scatter_select_none    (DlsScatter *self);
/* The selected indices, ascending (a new array of int). */
GArray    *dls_scatter_get_selection  (DlsScatter *self);

G_END_DECLS
