#!/bin/sh
# check-boot.sh BUILD_DIR [SCENARIO...]: the boot-time claim proven on Debian's own kernel
# under QEMU (TAP). Scenarios: real builtin mismatch off nested (default: all).
# Each boots the demo host of qemu-run.sh with the real initramfs made by mkinitramfs with
# our hook; a scenario differs by kernel arguments and by a small cpio appended to the
# image (later archives override files of earlier ones). Assertions read the GBTEST lines
# the report script prints on the serial console; a failing scenario prints its serial log.
build=$(cd "${1:?usage: check-boot.sh BUILD_DIR [SCENARIO...]}" && pwd)
shift
. "$(dirname "$0")/../lib/tap.sh"
here=$TOP/tests/boot
cache=${GPT_BOOTCFG_CACHE:-$TOP/.cache}
# Per build directory, so that several checkouts or build dirs can run at once.
work=$cache/boot/$(basename "$build")
scenarios=${*:-real builtin mismatch off nested}
limit=${GPT_BOOTCFG_BOOT_TIMEOUT:-240}

bail() { echo "Bail out! $*"; exit 1; }
for t in qemu-system-x86_64 mkinitramfs unshare cpio python3 zstd timeout; do
	command -v "$t" >/dev/null 2>&1 || bail "$t not found: install tests/deps.txt (make check-deps)"
done
[ -x "$build/gpt-bootcfg-claim" ] || bail "$build/gpt-bootcfg-claim not built"
[ -x "$build/boot/qmp-query" ] || bail "$build/boot/qmp-query not built"
mkdir -p "$work"
kdir=$("$here/fetch-kernel.sh") || bail "cannot fetch Debian's kernel"

# The list the generator would write: three targets, bound to generation 3.
NVME_T="0000:00:03.0 1b36:0010 1af4:1100 010802"
XHCI_T="0000:00:04.0 1b36:000d 1af4:1100 0c0330"
HDA_T="0000:00:05.0 8086:293e 1af4:1100 040300"
printf '# demo host targets\ngeneration 3\n%s\n%s\n%s\n' "$NVME_T" "$XHCI_T" "$HDA_T" >"$work/claim.list"
ARGS="gpt_bootcfg.generation=3"

# The real image, rebuilt only when one of its inputs changed.
key=$(cat "$build/gpt-bootcfg-claim" "$work/claim.list" "$TOP/initramfs-tools/hooks/gpt-bootcfg" \
	"$TOP/initramfs-tools/scripts/init-top/gpt-bootcfg" "$TOP/modprobe.d/gpt-bootcfg.conf.in" \
	"$here/report" "$here/build-initramfs.sh" "$kdir/version" | sha256sum | cut -c1-16)
base=$work/base-$key.img
if [ ! -f "$base" ]; then
	rm -f "$work"/base-*.img
	"$here/build-initramfs.sh" "$kdir" "$base" "$build/gpt-bootcfg-claim" "$work/claim.list" \
		>"$work/mkinitramfs.log" 2>&1 || { sed 's/^/# /' "$work/mkinitramfs.log"; bail "mkinitramfs failed"; }
	# Concatenated archives must start on a 4-byte boundary.
	truncate -s %4 "$base"
fi

