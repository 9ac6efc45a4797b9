#!/bin/sh
# Malformed or unsafe configuration files: one clear FILE:LINE: error, nothing written.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

R=$(fixture_copy guide-server)
C=/etc/gpt-bootcfg/gpt-bootcfg.conf
mkdir -p "$R/etc/gpt-bootcfg"
tree_listing "$R" >/dev/null

# check NAME WANT-ERROR: plan and apply both fail with the error, apply writes nothing.
check() {
	tree_listing "$R" >"$TAP_TMP/before"
	run_gen "$R" plan
	is "$rc" 2 "$1: plan exits 2"
	is "$(cat "$TAP_TMP/err.txt")" "gpt-bootcfg: $2" "$1: message"
	run_gen "$R" apply --yes
	is "$rc" 2 "$1: apply exits 2"
	tree_listing "$R" >"$TAP_TMP/after"
	ok "$1: apply wrote nothing" -- cmp "$TAP_TMP/before" "$TAP_TMP/after"
}

printf '[device gpu]\naddress = 65:00.0\n[gpu]\n' >"$R$C"
check "bad section" "$C:3:2: unknown section type 'gpu' (expected host, device or vm)"

printf '[device gpu]\naddress = 65:00.0\n\n[device gpu2]\naddress = 0000:65:00.0\n' >"$R$C"
check "duplicate device" "$C:4:1: duplicate device 0000:65:00.0: already configured as [device gpu] at line 1"

printf '[device gpu]\naddress = 65:00.0\n[device gpu]\naddress = 65:00.1\n' >"$R$C"
check "duplicate section" "$C:3:1: duplicate section [device gpu] (first at line 1)"

printf '[device gpu]\naddress = 65:00\n' >"$R$C"
check "bad address" "$C:2:11: invalid PCI address '65:00' (expected DDDD:BB:DD.F, e.g. 0000:65:00.0)"

printf '[host]\nisolate-cpu = yes\n' >"$R$C"
check "unknown key" "$C:2:1: unknown key 'isolate-cpu' in [host] (see gpt-bootcfg.conf(5))"

printf '[device gpu]\naddress = 65:00.0\n' >"$R$C"
chmod 0666 "$R$C"
check "world-writable" "$C: mode 0666 is world-writable; refusing a file that drives root services (chmod go-w $C)"
chmod 0644 "$R$C"
chown 65534 "$R$C"
check "not root-owned" "$C: owned by uid 65534, not root; refusing a file that drives root services (chown root:root $C)"
chown 0 "$R$C"

rm -f "$R$C"
check "missing" "No configuration at $C; write one with 'gpt-bootcfg init --gpu ADDRESS'."
done_testing
