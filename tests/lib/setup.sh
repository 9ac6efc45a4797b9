# Setup blocks shared by integration tests and benchmarks: fixture roots and the guide's
# configurations, written once so a new test starts from the same host as the others.
# Tests source it after tests/lib/tap.sh (tests/lib/generator.sh sources it too); a
# benchmark sets TOP to the top of the tree first. POSIX sh, safe under "set -eu".
#
# Checks (each failure is one "not ok" and the end of the test, never a skip):
#   need_fixture NAME           tests/fixtures/NAME (or the base of the overlay NAME) must exist
#   need_tools COMMAND...       each COMMAND is on PATH (a package of tests/deps.txt)
#   need_cpus N                 at least N CPUs (to pin vCPUs and the emulator apart)
#   need_qemu_run               qemu-system-x86_64, python3, jq, OVMF and 2 CPUs to pin to
#
# Configurations, printed on stdout (the caller redirects or pipes into write_conf):
#   guide_conf [AUTOSTART [LINE...]]
#                               the guide's four devices (no blank lines) and VM "win" that
#                               passes them all, memory 16G, autostart AUTOSTART (yes);
#                               each LINE is appended to the [vm win] section
#   guide_final_vm_conf CDROM [LINE...]
#                               the guide's four devices and its final VM "win10" (1G pages,
#                               8 pinned vCPUs, Hyper-V, NVMe disk, cdrom CDROM), LINEs
#                               appended to [vm win10] (its "devices =" line among them)
#   gpu_pair_conf MEMORY [LINE...]
#                               the guide's GPU and its audio function (gpu, gpu-audio: no
#                               ids) and VM "win" that passes both, memory MEMORY; each LINE
#                               is appended to the [vm win] section
#   standin_devices_conf        the three devices QEMU's stand-ins replace (gpu, gpu-audio,
#                               usb: no ids), each followed by a blank line
#   standin_vm_conf NAME        VM NAME on them: 256M of 2M pages, 2 vCPUs (threads 2) pinned
#                               to CPUs 1 and 0, the qemu_root disks (NVMe and virtio) and
#                               ISO, stop-timeout 3
#   write_conf ROOT             stdin becomes ROOT/etc/gpt-bootcfg/gpt-bootcfg.conf, 0644
#
# Roots:
#   set_cpus ROOT LIST          the root's possible and online CPUs (cpulist syntax)
#   one_gpu_root ROOT           make the guide server's GPU (65:00.0) the host's only display:
#                               the BMC's VGA (03:01.0) becomes a non-display device, the GPU
#                               the boot display (boot_vga 1); a copy only (issue 27)
#   qemu_root ROOT              make a copy of guide-server ready for a real QEMU run: this
#                               machine's CPUs, gpu/gpu-audio/usb on vfio-pci, a 2 MiB pool of
#                               128 pages on the GPU's node, OVMF copied in, /data/os.img
#                               (64M), /data/data.img (16M), /data/virtio-win.iso (2M)
#   write_notify_py FILE        a systemd stand-in for $NOTIFY_SOCKET:
#                               python3 FILE SOCKET OUT TIMEOUT writes the datagram to OUT
#   qmp_py_prelude              the start of a python3 QMP client on stdout (connected to
#                               argv[1], greeting read, reply() skips events), to extend
#   write_qmp_py FILE           python3 FILE SOCKET QUERY... prints {QUERY: return, ...}
#   write_qmp_args_py FILE      python3 FILE SOCKET COMMAND... where COMMAND is "NAME" or
#                               "NAME {JSON arguments}": the replies as one JSON array

need_fixture() {
	_nf=$1
	[ -f "$TOP/tests/fixtures/$1/.base" ] && _nf=$(cat "$TOP/tests/fixtures/$1/.base")
	if [ ! -d "$TOP/tests/fixtures/$_nf/sys" ]; then
		echo "not ok 1 - fixture tests/fixtures/$1 is missing"
		echo "1..1"
		exit 1
	fi
}

need_tools() {
	for _t in "$@"; do
		if ! command -v "$_t" >/dev/null; then
			ok "$_t is installed (tests/deps.txt)" -- false
			done_testing; exit
		fi
	done
}

need_cpus() {
	if [ "$(nproc)" -lt "$1" ]; then
		ok "at least $1 CPUs to pin to" -- false
		done_testing; exit
	fi
}

need_qemu_run() {
	need_tools qemu-system-x86_64 python3 jq
	if [ ! -f /usr/share/OVMF/OVMF_CODE_4M.fd ]; then
		ok "OVMF is installed (package ovmf, tests/deps.txt)" -- false
		done_testing; exit
	fi
	need_cpus 2
}

