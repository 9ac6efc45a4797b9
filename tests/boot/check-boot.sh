#!/bin/sh
# check-boot.sh BUILD_DIR [SCENARIO...]: the boot-time claim proven on Debian's own kernel
# under QEMU (TAP). Scenarios: real builtin vfio-builtin mismatch off nested bridge groupmate
# runtime input usbhost (default: all).
# Each boots the demo host of qemu-run.sh with the real initramfs made by mkinitramfs with
# our hook; a scenario differs by kernel arguments and by a small cpio appended to the
# image (later archives override files of earlier ones). Assertions read the GBTEST lines
# the report script prints on the serial console; a failing scenario prints its serial log.
build=$(cd "${1:?usage: check-boot.sh BUILD_DIR [SCENARIO...]}" && pwd)
shift
. "$(dirname "$0")/../lib/tap.sh"
here=$TOP/tests/boot
cache=${GPT_BOOTCFG_CACHE:-$TOP/.cache}
# Per build directory (its whole path: every checkout has a "build"), so that several
# checkouts or build dirs can run at once.
work_top=$cache/boot/$(basename "$build")-$(printf '%s' "$build" | cksum | cut -d' ' -f1)
scenarios=${*:-real builtin vfio-builtin mismatch off nested bridge groupmate runtime input usbhost}
limit=${GPT_BOOTCFG_BOOT_TIMEOUT:-240}

bail() { echo "Bail out! $*"; exit 1; }
for t in qemu-system-x86_64 mkinitramfs unshare cpio python3 zstd timeout; do
	command -v "$t" >/dev/null 2>&1 || bail "$t not found: install tests/deps.txt (make check-deps)"
done
[ -x "$build/gpt-bootcfg-claim" ] || bail "$build/gpt-bootcfg-claim not built"
[ -x "$build/boot/qmp-query" ] || bail "$build/boot/qmp-query not built"
case " $scenarios " in *" nested "* | *" runtime "* | *" input "* | *" usbhost "*)
	[ -x "$build/gpt-bootcfg" ] || bail "$build/gpt-bootcfg not built (the nested scenario runs it)" ;;
esac
case " $scenarios " in *" input "*)
	[ -x "$build/boot/uinput-kbd" ] || bail "$build/boot/uinput-kbd not built" ;;
esac
. "$here/kernels.sh"

# The list the generator would write: three targets, bound to generation 3.
NVME_T="0000:00:03.0 1b36:0010 1af4:1100 010802"
XHCI_T="0000:00:04.0 1b36:000d 1af4:1100 0c0330"
HDA_T="0000:00:05.0 8086:293e 1af4:1100 040300"
# The bridge scenario's extra NVMe behind a PCIe root port (the first bus behind a bridge).
RP_QEMU="-device pcie-root-port,id=gbrp,chassis=9,addr=08.0 -device nvme,serial=gbreset,bus=gbrp"
RP_NVME=0000:01:00.0
RP_NVME_T="$RP_NVME 1b36:0010 1af4:1100 010802"
ARGS="gpt_bootcfg.generation=3"
# The helpers the scenarios of both generators share (boot, report readers, module chains).
. "$here/boot-lib.sh"

# Every scenario runs on each kernel of $BOOT_KERNELS (kernels.sh: fetch-kernel.sh SUITE, or
# SUITE:SCENARIO,... for the scenarios of that kernel); the scenario loop below is the body of
# this loop (not indented, to keep its history readable). A kernel that cannot be fetched
# bails out: it is never skipped.
for kspec in $BOOT_KERNELS; do
suite=${kspec%%:*}
kscen=$scenarios
case $kspec in
*:*)
	kscen=
	for s in $scenarios; do
		case ",${kspec#*:}," in *",$s,"*) kscen="$kscen $s" ;; esac
	done
	if [ -z "$kscen" ]; then
		echo "# $suite: none of the scenarios asked for ($scenarios) runs on it (${kspec#*:})"
		continue
	fi
	;;
esac
kdir=$("$here/fetch-kernel.sh" "$suite") || bail "cannot fetch Debian's kernel ($suite)"
kver=$(cat "$kdir/version")
K="[$kver]"
work=$work_top/$suite
mkdir -p "$work"
echo "# kernel $kver ($suite): $kdir"
printf '# demo host targets\ngeneration 3\n%s\n%s\n%s\n' "$NVME_T" "$XHCI_T" "$HDA_T" >"$work/claim.list"

# The real image, rebuilt only when one of its inputs changed.
key=$(cat "$build/gpt-bootcfg-claim" "$work/claim.list" "$TOP/initramfs-tools/hooks/gpt-bootcfg" \
	"$TOP/initramfs-tools/scripts/init-top/gpt-bootcfg" "$TOP/modprobe.d/gpt-bootcfg.conf.in" \
	"$here/report" "$here/build-initramfs.sh" "$kdir/version" | sha256sum | cut -c1-16)
base=$work/base-$key.img
if [ ! -f "$base" ]; then
	rm -f "$work"/base-*.img
	"$here/build-initramfs.sh" "$kdir" "$base" "$build/gpt-bootcfg-claim" "$work/claim.list" \
		>"$work/mkinitramfs.log" 2>&1 || { sed 's/^/# /' "$work/mkinitramfs.log"; bail "mkinitramfs failed ($kver)"; }
	# Concatenated archives must start on a 4-byte boundary.
	truncate -s %4 "$base"
fi

# guest_tools DIR: a fresh overlay with gpt-bootcfg, QEMU (TCG, SeaBIOS), their libraries and
# tests/boot/qmp-query, for the scenarios that run a nested VM in the guest.
guest_tools() {
	rm -rf "$1" && mkdir -p "$1/usr/bin" "$1/usr/lib/x86_64-linux-gnu/qemu" \
		"$1/usr/share/seabios" "$1/usr/lib/gbtest" "$1/gbtest" "$1/etc/gpt-bootcfg"
	_q=$(command -v qemu-system-x86_64)
	cp "$_q" "$build/gpt-bootcfg" "$1/usr/bin/"
	# Debian's QEMU loads TCG and usb-host (usbhost) from modules of qemu-system-common.
	_mods="/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so /usr/lib/x86_64-linux-gnu/qemu/hw-usb-host.so"
	cp $_mods "$1/usr/lib/x86_64-linux-gnu/qemu/"
	# Debian's QEMU searches /usr/share/seabios for its firmware; q35 also loads the
	# vapic option ROM (it only warns without it).
	cp /usr/share/seabios/bios-256k.bin "$1/usr/share/seabios/"
	mkdir -p "$1/usr/share/qemu" && cp /usr/share/qemu/kvmvapic.bin "$1/usr/share/qemu/"
	cp "$build/boot/qmp-query" "$here/guest-lib.sh" "$1/usr/lib/gbtest/"
	# Shared libraries by their sonames; /lib is a symlink to usr/lib in the image.
	for _l in $(ldd "$_q" $_mods "$build/gpt-bootcfg" |
		awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u); do
		cp -L "$_l" "$1/usr/lib/x86_64-linux-gnu/${_l##*/}"
	done
}

