#!/bin/sh
# fetch-kernel.sh [SUITE]: fetch a Debian kernel (never installed on this host) into the test
# cache and print the directory: DIR/vmlinuz, DIR/config, DIR/lib/modules/VERSION (depmod
# run), DIR/version.
#   SUITE bookworm (default)     linux-image-amd64 as the host's own apt sources see it
#                                (Debian 12's 6.1)
#   SUITE bookworm-backports     linux-image-amd64 of bookworm-backports (6.12), read through
#                                a PRIVATE apt configuration in the cache: the host's
#                                /etc/apt, lists and package cache are never written
# Cache: $GPT_BOOTCFG_CACHE (default: .cache/ in the source tree). Safe to run concurrently.
# Mirror for the private configuration: $GPT_BOOTCFG_MIRROR, else the first Debian URI of
# the host's sources, else deb.debian.org.
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

case $suite in
bookworm)
	apt_get=apt-get
	pkg=$(resolve apt-cache)
	if [ -z "$pkg" ]; then
		# An old cache may still serve when the package lists are not available.
		old=$(ls -d "$cache"/kernel-6.1.* 2>/dev/null | tail -n1 || true)
		if [ -n "$old" ] && [ -f "$old/vmlinuz" ]; then echo "$old"; exit 0; fi
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(resolve apt-cache)
	fi
	;;
bookworm-backports)
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
	apt_get="apt-get $*"
	# Refresh the private lists at most once a day.
	if [ -z "$(find "$apt/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null)" ]; then
		apt-get "$@" update -qq >"$apt/update.log" 2>&1 || true
	fi
	pkg=$(resolve apt-cache "$@")
	if [ -z "$pkg" ]; then
		old=$(ls -d "$cache"/kernel-*bpo* 2>/dev/null | tail -n1 || true)
		if [ -n "$old" ] && [ -f "$old/vmlinuz" ]; then echo "$old"; exit 0; fi
		sed 's/^/fetch-kernel: /' "$apt/update.log" >&2
	fi
	;;
*)
	echo "fetch-kernel: unknown suite $suite (bookworm, bookworm-backports)" >&2
	exit 1
	;;
esac
[ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve linux-image-amd64 in $suite" >&2; exit 1; }
dir="$cache/kernel-${pkg#linux-image-}"
if [ -f "$dir/version" ] && [ -f "$dir/vmlinuz" ]; then echo "$dir"; exit 0; fi

rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/dl"
# shellcheck disable=SC2086
(cd "$dir.tmp/dl" && $apt_get download -q "$pkg" >/dev/null 2>&1) || {
	echo "fetch-kernel: apt-get download $pkg ($suite) failed" >&2; exit 1; }
dpkg -x "$dir.tmp/dl/"*.deb "$dir.tmp/root"
ver=$(ls "$dir.tmp/root/lib/modules" | head -n1)
mv "$dir.tmp/root/boot/vmlinuz-$ver" "$dir.tmp/vmlinuz"
cp "$dir.tmp/root/boot/config-$ver" "$dir.tmp/config"
mkdir -p "$dir.tmp/lib/modules"
mv "$dir.tmp/root/lib/modules/$ver" "$dir.tmp/lib/modules/$ver"
depmod -b "$dir.tmp" "$ver"
echo "$ver" > "$dir.tmp/version"
rm -rf "$dir.tmp/dl" "$dir.tmp/root"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
echo "$dir"
