#!/bin/sh
# apply --now / revert --now on copies of the guide's server (docs/runtime-claim.md): every
# runtime rule, the bind and its rollback, the record, status, revert --now. The kernel's side
# of the driver files is played by tests/lib/fakesysfs.c (LD_PRELOAD): a write to unbind,
# bind or drivers_probe below the tree changes the driver link as the kernel would.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server
FAKE="$BUILD/asan/fakesysfs.so"
[ -f "$FAKE" ] || { echo "Bail out! $FAKE not built (make asan)"; exit 1; }
# The preloaded library is not the sanitizer's: let ASan start after it.
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"

GPU=0000:65:00.0 AUDIO=0000:65:00.1 USB=0000:b4:00.0 NVME=0000:b3:00.0 NIC=0000:04:00.0

# host [NIC]: a copy with the guide's four devices configured (and the NIC with NIC=yes),
# vfio-pci registered, a boot id.
host() {
	_r=$(fixture_copy guide-server)
	mkdir -p "$_r/etc/gpt-bootcfg" "$_r/sys/bus/pci/drivers/vfio-pci" "$_r/proc/sys/kernel/random"
	: >"$_r/sys/bus/pci/drivers/vfio-pci/bind"; : >"$_r/sys/bus/pci/drivers/vfio-pci/unbind"
	echo 6c1ad3f0-0000-4000-8000-000000000001 >"$_r/proc/sys/kernel/random/boot_id"
	cat >"$_r/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
[device gpu]
address = 0000:65:00.0
[device gpu-audio]
address = 0000:65:00.1
[device usb]
address = 0000:b4:00.0
[device nvme]
address = 0000:b3:00.0
CONF
	if [ "${1:-}" = nic ]; then
		printf '[device nic]\naddress = 0000:04:00.0\n' >>"$_r/etc/gpt-bootcfg/gpt-bootcfg.conf"
	fi
	echo "$_r"
}
now() { # now ROOT ARGS...: the sanitizer build with the fake kernel side; rc, out.txt, err.txt
	_root=$1; shift
	FAKESYSFS_ROOT=$_root LD_PRELOAD=$FAKE "$GPT_BOOTCFG" --root "$_root" "$@" \
		>"$TAP_TMP/out.txt" 2>"$TAP_TMP/err.txt"
	rc=$?
}
drv() { _l=$(readlink "$1/sys/bus/pci/devices/$2/driver") && echo "${_l##*/}" || echo none; }
# The part of apply's output that is ours (after "Applied ..." or "Nothing to do").
table() { sed -n '/^On the running system/,$p' "$TAP_TMP/out.txt"; }
dev_of() { readlink -f "$1/sys/bus/pci/devices/$2"; }
sys_of() { _d=$(dev_of "$1" "$2") && echo "${_d#"$1"}"; } # the host path, as sysfs links it

# 1. Everything idle: all four claimed now, recorded, shown by status; revert --now gives back.
R=$(host)
now "$R" apply --yes --no-trial --now
is "$rc" 0 "apply --now: exit 0"
table >"$TAP_TMP/t"
golden apply/now/all-idle.txt "$TAP_TMP/t"
is "$(drv "$R" $GPU) $(drv "$R" $AUDIO) $(drv "$R" $USB) $(drv "$R" $NVME)" \
	"vfio-pci vfio-pci vfio-pci vfio-pci" "every device on vfio-pci"
ok "the boot configuration was written first" -- test -f "$R/etc/gpt-bootcfg/claim.list"
ok "each claim logged with its steps" -- grep -q "^gpt-bootcfg: 0000:b3:00.0: claimed for vfio-pci (override .* ms, unbind nvme .* ms, probe .* ms)" "$TAP_TMP/err.txt"
golden apply/now/runtime-claims "$R/var/lib/gpt-bootcfg/runtime-claims"
ls "$R/var/lib/gpt-bootcfg" >"$TAP_TMP/ls"
ok "the record was written atomically (no temporary left)" -- sh -c "! grep -q tmp '$TAP_TMP/ls'"
run_gen "$R" status
ok "status: runtime-claimed devices named" -- grep -q "claimed at runtime by apply --now (from nouveau)" "$TAP_TMP/out.txt"
run_gen "$R" status --json
ok "status --json: claimed_at_runtime" -- python3 -c '
import json, sys
d = {x["address"]: x for x in json.load(open(sys.argv[1]))["devices"]}
assert all(d[a]["claimed_at_runtime"] for a in sys.argv[2:]), d' "$TAP_TMP/out.txt" $GPU $AUDIO $USB $NVME

