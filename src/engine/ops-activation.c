/* SPDX-License-Identifier: MIT
 *
 * ops-activation.c: relu, sigmoid, softmax over channels, and dropout.  Row loops over strided
 * views; the reference loops at the end work on plain arrays in double.
 *
 * Dropout masks are a pure function of (graph seed, step, node, element index), so they do not
 * depend on the thread count; the mask is kept for backward.  In eval mode dropout is the
 * identity.
 */
#include "engine-private.h"
#include "ref.h"

#include <math.h>

typedef struct
{
  DlsGraph *g;
  DlsNodeImpl *n;
  DlsView x, y, dx, dy;
  int W;
} EwJob;

static EwJob
ew_job (DlsGraph *g, DlsNodeImpl *n)
{
  DlsNodeImpl *x = dls_input_node (g, n, 0);

  return (EwJob){ g, n, x->value, n->value, x->grad, n->grad, n->shape.w };
}

/* ---- relu ---- */

/* Branch-free, four lanes at a time: the sign of a ReLU's input is a coin toss, and a branch
 * per pixel mispredicts half the time. */
typedef float v4f __attribute__ ((vector_size (16)));
typedef int32_t v4i __attribute__ ((vector_size (16)));

static void
relu_fwd_row (void *data, int n, int c, int y)
{
  EwJob *j = data;
  const float *src = dls_view_at (j->x, n, c, y, 0);
  float *dst = dls_view_at (j->y, n, c, y, 0);
  int i = 0, W = j->W;

  for (; i + 4 <= W; i += 4)
    {
      v4f v;
      memcpy (&v, src + i, sizeof v);
      v = (v4f) ((v4i) v & ~(v < (v4f){ 0 })); /* NaN stays NaN, as in PyTorch */
      memcpy (dst + i, &v, sizeof v);
    }
  for (; i < W; i++)
    dst[i] = src[i] < 0.0f ? 0.0f : src[i];
}

static void
relu_bwd_row (void *data, int n, int c, int y)
{
  EwJob *j = data;
  const float *out = dls_view_at (j->y, n, c, y, 0);
  const float *gy = dls_view_at (j->dy, n, c, y, 0);
  float *gx = dls_view_at (j->dx, n, c, y, 0);
  int i = 0, W = j->W;

  for (; i + 4 <= W; i += 4)
    {
      v4f o, g, d;
      memcpy (&o, out + i, sizeof o);
      memcpy (&g, gy + i, sizeof g);
      memcpy (&d, gx + i, sizeof d);
      d += (v4f) ((v4i) g & (o > (v4f){ 0 }));
      memcpy (gx + i, &d, sizeof d);
    }
  for (; i < W; i++)
    gx[i] += out[i] > 0.0f ? gy[i] : 0.0f;
}

static void
relu_forward (DlsGraph *g, DlsNodeImpl *n)
{
  EwJob j = ew_job (g, n);
  dls_parallel_rows (g, n->shape, relu_fwd_row, &j);
}

static void
relu_backward (DlsGraph *g, DlsNodeImpl *n)
{
  EwJob j = ew_job (g, n);
  dls_parallel_rows (g, n->shape, relu_bwd_row, &j);
}

/* ---- sigmoid ---- */

static void
sigmoid_fwd_row (void *data, int n, int c, int y)
{
  EwJob *j = data;
  const float *src = dls_view_at (j->x, n, c, y, 0);
  float *dst = dls_view_at (j->y, n, c, y, 0);

  for (int i = 0, W = j->W; i < W; i++)
    dst[i] = 1.0f / (1.0f + expf (-src[i]));
}

static void
sigmoid_bwd_row (void *data, int n, int c, int y)
{
  EwJob *j = data;
  const float *out = dls_view_at (j->y, n, c, y, 0);
  const float *gy = dls_view_at (j->dy, n, c, y, 0);
  float *gx = dls_view_at (j->dx, n, c, y, 0);

  for (int i = 0, W = j->W; i < W; i++)
    gx[i] += gy[i] * out[i] * (1.0f - out[i]);
}

static void
sigmoid_forward (DlsGraph *g, DlsNodeImpl *n)
{
  EwJob j = ew_job (g, n);
  dls_parallel_rows (g, n->shape, sigmoid_fwd_row, &j);
}

static void
sigmoid_backward (DlsGraph *g, DlsNodeImpl *n)
{
  EwJob j = ew_job (g, n);
  dls_parallel_rows (g, n->shape, sigmoid_bwd_row, &j);
}

