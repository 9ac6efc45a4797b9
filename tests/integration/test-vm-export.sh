#!/bin/sh
# vm export NAME --libvirt on the guide's server fixture: golden domain XML for three VMs (the
# guide's final one, and two that use the other keys), every one valid for libvirt's schema
# (virt-xml-validate), and libvirt's own QEMU command for it (virsh domxml-to-native through
# the embedded QEMU driver, no daemon) compared device by device with vm command: the
# differences that remain are golden too, and docs/vm.md explains each.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"

fx=guide-server
need_fixture $fx

# skip DESCRIPTION REASON: a TAP skip, counted and visible (never a pass).
skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $1: $2"
}

make_root() {
	_r=$(fixture_copy $fx)
	set_cpus "$_r" 0-35
	mkdir -p "$_r/data/img" "$_r/data/iso" "$_r/data/rom" "$_r/dev/vg0" "$_r/usr/share/OVMF" \
		"$_r/etc/gpt-bootcfg"
	for f in "/data/img/win10-nvme0-os.img" "/data/iso/virtio-win.iso" "/data/iso/debian.iso" \
		"/data/img/lab's<scratch>&more.qcow2" "/dev/vg0/lab-data" "/data/rom/gp&u.rom" \
		"/usr/share/OVMF/OVMF_CODE_4M.fd" "/usr/share/OVMF/OVMF_VARS_4M.fd" \
		"/usr/share/OVMF/OVMF_CODE_4M.secboot.fd" "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"; do
		: >"$_r$f"
	done
	# The guide's final VM (as in test-vm-command.sh), then VMs that use the other keys.
	{
		guide_final_vm_conf /data/iso/virtio-win.iso "devices = gpu gpu-audio usb nvme"
		cat <<-'CONF'

	# The other keys: 2 MiB pages, no NUMA binding, ROM options, virtio disks (a file whose
	# name needs escaping, a block device, the NVMe controller through QEMU's userspace
	# driver), two CD-ROMs, user networking with a MAC, SPICE on a socket with USB
	# redirection and SPICE audio, extra-args.
	[vm lab]
	memory = 4G
	hugepage-size = 2M
	vcpus = 4
	cores = 2
	threads = 2
	vcpu-pins = 2-5
	emulator-cpus = 0-1
	numa-node = none
	devices = gpu gpu-audio
	device-options = gpu x-vga=on,rombar=0,romfile=/data/rom/gp&u.rom
	disk = /data/img/lab's<scratch>&more.qcow2
	disk = /dev/vg0/lab-data cache=directsync aio=threads
	disk = nvme://0000:b3:00.0/1
	cdrom = /data/iso/debian.iso
	cdrom = /data/iso/virtio-win.iso
	network = user
	mac = 52:54:00:12:34:56
	spice = unix
	audio = spice
	usb-redirect = 2
	extra-args = -global kvm-pit.lost_tick_policy=delay

	# Only the GPU's audio function: the slot has no function 0 passed through, so both
	# builders renumber it to function 0 (the guest scans a slot only from function 0).
	[vm solo]
	memory = 1G
	vcpus = 1
	devices = gpu-audio usb

	# SeaBIOS, no hugepages, a named CPU model, only the hidden-KVM vendor id, a bridge,
	# SPICE on the loopback interface with a QXL display, an e1000e; boots the USB card's
	# devices, then the network.
	[vm legacy]
	memory = 2G
	hugepage-size = none
	vcpus = 2
	cpu-model = Skylake-Client
	hide-kvm = yes
	firmware = bios
	devices = usb
	device-options = usb rombar=1
	network = bridge:br0
	network-model = e1000e
	spice = loopback:5931
	spice-password-file = /etc/gpt-bootcfg/spice.pw
	display = qxl-vga
	boot = usb network

	# Windows 11 (issue 24): a TPM 2.0 from swtpm and Secure Boot (no firmware descriptors
	# in this root: Debian's Secure Boot OVMF by its file names).
	[vm win11]
	memory = 8G
	vcpus = 4
	devices = gpu gpu-audio
	hyperv = yes
	os = windows11
	tpm = yes
	secure-boot = yes
	CONF
	} | write_conf "$_r"
	# The machine type and UUID a first vm run pinned (vm-state.h): the XML and the argv
	# do not depend on this machine's QEMU, and both carry the same identity.
	for _vm in win10 lab solo legacy win11; do
		mkdir -p "$_r/var/lib/gpt-bootcfg/$_vm"
		echo pc-q35-7.2 >"$_r/var/lib/gpt-bootcfg/$_vm/machine"
	done
	echo 6a1c2f0e-58d4-4b8e-9c1d-3f2a7b9e0d15 >"$_r/var/lib/gpt-bootcfg/win10/uuid"
	echo 0b5e3c1a-7d2f-4e6a-8b9c-1d2e3f4a5b6c >"$_r/var/lib/gpt-bootcfg/lab/uuid"
	# libvirt keeps the SPICE password in the domain: the export carries it, escaped.
	printf 's3cr&t<pw>\n' >"$_r/etc/gpt-bootcfg/spice.pw"
	chmod 0600 "$_r/etc/gpt-bootcfg/spice.pw"
	echo "$_r"
}