# overlay NAME DIR: base image + newc cpio of DIR -> $work/NAME.img
overlay() {
	(cd "$2" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$TAP_TMP/ov.cpio" || return 1
	cat "$base" "$TAP_TMP/ov.cpio" >"$work/$1.img"
}

# boot NAME INITRD ARGS: serial log in $work/NAME.log, lines of the report in $TAP_TMP/NAME
boot() {
	_t0=$(date +%s)
	"$here/qemu-run.sh" "$kdir" "$2" "$work/$1.log" "$limit" "$3"
	_rc=$?
	tr -d '\r' <"$work/$1.log" | sed -n 's/^.*GBTEST //p' >"$TAP_TMP/$1"
	cp "$TAP_TMP/$1" "$work/$1.report"
	echo "# $1: QEMU exit $_rc after $(($(date +%s) - _t0)) s"
	_fail0=$_tap_fail
	is "$(grep -c '^END$' "$TAP_TMP/$1")" 1 "$1: boot reached the report and powered off (QEMU exit $_rc)"
}
# Print the serial log when anything of the scenario failed.
finish() {
	[ "$_tap_fail" = "$_fail0" ] && return 0
	echo "# serial log of $1 ($work/$1.log):"
	tr -d '\r' <"$work/$1.log" | grep -av '^GBTEST STEP {' | sed 's/^/#   /' | tail -150
}
drv() { sed -n "s/^DEV $2 .* driver=\([^ ]*\) .*/\1/p" "$TAP_TMP/$1"; }
grp() { sed -n "s/^DEV $2 .* group=\([^ ]*\)$/\1/p" "$TAP_TMP/$1"; }
has() { grep -qF -- "$2" "$TAP_TMP/$1" || { echo "no line '$2' in the report"; grep -v '^STEP {' "$TAP_TMP/$1"; false; }; }

targets_claimed() { # NAME
	is "$(drv "$1" 0000:00:03.0) $(drv "$1" 0000:00:04.0) $(drv "$1" 0000:00:05.0)" \
		"vfio-pci vfio-pci vfio-pci" "$1: NVMe, xHCI and HDA targets end on vfio-pci"
	is "$(drv "$1" 0000:00:06.0)" nvme "$1: control NVMe stays on nvme"
	for a in 0000:00:03.0 0000:00:04.0 0000:00:05.0; do
		g=$(grp "$1" $a)
		ok "$1: /dev/vfio/$g exists for $a" -- has "$1" "VFIO " # group list checked below
		ok "$1: group $g of $a in /dev/vfio" -- sh -c "grep -q '^VFIO .* $g ' '$TAP_TMP/$1' || grep -q '^VFIO $g ' '$TAP_TMP/$1'"
	done
	for m in nvme xhci_pci snd_hda_intel; do
		ok "$1: host driver $m present and loaded" -- has "$1" "MOD $m"
	done
	is "$(grep -c ' driver=\(xhci_hcd\|snd_hda_intel\)' "$TAP_TMP/$1")" 0 "$1: xhci_hcd and snd_hda_intel hold no device"
	is "$(grep -c ' driver=nvme' "$TAP_TMP/$1")" 1 "$1: nvme holds only the control device"
}

for s in $scenarios; do
	case $s in
	real)
		boot real "$base" "$ARGS"
		targets_claimed real
		ok "real: ORDER of the real image runs gpt-bootcfg before udev" -- \
			sh -c "sed -n 's/^ORDER //p' '$TAP_TMP/real' | tr '\n' ' ' | grep -q 'gpt-bootcfg .*udev'"
		ok "real: modules loaded by the claim binary" -- has real "LOG gpt-bootcfg: loaded vfio, vfio_virqfd, irqbypass, vfio_pci_core, vfio_pci, vfio_iommu_type1 in"
		ok "real: per-device log with durations" -- has real "LOG gpt-bootcfg: 0000:00:03.0: claimed for vfio-pci in"
		ok "real: summary" -- has real "LOG gpt-bootcfg: 3 of 3 devices on vfio-pci in"
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
			"builtin: host drivers held the targets before the claim"
		targets_claimed builtin
		ok "builtin: nvme unbound by the claim" -- has builtin "0000:00:03.0: claimed for vfio-pci in"
		ok "builtin: unbind logged" -- has builtin ", unbind nvme "
		ok "builtin: xhci unbind logged" -- has builtin ", unbind xhci_hcd "
		finish builtin
		;;
	mismatch)
		rm -rf "$TAP_TMP/ov" && mkdir -p "$TAP_TMP/ov/etc/gpt-bootcfg"
		printf 'generation 3\n0000:00:03.0 1b36:0011 1af4:1100 010802\n%s\n%s\n' "$XHCI_T" "$HDA_T" \
			>"$TAP_TMP/ov/etc/gpt-bootcfg/claim.list"
		overlay mismatch "$TAP_TMP/ov"
		boot mismatch "$work/mismatch.img" "$ARGS"
		is "$(drv mismatch 0000:00:03.0)" nvme "mismatch: the mismatched NVMe is skipped and gets nvme"
		is "$(drv mismatch 0000:00:04.0) $(drv mismatch 0000:00:05.0)" "vfio-pci vfio-pci" "mismatch: the other targets are claimed"
		is "$(drv mismatch 0000:00:06.0)" nvme "mismatch: control on nvme"
		ok "mismatch: skip logged with the reason" -- has mismatch "0000:00:03.0: skipped: identity mismatch: device is 0010, list says 0011"
		ok "mismatch: summary" -- has mismatch "2 of 3 devices on vfio-pci"
		finish mismatch
		;;
	off)
		boot off "$base" "$ARGS gpt_bootcfg=off"
		is "$(drv off 0000:00:03.0) $(drv off 0000:00:04.0) $(drv off 0000:00:05.0) $(drv off 0000:00:06.0)" \
			"nvme xhci_hcd snd_hda_intel nvme" "off: every device on its host driver"
		ok "off: kill switch logged" -- has off "gpt_bootcfg=off on the kernel command line: claiming nothing"
		is "$(grep -c 'gpt-bootcfg: loaded' "$TAP_TMP/off")" 0 "off: the claim binary loaded no module"
		# udev's modprobe of nvme honours "softdep nvme pre: vfio-pci" from modprobe.d.
		ok "off: the modprobe.d backstop loaded vfio-pci before the host drivers" -- has off "MOD vfio_pci"
		finish off
		;;
	nested)
		# A QEMU inside the guest takes the claimed NVMe with -device vfio-pci and
		# lists it over QMP: the claim is usable, not only a driver link.
		rm -rf "$TAP_TMP/ov" && mkdir -p "$TAP_TMP/ov/usr/bin" "$TAP_TMP/ov/usr/lib/x86_64-linux-gnu/qemu" \
			"$TAP_TMP/ov/usr/share/seabios" "$TAP_TMP/ov/usr/lib/gbtest" "$TAP_TMP/ov/gbtest"
		q=$(command -v qemu-system-x86_64)
		cp "$q" "$TAP_TMP/ov/usr/bin/"
		cp /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so "$TAP_TMP/ov/usr/lib/x86_64-linux-gnu/qemu/"
		cp /usr/share/seabios/bios-256k.bin "$TAP_TMP/ov/usr/share/seabios/"
		cp "$build/boot/qmp-query" "$TAP_TMP/ov/usr/lib/gbtest/"
		# Shared libraries by their sonames; /lib is a symlink to usr/lib in the image.
		for l in $(ldd "$q" /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u); do
			cp -L "$l" "$TAP_TMP/ov/usr/lib/x86_64-linux-gnu/${l##*/}"
		done
		cat >"$TAP_TMP/ov/gbtest/scenario" <<'NEST'
