#!/bin/sh
# dracut-root.sh: print the path of a cached tarball of a minimal Debian 12 tree with Debian's
# dracut (059) and systemd, building it first when it is missing.
#
# dracut conflicts with initramfs-tools (which this machine needs for the other boot tests),
# so it is never installed here: it runs from this tree, unpacked in a private mount namespace
# (tests/boot/build-dracut.sh). The tree is a debootstrap --variant=minbase of bookworm with
#   dracut      the generator (dracut-core: dracut-install, the modules; udev, kmod, cpio)
#   systemd systemd-sysv  so dracut builds what a Debian host with systemd gets: a systemd
#               initrd (00systemd's check needs the systemd binary; 99shutdown wants the
#               poweroff, reboot and halt that systemd-sysv has)
#   zstd xz-utils  the compressors the image check is proven with besides gzip (dracut's
#               default without pigz)
# Cache: $GPT_BOOTCFG_CACHE/dracut/rootfs-bookworm-KEY.tar.zst (about 1.5 minutes to build
# once; concurrent runs wait for the lock). Mirror: $GPT_BOOTCFG_MIRROR, else deb.debian.org.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${GPT_BOOTCFG_CACHE:-$top/.cache}/dracut
mirror=${GPT_BOOTCFG_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
packages=dracut,systemd,systemd-sysv,zstd,xz-utils

die() { echo "dracut-root: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mount namespaces)"
for t in debootstrap unshare zstd tar flock; do
	command -v "$t" >/dev/null || die "$t not found (tests/deps.txt)"
done

key=$(printf '%s\n' v1 "$suite" "$packages" | sha256sum | cut -c1-16)
tarball=$cache/rootfs-$suite-$key.tar.zst
mkdir -p "$cache"
exec 7>"$cache/rootfs.lock"
flock 7
if [ -s "$tarball" ]; then
	echo "$tarball"
	exit 0
fi

tmp=$(mktemp -d "$cache/debootstrap.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "dracut-root: debootstrap --variant=minbase --include=$packages $suite (cached afterwards)" >&2
# debootstrap mounts /proc and /sys in the target: in a namespace of its own they go with it.
if ! unshare -m --propagation private debootstrap --variant=minbase --include="$packages" \
	"$suite" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
	tail -n 30 "$tmp/debootstrap.log" >&2
	die "debootstrap failed (log above)"
fi
[ -x "$tmp/root/usr/bin/dracut" ] || die "no /usr/bin/dracut in the tree"
rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*_*
tar -C "$tmp/root" --numeric-owner -cf - . | zstd -q -T0 -3 -o "$tmp/rootfs.tar.zst"
mv "$tmp/rootfs.tar.zst" "$tarball"
find "$cache" -maxdepth 1 -name "rootfs-$suite-*.tar.zst" ! -name "${tarball##*/}" -delete
echo "$tarball"
