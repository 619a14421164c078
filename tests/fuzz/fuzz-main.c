/* SPDX-License-Identifier: MIT
 *
 * fuzz-main.c: the libFuzzer entry point of one fuzz target; FUZZ_ENTRY names its body in
 * fuzz-entry.c (dls_fuzz_tiff, dls_fuzz_model, …).  GLib's criticals and warnings abort, so a
 * failed g_return_if_fail() counts as a crash.
 */
#include "config.h"

#include "fuzz-entry.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
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
