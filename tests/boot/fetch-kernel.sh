#!/bin/sh
# Fetch Debian's own kernel (never installed on this host) into the test cache and print
# the directory: DIR/vmlinuz, DIR/lib/modules/VERSION (depmod run), DIR/version.
# Cache: $GPT_BOOTCFG_CACHE (default: .cache/ in the source tree). Safe to run concurrently.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${GPT_BOOTCFG_CACHE:-$top/.cache}
mkdir -p "$cache"
exec 9>"$cache/kernel.lock"
flock 9

# The package linux-image-amd64 depends on names the current ABI.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^  Depends: \(linux-image-6[^ ]*-amd64\)$/\1/p' | head -n1)
if [ -z "$pkg" ]; then
	# An old cache may still serve when the package lists are not available.
	old=$(ls -d "$cache"/kernel-* 2>/dev/null | tail -n1 || true)
	if [ -n "$old" ] && [ -f "$old/vmlinuz" ]; then echo "$old"; exit 0; fi
	apt-get update -qq >/dev/null 2>&1 || true
	pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^  Depends: \(linux-image-6[^ ]*-amd64\)$/\1/p' | head -n1)
fi
[ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve linux-image-amd64" >&2; exit 1; }
dir="$cache/kernel-${pkg#linux-image-}"
if [ -f "$dir/version" ] && [ -f "$dir/vmlinuz" ]; then echo "$dir"; exit 0; fi

rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/dl"
(cd "$dir.tmp/dl" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
	echo "fetch-kernel: apt-get download $pkg failed" >&2; exit 1; }
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
