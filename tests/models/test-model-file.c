/* SPDX-License-Identifier: MIT
 *
 * test-model-file.c: safetensors model files — every architecture saved and loaded bit for bit
 * with its config, the container read exactly as the format says, and each kind of bad file
 * (truncated, not safetensors, no config, unknown architecture, a missing, mis-shaped, mistyped
 * or extra tensor) refused with a message that names the problem.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "safetensors.h"

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static DlsModel *
make_model (DlsArch arch, uint64_t seed)
{
  g_autoptr (GError) error = NULL;
  DlsModelConfig c;
  DlsModel *m;

  dls_model_config_init (&c, arch);
  c.seed = seed;
  if (arch == DLS_ARCH_TUNET)
    {
      c.depth = 3;
      c.base_channels = 4;
    }
  if (arch == DLS_ARCH_SAE)
    {
      c.in_shape[0] = c.in_shape[1] = 16;
      c.latent_shape[0] = c.latent_shape[1] = 4;
      c.depth = 6;
    }
  m = dls_model_new (&c, &error);
  g_assert_no_error (error);
  dls_model_init_weights (m, seed);
  /* make running statistics and counters non-trivial so the round trip sees them */
  for (int i = 0; i < dls_params_count (m->params); i++)
    {
      const DlsParamInfo *p = dls_params_info (m->params, i);

      if (p->kind == DLS_PARAM_BUFFER)
        for (int64_t k = 0; k < p->numel; k++)
          dls_params_data (m->params, i)[k] = 0.5f + 0.01f * (float) k;
      else if (p->kind == DLS_PARAM_COUNTER)
        *dls_params_counter (m->params, i) = 1234567890123LL + i;
    }
  dls_model_config_clear (&c);
  return m;
}

static void
assert_same_params (DlsModel *a, DlsModel *b)
{
  g_assert_cmpint (dls_params_count (a->params), ==, dls_params_count (b->params));
  for (int i = 0; i < dls_params_count (a->params); i++)
    {
      const DlsParamInfo *p = dls_params_info (a->params, i);
      int j = dls_params_find (b->params, p->name);

      g_assert_cmpint (j, >=, 0);
      if (p->kind == DLS_PARAM_COUNTER)
        g_assert_cmpint (*dls_params_counter (a->params, i), ==,
                         *dls_params_counter (b->params, j));
      else
        g_assert_cmpmem (dls_params_data (a->params, i), p->numel * 4,
                         dls_params_data (b->params, j), p->numel * 4);
    }
}

static void
test_roundtrip (void)
{
  for (int arch = 0; arch < DLS_ARCH_COUNT; arch++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *path = tmp_path ("round.safetensors");
      g_autoptr (JsonNode) j1 = NULL, j2 = NULL;
      g_autofree char *s1 = NULL, *s2 = NULL;
      DlsModel *m = make_model (arch, 100 + arch), *back;

      m->config.norm_set = TRUE;
      m->config.norm_low = 10;
      m->config.norm_high = 2000;
      m->config.norm_p_low = 1;
      m->config.norm_p_high = 99;
      g_assert_true (dls_model_save (m, path, &error));
      g_assert_no_error (error);
      back = dls_model_load (path, &error);
      g_assert_no_error (error);
      assert_same_params (m, back);
      j1 = dls_model_config_to_json (&m->config);
      j2 = dls_model_config_to_json (&back->config);
      s1 = json_to_string (j1, FALSE);
      s2 = json_to_string (j2, FALSE);
      g_assert_cmpstr (s1, ==, s2);
      dls_model_free (m);
      dls_model_free (back);
      g_unlink (path);
    }
}

