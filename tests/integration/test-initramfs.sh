#!/bin/sh
# The image that boots (issue 13, part 3): status and apply read /boot/initrd.img-VERSION
# and check that it holds the claim binary, the init-top script before udev, the claim list
# of /etc and the vfio-pci chain of that kernel (or vfio-pci built in). Images are built
# here with cpio and the compressors, laid out as mkinitramfs lays them out
# (tests/lib/initramfs.sh); tests/boot/check-initramfs.sh does it with the real mkinitramfs.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
. "$TOP/tests/lib/initramfs.sh"
need_fixture guide-server
need_tools cpio zstd gzip xz jq

K=6.1.0-56-amd64
R=$(fixture_copy guide-server)
IMG=$R/boot/initrd.img-$K
gpu_pair_conf 4G | write_conf "$R"
run_gen "$R" apply --yes --no-trial
is "$rc" 0 "apply (rebuild skipped: not a full system)"
ok "apply checks no image it did not rebuild" -- sh -c "! grep -q 'Initramfs images' '$TAP_TMP/out.txt'"

# The fixture's image is an empty file.
run_gen "$R" status
is "$rc" 1 "status: an empty image is a failure"
ok "FAIL line names the image" -- grep -qx "  FAIL /boot/initrd.img-$K" "$TAP_TMP/out.txt"
ok "and why" -- grep -qx "       cannot be read: empty file" "$TAP_TMP/out.txt"
ok "last line says FAIL" -- grep -q "(FAIL)\.$" "$TAP_TMP/out.txt"

# status_image: the one image line and its problems.
status_image() {
	run_gen "$R" status
	sed -n '/^Initramfs images/,/^$/p' "$TAP_TMP/out.txt" | sed '1d;/^$/d'
}

GOOD=$TAP_TMP/good
initrd_tree "$R" "$K" "$GOOD"
gen=$(sed -n 's/^generation //p' "$R/etc/gpt-bootcfg/claim.list")
ok_line="  ok   /boot/initrd.img-$K (initramfs-tools, none zstd): claim binary, init-top script before udev, claim list of generation $gen, vfio-pci with 5 modules"
initrd_pack "$GOOD" "$IMG" zstd
is "$(status_image)" "$ok_line" "a good zstd image (Debian 12's default)"
for c in gzip xz lzma none; do
	initrd_pack "$GOOD" "$IMG" $c
	want=$(echo "$ok_line" | sed "s/, none zstd)/, none${c:+ $c})/; s/, none none)/, none)/")
	is "$(status_image)" "$want" "a good $c image"
done

# Golden files: a good image and a failing one, text and JSON.
initrd_pack "$GOOD" "$IMG" zstd
run_gen "$R" status
golden status/initramfs-ok.txt "$TAP_TMP/out.txt"
run_gen "$R" status --json
is "$(jq -c '.initramfs[0] | [.kernel, .image, .ok, .problems]' "$TAP_TMP/out.txt")" \
	"[\"$K\",\"/boot/initrd.img-$K\",true,[]]" "status --json: the image is ok"

# variant NAME: a copy of the good tree to break.
variant() {
	rm -rf "$TAP_TMP/v"
	cp -a "$GOOD" "$TAP_TMP/v"
}

# The hook removed (no init-top script, not in ORDER), as a hook of the admin could do.
variant
rm "$TAP_TMP/v/scripts/init-top/gpt-bootcfg"
sed -i '/gpt-bootcfg/d' "$TAP_TMP/v/scripts/init-top/ORDER"
initrd_pack "$TAP_TMP/v" "$IMG"
is "$(status_image)" "  FAIL /boot/initrd.img-$K
       no init-top script (/scripts/init-top/gpt-bootcfg)
       /scripts/init-top/ORDER does not run the init-top script gpt-bootcfg" "hook removed: FAIL"
is "$rc" 1 "exit 1"
golden status/initramfs-fail.txt "$TAP_TMP/out.txt"
run_gen "$R" status --json
is "$(jq -c '[.ok, .initramfs[0].ok, (.initramfs[0].problems | length)]' "$TAP_TMP/out.txt")" \
	"[false,false,2]" "status --json: the fail and its problems"
golden status/initramfs-fail.json "$TAP_TMP/out.txt"

