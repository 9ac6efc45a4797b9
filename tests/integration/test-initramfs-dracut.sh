#!/bin/sh
# status' image check on dracut's images (issue 26), laid out and packed as Debian's dracut 059
# does it (tests/lib/initramfs.sh: the pre-udev hook, a systemd initrd's dracut-pre-udev.service
# before systemd-udevd, gzip by default, an early microcode archive in front when there is
# microcode): good images in every compression, dracut's own /init, each part missing in turn,
# dracut's /boot/initramfs-VERSION.img, and systemd-boot's entries naming several files.
# Real images: make check-boot-dracut (its image scenario).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
. "$TOP/tests/lib/initramfs.sh"
need_fixture dracut-host
need_fixture sdboot-host
need_tools cpio zstd gzip xz jq

K=6.1.0-56-amd64
R=$(fixture_copy dracut-host)
IMG=$R/boot/initrd.img-$K
gpu_pair_conf 4G | write_conf "$R"
run_gen "$R" apply --yes --no-trial
is "$rc" 0 "apply on the dracut host (rebuild printed)"
gen=$(sed -n 's/^generation //p' "$R/etc/gpt-bootcfg/claim.list")

# image_line: the one image line and its problems.
image_line() {
	run_gen "$R" status
	sed -n '/^Initramfs images/,/^$/p' "$TAP_TMP/out.txt" | sed '1d;/^$/d'
}
okl() { # COMPRESSION SUMMARY-OF-THE-HOOK
	echo "  ok   /boot/initrd.img-$K (dracut, $1): claim binary, $2, claim list of generation $gen, vfio-pci with 5 modules"
}

GOOD=$TAP_TMP/good
initrd_tree_dracut "$R" "$K" "$GOOD"
for c in gzip zstd xz; do
	initrd_pack_dracut "$GOOD" "$IMG" $c
	is "$(image_line)" "$(okl "$c" "pre-udev hook before systemd-udevd")" "a good $c image"
done
initrd_pack_dracut "$GOOD" "$IMG" gzip early
is "$(image_line)" "$(okl "none gzip" "pre-udev hook before systemd-udevd")" \
	"an early microcode archive before the gzip'ed one"
run_gen "$R" status --json
is "$(jq -c '.initramfs[0] | [.generator, .compression, .ok]' "$TAP_TMP/out.txt")" \
	'["dracut","none gzip",true]' "status --json names the generator"

NOSD=$TAP_TMP/nosd
initrd_tree_dracut "$R" "$K" "$NOSD" nosystemd
initrd_pack_dracut "$NOSD" "$IMG"
is "$(image_line)" "$(okl gzip "pre-udev hook")" "dracut's own /init: the hook is all it needs"

# broken VARIANT CHANGE WANT: the good tree with CHANGE applied (sh, in the tree) fails with WANT.
broken() {
	rm -rf "$TAP_TMP/b" && cp -a "$GOOD" "$TAP_TMP/b"
	(cd "$TAP_TMP/b" && sh -c "$2")
	initrd_pack_dracut "$TAP_TMP/b" "$IMG"
	is "$(image_line)" "  FAIL /boot/initrd.img-$K
       $3" "$1"
}
broken "no hook" "rm usr/lib/dracut/hooks/pre-udev/00-gpt-bootcfg-claim.sh" \
	"no pre-udev hook (/lib/dracut/hooks/pre-udev/00-gpt-bootcfg-claim.sh)"
broken "an empty hook" ": >usr/lib/dracut/hooks/pre-udev/00-gpt-bootcfg-claim.sh" \
	"the pre-udev hook /lib/dracut/hooks/pre-udev/00-gpt-bootcfg-claim.sh is empty"
broken "a systemd initrd without dracut-pre-udev.service" \
	"rm usr/lib/systemd/system/dracut-pre-udev.service" \
	"a systemd initrd without /usr/lib/systemd/system/dracut-pre-udev.service (dracut's dracut-systemd module): the pre-udev hook never runs"
broken "initrd.target does not want it" \
	"rm etc/systemd/system/initrd.target.wants/dracut-pre-udev.service" \
	"initrd.target does not want dracut-pre-udev.service: the pre-udev hook never runs"
broken "the unit not before systemd-udevd" \
	"sed -i 's/^Before=.*/Before=dracut-pre-trigger.service/' usr/lib/systemd/system/dracut-pre-udev.service" \
	"/usr/lib/systemd/system/dracut-pre-udev.service is not ordered before systemd-udevd.service: host drivers may take the devices first"
broken "no claim binary" "rm usr/lib/gpt-bootcfg/gpt-bootcfg-claim" \
	"no claim binary (/usr/lib/gpt-bootcfg/gpt-bootcfg-claim)"
broken "a stale list" "sed -i 's/^generation .*/generation 99/' etc/gpt-bootcfg/claim.list" \
	"stale claim list: generation 99 in the image, $gen in /etc/gpt-bootcfg/claim.list"

# dracut's own name for the image, where a distribution keeps it.
rm -f "$IMG"
initrd_pack_dracut "$GOOD" "$R/boot/initramfs-$K.img"
run_gen "$R" status
ok "/boot/initramfs-VERSION.img is checked when it is the image" -- grep -qx \
	"  ok   /boot/initramfs-$K.img (dracut, gzip): claim binary, pre-udev hook before systemd-udevd, claim list of generation $gen, vfio-pci with 5 modules" \
	"$TAP_TMP/out.txt"

# systemd-boot: the files the entries' initrd lines name on the ESP, one after the other.
S=$(fixture_copy sdboot-host)
MID=3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0
gpu_pair_conf 4G | write_conf "$S"
cp "$R/etc/gpt-bootcfg/claim.list" "$S/etc/gpt-bootcfg/claim.list"
E=$S/boot/efi/$MID/$K
mkdir -p "$TAP_TMP/mc/kernel/x86/microcode"
echo microcode >"$TAP_TMP/mc/kernel/x86/microcode/GenuineIntel.bin"
initrd_cpio "$TAP_TMP/mc" >"$E/microcode.cpio"
initrd_pack_dracut "$GOOD" "$E/initrd.img-$K" zstd
sed -i "s|^initrd .*|initrd     /$MID/$K/microcode.cpio\ninitrd     /$MID/$K/initrd.img-$K|" \
	"$S/boot/efi/loader/entries/$MID-$K.conf"
run_gen "$S" status
ok "systemd-boot: the heading names the entries" -- \
	grep -qx "Initramfs images (what systemd-boot's entries in /boot/efi boot):" "$TAP_TMP/out.txt"
ok "systemd-boot: two initrd files read as one image" -- grep -qx \
	"  ok   /boot/efi/$MID/$K/microcode.cpio + /boot/efi/$MID/$K/initrd.img-$K (dracut, none zstd): claim binary, pre-udev hook before systemd-udevd, claim list of generation $gen, vfio-pci with 5 modules" \
	"$TAP_TMP/out.txt"
# A copy of the same entry (a trial's) is checked once.
sed 's/^title .*/title trial/' "$S/boot/efi/loader/entries/$MID-$K.conf" \
	>"$S/boot/efi/loader/entries/gpt-bootcfg-trial.conf"
run_gen "$S" status
is "$(grep -c "^  ok   /boot/efi/" "$TAP_TMP/out.txt")" 1 "systemd-boot: an image two entries boot is checked once"
rm "$E/microcode.cpio"
run_gen "$S" status
ok "systemd-boot: a missing file is named" -- grep -qx \
	"       /boot/efi/$MID/$K/microcode.cpio does not exist: kernel $K boots without the claim" \
	"$TAP_TMP/out.txt"
done_testing
