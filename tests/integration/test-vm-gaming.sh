#!/bin/sh
# The gaming keys of [vm] (issue 15, items 1-3) on the guide's server fixture: the QEMU
# arguments of looking-glass, input and usb-devices (golden vm command outputs, one per
# key), and bad values: one error line with FILE:LINE:COL, exit 2, QEMU never started.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx
command -v jq >/dev/null || { ok "jq is installed (tests/deps.txt)" -- false; done_testing; exit; }

KBD=/dev/input/by-id/usb-Logitech_USB_Receiver-event-kbd
MOUSE=/dev/input/by-id/usb-Razer_Razer_DeathAdder_V2-event-mouse
CONF=/etc/gpt-bootcfg/gpt-bootcfg.conf

make_root() {
	_r=$(fixture_copy $fx)
	set_cpus "$_r" 0-35
	mkdir -p "$_r/data/img" "$_r/usr/share/OVMF" "$_r/etc/gpt-bootcfg" "$_r/var/lib/gpt-bootcfg/win10"
	: >"$_r/data/img/win10.img"
	: >"$_r/usr/share/OVMF/OVMF_CODE_4M.fd"
	: >"$_r/usr/share/OVMF/OVMF_VARS_4M.fd"
	echo pc-q35-7.2 >"$_r/var/lib/gpt-bootcfg/win10/machine"
	echo 6a1c2f0e-58d4-4b8e-9c1d-3f2a7b9e0d15 >"$_r/var/lib/gpt-bootcfg/win10/uuid"
	echo "$_r"
}

# write_config ROOT [EXTRA-VM-LINES...]: a gaming VM (line 14 is the first extra line).
write_config() {
	_r=$1; shift
	{
		cat <<-'CONF'
		[device gpu]
		address = 0000:65:00.0

		[device gpu-audio]
		address = 0000:65:00.1

		[vm win10]
		memory = 8G
		vcpus = 4
		vcpu-pins = 14-17
		hyperv = yes
		devices = gpu gpu-audio
		disk = /data/img/win10.img
		CONF
		for _l in "$@"; do echo "$_l"; done
	} >"$_r$CONF"
	chmod 0644 "$_r$CONF"
}

# gold NAME EXTRA-LINES...: vm command's argv of the VM with these lines (golden), and
# the JSON form for checks on single arguments.
gold() {
	_name=$1; shift
	r=$(make_root)
	write_config "$r" "$@"
	"$GPT_BOOTCFG" --root "$r" vm command win10 >"$TAP_TMP/$_name.txt" 2>"$TAP_TMP/err"
	is "$?" 0 "$_name: vm command exits 0"
	is "$(cat "$TAP_TMP/err")" "" "$_name: nothing on stderr"
	golden "vm/gaming-$_name.txt" "$TAP_TMP/$_name.txt"
	"$GPT_BOOTCFG" --root "$r" vm command --json win10 >"$TAP_TMP/cmd.json"
}
has_arg() { jq -e --arg a "$1" '.argv | index($a) != null' "$TAP_TMP/cmd.json" >/dev/null; }
count_args() { jq --arg p "$1" '[.argv[] | select(startswith($p))] | length' "$TAP_TMP/cmd.json"; }

# ---- looking-glass ----
gold looking-glass-auto "looking-glass = auto" "looking-glass-user = alice"
ok "auto: 1920x1080 by default -> 32 MiB in /dev/shm/looking-glass" -- \
	has_arg "memory-backend-file,id=looking-glass,share=on,mem-path=/dev/shm/looking-glass,size=32M"
ok "auto: ivshmem-plain on that memory" -- has_arg "ivshmem-plain,id=looking-glass0,memdev=looking-glass"

gold looking-glass-4k "looking-glass = auto" "looking-glass-user = alice" "resolution = 3840x2160"
# 3840 x 2160 x 4 x 2 = 66355200 bytes (63.3 MiB) + 10 MiB -> 128 MiB
ok "auto at 3840x2160 -> 128 MiB" -- \
	has_arg "memory-backend-file,id=looking-glass,share=on,mem-path=/dev/shm/looking-glass,size=128M"
# 2560 x 1440 x 8 = 29491200 bytes (28.1 MiB) + 10 MiB -> 64 MiB
r=$(make_root)
write_config "$r" "looking-glass = auto" "looking-glass-user = alice" "resolution = 2560x1440"
"$GPT_BOOTCFG" --root "$r" vm command --json win10 >"$TAP_TMP/cmd.json"
ok "auto at 2560x1440 -> 64 MiB" -- \
	has_arg "memory-backend-file,id=looking-glass,share=on,mem-path=/dev/shm/looking-glass,size=64M"
