#!/bin/bash
# tests/sdboot/check-harness.sh: the systemd-boot harness boots (TAP). A Debian 12 image with
# systemd-boot (tests/sdboot/lib.sh) boots under OVMF through systemd-boot into the entry
# kernel-install wrote, with /etc/kernel/cmdline's parameters, and reaches multi-user.target.
# Needs root; the image is cached in $GPT_BOOTCFG_CACHE/sdboot (about 5 minutes to build once).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../system/lib.sh"
. "$here/lib.sh"
. "$here/../lib/tap.sh"
trap sys_cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "Bail out! needs root (debootstrap, chroot)"; exit 1; }
sd_require_tools
limit=${GPT_BOOTCFG_BOOT_TIMEOUT:-300}
w=$TAP_TMP/sd

mkdir -p "$w/ctl"
t0=$SECONDS
sd_build_image "$w/disk.img"
echo "# image ready after $((SECONDS - t0)) s"
# The image's own identity: the entry token is its machine id, the kernel its only one.
sd_read_file "$w/disk.img" /etc/machine-id "$w/machine-id"
mid=$(cat "$w/machine-id")
kver=$(debugfs -R "ls /boot" "$w/disk.img?offset=$SD_ROOT_OFFSET" 2>/dev/null | tr -s ' ' '\n' |
	sed -n 's/^vmlinuz-//p' | head -n1)
entry=$mid-$kver.conf
echo "# machine id $mid, kernel $kver"

ok "the ESP holds systemd-boot at the removable-media path" -- sd_esp_ls "$w/disk.img" /EFI/BOOT/BOOTX64.EFI
ok "the ESP holds kernel-install's entry $entry" -- sd_esp_ls "$w/disk.img" "/loader/entries/$entry"
sd_esp_cat "$w/disk.img" "/loader/entries/$entry" | tr -d '\r' >"$w/entry"
is "$(sed -n 's/^options *//p' "$w/entry")" "$SD_KCMDLINE systemd.machine_id=$mid" \
	"the entry's options are /etc/kernel/cmdline's (kernel-install adds the machine id)"
ok "the entry boots the kernel and initramfs kernel-install copied to the ESP" -- sh -c \
	"grep -qx 'linux */$mid/$kver/linux' '$w/entry' && grep -qx 'initrd */$mid/$kver/initrd.img-$kver' '$w/entry'"

printf '#!/bin/sh\necho harness >"$1/stage.txt"\n' >"$w/ctl/stage.sh"
make_ctl_disk "$w/ctl.img" "$w/ctl"
sd_new_vars "$w/vars.fd"
t0=$SECONDS
sd_boot "$w/disk.img" "$w/vars.fd" "$w/ctl.img" "$w/res.img" "$w/serial.log" "$limit"
rc=$?
echo "# boot: QEMU exit $rc after $((SECONDS - t0)) s"
is "$rc" 0 "the guest powered itself off (no timeout)"
collect_results "$w/res.img" "$w/res"
b=$w/res/boot.txt
ok "systemd-boot started the kernel (LoaderInfo)" -- grep -q '^efivar LoaderInfo systemd-boot 252' "$b"
is "$(sed -n 's/^efivar LoaderEntrySelected //p' "$b")" "$entry" "the entry booted is kernel-install's"
is "$(sed -n 's/^cmdline //p' "$b" | sed 's/^initrd=[^ ]* //')" "$SD_KCMDLINE systemd.machine_id=$mid" \
	"the kernel's command line is the entry's"
is "$(sed -n 's/^multi-user //p' "$b")" active "multi-user.target is active"
ok "the stage ran" -- grep -qx harness "$w/res/stage.txt"
ok "bootctl in the guest finds the ESP on /boot/efi" -- grep -q 'ESP: /boot/efi' "$b"
if [ "$_tap_fail" != 0 ]; then
	echo "# serial log:" && tr -d '\r' <"$w/serial.log" | tail -n 80 | sed 's/^/#   /'
	[ -f "$b" ] && sed 's/^/#   /' "$b"
fi
done_testing
