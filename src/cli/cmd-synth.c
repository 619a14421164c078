/* SPDX-License-Identifier: MIT
 *
 * cmd-synth.c: `dlsia synth fibers|scattering|shapes [OPTION…] -o DIR` — synthetic data with
 * ground truth for the paper's three applications, written as TIFF stacks into DIR (created if
 * needed).  Same seed, same bytes.
 *
 *   fibers      volume.tif (uint16), truth.tif and sparse-labels.tif (uint8: 1 = not fibre,
 *               2 = fibre; 0 = unlabelled in the sparse labels)
 *   scattering  images.tif (float32 counts, the ground truth), masks.tif (uint8, 1 = gap) and
 *               input.tif (the images with the gaps set to 0)
 *   shapes      images.tif (float32, one shape a page), classes.tif (uint8 class maps) and
 *               labels.tsv (index, class)
 *
 * Exit status: 0 done, 1 generation or writing failed, 2 bad usage.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "synth.h"
#include "tiff.h"

static const struct
{
  const char *name;
  const char *summary;
} kinds[] = {
  { "fibers", "Fibre-reinforced concrete volume with truth and sparse labels" },
  { "scattering", "X-ray scattering images with detector-gap masks" },
  { "shapes", "DLSIA's random shapes (rectangle, disc, triangle, annulus)" },
};

static int
usage (int status)
{
  g_autoptr (GString) text = g_string_new ("Usage: dlsia synth KIND [OPTION…] -o DIR\n\n"
                                           "Writes synthetic data with ground truth into DIR.  "
                                           "Kinds:\n");

  for (size_t i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_string_append_printf (text, "  %-11s %s\n", kinds[i].name, kinds[i].summary);
  g_string_append (text, "\nRun “dlsia synth KIND --help” for its options.\n");
  if (status == 0)
    g_print ("%s", text->str);
  else
    g_printerr ("%s", text->str);
  return status;
}

/* Parses the options; 0 when it went well, else the exit status (2). */
static int
parse (const char *kind, GOptionEntry *entries, const char *summary, int *argc, char ***argv,
       char **out_dir)
{
  g_autofree char *prgname = g_strdup_printf ("dlsia synth %s", kind);
  g_autoptr (GOptionContext) ctx = g_option_context_new ("-o DIR");
  g_autoptr (GError) error = NULL;

  g_set_prgname (prgname); /* for --help's usage line */
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("dlsia synth %s: %s\n", kind, error->message);
      return 2;
    }
  if (*argc != 1)
    {
      g_printerr ("dlsia synth %s: unexpected “%s” (see --help)\n", kind, (*argv)[1]);
      return 2;
    }
  if (*out_dir == NULL || **out_dir == '\0')
    {
      g_printerr ("dlsia synth %s: give the output folder with -o DIR (see --help)\n", kind);
      return 2;
    }
  return 0;
}

