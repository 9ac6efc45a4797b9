#!/bin/sh
# plan's reason for intel_iommu=on comes from the host kernel's /boot/config-RELEASE (under
# --root), never from an assumption: each Intel IOMMU default, and "may be" without the file.
# check and plan agree: where check sees the IOMMU active, plan never says it is off.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server

R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg"
printf '[device gpu]\naddress = 65:00.0\n[device gpu-audio]\naddress = 65:00.1\n' \
	>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
rel=$(cat "$R/proc/sys/kernel/osrelease")
cfg=$R/boot/config-$rel

why() { # the reason plan --json gives for intel_iommu=on
	run_gen "$R" plan --json
	jq -r '.parameters[] | select(.param == "intel_iommu=on") | .why' "$TAP_TMP/out.txt"
}
# set_config LINE...: the host kernel's config holds exactly these lines
set_config() {
	printf '%s\n' "$@" >"$cfg"
}

run_gen "$R" check
ok "check: the IOMMU is active on the guide's server" -- grep -q "the IOMMU is active" "$TAP_TMP/out.txt"

# The fixture's own config: Debian 12's 6.1 turns VT-d on except for integrated graphics.
is "$(why)" "Intel VT-d is on by default in this kernel except for integrated graphics (CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y); explicit, it stays on after a kernel change" \
	"Debian 12's config (fixture): on by default except integrated graphics"
ok "plan and check agree: plan does not say the active IOMMU is off" -- \
	sh -c "! grep -q 'off by default' '$TAP_TMP/out.txt'"

set_config CONFIG_INTEL_IOMMU=y CONFIG_INTEL_IOMMU_DEFAULT_ON=y
is "$(why)" "Intel VT-d is on by default in this kernel (CONFIG_INTEL_IOMMU_DEFAULT_ON=y); explicit, it stays on after a kernel change" \
	"CONFIG_INTEL_IOMMU_DEFAULT_ON=y: on by default"

set_config CONFIG_INTEL_IOMMU=y "# CONFIG_INTEL_IOMMU_DEFAULT_ON is not set" \
	"# CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF is not set" CONFIG_INTEL_IOMMU_DEFAULT_OFF=y
is "$(why)" "Intel VT-d is off by default in this kernel (CONFIG_INTEL_IOMMU_DEFAULT_ON is not set); vfio-pci needs it" \
	"neither default-on option: off by default"

set_config "# CONFIG_INTEL_IOMMU is not set" CONFIG_INTEL_IOMMU_DEFAULT_ON=y
is "$(why)" "this kernel has no Intel VT-d driver (CONFIG_INTEL_IOMMU is not set); vfio-pci needs a kernel with one" \
	"CONFIG_INTEL_IOMMU not set: no driver"

# "CONFIG_X=y" must match the whole name, not a longer option with the same start.
set_config CONFIG_INTEL_IOMMU=y CONFIG_INTEL_IOMMU_DEFAULT_ON_X=y
is "$(why)" "Intel VT-d is off by default in this kernel (CONFIG_INTEL_IOMMU_DEFAULT_ON is not set); vfio-pci needs it" \
	"a longer option name is not the option"

rm -f "$cfg"
groups=$(ls "$R/sys/kernel/iommu_groups" | wc -l)
is "$(why)" "Intel VT-d is on now ($groups IOMMU groups); this kernel's default is unknown (no /boot/config-$rel); explicit, it stays on" \
	"no config, IOMMU active: said as on now, default unknown"

# No config and no IOMMU groups yet (a host before its first apply): "may be".
rm -rf "$R/sys/kernel/iommu_groups"/*
for d in "$R"/sys/bus/pci/devices/*; do rm -f "$d/iommu_group"; done
is "$(why)" "Intel VT-d may be off by default in this kernel (no /boot/config-$rel to tell); vfio-pci needs it" \
	"no config, no IOMMU groups: may be off"
done_testing

