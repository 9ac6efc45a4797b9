#!/bin/sh
# Control bytes from a disk, a device or a process never reach the terminal (issue 30,
# item 4): a filesystem label (the guest's disk content) with an OSC title and a screen
# clear in list and plan; a process name (/proc/PID/comm) and a keyboard's product name in
# apply --now's reasons. Each is shown escaped (\xHH, strbuf_put_escaped()), stdout and
# stderr hold no ESC or BEL byte.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
need_fixture guide-server
FAKE="$BUILD/asan/fakesysfs.so"
[ -f "$FAKE" ] || { echo "Bail out! $FAKE not built (make asan)"; exit 1; }
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
ESC=$(printf '\033') BEL=$(printf '\007')
raw_free() { ! grep -q "[$ESC$BEL]" "$TAP_TMP/out.txt" "$TAP_TMP/err.txt"; }

# A label: list and plan (the NVMe controller given to the VM holds it).
R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg"
guide_conf no | write_conf "$R"
sed -i "s/^E:ID_FS_LABEL=Windows\$/E:ID_FS_LABEL=W$ESC]0;PWN$BEL$ESC[2Jx/" "$R/run/udev/data/b259:7"
ok "the fixture holds the raw label" -- grep -q "$ESC" "$R/run/udev/data/b259:7"
for verb in list plan; do
	run_gen "$R" $verb
	ok "$verb: no ESC or BEL byte in its output" -- raw_free
	ok "$verb: the label is shown escaped" -- grep -qF 'W\x1b]0;PWN\x07\x1b[2Jx' "$TAP_TMP/out.txt"
done

# A process name and a keyboard's name: apply --now (the fake kernel side of test-apply-now.sh).
R=$(fixture_copy guide-server)
mkdir -p "$R/etc/gpt-bootcfg" "$R/sys/bus/pci/drivers/vfio-pci" "$R/proc/sys/kernel/random"
: >"$R/sys/bus/pci/drivers/vfio-pci/bind"; : >"$R/sys/bus/pci/drivers/vfio-pci/unbind"
echo 6c1ad3f0-0000-4000-8000-000000000001 >"$R/proc/sys/kernel/random/boot_id"
printf '[device usb]\naddress = 0000:b4:00.0\n[device nvme]\naddress = 0000:b3:00.0\n' \
	>"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
chmod 0644 "$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
mkdir -p "$R/proc/4242/fd"
printf 'f%s[2Jio\n' "$ESC" >"$R/proc/4242/comm"
ln -s /dev/nvme1n1 "$R/proc/4242/fd/3"
k="$(readlink -f "$R/sys/bus/pci/devices/0000:b4:00.0")/usb1/1-2/1-2:1.0/0003:046D:C31C.0001/input/input7"
mkdir -p "$k/capabilities" "$k/event7" "$R/proc/612/fd"
printf 'Evil%s]0;PWN%sKbd\n' "$ESC" "$BEL" >"$k/name"
echo "1000000000007 ff9f207ac14057ff febeffdfffefffff fffffffffffffffe" >"$k/capabilities/key"
echo 13:71 >"$k/event7/dev"; echo Xorg >"$R/proc/612/comm"
ln -s /dev/input/event7 "$R/proc/612/fd/30"
rc=0
FAKESYSFS_ROOT=$R LD_PRELOAD=$FAKE "$GPT_BOOTCFG" --root "$R" apply --yes --no-trial --now \
	>"$TAP_TMP/out.txt" 2>"$TAP_TMP/err.txt" || rc=$?
is "$rc" 0 "apply --now: exit 0"
ok "apply --now: no ESC or BEL byte in its output" -- raw_free
ok "apply --now: the process name is shown escaped" -- grep -qF 'f\x1b[2Jio (pid 4242)' "$TAP_TMP/out.txt"
ok "apply --now: the keyboard's name is shown escaped" -- grep -qF 'Evil\x1b]0;PWN\x07Kbd' "$TAP_TMP/out.txt"
done_testing
