/* SPDX-License-Identifier: MIT
 *
 * autoencoder.c: autoencoder configs for a given image size (see autoencoder.h).
 */
#include "config.h"

#include "autoencoder.h"

void
dls_autoencoder_config_init (DlsModelConfig *c, DlsArch arch, int C, int H, int W,
                             const DlsAutoencoderArgs *a)
{
  dls_model_config_init (c, arch);
  c->in_channels = C;
  c->out_channels = C;
  if (arch == DLS_ARCH_MSAE)
    {
      c->input_shape[0] = C;
      c->input_shape[1] = H;
      c->input_shape[2] = W;
      if (a->latent)
        c->latent_dimension = a->latent;
      if (a->depth)
        c->depth = a->depth;
      if (a->base)
        c->base_channels = a->base;
    }
  else if (arch == DLS_ARCH_SAE)
    {
      int seq[2] = { 32, a->latent ? a->latent : 16 };

      c->in_shape[0] = H;
      c->in_shape[1] = W;
      c->latent_shape[0] = MAX (1, H / 4);
      c->latent_shape[1] = MAX (1, W / 4);
      g_free (c->latent_sequence);
      c->latent_sequence = g_memdup2 (seq, sizeof seq);
      c->n_latent_sequence = 2;
      if (a->layers)
        c->depth = a->layers;
    }
}
