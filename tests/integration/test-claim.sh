#!/bin/sh
# The claim binary on sysfs-shaped fixture trees (--root): what it writes, what it refuses.
# Sysfs control files are plain files here, so a write is visible as the file's contents and
# the driver link never changes by itself (see docs/boot-claim.md).
. "$(dirname "$0")/../lib/tap.sh"
CLAIM="$BUILD/asan/gpt-bootcfg-claim"
[ -x "$CLAIM" ] || { echo "Bail out! $CLAIM not built"; exit 1; }

# mkdev ROOT ADDR VENDOR DEVICE SUBVENDOR SUBDEVICE CLASS GROUP [DRIVER]
mkdev() {
	_r=$1 _a=$2
	_d="$_r/sys/devices/pci0000:00/$_a"
	mkdir -p "$_d" "$_r/sys/bus/pci/devices" "$_r/sys/kernel/iommu_groups/$8/devices"
	echo "0x$3" >"$_d/vendor"; echo "0x$4" >"$_d/device"
	echo "0x$5" >"$_d/subsystem_vendor"; echo "0x$6" >"$_d/subsystem_device"
	echo "0x$7" >"$_d/class"; : >"$_d/driver_override"
	ln -s "../../../devices/pci0000:00/$_a" "$_r/sys/bus/pci/devices/$_a"
	ln -s "../../../../devices/pci0000:00/$_a" "$_r/sys/kernel/iommu_groups/$8/devices/$_a"
	ln -s "../../../kernel/iommu_groups/$8" "$_d/iommu_group"
	if [ -n "${9:-}" ]; then
		mkdir -p "$_r/sys/bus/pci/drivers/$9"; [ -e "$_r/sys/bus/pci/drivers/$9/unbind" ] || : >"$_r/sys/bus/pci/drivers/$9/unbind"
		ln -s "../../../bus/pci/drivers/$9" "$_d/driver"
	fi
}

# A host: 03.0 NVMe target on nvme, 04.0 xhci target unbound, 05.0 control NVMe on nvme,
# 06.0 already on vfio-pci, 07.0 HDA sharing group 7 with 08.0 (audio on snd_hda_intel)
# and the bridge 07.1.
mkhost() {
	_r=$(mktemp -d "$TAP_TMP/root.XXXXXX")
	mkdir -p "$_r/proc" "$_r/dev" "$_r/run" "$_r/etc/gpt-bootcfg" "$_r/sys/bus/pci/drivers/vfio-pci"
	echo "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro intel_iommu=on" >"$_r/proc/cmdline"
	: >"$_r/dev/kmsg"; : >"$_r/sys/bus/pci/drivers_probe"
	mkdev "$_r" 0000:00:03.0 1b36 0010 1af4 1100 010802 3 nvme
	mkdev "$_r" 0000:00:04.0 1b36 000d 1af4 1100 0c0330 4
	mkdev "$_r" 0000:00:05.0 1b36 0010 1af4 1100 010802 5 nvme
	mkdev "$_r" 0000:00:06.0 8086 293e 1af4 1100 040300 6 vfio-pci
	mkdev "$_r" 0000:00:07.0 8086 293e 1af4 1100 040300 7
	mkdev "$_r" 0000:00:07.1 8086 244e 0000 0000 060400 7
	mkdev "$_r" 0000:00:08.0 8086 293e 1af4 1100 040300 7 snd_hda_intel
	echo "$_r"
}

NVME="0000:00:03.0 1b36:0010 1af4:1100 010802"
XHCI="0000:00:04.0 1b36:000d 1af4:1100 0c0330"
DONE="0000:00:06.0 8086:293e 1af4:1100 040300"
HDA="0000:00:07.0 8086:293e 1af4:1100 040300"
HDA2="0000:00:08.0 8086:293e 1af4:1100 040300"

run() { # run ROOT ARGS...: exit code in $rc, stdout+stderr in $TAP_TMP/log
	_r=$1; shift
	rc=0; "$CLAIM" --root "$_r" "$@" >"$TAP_TMP/log" 2>&1 || rc=$?
}
ovr() { cat "$1/sys/devices/pci0000:00/$2/driver_override"; }
kmsg_has() { grep -qF -- "$2" "$1/dev/kmsg" || { echo "kmsg lacks: $2"; cat "$1/dev/kmsg"; false; }; }

