/* SPDX-License-Identifier: MIT
 *
 * models.h: DLSIA's networks as engine graphs, built from a plain config.
 *
 * A model is a config plus a DlsParams.  The config is plain data that fully determines the graph
 * (an SMSNet's config holds its sampled graph) and maps one to one onto JSON with DLSIA's
 * constructor argument names.  Tensor names, shapes and their order are those of DLSIA's PyTorch
 * state_dict, so weights move between this program and PyTorch unchanged.
 *
 * What it does not do: read or write files (src/io does), train (src/train does).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "engine.h"

G_BEGIN_DECLS

typedef enum {
  DLS_ARCH_MSDNET,
  DLS_ARCH_TUNET,
  DLS_ARCH_SMSNET,
  DLS_ARCH_MSAE,
  DLS_ARCH_SAE,
  DLS_ARCH_COUNT,
} DlsArch;

const char *dls_arch_name       (DlsArch arch);            /* "msdnet", "tunet", … */
gboolean    dls_arch_from_name  (const char *name, DlsArch *arch);

/* An SMSNet graph: node 0 is the input I, node n_nodes − 1 the output O; edges are applied in
 * this order (which fixes the channel order of every concatenation), and every edge leaving a
 * node comes after every edge entering it.  sizes[] are the nodes' scale powers (all 0 for a
 * size-preserving network; −1 is half size). */
typedef struct {
  int from, to, dilation, channels;
} DlsSmsEdge;

typedef struct {
  int         n_nodes;
  int         n_edges;
  DlsSmsEdge *edges;
  int        *sizes;
} DlsSmsGraph;

typedef enum {
  DLS_SMS_DILATION_EDGES,
  DLS_SMS_DILATION_NODE,
  DLS_SMS_DILATION_NODE_CYCLIC,
} DlsSmsDilationMode;

typedef enum {
  DLS_SMS_CLASSIFICATION,
  DLS_SMS_REGRESSION,
  DLS_SMS_REGRESSION_SIGMOID,
  DLS_SMS_REGRESSION_POSITIVE,  /* 1×1 conv, BatchNorm (batch statistics), ReLU */
} DlsSmsNetworkType;

/* Everything the random SMSNet graph sampler needs (DLSIA's random_SMS_network arguments). */
typedef struct {
  int    layers;
  int   *dilation_choices;
  int    n_dilation_choices;
  int   *hidden_out_channels;
  int    n_hidden_out_channels;
  double alpha, gamma;          /* LL_alpha, LL_gamma */
  double max_degree;            /* LL_max_degree; <= 0: None (treated as 1, as DLSIA does) */
  double min_degree;            /* LL_min_degree */
  double p_il, p_lo;            /* IL, LO */
  gboolean io;                  /* IO */
  DlsSmsDilationMode dilation_mode;
  int    min_power, max_power;  /* node scales (both 0: size-preserving) */
} DlsSmsGraphArgs;

/* The config of one model.  Fields of other architectures are ignored. */
typedef struct {
  DlsArch  arch;
  int      in_channels, out_channels;
  uint64_t seed;

  /* Input normalisation applied before the network (raw → clip((x − low)/(high − low), 0, 1),
   * after log(1 + x) when norm_log).
   * Absent in a model fresh from `dlsia init`: raw values go in. */
  gboolean norm_set;
  double   norm_low, norm_high;          /* the raw values mapped to 0 and 1 */
  double   norm_p_low, norm_p_high;      /* the percentiles they came from */
  gboolean norm_log;                     /* log(1 + max(x, 0)) first (scattering data) */

  /* msdnet, tunet: trained for regression (inpainting) rather than classes ("task"). */
  gboolean regression;

  /* Split-conformal calibration from held-out labelled pixels (DLSIA's 1 − p_true score):
   * class c is in a pixel's prediction set when p_c > 1 − qhat. */
  gboolean conformal_set;
  double   conformal_alpha, conformal_qhat;
  int64_t  conformal_n;

  /* msdnet */
  int      num_layers, layer_width, max_dilation;
  int     *custom_dilations;             /* NULL: ((i·w + j) mod max_dilation) + 1 */
  int      n_custom_dilations;
  gboolean batchnorm;                    /* msdnet, tunet: normalization=BatchNorm2d */
  gboolean dropout_set;
  double   dropout[3];                   /* initial, hidden, final */

  /* tunet */
  int      image_shape[2];
  int      depth, base_channels;
  double   growth_rate, hidden_rate;

  /* smsnet (and the two halves of sae) */
  DlsSmsGraphArgs   sms;
  DlsSmsNetworkType network_type;
  int               in_shape[2], out_shape[2], stride_base;
  DlsSmsGraph       graph;

  /* msae */
  int      input_shape[3];               /* C, H, W */
  int      latent_dimension, ms_depth;   /* and depth, base_channels, growth_rate, max_dilation */
  gboolean final_sigmoid;                /* msae final_action "Sigmoid" */

  /* sae */
  int      latent_shape[2];
  int     *latent_sequence;
  int      n_latent_sequence;
  double   dropout_p;
  int      hidden_channels;
  DlsSmsGraph encoder_graph, decoder_graph;
} DlsModelConfig;

/* DLSIA's defaults for an architecture (for SMSNet those of its ensemble builder: hidden
 * channels 3 × out_channels, dilations 1–4, α = γ = 0, IL = LO = 0.995, IO on). */
void            dls_model_config_init     (DlsModelConfig *cfg, DlsArch arch);
void            dls_model_config_clear    (DlsModelConfig *cfg);
void            dls_model_config_copy     (DlsModelConfig *dst, const DlsModelConfig *src);
/* Checks ranges; samples the SMSNet/SAE graphs from cfg->seed when they are not set yet. */
gboolean        dls_model_config_finish   (DlsModelConfig *cfg, GError **error);
JsonNode       *dls_model_config_to_json  (const DlsModelConfig *cfg);
gboolean        dls_model_config_from_json (DlsModelConfig *cfg, JsonNode *node, GError **error);

