#!/bin/sh
# "list" on every fixture: golden text and JSON, plus the guide's acceptance facts.
. "$(dirname "$0")/../lib/tap.sh"

command -v jq >/dev/null || { echo "Bail out! jq is missing (see tests/deps.txt)"; exit 1; }

# Fixture trees are the directories with a sys/ in them (tests/fixtures/capture is the tool).
# Overlays (a .base file: tests/lib/tap.sh, fixture_copy) are tested where they are used.
fixtures=$(cd "$TOP/tests/fixtures" && for d in */; do [ -d "$d/sys" ] && [ ! -e "$d/.base" ] && echo "${d%/}"; done)
ok "there are fixtures to test" -- test -n "$fixtures"

for f in $fixtures; do
	root="$TOP/tests/fixtures/$f"
	"$GPT_BOOTCFG" --root "$root" list >"$TAP_TMP/$f.txt" 2>"$TAP_TMP/err"; rc=$?
	is "$rc" 0 "list on $f exits 0"
	is "$(cat "$TAP_TMP/err")" "" "list on $f is silent on stderr"
	golden "list/$f.txt" "$TAP_TMP/$f.txt"
	"$GPT_BOOTCFG" --root "$root" list --json >"$TAP_TMP/$f.json" 2>"$TAP_TMP/err"; rc=$?
	is "$rc" 0 "list --json on $f exits 0"
	ok "list --json on $f is valid JSON" -- jq -e . "$TAP_TMP/$f.json"
	golden "list/$f.json" "$TAP_TMP/$f.json"
	# Every device of the tree appears exactly once in the output.
	want=$(ls "$root/sys/bus/pci/devices" | wc -l)
	got=$(jq '[.groups[].devices[], .ungrouped[]] | length' "$TAP_TMP/$f.json")
	is "$got" "$want" "every PCI device of $f listed once"
done

# A golden without its fixture is stale.
for g in "$TOP"/tests/golden/list/*.txt "$TOP"/tests/golden/list/*.json; do
	[ -e "$g" ] || continue
	n=$(basename "$g"); n=${n%.*}
	ok "golden $n has a fixture" -- test -d "$TOP/tests/fixtures/$n/sys"
done

# Acceptance on the guide's server: GPU + audio in one group, USB and NVMe alone, drivers,
# boot VGA on the BMC's display and not on the GPU.
j="$TAP_TMP/guide-server.json"
if [ -f "$j" ]; then
	grp() { jq -r --arg a "$1" '.groups[] | select(any(.devices[]; .address == $a)) | [.devices[].address] | join(" ")' "$j"; }
	dev() { jq -r --arg a "$1" --arg k "$2" '[.groups[].devices[], .ungrouped[]][] | select(.address == $a) | .[$k] | tostring' "$j"; }
	is "$(grp 0000:65:00.0)" "0000:65:00.0 0000:65:00.1" "GPU and its audio function share one group"
	is "$(grp 0000:b4:00.0)" "0000:b4:00.0" "USB controller alone in its group"
	is "$(grp 0000:b3:00.0)" "0000:b3:00.0" "NVMe controller alone in its group"
	is "$(dev 0000:65:00.0 vendor):$(dev 0000:65:00.0 device)" "10de:1c03" "GPU ids"
	is "$(dev 0000:65:00.0 driver)" "nouveau" "GPU driver"
	is "$(dev 0000:65:00.1 driver)" "snd_hda_intel" "GPU audio driver"
	is "$(dev 0000:b4:00.0 driver)" "xhci_hcd" "USB driver"
	is "$(dev 0000:b3:00.0 driver)" "nvme" "NVMe driver"
	is "$(dev 0000:65:00.0 boot_vga)" "false" "the GPU is not the boot VGA device"
	is "$(jq '[.groups[].devices[], .ungrouped[]] | map(select(.boot_vga)) | length' "$j")" 1 \
		"exactly one boot VGA device"
	is "$(jq -r '[.groups[].devices[], .ungrouped[]][] | select(.storage_in_use) | .address' "$j" | tr '\n' ' ')" \
		"0000:01:00.0 " "only the root NVMe holds storage in use"
	is "$(jq -r '.ungrouped | length' "$j")" 0 "no ungrouped devices with the IOMMU on"
	ok "the text list marks the boot VGA device" -- grep -q "boot VGA" "$TAP_TMP/guide-server.txt"
else
	ok "guide-server fixture exists" -- false
fi

j="$TAP_TMP/no-iommu.json"
if [ -f "$j" ]; then
	is "$(jq '.groups | length' "$j")" 0 "no-iommu: no groups"
	ok "no-iommu: all devices ungrouped" -- jq -e '.ungrouped | length > 0' "$j"
fi
done_testing
