#!/bin/sh
# fetch-kernel.sh [SUITE]: fetch a Debian kernel (never installed on this host) into the test
# cache and print the directory: DIR/vmlinuz, DIR/config, DIR/lib/modules/VERSION (depmod
# run), DIR/version, DIR/suite.
#   SUITE bookworm (default)     linux-image-amd64 as the host's own apt sources see it
#                                (Debian 12's 6.1)
#   SUITE bookworm-backports     6.12 from bookworm-backports
#   SUITE bullseye               Debian 11's 5.10 (vfio_virqfd a module of its own, no
#                                vfio_pci_core)
#   SUITE trixie                 Debian 13's 6.12
#   SUITE forky                  testing's 7.x: linux-image-VERSION is a meta package there,
#                                the kernel is in linux-binary-VERSION, the modules in
#                                linux-modules-VERSION, config in linux-base-VERSION, all
#                                under /usr/lib/modules/VERSION
# Every suite but bookworm is read through a PRIVATE apt configuration in the cache: the
# host's /etc/apt, lists and package cache are never written.
# Cache: $GPT_BOOTCFG_CACHE (default: .cache/ in the source tree). Safe to run concurrently.
# Mirror for the private configuration: $GPT_BOOTCFG_MIRROR, else the first Debian URI of
# the host's sources, else deb.debian.org.
# A kernel that can neither be fetched nor found in the cache is an error (exit 1), never a
# silent fallback to another suite's kernel.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${GPT_BOOTCFG_CACHE:-$top/.cache}
suite=${1:-bookworm}
mkdir -p "$cache"
exec 9>"$cache/kernel.lock"
flock 9

# The package linux-image-amd64 depends on names the current ABI.
resolve() {
	"$@" depends linux-image-amd64 2>/dev/null |
		sed -n 's/^  Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1
}

# cached: the newest kernel already fetched for $suite (when the lists cannot be read).
cached() {
	for _d in $(ls -d "$cache"/kernel-* 2>/dev/null | sort -V -r); do
		[ -f "$_d/vmlinuz" ] && [ -f "$_d/version" ] || continue
		# Directories of older fetch-kernel.sh versions carry no suite file.
		case $(cat "$_d/suite" 2>/dev/null || echo "legacy $_d") in
		"$suite") echo "$_d" && return 0 ;;
		"legacy $cache/kernel-6.1."*) [ "$suite" = bookworm ] && echo "$_d" && return 0 ;;
		esac
	done
	return 1
}

case $suite in
bookworm)
	apt_get="apt-get"
	apt_cache="apt-cache"
	pkg=$(resolve apt-cache)
	if [ -z "$pkg" ]; then
		# An old cache may still serve when the package lists are not available.
		cached && exit 0
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(resolve apt-cache)
	fi
	;;
bookworm-backports | bullseye | trixie | forky)
	apt=$cache/apt-$suite
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
	mirror=${GPT_BOOTCFG_MIRROR:-}
	if [ -z "$mirror" ]; then
		mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			/etc/apt/sources.list.d/*.sources 2>/dev/null |
			sed -n -e 's/^deb \(\[[^]]*\] \)\{0,1\}\(https\{0,1\}:[^ ]*\) bookworm .*/\2/p' \
				-e 's/^URIs: \(https\{0,1\}:[^ ]*\/debian\)$/\1/p' | head -n1)
	fi
	mirror=${mirror:-http://deb.debian.org/debian}
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
		>"$apt/sources.list"
	# Every apt path that is written points into the cache; dpkg's status is only read.
	set -- -o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" \
		-o Dir::Cache::pkgcache="$apt/cache/pkgcache.bin" \
		-o Dir::Cache::srcpkgcache="$apt/cache/srcpkgcache.bin" \
		-o Debug::NoLocking=1
	# bullseye's Release file is past its Valid-Until date; its signature still counts.
	[ "$suite" = bullseye ] && set -- "$@" -o Acquire::Check-Valid-Until=false
	apt_get="apt-get $*"
	apt_cache="apt-cache $*"
	# Refresh the private lists at most once a day.
	if [ -z "$(find "$apt/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null)" ]; then
		apt-get "$@" update -qq >"$apt/update.log" 2>&1 || true
	fi
	pkg=$(resolve apt-cache "$@")
	if [ -z "$pkg" ]; then
		cached && exit 0
		sed 's/^/fetch-kernel: /' "$apt/update.log" >&2
	fi
	;;
*)
	echo "fetch-kernel: unknown suite $suite (bookworm, bookworm-backports, bullseye, trixie, forky)" >&2
	exit 1
	;;
esac
[ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve linux-image-amd64 in $suite" >&2; exit 1; }
kver=${pkg#linux-image-}
dir="$cache/kernel-$kver"
if [ -f "$dir/version" ] && [ -f "$dir/vmlinuz" ]; then
	[ -f "$dir/suite" ] || echo "$suite" >"$dir/suite"
	echo "$dir"
	exit 0
fi

# From forky on, linux-image-VERSION only depends on the packages that hold the files.
# shellcheck disable=SC2086
parts=$($apt_cache depends "$pkg" 2>/dev/null |
	sed -n "s/^  Depends: \(linux-\(binary\|modules\|base\)-$kver\)\$/\1/p" | sort -u | tr '\n' ' ')

rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/dl"
# shellcheck disable=SC2086
(cd "$dir.tmp/dl" && $apt_get download -q "$pkg" $parts >"$dir.tmp/download.log" 2>&1) || {
	sed 's/^/fetch-kernel: /' "$dir.tmp/download.log" >&2
	echo "fetch-kernel: apt-get download $pkg $parts($suite) failed" >&2
	exit 1
}
for deb in "$dir.tmp/dl/"*.deb; do
	dpkg -x "$deb" "$dir.tmp/root"
done
# /lib/modules up to trixie, /usr/lib/modules from forky on.
mods=
for m in "$dir.tmp/root/lib/modules/$kver" "$dir.tmp/root/usr/lib/modules/$kver"; do
	[ -d "$m/kernel" ] && mods=$m
done
[ -n "$mods" ] || { echo "fetch-kernel: $pkg $parts($suite) holds no modules of $kver" >&2; exit 1; }
for f in "$dir.tmp/root/boot/vmlinuz-$kver" "$mods/vmlinuz"; do
	[ -f "$f" ] && mv "$f" "$dir.tmp/vmlinuz"
done
for f in "$dir.tmp/root/boot/config-$kver" "$mods/config"; do
	[ -f "$f" ] && mv "$f" "$dir.tmp/config"
done
[ -f "$dir.tmp/vmlinuz" ] && [ -f "$dir.tmp/config" ] ||
	{ echo "fetch-kernel: $pkg $parts($suite) holds no vmlinuz or config of $kver" >&2; exit 1; }
rm -f "$mods/System.map"
mkdir -p "$dir.tmp/lib/modules"
mv "$mods" "$dir.tmp/lib/modules/$kver"
depmod -b "$dir.tmp" "$kver"
echo "$kver" >"$dir.tmp/version"
echo "$suite" >"$dir.tmp/suite"
rm -rf "$dir.tmp/dl" "$dir.tmp/root" "$dir.tmp/download.log"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
echo "$dir"