/* The container itself: header length, 8-byte alignment, names, dtypes, offsets. */
static void
test_container (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = tmp_path ("c.safetensors");
  g_autofree char *bytes = NULL;
  gsize len;
  float f[6] = { 1, 2, 3, 4, 5, 6 };
  int64_t cnt = -7;
  DlsTensorOut t[2] = {
    { "a b.weight", DLS_DTYPE_F32, 2, { 2, 3 }, f },
    { "n", DLS_DTYPE_I64, 0, { 0 }, &cnt },
  };
  const char *meta[] = { "k", "v \"quoted\"", NULL };
  guint64 hlen = 0;
  g_autoptr (DlsSafetensors) st = NULL;
  const DlsTensorInfo *ti;

  g_assert_true (dls_safetensors_write (path, t, 2, meta, &error));
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  for (int i = 7; i >= 0; i--)
    hlen = (hlen << 8) | (guint8) bytes[i];
  g_assert_cmpint (hlen % 8, ==, 0);
  g_assert_cmpint (len, ==, 8 + hlen + 24 + 8);
  st = dls_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dls_safetensors_metadata (st, "k"), ==, "v \"quoted\"");
  ti = dls_safetensors_find (st, "a b.weight");
  g_assert_nonnull (ti);
  g_assert_cmpint (ti->dtype, ==, DLS_DTYPE_F32);
  g_assert_cmpint (ti->ndim, ==, 2);
  g_assert_cmpint (ti->shape[1], ==, 3);
  g_assert_cmpmem (dls_safetensors_data (st, ti), 24, f, 24);
  ti = dls_safetensors_find (st, "n");
  g_assert_cmpint (ti->ndim, ==, 0);
  g_assert_cmpint (*(const int64_t *) dls_safetensors_data (st, ti), ==, -7);
  g_unlink (path);
}

static void
expect_load_error (const char *path, const char *fragment)
{
  g_autoptr (GError) error = NULL;
  DlsModel *m = dls_model_load (path, &error);

  g_assert_null (m);
  g_assert_nonnull (error);
  g_assert_true (error->domain == DLS_IO_ERROR);
  if (strstr (error->message, fragment) == NULL)
    g_error ("“%s” lacks “%s”", error->message, fragment);
}

static void
test_bad_containers (void)
{
  g_autofree char *path = tmp_path ("bad.safetensors");
  g_autofree char *good = tmp_path ("good.safetensors");
  g_autofree char *bytes = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;
  DlsModel *m = make_model (DLS_ARCH_MSDNET, 1);

  g_assert_true (dls_model_save (m, good, &error));
  g_assert_true (g_file_get_contents (good, &bytes, &len, NULL));

  expect_load_error ("/nonexistent/dir/m.safetensors", "no such file");
  expect_load_error (tmpdir, "is a folder");
  /* a pipe would block a reader for ever */
  {
    g_autofree char *fifo = tmp_path ("pipe.safetensors");

    g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
    expect_load_error (fifo, "not a regular file");
  }
  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  expect_load_error (path, "too short");
  g_assert_true (g_file_set_contents (path, bytes, (gssize) len / 2, NULL));
  expect_load_error (path, "header length");
  g_assert_true (g_file_set_contents (path, bytes, (gssize) len - 10, NULL));
  expect_load_error (path, "outside the file");
  g_assert_true (g_file_set_contents (path, "\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10, NULL));
  expect_load_error (path, "header length");
  g_assert_true (g_file_set_contents (path, "\x04\0\0\0\0\0\0\0{abc", 12, NULL));
  expect_load_error (path, "not JSON");
  g_assert_true (g_file_set_contents (path, "\x02\0\0\0\0\0\0\0[]", 10, NULL));
  expect_load_error (path, "not a JSON object");
  /* random bytes */
  {
    char junk[4096];
    DlsRng rng;

    dls_rng_init (&rng, 4);
    for (size_t i = 0; i < sizeof junk; i++)
      junk[i] = (char) dls_rng_next (&rng);
    junk[7] = 0;
    junk[6] = 0;
    g_assert_true (g_file_set_contents (path, junk, sizeof junk, NULL));
    expect_load_error (path, "not a valid model file");
  }
  dls_model_free (m);
  g_unlink (path);
  g_unlink (good);
}

/* Writes the model's tensors with one changed, as a hostile or stale file would. */
typedef enum
{
  DROP,
  RESHAPE,
  RETYPE,
  EXTRA,
  NO_CONFIG,
  BAD_ARCH
} Damage;

static void
write_damaged (DlsModel *m, const char *path, Damage how, const char *victim)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) cfg = dls_model_config_to_json (&m->config);
  g_autofree char *json = json_to_string (cfg, FALSE);
  g_autofree DlsTensorOut *t = g_new0 (DlsTensorOut, dls_params_count (m->params) + 1);
  g_autofree double *wide = NULL;
  static float extra[3];
  const char *meta[] = { "dlsia.config", json, NULL };
  int n = 0;

  if (how == BAD_ARCH)
    {
      char *p = strstr (json, "\"msdnet\"");

      memcpy (p, "\"resnet\"", 8);
    }
  for (int i = 0; i < dls_params_count (m->params); i++)
    {
      const DlsParamInfo *p = dls_params_info (m->params, i);
      DlsTensorOut *o = &t[n];

      if (how == DROP && strcmp (p->name, victim) == 0)
        continue;
      o->name = p->name;
      o->dtype = p->kind == DLS_PARAM_COUNTER ? DLS_DTYPE_I64 : DLS_DTYPE_F32;
      o->ndim = p->ndim;
      memcpy (o->shape, p->shape, sizeof (int64_t) * p->ndim);
      o->data = p->kind == DLS_PARAM_COUNTER ? (void *) dls_params_counter (m->params, i)
                                             : (void *) dls_params_data (m->params, i);
      if (strcmp (p->name, victim) == 0 && how == RESHAPE)
        {
          o->shape[0] = 1;
          o->shape[1] = p->numel;
          o->ndim = 2;
        }
      if (strcmp (p->name, victim) == 0 && how == RETYPE)
        {
          wide = g_new0 (double, p->numel);
          o->dtype = DLS_DTYPE_F64;
          o->data = wide;
        }
      n++;
    }
  if (how == EXTRA)
    t[n++] = (DlsTensorOut){ "layer_99.conv_0.weight", DLS_DTYPE_F32, 1, { 3 }, extra };
  g_assert_true (dls_safetensors_write (path, t, n, how == NO_CONFIG ? NULL : meta, &error));
}

