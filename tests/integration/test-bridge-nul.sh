#!/bin/sh
# A NUL byte in the admin's /etc/qemu/bridge.conf (issue 30, item 10): apply edited the file
# as a C string, so everything after the NUL ("allow br2") was lost, and revert did not bring
# it back. A file with a NUL byte is not a text file apply edits: plan says so, apply leaves
# it, revert leaves it, byte for byte. The same file without the NUL is edited (control).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

r=$(fixture_copy guide-server)
mkdir -p "$r/etc/gpt-bootcfg" "$r/etc/qemu"
printf '[vm d]\nmemory = 128M\nhugepage-size = none\nvcpus = 1\nfirmware = bios\nnetwork = bridge:br0\n' \
	>"$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
chmod 0644 "$r/etc/gpt-bootcfg/gpt-bootcfg.conf"
printf 'allow br1\n# a comment\000with a NUL\nallow br2\n' >"$r/etc/qemu/bridge.conf"
sum=$(sha256sum <"$r/etc/qemu/bridge.conf")

run_gen "$r" plan
ok "plan names the NUL byte" -- grep -qF \
	"/etc/qemu/bridge.conf cannot be read: it holds a NUL byte, and apply does not edit it" \
	"$TAP_TMP/out.txt" "$TAP_TMP/err.txt"
run_gen "$r" apply --yes
is "$rc" 0 "apply goes on without editing the file"
is "$(sha256sum <"$r/etc/qemu/bridge.conf")" "$sum" "after apply: the admin's file byte for byte"
run_gen "$r" revert
is "$rc" 0 "revert"
is "$(sha256sum <"$r/etc/qemu/bridge.conf")" "$sum" "after revert: the admin's file byte for byte"

# Control: without the NUL, apply adds its block and revert takes it out again.
printf 'allow br1\n# a comment with no NUL\nallow br2\n' >"$r/etc/qemu/bridge.conf"
sum=$(sha256sum <"$r/etc/qemu/bridge.conf")
run_gen "$r" apply --yes
ok "control: apply allows br0" -- grep -qx "allow br0" "$r/etc/qemu/bridge.conf"
ok "control: the admin's lines stay" -- grep -qx "allow br2" "$r/etc/qemu/bridge.conf"
run_gen "$r" revert
is "$(sha256sum <"$r/etc/qemu/bridge.conf")" "$sum" "control: revert gives the file back"
done_testing