r=$(make_root)
VMS="win10 lab legacy win11"
# The Secure Boot code the win11 VM gets: Debian's by name (no descriptors in the root).
FW_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
for vm in $VMS; do
	"$GPT_BOOTCFG" --root "$r" vm export "$vm" --libvirt >"$TAP_TMP/$vm.xml" 2>"$TAP_TMP/err"
	is "$?" 0 "$vm: vm export --libvirt exits 0"
	is "$(cat "$TAP_TMP/err")" "" "$vm: nothing on stderr"
	golden "vm/libvirt/$vm.xml" "$TAP_TMP/$vm.xml"
	"$GPT_BOOTCFG" --root "$r" vm export "$vm" --libvirt | cmp -s - "$TAP_TMP/$vm.xml"
	is "$?" 0 "$vm: the same bytes again"
done

# Placement without libvirt: each hostdev's root port, function and multifunction flag in the
# XML are those of its vfio-pci device in vm command (rpN is controller index N).
placement_xml() {
	python3 -c '
import sys, xml.etree.ElementTree as ET
for h in ET.parse(sys.argv[1]).getroot().findall("./devices/hostdev"):
    s = h.find("./source/address").attrib
    a = h.find("./address").attrib
    print("%s:%s:%s.%s rp%d fn%d%s" % (s["domain"][2:], s["bus"][2:], s["slot"][2:], s["function"][2:],
        int(a["bus"], 16), int(a["function"], 16), " multifunction" if a.get("multifunction") == "on" else ""))' "$1"
}
placement_cmd() {
	jq -r '.argv[] | select(startswith("vfio-pci,"))' "$1" | python3 -c '
import sys
for l in sys.stdin:
    d = dict(p.split("=", 1) if "=" in p else (p, "") for p in l.strip().split(","))
    print("%s rp%s fn%d%s" % (d["host"], d["bus"][2:], int(d["addr"].split(".")[1]),
        " multifunction" if d.get("multifunction") == "on" else ""))'
}
"$GPT_BOOTCFG" --root "$r" vm export solo --libvirt >"$TAP_TMP/solo.xml"
for vm in $VMS solo; do
	"$GPT_BOOTCFG" --root "$r" vm command --json "$vm" >"$TAP_TMP/$vm.json"
	placement_xml "$TAP_TMP/$vm.xml" >"$TAP_TMP/$vm.pl-xml"
	placement_cmd "$TAP_TMP/$vm.json" >"$TAP_TMP/$vm.pl-cmd"
	ok "$vm: hostdevs on the root ports and functions of vm command" -- \
		sh -c 'test -s "$1" && diff "$1" "$2"' - "$TAP_TMP/$vm.pl-cmd" "$TAP_TMP/$vm.pl-xml"
