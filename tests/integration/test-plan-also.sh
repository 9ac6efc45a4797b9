#!/bin/sh
# Issue 30's "also noticed", on copies of the guide's server:
# - disk = nvme://ADDR of the controller that holds the host's root disk: plan refuses
#   it (root-disk, not overridable), as it does the disk's path; vm run did already;
# - one USB id in two VMs whose QEMU users differ: two udev rules with two owners; refused
#   with FILE:LINE:COL, exit 2, nothing written; the same user for both passes;
# - QEMU's user in group root (gid 0) or disk: plan warns that a guest escape reads and
#   writes every disk.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

conf() { # conf ROOT TEXT
	printf '%b' "$2" >"$1/etc/gpt-bootcfg/gpt-bootcfg.conf"
	chmod 0644 "$1/etc/gpt-bootcfg/gpt-bootcfg.conf"
}
VM='memory = 128M\nhugepage-size = none\nvcpus = 1\nfirmware = bios\n'
R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg"
printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\ngpt-bootcfg-qemu:x:998:998::/nonexistent:/usr/sbin/nologin\n' >"$R/etc/passwd"
printf 'root:x:0:\ndisk:x:6:\nkvm:x:104:gpt-bootcfg-qemu\n' >"$R/etc/group"

# 1. nvme:// of the root disk's controller (0000:01:00.0 holds nvme0n1: /, /boot/efi, swap).
conf "$R" "[vm d]\n${VM}disk = nvme://0000:01:00.0\n"
run_gen "$R" plan
is "$rc" 1 "nvme:// of the root controller: plan refuses"
ok "the refusal names the disk and its uses" -- grep -qF \
	"VM 'd': disk 'nvme://0000:01:00.0' takes the controller of a disk the host uses: nvme0n1: mounted on /boot/efi" \
	"$TAP_TMP/out.txt"
run_gen "$R" plan --allow root-disk
is "$rc" 1 "--allow root-disk does not override it"
conf "$R" "[vm d]\n${VM}disk = nvme://0000:b3:00.0\n"
run_gen "$R" plan
ok "control: nvme:// of the unused controller is not refused for it" -- \
	sh -c "! grep -q 'takes the controller' '$TAP_TMP/out.txt'"

# 2. One USB id, two VMs, two users.
before=$(tree_listing "$R")
conf "$R" "[vm a]\n${VM}user = alice\nusb-devices = 046d:c52b\n[vm b]\n${VM}user = bob\nusb-devices = 046d:c52b\n"
for verb in plan "apply --yes"; do
	run_gen "$R" $verb
	is "$rc" 2 "one USB id for alice and bob: $verb exits 2"
done
ok "FILE:LINE:COL at the second VM's entry, naming both users" -- grep -qF \
	"/etc/gpt-bootcfg/gpt-bootcfg.conf:14:15: usb-devices: 046d:c52b is in VM 'a' too, whose QEMU runs as alice, not bob" \
	"$TAP_TMP/err.txt"
is "$(tree_listing "$R" | grep -v gpt-bootcfg.conf)" "$(echo "$before" | grep -v gpt-bootcfg.conf)" \
	"nothing was written"
conf "$R" "[vm a]\n${VM}user = alice\nusb-devices = 046d:c52b\n[vm b]\n${VM}user = alice\nusb-devices = 046d:c52b\n"
run_gen "$R" plan
is "$rc" 0 "the same user for both VMs passes"

# 3. QEMU's user in group disk, then in group root.
conf "$R" "[vm d]\n${VM}"
run_gen "$R" plan
ok "control: gpt-bootcfg-qemu in kvm only: no group warning" -- \
	sh -c "! grep -q 'is in group' '$TAP_TMP/out.txt'"
printf 'root:x:0:\ndisk:x:6:gpt-bootcfg-qemu\nkvm:x:104:gpt-bootcfg-qemu\n' >"$R/etc/group"
run_gen "$R" plan
ok "in group disk: plan warns" -- grep -qF \
	"VM 'd': QEMU's user gpt-bootcfg-qemu is in group disk, so a guest escape reads and writes every disk of the host" \
	"$TAP_TMP/out.txt"
printf 'root:x:0:gpt-bootcfg-qemu\ndisk:x:6:\n' >"$R/etc/group"
run_gen "$R" plan
ok "in group root: plan warns" -- grep -qF "QEMU's user gpt-bootcfg-qemu is in group root" "$TAP_TMP/out.txt"
done_testing