void            dls_sms_graph_clear       (DlsSmsGraph *g);
void            dls_sms_graph_copy        (DlsSmsGraph *dst, const DlsSmsGraph *src);
/* Samples a graph with DLSIA's intended rule (reference §2.4 step 1, not its relabelling
 * quirk).  Fails when no path from I to O is left (IO off and every hidden node dropped). */
gboolean        dls_sms_graph_sample      (DlsSmsGraph *g, const DlsSmsGraphArgs *args,
                                           int in_channels, DlsRng *rng, GError **error);
/* Checks an explicit graph: node range, order of application, channels, no dangling nodes. */
gboolean        dls_sms_graph_validate    (const DlsSmsGraph *g, GError **error);
/* The parameter count of the SMSNet over this graph (reference §2.4 formula). */
int64_t         dls_sms_graph_n_params    (const DlsSmsGraph *g, int in_channels, int out_channels);

/* ---------------------------------------------------------------------------------------------
 * Models.
 */
typedef struct {
  DlsModelConfig config;
  DlsParams     *params;
} DlsModel;

/* Builds the parameter set (names, shapes and order of DLSIA's state_dict); weights are zero
 * until dls_model_init_weights or a file fills them. */
DlsModel *dls_model_new          (const DlsModelConfig *cfg, GError **error);
void      dls_model_free         (DlsModel *m);
/* PyTorch's default initialisation (U(±1/√fan_in) for conv/linear weights and biases, BN γ = 1,
 * β = 0, running mean 0, variance 1), from the given seed. */
void      dls_model_init_weights (DlsModel *m, uint64_t seed);
int64_t   dls_model_n_params     (DlsModel *m);   /* trainable, as DLSIA counts them */

typedef struct {
  DlsNode input;   /* (N, in_channels, H, W) */
  DlsNode output;  /* logits or reconstruction (N, out_channels, H, W) */
  DlsNode latent;  /* autoencoders: (N, latent) vector; DLS_NODE_NONE otherwise */
} DlsModelNodes;

/* A graph over a batch of n images of h × w sharing the model's parameters; compile it next.
 * Fails with a message when the size does not fit the network (an autoencoder's fixed shape, a
 * size too small for a reflect padding). */
DlsGraph *dls_model_build_graph (DlsModel *m, int n, int h, int w, DlsModelNodes *nodes,
                                 GError **error);

/* Per-architecture builders (used by dls_model_build_graph). */
gboolean dls_msdnet_build (DlsGraph *g, const DlsModelConfig *c, DlsNode x, DlsModelNodes *out);
/* The engine's fused training step (dls_msd_train_forward/backward) over an MSDNet's own tensors
 * and gradients, or NULL (with a reason in why, if given) when the config needs the graph:
 * dropout, or not an MSDNet.  Free with dls_msdnet_train_spec_free. */
DlsMsdTrain *dls_msdnet_train_spec_new  (DlsModel *m, const char **why);
void         dls_msdnet_train_spec_free (DlsMsdTrain *spec);
gboolean dls_tunet_build  (DlsGraph *g, const DlsModelConfig *c, DlsNode x, DlsModelNodes *out);
gboolean dls_smsnet_build (DlsGraph *g, const DlsModelConfig *c, DlsNode x, DlsModelNodes *out);
gboolean dls_msae_build   (DlsGraph *g, const DlsModelConfig *c, DlsNode x, DlsModelNodes *out);
gboolean dls_sae_build    (DlsGraph *g, const DlsModelConfig *c, DlsNode x, DlsModelNodes *out);

/* The SMSNet edges of one graph under a name prefix ("" or "encode."); returns O's accumulator
 * before the last 1×1 (for the SAE halves, which have no extra last action here). */
DlsNode  dls_sms_build_edges (DlsGraph *g, const char *prefix, const DlsSmsGraph *graph,
                              int in_channels, DlsNode x, int h, int w, int stride_base);

/* ---------------------------------------------------------------------------------------------
 * Ensembles of SMSNets with their own random graphs (DLSIA's construct_2dsms_ensembler).
 * Redraws a graph whose parameter count falls outside (lo, hi) (either bound 0: none) and gives
 * up with an error after max_draws draws in total.
 */
typedef struct {
  int      n_networks;
  int64_t  params_lo, params_hi;
  int      max_draws;                 /* 100 × n_networks when 0 */
} DlsEnsembleArgs;

DlsModelConfig *dls_ensemble_configs (const DlsModelConfig *base, const DlsEnsembleArgs *args,
                                      GError **error); /* n_networks configs; free each + array */

/* Shared helpers for the builders (models-private). */
DlsNode dls_model_conv   (DlsGraph *g, const char *name, DlsNode x, int out_ch, int k,
                          gboolean bias, const DlsConvArgs *args);
DlsNode dls_model_bn     (DlsGraph *g, const char *name, DlsNode x, DlsBatchNormMode mode);
/* BatchNorm of relu(x), the ReLU folded into the BatchNorm (its output is never stored). */
DlsNode dls_model_relu_bn (DlsGraph *g, const char *name, DlsNode x, DlsBatchNormMode mode);
/* relu(BatchNorm(x)), the ReLU folded into the BatchNorm (the normalised map is never stored). */
DlsNode dls_model_bn_relu (DlsGraph *g, const char *name, DlsNode x, DlsBatchNormMode mode);
DlsNode dls_model_linear (DlsGraph *g, const char *name, DlsNode x, int out_features);

G_END_DECLS
