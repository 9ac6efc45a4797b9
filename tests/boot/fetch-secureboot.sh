#!/bin/sh
# fetch-secureboot.sh: Debian's Microsoft-signed boot loaders for the Secure Boot tests, never
# installed on this host: shim-signed (shimx64.efi.signed, signed by Microsoft's UEFI CA)
# and grub-efi-amd64-signed (grubx64.efi.signed, signed by Debian's key, which shim trusts),
# fetched with "apt-get download" and unpacked with "dpkg -x" into the test cache. Prints
# the directory: DIR/shimx64.efi and DIR/grubx64.efi, DIR/versions (the packages).
# Cache: $GPT_BOOTCFG_CACHE (default: .cache/ in the source tree), subfolder secureboot/.
# Safe to run concurrently.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${GPT_BOOTCFG_CACHE:-$top/.cache}
dir=$cache/secureboot
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

pkgs="shim-signed grub-efi-amd64-signed"
# The versions apt knows now; after an update of the lists, new packages are fetched.
want=$(for p in $pkgs; do
	v=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^  Candidate: //p')
	echo "$p $v"
done)
if [ -f "$dir/versions" ] && [ -f "$dir/shimx64.efi" ] && [ -f "$dir/grubx64.efi" ] &&
	{ [ "$want" = "$(cat "$dir/versions")" ] || echo "$want" | grep -q ' $\| (none)$'; }; then
	echo "$dir"
	exit 0
fi
if echo "$want" | grep -q ' $\| (none)$'; then
	apt-get update -qq >/dev/null 2>&1 || true
	want=$(for p in $pkgs; do
		echo "$p $(apt-cache policy "$p" 2>/dev/null | sed -n 's/^  Candidate: //p')"
	done)
fi

tmp=$(mktemp -d "$dir/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# As root, apt's sandbox user cannot write into the cache: download as root there.
(cd "$tmp" && apt-get download -o APT::Sandbox::User=root $pkgs >"$tmp/download.log" 2>&1) || {
	cat "$tmp/download.log" >&2
	echo "fetch-secureboot: apt-get download $pkgs failed" >&2
	exit 1
}
for d in "$tmp"/*.deb; do
	dpkg -x "$d" "$tmp/root"
done
cp "$tmp/root/usr/lib/shim/shimx64.efi.signed" "$tmp/shimx64.efi"
cp "$tmp/root/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" "$tmp/grubx64.efi"
mv -f "$tmp/shimx64.efi" "$tmp/grubx64.efi" "$dir/"
echo "$want" >"$dir/versions"
echo "$dir"
