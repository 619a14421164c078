/* SPDX-License-Identifier: MIT
 *
 * engine-private.h: what the engine's own files share: the node record, the graph, strided
 * views, the op table, the worker pool and the kernel entry points.
 *
 * Memory layout.  Every activation lives in a *root* buffer, N × C × (H + 2p) × (W + 2p) floats
 * with a border ("halo") of p pixels around each plane.  Convolutions ask their input for a halo
 * as wide as their padding, filled with zeros or with the reflection of the image, so kernels
 * never test for edges.  A concat owns one root buffer and its inputs are written straight into
 * their channel range of it; a slice is a view of a channel range.  So a mixed-scale dense stack
 * is one buffer that grows by a channel per layer and is never copied.  Gradients use the same
 * layout in a second arena.
 */
#pragma once

#include "engine.h"

#include <string.h>

G_BEGIN_DECLS

/* A strided view of float data: element (n, c, y, x) is p[n·sn + c·sc + y·sh + x]. */
typedef struct {
  float  *p;
  int64_t sn, sc, sh;
  int32_t halo;        /* valid border around each plane, in pixels */
} DlsView;

static inline float *
dls_view_at (DlsView v, int64_t n, int64_t c, int64_t y, int64_t x)
{
  return v.p + n * v.sn + c * v.sc + y * v.sh + x;
}

static inline DlsView
dls_view_channels (DlsView v, int c0)
{
  v.p += (int64_t) c0 * v.sc;
  return v;
}

typedef enum {
  DLS_OP_INPUT,
  DLS_OP_LABELS,
  DLS_OP_PARAM,
  DLS_OP_CONV2D,
  DLS_OP_CONV_TRANSPOSE2D,
  DLS_OP_MAXPOOL2D,
  DLS_OP_UPSAMPLE_NEAREST,
  DLS_OP_LINEAR,
  DLS_OP_BATCHNORM,
  DLS_OP_DROPOUT,
  DLS_OP_RELU,
  DLS_OP_SIGMOID,
  DLS_OP_SOFTMAX,
  DLS_OP_CONCAT,
  DLS_OP_SLICE,
  DLS_OP_RESHAPE,
  DLS_OP_ADD,
  DLS_OP_SCALE,
  DLS_OP_CROSS_ENTROPY,
  DLS_OP_MSE_MASKED,
  DLS_OP_L1_MASKED,
  DLS_OP_DICE,
  DLS_OP_FOCAL,
  DLS_OP_TVERSKY,
  DLS_OP_COUNT
} DlsOp;

/* Halo modes a reader can ask for. */
typedef enum {
  DLS_HALO_ANY,     /* only the width matters (gradient gathers read zeros after finalize) */
  DLS_HALO_ZERO,
  DLS_HALO_REFLECT,
} DlsHaloMode;

/* Convolution geometry, shared by the fast kernels and the reference loops.
 * conv2d:           x (N, C, H, W) → y (N, OC, OH, OW), w [OC, C, KH, KW]
 * conv_transpose2d: x (N, C, H, W) → y (N, OC, OH, OW), w [C, OC, KH, KW] */
typedef struct {
  int N, C, H, W;
  int OC, OH, OW;
  int KH, KW;
  int stride, pad, dil, out_pad;
  DlsPadMode mode;
} DlsConvGeom;

typedef struct _DlsNodeImpl DlsNodeImpl;

struct _DlsNodeImpl {
  DlsOp    op;
  DlsShape shape;
  char    *name;
  int      n_in;
  DlsNode *in;
  bool     requires_grad;
  bool     keep;

  union {
    struct { DlsConvGeom geo; bool has_bias; } conv;
    struct { int k, s, p; } pool;
    struct { float eps, momentum; DlsBatchNormMode mode; bool pre_relu, post_relu; } bn;
    struct { float p; } dropout;
    struct { int c0; } slice;
    struct { float s; } scale;
    struct { int ignore, k; float *weights; } ce;
    struct { float alpha, beta, gamma, smooth; } loss;
    struct { int index; DlsParamKind kind; } param;
  } a;

  /* Filled by the planner. */
  DlsNode     alias_of;   /* the node whose buffer holds this one's channels, or NONE */
  int         alias_c0;
  DlsNode     root;       /* the node owning the buffer */
  int         root_c0;    /* first channel inside the root buffer */
  int         last_use;   /* index of the last node reading this one */
  int         grad_touch; /* root only: first node (in backward order) writing its gradient */
  DlsNode     grad_assigner;      /* root only: that node, when it writes the whole gradient */
  bool        grad_assign_now;    /* root only, during backward: its assigner may overwrite */
  bool        assigns_input_grad; /* this node's backward can overwrite its input 0's gradient */
  /* Convolutions reading one tensor whose input gradients one pass sums (ops-conv.c): the
   * member with the lowest index (the last to run backward), or NONE; the next member. */
  DlsNode     dx_leader, dx_next;
  /* a concat whose inputs all write straight into it: they fill their halos after forward and
   * fold their gradients' halos before backward, so the concat does neither */
  bool        halo_by_members;
  int         halo;       /* root only: border width */
  DlsHaloMode halo_mode;  /* root only */
  bool        halo_zero_req, halo_reflect_req;
  int         kernel;     /* implementation chosen by the planner (op specific) */
  DlsView     value, grad;
  int64_t     value_off;  /* root only: offset in the value arena, in floats */
  int64_t     grad_off;
  size_t      aux_bytes;
  void       *aux;        /* op state kept from forward to backward */
};

