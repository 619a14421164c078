/* SPDX-License-Identifier: MIT
 *
 * bench-conv.c: `meson test -C build --benchmark` entry for the convolution benchmark (the
 * same code as `dlsia bench`): conv2d forward + backward GFLOP/s for U-Net and MSDNet layer
 * shapes beside cblas_sgemm measured in the same run.  Timing only; never a pass/fail test.
 *   bench-conv [--quick] [SIZE] [REPEATS]
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
  DlsBenchArgs args = { .size = 256, .repeats = 5 };
  int pos = 0;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--quick") == 0)
        args.quick = true;
      else if (pos++ == 0)
        args.size = atoi (argv[i]);
      else
        args.repeats = atoi (argv[i]);
    }
  if (args.size < 8 || args.repeats < 1)
    {
      fprintf (stderr, "usage: bench-conv [--quick] [SIZE ≥ 8] [REPEATS ≥ 1]\n");
      return 2;
    }
  return dls_bench_conv (stdout, &args);
}