# Again: nothing to write, every device already there.
now "$R" apply --yes --now
is "$rc" 0 "apply --now again: exit 0"
ok "nothing to write" -- grep -q "^Nothing to do" "$TAP_TMP/out.txt"
is "$(table | grep -c 'already on vfio-pci')" 4 "each device already on vfio-pci"

now "$R" revert --now --dry-run
is "$rc" 0 "revert --now --dry-run: exit 0"
ok "dry run names the drivers" -- grep -q "^Would give 0000:b3:00.0 back to nvme.$" "$TAP_TMP/out.txt"
is "$(drv "$R" $NVME)" vfio-pci "... and changes nothing"

now "$R" revert --now
is "$rc" 0 "revert --now: exit 0"
grep '^Gave' "$TAP_TMP/out.txt" >"$TAP_TMP/t"
golden revert/now-gave-back.txt "$TAP_TMP/t"
is "$(drv "$R" $GPU) $(drv "$R" $AUDIO) $(drv "$R" $USB) $(drv "$R" $NVME)" \
	"nouveau snd_hda_intel xhci_hcd nvme" "every device back on its host driver"
is "$(cat "$R/sys/devices/pci0000:b2/0000:b2:00.0/0000:b3:00.0/driver_override")" "" "driver_override cleared"
ok "record removed" -- test ! -e "$R/var/lib/gpt-bootcfg/runtime-claims"
ok "boot configuration removed too" -- test ! -e "$R/etc/gpt-bootcfg/claim.list"

# 2. Each runtime rule (a fresh host each): the reason, the device untouched, the others go.
# rule NAME ADDRESS WANT_DRIVER SETUP [nic] [--allow REASON]: SETUP is run with $R set.
# The plan refuses a controller of a disk in use and the default route's NIC (root-disk,
# host-nic); with that overridden for the boot, the runtime rule still keeps it now.
rule() {
	R=$(host ${5:-})
	eval "$4"
	now "$R" apply --yes --no-trial --now ${6:-}
	is "$rc" 0 "$1: exit 0 (the next boot claims it)"
	table >"$TAP_TMP/t"
	golden "apply/now/$1.txt" "$TAP_TMP/t"
	is "$(drv "$R" "$2")" "$3" "$1: $2 stays on $3"
	ok "$1: not recorded" -- sh -c "! grep -q '^$2 ' '$R/var/lib/gpt-bootcfg/runtime-claims'"
}
rule mounted $NVME nvme \
	'echo "90 28 259:5 / /data rw,relatime shared:40 - ext4 /dev/nvme1n1p1 rw" >>"$R/proc/self/mountinfo"' '' '--allow root-disk'
rule swap $NVME nvme \
	'echo "/dev/nvme1n1p2                          partition	1048572	0	-3" >>"$R/proc/swaps"' '' '--allow root-disk'
rule held $NVME nvme \
	'mkdir -p "$(dev_of "$R" $NVME)/nvme/nvme1/nvme1n1/nvme1n1p4/holders/dm-0"; sed -i s/ID_FS_TYPE=ntfs/ID_FS_TYPE=LVM2_member/ "$R/run/udev/data/b259:8"' '' '--allow root-disk'
rule open $NVME nvme \
	'mkdir -p "$R/proc/4242/fd" && echo fio >"$R/proc/4242/comm" && ln -s /dev/nvme1n1 "$R/proc/4242/fd/3"'
# A USB stick on the controller, mounted: the storage rule holds for a USB controller too.
rule usb-storage $USB xhci_hcd \
	'b="$(sys_of "$R" $USB)/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sda"; mkdir -p "$R$b/sda1";
	 echo 8:0 >"$R$b/dev"; echo 8:1 >"$R$b/sda1/dev"; echo 1 >"$R$b/sda1/partition"; echo 0 >"$R$b/removable";
	 ln -s "../..$b" "$R/sys/block/sda"; ln -s "../../..$b" "$R/sys/class/block/sda"; ln -s "../../..$b/sda1" "$R/sys/class/block/sda1";
	 echo "91 28 8:1 / /media/stick rw,relatime shared:41 - vfat /dev/sda1 rw" >>"$R/proc/self/mountinfo"' '' '--allow root-disk'