# guest_modules DIR MODULE...: the modules with what they need, in load order, from this
# kernel's own tree (modprobe, as modules_expected), decompressed for the guest's insmod into
# DIR/gbtest/mod/NAME.ko, their names in DIR/gbtest/modules (built-in ones are not listed).
guest_modules() {
	_d=$1 && shift && mkdir -p "$_d/gbtest/mod"
	for _m in "$@"; do
		modprobe -d "$kdir" -S "$kver" --show-depends "$_m" || bail "modprobe --show-depends $_m failed ($kver)"
	done | sed -n 's/^insmod \([^ ]*\).*$/\1/p' | awk '!seen[$0]++' >"$TAP_TMP/guest-mods"
	while read -r _f; do
		_n=${_f##*/} && _n=$(echo "${_n%%.ko*}" | tr - _)
		case $_f in *.xz) xz -dc "$_f" ;; *.zst) zstd -qdc "$_f" ;; *) cat "$_f" ;; esac >"$_d/gbtest/mod/$_n.ko" ||
			bail "cannot copy $_f"
		echo "$_n" >>"$_d/gbtest/modules"
	done <"$TAP_TMP/guest-mods"
}

for s in $kscen; do
	case $s in
	real)
		boot real "$base" "$ARGS"
		targets_claimed real
		ok "$K real: ORDER of the real image runs gpt-bootcfg before udev" -- \
			sh -c "sed -n 's/^ORDER //p' '$TAP_TMP/real' | tr '\n' ' ' | grep -q 'gpt-bootcfg .*udev'"
		loaded=$(sed -n 's/^LOG gpt-bootcfg: loaded \(.*\) in [0-9.]* ms$/\1/p' "$TAP_TMP/real")
		is "$(echo "$loaded" | tr -d ' ' | tr , '\n' | LC_ALL=C sort -u | tr '\n' ' ')" "$(modules_expected)" \
			"$K real: modules loaded by the claim binary are vfio-pci's and vfio_iommu_type1's chains in this kernel's modules.dep"
		ok "$K real: the claim binary loaded each module after the ones it needs" -- modules_order_ok "$loaded"
		ok "$K real: per-device log with durations" -- has real "LOG gpt-bootcfg: 0000:00:03.0: claimed for vfio-pci in"
		ok "$K real: summary" -- has real "LOG gpt-bootcfg: 3 of 3 devices on vfio-pci in"
		is "$(claimlog real)" "0000:00:03.0 claimed 0000:00:04.0 claimed 0000:00:05.0 claimed " \
			"$K real: the claim log records each device for status"
		finish real
		;;
	builtin)
		# Built-in drivers bind before any initramfs script: stand in for them by
		# loading the host drivers from rdinit before the real /init starts.
		rm -rf "$TAP_TMP/ov" && mkdir -p "$TAP_TMP/ov"
		cat >"$TAP_TMP/ov/gbtest-preinit" <<'PRE'
#!/bin/sh
mkdir -p /proc /sys
mount -t proc proc /proc
mount -t sysfs sysfs /sys
modprobe nvme; modprobe xhci_pci; modprobe snd_hda_intel
for a in 0000:00:03.0 0000:00:04.0 0000:00:05.0; do
	echo "GBTEST PRE $a $(basename "$(readlink /sys/bus/pci/devices/$a/driver)")"
done
umount /sys /proc
exec /init "$@"
PRE
		chmod +x "$TAP_TMP/ov/gbtest-preinit"
		overlay builtin "$TAP_TMP/ov"
		boot builtin "$work/builtin.img" "$ARGS rdinit=/gbtest-preinit"
		is "$(sed -n 's/^PRE //p' "$TAP_TMP/builtin" | tr '\n' ' ')" \
			"0000:00:03.0 nvme 0000:00:04.0 xhci_hcd 0000:00:05.0 snd_hda_intel " \
			"$K builtin: host drivers held the targets before the claim"
		targets_claimed builtin
		ok "$K builtin: nvme unbound by the claim" -- has builtin "0000:00:03.0: claimed for vfio-pci in"
		ok "$K builtin: unbind logged" -- has builtin ", unbind nvme "
		ok "$K builtin: xhci unbind logged" -- has builtin ", unbind xhci_hcd "
		finish builtin
		;;
	vfio-builtin)
		# vfio-pci built into the kernel (CONFIG_VFIO_PCI=y, as Ubuntu's kernels have it):
		# registered before any initramfs script, and not in modules.dep. Stand in for it by
		# loading vfio-pci's chain (this kernel's modules, from modprobe --show-depends) from
		# rdinit before the real /init starts, and by an image whose modules.dep has no
		# vfio-pci line (modules.builtin names it instead): the claim must bind through
		# driver_override alone, loading nothing.
		ov=$TAP_TMP/ov
		rm -rf "$ov" && mkdir -p "$ov/usr/lib/modules/$kver"
		guest_modules "$ov" vfio-pci
		grep -v '/vfio-pci\.ko[^:]*:' "$kdir/lib/modules/$kver/modules.dep" >"$ov/usr/lib/modules/$kver/modules.dep"
		{ cat "$kdir/lib/modules/$kver/modules.builtin" &&
			echo kernel/drivers/vfio/pci/vfio-pci.ko; } >"$ov/usr/lib/modules/$kver/modules.builtin"
		cat >"$ov/gbtest-preinit" <<'PRE'
#!/bin/sh
mkdir -p /proc /sys
mount -t proc proc /proc
mount -t sysfs sysfs /sys
while read -r m; do insmod /gbtest/mod/$m.ko; done </gbtest/modules
[ -d /sys/bus/pci/drivers/vfio-pci ] && echo "GBTEST PREVFIO registered" || echo "GBTEST PREVFIO absent"
umount /sys /proc
exec /init "$@"
PRE
		chmod +x "$ov/gbtest-preinit"
		overlay vfio-builtin "$ov"
		boot vfio-builtin "$work/vfio-builtin.img" "$ARGS rdinit=/gbtest-preinit"
		is "$(sed -n 's/^PREVFIO //p' "$TAP_TMP/vfio-builtin")" registered \
			"$K vfio-builtin: vfio-pci registered before /init ($(tr '\n' ' ' <"$ov/gbtest/modules"))"
		targets_claimed vfio-builtin
		is "$(grep -c 'gpt-bootcfg: loaded' "$TAP_TMP/vfio-builtin")" 0 \
			"$K vfio-builtin: the claim binary loaded no module"
		ok "$K vfio-builtin: summary" -- has vfio-builtin "LOG gpt-bootcfg: 3 of 3 devices on vfio-pci in"
		is "$(claimlog vfio-builtin)" "0000:00:03.0 claimed 0000:00:04.0 claimed 0000:00:05.0 claimed " \
			"$K vfio-builtin: the claim log records each device"
		finish vfio-builtin
		;;
	mismatch)
		rm -rf "$TAP_TMP/ov" && mkdir -p "$TAP_TMP/ov/etc/gpt-bootcfg"
		printf 'generation 3\n0000:00:03.0 1b36:0011 1af4:1100 010802\n%s\n%s\n' "$XHCI_T" "$HDA_T" \
			>"$TAP_TMP/ov/etc/gpt-bootcfg/claim.list"
		overlay mismatch "$TAP_TMP/ov"
		boot mismatch "$work/mismatch.img" "$ARGS"
		is "$(drv mismatch 0000:00:03.0)" nvme "$K mismatch: the mismatched NVMe is skipped and gets nvme"
		is "$(drv mismatch 0000:00:04.0) $(drv mismatch 0000:00:05.0)" "vfio-pci vfio-pci" "$K mismatch: the other targets are claimed"
		is "$(drv mismatch 0000:00:06.0)" nvme "$K mismatch: control on nvme"
		ok "$K mismatch: skip logged with the reason" -- has mismatch "0000:00:03.0: skipped: identity mismatch: device is 0010, list says 0011"
		ok "$K mismatch: summary" -- has mismatch "2 of 3 devices on vfio-pci"
		is "$(claimlog mismatch)" "0000:00:03.0 skipped 0000:00:04.0 claimed 0000:00:05.0 claimed " \
			"$K mismatch: the claim log records the skip for status"
		finish mismatch
		;;
	off)
		boot off "$base" "$ARGS gpt_bootcfg=off"
		is "$(drv off 0000:00:03.0) $(drv off 0000:00:04.0) $(drv off 0000:00:05.0) $(drv off 0000:00:06.0)" \
			"nvme xhci_hcd snd_hda_intel nvme" "$K off: every device on its host driver"
		ok "$K off: kill switch logged" -- has off "gpt_bootcfg=off on the kernel command line: claiming nothing"
		is "$(grep -c 'gpt-bootcfg: loaded' "$TAP_TMP/off")" 0 "$K off: the claim binary loaded no module"
		# udev's modprobe of nvme honours "softdep nvme pre: vfio-pci" from modprobe.d.
		ok "$K off: the modprobe.d backstop loaded vfio-pci before the host drivers" -- has off "MOD vfio_pci"
		finish off
		;;
	nested)
		# The generator's own VM runner inside the guest: "vm command" builds the argv for
		# the claimed NVMe, "vm run" starts that QEMU paused, pins its threads and
		# continues it, QMP lists the device, /proc shows the pinning, "vm stop" ends it.
		# The guest has no KVM: the runner's test switch makes it TCG.
		ov=$TAP_TMP/ov
		guest_tools "$ov"
		# The guest has 2 CPUs: the vCPU on CPU 1, QEMU's other threads on CPU 0. The cpio
		# makes the file root's; the generator refuses a group- or world-writable one.
		cat >"$ov/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