# 1. Targets get driver_override, the bound one is unbound first, the control stays alone.
r=$(mkhost)
printf '# test\n%s\n%s\n%s\n' "$NVME" "$XHCI" "$DONE" >"$r/etc/gpt-bootcfg/claim.list"
run "$r"
is "$rc" 1 "unchanged driver links are reported as not claimed: exit 1"
is "$(ovr "$r" 0000:00:03.0)" vfio-pci "override written for the bound target"
is "$(ovr "$r" 0000:00:04.0)" vfio-pci "override written for the unbound target"
is "$(cat "$r/sys/bus/pci/drivers/nvme/unbind")" 0000:00:03.0 "unbind written for the bound target only"
is "$(ovr "$r" 0000:00:05.0)" "" "control device untouched"
is "$(ovr "$r" 0000:00:06.0)" "" "device already on vfio-pci left alone"
is "$(cat "$r/sys/bus/pci/drivers_probe")" 0000:00:04.0 "drivers_probe written (last target)"
ok "kmsg: not claimed, with the driver" -- kmsg_has "$r" "<4>gpt-bootcfg: 0000:00:03.0: not claimed (driver is nvme): override"
ok "kmsg: unbind and probe timed" -- kmsg_has "$r" ", unbind nvme "
ok "kmsg: unbound target" -- kmsg_has "$r" "0000:00:04.0: not claimed (driver is none)"
ok "kmsg: already on vfio-pci" -- kmsg_has "$r" "<6>gpt-bootcfg: 0000:00:06.0: already on vfio-pci"
ok "kmsg: summary" -- kmsg_has "$r" "1 of 3 devices on vfio-pci"
is "$(wc -c <"$TAP_TMP/log")" 0 "nothing on stderr without --stderr"
# The same outcomes as records of the claim log "status" reads (claimlist.h).
log="$r/run/gpt-bootcfg/claim.log"
ok "claim log written" -- test -f "$log"
is "$(grep -v '^#' "$log" | cut -d' ' -f1,2 | tr '\n' ' ')" \
	"0000:00:03.0 failed 0000:00:04.0 failed 0000:00:06.0 already " "claim log: one record per device"
ok "claim log: the kernel log's message" -- grep -qF "0000:00:04.0 failed not claimed (driver is none): override" "$log"

# 2. A pre-created vfio-pci link stands for a successful probe: exit 0.
r=$(mkhost)
printf '%s\n' "$DONE" >"$r/etc/gpt-bootcfg/claim.list"
run "$r" --stderr
is "$rc" 0 "all on vfio-pci: exit 0"
ok "--stderr copies the log" -- grep -q '^gpt-bootcfg: 1 of 1 device on vfio-pci' "$TAP_TMP/log"

# 3. Identity mismatch and a missing device are skipped, nothing written for them.
r=$(mkhost)
printf '0000:00:03.0 1b36:0011 1af4:1100 010802\n0000:00:05.0 1b36:0010 1af4:1101 010802\n0000:00:1f.0 8086:2918 1af4:1100 0c0330\n%s\n' "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
run "$r"
is "$rc" 1 "mismatch: exit 1"
is "$(ovr "$r" 0000:00:03.0)" "" "no override for a device id mismatch"
is "$(ovr "$r" 0000:00:05.0)" "" "no override for a subsystem mismatch"
is "$(cat "$r/sys/bus/pci/drivers/nvme/unbind")" "" "no unbind for mismatches"
is "$(ovr "$r" 0000:00:04.0)" vfio-pci "the matching device is still claimed"
ok "kmsg: device mismatch" -- kmsg_has "$r" "0000:00:03.0: skipped: identity mismatch: device is 0010, list says 0011"
ok "claim log: skipped with the reason" -- grep -qF "0000:00:03.0 skipped skipped: identity mismatch: device is 0010, list says 0011" "$r/run/gpt-bootcfg/claim.log"
ok "kmsg: subsystem mismatch" -- kmsg_has "$r" "0000:00:05.0: skipped: identity mismatch: subsystem_device is 1100, list says 1101"
ok "kmsg: missing device" -- kmsg_has "$r" "0000:00:1f.0: skipped: device not present"

