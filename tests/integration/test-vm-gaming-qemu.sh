#!/bin/sh
# The gaming keys with the real qemu-system-x86_64 under TCG (issue 15, items 1-3), started
# by vm run on a copy of the guide's server fixture:
#  - looking-glass: the shared-memory file vm run creates below the root (owner, mode,
#    size), the ivshmem-plain device and its 32 MiB BAR over QMP (query-pci, qom-get), the
#    file kept, contents and all, across a VM restart, and vm status showing it;
#  - usb-devices: usb-host devices by id on QEMU's xHCI controller (qom-get), one of them
#    "plugged in" (a fixture /sys/bus/usb/devices entry) and one not: QEMU starts with
#    both, vm run warns about the absent one only;
#  - looking-glass: a second VM (of another configuration file, so the configuration check
#    cannot see both) refused while g1 holds /dev/shm/looking-glass, also once g1's runner
#    is killed and only its QEMU holds it;
#  - QEMU as an unprivileged user (nobody): it maps its own memory file (looking-glass-file)
#    through the file's group,
#    and the /dev/bus/usb node of the device plugged in is handed to it and back;
#  - input: QEMU takes the input-linux properties as vm run writes them (a plain file as
#    the node: QEMU gets as far as "not an evdev device"), on any machine;
# A real evdev keyboard is not made here: a uinput device on the test machine would be an
# input device of the machine itself. The input-linux object on a uinput keyboard is proven
# inside a QEMU guest (tests/boot/check-boot.sh, scenario "input").
# Nothing outside the fixture copy and a private mount namespace is changed.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
need_tools qemu-system-x86_64 python3 jq unshare

CONF=/etc/gpt-bootcfg/gpt-bootcfg.conf
r=$(fixture_copy $fx)
ncpu=$(nproc)
set_cpus "$r" "0-$((ncpu - 1))"
mkdir -p "$r/etc/gpt-bootcfg" "$r/dev/shm" "$r/dev/input/by-id"
chmod 1777 "$r/dev/shm"
# The Looking Glass client's user.
echo 'lgtest:x:4242:4242:Looking Glass client:/nonexistent:/usr/sbin/nologin' >"$r/etc/passwd"
# One USB device plugged in: the Logitech receiver, bus 1 device 2.
u=$r/sys/bus/usb/devices/1-2
mkdir -p "$u" "$r/sys/bus/usb/devices/1-2:1.0"
echo 046d >"$u/idVendor"; echo c52b >"$u/idProduct"; echo 1 >"$u/busnum"; echo 2 >"$u/devnum"
# g4's own device (one USB id has one owner: its udev rule names one QEMU user).
u4=$r/sys/bus/usb/devices/1-3
mkdir -p "$u4" "$u4:1.0"
echo 1d6b >"$u4/idVendor"; echo 0104 >"$u4/idProduct"; echo 1 >"$u4/busnum"; echo 3 >"$u4/devnum"

cat >"$r$CONF" <<'CONFEOF'
[vm g1]
memory = 128M
hugepage-size = none
vcpus = 1
firmware = bios
stop-timeout = 2
looking-glass = auto
looking-glass-user = lgtest
usb-devices = 046d:c52b 1532:0084

[vm g2]
memory = 128M
hugepage-size = none
vcpus = 1
firmware = bios
stop-timeout = 2
input = /dev/input/by-id/gpt-bootcfg-test-event-kbd
input-grab-toggle = scrolllock

[vm g4]
memory = 128M
hugepage-size = none
vcpus = 1
firmware = bios
stop-timeout = 2
user = nobody
looking-glass = 32M
looking-glass-user = lgtest
looking-glass-file = lg-g4
usb-devices = 1d6b:0104

[vm g3]
memory = 128M
hugepage-size = none
vcpus = 1
firmware = bios
input = /dev/input/by-id/gpt-bootcfg-plain-event-kbd /dev/input/by-id/gpt-bootcfg-plain-event-mouse
input-grab-toggle = ctrl-scrolllock
CONFEOF
chmod 0644 "$r$CONF"

shm=$(mktemp -d /dev/shm/gpt-bootcfg-test.XXXXXX)
export GPT_BOOTCFG_TEST_ACCEL=tcg GPT_BOOTCFG_TEST_MEM_PATH="$shm"