static void
test_bad_models (void)
{
  g_autofree char *path = tmp_path ("dmg.safetensors");
  DlsModel *m = make_model (DLS_ARCH_MSDNET, 3);

  write_damaged (m, path, DROP, "layer_3.conv_0.bias");
  expect_load_error (path, "tensor “layer_3.conv_0.bias” is missing");
  write_damaged (m, path, RESHAPE, "layer_2.conv_0.weight");
  expect_load_error (path, "tensor “layer_2.conv_0.weight” has shape [1, 27], the config needs "
                           "[1, 3, 3, 3]");
  write_damaged (m, path, RETYPE, "normalization_1.running_var");
  expect_load_error (path, "“normalization_1.running_var” is F64, it must be F32");
  write_damaged (m, path, EXTRA, "");
  expect_load_error (path, "“layer_99.conv_0.weight” does not belong to this msdnet");
  write_damaged (m, path, NO_CONFIG, "");
  expect_load_error (path, "without a DLSIA Studio model config");
  write_damaged (m, path, BAD_ARCH, "");
  expect_load_error (path, "unknown architecture “resnet”");
  dls_model_free (m);
  g_unlink (path);
}

/* A write into a folder that cannot be written fails cleanly and leaves nothing behind; a
 * failed overwrite leaves the old file as it was. */
static void
test_atomic (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = tmp_path ("keep.safetensors");
  g_autofree char *before = NULL, *after = NULL;
  gsize l1, l2;
  DlsModel *m = make_model (DLS_ARCH_SMSNET, 5);

  g_assert_false (dls_model_save (m, "/nonexistent-dir/x.safetensors", &error));
  g_assert_error (error, DLS_IO_ERROR, DLS_IO_ERROR_WRITE);
  g_assert_nonnull (strstr (error->message, "x.safetensors"));
  g_clear_error (&error);
  g_assert_true (dls_model_save (m, path, &error));
  g_assert_true (g_file_get_contents (path, &before, &l1, NULL));
  g_assert_true (dls_model_save (m, path, &error));
  g_assert_true (g_file_get_contents (path, &after, &l2, NULL));
  g_assert_cmpmem (before, l1, after, l2);
  dls_model_free (m);
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("dlsia-model-file-XXXXXX", NULL);
  g_test_add_func ("/io/model-file/roundtrip", test_roundtrip);
  g_test_add_func ("/io/model-file/container", test_container);
  g_test_add_func ("/io/model-file/bad-containers", test_bad_containers);
  g_test_add_func ("/io/model-file/bad-models", test_bad_models);
  g_test_add_func ("/io/model-file/atomic", test_atomic);
  rc = g_test_run ();
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return rc;
}
