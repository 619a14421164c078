/* SPDX-License-Identifier: MIT
 *
 * tiff.h: image volumes in TIFF files (libtiff), and stacks of single-slice TIFFs in a folder.
 *
 * Reading turns every supported layout (multi-page, BigTIFF, strips or tiles, any codec this
 * libtiff has, 8/16/32-bit integers and 32/64-bit floats of either byte order, contiguous or
 * separate planes, predictors, RGB, ImageJ hyperstacks) into float32 slices of C × H × W with
 * the values unchanged.  Writing makes uint8 (labels), uint16 (raw volumes) and float32
 * (probabilities) stacks that Fiji opens as stacks, atomically: nothing appears under the final
 * name until commit.
 *
 * What it deliberately does not do: 1-, 4- and 12-bit samples, palette and YCbCr images, 16-bit
 * floats, 64-bit integers (all refused with a "not supported" error), scaling of values,
 * pyramids (reduced-resolution pages are skipped), metadata other than the ImageJ layout.
 *
 * libtiff never prints: its errors end up in the GError.  Readers and writers are independent,
 * so several may be used from different threads; one reader may also be shared (reads are
 * serialised).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "io-error.h"

G_BEGIN_DECLS

typedef enum {
  DLS_SAMPLE_U8,
  DLS_SAMPLE_U16,
  DLS_SAMPLE_U32,
  DLS_SAMPLE_I8,
  DLS_SAMPLE_I16,
  DLS_SAMPLE_I32,
  DLS_SAMPLE_F32,
  DLS_SAMPLE_F64,
} DlsSampleType;

/* "uint8", "uint16", "uint32", "int8", "int16", "int32", "float32", "float64" */
const char *dls_sample_type_name (DlsSampleType t);
/* 1, 2, 4, 1, 2, 4, 4, 8 */
int         dls_sample_type_size (DlsSampleType t);

/* Reading refuses a volume larger than this as float32 (dls_tiff_read_volume), and a slice of
 * more than DLS_TIFF_MAX_SLICE_VALUES values, before allocating anything. */
#define DLS_TIFF_MAX_VOLUME_BYTES (G_GINT64_CONSTANT (64) << 30)
#define DLS_TIFF_MAX_SLICE_VALUES (G_GINT64_CONSTANT (1) << 32)

typedef struct {
  int64_t width, height;   /* every slice */
  int64_t depth;           /* slices (Z): pages, ImageJ slices × frames, or files in a folder */
  int     channels;        /* samples per pixel (RGB = 3), or ImageJ channels */
  DlsSampleType type;
  int64_t pages;           /* IFDs in the file (or files in a folder) */
  gboolean big_tiff, tiled, big_endian;  /* of the file (the first file of a folder) */
  char   *compression;     /* "none", "LZW", "Deflate", "PackBits", "ZSTD", … (owned) */
} DlsTiffInfo;

void dls_tiff_info_clear (DlsTiffInfo *info);

typedef struct _DlsTiffReader DlsTiffReader;

/* A file, or a folder of single-slice TIFFs (*.tif, *.tiff; other files are ignored) taken in
 * natural order (img2.tif before img10.tif).  Checks every page (or file) before returning. */
DlsTiffReader     *dls_tiff_reader_open       (const char     *path,
                                               GError        **error);
const DlsTiffInfo *dls_tiff_reader_get_info   (DlsTiffReader  *r);
/* One Z slice as float32, channels × height × width, values unchanged (no scaling). */
gboolean           dls_tiff_reader_read_slice (DlsTiffReader  *r,
                                               int64_t         z,
                                               float          *out,
                                               GError        **error);
void               dls_tiff_reader_free       (DlsTiffReader  *r);

/* Whole volume, Z × C × H × W float32 (g_free it); NULL + error when it cannot.  info_out may be
 * NULL; otherwise clear it with dls_tiff_info_clear().  A volume larger than the memory budget
 * (memory.h) is refused before anything is allocated, with a DLS_IO_ERROR_TOO_LARGE. */
float             *dls_tiff_read_volume       (const char     *path,
                                               DlsTiffInfo    *info_out,
                                               GError        **error);

/* ImageJ 1.x's own TIFF reader (what Fiji's File › Open uses) decodes Deflate but not the
 * floating-point predictor, so the default leaves the predictor out. */
typedef enum {
  DLS_TIFF_COMPRESSION_DEFLATE,           /* the default: Deflate, no predictor */
  DLS_TIFF_COMPRESSION_NONE,
  DLS_TIFF_COMPRESSION_DEFLATE_PREDICTOR, /* float32: Deflate with the floating-point predictor,
                                           * smaller; libtiff, tifffile and Bio-Formats read it,
                                           * ImageJ 1.x does not.  uint8, uint16: plain
                                           * Deflate. */
} DlsTiffCompression;

typedef struct _DlsTiffWriter DlsTiffWriter;

/* type DLS_SAMPLE_U8 (labels, class maps), DLS_SAMPLE_U16 (raw volumes, in the machine's byte
 * order) or DLS_SAMPLE_F32 (probabilities, uncertainty), Deflate unless told otherwise.  Writes
 * to a temporary file beside `path`; nothing appears under `path` until commit.
 *
 * dls_tiff_writer_new() does not know the page count: it writes a classic TIFF (an error once
 * the file would pass 4 GB) and fills in the ImageJ page count at commit.
 * dls_tiff_writer_new_stack() is told the page count: it picks BigTIFF when the data would pass
 * 4 GB, and commit checks that exactly `depth` pages were added. */
DlsTiffWriter *dls_tiff_writer_new             (const char          *path,
                                                DlsSampleType        type,
                                                int64_t              width,
                                                int64_t              height,
                                                GError             **error);
DlsTiffWriter *dls_tiff_writer_new_stack       (const char          *path,
                                                DlsSampleType        type,
                                                int64_t              width,
                                                int64_t              height,
                                                int64_t              depth,
                                                GError             **error);
/* Before the first page. */
void           dls_tiff_writer_set_compression (DlsTiffWriter       *w,
                                                DlsTiffCompression   compression);
/* height × width samples of the writer's type. */
gboolean       dls_tiff_writer_add_page        (DlsTiffWriter       *w,
                                                const void          *data,
                                                GError             **error);
/* fsync + rename, frees w (also when it fails; the temporary file is then removed). */
gboolean       dls_tiff_writer_commit          (DlsTiffWriter       *w,
                                                GError             **error);
/* Removes the temporary file, frees w.  NULL is fine. */
void           dls_tiff_writer_abort           (DlsTiffWriter       *w);

/* pages × height × width, Deflate, atomically. */
gboolean       dls_tiff_write_u8               (const char          *path,
                                                const uint8_t       *data,
                                                int64_t              pages,
                                                int64_t              height,
                                                int64_t              width,
                                                GError             **error);
gboolean       dls_tiff_write_u16              (const char          *path,
                                                const uint16_t      *data,
                                                int64_t              pages,
                                                int64_t              height,
                                                int64_t              width,
                                                GError             **error);
gboolean       dls_tiff_write_f32              (const char          *path,
                                                const float         *data,
                                                int64_t              pages,
                                                int64_t              height,
                                                int64_t              width,
                                                GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsTiffReader, dls_tiff_reader_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsTiffWriter, dls_tiff_writer_abort)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DlsTiffInfo, dls_tiff_info_clear)

G_END_DECLS
