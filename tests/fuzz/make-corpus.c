/* SPDX-License-Identifier: MIT
 *
 * make-corpus.c: the fuzzers' seed corpora, made by the project's own writers — tiny TIFF stacks
 * of every sample type and compression the writer has (and, through libtiff, the layouts the
 * reader takes that the writer never makes: tiles, BigTIFF, big-endian, separate planes, LZW,
 * PackBits, signed and 64-bit samples, an ImageJ hyperstack), a model file of every
 * architecture, projects, and ensemble manifests naming the members dls_fuzz_write_members()
 * makes.
 *
 *   make-corpus OUTDIR    writes OUTDIR/tiff, OUTDIR/model, OUTDIR/project, OUTDIR/ensemble
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <tiffio.h>

#include "ensemble-file.h"
#include "fuzz-entry.h"
#include "project.h"
#include "safetensors.h"
#include "tiff.h"

#define W 5
#define H 4
#define D 3

static void
check (gboolean ok, GError *error)
{
  if (!ok)
    g_error ("make-corpus: %s", error ? error->message : "failed");
}

static void
tiff_with_writer (const char *dir, DlsSampleType type, DlsTiffCompression comp, gboolean stack)
{
  static const char *const comp_names[] = { "deflate", "none", "predictor" };
  g_autofree char *name = g_strdup_printf ("writer-%s-%s%s.tif", dls_sample_type_name (type),
                                           comp_names[comp], stack ? "-stack" : "");
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree guint8 *page = g_malloc (W * H * 4);
  GError *error = NULL;
  DlsTiffWriter *w = stack ? dls_tiff_writer_new_stack (path, type, W, H, D, &error)
                           : dls_tiff_writer_new (path, type, W, H, &error);

  check (w != NULL, error);
  dls_tiff_writer_set_compression (w, comp);
  for (int z = 0; z < D; z++)
    {
      for (int i = 0; i < W * H; i++)
        switch (type)
          {
          case DLS_SAMPLE_U8:
            page[i] = (guint8) ((i + z) % 3);
            break;
          case DLS_SAMPLE_U16:
            ((guint16 *) page)[i] = (guint16) (i * 100 + z);
            break;
          default:
            ((float *) page)[i] = (float) i * 0.5f - (float) z;
            break;
          }
      check (dls_tiff_writer_add_page (w, page, &error), error);
    }
  check (dls_tiff_writer_commit (w, &error), error);
}

typedef struct
{
  const char *name;
  uint16_t bps, format, compression, predictor, planar, photometric, spp;
  gboolean tiled, big_endian, big_tiff;
  const char *description;
} Layout;

static void
tiff_with_libtiff (const char *dir, const Layout *l)
{
  g_autofree char *path = g_build_filename (dir, l->name, NULL);
  char mode[8] = "w";
  int bytes = l->bps / 8, planes = l->planar == PLANARCONFIG_SEPARATE ? l->spp : 1;
  int nsb = planes > 1 ? 1 : l->spp, bw = l->tiled ? 16 : W, bh = l->tiled ? 16 : 2;
  g_autofree guint8 *buf = g_malloc0 ((size_t) bw * bh * nsb * bytes);
  TIFF *tif;

  strcat (mode, l->big_endian ? "b" : "l");
  if (l->big_tiff)
    strcat (mode, "8");
  tif = TIFFOpen (path, mode);
  if (tif == NULL)
    g_error ("make-corpus: libtiff cannot write %s", path);
  for (size_t i = 0; i < (size_t) bw * bh * nsb * bytes; i++)
    buf[i] = (guint8) (i * 7);
  for (int p = 0; p < D; p++)
    {
      TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, W);
      TIFFSetField (tif, TIFFTAG_IMAGELENGTH, H);
      TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, l->spp);
      TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, l->bps);
      TIFFSetField (tif, TIFFTAG_SAMPLEFORMAT, l->format);
      TIFFSetField (tif, TIFFTAG_PLANARCONFIG, l->planar);
      TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, l->photometric);
      TIFFSetField (tif, TIFFTAG_COMPRESSION, l->compression);
      if (l->predictor)
        TIFFSetField (tif, TIFFTAG_PREDICTOR, l->predictor);
      if (l->tiled)
        {
          TIFFSetField (tif, TIFFTAG_TILEWIDTH, bw);
          TIFFSetField (tif, TIFFTAG_TILELENGTH, bh);
        }
      else
        TIFFSetField (tif, TIFFTAG_ROWSPERSTRIP, bh);
      if (p == 0 && l->description)
        TIFFSetField (tif, TIFFTAG_IMAGEDESCRIPTION, l->description);
      for (int plane = 0; plane < planes; plane++)
        for (int y0 = 0; y0 < H; y0 += bh)
          if (l->tiled)
            TIFFWriteEncodedTile (tif, TIFFComputeTile (tif, 0, y0, 0, plane), buf,
                                  (tmsize_t) bw * bh * nsb * bytes);
          else
            TIFFWriteEncodedStrip (tif, TIFFComputeStrip (tif, y0, plane), buf,
                                   (tmsize_t) MIN (bh, H - y0) * W * nsb * bytes);
      TIFFWriteDirectory (tif);
    }
  TIFFClose (tif);
}

static void
make_tiffs (const char *dir)
{
  static const DlsSampleType types[] = { DLS_SAMPLE_U8, DLS_SAMPLE_U16, DLS_SAMPLE_F32 };
  static const Layout layouts[] = {
    { "tiled-u16.tif", 16, SAMPLEFORMAT_UINT, COMPRESSION_NONE, 0, PLANARCONFIG_CONTIG,
      PHOTOMETRIC_MINISBLACK, 1, TRUE },
    { "bigtiff-f32.tif", 32, SAMPLEFORMAT_IEEEFP, COMPRESSION_NONE, 0, PLANARCONFIG_CONTIG,
      PHOTOMETRIC_MINISBLACK, 1, FALSE, FALSE, TRUE },
    { "big-endian-i16.tif", 16, SAMPLEFORMAT_INT, COMPRESSION_NONE, 0, PLANARCONFIG_CONTIG,
      PHOTOMETRIC_MINISBLACK, 1, FALSE, TRUE },
    { "lzw-predictor-u16.tif", 16, SAMPLEFORMAT_UINT, COMPRESSION_LZW, PREDICTOR_HORIZONTAL,
      PLANARCONFIG_CONTIG, PHOTOMETRIC_MINISBLACK, 1 },
    { "packbits-u8.tif", 8, SAMPLEFORMAT_UINT, COMPRESSION_PACKBITS, 0, PLANARCONFIG_CONTIG,
      PHOTOMETRIC_MINISBLACK, 1 },
    { "rgb-separate-u8.tif", 8, SAMPLEFORMAT_UINT, COMPRESSION_NONE, 0, PLANARCONFIG_SEPARATE,
      PHOTOMETRIC_RGB, 3 },
    { "rgb-contig-tiled-u8.tif", 8, SAMPLEFORMAT_UINT, COMPRESSION_ADOBE_DEFLATE, 0,
      PLANARCONFIG_CONTIG, PHOTOMETRIC_RGB, 3, TRUE },
    { "f64-big-endian-tiled.tif", 64, SAMPLEFORMAT_IEEEFP, COMPRESSION_NONE, 0,
      PLANARCONFIG_CONTIG, PHOTOMETRIC_MINISBLACK, 1, TRUE, TRUE },
    { "i32-deflate-bigtiff.tif", 32, SAMPLEFORMAT_INT, COMPRESSION_ADOBE_DEFLATE, 0,
      PLANARCONFIG_CONTIG, PHOTOMETRIC_MINISBLACK, 1, FALSE, FALSE, TRUE },
    { "u32-i8.tif", 32, SAMPLEFORMAT_UINT, COMPRESSION_NONE, 0, PLANARCONFIG_CONTIG,
      PHOTOMETRIC_MINISBLACK, 1 },
    { "i8.tif", 8, SAMPLEFORMAT_INT, COMPRESSION_NONE, 0, PLANARCONFIG_CONTIG,
      PHOTOMETRIC_MINISBLACK, 1 },
    { "imagej-hyperstack-u8.tif", 8, SAMPLEFORMAT_UINT, COMPRESSION_NONE, 0,
      PLANARCONFIG_CONTIG, PHOTOMETRIC_MINISBLACK, 1, FALSE, FALSE, FALSE,
      "ImageJ=1.54f\nimages=3\nchannels=3\nslices=1\nhyperstack=true\n" },
    { "zstd-f32.tif", 32, SAMPLEFORMAT_IEEEFP, COMPRESSION_ZSTD, PREDICTOR_FLOATINGPOINT,
      PLANARCONFIG_CONTIG, PHOTOMETRIC_MINISBLACK, 1 },
  };

  for (size_t t = 0; t < G_N_ELEMENTS (types); t++)
    for (int c = DLS_TIFF_COMPRESSION_DEFLATE; c <= DLS_TIFF_COMPRESSION_DEFLATE_PREDICTOR; c++)
      for (int stack = 0; stack < 2; stack++)
        tiff_with_writer (dir, types[t], c, stack);
  for (size_t i = 0; i < G_N_ELEMENTS (layouts); i++)
    if (layouts[i].compression == COMPRESSION_NONE || TIFFIsCODECConfigured (layouts[i].compression))
      tiff_with_libtiff (dir, &layouts[i]);
}

static void
save_model (const char *dir, const char *name, DlsModel *m)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GError *error = NULL;

  check (dls_model_save (m, path, &error), error);
  dls_model_free (m);
}

static void
make_models (const char *dir)
{
  GError *error = NULL;
  DlsModel *m;

  for (int a = 0; a < DLS_ARCH_COUNT; a++)
    {
      g_autofree char *name = g_strdup_printf ("%s.safetensors", dls_arch_name (a));

      m = dls_fuzz_tiny_model (a, 1, 2, &error);
      check (m != NULL, error);
      save_model (dir, name, m);
    }
  /* the optional parts of a config: normalisation, conformal calibration, regression */
  m = dls_fuzz_tiny_model (DLS_ARCH_MSDNET, 2, 1, &error);
  check (m != NULL, error);
  m->config.regression = TRUE;
  m->config.norm_set = TRUE;
  m->config.norm_low = -1;
  m->config.norm_high = 300;
  m->config.norm_p_low = 1;
  m->config.norm_p_high = 99;
  m->config.norm_log = TRUE;
  save_model (dir, "msdnet-regression-norm.safetensors", m);
  m = dls_fuzz_tiny_model (DLS_ARCH_SMSNET, 1, 3, &error);
  check (m != NULL, error);
  m->config.conformal_set = TRUE;
  m->config.conformal_alpha = 0.1;
  m->config.conformal_qhat = 0.4;
  m->config.conformal_n = 100;
  save_model (dir, "smsnet-conformal.safetensors", m);
}

