#!/bin/sh
# network = bridge:NAME on fixture trees: plan and check name a missing bridge and a bridge
# qemu-bridge-helper would refuse; apply keeps one block of "allow" lines in
# /etc/qemu/bridge.conf (created 0644 root-owned, or edited keeping the user's lines,
# mode and owner); status reports it; revert is byte for byte, with and without a
# user's file; the helper's rules (deny wins, allow all, include, group, syntax errors);
# vhost=on with /dev/vhost-net. The real bridge and QEMU: test-vm-bridge.sh.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

conf() { # conf ROOT [NETWORK]: the GPU and its audio for a VM on a bridge
	gpu_pair_conf 4G "hugepage-size = none" "network = ${2:-bridge:br0}" | write_conf "$1"
}
acl=etc/qemu/bridge.conf

# ---- Created by apply, removed by revert ----
R=$(fixture_copy guide-server)
conf "$R"
run_gen "$R" plan
is "$rc" 0 "plan with a bridged VM exits 0 (findings are warnings and notes)"
ok "plan: the bridge does not exist" -- grep -Fq "Warning: [vm win] network = bridge:br0: there is no bridge br0 on this host" "$TAP_TMP/out.txt"
ok "plan: the helper refuses br0 until apply allows it" -- \
	grep -Fq 'Note: [vm win] network = bridge:br0: qemu-bridge-helper refuses br0 until apply adds "allow br0" to /etc/qemu/bridge.conf (now: /etc/qemu/bridge.conf does not exist)' "$TAP_TMP/out.txt"

# The host has the bridge from here on.
mkdir -p "$R/sys/class/net/br0/bridge"
tree_listing "$R" >"$TAP_TMP/before"
run_gen "$R" plan
golden plan/bridge.txt "$TAP_TMP/out.txt"
run_gen "$R" plan --json
# The one warning: a bridge keeps QEMU as root (qemu-bridge-helper; docs/vm.md, "Privileges").
ok "plan --json: the file and the note" -- jq -e \
	'(.files | map(select(.path == "/etc/qemu/bridge.conf"))[0].action == "create") and (.notes | map(select(test("allow br0"))) | length == 1) and (.warnings | length == 1) and (.warnings[0] | test("QEMU runs as root.*network = bridge"))' \
	"$TAP_TMP/out.txt"
tree_listing "$R" >"$TAP_TMP/t"
ok "plan writes nothing" -- cmp "$TAP_TMP/before" "$TAP_TMP/t"
run_gen "$R" check
ok "check: warns that br0 is not allowed" -- grep -Eq '^warn +vm-bridge +\[vm win\] qemu-bridge-helper refuses bridge br0: /etc/qemu/bridge.conf does not exist$' "$TAP_TMP/out.txt"
ok "check: apply is the remedy" -- grep -Fq -- "-> 'gpt-bootcfg apply' adds \"allow br0\" to /etc/qemu/bridge.conf" "$TAP_TMP/out.txt"

run_gen "$R" apply --yes --no-trial
is "$rc" 0 "apply"
ok "says it created the ACL" -- grep -qx "Created /etc/qemu/bridge.conf" "$TAP_TMP/out.txt"
cp "$R/$acl" "$TAP_TMP/file"
golden apply/bridge/etc/qemu/bridge.conf "$TAP_TMP/file"
is "$(stat -c '%a %u %g' "$R/$acl")" "644 0 0" "created 0644, owned by root"
run_gen "$R" check
ok "check: passes now" -- grep -Eq '^pass +vm-bridge +\[vm win\] bridge br0 exists and is allowed \(/etc/qemu/bridge.conf:2: allow br0\)$' "$TAP_TMP/out.txt"
run_gen "$R" status
golden status/bridge.txt "$TAP_TMP/out.txt"
run_gen "$R" status --json
is "$(jq -c .bridges "$TAP_TMP/out.txt")" \
	'[{"vm":"win","bridge":"br0","exists":true,"allowed":true,"acl":"/etc/qemu/bridge.conf:2: allow br0"}]' \
	"status --json: the bridge exists and is allowed"