done
is "$(cat "$TAP_TMP/solo.pl-xml")" "0000:65:00.1 rp1 fn0
0000:b4:00.0 rp2 fn0" "solo: the audio function alone becomes function 0"

# The rules, checked on the XML itself (not only against the golden file).
x=$TAP_TMP/win10.xml
xp() { # xp FILE XPATH: the XPath's string value (python3's ElementTree subset)
	python3 -c '
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1])
r = t.getroot().findall(sys.argv[2])
print("\n".join((e.text or "") if not sys.argv[3:] else e.get(sys.argv[3], "") for e in r))' "$@"
}
is "$(xp "$x" "./os/type" machine)" pc-q35-7.2 "the pinned machine type"
is "$(xp "$x" "./uuid")" 6a1c2f0e-58d4-4b8e-9c1d-3f2a7b9e0d15 "the pinned UUID"
is "$(xp "$x" "./devices/hostdev/boot" order)" 1 "the passed-through NVMe boots first (the only hostdev with an order)"
is "$(xp "$x" "./devices/disk/boot" order)" 3 "the cdrom after the NVMe image (bootindex=2 in qemu:commandline)"
is "$(xp "$x" "./clock/timer" name | tr '\n' ' ')" "rtc pit hpet hypervclock " "timers: rtc, pit, no hpet, Hyper-V clock"
is "$(xp "$TAP_TMP/legacy.xml" "./devices/video/model" type)" qxl "legacy: display = qxl-vga"
is "$(xp "$TAP_TMP/legacy.xml" "./devices/interface/boot" order)/$(xp "$TAP_TMP/legacy.xml" "./devices/hostdev/boot" order)" \
	"2/1" "legacy: boot = usb network"
is "$(xp "$TAP_TMP/lab.xml" "./devices/sound" model)/$(xp "$TAP_TMP/lab.xml" "./devices/audio" type)" \
	"ich9/spice" "lab: audio = spice"
is "$(xp "$x" "./os/loader" readonly)/$(xp "$x" "./os/loader" type)" yes/pflash "OVMF code read-only pflash"
is "$(xp "$x" "./os/nvram" template)" /usr/share/OVMF/OVMF_VARS_4M.fd "NVRAM from the configured template"
is "$(xp "$x" "./os/nvram")" /var/lib/libvirt/qemu/nvram/win10_VARS.fd "NVRAM per VM"
is "$(xp "$x" "./memoryBacking/hugepages/page" size)" 1048576 "1 GiB pages"
is "$(xp "$x" "./memoryBacking/locked" | wc -l)" 1 "memory locked"
is "$(xp "$x" "./numatune/memory" nodeset)" 0 "memory bound to the GPU's node"
is "$(xp "$x" "./cputune/vcpupin" cpuset | tr '\n' ' ')" "14 15 16 17 32 33 34 35 " "vCPUs pinned in order"
is "$(xp "$x" "./cputune/emulatorpin" cpuset)" 12-13 "emulator threads pinned"
is "$(xp "$x" "./cpu/topology" cores)/$(xp "$x" "./cpu/topology" threads)" 4/2 "topology"
is "$(xp "$x" "./cpu" mode)" host-passthrough "host CPU"
is "$(xp "$x" "./features/hyperv/vendor_id" value)" gptbootcfg "Hyper-V vendor id"
is "$(xp "$x" "./features/kvm/hidden" state)" on "KVM hidden"
is "$(xp "$x" "./devices/hostdev" managed | sort -u)" no "every hostdev managed='no'"
is "$(xp "$x" "./devices/hostdev" managed | wc -l)" 4 "four hostdevs"
is "$(xp "$x" "./devices/hostdev/address" bus | tr '\n' ' ')" "0x01 0x01 0x02 0x03 " \
	"GPU and audio on one root port, the others on their own"
is "$(xp "$x" "./devices/hostdev/address" multifunction | tr '\n' ' ')" "on    " \
	"function 0 of the GPU is multifunction"