# check-boot nested: the claimed target NVMe goes to the nested VM.
[device nvme]
address = 0000:00:03.0

[vm nest]
memory = 64M
hugepage-size = none
vcpus = 1
vcpu-pins = 1
emulator-cpus = 0
firmware = bios
devices = nvme
stop-timeout = 3
CONF
		chmod 0644 "$ov/etc/gpt-bootcfg/gpt-bootcfg.conf"
		# Every step is bounded: a hang must not keep the guest from its report and
		# power-off (the boot timeout would only kill it as a failure).
		cat >"$ov/gbtest/scenario" <<'NEST'
#!/bin/sh
export GPT_BOOTCFG_TEST_ACCEL=tcg
d=/run/gbtest qmp=/run/gpt-bootcfg/nest.qmp
mkdir -p $d
. /usr/lib/gbtest/guest-lib.sh
t0=$(up)
echo "conf $(ls -ln /etc/gpt-bootcfg/gpt-bootcfg.conf | awk '{print $1, $3}')"
timeout 30 gpt-bootcfg vm command nest >$d/command.txt 2>&1
echo "vm command exit $?"
sed 's/^/CMD /' $d/command.txt

vm_start nest
echo "STATUS $(tr -d '\n' <$d/status.json)"
sed 's/^/STATUS-ERR /' $d/status.err
if [ $running = yes ]; then
	# The passed-through NVMe sits behind a root port; QEMU lists it once SeaBIOS has
	# numbered the port's bus.
	for i in $(seq 60); do
		timeout 30 /usr/lib/gbtest/qmp-query $qmp query-pci >$d/pci.json 2>$d/qmp.err
		rc=$?
		grep -q '"hostdev0"' $d/pci.json && break
		sleep 1
	done
	echo "qmp-query exit $rc at $(up) s"
	cat $d/pci.json $d/qmp.err
	timeout 30 /usr/lib/gbtest/qmp-query $qmp query-cpus-fast query-status
	echo "qmp-query cpus exit $?"
	pid=$(cat /run/gpt-bootcfg/nest.pid)
	for t in /proc/$pid/task/*; do
		echo "TASK ${t##*/} $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' $t/status) $(cat $t/comm)"
	done
fi

vm_stop_wait nest
sed 's/^/RUN /' $d/run.log
sed 's/^/STOP /' $d/stop.log

# Once more, ended by SIGTERM to the runner (what systemd sends it): QEMU ends, vm run exits.
timeout 120 gpt-bootcfg vm run nest >$d/run2.log 2>&1 &
run=$!
for i in $(seq 60); do
	timeout 20 gpt-bootcfg vm status nest --json 2>/dev/null | grep -q '"state": "running"' && break
	kill -0 $run 2>/dev/null || break
	sleep 1
done
kill -TERM $run
for i in $(seq 30); do kill -0 $run 2>/dev/null || break; sleep 1; done
wait $run
echo "vm run SIGTERM exit $?"
left=$(pidof qemu-system-x86_64)
if [ -n "$left" ]; then echo "qemu left: $left"; kill -9 $left; else echo "no qemu left after SIGTERM"; fi
sed 's/^/RUN2 /' $d/run2.log
echo "nested done in $t0 -> $(up) s"
NEST
		chmod +x "$ov/gbtest/scenario"
		overlay nested "$ov" || bail "nested overlay failed"
		boot nested "$work/nested.img" "$ARGS"
		is "$(drv nested 0000:00:03.0)" vfio-pci "$K nested: NVMe target on vfio-pci"
		ok "$K nested: the config is root's and not group/world-writable" -- has nested "STEP conf -rw-r--r-- 0"
		ok "$K nested: vm command succeeds" -- has nested "STEP vm command exit 0"
		ok "$K nested: vm command passes the claimed NVMe through" -- \
			has nested "STEP CMD     -device vfio-pci,host=0000:00:03.0,id=hostdev0,bus=rp1,addr=00.0"
		ok "$K nested: vm command on a root port" -- has nested "STEP CMD     -device pcie-root-port,id=rp1,chassis=1 \\"
		# Nothing pinned yet: the versioned type QEMU's q35 stands for (asked from QEMU).
		ok "$K nested: vm command uses TCG (test switch) on a versioned q35 machine type" -- \
			sh -c "grep -qE -- '^STEP CMD     -machine pc-q35-[0-9]+\\.[0-9]+,accel=tcg,' '$TAP_TMP/nested'"
		ok "$K nested: vm run pinned the machine type and a UUID" -- \
			has nested "STEP RUN gpt-bootcfg: VM 'nest' has machine type pc-q35-"
		ok "$K nested: vm command has one vCPU" -- has nested "STEP CMD     -smp 1,sockets=1,cores=1,threads=1 \\"
		ok "$K nested: vm run reached running" -- has nested "STEP vm running: yes"
		ok "$K nested: QMP answered query-pci" -- has nested "STEP qmp-query exit 0"
		ok "$K nested: QMP answered query-cpus-fast" -- has nested "STEP qmp-query cpus exit 0"
		sed -n 's/^STEP \({.*\)$/\1/p' "$TAP_TMP/nested" >"$TAP_TMP/qmp.json"
		sed -n 's/^STEP TASK //p' "$TAP_TMP/nested" >"$TAP_TMP/tasks"
		sed -n 's/^STEP STATUS //p' "$TAP_TMP/nested" >"$TAP_TMP/status.json"
		ok "$K nested: query-pci lists the passed-through NVMe (1b36:0010, class 0108) behind rp1" -- python3 -c '
