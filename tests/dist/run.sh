#!/bin/bash
# tests/dist/run.sh SUITE [COMMAND...]: build and test this tree on another Debian suite.
#
# The tree (its HEAD, as "make deb" packages it; the working tree with DEB_FROM=worktree or
# outside git) is copied into a debootstrapped SUITE that has the package's build dependencies
# and nothing of tests/deps.txt beyond them, and each COMMAND (default: "make check-unit"
# "make deb DIST=SUITE") runs there, in order, as root, through "sh -c" (tests/lib/chroot.sh:
# private namespaces, nothing of the host is modified). What the commands built in
# build/deb-SUITE comes back to $GPT_BOOTCFG_DIST_OUT (default: build/deb-SUITE here).
#
# Its use is bullseye (Debian 11: gcc 10, glibc 2.31, musl 1.2.2, kmod 28, zstd 1.4.8), the
# oldest libraries gpt-bootcfg supports: the package built there installs on Debian 11 and on
# Ubuntu 22.04 and 24.04 (docs/install.md). "make deb DIST=bullseye" and "make check-dist" run
# this script.
#
# The debootstrapped tree is cached as a zstd tarball in $GPT_BOOTCFG_CACHE/SUITE-build (built
# once, a few minutes); the scratch tree goes to a directory in /var/tmp and is removed
# afterwards unless GPT_BOOTCFG_DIST_KEEP=1.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${GPT_BOOTCFG_CACHE:-$top/.cache}
suite=${1:?usage: tests/dist/run.sh SUITE [COMMAND...]}
shift
[ $# -gt 0 ] || set -- "make check-unit" "make deb DIST=$suite"
out=${GPT_BOOTCFG_DIST_OUT:-$top/build/deb-$suite}
# debian/control's Build-Depends, build-essential, lintian for "make deb", and what the unit
# tests run: depmod (kmod) and grub-editenv (grub-common); prove is perl's, which dpkg-dev
# pulls in.
packages=make,build-essential,pkg-config,debhelper,lintian,libkmod-dev,libblkid-dev,libpci-dev,musl-tools,libzstd-dev,zlib1g-dev,liblzma-dev,kmod,grub-common

# shellcheck source=tests/lib/chroot.sh
. "$top/tests/lib/chroot.sh"
CHROOT_LABEL=dist-$suite

[ "$(id -u)" = 0 ] || chroot_die "needs root (debootstrap, chroot, mount namespaces)"
for t in debootstrap unshare chroot zstd tar flock mount; do # the host's
	command -v "$t" >/dev/null || chroot_die "$t not found (tests/deps.txt)"
done
from=${DEB_FROM:-$([ -e "$top/.git" ] && echo head || echo worktree)}

SECONDS=0
tarball=$(chroot_rootfs "$suite" "$packages" "$cache/$suite-build")
dir=$(mktemp -d /var/tmp/gpt-bootcfg-dist.XXXXXX)
cleanup() {
	chroot_umount_below "$dir/root"
	[ "${GPT_BOOTCFG_DIST_KEEP:-0}" = 1 ] && { chroot_log "kept $dir"; return; }
	rm -rf "$dir"
}
trap cleanup EXIT
r=$dir/root
chroot_unpack "$tarball" "$r"
chroot_apt_sources "$r" "$suite"
chroot_log "$suite tree ready after $SECONDS s ($(chroot "$r" gcc -dumpfullversion), $(chroot "$r" dpkg-query -W -f '${Package} ${Version}, ' libc6 musl libkmod2 libzstd1 | sed 's/, $//'))"

# The sources without .git: inside, "make deb" packages the tree as it is (DEB_FROM=worktree).
mkdir -p "$r/root/gpt-bootcfg"
if [ "$from" = head ]; then
	git -C "$top" archive --format=tar HEAD | tar -xf - -C "$r/root/gpt-bootcfg"
else
	tar -C "$top" --exclude=./.git --exclude=./build --exclude=./.cache --exclude=./debian/build \
		-cf - . | tar -xf - -C "$r/root/gpt-bootcfg"
fi

chroot_run "$r" "$cache" "$CHROOT_LABEL" "$@"

if [ -d "$r/root/gpt-bootcfg/build/deb-$suite" ]; then
	rm -rf "$out" && mkdir -p "$out"
	cp -p "$r/root/gpt-bootcfg/build/deb-$suite/"*.deb "$r/root/gpt-bootcfg/build/deb-$suite/build.log" "$out/"
	chroot_log "package: $(ls "$out"/*.deb)"
fi
chroot_log "all passed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
