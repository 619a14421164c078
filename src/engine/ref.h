/* SPDX-License-Identifier: MIT
 *
 * ref.h: the naive reference loops, one forward/backward pair per op, in double precision on
 * plain contiguous N, C, H, W arrays.  They are the definition of what each op computes: the
 * tests check them against finite differences and then check the fast float kernels against
 * them.  Backward functions *accumulate* into the gradients they are given; a NULL gradient
 * pointer is skipped.  Nothing here is fast and nothing here is used by the engine at run time.
 */
#pragma once

#include "engine-private.h"

G_BEGIN_DECLS

/* conv: x (N, C, H, W), w [OC, C, KH, KW], b [OC] or NULL → y (N, OC, OH, OW) */
void dls_ref_conv2d_forward            (double *y, const double *x, const double *w,
                                        const double *b, const DlsConvGeom *g);
void dls_ref_conv2d_backward           (double *dx, double *dw, double *db, const double *dy,
                                        const double *x, const double *w, const DlsConvGeom *g);
/* transposed conv: w [C, OC, KH, KW] */
void dls_ref_conv_transpose2d_forward  (double *y, const double *x, const double *w,
                                        const double *b, const DlsConvGeom *g);
void dls_ref_conv_transpose2d_backward (double *dx, double *dw, double *db, const double *dy,
                                        const double *x, const double *w, const DlsConvGeom *g);

/* max pooling (floor mode, zero-size padding never wins) */
void dls_ref_maxpool2d_forward  (double *y, const double *x, int N, int C, int H, int W,
                                 int k, int s, int p, int OH, int OW);
void dls_ref_maxpool2d_backward (double *dx, const double *dy, const double *x, int N, int C,
                                 int H, int W, int k, int s, int p, int OH, int OW);
/* nearest upsampling (PyTorch's "nearest": src = floor(dst · in / out)) */
void dls_ref_upsample_forward  (double *y, const double *x, int N, int C, int H, int W,
                                int OH, int OW);
void dls_ref_upsample_backward (double *dx, const double *dy, int N, int C, int H, int W,
                                int OH, int OW);
/* linear: x (N, IN), w [OUT, IN], b [OUT] or NULL → y (N, OUT) */
void dls_ref_linear_forward  (double *y, const double *x, const double *w, const double *b,
                              int N, int IN, int OUT);
void dls_ref_linear_backward (double *dx, double *dw, double *db, const double *dy,
                              const double *x, const double *w, int N, int IN, int OUT);

/* batch norm over N·HW per channel.  mean/var NULL: batch statistics (biased variance);
 * otherwise those (eval mode).  gamma/beta NULL: affine=False. */
void dls_ref_batchnorm_forward  (double *y, const double *x, const double *gamma,
                                 const double *beta, const double *mean, const double *var,
                                 int N, int C, int HW, double eps);
void dls_ref_batchnorm_backward (double *dx, double *dgamma, double *dbeta, const double *dy,
                                 const double *x, const double *gamma, const double *mean,
                                 const double *var, int N, int C, int HW, double eps);

/* element-wise; softmax over C of (N, C, HW) */
void dls_ref_relu_forward     (double *y, const double *x, int64_t n);
void dls_ref_relu_backward    (double *dx, const double *dy, const double *x, int64_t n);
void dls_ref_sigmoid_forward  (double *y, const double *x, int64_t n);
void dls_ref_sigmoid_backward (double *dx, const double *dy, const double *x, int64_t n);
void dls_ref_softmax_forward  (double *y, const double *x, int N, int C, int HW);
void dls_ref_softmax_backward (double *dx, const double *dy, const double *x, int N, int C,
                               int HW);
/* dropout with a given keep mask (1 kept, 0 dropped) */
void dls_ref_dropout_forward  (double *y, const double *x, const uint8_t *keep, double p,
                               int64_t n);
void dls_ref_dropout_backward (double *dx, const double *dy, const uint8_t *keep, double p,
                               int64_t n);

/* losses (scalar results) */
double dls_ref_cross_entropy_forward  (const double *logits, const int32_t *labels, int N, int K,
                                       int HW, int ignore, const double *weights);
void   dls_ref_cross_entropy_backward (double *dlogits, double dloss, const double *logits,
                                       const int32_t *labels, int N, int K, int HW, int ignore,
                                       const double *weights);
/* l1: false for squared error.  mask may be NULL. */
double dls_ref_masked_forward  (const double *p, const double *t, const double *mask, int64_t n,
                                bool l1);
void   dls_ref_masked_backward (double *dp, double *dt, double dloss, const double *p,
                                const double *t, const double *mask, int64_t n, bool l1);
double dls_ref_dice_forward     (const double *p, const double *t, int64_t n, double smooth);
void   dls_ref_dice_backward    (double *dp, double dloss, const double *p, const double *t,
                                 int64_t n, double smooth);
double dls_ref_focal_forward    (const double *p, const double *t, int64_t n, double alpha,
                                 double gamma);
void   dls_ref_focal_backward   (double *dp, double dloss, const double *p, const double *t,
                                 int64_t n, double alpha, double gamma);
double dls_ref_tversky_forward  (const double *p, const double *t, int64_t n, double alpha,
                                 double beta, double smooth);
void   dls_ref_tversky_backward (double *dp, double dloss, const double *p, const double *t,
                                 int64_t n, double alpha, double beta, double smooth);

G_END_DECLS
