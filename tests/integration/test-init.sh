#!/bin/sh
# init: the starter configuration for the guide's devices (golden), and its refusals.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

R=$(fixture_copy guide-server)
C=$R/etc/gpt-bootcfg/gpt-bootcfg.conf

run_gen "$R" init
is "$rc" 2 "init without --gpu is a usage error"
run_gen "$R" init --gpu 0000:65:00.0x
is "$rc" 2 "bad address refused"
ok "named" -- grep -q "invalid PCI address '0000:65:00.0x'" "$TAP_TMP/err.txt"
run_gen "$R" init --gpu 0000:42:00.0
is "$rc" 2 "absent device refused"
ok "named" -- grep -q "no PCI device 0000:42:00.0" "$TAP_TMP/err.txt"
run_gen "$R" init --gpu 0000:64:00.0
is "$rc" 2 "a bridge is refused"
ok "nothing written by the refusals" -- test ! -e "$C"

run_gen "$R" init --gpu 65:00.0 --usb b4:00.0 --nvme b3:00.0 --vm win
is "$rc" 0 "init --gpu --usb --nvme --vm"
golden init/guide-server.conf "$C"
ok "the GPU's audio function is listed (same IOMMU group)" -- grep -qx "address = 0000:65:00.1" "$C"
ok "identities pinned" -- grep -qx "id = 10de:1c03" "$C"
is "$(stat -c '%u %a' "$C")" "0 644" "root-owned, not group/world-writable"

run_gen "$R" plan --json
is "$rc" 0 "the starter configuration plans without refusals"
is "$(jq -c .claim "$TAP_TMP/out.txt")" \
	'["0000:65:00.0","0000:65:00.1","0000:b3:00.0","0000:b4:00.0"]' "and claims the chosen devices"

cp "$C" "$TAP_TMP/first"
run_gen "$R" init --gpu 65:00.0
is "$rc" 2 "an existing configuration is not overwritten"
ok "says --force" -- grep -q -- "--force" "$TAP_TMP/err.txt"
ok "unchanged" -- cmp "$TAP_TMP/first" "$C"
run_gen "$R" init --gpu 65:00.0 --force
is "$rc" 0 "--force overwrites"
ok "now without the VM" -- sh -c "! grep -q '^\[vm' '$C'"

# A Windows 11 VM (issue 24): a TPM 2.0 and Secure Boot, which its setup insists on.
cp "$C" "$TAP_TMP/first"
run_gen "$R" init --gpu 65:00.0 --os windows11 --force
is "$rc" 2 "--os without --vm is refused"
ok "says so" -- grep -q -- "--os describes the VM of --vm NAME" "$TAP_TMP/err.txt"
run_gen "$R" init --gpu 65:00.0 --vm w --os windows12 --force
is "$rc" 2 "an unknown --os is refused"
ok "naming the values" -- grep -q -- "--os: expected windows11, windows10, linux or other, not 'windows12'" "$TAP_TMP/err.txt"
ok "nothing written by the refusals" -- cmp "$TAP_TMP/first" "$C"
run_gen "$R" init --gpu 65:00.0 --usb b4:00.0 --nvme b3:00.0 --vm win11 --os windows11 --force
is "$rc" 0 "init --vm win11 --os windows11"
golden init/guide-server-win11.conf "$C"
ok "tpm = yes, secure-boot = yes, os = windows11" -- sh -c "
	grep -qx 'tpm = yes' '$C' && grep -qx 'secure-boot = yes' '$C' && grep -qx 'os = windows11' '$C'"
run_gen "$R" plan --json
is "$rc" 0 "the Windows 11 configuration plans"
is "$(jq '[.warnings[] | select(test("Windows 11 needs"))] | length' "$TAP_TMP/out.txt")" 0 \
	"and meets Windows 11's requirements (no warning names one)"
ok "plan says what this root lacks: swtpm" -- \
	jq -e '[.warnings[] | select(test("VM .win11. will not start: tpm = yes needs swtpm and swtpm_setup"))] | length == 1' "$TAP_TMP/out.txt"
ok "and the Secure Boot firmware" -- \
	jq -e '[.warnings[] | select(test("VM .win11. will not start: secure-boot = yes, but no Secure Boot firmware"))] | length == 1' "$TAP_TMP/out.txt"
done_testing
