/* SPDX-License-Identifier: MIT
 *
 * fuzz-entry.h: the bodies of the fuzz targets, one function per file reader.  Each takes the
 * bytes of one file, hands them to the reader the way the app does (through a temporary file
 * when the reader takes a path) and uses whatever the reader accepts (every slice of a TIFF, a
 * forward pass of a model).  The same functions run under libFuzzer (fuzz-main.c) and, built
 * with gcc, in the regression test that replays every input kept in tests/data/fuzz/.
 *
 * They return TRUE when the reader accepted the input, FALSE with the reader's error set when it
 * refused it.  Crashing, leaking or hanging is what the fuzzer looks for.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "models.h"

G_BEGIN_DECLS

/* A TIFF stack: dls_tiff_reader_open, every slice, then dls_labels_file_load. */
gboolean dls_fuzz_tiff     (const uint8_t *data, size_t size, GError **error);
/* A safetensors model file: dls_model_load, then a forward pass on a tiny input. */
gboolean dls_fuzz_model    (const uint8_t *data, size_t size, GError **error);
/* A project file (NAME.dlsia.json): dls_project_load. */
gboolean dls_fuzz_project  (const uint8_t *data, size_t size, GError **error);
/* An ensemble manifest (or a model file): dls_ensemble_load, with the member model files that
 * dls_fuzz_write_members() makes beside it. */
gboolean dls_fuzz_ensemble (const uint8_t *data, size_t size, GError **error);

/* A small model of an architecture with its weights initialised, for seeds and members. */
DlsModel *dls_fuzz_tiny_model (DlsArch arch, int in, int out, GError **error);

/* The member files an ensemble manifest may name: m0.safetensors … m3.safetensors in dir (an
 * SMSNet, an MSDNet and a TUNet for 1 → 2 channels, and an MSDNet for 1 → 3 channels). */
#define DLS_FUZZ_N_MEMBERS 4
gboolean dls_fuzz_write_members (const char *dir, GError **error);

/* The folder the entry functions write their inputs to (made on first use, unique to this
 * process, removed at exit): under /dev/shm when there is one, else g_get_tmp_dir(). */
const char *dls_fuzz_tmpdir (void);

G_END_DECLS