is "$(xp "$x" "./devices/controller[@model='pcie-root-port']" model | wc -l)" 3 "three root ports"
is "$(xp "$TAP_TMP/lab.xml" "./devices/disk/source" file | sed -n 1p)" "/data/img/lab's<scratch>&more.qcow2" \
	"lab: the disk path survives escaping"
ok "lab: the path is escaped in the text" -- grep -qF "file='/data/img/lab&apos;s&lt;scratch&gt;&amp;more.qcow2'" "$TAP_TMP/lab.xml"
is "$(xp "$TAP_TMP/lab.xml" "./devices/hostdev/rom" bar)" off "lab: rombar=0 is <rom bar='off'>"
is "$(xp "$TAP_TMP/lab.xml" "./devices/hostdev/rom" file)" "/data/rom/gp&u.rom" "lab: romfile is <rom file>"
is "$(xp "$TAP_TMP/lab.xml" "./devices/disk/boot" order | tr '\n' ' ')" "1 2 3 4 5 " \
	"lab: boot order disks then CD-ROMs"

# virt-xml-validate (libvirt-clients) against libvirt's RelaxNG schema.
if command -v virt-xml-validate >/dev/null 2>&1; then
	for vm in $VMS; do
		ok "$vm: virt-xml-validate accepts the domain" -- virt-xml-validate "$TAP_TMP/$vm.xml" domain
	done
	# The validator can fail: an unknown element is refused.
	sed 's|<vmport state=.off./>|<vmport state="off"/><frobnicate/>|' "$TAP_TMP/win10.xml" >"$TAP_TMP/bad.xml"
	ok "virt-xml-validate refuses a broken domain" -- sh -c '! virt-xml-validate "$1" domain' - "$TAP_TMP/bad.xml"
else
	skip "virt-xml-validate" "not installed (Debian package libvirt-clients, tests/deps.txt)"
fi

# libvirt's QEMU command for the exported XML: the embedded QEMU driver (qemu:///embed) runs
# in this process, under its own root directory. It wants its default user libvirt-qemu to
# exist, and a hugetlbfs for the page sizes: both are provided in a private mount namespace
# (a copy of /etc/passwd and /etc/group with that user bound over the real ones, hugetlbfs
# mounts only this namespace sees). domxml-to-native starts no QEMU and opens no device.
native() { # native VM: libvirt's argv into $TAP_TMP/VM.native
	_e=$TAP_TMP/embed
	mkdir -p "$_e/root/etc" "$_e/hp1g" "$_e/hp2m"
	cat >"$_e/root/etc/qemu.conf" <<-EOF
	user = "root"
	group = "root"
	security_driver = "none"
	hugetlbfs_mount = ["$_e/hp1g", "$_e/hp2m"]
	EOF
	cp /etc/passwd "$_e/passwd"
	cp /etc/group "$_e/group"
	grep -q '^libvirt-qemu:' "$_e/passwd" ||
		echo 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin' >>"$_e/passwd"
	grep -q '^libvirt-qemu:' "$_e/group" || echo 'libvirt-qemu:x:64055:' >>"$_e/group"
	grep -q '^kvm:' "$_e/group" || echo 'kvm:x:64056:' >>"$_e/group"
	unshare -m --propagation private sh -ec '
		mount --bind "$1/passwd" /etc/passwd
		mount --bind "$1/group" /etc/group
		mount -t hugetlbfs -o pagesize=1G none "$1/hp1g"
		mount -t hugetlbfs -o pagesize=2M none "$1/hp2m"
		exec virsh -q -c "qemu:///embed?root=$1/root" domxml-to-native qemu-argv "$2"
	' - "$_e" "$TAP_TMP/$1.xml" >"$TAP_TMP/$1.native" 2>"$TAP_TMP/$1.native-err"
}

why=""
if ! command -v virsh >/dev/null 2>&1; then
	why="virsh not installed (libvirt-clients, tests/deps.txt)"
elif [ ! -e /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so ]; then
	why="libvirt's QEMU driver not installed (libvirt-daemon-driver-qemu, tests/deps.txt)"
