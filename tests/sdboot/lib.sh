# shellcheck shell=bash
# The systemd-boot harness: a Debian 12 image with systemd-boot and kernel-install, booted under
# OVMF (TCG) through systemd-boot. The disk is GPT: an EFI System Partition (FAT, written with
# mtools) and an ext4 root (mke2fs -d), both at offsets of one raw file, so no loop device is
# ever used. systemd-boot and the first loader entry are put on the ESP by the image's own
# bootctl and kernel-install, run in a chroot on a directory that becomes the ESP.
#
# Source it from bash after tests/system/lib.sh, whose stage runner idea, control and results
# disks (make_ctl_disk, collect_results), debootstrap cache (build_rootfs) and QEMU loop
# (boot_image --grub, i.e. the firmware boots the disk) it reuses with a cache of its own:
#   sd_build_image DISK     -> DISK: a private copy of the cached base image
#   sd_boot DISK VARS CTL RES LOG TIMEOUT [QEMU ARGS...]
#                           -> boot_image with OVMF's code and the writable variable store
#                              VARS (a copy of OVMF_VARS_4M.fd made by sd_new_vars)
#   sd_new_vars FILE        -> a fresh OVMF variable store
#   sd_read_file / sd_write_file DISK SRC DEST   -> one file out of or into the root ext4
#   sd_esp_ls DISK PATH / sd_esp_cat DISK PATH   -> the ESP, read with mtools
#
# Nothing of the host is touched: debootstrap and the chroot run on scratch directories in a
# private mount namespace, and everything else happens in the guest.

SD_CACHE_TOP=${GPT_BOOTCFG_CACHE:-$SYS_TOP/.cache}
# build_rootfs keeps its tarballs in $SYS_DIR and deletes the other package lists' there:
# ours are apart from check-system's (tests/system/lib.sh set SYS_DIR from its own SYS_CACHE).
SYS_CACHE=$SD_CACHE_TOP/sdboot
SYS_DIR=$SYS_CACHE/system
# The image: a kernel with initramfs-tools, systemd with systemd-boot (bootctl, kernel-install's
# hooks: /etc/kernel/postinst.d/zz-systemd-boot, /etc/initramfs/post-update.d/systemd-boot),
# dosfstools for the ESP's fsck, and what gpt-bootcfg needs at run time.
SYS_PACKAGES=linux-image-amd64,initramfs-tools,systemd-sysv,udev,kmod,systemd-boot,dosfstools,libkmod2,libblkid1,libpci3,pci.ids,pciutils,e2fsprogs,procps
SD_OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
SD_OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
# The ESP from 1 MiB, the root after it: offsets in bytes for mtools and mke2fs.
SD_ESP_MB=256
SD_ESP_OFFSET=1048576
SD_ROOT_OFFSET=$(((1 + SD_ESP_MB) * 1048576))
SYS_OFFSET=$SD_ROOT_OFFSET
SD_IMAGE_MB=${SD_IMAGE_MB:-3072}
SD_ROOT_UUID=6a1b2c3d-0000-4000-8000-736462746f6f
SD_ESP_PARTUUID=6a1b2c3d-0000-4000-8000-736462657370
SD_ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
# The parameters kernel-install writes into every entry (/etc/kernel/cmdline); no_timer_check
# as in tests/system/lib.sh.
SD_KCMDLINE="root=UUID=$SD_ROOT_UUID ro console=ttyS0,115200 panic=-1 no_timer_check"

sd_require_tools() {
	local t missing=
	for t in debootstrap zstd tar sfdisk mke2fs debugfs mformat mcopy mdir mtype \
		qemu-system-x86_64 flock sha256sum unshare chroot; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	[ -r "$SD_OVMF_CODE" ] && [ -r "$SD_OVMF_VARS" ] || missing="$missing ovmf($SD_OVMF_CODE)"
	[ -z "$missing" ] || sys_die "missing tools:$missing (see tests/deps.txt)"
}

