#!/bin/sh
# check-boot-dracut.sh BUILD_DIR [SCENARIO...]: the boot-time claim in an image built by
# Debian's real dracut (059) with our module (dracut/90gpt-bootcfg), booted under QEMU on
# Debian's own kernel (TAP). Scenarios: real mismatch off image (default), nosystemd, builtin,
# image-zstd.
# The same demo host, report and assertions as check-boot.sh's initramfs-tools scenarios
# (tests/boot/boot-lib.sh); what differs is the image: dracut (tests/boot/build-dracut.sh,
# run in a Debian tree of its own, never on this machine), a systemd initrd as Debian's dracut
# builds it on a host with systemd, the claim in the pre-udev hook. The report runs as an
# initqueue/settled job of a test module (tests/boot/dracut/99gbtest).
#   real       the image as built: targets on vfio-pci, and already there when the pre-udev
#              hooks ran (control NVMe without a driver, no udevd yet); modules from this
#              kernel's own modules.dep
#   mismatch   a list with a wrong device id for 00:03.0: skipped, the others claimed
#   off        gpt_bootcfg=off: nothing claimed; the backstop our module put into the image
#              (dracut copies /etc/modprobe.d only into host-only images) loaded vfio-pci
#   nosystemd  an image without dracut's systemd modules (dracut's own /init, as on hosts
#              without systemd): the same as real
#   image      no boot: status' image check on dracut's real image (gzip, as built; stale)
#   image-zstd the same on an image built with --compress zstd after an early microcode archive
#   builtin    the host drivers bound before /init (as built-in drivers are): unbound by the claim
# Kernels: $GPT_BOOTCFG_DRACUT_KERNELS (fetch-kernel.sh suites; default bookworm, Debian 12's).
build=$(cd "${1:?usage: check-boot-dracut.sh BUILD_DIR [SCENARIO...]}" && pwd)
shift
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/setup.sh"
here=$TOP/tests/boot
cache=${GPT_BOOTCFG_CACHE:-$TOP/.cache}
work_top=$cache/boot/dracut-$(basename "$build")-$(printf '%s' "$build" | cksum | cut -d' ' -f1)
scenarios=${*:-real mismatch off image}
limit=${GPT_BOOTCFG_BOOT_TIMEOUT:-240}
kernels=${GPT_BOOTCFG_DRACUT_KERNELS:-bookworm}

bail() { echo "Bail out! $*"; exit 1; }
[ "$(id -u)" = 0 ] || bail "needs root (debootstrap and mount namespaces for dracut's tree)"
for t in qemu-system-x86_64 debootstrap unshare cpio python3 zstd timeout modprobe jq; do
	command -v "$t" >/dev/null 2>&1 || bail "$t not found: install tests/deps.txt (make check-deps)"
done
[ -x "$build/gpt-bootcfg-claim" ] || bail "$build/gpt-bootcfg-claim not built"

NVME_T="0000:00:03.0 1b36:0010 1af4:1100 010802"
XHCI_T="0000:00:04.0 1b36:000d 1af4:1100 0c0330"
HDA_T="0000:00:05.0 8086:293e 1af4:1100 040300"
# A root that never appears (dracut's own /init refuses to start without root=; the report
# powers off long before the wait for it ends). systemd.show_status=0 keeps systemd's status
# lines from the console the report writes to; rd.shell=0 rd.emergency=poweroff end a failed
# boot at once instead of at the timeout.
ARGS="gpt_bootcfg.generation=3 root=/dev/disk/by-label/gbtest-none systemd.show_status=0 rd.shell=0 rd.emergency=poweroff"
. "$here/boot-lib.sh"