#!/bin/sh
mkdir -p /run/gbtest
t0=$(cut -d' ' -f1 /proc/uptime)
qemu-system-x86_64 -L /usr/share/seabios -accel tcg -nodefaults -display none -S -m 64 \
	-device vfio-pci,host=0000:00:03.0,id=gbnvme -qmp unix:/run/gbtest/qmp.sock,server=on,wait=off \
	>/run/gbtest/qemu.log 2>&1 &
/usr/lib/gbtest/qmp-query /run/gbtest/qmp.sock query-pci
echo "qmp-query exit $?"
wait
echo "nested qemu exit $? after $t0 -> $(cut -d' ' -f1 /proc/uptime) s"
sed 's/^/qemu: /' /run/gbtest/qemu.log
NEST
		chmod +x "$TAP_TMP/ov/gbtest/scenario"
		overlay nested "$TAP_TMP/ov" || bail "nested overlay failed"
		boot nested "$work/nested.img" "$ARGS"
		is "$(drv nested 0000:00:03.0)" vfio-pci "nested: NVMe target on vfio-pci"
		ok "nested: QMP answered" -- has nested "STEP qmp-query exit 0"
		sed -n 's/^STEP \({.*\)$/\1/p' "$TAP_TMP/nested" >"$TAP_TMP/pci.json"
		ok "nested: query-pci lists the passed-through NVMe (1b36:0010, class 0108)" -- python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["return"]
d = [d for b in r for d in b["devices"] if d.get("qdev_id") == "gbnvme"]
assert d, "no gbnvme in query-pci"
d = d[0]
assert (d["id"]["vendor"], d["id"]["device"], d["class_info"]["class"]) == (0x1b36, 0x10, 0x0108), d
print("gbnvme at slot", d["slot"])' "$TAP_TMP/pci.json"
		finish nested
		;;
	bench)
		# Not part of the default set: bench/claim-bench.sh reads bench.report.
		rm -rf "$TAP_TMP/ov" && mkdir -p "$TAP_TMP/ov/gbtest"
		cp "$TOP/bench/claim-bench-guest.sh" "$TAP_TMP/ov/gbtest/scenario"
		overlay bench "$TAP_TMP/ov"
		boot bench "$work/bench.img" "$ARGS"
		ok "bench: timings reported" -- has bench "STEP BENCH binproc exit=0"
		sed -i 's/^STEP BENCH/BENCH/' "$work/bench.report"
		finish bench
		;;
	*) bail "unknown scenario $s" ;;
	esac
done
done_testing
