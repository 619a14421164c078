/* SPDX-License-Identifier: MIT
 *
 * bench-canvas.c: how long the user waits for the canvas on a 2048 × 2048 slice — a brush
 * stroke segment, a slice change, a zoom step and a pan step, each followed by the frame that
 * shows it — in a 1280 × 800 window holding one XY DlsCanvas of a synthetic 3 × 2048 × 2048
 * float volume with a prediction overlay shown (the state after training; --no-overlay leaves
 * it out) and labels.
 *
 * Method.  Each sample times the operation through the canvas's public API (dls_canvas_stroke,
 * _set_position, _zoom, _pan: the code a drag, the wheel or a key runs) and then one frame of
 * the canvas the way GTK draws it: gtk_widget_snapshot_child() runs the canvas's snapshot
 * (which re-renders whatever layer the operation made dirty and records the scaled drawing as
 * a cairo render node), and gsk_render_node_draw() replays the node into a 1280 × 800 ARGB32
 * image surface, which is what GSK's cairo renderer does into the window's surface (the GL
 * renderer rasterises a cairo node with cairo too, then uploads it).  Nothing waits for the
 * frame clock, so the figures are the work of a frame, not its scheduling (a 60 Hz clock adds
 * up to 16.7 ms of waiting on a real screen, whatever the work); the window's own frames do
 * not run between the operation and our frame, because the main loop is not iterated then.
 * Targets: brush segment + frame < 16 ms, slice change + frame < 50 ms, zoom and pan steps
 * + frame < 16.7 ms (60 fps).  Timing only, never a pass/fail test.
 *
 *   bench-canvas [--repeats N] [--no-overlay] [--only brush|slice|zoom|pan|scatter]
 *
 * The last rows time the latent explorer's scatter (DlsScatter) of 10,000 points in 12
 * colours the same way: a redraw, and a zoom step (target 16 ms).
 *
 * under xvfb-run with GSK_RENDERER=cairo (meson's `app-canvas` benchmark does both); it exits
 * 77 without a display.
 *
 * Samples: N (50) per row after 3 untimed ones; median and 95th percentile of the wall time in
 * ms and the frames per second the median allows; the median CPU time of this thread (what
 * the work costs when other programs share the cores) and of the operation alone (wall).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "canvas.h"
#include "scatter.h"

#define SIDE   2048
#define DEPTH  3
#define WIN_W  1280
#define WIN_H  800
#define WARMUP 3

typedef struct
{
  GtkWidget *window, *canvas;
  cairo_surface_t *target;
  DlsDocument *doc;
  int z;
} Bench;

typedef void (*OpFn) (Bench *b, int i);

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* CPU time of this thread: what the work costs whatever else the machine runs */
static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One frame of the canvas: snapshot (re-renders dirty layers, records the drawing), then the
 * drawing replayed into the window-sized surface. */
static void
frame (Bench *b)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  GskRenderNode *node;
  cairo_t *cr;

  gtk_widget_snapshot_child (b->window, b->canvas, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  cr = cairo_create (b->target);
  cairo_set_operator (cr, CAIRO_OPERATOR_CLEAR);
  cairo_paint (cr);
  cairo_set_operator (cr, CAIRO_OPERATOR_OVER);
  if (node != NULL)
    gsk_render_node_draw (node, cr);
  cairo_destroy (cr);
  cairo_surface_flush (b->target);
  g_clear_pointer (&node, gsk_render_node_unref);
}

