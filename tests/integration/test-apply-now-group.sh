#!/bin/sh
# apply --now never splits an IOMMU group (issue 30, item 6): when the bind of the GPU's
# audio function fails, the GPU (bound a moment before, same group) goes back to its
# driver too, the record keeps neither, the table and the log say why, exit 1. The
# guide's server; the kernel's side of the driver files is tests/lib/fakesysfs.c, whose
# ROOT/.fakesysfs/fail-ADDR-vfio-pci makes that bind fail.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server
FAKE="$BUILD/asan/fakesysfs.so"
[ -f "$FAKE" ] || { echo "Bail out! $FAKE not built (make asan)"; exit 1; }
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
GPU=0000:65:00.0 AUDIO=0000:65:00.1 NVME=0000:b3:00.0

R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg" "$R/sys/bus/pci/drivers/vfio-pci" "$R/proc/sys/kernel/random" "$R/.fakesysfs"
: >"$R/sys/bus/pci/drivers/vfio-pci/bind"; : >"$R/sys/bus/pci/drivers/vfio-pci/unbind"
echo 6c1ad3f0-0000-4000-8000-000000000001 >"$R/proc/sys/kernel/random/boot_id"
printf '[device gpu]\naddress = %s\n[device gpu-audio]\naddress = %s\n[device nvme]\naddress = %s\n' \
	$GPU $AUDIO $NVME >"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
: >"$R/.fakesysfs/fail-$AUDIO-vfio-pci"
drv() { _l=$(readlink "$R/sys/bus/pci/devices/$1/driver") && echo "${_l##*/}" || echo none; }
before="$(drv $GPU) $(drv $AUDIO)"
is "$before" "nouveau snd_hda_intel" "the GPU and its audio function on their host drivers"

FAKESYSFS_ROOT=$R LD_PRELOAD=$FAKE "$GPT_BOOTCFG" --root "$R" apply --yes --no-trial --now \
	>"$TAP_TMP/out.txt" 2>"$TAP_TMP/err.txt"
is "$?" 1 "a failed bind in the group: exit 1"
is "$(drv $GPU) $(drv $AUDIO)" "$before" "the whole group is back on its host drivers"
is "$(cat "$R/sys/bus/pci/devices/$GPU/driver_override")" "" "the GPU's driver_override is cleared"
is "$(drv $NVME)" vfio-pci "another group is claimed as before"
ok "the GPU's rollback is said, naming the member that failed" -- grep -qF \
	"$GPU: $AUDIO of its IOMMU group did not bind; rolled back to nouveau" "$TAP_TMP/err.txt"
ok "the record keeps neither member of the group" -- \
	sh -c "! grep -q '^0000:65:00' '$R/var/lib/gpt-bootcfg/runtime-claims'"
ok "the record keeps the NVMe controller" -- grep -q "^$NVME nvme" "$R/var/lib/gpt-bootcfg/runtime-claims"

done_testing
