#!/bin/sh
# --root never escapes through directory symlinks (issue 14, item 5): each directory apply
# writes to, as an absolute and as a ../.. symlink pointing outside the root, must resolve
# inside the root as under chroot. apply (a trial: every file it has) and revert write
# nothing outside; the configuration read through an absolute link is the root's.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

OUT="$TAP_TMP/outside"

conf() { # conf FILE
	mkdir -p "$(dirname "$1")"
	gpu_pair_conf 8G "autostart = yes" >"$1"
	chmod 0644 "$1"
}

# outside_empty: nothing at all below $OUT (it exists, empty, for the links to point at).
outside_listing() { (cd "$OUT" && find . | LC_ALL=C sort); }

for dir in etc/modprobe.d etc/default/grub.d etc/gpt-bootcfg var/lib/gpt-bootcfg \
	etc/systemd/system/multi-user.target.wants; do
	for kind in absolute relative; do
		R=$(fixture_copy guide-server)
		rm -rf "$OUT"
		mkdir -p "$OUT"
		conf "$R/etc/gpt-bootcfg-alt.conf"
		parent=$(dirname "$R/$dir")
		mkdir -p "$parent"
		rm -rf "${R:?}/$dir"
		if [ $kind = absolute ]; then
			ln -s "$OUT" "$R/$dir"
		else
			# Enough ".." to climb from the link's directory out of the root, to $OUT.
			up=$(dirname "$dir" | sed 's|[^/]*|..|g')
			ln -s "$up/../outside" "$R/$dir"
			ok "$dir ($kind): the link does lead outside on the host" -- \
				test "$(cd "$R/$dir" && pwd -P)" = "$(cd "$OUT" && pwd -P)"
		fi
		before=$(outside_listing)
		# A trial leaves the default entry's drop-in alone: write that one directly.
		mode=--trial
		[ "$dir" = etc/default/grub.d ] && mode=--no-trial
		run_gen "$R" --config /etc/gpt-bootcfg-alt.conf apply --yes $mode
		is "$rc" 0 "$dir as a $kind link: apply"
		[ "$rc" = 0 ] || sed 's/^/#   /' "$TAP_TMP/err.txt"
		is "$(outside_listing)" "$before" "$dir as a $kind link: apply wrote nothing outside the root"
		# Where chroot would have put it: the link's target inside the root.
		if [ $kind = absolute ]; then inside="$R$OUT"; else inside="$R/outside"; fi
		ok "$dir as a $kind link: written where the link leads inside the root" -- \
			sh -c "ls -A '$inside' | grep -q ."
		run_gen "$R" --config /etc/gpt-bootcfg-alt.conf revert
		is "$rc" 0 "$dir as a $kind link: revert"
		[ "$rc" = 0 ] || sed 's/^/#   /' "$TAP_TMP/err.txt"
		is "$(outside_listing)" "$before" "$dir as a $kind link: revert wrote nothing outside the root"
		ok "$dir as a $kind link: the link itself is still there" -- test -L "$R/$dir"
	done
done

# The configuration read through an absolute symlink is the root's file at that path, not
# the host's: the host's one names a device the root's does not.
R=$(fixture_copy guide-server)
rm -rf "$OUT"
mkdir -p "$OUT" "$R$OUT"
conf "$R$OUT/inside.conf"
conf "$OUT/inside.conf"
printf '[device usb]\naddress = 0000:b4:00.0\n' >>"$OUT/inside.conf"
mkdir -p "$R/etc/gpt-bootcfg"
ln -s "$OUT/inside.conf" "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
run_gen "$R" plan
is "$rc" 0 "plan with the config as an absolute link"
ok "the root's file was read (gpu planned)" -- grep -q "0000:65:00.0" "$TAP_TMP/out.txt"
ok "not the host's (no usb)" -- sh -c "! grep -q '0000:b4:00.0' '$TAP_TMP/out.txt'"
rm "$R$OUT/inside.conf"
run_gen "$R" plan
is "$rc" 2 "with no such file inside the root, there is no configuration"
ok "even though the host has one at that path" -- test -f "$OUT/inside.conf"

# The same for a directory link above the config.
rm -rf "$R/etc/gpt-bootcfg"
ln -s "$OUT" "$R/etc/gpt-bootcfg"
conf "$R$OUT/gpt-bootcfg.conf"
run_gen "$R" plan
is "$rc" 0 "plan with /etc/gpt-bootcfg as an absolute link"
ok "reads the root's file" -- sh -c "! grep -q '0000:b4:00.0' '$TAP_TMP/out.txt'"

# A loop of links fails cleanly, writing nothing.
R=$(fixture_copy guide-server)
conf "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
rm -rf "$R/etc/modprobe.d"
ln -s /etc/modprobe.d "$R/etc/modprobe.d"
run_gen "$R" apply --yes --no-trial
is "$rc" 2 "a link to itself: apply fails"
ok "with ELOOP" -- grep -q "Too many levels of symbolic links" "$TAP_TMP/err.txt"

done_testing
