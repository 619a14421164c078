/* SPDX-License-Identifier: MIT
 *
 * engine.h: the public API of the DLSIA Studio compute engine.
 *
 * float32 tensors in N, C, (D,) H, W order, a graph of ops built once per input shape, reverse-mode
 * gradients, parameters in one contiguous buffer per model, an activation arena reused every
 * step, and a worker pool that owns the cores (OpenBLAS runs single-threaded inside it).
 *
 * Building a graph never fails loudly: an op given shapes that do not fit records a GError on the
 * graph (the first one wins), returns DLS_NODE_NONE, and every later op that receives
 * DLS_NODE_NONE does the same quietly.  dls_graph_compile() hands the error back.  So a model
 * builder writes its layers straight through and checks once.
 *
 * What it deliberately does not do: automatic broadcasting, dtypes other than float32 (labels
 * are int32 inputs), 3-D spatial ops (the depth axis is in DlsShape, every op checks d == 1).
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

G_BEGIN_DECLS

#define DLS_ERROR (dls_error_quark ())
typedef enum {
  DLS_ERROR_SHAPE,      /* shapes of the inputs of an op do not fit */
  DLS_ERROR_ARGUMENT,   /* a bad argument (negative stride, unknown name, …) */
  DLS_ERROR_MEMORY,     /* an allocation failed */
  DLS_ERROR_STATE,      /* the call does not fit the object's state (compile twice, …) */
  DLS_ERROR_CANCELLED,
} DlsError;
GQuark dls_error_quark (void);

/* ---------------------------------------------------------------------------------------------
 * Threads.  The engine owns one worker pool shared by every graph; OpenBLAS is set to one thread
 * and called from inside the pool, so the two never oversubscribe the cores.  Results are
 * deterministic for a fixed thread count.
 */
void        dls_engine_set_threads       (int n_threads); /* 0: all online cores */
int         dls_engine_get_threads       (void);
const char *dls_engine_blas_corename     (void);          /* OpenBLAS kernel in use */
const char *dls_engine_kernel_isa        (void);          /* "avx512", "avx2" or "generic" */

/* ---------------------------------------------------------------------------------------------
 * Randomness is explicit: a state passed in, seeded by the caller.  xoshiro256**.
 */
typedef struct {
  uint64_t s[4];
} DlsRng;

void     dls_rng_init           (DlsRng *rng, uint64_t seed);
uint64_t dls_rng_next           (DlsRng *rng);
double   dls_rng_uniform        (DlsRng *rng);            /* [0, 1) */
double   dls_rng_normal         (DlsRng *rng);            /* N(0, 1) */
uint32_t dls_rng_below          (DlsRng *rng, uint32_t n); /* [0, n) */
/* A stateless hash for counter-based streams (dropout masks). */
uint64_t dls_hash64             (uint64_t x);

/* ---------------------------------------------------------------------------------------------
 * Shapes.  Every tensor is N, C, D, H, W; 2-D images have d == 1, flat vectors h == w == d == 1.
 */
typedef struct {
  int32_t n, c, d, h, w;
} DlsShape;

#define DLS_SHAPE(N, C, H, W) ((DlsShape) { (N), (C), 1, (H), (W) })
#define DLS_SHAPE_FLAT(N, C)  ((DlsShape) { (N), (C), 1, 1, 1 })

static inline int64_t
dls_shape_numel (DlsShape s)
{
  return (int64_t) s.n * s.c * s.d * s.h * s.w;
}

static inline bool
dls_shape_equal (DlsShape a, DlsShape b)
{
  return a.n == b.n && a.c == b.c && a.d == b.d && a.h == b.h && a.w == b.w;
}

/* ---------------------------------------------------------------------------------------------
 * Parameters of one model: named tensors, each of one kind.  Trainable weights, their gradients
 * and the optimizer's moments each live in one contiguous buffer; non-trainable float buffers
 * (BatchNorm running statistics) in a second; int64 counters (num_batches_tracked) in a third.
 * Entries are added while graphs are built; the first compile allocates (zero-filled) and
 * freezes the set.  Several graphs (a training graph on patches, an inference graph on whole
 * slices) share one DlsParams.
 */
typedef enum {
  DLS_PARAM_WEIGHT,
  DLS_PARAM_BUFFER,
  DLS_PARAM_COUNTER,
} DlsParamKind;