static gboolean
make_dir (const char *kind, const char *dir)
{
  if (g_mkdir_with_parents (dir, 0777) != 0)
    {
      int e = errno;
      g_autofree char *name = g_filename_display_name (dir);
      g_printerr ("dlsia synth %s: cannot create the folder “%s”: %s\n", kind, name,
                  g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

/* 2 for a bad argument the library refused, 1 for anything else. */
static int
fail (const char *kind, const GError *error)
{
  g_printerr ("dlsia synth %s: %s\n", kind, error->message);
  return g_error_matches (error, DLS_ERROR, DLS_ERROR_ARGUMENT) ? 2 : 1;
}

static int
synth_fibers (int argc, char **argv)
{
  g_autofree char *dir = NULL, *shape_s = NULL;
  g_autofree char *p_vol = NULL, *p_truth = NULL, *p_sparse = NULL;
  g_autofree uint16_t *volume = NULL;
  g_autofree uint8_t *truth = NULL, *sparse = NULL;
  g_autoptr (GError) error = NULL;
  gint64 seed = 0;
  int n_fibers = 0, shape[3] = { 128, 256, 256 }, rc;
  int64_t V, counts[3] = { 0 };
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &dir, "Output folder (created)", "DIR" },
    { "shape", 0, 0, G_OPTION_ARG_STRING, &shape_s, "Z×Y×X voxels (128x256x256)", "ZxYxX" },
    { "fibers", 0, 0, G_OPTION_ARG_INT, &n_fibers,
      "Fibres (default: about 1.5 % of the volume)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (0)", "N" },
    { NULL }
  };

  rc = parse ("fibers", entries,
              "A fibre-reinforced concrete tomogram: grainy cement paste, bright aggregates, dark\n"
              "pores and thin fibres (radius 1.5–3 voxels) a little brighter than the paste.\n"
              "Writes volume.tif (uint16), truth.tif (1 = not fibre, 2 = fibre) and\n"
              "sparse-labels.tif (0 = unlabelled; the cores of at most 6 fibres, and strokes of\n"
              "class 1 in XY slices away from fibres).\n"
              "Example: dlsia synth fibers --shape 64x128x128 --seed 1 -o fibres",
              &argc, &argv, &dir);
  if (rc != 0)
    return rc;
  if (shape_s != NULL && !cli_parse_shape ("synth fibers", "shape", shape_s, 3, shape))
    return 2;
  if (shape[0] < 8 || shape[1] < 8 || shape[2] < 8)
    {
      g_printerr ("dlsia synth fibers: --shape needs at least 8 voxels a side, not “%s”\n",
                  shape_s);
      return 2;
    }
  if (n_fibers < 0 || n_fibers > 100000)
    {
      g_printerr ("dlsia synth fibers: --fibers needs a count from 0 to 100000\n");
      return 2;
    }

  V = (int64_t) shape[0] * shape[1] * shape[2];
  volume = g_try_new (uint16_t, V);
  truth = g_try_new (uint8_t, V);
  sparse = g_try_new (uint8_t, V);
  if (volume == NULL || truth == NULL || sparse == NULL)
    {
      g_printerr ("dlsia synth fibers: not enough memory for %d × %d × %d voxels\n", shape[0],
                  shape[1], shape[2]);
      return 1;
    }
  if (!make_dir ("fibers", dir))
    return 1;
  if (!dls_synth_fibers (&(DlsSynthFibersArgs){ .depth = shape[0], .height = shape[1],
                                                .width = shape[2], .seed = (uint64_t) seed,
                                                .n_fibers = n_fibers },
                         volume, truth, sparse, &error))
    return fail ("fibers", error);
  p_vol = g_build_filename (dir, "volume.tif", NULL);
  p_truth = g_build_filename (dir, "truth.tif", NULL);
  p_sparse = g_build_filename (dir, "sparse-labels.tif", NULL);
  if (!dls_tiff_write_u16 (p_vol, volume, shape[0], shape[1], shape[2], &error)
      || !dls_tiff_write_u8 (p_truth, truth, shape[0], shape[1], shape[2], &error)
      || !dls_tiff_write_u8 (p_sparse, sparse, shape[0], shape[1], shape[2], &error))
    return fail ("fibers", error);

  for (int64_t i = 0; i < V; i++)
    {
      counts[0] += truth[i] == 2;
      counts[sparse[i] <= 2 ? sparse[i] : 0] += sparse[i] != 0;
    }
  g_print ("dlsia synth fibers: wrote volume.tif, truth.tif, sparse-labels.tif (%d×%d×%d) in "
           "%s: %d fibres, %" G_GINT64_FORMAT " fibre voxels (%.2f %%); sparse labels "
           "%" G_GINT64_FORMAT " of class 1, %" G_GINT64_FORMAT " of class 2 (%.2f %%)\n",
           shape[0], shape[1], shape[2], dir,
           n_fibers > 0 ? n_fibers
                        : dls_synth_fibers_default_count (shape[0], shape[1], shape[2]),
           counts[0], 100.0 * counts[0] / V, counts[1], counts[2],
           100.0 * (counts[1] + counts[2]) / V);
  return 0;
}

static int
synth_scattering (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *p_img = NULL, *p_mask = NULL, *p_input = NULL;
  g_autofree float *images = NULL, *input = NULL;
  g_autofree uint8_t *masks = NULL;
  g_autoptr (GError) error = NULL;
  gint64 seed = 0;
  int count = 16, size = 256, rc;
  int64_t N, gaps = 0;
  double peak = 0;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &dir, "Output folder (created)", "DIR" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, "Images (16)", "N" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Image side in pixels, 32–8192 (256)", "S" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (0)", "N" },
    { NULL }
  };

  rc = parse ("scattering", entries,
              "X-ray scattering images for gap inpainting: rings, Bragg-like peaks, a beam stop\n"
              "with its arm and Poisson noise, with the module gaps of a Pilatus-like detector.\n"
              "Writes images.tif (float32 counts everywhere: the ground truth), masks.tif\n"
              "(uint8, 1 = gap pixel) and input.tif (the images with the gaps set to 0).\n"
              "Example: dlsia synth scattering --count 100 --size 256 --seed 1 -o saxs",
              &argc, &argv, &dir);
  if (rc != 0)
    return rc;
  if (count < 1 || size < 32 || size > 8192)
    {
      g_printerr ("dlsia synth scattering: --count must be at least 1 and --size 32–8192\n");
      return 2;
    }

  N = (int64_t) count * size * size;
  images = g_try_new (float, N);
  input = g_try_new (float, N);
  masks = g_try_new (uint8_t, N);
  if (images == NULL || input == NULL || masks == NULL)
    {
      g_printerr ("dlsia synth scattering: not enough memory for %d images of %d × %d\n",
                  count, size, size);
      return 1;
    }
  if (!make_dir ("scattering", dir))
    return 1;
  if (!dls_synth_scattering (&(DlsSynthScatteringArgs){ .count = count, .size = size,
                                                        .seed = (uint64_t) seed },
                             images, masks, &error))
    return fail ("scattering", error);
  for (int64_t i = 0; i < N; i++)
    {
      input[i] = masks[i] ? 0.0f : images[i];
      gaps += masks[i];
      peak = MAX (peak, images[i]);
    }
  p_img = g_build_filename (dir, "images.tif", NULL);
  p_mask = g_build_filename (dir, "masks.tif", NULL);
  p_input = g_build_filename (dir, "input.tif", NULL);
  if (!dls_tiff_write_f32 (p_img, images, count, size, size, &error)
      || !dls_tiff_write_u8 (p_mask, masks, count, size, size, &error)
      || !dls_tiff_write_f32 (p_input, input, count, size, size, &error))
    return fail ("scattering", error);

  g_print ("dlsia synth scattering: wrote images.tif, masks.tif, input.tif (%d × %d×%d) in %s: "
           "%.2f %% gap pixels, counts up to %.0f\n",
           count, size, size, dir, 100.0 * gaps / N, peak);
  return 0;
}

