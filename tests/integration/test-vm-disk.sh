#!/bin/sh
# A VM disk that is (a partition of) a disk the host uses is refused (issue 14, item 7):
# on the guide's server fixture, nvme0n1 holds /, /boot/efi and swap. Block device nodes
# with the fixture's device numbers are made below a copy of the fixture (mknod in the test
# directory; nothing opens them). plan and apply refuse (apply writes nothing), vm command
# and vm run refuse with FILE:LINE:COL naming the disk and what the host uses it for; the
# whole disk, a partition, an unused partition of that disk and a /dev/disk/by-id link to
# it alike; --allow root-disk does not override it. The other disk (nvme1n1, unused by the
# host) passes (positive control).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"

need_fixture guide-server

make_root() { # DISK
	_r=$(fixture_copy guide-server)
	mkdir -p "$_r/etc/gpt-bootcfg" "$_r/dev/disk/by-id"
	for b in nvme0n1 nvme1n1; do
		mknod "$_r/dev/$b" b $(tr ':' ' ' <"$_r/sys/block/$b/dev")
		for p in "$_r/sys/block/$b/$b"p*; do
			mknod "$_r/dev/${p##*/}" b $(tr ':' ' ' <"$p/dev")
		done
	done
	ln -s ../../nvme0n1 "$_r/dev/disk/by-id/nvme-Samsung_SSD_970_EVO_Plus_1TB_S4EWNX0R123456"
	cat >"$_r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<-CONF
	[vm d]
	memory = 128M
	hugepage-size = none
	vcpus = 1
	firmware = bios
	disk = $1
	CONF
	chmod 0644 "$_r/etc/gpt-bootcfg/gpt-bootcfg.conf"
	echo "$_r"
}

fake_qemu=$TAP_TMP/fake-qemu
printf '#!/bin/sh\ntouch "%s/qemu-was-run"\nexit 1\n' "$TAP_TMP" >"$fake_qemu"
chmod +x "$fake_qemu"
export GPT_BOOTCFG_QEMU="$fake_qemu"

ok "the fixture's nvme0n1 holds /, /boot/efi and swap" -- sh -c \
	"'$GPT_BOOTCFG' --root '$(make_root /dev/nvme1n1)' list 2>&1 | grep nvme0n1 | grep -q '/boot/efi'"

for disk in /dev/nvme0n1 /dev/nvme0n1p2 /dev/nvme0n1p1 \
	/dev/disk/by-id/nvme-Samsung_SSD_970_EVO_Plus_1TB_S4EWNX0R123456; do
	r=$(make_root "$disk")
	before=$(tree_listing "$r")
	want="VM 'd': disk '$disk' is a disk the host uses: nvme0n1: mounted on /"

	run_gen "$r" plan
	is "$rc" 1 "$disk: plan exits 1 (refused)"
	ok "$disk: plan names the disk and the host's use" -- grep -qF "$want" "$TAP_TMP/out.txt"
	run_gen "$r" plan --allow root-disk
	is "$rc" 1 "$disk: --allow root-disk does not override it"
	run_gen "$r" apply --yes
	is "$rc" 1 "$disk: apply refuses"
	is "$(tree_listing "$r")" "$before" "$disk: apply wrote nothing"

	for sub in command run; do
		run_gen "$r" vm $sub d
		is "$rc" 2 "$disk: vm $sub exits 2"
		ok "$disk: vm $sub names FILE:LINE:COL, the disk and the use" -- grep -qF \
			"/etc/gpt-bootcfg/gpt-bootcfg.conf:6:8: disk '$disk' is a disk the host uses (nvme0n1: mounted on /" \
			"$TAP_TMP/err.txt"
	done
	ok "$disk: QEMU never started" -- test ! -e "$TAP_TMP/qemu-was-run"
	ok "$disk: swap and /boot/efi are named as well" -- \
		sh -c "grep -q 'swap' '$TAP_TMP/err.txt' && grep -q 'mounted on /boot/efi' '$TAP_TMP/err.txt'"
done

# Positive control: the host does not use nvme1n1.
r=$(make_root /dev/nvme1n1)
run_gen "$r" vm command d
is "$rc" 0 "/dev/nvme1n1: vm command exits 0"
ok "/dev/nvme1n1: the disk is in the QEMU command" -- grep -q "file=/dev/nvme1n1," "$TAP_TMP/out.txt"
run_gen "$r" plan
is "$rc" 0 "/dev/nvme1n1: plan exits 0"
ok "/dev/nvme1n1: plan has no refusal for it" -- sh -c "! grep -q \"disk '/dev/nvme1n1'\" '$TAP_TMP/out.txt'"

done_testing