import json, sys
r = {}
for l in open(sys.argv[1]):
    m = json.loads(l)
    r[m["command"]] = m["reply"]["return"]
def walk(devs, parent):
    for d in devs:
        yield d, parent
        yield from walk(d.get("pci_bridge", {}).get("devices", []), d.get("qdev_id"))
d = [(d, p) for b in r["query-pci"] for d, p in walk(b["devices"], None) if d.get("qdev_id") == "hostdev0"]
assert d, "no hostdev0 in query-pci"
d, p = d[0]
assert (d["id"]["vendor"], d["id"]["device"], d["class_info"]["class"]) == (0x1b36, 0x10, 0x0108), d
assert p == "rp1", p
print("hostdev0 at bus", d["bus"], "slot", d["slot"], "behind", p)' "$TAP_TMP/qmp.json"
		ok "$K nested: guest running after cont (query-status)" -- python3 -c '
import json, sys
r = {json.loads(l)["command"]: json.loads(l)["reply"]["return"] for l in open(sys.argv[1])}
assert r["query-status"]["status"] == "running", r["query-status"]' "$TAP_TMP/qmp.json"
		ok "$K nested: vCPU thread pinned to CPU 1, every other QEMU thread on CPU 0 (/proc)" -- python3 -c '
import json, sys
r = {json.loads(l)["command"]: json.loads(l)["reply"]["return"] for l in open(sys.argv[1])}
cpus = r["query-cpus-fast"]
assert len(cpus) == 1, cpus
vtid = str(cpus[0]["thread-id"])
tasks = {}
for l in open(sys.argv[2]):
    tid, allowed, name = (l.rstrip("\n").split(" ", 2) + [""])[:3]
    tasks[tid] = (allowed, name)
assert vtid in tasks, (vtid, tasks)
assert tasks[vtid][0] == "1", tasks[vtid]
others = {t: a for t, (a, n) in tasks.items() if t != vtid}
assert others and all(a == "0" for a in others.values()), others
st = json.load(open(sys.argv[3]))
assert st["running"] and [(v["thread"], v["affinity"]) for v in st["vcpus"]] == [(int(vtid), "1")], st
print("vCPU thread", vtid, tasks[vtid][1], "on CPU 1;", len(others), "other threads on CPU 0")' \
			"$TAP_TMP/qmp.json" "$TAP_TMP/tasks" "$TAP_TMP/status.json"
		ok "$K nested: vm stop exits 0" -- has nested "STEP vm stop exit 0"
		ok "$K nested: vm stop quit QEMU after the powerdown timeout (SeaBIOS has no OS)" -- \
			has nested "did not power off within 3 s; quitting QEMU"
		ok "$K nested: vm run exits 0 when QEMU ends" -- has nested "STEP vm run exit 0"
		ok "$K nested: no QEMU left after vm stop" -- has nested "STEP no qemu left"
		ok "$K nested: SIGTERM to vm run (second start) is passed on to QEMU" -- \
			has nested "STEP RUN2 gpt-bootcfg: Received SIGTERM; stopping QEMU for VM 'nest'."
		ok "$K nested: vm run exits 0 after SIGTERM" -- has nested "STEP vm run SIGTERM exit 0"
		ok "$K nested: no QEMU left after SIGTERM" -- has nested "STEP no qemu left after SIGTERM"
		finish nested
		;;
	runtime)
		# apply --now on a booted system that claimed nothing (no generation on the command
		# line): the idle NVMe 03.0 and the xHCI 04.0 move to vfio-pci, the NVMe 07.0 with a
		# mounted file system is refused; a nested QEMU takes both moved devices; revert
		# --now gives them back to nvme and xhci_hcd.
		ov=$TAP_TMP/ov
		guest_tools "$ov"
		# minix: a file system module without dependencies, so the guest can mount one.
		m=$(find "$kdir/lib/modules/$kver" -name 'minix.ko*' | head -n1)
		[ -n "$m" ] || bail "no minix module in $kdir ($kver)"
		case $m in *.xz) xz -dc "$m" ;; *.zst) zstd -qdc "$m" ;; *) cat "$m" ;; esac >"$ov/gbtest/minix.ko"
		rm -f "$work/runtime-data.img" && truncate -s 4M "$work/runtime-data.img" &&
			mkfs.minix "$work/runtime-data.img" >/dev/null || bail "mkfs.minix failed"
		cat >"$ov/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
# check-boot runtime: two idle devices and one whose disk is mounted.
[device nvme]
address = 0000:00:03.0
[device usb]
address = 0000:00:04.0
[device data]
address = 0000:00:07.0
CONF
		chmod 0644 "$ov/etc/gpt-bootcfg/gpt-bootcfg.conf"
		cat >"$ov/gbtest/scenario" <<'RT'