rule keyboard $USB xhci_hcd \
	'k="$(dev_of "$R" $USB)/usb1/1-2/1-2:1.0/0003:046D:C31C.0001/input/input7"; mkdir -p "$k/capabilities";
	 echo "Logitech USB Keyboard" >"$k/name"; echo "1000000000007 ff9f207ac14057ff febeffdfffefffff fffffffffffffffe" >"$k/capabilities/key";
	 mkdir -p "$k/event7" "$R/proc/612/fd" && echo 13:71 >"$k/event7/dev" && echo Xorg >"$R/proc/612/comm" && ln -s /dev/input/event7 "$R/proc/612/fd/30"'
rule console $USB xhci_hcd \
	't="$(dev_of "$R" $USB)/usb1/1-3/1-3:1.0/ttyUSB0/tty/ttyUSB0"; mkdir -p "$t" "$R/sys/class/tty/console";
	 echo 188:0 >"$t/dev"; echo "tty0 ttyUSB0" >"$R/sys/class/tty/console/active"'
rule default-route $NIC igb '' nic '--allow host-nic'
rule nic-up $NIC igb 'sed -i "/^enp4s0/d" "$R/proc/net/route"' nic
rule drm-client $GPU nouveau \
	'mkdir -p "$(dev_of "$R" $GPU)/drm/card0" "$R/proc/777/fd" && echo 226:0 >"$(dev_of "$R" $GPU)/drm/card0/dev" &&
	 echo Xorg >"$R/proc/777/comm" && ln -s /dev/dri/card0 "$R/proc/777/fd/12"'
is "$(drv "$R" $AUDIO)" snd_hda_intel "drm-client: the GPU's audio function waits with it (same IOMMU group)"
rule fbcon $GPU nouveau \
	'mkdir -p "$R/sys/class/graphics/fb0" "$R/sys/class/vtconsole/vtcon1" &&
	 ln -s "$(sys_of "$R" $GPU)" "$R/sys/class/graphics/fb0/device" &&
	 echo "(M) frame buffer device" >"$R/sys/class/vtconsole/vtcon1/name" && echo 1 >"$R/sys/class/vtconsole/vtcon1/bind"'
# The keyboard check is a real one: a mouse on the same controller does not stop it.
R=$(host)
k="$(dev_of "$R" $USB)/usb1/1-2/1-2:1.0/input/input8"; mkdir -p "$k/capabilities"
echo "USB Optical Mouse" >"$k/name"; echo "1f0000 0 0 0 0" >"$k/capabilities/key"
now "$R" apply --yes --no-trial --now
is "$(drv "$R" $USB)" vfio-pci "a mouse is not a keyboard: the controller is claimed"
# An fbcon elsewhere (another card's fb0) does not hold this GPU.
R=$(host)
mkdir -p "$R/sys/class/graphics/fb0" "$R/sys/class/vtconsole/vtcon1"
ln -s "$(sys_of "$R" 0000:03:01.0)" "$R/sys/class/graphics/fb0/device"
echo "(M) frame buffer device" >"$R/sys/class/vtconsole/vtcon1/name"; echo 1 >"$R/sys/class/vtconsole/vtcon1/bind"
now "$R" apply --yes --no-trial --now
is "$(drv "$R" $GPU)" vfio-pci "the framebuffer console on another card: the GPU is claimed"

# 3. A failed bind is rolled back to the host driver, and the run says so (exit 1).
R=$(host)
mkdir -p "$R/.fakesysfs" && : >"$R/.fakesysfs/fail-$NVME-vfio-pci"
now "$R" apply --yes --no-trial --now
is "$rc" 1 "bind failure: exit 1"
table >"$TAP_TMP/t"
golden apply/now/bind-failed.txt "$TAP_TMP/t"
is "$(drv "$R" $NVME)" nvme "rolled back: on nvme again"
is "$(cat "$(dev_of "$R" $NVME)/driver_override")" "" "rolled back: driver_override cleared"
ok "rollback logged" -- grep -q "0000:b3:00.0: vfio-pci did not bind (driver none after it); rolled back to nvme" "$TAP_TMP/err.txt"

# 4. vfio-pci not registered: nothing is unbound, and no module is loaded under --root.
R=$(host)
rm -r "$R/sys/bus/pci/drivers/vfio-pci"
now "$R" apply --yes --no-trial --now
is "$rc" 0 "no vfio-pci: exit 0"
is "$(drv "$R" $GPU) $(drv "$R" $NVME)" "nouveau nvme" "no vfio-pci: nothing moved"
ok "no vfio-pci: said" -- grep -q "refused now .*vfio-pci is not registered (no module is loaded under --root)" "$TAP_TMP/out.txt"

