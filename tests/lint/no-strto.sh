#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make lint-strto: one parsing home (issue 29). Numbers in src/ are read with the safe_ato*()
# family of src/basic/parse-util.h, never with strto*() or ato*(), which skip blanks, take a
# sign on an unsigned type, stop silently at a stray byte and wrap or saturate on overflow.
# The one exception is JSON's strtod() in src/basic/qmp.c (its comment says why), by its
# exact line. Comment lines do not count. Usage: no-strto.sh [TOP] (default: the tree).
# Fails (exit 1) naming each call.
set -eu
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top"
hits=$(grep -rnP '\b(strto(?!k)[a-z]*|ato[ifl]|atoll)\s*\(' src --include='*.[ch]' |
	grep -vP '^[^:]+:\d+:\s*(/?\*|//)' |
	grep -vP '^src/basic/qmp\.c:\d+:\s*v->number = strtod\(buf, NULL\);$' || true)
if [ -n "$hits" ]; then
	printf '%s\n' "$hits" >&2
	echo "lint-strto: use the safe_ato*() family (src/basic/parse-util.h) instead" >&2
	exit 1
fi
n=$(find src -name '*.[ch]' | wc -l)
echo "lint-strto: $n files, no strto*() or ato*() outside parse-util"
