/* SPDX-License-Identifier: MIT
 *
 * json-text.c: a JSON printer for human-readable files (see json-text.h for why not
 * json-glib's own).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "json-text.h"

static void print_node (GString *out, JsonNode *node, int depth);

static gboolean
is_number (JsonNode *node)
{
  GType t;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  t = json_node_get_value_type (node);
  return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
}

static void
print_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const char *c = s; *c != '\0'; c++)
    switch (*c)
      {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if ((guchar) *c < 0x20)
          g_string_append_printf (out, "\\u%04x", (guchar) *c);
        else
          g_string_append_c (out, *c); /* UTF-8 as is: names stay readable */
      }
  g_string_append_c (out, '"');
}

/* The shortest text that reads back as the same double, always with a "." or an exponent so it
 * reads back as a double; JSON has no NaN or infinity. */
static void
print_double (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    {
      g_string_append (out, "null");
      return;
    }
  for (int prec = 1; prec <= 17; prec++)
    {
      char fmt[8];

      g_snprintf (fmt, sizeof fmt, "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (out, buf);
  if (strpbrk (buf, ".eE") == NULL)
    g_string_append (out, ".0");
}

static void
indent (GString *out, int depth)
{
  g_string_append_c (out, '\n');
  for (int i = 0; i < depth; i++)
    g_string_append (out, "  ");
}

/* A list of numbers stays on one line: "slice": [12, 0, 0]. */
static gboolean
all_numbers (JsonArray *a)
{
  for (guint i = 0; i < json_array_get_length (a); i++)
    if (!is_number (json_array_get_element (a, i)))
      return FALSE;
  return TRUE;
}

static void
print_node (GString *out, JsonNode *node, int depth)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      return;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          print_string (out, json_node_get_string (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_DOUBLE:
          print_double (out, json_node_get_double (node));
          break;
        default:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
        }
      return;
    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_node_get_array (node);
        guint n = json_array_get_length (a);
        gboolean inline_ = all_numbers (a);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (inline_)
              g_string_append (out, i ? ", " : "");
            else
              {
                g_string_append (out, i ? "," : "");
                indent (out, depth + 1);
              }
            print_node (out, json_array_get_element (a, i), depth + 1);
          }
        if (n > 0 && !inline_)
          indent (out, depth);
        g_string_append_c (out, ']');
        return;
      }
    case JSON_NODE_OBJECT:
      {
        JsonObject *o = json_node_get_object (node);
        GList *members = json_object_get_members (o);

        g_string_append_c (out, '{');
        for (GList *l = members; l != NULL; l = l->next)
          {
            g_string_append (out, l == members ? "" : ",");
            indent (out, depth + 1);
            print_string (out, l->data);
            g_string_append (out, ": ");
            print_node (out, json_object_get_member (o, l->data), depth + 1);
          }
        if (members != NULL)
          indent (out, depth);
        g_string_append_c (out, '}');
        g_list_free (members);
        return;
      }
    }
}

char *
dls_json_to_text (JsonNode *root, gsize *len)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (root != NULL, NULL);
  print_node (out, root, 0);
  g_string_append_c (out, '\n');
  if (len != NULL)
    *len = out->len;
  return g_string_free (out, FALSE);
}

gboolean
dls_json_too_deep (const char *text, gssize len)
{
  gboolean in_string = FALSE;
  int depth = 0;

  for (gssize i = 0; len < 0 ? text[i] != '\0' : i < len; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\' && (len < 0 ? text[i + 1] != '\0' : i + 1 < len))
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > DLS_JSON_MAX_DEPTH)
            return TRUE;
        }
      else if (c == ']' || c == '}')
        depth--;
    }
  return FALSE;
}

gboolean
dls_json_find_bad_text (JsonNode *node, GString *where)
{
  gsize len = where->len;

  if (node == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr (GList) members = json_object_get_members (o);

      for (GList *l = members; l != NULL; l = l->next)
        {
          const char *key = l->data;

          if (!g_utf8_validate (key, -1, NULL))
            {
              g_string_append (where, len ? " (a key in it)" : "a key");
              return TRUE;
            }
          g_string_append_printf (where, "%s%s", len ? "." : "", key);
          if (dls_json_find_bad_text (json_object_get_member (o, key), where))
            return TRUE;
          g_string_truncate (where, len);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          g_string_append_printf (where, "[%u]", i);
          if (dls_json_find_bad_text (json_array_get_element (a, i), where))
            return TRUE;
          g_string_truncate (where, len);
        }
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return !g_utf8_validate (json_node_get_string (node), -1, NULL);
  return FALSE;
}
