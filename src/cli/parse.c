/* SPDX-License-Identifier: MIT
 *
 * parse.c: option value parsers for the command line, strict about what they accept.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "cli.h"

gboolean
cli_parse_int (const char *cmd, const char *opt, const char *s, int lo, int hi, int *out)
{
  char *end = NULL;
  long v;

  errno = 0;
  v = s ? strtol (s, &end, 10) : 0;
  if (s == NULL || *s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
    {
      g_printerr ("dlsia %s: --%s needs a whole number from %d to %d, not “%s”\n", cmd, opt, lo, hi,
                  s ? s : "");
      return FALSE;
    }
  *out = (int) v;
  return TRUE;
}

gboolean
cli_parse_double (const char *cmd, const char *opt, const char *s, double lo, double hi,
                  double *out)
{
  char *end = NULL;
  double v;

  v = s ? g_ascii_strtod (s, &end) : 0;
  if (s == NULL || *s == '\0' || *end != '\0' || !(v >= lo && v <= hi))
    {
      g_printerr ("dlsia %s: --%s needs a number from %g to %g, not “%s”\n", cmd, opt, lo, hi,
                  s ? s : "");
      return FALSE;
    }
  *out = v;
  return TRUE;
}

int
cli_parse_ints (const char *cmd, const char *opt, const char *s, int lo, int hi, int **out)
{
  g_auto (GStrv) parts = g_strsplit_set (s ? s : "", ", ", -1);
  g_autoptr (GArray) v = g_array_new (FALSE, FALSE, sizeof (int));

  for (int i = 0; parts[i]; i++)
    {
      int x;

      if (*parts[i] == '\0')
        continue;
      if (!cli_parse_int (cmd, opt, parts[i], lo, hi, &x))
        return -1;
      g_array_append_val (v, x);
    }
  if (v->len == 0)
    {
      g_printerr ("dlsia %s: --%s needs a list of numbers such as 1,2,3\n", cmd, opt);
      return -1;
    }
  g_free (*out);
  *out = g_memdup2 (v->data, sizeof (int) * v->len);
  return (int) v->len;
}

gboolean
cli_parse_shape (const char *cmd, const char *opt, const char *s, int n, int *out)
{
  g_auto (GStrv) parts = g_strsplit_set (s ? s : "", "x×,", -1);

  if (g_strv_length (parts) != (guint) n)
    {
      g_printerr ("dlsia %s: --%s needs %d sizes like %s, not “%s”\n", cmd, opt, n,
                  n == 2 ? "64x64" : "1x32x32", s ? s : "");
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    if (!cli_parse_int (cmd, opt, parts[i], 1, 1 << 20, &out[i]))
      return FALSE;
  return TRUE;
}
