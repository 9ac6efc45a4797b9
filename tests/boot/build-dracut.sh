#!/bin/sh
# build-dracut.sh KDIR OUT CLAIM_BIN CLAIM_LIST [DRACUT_ARG...]
# Build an initramfs with Debian's real dracut (059, bookworm) for the kernel in KDIR (from
# fetch-kernel.sh), with our module (dracut/90gpt-bootcfg) and the test report module
# (tests/boot/dracut/99gbtest, added only when GBTEST_REPORT is not 0).
#
# dracut is never installed on this machine (it conflicts with initramfs-tools): it runs in a
# Debian tree of its own (dracut-root.sh, a cached tarball) unpacked on a tmpfs in a private
# mount namespace, with the test kernel's modules bind-mounted and its config in /boot. The
# tree's own configuration is kept (Debian's: a generic image, gzip without pigz), so the
# image is what a Debian host with dracut builds; DRACUT_ARGs add to it (--compress zstd).
# The host's /boot, /lib/modules and /etc are never read or written by dracut.
#
# The modprobe.d backstop is the generator's for the demo devices, as in build-initramfs.sh;
# the host drivers of the emulated devices are added (--add-drivers), as MODULES=list does
# there. GBTEST_EARLY_MICROCODE=1 puts a stand-in Intel microcode file in the tree, so that
# dracut prepends its uncompressed early cpio (for the image reader; not for booting).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$1 out=$2 claim_bin=$3 claim_list=$4
shift 4
ver=$(cat "$kdir/version")
for t in unshare zstd tar chroot; do
	command -v "$t" >/dev/null || { echo "build-dracut: $t not found (see tests/deps.txt)" >&2; exit 1; }
done
tarball=$("$top/tests/boot/dracut-root.sh")

stage=$(mktemp -d "${TMPDIR:-/tmp}/gbdracut.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/modules.d" "$stage/modprobe.d"
cp -r "$top/dracut/90gpt-bootcfg" "$stage/modules.d/"
add=
if [ "${GBTEST_REPORT:-1}" != 0 ]; then
	cp -r "$top/tests/boot/dracut/99gbtest" "$stage/modules.d/"
	cp "$top/tests/boot/report" "$stage/modules.d/99gbtest/report"
	add=gbtest
fi
softdeps='softdep nvme pre: vfio-pci\nsoftdep xhci_pci pre: vfio-pci\nsoftdep snd_hda_intel pre: vfio-pci'
sed "s/^@SOFTDEPS@\$/$softdeps/" "$top/modprobe.d/gpt-bootcfg.conf.in" \
	>"$stage/modprobe.d/gpt-bootcfg.conf"
cp "$claim_bin" "$stage/gpt-bootcfg-claim"
# No list: the image must carry nothing of ours (an empty CLAIM_LIST argument).
[ -n "$claim_list" ] && cp "$claim_list" "$stage/claim.list"

outdir=$(cd "$(dirname "$out")" && pwd)
unshare -m --propagation private sh -eu -c '
	kdir=$1 ver=$2 stage=$3 outdir=$4 name=$5 tarball=$6 add=$7 early=$8
	shift 8
	ns=$stage/ns r=$stage/ns/root
	mkdir "$ns"
	mount -t tmpfs -o mode=0755 gbdracut "$ns"
	mkdir "$r"
	zstd -q -d -c "$tarball" | tar -C "$r" --numeric-owner -xf -
	mount -t proc proc "$r/proc"
	# dracut reads firmware_class'"'"'s search path there; read-only, nothing is written.
	mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs gbtmp "$r/tmp"
	mount -t tmpfs gbtmp "$r/var/tmp"
	mkdir -p "$r/lib/modules/$ver" "$r/gbout" "$r/etc/gpt-bootcfg" "$r/usr/lib/gpt-bootcfg"
	mount --bind "$kdir/lib/modules/$ver" "$r/lib/modules/$ver"
	mount --bind "$outdir" "$r/gbout"
	cp "$kdir/config" "$r/boot/config-$ver"
	cp -r "$stage/modules.d/." "$r/usr/lib/dracut/modules.d/"
	cp "$stage/modprobe.d/gpt-bootcfg.conf" "$r/etc/modprobe.d/"
	# Where the package puts them, so the module runs exactly as on a host.
	install -m 0755 "$stage/gpt-bootcfg-claim" "$r/usr/lib/gpt-bootcfg/gpt-bootcfg-claim"
	[ -e "$stage/claim.list" ] && cp "$stage/claim.list" "$r/etc/gpt-bootcfg/claim.list"
	if [ "$early" = 1 ]; then
		mkdir -p "$r/lib/firmware/intel-ucode"
		printf "gbtest stand-in microcode\n" >"$r/lib/firmware/intel-ucode/06-55-04"
	fi
	chroot "$r" dracut --force --kver "$ver" ${add:+--add "$add"} \
		--add-drivers "nvme xhci_pci snd_hda_intel" "$@" "/gbout/$name.tmp"
	' sh "$kdir" "$ver" "$stage" "$outdir" "$(basename "$out")" "$tarball" "$add" \
	"${GBTEST_EARLY_MICROCODE:-0}" "$@"
mv "$out.tmp" "$out"
