# Helpers for the generator's integration tests (init, plan, apply, revert, status).
# Source after tests/lib/tap.sh.

# need_fixture and the other setup blocks: tests/lib/setup.sh.
. "$TOP/tests/lib/setup.sh"

# The lock of apply/revert/confirm (src/gpt-bootcfg/write/lock.h) is runtime state, not part of
# the configuration: /run is a tmpfs on a real host. The listings leave it (and its
# directory entry) out.
_NOT_LOCK='! ( -path ./run/gpt-bootcfg -o -path ./run/gpt-bootcfg/bootcfg.lock )'

# tree_listing DIR: type, mode, path, link target and checksum of everything below DIR.
tree_listing() {
	# shellcheck disable=SC2086
	(cd "$1" && find . $_NOT_LOCK -printf '%y %m %p -> %l\n' | LC_ALL=C sort &&
		find . -type f $_NOT_LOCK -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}

# tree_mtimes DIR: modification times of everything below DIR (the lock's directory
# changes when the lock file is first created).
tree_mtimes() {
	# shellcheck disable=SC2086
	(cd "$1" && find . $_NOT_LOCK ! -path ./run -printf '%T@ %p\n' | LC_ALL=C sort -k2)
}

# run_gen ROOT ARGS...: the sanitizer build under --root, stdout to $TAP_TMP/out.txt,
# stderr to $TAP_TMP/err.txt; sets rc.
run_gen() {
	_root=$1; shift
	"$GPT_BOOTCFG" --root "$_root" "$@" >"$TAP_TMP/out.txt" 2>"$TAP_TMP/err.txt"
	rc=$?
}

# scrub FILE ROOT: replace the temporary root in FILE by ROOT for golden comparisons.
scrub() {
	sed -i "s|$2|ROOT|g" "$1"
}