static void
measure (Bench *b, const char *what, const char *view, OpFn op, int repeats, double target)
{
  g_autofree double *total = g_new (double, repeats), *work = g_new (double, repeats);
  g_autofree double *cpu = g_new (double, repeats);
  double med, p95;

  for (int i = -WARMUP; i < repeats; i++)
    {
      double t0 = now_ms (), c0 = cpu_ms (), t1, t2;

      op (b, i);
      t1 = now_ms ();
      frame (b);
      t2 = now_ms ();
      if (i >= 0)
        total[i] = t2 - t0, work[i] = t1 - t0, cpu[i] = cpu_ms () - c0;
    }
  qsort (total, repeats, sizeof (double), cmp_double);
  qsort (work, repeats, sizeof (double), cmp_double);
  qsort (cpu, repeats, sizeof (double), cmp_double);
  med = total[repeats / 2];
  p95 = total[MIN (repeats - 1, (int) ceil (0.95 * repeats) - 1)];
  printf ("%-26s %-9s %9.2f %9.2f %8.0f %9.2f %8.2f %8.1f %7.0f%%\n", what, view, med, p95,
          1000 / med, cpu[repeats / 2], work[repeats / 2], target, 100 * med / target);
}

/* ---- the operations ---- */

/* A 12-pixel segment with the default brush (5 px, class 1 or 2), somewhere new in the middle
 * of the view each time: the stroke's dot at its start, the segment, the labels-changed
 * emission and the re-render of the touched rectangle. */
static void
op_brush (Bench *b, int i)
{
  double s = dls_canvas_get_scale (DLS_CANVAS (b->canvas));
  double cx = SIDE / 2.0 + ((i * 37) % 41 - 20) * 8 / s,
         cy = SIDE / 2.0 + ((i * 53) % 31 - 15) * 8 / s;
  double xy[4] = { cx, cy, cx + 9, cy + 8 };
  DlsPaint paint = { DLS_TOOL_BRUSH, 5, 1 + (i & 1) };

  dls_canvas_set_paint (DLS_CANVAS (b->canvas), &paint);
  dls_canvas_stroke (DLS_CANVAS (b->canvas), xy, 2);
}

static void
op_slice (Bench *b, int i)
{
  b->z = (b->z + 1) % DEPTH;
  dls_canvas_set_position (DLS_CANVAS (b->canvas), b->z, SIDE / 2, SIDE / 2);
}

/* In and out by one wheel notch (1.25×) in turn, so the scale stays about where it is. */
static void
op_zoom (Bench *b, int i)
{
  dls_canvas_zoom (DLS_CANVAS (b->canvas), i & 1 ? 1 / 1.25 : 1.25);
}

/* 24 widget pixels right and down, then back: a quick drag's motion event. */
static void
op_pan (Bench *b, int i)
{
  double d = i & 1 ? -24 : 24;

  dls_canvas_pan (DLS_CANVAS (b->canvas), d, d);
}

/* The latent explorer's scatter: a redraw (hover), and a zoom step about the middle. */
static void
op_scatter_redraw (Bench *b, int i)
{
  gtk_widget_queue_draw (b->canvas);
}

static void
op_scatter_zoom (Bench *b, int i)
{
  dls_scatter_zoom (DLS_SCATTER (b->canvas), i & 1 ? 1 / 1.25 : 1.25, WIN_W / 2.0, WIN_H / 2.0);
}

/* 10,000 points in 12 clusters with 12 colours, as the explorer shows a map. */
static void
bench_scatter (int repeats)
{
  enum { N = 10000, K = 12 };
  g_autofree float *xy = g_new (float, 2 * N);
  g_autofree guint32 *colors = g_new (guint32, N);
  GRand *rand = g_rand_new_with_seed (1);
  Bench s = { 0 };
  double t0;

  for (int i = 0; i < N; i++)
    {
      int k = i % K;

      xy[2 * i] = (float) (10 * cos (k) + g_rand_double_range (rand, -2, 2));
      xy[2 * i + 1] = (float) (10 * sin (k) + g_rand_double_range (rand, -2, 2));
      colors[i] = dls_class_color_default (k + 1);
    }
  g_rand_free (rand);
  s.window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (s.window), WIN_W, WIN_H);
  s.canvas = dls_scatter_new ();
  gtk_window_set_child (GTK_WINDOW (s.window), s.canvas);
  gtk_window_present (GTK_WINDOW (s.window));
  t0 = now_ms ();
  while (!(gtk_widget_get_mapped (s.canvas) && gtk_widget_get_width (s.canvas) > 0)
         && now_ms () - t0 < 10000)
    g_main_context_iteration (NULL, TRUE);
  s.target = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, gtk_widget_get_width (s.canvas),
                                         gtk_widget_get_height (s.canvas));
  dls_scatter_set_points (DLS_SCATTER (s.canvas), xy, N);
  dls_scatter_set_colors (DLS_SCATTER (s.canvas), colors);
  frame (&s);
  measure (&s, "scatter redraw (10k pts)", "fit", op_scatter_redraw, repeats, 16);
  measure (&s, "scatter zoom step", "fit", op_scatter_zoom, repeats, 16);
  gtk_window_destroy (GTK_WINDOW (s.window));
  cairo_surface_destroy (s.target);
}

