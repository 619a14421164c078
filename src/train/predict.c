/* SPDX-License-Identifier: MIT
 *
 * predict.c: a model applied to whole images.  The graph for the last image size is kept, so a
 * stack of equal slices compiles once; the network runs in eval mode (BatchNorm with running
 * statistics; SMSNet's batch-statistics BatchNorm over the one image, as DLSIA does).
 *
 * An MSDNet in eval mode takes the engine's fused path (dls_msd_eval_forward), which gives the
 * graph's numbers several times faster; dls_predictor_set_fused (p, FALSE) turns it off.
 *
 * Not here yet: tiling of images too large for memory and ensembles (the training issue).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "predict.h"

struct _DlsPredictor
{
  DlsModel *model;
  DlsGraph *graph;
  DlsModelNodes nodes;
  int h, w;
  float *buf;
  gboolean fused;
  DlsMsdEval msd;
  DlsMsdWork *msd_work; /* the fused path's buffers, kept between slices */
  float *msd_in;        /* the normalised image */
  int64_t msd_in_floats;
  GPtrArray *owned; /* arrays the fused MSDNet spec points into */
};

static const float *param (DlsModel *m, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static const float *
param (DlsModel *m, const char *fmt, ...)
{
  g_autofree char *name = NULL;
  va_list ap;
  int i;

  va_start (ap, fmt);
  name = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  i = dls_params_find (m->params, name);
  return i >= 0 ? dls_params_data (m->params, i) : NULL;
}

/* The fused MSDNet's view of the model's tensors (BatchNorm folded into scale and shift). */
static void
setup_msd (DlsPredictor *p)
{
  DlsModel *m = p->model;
  const DlsModelConfig *c = &m->config;
  int L = c->num_layers, w = c->layer_width;
  gsize n = (gsize) MAX (L * w, 1);
  int *dil = g_new (int, n);
  const float **W = g_new (const float *, n), **B = g_new (const float *, n);
  float **scale = NULL, **shift = NULL;

  p->owned = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (p->owned, dil);
  g_ptr_array_add (p->owned, W);
  g_ptr_array_add (p->owned, B);
  for (int i = 0; i < L; i++)
    for (int j = 0; j < w; j++)
      {
        int k = i * w + j;

        dil[k] = c->custom_dilations ? c->custom_dilations[k % c->n_custom_dilations]
                                     : k % c->max_dilation + 1;
        W[k] = param (m, "layer_%d.conv_%d.weight", i, j);
        B[k] = param (m, "layer_%d.conv_%d.bias", i, j);
      }
  if (c->batchnorm)
    {
      scale = g_new (float *, (gsize) MAX (L, 1));
      shift = g_new (float *, (gsize) MAX (L, 1));
      g_ptr_array_add (p->owned, scale);
      g_ptr_array_add (p->owned, shift);
      for (int i = 0; i < L; i++)
        {
          int C = c->in_channels + (i + 1) * w;
          const float *ga = param (m, "normalization_%d.weight", i);
          const float *be = param (m, "normalization_%d.bias", i);
          const float *mu = param (m, "normalization_%d.running_mean", i);
          const float *var = param (m, "normalization_%d.running_var", i);

          scale[i] = g_new (float, (gsize) C);
          shift[i] = g_new (float, (gsize) C);
          g_ptr_array_add (p->owned, scale[i]);
          g_ptr_array_add (p->owned, shift[i]);
          for (int k = 0; k < C; k++)
            {
              double a = ga[k] / sqrt ((double) var[k] + 1e-5);

              scale[i][k] = (float) a;
              shift[i][k] = (float) (be[k] - mu[k] * a);
            }
        }
    }
  p->msd = (DlsMsdEval){
    .in_channels = c->in_channels,
    .out_channels = c->out_channels,
    .num_layers = L,
    .width = w,
    .input_relu = true,
    .dilations = dil,
    .w = W,
    .b = B,
    .bn_scale = (const float *const *) scale,
    .bn_shift = (const float *const *) shift,
    .final_w = param (m, "final_convolution.weight"),
    .final_b = param (m, "final_convolution.bias"),
  };
}

void
dls_predictor_set_fused (DlsPredictor *p, gboolean fused)
{
  p->fused = fused && p->model->config.arch == DLS_ARCH_MSDNET;
  if (p->fused && p->owned == NULL)
    setup_msd (p);
}

DlsPredictor *
dls_predictor_new (DlsModel *m)
{
  DlsPredictor *p = g_new0 (DlsPredictor, 1);

  p->model = m;
  dls_predictor_set_fused (p, TRUE);
  return p;
}

void
dls_predictor_free (DlsPredictor *p)
{
  if (p == NULL)
    return;
  if (p->graph)
    dls_graph_free (p->graph);
  g_free (p->buf);
  if (p->owned)
    g_ptr_array_unref (p->owned);
  dls_msd_work_free (p->msd_work);
  g_free (p->msd_in);
  g_free (p);
}

gboolean
dls_model_is_classifier (const DlsModel *m)
{
  switch (m->config.arch)
    {
    case DLS_ARCH_MSDNET:
    case DLS_ARCH_TUNET:
      return !m->config.regression;
    case DLS_ARCH_SMSNET:
      return m->config.network_type == DLS_SMS_CLASSIFICATION;
    default:
      return FALSE;
    }
}

void
dls_model_normalize (const DlsModel *m, const float *raw, float *out, int64_t n)
{
  dls_config_normalize (&m->config, raw, out, n);
}

void
dls_config_normalize (const DlsModelConfig *c, const float *raw, float *out, int64_t n)
{
  if (!c->norm_set)
    {
      if (out != raw)
        memcpy (out, raw, sizeof (float) * n);
      return;
    }
  {
    double lo = c->norm_low, scale = 1.0 / (c->norm_high - c->norm_low);

    for (int64_t i = 0; i < n; i++)
      {
        double x = c->norm_log ? log1p (MAX (raw[i], 0.0f)) : raw[i];
        float v = (float) ((x - lo) * scale);

        out[i] = isnan (v) ? 0.0f : v < 0 ? 0.0f : v > 1 ? 1.0f : v;
      }
  }
}

/* Softmax over K channels of an H·W plane set, in place. */
static void
softmax_planes (float *x, int K, int64_t hw)
{
  for (int64_t i = 0; i < hw; i++)
    {
      float mx = x[i], sum = 0;

      for (int k = 1; k < K; k++)
        mx = MAX (mx, x[k * hw + i]);
      for (int k = 0; k < K; k++)
        {
          float e = expf (x[k * hw + i] - mx);

          x[k * hw + i] = e;
          sum += e;
        }
      for (int k = 0; k < K; k++)
        x[k * hw + i] /= sum;
    }
}

/* Softmax for a classifier; raw units for a regression model (its targets were scaled like
 * its input). */
static void
finish_output (DlsModel *m, float *out, int64_t hw)
{
  if (dls_model_is_classifier (m))
    softmax_planes (out, m->config.out_channels, hw);
  else if (m->config.norm_set)
    {
      double lo = m->config.norm_low, span = m->config.norm_high - m->config.norm_low;

      for (int64_t i = 0; i < m->config.out_channels * hw; i++)
        out[i] = m->config.norm_log ? (float) expm1 (out[i] * span + lo)
                                    : (float) (out[i] * span + lo);
    }
}

gboolean
dls_predictor_run (DlsPredictor *p, const float *image, int h, int w, float *out,
                   const volatile int *cancel, GError **error)
{
  DlsModel *m = p->model;
  int C = m->config.in_channels;
  int64_t hw = (int64_t) h * w;

  if (p->fused)
    {
      if (p->msd_in_floats < C * hw)
        {
          g_free (p->msd_in);
          p->msd_in = g_try_new (float, C *hw);
          p->msd_in_floats = p->msd_in ? C * hw : 0;
          if (p->msd_in == NULL)
            {
              g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY,
                           "not enough memory for a %d × %d image", h, w);
              return FALSE;
            }
        }
      if (p->msd_work == NULL)
        p->msd_work = dls_msd_work_new ();
      dls_model_normalize (m, image, p->msd_in, C * hw);
      if (!dls_msd_eval_forward (&p->msd, p->msd_work, p->msd_in, h, w, out, cancel, error))
        return FALSE;
      finish_output (m, out, hw);
      return TRUE;
    }
  if (p->graph == NULL || p->h != h || p->w != w)
    {
      g_clear_pointer (&p->graph, dls_graph_free);
      g_clear_pointer (&p->buf, g_free);
      p->graph = dls_model_build_graph (m, 1, h, w, &p->nodes, error);
      if (p->graph == NULL)
        return FALSE;
      if (!dls_graph_compile (p->graph, false, error))
        {
          g_clear_pointer (&p->graph, dls_graph_free);
          return FALSE;
        }
      dls_graph_set_training (p->graph, false);
      p->buf = g_try_new (float, C *hw);
      if (p->buf == NULL)
        {
          g_clear_pointer (&p->graph, dls_graph_free);
          g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY, "not enough memory for a %d × %d image",
                       h, w);
          return FALSE;
        }
      p->h = h;
      p->w = w;
    }
  dls_graph_set_cancel_flag (p->graph, cancel);
  dls_model_normalize (m, image, p->buf, C * hw);
  if (!dls_graph_set_input (p->graph, p->nodes.input, p->buf, error))
    return FALSE;
  if (!dls_graph_forward (p->graph))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_CANCELLED, "prediction cancelled");
      return FALSE;
    }
  dls_graph_read (p->graph, p->nodes.output, out);
  finish_output (m, out, hw);
  return TRUE;
}

