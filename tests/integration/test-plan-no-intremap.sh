#!/bin/sh
# IOMMU groups without interrupt remapping: vfio-pci would refuse the device at VM start, so
# plan refuses with a reason the user can override (allow-unsafe-interrupts, with its warning).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture no-intremap

R=$(fixture_copy no-intremap)
mkdir -p "$R/etc/gpt-bootcfg"
printf '[device gpu]\naddress = 65:00.0\n[device gpu-audio]\naddress = 65:00.1\n' \
	>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
tree_listing "$R" >"$TAP_TMP/before"

run_gen "$R" plan
is "$rc" 1 "plan refuses (exit 1)"
golden plan/no-intremap.txt "$TAP_TMP/out.txt"
run_gen "$R" plan --json
golden plan/no-intremap.json "$TAP_TMP/out.txt"
is "$(jq -r '[.refused[] | .reason] | join(",")' "$TAP_TMP/out.txt")" unsafe-interrupts \
	"reason unsafe-interrupts"
ok "the remedy is named" -- jq -e '.refused[0].detail | test("allow-unsafe-interrupts = yes")' \
	"$TAP_TMP/out.txt"
run_gen "$R" apply --yes
is "$rc" 1 "apply refuses"
tree_listing "$R" >"$TAP_TMP/after"
ok "a refused apply leaves the tree byte for byte" -- cmp "$TAP_TMP/before" "$TAP_TMP/after"

printf '[host]\nallow-unsafe-interrupts = yes\n' >>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
run_gen "$R" plan --json
is "$rc" 0 "allow-unsafe-interrupts = yes: accepted"
ok "with vfio_iommu_type1.allow_unsafe_interrupts=1" -- \
	jq -e '[.parameters[].param] | index("vfio_iommu_type1.allow_unsafe_interrupts=1")' "$TAP_TMP/out.txt"
done_testing