#!/bin/sh
d=/run/gbtest
mkdir -p $d
drv() { l=$(readlink /sys/bus/pci/devices/$1/driver) && echo "${l##*/}" || echo none; }
show() { for a in 0000:00:03.0 0000:00:04.0 0000:00:06.0 0000:00:07.0; do echo "DRV $1 $a $(drv $a)"; done; }
show boot
insmod /gbtest/minix.ko
echo "insmod exit $?"
disk=$(ls /sys/bus/pci/devices/0000:00:07.0/nvme/*/ | grep -m1 '^nvme[0-9]*n1$')
mkdir -p /run/gbdata && mount -t minix /dev/$disk /run/gbdata
echo "mount $disk exit $?"
# The plan refuses a controller of a mounted disk (root-disk): allowed for the boot, so that
# the runtime rule is what keeps it now.
timeout 120 gpt-bootcfg apply --yes --no-trial --no-rebuild --now --allow root-disk >$d/apply.out 2>$d/apply.err
echo "apply exit $?"
sed 's/^/OUT /' $d/apply.out
sed 's/^/ERR /' $d/apply.err
show apply
sed 's/^/RECORD /' /var/lib/gpt-bootcfg/runtime-claims
timeout 60 gpt-bootcfg status >$d/status.out 2>&1
sed 's/^/STATUS /' $d/status.out
timeout 120 qemu-system-x86_64 -machine q35 -accel tcg -S -nodefaults -display none -m 64 \
	-device vfio-pci,host=0000:00:03.0,id=moved3 -device vfio-pci,host=0000:00:04.0,id=moved4 \
	-qmp unix:$d/q.sock,server=on,wait=off >$d/qemu.log 2>&1 &
q=$!
rc=1
for i in $(seq 60); do
	timeout 30 /usr/lib/gbtest/qmp-query $d/q.sock query-pci >$d/pci.json 2>$d/qmp.err
	rc=$?
	grep -q '"moved4"' $d/pci.json && break
	kill -0 $q 2>/dev/null || break
	sleep 1
done
echo "qmp-query exit $rc"
cat $d/pci.json
kill $q 2>/dev/null
wait $q
sed 's/^/QEMU /' $d/qemu.log $d/qmp.err
timeout 120 gpt-bootcfg revert --now --no-rebuild >$d/revert.out 2>&1
echo "revert exit $?"
sed 's/^/REVERT /' $d/revert.out
show revert
[ -e /var/lib/gpt-bootcfg/runtime-claims ] && echo "record left" || echo "record gone"
RT
		chmod +x "$ov/gbtest/scenario"
		overlay runtime "$ov" || bail "runtime overlay failed"
		GBTEST_QEMU_EXTRA="-drive file=$work/runtime-data.img,if=none,id=gbdata,format=raw -device nvme,serial=gbdata,drive=gbdata,addr=07.0" \
			boot runtime "$work/runtime.img" ""
		rdrv() { sed -n "s/^STEP DRV $2 $3 //p" "$TAP_TMP/$1"; }
		is "$(rdrv runtime boot 0000:00:03.0) $(rdrv runtime boot 0000:00:04.0) $(rdrv runtime boot 0000:00:07.0)" \
			"nvme xhci_hcd nvme" "$K runtime: booted with nothing claimed"
		ok "$K runtime: the boot claim claimed nothing (no generation)" -- has runtime "claiming nothing: no generation on the command line"
		ok "$K runtime: the data disk is mounted" -- sh -c "grep -q '^STEP mount nvme[0-9]*n1 exit 0' '$TAP_TMP/runtime'"
		ok "$K runtime: apply --now exits 0" -- has runtime "STEP apply exit 0"
		ok "$K runtime: the idle NVMe claimed now" -- has runtime "STEP OUT   claimed now         0000:00:03.0 [device nvme]: from nvme"
		ok "$K runtime: the xHCI claimed now" -- has runtime "STEP OUT   claimed now         0000:00:04.0 [device usb]: from xhci_hcd"
		ok "$K runtime: the mounted NVMe refused, naming the mount" -- \
			sh -c "grep -qE '^STEP OUT   refused now         0000:00:07.0 \[device data\]: nvme[0-9]+n1 is mounted on /run/gbdata$' '$TAP_TMP/runtime'"
		ok "$K runtime: the bind steps logged" -- has runtime "STEP ERR gpt-bootcfg: 0000:00:03.0: claimed for vfio-pci (override "
		is "$(rdrv runtime apply 0000:00:03.0) $(rdrv runtime apply 0000:00:04.0) $(rdrv runtime apply 0000:00:06.0) $(rdrv runtime apply 0000:00:07.0)" \
			"vfio-pci vfio-pci nvme nvme" "$K runtime: after apply --now: the idle two on vfio-pci, the control and the mounted one on nvme"
		is "$(sed -n 's/^STEP RECORD \(0000[^ ]*\) \(.*\)$/\1=\2/p' "$TAP_TMP/runtime" | tr '\n' ' ')" \
			"0000:00:03.0=nvme 0000:00:04.0=xhci_hcd " "$K runtime: the record names the moved devices and their drivers"
		ok "$K runtime: status tells the runtime claim" -- has runtime "STEP STATUS        claimed at runtime by apply --now (from nvme)"
		ok "$K runtime: QMP answered query-pci" -- has runtime "STEP qmp-query exit 0"
		sed -n 's/^STEP \({.*\)$/\1/p' "$TAP_TMP/runtime" >"$TAP_TMP/rt-qmp.json"
		ok "$K runtime: the nested QEMU has both moved devices (1b36:0010 and 1b36:000d)" -- python3 -c '
import json, sys
r = {json.loads(l)["command"]: json.loads(l)["reply"]["return"] for l in open(sys.argv[1])}
def walk(devs):
    for d in devs:
        yield d
        yield from walk(d.get("pci_bridge", {}).get("devices", []))
got = {d.get("qdev_id"): (d["id"]["vendor"], d["id"]["device"]) for b in r["query-pci"] for d in walk(b["devices"])}
assert got.get("moved3") == (0x1b36, 0x10) and got.get("moved4") == (0x1b36, 0xd), got
print("moved3", got["moved3"], "moved4", got["moved4"])' "$TAP_TMP/rt-qmp.json"
		ok "$K runtime: revert --now exits 0" -- has runtime "STEP revert exit 0"
		ok "$K runtime: revert --now says what it gave back" -- has runtime "STEP REVERT Gave 0000:00:04.0 back to xhci_hcd."
		is "$(rdrv runtime revert 0000:00:03.0) $(rdrv runtime revert 0000:00:04.0) $(rdrv runtime revert 0000:00:06.0) $(rdrv runtime revert 0000:00:07.0)" \
			"nvme xhci_hcd nvme nvme" "$K runtime: after revert --now every device on its host driver"
		ok "$K runtime: the record is gone" -- has runtime "STEP record gone"
		finish runtime
		;;
	input)
		# [vm] input (evdev input-linux) on a real keyboard: a uinput keyboard made inside
		# the guest (never on the test machine, where it would be an input device of the
		# machine), a by-id link to its event node, and "vm run" of a VM with that link as
		# "input". QEMU must hold the node open, have the object's properties as written,
		# and have grabbed the keyboard (a second EVIOCGRAB gets EBUSY) until "vm stop".
		ov=$TAP_TMP/ov
		guest_tools "$ov"
		cp "$build/boot/uinput-kbd" "$ov/usr/lib/gbtest/"
		guest_modules "$ov" uinput evdev
		echo "# input: modules for the guest: $(tr '\n' ' ' <"$ov/gbtest/modules" 2>/dev/null)"
		cat >"$ov/etc/gpt-bootcfg/gpt-bootcfg.conf" <<'CONF'
# check-boot input: the guest's uinput keyboard handed to a VM through evdev.
[vm kbd]
memory = 64M
hugepage-size = none
vcpus = 1
firmware = bios
stop-timeout = 3
input = /dev/input/by-id/gbtest-virtual-keyboard-event-kbd
input-grab-toggle = scrolllock
CONF
		chmod 0644 "$ov/etc/gpt-bootcfg/gpt-bootcfg.conf"
		cp "$here/input-guest.sh" "$ov/gbtest/scenario" && chmod +x "$ov/gbtest/scenario"
		overlay input "$ov" || bail "input overlay failed"
		boot input "$work/input.img" ""
		ok "$K input: uinput and evdev loaded from the kernel's modules" -- \
			sh -c "grep -qx 'STEP module uinput loaded' '$TAP_TMP/input' && grep -qx 'STEP module evdev loaded' '$TAP_TMP/input'"
		ok "$K input: /dev/uinput exists" -- has input "STEP uinput node ok"
		ok "$K input: the uinput keyboard has an event node" -- \
			sh -c "grep -qE '^STEP kbd node /dev/input/event[0-9]+$' '$TAP_TMP/input'"
		ok "$K input: that node is a character device" -- has input "STEP kbd node is a character device"
		ev=$(sed -n 's|^STEP kbd node \(/dev/input/event[0-9]*\)$|\1|p' "$TAP_TMP/input")
		is "$(sed -n 's/^STEP link //p' "$TAP_TMP/input")" "${ev:-?}" "$K input: the by-id link resolves to it"
		is "$(sed -n 's/^STEP GRAB before //p' "$TAP_TMP/input")" "grab ok" \
			"$K input: before the VM, anyone can grab the keyboard (EVIOCGRAB)"
		ok "$K input: vm run reached running" -- has input "STEP vm running: yes"
		is "$(sed -n 's/^STEP HELD //p' "$TAP_TMP/input")" held "$K input: QEMU holds the keyboard's event node open"
		ok "$K input: QMP answered the qom-gets" -- has input "STEP qom-get exit 0"
		sed -n 's/^STEP \({"command":"qom-get".*\)$/\1/p' "$TAP_TMP/input" >"$TAP_TMP/input-qom.json"
		is "$(python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["reply"]["return"]) for l in open(sys.argv[1])))' "$TAP_TMP/input-qom.json" 2>&1)" \
			"/dev/input/by-id/gbtest-virtual-keyboard-event-kbd True True scrolllock" \
			"$K input: input-linux object: the by-id path, grab_all, repeat, the grab toggle (qom-get)"
		is "$(sed -n 's/^STEP GRAB running //p' "$TAP_TMP/input")" "grab EBUSY" \
			"$K input: QEMU grabbed the keyboard: a second EVIOCGRAB gets EBUSY while the VM runs"
		ok "$K input: vm stop exits 0" -- has input "STEP vm stop exit 0"
		ok "$K input: vm run exits 0 when QEMU ends" -- has input "STEP vm run exit 0"
		ok "$K input: no QEMU left" -- has input "STEP no qemu left"
		is "$(sed -n 's/^STEP GRAB stopped //p' "$TAP_TMP/input")" "grab ok" \
			"$K input: after vm stop the grab is released (EVIOCGRAB succeeds)"
		ok "$K input: the keyboard tool ends on SIGTERM, destroying the device" -- \
			sh -c "grep -qx 'STEP KBD-ERR uinput-kbd: destroyed' '$TAP_TMP/input' && grep -qx 'STEP kbd node gone' '$TAP_TMP/input'"
		finish input
		;;
	usbhost)
		# [vm] usb-devices on a USB device that is really there: the outer QEMU gives the
		# guest a keyboard on an xHCI of its own (00:08.0; the claim takes 00:04.0), the guest
		# loads its USB host and HID drivers, and "vm run" (QEMU as an unprivileged user) of
		# a VM naming the keyboard's id, an absent one and usb-serial's, which is plugged in
		# while the VM runs. usbhost-guest.sh prints what sysfs says of the devices; QEMU
		# must attach exactly the keyboard (its node, its product string), take its interface
		# from the guest's driver while the VM runs and give it back at "vm stop", and attach
		# the serial adapter once it is plugged in.
		ov=$TAP_TMP/ov
		guest_tools "$ov"
		guest_modules "$ov" xhci_pci usbhid hid_generic
		echo "# usbhost: modules for the guest: $(tr '\n' ' ' <"$ov/gbtest/modules" 2>/dev/null)"
		cp "$here/usbhost-guest.sh" "$ov/gbtest/scenario" && chmod +x "$ov/gbtest/scenario"
		# QEMU's user, and the udev rule that gives it the device plugged in later: the one
		# "apply" writes (a fixture host root with the guest's user and the VM's two ids not
		# plugged in at the start, the absent one and usb-serial's).
		printf 'root:x:0:0:root:/root:/bin/sh\ngbqemu:x:64055:64055:gbtest QEMU:/nonexistent:/bin/false\n' \
			>"$ov/etc/passwd"
		printf 'root:x:0:\ngbqemu:x:64055:\n' >"$ov/etc/group"
		ufx=$(fixture_copy guide-server)
		mkdir -p "$ufx/etc/gpt-bootcfg"
		cp "$ov/etc/passwd" "$ufx/etc/passwd"
		printf '[vm usb]\nmemory = 64M\nhugepage-size = none\nuser = gbqemu\nusb-devices = 046d:c52b 0403:6001\n' \
			>"$ufx/etc/gpt-bootcfg/gpt-bootcfg.conf"
		"$build/gpt-bootcfg" --root "$ufx" apply --yes >"$TAP_TMP/usb-apply.out" 2>&1 ||
			sed 's/^/# apply: /' "$TAP_TMP/usb-apply.out"
		ok "$K usbhost: apply wrote the udev rule for usb-devices" -- \
			grep -qF 'ATTR{idVendor}=="0403", ATTR{idProduct}=="6001", OWNER="64055", GROUP="64055"' \
			"$ufx/etc/udev/rules.d/70-gpt-bootcfg-usb.rules"
		mkdir -p "$ov/etc/udev/rules.d"
		cp "$ufx/etc/udev/rules.d/70-gpt-bootcfg-usb.rules" "$ov/etc/udev/rules.d/"
		overlay usbhost "$ov" || bail "usbhost overlay failed"
		# The guest asks on its console once its VM runs: then the outer QEMU's monitor plugs a
		# usb-serial into the guest's xHCI (the serial log is removed first: an old one
		# must not trigger it). usb-serial attaches only on an open chardev: not "null".
		sock=$TAP_TMP/outer.qmp
		rm -f "$work/usbhost.log" "$sock"
		(
			for _ in $(seq "$limit"); do
				grep -aq 'gbtest-usbhost: plug usb-serial' "$work/usbhost.log" 2>/dev/null && break
				sleep 1
			done
			"$build/boot/qmp-query" "$sock" \
				'device_add {"driver":"usb-serial","id":"gbplug","bus":"gbxhci.0","chardev":"gbser"}'
			echo "plug exit $?"
		) >"$TAP_TMP/usbhost-plug" 2>&1 &
		plugger=$!
		GBTEST_QEMU_EXTRA="-device qemu-xhci,id=gbxhci,addr=08.0 -device usb-kbd,bus=gbxhci.0 \
-chardev file,id=gbser,path=/dev/null -qmp unix:$sock,server=on,wait=off" \
			boot usbhost "$work/usbhost.img" "$ARGS"
		# A guest that never asked: the plugger has nothing left to do.
		kill "$plugger" 2>/dev/null
		wait "$plugger"
		r=$TAP_TMP/usbhost
		is "$(drv usbhost 0000:00:04.0) $(drv usbhost 0000:00:08.0)" "vfio-pci xhci_hcd" \
			"$K usbhost: the target xHCI claimed, the guest's own xHCI on xhci_hcd"
		ok "$K usbhost: xhci_pci, usbhid and hid_generic loaded from the kernel's modules" -- sh -c \
			"grep -qx 'STEP module xhci_pci loaded' $r && grep -qx 'STEP module usbhid loaded' $r && grep -qx 'STEP module hid_generic loaded' $r"
		# What the guest kernel says of the keyboard: the expected values of every check below.
		kb=$(sed -n 's/^STEP USB dev \([0-9]*-1\) id \([0-9a-f]*\):\([0-9a-f]*\) bus \([0-9]*\) addr \([0-9]*\)$/\1 \2 \3 \4 \5/p' "$r")
		read -r udev vid pid bus addr <<-EOF
			${kb:-? ? ? 0 0}
		EOF
		ok "$K usbhost: the keyboard is enumerated behind 00:08.0 (sysfs: port $udev, id $vid:$pid, bus $bus, address $addr)" -- \
			test -n "$kb"
		product=$(sed -n 's/^STEP USB product //p' "$r")
		node=$(printf '/dev/bus/usb/%03d/%03d' "$bus" "$addr")
		is "$(sed -n 's/^STEP USB node //p' "$r")" "$node char" "$K usbhost: its node $node is a character device"
		is "$(sed -n 's/^STEP IFDRV before //p' "$r")" usbhid "$K usbhost: before the VM, usbhid holds its interface"
		ok "$K usbhost: vm command exits 0" -- has usbhost "STEP vm command exit 0"
		ok "$K usbhost: vm command has usb-host for the keyboard's id on the VM's xHCI" -- \
			has usbhost "STEP CMD     -device usb-host,id=usbhost0,bus=usb.0,vendorid=0x$vid,productid=0x$pid \\"
		ok "$K usbhost: vm command has usb-host for the absent ids" -- \
			has usbhost "STEP CMD     -device usb-host,id=usbhost1,bus=usb.0,vendorid=0x046d,productid=0xc52b \\"
		ok "$K usbhost: vm command has usb-host for the id plugged in later" -- \
			has usbhost "STEP CMD     -device usb-host,id=usbhost2,bus=usb.0,vendorid=0x0403,productid=0x6001"
		ok "$K usbhost: vm run reached running" -- sh -c "grep -q '^STEP vm running: yes' $r"
		is "$(sed -n 's/^STEP RUN .*usb-devices: \([0-9a-f:]*\) .*is not plugged in now.*$/\1/p' "$r" | tr '\n' ' ')" \
			"046d:c52b 0403:6001 " "$K usbhost: vm run warns about the two absent ids, not the keyboard's"
		ok "$K usbhost: the warning says QEMU attaches it when it is" -- \
			sh -c "grep -q '^STEP RUN .*usb-devices: 046d:c52b (/etc/gpt-bootcfg/gpt-bootcfg.conf:[0-9]*:[0-9]*) is not plugged in now; QEMU attaches it when it is$' $r"
		is "$(sed -n 's/^STEP QEMU user //p' "$r")" 64055 "$K usbhost: QEMU runs as the unprivileged user"
		is "$(sed -n 's/^STEP NODE before //p;s/^STEP NODE running //p;s/^STEP NODE after //p' "$r" | tr '\n' ' ')" \
			"0 0 64055 64055 0 0 " "$K usbhost: vm run handed $node to QEMU's user while the VM ran, and gave it back"
		ok "$K usbhost: QMP answered info usb" -- sh -c "grep -q '^STEP info usb exit 0' $r"
		sed -n 's/^STEP \({"command":"human-monitor-command".*"info usb"}.*\)$/\1/p' "$r" | tail -n1 >"$TAP_TMP/usbhost-info.json"
		is "$(python3 -c '
import json, re, sys
out = json.loads(open(sys.argv[1]).read())["reply"]["return"]
for l in out.splitlines():
    m = re.match(r"\s*Device \d+\.(\d+), Port \S+, Speed .*, Product (.*), ID: usbhost0$", l)
    if m:
        print("addressed" if int(m.group(1)) else "unaddressed", m.group(2))' "$TAP_TMP/usbhost-info.json" 2>&1)" \
			"addressed $product" \
			"$K usbhost: info usb: usbhost0 has the device's product string ($product), addressed by the VM's firmware"
		ok "$K usbhost: QMP answered info usbhost and the qom-gets" -- sh -c "grep -q '^STEP qom-get exit 0' $r"
		sed -n 's/^STEP \({"command":"qom-get".*\)$/\1/p' "$r" >"$TAP_TMP/usbhost-qom.json"
		is "$(python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["reply"]["return"]) for l in open(sys.argv[1])))' "$TAP_TMP/usbhost-qom.json" 2>&1)" \
			"True False" "$K usbhost: usbhost0 attached, usbhost1 (an absent id) not (qom-get attached)"
		sed -n 's/^STEP \({"command":"human-monitor-command".*"info usbhost"}.*\)$/\1/p' "$r" >"$TAP_TMP/usbhost-host.json"
		# One record per host device: "Bus B, Addr A, Port P, Speed S" then
		# "Class C: USB device VVVV:PPPP, PRODUCT"; those with the keyboard's id.
		is "$(python3 -c '
import json, re, sys
out = json.loads(open(sys.argv[1]).read())["reply"]["return"]
for m in re.finditer(r"Bus (\d+), Addr (\d+),[^\n]*\n\s*Class \S+: USB device ([0-9a-f:]+), ([^\r\n]*)", out):
    if m.group(3) == sys.argv[2]:
        print(*m.groups())' "$TAP_TMP/usbhost-host.json" "$vid:$pid" 2>&1)" \
			"$bus $addr $vid:$pid $product" \
			"$K usbhost: info usbhost: QEMU's libusb sees the keyboard at the guest's bus and address, with its product"
		is "$(sed -n 's/^STEP QEMU FD //p' "$r" | tr '\n' ' ')" "$node " \
			"$K usbhost: QEMU holds the keyboard's node (bus $bus, address $addr from sysfs) open, and no other"
		is "$(sed -n 's/^STEP IFDRV running //p' "$r")" usbfs \
			"$K usbhost: while the VM runs, QEMU (usbfs) holds the interface, not usbhid"
		# The device plugged in while the VM runs: QEMU attaches it (the warning's promise).
		is "$(cat "$TAP_TMP/usbhost-plug")" '{"command":"device_add","arguments":{"driver":"usb-serial","id":"gbplug","bus":"gbxhci.0","chardev":"gbser"},"reply":{"return": {}}}
plug exit 0' "$K usbhost: the outer QEMU plugged a usb-serial into the guest's xHCI when asked"
		kb=$(sed -n 's/^STEP PLUGGED dev \([0-9]*-[0-9]*\) id \([0-9a-f:]*\) bus \([0-9]*\) addr \([0-9]*\)$/\1 \2 \3 \4/p' "$r")
		read -r pdev pid2 pbus paddr <<-EOF
			${kb:-? ? 0 0}
		EOF
		pnode=$(printf '/dev/bus/usb/%03d/%03d' "$pbus" "$paddr")
		is "$pid2 $pbus" "0403:6001 $bus" "$K usbhost: it enumerates in the guest ($pdev) with the configured id, on the keyboard's bus"
		ok "$K usbhost: QMP answered after the plug" -- sh -c "grep -q '^STEP plug qom-get exit 0' $r"
		sed -n 's/^STEP PLUG-QMP \({"command":"qom-get".*\)$/\1/p' "$r" | tail -n3 >"$TAP_TMP/usbhost-plug.json"
		is "$(python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["reply"]["return"]) for l in open(sys.argv[1])))' "$TAP_TMP/usbhost-plug.json" 2>&1)" \
			"True False True" "$K usbhost: after the plug, usbhost2 attached too; usbhost1 still not (qom-get attached)"
		sed -n 's/^STEP PLUG-QMP \({"command":"human-monitor-command".*\)$/\1/p' "$r" >"$TAP_TMP/usbhost-plug-info.json"
		is "$(python3 -c '
import json, re, sys
out = json.loads(open(sys.argv[1]).read())["reply"]["return"]
for l in out.splitlines():
    m = re.match(r"\s*Device \d+\.\d+, Port \S+, Speed .*, Product (.*), ID: usbhost2$", l)
    if m:
        print(m.group(1))' "$TAP_TMP/usbhost-plug-info.json" 2>&1)" \
			"$(sed -n 's/^STEP PLUGGED product //p' "$r")" "$K usbhost: info usb: usbhost2 has the plugged device's product string"
		is "$(sed -n 's/^STEP PLUGGED node //p' "$r")" "$pnode 64055 64055" \
			"$K usbhost: apply's udev rule gave its node $pnode to QEMU's user"
		is "$(sed -n 's/^STEP QEMU FD2 //p' "$r" | LC_ALL=C sort | tr '\n' ' ')" "$(printf '%s\n' "$node" "$pnode" | LC_ALL=C sort | tr '\n' ' ')" \
			"$K usbhost: QEMU holds both nodes open, and no other"
		ok "$K usbhost: vm stop exits 0" -- has usbhost "STEP vm stop exit 0"
		ok "$K usbhost: vm run exits 0 when QEMU ends" -- has usbhost "STEP vm run exit 0"
		ok "$K usbhost: no QEMU left" -- has usbhost "STEP no qemu left"
		is "$(sed -n 's/^STEP IFDRV after //p' "$r")" usbhid "$K usbhost: after vm stop usbhid holds the interface again"
		is "$(sed -n 's/^STEP USB after //p' "$r")" "$vid:$pid bus $bus addr $addr" \
			"$K usbhost: the keyboard is still $udev at the same bus and address"
		finish usbhost
		;;
	bridge)
		# A bridge in the list is never claimed (issue 14): the host bridge 00:00.0 is
		# alone in its group, so only the class rule can stop it; the targets still go.
		# It also carries the reset method (issue 30): one more NVMe behind a PCIe root
		# port (so the kernel offers a bus reset for it) listed with reset=bus; the guest
		# reads its reset_method before the claim (rdinit, before /init) and after it.
		rm -rf "$TAP_TMP/ov" && mkdir -p "$TAP_TMP/ov/etc/gpt-bootcfg" "$TAP_TMP/ov/gbtest"
		printf 'generation 3\n%s\n%s\n%s\n%s\n%s\n' "$NVME_T" "$XHCI_T" "$HDA_T" \
			"0000:00:00.0 8086:29c0 1af4:1100 060000" "$RP_NVME_T reset=bus" >"$TAP_TMP/ov/etc/gpt-bootcfg/claim.list"
		cat >"$TAP_TMP/ov/gbtest-preinit" <<PRE
#!/bin/sh
mkdir -p /proc /sys
mount -t proc proc /proc
mount -t sysfs sysfs /sys
f=/sys/bus/pci/devices/$RP_NVME/reset_method
[ -e \$f ] && echo "GBTEST PRERESET \$(cat \$f)" || echo "GBTEST PRERESET absent"
umount /sys /proc
exec /init "\$@"
PRE
		printf '#!/bin/sh\necho "RESET $(cat /sys/bus/pci/devices/%s/reset_method 2>&1)"\n' "$RP_NVME" \
			>"$TAP_TMP/ov/gbtest/scenario"
		chmod +x "$TAP_TMP/ov/gbtest-preinit" "$TAP_TMP/ov/gbtest/scenario"
		overlay bridge "$TAP_TMP/ov"
		GBTEST_QEMU_EXTRA="$RP_QEMU" boot bridge "$work/bridge.img" "$ARGS rdinit=/gbtest-preinit"
		is "$(drv bridge 0000:00:00.0)" none "$K bridge: the listed host bridge is not on vfio-pci"
		ok "$K bridge: refusal logged" -- has bridge "0000:00:00.0: skipped: class 060000 is a bridge; bridges are never claimed"
		is "$(drv bridge 0000:00:03.0) $(drv bridge 0000:00:04.0) $(drv bridge 0000:00:05.0)" \
			"vfio-pci vfio-pci vfio-pci" "$K bridge: the other targets are claimed"
		ok "$K bridge: summary" -- has bridge "4 of 5 devices on vfio-pci"
		# reset_method exists from 5.15 on: there the device must offer bus before the
		# claim (behind a root port), read bus after it and be on vfio-pci; before 5.15 the
		# write fails, is logged, and the device is claimed all the same.
		pre=$(sed -n 's/^PRERESET //p' "$TAP_TMP/bridge")
		kmm=$(echo "$kver" | sed -n 's/^\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
		if [ "${kmm% *}" -gt 5 ] || { [ "${kmm% *}" -eq 5 ] && [ "${kmm#* }" -ge 15 ]; }; then
			ok "$K bridge: before the claim the NVMe behind the root port offers bus (reset_method: $pre)" -- \
				sh -c "echo ' $pre ' | grep -q ' bus '"
			is "$(sed -n 's/^STEP RESET //p' "$TAP_TMP/bridge")" bus "$K bridge: after the claim its reset_method reads bus"
			ok "$K bridge: the claim log records the method before the override" -- \
				sh -c "grep -qE '^CLAIMLOG $RP_NVME claimed claimed for vfio-pci in [0-9.]+ ms \\(reset_method bus [0-9.]+ ms, override ' '$TAP_TMP/bridge'"
		else
			is "$pre" absent "$K bridge: no reset_method attribute before 5.15"
			ok "$K bridge: the refused write is logged, the device claimed anyway" -- \
				has bridge "CLAIMLOG $RP_NVME claimed claimed for vfio-pci"
			ok "$K bridge: the claim log says the method was not set" -- has bridge "reset_method 'bus' not set"
		fi
		is "$(drv bridge "$RP_NVME")" vfio-pci "$K bridge: the NVMe behind the root port is on vfio-pci"
		finish bridge
		;;
	groupmate)
		# q35's 00:1f.0 (ISA bridge), 1f.2 (SATA) and 1f.3 (SMBus) share one IOMMU group.
		# 1f.3 is listed with a wrong device id: skipped, so 1f.2 must not be claimed
		# alone, though the list names its whole group (issue 14).
		rm -rf "$TAP_TMP/ov" && mkdir -p "$TAP_TMP/ov/etc/gpt-bootcfg"
		printf 'generation 3\n%s\n%s\n' "0000:00:1f.2 8086:2922 1af4:1100 010601" \
			"0000:00:1f.3 8086:2931 1af4:1100 0c0500" >"$TAP_TMP/ov/etc/gpt-bootcfg/claim.list"
		overlay groupmate "$TAP_TMP/ov"
		boot groupmate "$work/groupmate.img" "$ARGS"
		is "$(grp groupmate 0000:00:1f.2)" "$(grp groupmate 0000:00:1f.3)" \
			"$K groupmate: 1f.2 and 1f.3 share an IOMMU group"
		is "$(drv groupmate 0000:00:1f.2) $(drv groupmate 0000:00:1f.3)" "none none" \
			"$K groupmate: neither is on vfio-pci"
		ok "$K groupmate: the mate's identity mismatch logged" -- \
			has groupmate "0000:00:1f.3: skipped: identity mismatch: device is 2930, list says 2931"
		ok "$K groupmate: 1f.2 refused for its group, naming the mate" -- \
			has groupmate "also holds 0000:00:1f.3 (driver none), which is not in the list"
		ok "$K groupmate: summary" -- has groupmate "0 of 2 devices on vfio-pci"
		is "$(grep -c '^VFIO .*[0-9]' "$TAP_TMP/groupmate")" 0 "$K groupmate: no VFIO group node at all"
		finish groupmate
		;;
	bench)
		# Not part of the default set: bench/claim-bench.sh reads bench.report.
		rm -rf "$TAP_TMP/ov" && mkdir -p "$TAP_TMP/ov/gbtest"
		cp "$TOP/bench/claim-bench-guest.sh" "$TAP_TMP/ov/gbtest/scenario"
		overlay bench "$TAP_TMP/ov"
		boot bench "$work/bench.img" "$ARGS"
		ok "$K bench: timings reported" -- has bench "STEP BENCH binproc exit=0"
		sed -i 's/^STEP BENCH/BENCH/' "$work/bench.report"
		finish bench
		;;
	*) bail "unknown scenario $s" ;;
	esac
done
done # kernels
done_testing
