/* SPDX-License-Identifier: MIT
 *
 * params.c: a model's named tensors.  All trainable weights sit in one contiguous buffer (and
 * their gradients in another of the same layout), so the optimizer and gradient clipping are
 * single loops; BatchNorm running statistics and int64 counters have buffers of their own.
 * Entries keep the order in which they were added: the order of a PyTorch state_dict.
 */
#include "engine-private.h"

#include <math.h>

struct _DlsParams
{
  gint ref_count;
  GArray *entries;     /* DlsParamInfo */
  GHashTable *by_name; /* name → index + 1 */
  bool allocated;
  int64_t n_kind[3];
  float *weights, *grads, *buffers;
  int64_t *counters;
};

DlsParams *
dls_params_new (void)
{
  DlsParams *p = g_new0 (DlsParams, 1);

  p->ref_count = 1;
  p->entries = g_array_new (FALSE, TRUE, sizeof (DlsParamInfo));
  p->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return p;
}

DlsParams *
dls_params_ref (DlsParams *p)
{
  g_atomic_int_inc (&p->ref_count);
  return p;
}

void
dls_params_unref (DlsParams *p)
{
  if (p == NULL || !g_atomic_int_dec_and_test (&p->ref_count))
    return;
  for (guint i = 0; i < p->entries->len; i++)
    g_free (g_array_index (p->entries, DlsParamInfo, i).name);
  g_array_free (p->entries, TRUE);
  g_hash_table_destroy (p->by_name);
  g_free (p->weights);
  g_free (p->grads);
  g_free (p->buffers);
  g_free (p->counters);
  g_free (p);
}

static const char *
kind_name (DlsParamKind kind)
{
  switch (kind)
    {
    case DLS_PARAM_WEIGHT:
      return "weight";
    case DLS_PARAM_BUFFER:
      return "buffer";
    case DLS_PARAM_COUNTER:
      return "counter";
    default:
      return "?";
    }
}

int
dls_params_add (DlsParams *p, const char *name, DlsParamKind kind, int ndim, const int64_t *shape,
                GError **error)
{
  DlsParamInfo info = { 0 };
  gpointer found;

  if (name == NULL || *name == '\0')
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT, "a parameter needs a name");
      return -1;
    }
  if (ndim < 0 || ndim > DLS_MAX_DIMS || (kind == DLS_PARAM_COUNTER && ndim != 0))
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                   "parameter “%s”: %d dimensions are not supported", name, ndim);
      return -1;
    }
  info.numel = 1;
  for (int i = 0; i < ndim; i++)
    {
      if (shape[i] <= 0 || shape[i] > INT32_MAX)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE,
                       "parameter “%s”: dimension %d has size %" G_GINT64_FORMAT, name, i,
                       shape[i]);
          return -1;
        }
      info.shape[i] = shape[i];
      info.numel *= shape[i];
    }
  if (g_hash_table_lookup_extended (p->by_name, name, NULL, &found))
    {
      int idx = GPOINTER_TO_INT (found) - 1;
      const DlsParamInfo *have = &g_array_index (p->entries, DlsParamInfo, idx);
      bool same = have->kind == kind && have->ndim == ndim;

      for (int i = 0; same && i < ndim; i++)
        same = have->shape[i] == shape[i];
      if (!same)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE,
                       "parameter “%s” is already a %s of another shape", name,
                       kind_name (have->kind));
          return -1;
        }
      return idx;
    }
  if (p->allocated)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_STATE,
                   "parameter “%s” is new, but the set is already allocated", name);
      return -1;
    }
  info.name = g_strdup (name);
  info.kind = kind;
  info.ndim = ndim;
  info.offset = p->n_kind[kind];
  p->n_kind[kind] += kind == DLS_PARAM_COUNTER ? 1 : info.numel;
  g_array_append_val (p->entries, info);
  g_hash_table_insert (p->by_name, info.name, GINT_TO_POINTER (p->entries->len));
  return p->entries->len - 1;
}

int
dls_params_find (DlsParams *p, const char *name)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (p->by_name, name)) - 1;
}

int
dls_params_count (DlsParams *p)
{
  return p->entries->len;
}

const DlsParamInfo *
dls_params_info (DlsParams *p, int index)
{
  if (index < 0 || (guint) index >= p->entries->len)
    return NULL;
  return &g_array_index (p->entries, DlsParamInfo, index);
}