int
dls_model_encode (DlsModel *m, const float *images, int64_t n, int h, int w, float *latent,
                  GError **error)
{
  int B = (int) MIN (n, 64), C = m->config.in_channels, L;
  int64_t per = (int64_t) C * h * w;
  DlsModelNodes nodes;
  DlsGraph *g;
  g_autofree float *x = NULL, *z = NULL;

  if (n < 1)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "no images to encode");
      return 0;
    }
  g = dls_model_build_graph (m, B, h, w, &nodes, error);
  if (g == NULL)
    return 0;
  if (nodes.latent == DLS_NODE_NONE)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "a %s has no latent vector",
                   dls_arch_name (m->config.arch));
      dls_graph_free (g);
      return 0;
    }
  if (!dls_graph_compile (g, false, error))
    {
      dls_graph_free (g);
      return 0;
    }
  dls_graph_set_training (g, false);
  L = dls_graph_shape (g, nodes.latent).c;
  x = g_new (float, B *per);
  z = g_new (float, (gsize) B *L);
  for (int64_t i0 = 0; i0 < n; i0 += B)
    {
      int nb = (int) MIN (B, n - i0);

      /* a short last batch is padded by repeating its last image */
      for (int b = 0; b < B; b++)
        dls_model_normalize (m, images + (i0 + MIN (b, nb - 1)) * per, x + b * per, per);
      if (!dls_graph_set_input (g, nodes.input, x, error) || !dls_graph_forward (g))
        {
          if (error && *error == NULL)
            g_set_error (error, DLS_ERROR, DLS_ERROR_CANCELLED, "encoding cancelled");
          dls_graph_free (g);
          return 0;
        }
      dls_graph_read (g, nodes.latent, z);
      memcpy (latent + i0 * L, z, sizeof (float) * nb * L);
    }
  dls_graph_free (g);
  return L;
}
