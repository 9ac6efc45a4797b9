#!/bin/sh
# apply on the guide's server: files, idempotence, backups, refusals, confirmation, rebuild.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
. "$TOP/tests/lib/initramfs.sh"
need_fixture guide-server

conf() { # conf ROOT: the guide's devices, VM autostarted
	guide_conf | write_conf "$1"
}

R=$(fixture_copy guide-server)
conf "$R"
tree_listing "$R" >"$TAP_TMP/t0"

run_gen "$R" apply </dev/null
is "$rc" 2 "apply without --yes and without a terminal refuses"
ok "and says to pass --yes" -- grep -q -- "--yes" "$TAP_TMP/err.txt"
tree_listing "$R" >"$TAP_TMP/t"
ok "... writing nothing" -- cmp "$TAP_TMP/t0" "$TAP_TMP/t"

# A direct apply (the default for a first apply is a trial: test-apply-trial.sh).
run_gen "$R" apply --yes --no-trial
is "$rc" 0 "apply --yes"
ok "rebuild skipped: not a full system, commands printed" -- \
	sh -c "grep -q 'not a full system' '$TAP_TMP/err.txt' && grep -q 'chroot .* update-initramfs -u -k all' '$TAP_TMP/out.txt' && grep -q 'update-grub' '$TAP_TMP/out.txt'"
for f in etc/default/grub.d/gpt-bootcfg.cfg etc/modprobe.d/gpt-bootcfg.conf etc/gpt-bootcfg/claim.list; do
	cp "$R/$f" "$TAP_TMP/file"
	golden "apply/guide-server/$f" "$TAP_TMP/file"
done
is "$(readlink "$R/etc/systemd/system/multi-user.target.wants/gpt-bootcfg-vm@win.service")" \
	/usr/lib/systemd/system/gpt-bootcfg-vm@.service "autostart link to the template unit"
ok "grub drop-in appends to GRUB_CMDLINE_LINUX_DEFAULT" -- \
	grep -q '^GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} intel_iommu=on .* gpt_bootcfg.generation=1"$' \
	"$R/etc/default/grub.d/gpt-bootcfg.cfg"
ok "/etc/default/grub untouched" -- cmp "$TOP/tests/fixtures/guide-server/etc/default/grub" "$R/etc/default/grub"
ok "claim list has generation 1 and the GPU" -- \
	sh -c "grep -qx 'generation 1' '$R/etc/gpt-bootcfg/claim.list' && grep -qx '0000:65:00.0 10de:1c03 1462:3285 030000' '$R/etc/gpt-bootcfg/claim.list'"
# The claim binary reads what apply wrote: with the generation on the command line it
# would claim exactly the configured devices.
cp -a "$R" "$TAP_TMP/booted"
sed -i 's/$/ gpt_bootcfg.generation=1/' "$TAP_TMP/booted/proc/cmdline"
"$BUILD/asan/gpt-bootcfg-claim" --root "$TAP_TMP/booted" --dry-run --stderr \
	--kver 6.1.0-56-amd64 >"$TAP_TMP/claim.txt" 2>&1
is "$?" 0 "the claim binary accepts the claim list apply wrote"
is "$(grep -c 'would claim for vfio-pci' "$TAP_TMP/claim.txt")" 4 "and would claim the four devices"
rm -rf "$TAP_TMP/booted"

# Second apply: nothing written, nothing run.
tree_listing "$R" >"$TAP_TMP/t1"
tree_mtimes "$R" >"$TAP_TMP/m1"
sleep 1
run_gen "$R" apply --yes
is "$rc" 0 "second apply"
ok "says nothing to do" -- grep -q "Nothing to do" "$TAP_TMP/out.txt"
ok "runs no rebuild" -- sh -c "! grep -q update-initramfs '$TAP_TMP/out.txt' '$TAP_TMP/err.txt'"
tree_mtimes "$R" >"$TAP_TMP/m2"
ok "second apply writes nothing (mtimes unchanged)" -- cmp "$TAP_TMP/m1" "$TAP_TMP/m2"

# A config change that touches only modprobe.d keeps the generation; one that changes the
# claim set bumps it.
sed -i 's/^memory = 16G/memory = 12G/' "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
run_gen "$R" apply --yes
is "$rc" 0 "apply after a memory change"
ok "generation 2 on the command line and in the claim list" -- \
	sh -c "grep -q 'hugepages=12 gpt_bootcfg.generation=2' '$R/etc/default/grub.d/gpt-bootcfg.cfg' && grep -qx 'generation 2' '$R/etc/gpt-bootcfg/claim.list'"
ok "the modprobe file was left alone" -- sh -c "! grep -q modprobe.d '$TAP_TMP/out.txt'"

