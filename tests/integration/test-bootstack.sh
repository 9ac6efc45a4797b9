#!/bin/sh
# The boot stack (issue 26) on fixture hosts: a dracut host (tests/fixtures/dracut-host) and a
# systemd-boot host (tests/fixtures/sdboot-host, initramfs-tools, /etc/kernel/cmdline, the
# ESP on /boot/efi). plan and check name the generator and the boot loader and why (golden);
# apply writes the parameters as one line of /etc/kernel/cmdline and rebuilds with dracut or
# kernel-install (the commands, printed: the fixtures are no full systems); a trial writes
# systemd-boot's entry and LoaderEntryOneShot; confirm promotes it or records the missed
# trial; revert gives /etc/kernel/cmdline back byte for byte. The boots: make check-boot-dracut,
# tests/sdboot/ (docs/boot-claim.md, docs/trial-boot.md).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture dracut-host
need_fixture sdboot-host
need_tools jq cmp

K=6.1.0-56-amd64
MID=3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0
ESP=boot/efi
VENDOR=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
# efivar ROOT NAME: a systemd-boot variable of the root's efivarfs as text.
efivar() {
	f=$1/sys/firmware/efi/efivars/$2-$VENDOR
	[ -e "$f" ] && tail -c +5 "$f" | tr -d '\000'
}

# --- the dracut host ---
R=$(fixture_copy dracut-host)
gpu_pair_conf 4G | write_conf "$R"
run_gen "$R" plan
is "$rc" 0 "dracut host: plan exits 0"
scrub "$TAP_TMP/out.txt" "$R"
golden plan/dracut-host.txt "$TAP_TMP/out.txt"
run_gen "$R" plan --json
is "$(jq -r '.initramfs + " " + .bootloader' "$TAP_TMP/out.txt")" "dracut grub" \
	"dracut host: plan --json names dracut and grub"
is "$(jq -r .initramfs_why "$TAP_TMP/out.txt")" \
	"/usr/bin/dracut is installed; initramfs-tools is not: no /usr/sbin/mkinitramfs" "and why"
run_gen "$R" check --json
is "$(jq -r '.checks[] | select(.id == "initramfs") | .status + " " + .detail' "$TAP_TMP/out.txt")" \
	"pass dracut: /usr/bin/dracut is installed; initramfs-tools is not: no /usr/sbin/mkinitramfs" \
	"dracut host: check reports the generator"
is "$(jq -r '.checks[] | select(.id == "bootloader") | .status' "$TAP_TMP/out.txt")" pass \
	"dracut host: check reports the boot loader"
run_gen "$R" apply --yes --no-trial
is "$rc" 0 "dracut host: apply"
ok "the rebuild is dracut's, for the kernel's image (printed: not a full system)" -- grep -qx \
	"  chroot $R dracut --force /boot/initrd.img-$K $K" "$TAP_TMP/out.txt"
ok "and GRUB's" -- grep -qx "  chroot $R update-grub" "$TAP_TMP/out.txt"
ok "the skip names dracut" -- grep -q "not a full system (no /usr/bin/dracut there)" "$TAP_TMP/err.txt"
# A dracut that names its image initramfs-VERSION.img (dracut's own default).
mv "$R/boot/initrd.img-$K" "$R/boot/initramfs-$K.img"
run_gen "$R" status
ok "status checks /boot/initramfs-VERSION.img when that is the image" -- \
	grep -qx "  FAIL /boot/initramfs-$K.img" "$TAP_TMP/out.txt"

# Both generators installed: the image of the running kernel decides.
R=$(fixture_copy dracut-host)
mkdir -p "$R/usr/sbin" && printf '#!/bin/sh\n' >"$R/usr/sbin/mkinitramfs"
run_gen "$R" check --json
is "$(jq -r '.checks[] | select(.id == "initramfs") | .detail' "$TAP_TMP/out.txt")" \
	"initramfs-tools: both /usr/sbin/mkinitramfs and /usr/bin/dracut are installed, and no image of the running kernel $K tells which built it: initramfs-tools assumed" \
	"both installed, an unreadable image: initramfs-tools, and why"
. "$TOP/tests/lib/initramfs.sh"
initrd_tree_dracut "$R" "$K" "$TAP_TMP/dt"
initrd_pack_dracut "$TAP_TMP/dt" "$R/boot/initrd.img-$K"
run_gen "$R" check --json
is "$(jq -r '.checks[] | select(.id == "initramfs") | .detail' "$TAP_TMP/out.txt")" \
	"dracut: both /usr/sbin/mkinitramfs and /usr/bin/dracut are installed; /boot/initrd.img-$K (the running kernel's) was built by dracut" \
	"both installed: the running kernel's image was built by dracut"

