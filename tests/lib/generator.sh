# Helpers for the generator's integration tests (init, plan, apply, revert, status).
# Source after tests/lib/tap.sh.

# need_fixture NAME: the fixture must exist; a missing one fails the test (never skipped).
need_fixture() {
	if [ ! -d "$TOP/tests/fixtures/$1/sys" ]; then
		echo "not ok 1 - fixture tests/fixtures/$1 is missing"
		echo "1..1"
		exit 1
	fi
}

# tree_listing DIR: type, mode, path, link target and checksum of everything below DIR.
tree_listing() {
	(cd "$1" && find . -printf '%y %m %p -> %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}

# tree_mtimes DIR: modification times of everything below DIR.
tree_mtimes() {
	(cd "$1" && find . -printf '%T@ %p\n' | LC_ALL=C sort -k2)
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