# Ordered after udev.
variant
sed -i '/init-top\/gpt-bootcfg/d' "$TAP_TMP/v/scripts/init-top/ORDER"
echo '/scripts/init-top/gpt-bootcfg "$@"' >>"$TAP_TMP/v/scripts/init-top/ORDER"
initrd_pack "$TAP_TMP/v" "$IMG"
ok "init-top after udev: FAIL" -- sh -c "'$GPT_BOOTCFG' --root '$R' status | grep -q 'runs gpt-bootcfg after udev'"

# No claim binary; a claim binary that is not executable.
variant
rm "$TAP_TMP/v/usr/lib/gpt-bootcfg/gpt-bootcfg-claim"
initrd_pack "$TAP_TMP/v" "$IMG"
is "$(status_image | sed -n 2p)" "       no claim binary (/usr/lib/gpt-bootcfg/gpt-bootcfg-claim)" "no claim binary"
variant
chmod 644 "$TAP_TMP/v/usr/lib/gpt-bootcfg/gpt-bootcfg-claim"
initrd_pack "$TAP_TMP/v" "$IMG"
is "$(status_image | sed -n 2p)" "       the claim binary /usr/lib/gpt-bootcfg/gpt-bootcfg-claim is not executable" \
	"claim binary not executable"

# A stale list: the image was built before the last apply.
variant
sed -i "s/^generation $gen\$/generation $((gen - 1))/" "$TAP_TMP/v/etc/gpt-bootcfg/claim.list"
initrd_pack "$TAP_TMP/v" "$IMG"
is "$(status_image | sed -n 2p)" \
	"       stale claim list: generation $((gen - 1)) in the image, $gen in /etc/gpt-bootcfg/claim.list" \
	"stale list: both generations named"
# Same generation, other devices.
variant
sed -i '/^0000:65:00.1/d' "$TAP_TMP/v/etc/gpt-bootcfg/claim.list"
initrd_pack "$TAP_TMP/v" "$IMG"
is "$(status_image | sed -n 2p)" "       the claim list differs from /etc/gpt-bootcfg/claim.list" \
	"list with other devices"
# No list at all.
variant
rm "$TAP_TMP/v/etc/gpt-bootcfg/claim.list"
initrd_pack "$TAP_TMP/v" "$IMG"
is "$(status_image | sed -n 2p)" "       no claim list (/etc/gpt-bootcfg/claim.list)" "no list in the image"

# A later archive overrides an earlier one, as the kernel unpacks them: a good main
# archive followed by a small one with an old list is stale.
variant
sed -i "s/^generation $gen\$/generation 99/" "$TAP_TMP/v/etc/gpt-bootcfg/claim.list"
mkdir -p "$TAP_TMP/over/etc/gpt-bootcfg"
cp "$TAP_TMP/v/etc/gpt-bootcfg/claim.list" "$TAP_TMP/over/etc/gpt-bootcfg/"
initrd_pack "$GOOD" "$IMG"
initrd_cpio "$TAP_TMP/over" | gzip -c >>"$IMG"
is "$(status_image | sed -n 2p)" \
	"       stale claim list: generation 99 in the image, $gen in /etc/gpt-bootcfg/claim.list" \
	"an appended archive replaces the list"

# A missing vfio module: the chain of modules.dep is incomplete.
variant
rm "$TAP_TMP/v/usr/lib/modules/$K/kernel/drivers/vfio/pci/vfio-pci-core.ko"
initrd_pack "$TAP_TMP/v" "$IMG"
is "$(status_image | sed -n 2p)" "       vfio-pci cannot be loaded: no vfio_pci_core in /lib/modules/$K" \
	"missing vfio-pci-core"
# Modules under lib/ of an image that is not merged-/usr are found just as well.
variant
rm "$TAP_TMP/v/lib"
mv "$TAP_TMP/v/usr/lib" "$TAP_TMP/v/lib"
ln -s ../lib "$TAP_TMP/v/usr/lib"
initrd_pack "$TAP_TMP/v" "$IMG"
is "$(status_image)" "$ok_line" "unmerged /usr layout"

