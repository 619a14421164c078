/* SPDX-License-Identifier: MIT
 *
 * op-table.c: the one table from DlsOp to name and kernels.  It lists the ops in enum order and
 * the static assertion below fails to compile if an op is added to the enum but not here; a
 * test checks that every entry sits at its own index.
 */
#include "engine-private.h"

extern const DlsOpInfo dls_op_input, dls_op_labels, dls_op_param, dls_op_conv2d,
    dls_op_conv_transpose2d, dls_op_maxpool2d, dls_op_upsample_nearest, dls_op_linear,
    dls_op_batchnorm, dls_op_dropout, dls_op_relu, dls_op_sigmoid, dls_op_softmax, dls_op_concat,
    dls_op_slice, dls_op_reshape, dls_op_add, dls_op_scale, dls_op_cross_entropy, dls_op_mse_masked,
    dls_op_l1_masked, dls_op_dice, dls_op_focal, dls_op_tversky;

static const DlsOpInfo *const table[] = {
  &dls_op_input,
  &dls_op_labels,
  &dls_op_param,
  &dls_op_conv2d,
  &dls_op_conv_transpose2d,
  &dls_op_maxpool2d,
  &dls_op_upsample_nearest,
  &dls_op_linear,
  &dls_op_batchnorm,
  &dls_op_dropout,
  &dls_op_relu,
  &dls_op_sigmoid,
  &dls_op_softmax,
  &dls_op_concat,
  &dls_op_slice,
  &dls_op_reshape,
  &dls_op_add,
  &dls_op_scale,
  &dls_op_cross_entropy,
  &dls_op_mse_masked,
  &dls_op_l1_masked,
  &dls_op_dice,
  &dls_op_focal,
  &dls_op_tversky,
};

_Static_assert(G_N_ELEMENTS (table) == DLS_OP_COUNT, "op table and DlsOp enum differ");

const DlsOpInfo *
dls_op_info (DlsOp op)
{
  return table[op];
}