/* ---- set-up ---- */

static void
set_scale (Bench *b, double scale)
{
  dls_canvas_zoom_actual (DLS_CANVAS (b->canvas));
  if (scale > 0)
    dls_canvas_zoom (DLS_CANVAS (b->canvas), scale);
  else
    dls_canvas_zoom_fit (DLS_CANVAS (b->canvas));
  frame (b);
}

static float *
synthetic_volume (void)
{
  float *v = g_new (float, (gsize) DEPTH *SIDE *SIDE);

  /* smooth blobs and a ramp, different on each slice: nothing the colormap can shortcut */
  for (int z = 0; z < DEPTH; z++)
    for (int y = 0; y < SIDE; y++)
      for (int x = 0; x < SIDE; x++)
        v[((gsize) z * SIDE + y) * SIDE + x]
            = 0.5f + 0.25f * sinf (x * 0.031f + z) * cosf (y * 0.023f - z) + 0.2f * x / SIDE;
  return v;
}

static DlsPrediction *
synthetic_prediction (const float *volume)
{
  DlsPrediction *p = dls_prediction_new (2, DEPTH, SIDE, SIDE, 1);
  gsize n = (gsize) DEPTH * SIDE * SIDE;

  g_assert_nonnull (p);
  for (gsize i = 0; i < n; i++)
    {
      float q = CLAMP (volume[i], 0.0f, 1.0f);

      p->probs[i] = q;
      p->probs[n + i] = 1 - q;
    }
  for (int z = 0; z < DEPTH; z++)
    p->done[z] = 1;
  return p;
}

static void
print_load (void)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) f = NULL;

  if (g_file_get_contents ("/proc/loadavg", &text, NULL, NULL)
      && g_strv_length (f = g_strsplit (text, " ", 4)) >= 3)
    printf ("load average (1, 5, 15 min): %s %s %s on %d cores\n", f[0], f[1], f[2],
            g_get_num_processors ());
}