# --- the systemd-boot host ---
R=$(fixture_copy sdboot-host)
gpu_pair_conf 4G | write_conf "$R"
cp "$R/etc/kernel/cmdline" "$TAP_TMP/cmdline.orig"
run_gen "$R" plan
is "$rc" 0 "systemd-boot host: plan exits 0"
scrub "$TAP_TMP/out.txt" "$R"
golden plan/sdboot-host.txt "$TAP_TMP/out.txt"
run_gen "$R" plan --json
is "$(jq -r '.initramfs + " " + .bootloader' "$TAP_TMP/out.txt")" "initramfs-tools systemd-boot" \
	"systemd-boot host: plan --json names initramfs-tools and systemd-boot"
is "$(jq -c '[.files[] | select(.path | test("grub|kernel/cmdline")) | .path + " " + .action]' "$TAP_TMP/out.txt")" \
	'["/etc/kernel/cmdline update"]' "the parameters go to /etc/kernel/cmdline, no GRUB drop-in"
run_gen "$R" check --json
is "$(jq -r '.checks[] | select(.id == "bootloader") | .status + " " + .detail' "$TAP_TMP/out.txt")" \
	"pass systemd-boot: /boot/efi/loader/loader.conf is there and /etc/kernel/cmdline holds the kernel parameters; GRUB is not: no /etc/default/grub, update-grub or grub.cfg" \
	"systemd-boot host: check reports the boot loader"
run_gen "$R" status --json
is "$(jq -r '.boot.loader_info + " / " + .boot.entry' "$TAP_TMP/out.txt")" \
	"systemd-boot 252.39-1~deb12u2 / $MID-$K.conf" "status: which loader and entry this boot took"

# A direct apply: our line after the admin's, kernel-install for the kernel.
run_gen "$R" apply --yes --no-trial
is "$rc" 0 "systemd-boot host: apply --no-trial"
cp "$TAP_TMP/out.txt" "$TAP_TMP/apply.txt"
gen=$(sed -n 's/^generation //p' "$R/etc/gpt-bootcfg/claim.list")
run_gen "$R" plan --json
params=$(jq -r '[.cmdline[] | select(startswith("gpt_bootcfg.") | not)] | join(" ")' "$TAP_TMP/out.txt")
is "$(cat "$R/etc/kernel/cmdline")" "$(cat "$TAP_TMP/cmdline.orig")
gpt_bootcfg.generation=$gen $params" "/etc/kernel/cmdline: the admin's line, then ours"
ok "no GRUB drop-in" -- test ! -e "$R/etc/default/grub.d/gpt-bootcfg.cfg"
ok "the rebuild: update-initramfs, then kernel-install for the kernel with its image" -- sh -c \
	"grep -qx '  chroot $R update-initramfs -u -k all' '$TAP_TMP/apply.txt' &&
	 grep -qx '  chroot $R kernel-install add $K /boot/vmlinuz-$K /boot/initrd.img-$K' '$TAP_TMP/apply.txt'"
run_gen "$R" revert
is "$rc" 0 "revert"
ok "revert restores /etc/kernel/cmdline byte for byte" -- cmp "$TAP_TMP/cmdline.orig" "$R/etc/kernel/cmdline"
ok "revert says it takes our line out" -- grep -q "remove gpt-bootcfg's lines from /etc/kernel/cmdline" "$TAP_TMP/out.txt"

# A file without its last newline, and one the admin edits after the apply.
printf 'root=UUID=3f6d2c1e ro quiet' >"$R/etc/kernel/cmdline"
cp "$R/etc/kernel/cmdline" "$TAP_TMP/cmdline.nonl"
chmod 0600 "$R/etc/kernel/cmdline"
run_gen "$R" apply --yes --no-trial
is "$(tail -c 1 "$R/etc/kernel/cmdline" | od -An -c | tr -d ' ')" "$(echo "$params" | tail -c 2 | head -c 1)" \
	"without a last newline: our line is added without one either"
is "$(stat -c %a "$R/etc/kernel/cmdline")" 600 "the admin's mode stays"
run_gen "$R" revert
ok "revert restores it byte for byte, still without a newline" -- cmp "$TAP_TMP/cmdline.nonl" "$R/etc/kernel/cmdline"
cp "$TAP_TMP/cmdline.orig" "$R/etc/kernel/cmdline"

# The first apply is a trial: the default entries keep their parameters; our entry and the
# one-shot variable select the trial for one boot.
stub=$TAP_TMP/kernel-install
printf '#!/bin/sh\necho "$*" >>"$1/kernel-install.calls"\n' >"$stub"
chmod +x "$stub"
run_gen "$R" apply --yes
is "$rc" 0 "systemd-boot host: the first apply is a trial"
ok "/etc/kernel/cmdline is unchanged while the trial is pending" -- cmp "$TAP_TMP/cmdline.orig" "$R/etc/kernel/cmdline"
is "$(cat "$R/var/lib/gpt-bootcfg/trial-kernel-cmdline")" "gpt_bootcfg.generation=$gen $params" \
	"the new line waits for the promotion"
T=$R/$ESP/loader/entries/gpt-bootcfg-trial.conf
ok "the trial entry, with no boot counter (its id is the same in every systemd-boot)" -- test -f "$T"
is "$(sed -n 's/^options *//p' "$T")" \
	"root=UUID=3f6d2c1e-9b8a-4e7d-a6c5-1b2c3d4e5f60 ro quiet systemd.machine_id=$MID $params gpt_bootcfg.generation=$gen gpt_bootcfg.trial=1" \
	"its options: the default entry's, then the trial's"