# Hand edit of a managed file: kept as .bak with a warning, then replaced.
echo "blacklist foo" >>"$R/etc/modprobe.d/gpt-bootcfg.conf"
run_gen "$R" plan
ok "plan sees the edit" -- grep -Fq "/etc/modprobe.d/gpt-bootcfg.conf (hand-edited file kept as /etc/modprobe.d/gpt-bootcfg.conf.bak)" "$TAP_TMP/out.txt"
run_gen "$R" apply --yes
is "$rc" 0 "apply over a hand-edited file"
ok "warned" -- grep -q "Hand-edited /etc/modprobe.d/gpt-bootcfg.conf: keeping it as /etc/modprobe.d/gpt-bootcfg.conf.bak" "$TAP_TMP/err.txt"
ok "the edit is in the .bak" -- grep -qx "blacklist foo" "$R/etc/modprobe.d/gpt-bootcfg.conf.bak"
ok "the file is ours again" -- sh -c "! grep -q 'blacklist foo' '$R/etc/modprobe.d/gpt-bootcfg.conf'"

# Disabling autostart removes the link.
sed -i 's/^autostart = yes/autostart = no/' "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
run_gen "$R" apply --yes
is "$rc" 0 "apply with autostart = no"
ok "link removed" -- test ! -e "$R/etc/systemd/system/multi-user.target.wants/gpt-bootcfg-vm@win.service"

# A refused plan writes nothing.
R2=$(fixture_copy guide-server)
conf "$R2"
printf '[device root]\naddress = 0000:01:00.0\n' >>"$R2/etc/gpt-bootcfg/gpt-bootcfg.conf"
tree_listing "$R2" >"$TAP_TMP/r0"
run_gen "$R2" apply --yes
is "$rc" 1 "apply with the root NVMe is refused"
ok "says nothing was written" -- grep -q "nothing was written" "$TAP_TMP/err.txt"
tree_listing "$R2" >"$TAP_TMP/r1"
ok "a refused apply leaves the tree byte for byte" -- cmp "$TAP_TMP/r0" "$TAP_TMP/r1"

# A file that was there before (not ours) is kept as .bak.
R3=$(fixture_copy guide-server)
conf "$R3"
echo "options snd_hda_intel power_save=0" >"$R3/etc/modprobe.d/gpt-bootcfg.conf"
run_gen "$R3" apply --yes
is "$rc" 0 "apply over a foreign file"
ok "warned about it" -- grep -q "Not ours: /etc/modprobe.d/gpt-bootcfg.conf" "$TAP_TMP/err.txt"
ok "kept as .bak" -- grep -qx "options snd_hda_intel power_save=0" "$R3/etc/modprobe.d/gpt-bootcfg.conf.bak"

# A full system below the root: update-initramfs and update-grub run chrooted, once.
BB=$(command -v busybox || true)
if [ -z "$BB" ] || ! file -L "$BB" | grep -q 'statically linked'; then
	echo "not ok - busybox-static is needed for the chroot rebuild test (apt-get install busybox-static)"
	_tap_n=$((_tap_n + 1)); _tap_fail=$((_tap_fail + 1))
else
	R4=$(fixture_copy guide-server)
	conf "$R4"
	# update-initramfs writes an image that apply then checks (test-initramfs.sh).
	initrd_standin "$R4" 6.1.0-56-amd64 "$BB"
	printf '#!/bin/sh\necho update-grub "$@" >>/rebuild.log\necho "update-grub ran"\n' \
		>"$R4/usr/sbin/update-grub"
	chmod 755 "$R4/usr/sbin/update-grub"
	run_gen "$R4" apply --yes
	is "$rc" 0 "apply on a full system"
	is "$(cat "$R4/rebuild.log")" "update-initramfs -u -k all
update-grub" "update-initramfs and update-grub ran in the chroot"
	ok "their output is shown" -- grep -q "update-initramfs ran" "$TAP_TMP/out.txt"
	ok "the rebuilt image is checked" -- grep -q "^  ok   /boot/initrd.img-6.1.0-56-amd64 " "$TAP_TMP/out.txt"
	run_gen "$R4" apply --yes
	is "$(wc -l <"$R4/rebuild.log")" 2 "nothing runs when nothing changed"
	sed -i 's/^memory = 16G/memory = 8G/' "$R4/etc/gpt-bootcfg/gpt-bootcfg.conf"
	run_gen "$R4" apply --yes
	is "$(tail -n1 "$R4/rebuild.log")" "update-grub" "a parameter change runs update-grub"
	run_gen "$R4" apply --yes --no-rebuild
	is "$rc" 0 "--no-rebuild accepted"
fi
done_testing