#define DLS_MAX_DIMS 5

typedef struct {
  char        *name;
  DlsParamKind kind;
  int          ndim;
  int64_t      shape[DLS_MAX_DIMS];
  int64_t      numel;
  int64_t      offset;  /* in elements, inside the buffer of its kind */
} DlsParamInfo;

typedef struct _DlsParams DlsParams;

DlsParams          *dls_params_new            (void);
DlsParams          *dls_params_ref            (DlsParams *p);
void                dls_params_unref          (DlsParams *p);
/* Adds an entry, or returns the existing one of that name when kind and shape agree. */
int                 dls_params_add            (DlsParams *p, const char *name, DlsParamKind kind,
                                               int ndim, const int64_t *shape, GError **error);
int                 dls_params_find           (DlsParams *p, const char *name);
int                 dls_params_count          (DlsParams *p);
const DlsParamInfo *dls_params_info           (DlsParams *p, int index);
gboolean            dls_params_alloc          (DlsParams *p, GError **error);
gboolean            dls_params_is_allocated   (DlsParams *p);
float              *dls_params_data           (DlsParams *p, int index); /* weight or buffer */
float              *dls_params_grad           (DlsParams *p, int index); /* weights only */
int64_t            *dls_params_counter        (DlsParams *p, int index);
int64_t             dls_params_n_weights      (DlsParams *p);            /* trainable floats */
float              *dls_params_weights        (DlsParams *p);
float              *dls_params_grads          (DlsParams *p);
void                dls_params_zero_grad      (DlsParams *p);
void                dls_params_clip_grad_value (DlsParams *p, float clip);
/* Copies every entry (weights, buffers, counters) from src, which must have the same layout. */
gboolean            dls_params_copy_from      (DlsParams *dst, DlsParams *src, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsParams, dls_params_unref)

/* ---------------------------------------------------------------------------------------------
 * Optimizers, with PyTorch's semantics (torch.optim.Adam and SGD, weight decay as L2 added to the
 * gradient).  Moments live in contiguous buffers beside the parameters.
 */
/* Hyperparameters are doubles, as Python floats are in torch.optim: 1 − β2 is then computed
 * from 0.999, not from its float approximation. */
typedef struct {
  double lr;            /* 1e-3 when 0 */
  double beta1, beta2;  /* 0.9, 0.999 when both 0 */
  double eps;           /* 1e-8 when 0 */
  double weight_decay;
} DlsAdamArgs;

typedef struct {
  double lr;
  double momentum;
  double dampening;
  double weight_decay;
  bool   nesterov;
} DlsSgdArgs;

typedef struct _DlsOptimizer DlsOptimizer;

DlsOptimizer *dls_optimizer_new_adam (DlsParams *p, const DlsAdamArgs *args);
DlsOptimizer *dls_optimizer_new_sgd  (DlsParams *p, const DlsSgdArgs *args);
void          dls_optimizer_step     (DlsOptimizer *opt);
void          dls_optimizer_set_lr   (DlsOptimizer *opt, double lr);
int64_t       dls_optimizer_steps    (DlsOptimizer *opt);
void          dls_optimizer_free     (DlsOptimizer *opt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsOptimizer, dls_optimizer_free)

/* ---------------------------------------------------------------------------------------------
 * Graphs.
 */
typedef int32_t DlsNode;
#define DLS_NODE_NONE ((DlsNode) -1)

typedef struct _DlsGraph DlsGraph;

typedef enum {
  DLS_PAD_ZEROS,
  DLS_PAD_REFLECT,   /* PyTorch's "reflect": the edge pixel is not repeated */
} DlsPadMode;

typedef struct {
  int        stride;    /* 1 when 0 */
  int        padding;
  int        dilation;  /* 1 when 0 */
  DlsPadMode pad_mode;
} DlsConvArgs;

typedef struct {
  int stride;             /* 1 when 0 */
  int padding;
  int output_padding[2];  /* height, width */
  int dilation;           /* 1 when 0 */
} DlsConvTransposeArgs;

typedef enum {
  DLS_BN_RUNNING_STATS, /* PyTorch's default: batch statistics in training, running ones in eval */
  DLS_BN_BATCH_STATS,   /* track_running_stats=False: always the current batch's statistics */
} DlsBatchNormMode;

