/* SPDX-License-Identifier: MIT
 *
 * bench.c: the convolution benchmark behind `dlsia bench` and tests/bench.  It times conv2d
 * forward and backward through the engine for the layer shapes of a U-Net (3×3, C → OC channels)
 * and of MSDNet (C_in → 1 channel, dilated 3×3), and prints GFLOP/s beside cblas_sgemm's
 * GFLOP/s measured in the same run, so the ratios mean something on a noisy shared machine.
 * Timing is the median of several repetitions after a warm-up.  FLOPs: 2 per multiply-add;
 * backward is dW plus dX, except for a one-channel input (the image), which needs no dX.
 */
#include "engine-private.h"

#include <cblas.h>
#include <math.h>
#include <time.h>

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

double
dls_median (double *v, int n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void
fill_random (float *v, int64_t n, DlsRng *rng)
{
  for (int64_t i = 0; i < n; i++)
    v[i] = (float) (dls_rng_uniform (rng) * 2 - 1);
}

/* Square sgemm at n, OpenBLAS on `threads` threads: GFLOP/s (median). */
static double
bench_sgemm (int n, int threads, int repeats)
{
  float *a = g_new (float, (size_t) n *n), *b = g_new (float, (size_t) n *n);
  float *c = g_new0 (float, (size_t) n *n);
  double *t = g_new (double, repeats);
  DlsRng rng;
  double res;

  dls_rng_init (&rng, 1);
  fill_random (a, (int64_t) n * n, &rng);
  fill_random (b, (int64_t) n * n, &rng);
  openblas_set_num_threads (threads);
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
  for (int r = 0; r < repeats; r++)
    {
      double t0 = now ();
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
      t[r] = now () - t0;
    }
  openblas_set_num_threads (1);
  res = 2.0 * n * n * (double) n / dls_median (t, repeats) / 1e9;
  g_free (a);
  g_free (b);
  g_free (c);
  g_free (t);
  return res;
}

typedef struct
{
  double fwd, bwd;  /* seconds, medians */
  double flops;     /* one forward: 2·MACs */
  double bwd_flops; /* dW, and dX unless the layer reads the image */
} ConvTime;

static bool
bench_layer (int C, int OC, int size, int dil, int repeats, ConvTime *out)
{
  g_autoptr (GError) error = NULL;
  DlsGraph *g = dls_graph_new (NULL);
  DlsNode x, w, b, y;
  DlsParams *p;
  float *in, *dout;
  double *tf = g_new (double, repeats), *tb = g_new (double, repeats);
  DlsRng rng;
  int64_t wn = (int64_t) OC * C * 9;

  /* A one-channel input is the image: as in a real network, it needs no gradient. */
  x = dls_graph_input (g, "x", DLS_SHAPE (1, C, size, size), C > 1);
  w = dls_graph_param (g, "w", 4, (int64_t[]){ OC, C, 3, 3 });
  b = dls_graph_param (g, "b", 1, (int64_t[]){ OC });
  y = dls_graph_conv2d (g, x, w, b, &(DlsConvArgs){ .padding = dil, .dilation = dil });
  if (!dls_graph_compile (g, true, &error))
    {
      g_printerr ("bench: %s\n", error->message);
      dls_graph_free (g);
      g_free (tf);
      g_free (tb);
      return false;
    }
  p = dls_graph_get_params (g);
  dls_rng_init (&rng, 7);
  fill_random (dls_params_weights (p), dls_params_n_weights (p), &rng);
  for (int64_t i = 0; i < wn; i++)
    dls_params_weights (p)[i] *= 1.0f / sqrtf (9.0f * C);
  in = g_new (float, (size_t) C *size *size);
  dout = g_new (float, (size_t) OC *size *size);
  fill_random (in, (int64_t) C * size * size, &rng);
  fill_random (dout, (int64_t) OC * size * size, &rng);
  dls_graph_set_input (g, x, in, NULL);

  dls_graph_forward (g);
  dls_graph_backward (g, y, dout);
  for (int r = 0; r < repeats; r++)
    {
      double t0 = now (), t1;
      dls_graph_forward (g);
      t1 = now ();
      dls_params_zero_grad (p);
      dls_graph_backward (g, y, dout);
      tf[r] = t1 - t0;
      tb[r] = now () - t1;
    }
  out->fwd = dls_median (tf, repeats);
  out->bwd = dls_median (tb, repeats);
  out->flops = 2.0 * OC * C * 9.0 * size * size;
  out->bwd_flops = (C > 1 ? 2 : 1) * out->flops;
  g_free (in);
  g_free (dout);
  g_free (tf);
  g_free (tb);
  dls_graph_free (g);
  return true;
}

static void
print_row (FILE *out, const char *name, const ConvTime *ct, double sgemm)
{
  double fb = (ct->flops + ct->bwd_flops) / (ct->fwd + ct->bwd) / 1e9;

  fprintf (out, "%-24s %9.2f %9.2f %9.1f %9.1f %9.1f %7.0f%%\n", name, ct->fwd * 1e3, ct->bwd * 1e3,
           ct->flops / ct->fwd / 1e9, ct->bwd_flops / ct->bwd / 1e9, fb, 100 * fb / sgemm);
}

int
dls_bench_conv (FILE *out, const DlsBenchArgs *args)
{
  DlsBenchArgs a = args ? *args : (DlsBenchArgs){ 0 };
  int size = a.size > 0 ? a.size : 256;
  int repeats = a.repeats > 0 ? a.repeats : 5;
  int all = dls_engine_get_threads ();
  int thread_counts[2] = { 1, all };
  int n_counts = all > 1 ? 2 : 1;
  static const int unet[][2] = { { 1, 16 },  { 16, 16 }, { 16, 32 },  { 32, 32 },
                                 { 32, 64 }, { 64, 64 }, { 64, 128 }, { 128, 128 } };
  static const int msd_c[] = { 1, 11, 21, 31, 41, 51 };
  static const int msd_d[] = { 1, 2, 5, 10 };
  int n_unet = a.quick ? 3 : (int) G_N_ELEMENTS (unet);
  int n_msd_c = a.quick ? 2 : (int) G_N_ELEMENTS (msd_c);
  int n_msd_d = a.quick ? 2 : (int) G_N_ELEMENTS (msd_d);
  double sgemm[2], unet_ratio[2] = { 0 }, msd_rate[2] = { 0 };
  int gemm_n = a.quick ? 512 : 1024;

  fprintf (out, "# conv2d benchmark, %d×%d, batch 1, median of %d\n", size, size, repeats);
  fprintf (out, "# direct kernels: %s; OpenBLAS core: %s\n", dls_engine_kernel_isa (),
           dls_engine_blas_corename ());

  for (int t = 0; t < n_counts; t++)
    {
      double flops = 0, secs = 0, msd_flops = 0, msd_secs = 0;

      /* sgemm right before the layers it is compared with: the machine's speed drifts */
      sgemm[t] = bench_sgemm (gemm_n, thread_counts[t], repeats);
      dls_engine_set_threads (thread_counts[t]);
      fprintf (out, "\n## %d thread%s: sgemm %d² %.1f GFLOP/s\n", thread_counts[t],
               thread_counts[t] > 1 ? "s" : "", gemm_n, sgemm[t]);
      fprintf (out, "%-22s %9s %9s %9s %9s %9s %8s\n", "layer", "fwd ms", "bwd ms", "fwd GF/s",
               "bwd GF/s", "f+b GF/s", "/sgemm");
      for (int i = 0; i < n_unet; i++)
        {
          ConvTime ct;
          char name[64];
          if (!bench_layer (unet[i][0], unet[i][1], size, 1, repeats, &ct))
            return 1;
          g_snprintf (name, sizeof name, "unet %d→%d", unet[i][0], unet[i][1]);
          print_row (out, name, &ct, sgemm[t]);
          flops += ct.flops + ct.bwd_flops;
          secs += ct.fwd + ct.bwd;
        }
      unet_ratio[t] = flops / secs / 1e9 / sgemm[t];
      fprintf (out, "%-22s %39s %9.1f %7.0f%%\n", "unet layers, all", "", flops / secs / 1e9,
               100 * unet_ratio[t]);

      for (int i = 0; i < n_msd_c; i++)
        for (int j = 0; j < n_msd_d; j++)
          {
            ConvTime ct;
            char name[64];
            if (!bench_layer (msd_c[i], 1, size, msd_d[j], repeats, &ct))
              return 1;
            g_snprintf (name, sizeof name, "msd %d→1 d%d", msd_c[i], msd_d[j]);
            print_row (out, name, &ct, sgemm[t]);
            msd_flops += ct.flops + ct.bwd_flops;
            msd_secs += ct.fwd + ct.bwd;
          }
      msd_rate[t] = msd_flops / msd_secs / 1e9;
      fprintf (out, "%-22s %39s %9.1f %7.0f%%\n", "msd layers, all", "", msd_rate[t],
               100 * msd_rate[t] / sgemm[t]);
    }

  if (a.quick)
    {
      fprintf (out, "\n# quick run: the three smallest U-Net layers and two MSDNet widths; run "
                    "without --quick for the figures the targets refer to\n");
      dls_engine_set_threads (all);
      return 0;
    }
  fprintf (out, "\n# summary (forward + backward, all layers of each kind)\n");
  for (int t = 0; t < n_counts; t++)
    fprintf (out,
             "%d thread%s: U-Net layers at %.0f%% of sgemm (target ≥ 70%%); MSDNet layers at "
             "%.1f GFLOP/s%s\n",
             thread_counts[t], thread_counts[t] > 1 ? "s" : " ", 100 * unet_ratio[t], msd_rate[t],
             t == 0 ? " (target ≥ 30 on one core)" : "");
  dls_engine_set_threads (all);
  return 0;
}