r=$(make_root)
write_config "$r" "looking-glass = 256M" "looking-glass-user = alice"
"$GPT_BOOTCFG" --root "$r" vm command --json win10 >"$TAP_TMP/cmd.json"
ok "a given size is used as it is" -- \
	has_arg "memory-backend-file,id=looking-glass,share=on,mem-path=/dev/shm/looking-glass,size=256M"

# ---- input ----
gold input "input = $KBD $MOUSE"
ok "keyboard: grab_all, repeat, the default grab toggle" -- \
	has_arg "input-linux,id=input0,evdev=$KBD,grab_all=on,repeat=on,grab-toggle=ctrl-ctrl"
ok "mouse: evdev only" -- has_arg "input-linux,id=input1,evdev=$MOUSE"
r=$(make_root)
write_config "$r" "input = $KBD /dev/input/by-path/pci-0000:00:14.0-usb-0:2:1.0-event-mouse" "input-grab-toggle = scrolllock"
"$GPT_BOOTCFG" --root "$r" vm command --json win10 >"$TAP_TMP/cmd.json"
ok "input-grab-toggle = scrolllock on the keyboard" -- \
	has_arg "input-linux,id=input0,evdev=$KBD,grab_all=on,repeat=on,grab-toggle=scrolllock"
ok "a by-path name is accepted" -- \
	has_arg "input-linux,id=input1,evdev=/dev/input/by-path/pci-0000:00:14.0-usb-0:2:1.0-event-mouse"

# ---- usb-devices ----
gold usb-devices "usb-devices = 046d:c52b 1532:0084"
ok "a qemu-xhci of its own (the VM has none)" -- has_arg "qemu-xhci,id=usb"
ok "usb-host by vendor and product on it" -- sh -c '
	jq -e ".argv | index(\"usb-host,id=usbhost0,bus=usb.0,vendorid=0x046d,productid=0xc52b\") != null" "$1" &&
	jq -e ".argv | index(\"usb-host,id=usbhost1,bus=usb.0,vendorid=0x1532,productid=0x0084\") != null" "$1"' - "$TAP_TMP/cmd.json"
gold usb-devices-spice "usb-devices = 046D:C52B" "spice = unix" "usb-redirect = 4"
is "$(count_args qemu-xhci)" 1 "with SPICE usb-redirect: one xHCI controller"
ok "usb-redirect's controller, ports for 4 channels and 1 device" -- has_arg "qemu-xhci,id=usbredir,p2=5,p3=5"
ok "usb-host on it, ids in lower case" -- has_arg "usb-host,id=usbhost0,bus=usbredir.0,vendorid=0x046d,productid=0xc52b"

# ---- plan explains each key, and what the host lacks now ----
r=$(make_root)
write_config "$r" "looking-glass = auto" "looking-glass-user = alice" "resolution = 2560x1440" \
	"input = $KBD $MOUSE" "input-grab-toggle = scrolllock" "usb-devices = 046d:c52b 1532:0084"
