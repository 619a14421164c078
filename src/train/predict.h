/* SPDX-License-Identifier: MIT
 *
 * predict.h: running a trained model on images — input normalisation from the model's config,
 * one graph per image size (compiled once, memory reused by lifetime), softmax over classes.
 */
#pragma once

#include "models.h"

G_BEGIN_DECLS

typedef struct _DlsPredictor DlsPredictor;

/* The predictor keeps a reference to the model's parameters; the model must outlive it. */
DlsPredictor *dls_predictor_new        (DlsModel *m);
void          dls_predictor_free       (DlsPredictor *p);
/* On by default for MSDNets: the engine's fused eval path instead of the graph. */
void          dls_predictor_set_fused  (DlsPredictor *p, gboolean fused);
/* TRUE when the model's output is class scores (softmax makes probabilities of them). */
gboolean      dls_model_is_classifier  (const DlsModel *m);
/* Maps raw values through the model's input normalisation (a copy when there is none). */
void          dls_model_normalize      (const DlsModel *m, const float *raw, float *out,
                                        int64_t n);
void          dls_config_normalize     (const DlsModelConfig *c, const float *raw, float *out,
                                        int64_t n);
/* One image, C × H × W raw values in; out_channels × H × W out: softmax probabilities for a
 * classifier, the network's output otherwise — in raw units when the model has an input
 * normalisation (regression targets are scaled like the input).  cancel may be NULL. */
gboolean      dls_predictor_run        (DlsPredictor *p, const float *image, int h, int w,
                                        float *out, const volatile int *cancel, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsPredictor, dls_predictor_free)

/* The latent vectors of an autoencoder for n images (n × C × H × W raw values, normalised with
 * the model's input normalisation) into latent (n × latent length), in eval mode, batch by
 * batch.  Returns the latent length, or 0 with an error. */
int           dls_model_encode         (DlsModel *m, const float *images, int64_t n, int h,
                                        int w, float *latent, GError **error);

/* ---------------------------------------------------------------------------------------------
 * Ensembles and tiles.  Each member runs on the whole image, or on overlapping square tiles
 * when the image is larger than `tile`: tiles are blended with weights that ramp
 * linearly across the overlap, so no seam shows.  The members' outputs (softmax
 * probabilities for classifiers) are averaged; std is the plain standard deviation across
 * members (M − 1 in the denominator; zero for one member).
 */
typedef struct {
  int tile;     /* tile side; 0: whole images up to 4096², tiles of 1024 beyond; < 0: never */
  int overlap;  /* pixels shared by neighbouring tiles, 32 when 0 */
} DlsTileArgs;

typedef struct _DlsEnsemblePredictor DlsEnsemblePredictor;

/* The models must outlive the predictor and agree on channels and classes. */
DlsEnsemblePredictor *dls_ensemble_predictor_new  (DlsModel *const *models, int n,
                                                   const DlsTileArgs *tiles);
void                  dls_ensemble_predictor_free (DlsEnsemblePredictor *p);
/* image: C × H × W raw values; mean and std (std may be NULL): out_channels × H × W. */
gboolean              dls_ensemble_predictor_run  (DlsEnsemblePredictor *p, const float *image,
                                                   int h, int w, float *mean, float *std,
                                                   const volatile int *cancel, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsEnsemblePredictor, dls_ensemble_predictor_free)

G_END_DECLS
