/* SPDX-License-Identifier: MIT
 *
 * check.h: the harness every op test goes through.  A Case names its leaves (inputs, weights,
 * buffers, labels), a reference forward and backward in double precision, and a function that
 * builds the same op in an engine graph.  check_case() then
 *   1. checks the reference backward against central finite differences of the reference
 *      forward, in double, on a sample of elements of every differentiable leaf;
 *   2. builds the op in the engine (float32, halos, thread pool) with 1 and with 3 tasks, runs
 *      forward and backward, and compares output and gradients with the reference;
 *   3. runs forward and backward again and asserts bit-identical results (arena reuse, lazy
 *      gradient zeroing).
 */
#pragma once

#include "engine.h"
#include "ref.h"

typedef enum {
  LEAF_INPUT,
  LEAF_WEIGHT,
  LEAF_BUFFER,
  LEAF_COUNTER,
  LEAF_LABELS,
} LeafKind;

typedef struct {
  LeafKind kind;
  char     name[32];
  DlsShape shape;            /* inputs and labels (labels: c = 1) */
  int      ndim;             /* weights and buffers */
  int64_t  dims[DLS_MAX_DIMS];
  bool     grad;             /* differentiated and checked */
  int64_t  n;
  double  *v;                /* values, already rounded to float */
  int32_t *labels;
} Leaf;

typedef struct _Case Case;

struct _Case {
  char     name[160];
  int      n_leaves;
  Leaf     leaf[16];
  DlsShape out;
  void   (*ref_forward)  (Case *c, double *out);
  /* grads[i] is NULL for leaves without a gradient; accumulate into the others */
  void   (*ref_backward) (Case *c, const double *dout, double **grads);
  DlsNode (*build)       (Case *c, DlsGraph *g, const DlsNode *leaves);
  bool     training;         /* graph mode */
  bool     halo_out;         /* conv cases: give the output a halo (a padded consumer) */
  double   tol;              /* engine vs reference, relative to the largest value */
  double   fd_tol;           /* finite differences vs reference backward */
  union {
    DlsConvGeom conv;
    struct { int k, s, p; } pool;
    struct { int c0, c1; } slice;
    struct {
      float eps;
      DlsBatchNormMode mode;
      bool affine, eval, pre_relu, post_relu;
      bool residual; /* x + BatchNorm (x) */
    } bn;
    struct { int ignore; bool weighted; double weights[8]; } ce;
    struct { double alpha, beta, gamma, smooth; bool l1, masked; } loss;
    double scale;
  } a;
};

void     case_init    (Case *c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
void     case_clear   (Case *c);
Leaf    *leaf_input   (Case *c, const char *name, DlsShape s, bool grad, double lo, double hi,
                       DlsRng *rng);
Leaf    *leaf_weight  (Case *c, const char *name, int ndim, const int64_t *dims, bool grad,
                       double lo, double hi, DlsRng *rng);
Leaf    *leaf_buffer  (Case *c, const char *name, int64_t n, double lo, double hi, DlsRng *rng);
Leaf    *leaf_counter (Case *c, const char *name);
Leaf    *leaf_labels  (Case *c, const char *name, int n, int h, int w, int classes, int ignore,
                       double ignore_fraction, DlsRng *rng);
void     check_case   (Case *c, DlsRng *rng);

/* Largest |a − b| over n values, and the largest |b|. */
double   max_abs_diff (const float *a, const double *b, int64_t n, double *scale);
