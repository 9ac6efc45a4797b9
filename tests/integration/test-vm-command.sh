#!/bin/sh
# vm command on the guide's server fixture: the argv of the guide's final VM (golden), and
# bad input (unknown device, CPU outside the host, missing disk, device not on the host,
# not on vfio-pci, memory beyond the hugepage pool, a failing prepare hook): one clear
# error, exit 2, nothing started. A fake QEMU records whether it was ever executed.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx

# The guide's server has 36 CPUs (0-35); the captured guest had fewer.
make_root() {
	_r=$(fixture_copy $fx)
	set_cpus "$_r" 0-35
	mkdir -p "$_r/data/img" "$_r/data/drv" "$_r/usr/share/OVMF" "$_r/etc/gpt-bootcfg"
	: >"$_r/data/img/win10-nvme0-os.img"
	: >"$_r/data/drv/virtio-win.iso"
	: >"$_r/usr/share/OVMF/OVMF_CODE_4M.fd"
	: >"$_r/usr/share/OVMF/OVMF_VARS_4M.fd"
	# The identity a first vm run pinned (vm-state.h): the golden argv does not depend on
	# this machine's QEMU version.
	mkdir -p "$_r/var/lib/gpt-bootcfg/win10"
	echo pc-q35-7.2 >"$_r/var/lib/gpt-bootcfg/win10/machine"
	echo 6a1c2f0e-58d4-4b8e-9c1d-3f2a7b9e0d15 >"$_r/var/lib/gpt-bootcfg/win10/uuid"
	echo "$_r"
}

# write_config ROOT [EXTRA-VM-LINES...]: the guide's final VM, extra lines appended.
write_config() {
	_r=$1; shift
	guide_final_vm_conf /data/drv/virtio-win.iso "$@" | write_conf "$_r"
}

r=$(make_root)
write_config "$r" "devices = gpu gpu-audio usb nvme"
"$GPT_BOOTCFG" --root "$r" vm command win10 >"$TAP_TMP/cmd.txt" 2>"$TAP_TMP/err"; rc=$?
is "$rc" 0 "vm command exits 0"
is "$(cat "$TAP_TMP/err")" "" "nothing on stderr"
golden vm/guide-server.txt "$TAP_TMP/cmd.txt"
"$GPT_BOOTCFG" --root "$r" vm command --json win10 >"$TAP_TMP/cmd.json"; rc=$?
is "$rc" 0 "vm command --json exits 0"
golden vm/guide-server.json "$TAP_TMP/cmd.json"
ok "JSON is valid and has the argv" -- jq -e '.name == "win10" and (.argv | length) > 40' "$TAP_TMP/cmd.json"

# The text form is a shell command: evaluated, it gives the same argv as the JSON.
printf '#!/bin/sh\nfor a in "$@"; do printf "%%s\\n" "$a"; done\n' >"$TAP_TMP/args"
chmod +x "$TAP_TMP/args"
sed '1s|^qemu-system-x86_64|"$TAP_TMP/args"|' "$TAP_TMP/cmd.txt" >"$TAP_TMP/cmd.sh"
TAP_TMP=$TAP_TMP sh "$TAP_TMP/cmd.sh" >"$TAP_TMP/argv.sh-split"
jq -r '.argv[1:][]' "$TAP_TMP/cmd.json" >"$TAP_TMP/argv.json-split"
ok "text form splits like the JSON argv" -- cmp "$TAP_TMP/argv.sh-split" "$TAP_TMP/argv.json-split"

# The rules of the guide, checked on the argv itself (not only against the golden file).
grep_arg() { jq -e --arg a "$1" '.argv | index($a) != null' "$TAP_TMP/cmd.json" >/dev/null; }
ok "the pinned q35 machine type, no HPET" -- grep_arg "pc-q35-7.2,accel=kvm,vmport=off,hpet=off,memory-backend=mem0"
ok "the pinned UUID" -- grep_arg "6a1c2f0e-58d4-4b8e-9c1d-3f2a7b9e0d15"
ok "the passed-through NVMe boots first, then the NVMe image, then the cdrom" -- sh -c '
	jq -e ".argv | index(\"vfio-pci,host=0000:b3:00.0,id=hostdev3,bus=rp3,addr=00.0,bootindex=1\") != null" "$1" &&
	jq -e ".argv | index(\"nvme,drive=disk0,serial=gpt-bootcfg-0,max_ioqpairs=8,bootindex=2\") != null" "$1" &&
	jq -e ".argv | index(\"ide-cd,drive=cdrom0,bus=ide.0,bootindex=3\") != null" "$1"' - "$TAP_TMP/cmd.json"