# 4. Kill switch: nothing at all.
r=$(mkhost)
printf '%s\n%s\n' "$NVME" "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
echo "root=/dev/vda1 gpt_bootcfg=off quiet" >"$r/proc/cmdline"
run "$r"
is "$rc" 0 "kill switch: exit 0"
is "$(ovr "$r" 0000:00:03.0)$(ovr "$r" 0000:00:04.0)$(cat "$r/sys/bus/pci/drivers/nvme/unbind" "$r/sys/bus/pci/drivers_probe")" "" "kill switch: nothing written"
ok "kmsg: kill switch" -- kmsg_has "$r" "gpt_bootcfg=off on the kernel command line: claiming nothing"

# 5. A malformed list claims nothing and names FILE:LINE:COL for each bad line.
r=$(mkhost)
printf '%s\n0000:00:04.0 1b36:00d 1af4:1100 0c0330\n%s\nbogus\n' "$NVME" "$NVME" >"$r/etc/gpt-bootcfg/claim.list"
run "$r" --stderr
is "$rc" 2 "malformed list: exit 2"
is "$(ovr "$r" 0000:00:03.0)$(ovr "$r" 0000:00:04.0)$(cat "$r/sys/bus/pci/drivers/nvme/unbind" "$r/sys/bus/pci/drivers_probe")" "" "malformed list: nothing written"
ok "line 2 error with column" -- grep -qF "gpt-bootcfg: /etc/gpt-bootcfg/claim.list:2:14: invalid VENDOR:DEVICE '1b36:00d'" "$TAP_TMP/log"
ok "line 3 duplicate" -- grep -qF "claim.list:3:1: duplicate address 0000:00:03.0 (first on line 1)" "$TAP_TMP/log"
ok "line 4 field count" -- grep -qF "claim.list:4:6: expected 'ADDRESS VENDOR:DEVICE SUBVENDOR:SUBDEVICE CLASS', got 1 field" "$TAP_TMP/log"
ok "kmsg: rejected" -- kmsg_has "$r" "<3>gpt-bootcfg: claim list '/etc/gpt-bootcfg/claim.list' rejected: malformed; claiming nothing"

# 6. Generation binding.
r=$(mkhost)
printf 'generation 5\n%s\n' "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
run "$r"
is "$rc" 1 "generation without command line: exit 1"
is "$(ovr "$r" 0000:00:04.0)$(cat "$r/sys/bus/pci/drivers_probe")" "" "generation missing: nothing written"
ok "kmsg: no generation" -- kmsg_has "$r" "claiming nothing: no generation on the command line, list is generation 5"
echo "root=/dev/vda1 gpt_bootcfg.generation=4" >"$r/proc/cmdline"
run "$r"
is "$(ovr "$r" 0000:00:04.0)" "" "other generation: nothing written"
ok "kmsg: other generation" -- kmsg_has "$r" "claiming nothing: entry boots generation 4, list is generation 5"
echo "root=/dev/vda1 gpt_bootcfg.generation=5" >"$r/proc/cmdline"
run "$r"
is "$(ovr "$r" 0000:00:04.0)" vfio-pci "same generation: claimed"

# 7. IOMMU group: an unlisted endpoint on a host driver blocks the group; bridges do not.
r=$(mkhost)
printf '%s\n' "$HDA" >"$r/etc/gpt-bootcfg/claim.list"
run "$r"
is "$rc" 1 "shared group: exit 1"
is "$(ovr "$r" 0000:00:07.0)" "" "shared group: nothing written"
ok "kmsg: group refusal names the device" -- kmsg_has "$r" "0000:00:07.0: skipped: IOMMU group 7 also holds 0000:00:08.0 (driver snd_hda_intel), which is not in the list"
printf '%s\n%s\n' "$HDA" "$HDA2" >"$r/etc/gpt-bootcfg/claim.list"
: >"$r/dev/kmsg"
run "$r"
is "$(ovr "$r" 0000:00:07.0)" vfio-pci "whole group listed: claimed (bridge 07.1 excepted)"
is "$(cat "$r/sys/bus/pci/drivers/snd_hda_intel/unbind")" 0000:00:08.0 "group member unbound"
rm "$r/sys/devices/pci0000:00/0000:00:04.0/iommu_group"
printf '%s\n' "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
run "$r"
ok "no IOMMU group: skipped" -- kmsg_has "$r" "0000:00:04.0: skipped: no IOMMU group"

