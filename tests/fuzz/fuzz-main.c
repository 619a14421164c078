/* SPDX-License-Identifier: MIT
 *
 * fuzz-main.c: the libFuzzer entry point of one fuzz target; FUZZ_ENTRY names its body in
 * fuzz-entry.c (dls_fuzz_tiff, dls_fuzz_model, …).  GLib's criticals and warnings abort, so a
 * failed g_return_if_fail() counts as a crash: through abort(), which libFuzzer catches and
 * keeps the input for, not GLib's breakpoint trap, which it does not.
 */
#include "config.h"

#include <stdlib.h>

#include "fuzz-entry.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static GLogWriterOutput
write_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  GLogWriterOutput out = g_log_writer_standard_streams (level, fields, n_fields, user_data);

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
  return out;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_writer_func (write_log, NULL, NULL);
  dls_fuzz_tmpdir ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;

  FUZZ_ENTRY (data, size, &error);
  return 0;
}
