# shellcheck shell=bash
# Debootstrapped Debian trees for commands that must run on another (or a pristine) Debian:
# tests/fresh/run.sh (the README's commands on a fresh Debian 12) and tests/dist/run.sh (the
# build and unit tests on the oldest suite we support). Source it from bash.
#
#   chroot_rootfs SUITE PACKAGES DIR   -> prints a zstd tarball of "debootstrap --variant=minbase
#                                         --include=PACKAGES SUITE", cached in DIR (keyed by
#                                         suite and package list; concurrent callers wait)
#   chroot_unpack TARBALL ROOT         -> a scratch tree of it in ROOT (emptied first)
#   chroot_apt_sources ROOT SUITE      -> ROOT's apt sources and name servers: the host's for
#                                         the host's own suite, else one line for SUITE on the
#                                         host's mirror
#   chroot_run ROOT CACHE LABEL COMMAND...
#                                      -> each COMMAND through "sh -c" as root in ROOT/root/gpt-bootcfg,
#                                         in order, stopping at the first that fails
#   chroot_umount_below DIR            -> unmount anything below DIR, deepest first
#
# chroot_run's tree lives in a private mount and PID namespace (unshare -m -p) with its own
# /proc, the machine's /dev (with a private devpts and /dev/shm), a read-only /sys, tmpfs /run
# and /tmp; it shares the host's network (apt reaches Debian's archive). CACHE (the test cache)
# is bound at the same path, so downloads are shared; its boot/ is a private tmpfs there, so
# initramfs images are built inside the tree. Nothing of the host is modified.
#
# Mirror: $GPT_BOOTCFG_MIRROR, else deb.debian.org.

CHROOT_MIRROR=${GPT_BOOTCFG_MIRROR:-http://deb.debian.org/debian}

chroot_log() { echo "${CHROOT_LABEL:-chroot}: $*" >&2; }
chroot_die() { echo "${CHROOT_LABEL:-chroot}: error: $*" >&2; exit 1; }

chroot_umount_below() {
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

chroot_rootfs() {
	local suite=$1 packages=$2 dir=$3 key tarball tmp rc
	key=$(printf '%s\n' v1 "$suite" "$packages" | sha256sum | cut -c1-16)
	mkdir -p "$dir"
	tarball=$dir/rootfs-$suite-$key.tar.zst
	exec 7>"$dir/rootfs.lock"
	flock 7
	if [ ! -s "$tarball" ]; then
		tmp=$(mktemp -d "$dir/debootstrap.XXXXXX")
		chroot_log "debootstrap --variant=minbase --include=$packages $suite (cached afterwards)"
		rc=0
		unshare -m --propagation private debootstrap --variant=minbase \
			--include="$packages" "$suite" "$tmp/root" "$CHROOT_MIRROR" >"$tmp/debootstrap.log" 2>&1 || rc=$?
		chroot_umount_below "$tmp/root"
		if [ $rc != 0 ]; then
			tail -n 30 "$tmp/debootstrap.log" >&2
			rm -rf "$tmp"
			exec 7>&-
			chroot_die "debootstrap failed (log above)"
		fi
		rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*_*
		tar -C "$tmp/root" --numeric-owner --xattrs -cf - . | zstd -q -T0 -3 -o "$tmp/rootfs.tar.zst"
		mv "$tmp/rootfs.tar.zst" "$tarball"
		rm -rf "$tmp"
		find "$dir" -maxdepth 1 -name 'rootfs-*.tar.zst' ! -name "${tarball##*/}" -delete
	fi
	exec 7>&-
	echo "$tarball"
}

chroot_unpack() {
	rm -rf "$2" && mkdir -p "$2"
	zstd -q -d -c "$1" | tar -C "$2" --numeric-owner --xattrs -xf -
}

chroot_apt_sources() {
	local r=$1 suite=$2 f host
	host=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	rm -f "$r/etc/apt/sources.list" "$r/etc/apt/sources.list.d/"*
	if [ "$suite" = "$host" ]; then
		# The host's apt sources: the mirror CI is allowed to reach.
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] && cp "$f" "$r$f"
		done
	else
		echo "deb $CHROOT_MIRROR $suite main" >"$r/etc/apt/sources.list"
	fi
	cp -L /etc/resolv.conf "$r/etc/resolv.conf"
}

chroot_run() {
	local r=$1 cache=$2
	CHROOT_LABEL=$3
	shift 3
	mkdir -p "$r$cache"
	unshare -m -p -f --propagation private bash -euo pipefail -c '
		r=$1 cache=$2 label=$3; shift 3
		# A machine'"'"'s / is a mount point (unshare --propagation, used by the tests, needs one).
		mount --bind "$r" "$r"
		mount -t proc proc "$r/proc"
		mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"
		# The machine'"'"'s devices (devtmpfs: /dev/null, /dev/net/tun, /dev/kvm when there is
		# one, ...), with a terminal instance and a /dev/shm of its own.
		mount --rbind /dev "$r/dev"
		mount --make-rslave "$r/dev"
		mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$r/dev/pts"
		mount --bind "$r/dev/pts/ptmx" "$r/dev/ptmx"
		mount -t tmpfs -o mode=1777,nosuid,nodev shm "$r/dev/shm"
		mount -t tmpfs -o mode=0755,nosuid,nodev run "$r/run"
		mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$r/tmp"
		mount --bind "$cache" "$r$cache"
		# Downloads are shared, the boot tests'"'"' images are not: mkinitramfs must run here.
		mkdir -p "$cache/boot"
		mount -t tmpfs -o mode=0755 boot "$r$cache/boot"
		i=0
		for c in "$@"; do
			i=$((i + 1))
			echo "$label: [$i/$#] # $c" >&2
			chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
				PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
				GPT_BOOTCFG_CACHE="$cache" \
				sh -c "cd /root/gpt-bootcfg && $c" || { echo "$label: \"$c\" failed" >&2; exit 1; }
			echo "$label: [$i/$#] \"$c\" passed after $((SECONDS / 60)) min $((SECONDS % 60)) s" >&2
		done
	' "$CHROOT_LABEL" "$r" "$cache" "$CHROOT_LABEL" "$@"
}
