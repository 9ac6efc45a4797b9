# TAP helpers for shell integration tests. Source it; BUILD points at the build dir.
# Tests run the sanitizer build of the binaries.
set -u
: "${BUILD:=$(cd "$(dirname "$0")/../.." && pwd)/build}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
GPT_BOOTCFG="$BUILD/asan/gpt-bootcfg"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export NO_COLOR=1
_tap_n=0
_tap_fail=0

ok() { # ok DESCRIPTION -- COMMAND...: passes when COMMAND exits 0
	_d=$1; shift; [ "${1:-}" = -- ] && shift
	_tap_n=$((_tap_n + 1))
	if "$@" >"$TAP_TMP/.ok-output" 2>&1; then
		echo "ok $_tap_n - $_d"
	else
		echo "not ok $_tap_n - $_d"; _tap_fail=$((_tap_fail + 1))
		sed 's/^/#   /' "$TAP_TMP/.ok-output" | head -40
	fi
}

is() { # is GOT WANT DESCRIPTION
	_tap_n=$((_tap_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $_tap_n - $3"
	else
		echo "not ok $_tap_n - $3"; _tap_fail=$((_tap_fail + 1))
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

# golden NAME FILE: compare FILE with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites it.
golden() {
	_tap_n=$((_tap_n + 1))
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		mkdir -p "$(dirname "$TOP/tests/golden/$1")"; cp "$2" "$TOP/tests/golden/$1"
	fi
	if diff -u "$TOP/tests/golden/$1" "$2" >"$TAP_TMP/diff" 2>&1; then
		echo "ok $_tap_n - golden $1"
	else
		echo "not ok $_tap_n - golden $1"; _tap_fail=$((_tap_fail + 1))
		sed 's/^/#   /' "$TAP_TMP/diff" | head -60
	fi
}

# Copy a fixture to a private directory (symlinks kept) and print its path. A fixture with a
# file .base is an overlay (docs/fixtures.md, "Overlays"): the fixture it names first, then the
# paths its .remove lists (one a line) removed, then its own files on top.
fixture_copy() {
	_dst=$(mktemp -d "$TAP_TMP/fx.XXXXXX")
	_fx=$TOP/tests/fixtures/$1
	if [ -f "$_fx/.base" ]; then
		cp -a "$TOP/tests/fixtures/$(cat "$_fx/.base")/." "$_dst/"
		if [ -f "$_fx/.remove" ]; then
			while read -r _p; do [ -n "$_p" ] && rm -rf "${_dst:?}/$_p"; done <"$_fx/.remove"
		fi
	fi
	cp -a "$_fx/." "$_dst/"
	rm -f "$_dst/.base" "$_dst/.remove"
	echo "$_dst"
}

done_testing() {
	echo "1..$_tap_n"
	rm -rf "$TAP_TMP"
	[ "$_tap_fail" = 0 ]
}

TAP_TMP=$(mktemp -d /tmp/gpt-bootcfg-test.XXXXXX)
