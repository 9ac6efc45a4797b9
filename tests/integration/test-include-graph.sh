#!/bin/sh
# The include graph of src/ runs one way (issue 29, docs/architecture.md): the tree as it is
# passes make lint-includes, and each kind of break the check exists for fails it: a module
# cycle, a folder cycle, an include across the link rules, an unresolved include and a file
# over 800 lines (on copies of src/).
. "$(dirname "$0")/../lib/tap.sh"
CHECK="$TOP/tests/lint/include-graph.py"

ok "src/ as it is: no cycle, no include across the link rules" -- python3 "$CHECK" "$TOP"

broken() { # broken NAME: a fresh copy of src/ in $TAP_TMP/NAME
	rm -rf "$TAP_TMP/$1"
	mkdir -p "$TAP_TMP/$1"
	cp -a "$TOP/src" "$TAP_TMP/$1/"
}
fails() { # fails DESCRIPTION DIR PATTERN: the check fails on DIR and says PATTERN
	_out=$(python3 "$CHECK" "$2" 2>&1) && _rc=0 || _rc=$?
	is "$_rc" 1 "$1: exit 1"
	case $_out in *"$3"*) _m=yes ;; *) _m=no ;; esac
	is "$_m" yes "$1: names it ($3)"
}

broken modcycle
printf '#include "features/table.h"\n' >>"$TAP_TMP/modcycle/src/gpt-bootcfg/features/audio.h"
fails "a feature including the table" "$TAP_TMP/modcycle" "module cycle:"

broken dircycle
printf '#include "vm/qemucmd.h"\n' >>"$TAP_TMP/dircycle/src/gpt-bootcfg/core/numa.h"
fails "core including vm/" "$TAP_TMP/dircycle" "folder cycle:"

broken layer
printf '#include "shared/host.h"\n' >>"$TAP_TMP/layer/src/basic/strv-util.h"
fails "src/basic including src/shared" "$TAP_TMP/layer" "src/basic may not include src/shared"

broken claim
printf '#include "shared/host.h"\n' >>"$TAP_TMP/claim/src/claim/klog.h"
fails "the claim binary including src/shared" "$TAP_TMP/claim" "src/claim may not include src/shared"

broken unresolved
printf '#include "strv-util.h"\n' >>"$TAP_TMP/unresolved/src/basic/log.h"
fails "an include without its folder" "$TAP_TMP/unresolved" "is not a file of src/"

broken long
awk 'BEGIN { for (i = 0; i < 801; i++) print "/* line */" }' >"$TAP_TMP/long/src/basic/long.c"
fails "a file of 801 lines" "$TAP_TMP/long" "801 lines"

done_testing