elif [ "$(id -u)" != 0 ]; then
	why="needs root for a private mount namespace"
elif ! unshare -m true 2>/dev/null; then
	why="cannot create a mount namespace here"
elif [ ! -c /dev/kvm ] || [ ! -w /dev/kvm ]; then
	# The domains are type kvm: libvirt checks that against QEMU's KVM support.
	why="no usable /dev/kvm: libvirt refuses a domain of type kvm"
elif [ ! -d /sys/kernel/mm/hugepages/hugepages-1048576kB ]; then
	why="this kernel has no 1 GiB hugepages to mount a hugetlbfs of"
fi
# win11 is compared below without KVM (its Secure Boot and TPM options).
for vm in win10 lab legacy; do
	if [ -n "$why" ]; then
		skip "$vm: domxml-to-native comparison" "$why"
		continue
	fi
	if ! native "$vm"; then
		ok "$vm: virsh domxml-to-native qemu-argv" -- sh -c 'cat "$1"; false' - "$TAP_TMP/$vm.native-err"
		continue
	fi
	ok "$vm: libvirt builds a QEMU command" -- grep -q qemu-system-x86_64 "$TAP_TMP/$vm.native"
	"$GPT_BOOTCFG" --root "$r" vm command --json "$vm" >"$TAP_TMP/$vm.json"
	python3 "$TOP/tests/lib/argv-facts.py" gpt "$TAP_TMP/$vm.json" >"$TAP_TMP/$vm.gpt-facts"
	python3 "$TOP/tests/lib/argv-facts.py" libvirt "$TAP_TMP/$vm.native" \
		"EMBED=$TAP_TMP/embed/root" "HUGEPAGES-1G=$TAP_TMP/embed/hp1g" \
		"HUGEPAGES-2M=$TAP_TMP/embed/hp2m" >"$TAP_TMP/$vm.libvirt-facts"
	grep "^vfio-pci " "$TAP_TMP/$vm.gpt-facts" >"$TAP_TMP/$vm.gpt-vfio"
	grep "^vfio-pci " "$TAP_TMP/$vm.libvirt-facts" >"$TAP_TMP/$vm.libvirt-vfio"
	ok "$vm: the same passed-through devices, root ports, functions and options" -- \
		sh -c 'test -s "$1" && diff "$1" "$2"' - "$TAP_TMP/$vm.gpt-vfio" "$TAP_TMP/$vm.libvirt-vfio"
	diff "$TAP_TMP/$vm.gpt-facts" "$TAP_TMP/$vm.libvirt-facts" | grep '^[<>]' \
		>"$TAP_TMP/$vm.differences"
	golden "vm/libvirt/$vm.differences" "$TAP_TMP/$vm.differences"
done

# win11's Secure Boot and TPM as libvirt starts them: domxml-to-native of the exported XML
# with what needs KVM made TCG's (type='qemu', a named CPU model), so this runs without
# /dev/kvm. libvirt's SMM, secure pflash, loader and TPM must be vm command's.
x=$TAP_TMP/win11.xml
is "$(xp "$x" "./os/loader" secure)/$(xp "$x" "./os/loader")" yes/"$FW_CODE" "win11: the Secure Boot loader, secure='yes'"
is "$(xp "$x" "./os/nvram" template)" /usr/share/OVMF/OVMF_VARS_4M.ms.fd "win11: NVRAM from the template with Microsoft's keys"
is "$(xp "$x" "./features/smm" state)" on "win11: <smm state='on'/>"
is "$(xp "$x" "./devices/tpm" model)/$(xp "$x" "./devices/tpm/backend" type)/$(xp "$x" "./devices/tpm/backend" version)" \
	tpm-crb/emulator/2.0 "win11: <tpm model='tpm-crb'> with an emulated TPM 2.0"
why_tcg=""
if ! command -v virsh >/dev/null 2>&1; then
	why_tcg="virsh not installed (libvirt-clients, tests/deps.txt)"