/* ---- softmax over channels: one (n, y) row of every channel at a time ---- */

static void
softmax_fwd_row (void *data, int n, int c_unused, int y)
{
  EwJob *j = data;
  int C = j->n->shape.c, W = j->W;
  float *m = dls_thread_scratch (j->g, dls_parallel_thread_index ()), *s = m + W;

  for (int i = 0; i < W; i++)
    m[i] = -INFINITY, s[i] = 0.0f;
  for (int c = 0; c < C; c++)
    {
      const float *src = dls_view_at (j->x, n, c, y, 0);
      for (int i = 0; i < W; i++)
        m[i] = fmaxf (m[i], src[i]);
    }
  for (int c = 0; c < C; c++)
    {
      const float *src = dls_view_at (j->x, n, c, y, 0);
      float *dst = dls_view_at (j->y, n, c, y, 0);
      for (int i = 0; i < W; i++)
        {
          dst[i] = expf (src[i] - m[i]);
          s[i] += dst[i];
        }
    }
  for (int i = 0; i < W; i++)
    s[i] = 1.0f / s[i];
  for (int c = 0; c < C; c++)
    {
      float *dst = dls_view_at (j->y, n, c, y, 0);
      for (int i = 0; i < W; i++)
        dst[i] *= s[i];
    }
}

static void
softmax_bwd_row (void *data, int n, int c_unused, int y)
{
  EwJob *j = data;
  int C = j->n->shape.c, W = j->W;
  float *dot = dls_thread_scratch (j->g, dls_parallel_thread_index ());

  for (int i = 0; i < W; i++)
    dot[i] = 0.0f;
  for (int c = 0; c < C; c++)
    {
      const float *out = dls_view_at (j->y, n, c, y, 0);
      const float *gy = dls_view_at (j->dy, n, c, y, 0);
      for (int i = 0; i < W; i++)
        dot[i] += gy[i] * out[i];
    }
  for (int c = 0; c < C; c++)
    {
      const float *out = dls_view_at (j->y, n, c, y, 0);
      const float *gy = dls_view_at (j->dy, n, c, y, 0);
      float *gx = dls_view_at (j->dx, n, c, y, 0);
      for (int i = 0; i < W; i++)
        gx[i] += out[i] * (gy[i] - dot[i]);
    }
}

static void
softmax_plan (DlsGraph *g, DlsNodeImpl *n)
{
  dls_plan_request_scratch (g, 2 * (size_t) n->shape.w);
}

static void
softmax_forward (DlsGraph *g, DlsNodeImpl *n)
{
  EwJob j = ew_job (g, n);
  DlsShape rows = n->shape;

  rows.c = 1;
  dls_parallel_rows (g, rows, softmax_fwd_row, &j);
}

static void
softmax_backward (DlsGraph *g, DlsNodeImpl *n)
{
  EwJob j = ew_job (g, n);
  DlsShape rows = n->shape;

  rows.c = 1;
  dls_parallel_rows (g, rows, softmax_bwd_row, &j);
}

/* ---- dropout ---- */

typedef struct
{
  EwJob ew;
  uint64_t key;
  uint64_t threshold; /* keep when hash < threshold */
  float scale;
  bool active;
} DropJob;

static void
dropout_fwd_row (void *data, int n, int c, int y)
{
  DropJob *j = data;
  DlsShape s = j->ew.n->shape;
  int64_t base = (((int64_t) n * s.c + c) * s.h + y) * s.w;
  uint8_t *keep = (uint8_t *) j->ew.n->aux + base;
  const float *src = dls_view_at (j->ew.x, n, c, y, 0);
  float *dst = dls_view_at (j->ew.y, n, c, y, 0);

  for (int i = 0; i < s.w; i++)
    {
      keep[i] = !j->active || dls_hash64 (j->key ^ (uint64_t) (base + i)) < j->threshold;
      dst[i] = keep[i] ? (j->active ? src[i] * j->scale : src[i]) : 0.0f;
    }
}

static void
dropout_bwd_row (void *data, int n, int c, int y)
{
  DropJob *j = data;
  DlsShape s = j->ew.n->shape;
  int64_t base = (((int64_t) n * s.c + c) * s.h + y) * s.w;
  const uint8_t *keep = (const uint8_t *) j->ew.n->aux + base;
  const float *gy = dls_view_at (j->ew.dy, n, c, y, 0);
  float *gx = dls_view_at (j->ew.dx, n, c, y, 0);

  for (int i = 0; i < s.w; i++)
    if (keep[i])
      gx[i] += j->active ? gy[i] * j->scale : gy[i];
}

