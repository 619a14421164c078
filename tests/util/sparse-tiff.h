/* SPDX-License-Identifier: MIT
 *
 * sparse-tiff.h: a BigTIFF of many gigabytes that takes almost no disk, for the tests of large
 * volumes.  Written by hand (not with libtiff, which would write every byte): a header, one
 * IFD per page, and one uncompressed uint16 strip per page whose offset points into a file
 * extended with ftruncate, so the pixel data are holes that read as zeros.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* pages × height × width uint16, little-endian, all zero.  Returns the nominal size of the
 * pixel data in bytes.  Failures are test failures. */
guint64 dls_test_write_sparse_bigtiff (const char *path, int64_t pages, int64_t height,
                                       int64_t width);

/* Writes one pixel's value into the file made above (the page's strip is no longer all hole). */
void    dls_test_sparse_bigtiff_poke  (const char *path, int64_t pages, int64_t height,
                                       int64_t width, int64_t z, int64_t y, int64_t x,
                                       uint16_t value);

/* The disk space a file takes (st_blocks), in bytes. */
guint64 dls_test_file_disk_usage      (const char *path);

G_END_DECLS