mkdir -p "$r/dev/input/by-id" "$r/sys/bus/usb/devices/1-2"
: >"$r/dev/input/event3"
ln -s ../event3 "$r$KBD"
echo 046d >"$r/sys/bus/usb/devices/1-2/idVendor"; echo c52b >"$r/sys/bus/usb/devices/1-2/idProduct"
"$GPT_BOOTCFG" --root "$r" plan >"$TAP_TMP/plan.txt" 2>"$TAP_TMP/err"
grep '\[vm win10\]' "$TAP_TMP/plan.txt" >"$TAP_TMP/plan-vm.txt"
cat >"$TAP_TMP/plan-want.txt" <<WANT
Warning: [vm win10] looking-glass-user: user 'alice' does not exist (/etc/passwd); vm run refuses to start the VM
Warning: [vm win10] input: $MOUSE does not exist now; vm run refuses to start the VM without it
Note: [vm win10] looking-glass: an ivshmem-plain device over 64 MiB of shared memory (for 2560x1440: 2560 x 1440 x 4 bytes x 2 frames + 10 MiB, rounded up to a power of two) in /dev/shm/looking-glass; vm run makes it alice's (the client reads it), QEMU's group, mode 0660, and keeps it across VM restarts
Note: [vm win10] input: 2 evdev devices given to the guest (input-linux); pressing Scroll Lock (input-grab-toggle) moves them between host and guest
Note: [vm win10] usb-devices: 2 USB devices by vendor:product on the VM's xHCI controller (usb-host), attached whenever plugged in
Note: [vm win10] usb-devices: 1532:0084 is not plugged in now
WANT
ok "plan: what each gaming key does, and what is missing on the host" -- diff -u "$TAP_TMP/plan-want.txt" "$TAP_TMP/plan-vm.txt"
echo 'alice:x:1000:1000::/home/alice:/bin/sh' >"$r/etc/passwd"
: >"$r/dev/kvmfr0"
"$GPT_BOOTCFG" --root "$r" plan >"$TAP_TMP/plan.txt" 2>"$TAP_TMP/err"
ok "plan: no user warning once alice exists" -- sh -c "! grep -q 'looking-glass-user' '$TAP_TMP/plan.txt'"
ok "plan: the kvmfr device when it exists" -- grep -qF "in /dev/kvmfr0 (the kvmfr module's device)" "$TAP_TMP/plan.txt"
"$GPT_BOOTCFG" --root "$r" vm command --json win10 >"$TAP_TMP/cmd.json"
ok "vm command: the memory on /dev/kvmfr0 when it exists" -- \
	has_arg "memory-backend-file,id=looking-glass,share=on,mem-path=/dev/kvmfr0,size=64M"

# ---- vm export --libvirt: libvirt's own elements for the three keys ----
r=$(make_root)
write_config "$r" "looking-glass = auto" "looking-glass-user = alice" "input = $KBD $MOUSE" \
	"input-grab-toggle = alt-alt" "usb-devices = 046d:c52b 1532:0084"
"$GPT_BOOTCFG" --root "$r" vm export win10 --libvirt >"$TAP_TMP/gaming.xml" 2>"$TAP_TMP/err"
is "$?" 0 "vm export --libvirt exits 0"
golden vm/libvirt/gaming.xml "$TAP_TMP/gaming.xml"
ok "export: a qemu-xhci controller for the USB devices" -- grep -qF "<controller type='usb' index='0' model='qemu-xhci'/>" "$TAP_TMP/gaming.xml"
if command -v virt-xml-validate >/dev/null; then
	ok "export: virt-xml-validate accepts the domain" -- virt-xml-validate "$TAP_TMP/gaming.xml" domain
else
	ok "virt-xml-validate is installed (libvirt-clients, tests/deps.txt)" -- false
fi

# ---- bad values: exit 2, one line, FILE:LINE:COL, QEMU not started ----
fake_qemu=$TAP_TMP/fake-qemu
printf '#!/bin/sh\ntouch "%s/qemu-was-run"\nexit 1\n' "$TAP_TMP" >"$fake_qemu"
chmod +x "$fake_qemu"
export GPT_BOOTCFG_QEMU="$fake_qemu"

# bad DESCRIPTION VERB WANT EXTRA-LINES...
bad() {
	_bd=$1 _verb=$2 _bwant=$3; shift 3
	r=$(make_root)
	write_config "$r" "$@"
	"$GPT_BOOTCFG" --root "$r" vm "$_verb" win10 >"$TAP_TMP/out" 2>"$TAP_TMP/err"; _rc=$?
	is "$_rc" 2 "$_bd: vm $_verb exits 2"
	is "$(cat "$TAP_TMP/err")" "gpt-bootcfg: $_bwant" "$_bd: the one error line"
	ok "$_bd: QEMU not started" -- test ! -e "$TAP_TMP/qemu-was-run"
}

bad "size not a power of two" command \
	"$CONF:14:17: looking-glass: 48M is not a power of two (32M, 64M, 128M, ...; auto computes it from resolution)" \
	"looking-glass = 48M" "looking-glass-user = alice"
bad "size not a size" run \
	"$CONF:14:17: looking-glass: expected auto or a size like 32M, not 'big'" \
	"looking-glass = big" "looking-glass-user = alice"
bad "size too small" command "$CONF:14:17: looking-glass: 512K is outside 1M to 2G" \
	"looking-glass = 512K" "looking-glass-user = alice"
bad "no client user" command \
	"$CONF:14:17: looking-glass: needs looking-glass-user = NAME (the user who runs the client; the shared memory is theirs)" \
	"looking-glass = auto"
bad "bad user name" command "$CONF:15:22: looking-glass-user: invalid user name 'Alice Smith'" \
	"looking-glass = auto" "looking-glass-user = Alice Smith"
