#!/bin/sh
# Every host path QEMU opens goes through one check of what the host uses (issue 30, item
# 1): a cdrom, the OVMF code image or an input device that is (a link to) a disk the host
# uses is refused by plan (nothing written), vm command and vm run (FILE:LINE:COL, exit 2,
# QEMU never started, the node's owner untouched), as disk = is. The guide's server
# fixture: nvme0n1 holds /, /boot/efi and swap; nvme1n1 is unused (positive control).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"

need_fixture guide-server

make_root() { # KEY VALUE
	_r=$(fixture_copy guide-server)
	mkdir -p "$_r/etc/gpt-bootcfg" "$_r/dev/disk/by-id" "$_r/dev/input/by-id" "$_r/img"
	for b in nvme0n1 nvme1n1; do
		mknod "$_r/dev/$b" b $(tr ':' ' ' <"$_r/sys/block/$b/dev")
	done
	chmod 0660 "$_r/dev/nvme0n1"
	ln -s ../../nvme0n1 "$_r/dev/disk/by-id/nvme-root"
	ln -s ../../nvme0n1 "$_r/dev/input/by-id/usb-Evil-event-kbd"
	mkdir -p "$_r/usr/share/OVMF"
	: >"$_r/img/d.img"
	: >"$_r/usr/share/OVMF/OVMF_CODE_4M.fd"
	: >"$_r/usr/share/OVMF/OVMF_VARS_4M.fd"
	cat >"$_r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<-CONF
	[vm d]
	memory = 128M
	hugepage-size = none
	vcpus = 1
	disk = /img/d.img
	$1 = $2
	CONF
	chmod 0644 "$_r/etc/gpt-bootcfg/gpt-bootcfg.conf"
	echo "$_r"
}

fake_qemu=$TAP_TMP/fake-qemu
printf '#!/bin/sh\ntouch "%s/qemu-was-run"\nexit 1\n' "$TAP_TMP" >"$fake_qemu"
chmod +x "$fake_qemu"
export GPT_BOOTCFG_QEMU="$fake_qemu"

for kv in "cdrom /dev/nvme0n1" "cdrom /dev/disk/by-id/nvme-root" "ovmf-code /dev/nvme0n1" \
	"input /dev/input/by-id/usb-Evil-event-kbd"; do
	set -- $kv
	r=$(make_root "$1" "$2")
	before=$(tree_listing "$r")
	run_gen "$r" plan
	is "$rc" 1 "$1 = $2: plan exits 1 (refused)"
	ok "$1 = $2: plan names the key, the path and the host's use" -- grep -qF \
		"VM 'd': $1 '$2' is a disk the host uses: nvme0n1: mounted on /" "$TAP_TMP/out.txt"
	run_gen "$r" apply --yes
	is "$rc" 1 "$1 = $2: apply refuses"
	is "$(tree_listing "$r")" "$before" "$1 = $2: apply wrote nothing"
	col=$((${#1} + 4))
	for sub in command run; do
		run_gen "$r" vm $sub d
		is "$rc" 2 "$1 = $2: vm $sub exits 2"
		ok "$1 = $2: vm $sub names FILE:LINE:COL, the path and the use" -- grep -qF \
			"/etc/gpt-bootcfg/gpt-bootcfg.conf:6:$col: $1 '$2' is a disk the host uses (nvme0n1: mounted on /" \
			"$TAP_TMP/err.txt"
	done
	ok "$1 = $2: QEMU never started" -- test ! -e "$TAP_TMP/qemu-was-run"
	is "$(stat -c '%u:%g %a' "$r/dev/nvme0n1")" "0:0 660" "$1 = $2: the disk node's owner is untouched"
done

# Positive control: the host does not use nvme1n1.
r=$(make_root cdrom /dev/nvme1n1)
run_gen "$r" plan
ok "cdrom = /dev/nvme1n1: plan has no refusal for it" -- sh -c "! grep -q \"cdrom '/dev/nvme1n1'\" '$TAP_TMP/out.txt'"
run_gen "$r" vm command d
is "$rc" 0 "cdrom = /dev/nvme1n1: vm command exits 0"
ok "cdrom = /dev/nvme1n1: in the QEMU command" -- grep -q "file=$r/dev/nvme1n1,\|file=/dev/nvme1n1," "$TAP_TMP/out.txt"

done_testing
