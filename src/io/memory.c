/* SPDX-License-Identifier: MIT
 *
 * memory.c: the machine's RAM from /proc/meminfo (sysconf where there is none), the memory
 * budget and the check against it (see memory.h).  The budget's settings sit behind a mutex,
 * so the application's main thread may change them while a loading thread checks.
 */
#include "config.h"

#include "memory.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static GMutex budget_lock; /* guards the three below */
static guint64 explicit_budget; /* 0: none */
static int budget_percent = DLS_MEMORY_DEFAULT_PERCENT;
static gboolean percent_from_app; /* dls_memory_set_budget_percent() was called */

/* A "Key:   123 kB" line of /proc/meminfo, in bytes; 0 when missing. */
static guint64
meminfo (const char *key)
{
  g_autofree char *text = NULL;
  size_t n = strlen (key);

  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    return 0;
  for (const char *line = text; line != NULL && *line != '\0';)
    {
      const char *next = strchr (line, '\n');

      if (strncmp (line, key, n) == 0 && line[n] == ':')
        {
          guint64 kb = g_ascii_strtoull (line + n + 1, NULL, 10);

          return kb * 1024;
        }
      line = next ? next + 1 : NULL;
    }
  return 0;
}

static guint64
sysconf_pages (int name)
{
  long pages = sysconf (name), size = sysconf (_SC_PAGESIZE);

  return pages > 0 && size > 0 ? (guint64) pages * (guint64) size : 0;
}

guint64
dls_memory_total (void)
{
  guint64 b = meminfo ("MemTotal");

  return b != 0 ? b : sysconf_pages (_SC_PHYS_PAGES);
}

guint64
dls_memory_available (void)
{
  guint64 b = meminfo ("MemAvailable");

#ifdef _SC_AVPHYS_PAGES
  if (b == 0)
    b = sysconf_pages (_SC_AVPHYS_PAGES);
#endif
  return b;
}

gboolean
dls_memory_parse_size (const char *text, guint64 *bytes, GError **error)
{
  g_autofree char *s = g_strstrip (g_strdup (text ? text : ""));
  char *end = NULL;
  double v, scale = 1;

  errno = 0;
  v = g_ascii_strtod (s, &end);
  if (end != s && errno == 0 && v > 0)
    {
      while (*end == ' ')
        end++;
      if (g_str_equal (end, "%"))
        {
          guint64 total = dls_memory_total ();

          if (v <= 100 && total * (v / 100) >= 1)
            {
              *bytes = (guint64) (total * (v / 100));
              return TRUE;
            }
        }
      else
        {
          static const char units[] = "KMGT";
          const char *u = *end ? strchr (units, g_ascii_toupper (*end)) : NULL;

          if (*end != '\0' && u != NULL)
            {
              for (const char *p = units; p <= u; p++)
                scale *= 1024;
              end++;
              if (g_ascii_strcasecmp (end, "B") == 0 || g_ascii_strcasecmp (end, "iB") == 0)
                end += strlen (end);
            }
          else if (g_ascii_strcasecmp (end, "B") == 0)
            end++;
          if (*end == '\0' && v * scale >= 1 && v * scale < 1.8e19)
            {
              *bytes = (guint64) (v * scale);
              return TRUE;
            }
        }
    }
  g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_FORMAT,
               "“%s” is not a memory size; write it like 2G, 512M, 1.5GB or 40%%", s);
  return FALSE;
}

void
dls_memory_set_budget (guint64 bytes)
{
  g_mutex_lock (&budget_lock);
  explicit_budget = bytes;
  g_mutex_unlock (&budget_lock);
}

void
dls_memory_set_budget_percent (int percent)
{
  g_mutex_lock (&budget_lock);
  budget_percent = CLAMP (percent, 1, 100);
  percent_from_app = TRUE;
  g_mutex_unlock (&budget_lock);
}

typedef enum
{
  FROM_OPTION,
  FROM_ENV,
  FROM_PREFERENCE,
  FROM_DEFAULT,
} Source;

/* The budget and where it came from.  An unparsable DLSIA_MEMORY_BUDGET is ignored here (the
 * command line reports it when it starts). */
static guint64
budget (Source *source, int *percent)
{
  const char *env = g_getenv ("DLSIA_MEMORY_BUDGET");
  guint64 b;

  g_mutex_lock (&budget_lock);
  b = explicit_budget;
  *percent = budget_percent;
  *source = b != 0 ? FROM_OPTION : percent_from_app ? FROM_PREFERENCE : FROM_DEFAULT;
  g_mutex_unlock (&budget_lock);
  if (b != 0)
    return b;
  if (env != NULL && *env != '\0' && dls_memory_parse_size (env, &b, NULL))
    {
      *source = FROM_ENV;
      return b;
    }
  b = dls_memory_total ();
  /* no RAM figure (an odd container): no budget rather than a budget of nothing */
  return b != 0 ? (guint64) (b * (*percent / 100.0)) : G_MAXUINT64;
}

guint64
dls_memory_budget (void)
{
  Source source;
  int percent;

  return budget (&source, &percent);
}

gboolean
dls_memory_check (guint64 bytes_needed, const char *what, const char *alternative, GError **error)
{
  Source source;
  int percent;
  guint64 b = budget (&source, &percent), total = dls_memory_total ();
  g_autofree char *need = NULL, *have = NULL, *ram = NULL, *how = NULL;
  const char *raise;

  if (bytes_needed <= b)
    return TRUE;
  /* binary units, as DLSIA_MEMORY_BUDGET and --memory-budget read them: "2G" shows as 2.0 GiB */
  need = g_format_size_full (bytes_needed, G_FORMAT_SIZE_IEC_UNITS);
  have = g_format_size_full (b, G_FORMAT_SIZE_IEC_UNITS);
  ram = g_format_size_full (total, G_FORMAT_SIZE_IEC_UNITS);
  switch (source)
    {
    case FROM_OPTION:
      how = g_strdup (have);
      raise = "raise it with --memory-budget";
      break;
    case FROM_ENV:
      how = g_strdup_printf ("%s, from DLSIA_MEMORY_BUDGET", have);
      raise = "raise DLSIA_MEMORY_BUDGET";
      break;
    case FROM_PREFERENCE:
      how = g_strdup_printf ("%s (%d %% of %s RAM)", have, percent, ram);
      raise = "raise it in Preferences › Memory Budget";
      break;
    case FROM_DEFAULT:
    default:
      how = g_strdup_printf ("%s (%d %% of %s RAM)", have, percent, ram);
      raise = "raise it with --memory-budget or DLSIA_MEMORY_BUDGET";
      break;
    }
  if (total != 0 && bytes_needed > total)
    g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
                 "%s needs %s of memory, more than this computer has (%s RAM; the memory budget "
                 "is %s)%s%s",
                 what, need, ram, have, alternative ? ": " : "", alternative ? alternative : "");
  else
    g_set_error (error, DLS_IO_ERROR, DLS_IO_ERROR_TOO_LARGE,
                 "%s needs %s of memory but the memory budget is %s: %s%s%s", what, need, how,
                 raise, alternative ? ", or " : "", alternative ? alternative : "");
  return FALSE;
}