# Compressed modules (Debian's 6.12 ships .ko.xz): modules.dep names them so.
R2=$(fixture_copy guide-server)
cp "$R/etc/gpt-bootcfg/"* "$R2/etc/gpt-bootcfg/" 2>/dev/null || { mkdir -p "$R2/etc/gpt-bootcfg"; cp "$R/etc/gpt-bootcfg/"* "$R2/etc/gpt-bootcfg/"; }
sed -i 's/\.ko\b/.ko.xz/g' "$R2/lib/modules/$K/modules.dep"
initrd_tree "$R2" "$K" "$TAP_TMP/xz"
ok "the tree holds .ko.xz modules" -- test -e "$TAP_TMP/xz/usr/lib/modules/$K/kernel/drivers/vfio/vfio.ko.xz"
initrd_pack "$TAP_TMP/xz" "$R2/boot/initrd.img-$K"
ok "compressed modules: ok" -- sh -c "'$GPT_BOOTCFG' --root '$R2' status | grep -q '^  ok   /boot/initrd.img-$K .*vfio-pci with 5 modules'"

# vfio-pci built into the kernel: no module needed in the image.
sed -i '/vfio/d' "$R2/lib/modules/$K/modules.dep"
echo "kernel/drivers/vfio/pci/vfio-pci.ko" >>"$R2/lib/modules/$K/modules.builtin"
rm -rf "$TAP_TMP/bi"
initrd_tree "$R2" "$K" "$TAP_TMP/bi"
ok "no vfio module in that image" -- sh -c "! find '$TAP_TMP/bi' -name 'vfio*' | grep -q ."
initrd_pack "$TAP_TMP/bi" "$R2/boot/initrd.img-$K"
ok "built-in vfio-pci: ok" -- sh -c "'$GPT_BOOTCFG' --root '$R2' status | grep -q '^  ok   /boot/initrd.img-$K .*vfio-pci built into the kernel$'"
# Neither a module nor built in.
sed -i '/vfio/d' "$R2/lib/modules/$K/modules.builtin"
ok "vfio-pci nowhere: FAIL" -- sh -c "'$GPT_BOOTCFG' --root '$R2' status | grep -q 'kernel $K has vfio-pci neither as a module (modules.dep) nor built in (modules.builtin)'"

# Formats the check does not read are named; garbage and truncation are failures.
printf '\002\041\114\030garbage' >"$IMG"
is "$(status_image | sed -n 2p)" \
	"       cannot be read: lz4-compressed archive at offset 0: not supported (gzip, xz, lzma and zstd are)" \
	"lz4 named as unsupported"
initrd_pack "$GOOD" "$TAP_TMP/full"
head -c $(($(stat -c %s "$TAP_TMP/full") - 100)) "$TAP_TMP/full" >"$IMG"
ok "a truncated image: FAIL" -- sh -c "'$GPT_BOOTCFG' --root '$R' status | grep -q 'cannot be read: truncated zstd data'"
printf 'not an image' >"$IMG"
ok "not an image: FAIL" -- sh -c "'$GPT_BOOTCFG' --root '$R' status | grep -q 'cannot be read: neither a cpio archive nor known compressed data at offset 0'"

# A second kernel without an initramfs: GRUB boots it without the claim.
initrd_pack "$GOOD" "$IMG"
: >"$R/boot/vmlinuz-6.1.0-99-amd64"
run_gen "$R" status
ok "a kernel without an image: FAIL" -- grep -q "^       does not exist: kernel 6.1.0-99-amd64 boots without the claim$" "$TAP_TMP/out.txt"
ok "the other image still ok" -- grep -q "^  ok   /boot/initrd.img-$K " "$TAP_TMP/out.txt"
rm "$R/boot/vmlinuz-6.1.0-99-amd64"

# apply on a full system: update-initramfs (a stand-in here, chrooted) writes the image,
# then apply checks it. A bad image fails apply with exit 2 and leaves it pending.
BB=$(command -v busybox || true)
if [ -z "$BB" ] || ! file -L "$BB" | grep -q 'statically linked'; then
	echo "not ok - busybox-static is needed for the chroot rebuild test (apt-get install busybox-static)"
	_tap_n=$((_tap_n + 1)); _tap_fail=$((_tap_fail + 1))
