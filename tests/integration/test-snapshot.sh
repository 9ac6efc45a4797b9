#!/bin/sh
# snapshot of every fixture, extracted again, gives identical list and check output.
. "$(dirname "$0")/../lib/tap.sh"

command -v tar >/dev/null || { echo "Bail out! tar is missing"; exit 1; }

# Overlays (a .base file: tests/lib/tap.sh, fixture_copy) are tested where they are used.
fixtures=$(cd "$TOP/tests/fixtures" && for d in */; do [ -d "$d/sys" ] && [ ! -e "$d/.base" ] && echo "${d%/}"; done)
ok "there are fixtures to test" -- test -n "$fixtures"

for f in $fixtures; do
	root="$TOP/tests/fixtures/$f"
	snap="$TAP_TMP/$f.tar"
	x="$TAP_TMP/$f.x"
	"$GPT_BOOTCFG" --root "$root" snapshot "$snap" 2>"$TAP_TMP/err"; rc=$?
	is "$rc" 0 "snapshot of $f exits 0"
	ok "snapshot of $f is a tar" -- tar -tf "$snap"
	mkdir -p "$x" && tar -xf "$snap" -C "$x"
	ok "snapshot of $f has mountinfo as a file" -- test -f "$x/proc/self/mountinfo" -a ! -L "$x/proc/self"
	for cmd in "list" "list --json" "check" "check --json"; do
		# shellcheck disable=SC2086
		"$GPT_BOOTCFG" --root "$root" $cmd >"$TAP_TMP/a" 2>&1; rca=$?
		# shellcheck disable=SC2086
		"$GPT_BOOTCFG" --root "$x" $cmd >"$TAP_TMP/b" 2>&1; rcb=$?
		is "$rcb" "$rca" "$f: '$cmd' exits the same on the snapshot"
		ok "$f: '$cmd' prints the same on the snapshot" -- diff -u "$TAP_TMP/a" "$TAP_TMP/b"
	done
	# The snapshot of a snapshot is the same tar: nothing depends on where it was taken.
	"$GPT_BOOTCFG" --root "$x" snapshot "$TAP_TMP/$f.2.tar" 2>/dev/null
	ok "$f: snapshot of the snapshot is identical" -- cmp "$snap" "$TAP_TMP/$f.2.tar"
	# Only what the tool reads: no device config space or sysfs files nobody looks at.
	ok "$f: snapshot leaves config space out" -- sh -c "! tar -tf '$snap' | grep -q '/config\$'"
done
done_testing
