/* SPDX-License-Identifier: MIT
 *
 * autoencoder.h: the config of an autoencoder for images of a given size — DLSIA's MSAE or
 * SparseAutoEncoder with its defaults, the latent length and a few overrides — shared by
 * `dlsia train --autoencoder` and the latent-space embedding, so both build the same network.
 */
#pragma once

#include "models.h"

G_BEGIN_DECLS

typedef struct {
  int latent;  /* latent vector length, 16 when 0 */
  int depth;   /* msae: levels (2 when 0) */
  int base;    /* msae: first level's channels (16 when 0) */
  int layers;  /* sae: SMSNet depth of each half (20 when 0) */
} DlsAutoencoderArgs;

/* Fills c (initialised here; clear it after) for C × H × W images: arch is DLS_ARCH_MSAE or
 * DLS_ARCH_SAE (the SAE's latent image is a quarter of the image's side, its linear stack
 * 32 → latent).  Seed, normalisation and regression flags are the caller's. */
void dls_autoencoder_config_init (DlsModelConfig *c, DlsArch arch, int C, int H, int W,
                                  const DlsAutoencoderArgs *args);

G_END_DECLS
