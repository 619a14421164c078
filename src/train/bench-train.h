/* SPDX-License-Identifier: MIT
 *
 * bench-train.h: the training-step benchmark behind `dlsia bench --workload` and
 * tests/bench/bench-train — one of DLSIA's networks, a batch of random images with sparse random
 * labels, and the time of one full training step (forward, cross-entropy, backward, Adam).
 *
 * It measures; it does not compare.  The PyTorch side lives in tests/bench.
 */
#pragma once

#include "models.h"

G_BEGIN_DECLS

typedef enum {
  DLS_BENCH_MSDNET, /* 50 layers, width 1, dilations 1–10, BatchNorm, in 1, out 2 */
  DLS_BENCH_SMSNET, /* the ensemble builder's defaults, 20 layers, seed 0, in 1, out 2 */
  DLS_BENCH_TUNET,  /* depth 4, base 16, growth 2, in 1, out 2 */
  DLS_BENCH_WORKLOAD_COUNT,
} DlsBenchWorkload;

const char *dls_bench_workload_name      (DlsBenchWorkload w);
gboolean    dls_bench_workload_from_name (const char *name, DlsBenchWorkload *w);

typedef struct {
  DlsBenchWorkload workload;
  int              size;    /* image side, 256 when 0 */
  int              batch;   /* 1 when 0 */
  int              steps;   /* timed steps (median), 5 when 0; two warm-up steps come first */
  int              layers;  /* MSDNet/SMSNet layers, the workload's default when 0 */
  gboolean         graph_only; /* the graph even where the trainer takes the fused MSDNet step */
} DlsBenchTrainArgs;

typedef struct {
  double  ms_per_step;  /* median of the timed steps */
  double  peak_rss_mb;  /* of the whole process so far (getrusage), so one workload a process */
  double  arena_mb;     /* the step's activations, gradients and scratch */
  int64_t n_params;     /* trainable */
  int     threads;      /* the engine's thread count during the run */
  double  loss;         /* after the last step */
  gboolean fused;       /* the fused MSDNet training step ran (not the graph) */
} DlsBenchTrainResult;

/* The workload's model, weights initialised from seed 0 (its config holds the SMSNet graph, so
 * another program can build the same network). */
DlsModel *dls_bench_train_model (const DlsBenchTrainArgs *a, GError **error);
/* Runs the benchmark on the engine's current thread count. */
gboolean  dls_bench_train       (const DlsBenchTrainArgs *a, DlsBenchTrainResult *r,
                                 GError **error);

G_END_DECLS
