/* SPDX-License-Identifier: MIT
 *
 * test-fuzz-regress.c: the file readers against hostile input.  Every file kept in
 * tests/data/fuzz/TARGET/ (inputs that once crashed, leaked or hung a fuzz target) goes through
 * the target's body again and must come back, refused with a readable message or accepted;
 * handcrafted inputs the fuzzers reach slowly (truncations, huge lengths, offsets past the end,
 * overflowing shapes, wrong types, deep nesting) must be refused with a message that says why;
 * and the seeds make-corpus writes with the project's own writers must all be accepted, so the
 * fuzzers start from files that reach deep into the readers.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "fuzz-entry.h"
#include "tiff.h"
#include "tmpdir.h"

typedef gboolean (*Entry) (const uint8_t *data, size_t size, GError **error);

static const struct
{
  const char *name;
  Entry entry;
} targets[] = {
  { "tiff", dls_fuzz_tiff },
  { "model", dls_fuzz_model },
  { "project", dls_fuzz_project },
  { "ensemble", dls_fuzz_ensemble },
};

static Entry
entry_for (const char *target)
{
  for (size_t i = 0; i < G_N_ELEMENTS (targets); i++)
    if (strcmp (targets[i].name, target) == 0)
      return targets[i].entry;
  g_assert_not_reached ();
}

/* Runs one input; a refusal must carry a message (the entry aborts otherwise). */
static gboolean
run (Entry entry, const void *data, size_t size, GError **error)
{
  gboolean ok = entry (data, size, error);

  g_assert_true (ok == (*error == NULL));
  return ok;
}

static void
refuse (Entry entry, const void *data, size_t size, const char *expect)
{
  g_autoptr (GError) error = NULL;

  if (run (entry, data, size, &error))
    g_error ("accepted: %.*s", (int) MIN (size, 200), (const char *) data);
  if (strstr (error->message, expect) == NULL)
    g_error ("“%s” does not say “%s”", error->message, expect);
}

static void
refuse_text (Entry entry, const char *text, const char *expect)
{
  refuse (entry, text, strlen (text), expect);
}

/* ---- kept crashers ---- */

static void
test_kept (gconstpointer data)
{
  const char *target = data;
  Entry entry = entry_for (target);
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "data", "fuzz", target, NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  int n = 0;

  if (d == NULL)
    {
      g_test_skip ("no inputs kept for this target");
      return;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *bytes = NULL;
      g_autoptr (GError) error = NULL;
      gsize len;

      if (g_str_has_prefix (name, ".") || g_str_has_suffix (name, ".md"))
        continue;
      g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
      g_test_message ("%s", name);
      run (entry, bytes, len, &error);
      n++;
    }
  g_assert_cmpint (n, >, 0);
}

/* ---- handcrafted ---- */

