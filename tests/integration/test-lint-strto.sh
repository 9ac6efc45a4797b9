#!/bin/sh
# One parsing home (issue 29): src/ as it is passes make lint-strto (tests/lint/no-strto.sh),
# and each way back to a raw strto*() fails it, on copies of src/: a strtoul() in a CLI file,
# an atoi(), a second strtod() in qmp.c beside JSON's one; a comment naming strtol() does not.
. "$(dirname "$0")/../lib/tap.sh"
CHECK="$TOP/tests/lint/no-strto.sh"

ok "src/ as it is: no strto*() outside parse-util" -- sh "$CHECK" "$TOP"

broken() { # broken NAME: a fresh copy of src/ in $TAP_TMP/NAME
	rm -rf "$TAP_TMP/$1"
	mkdir -p "$TAP_TMP/$1"
	cp -a "$TOP/src" "$TAP_TMP/$1/"
}
fails() { # fails DESCRIPTION DIR PATTERN: the check fails on DIR and names PATTERN
	_out=$(sh "$CHECK" "$2" 2>&1) && _rc=0 || _rc=$?
	is "$_rc" 1 "$1: exit 1"
	case $_out in *"$3"*) _m=yes ;; *) _m=no ;; esac
	is "$_m" yes "$1: names it ($3)"
}

broken strtoul
printf 'static unsigned long f(const char *s) { return strtoul(s, NULL, 10); }\n' \
	>>"$TAP_TMP/strtoul/src/gpt-bootcfg/vm/pin.c"
fails "a strtoul() in vm/pin.c" "$TAP_TMP/strtoul" "src/gpt-bootcfg/vm/pin.c:"

broken atoi
printf 'static int f(const char *s) { return atoi(s); }\n' >>"$TAP_TMP/atoi/src/basic/log.c"
fails "an atoi() in basic/log.c" "$TAP_TMP/atoi" "src/basic/log.c:"

broken strtod
printf 'static double f(const char *s) { return strtod(s, NULL); }\n' \
	>>"$TAP_TMP/strtod/src/basic/qmp.c"
fails "a second strtod() in qmp.c" "$TAP_TMP/strtod" "src/basic/qmp.c:"

broken comment
printf '/*\n * strtol() would take " -1" here.\n */\n' >>"$TAP_TMP/comment/src/basic/log.c"
ok "a comment naming strtol() passes" -- sh "$CHECK" "$TAP_TMP/comment"

done_testing