run_gen "$R" apply --yes
ok "a second apply has nothing to do" -- grep -q "Nothing to do" "$TAP_TMP/out.txt"

# A second VM on the same bridge and one on another: one line per bridge.
cat >>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[vm lab]
memory = 1G
hugepage-size = none
network = bridge:br1
[vm lab2]
memory = 1G
hugepage-size = none
network = bridge:br0
CONF
run_gen "$R" apply --yes
is "$(grep '^allow' "$R/$acl" | tr '\n' ' ')" "allow br0 allow br1 " "one allow line per bridge, sorted"
ok "br1 does not exist: plan warns" -- grep -Fq "[vm lab] network = bridge:br1: there is no bridge br1" "$TAP_TMP/err.txt"
run_gen "$R" status
is "$rc" 1 "status: a missing bridge is a gap"
ok "status: GAP line for br1" -- grep -Fq "GAP  [vm lab] br1: no such bridge, allowed: /etc/qemu/bridge.conf:3: allow br1" "$TAP_TMP/out.txt"

conf "$R"
run_gen "$R" revert --dry-run
golden revert/bridge.txt "$TAP_TMP/out.txt"
run_gen "$R" revert
is "$rc" 0 "revert"
tree_listing "$R" >"$TAP_TMP/after"
ok "the tree is byte for byte what it was (no /etc/qemu left)" -- diff -u "$TAP_TMP/before" "$TAP_TMP/after"

# A VM that leaves the bridge: the block goes, and the file apply created with it.
conf "$R"
run_gen "$R" apply --yes --no-trial
conf "$R" user
run_gen "$R" plan
ok "plan: the file we created goes once no VM is bridged" -- grep -q "^  remove    /etc/qemu/bridge.conf" "$TAP_TMP/out.txt"
run_gen "$R" apply --yes
ok "apply removed it" -- test ! -e "$R/$acl"
run_gen "$R" revert

# ---- A refused plan writes nothing, bridge.conf included ----
R5=$(fixture_copy guide-server)
conf "$R5"
mkdir -p "$R5/etc/qemu"
printf 'allow virbr0\n' >"$R5/$acl"
printf '[device root]\naddress = 0000:01:00.0\n' >>"$R5/etc/gpt-bootcfg/gpt-bootcfg.conf"
tree_listing "$R5" >"$TAP_TMP/r0"
run_gen "$R5" apply --yes --no-trial
is "$rc" 1 "apply with the root NVMe is refused"
tree_listing "$R5" >"$TAP_TMP/r1"
ok "the refused apply leaves the tree (and the user's bridge.conf) byte for byte" -- cmp "$TAP_TMP/r0" "$TAP_TMP/r1"

# ---- The user's own file: kept byte for byte, mode and owner too ----
R2=$(fixture_copy guide-server)
conf "$R2"
mkdir -p "$R2/sys/class/net/br0/bridge" "$R2/etc/qemu"
# No newline at the end, 0640: our block goes first, nothing of theirs moves.
printf '# my bridges\nallow virbr0' >"$R2/$acl"
chmod 0640 "$R2/$acl"
cp "$R2/$acl" "$TAP_TMP/user.conf"
tree_listing "$R2" >"$TAP_TMP/before2"
run_gen "$R2" plan
ok "plan: the diff adds our block" -- grep -qx "+allow br0" "$TAP_TMP/out.txt"
ok "plan: says the rest stays" -- grep -Fq "update    /etc/qemu/bridge.conf (gpt-bootcfg's block of lines; the rest stays as it is)" "$TAP_TMP/out.txt"
run_gen "$R2" apply --yes --no-trial
is "$rc" 0 "apply over the user's file"
ok "no backup of a shared file" -- test ! -e "$R2/$acl.bak"
is "$(stat -c %a "$R2/$acl")" 640 "mode kept"
is "$(head -n3 "$R2/$acl" | sed -n 2p)" "allow br0" "our line"
ok "the user's bytes follow unchanged" -- sh -c "tail -c $(wc -c <"$TAP_TMP/user.conf") '$R2/$acl' | cmp -s - '$TAP_TMP/user.conf'"
run_gen "$R2" revert --dry-run
ok "revert --dry-run: our lines out of the user's file" -- grep -qx "Would remove gpt-bootcfg's lines from /etc/qemu/bridge.conf" "$TAP_TMP/out.txt"
run_gen "$R2" revert
is "$rc" 0 "revert"
tree_listing "$R2" >"$TAP_TMP/after2"
ok "the user's file is back byte for byte (contents and mode)" -- diff -u "$TAP_TMP/before2" "$TAP_TMP/after2"

