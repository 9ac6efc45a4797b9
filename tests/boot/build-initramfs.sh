#!/bin/sh
# build-initramfs.sh KDIR OUT CLAIM_BIN CLAIM_LIST
# Build the real initramfs with Debian's mkinitramfs for the kernel in KDIR (from
# fetch-kernel.sh), with our hook and init-top script plus the test report script
# (tests/boot/report, an init-premount script that prints the state and powers off).
#
# mkinitramfs reads /lib/modules/VERSION, /boot/config-VERSION and /etc/modprobe.d of the
# machine it runs on, and none of that may be touched here. So it runs in a throw-away
# chroot: in a private mount namespace, an overlay of / with a tmpfs upper layer receives
# the test kernel's modules and config; it vanishes with the namespace and the host sees
# nothing. The configuration comes from a private directory (mkinitramfs -d).
#
# GBTEST_METHOD=guide builds the guide's image instead (bench/boot-bench.sh compares the two):
# no hook and no init-top claim (CLAIM_BIN is not used); the vfio modules in the modules
# list, "options vfio-pci ids=" with the ids of CLAIM_LIST and the same softdeps in
# modprobe.d, as docs/performance.md describes.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$1 out=$2 claim_bin=$3 claim_list=$4
ver=$(cat "$kdir/version")
for t in mkinitramfs unshare; do
	command -v "$t" >/dev/null || { echo "build-initramfs: $t not found (see tests/deps.txt)" >&2; exit 1; }
done

conf=$(mktemp -d "${TMPDIR:-/tmp}/gbconf.XXXXXX")
trap 'rm -rf "$conf"' EXIT
mkdir -p "$conf/hooks" "$conf/scripts/init-top" "$conf/scripts/init-premount" "$conf/conf.d" \
	"$conf/modprobe.d"
method=${GBTEST_METHOD:-ours}
if [ "$method" = ours ]; then
	cp "$top/initramfs-tools/hooks/gpt-bootcfg" "$conf/hooks/"
	cp "$top/initramfs-tools/scripts/init-top/gpt-bootcfg" "$conf/scripts/init-top/"
fi
cp "$top/tests/boot/report" "$conf/scripts/init-premount/gbtest-report"
cat >"$conf/initramfs.conf" <<'CONF'
MODULES=list
BUSYBOX=y
COMPRESS=zstd
COMPRESSLEVEL=1
RUNSIZE=10%
FSTYPE=auto
CONF
echo RESUME=none >"$conf/conf.d/resume"
# The host drivers of the emulated devices: udev loads them by modalias after the claim.
printf 'nvme\nxhci_pci\nsnd_hda_intel\n' >"$conf/modules"
softdeps='softdep nvme pre: vfio-pci\nsoftdep xhci_pci pre: vfio-pci\nsoftdep snd_hda_intel pre: vfio-pci'
case $method in
ours)
	# The backstop as the generator would fill it for these devices.
	sed "s/^@SOFTDEPS@\$/$softdeps/" \
		"$top/modprobe.d/gpt-bootcfg.conf.in" >"$conf/modprobe.d/gpt-bootcfg.conf"
	;;
guide)
	# The guide's lines, one module per line as initramfs-tools(7) reads the file (the guide
	# puts them on one line, which would load only vfio, with the other words as its
	# parameters); vfio_virqfd only where the kernel has it (not in 6.2 and later).
	ids=$(grep -v '^#\|^generation' "$claim_list" | awk '{print $2}' | sort -u | paste -sd, -)
	for m in vfio vfio_iommu_type1 vfio_virqfd; do
		if grep -q "/$m\.ko" "$kdir/lib/modules/$ver/modules.dep"; then echo "$m"; fi
	done >"$conf/modules.guide"
	echo "vfio_pci ids=$ids" >>"$conf/modules.guide"
	cat "$conf/modules" >>"$conf/modules.guide"
	mv "$conf/modules.guide" "$conf/modules"
	echo "options vfio-pci ids=$ids" >"$conf/modprobe.d/vfio.conf"
	# The guide writes the softdeps to nvidia.conf and the options to vfio.conf.
	printf "%b\n" "$softdeps" >"$conf/modprobe.d/nvidia.conf"
	;;
*)
	echo "build-initramfs: unknown GBTEST_METHOD $method (ours, guide)" >&2
	exit 1
	;;
esac

outdir=$(cd "$(dirname "$out")" && pwd)
GPT_BOOTCFG_CLAIM_BIN=$claim_bin GPT_BOOTCFG_CLAIM_LIST=$claim_list \
	unshare -m --propagation private sh -eu -c '
	kdir=$1 ver=$2 conf=$3 outdir=$4 name=$5 ns=$3/ns
	mkdir "$ns"
	mount -t tmpfs gbchroot "$ns"
	mkdir "$ns/upper" "$ns/work" "$ns/root"
	mount -t overlay gbroot -o "lowerdir=/,upperdir=$ns/upper,workdir=$ns/work" "$ns/root"
	r=$ns/root
	mount -t proc proc "$r/proc"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs gbtmp "$r/tmp"
	mount -t tmpfs gbtmp "$r/var/tmp"
	mkdir -p "$r/lib/modules/$ver" "$r/boot" "$r/etc/modprobe.d" "$r/gbout" "$r/gbconf"
	mount --bind "$kdir/lib/modules/$ver" "$r/lib/modules/$ver"
	mount --bind "$conf" "$r/gbconf"
	mount --bind "$outdir" "$r/gbout"
	cp "$kdir/config" "$r/boot/config-$ver"
	rm -f "$r"/etc/modprobe.d/*
	cp "$conf"/modprobe.d/*.conf "$r/etc/modprobe.d/"
	cp "$GPT_BOOTCFG_CLAIM_BIN" "$r/tmp/gpt-bootcfg-claim"
	cp "$GPT_BOOTCFG_CLAIM_LIST" "$r/tmp/claim.list"
	GPT_BOOTCFG_CLAIM_BIN=/tmp/gpt-bootcfg-claim GPT_BOOTCFG_CLAIM_LIST=/tmp/claim.list \
		chroot "$r" mkinitramfs -d /gbconf -o "/gbout/$name.tmp" "$ver"
	' sh "$kdir" "$ver" "$conf" "$outdir" "$(basename "$out")"
mv "$out.tmp" "$out"
