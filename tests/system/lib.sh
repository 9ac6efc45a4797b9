# shellcheck shell=bash
# The whole-system harness: a Debian 12 image built with debootstrap, assembled into a raw disk
# without loop devices, booted under QEMU (TCG) either directly (-kernel/-initrd taken from the
# image) or through GRUB installed into the image's MBR gap.
#
# Source it from bash. Functions:
#   build_rootfs            -> prints the cached rootfs tarball (built once per package list)
#   build_image DIR DISK [EXTRA_DIR...]
#                           -> DISK: raw image holding the rootfs plus EXTRA_DIRs copied on top,
#                              GRUB installed in the MBR; DIR is a scratch directory
#   write_file DISK SRC DEST   -> put one file into the image's ext4 (no mount)
#   read_file DISK SRC DEST    -> copy one file out of the image's ext4
#   extract_boot DISK OUTDIR   -> OUTDIR/vmlinuz, OUTDIR/initrd.img of the image's default kernel
#   make_ctl_disk FILE DIR     -> raw disk holding a tar of DIR (the guest reads it as
#                                 /dev/disk/by-id/virtio-sysctl)
#   boot_image --grub|--direct DISK CTL RES LOG TIMEOUT [QEMU ARGS...]
#                           -> boots, waits for the guest to power off (or kills it at TIMEOUT s);
#                              RES is the results disk (virtio-sysres), LOG the serial log
#   collect_results RES DIR -> unpack the tar the guest wrote on the results disk into DIR
#
# Nothing here touches the running host's /sys, /etc or /boot: the image is built by debootstrap
# in a scratch directory, and everything that configures the system under test happens inside the
# booted guest.

SYS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SYS_CACHE=${GPT_BOOTCFG_CACHE:-$SYS_TOP/.cache}
SYS_SUITE=bookworm
SYS_MIRROR=${GPT_BOOTCFG_MIRROR:-http://deb.debian.org/debian}
# The image: a kernel, the initramfs and boot stack, systemd, QEMU for the nested VM (TCG module
# and SeaBIOS come with it), the runtime libraries of gpt-bootcfg, socat to speak QMP, and
# pciutils for lspci in the assertions.
SYS_PACKAGES=linux-image-amd64,initramfs-tools,systemd-sysv,udev,kmod,grub-pc,qemu-system-x86,libkmod2,libblkid1,libpci3,pci.ids,pciutils,socat,e2fsprogs,procps
# ext4 starts at 1 MiB, as sfdisk puts it.
SYS_OFFSET=1048576
SYS_IMAGE_SIZE=${SYS_IMAGE_SIZE:-3G}

sys_log() { echo "system: $*" >&2; }
sys_die() { echo "system: error: $*" >&2; exit 1; }

# Every tool the harness needs, named when missing.
sys_require_tools() {
	local t missing=
	for t in debootstrap zstd tar sfdisk mke2fs debugfs e2fsck grub-mkimage qemu-system-x86_64 \
		timeout flock sha256sum dpkg-deb; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	[ -d /usr/lib/grub/i386-pc ] || missing="$missing grub-pc-bin(/usr/lib/grub/i386-pc)"
	[ -z "$missing" ] || sys_die "missing tools:$missing (see tests/deps.txt)"
}

# build_rootfs: prints the path of a zstd tarball of the debootstrapped tree. Keyed by the
# package list, suite and this harness version so a change rebuilds; concurrent runs wait.
build_rootfs() {
	local key tarball tmp rc
	key=$(printf '%s\n' "v1" "$SYS_SUITE" "$SYS_PACKAGES" | sha256sum | cut -c1-16)
	mkdir -p "$SYS_CACHE/system"
	tarball="$SYS_CACHE/system/rootfs-$SYS_SUITE-$key.tar.zst"
	exec 8>"$SYS_CACHE/system/rootfs.lock"
	flock 8
	if [ -s "$tarball" ]; then
		exec 8>&-
		echo "$tarball"
		return 0
	fi
	tmp=$(mktemp -d "$SYS_CACHE/system/debootstrap.XXXXXX")
	sys_log "debootstrap $SYS_SUITE into $tmp (takes a few minutes; cached afterwards)"
	DEBIAN_FRONTEND=noninteractive debootstrap --variant=minbase \
		--include="$SYS_PACKAGES" "$SYS_SUITE" "$tmp/root" "$SYS_MIRROR" \
		>"$tmp/debootstrap.log" 2>&1
	rc=$?
	# debootstrap mounts proc and sys in the target; never leave them behind.
	sys_umount_below "$tmp/root"
	if [ $rc != 0 ]; then
		tail -n 30 "$tmp/debootstrap.log" >&2
		rm -rf "$tmp"
		exec 8>&-
		sys_die "debootstrap failed (log above)"
	fi
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
	tar -C "$tmp/root" --numeric-owner --xattrs -cf - . | zstd -q -T0 -3 -o "$tmp/rootfs.tar.zst" ||
		{ rm -rf "$tmp"; exec 8>&-; sys_die "cannot write the rootfs tarball"; }
	mv "$tmp/rootfs.tar.zst" "$tarball"
	rm -rf "$tmp"
	# Older builds of other package lists are garbage now.
	find "$SYS_CACHE/system" -maxdepth 1 -name "rootfs-*.tar.zst" ! -name "${tarball##*/}" -delete
	exec 8>&-
	echo "$tarball"
}

# Unmount anything below DIR, deepest first.
sys_umount_below() {
	local m
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