# The user edits their part after apply: revert takes only our block out.
run_gen "$R2" apply --yes --no-trial
printf '\nallow br7\n' >>"$R2/$acl"
run_gen "$R2" revert
is "$(cat "$R2/$acl")" "$(printf '# my bridges\nallow virbr0\nallow br7')" "revert keeps the user's later lines, takes ours"

# ---- The helper's rules ----
R3=$(fixture_copy guide-server)
conf "$R3"
mkdir -p "$R3/sys/class/net/br0/bridge" "$R3/etc/qemu"
acl_case() { # acl_case NAME CONTENTS: plan and status on that bridge.conf
	printf '%s\n' "$2" >"$R3/$acl"
	run_gen "$R3" plan
	cp "$TAP_TMP/out.txt" "$TAP_TMP/plan-$1"
	run_gen "$R3" status
	cp "$TAP_TMP/out.txt" "$TAP_TMP/status-$1"
}
acl_case allow "allow br0"
ok "the user's allow: nothing to add" -- sh -c "! grep -q 'bridge.conf' '$TAP_TMP/plan-allow'"
ok "status: allowed by the user's line" -- grep -Fq "ok   [vm win] br0: exists, allowed: /etc/qemu/bridge.conf:1: allow br0" "$TAP_TMP/status-allow"
acl_case all "$(printf '  allow\tall')"
ok "allow all, a tab between (leading white space skipped)" -- grep -Fq "allowed: /etc/qemu/bridge.conf:1: allow all" "$TAP_TMP/status-all"
acl_case tabspace "$(printf 'allow\tall ')"
ok "the helper splits at the first space before any tab: 'allow<TAB>all ' is an unknown command" -- \
	grep -Fq "unknown command 'allow	all'" "$TAP_TMP/status-tabspace"
acl_case deny "$(printf 'allow br0\ndeny all')"
ok "deny wins over allow, whatever the order: warned" -- grep -Fq "Warning: [vm win] network = bridge:br0: denied by /etc/qemu/bridge.conf:2: deny all; apply does not override" "$TAP_TMP/plan-deny"
ok "... and apply adds nothing" -- sh -c "! grep -q '^  update    /etc/qemu' '$TAP_TMP/plan-deny'"
ok "status: GAP" -- grep -Fq "GAP  [vm win] br0: exists, refused by qemu-bridge-helper: /etc/qemu/bridge.conf:2: deny all" "$TAP_TMP/status-deny"
acl_case denyother "$(printf 'deny br1\n# a comment\n\n   # another')"
ok "a deny of another bridge and comments: apply adds ours" -- grep -qx "+allow br0" "$TAP_TMP/plan-denyother"
acl_case broken "$(printf 'allow virbr0\npermit br0')"
ok "an unknown command breaks the whole file: warned with FILE:LINE" -- grep -Fq "qemu-bridge-helper cannot parse /etc/qemu/bridge.conf (/etc/qemu/bridge.conf:2: unknown command 'permit')" "$TAP_TMP/plan-broken"
acl_case noarg "allow"
ok "a command without an argument too" -- grep -Fq "/etc/qemu/bridge.conf:1: 'allow' has no argument" "$TAP_TMP/plan-noarg"
printf 'allow br0\n' >"$R3/etc/qemu/more.conf"
acl_case include "include /etc/qemu/more.conf"
ok "include: the included allow counts" -- grep -Fq "allowed: /etc/qemu/more.conf:1: allow br0" "$TAP_TMP/status-include"
printf 'allow br0\nbogus line\ndeny br0\n' >"$R3/etc/qemu/more.conf"
acl_case includebad "include /etc/qemu/more.conf"
ok "include: a bad line ends that file only, the rules before it stay" -- grep -Fq "allowed: /etc/qemu/more.conf:1: allow br0" "$TAP_TMP/status-includebad"
acl_case includemissing "include /etc/qemu/none.conf"
ok "include: a missing file is ignored (apply adds ours)" -- grep -qx "+allow br0" "$TAP_TMP/plan-includemissing"
printf 'allow br0\n' >"$R3/etc/qemu/more.conf"
chgrp 1 "$R3/etc/qemu/more.conf"
acl_case includegroup "include /etc/qemu/more.conf"
ok "include: rules of a file of another group do not apply to root" -- grep -qx "+allow br0" "$TAP_TMP/plan-includegroup"
# A symlink: the helper reads through it, apply leaves it alone.
printf 'allow br0\n' >"$R3/etc/qemu/real.conf"
rm -f "$R3/$acl"
ln -s real.conf "$R3/$acl"
run_gen "$R3" status
ok "a symlinked bridge.conf is read through" -- grep -Fq "allowed: /etc/qemu/bridge.conf:1: allow br0" "$TAP_TMP/out.txt"
printf 'allow br1\n' >"$R3/etc/qemu/real.conf"
run_gen "$R3" plan
ok "... apply does not replace the link, and says so" -- grep -Fq "apply cannot change that (it edits only a regular file, never a link)" "$TAP_TMP/out.txt"
ok "... and lists no change to it" -- sh -c "! grep -q '^  [a-z]* *\/etc\/qemu\/bridge.conf' '$TAP_TMP/out.txt'"
rm -f "$R3/$acl"
printf 'include /etc/qemu/bridge.conf\n' >"$R3/$acl"
run_gen "$R3" plan
is "$rc" 0 "an include loop ends"

