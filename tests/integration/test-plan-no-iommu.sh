#!/bin/sh
# A platform without an IOMMU: refused, nothing claimed, nothing written.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture no-iommu

R=$(fixture_copy no-iommu)
mkdir -p "$R/etc/gpt-bootcfg"
printf '[device gpu]\naddress = 65:00.0\n[device gpu-audio]\naddress = 65:00.1\n' \
	>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
tree_listing "$R" >"$TAP_TMP/before"

run_gen "$R" plan --json
is "$rc" 1 "plan refuses (exit 1)"
golden plan/no-iommu.json "$TAP_TMP/out.txt"
is "$(jq -r '[.refused[] | .reason] | join(",")' "$TAP_TMP/out.txt")" no-iommu "reason no-iommu"
is "$(jq -c .claim "$TAP_TMP/out.txt")" "[]" "nothing would be claimed"
run_gen "$R" plan --allow no-iommu
is "$rc" 2 "no-iommu cannot be overridden"
run_gen "$R" apply --yes
is "$rc" 1 "apply refuses"
tree_listing "$R" >"$TAP_TMP/after"
ok "a refused apply leaves the tree byte for byte" -- cmp "$TAP_TMP/before" "$TAP_TMP/after"
done_testing