static void
make_projects (const char *dir)
{
  g_autoptr (DlsProject) p = dls_project_new ();
  g_autoptr (DlsProject) q = dls_project_new ();
  g_autofree char *one = g_build_filename (dir, "default.dlsia.json", NULL);
  g_autofree char *two = g_build_filename (dir, "full.dlsia.json", NULL);
  g_autofree char *volume = g_build_filename (dir, "data", "volume.tif", NULL);
  g_autofree char *model = g_build_filename (dir, "volume.smsnet.json", NULL);
  DlsProjectClass c = { g_strdup ("Pore"), 0x228833ff };
  GError *error = NULL;

  check (dls_project_save (p, one, &error), error);
  dls_project_set_volume (q, volume);
  g_array_append_val (q->classes, c);
  g_ptr_array_add (q->models, g_steal_pointer (&model));
  q->display.axis = 2;
  q->display.slice[0] = 2;
  g_free (q->display.overlay);
  q->display.overlay = g_strdup ("uncertainty");
  g_free (q->training.arch);
  q->training.arch = g_strdup ("msdnet");
  q->training.arch_params = json_object_new ();
  json_object_set_int_member (q->training.arch_params, "num_layers", 4);
  json_object_set_array_member (q->training.arch_params, "custom_msdnet", json_array_new ());
  check (dls_project_save (q, two, &error), error);
}

