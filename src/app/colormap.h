/* SPDX-License-Identifier: MIT
 *
 * colormap.h: colour tables and rendering of planes into cairo-style ARGB32 pixels (guint32
 * 0xAARRGGBB, PREMULTIPLIED alpha, rows of out_stride guint32s): scalar planes through a
 * colormap, label/class planes through a palette, default class colours and a percentile
 * display range.  GTK- and cairo-free: the caller wraps the pixels in a surface or texture.
 */
#pragma once

#include <glib.h>

#include "plane.h"

G_BEGIN_DECLS

typedef enum {
  DLS_COLORMAP_GRAY,
  DLS_COLORMAP_VIRIDIS,
  DLS_COLORMAP_MAGMA,
  DLS_COLORMAP_INFERNO,
  DLS_COLORMAP_CIVIDIS,
  DLS_COLORMAP_TURBO,
  DLS_N_COLORMAPS
} DlsColormap;

/* "gray", "viridis", … stable ids (project files). */
const char    *dls_colormap_id         (DlsColormap c);
/* "Gray", "Viridis" … English, untranslated; the app wraps in _(). */
const char    *dls_colormap_label      (DlsColormap c);
gboolean       dls_colormap_from_id    (const char *id, DlsColormap *out);
/* 256 entries, opaque 0xffRRGGBB; tables computed from published anchor points (matplotlib's)
 * at first use, thread-safe (g_once). */
const guint32 *dls_colormap_table      (DlsColormap c);

/* v ≤ lo → table[0], v ≥ hi → table[255], linear between (lo == hi: everything ≥ lo is 255);
 * NaN → transparent 0; `alpha` 0..1 multiplies the opacity (premultiplied output).  Renders
 * plane pixels [x0, x0+w) × [y0, y0+h) into out (row r at out + r·out_stride). */
void           dls_render_scalar       (const DlsFloatPlane *p, int x0, int y0, int w, int h,
                                        DlsColormap c, float lo, float hi, double alpha,
                                        guint32 *out, int out_stride);
/* Label/class planes: value 0 → transparent, k → palette[k] (0xAARRGGBB unpremultiplied) at
 * opacity alpha × (weight ? weight[pixel] clamped to 0..1 : 1), premultiplied; k ≥ n_palette →
 * transparent.  `weight` is an optional float plane of the same geometry (e.g. a confidence);
 * a NaN weight counts as 0. */
void           dls_render_labels       (const DlsLabelPlane *p, const DlsFloatPlane *weight,
                                        int x0, int y0, int w, int h, const guint32 *palette,
                                        int n_palette, double alpha, guint32 *out,
                                        int out_stride);
/* Default class colours: distinct, colour-blind-aware (Okabe–Ito then Tableau), index 1..n;
 * index 0 unused (returns transparent 0); beyond the table the colours repeat. */
guint32        dls_class_color_default (int k);
/* Display range helper: the p_lo and p_hi percentiles (0..100) of the finite values of a float
 * array of n values, by histogram (16 M values well under 100 ms).  No finite value → 0, 1. */
void           dls_percentile_range    (const float *data, gsize n, double p_lo, double p_hi,
                                        float *lo, float *hi);

G_END_DECLS