# sd_overlay DIR: what makes the debootstrapped tree a bootable test system with systemd-boot.
sd_overlay() {
	local d=$1
	# Under TCG on a busy machine udev can take longer than systemd's 90 s for the ESP's
	# device: without the longer wait the boot ends in emergency mode.
	cat >"$d/etc/fstab" <<-FSTAB
		UUID=$SD_ROOT_UUID / ext4 errors=remount-ro 0 1
		PARTUUID=$SD_ESP_PARTUUID /boot/efi vfat umask=0077,x-systemd.device-timeout=600s 0 2
	FSTAB
	mkdir -p "$d/boot/efi"
	echo sdtest >"$d/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tsdtest\n' >"$d/etc/hosts"
	# What a systemd-boot host keeps its kernel parameters in: kernel-install's entries take it.
	echo "$SD_KCMDLINE" >"$d/etc/kernel/cmdline"
	# Only the modules this machine needs for the initramfs the guest rebuilds (the first one,
	# made by debootstrap, is MODULES=most).
	sed -i 's/^MODULES=.*/MODULES=dep/' "$d/etc/initramfs-tools/initramfs.conf"
	# The stage runner, as in tests/system/lib.sh: one boot runs stage.sh from the control disk,
	# leaves what it wrote on the results disk and powers off. Without a control disk it only
	# says where this boot came from (the health point of the harness) and powers off.
	cat >"$d/usr/local/sbin/sdtest-runner" <<-'RUNNER'
		#!/bin/sh
		ctl=/dev/disk/by-id/virtio-sysctl
		res=/dev/disk/by-id/virtio-sysres
		udevadm settle -t 30
		mkdir -p /run/systest /run/systest-results
		{
			printf 'cmdline %s\n' "$(cat /proc/cmdline)"
			echo "multi-user $(systemctl is-active multi-user.target)"
			# systemd-boot's variables (UTF-16 after 4 bytes of attributes).
			for v in LoaderInfo LoaderEntrySelected LoaderEntryOneShot; do
				f=/sys/firmware/efi/efivars/$v-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
				# efivarfs may give its files no size: read, not seek.
				[ -r "$f" ] && printf 'efivar %s %s\n' "$v" "$(cat "$f" | tail -c +5 | tr -d '\000')"
			done
			bootctl status --no-pager 2>&1
		} >/run/systest-results/boot.txt
		sed 's/^/SDTEST: /' /run/systest-results/boot.txt
		if [ -b "$ctl" ]; then
			echo "SDTEST: stage start"
			if tar -xf "$ctl" -C /run/systest; then
				(cd /run/systest && sh ./stage.sh /run/systest-results) 2>&1 |
					tee /run/systest-results/stage.log
			else
				echo "FAIL control-disk: cannot read $ctl" >/run/systest-results/results.txt
			fi
		fi
		journalctl -b --no-pager >/run/systest-results/journal.txt 2>&1
		[ -b "$res" ] && tar -cf "$res" -C /run/systest-results .
		sync
		echo "SDTEST: stage done"
		systemctl --no-block poweroff
	RUNNER
	chmod 0755 "$d/usr/local/sbin/sdtest-runner"
	cat >"$d/etc/systemd/system/sdtest.service" <<-'UNIT'
		[Unit]
		Description=gpt-bootcfg systemd-boot test stage
		After=multi-user.target
		[Service]
		Type=oneshot
		ExecStart=/usr/local/sbin/sdtest-runner
		StandardOutput=journal+console
		StandardError=journal+console
		TimeoutStartSec=infinity
		[Install]
		WantedBy=multi-user.target
	UNIT
	ln -sf /etc/systemd/system/sdtest.service \
		"$d/etc/systemd/system/multi-user.target.wants/sdtest.service"
	mkdir -p "$d/etc/systemd/system/serial-getty@ttyS0.service.d"
	printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin root --keep-baud 115200 %%I $TERM\n' \
		>"$d/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf"
	passwd -R "$d" -d root >/dev/null 2>&1 || sed -i 's/^root:[^:]*:/root::/' "$d/etc/shadow"
}