write_notify_py "$TAP_TMP/notify.py"
write_qmp_args_py "$TAP_TMP/qmp.py"

# start_vm NAME [WRAPPER...]: vm run in the background (under WRAPPER), wait for READY=1.
start_vm() {
	_name=$1; shift
	rm -f "$TAP_TMP/notify" "$TAP_TMP/notify.bound" "$TAP_TMP/ready"
	python3 "$TAP_TMP/notify.py" "$TAP_TMP/notify" "$TAP_TMP/ready" 240 &
	notify_pid=$!
	for _i in $(seq 50); do [ -e "$TAP_TMP/notify.bound" ] && break; sleep 0.1; done
	NOTIFY_SOCKET=$TAP_TMP/notify timeout 400 "$@" "$GPT_BOOTCFG" --root "$r" vm run "$_name" \
		>"$TAP_TMP/run-$_name.out" 2>&1 &
	run_pid=$!
	# A vm run that fails before READY ends the wait at once, not after the listener's 240 s.
	while kill -0 $notify_pid 2>/dev/null && kill -0 $run_pid 2>/dev/null; do sleep 0.1; done
	kill $notify_pid 2>/dev/null
	wait $notify_pid
}
stop_vm() { # NAME
	"$GPT_BOOTCFG" --root "$r" vm stop "$1" >"$TAP_TMP/stop.out" 2>&1
	is "$?" 0 "$1: vm stop exits 0"
	wait $run_pid
	is "$?" 0 "$1: vm run exits 0 when QEMU quits"
}
qmp() { # NAME COMMAND...
	_n=$1; shift
	python3 "$TAP_TMP/qmp.py" "$r/run/gpt-bootcfg/$_n.qmp" "$@"
}