static int
synth_shapes (int argc, char **argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *p_img = NULL, *p_cls = NULL, *p_tsv = NULL;
  g_autofree float *images = NULL;
  g_autofree uint8_t *class_maps = NULL, *classes = NULL;
  g_autoptr (GString) tsv = g_string_new ("index\tclass\n");
  g_autoptr (GError) error = NULL;
  gint64 seed = 0;
  int count = 500, size = 32, rc;
  int64_t N, per_class[DLS_SYNTH_SHAPE_CLASSES + 1] = { 0 };
  double noise = 0.5;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &dir, "Output folder (created)", "DIR" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &count, "Images (500)", "N" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Image side in pixels, 8–1024 (32)", "S" },
    { "noise", 0, 0, G_OPTION_ARG_DOUBLE, &noise, "Uniform noise U(0, X) per pixel (0.5)", "X" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (0)", "N" },
    { NULL }
  };

  rc = parse ("shapes", entries,
              "DLSIA's random shapes (test_data/two_d/random_shapes.py): 1 rectangle, 2 disc,\n"
              "3 right isosceles triangle, 4 annulus, centred, randomly rotated, plus uniform\n"
              "noise; the classes exactly balanced.  Writes images.tif (float32, one shape a\n"
              "page), classes.tif (uint8: the class where the clean shape is above 0.5, else 0)\n"
              "and labels.tsv (index and class of each page).\n"
              "Example: dlsia synth shapes --count 500 --noise 0.5 --seed 1 -o shapes",
              &argc, &argv, &dir);
  if (rc != 0)
    return rc;
  if (count < 1 || size < 8 || size > 1024 || !(noise >= 0))
    {
      g_printerr ("dlsia synth shapes: --count must be at least 1, --size 8–1024 and "
                  "--noise ≥ 0\n");
      return 2;
    }

  N = (int64_t) count * size * size;
  images = g_try_new (float, N);
  class_maps = g_try_new (uint8_t, N);
  classes = g_try_new (uint8_t, count);
  if (images == NULL || class_maps == NULL || classes == NULL)
    {
      g_printerr ("dlsia synth shapes: not enough memory for %d images of %d × %d\n", count,
                  size, size);
      return 1;
    }
  if (!make_dir ("shapes", dir))
    return 1;
  if (!dls_synth_shapes (&(DlsSynthShapesArgs){ .count = count, .size = size, .noise = noise,
                                                .seed = (uint64_t) seed },
                         images, NULL, class_maps, classes, &error))
    return fail ("shapes", error);
  for (int i = 0; i < count; i++)
    {
      g_string_append_printf (tsv, "%d\t%d\n", i, classes[i]);
      per_class[classes[i]]++;
    }
  p_img = g_build_filename (dir, "images.tif", NULL);
  p_cls = g_build_filename (dir, "classes.tif", NULL);
  p_tsv = g_build_filename (dir, "labels.tsv", NULL);
  if (!dls_tiff_write_f32 (p_img, images, count, size, size, &error)
      || !dls_tiff_write_u8 (p_cls, class_maps, count, size, size, &error)
      || !g_file_set_contents (p_tsv, tsv->str, (gssize) tsv->len, &error))
    return fail ("shapes", error);

  g_print ("dlsia synth shapes: wrote images.tif, classes.tif, labels.tsv (%d × %d×%d, noise "
           "%g) in %s: %" G_GINT64_FORMAT " of class 1 (rectangle), %" G_GINT64_FORMAT
           " of 2 (disc), %" G_GINT64_FORMAT " of 3 (triangle), %" G_GINT64_FORMAT
           " of 4 (annulus)\n",
           count, size, size, noise, dir, per_class[1], per_class[2], per_class[3],
           per_class[4]);
  return 0;
}

int
cmd_synth (int argc, char **argv)
{
  if (argc < 2)
    return usage (2);
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    return usage (0);
  if (strcmp (argv[1], "fibers") == 0 || strcmp (argv[1], "fibres") == 0)
    return synth_fibers (argc - 1, argv + 1);
  if (strcmp (argv[1], "scattering") == 0)
    return synth_scattering (argc - 1, argv + 1);
  if (strcmp (argv[1], "shapes") == 0)
    return synth_shapes (argc - 1, argv + 1);
  g_printerr ("dlsia synth: unknown kind “%s”: fibers, scattering or shapes\n", argv[1]);
  return 2;
}
