/* SPDX-License-Identifier: MIT
 *
 * io-error.c: the DLS_IO_ERROR domain.
 */
#include "io-error.h"

/* clang-format off */
G_DEFINE_QUARK (dls-io-error-quark, dls_io_error)
/* clang-format on */
