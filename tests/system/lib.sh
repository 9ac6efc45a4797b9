# shellcheck shell=bash
# The whole-system harness: a Debian image built with debootstrap, assembled into a raw disk
# without loop devices, booted under QEMU (TCG) either directly (-kernel/-initrd taken from the
# image) or through GRUB installed into the image's MBR gap. The suite is $SYSTEM_SUITE:
# bookworm (Debian 12, the default) or trixie (Debian 13: merged /usr, systemd 257, GRUB 2.12);
# each suite's images are cached in a directory of their own.
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
SYS_SUITE=${SYSTEM_SUITE:-bookworm}
# Debian 12's images keep the directory they always had.
SYS_DIR=$SYS_CACHE/system$([ "$SYS_SUITE" = bookworm ] || echo "-$SYS_SUITE")
SYS_MIRROR=${GPT_BOOTCFG_MIRROR:-http://deb.debian.org/debian}
# The image: a kernel, the initramfs and boot stack, systemd, QEMU for the nested VM (TCG module
# and SeaBIOS come with it) with OVMF and swtpm (its VM has Secure Boot and a TPM 2.0, as a
# Windows 11 guest needs), the runtime libraries of gpt-bootcfg, socat to speak QMP, and
# pciutils for lspci in the assertions.
SYS_PACKAGES=linux-image-amd64,initramfs-tools,systemd-sysv,udev,kmod,grub-pc,qemu-system-x86,ovmf,swtpm,swtpm-tools,libkmod2,libblkid1,libpci3,pci.ids,pciutils,socat,e2fsprogs,procps
# ext4 starts at 1 MiB, as sfdisk puts it.
SYS_OFFSET=1048576
SYS_IMAGE_SIZE=${SYS_IMAGE_SIZE:-3G}

sys_log() { echo "system: $*" >&2; }
sys_die() { echo "system: error: $*" >&2; exit 1; }

# Every tool the harness needs, named when missing.
sys_require_tools() {
	local t missing=
	# GRUB's tools and modules come from the image (sys_install_grub); mtools for the ESP.
	for t in debootstrap zstd tar sfdisk mke2fs debugfs e2fsck chroot qemu-system-x86_64 \
		timeout flock sha256sum dpkg-deb mformat mmd mcopy; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	[ -z "$missing" ] || sys_die "missing tools:$missing (see tests/deps.txt)"
}

# build_rootfs: prints the path of a zstd tarball of the debootstrapped tree. Keyed by the
# package list, suite and this harness version so a change rebuilds; concurrent runs wait.
build_rootfs() {
	local key tarball tmp rc
	key=$(printf '%s\n' "v1" "$SYS_SUITE" "$SYS_PACKAGES" | sha256sum | cut -c1-16)
	mkdir -p "$SYS_DIR"
	tarball="$SYS_DIR/rootfs-$SYS_SUITE-$key.tar.zst"
	exec 8>"$SYS_DIR/rootfs.lock"
	flock 8
	if [ -s "$tarball" ]; then
		exec 8>&-
		echo "$tarball"
		return 0
	fi
	tmp=$(mktemp -d "$SYS_DIR/debootstrap.XXXXXX")
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
	find "$SYS_DIR" -maxdepth 1 -name "rootfs-*.tar.zst" ! -name "${tarball##*/}" -delete
	exec 8>&-
	echo "$tarball"
}

# Unmount anything below DIR, deepest first.
sys_umount_below() {
	local m
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# The system under test boots with this root file system UUID (fixed so grub.cfg and fstab
# can name it before the guest ever runs).
SYS_ROOT_UUID=6a1b2c3d-0000-4000-8000-67707462636f
# no_timer_check: on a loaded TCG host the IO-APIC timer check can miss its window and panic
# the guest ("timer doesn't work through Interrupt-remapped IO-APIC"), as qemu-run.sh notes.
SYS_KCMDLINE="console=ttyS0,115200 panic=-1 no_timer_check"

# sys_overlay DIR: the files that make the debootstrapped tree a bootable test system.
sys_overlay() {
	local d=$1
	echo "UUID=$SYS_ROOT_UUID / ext4 errors=remount-ro 0 1" >"$d/etc/fstab"
	echo systest >"$d/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tsystest\n' >"$d/etc/hosts"
	# GRUB on the serial console; update-grub in the guest keeps this.
	cat >"$d/etc/default/grub" <<-GRUB
		GRUB_DEFAULT=0
		GRUB_TIMEOUT=1
		GRUB_DISTRIBUTOR=Debian
		GRUB_CMDLINE_LINUX_DEFAULT=""
		GRUB_CMDLINE_LINUX="$SYS_KCMDLINE"
		GRUB_TERMINAL=serial
		GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
		GRUB_DISABLE_OS_PROBER=true
	GRUB
	# Only the modules this machine needs: a MODULES=most initramfs takes minutes to build
	# under TCG, and every boot of the test rebuilds it at least once.
	sed -i 's/^MODULES=.*/MODULES=dep/' "$d/etc/initramfs-tools/initramfs.conf"
	# Until the guest runs update-grub itself, the first boot uses this minimal menu.
	mkdir -p "$d/boot/grub/i386-pc"
	cp "$d/usr/lib/grub/i386-pc/"*.mod "$d/usr/lib/grub/i386-pc/"*.lst "$d/boot/grub/i386-pc/"
	cat >"$d/boot/grub/grub.cfg" <<-GRUB
		serial --unit=0 --speed=115200
		terminal_input serial
		terminal_output serial
		set timeout=0
		menuentry 'Debian (harness)' {
			search --no-floppy --fs-uuid --set=root $SYS_ROOT_UUID
			linux /vmlinuz root=UUID=$SYS_ROOT_UUID ro $SYS_KCMDLINE
			initrd /initrd.img
		}
	GRUB
	# The stage runner: one boot runs the stage.sh found on the control disk, writes what it
	# produced to the results disk and powers off. Without a control disk it does nothing.
	cat >"$d/usr/local/sbin/systest-runner" <<-'RUNNER'
		#!/bin/sh
		ctl=/dev/disk/by-id/virtio-sysctl
		res=/dev/disk/by-id/virtio-sysres
		udevadm settle -t 30
		[ -b "$ctl" ] || exit 0
		mkdir -p /run/systest /run/systest-results
		echo "SYSTEST: stage start"
		if tar -xf "$ctl" -C /run/systest; then
			(cd /run/systest && sh ./stage.sh /run/systest-results) 2>&1 |
				tee /run/systest-results/stage.log
		else
			echo "FAIL control-disk: cannot read $ctl" >/run/systest-results/results.txt
		fi
		journalctl -b --no-pager >/run/systest-results/journal.txt 2>&1
		tar -cf "$res" -C /run/systest-results .
		sync
		echo "SYSTEST: stage done"
		systemctl --no-block poweroff
	RUNNER
	chmod 0755 "$d/usr/local/sbin/systest-runner"
	cat >"$d/etc/systemd/system/systest.service" <<-'UNIT'
		[Unit]
		Description=gpt-bootcfg system test stage
		After=multi-user.target
		[Service]
		Type=oneshot
		ExecStart=/usr/local/sbin/systest-runner
		StandardOutput=journal+console
		StandardError=journal+console
		TimeoutStartSec=infinity
		[Install]
		WantedBy=multi-user.target
	UNIT
	ln -sf /etc/systemd/system/systest.service \
		"$d/etc/systemd/system/multi-user.target.wants/systest.service"
	# A root shell on the serial console helps when someone boots the image by hand.
	mkdir -p "$d/etc/systemd/system/serial-getty@ttyS0.service.d"
	printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin root --keep-baud 115200 %%I $TERM\n' \
		>"$d/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf"
	passwd -R "$d" -d root >/dev/null 2>&1 || sed -i 's/^root:[^:]*:/root::/' "$d/etc/shadow"
}

# build_image DISK: the bootable raw image (ext4 at 1 MiB, GRUB in the MBR gap), cached as a
# sparse base image keyed by the rootfs and this file; DISK gets a private copy.
build_image() {
	local disk=$1 rootfs key base tmp size_mb
	rootfs=$(build_rootfs) || return 1
	key=$({ declare -f sys_overlay sys_install_grub sys_mke2fs_features; echo "$SYS_ROOT_UUID $SYS_KCMDLINE"; } |
		sha256sum | cut -c1-8)
	base="${rootfs%.tar.zst}-image-$key.img"
	exec 8>"$SYS_DIR/rootfs.lock"
	flock 8
	if [ ! -s "$base" ]; then
		tmp=$(mktemp -d "$SYS_DIR/image.XXXXXX")
		sys_log "assembling the base image $base"
		mkdir "$tmp/root"
		zstd -dc "$rootfs" | tar -C "$tmp/root" --numeric-owner --xattrs -xf - ||
			{ rm -rf "$tmp"; exec 8>&-; sys_die "cannot unpack $rootfs"; }
		sys_overlay "$tmp/root"
		size_mb=${SYS_IMAGE_SIZE%G}
		size_mb=$((size_mb * 1024))
		truncate -s "${size_mb}M" "$tmp/disk.img"
		echo 'start=2048, type=83, bootable' | sfdisk -q "$tmp/disk.img" >/dev/null &&
			mke2fs -q -t ext4 $(sys_mke2fs_features) -U "$SYS_ROOT_UUID" -L systest \
				-E offset=$SYS_OFFSET -d "$tmp/root" "$tmp/disk.img" "$((size_mb - 1))M" &&
			sys_install_grub "$tmp/disk.img" "$tmp/root" ||
			{ rm -rf "$tmp"; exec 8>&-; sys_die "cannot assemble the image"; }
		# Base images of older rootfs builds or overlays are garbage now.
		rm -f "$SYS_DIR/"rootfs-*-image-*.img
		mv "$tmp/disk.img" "$base"
		rm -rf "$tmp"
	fi
	exec 8>&-
	cp --sparse=always "$base" "$disk"
}

# The ext4 features of the image, the same whatever this machine's mke2fs.conf enables:
# Debian 13's enables orphan_file (and metadata_csum_seed), Debian 12's does not. Older GRUBs
# are reported to refuse an ext4 with orphan_file; grub-fstest of Debian 12's GRUB 2.06 and
# Debian 13's 2.12 both read one (clean, and with orphan_present set), but the image has no
# use for it, so it is always off. An mke2fs that does not know the feature cannot enable it.
sys_mke2fs_features() {
	local t
	t=$(mktemp)
	truncate -s 16M "$t"
	if mke2fs -q -F -n -t ext4 -O ^orphan_file "$t" >/dev/null 2>&1; then echo "-O ^orphan_file"; fi
	rm -f "$t"
}

# GRUB without grub-install (which wants a block device): core.img at sector 1, boot.img's
# 440 bytes of code in the MBR, the partition table left alone. core.img is made by the
# image's own grub-mkimage from its own modules (GRUB 2.12 on Debian 13): a core of another
# GRUB version would load modules of a different build.
sys_install_grub() {
	local disk=$1 root=$2 mods=$2/usr/lib/grub/i386-pc core=$2/tmp/gbtest-core.img
	chroot "$root" grub-mkimage -d /usr/lib/grub/i386-pc -O i386-pc -o /tmp/gbtest-core.img \
		-p '(hd0,msdos1)/boot/grub' \
		biosdisk part_msdos ext2 normal linux configfile loadenv search search_fs_uuid \
		serial terminal echo test || return 1
	[ "$(stat -c %s "$core")" -lt $((SYS_OFFSET - 512)) ] || { rm -f "$core"; return 1; }
	dd if="$mods/boot.img" of="$disk" bs=440 count=1 conv=notrunc status=none &&
		dd if="$core" of="$disk" bs=512 seek=1 conv=notrunc status=none
	local rc=$?
	rm -f "$core"
	return $rc
}

# write_file DISK SRC DEST / read_file DISK SRC DEST: one file into or out of the image's ext4.
write_file() {
	debugfs -w -R "rm $3" "$1?offset=$SYS_OFFSET" >/dev/null 2>&1
	debugfs -w -R "write $2 $3" "$1?offset=$SYS_OFFSET" >/dev/null 2>&1
}
read_file() {
	rm -f "$3"
	debugfs -R "dump -p $2 $3" "$1?offset=$SYS_OFFSET" >/dev/null 2>&1 && [ -e "$3" ]
}

# extract_boot DISK OUTDIR: the kernel and initramfs /vmlinuz and /initrd.img point at.
extract_boot() {
	local disk=$1 out=$2 k i
	mkdir -p "$out"
	k=$(debugfs -R "stat /vmlinuz" "$disk?offset=$SYS_OFFSET" 2>/dev/null |
		sed -n 's/^Fast link dest: "\(.*\)"$/\1/p')
	i=$(debugfs -R "stat /initrd.img" "$disk?offset=$SYS_OFFSET" 2>/dev/null |
		sed -n 's/^Fast link dest: "\(.*\)"$/\1/p')
	[ -n "$k" ] && [ -n "$i" ] || return 1
	read_file "$disk" "/$k" "$out/vmlinuz" && read_file "$disk" "/$i" "$out/initrd.img"
}

# make_ctl_disk FILE DIR: DIR (with stage.sh at its top) as a tar on a raw disk.
make_ctl_disk() {
	tar -cf "$1" -C "$2" . && truncate -s %1M "$1"
}

# The QEMU process of the current boot, killed by sys_cleanup when the caller exits early.
SYS_QEMU_PID=

# boot_image --grub|--direct DISK CTL RES LOG TIMEOUT [QEMU ARGS...]
# Returns 0 when the guest powered off by itself, 124 when it was killed at TIMEOUT seconds.
boot_image() {
	local mode=$1 disk=$2 ctl=$3 res=$4 log=$5 tmo=$6 rc
	local -a boot=()
	shift 6
	case $mode in
	--grub) ;;
	--direct)
		extract_boot "$disk" "$(dirname "$log")/direct" || { echo "cannot extract the kernel" >"$log"; return 1; }
		boot=(-kernel "$(dirname "$log")/direct/vmlinuz" -initrd "$(dirname "$log")/direct/initrd.img"
			-append "root=UUID=$SYS_ROOT_UUID ro $SYS_KCMDLINE ${SYS_DIRECT_APPEND:-}")
		;;
	*) sys_die "boot_image: --grub or --direct" ;;
	esac
	truncate -s 64M "$res"
	: >"$log"
	# No SVM: the guest gets no /dev/kvm, so the VM inside it runs under TCG as well instead
	# of nesting KVM inside TCG.
	qemu-system-x86_64 -machine q35 -accel tcg -cpu qemu64,-svm -m "${SYS_MEM:-2048}" -smp 2 \
		-nodefaults -display none -no-reboot -serial "file:$log" \
		-device intel-iommu,intremap=on \
		-drive "file=$disk,format=raw,if=none,id=root,cache=unsafe" \
		-device virtio-blk-pci,drive=root,addr=0x3 \
		-drive "file=$ctl,format=raw,if=none,id=ctl,readonly=on" \
		-device virtio-blk-pci,drive=ctl,serial=sysctl,addr=0x4 \
		-drive "file=$res,format=raw,if=none,id=res" \
		-device virtio-blk-pci,drive=res,serial=sysres,addr=0x5 \
		"${boot[@]}" "$@" &
	SYS_QEMU_PID=$!
	rc=0
	local waited=0
	while kill -0 "$SYS_QEMU_PID" 2>/dev/null; do
		if [ "$waited" -ge "$tmo" ]; then
			kill "$SYS_QEMU_PID" 2>/dev/null
			sleep 2
			kill -9 "$SYS_QEMU_PID" 2>/dev/null
			rc=124
			break
		fi
		sleep 1
		waited=$((waited + 1))
	done
	if [ $rc = 0 ]; then wait "$SYS_QEMU_PID" || rc=$?; else wait "$SYS_QEMU_PID" 2>/dev/null; fi
	SYS_QEMU_PID=
	return $rc
}

sys_cleanup() {
	if [ -n "$SYS_QEMU_PID" ]; then
		kill "$SYS_QEMU_PID" 2>/dev/null
		sleep 1
		kill -9 "$SYS_QEMU_PID" 2>/dev/null
	fi
}

# collect_results RES DIR: what the guest's stage left on the results disk.
collect_results() {
	mkdir -p "$2" && tar -xf "$1" -C "$2" 2>/dev/null
}
