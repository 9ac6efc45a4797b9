# Initramfs images for the tests of the image check (tests/integration/test-initramfs.sh):
# trees laid out as Debian 12's mkinitramfs lays them out (merged /usr, scripts/init-top
# with ORDER, the modules below lib/modules/VERSION), packed as mkinitramfs packs them (an
# uncompressed early cpio, then the compressed main cpio). Source after tests/lib/tap.sh.

# initrd_tree ROOT KVER DIR: the tree of a good image for the host tree ROOT: the claim
# binary, the init-top scripts and ORDER, ROOT's claim list, and the vfio-pci chain of
# ROOT's modules.dep (as modprobe --show-depends would list it).
initrd_tree() {
	_r=$1 _k=$2 _d=$3
	mkdir -p "$_d/usr/bin" "$_d/usr/lib/gpt-bootcfg" "$_d/usr/sbin" "$_d/scripts/init-top" \
		"$_d/etc/gpt-bootcfg" "$_d/usr/lib/modules/$_k"
	for l in bin lib sbin; do ln -s "usr/$l" "$_d/$l"; done
	printf '\177ELF stand-in for the claim binary\n' >"$_d/usr/lib/gpt-bootcfg/gpt-bootcfg-claim"
	chmod 755 "$_d/usr/lib/gpt-bootcfg/gpt-bootcfg-claim"
	for s in all_generic_ide blacklist gpt-bootcfg keymap udev; do
		printf '#!/bin/sh\nexit 0\n' >"$_d/scripts/init-top/$s"
		chmod 755 "$_d/scripts/init-top/$s"
		printf '/scripts/init-top/%s "$@"\n[ -e /conf/param.conf ] && . /conf/param.conf\n' \
			"$s" >>"$_d/scripts/init-top/ORDER"
	done
	[ -e "$_r/etc/gpt-bootcfg/claim.list" ] &&
		cp "$_r/etc/gpt-bootcfg/claim.list" "$_d/etc/gpt-bootcfg/claim.list"
	# vfio-pci's line of modules.dep: the module and what it needs.
	sed -n 's|^\([^:]*/vfio-pci\.ko[^:]*\):\(.*\)$|\1 \2|p' "$_r/lib/modules/$_k/modules.dep" |
		tr ' ' '\n' | while read -r m; do
			[ -n "$m" ] || continue
			mkdir -p "$(dirname "$_d/usr/lib/modules/$_k/$m")"
			echo "module $m" >"$_d/usr/lib/modules/$_k/$m"
		done
	cp "$_r/lib/modules/$_k/modules.dep" "$_d/usr/lib/modules/$_k/"
}

# initrd_cpio DIR: DIR as one newc archive on stdout (names as mkinitramfs stores them).
initrd_cpio() {
	(cd "$1" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0)
}

# initrd_pack DIR OUT [COMPRESS]: an early uncompressed archive (a microcode stand-in),
# then DIR compressed with COMPRESS (zstd, gzip, xz, lzma; default zstd).
initrd_pack() {
	_e=$(mktemp -d "$TAP_TMP/early.XXXXXX")
	mkdir -p "$_e/kernel/x86/microcode"
	echo microcode >"$_e/kernel/x86/microcode/GenuineIntel.bin"
	initrd_cpio "$_e" >"$2"
	case ${3:-zstd} in
	zstd) initrd_cpio "$1" | zstd -q -1 -c >>"$2" ;;
	gzip) initrd_cpio "$1" | gzip -1 -c >>"$2" ;;
	xz) initrd_cpio "$1" | xz --check=crc32 -1 -c >>"$2" ;;
	lzma) initrd_cpio "$1" | xz --format=lzma -1 -c >>"$2" ;;
	none) initrd_cpio "$1" >>"$2" ;;
	*) echo "initrd_pack: unknown compression $3" >&2; return 1 ;;
	esac
}

