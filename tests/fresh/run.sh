#!/bin/bash
# tests/fresh/run.sh [COMMAND...]: the README's commands, as written, on a fresh Debian 12.
#
# A fresh clone of this repository (its HEAD) is made inside a minimal debootstrapped Debian 12
# (minbase plus git, make and ca-certificates: what a user who cloned the repository has; of
# tests/deps.txt only what Debian marks "Priority: required" and what git itself depends on,
# perl), and each
# COMMAND (default: "make demo" "make check") runs there, in that order, as root, in the
# clone, through "sh -c". The chroot lives in a private mount and PID namespace (unshare -m -p)
# with its own /proc, the machine's /dev (with a private devpts and /dev/shm), a read-only /sys, tmpfs /run and /tmp, and the host's apt sources and DNS
# configuration copied in; it shares the host's network (apt reaches Debian's archive).
# Nothing of the host is modified: the tree is a scratch copy of the cached tarball and all
# mounts vanish with the namespace.
#
# The debootstrapped tree is cached as a zstd tarball in $GPT_BOOTCFG_CACHE/fresh (built once,
# about 2 minutes; concurrent runs wait for the lock). The cache directory itself is bound into
# the chroot at the same path, so the kernels of the boot tests are downloaded once per machine,
# not per run; its boot/ (initramfs images, boot logs) is a private tmpfs there, so every image
# is built by mkinitramfs inside the fresh tree. The scratch tree goes to
# $GPT_BOOTCFG_FRESH_DIR (default: a directory in /var/tmp) and is removed afterwards unless
# GPT_BOOTCFG_FRESH_KEEP=1.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${GPT_BOOTCFG_CACHE:-$top/.cache}
mirror=${GPT_BOOTCFG_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
packages=git,make,ca-certificates
[ $# -gt 0 ] || set -- "make demo" "make check"

log() { echo "fresh: $*" >&2; }
die() { echo "fresh: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount namespaces)"
for t in debootstrap unshare chroot git zstd tar flock mount; do # the host's
	command -v "$t" >/dev/null || die "$t not found (tests/deps.txt)"
done
git -C "$top" rev-parse --verify -q HEAD >/dev/null || die "$top is not a git checkout"

# Unmount anything below DIR, deepest first (debootstrap mounts /proc and /sys in its target).
umount_below() {
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# The cached minimal tree, keyed by suite, package list and this script's layout version.
rootfs() {
	local key tarball tmp rc
	key=$(printf '%s\n' v1 "$suite" "$packages" | sha256sum | cut -c1-16)
	mkdir -p "$cache/fresh"
	tarball=$cache/fresh/rootfs-$suite-$key.tar.zst
	exec 7>"$cache/fresh/rootfs.lock"
	flock 7
	if [ ! -s "$tarball" ]; then
		tmp=$(mktemp -d "$cache/fresh/debootstrap.XXXXXX")
		log "debootstrap --variant=minbase --include=$packages $suite (cached afterwards)"
		rc=0
		unshare -m --propagation private debootstrap --variant=minbase \
			--include="$packages" "$suite" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 || rc=$?
		umount_below "$tmp/root"
		if [ $rc != 0 ]; then
			tail -n 30 "$tmp/debootstrap.log" >&2
			rm -rf "$tmp"
			die "debootstrap failed (log above)"
		fi
		rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*_*
		tar -C "$tmp/root" --numeric-owner --xattrs -cf - . | zstd -q -T0 -3 -o "$tmp/rootfs.tar.zst"
		mv "$tmp/rootfs.tar.zst" "$tarball"
		rm -rf "$tmp"
		find "$cache/fresh" -maxdepth 1 -name 'rootfs-*.tar.zst' ! -name "${tarball##*/}" -delete
	fi
	exec 7>&-
	echo "$tarball"
}

tarball=$(rootfs)
dir=${GPT_BOOTCFG_FRESH_DIR:-$(mktemp -d /var/tmp/gpt-bootcfg-fresh.XXXXXX)}
mkdir -p "$dir"
cleanup() {
	umount_below "$dir/root"
	[ "${GPT_BOOTCFG_FRESH_KEEP:-0}" = 1 ] && { log "kept $dir"; return; }
	rm -rf "$dir"
}
trap cleanup EXIT
r=$dir/root
rm -rf "$r" && mkdir -p "$r"
zstd -q -d -c "$tarball" | tar -C "$r" --numeric-owner --xattrs -xf -

# The proof is that nothing of tests/deps.txt is there before the README's commands run, but
# what every Debian has (Priority: required, e.g. e2fsprogs) and what the included packages
# depend on (git needs perl).
pulled=$(chroot "$r" dpkg-query -W -f '${Depends}, ${Pre-Depends}\n' ${packages//,/ } |
	tr ',|' '\n\n' | sed 's/^ *\([^ :]*\).*/\1/' | sort -u)
installed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/tests/deps.txt" | while read -r p; do
	st=$(chroot "$r" dpkg-query -W -f '${db:Status-Status} ${Priority}' "$p" 2>/dev/null || true)
	case $st in
	"installed required") echo "fresh: $p is installed (Priority: required)" >&2 ;;
	installed*)
		if echo "$pulled" | grep -qx "$p"; then
			echo "fresh: $p is installed (a dependency of $packages)" >&2
		else
			echo "$p"
		fi ;;
	esac
done | tr '\n' ' ')
[ -z "$installed" ] || die "the fresh tree already has packages of tests/deps.txt: $installed"

# The host's apt sources (the mirror CI is allowed to reach) and name servers.
rm -f "$r/etc/apt/sources.list" "$r/etc/apt/sources.list.d/"*
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && cp "$f" "$r$f"
done
cp -L /etc/resolv.conf "$r/etc/resolv.conf"

git clone -q --no-hardlinks "$top" "$r/root/gpt-bootcfg"
commit=$(git -C "$r/root/gpt-bootcfg" rev-parse --short HEAD)
mkdir -p "$r$cache"

# Everything below runs in the namespaces; "$@" are the commands.
SECONDS=0
log "clone of $commit in a fresh $suite; running: $(printf '"%s" ' "$@")"
unshare -m -p -f --propagation private bash -euo pipefail -c '
	r=$1 cache=$2; shift 2
	# A machine'"'"'s / is a mount point (unshare --propagation, used by the tests, needs one).
	mount --bind "$r" "$r"
	mount -t proc proc "$r/proc"
	mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys"
	# The machine'"'"'s devices (devtmpfs: /dev/null, /dev/net/tun, /dev/kvm when there is one,
	# ...), with a terminal instance and a /dev/shm of its own.
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
		echo "fresh: [$i/$#] # $c" >&2
		chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			GPT_BOOTCFG_CACHE="$cache" \
			sh -c "cd /root/gpt-bootcfg && $c" || { echo "fresh: \"$c\" failed" >&2; exit 1; }
		echo "fresh: [$i/$#] \"$c\" passed after $((SECONDS / 60)) min $((SECONDS % 60)) s" >&2
	done
' fresh "$r" "$cache" "$@"
log "all passed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
