/* SPDX-License-Identifier: MIT
 *
 * fuzz-entry.c: the fuzz targets' bodies (see fuzz-entry.h).  Inputs go to a file in a private
 * folder, because the readers take paths the way the app calls them.  Work per input is bounded
 * here, not in the readers: a TIFF that says it is 60000 × 60000 is a valid TIFF, and reading all
 * of it is the caller's choice; the fuzzer should spend its time on the parsing instead.
 *
 * A reader that fails without setting an error, or with an empty or non-UTF-8 message, is a bug
 * the same as a crash: it aborts.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensemble-file.h"
#include "fuzz-entry.h"
#include "labels-file.h"
#include "project.h"
#include "safetensors.h"
#include "tiff.h"

/* Bounds on the work done with an accepted input. */
#define MAX_SLICE_VALUES (1 << 22)   /* one slice read, C × H × W */
#define MAX_TOTAL_VALUES (1 << 24)   /* all slices read */
#define MAX_FORWARD_PIXELS (1 << 14) /* C × H × W of the forward pass's input */
#define MAX_FORWARD_PARAMS (1 << 20)
#define MAX_FORWARD_NODES 4096

static char *tmpdir;

static void
remove_tmpdir (void)
{
  g_autoptr (GDir) d = NULL;
  const char *name;

  if (tmpdir == NULL)
    return;
  d = g_dir_open (tmpdir, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (tmpdir, name, NULL);

      g_unlink (p);
    }
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

const char *
dls_fuzz_tmpdir (void)
{
  if (tmpdir == NULL)
    {
      const char *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) && access ("/dev/shm", W_OK) == 0
                             ? "/dev/shm"
                             : g_get_tmp_dir ();

      tmpdir = g_build_filename (base, "dlsia-fuzz-XXXXXX", NULL);
      if (g_mkdtemp (tmpdir) == NULL)
        g_error ("cannot make a temporary folder under %s: %s", base, g_strerror (errno));
      atexit (remove_tmpdir);
    }
  return tmpdir;
}

/* The input as a file named `name` in the private folder. */
static char *
write_input (const char *name, const uint8_t *data, size_t size)
{
  char *path = g_build_filename (dls_fuzz_tmpdir (), name, NULL);
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (path, (const char *) data, (gssize) size, &error))
    g_error ("cannot write the fuzz input: %s", error->message);
  return path;
}

/* A refusal must come with a message a person can read. */
static gboolean
refused (GError **error, GError *local)
{
  if (local == NULL || local->message == NULL || local->message[0] == '\0'
      || !g_utf8_validate (local->message, -1, NULL))
    {
      g_printerr ("a reader failed without a usable error message\n");
      abort ();
    }
  g_propagate_error (error, local);
  return FALSE;
}

/* ---- TIFF ---- */

gboolean
dls_fuzz_tiff (const uint8_t *data, size_t size, GError **error)
{
  g_autofree char *path = write_input ("input.tif", data, size);
  g_autoptr (DlsTiffReader) r = NULL;
  g_autofree float *slice = NULL;
  g_autofree guint8 *labels = NULL;
  GError *local = NULL;
  const DlsTiffInfo *info;
  gint64 values, total = 0;

  r = dls_tiff_reader_open (path, &local);
  if (r == NULL)
    return refused (error, local);
  info = dls_tiff_reader_get_info (r);
  if (info->width < 1 || info->height < 1 || info->depth < 1 || info->channels < 1)
    {
      g_printerr ("the reader accepted a TIFF of %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT
                  " × %" G_GINT64_FORMAT " × %d\n",
                  info->depth, info->channels ? info->height : 0, info->width, info->channels);
      abort ();
    }
  if (info->width > MAX_SLICE_VALUES || info->height > MAX_SLICE_VALUES
      || info->width * info->height > MAX_SLICE_VALUES / info->channels)
    return TRUE;
  values = info->width * info->height * info->channels;
  slice = g_new (float, values);
  for (gint64 z = 0; z < info->depth && total <= MAX_TOTAL_VALUES; z++, total += values)
    if (!dls_tiff_reader_read_slice (r, z, slice, &local))
      return refused (error, local);
  if (info->channels == 1 && info->depth * values <= MAX_TOTAL_VALUES)
    {
      /* the label loader reads the file once more, checking every value; a refusal (a float
       * image, a value over 255) is fine as long as it says why */
      labels = dls_labels_file_load (path, (int) info->depth, (int) info->height,
                                     (int) info->width, 255, &local);
      if (labels == NULL)
        {
          refused (NULL, local);
          local = NULL;
        }
    }
  return TRUE;
}