# sd_install_boot DIR ESPDIR: systemd-boot and the entry of every kernel onto the ESP, by the
# tree's own bootctl and kernel-install in a chroot (a private mount namespace), then the
# ESP's files into ESPDIR. bootctl checks that the ESP is a FAT partition; here it is a tmpfs
# on DIR/boot/efi that becomes one, so the check is relaxed (SYSTEMD_RELAX_ESP_CHECKS), and no
# EFI variable is written (--no-variables: OVMF boots the removable-media path
# /EFI/BOOT/BOOTX64.EFI, which bootctl installs too). A file system of its own, because
# kernel-install names the files in the entries relative to the mount point it finds
# (stat -c %m, by the device number).
sd_install_boot() {
	unshare -m --propagation private sh -euc '
		r=$1 espdir=$2
		mount -t proc proc "$r/proc"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs sdtmp "$r/tmp"
		mount -t tmpfs -o mode=0755 sdesp "$r/boot/efi"
		chroot "$r" env SYSTEMD_RELAX_ESP_CHECKS=1 bootctl install --esp-path=/boot/efi \
			--no-variables --make-machine-id-directory=yes
		for k in "$r"/boot/vmlinuz-*; do
			v=${k##*/vmlinuz-}
			chroot "$r" env SYSTEMD_RELAX_ESP_CHECKS=1 kernel-install add "$v" \
				"/boot/vmlinuz-$v" "/boot/initrd.img-$v"
		done
		# Show the menu for a moment on the serial console (a person can pick an entry;
		# the tests never need to).
		sed -i "s/^#*timeout.*/timeout 1/" "$r/boot/efi/loader/loader.conf"
		grep -q "^timeout" "$r/boot/efi/loader/loader.conf" ||
			echo "timeout 1" >>"$r/boot/efi/loader/loader.conf"
		mkdir -p "$espdir"
		cp -a "$r/boot/efi/." "$espdir/"
	' sh "$1" "$2"
}

# sd_build_image DISK: the bootable raw image, cached as a sparse base image keyed by the
# rootfs and this file's functions; DISK gets a private copy.
sd_build_image() {
	local disk=$1 rootfs key base tmp
	rootfs=$(build_rootfs) || return 1
	key=$({ declare -f sd_overlay sd_install_boot sd_assemble; echo "$SD_KCMDLINE $SD_ESP_MB $SD_IMAGE_MB"; } |
		sha256sum | cut -c1-8)
	base="${rootfs%.tar.zst}-image-$key.img"
	exec 8>"$SYS_CACHE/system/rootfs.lock"
	flock 8
	if [ ! -s "$base" ]; then
		tmp=$(mktemp -d "$SYS_CACHE/system/image.XXXXXX")
		sys_log "assembling the base image $base"
		mkdir "$tmp/root"
		if ! zstd -dc "$rootfs" | tar -C "$tmp/root" --numeric-owner --xattrs -xf - ||
			! sd_overlay "$tmp/root" ||
			! sd_install_boot "$tmp/root" "$tmp/esp" >"$tmp/install.log" 2>&1 ||
			! sd_assemble "$tmp/root" "$tmp/esp" "$tmp/disk.img" >>"$tmp/install.log" 2>&1; then
			tail -n 30 "$tmp/install.log" >&2
			rm -rf "$tmp"
			exec 8>&-
			sys_die "cannot assemble the image (log above)"
		fi
		rm -f "$SYS_CACHE/system/"rootfs-*-image-*.img
		mv "$tmp/disk.img" "$base"
		rm -rf "$tmp"
	fi
	exec 8>&-
	cp --sparse=always "$base" "$disk"
}

# sd_assemble ROOT ESPDIR DISK: GPT with the ESP (ESPDIR's files, FAT32 by mtools) and the
# root ext4 (ROOT, /boot/efi the empty mount point).
sd_assemble() {
	local root=$1 espdir=$2 disk=$3 esp_sectors=$((SD_ESP_MB * 2048))
	truncate -s "${SD_IMAGE_MB}M" "$disk"
	sfdisk -q "$disk" <<-EOF || return 1
		label: gpt
		start=2048, size=$esp_sectors, type=$SD_ESP_TYPE, uuid=$SD_ESP_PARTUUID, name=esp
		start=$((2048 + esp_sectors)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
	EOF
	mformat -i "$disk@@$SD_ESP_OFFSET" -T "$esp_sectors" -h 64 -s 32 -F -v ESP :: || return 1
	mcopy -s -p -i "$disk@@$SD_ESP_OFFSET" "$espdir"/* :: || return 1
	# The last 1 MiB holds GPT's backup header.
	mke2fs -q -t ext4 -U "$SD_ROOT_UUID" -L sdroot -E offset=$SD_ROOT_OFFSET -d "$root" \
		"$disk" "$((SD_IMAGE_MB - 1 - SD_ESP_MB - 1))M"
}

sd_new_vars() {
	cp "$SD_OVMF_VARS" "$1"
}

# sd_boot DISK VARS CTL RES LOG TIMEOUT [QEMU ARGS...]: boot through OVMF and systemd-boot.
sd_boot() {
	local disk=$1 vars=$2
	shift 2
	boot_image --grub "$disk" "$@" \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$SD_OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$vars"
}

sd_read_file() { read_file "$@"; }
sd_write_file() { write_file "$@"; }
sd_esp_ls() { mdir -b -i "$1@@$SD_ESP_OFFSET" "::$2"; }
sd_esp_cat() { mtype -i "$1@@$SD_ESP_OFFSET" "::$2"; }
