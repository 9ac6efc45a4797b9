#!/bin/sh
# One lock for apply, revert and confirm (issue 14, item 1): two applies at once used to
# pick the same backup name, and the second put generated content over the first one's
# backup of the user's own file. Here: 20 concurrent pairs on a tmpfs root, each followed
# by revert, and the user's file must come back byte for byte every time.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

# tmpfs, where the race lost the file most often (4-9 times in 20 before the lock).
SHM=$(mktemp -d /dev/shm/gpt-bootcfg-lock.XXXXXX)
trap 'rm -rf "$SHM"' EXIT
R="$SHM/root"
mkdir "$R"
cp -a "$TOP/tests/fixtures/guide-server/." "$R/"
mkdir -p "$R/etc/gpt-bootcfg" "$R/etc/default/grub.d"
gpu_pair_conf 8G | write_conf "$R"
USER_FILE="$R/etc/default/grub.d/gpt-bootcfg.cfg"
printf '# the user'"'"'s own drop-in\nGRUB_TIMEOUT=3\n' >"$USER_FILE"
chmod 0640 "$USER_FILE"
cp -p "$USER_FILE" "$SHM/user-file"
tree_listing "$R" >"$SHM/before"

# Long enough that the second run waits for the first rather than giving up, even on a
# loaded machine; a run that gives up must say why (checked below), never corrupt.
export GPT_BOOTCFG_LOCK_WAIT_MS=120000
lost=0 bad_rc=0 left=0
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	"$GPT_BOOTCFG" --root "$R" apply --yes --no-trial >"$SHM/a.out" 2>"$SHM/a.err" &
	pa=$!
	"$GPT_BOOTCFG" --root "$R" apply --yes --no-trial >"$SHM/b.out" 2>"$SHM/b.err" &
	pb=$!
	ra=0 rb=0
	wait $pa || ra=$?
	wait $pb || rb=$?
	if [ $ra != 0 ] || [ $rb != 0 ]; then
		bad_rc=$((bad_rc + 1))
		echo "# pair $i: exit $ra/$rb"; sed 's/^/#   /' "$SHM/a.err" "$SHM/b.err" | head -20
	fi
	"$GPT_BOOTCFG" --root "$R" revert >"$SHM/r.out" 2>"$SHM/r.err" || {
		bad_rc=$((bad_rc + 1)); echo "# pair $i: revert failed"; sed 's/^/#   /' "$SHM/r.err"; }
	if ! cmp -s "$SHM/user-file" "$USER_FILE" ||
		[ "$(stat -c %a "$USER_FILE")" != 640 ]; then
		lost=$((lost + 1))
		echo "# pair $i: the user's file is not what it was:"; sed 's/^/#   /' "$USER_FILE" | head -5
		cp -p "$SHM/user-file" "$USER_FILE"
	fi
	tree_listing "$R" >"$SHM/after"
	if ! cmp -s "$SHM/before" "$SHM/after"; then
		left=$((left + 1))
		echo "# pair $i: the tree differs after revert:"
		diff "$SHM/before" "$SHM/after" | sed 's/^/#   /' | head -10
	fi
done
is "$lost" 0 "the user's drop-in survived apply+apply+revert byte for byte in 20 of 20 pairs"
is "$bad_rc" 0 "every apply of every pair and every revert exited 0 (the second waited)"
is "$left" 0 "revert left the tree as it was every time"

# A held lock: a run gives up after the short wait and names the holder; nothing written.
LOCK="$R/run/gpt-bootcfg/bootcfg.lock"
mkdir -p "$R/run/gpt-bootcfg"
# The subshell becomes sleep with the locked fd: killing it frees the lock.
( exec 9<>"$LOCK"; flock 9; exec sleep 300 ) &
holder=$!
printf '%s\n' "$holder" >"$LOCK"
n=0
while flock -n "$LOCK" true 2>/dev/null && [ $n -lt 100 ]; do
	sleep 0.1; n=$((n + 1))
done
tree_listing "$R" >"$SHM/t0"
for verb in "apply --yes --no-trial" "revert" "confirm --force"; do
	# shellcheck disable=SC2086
	GPT_BOOTCFG_LOCK_WAIT_MS=300 run_gen "$R" $verb
	is "$rc" 2 "$verb while another run holds the lock: exit 2"
	ok "$verb names the holder" -- grep -qiF "another gpt-bootcfg is running (pid $holder)" "$TAP_TMP/err.txt"
done
tree_listing "$R" >"$SHM/t1"
ok "nothing written while locked out" -- cmp "$SHM/t0" "$SHM/t1"
kill "$holder"
wait "$holder" 2>/dev/null
GPT_BOOTCFG_LOCK_WAIT_MS=300 run_gen "$R" revert
is "$rc" 0 "the lock is free again once the holder is gone"

done_testing