else
	R3=$(fixture_copy guide-server)
	mkdir -p "$R3/etc/gpt-bootcfg"
	cp "$R/etc/gpt-bootcfg/gpt-bootcfg.conf" "$R3/etc/gpt-bootcfg/"
	initrd_standin "$R3" "$K" "$BB"
	printf '#!/bin/sh\necho "update-grub ran"\n' >"$R3/usr/sbin/update-grub"
	chmod 755 "$R3/usr/sbin/update-grub"

	# The hook's init-top script missing from what mkinitramfs packs.
	mv "$R3/gbtest/initrd/scripts/init-top/gpt-bootcfg" "$TAP_TMP/saved-init-top"
	run_gen "$R3" apply --yes --no-trial
	is "$rc" 2 "apply with an image missing the hook: exit 2"
	ok "update-initramfs ran" -- grep -q "update-initramfs ran" "$TAP_TMP/out.txt"
	ok "the check's FAIL line" -- grep -qx "  FAIL /boot/initrd.img-$K" "$TAP_TMP/out.txt"
	ok "names the image and what is missing" -- grep -q \
		"gpt-bootcfg: /boot/initrd.img-$K: no init-top script (/scripts/init-top/gpt-bootcfg)" "$TAP_TMP/err.txt"
	ok "says what to do" -- grep -q "run 'gpt-bootcfg apply' again: it rebuilds and checks again" "$TAP_TMP/err.txt"
	ok "no 'Applied generation' claim" -- sh -c "! grep -q '^Applied generation' '$TAP_TMP/out.txt'"
	ok "the apply stays pending" -- grep -q "^pending direct" "$R3/var/lib/gpt-bootcfg/state"
	# Fixed: the next apply finishes the pending one, rebuilds and checks again.
	mv "$TAP_TMP/saved-init-top" "$R3/gbtest/initrd/scripts/init-top/gpt-bootcfg"
	run_gen "$R3" apply --yes --no-trial
	is "$rc" 0 "apply again with a good image: exit 0"
	ok "finishing the pending apply" -- grep -q "The last apply did not finish" "$TAP_TMP/err.txt"
	ok "the check's ok line" -- grep -q "^  ok   /boot/initrd.img-$K (initramfs-tools, gzip): claim binary" "$TAP_TMP/out.txt"
	ok "applied" -- grep -q "^Applied generation" "$TAP_TMP/out.txt"
	ok "nothing pending" -- sh -c "! grep -q '^pending' '$R3/var/lib/gpt-bootcfg/state'"

	# A stale list in the rebuilt image (a hook of the admin copying an old one).
	mkdir -p "$R3/gbtest/override/etc/gpt-bootcfg"
	sed "s/^generation .*/generation 77/" "$R3/etc/gpt-bootcfg/claim.list" \
		>"$R3/gbtest/override/etc/gpt-bootcfg/claim.list"
	sed -i 's/^memory = 4G/memory = 8G/' "$R3/etc/gpt-bootcfg/gpt-bootcfg.conf"
	run_gen "$R3" apply --yes --no-trial
	is "$rc" 2 "apply with a stale list in the image: exit 2"
	ok "names the stale list" -- grep -q "/boot/initrd.img-$K: stale claim list: generation 77 in the image" "$TAP_TMP/err.txt"

	# A trial apply with a bad image: the trial is not selected for the next boot.
	run_gen "$R3" apply --yes --trial
	is "$rc" 2 "trial apply with a bad image: exit 2"
	ok "says the trial is not selected" -- grep -q "The trial boot is not selected for the next boot" "$TAP_TMP/err.txt"
	ok "grubenv has no next_entry" -- sh -c "! grep -qs '^next_entry=' '$R3/boot/grub/grubenv'"
	rm -rf "$R3/gbtest/override"

	# Reverted: the list is gone from /etc and from the rebuilt image.
	run_gen "$R3" revert
	is "$rc" 0 "revert"
	run_gen "$R3" status
	ok "after revert, an image without a list: ok" -- grep -q \
		"^  ok   /boot/initrd.img-$K (initramfs-tools, gzip): no claim list, as in /etc: nothing is claimed$" "$TAP_TMP/out.txt"
	# An image that still has one would claim devices at the next boot.
	initrd_pack "$GOOD" "$R3/boot/initrd.img-$K"
	run_gen "$R3" status
	ok "after revert, an image with a list: FAIL" -- grep -q \
		"holds a claim list, but /etc/gpt-bootcfg/claim.list does not exist" "$TAP_TMP/out.txt"
fi
done_testing