struct _DlsGraph {
  DlsParams    *params;
  DlsNodeImpl  *nodes;
  int           n_nodes, cap;
  GError       *error;
  bool          compiled, with_backward, training;
  uint64_t      seed, step;
  const volatile int *cancel;

  float        *values;
  int64_t       values_len;
  float        *grads;
  int64_t       grads_len;
  char         *aux_arena;
  size_t        aux_len;
  float        *scratch;            /* per-thread scratch, scratch_stride floats each */
  size_t        scratch_stride;
  size_t        scratch_request;
  int           scratch_threads;
  uint8_t      *ancestor;           /* backward bookkeeping, n_nodes */
  DlsNode      *grad_roots;         /* roots with a gradient, by grad_touch descending */
  int           n_grad_roots;
  /* DLSIA_PROFILE set in the environment: seconds per node, forward and backward (with the
   * gradient's halo fold), summed over the steps run; printed to stderr when the graph is freed */
  double       *prof;               /* 2 × n_nodes, or NULL */
  int           prof_steps;
};

void dls_graph_profile_print (DlsGraph *g);

static inline DlsNodeImpl *
dls_node (DlsGraph *g, DlsNode x)
{
  return &g->nodes[x];
}

static inline DlsNodeImpl *
dls_input_node (DlsGraph *g, DlsNodeImpl *n, int i)
{
  return &g->nodes[n->in[i]];
}

/* The number of tasks an op splits its work into: fixed at compile, so results never depend on
 * how the pool happens to run them. */
static inline int
dls_graph_tasks (DlsGraph *g)
{
  return g->scratch_threads;
}

static inline float *
dls_thread_scratch (DlsGraph *g, int ith)
{
  return g->scratch + (size_t) ith * g->scratch_stride;
}

/* ---- the op table ---- */
typedef struct {
  DlsOp       op;
  const char *name;
  /* Plan: request halos on inputs, size aux and scratch, choose a kernel.  Called twice, the
   * second time with every halo final; must be idempotent.  May be NULL. */
  void (*plan)     (DlsGraph *g, DlsNodeImpl *n);
  void (*forward)  (DlsGraph *g, DlsNodeImpl *n);
  /* Accumulates into the gradients of the inputs that require one.  NULL: nothing to do. */
  void (*backward) (DlsGraph *g, DlsNodeImpl *n);
} DlsOpInfo;

const DlsOpInfo *dls_op_info (DlsOp op);

/* ---- planner services, for plan hooks ---- */
void dls_plan_request_halo    (DlsGraph *g, DlsNode x, int width, DlsHaloMode mode);
void dls_plan_request_scratch (DlsGraph *g, size_t floats_per_thread);
/* The halo of x's buffer as planned so far (final when plan hooks run the second time). */
int  dls_plan_halo            (DlsGraph *g, DlsNode x);

/* ---- graph building helpers (graph.c) ---- */
gboolean dls_graph_failed     (DlsGraph *g);
DlsNode  dls_graph_add_node   (DlsGraph *g, DlsOp op, DlsShape shape, int n_in, const DlsNode *in);
bool     dls_graph_check_node (DlsGraph *g, DlsNode x, const char *op, const char *what);

/* ---- buffers (plan.c, exec.c) ---- */
static inline bool
dls_node_owns_values (const DlsNodeImpl *n)
{
  return n->op != DLS_OP_PARAM && n->op != DLS_OP_LABELS && n->op != DLS_OP_SLICE;
}

static inline DlsHaloMode
dls_node_halo_mode (DlsGraph *g, const DlsNodeImpl *n)
{
  return g->nodes[n->root].halo_mode;
}

/* ---- halo service (exec.c) ---- */
void dls_fill_halo     (DlsView v, int n, int c, int h, int w, DlsHaloMode mode);
void dls_finalize_grad (DlsView v, int n, int c, int h, int w, DlsHaloMode mode);
/* Zeros every element of the planes outside rows [−e, h + e) × columns [−e, w + e): what an op
 * overwriting a gradient in place of adding to it does not write itself. */
void dls_zero_outside  (DlsView v, int n, int c, int h, int w, int e);
/* Whether node n may overwrite its input i's gradient now (and forget the permission). */
bool dls_take_grad_assign (DlsGraph *g, DlsNodeImpl *n, int i);
/* ops-conv.c: groups the convolutions whose input gradients are summed in one pass
 * (DlsNodeImpl.dx_leader), before the ops plan */
void dls_conv_plan_groups (DlsGraph *g);