int
main (int argc, char **argv)
{
  int repeats = 50;
  gboolean no_overlay = FALSE;
  g_autofree char *only = NULL;
  GOptionEntry entries[]
      = { { "repeats", 'r', 0, G_OPTION_ARG_INT, &repeats, "Timed samples per row (50)", "N" },
          { "no-overlay", 0, 0, G_OPTION_ARG_NONE, &no_overlay, "No prediction overlay", NULL },
          { "only", 0, 0, G_OPTION_ARG_STRING, &only, "One kind of row (for profiling)",
            "brush|slice|zoom|pan|scatter" },
          { NULL } };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— canvas response on a 2048² slice");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL, *path = NULL;
  static const double scales[] = { 1, 4, 0.3 };
  float *volume;
  Bench b = { 0 };
  double t0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || repeats < 1)
    {
      g_printerr ("bench-canvas: %s\n", error ? error->message : "bad arguments");
      return 2;
    }
  if (!gtk_init_check ())
    {
      g_printerr ("bench-canvas: no display, skipped\n");
      return 77;
    }

  /* the labels' autosave would go beside the volume: a folder of our own, never written to
   * (the interval is longer than the run) and removed at the end */
  dir = g_dir_make_tmp ("bench-canvas-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "synthetic.tif", NULL);
  volume = synthetic_volume ();
  b.doc = dls_document_new_for_volume (path, volume, DEPTH, SIDE, SIDE, "float32");
  dls_document_set_autosave_interval (b.doc, 3600);
  if (!no_overlay)
    {
      g_autoptr (DlsPrediction) p = synthetic_prediction (volume);

      dls_document_set_prediction (b.doc, p);
    }

  b.window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (b.window), WIN_W, WIN_H);
  b.canvas = dls_canvas_new (DLS_AXIS_Z);
  gtk_window_set_child (GTK_WINDOW (b.window), b.canvas);
  gtk_window_present (GTK_WINDOW (b.window));
  t0 = now_ms ();
  while (!(gtk_widget_get_mapped (b.canvas) && gtk_widget_get_width (b.canvas) > 0)
         && now_ms () - t0 < 10000)
    g_main_context_iteration (NULL, TRUE);
  if (!gtk_widget_get_mapped (b.canvas))
    {
      g_printerr ("bench-canvas: the window was never shown\n");
      return 1;
    }
  b.target = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, gtk_widget_get_width (b.canvas),
                                         gtk_widget_get_height (b.canvas));
  /* the document arrives once the window is up, as when the user opens a file: the first
   * frame makes the view and renders every layer */
  t0 = now_ms ();
  dls_canvas_set_document (DLS_CANVAS (b.canvas), b.doc);
  b.z = DEPTH / 2;
  frame (&b);
  t0 = now_ms () - t0;

  printf ("Canvas on a %d × %d slice (float32, %d slices) in a %d × %d canvas, %s overlay, "
          "GSK_RENDERER=%s; frame = snapshot + cairo replay; %d samples a row\n",
          SIDE, SIDE, DEPTH, gtk_widget_get_width (b.canvas), gtk_widget_get_height (b.canvas),
          no_overlay ? "no" : "prediction",
          g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "default", repeats);
  print_load ();
  printf ("document set + first frame (every layer rendered): %.1f ms\n", t0);
  printf ("%-26s %-9s %9s %9s %8s %9s %8s %8s %8s\n", "operation + frame", "view", "median ms",
          "p95 ms", "fps", "cpu ms", "op ms", "target", "of tgt");

#define ROW(name) (only == NULL || g_str_equal (only, name))
  if (ROW ("brush"))
    {
      set_scale (&b, 1);
      measure (&b, "brush segment", "zoom 1", op_brush, repeats, 16);
      set_scale (&b, 4);
      measure (&b, "brush segment", "zoom 4", op_brush, repeats, 16);
    }
  if (ROW ("slice"))
    {
      set_scale (&b, 0);
      measure (&b, "slice change", "fit", op_slice, repeats, 50);
      set_scale (&b, 1);
      measure (&b, "slice change", "zoom 1", op_slice, repeats, 50);
    }
  for (guint k = 0; k < G_N_ELEMENTS (scales); k++)
    {
      g_autofree char *view = g_strdup_printf ("zoom %g", scales[k]);

      if (ROW ("zoom"))
        {
          set_scale (&b, scales[k]);
          measure (&b, "zoom step (1.25×)", view, op_zoom, repeats, 1000 / 60.0);
        }
      if (ROW ("pan"))
        {
          set_scale (&b, scales[k]);
          measure (&b, "pan step (24 px)", view, op_pan, repeats, 1000 / 60.0);
        }
    }
  if (ROW ("scatter"))
    bench_scatter (repeats);
#undef ROW

  gtk_window_destroy (GTK_WINDOW (b.window));
  g_object_unref (b.doc);
  cairo_surface_destroy (b.target);
  g_rmdir (dir);
  return 0;
}
