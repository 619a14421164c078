/* SPDX-License-Identifier: MIT
 *
 * uncertainty.h: per-pixel uncertainty from class probabilities — the margin and entropy of one
 * prediction, the mean and spread of an ensemble, and split-conformal prediction sets
 * (DLSIA's conformalize_segmentation with its 1 − p_true score).  Probabilities come as K
 * planes of n pixels (K × n, plane-major), as the predictor writes them.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* 1 − (p1 − p2), p1 ≥ p2 the two largest of a pixel's K probabilities (ilastik's margin; 0 =
 * sure, 1 = a tie); K = 1 → 0. */
void     dls_uncertainty_margin        (const float *p, int K, int64_t n, float *out);
/* −Σ p log p (natural log, 0·log 0 = 0): 0 for one-hot, log K for uniform. */
void     dls_uncertainty_entropy       (const float *p, int K, int64_t n, float *out);
/* Ensemble: M members' probability planes (each K × n); the plain mean into mean (K × n) and
 * the standard deviation across members (unbiased, M − 1; 0 when M = 1) into std (K × n, may
 * be NULL).  This is the spread, not DLSIA's std/√M (the standard error); the mean of softmaxes
 * already sums to 1, so DLSIA's renormalisation is a no-op and is left out. */
void     dls_ensemble_mean_std         (const float *const *members, int M, int K, int64_t n,
                                        float *mean, float *std);
/* The per-pixel summary of std used for maps: the std of the predicted (argmax of mean, the
 * first on ties) class. */
void     dls_uncertainty_std_of_argmax (const float *mean, const float *std, int K, int64_t n,
                                        float *out);

/* Split-conformal classification with DLSIA's LAC score s = 1 − p_true.  From the n
 * calibration pixels (labels 0 = skip, 1..K; above K skipped too),
 * q_level = ⌈(n + 1)(1 − α)⌉ / n and q̂ = the order statistic numpy's quantile picks at that
 * level with method="higher".  The sets {c : p_c > 1 − q̂} then cover the true class with
 * probability ≥ 1 − α over exchangeable pixels. */
typedef struct {
  double  alpha;
  double  qhat;
  int64_t n_calibration;
} DlsConformal;

/* FALSE with DLS_ERROR_ARGUMENT when α is not in (0, 1) or there are too few calibration
 * pixels for α (n = 0 or q_level > 1, i.e. n < 1/α − 1); c is left untouched then. */
gboolean dls_conformal_calibrate       (DlsConformal *c, double alpha, const float *p,
                                        const uint8_t *labels, int K, int64_t n,
                                        GError **error);

/* Accumulating form for calibration over many slices: collect scores, then finish. */
typedef struct _DlsConformalBuilder DlsConformalBuilder;

DlsConformalBuilder *dls_conformal_builder_new    (int K);
/* p: K × n planes of one slice, labels: n. */
void                 dls_conformal_builder_add    (DlsConformalBuilder *b, const float *p,
                                                   const uint8_t *labels, int64_t n);
int64_t              dls_conformal_builder_count  (const DlsConformalBuilder *b);
/* Frees b, whether it succeeds or not. */
gboolean             dls_conformal_builder_finish (DlsConformalBuilder *b, double alpha,
                                                   DlsConformal *out, GError **error);
/* For a builder that is abandoned (cancelled calibration). */
void                 dls_conformal_builder_free   (DlsConformalBuilder *b);

/* Prediction sets: class c (1..K) is in the set of a pixel when p_c > 1 − q̂ (strict; 1 − q̂
 * taken in float, as DLSIA's torch code does).  Sets may be empty. */
void     dls_conformal_set_size        (const DlsConformal *c, const float *p, int K, int64_t n,
                                        uint8_t *out);
/* Per pixel, 1 when the set is exactly {k} ("certainly k"), else 0; k in 1..K. */
void     dls_conformal_certain         (const DlsConformal *c, const float *p, int K, int64_t n,
                                        int k, uint8_t *out);
/* Per pixel, 1 when k is in the set ("possibly k"), else 0. */
void     dls_conformal_possible        (const DlsConformal *c, const float *p, int K, int64_t n,
                                        int k, uint8_t *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsConformalBuilder, dls_conformal_builder_free)

G_END_DECLS