/* ---- worker pool (pool.c) ---- */
typedef void (*DlsTaskFn) (void *ctx, int task, int n_tasks);
/* Runs fn (ctx, t, n_tasks) for t in [0, n_tasks) and waits.  Task t always runs the same work,
 * so results depend only on n_tasks, never on which thread ran what. */
void dls_parallel      (int n_tasks, DlsTaskFn fn, void *ctx);
/* Index of the calling pool thread (0 for the caller), for scratch buffers. */
int  dls_parallel_thread_index (void);
void dls_engine_init   (void);

/* Runs fn (ctx, n, c, y) for every row of a tensor of that shape, rows spread over the graph's
 * tasks.  For element-wise ops: a row is W contiguous floats in any view. */
typedef void (*DlsRowFn) (void *ctx, int n, int c, int y);
void dls_parallel_rows (DlsGraph *g, DlsShape shape, DlsRowFn fn, void *ctx);

/* Splits [0, total) into n parts; part i is [*lo, *hi). */
static inline void
dls_split (int64_t total, int n, int i, int64_t *lo, int64_t *hi)
{
  *lo = total * i / n;
  *hi = total * (i + 1) / n;
}

/* ---- kernels used across files ---- */
/* C (M×N, ldc) = alpha·op(A)·op(B) + beta·C, row major, single-threaded OpenBLAS. */
void dls_sgemm (bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc);

/* One source of a summed blocked convolution: channels [0, C) of x through a KS × KS (3 or 1)
 * "same" kernel of dilation d, weights packed by dls_block_pack; it adds nothing outside output
 * rows [r0, r1). */
typedef struct {
  DlsView x;
  const float *wp;
  int C, KS, d, r0, r1;
} DlsBlockSrc;

/* Direct 3×3 dilated "same" convolution for few output channels (ops-conv-direct.c), with halo
 * ≥ dil on the input.  The per-ISA builds are picked once at start-up. */
typedef struct {
  /* y rows [y0, y1) of sample n */
  void (*forward)          (DlsView y, DlsView x, const float *w, const float *b, int C, int OC,
                            int H, int W, int dil, int y0, int y1, int n);
  /* dW (OC·C·9) and db (OC) partial sums over output rows [y0, y1), overwritten */
  void (*backward_weights) (float *dwp, float *dbp, DlsView dy, DlsView x, int C, int OC, int W,
                            int dil, int y0, int y1, int n);
  /* dX += (or = when assign) over rows [y0, y1) and columns [xb, xe), which may reach into
   * the halo */
  void (*backward_input)   (DlsView dx, DlsView dy, const float *w, int C, int OC, int xb,
                            int xe, int dil, int y0, int y1, int n, bool assign);
  /* Output-channel blocks: y (+)= b + conv (x) over rows [y0, y1) × columns [xb, xe), a KS × KS
   * (3 or 1) "same" kernel, weights packed by dls_block_pack (ops-conv.c) */
  void (*block_conv)       (DlsView y, DlsView x, const float *wp, const float *b, int C, int OC,
                            int KS, int dil, int xb, int xe, int y0, int y1, int n,
                            bool accumulate);
  /* block_conv summed over sources, without bias: y (+)= Σ_s conv_s (x_s) */
  void (*block_conv_multi) (DlsView y, const DlsBlockSrc *src, int n_src, int OC, int xb, int xe,
                            int y0, int y1, int n, bool accumulate);
  /* 1×1: dW (OC·C) and db (OC) partial sums over rows [y0, y1), overwritten */
  void (*pointwise_backward_weights) (float *dwp, float *dbp, DlsView dy, DlsView x, int C,
                                      int OC, int W, int y0, int y1, int n);
  /* 3×3, output-channel blocks: as backward_weights */
  void (*block_backward_weights) (float *dwp, float *dbp, DlsView dy, DlsView x, int C, int OC,
                                  int W, int dil, int y0, int y1, int n);
  /* BatchNorm's row loops (ops-norm-rows.c, see ops-norm.c): Σ x, Σ (x − m)², Σ dy and
   * Σ dy·(x − m), the input gradient and the affine map, each with the folded ReLUs */
  float (*bn_sum)    (const float *r, int w, bool relu);
  float (*bn_sqdev)  (const float *r, int w, float m, bool relu);
  void  (*bn_dots)   (const float *g, const float *r, int w, float m, float a, float b, bool relu,
                      bool post, float *sa, float *sb);
  void  (*bn_dx)     (float *d, const float *g, const float *r, int w, float k, float mdy,
                      float m, float c, float a, float b, bool relu, bool post, bool assign);
  void  (*bn_affine) (float *o, const float *r, int w, float a, float b, bool relu, bool post);
  const char *isa;
} DlsDirectKernels;

extern DlsDirectKernels dls_direct_kernels;
/* Packs w [OC, C, KK] for block_conv: as is, or for the input gradient (C outputs from OC
 * inputs, taps flipped) */
void dls_block_pack (float *wp, const float *w, int OC, int C, int KK, bool input_grad);
void dls_direct_kernels_init (void);

G_END_DECLS
