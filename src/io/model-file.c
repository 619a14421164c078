/* SPDX-License-Identifier: MIT
 *
 * model-file.c: a model as a safetensors file — DLSIA's state_dict (float32 weights and running
 * statistics, int64 num_batches_tracked) plus the config JSON under "dlsia.config" — so PyTorch
 * loads it with load_state_dict(strict=True) after building the module from the config.
 *
 * Loading is strict the same way: every tensor the config implies must be there with its exact
 * shape and dtype, and nothing else may be; the message names the first one that is wrong.
 */
#include "config.h"

#include <string.h>

#include "json-text.h"
#include "safetensors.h"

DlsModel *
dls_model_load (const char *path, GError **error)
{
  g_autoptr (DlsSafetensors) st = dls_safetensors_open (path, error);
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  g_autoptr (GString) where = g_string_new (NULL);
  DlsModelConfig cfg;
  const char *json;
  DlsModel *m;
  int n;

  if (st == NULL)
    return NULL;
  json = dls_safetensors_metadata (st, "dlsia.config");
  if (json == NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is a safetensors file without a DLSIA Studio model config "
                   "(\"dlsia.config\" in its metadata)",
                   base);
      return NULL;
    }
  if (dls_json_too_deep (json, -1))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s”: the model config's lists and objects are nested more than %d deep",
                   base, DLS_JSON_MAX_DEPTH);
      return NULL;
    }
  if (json_parser_load_from_data (parser, json, -1, &local)
      && dls_json_find_bad_text (json_parser_get_root (parser), where))
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s”: “%s” in the model config is not UTF-8 text", base, where->str);
      return NULL;
    }
  if (local != NULL
      || !dls_model_config_from_json (&cfg, json_parser_get_root (parser), &local))
    {
      g_autofree char *why = g_utf8_make_valid (local->message, -1); /* json-glib quotes bad bytes */

      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT, "“%s”: %s", base, why);
      return NULL;
    }
  m = dls_model_new (&cfg, &local);
  dls_model_config_clear (&cfg);
  if (m == NULL)
    {
      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT, "“%s”: %s", base, local->message);
      return NULL;
    }
  n = dls_params_count (m->params);
  for (int i = 0; i < n; i++)
    {
      const DlsParamInfo *p = dls_params_info (m->params, i);
      const DlsTensorInfo *t = dls_safetensors_find (st, p->name);
      DlsDtype want = p->kind == DLS_PARAM_COUNTER ? DLS_DTYPE_I64 : DLS_DTYPE_F32;
      gboolean shape_ok;

      if (t == NULL)
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                       "“%s”: tensor “%s” is missing (the %s config needs it)", base, p->name,
                       dls_arch_name (m->config.arch));
          dls_model_free (m);
          return NULL;
        }
      shape_ok = t->ndim == p->ndim;
      for (int d = 0; shape_ok && d < p->ndim; d++)
        shape_ok = t->shape[d] == p->shape[d];
      if (!shape_ok)
        {
          GString *want_s = g_string_new ("["), *got_s = g_string_new ("[");

          for (int d = 0; d < p->ndim; d++)
            g_string_append_printf (want_s, "%s%" G_GINT64_FORMAT, d ? ", " : "", p->shape[d]);
          for (int d = 0; d < t->ndim; d++)
            g_string_append_printf (got_s, "%s%" G_GINT64_FORMAT, d ? ", " : "", t->shape[d]);
          g_string_append_c (want_s, ']');
          g_string_append_c (got_s, ']');
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                       "“%s”: tensor “%s” has shape %s, the config needs %s", base, p->name,
                       got_s->str, want_s->str);
          g_string_free (want_s, TRUE);
          g_string_free (got_s, TRUE);
          dls_model_free (m);
          return NULL;
        }
      if (t->dtype != want)
        {
          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                       "“%s”: tensor “%s” is %s, it must be %s", base, p->name, t->dtype_name,
                       want == DLS_DTYPE_I64 ? "I64" : "F32");
          dls_model_free (m);
          return NULL;
        }
      if (p->kind == DLS_PARAM_COUNTER)
        memcpy (dls_params_counter (m->params, i), dls_safetensors_data (st, t), 8);
      else
        memcpy (dls_params_data (m->params, i), dls_safetensors_data (st, t), t->size);
    }
  if (dls_safetensors_n_tensors (st) != n)
    for (int k = 0; k < dls_safetensors_n_tensors (st); k++)
      {
        const DlsTensorInfo *t = dls_safetensors_tensor (st, k);

        if (dls_params_find (m->params, t->name) < 0)
          {
            g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                         "“%s”: tensor “%s” does not belong to this %s", base, t->name,
                         dls_arch_name (m->config.arch));
            dls_model_free (m);
            return NULL;
          }
      }
  return m;
}

gboolean
dls_model_save (DlsModel *m, const char *path, GError **error)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) cfg = dls_model_config_to_json (&m->config);
  g_autofree char *json = NULL;
  g_autofree DlsTensorOut *out = NULL;
  int n = dls_params_count (m->params);
  const char *meta[5] = { "dlsia.config", NULL, "format", "pt", NULL };

  json_generator_set_root (gen, cfg);
  json = json_generator_to_data (gen, NULL);
  meta[1] = json;
  out = g_new0 (DlsTensorOut, MAX (n, 1));
  for (int i = 0; i < n; i++)
    {
      const DlsParamInfo *p = dls_params_info (m->params, i);

      out[i].name = p->name;
      out[i].dtype = p->kind == DLS_PARAM_COUNTER ? DLS_DTYPE_I64 : DLS_DTYPE_F32;
      out[i].ndim = p->ndim;
      memcpy (out[i].shape, p->shape, sizeof (int64_t) * p->ndim);
      out[i].data = p->kind == DLS_PARAM_COUNTER ? (const void *) dls_params_counter (m->params, i)
                                                 : (const void *) dls_params_data (m->params, i);
    }
  return dls_safetensors_write (path, out, n, meta, error);
}
