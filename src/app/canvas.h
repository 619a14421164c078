/* SPDX-License-Identifier: MIT
 *
 * canvas.h: DlsCanvas, one view (XY, XZ or YZ) of a document: the image through a colormap,
 * the prediction or uncertainty overlay and the labels on top, crisp at every zoom; painting,
 * panning, zooming and slice changes with mouse and wheel.
 */
#pragma once

#include <gtk/gtk.h>

#include "colormap.h"
#include "dataset.h"
#include "document.h"

G_BEGIN_DECLS

typedef enum {
  DLS_TOOL_BRUSH,
  DLS_TOOL_ERASER,
  DLS_TOOL_FILL,
} DlsTool;

typedef enum {
  DLS_OVERLAY_NONE,
  DLS_OVERLAY_PREDICTION,   /* class colours, fading where the ensemble is unsure */
  DLS_OVERLAY_SEGMENTATION, /* class colours, hard */
  DLS_OVERLAY_UNCERTAINTY,  /* heatmap of the measure, with a legend */
} DlsOverlay;

typedef struct {
  DlsColormap colormap;
  float       lo, hi;        /* contrast: raw values shown black and white */
  DlsOverlay  overlay;
  DlsMeasure  measure;
  double      opacity;       /* of the overlay, 0..1 */
  gboolean    show_labels;
} DlsDisplay;

typedef struct {
  DlsTool tool;
  int     size;              /* brush diameter, pixels */
  int     klass;             /* 1..K */
} DlsPaint;

#define DLS_TYPE_CANVAS (dls_canvas_get_type ())
G_DECLARE_FINAL_TYPE (DlsCanvas, dls_canvas, DLS, CANVAS, GtkWidget)

GtkWidget *dls_canvas_new           (DlsAxis axis);
DlsAxis    dls_canvas_get_axis      (DlsCanvas *self);
void       dls_canvas_set_document  (DlsCanvas *self, DlsDocument *doc);
/* The cursor position in the volume: the view shows the slice through it and a crosshair. */
void       dls_canvas_set_position  (DlsCanvas *self, int z, int y, int x);
void       dls_canvas_set_display   (DlsCanvas *self, const DlsDisplay *display);
void       dls_canvas_set_paint     (DlsCanvas *self, const DlsPaint *paint);
void       dls_canvas_zoom          (DlsCanvas *self, double factor);
void       dls_canvas_zoom_fit      (DlsCanvas *self);
void       dls_canvas_zoom_actual   (DlsCanvas *self);
double     dls_canvas_get_scale     (DlsCanvas *self);
/* Moves the view by widget pixels, as a middle-button drag would.  For tests and scripting. */
void       dls_canvas_pan           (DlsCanvas *self, double dx, double dy);
/* Paints a stroke through image points (plane coordinates) of this view with the current
 * paint settings, as a drag of the mouse would: one undo step.  For tests and scripting. */
void       dls_canvas_stroke        (DlsCanvas *self, const double *xy, int n_points);
/* Outlines the size × size patch centred on voxel (z, y, x) where this view shows it (XY only);
 * size 0 removes the outline. */
void       dls_canvas_set_outline   (DlsCanvas *self, int z, int y, int x, int size);
/* The legend text of the uncertainty overlay, e.g. "Margin 1 − (p₁ − p₂): 0 – 1". */
char      *dls_canvas_describe_overlay (DlsCanvas *self);

G_END_DECLS