# 8. vfio-pci not registered: the module chain comes from modules.dep; --root never loads.
r=$(mkhost)
rm -r "$r/sys/bus/pci/drivers/vfio-pci"
mkdir -p "$r/lib/modules/9.9.9/kernel" "$r/sys/module/irqbypass"
cat >"$r/lib/modules/9.9.9/modules.dep" <<'DEP'
kernel/drivers/vfio/vfio.ko:
kernel/drivers/vfio/vfio_iommu_type1.ko: kernel/drivers/vfio/vfio.ko
kernel/drivers/vfio/pci/vfio-pci-core.ko: kernel/drivers/vfio/vfio_virqfd.ko kernel/drivers/vfio/vfio.ko kernel/virt/lib/irqbypass.ko
kernel/drivers/vfio/pci/vfio-pci.ko: kernel/drivers/vfio/pci/vfio-pci-core.ko kernel/drivers/vfio/vfio_virqfd.ko kernel/drivers/vfio/vfio.ko kernel/virt/lib/irqbypass.ko
DEP
printf '%s\n' "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
run "$r" --kver 9.9.9
is "$rc" 1 "no vfio-pci under --root: exit 1"
is "$(ovr "$r" 0000:00:04.0)" "" "no vfio-pci: nothing written"
ok "kmsg: module chain resolved, loaded ones skipped" -- kmsg_has "$r" "would load vfio, vfio_virqfd, vfio_pci_core, vfio_pci, vfio_iommu_type1, not loading under --root"
run "$r" --kver 1.0.0
ok "kmsg: no modules.dep" -- kmsg_has "$r" "vfio-pci is not registered and not in /lib/modules/1.0.0/modules.dep"

# 9. --dry-run writes nothing.
r=$(mkhost)
printf '%s\n%s\n' "$NVME" "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
run "$r" --dry-run
is "$rc" 0 "dry run: exit 0"
is "$(ovr "$r" 0000:00:03.0)$(ovr "$r" 0000:00:04.0)$(cat "$r/sys/bus/pci/drivers/nvme/unbind" "$r/sys/bus/pci/drivers_probe")" "" "dry run: nothing written"
ok "kmsg: would claim" -- kmsg_has "$r" "0000:00:03.0: would claim for vfio-pci, unbinding nvme (--dry-run)"
ok "dry run: no claim log" -- test ! -e "$r/run/gpt-bootcfg/claim.log"

# 10. Missing list, no kmsg, bad usage.
r=$(mkhost)
rm "$r/dev/kmsg"
run "$r" --list /etc/none.list
is "$rc" 2 "missing list: exit 2"
ok "missing list named on stderr when kmsg is absent" -- grep -qF "gpt-bootcfg: cannot read claim list '/etc/none.list': No such file or directory" "$TAP_TMP/log"
run "$r" --bogus
is "$rc" 2 "unknown option: exit 2"
run "$r" --list relative.list
is "$rc" 2 "relative --list: exit 2"

# 11. A bridge (class 06xx) in the list is never claimed, whatever else the list says
#     (issue 14): no override, pcieport keeps it, and the rest of the list still goes.
r=$(mkhost)
mkdir -p "$r/sys/bus/pci/drivers/pcieport"
mkdev "$r" 0000:00:1c.0 8086 2448 0000 0000 060400 9 pcieport
printf '%s\n%s\n' "0000:00:1c.0 8086:2448 0000:0000 060400" "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
run "$r"
is "$(ovr "$r" 0000:00:1c.0)" "" "listed bridge: no override"
is "$(cat "$r/sys/bus/pci/drivers/pcieport/unbind")" "" "listed bridge: pcieport not unbound"
is "$(ovr "$r" 0000:00:04.0)" vfio-pci "listed bridge: the other entry is still claimed"
ok "kmsg: bridge refused" -- kmsg_has "$r" "<4>gpt-bootcfg: 0000:00:1c.0: skipped: class 060400 is a bridge; bridges are never claimed"
is "$rc" 1 "listed bridge: exit 1"

# 12. Group completeness counts only members that passed the identity check: 08.0 is
#     listed with a wrong device id, so it stays on snd_hda_intel, and its group mate 07.0
#     must not go to vfio-pci alone (issue 14).
r=$(mkhost)
printf '%s\n%s\n' "$HDA" "0000:00:08.0 8086:293f 1af4:1100 040300" >"$r/etc/gpt-bootcfg/claim.list"
run "$r"
is "$rc" 1 "mismatched group mate: exit 1"
is "$(ovr "$r" 0000:00:07.0)$(ovr "$r" 0000:00:08.0)" "" "mismatched group mate: nothing overridden"
is "$(cat "$r/sys/bus/pci/drivers/snd_hda_intel/unbind" "$r/sys/bus/pci/drivers_probe")" "" "mismatched group mate: nothing unbound or probed"
ok "kmsg: mate skipped for identity" -- kmsg_has "$r" "0000:00:08.0: skipped: identity mismatch: device is 293e, list says 293f"
ok "kmsg: group refusal names the mate" -- kmsg_has "$r" "0000:00:07.0: skipped: IOMMU group 7 also holds 0000:00:08.0 (driver snd_hda_intel), which is not in the list"