# image NAME [DRACUT_ARG...]: the image built by dracut, rebuilt only when an input changed;
# its path in $base.
image() {
	_name=$1 && shift
	_key=$( (cat "$build/gpt-bootcfg-claim" "$work/claim.list" "$TOP"/dracut/90gpt-bootcfg/* \
		"$here"/dracut/99gbtest/* "$here/report" "$here/build-dracut.sh" "$here/dracut-root.sh" \
		"$TOP/modprobe.d/gpt-bootcfg.conf.in" "$kdir/version" && echo "$*") | sha256sum | cut -c1-16)
	base=$work/$_name-$_key.img
	[ -f "$base" ] && return 0
	rm -f "$work/$_name"-*.img
	_t0=$(date +%s)
	GBTEST_EARLY_MICROCODE=${early:-0} \
		"$here/build-dracut.sh" "$kdir" "$base" "$build/gpt-bootcfg-claim" "$work/claim.list" "$@" \
		>"$work/$_name.dracut.log" 2>&1 || { sed 's/^/# /' "$work/$_name.dracut.log" | tail -40; bail "dracut failed ($kver)"; }
	truncate -s %4 "$base"
	echo "# $_name: dracut built the image in $(($(date +%s) - _t0)) s"
}

# The assertions of a boot where the claim ran from the pre-udev hook.
claimed_before_udev() { # NAME
	targets_claimed "$1"
	is "$(sed -n 's/^HOOK pre-udev //p' "$TAP_TMP/$1" | head -n1)" 00-gpt-bootcfg-claim.sh \
		"$K $1: the claim is dracut's first pre-udev hook"
	is "$(sed -n 's/^PREUDEV DEV //p' "$TAP_TMP/$1" | tr '\n' ' ')" \
		"0000:00:03.0 vfio-pci 0000:00:04.0 vfio-pci 0000:00:05.0 vfio-pci 0000:00:06.0 none " \
		"$K $1: when the pre-udev hooks ran, the targets were on vfio-pci and the control NVMe had no driver yet"
	ok "$K $1: no udevd ran yet then" -- has "$1" "PREUDEV udevd=no"
	_loaded=$(sed -n 's/^LOG gpt-bootcfg: loaded \(.*\) in [0-9.]* ms$/\1/p' "$TAP_TMP/$1")
	is "$(echo "$_loaded" | tr -d ' ' | tr , '\n' | LC_ALL=C sort -u | tr '\n' ' ')" "$(modules_expected)" \
		"$K $1: modules loaded by the claim binary are vfio-pci's and vfio_iommu_type1's chains in this kernel's modules.dep"
	ok "$K $1: the claim binary loaded each module after the ones it needs" -- modules_order_ok "$_loaded"
	ok "$K $1: per-device log with durations" -- has "$1" "LOG gpt-bootcfg: 0000:00:03.0: claimed for vfio-pci in"
	ok "$K $1: summary" -- has "$1" "LOG gpt-bootcfg: 3 of 3 devices on vfio-pci in"
	is "$(claimlog "$1")" "0000:00:03.0 claimed 0000:00:04.0 claimed 0000:00:05.0 claimed " \
		"$K $1: the claim log records each device for status"
}

for suite in $kernels; do
kdir=$("$here/fetch-kernel.sh" "$suite") || bail "cannot fetch Debian's kernel ($suite)"
kver=$(cat "$kdir/version")
K="[$kver dracut]"
work=$work_top/$suite
mkdir -p "$work"
echo "# kernel $kver ($suite): $kdir"
printf '# demo host targets\ngeneration 3\n%s\n%s\n%s\n' "$NVME_T" "$XHCI_T" "$HDA_T" >"$work/claim.list"

for s in $scenarios; do
	case $s in
	real)
		image systemd
		boot real "$base" "$ARGS"
		is "$(sed -n 's/^PID1 //p' "$TAP_TMP/real")" systemd "$K real: a systemd initrd (PID 1 is systemd)"
		claimed_before_udev real
		finish real
		;;
	nosystemd)
		image nosystemd --omit "systemd systemd-initrd dracut-systemd"
		boot nosystemd "$base" "$ARGS"
		is "$(sed -n 's/^PID1 //p' "$TAP_TMP/nosystemd")" init "$K nosystemd: dracut's own /init is PID 1"
		claimed_before_udev nosystemd
		finish nosystemd
		;;
	mismatch)
		image systemd
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
		image systemd
		boot off "$base" "$ARGS gpt_bootcfg=off"
		is "$(drv off 0000:00:03.0) $(drv off 0000:00:04.0) $(drv off 0000:00:05.0) $(drv off 0000:00:06.0)" \
			"nvme xhci_hcd snd_hda_intel nvme" "$K off: every device on its host driver"
		ok "$K off: kill switch logged" -- has off "gpt_bootcfg=off on the kernel command line: claiming nothing"
		is "$(grep -c 'gpt-bootcfg: loaded' "$TAP_TMP/off")" 0 "$K off: the claim binary loaded no module"
		ok "$K off: no claim log" -- sh -c "! grep -q '^CLAIMLOG ' '$TAP_TMP/off'"
		ok "$K off: the modprobe.d backstop loaded vfio-pci before the host drivers" -- has off "MOD vfio_pci"
		finish off
		;;
	image | image-zstd)
		# status' image check (src/gpt-bootcfg/write/initrdcheck.c) on dracut's real
		# images, read by the real binary on a host tree that boots this kernel: image, the
		# image as built (gzip, Debian's dracut without pigz), then stale; image-zstd, one
		# built with --compress zstd after an uncompressed early microcode archive.
		[ -x "$build/gpt-bootcfg" ] || bail "$build/gpt-bootcfg not built (the image scenario runs it)"
		if [ "$s" = image ]; then
			image systemd
			comp=gzip
			ok "$K image: the hook is in dracut's image (cpio's own listing)" -- sh -c \
				"zcat '$base' | cpio -t --quiet 2>/dev/null | grep -qx 'usr/lib/dracut/hooks/pre-udev/00-gpt-bootcfg-claim.sh'"
		else
			early=1 && image zstd-early --compress zstd && early=0
			comp="none zstd"
			ok "$K image-zstd: the image starts with an uncompressed early archive" -- sh -c \
				"head -c 6 '$base' | grep -q 070701"
		fi
		vline=$(grep -E '(^|/)vfio[-_]pci\.ko[^:]*:' "$kdir/lib/modules/$kver/modules.dep")
		n=$(echo "$vline" | tr ':' ' ' | wc -w)
		R=$(fixture_copy guide-server)
		rm -f "$R"/boot/vmlinuz-* "$R"/boot/initrd.img-*
		mkdir -p "$R/usr/bin" "$R/lib/modules/$kver" "$R/etc/gpt-bootcfg"
		printf '#!/bin/sh\n' >"$R/usr/bin/dracut"
		: >"$R/boot/vmlinuz-$kver"
		cp "$base" "$R/boot/initrd.img-$kver"
		cp "$kdir/lib/modules/$kver/modules.dep" "$kdir/lib/modules/$kver/modules.builtin" \
			"$R/lib/modules/$kver/"
		cp "$work/claim.list" "$R/etc/gpt-bootcfg/claim.list"
		printf '[device gpu]\naddress = 0000:65:00.0\n' >"$R/etc/gpt-bootcfg/gpt-bootcfg.conf"
		"$build/gpt-bootcfg" --root "$R" status >"$TAP_TMP/s.txt" 2>&1
		ok "$K $s: status passes dracut's $comp image, naming what is in it" -- grep -qx \
			"  ok   /boot/initrd.img-$kver (dracut, $comp): claim binary, pre-udev hook before systemd-udevd, claim list of generation 3, vfio-pci with $n modules" \
			"$TAP_TMP/s.txt"
		sed -i 's/^generation 3$/generation 4/' "$R/etc/gpt-bootcfg/claim.list"
		"$build/gpt-bootcfg" --root "$R" status --json >"$TAP_TMP/s.json" 2>/dev/null
		is "$(jq -r '.initramfs[0].generator + ": " + .initramfs[0].problems[0]' "$TAP_TMP/s.json")" \
			"dracut: stale claim list: generation 3 in the image, 4 in /etc/gpt-bootcfg/claim.list" \
			"$K $s: a stale list in dracut's image fails, named"
		[ "$_tap_fail" = 0 ] || sed 's/^/#   /' "$TAP_TMP/s.txt"
		;;
	builtin)
		image systemd
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
		ok "$K builtin: nvme unbind logged" -- has builtin ", unbind nvme "
		ok "$K builtin: xhci unbind logged" -- has builtin ", unbind xhci_hcd "
		finish builtin
		;;
	*) bail "unknown scenario $s" ;;
	esac
done
done # kernels
done_testing
