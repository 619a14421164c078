/* SPDX-License-Identifier: MIT
 *
 * engine-summary.h: the one-line description of the compute engine's configuration that the
 * window shows ("AVX-512 kernels · 16 threads · OpenBLAS Haswell").  GTK-free.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *dls_engine_summary_format (const char *kernel_isa, int n_threads, const char *blas_core);
char *dls_engine_summary_new    (void);

G_END_DECLS
