/* SPDX-License-Identifier: MIT
 *
 * engine-summary.c: turns the engine's configuration (kernel instruction set, worker threads,
 * OpenBLAS core) into one translated line for the start page.  The formatting is a pure
 * function of its arguments so tests can check it with fixed values; dls_engine_summary_new()
 * asks the library.  It deliberately does not change the configuration; it only reports it.
 */
#include "config.h"

#include "engine-summary.h"

#include "engine.h"

#include <glib/gi18n.h>

/* The engine names its kernel builds by their -march level; people know the marketing names. */
static const char *
isa_display_name (const char *isa)
{
  if (isa == NULL)
    return _ ("unknown");
  if (g_str_equal (isa, "avx512"))
    return "AVX-512";
  if (g_str_equal (isa, "avx2"))
    return "AVX2";
  if (g_str_equal (isa, "generic"))
    /* Translators: the compute kernels built for any CPU of the architecture */
    return _ ("generic");
  return isa;
}

char *
dls_engine_summary_format (const char *kernel_isa, int n_threads, const char *blas_core)
{
  g_autofree char *threads = NULL;

  threads = g_strdup_printf (ngettext ("%d thread", "%d threads", n_threads), n_threads);
  /* Translators: the compute engine's configuration, e.g.
   * "Compute engine: AVX-512 kernels · 16 threads · OpenBLAS Haswell" */
  return g_strdup_printf (_ ("Compute engine: %s kernels · %s · OpenBLAS %s"),
                          isa_display_name (kernel_isa), threads,
                          blas_core != NULL ? blas_core : _ ("unknown"));
}

char *
dls_engine_summary_new (void)
{
  return dls_engine_summary_format (dls_engine_kernel_isa (), dls_engine_get_threads (),
                                    dls_engine_blas_corename ());
}