# ---- vhost=on with /dev/vhost-net; the netdev lines ----
R4=$(fixture_copy guide-server)
mkdir -p "$R4/etc/gpt-bootcfg"
echo 0-35 >"$R4/sys/devices/system/cpu/online"
printf '[vm b]\nmemory = 1G\nhugepage-size = none\nfirmware = bios\nnetwork = bridge:br0\n[vm t]\nmemory = 1G\nhugepage-size = none\nfirmware = bios\nnetwork = tap:tap0\n' \
	>"$R4/etc/gpt-bootcfg/gpt-bootcfg.conf"
chmod 0644 "$R4/etc/gpt-bootcfg/gpt-bootcfg.conf"
netdev() { "$GPT_BOOTCFG" --root "$R4" vm command --json "$1" | jq -r '.argv as $a | $a | index("-netdev") as $i | $a[$i + 1]'; }
is "$(netdev b)" "tap,id=net0,br=br0,helper=/usr/lib/qemu/qemu-bridge-helper" "bridge: a tap from the helper, no vhost without /dev/vhost-net"
is "$(netdev t)" "tap,id=net0,ifname=tap0,script=no,downscript=no" "tap: no vhost without /dev/vhost-net"
: >"$R4/dev/vhost-net"
is "$(netdev b)" "tap,id=net0,br=br0,helper=/usr/lib/qemu/qemu-bridge-helper,vhost=on" "bridge: vhost=on with /dev/vhost-net"
is "$(netdev t)" "tap,id=net0,ifname=tap0,script=no,downscript=no,vhost=on" "tap: vhost=on with /dev/vhost-net"
"$GPT_BOOTCFG" --root "$R4" vm command --json b | jq -r '.argv as $a | $a | index("-sandbox") as $i | $a[$i + 1]' >"$TAP_TMP/sb"
is "$(cat "$TAP_TMP/sb")" "on,obsolete=deny,elevateprivileges=deny" "bridge: the sandbox lets QEMU spawn the helper"
"$GPT_BOOTCFG" --root "$R4" vm command --json t | jq -r '.argv as $a | $a | index("-sandbox") as $i | $a[$i + 1]' >"$TAP_TMP/sb"
is "$(cat "$TAP_TMP/sb")" "on,obsolete=deny,elevateprivileges=deny,spawn=deny" "tap: spawn=deny stays"
done_testing
