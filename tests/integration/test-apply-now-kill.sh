#!/bin/sh
# apply --now records a device before it binds it (issue 30, item 7): killed (SIGKILL, the
# fault points of src/basic/fileio.h) as each write of the record of runtime claims starts
# and as it is renamed into place, no device is ever on vfio-pci without being in that
# record, and revert --now then gives every device back to its driver. The GPU and its audio function of the
# guide's server (one IOMMU group); the kernel's side of the driver files is
# tests/lib/fakesysfs.c.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server
FAKE="$BUILD/asan/fakesysfs.so"
[ -f "$FAKE" ] || { echo "Bail out! $FAKE not built (make asan)"; exit 1; }
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
GPU=0000:65:00.0 AUDIO=0000:65:00.1
REC=var/lib/gpt-bootcfg/runtime-claims

host() {
	_r=$(fixture_copy guide-server)
	mkdir -p "$_r/etc/gpt-bootcfg" "$_r/sys/bus/pci/drivers/vfio-pci" "$_r/proc/sys/kernel/random"
	: >"$_r/sys/bus/pci/drivers/vfio-pci/bind"; : >"$_r/sys/bus/pci/drivers/vfio-pci/unbind"
	echo 6c1ad3f0-0000-4000-8000-000000000001 >"$_r/proc/sys/kernel/random/boot_id"
	printf '[device gpu]\naddress = %s\n[device gpu-audio]\naddress = %s\n' $GPU $AUDIO \
		>"$_r/etc/gpt-bootcfg/gpt-bootcfg.conf"
	echo "$_r"
}
now() {
	_root=$1; shift
	FAKESYSFS_ROOT=$_root LD_PRELOAD=$FAKE "$GPT_BOOTCFG" --root "$_root" "$@" \
		>"$TAP_TMP/out.txt" 2>"$TAP_TMP/err.txt"
	rc=$?
}
drv() { _l=$(readlink "$1/sys/bus/pci/devices/$2/driver") && echo "${_l##*/}" || echo none; }

# A clean run: its steps, and the ones that write the record.
R=$(host)
before="$(drv "$R" $GPU) $(drv "$R" $AUDIO)"
GPT_BOOTCFG_FAULT_LOG=$TAP_TMP/steps now "$R" apply --yes --no-trial --now
is "$rc" 0 "clean apply --now exits 0"
is "$(drv "$R" $GPU) $(drv "$R" $AUDIO)" "vfio-pci vfio-pci" "clean run: both on vfio-pci"
steps=$(awk '/^[0-9]+ (create|rename) .*runtime-claims/ { print $1 }' "$TAP_TMP/steps")
ok "the record is written in steps ($(echo $steps))" -- test -n "$steps"

for n in $steps; do
	R=$(host)
	GPT_BOOTCFG_FAULT_AT=$n GPT_BOOTCFG_FAULT_MODE=kill now "$R" apply --yes --no-trial --now
	unrecorded=
	for a in $GPU $AUDIO; do
		if [ "$(drv "$R" $a)" = vfio-pci ] && ! grep -q "^$a " "$R/$REC" 2>/dev/null; then
			unrecorded="$unrecorded $a"
		fi
	done
	is "$unrecorded" "" "killed at step $n: every device on vfio-pci is in the record"
	now "$R" revert --now
	is "$(drv "$R" $GPU) $(drv "$R" $AUDIO)" "$before" "killed at step $n: revert --now gives both back"
done

done_testing