static void
test_tiff_truncated (void)
{
  g_autofree char *dir = dls_test_tmpdir_new ("fuzz-regress");
  g_autofree char *path = g_build_filename (dir, "v.tif", NULL);
  g_autofree char *bytes = NULL;
  g_autoptr (GError) error = NULL;
  guint8 volume[3 * 6 * 7];
  gsize len;

  for (size_t i = 0; i < sizeof volume; i++)
    volume[i] = (guint8) (i % 5);
  g_assert_true (dls_tiff_write_u8 (path, volume, 3, 6, 7, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  g_assert_true (run (dls_fuzz_tiff, bytes, len, &error));
  /* every cut: nothing, the header, the middle of the data, the middle of the directories */
  refuse (dls_fuzz_tiff, bytes, 0, "");
  for (gsize cut = 1; cut < len; cut += MAX (1, len / 23))
    {
      g_autoptr (GError) e = NULL;

      run (dls_fuzz_tiff, bytes, cut, &e);
    }
  refuse (dls_fuzz_tiff, "II*\0\xff\xff\xff\x7f", 8, "");
  refuse (dls_fuzz_tiff, "MM\0+\0\x08\0\0\xff\xff\xff\xff\xff\xff\xff\xff", 16, "");
  dls_test_tmpdir_remove (dir);
}

/* A safetensors file: the 8-byte length, then the header, then `tail`. */
static GBytes *
safetensors (const char *header, guint64 claimed, const char *tail)
{
  GByteArray *b = g_byte_array_new ();
  guint8 len[8];

  for (int i = 0; i < 8; i++)
    len[i] = (guint8) (claimed >> (8 * i));
  g_byte_array_append (b, len, 8);
  g_byte_array_append (b, (const guint8 *) header, strlen (header));
  g_byte_array_append (b, (const guint8 *) tail, strlen (tail));
  return g_byte_array_free_to_bytes (b);
}

static void
refuse_safetensors (const char *header, guint64 claimed, const char *tail, const char *expect)
{
  g_autoptr (GBytes) b = safetensors (header, claimed, tail);
  gsize len;
  const void *data = g_bytes_get_data (b, &len);

  refuse (dls_fuzz_model, data, len, expect);
  refuse (dls_fuzz_ensemble, data, len, expect);
}

#define T(h) h, strlen (h)

static void
test_model_hostile (void)
{
  g_autofree char *deep = NULL;
  g_autofree char *deep_config = NULL;
  GString *s;

  refuse (dls_fuzz_model, "", 0, "too short");
  refuse_safetensors ("{}", G_MAXUINT64, "", "header length");
  refuse_safetensors ("{}", (guint64) 1 << 40, "", "header length");
  refuse_safetensors ("{}", 1, "", "header length");
  refuse_safetensors ("{\"a\": 1}", 8, "", "not an object");
  refuse_safetensors (T ("{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}"),
                      "", "outside the file");
  refuse_safetensors (T ("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": "
                         "[9223372036854775800, 9223372036854775804]}}"),
                      "", "outside the file");
  refuse_safetensors (T ("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}"),
                      "abcd", "outside the file");
  refuse_safetensors (T ("{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}"),
                      "abcd", "bad shape");
  refuse_safetensors (T ("{\"w\": {\"dtype\": \"F32\", \"shape\": [1099511627776, 1099511627776, "
                         "1099511627776], \"data_offsets\": [0, 0]}}"),
                      "", "bad shape");
  refuse_safetensors (T ("{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}"),
                      "abcd", "bad shape");
  refuse_safetensors (T ("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}"),
                      "abcd", "4 bytes for 2 values");
  refuse_safetensors (T ("{\"w\": {\"dtype\": \"Q4\", \"shape\": [1], \"data_offsets\": [0, 4]}}"),
                      "abcd", "unknown dtype");
  refuse_safetensors (T ("{\"__metadata__\": [], \"w\": {}}"), "", "__metadata__");
  refuse_safetensors (T ("{\"__metadata__\": {\"dlsia.config\": 3}}"), "", "without a DLSIA");
  refuse_safetensors (T ("{\"__metadata__\": {\"dlsia.config\": \"{\\\"architecture\\\": 3}\"}}"),
                      "", "architecture");
  refuse_safetensors (T ("{\"a\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [0, 2]}, "
                         "\"b\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [1, 3]}}"),
                      "abc", "overlap");

  /* json-glib's octal escapes give bytes that are not UTF-8, in a tensor name or in the
   * config (escaped twice there) */
  refuse_safetensors (T ("{\"\\333\": {\"dtype\": \"X\", \"shape\": [], \"data_offsets\": [0, 0]}}"),
                      "", "not UTF-8");
  refuse_safetensors (T ("{\"__metadata__\": {\"dlsia.config\": \"{\\\"architecture\\\": "
                         "\\\"\\\\333\\\"}\"}}"),
                      "", "“architecture” in the model config is not UTF-8");

  refuse_safetensors (T ("{\"a\\6677\"\n)}"), "", "not JSON");

  /* configs whose numbers do not fit, or are of the wrong kind (a GLib critical, undefined
   * behaviour in a cast, or a leak on the way out, before) */
  refuse_safetensors (T ("{\"__metadata__\": {\"dlsia.config\": \"{\\\"architecture\\\": "
                         "\\\"msdnet\\\", \\\"in_channels\\\": 1, \\\"out_channels\\\": 2, "
                         "\\\"seed\\\": -1.5}\"}}"),
                      "", "seed");
  refuse_safetensors (T ("{\"__metadata__\": {\"dlsia.config\": \"{\\\"architecture\\\": "
                         "\\\"msdnet\\\", \\\"in_channels\\\": 1, \\\"out_channels\\\": 2, "
                         "\\\"num_layers\\\": 2, \\\"layer_width\\\": 1, "
                         "\\\"dropout\\\": [[], 0, 0]}\"}}"),
                      "", "dropout");
  refuse_safetensors (T ("{\"__metadata__\": {\"dlsia.config\": \"{\\\"architecture\\\": "
                         "\\\"smsnet\\\", \\\"in_channels\\\": 1, \\\"out_channels\\\": 2, "
                         "\\\"layers\\\": 2, \\\"dilation_choices\\\": [1], "
                         "\\\"network_type\\\": \\\"Nope\\\"}\"}}"),
                      "", "network_type");
  refuse_safetensors (T ("{\"__metadata__\": {\"dlsia.config\": \"{\\\"architecture\\\": "
                         "\\\"smsnet\\\", \\\"in_channels\\\": 1, \\\"out_channels\\\": 2, "
                         "\\\"layers\\\": 2, \\\"conformal\\\": {\\\"alpha\\\": 0.1, "
                         "\\\"qhat\\\": 0.5, \\\"n_calibration\\\": 1e300}}\"}}"),
                      "", "n_calibration");

  /* nesting deep enough to overflow a recursive parser's stack, in the header and in the
   * config string inside it */
  s = g_string_new ("{\"x\": ");
  for (int i = 0; i < 1000000; i++)
    g_string_append_c (s, '[');
  g_string_append (s, "}");
  deep = g_string_free (s, FALSE);
  refuse_safetensors (deep, strlen (deep), "", "nested");
  s = g_string_new ("{\"__metadata__\": {\"dlsia.config\": \"");
  for (int i = 0; i < 1000000; i++)
    g_string_append_c (s, '[');
  g_string_append (s, "\"}}");
  deep_config = g_string_free (s, FALSE);
  refuse_safetensors (deep_config, strlen (deep_config), "", "nested");
}

static void
test_project_hostile (void)
{
  g_autofree char *deep = g_strnfill (1000000, '[');

  refuse_text (dls_fuzz_project, "", "empty");
  refuse_text (dls_fuzz_project, "[]", "not a JSON object");
  refuse_text (dls_fuzz_project, "{\"format\": \"1\"}", "format");
  refuse_text (dls_fuzz_project, "{\"format\": 1, \"classes\": {}}", "classes");
  refuse_text (dls_fuzz_project, "{\"format\": 1, \"classes\": [{\"name\": 7}]}", "classes");
  refuse_text (dls_fuzz_project, "{\"format\": 1, \"display\": {\"slice\": [1, \"2\", 3]}}",
               "slice");
  refuse_text (dls_fuzz_project, "{\"format\": 1, \"display\": {\"opacity\": 1e999}}", "opacity");
  refuse_text (dls_fuzz_project, "{\"format\": 1, \"training\": {\"epochs\": 1e300}}", "epochs");
  refuse_text (dls_fuzz_project, "{\"format\": 1, \"training\": {\"params\": 3}}", "params");
  refuse_text (dls_fuzz_project, "{\"format\": 1, \"models\": [1]}", "models");
  refuse_text (dls_fuzz_project, "{\"format\": 1, \"volume\": [\"v.tif\"]}", "volume");
  refuse_text (dls_fuzz_project, deep, "nested");
  /* json-glib takes the octal escape \333 (not JSON) and gives the byte 0xdb */
  refuse_text (dls_fuzz_project, "{\"format\": 1, \"classes\": [{\"name\": \"a\\333\"}]}",
               "“classes[0].name” is not UTF-8");
  refuse_text (dls_fuzz_project, "{\"format\": 1, \"training\": {\"params\": {\"x\": [\"\\333\"]}}}",
               "“training.params.x[0]” is not UTF-8");
  /* json-glib's parse error quotes the token, the bad byte included */
  refuse_text (dls_fuzz_project, "{\"format\": 1, \"volume\": \"a\\6677\"\n)}", "not valid JSON");
  refuse (dls_fuzz_project, "{\"format\": 1, \xff}", 15, "not a text file");
}

static void
test_ensemble_hostile (void)
{
  g_autofree char *deep = NULL;
  GString *s;

  refuse_text (dls_fuzz_ensemble, "{", "neither a model file nor");
  refuse_text (dls_fuzz_ensemble, "[]", "too short");
  refuse_text (dls_fuzz_ensemble, "{\"members\": []}", "kind");
  refuse_text (dls_fuzz_ensemble, "{\"kind\": 3}", "kind");
  refuse_text (dls_fuzz_ensemble, "{\"kind\": [\"dlsia-ensemble\"]}", "kind");
  refuse_text (dls_fuzz_ensemble, "{\"kind\": null}", "kind");
  refuse_text (dls_fuzz_ensemble, "{\"kind\": \"a\\6677\"\n)}", "neither a model file");
  refuse_text (dls_fuzz_ensemble,
               "{\"kind\": \"dlsia-ensemble\", \"members\": [\"\\333.safetensors\"]}",
               "“members[0]” is not UTF-8");
  refuse_text (dls_fuzz_ensemble, "{\"kind\": \"dlsia-ensemble\", \"members\": {}}", "members");
  refuse_text (dls_fuzz_ensemble, "{\"kind\": \"dlsia-ensemble\", \"members\": []}", "members");
  refuse_text (dls_fuzz_ensemble, "{\"kind\": \"dlsia-ensemble\", \"members\": [3]}",
               "not a file name");
  refuse_text (dls_fuzz_ensemble, "{\"kind\": \"dlsia-ensemble\", \"members\": [\"nope.safetensors\"]}",
               "no such file");
  refuse_text (dls_fuzz_ensemble,
               "{\"kind\": \"dlsia-ensemble\", \"members\": [\"m1.safetensors\", \"m3.safetensors\"]}",
               "channels");
  refuse_text (dls_fuzz_ensemble,
               "{\"kind\": \"dlsia-ensemble\", \"members\": [\"m0.safetensors\"], "
               "\"conformal\": {\"alpha\": \"0.1\"}}",
               "not a number");
  refuse_text (dls_fuzz_ensemble,
               "{\"kind\": \"dlsia-ensemble\", \"members\": [\"m0.safetensors\"], "
               "\"conformal\": {\"qhat\": [1]}}",
               "not a number");
  refuse_text (dls_fuzz_ensemble,
               "{\"kind\": \"dlsia-ensemble\", \"members\": [\"m0.safetensors\"], "
               "\"conformal\": {\"alpha\": 0.1, \"qhat\": 2}}",
               "out of range");
  refuse_text (dls_fuzz_ensemble, "{\"kind\": \"dlsia-ensemble\", \"members\": [\".\"]}",
               "folder");
  s = g_string_new ("{\"kind\": \"dlsia-ensemble\", \"x\": ");
  for (int i = 0; i < 1000000; i++)
    g_string_append_c (s, '{');
  deep = g_string_free (s, FALSE);
  refuse_text (dls_fuzz_ensemble, deep, "nested");
}

/* ---- seeds ---- */

static void
test_seeds (void)
{
  const char *make_corpus = g_getenv ("DLS_MAKE_CORPUS");
  g_autofree char *dir = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { make_corpus, NULL, NULL };
  int status, n = 0;

  if (make_corpus == NULL)
    {
      g_test_skip ("DLS_MAKE_CORPUS is not set (run through meson test)");
      return;
    }
  dir = dls_test_tmpdir_new ("fuzz-seeds");
  argv[1] = dir;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  for (size_t t = 0; t < G_N_ELEMENTS (targets); t++)
    {
      g_autofree char *sub = g_build_filename (dir, targets[t].name, NULL);
      g_autoptr (GDir) d = g_dir_open (sub, 0, &error);
      const char *name;
      int here = 0;

      g_assert_no_error (error);
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (sub, name, NULL);
          g_autofree char *bytes = NULL;
          g_autoptr (GError) e = NULL;
          gboolean want = strcmp (name, "mixed-classes.json") != 0;
          gsize len;

          g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
          if (run (targets[t].entry, bytes, len, &e) != want)
            g_error ("seed %s/%s: %s", targets[t].name, name, e ? e->message : "accepted");
          here++;
        }
      g_assert_cmpint (here, >=, 2);
      n += here;
    }
  g_test_message ("%d seeds", n);
  dls_test_tmpdir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (size_t i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      g_autofree char *path = g_strdup_printf ("/io/fuzz/kept/%s", targets[i].name);

      g_test_add_data_func (path, targets[i].name, test_kept);
    }
  g_test_add_func ("/io/fuzz/hostile/tiff-truncated", test_tiff_truncated);
  g_test_add_func ("/io/fuzz/hostile/model", test_model_hostile);
  g_test_add_func ("/io/fuzz/hostile/project", test_project_hostile);
  g_test_add_func ("/io/fuzz/hostile/ensemble", test_ensemble_hostile);
  g_test_add_func ("/io/fuzz/seeds", test_seeds);
  return g_test_run ();
}
