/* SPDX-License-Identifier: MIT
 *
 * json-text.h: JSON text for files people read and edit.  json-glib 1.6's generator writes 0.1
 * as 0.10000000000000001 and 1e20 as "1e+20.0" (which is not JSON), and puts a space before
 * every colon; this writes the shortest number that reads back the same, "key": value, two
 * spaces per level, lists of numbers on one line, UTF-8 as is.
 *
 * What it deliberately does not do: parse (json-glib does, after dls_json_too_deep() has
 * looked), or write NaN and infinities (JSON has none: they become null).
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The whole tree, ending in a newline. */
char *dls_json_to_text (JsonNode *root, gsize *len);

/* json-glib parses recursively: a file of a million "[" overflows the stack.  TRUE when the
 * lists and objects of `text` (len bytes, or up to a NUL when len < 0) nest deeper than
 * DLS_JSON_MAX_DEPTH; the readers refuse such a file before parsing it.  Our files are a few
 * levels deep; architecture parameters may add a few more. */
#define DLS_JSON_MAX_DEPTH 512
gboolean dls_json_too_deep (const char *text, gssize len);

/* json-glib turns the escape "\333" (not JSON, but it takes it) into the byte 0xdb, so a valid
 * text file can still give strings that are not UTF-8.  TRUE, with the dotted name of the first
 * such string or key appended to `where` ("classes[0].name"), when there is one. */
gboolean dls_json_find_bad_text (JsonNode *node, GString *where);

G_END_DECLS
