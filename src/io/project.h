/* SPDX-License-Identifier: MIT
 *
 * project.h: the project file, NAME.dlsia.json beside the volume — which volume and label file,
 * the class names and colours, display settings, training settings and model files.  It is
 * human-readable, indented JSON with "format": 1; paths are stored relative to the project's
 * folder (so a folder can be moved or copied as a whole) and are absolute in memory.
 *
 *   { "format": 1, "volume": "volume.tif", "labels": "volume.labels.tif",
 *     "classes": [ { "name": "Matrix", "color": "#4477aa" },
 *                  { "name": "Fibre", "color": "#ee6677" } ],
 *     "display": { "colormap": "gray", "contrast": { "auto": true, "low": 0, "high": 1 },
 *                  "overlay": "prediction", "uncertainty": "margin", "opacity": 0.5,
 *                  "show_labels": true, "axis": "xy", "slice": [12, 0, 0] },
 *     "training": { "arch": "smsnet", "ensemble": 3, "epochs": 20, "time_budget": 0,
 *                   "patch": 64, "batch": 4, "lr": 0.001, "seed": 1, "params": { } },
 *     "models": [ "volume.smsnet.json" ] }
 *
 * Loading is strict about what it knows (a field of the wrong type is an error naming the
 * field) and lenient about what it does not: unknown keys are ignored, missing optional fields
 * take their defaults.  A volume that is no longer there is not an error: the app asks
 * dls_project_volume_exists() and lets the user locate it.
 *
 * What it deliberately does not do: read or check the volume, the labels or the models.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "io-error.h"

G_BEGIN_DECLS

#define DLS_PROJECT_FORMAT 1
#define DLS_PROJECT_MAX_CLASSES 255

typedef struct {
  char   *name;     /* "Fibre" */
  guint32 color;    /* 0xRRGGBBAA */
} DlsProjectClass;

typedef struct {
  char    *colormap;        /* "gray" (ids like "viridis") */
  gboolean contrast_auto;   /* 1–99 % */
  double   contrast_lo, contrast_hi;
  char    *overlay;         /* "none" | "prediction" | "segmentation" | "uncertainty" */
  char    *uncertainty;     /* "margin" | "entropy" | "std" | "set-size" */
  double   opacity;         /* 0..1, default 0.5 */
  gboolean show_labels;     /* default TRUE */
  int      axis;            /* 0 = XY (Z slices), 1 = XZ, 2 = YZ */
  int      slice[3];        /* current z, y, x */
} DlsProjectDisplay;

typedef struct {
  char   *arch;             /* "smsnet" (default) | "msdnet" | "tunet" */
  int     ensemble;         /* default 3 */
  int     epochs;           /* default 20; 0 = time budget only */
  double  time_budget;      /* seconds, 0 = none */
  int     patch;            /* 64 */
  int     batch;            /* 4 */
  double  lr;               /* 1e-3 */
  guint64 seed;             /* 1 */
  JsonObject *arch_params;  /* architecture hyperparameters as given (may be NULL), kept verbatim */
} DlsProjectTraining;

typedef struct {
  int    format;            /* 1 */
  char  *path;              /* absolute path of the project file (set by load and save) */
  char  *volume;            /* absolute path; stored relative to the project's folder */
  char  *labels;            /* absolute path; stored relative; default next to the volume: NAME.labels.tif */
  GArray *classes;          /* of DlsProjectClass, clear func frees names; classes[i] is label
                             * value i + 1 (0 = unlabelled), so 1 to 255 classes */
  DlsProjectDisplay  display;
  DlsProjectTraining training;
  GPtrArray *models;        /* of char* absolute paths (model files or ensemble manifests), stored relative */
} DlsProject;

DlsProject *dls_project_new  (void);          /* defaults as above, two classes "Background" and "Foreground" with default colours, no volume */
void        dls_project_free (DlsProject *p);
/* Errors in DLS_IO_ERROR: NOT_FOUND, READ, FORMAT (not a project, or a field of the wrong type
 * or out of range, named in the message), UNSUPPORTED (a newer format). */
DlsProject *dls_project_load (const char *path, GError **error);
/* Also refuses (DLS_IO_ERROR_WRITE, nothing written) a project that loading would refuse, e.g.
 * training.ensemble = 0, or names that are not UTF-8.  Paths that share nothing with the
 * project's folder but the root ("/mnt/…" from "/home/…") are written absolute. */
gboolean    dls_project_save (DlsProject *p, const char *path, GError **error); /* atomic (dls_io_write_file); sets p->path; paths written relative to dirname(path) ("../data/v.tif" style when outside), human-readable indented JSON with "format": 1 */
/* NAME.dlsia.json beside the volume: NAME is the file name without .tif/.tiff (any case), or the folder's name for a folder of slices. */
/* "b.ome.tif" gives NAME "b" (OME-TIFF's double extension goes as a whole); a folder of slices
 * ("scan/" or an existing folder "scan") gives "scan" and the files go beside the folder, never
 * inside it, where a .tif would be read as one more slice.  A relative path gives a relative
 * path ("b.tif" → "b.dlsia.json"). */
char       *dls_project_path_for_volume (const char *volume_path);
char       *dls_labels_path_for_volume  (const char *volume_path);  /* NAME.labels.tif beside it */
gboolean    dls_project_volume_exists   (const DlsProject *p);      /* the app asks the user to locate a moved volume when FALSE */
void        dls_project_set_volume      (DlsProject *p, const char *volume_path); /* after locating: absolute path; labels path moves along only if it was the default beside the old volume */
/* (A relative volume_path is taken from the working folder; NULL clears the volume.  With no
 * label file yet, the labels get the default beside the new volume.) */
/* The colour a new class number `index` gets (0xRRGGBBAA, opaque; the palette repeats). */
guint32     dls_project_class_default_color (int index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsProject, dls_project_free)

G_END_DECLS