/* ---- models ---- */

/* The size a forward pass runs at: the fixed shape of the networks that have one, else a small
 * image larger than the reflect padding of the largest dilation. */
static void
forward_size (const DlsModelConfig *c, int *h, int *w)
{
  int d = 1;

  switch (c->arch)
    {
    case DLS_ARCH_TUNET:
      *h = c->image_shape[0];
      *w = c->image_shape[1];
      return;
    case DLS_ARCH_MSAE:
      *h = c->input_shape[1];
      *w = c->input_shape[2];
      return;
    case DLS_ARCH_SAE:
      *h = c->in_shape[0];
      *w = c->in_shape[1];
      return;
    case DLS_ARCH_MSDNET:
      d = c->max_dilation;
      for (int i = 0; i < c->n_custom_dilations; i++)
        d = MAX (d, c->custom_dilations[i]);
      break;
    default:
      for (int i = 0; i < c->graph.n_edges; i++)
        d = MAX (d, c->graph.edges[i].dilation);
      break;
    }
  *h = *w = MAX (8, 2 * d + 2);
}

/* One forward pass in eval mode over a deterministic input.  Returns FALSE with an error only
 * for refusals a caller sees (a graph too large to plan); bounds skip quietly. */
static gboolean
forward (DlsModel *m, GError **error)
{
  g_autofree float *x = NULL, *y = NULL;
  DlsModelNodes nodes;
  DlsGraph *g;
  DlsShape s;
  DlsRng rng;
  gint64 n;
  int h, w;
  gboolean ok;

  forward_size (&m->config, &h, &w);
  if (h < 1 || w < 1 || (gint64) h * w * m->config.in_channels > MAX_FORWARD_PIXELS
      || dls_model_n_params (m) > MAX_FORWARD_PARAMS)
    return TRUE;
  g = dls_model_build_graph (m, 1, h, w, &nodes, error);
  if (g == NULL)
    return FALSE;
  if (dls_graph_n_nodes (g) > MAX_FORWARD_NODES)
    {
      dls_graph_free (g);
      return TRUE;
    }
  if (!dls_graph_compile (g, false, error))
    {
      dls_graph_free (g);
      return FALSE;
    }
  n = (gint64) h * w * m->config.in_channels;
  x = g_new (float, n);
  dls_rng_init (&rng, 7);
  for (gint64 i = 0; i < n; i++)
    x[i] = (float) dls_rng_uniform (&rng);
  ok = dls_graph_set_input (g, nodes.input, x, error);
  dls_graph_set_training (g, false);
  if (ok && !dls_graph_forward (g))
    g_error ("the forward pass of an accepted model failed");
  if (ok)
    {
      s = dls_graph_shape (g, nodes.output);
      y = g_new (float, dls_shape_numel (s));
      dls_graph_read (g, nodes.output, y);
    }
  dls_graph_free (g);
  return ok;
}

gboolean
dls_fuzz_model (const uint8_t *data, size_t size, GError **error)
{
  g_autofree char *path = write_input ("input.safetensors", data, size);
  GError *local = NULL;
  DlsModel *m;
  gboolean ok;

  m = dls_model_load (path, &local);
  if (m == NULL)
    return refused (error, local);
  ok = forward (m, &local);
  dls_model_free (m);
  return ok || refused (error, local);
}

/* ---- projects ---- */

