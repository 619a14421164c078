#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-po.sh SRCDIR PO — fails unless PO is complete: msgfmt --check accepts it, no message is
# untranslated or fuzzy, and (when xgettext and msgcmp are installed) every string the sources
# mark for translation today has an entry, so a new string cannot go untranslated unnoticed.
# It does not judge the translations themselves.
set -eu

srcdir=$1
po=$2

stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$po" 2>&1)
echo "$po: $stats"
case $stats in
  *untranslated* | *fuzzy*)
    echo "$po: every message must be translated and none fuzzy" >&2
    exit 1
    ;;
esac

if command -v xgettext >/dev/null 2>&1 && command -v msgcmp >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # The keywords of meson's i18n 'glib' preset.
  (cd "$srcdir" && xgettext --files-from=po/POTFILES.in --output="$tmp/dlsia-studio.pot" \
    --from-code=UTF-8 --add-comments --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
    --keyword=NC_:1c,2 --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 \
    --keyword=g_dpgettext2:2c,3 --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format \
    --flag=NC_:2:pass-c-format --flag=g_dngettext:2:pass-c-format \
    --flag=g_strdup_printf:1:c-format --flag=g_string_printf:2:c-format \
    --flag=g_string_append_printf:2:c-format --flag=g_error_new:3:c-format \
    --flag=g_set_error:4:c-format --flag=g_markup_printf_escaped:1:c-format \
    --flag=g_log:3:c-format --flag=g_print:1:c-format --flag=g_printerr:1:c-format \
    --flag=g_printf:1:c-format --flag=g_fprintf:2:c-format --flag=g_sprintf:2:c-format \
    --flag=g_snprintf:3:c-format)
  msgcmp "$po" "$tmp/dlsia-studio.pot"
  echo "$po: has every string the sources mark for translation"
fi
