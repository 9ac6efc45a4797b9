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
done_testing
