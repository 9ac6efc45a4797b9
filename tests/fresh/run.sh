#!/bin/bash
# tests/fresh/run.sh [COMMAND...]: the README's commands, as written, on a fresh Debian 12.
#
# A fresh clone of this repository (its HEAD) is made inside a minimal debootstrapped Debian 12
# (minbase plus git, make and ca-certificates: what a user who cloned the repository has; of
# tests/deps.txt only what Debian marks "Priority: required" and what git itself depends on,
# perl), and each
# COMMAND (default: "make demo" "make check") runs there, in that order, as root, in the
# clone, through "sh -c". The chroot (tests/lib/chroot.sh: debootstrap, the namespaces, the
# mounts) lives in a private mount and PID namespace with its own /proc, the machine's /dev, a
# read-only /sys, tmpfs /run and /tmp, and the host's apt sources and DNS configuration copied
# in; it shares the host's network (apt reaches Debian's archive). Nothing of the host is
# modified: the tree is a scratch copy of the cached tarball and all mounts vanish with the
# namespace.
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
suite=bookworm
packages=git,make,ca-certificates
[ $# -gt 0 ] || set -- "make demo" "make check"

# shellcheck source=tests/lib/chroot.sh
. "$top/tests/lib/chroot.sh"
CHROOT_LABEL=fresh
log() { chroot_log "$@"; }
die() { chroot_die "$@"; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount namespaces)"
for t in debootstrap unshare chroot git zstd tar flock mount; do # the host's
	command -v "$t" >/dev/null || die "$t not found (tests/deps.txt)"
done
git -C "$top" rev-parse --verify -q HEAD >/dev/null || die "$top is not a git checkout"

tarball=$(chroot_rootfs "$suite" "$packages" "$cache/fresh")
dir=${GPT_BOOTCFG_FRESH_DIR:-$(mktemp -d /var/tmp/gpt-bootcfg-fresh.XXXXXX)}
mkdir -p "$dir"
cleanup() {
	chroot_umount_below "$dir/root"
	[ "${GPT_BOOTCFG_FRESH_KEEP:-0}" = 1 ] && { log "kept $dir"; return; }
	rm -rf "$dir"
}
trap cleanup EXIT
r=$dir/root
chroot_unpack "$tarball" "$r"

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
chroot_apt_sources "$r" "$suite"

git clone -q --no-hardlinks "$top" "$r/root/gpt-bootcfg"
commit=$(git -C "$r/root/gpt-bootcfg" rev-parse --short HEAD)
SECONDS=0
log "clone of $commit in a fresh $suite; running: $(printf '"%s" ' "$@")"
chroot_run "$r" "$cache" fresh "$@"
log "all passed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