elif [ ! -e /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so ]; then
	why_tcg="libvirt's QEMU driver not installed (libvirt-daemon-driver-qemu, tests/deps.txt)"
elif [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	why_tcg="needs root for a private mount namespace"
fi
if [ -n "$why_tcg" ]; then
	skip "win11: domxml-to-native of Secure Boot and the TPM" "$why_tcg"
else
	sed -e "s/<domain type='kvm'/<domain type='qemu'/" \
		-e "s|<cpu mode='host-passthrough' check='none'>|<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model>|" \
		-e '/<hyperv mode=/,/<\/hyperv>/d' -e '/hypervclock/d' -e '/<hugepages>/,/<\/hugepages>/d' \
		"$x" >"$TAP_TMP/win11-tcg.xml"
	# As native() (above), without the hugetlbfs mounts: this variant has no hugepages.
	_e=$TAP_TMP/embed
	mkdir -p "$_e/root/etc"
	printf 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\n' >"$_e/root/etc/qemu.conf"
	cp /etc/passwd "$_e/passwd"
	cp /etc/group "$_e/group"
	grep -q '^libvirt-qemu:' "$_e/passwd" ||
		echo 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin' >>"$_e/passwd"
	grep -q '^libvirt-qemu:' "$_e/group" || echo 'libvirt-qemu:x:64055:' >>"$_e/group"
	if unshare -m --propagation private sh -ec '
		mount --bind "$1/passwd" /etc/passwd
		mount --bind "$1/group" /etc/group
		exec virsh -q -c "qemu:///embed?root=$1/root" domxml-to-native qemu-argv "$2"
	' - "$_e" "$TAP_TMP/win11-tcg.xml" >"$TAP_TMP/win11-tcg.native" 2>"$TAP_TMP/win11-tcg.native-err"; then
		"$GPT_BOOTCFG" --root "$r" vm command --json win11 >"$TAP_TMP/win11.json"
		sel='^(machine smm|-global driver=cfi.pflash01|pflash0 |tpmdev |device tpm-crb)'
		python3 "$TOP/tests/lib/argv-facts.py" gpt "$TAP_TMP/win11.json" | grep -E "$sel" >"$TAP_TMP/win11.sel-gpt"
		python3 "$TOP/tests/lib/argv-facts.py" libvirt "$TAP_TMP/win11-tcg.native" | grep -E "$sel" >"$TAP_TMP/win11.sel-libvirt"
		is "$(cat "$TAP_TMP/win11.sel-gpt")" "-global driver=cfi.pflash01,property=secure,value=on
device tpm-crb tpmdev=yes
machine smm=on
pflash0 $FW_CODE read-only
tpmdev emulator" "win11: vm command's Secure Boot and TPM options"
		ok "win11: libvirt's are the same (domxml-to-native, TCG)" -- \
			diff "$TAP_TMP/win11.sel-gpt" "$TAP_TMP/win11.sel-libvirt"
	else
		ok "win11: virsh domxml-to-native qemu-argv (TCG)" -- sh -c 'cat "$1"; false' - "$TAP_TMP/win11-tcg.native-err"
	fi
fi

# Usage errors.
"$GPT_BOOTCFG" --root "$r" vm export win10 >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 2 "vm export without a format: exit 2"
ok "names --libvirt" -- grep -qF -- "--libvirt" "$TAP_TMP/err"
is "$(wc -c <"$TAP_TMP/out")" 0 "and prints nothing"
"$GPT_BOOTCFG" --root "$r" vm export nosuch --libvirt >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 2 "unknown VM: exit 2"
rm "$r/data/iso/debian.iso"
"$GPT_BOOTCFG" --root "$r" vm export lab --libvirt >"$TAP_TMP/out" 2>"$TAP_TMP/err"
is "$?" 2 "missing CD-ROM image: exit 2, as vm command"
ok "names the file" -- grep -qF "cdrom '/data/iso/debian.iso'" "$TAP_TMP/err"
is "$(wc -c <"$TAP_TMP/out")" 0 "and prints no XML"

done_testing
