/* SPDX-License-Identifier: MIT
 *
 * ensemble-file.h: a set of models used together — one model file, or an ensemble manifest
 * (JSON) listing member model files relative to itself:
 *
 *   {"format": 1, "kind": "dlsia-ensemble", "classes": 2,
 *    "members": ["fibres.m0.safetensors", "fibres.m1.safetensors"],
 *    "conformal": {"alpha": 0.1, "qhat": 0.31, "n_calibration": 5120}}
 *
 * Members are written as soon as each finishes, and the manifest is rewritten atomically after
 * each, so an interrupted ensemble run leaves a usable smaller ensemble.
 */
#pragma once

#include "io-error.h"
#include "models.h"

G_BEGIN_DECLS

typedef struct {
  int        n;
  DlsModel **models;
  char     **paths;          /* as listed (relative to the manifest) */
  gboolean   has_conformal;
  double     alpha, qhat;
  int64_t    n_calibration;
} DlsEnsemble;

/* A model file gives an ensemble of one.  Members must agree on channels and classes. */
DlsEnsemble *dls_ensemble_load  (const char *path, GError **error);
void         dls_ensemble_free  (DlsEnsemble *e);
/* Writes the manifest for `n` member files (paths relative to the manifest's folder). */
gboolean     dls_ensemble_write_manifest (const char *path, int n_classes,
                                          const char *const *members, int n,
                                          gboolean has_conformal, double alpha, double qhat,
                                          int64_t n_calibration, GError **error);
/* Saves models as `path`: a model file when there is one and path ends in .safetensors,
 * otherwise the members beside the manifest (fibres.json → fibres.m0.safetensors …) and then the
 * manifest, each atomically. */
gboolean     dls_ensemble_save  (const char *path, DlsModel *const *models, int n,
                                 gboolean has_conformal, double alpha, double qhat,
                                 int64_t n_calibration, GError **error);
char        *dls_ensemble_member_path (const char *path, int k, int n);
gboolean     dls_path_is_safetensors_name (const char *path);
/* TRUE when the file starts like a safetensors model rather than a JSON manifest. */
gboolean     dls_path_is_model_file (const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsEnsemble, dls_ensemble_free)

G_END_DECLS