bad "resolution without auto" command "$CONF:16:14: resolution: only used with looking-glass = auto" \
	"looking-glass = 64M" "looking-glass-user = alice" "resolution = 1920x1080"
bad "resolution height" command "$CONF:16:19: resolution: height '0' is not a number from 1 to 8192" \
	"looking-glass = auto" "looking-glass-user = alice" "resolution = 1920x0"
bad "resolution garbage" command "$CONF:16:14: resolution: expected WIDTHxHEIGHT like 2560x1440, not '1080p'" \
	"looking-glass = auto" "looking-glass-user = alice" "resolution = 1080p"
bad "eventN path" command \
	"$CONF:14:62: input: '/dev/input/event3': the number changes between boots; use its /dev/input/by-id/ (or by-path/) name" \
	"input = $KBD /dev/input/event3"
bad "eventN path (vm run)" run \
	"$CONF:14:9: input: '/dev/input/event12': the number changes between boots; use its /dev/input/by-id/ (or by-path/) name" \
	"input = /dev/input/event12"
bad "not an input path" command \
	"$CONF:14:9: input: '/tmp/kbd' is not a /dev/input/by-id/ or /dev/input/by-path/ device" \
	"input = /tmp/kbd"
bad "legacy mouse node" command \
	"$CONF:14:9: input: '/dev/input/by-id/usb-Razer-mouse' is not an evdev node (its name has no '-event'; the by-id names without it are the legacy mouse/joystick nodes)" \
	"input = /dev/input/by-id/usb-Razer-mouse"
bad "a comma in the path" command \
	"$CONF:14:9: input: '/dev/input/by-id/a,b-event-kbd' contains a comma or control character" \
	"input = /dev/input/by-id/a,b-event-kbd"
bad "input twice" command "$CONF:14:62: input: '$KBD' is listed twice" "input = $KBD $KBD"
bad "grab toggle" command \
	"$CONF:15:21: input-grab-toggle: expected ctrl-ctrl, alt-alt, shift-shift, meta-meta, scrolllock or ctrl-scrolllock, not 'f12'" \
	"input = $KBD" "input-grab-toggle = f12"
bad "grab toggle without input" command "$CONF:14:21: input-grab-toggle: only used with input" \
	"input-grab-toggle = alt-alt"
bad "malformed USB id" command \
	"$CONF:14:25: usb-devices: '1532:84' is not a USB id like 046d:c52b (lsusb shows them)" \
	"usb-devices = 046d:c52b 1532:84"
bad "malformed USB id (vm run)" run \
	"$CONF:14:15: usb-devices: 'logitech' is not a USB id like 046d:c52b (lsusb shows them)" \
	"usb-devices = logitech"
bad "USB id twice" command "$CONF:14:25: usb-devices: '046D:C52B' is listed twice" \
	"usb-devices = 046d:c52b 046D:C52B"
bad "USB vendor 0" command "$CONF:14:15: usb-devices: vendor id 0000 matches any device" \
	"usb-devices = 0000:0001"
bad "looking-glass-file with a slash" command \
	"$CONF:16:22: looking-glass-file: '../lg' is not a file name for /dev/shm (letters, digits, '-', '_', '.'; at most 64) or a /dev/kvmfrN device" \
	"looking-glass = 32M" "looking-glass-user = alice" "looking-glass-file = ../lg"
bad "looking-glass-file not kvmfr" command \
	"$CONF:16:22: looking-glass-file: '/dev/kvmfrx' is not a kvmfr device (/dev/kvmfr0, /dev/kvmfr1, ...)" \
	"looking-glass = 32M" "looking-glass-user = alice" "looking-glass-file = /dev/kvmfrx"
bad "looking-glass-file without looking-glass" command \
	"$CONF:14:22: looking-glass-file: only used with looking-glass" "looking-glass-file = lg"
