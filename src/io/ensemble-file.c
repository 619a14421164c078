/* SPDX-License-Identifier: MIT
 *
 * ensemble-file.c: ensemble manifests (JSON, written atomically) and loading a model file or a
 * manifest's members as one ensemble.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ensemble-file.h"
#include "json-text.h"
#include "safetensors.h"

void
dls_ensemble_free (DlsEnsemble *e)
{
  if (e == NULL)
    return;
  for (int i = 0; i < e->n; i++)
    {
      dls_model_free (e->models[i]);
      g_free (e->paths[i]);
    }
  g_free (e->models);
  g_free (e->paths);
  g_free (e);
}

gboolean
dls_path_is_model_file (const char *path)
{
  char buf[16] = { 0 };
  FILE *f = fopen (path, "rb");
  size_t got;

  if (f == NULL)
    return TRUE; /* let the model loader say what is wrong */
  got = fread (buf, 1, sizeof buf, f);
  fclose (f);
  for (size_t i = 0; i < got; i++)
    if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\t' && buf[i] != '\r')
      return buf[i] != '{';
  return TRUE;
}

static gboolean
fail (GError **error, const char *path, const char *what)
{
  g_autofree char *base = g_path_get_basename (path);

  g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT, "“%s” is not a valid ensemble: %s", base,
               what);
  return FALSE;
}

/* json-glib's *_with_default getters complain (g_critical) about a member of the wrong kind;
 * these say so instead. */
static gboolean
holds (JsonNode *node, GType type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
get_number (JsonObject *o, const char *key, double fallback, double *out)
{
  JsonNode *node = json_object_get_member (o, key);

  *out = fallback;
  if (node == NULL)
    return TRUE;
  if (!holds (node, G_TYPE_DOUBLE) && !holds (node, G_TYPE_INT64))
    return FALSE;
  *out = json_node_get_double (node);
  return isfinite (*out);
}

DlsEnsemble *
dls_ensemble_load (const char *path, GError **error)
{
  g_autoptr (DlsEnsemble) e = g_new0 (DlsEnsemble, 1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GMappedFile) map = NULL;
  g_autoptr (GString) where = NULL;
  const char *text = NULL;
  gssize len = 0;
  JsonObject *o;
  JsonArray *members;
  JsonNode *root, *mn, *cn, *kn;
  double n;

  if (dls_path_is_model_file (path))
    {
      DlsModel *m = dls_model_load (path, error);

      if (m == NULL)
        return NULL;
      e->n = 1;
      e->models = g_new (DlsModel *, 1);
      e->paths = g_new (char *, 1);
      e->models[0] = m;
      e->paths[0] = g_strdup (path);
      return g_steal_pointer (&e);
    }
  /* mapped and looked at before json-glib parses it (recursively) */
  map = g_mapped_file_new (path, FALSE, &local);
  if (map != NULL)
    {
      text = g_mapped_file_get_contents (map);
      len = (gssize) g_mapped_file_get_length (map);
      if (text == NULL)
        text = "";
    }
  if (map != NULL && dls_json_too_deep (text, len))
    return fail (error, path, "its lists and objects are nested more than "
                              G_STRINGIFY (DLS_JSON_MAX_DEPTH) " deep"), NULL;
  if (map == NULL || !json_parser_load_from_data (parser, text, len, &local))
    {
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *why = g_utf8_make_valid (local->message, -1); /* json-glib quotes bad bytes */

      g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                   "“%s” is neither a model file nor an ensemble manifest (%s)", base, why);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fail (error, path, "not a JSON object"), NULL;
  where = g_string_new (NULL);
  if (dls_json_find_bad_text (root, where))
    {
      g_autofree char *what = g_strdup_printf ("“%s” is not UTF-8 text", where->str);

      return fail (error, path, what), NULL;
    }
  o = json_node_get_object (root);
  kn = json_object_get_member (o, "kind");
  if (!holds (kn, G_TYPE_STRING) || g_strcmp0 (json_node_get_string (kn), "dlsia-ensemble") != 0)
    return fail (error, path, "\"kind\" is not \"dlsia-ensemble\""), NULL;
  mn = json_object_get_member (o, "members");
  if (mn == NULL || !JSON_NODE_HOLDS_ARRAY (mn)
      || json_array_get_length (members = json_node_get_array (mn)) == 0
      || json_array_get_length (members) > 1000)
    return fail (error, path, "\"members\" must list 1 to 1000 model files"), NULL;
  e->models = g_new0 (DlsModel *, json_array_get_length (members));
  e->paths = g_new0 (char *, json_array_get_length (members));
  for (guint i = 0; i < json_array_get_length (members); i++)
    {
      JsonNode *item = json_array_get_element (members, i);
      const char *rel;
      g_autofree char *full = NULL;
      DlsModel *m;

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
        return fail (error, path, "a member is not a file name"), NULL;
      rel = json_node_get_string (item);
      full = g_path_is_absolute (rel) ? g_strdup (rel) : g_build_filename (dir, rel, NULL);
      m = dls_model_load (full, error);
      if (m == NULL)
        return NULL;
      e->models[e->n] = m;
      e->paths[e->n++] = g_strdup (rel);
      if (m->config.in_channels != e->models[0]->config.in_channels
          || m->config.out_channels != e->models[0]->config.out_channels)
        {
          g_autofree char *base = g_path_get_basename (path);

          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
                       "“%s”: member “%s” has %d → %d channels, the first member %d → %d", base,
                       rel, m->config.in_channels, m->config.out_channels,
                       e->models[0]->config.in_channels, e->models[0]->config.out_channels);
          return NULL;
        }
    }
  cn = json_object_get_member (o, "conformal");
  if (cn && JSON_NODE_HOLDS_OBJECT (cn))
    {
      JsonObject *c = json_node_get_object (cn);

      e->has_conformal = TRUE;
      if (!get_number (c, "alpha", 0.1, &e->alpha) || !get_number (c, "qhat", 1.0, &e->qhat)
          || !get_number (c, "n_calibration", 0, &n))
        return fail (error, path, "the conformal alpha, qhat or n_calibration is not a number"),
               NULL;
      e->n_calibration = (int64_t) CLAMP (n, 0, (double) G_MAXINT64 / 2);
      if (!(e->alpha > 0 && e->alpha < 1 && e->qhat >= 0 && e->qhat <= 1))
        return fail (error, path, "the conformal alpha or qhat is out of range"), NULL;
    }
  return g_steal_pointer (&e);
}