# 13. The kernel strips quotes from parameters: a quoted kill switch counts (issue 14).
for w in 'gpt_bootcfg="off"' '"gpt_bootcfg=off"' 'gpt_bootcfg="0"' '"gpt_bootcfg=no"'; do
	r=$(mkhost)
	printf '%s\n' "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
	echo "root=/dev/vda1 $w quiet" >"$r/proc/cmdline"
	run "$r"
	is "$rc/$(ovr "$r" 0000:00:04.0)" "0/" "kill switch $w: exit 0, nothing written"
done
r=$(mkhost)
printf '%s\n' "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
echo 'root=/dev/vda1 dyndbg="file x.c +p gpt_bootcfg=off" quiet' >"$r/proc/cmdline"
run "$r"
is "$(ovr "$r" 0000:00:04.0)" vfio-pci "gpt_bootcfg=off inside another quoted value is no kill switch"

# 14. A control byte in the list is named escaped in the log, never raw.
r=$(mkhost)
printf '0000:00:04.0 1b36:000d\033[2J 1af4:1100 0c0330\n' >"$r/etc/gpt-bootcfg/claim.list"
run "$r" --stderr
is "$rc" 2 "an escape sequence in the list: rejected"
ok "shown as \\x1b on stderr" -- grep -qF "invalid VENDOR:DEVICE '1b36:000d\x1b[2J'" "$TAP_TMP/log"
ok "and in kmsg" -- grep -qF "1b36:000d\x1b[2J" "$r/dev/kmsg"
ok "no raw control byte in either" -- sh -c "! LC_ALL=C grep -q \"\$(printf '\\033')\" '$TAP_TMP/log' '$r/dev/kmsg'"

# 15. A long list is parsed in linear time: 65536 distinct entries (every bus/dev/fn of 8
#     domains is too many; 256 buses x 32 x 8 = 65536) with the last a duplicate of the
#     first must be rejected fast. Quadratic parsing took minutes; this limit is generous.
r=$(mkhost)
awk 'BEGIN { for (b = 0; b < 256; b++) for (d = 0; d < 32; d++) for (f = 0; f < 8; f++)
	printf "0001:%02x:%02x.%d 1b36:000d 1af4:1100 0c0330\n", b, d, f;
	print "0001:00:00.0 1b36:000d 1af4:1100 0c0330" }' >"$r/etc/gpt-bootcfg/claim.list"
start=$(date +%s)
run "$r" --stderr
end=$(date +%s)
is "$rc" 2 "65537-line list with a duplicate: rejected"
ok "duplicate found on the last line" -- grep -qF "claim.list:65537:1: duplicate address 0001:00:00.0 (first on line 1)" "$TAP_TMP/log"
ok "parsed in under 20 s (took $((end - start)) s)" -- test $((end - start)) -lt 20

# 16. reset=METHOD (issue 30): the claim writes reset_method before it binds (the order is
#     seen where the bind's first write fails: the method is written all the same), and a
#     refused write costs the method, never the claim.
rm_of() { cat "$1/sys/devices/pci0000:00/$2/reset_method"; }
r=$(mkhost)
for a in 0000:00:03.0 0000:00:04.0 0000:00:06.0; do echo "flr pm bus" >"$r/sys/devices/pci0000:00/$a/reset_method"; done
# 03.0's driver_override cannot be written (a directory): the bind fails at its first step.
rm "$r/sys/devices/pci0000:00/0000:00:03.0/driver_override"
mkdir "$r/sys/devices/pci0000:00/0000:00:03.0/driver_override"
printf 'generation 2\n%s reset=flr\n%s reset=pm,bus\n%s reset=default\n' "$NVME" "$XHCI" "$DONE" >"$r/etc/gpt-bootcfg/claim.list"
echo "root=/dev/vda1 gpt_bootcfg.generation=2" >"$r/proc/cmdline"
run "$r"
is "$(rm_of "$r" 0000:00:04.0)" "pm bus" "reset=pm,bus: reset_method written space-separated"
is "$(ovr "$r" 0000:00:04.0)" vfio-pci "and the device bound through driver_override"
log="$r/run/gpt-bootcfg/claim.log"
ok "claim log: reset_method written before the override (the acts in order)" -- \
	grep -qE "^0000:00:04.0 failed not claimed \(driver is none\): reset_method pm bus [0-9.]+ ms, override [0-9.]+ ms, probe" "$log"