# A second VM on the first one's memory: plan and apply refuse the configuration (exit 2,
# FILE:LINE:COL of the second VM's key), apply writes nothing.
SECOND="[vm lin]|memory = 2G|hugepage-size = none|looking-glass = 64M|looking-glass-user = alice"
two_vms() { # ROOT [EXTRA-LINES-OF-THE-SECOND...]
	_r2=$1; shift
	write_config "$_r2" "looking-glass = 32M" "looking-glass-user = alice" ""
	echo "$SECOND" | tr '|' '\n' >>"$_r2$CONF"
	for _l in "$@"; do echo "$_l" >>"$_r2$CONF"; done
}
r=$(make_root)
two_vms "$r"
# (apply's own lock, /run/gpt-bootcfg/bootcfg.lock, is taken before the configuration is read.)
find "$r" -path "$r/run" -prune -o -printf '%p %s %T@\n' | sort >"$TAP_TMP/tree-before"
for verb in plan "apply --yes"; do
	# shellcheck disable=SC2086 # the verb's words
	"$GPT_BOOTCFG" --root "$r" $verb >"$TAP_TMP/out" 2>"$TAP_TMP/err"; _rc=$?
	is "$_rc" 2 "two VMs, one file: $verb exits 2"
	is "$(cat "$TAP_TMP/err")" "gpt-bootcfg: $CONF:20:17: looking-glass: VM 'lin' would use the same shared memory (/dev/shm/looking-glass or /dev/kvmfr0) as VM 'win10', and overwrite its frames; give each VM its own looking-glass-file (a name in /dev/shm, or /dev/kvmfrN)" \
		"two VMs, one file: $verb names the second VM's key"
done
find "$r" -path "$r/run" -prune -o -printf '%p %s %T@\n' | sort >"$TAP_TMP/tree-after"
ok "two VMs, one file: nothing written" -- cmp -s "$TAP_TMP/tree-before" "$TAP_TMP/tree-after"
r=$(make_root)
two_vms "$r" "looking-glass-file = /dev/kvmfr0"
"$GPT_BOOTCFG" --root "$r" plan >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 2 "the default and /dev/kvmfr0: plan exits 2 (the default is kvmfr0 where the module is)"
ok "the default and /dev/kvmfr0: at looking-glass-file" -- \
	grep -qF "$CONF:22:22: looking-glass: VM 'lin' would use the same shared memory (/dev/kvmfr0) as VM 'win10'" "$TAP_TMP/err"
r=$(make_root)
two_vms "$r" "looking-glass-file = looking-glass-lin"
: >"$r/dev/kvmfr0"
"$GPT_BOOTCFG" --root "$r" plan >"$TAP_TMP/plan.txt" 2>"$TAP_TMP/err"
is "$?" 0 "a file of its own: plan accepts the two VMs"
ok "a file of its own: plan names it" -- grep -qF \
	"Note: [vm lin] looking-glass: an ivshmem-plain device over 64 MiB of shared memory (as given) in /dev/shm/looking-glass-lin; vm run" "$TAP_TMP/plan.txt"
"$GPT_BOOTCFG" --root "$r" vm command --json lin >"$TAP_TMP/cmd.json"
ok "a file of its own: the memory there, even with /dev/kvmfr0 on the host" -- \
	has_arg "memory-backend-file,id=looking-glass,share=on,mem-path=/dev/shm/looking-glass-lin,size=64M"
"$GPT_BOOTCFG" --root "$r" vm command --json win10 >"$TAP_TMP/cmd.json"
ok "a file of its own: the other VM keeps the default (kvmfr0 here)" -- \
	has_arg "memory-backend-file,id=looking-glass,share=on,mem-path=/dev/kvmfr0,size=32M"
"$GPT_BOOTCFG" --root "$r" vm export lin --libvirt >"$TAP_TMP/lin.xml" 2>"$TAP_TMP/err"
ok "a file of its own: libvirt's <shmem> takes its name" -- grep -qF "<shmem name='looking-glass-lin'>" "$TAP_TMP/lin.xml"

# ---- kvmfr: the module's static_size_mb must hold looking-glass ----
r=$(make_root)
write_config "$r" "looking-glass = 64M" "looking-glass-user = alice" "looking-glass-file = /dev/kvmfr1"
echo 'alice:x:1000:1000::/home/alice:/bin/sh' >>"$r/etc/passwd"
mkdir -p "$r/sys/module/kvmfr/parameters"
echo 128,32 >"$r/sys/module/kvmfr/parameters/static_size_mb"
KVMFR_SMALL="/dev/kvmfr1 is 32 MiB (kvmfr static_size_mb), smaller than looking-glass's 64 MiB; set 'options kvmfr static_size_mb=128,64' in /etc/modprobe.d/ and reload the kvmfr module (or reboot)"
"$GPT_BOOTCFG" --root "$r" plan >"$TAP_TMP/plan.txt" 2>"$TAP_TMP/err"
ok "kvmfr too small: plan warns with both sizes and the fix" -- grep -qxF \
	"Warning: [vm win10] looking-glass: $KVMFR_SMALL; vm run refuses to start the VM" "$TAP_TMP/plan.txt"
