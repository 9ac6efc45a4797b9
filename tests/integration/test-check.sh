#!/bin/sh
# "check" on every fixture: golden text and JSON, exit status agrees with the findings,
# and the scenario each fixture exists for shows up in the right check.
. "$(dirname "$0")/../lib/tap.sh"

command -v jq >/dev/null || { echo "Bail out! jq is missing (see tests/deps.txt)"; exit 1; }

# Overlays (a .base file: tests/lib/tap.sh, fixture_copy) are tested where they are used.
fixtures=$(cd "$TOP/tests/fixtures" && for d in */; do [ -d "$d/sys" ] && [ ! -e "$d/.base" ] && echo "${d%/}"; done)
ok "there are fixtures to test" -- test -n "$fixtures"

for f in $fixtures; do
	root="$TOP/tests/fixtures/$f"
	"$GPT_BOOTCFG" --root "$root" check >"$TAP_TMP/$f.txt" 2>"$TAP_TMP/err"; rc_txt=$?
	golden "check/$f.txt" "$TAP_TMP/$f.txt"
	"$GPT_BOOTCFG" --root "$root" check --json >"$TAP_TMP/$f.json" 2>"$TAP_TMP/err"; rc=$?
	is "$(cat "$TAP_TMP/err")" "" "check on $f is silent on stderr"
	ok "check --json on $f is valid JSON" -- jq -e . "$TAP_TMP/$f.json"
	golden "check/$f.json" "$TAP_TMP/$f.json"
	want=0
	jq -e 'any(.checks[]; .status == "fail")' "$TAP_TMP/$f.json" >/dev/null && want=1
	is "$rc" "$want" "check --json on $f exits $want (1 exactly when a check fails)"
	is "$rc_txt" "$want" "check on $f exits $want"
	is "$(jq '[.checks[] | select(.status != "pass" and (.remedy == null or .remedy == ""))] | length' "$TAP_TMP/$f.json")" 0 \
		"every warn/fail on $f has a remedy"
	is "$(jq -r '[.checks[].id] | join(",")' "$TAP_TMP/$f.json")" \
		"cpu-virt,kvm,iommu-firmware,iommu-kernel,interrupt-remapping,uefi,boot-vga,cmdline,hugepages,vfio-pci,initramfs,bootloader" \
		"all checks reported on $f, in order"
done

for g in "$TOP"/tests/golden/check/*.txt "$TOP"/tests/golden/check/*.json; do
	[ -e "$g" ] || continue
	n=$(basename "$g"); n=${n%.*}
	ok "golden $n has a fixture" -- test -d "$TOP/tests/fixtures/$n/sys"
done

st() { jq -r --arg id "$2" '.checks[] | select(.id == $id) | .status' "$TAP_TMP/$1.json"; }
if [ -f "$TAP_TMP/guide-server.json" ]; then
	for c in cpu-virt kvm iommu-firmware iommu-kernel interrupt-remapping vfio-pci; do
		is "$(st guide-server $c)" pass "guide-server: $c passes"
	done
else
	ok "guide-server fixture exists" -- false
fi
if [ -f "$TAP_TMP/no-iommu.json" ]; then
	is "$(st no-iommu iommu-kernel)" fail "no-iommu: iommu-kernel fails"
	is "$(st no-iommu interrupt-remapping)" fail "no-iommu: interrupt-remapping fails"
fi
if [ -f "$TAP_TMP/no-intremap.json" ]; then
	is "$(st no-intremap iommu-kernel)" pass "no-intremap: the IOMMU is active"
	is "$(st no-intremap interrupt-remapping)" fail "no-intremap: interrupt-remapping fails"
fi

# The interrupt-remapping decision on variants of the guide server.
if [ -d "$TOP/tests/fixtures/guide-server/sys" ]; then
	r=$(fixture_copy guide-server)
	sed -i 's/$/ intremap=off/' "$r/proc/cmdline"
	"$GPT_BOOTCFG" --root "$r" check --json >"$TAP_TMP/v.json"; rc=$?
	is "$rc" 1 "intremap=off on the command line: check exits 1"
	is "$(st v interrupt-remapping)" fail "intremap=off: interrupt-remapping fails"

	r=$(fixture_copy guide-server)
	for u in "$r"/sys/class/iommu/dmar*/intel-iommu/ecap; do
		v=$(cat "$u"); printf "%x\n" $(( 0x${v#0x} & ~8 )) >"$u"
	done
	"$GPT_BOOTCFG" --root "$r" check --json >"$TAP_TMP/v.json"
	is "$(st v interrupt-remapping)" fail "ecap without the IR bit: interrupt-remapping fails"
	sed -i 's/$/ vfio_iommu_type1.allow_unsafe_interrupts=1/' "$r/proc/cmdline"
	"$GPT_BOOTCFG" --root "$r" check --json >"$TAP_TMP/v.json"
	is "$(st v interrupt-remapping)" warn "without IR but allow_unsafe_interrupts=1: warn"

	r=$(fixture_copy guide-server)
	rm -f "$r/dev/kvm"
	rm -rf "$r/sys/firmware/efi"
	"$GPT_BOOTCFG" --root "$r" check --json >"$TAP_TMP/v.json"; rc=$?
	is "$(st v kvm)" fail "without /dev/kvm: kvm fails"
	is "$(st v uefi)" warn "without sys/firmware/efi: uefi warns"
	is "$rc" 1 "a failing check makes check exit 1"

	r=$(fixture_copy guide-server)
	rel=$(cat "$r/proc/sys/kernel/osrelease")
	rm -rf "$r/lib/modules/$rel"
	"$GPT_BOOTCFG" --root "$r" check --json >"$TAP_TMP/v.json"
	is "$(st v vfio-pci)" fail "without a module index: vfio-pci fails"

	# vfio-pci built into the kernel: listed in modules.builtin, no .ko in modules.dep.
	if command -v depmod >/dev/null; then
		r=$(fixture_copy guide-server)
		m="$r/lib/modules/$rel"
		sed -i '/vfio-pci\.ko/d; /vfio_pci\.ko/d' "$m/modules.dep" "$m/modules.order" 2>/dev/null
		find "$m" -name 'vfio-pci.ko*' -delete
		echo "kernel/drivers/vfio/pci/vfio-pci.ko" >>"$m/modules.builtin"
		depmod -b "$r" "$rel" 2>"$TAP_TMP/depmod.err"
		"$GPT_BOOTCFG" --root "$r" check --json >"$TAP_TMP/v.json"
		is "$(st v vfio-pci)" pass "vfio-pci built in: passes"
		ok "vfio-pci built in: detail says so" -- jq -e '.checks[] | select(.id == "vfio-pci") | .detail | test("built into kernel")' "$TAP_TMP/v.json"
	else
		ok "depmod is installed (kmod, tests/deps.txt)" -- false
	fi
fi
done_testing