cleanup() {
	for p in "$r"/run/gpt-bootcfg/*.pid; do
		[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$shm"
}
trap cleanup EXIT

# ---- g1: Looking Glass and USB devices by id ----
lg=$r/dev/shm/looking-glass
start_vm g1
is "$(head -n1 "$TAP_TMP/ready")" "READY=1" "g1: READY=1 sent"
sed 's/^/# vm run: /' "$TAP_TMP/run-g1.out" | grep -v Pinned
is "$(stat -c '%u %a %s' "$lg")" "4242 660 33554432" \
	"g1: vm run created /dev/shm/looking-glass: lgtest's, 0660, 32 MiB (auto, 1920x1080)"
is "$(stat -c %g "$lg")" 0 "g1: group of QEMU's user (root here)"
ok "g1: no temporary file left in /dev/shm" -- sh -c "! ls -A '$r/dev/shm' | grep -v '^looking-glass\$'"
is "$(grep -c 'usb-devices:' "$TAP_TMP/run-g1.out")" 1 "g1: one USB warning"
ok "g1: vm run names the absent USB device and where it is configured" -- grep -qF \
	"usb-devices: 1532:0084 ($CONF:9:25) is not plugged in now; QEMU attaches it when it is" "$TAP_TMP/run-g1.out"

qmp g1 query-pci \
	'qom-get {"path": "/objects/looking-glass", "property": "size"}' \
	'qom-get {"path": "/objects/looking-glass", "property": "share"}' \
	'qom-get {"path": "/objects/looking-glass", "property": "mem-path"}' \
	'qom-get {"path": "/machine/peripheral/usbhost0", "property": "vendorid"}' \
	'qom-get {"path": "/machine/peripheral/usbhost0", "property": "productid"}' \
	'qom-get {"path": "/machine/peripheral/usbhost1", "property": "vendorid"}' \
	'qom-get {"path": "/machine/peripheral/usbhost1", "property": "productid"}' \
	>"$TAP_TMP/q.json" 2>"$TAP_TMP/q.err"
ok "g1: QMP answered" -- jq -e '.[0].return' "$TAP_TMP/q.json"
sed 's/^/# /' "$TAP_TMP/q.err"
jq '[.[0].return[] | .devices[]]' "$TAP_TMP/q.json" >"$TAP_TMP/pci.json"
# 1af4:1110 is ivshmem; BAR 2 is the shared memory.
is "$(jq -r '.[] | select(.qdev_id == "looking-glass0") | "\(.id.vendor):\(.id.device)"' "$TAP_TMP/pci.json")" \
	"6900:4368" "g1: the ivshmem device (1af4:1110) is on the PCI bus"
is "$(jq -r '.[] | select(.qdev_id == "looking-glass0") | .regions[] | select(.bar == 2) | .size' "$TAP_TMP/pci.json")" \
	33554432 "g1: its BAR 2 is the 32 MiB of shared memory"
is "$(jq -r '[.[1], .[2], .[3]] | map(.return | tostring) | join(" ")' "$TAP_TMP/q.json")" \
	"33554432 true $r/dev/shm/looking-glass" "g1: memory backend: 32 MiB, shared, the file below the root"
is "$(jq -r '.[] | select(.qdev_id == "usb") | .class_info.class' "$TAP_TMP/pci.json")" 3075 \
	"g1: a qemu-xhci controller of its own (class 0c03)"
is "$(jq -r '[.[4], .[5], .[6], .[7]] | map(.return | tostring) | join(" ")' "$TAP_TMP/q.json")" \
	"1133 50475 5426 132" "g1: usb-host 046d:c52b and 1532:0084 (present or not, QEMU started)"

"$GPT_BOOTCFG" --root "$r" vm status g1 >"$TAP_TMP/status.txt" 2>&1
ok "g1: vm status shows the Looking Glass memory" -- grep -qxF \
	"  looking-glass: /dev/shm/looking-glass 32 MiB, owner lgtest (uid 4242), gid 0, mode 0660" "$TAP_TMP/status.txt"
"$GPT_BOOTCFG" --root "$r" vm status g1 --json >"$TAP_TMP/status.json" 2>&1
is "$(jq -r '.looking_glass | [.path, .size, .uid, .mode, .owner_ok] | map(tostring) | join(" ")' "$TAP_TMP/status.json")" \
	"/dev/shm/looking-glass 33554432 4242 0660 true" "g1: vm status --json"

# Another VM on the same file, from a second configuration file: refused, nothing started.
cat >"$r/etc/gpt-bootcfg/other.conf" <<'CONFEOF'
[vm g5]
memory = 128M
hugepage-size = none
vcpus = 1
firmware = bios
looking-glass = 64M
looking-glass-user = lgtest
CONFEOF
chmod 0644 "$r/etc/gpt-bootcfg/other.conf"
lglock=$r/run/gpt-bootcfg/looking-glass@shm-looking-glass.lock
g1_runner=$(cat "$lglock")
ok "g1: the memory's lock names its vm run" -- grep -qx "gpt-bootcfg" "/proc/$g1_runner/comm"
second_refused() { # DESCRIPTION
	"$GPT_BOOTCFG" --root "$r" --config /etc/gpt-bootcfg/other.conf vm run g5 \
		>"$TAP_TMP/run-g5.out" 2>"$TAP_TMP/err-g5"
	is "$?" 2 "$1: vm run g5 exits 2"
	is "$(cat "$TAP_TMP/err-g5")" "gpt-bootcfg: /etc/gpt-bootcfg/other.conf:6:17: looking-glass: /dev/shm/looking-glass is in use by another running VM (vm run pid $g1_runner): VM 'g5' would overwrite its frames; give each VM its own looking-glass-file" \
		"$1: one line naming the file, the holder and the fix"
	ok "$1: no QEMU started for g5" -- test ! -e "$r/run/gpt-bootcfg/g5.pid"
	is "$(stat -c %s "$lg")" 33554432 "$1: g1's memory keeps its size"
}
second_refused "g5 on g1's memory"

# What the client would see survives a VM restart: contents, inode.
printf 'frame-from-before' | dd of="$lg" conv=notrunc status=none
ino=$(stat -c %i "$lg")
stop_vm g1
ok "g1: the file stays when the VM stops" -- test -f "$lg"
"$GPT_BOOTCFG" --root "$r" vm status g1 >"$TAP_TMP/status.txt" 2>&1
ok "g1: vm status shows it while the VM is stopped" -- grep -qF "looking-glass: /dev/shm/looking-glass 32 MiB" "$TAP_TMP/status.txt"
start_vm g1
is "$(head -n1 "$TAP_TMP/ready")" "READY=1" "g1 again: READY=1 sent"
is "$(stat -c %i "$lg")" "$ino" "g1 again: the same file (inode)"
is "$(head -c 17 "$lg")" "frame-from-before" "g1 again: its contents kept"
# The runner killed: its QEMU still holds the memory's lock.
g1_runner=$(cat "$lglock")
kill -KILL "$g1_runner"
wait $run_pid
second_refused "g1's runner killed, its QEMU running"
stop_vm_killed() { # NAME: vm stop after the runner was killed
	"$GPT_BOOTCFG" --root "$r" vm stop "$1" >"$TAP_TMP/stop.out" 2>&1
	is "$?" 0 "$1: vm stop exits 0"
}

# ---- g4 (g1 still running): QEMU as nobody: it maps its own Looking Glass memory through
# its group, and the
# node of the USB device plugged in at the start is handed to it while it runs ----
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nlgtest:x:4242:4242::/nonexistent:/usr/sbin/nologin\n' >"$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
chmod 0711 "$TAP_TMP" "$r" "$shm"
mkdir -p "$r/dev/bus/usb/001"
mknod "$r/dev/bus/usb/001/003" c 189 2; chmod 0664 "$r/dev/bus/usb/001/003"
start_vm g4
is "$(head -n1 "$TAP_TMP/ready")" "READY=1" "g4 (QEMU as nobody): READY=1 sent"
sed 's/^/# vm run: /' "$TAP_TMP/run-g4.out" | grep -v Pinned
qpid=$(cat "$r/run/gpt-bootcfg/g4.pid")
is "$(awk '/^Uid:/ {print $2}' "/proc/$qpid/status")" 65534 "g4: QEMU runs as nobody"
lg4=$r/dev/shm/lg-g4
is "$(stat -c '%u:%g:%a:%s' "$lg4")" "4242:65534:660:33554432" \
	"g4: its own memory (looking-glass-file = lg-g4): lgtest's, in nobody's group, 32 MiB"
ok "g4: QEMU has it mapped" -- grep -qF "$lg4" "/proc/$qpid/maps"
ok "g4: and not g1's" -- sh -c "! grep -qF '$lg' /proc/$qpid/maps"
ok "g4: started while g1's QEMU holds /dev/shm/looking-glass" -- kill -0 "$(cat "$r/run/gpt-bootcfg/g1.pid")"
is "$(stat -c '%u:%g' "$r/dev/bus/usb/001/003")" "65534:65534" "g4: the present USB device's node is nobody's while QEMU runs"
stop_vm g4
is "$(stat -c '%u:%g:%a' "$r/dev/bus/usb/001/003")" "0:0:664" "g4: and root's again after"
is "$(stat -c '%u:%g:%a' "$lg4")" "4242:65534:660" "g4: the memory stays as it was"
stop_vm_killed g1

# ---- g3: QEMU takes the input-linux options as vm run writes them (any machine) ----
# The node is an evdev node (13:1023, the last input minor) that no device backs, so QEMU
# stops at opening it: after it parsed the object's properties (grab_all, repeat,
# grab-toggle), which it would refuse first. (A plain file is refused by vm run itself,
# test-vm-handover.sh.)
mknod "$r/dev/input/event-plain" c 13 1023
ln -s ../event-plain "$r/dev/input/by-id/gpt-bootcfg-plain-event-kbd"
ln -s ../event-plain "$r/dev/input/by-id/gpt-bootcfg-plain-event-mouse"
timeout 300 "$GPT_BOOTCFG" --root "$r" vm run g3 >"$TAP_TMP/run-g3.out" 2>&1
is "$?" 2 "g3: vm run exits 2 when QEMU refuses the device"
ok "g3: QEMU tried to open the by-id path" -- grep -qF \
	"$r/dev/input/by-id/gpt-bootcfg-plain-event-kbd" "$TAP_TMP/run-g3.out"
ok "g3: no property refused" -- sh -c "! grep -q 'does not accept\\|not found\\|Invalid parameter' '$TAP_TMP/run-g3.out'"
p3=$r/run/gpt-bootcfg/g3.pid
ok "g3: no QEMU left" -- sh -c "test ! -s '$p3' || ! kill -0 \$(cat '$p3') 2>/dev/null"

done_testing