ok "Windows timers: PIT ticks delayed, RTC slewed" -- sh -c '
	jq -e ".argv | index(\"kvm-pit.lost_tick_policy=delay\") != null" "$1" &&
	jq -e ".argv | index(\"base=localtime,driftfix=slew\") != null" "$1"' - "$TAP_TMP/cmd.json"
ok "-nodefaults" -- grep_arg "-nodefaults"
ok "GPU and audio share root port rp1, function 0 multifunction" -- sh -c '
	jq -e ".argv | index(\"vfio-pci,host=0000:65:00.0,id=hostdev0,bus=rp1,addr=00.0,multifunction=on\") != null" "$1" &&
	jq -e ".argv | index(\"vfio-pci,host=0000:65:00.1,id=hostdev1,bus=rp1,addr=00.1\") != null" "$1"' - "$TAP_TMP/cmd.json"
is "$(jq '[.argv[] | select(startswith("pcie-root-port"))] | length' "$TAP_TMP/cmd.json")" 3 \
	"three root ports for three host slots"
ok "hugetlbfs backend with prealloc on the GPU's node" -- \
	grep_arg "memory-backend-file,id=mem0,size=16384M,mem-path=/dev/hugepages,prealloc=on,share=off,host-nodes=0,policy=bind"
ok "QMP on a unix socket" -- grep_arg "unix:/run/gpt-bootcfg/win10.qmp,server=on,wait=off"
is "$(jq '[.argv[] | select(test("telnet|tcp:"))] | length' "$TAP_TMP/cmd.json")" 0 "no TCP monitor"
ok "private OVMF variables" -- grep_arg "if=pflash,format=raw,file=/var/lib/gpt-bootcfg/win10/OVMF_VARS.fd"

# --run-paths under --root puts the files below the root.
"$GPT_BOOTCFG" --root "$r" vm command --json --run-paths win10 >"$TAP_TMP/run.json"
ok "--run-paths prefixes the QMP socket" -- \
	jq -e --arg a "unix:$r/run/gpt-bootcfg/win10.qmp,server=on,wait=off" '.argv | index($a) != null' "$TAP_TMP/run.json"