static void
make_ensembles (const char *dir)
{
  static const char *const all[] = { "m0.safetensors", "m1.safetensors", "m2.safetensors",
                                     "m3.safetensors" };
  static const char *const mixed[] = { "m1.safetensors", "m3.safetensors" };
  g_autofree char *one = g_build_filename (dir, "one.json", NULL);
  g_autofree char *three = g_build_filename (dir, "three-conformal.json", NULL);
  g_autofree char *bad = g_build_filename (dir, "mixed-classes.json", NULL);
  g_autofree char *model = g_build_filename (dir, "model.safetensors", NULL);
  GError *error = NULL;
  DlsModel *m;

  check (dls_ensemble_write_manifest (one, 2, all, 1, FALSE, 0, 0, 0, &error), error);
  check (dls_ensemble_write_manifest (three, 2, all, 3, TRUE, 0.1, 0.3, 512, &error), error);
  check (dls_ensemble_write_manifest (bad, 2, mixed, 2, FALSE, 0, 0, 0, &error), error);
  /* a model file is an ensemble of one */
  m = dls_fuzz_tiny_model (DLS_ARCH_MSDNET, 1, 2, &error);
  check (m != NULL, error);
  check (dls_model_save (m, model, &error), error);
  dls_model_free (m);
}

int
main (int argc, char **argv)
{
  static const char *const kinds[] = { "tiff", "model", "project", "ensemble" };
  char *dirs[G_N_ELEMENTS (kinds)];

  if (argc != 2)
    {
      g_printerr ("usage: make-corpus OUTDIR\n");
      return 2;
    }
  for (size_t i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      dirs[i] = g_build_filename (argv[1], kinds[i], NULL);
      if (g_mkdir_with_parents (dirs[i], 0755) != 0)
        g_error ("make-corpus: cannot make %s", dirs[i]);
    }
  make_tiffs (dirs[0]);
  make_models (dirs[1]);
  make_projects (dirs[2]);
  make_ensembles (dirs[3]);
  for (size_t i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_free (dirs[i]);
  return 0;
}
