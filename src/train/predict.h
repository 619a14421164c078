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
/* One image, C × H × W raw values in; out_channels × H × W out: softmax probabilities for a
 * classifier, the network's output otherwise.  cancel may be NULL. */
gboolean      dls_predictor_run        (DlsPredictor *p, const float *image, int h, int w,
                                        float *out, const volatile int *cancel, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsPredictor, dls_predictor_free)

G_END_DECLS