is "$(rm_of "$r" 0000:00:03.0)" flr "the bind's first write failed, reset_method was already written: it comes first"
ok "claim log: the override failure" -- grep -qF "0000:00:03.0 failed writing driver_override failed" "$log"
is "$(rm_of "$r" 0000:00:06.0)" default "a device already on vfio-pci gets its method too (default)"
ok "claim log: already, with the method" -- grep -qE "^0000:00:06.0 already already on vfio-pci \(reset_method default [0-9.]+ ms\)$" "$log"
ok "kmsg: the method is in the per-device line" -- kmsg_has "$r" "0000:00:04.0: not claimed (driver is none): reset_method pm bus "
# Without a reset_method attribute (kernels before 5.15): logged, the device still claimed.
r=$(mkhost)
printf '%s reset=bus\n%s reset=bus\n' "$XHCI" "$DONE" >"$r/etc/gpt-bootcfg/claim.list"
run "$r"
ok "no reset_method attribute: not created" -- test ! -e "$r/sys/devices/pci0000:00/0000:00:04.0/reset_method"
is "$(ovr "$r" 0000:00:04.0)" vfio-pci "no reset_method attribute: the device is still bound to vfio-pci"
ok "claim log: the failed write, and the claim went on" -- \
	grep -qE "^0000:00:04.0 failed not claimed \(driver is none\): override [0-9.]+ ms, probe [0-9.]+ ms; reset_method 'bus' not set \(No such file or directory\)$" "$r/run/gpt-bootcfg/claim.log"
ok "claim log: already on vfio-pci, the method not set" -- \
	grep -qF "0000:00:06.0 already already on vfio-pci; reset_method 'bus' not set (No such file or directory)" "$r/run/gpt-bootcfg/claim.log"
ok "kmsg: the warning says the device is claimed with the kernel's order" -- \
	kmsg_has "$r" "<4>gpt-bootcfg: 0000:00:04.0: writing reset_method 'bus' failed: No such file or directory; claiming it with the kernel's reset order"
# --dry-run writes no method.
r=$(mkhost)
echo "flr bus" >"$r/sys/devices/pci0000:00/0000:00:04.0/reset_method"
printf '%s reset=bus\n' "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
run "$r" --dry-run
is "$(rm_of "$r" 0000:00:04.0)" "flr bus" "--dry-run: reset_method untouched"
ok "kmsg: would write" -- kmsg_has "$r" "0000:00:04.0: would write reset_method 'bus' (--dry-run)"
# A device skipped (no vfio-pci to bind it to) keeps its reset method.
r=$(mkhost)
rm -r "$r/sys/bus/pci/drivers/vfio-pci"
echo "flr bus" >"$r/sys/devices/pci0000:00/0000:00:04.0/reset_method"
printf '%s reset=bus\n' "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
run "$r"
ok "no vfio-pci: skipped" -- grep -qF "0000:00:04.0 skipped skipped: vfio-pci is not available" "$r/run/gpt-bootcfg/claim.log"
is "$(rm_of "$r" 0000:00:04.0)" "flr bus" "a skipped device's reset_method is left alone"
# A malformed method rejects the whole list: nothing written.
r=$(mkhost)
echo "flr bus" >"$r/sys/devices/pci0000:00/0000:00:04.0/reset_method"
printf '%s\n%s reset=warm\n' "$NVME" "$XHCI" >"$r/etc/gpt-bootcfg/claim.list"
run "$r" --stderr
is "$rc" 2 "unknown reset method: the list is rejected"
is "$(ovr "$r" 0000:00:03.0)$(ovr "$r" 0000:00:04.0)$(rm_of "$r" 0000:00:04.0)" "flr bus" "unknown reset method: nothing written"
ok "the error names line and column" -- grep -qF "claim.list:2:47: invalid reset method: unknown method 'warm'" "$TAP_TMP/log"

done_testing