static DropJob
drop_job (DlsGraph *g, DlsNodeImpl *n)
{
  float p = n->a.dropout.p;
  DropJob j = { ew_job (g, n) };

  j.active = g->training && p > 0.0f;
  j.scale = 1.0f / (1.0f - p);
  j.threshold = (uint64_t) ((1.0 - p) * 18446744073709551616.0 /* 2^64 */);
  if (p == 0.0f)
    j.threshold = UINT64_MAX;
  j.key = dls_hash64 (dls_hash64 (g->seed)
                      ^ dls_hash64 (g->step * 0x100000001b3ull + (uint64_t) (n - g->nodes)));
  return j;
}

static void
dropout_plan (DlsGraph *g, DlsNodeImpl *n)
{
  n->aux_bytes = dls_shape_numel (n->shape);
}

static void
dropout_forward (DlsGraph *g, DlsNodeImpl *n)
{
  DropJob j = drop_job (g, n);
  dls_parallel_rows (g, n->shape, dropout_fwd_row, &j);
  n->kernel = j.active;
}

static void
dropout_backward (DlsGraph *g, DlsNodeImpl *n)
{
  DropJob j = drop_job (g, n);
  /* backward uses the mode the forward ran in */
  j.active = n->kernel;
  dls_parallel_rows (g, n->shape, dropout_bwd_row, &j);
}

const DlsOpInfo dls_op_relu = { DLS_OP_RELU, "relu", NULL, relu_forward, relu_backward };
const DlsOpInfo dls_op_sigmoid
    = { DLS_OP_SIGMOID, "sigmoid", NULL, sigmoid_forward, sigmoid_backward };
const DlsOpInfo dls_op_softmax
    = { DLS_OP_SOFTMAX, "softmax", softmax_plan, softmax_forward, softmax_backward };
const DlsOpInfo dls_op_dropout
    = { DLS_OP_DROPOUT, "dropout", dropout_plan, dropout_forward, dropout_backward };

/* ---- reference loops ---- */

void
dls_ref_relu_forward (double *y, const double *x, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] = x[i] > 0 ? x[i] : 0;
}

void
dls_ref_relu_backward (double *dx, const double *dy, const double *x, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    dx[i] += x[i] > 0 ? dy[i] : 0;
}

void
dls_ref_sigmoid_forward (double *y, const double *x, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] = 1.0 / (1.0 + exp (-x[i]));
}

void
dls_ref_sigmoid_backward (double *dx, const double *dy, const double *x, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    {
      double s = 1.0 / (1.0 + exp (-x[i]));
      dx[i] += dy[i] * s * (1.0 - s);
    }
}

void
dls_ref_softmax_forward (double *y, const double *x, int N, int C, int HW)
{
  for (int n = 0; n < N; n++)
    for (int i = 0; i < HW; i++)
      {
        double m = -INFINITY, s = 0;
        for (int c = 0; c < C; c++)
          m = fmax (m, x[(n * C + c) * HW + i]);
        for (int c = 0; c < C; c++)
          s += exp (x[(n * C + c) * HW + i] - m);
        for (int c = 0; c < C; c++)
          y[(n * C + c) * HW + i] = exp (x[(n * C + c) * HW + i] - m) / s;
      }
}

void
dls_ref_softmax_backward (double *dx, const double *dy, const double *x, int N, int C, int HW)
{
  double *y = g_new (double, (size_t) N *C *HW);

  dls_ref_softmax_forward (y, x, N, C, HW);
  for (int n = 0; n < N; n++)
    for (int i = 0; i < HW; i++)
      {
        double dot = 0;
        for (int c = 0; c < C; c++)
          dot += dy[(n * C + c) * HW + i] * y[(n * C + c) * HW + i];
        for (int c = 0; c < C; c++)
          {
            int64_t k = (int64_t) (n * C + c) * HW + i;
            dx[k] += y[k] * (dy[k] - dot);
          }
      }
  g_free (y);
}

void
dls_ref_dropout_forward (double *y, const double *x, const uint8_t *keep, double p, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    y[i] = keep[i] ? x[i] / (1.0 - p) : 0.0;
}

void
dls_ref_dropout_backward (double *dx, const double *dy, const uint8_t *keep, double p, int64_t n)
{
  for (int64_t i = 0; i < n; i++)
    dx[i] += keep[i] ? dy[i] / (1.0 - p) : 0.0;
}
