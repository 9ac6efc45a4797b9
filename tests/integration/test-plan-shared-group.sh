#!/bin/sh
# A GPU behind a PCI bridge that it shares with the host's NIC: refused, the NIC named.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture shared-group

R=$(fixture_copy shared-group)
mkdir -p "$R/etc/gpt-bootcfg"
printf '[device gpu]\naddress = 66:01.0\n[device gpu-audio]\naddress = 66:01.1\n' \
	>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
tree_listing "$R" >"$TAP_TMP/before"

run_gen "$R" plan
is "$rc" 1 "plan refuses (exit 1)"
golden plan/shared-group.txt "$TAP_TMP/out.txt"
run_gen "$R" plan --json
is "$(jq -r '[.refused[] | .reason] | join(",")' "$TAP_TMP/out.txt")" group-shared "reason group-shared"
ok "the host NIC is named with its default route" -- \
	jq -e '.refused[0].detail | test("0000:66:02.0 .*host NIC enp102s2 \\(default route\\)")' "$TAP_TMP/out.txt"
run_gen "$R" apply --yes
is "$rc" 1 "apply refuses"
tree_listing "$R" >"$TAP_TMP/after"
ok "a refused apply leaves the tree byte for byte" -- cmp "$TAP_TMP/before" "$TAP_TMP/after"

# Configuring the NIC too: the group is complete, but the NIC carries the default route.
printf '[device nic]\naddress = 66:02.0\n' >>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
run_gen "$R" plan --json
is "$(jq -r '[.refused[] | .reason] | join(",")' "$TAP_TMP/out.txt")" host-nic "the default-route NIC itself is refused"
done_testing
