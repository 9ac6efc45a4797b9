#!/bin/sh
# Files a VM boots from that do not exist (issue 30, "plan as a guardrail"): a disk image,
# a cdrom ISO, an ovmf-code and a romfile. plan and apply refuse with FILE:LINE:COL for
# each, exit 2, nothing written; check names them as failed checks. The files present
# (control) pass.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg"
cat >"$R/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[device gpu]
address = 0000:65:00.0
[vm d]
devices = gpu
memory = 128M
hugepage-size = none
vcpus = 1
ovmf-code = /vm/OVMF_CODE.fd
disk = /vm/os.img
cdrom = /vm/install.iso
device-options = gpu romfile=/vm/gpu.rom
CONF
chmod 0644 "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
before=$(tree_listing "$R")
for verb in plan "apply --yes"; do
	run_gen "$R" $verb
	is "$rc" 2 "$verb: exit 2"
	for w in "8:13: VM 'd': ovmf-code '/vm/OVMF_CODE.fd'" "9:8: VM 'd': disk '/vm/os.img'" \
		"10:9: VM 'd': cdrom '/vm/install.iso'" "11:30: VM 'd': romfile '/vm/gpu.rom'"; do
		ok "$verb: /etc/gpt-bootcfg/gpt-bootcfg.conf:$w does not exist" -- grep -qF \
			"/etc/gpt-bootcfg/gpt-bootcfg.conf:$w does not exist" "$TAP_TMP/err.txt"
	done
done
is "$(tree_listing "$R")" "$before" "nothing was written"
run_gen "$R" check
ok "check fails the missing disk image, naming it" -- grep -qF "VM 'd': disk '/vm/os.img' does not exist" "$TAP_TMP/out.txt"
mkdir -p "$R/vm"
for f in OVMF_CODE.fd os.img install.iso gpu.rom; do : >"$R/vm/$f"; done
run_gen "$R" plan
ok "control: all four present, none named" -- sh -c "! grep -q 'does not exist' '$TAP_TMP/err.txt'"
done_testing