# The guide's VM as a Windows 11 guest (issue 24): a TPM 2.0 from swtpm and Secure Boot, the
# firmware from a firmware descriptor as Debian ships it.
r11=$(make_root)
mkdir -p "$r11/usr/share/qemu/firmware"
: >"$r11/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
: >"$r11/usr/share/OVMF/OVMF_VARS_4M.ms.fd"
cat >"$r11/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json" <<'JSON'
{ "interface-types": [ "uefi" ],
  "mapping": { "device": "flash",
    "executable": { "filename": "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "format": "raw" },
    "nvram-template": { "filename": "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", "format": "raw" } },
  "targets": [ { "architecture": "x86_64", "machines": [ "pc-q35-*" ] } ],
  "features": [ "enrolled-keys", "requires-smm", "secure-boot" ] }
JSON
write_config "$r11" "devices = gpu gpu-audio usb nvme" "os = windows11" "tpm = yes" "secure-boot = yes"
"$GPT_BOOTCFG" --root "$r11" vm command win10 >"$TAP_TMP/cmd-win11.txt" 2>"$TAP_TMP/err"
is "$?" 0 "Windows 11: vm command exits 0"
is "$(cat "$TAP_TMP/err")" "" "Windows 11: nothing on stderr"
golden vm/guide-server-win11.txt "$TAP_TMP/cmd-win11.txt"
ok "Windows 11: the same command with smm=on, the Secure Boot firmware and the TPM" -- sh -c "
	diff '$TAP_TMP/cmd.txt' '$TAP_TMP/cmd-win11.txt' | grep '^[<>]' >'$TAP_TMP/win11.diff'
	test \$(grep -c '^<' '$TAP_TMP/win11.diff') = 3 && test \$(grep -c '^>' '$TAP_TMP/win11.diff') = 7"

# ---- bad input: exit 2, one line on stderr naming the problem, nothing started ----
fake_qemu=$TAP_TMP/fake-qemu
printf '#!/bin/sh\ntouch "%s/qemu-was-run"\nexit 1\n' "$TAP_TMP" >"$fake_qemu"
chmod +x "$fake_qemu"
export GPT_BOOTCFG_QEMU="$fake_qemu"

# expect_error DESCRIPTION ROOT SUBCOMMAND WANT
# The instance lock of vm run (run/gpt-bootcfg/NAME.lock, with its directory) is taken
# before the prepare hooks and stays behind as an empty runtime file: a lock file cannot
# be removed without a race. Everything else must be as before.
expect_error() {
	# A directory's size is left out: on tmpfs it grows with its entries, and vm run may
	# create run/gpt-bootcfg (its lock) before it refuses; every entry is still listed.
	_before=$( (cd "$2" && find . -path ./run/gpt-bootcfg -prune -o -type d -printf '%p/\n' \
		-o -printf '%p %s %l\n' | sort) | cksum)
	"$GPT_BOOTCFG" --root "$2" vm "$3" win10 >"$TAP_TMP/out" 2>"$TAP_TMP/err"; _rc=$?
	is "$_rc" 2 "$1: vm $3 exits 2"
	ok "$1: names the problem" -- grep -qF -- "$4" "$TAP_TMP/err"
	is "$(wc -l <"$TAP_TMP/err")" 1 "$1: one line"
	ok "$1: QEMU not started" -- test ! -e "$TAP_TMP/qemu-was-run"
	_after=$( (cd "$2" && find . -path ./run/gpt-bootcfg/win10.lock -prune -o \
		-path ./run/gpt-bootcfg -prune -o -type d -printf '%p/\n' -o -printf '%p %s %l\n' |
		sort) | cksum)
	is "$_after" "$_before" "$1: nothing changed under the root"
}

conf=$r/etc/gpt-bootcfg/gpt-bootcfg.conf
r=$(make_root); conf=$r/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config "$r" "devices = gpu gpu-audio usb nvmee"
expect_error "unknown device" "$r" command "/etc/gpt-bootcfg/gpt-bootcfg.conf:30:11: devices: no [device nvmee] section"
expect_error "unknown device" "$r" run "/etc/gpt-bootcfg/gpt-bootcfg.conf:30:11: devices: no [device nvmee] section"

r=$(make_root); conf=$r/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config "$r" "devices = gpu gpu-audio usb nvme"
echo 0-15 >"$r/sys/devices/system/cpu/online"
expect_error "CPU outside the host" "$r" command "/etc/gpt-bootcfg/gpt-bootcfg.conf:21:13: vcpu-pins: CPU 16 is not online on this host (online: 0-15)"

r=$(make_root); conf=$r/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config "$r" "devices = gpu gpu-audio usb nvme"
rm "$r/data/img/win10-nvme0-os.img"
expect_error "missing disk image" "$r" command "/etc/gpt-bootcfg/gpt-bootcfg.conf:27:8: disk '/data/img/win10-nvme0-os.img': No such file or directory"
expect_error "missing disk image" "$r" run "/etc/gpt-bootcfg/gpt-bootcfg.conf:27:8: disk '/data/img/win10-nvme0-os.img': No such file or directory"

r=$(make_root); conf=$r/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config "$r" "devices = gpu gpu-audio usb nvme"
sed -i 's/^address = 0000:b4:00.0/address = 0000:b5:00.0/' "$conf"
expect_error "device not on the host" "$r" command "/etc/gpt-bootcfg/gpt-bootcfg.conf:30:11: device 'usb' (0000:b5:00.0) is not present on this host"

r=$(make_root); conf=$r/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config "$r" "devices = gpu gpu-audio usb nvme" "memory = 32G"
expect_error "duplicate key" "$r" command "/etc/gpt-bootcfg/gpt-bootcfg.conf:31:1: 'memory' is already set on line 15"

# device-options: only typed vfio-pci properties; nothing that places the device or adds
# options of its own, and the column of the offending option.
r=$(make_root); conf=$r/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config "$r" "devices = gpu gpu-audio usb nvme" "device-options = gpu x-vga=on,romfile=/a.rom,host=0000:01:00.0"
expect_error "device-options: host" "$r" command "/etc/gpt-bootcfg/gpt-bootcfg.conf:31:46: device-options: 'host' is set by gpt-bootcfg, not here"
r=$(make_root); conf=$r/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config "$r" "devices = gpu gpu-audio usb nvme" "device-options = gpu bootindex=1,x-vga=on=off"
expect_error "device-options: a second '='" "$r" command "/etc/gpt-bootcfg/gpt-bootcfg.conf:31:40: device-options: invalid value 'on=off' for x-vga"
r=$(make_root); conf=$r/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config "$r" "devices = gpu gpu-audio usb nvme" "boot = cdrom nvme floppy"
expect_error "boot: unknown item" "$r" run "/etc/gpt-bootcfg/gpt-bootcfg.conf:31:19: boot: 'floppy' is not disk, cdrom, network or a [device] section"

# boot = ... and bootindex in device-options give exactly that order.
r=$(make_root)
write_config "$r" "devices = gpu gpu-audio usb nvme" "boot = cdrom nvme"
"$GPT_BOOTCFG" --root "$r" vm command --json win10 >"$TAP_TMP/boot.json" 2>"$TAP_TMP/err"
is "$(jq -r '[.argv[] | select(test("bootindex="))] | join(" ")' "$TAP_TMP/boot.json")" \
	"vfio-pci,host=0000:b3:00.0,id=hostdev3,bus=rp3,addr=00.0,bootindex=2 ide-cd,drive=cdrom0,bus=ide.0,bootindex=1" \
	"boot = cdrom nvme: the cdrom, then the NVMe, nothing else"

to_vfio() { # ROOT ADDRESS...
	_r=$1; shift
	for _a in "$@"; do ln -sfn ../../../../bus/pci/drivers/vfio-pci "$_r/sys/bus/pci/devices/$_a/driver"; done
}

# vm run: the fixture's GPU is on nouveau (the others are claimed here).
r=$(make_root); conf=$r/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config "$r" "devices = gpu gpu-audio usb nvme"
to_vfio "$r" 0000:65:00.1 0000:b4:00.0 0000:b3:00.0
expect_error "not on vfio-pci" "$r" run "Device 'gpu' (0000:65:00.0) is on nouveau, not vfio-pci"

# Claimed, but the hugepage pool is too small.
r=$(make_root); conf=$r/etc/gpt-bootcfg/gpt-bootcfg.conf
write_config "$r" "devices = gpu gpu-audio usb nvme"
to_vfio "$r" 0000:65:00.0 0000:65:00.1 0000:b4:00.0 0000:b3:00.0
ok "driver link rewritten" -- test "$(basename "$(readlink "$r/sys/bus/pci/devices/0000:65:00.0/driver")")" = vfio-pci
hp=$r/sys/devices/system/node/node0/hugepages/hugepages-1048576kB
mkdir -p "$hp"; echo 8 >"$hp/nr_hugepages"; echo 8 >"$hp/free_hugepages"
expect_error "memory beyond the pool" "$r" run "VM 'win10' needs 16384 MiB = 16 hugepages of 1024 MiB, more than the hugepage pool on NUMA node 0 (8 pages"
echo 32 >"$hp/nr_hugepages"; echo 12 >"$hp/free_hugepages"
expect_error "too few free pages" "$r" run "VM 'win10' needs 16 free hugepages of 1024 MiB on NUMA node 0, but only 12 of 32 are free"

# A failing prepare hook stops the start with its message.
echo 16 >"$hp/free_hugepages"
mkdir -p "$r/etc/gpt-bootcfg/hooks.d/win10/prepare.d"
printf '#!/bin/sh\necho "checking things"\necho "the UPS is on battery" >&2\nexit 3\n' >"$r/etc/gpt-bootcfg/hooks.d/win10/prepare.d/50-ups"
chmod +x "$r/etc/gpt-bootcfg/hooks.d/win10/prepare.d/50-ups"
"$GPT_BOOTCFG" --root "$r" vm run win10 >"$TAP_TMP/out" 2>"$TAP_TMP/err"; rc=$?
is "$rc" 2 "failing hook: exit 2"
ok "failing hook: its message" -- grep -qF "Hook '50-ups' failed (exit status 3): the UPS is on battery; not starting VM 'win10'" "$TAP_TMP/err"
ok "failing hook: QEMU not started" -- test ! -e "$TAP_TMP/qemu-was-run"
ok "failing hook: its whole output (stdout and stderr) on stderr" -- \
	sh -c "grep -qx 'checking things' '$TAP_TMP/err' && grep -qx 'the UPS is on battery' '$TAP_TMP/err'"

# A hook the kernel cannot execute (no #! line) fails as a shell reports it: status 127.
rm "$r/etc/gpt-bootcfg/hooks.d/win10/prepare.d/50-ups"
printf 'not a program\n' >"$r/etc/gpt-bootcfg/hooks.d/win10/prepare.d/40-noexec"
chmod +x "$r/etc/gpt-bootcfg/hooks.d/win10/prepare.d/40-noexec"
"$GPT_BOOTCFG" --root "$r" vm run win10 >"$TAP_TMP/out" 2>"$TAP_TMP/err"; rc=$?
is "$rc" 2 "hook that cannot be executed: exit 2"
ok "hook that cannot be executed: why" -- grep -qF "Hook '40-noexec' failed (exit status 127): cannot execute: Exec format error; not starting VM 'win10'" "$TAP_TMP/err"
ok "hook that cannot be executed: QEMU not started" -- test ! -e "$TAP_TMP/qemu-was-run"

# The fixture's /dev/hugepages was captured before default_hugepagesz=1G: 2 MiB pages.
rm "$r/etc/gpt-bootcfg/hooks.d/win10/prepare.d/40-noexec"
expect_error "hugetlbfs of the other page size" "$r" run "VM 'win10': hugepage-mount '/dev/hugepages' serves 2 MiB pages, not the 1024 MiB of hugepage-size"
mi=$r/proc/self/mountinfo
sed 's|^\(.* /dev/hugepages .*\) - hugetlbfs hugetlbfs rw,pagesize=2M$|\1 - tmpfs tmpfs rw|' "$mi" >"$mi.new"
ok "mountinfo: /dev/hugepages made a tmpfs" -- grep -q " /dev/hugepages .* - tmpfs " "$mi.new"
mv "$mi.new" "$mi"
expect_error "not a hugetlbfs" "$r" run "VM 'win10': hugepage-mount '/dev/hugepages' is on tmpfs (mounted on /dev/hugepages), not hugetlbfs"
sed -i 's|^\(.* /dev/hugepages .*\) - tmpfs tmpfs rw$|\1 - hugetlbfs hugetlbfs rw,pagesize=1024M|' "$mi"
ok "mountinfo: /dev/hugepages serves 1 GiB pages, as after the reboot" -- grep -q " /dev/hugepages .*pagesize=1024M$" "$mi"

# With everything in place the fake QEMU is started (so the checks above could fail).
# The pool is checked after the prepare hooks, which may free or reserve pages: here too few
# are free until the hook runs.
echo 12 >"$hp/free_hugepages"
printf '#!/bin/sh\necho 16 >"%s/free_hugepages"\n' "$hp" >"$r/etc/gpt-bootcfg/hooks.d/win10/prepare.d/10-pages"
chmod +x "$r/etc/gpt-bootcfg/hooks.d/win10/prepare.d/10-pages"
"$GPT_BOOTCFG" --root "$r" vm run win10 >"$TAP_TMP/out" 2>"$TAP_TMP/err"; rc=$?
is "$rc" 2 "fake QEMU exits at once: vm run fails"
ok "fake QEMU: reported" -- grep -qF "QEMU exited during startup (status 1)" "$TAP_TMP/err"
ok "fake QEMU was started" -- test -e "$TAP_TMP/qemu-was-run"
ok "the pages a prepare hook freed counted" -- sh -c "! grep -qF 'are free' '$TAP_TMP/err'"
ok "OVMF variables copied for the VM" -- test -f "$r/var/lib/gpt-bootcfg/win10/OVMF_VARS.fd"

# Usage errors.
"$GPT_BOOTCFG" --root "$r" vm command >"$TAP_TMP/out" 2>&1; is "$?" 2 "missing name: exit 2"
"$GPT_BOOTCFG" --root "$r" vm frobnicate win10 >"$TAP_TMP/out" 2>&1; is "$?" 2 "unknown subcommand: exit 2"
"$GPT_BOOTCFG" --root "$r" vm command nosuch >"$TAP_TMP/out" 2>"$TAP_TMP/err"; is "$?" 2 "unknown VM: exit 2"
ok "unknown VM named" -- grep -qF "no [vm nosuch] section" "$TAP_TMP/err"

done_testing
