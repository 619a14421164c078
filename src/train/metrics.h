/* SPDX-License-Identifier: MIT
 *
 * metrics.h: scores of a prediction against labels — the confusion matrix of a segmentation
 * with per-class F1 and IoU and their micro/macro summaries (DLSIA's torchmetrics numbers), the
 * Pearson correlation DLSIA logs for regression and autoencoders, and the adjusted Rand index of
 * two clusterings.  Plain arrays in, numbers out: no model, no I/O, no GTK.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* Confusion counts of predicted vs true class over pixels; labels follow the label-file
 * convention: 0 = unlabelled (skipped), 1..K = classes.  A pixel counts only when both its
 * truth and its prediction are in 1..K (truth 0 is unlabelled; a value above K, or a
 * prediction of 0, is not a class and the pixel is left out). */
typedef struct {
  int      K;
  int64_t *counts;   /* K × K, row = truth, column = prediction (both class − 1) */
} DlsConfusion;

void     dls_confusion_init      (DlsConfusion *c, int K);
void     dls_confusion_clear     (DlsConfusion *c);
void     dls_confusion_reset     (DlsConfusion *c);  /* counts back to 0, K kept */
/* pred and truth are uint8 arrays of n; accumulates (call once per slice). */
void     dls_confusion_add       (DlsConfusion *c, const uint8_t *pred, const uint8_t *truth,
                                  int64_t n);
int64_t  dls_confusion_pixels    (const DlsConfusion *c);
/* Class k in 1..K; NaN when the class is absent from both truth and prediction. */
double   dls_confusion_f1        (const DlsConfusion *c, int k);
double   dls_confusion_iou       (const DlsConfusion *c, int k);
/* Pixel accuracy (= micro F1 for single-label prediction); NaN with no pixels. */
double   dls_confusion_f1_micro  (const DlsConfusion *c);
/* Mean over the classes present in truth or prediction (torchmetrics' macro: a class with no
 * support and no prediction is skipped; one with either and no hit scores 0); NaN if none. */
double   dls_confusion_f1_macro  (const DlsConfusion *c);
double   dls_confusion_iou_mean  (const DlsConfusion *c);
/* One JSON line (no newline): {"classes": K, "f1": [..], "iou": [..], "mean_f1": x,
 * "mean_iou": x, "f1_micro": x, "pixels": n}; NaN is written as null.  g_free it. */
char    *dls_confusion_to_json   (const DlsConfusion *c);

/* Pearson correlation of a and b over the n values where mask is non-zero (mask may be NULL);
 * double accumulation, two passes.  NaN when fewer than two values count or a side is
 * constant. */
double   dls_pearson             (const float *a, const float *b, const uint8_t *mask,
                                  int64_t n);
/* The same, streamed over blocks (slices, batches): each block is centred on its own means
 * and merged (Chan et al.), so the sums stay exact for values with a large offset.  mask:
 * values count where it is non-zero (NULL: all). */
typedef struct {
  double n, ma, mb;      /* count and means */
  double caa, cbb, cab;  /* centred sums of squares and products */
  double sq_err;         /* Σ (a − b)² */
} DlsPearsonAcc;

void     dls_pearson_acc_add     (DlsPearsonAcc *acc, const float *a, const float *b,
                                  const float *mask, int64_t n);
double   dls_pearson_acc_cc      (const DlsPearsonAcc *acc);  /* NaN: < 2 values, or constant */
double   dls_pearson_acc_mse     (const DlsPearsonAcc *acc);
/* Adjusted Rand index (Hubert & Arabie) of two labelings of n items (any non-negative ints),
 * as sklearn's adjusted_rand_score: 1 for the same partition under any relabelling, about 0
 * for independent ones, 1 when both are the same trivial partition (or n < 2). */
double   dls_adjusted_rand_index (const int *a, const int *b, int64_t n);

G_END_DECLS