guide_conf() {
	cat <<CONF
[device gpu]
address = 0000:65:00.0
id = 10de:1c03
[device gpu-audio]
address = 0000:65:00.1
[device usb]
address = 0000:b4:00.0
[device nvme]
address = 0000:b3:00.0
[vm win]
devices = gpu gpu-audio usb nvme
memory = 16G
autostart = ${1:-yes}
CONF
	[ $# -gt 0 ] && shift
	for _l in "$@"; do echo "$_l"; done
}

guide_final_vm_conf() {
	cat <<CONF
[device gpu]
address = 0000:65:00.0
id = 10de:1c03

[device gpu-audio]
address = 0000:65:00.1

[device usb]
address = 0000:b4:00.0

[device nvme]
address = 0000:b3:00.0

[vm win10]
memory = 16G
hugepage-size = 1G
vcpus = 8
sockets = 1
cores = 4
threads = 2
vcpu-pins = 14-17,32-35
emulator-cpus = 12-13
hyperv = yes
hide-kvm = yes
rtc = localtime
device-options = usb x-no-kvm-intx=on
disk = /data/img/win10-nvme0-os.img bus=nvme
cdrom = $1
autostart = yes
CONF
	shift
	for _l in "$@"; do echo "$_l"; done
}

gpu_pair_conf() {
	cat <<CONF
[device gpu]
address = 0000:65:00.0
[device gpu-audio]
address = 0000:65:00.1
[vm win]
devices = gpu gpu-audio
memory = $1
CONF
	shift
	for _l in "$@"; do echo "$_l"; done
}

standin_devices_conf() {
	cat <<'CONF'
[device gpu]
address = 0000:65:00.0

[device gpu-audio]
address = 0000:65:00.1

[device usb]
address = 0000:b4:00.0

CONF
}

standin_vm_conf() {
	cat <<CONF
[vm $1]
memory = 256M
hugepage-size = 2M
vcpus = 2
threads = 2
vcpu-pins = 1,0
devices = gpu gpu-audio usb
disk = /data/os.img bus=nvme
disk = /data/data.img
cdrom = /data/virtio-win.iso
stop-timeout = 3
CONF
}

write_conf() {
	mkdir -p "$1/etc/gpt-bootcfg"
	cat >"$1/etc/gpt-bootcfg/gpt-bootcfg.conf"
	chmod 0644 "$1/etc/gpt-bootcfg/gpt-bootcfg.conf"
}

set_cpus() {
	echo "$2" >"$1/sys/devices/system/cpu/possible"
	echo "$2" >"$1/sys/devices/system/cpu/online"
}

qemu_root() {
	set_cpus "$1" "0-$(($(nproc) - 1))"
	for _a in 0000:65:00.0 0000:65:00.1 0000:b4:00.0; do
		ln -sfn ../../../../bus/pci/drivers/vfio-pci "$1/sys/bus/pci/devices/$_a/driver"
	done
	_node=$(cat "$1/sys/bus/pci/devices/0000:65:00.0/numa_node")
	_hp=$1/sys/kernel/mm/hugepages/hugepages-2048kB
	if [ "$_node" -ge 0 ]; then
		_hp=$1/sys/devices/system/node/node$_node/hugepages/hugepages-2048kB
	fi
	mkdir -p "$_hp"
	echo 128 >"$_hp/nr_hugepages"
	echo 128 >"$_hp/free_hugepages"
	mkdir -p "$1/usr/share/OVMF" "$1/data" "$1/etc/gpt-bootcfg"
	cp /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd "$1/usr/share/OVMF/"
	truncate -s 64M "$1/data/os.img"
	truncate -s 16M "$1/data/data.img"
	truncate -s 2M "$1/data/virtio-win.iso"
}

write_notify_py() {
	cat >"$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(float(sys.argv[3]))
open(sys.argv[1] + ".bound", "w").close()
try:
    data = s.recv(4096).decode()
except socket.timeout:
    data = "TIMEOUT"
open(sys.argv[2], "w").write(data)
PY
}

# The start of both QMP clients: connected to SOCKET (argv[1]), greeting read, reply()
# returns the next message that is not an event.
qmp_py_prelude() {
	cat <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(sys.argv[1])
f = s.makefile("rw")
def reply():
    while True:
        m = json.loads(f.readline())
        if "event" not in m:
            return m
reply()
PY
}

write_qmp_py() {
	{ qmp_py_prelude; cat <<'PY'
out = {}
for cmd in ["qmp_capabilities"] + sys.argv[2:]:
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    out[cmd] = reply()["return"]
print(json.dumps(out))
PY
	} >"$1"
}

write_qmp_args_py() {
	{ qmp_py_prelude; cat <<'PY'
out = []
for c in ["qmp_capabilities"] + sys.argv[2:]:
    name, _, args = c.partition(" ")
    msg = {"execute": name}
    if args:
        msg["arguments"] = json.loads(args)
    f.write(json.dumps(msg) + "\n"); f.flush()
    out.append(reply())
print(json.dumps(out[1:]))
PY
	} >"$1"
}

one_gpu_root() {
	_bmc=$1/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0/0000:03:01.0
	echo 0x088000 >"$_bmc/class"
	sed -i 's/^PCI_CLASS=30000$/PCI_CLASS=88000/' "$_bmc/uevent"
	echo 0 >"$_bmc/boot_vga"
	echo 1 >"$1/sys/devices/pci0000:64/0000:64:00.0/0000:65:00.0/boot_vga"
}
