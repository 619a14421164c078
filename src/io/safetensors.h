/* SPDX-License-Identifier: MIT
 *
 * safetensors.h: reading and writing safetensors files (an 8-byte little-endian header length,
 * a JSON header of {"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {str: str}}, then
 * the raw little-endian data), and model files on top of them: a DLSIA state_dict plus the model
 * config as JSON in the metadata under "dlsia.config".
 */
#pragma once

#include "io-error.h"
#include "models.h"

G_BEGIN_DECLS

typedef enum {
  DLS_DTYPE_F32,
  DLS_DTYPE_F64,
  DLS_DTYPE_I64,
  DLS_DTYPE_I32,
  DLS_DTYPE_U8,
  DLS_DTYPE_OTHER,
} DlsDtype;

typedef struct {
  char    *name;
  char    *dtype_name;  /* as written: "F32", "I64", … */
  DlsDtype dtype;
  int      ndim;
  int64_t  shape[8];
  int64_t  numel;
  size_t   offset, size; /* bytes, inside the data section */
} DlsTensorInfo;

typedef struct _DlsSafetensors DlsSafetensors;

DlsSafetensors      *dls_safetensors_open      (const char *path, GError **error);
void                 dls_safetensors_free      (DlsSafetensors *st);
int                  dls_safetensors_n_tensors (DlsSafetensors *st);
const DlsTensorInfo *dls_safetensors_tensor    (DlsSafetensors *st, int index); /* file order */
const DlsTensorInfo *dls_safetensors_find      (DlsSafetensors *st, const char *name);
const void          *dls_safetensors_data      (DlsSafetensors *st, const DlsTensorInfo *t);
const char          *dls_safetensors_metadata  (DlsSafetensors *st, const char *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsSafetensors, dls_safetensors_free)

/* One tensor to write: data is little-endian, numel × dtype size bytes. */
typedef struct {
  const char *name;
  DlsDtype    dtype;
  int         ndim;
  int64_t     shape[8];
  const void *data;
} DlsTensorOut;

/* Writes atomically (temporary file, fsync, rename).  metadata: NULL-terminated key, value,
 * key, value, … list or NULL. */
gboolean dls_safetensors_write (const char *path, const DlsTensorOut *tensors, int n,
                                const char *const *metadata, GError **error);

/* Model files. */
DlsModel *dls_model_load (const char *path, GError **error);
gboolean  dls_model_save (DlsModel *m, const char *path, GError **error);

G_END_DECLS