gboolean
dls_fuzz_project (const uint8_t *data, size_t size, GError **error)
{
  g_autofree char *path = write_input ("input.dlsia.json", data, size);
  g_autofree char *again = g_build_filename (dls_fuzz_tmpdir (), "saved.dlsia.json", NULL);
  g_autoptr (DlsProject) p = NULL;
  g_autoptr (DlsProject) q = NULL;
  GError *local = NULL;

  p = dls_project_load (path, &local);
  if (p == NULL)
    return refused (error, local);
  /* what loads must save, and load again */
  if (!dls_project_save (p, again, &local))
    {
      g_printerr ("a loaded project does not save: %s\n", local->message);
      abort ();
    }
  q = dls_project_load (again, &local);
  if (q == NULL)
    {
      g_printerr ("a saved project does not load: %s\n", local->message);
      abort ();
    }
  return TRUE;
}

/* ---- ensembles ---- */

DlsModel *
dls_fuzz_tiny_model (DlsArch arch, int in, int out, GError **error)
{
  DlsModelConfig c;
  DlsModel *m;

  dls_model_config_init (&c, arch);
  c.seed = 3;
  c.in_channels = in;
  c.out_channels = out;
  switch (arch)
    {
    case DLS_ARCH_MSDNET:
      c.num_layers = 3;
      c.layer_width = 1;
      c.max_dilation = 2;
      break;
    case DLS_ARCH_TUNET:
      c.depth = 2;
      c.base_channels = 2;
      c.image_shape[0] = c.image_shape[1] = 8;
      break;
    case DLS_ARCH_SMSNET:
      c.sms.layers = 3;
      break;
    case DLS_ARCH_MSAE:
      c.input_shape[1] = c.input_shape[2] = 8;
      c.base_channels = 2;
      c.latent_dimension = 4;
      break;
    case DLS_ARCH_SAE:
      {
        static const int seq[] = { 4, 2 };

        c.in_shape[0] = c.in_shape[1] = 16;
        c.latent_shape[0] = c.latent_shape[1] = 4;
        g_free (c.latent_sequence);
        c.latent_sequence = g_memdup2 (seq, sizeof seq);
        c.n_latent_sequence = 2;
        c.depth = 3;
        c.hidden_channels = 2;
      }
      break;
    default:
      break;
    }
  m = dls_model_new (&c, error);
  dls_model_config_clear (&c);
  if (m != NULL)
    dls_model_init_weights (m, 5);
  return m;
}

gboolean
dls_fuzz_write_members (const char *dir, GError **error)
{
  static const struct
  {
    DlsArch arch;
    int in, out;
  } members[DLS_FUZZ_N_MEMBERS] = {
    { DLS_ARCH_SMSNET, 1, 2 },
    { DLS_ARCH_MSDNET, 1, 2 },
    { DLS_ARCH_TUNET, 1, 2 },
    { DLS_ARCH_MSDNET, 1, 3 },
  };

  for (int k = 0; k < DLS_FUZZ_N_MEMBERS; k++)
    {
      g_autofree char *name = g_strdup_printf ("m%d.safetensors", k);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      DlsModel *m = dls_fuzz_tiny_model (members[k].arch, members[k].in, members[k].out, error);
      gboolean ok;

      if (m == NULL)
        return FALSE;
      ok = dls_model_save (m, path, error);
      dls_model_free (m);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

gboolean
dls_fuzz_ensemble (const uint8_t *data, size_t size, GError **error)
{
  static gboolean have_members;
  g_autofree char *path = NULL;
  g_autoptr (DlsEnsemble) e = NULL;
  GError *local = NULL;

  if (!have_members)
    {
      if (!dls_fuzz_write_members (dls_fuzz_tmpdir (), &local))
        g_error ("cannot write the ensemble members: %s", local->message);
      have_members = TRUE;
    }
  path = write_input ("input.json", data, size);
  e = dls_ensemble_load (path, &local);
  if (e == NULL)
    return refused (error, local);
  return TRUE;
}