gboolean
dls_ensemble_write_manifest (const char *path, int n_classes, const char *const *members, int n,
                             gboolean has_conformal, double alpha, double qhat,
                             int64_t n_calibration, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gsize len;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, "dlsia-ensemble");
  json_builder_set_member_name (b, "classes");
  json_builder_add_int_value (b, n_classes);
  json_builder_set_member_name (b, "members");
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    json_builder_add_string_value (b, members[i]);
  json_builder_end_array (b);
  if (has_conformal)
    {
      json_builder_set_member_name (b, "conformal");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "alpha");
      json_builder_add_double_value (b, alpha);
      json_builder_set_member_name (b, "qhat");
      json_builder_add_double_value (b, qhat);
      json_builder_set_member_name (b, "n_calibration");
      json_builder_add_int_value (b, n_calibration);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, &len);
  return dls_io_write_file (path, text, len, error);
}

/* Where member k of n goes: the path itself for one model file, else beside the manifest
 * (fibres.json → fibres.m0.safetensors). */
char *
dls_ensemble_member_path (const char *path, int k, int n)
{
  g_autofree char *stem = NULL;

  if (n == 1 && dls_path_is_safetensors_name (path))
    return g_strdup (path);
  stem = g_str_has_suffix (path, ".json") ? g_strndup (path, strlen (path) - 5) : g_strdup (path);
  return g_strdup_printf ("%s.m%d.safetensors", stem, k);
}

gboolean
dls_path_is_safetensors_name (const char *path)
{
  return g_str_has_suffix (path, ".safetensors");
}

gboolean
dls_ensemble_save (const char *path, DlsModel *const *models, int n, gboolean has_conformal,
                   double alpha, double qhat, int64_t n_calibration, GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (n >= 1, FALSE);
  if (n == 1 && dls_path_is_safetensors_name (path))
    {
      DlsModelConfig *c = &models[0]->config;

      c->conformal_set = has_conformal;
      c->conformal_alpha = alpha;
      c->conformal_qhat = qhat;
      c->conformal_n = n_calibration;
      return dls_model_save (models[0], path, error);
    }
  /* Every member is written whole under a hidden name before any replaces the last save's, so
   * that a crash or a full disk half-way leaves the previous ensemble, not old and new members
   * mixed; only the renames at the end are not one step. */
  for (int k = 0; k < n; k++)
    {
      g_autofree char *member = dls_ensemble_member_path (path, k, n);
      g_autofree char *dir = g_path_get_dirname (member);
      g_autofree char *base = g_path_get_basename (member);
      g_autofree char *hidden = g_strdup_printf (".%s.%08x.part", base, g_random_int ());

      g_autoptr (GError) local = NULL;

      g_ptr_array_add (parts, g_build_filename (dir, hidden, NULL));
      g_ptr_array_add (names, g_steal_pointer (&base));
      if (!dls_model_save (models[k], parts->pdata[k], &local))
        {
          /* the message is about the member the user will see, not its hidden name */
          g_autoptr (GString) text = g_string_new (local->message);
          g_autofree char *shown = g_filename_display_name (parts->pdata[k]);
          g_autofree char *member_shown = g_filename_display_name (member);

          g_string_replace (text, shown, member_shown, 0);
          g_set_error_literal (error, local->domain, local->code, text->str);
          goto fail;
        }
    }
  for (int k = 0; k < n; k++)
    {
      g_autofree char *member = dls_ensemble_member_path (path, k, n);

      if (g_rename (parts->pdata[k], member) != 0)
        {
          int errsv = errno;
          g_autofree char *name = g_filename_display_name (member);

          g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE, "Cannot write “%s”: %s", name,
                       g_strerror (errsv));
          goto fail;
        }
      g_clear_pointer (&parts->pdata[k], g_free);
    }
  return dls_ensemble_write_manifest (path, models[0]->config.out_channels,
                                      (const char *const *) names->pdata, n, has_conformal, alpha,
                                      qhat, n_calibration, error);

fail:
  for (guint k = 0; k < parts->len; k++)
    if (parts->pdata[k] != NULL)
      g_unlink (parts->pdata[k]);
  return FALSE;
}