gboolean
dls_params_alloc (DlsParams *p, GError **error)
{
  if (p->allocated)
    return TRUE;
  p->weights = g_try_malloc0 (sizeof (float) * (p->n_kind[DLS_PARAM_WEIGHT] + 1));
  p->grads = g_try_malloc0 (sizeof (float) * (p->n_kind[DLS_PARAM_WEIGHT] + 1));
  p->buffers = g_try_malloc0 (sizeof (float) * (p->n_kind[DLS_PARAM_BUFFER] + 1));
  p->counters = g_try_malloc0 (sizeof (int64_t) * (p->n_kind[DLS_PARAM_COUNTER] + 1));
  if (!p->weights || !p->grads || !p->buffers || !p->counters)
    {
      g_clear_pointer (&p->weights, g_free);
      g_clear_pointer (&p->grads, g_free);
      g_clear_pointer (&p->buffers, g_free);
      g_clear_pointer (&p->counters, g_free);
      g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY,
                   "not enough memory for %" G_GINT64_FORMAT " parameters",
                   p->n_kind[DLS_PARAM_WEIGHT]);
      return FALSE;
    }
  p->allocated = true;
  return TRUE;
}

gboolean
dls_params_is_allocated (DlsParams *p)
{
  return p->allocated;
}

float *
dls_params_data (DlsParams *p, int index)
{
  const DlsParamInfo *info = dls_params_info (p, index);

  g_return_val_if_fail (info != NULL && p->allocated, NULL);
  if (info->kind == DLS_PARAM_WEIGHT)
    return p->weights + info->offset;
  if (info->kind == DLS_PARAM_BUFFER)
    return p->buffers + info->offset;
  return NULL;
}

float *
dls_params_grad (DlsParams *p, int index)
{
  const DlsParamInfo *info = dls_params_info (p, index);

  g_return_val_if_fail (info != NULL && p->allocated, NULL);
  return info->kind == DLS_PARAM_WEIGHT ? p->grads + info->offset : NULL;
}

int64_t *
dls_params_counter (DlsParams *p, int index)
{
  const DlsParamInfo *info = dls_params_info (p, index);

  g_return_val_if_fail (info != NULL && p->allocated, NULL);
  return info->kind == DLS_PARAM_COUNTER ? p->counters + info->offset : NULL;
}

int64_t
dls_params_n_weights (DlsParams *p)
{
  return p->n_kind[DLS_PARAM_WEIGHT];
}

float *
dls_params_weights (DlsParams *p)
{
  return p->weights;
}

float *
dls_params_grads (DlsParams *p)
{
  return p->grads;
}

void
dls_params_zero_grad (DlsParams *p)
{
  if (p->grads)
    memset (p->grads, 0, sizeof (float) * p->n_kind[DLS_PARAM_WEIGHT]);
}

void
dls_params_clip_grad_value (DlsParams *p, float clip)
{
  int64_t n = p->n_kind[DLS_PARAM_WEIGHT];

  clip = fabsf (clip);
  for (int64_t i = 0; i < n; i++)
    p->grads[i] = fminf (fmaxf (p->grads[i], -clip), clip);
}

gboolean
dls_params_copy_from (DlsParams *dst, DlsParams *src, GError **error)
{
  if (dst->entries->len != src->entries->len)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE, "the parameter sets have %u and %u entries",
                   dst->entries->len, src->entries->len);
      return FALSE;
    }
  for (guint i = 0; i < dst->entries->len; i++)
    {
      const DlsParamInfo *a = &g_array_index (dst->entries, DlsParamInfo, i);
      const DlsParamInfo *b = &g_array_index (src->entries, DlsParamInfo, i);
      if (strcmp (a->name, b->name) != 0 || a->kind != b->kind || a->numel != b->numel)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_SHAPE,
                       "parameter %u is “%s” in one set and “%s” in the other", i, a->name,
                       b->name);
          return FALSE;
        }
    }
  if (!dls_params_alloc (dst, error))
    return FALSE;
  g_return_val_if_fail (src->allocated, FALSE);
  memcpy (dst->weights, src->weights, sizeof (float) * src->n_kind[DLS_PARAM_WEIGHT]);
  memcpy (dst->buffers, src->buffers, sizeof (float) * src->n_kind[DLS_PARAM_BUFFER]);
  memcpy (dst->counters, src->counters, sizeof (int64_t) * src->n_kind[DLS_PARAM_COUNTER]);
  return TRUE;
}
