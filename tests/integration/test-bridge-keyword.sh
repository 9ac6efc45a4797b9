#!/bin/sh
# network = bridge:all is refused (issue 30, item 8): apply would write "allow all" into
# /etc/qemu/bridge.conf, which qemu-bridge-helper reads as every bridge. plan, apply and
# vm command exit 2 with FILE:LINE:COL at the name, and nothing is written;
# bridge:allbr (a name that only starts so) passes.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg"
write() {
	printf '[vm d]\nmemory = 128M\nhugepage-size = none\nvcpus = 1\nfirmware = bios\nnetwork = bridge:%s\n' "$1" \
		>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
	chmod 0644 "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
}
before=$(tree_listing "$R")
for name in all; do
	write "$name"
	for verb in plan "apply --yes" "vm command d"; do
		run_gen "$R" $verb
		is "$rc" 2 "bridge:$name: $verb exits 2"
	done
	ok "bridge:$name: FILE:LINE:COL at the name" -- grep -q \
		"^gpt-bootcfg: /etc/gpt-bootcfg/gpt-bootcfg.conf:6:18: network: " "$TAP_TMP/err.txt"
done
write all
run_gen "$R" plan
ok "bridge:all: the message says why" -- grep -qF \
	"network: 'all' is no bridge name: qemu-bridge-helper reads 'allow all' in /etc/qemu/bridge.conf as every bridge" \
	"$TAP_TMP/err.txt"
is "$(tree_listing "$R" | grep -v gpt-bootcfg.conf)" "$(echo "$before" | grep -v gpt-bootcfg.conf)" \
	"nothing was written (no /etc/qemu/bridge.conf)"
write allbr
run_gen "$R" vm command d
is "$rc" 0 "bridge:allbr (a bridge whose name starts with all) passes"
done_testing