echo 128,64 >"$r/sys/module/kvmfr/parameters/static_size_mb"
"$GPT_BOOTCFG" --root "$r" plan >"$TAP_TMP/plan.txt" 2>"$TAP_TMP/err"
ok "kvmfr large enough: no warning" -- sh -c "! grep -q 'static_size_mb' '$TAP_TMP/plan.txt'"

# ---- vm run: what the host lacks refuses the start before QEMU (fake QEMU, no devices) ----
# run_bad DESCRIPTION WANT SETUP EXTRA-LINES...: SETUP is run with $r set.
run_bad() {
	_rd=$1 _rwant=$2 _rsetup=$3; shift 3
	r=$(make_root)
	write_config "$r" "hugepage-size = none" "$@"
	sed -i '/^devices = /d; /^\[device/,/^$/d' "$r$CONF"
	echo 'alice:x:1000:1000::/home/alice:/bin/sh' >"$r/etc/passwd"
	mkdir -p "$r/dev/shm" "$r/dev/input/by-id"
	eval "$_rsetup"
	rm -f "$TAP_TMP/qemu-was-run"
	"$GPT_BOOTCFG" --root "$r" vm run win10 >"$TAP_TMP/out" 2>"$TAP_TMP/err"; _rc=$?
	is "$_rc" 2 "vm run, $_rd: exits 2"
	ok "vm run, $_rd: says so" -- grep -qF -- "$_rwant" "$TAP_TMP/err"
	ok "vm run, $_rd: QEMU not started" -- test ! -e "$TAP_TMP/qemu-was-run"
}
# Without the [device] sections [vm win10] is line 1: the first key of a test is line 8.
run_bad "missing input device" \
	"$CONF:8:9: input: $KBD does not exist now (is it plugged in? ls -l /dev/input/by-id/ lists the devices there are)" \
	":" "input = $KBD"
run_bad "dangling by-id link" "$CONF:8:62: input: $MOUSE does not exist now" \
	"ln -s ../event4 \"\$r$MOUSE\"; mknod \"\$r/dev/input/event3\" c 13 67; ln -s ../event3 \"\$r$KBD\"" \
	"input = $KBD $MOUSE"
run_bad "looking-glass-user missing" \
	"$CONF:9:22: looking-glass-user: user 'bob' does not exist (/etc/passwd)" \
	":" "looking-glass = 32M" "looking-glass-user = bob"
run_bad "/dev/shm/looking-glass is a symlink" \
	"$CONF:8:17: looking-glass: /dev/shm/looking-glass is a symbolic link; refusing to follow it (remove it)" \
	"ln -s /etc/passwd \"\$r/dev/shm/looking-glass\"" "looking-glass = 32M" "looking-glass-user = alice"
is "$(stat -c %u:%s "$r/etc/passwd"):$(cat "$r/etc/passwd")" "0:39:alice:x:1000:1000::/home/alice:/bin/sh" \
	"the link's target is untouched"
run_bad "/dev/shm/looking-glass is someone else's" \
	"$CONF:8:17: looking-glass: /dev/shm/looking-glass belongs to uid 4000, not to looking-glass-user alice (uid 1000)" \
	"truncate -s 1M \"\$r/dev/shm/looking-glass\"; chown 4000 \"\$r/dev/shm/looking-glass\"" \
	"looking-glass = 32M" "looking-glass-user = alice"
is "$(stat -c %s:%u "$r/dev/shm/looking-glass")" "1048576:4000" "someone else's file is left as it was"
run_bad "kvmfr1 smaller than looking-glass" "$CONF:10:22: looking-glass: $KVMFR_SMALL" \
	"mkdir -p \"\$r/sys/module/kvmfr/parameters\"; echo 128,32 >\"\$r/sys/module/kvmfr/parameters/static_size_mb\"" \
	"looking-glass = 64M" "looking-glass-user = alice" "looking-glass-file = /dev/kvmfr1"
run_bad "kvmfr module not loaded" \
	"$CONF:8:17: looking-glass: /dev/kvmfr0: the kvmfr module's static_size_mb (/sys/module/kvmfr/parameters/static_size_mb) cannot be read: is the module loaded? It needs 'options kvmfr static_size_mb=32' for looking-glass's 32 MiB" \
	"mknod \"\$r/dev/kvmfr0\" c 1 3" "looking-glass = 32M" "looking-glass-user = alice"

done_testing