is "$(sed -n 's/^linux *//p;s/^initrd *//p' "$T" | tr '\n' ' ')" \
	"/$MID/$K/linux /$MID/$K/initrd.img-$K " "it boots the default entry's kernel and image"
is "$(efivar "$R" LoaderEntryOneShot)" "gpt-bootcfg-trial.conf" "LoaderEntryOneShot names it"
run_gen "$R" apply --yes
ok "a second apply during the trial changes nothing" -- grep -q "Nothing to do\|nothing to" "$TAP_TMP/out.txt" "$TAP_TMP/err.txt"

# Promoted (by hand, unchecked): our line into /etc/kernel/cmdline, the trial entry gone,
# kernel-install for every kernel.
GPT_BOOTCFG_KERNEL_INSTALL=$stub run_gen "$R" confirm --force
is "$rc" 0 "confirm --force promotes"
is "$(cat "$R/etc/kernel/cmdline")" "$(cat "$TAP_TMP/cmdline.orig")
gpt_bootcfg.generation=$gen $params" "promoted: our line in /etc/kernel/cmdline"
ok "the trial entry is gone" -- sh -c "! ls '$R/$ESP/loader/entries/' | grep -q gpt-bootcfg-trial"
ok "and LoaderEntryOneShot" -- test -z "$(efivar "$R" LoaderEntryOneShot)"
is "$(cat "$R/kernel-install.calls")" "$R add $K /boot/vmlinuz-$K /boot/initrd.img-$K" \
	"kernel-install regenerated the kernel's entry"
run_gen "$R" revert
ok "revert after the promotion restores /etc/kernel/cmdline byte for byte" -- \
	cmp "$TAP_TMP/cmdline.orig" "$R/etc/kernel/cmdline"

# A trial that never came back: the next boot is the default entry's.
run_gen "$R" apply --yes
mkdir -p "$R/proc/sys/kernel/random"
echo boot-after >"$R/proc/sys/kernel/random/boot_id"
GPT_BOOTCFG_KERNEL_INSTALL=$stub GPT_BOOTCFG_SYSTEMCTL=/bin/false run_gen "$R" confirm --boot
is "$rc" 1 "confirm --boot in a later boot: the trial failed"
ok "systemd-boot did not consume the one-shot variable: named" -- \
	grep -q "systemd-boot did not consume LoaderEntryOneShot=gpt-bootcfg-trial.conf" "$TAP_TMP/err.txt"
ok "the default entry's parameters stay" -- cmp "$TAP_TMP/cmdline.orig" "$R/etc/kernel/cmdline"
ok "the trial entry is removed" -- sh -c "! ls '$R/$ESP/loader/entries/' | grep -q gpt-bootcfg-trial"
# Booted once and never confirmed: systemd-boot removed the one-shot as it booted the entry.
run_gen "$R" apply --yes
rm -f "$R/sys/firmware/efi/efivars/LoaderEntryOneShot-$VENDOR"
echo boot-after-2 >"$R/proc/sys/kernel/random/boot_id"
GPT_BOOTCFG_KERNEL_INSTALL=$stub GPT_BOOTCFG_SYSTEMCTL=/bin/false run_gen "$R" confirm --boot
ok "a consumed one-shot: systemd-boot booted the trial and it never confirmed" -- \
	grep -q "systemd-boot consumed LoaderEntryOneShot=gpt-bootcfg-trial.conf (it booted the trial entry) and that boot never confirmed" "$TAP_TMP/err.txt"
# An entry with a counter, as an earlier gpt-bootcfg wrote it, is ours too: revert removes it.
run_gen "$R" apply --yes
mv "$T" "$R/$ESP/loader/entries/gpt-bootcfg-trial+0-1.conf"
run_gen "$R" revert
ok "revert: /etc/kernel/cmdline as before" -- cmp "$TAP_TMP/cmdline.orig" "$R/etc/kernel/cmdline"

# Without /etc/kernel/cmdline kernel-install takes /proc/cmdline: apply refuses to guess.
R=$(fixture_copy sdboot-host)
gpu_pair_conf 4G | write_conf "$R"
rm "$R/etc/kernel/cmdline"
tree_listing "$R" >"$TAP_TMP/before"
run_gen "$R" apply --yes
is "$rc" 2 "systemd-boot host without /etc/kernel/cmdline: apply exits 2"
ok "and says what to do" -- grep -q "/etc/kernel/cmdline: missing, or not a regular file; kernel-install" "$TAP_TMP/err.txt"
tree_listing "$R" >"$TAP_TMP/after"
ok "nothing written" -- cmp "$TAP_TMP/before" "$TAP_TMP/after"
run_gen "$R" check --json
is "$(jq -r '.checks[] | select(.id == "bootloader") | .status' "$TAP_TMP/out.txt")" fail \
	"check fails the boot loader"
done_testing