# initrd_standin ROOT KVER BUSYBOX: make ROOT a "full system" for apply's rebuild: the
# static BUSYBOX as /bin/sh and its tools, and an update-initramfs that does what
# mkinitramfs with our hook does, from the tree /gbtest/initrd (a good tree without a claim
# list; a test may break it): it adds /etc/gpt-bootcfg/claim.list when there is one, then
# what /gbtest/override holds (an admin's hook that copies files), and packs it gzip'ed to
# /boot/initrd.img-KVER. It logs its arguments to /rebuild.log and says "update-initramfs ran".
initrd_standin() {
	_r=$1 _k=$2
	mkdir -p "$_r/bin" "$_r/usr/sbin" "$_r/gbtest"
	cp "$3" "$_r/bin/busybox"
	for a in sh cp rm mkdir find cpio gzip sort; do ln -sf busybox "$_r/bin/$a"; done
	rm -rf "$_r/gbtest/initrd"
	initrd_tree "$_r" "$_k" "$_r/gbtest/initrd"
	rm -f "$_r/gbtest/initrd/etc/gpt-bootcfg/claim.list"
	cat >"$_r/usr/sbin/update-initramfs" <<STANDIN
#!/bin/sh
echo update-initramfs "\$@" >>/rebuild.log
rm -rf /tmp/initrd && mkdir -p /tmp && cp -a /gbtest/initrd /tmp/initrd || exit 1
if [ -e /etc/gpt-bootcfg/claim.list ]; then
	cp /etc/gpt-bootcfg/claim.list /tmp/initrd/etc/gpt-bootcfg/ || exit 1
fi
if [ -d /gbtest/override ]; then cp -a /gbtest/override/. /tmp/initrd/ || exit 1; fi
(cd /tmp/initrd && find . | sort | cpio -o -H newc 2>/dev/null | gzip -c) >/boot/initrd.img-$_k || exit 1
rm -rf /tmp/initrd
echo "update-initramfs ran"
STANDIN
	chmod 755 "$_r/usr/sbin/update-initramfs"
}

# initrd_tree_dracut ROOT KVER DIR [nosystemd]: the tree of a good image as Debian's dracut
# lays it out (tests/boot/build-dracut.sh builds real ones): merged /usr, the claim binary,
# the list and the vfio-pci chain as in initrd_tree, our pre-udev hook in
# usr/lib/dracut/hooks/pre-udev, and a systemd initrd's /init link, dracut-pre-udev.service
# (ordered before systemd-udevd.service) and initrd.target's want of it; with "nosystemd",
# dracut's own /init script instead.
initrd_tree_dracut() {
	_r=$1 _k=$2 _d=$3
	initrd_tree "$_r" "$_k" "$_d"
	rm -rf "$_d/scripts"
	mkdir -p "$_d/usr/lib/dracut/hooks/pre-udev" "$_d/usr/lib/dracut/hooks/initqueue" \
		"$_d/usr/lib/systemd/system" "$_d/etc/systemd/system/initrd.target.wants"
	cp "$TOP/dracut/90gpt-bootcfg/gpt-bootcfg-claim.sh" \
		"$_d/usr/lib/dracut/hooks/pre-udev/00-gpt-bootcfg-claim.sh"
	printf '#!/bin/sh\n# dm-pre-udev stand-in\n' >"$_d/usr/lib/dracut/hooks/pre-udev/30-dm-pre-udev.sh"
	if [ "${4:-}" = nosystemd ]; then
		printf '#!/bin/bash\n# dracut init stand-in: sources the hooks\n' >"$_d/init"
		chmod 755 "$_d/init"
		return 0
	fi
	printf '\177ELF systemd stand-in\n' >"$_d/usr/lib/systemd/systemd"
	chmod 755 "$_d/usr/lib/systemd/systemd"
	ln -s usr/lib/systemd/systemd "$_d/init"
	cat >"$_d/usr/lib/systemd/system/dracut-pre-udev.service" <<'UNIT'
[Unit]
Description=dracut pre-udev hook
DefaultDependencies=no
Before=systemd-udevd.service dracut-pre-trigger.service
After=dracut-cmdline.service
ConditionDirectoryNotEmpty=|/lib/dracut/hooks/pre-udev

[Service]
Type=oneshot
ExecStart=-/bin/dracut-pre-udev
UNIT
	ln -s /lib/systemd/system/dracut-pre-udev.service \
		"$_d/etc/systemd/system/initrd.target.wants/dracut-pre-udev.service"
}

# initrd_pack_dracut DIR OUT [COMPRESS [early]]: as dracut writes it: DIR compressed with
# COMPRESS (gzip, dracut's default without pigz; zstd, xz), after an uncompressed early
# microcode archive only when "early" is given (dracut makes one when microcode is there).
initrd_pack_dracut() {
	: >"$2"
	if [ "${4:-}" = early ]; then
		_e=$(mktemp -d "$TAP_TMP/early.XXXXXX")
		mkdir -p "$_e/kernel/x86/microcode"
		echo microcode >"$_e/kernel/x86/microcode/GenuineIntel.bin"
		initrd_cpio "$_e" >"$2"
	fi
	case ${3:-gzip} in
	gzip) initrd_cpio "$1" | gzip -9 -n -c >>"$2" ;;
	zstd) initrd_cpio "$1" | zstd -q -15 -c >>"$2" ;;
	xz) initrd_cpio "$1" | xz --check=crc32 -c >>"$2" ;;
	*) echo "initrd_pack_dracut: unknown compression $3" >&2; return 1 ;;
	esac
}