typedef struct {
  float            eps;      /* 1e-5 when 0 */
  float            momentum; /* 0.1 when 0 */
  DlsBatchNormMode mode;
  bool             pre_relu; /* normalise relu(x): a ReLU folded in, so its output is never
                              * stored (MSDNet's and MSAE's ReLU → BatchNorm) */
  bool             post_relu; /* relu(BatchNorm(x)): the ReLU after it folded in, so the
                               * normalised map and its gradient are never stored (U-Net's and
                               * SMSNet's conv → BatchNorm → ReLU) */
} DlsBatchNormArgs;

DlsGraph       *dls_graph_new          (DlsParams *params); /* NULL: a new, private set */
void            dls_graph_free         (DlsGraph *g);
DlsParams      *dls_graph_get_params   (DlsGraph *g);
const GError   *dls_graph_get_error    (DlsGraph *g);       /* the first build error, or NULL */
int             dls_graph_n_nodes      (DlsGraph *g);
DlsShape        dls_graph_shape        (DlsGraph *g, DlsNode x);
const char     *dls_graph_node_name    (DlsGraph *g, DlsNode x);
const char     *dls_graph_op_name      (DlsGraph *g, DlsNode x);

/* Records a build error on the graph (the first one wins), for model builders' own checks. */
void            dls_graph_fail         (DlsGraph *g, DlsError code, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

/* Leaves.  Inputs are filled before each forward; parameters come from the DlsParams. */
DlsNode dls_graph_input        (DlsGraph *g, const char *name, DlsShape shape, bool requires_grad);
DlsNode dls_graph_input_labels (DlsGraph *g, const char *name, int n, int h, int w);
DlsNode dls_graph_param        (DlsGraph *g, const char *name, int ndim, const int64_t *shape);
DlsNode dls_graph_buffer       (DlsGraph *g, const char *name, int ndim, const int64_t *shape);
DlsNode dls_graph_counter      (DlsGraph *g, const char *name);

/* Convolutions: weights as PyTorch stores them, [OC, C, KH, KW] for conv2d and [C, OC, KH, KW]
 * for conv_transpose2d; b may be DLS_NODE_NONE. */
DlsNode dls_graph_conv2d           (DlsGraph *g, DlsNode x, DlsNode w, DlsNode b,
                                    const DlsConvArgs *args);
DlsNode dls_graph_conv_transpose2d (DlsGraph *g, DlsNode x, DlsNode w, DlsNode b,
                                    const DlsConvTransposeArgs *args);
DlsNode dls_graph_maxpool2d        (DlsGraph *g, DlsNode x, int kernel, int stride, int padding);
DlsNode dls_graph_upsample_nearest (DlsGraph *g, DlsNode x, int h, int w);
/* x (N, IN) with h == w == 1, w [OUT, IN], b [OUT] or NONE. */
DlsNode dls_graph_linear           (DlsGraph *g, DlsNode x, DlsNode w, DlsNode b);

/* BatchNorm over N·H·W per channel (2d) or over N (1d, h == w == 1).  gamma/beta may be NONE
 * (affine=False); running_mean/var/counter must be given in DLS_BN_RUNNING_STATS mode. */
DlsNode dls_graph_batchnorm        (DlsGraph *g, DlsNode x, DlsNode gamma, DlsNode beta,
                                    DlsNode running_mean, DlsNode running_var, DlsNode counter,
                                    const DlsBatchNormArgs *args);
DlsNode dls_graph_dropout          (DlsGraph *g, DlsNode x, float p);
DlsNode dls_graph_relu             (DlsGraph *g, DlsNode x);
DlsNode dls_graph_sigmoid          (DlsGraph *g, DlsNode x);
DlsNode dls_graph_softmax          (DlsGraph *g, DlsNode x); /* over channels */

DlsNode dls_graph_concat           (DlsGraph *g, int n, const DlsNode *xs); /* along channels */
DlsNode dls_graph_slice            (DlsGraph *g, DlsNode x, int c0, int c1); /* channels [c0, c1) */
DlsNode dls_graph_reshape          (DlsGraph *g, DlsNode x, DlsShape shape);
DlsNode dls_graph_flatten          (DlsGraph *g, DlsNode x); /* (N, C·D·H·W) */
DlsNode dls_graph_add              (DlsGraph *g, DlsNode a, DlsNode b);
DlsNode dls_graph_scale            (DlsGraph *g, DlsNode x, float s);

/* Losses: each a scalar node (1, 1, 1, 1), the mean over what counts.
 * cross_entropy: softmax over channels of logits (N, K, H, W) against int32 labels (N, H, W);
 *   pixels whose label is ignore_label do not count; class_weights (K floats, copied) or NULL
 *   weigh pixels as PyTorch does (Σ w_y·loss / Σ w_y).
 * mse_masked / l1_masked: Σ mask·err / Σ mask (mask may be NONE: a plain mean).
 * dice, focal, tversky: binary losses on probabilities p and targets t, flattened (DLSIA's
 *   custom_losses): dice 1 − (2Σpt + s)/(Σp + Σt + s); focal α(1 − e^−BCE)^γ·BCE of the mean
 *   BCE; tversky 1 − (TP + s)/(TP + α·FP + β·FN + s). */
DlsNode dls_graph_cross_entropy (DlsGraph *g, DlsNode logits, DlsNode labels, int ignore_label,
                                 const float *class_weights);
DlsNode dls_graph_mse_masked    (DlsGraph *g, DlsNode pred, DlsNode target, DlsNode mask);
DlsNode dls_graph_l1_masked     (DlsGraph *g, DlsNode pred, DlsNode target, DlsNode mask);
DlsNode dls_graph_dice          (DlsGraph *g, DlsNode p, DlsNode t, float smooth);
DlsNode dls_graph_focal         (DlsGraph *g, DlsNode p, DlsNode t, float alpha, float gamma);
DlsNode dls_graph_tversky       (DlsGraph *g, DlsNode p, DlsNode t, float alpha, float beta,
                                 float smooth);

/* Keeps a node's value until the end of a forward pass in an inference graph (whose memory is
 * otherwise reused as soon as a value is dead).  Loss and the last node are always kept. */
void     dls_graph_mark_output (DlsGraph *g, DlsNode x);

/* Plans memory and allocates.  with_backward keeps every activation and allocates gradients
 * (sharing memory between gradients whose lifetimes in backward do not overlap);
 * without it, activations share memory by lifetime and backward is refused. */
gboolean dls_graph_compile     (DlsGraph *g, bool with_backward, GError **error);
size_t   dls_graph_arena_bytes (DlsGraph *g); /* activations + gradients + scratch */

void     dls_graph_set_training (DlsGraph *g, bool training); /* BatchNorm, dropout; default on */
bool     dls_graph_get_training (DlsGraph *g);
void     dls_graph_set_seed     (DlsGraph *g, uint64_t seed); /* dropout stream */
/* A flag checked between nodes; when it reads non-zero, forward/backward stop and return FALSE. */
void     dls_graph_set_cancel_flag (DlsGraph *g, const volatile int *flag);

/* Inputs and outputs are plain contiguous arrays in N, C, H, W order. */
gboolean dls_graph_set_input   (DlsGraph *g, DlsNode x, const float *data, GError **error);
gboolean dls_graph_set_labels  (DlsGraph *g, DlsNode x, const int32_t *labels, GError **error);
gboolean dls_graph_forward     (DlsGraph *g);
/* Accumulates gradients of `from` into every node that requires one (parameter gradients add up
 * until dls_params_zero_grad).  dout: the gradient of `from` (NCHW), or NULL for 1 when `from`
 * is a scalar. */
gboolean dls_graph_backward    (DlsGraph *g, DlsNode from, const float *dout);
void     dls_graph_read        (DlsGraph *g, DlsNode x, float *out);
/* The gradient of an input, of a node marked with dls_graph_mark_output, or of a loss.  Other
 * nodes' gradients share memory by lifetime: backward overwrites them once they are used. */
void     dls_graph_read_grad   (DlsGraph *g, DlsNode x, float *out);
float    dls_graph_scalar      (DlsGraph *g, DlsNode x);

/* ---------------------------------------------------------------------------------------------
 * MSDNet inference in eval mode (msd.c): DLSIA's layer layout — layer i convolves the C_in + i·w
 * channels so far into w new ones, then ReLU and BatchNorm (running statistics, given here as
 * scale a = γ/√(var + ε) and shift b = β − mean·a) run over the whole stack — computed without
 * rewriting the stack each layer.  One image, C_in × H × W in, out_channels × H × W out.
 */
typedef struct {
  int                 in_channels, out_channels, num_layers, width;
  bool                input_relu;  /* DLSIA ReLUs the raw input first */
  const int          *dilations;   /* num_layers × width */
  const float *const *w;           /* num_layers × width weights of C_i × 3 × 3 */
  const float *const *b;           /* num_layers × width biases (one float each) */
  const float *const *bn_scale;    /* num_layers arrays of C_{i+1}, or NULL without BatchNorm */
  const float *const *bn_shift;
  const float        *final_w;     /* out_channels × (C_in + num_layers·width) */
  const float        *final_b;     /* out_channels, or NULL */
} DlsMsdEval;

/* Buffers kept between calls (the raw maps of a 1024² slice of a 50-layer net are 200 MB):
 * a stack of slices allocates and faults them in once.  NULL: private ones per call. */
typedef struct _DlsMsdWork DlsMsdWork;

DlsMsdWork *dls_msd_work_new      (void);
void        dls_msd_work_free     (DlsMsdWork *w);
gboolean    dls_msd_eval_forward  (const DlsMsdEval *net, DlsMsdWork *work, const float *x,
                                   int h, int w, float *out, const volatile int *cancel,
                                   GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsMsdWork, dls_msd_work_free)

/* MSDNet training step (msd-train.c): the same layout in training mode — BatchNorm with batch
 * statistics that moves the running ones as PyTorch does (momentum, unbiased variance,
 * num_batches_tracked) — in memory linear in depth (raw maps and their gradients, not every
 * layer's stack).  Pointers are the model's own tensors, so an optimizer over the same
 * parameters steps what backward accumulated.  No dropout. */
typedef struct {
  int                 in_channels, out_channels, num_layers, width;
  bool                input_relu;
  const int          *dilations;          /* num_layers × width */
  const float *const *w, *const *b;       /* num_layers × width: C_i × 3 × 3 weights, 1 bias */
  float *const       *dw, *const *db;     /* their gradients (+=), or NULL */
  /* BatchNorm after each layer over its C_{i+1} channels; gamma NULL: a plain ReLU */
  const float *const *gamma, *const *beta;
  float *const       *dgamma, *const *dbeta;
  float *const       *running_mean, *const *running_var;
  int64_t *const     *num_batches_tracked;
  float               eps, momentum;      /* 1e-5 and 0.1 when 0 */
  const float        *final_w, *final_b;  /* out_channels × C_total, out_channels (or NULL) */
  float              *final_dw, *final_db;
} DlsMsdTrain;

typedef struct _DlsMsdTrainWork DlsMsdTrainWork;

DlsMsdTrainWork *dls_msd_train_work_new   (void);
void             dls_msd_train_work_free  (DlsMsdTrainWork *w);
size_t           dls_msd_train_work_bytes (const DlsMsdTrainWork *w);
/* x (n, in_channels, h, w) → out (n, out_channels, h, w); keeps in work what backward needs. */
gboolean dls_msd_train_forward  (const DlsMsdTrain *net, DlsMsdTrainWork *work, const float *x,
                                 int n, int h, int w, float *out, const volatile int *cancel,
                                 GError **error);
/* dout: dLoss/d out of the last forward; accumulates into every gradient given. */
gboolean dls_msd_train_backward (const DlsMsdTrain *net, DlsMsdTrainWork *work, const float *dout,
                                 const volatile int *cancel, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DlsMsdTrainWork, dls_msd_train_work_free)

/* ---------------------------------------------------------------------------------------------
 * Benchmark (tests/bench and `dlsia bench`): conv2d forward+backward GFLOP/s beside cblas_sgemm.
 */
typedef struct {
  int  size;        /* image side, 256 by default */
  int  repeats;     /* timed repetitions per shape (median), 5 by default */
  bool quick;       /* a few shapes only */
} DlsBenchArgs;

int dls_bench_conv (FILE *out, const DlsBenchArgs *args);

/* The median of v[0, n), n ≥ 1; sorts v in place.  For the benchmarks' timings. */
double dls_median (double *v, int n);

G_END_DECLS