# 5. --json: the now object.
R=$(host)
echo "90 28 259:5 / /data rw,relatime shared:40 - ext4 /dev/nvme1n1p1 rw" >>"$R/proc/self/mountinfo"
now "$R" apply --yes --no-trial --now --json --allow root-disk
is "$rc" 0 "apply --now --json: exit 0"
python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["now"], indent=2))' \
	"$TAP_TMP/out.txt" >"$TAP_TMP/j"
golden apply/now/json.txt "$TAP_TMP/j"

# 6. The record belongs to its boot: after a reboot nothing is runtime-claimed.
R=$(host)
now "$R" apply --yes --no-trial --now
echo 6c1ad3f0-0000-4000-8000-000000000002 >"$R/proc/sys/kernel/random/boot_id"
run_gen "$R" status
ok "another boot: status names no runtime claim" -- sh -c "! grep -q 'claimed at runtime' '$TAP_TMP/out.txt'"
now "$R" revert --now --no-rebuild
is "$rc" 0 "another boot: revert --now exit 0"
ok "another boot: nothing to give back" -- grep -q "^No device was claimed by apply --now in this boot" "$TAP_TMP/out.txt"
is "$(drv "$R" $NVME)" vfio-pci "another boot: the device is left alone"

# 7. A running VM holds a device's VFIO group: revert --now keeps it and says why (exit 1).
R=$(host)
now "$R" apply --yes --no-trial --now
mkdir -p "$R/proc/999/fd" && echo qemu-system-x86 >"$R/proc/999/comm" && ln -s /dev/vfio/89 "$R/proc/999/fd/20"
now "$R" revert --now --no-rebuild
is "$rc" 1 "VFIO group held: exit 1"
ok "VFIO group held: named" -- grep -q "0000:b3:00.0 stays on vfio-pci: /dev/vfio/89 is open by qemu-system-x86 (pid 999) (stop the VM first)" "$TAP_TMP/err.txt"
is "$(drv "$R" $NVME) $(drv "$R" $USB)" "vfio-pci xhci_hcd" "VFIO group held: that device stays, the others go back"
is "$(sed -n 's/^\(0000[^ ]*\) .*/\1/p' "$R/var/lib/gpt-bootcfg/runtime-claims")" $NVME "VFIO group held: the record keeps it"

# 8. A plain revert leaves the runtime claims alone and says how to give them back.
R=$(host)
now "$R" apply --yes --no-trial --now
now "$R" revert --no-rebuild
is "$rc" 0 "plain revert: exit 0"
ok "plain revert: points to revert --now" -- grep -q "4 devices claimed by 'apply --now' stay on vfio-pci until the next boot; 'gpt-bootcfg revert --now' gives them back now." "$TAP_TMP/err.txt"
is "$(drv "$R" $NVME)" vfio-pci "plain revert: the device stays"

# 9. The record cannot be written (fault injection at its first write step): it is written
# before the bind (issue 30, item 7), so the device is not moved, and the run says so
# with exit 2.
R=$(host)
run_gen "$R" apply --yes --no-trial
cp -a "$R" "$TAP_TMP/count"
export GPT_BOOTCFG_FAULT_LOG="$TAP_TMP/faults"
now "$TAP_TMP/count" apply --yes --now
unset GPT_BOOTCFG_FAULT_LOG
n=$(grep -m1 'runtime-claims' "$TAP_TMP/faults" | cut -d' ' -f1)
ok "the record's write steps are fault points" -- test -n "$n"
export GPT_BOOTCFG_FAULT_AT="$n"
now "$R" apply --yes --now
unset GPT_BOOTCFG_FAULT_AT
is "$rc" 2 "record write failed: exit 2"
ok "record write failed: said, naming the device" -- grep -q "Failed to write '/var/lib/gpt-bootcfg/runtime-claims' before claiming 0000:65:00.0" "$TAP_TMP/err.txt"
is "$(drv "$R" $GPU)" nouveau "record write failed: the device is not moved (recorded first, issue 30 #7)"
ok "record write failed: the others are not tried, and the table says so" -- \
	grep -q "^  refused now         0000:b4:00.0 \[device usb\]: not tried: the record of runtime claims cannot be written$" "$TAP_TMP/out.txt"
is "$(drv "$R" $USB)" xhci_hcd "record write failed: the next device untouched"

done_testing
