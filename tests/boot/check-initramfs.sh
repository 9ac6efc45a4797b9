#!/bin/sh
# check-initramfs.sh BUILD_DIR [KERNEL_DIR...]: the image check of status and apply
# (src/gpt-bootcfg/write/initrdcheck.c) on images built by the real mkinitramfs (TAP; no QEMU).
# For each kernel (default: Debian 12's and bookworm-backports', from fetch-kernel.sh; a
# KERNEL_DIR is laid out as fetch-kernel.sh lays it out), build-initramfs.sh builds
#   good   the image as check-boot boots it;
#   nohook the same with a hook that removes our init-top script after ours ran, as an
#          admin's hook or a broken install would;
# and the real gpt-bootcfg reads them with status --root on a host tree that boots that
# kernel: the good one must pass, the one without the hook must fail naming what is missing,
# and the good one must fail as stale once /etc has a newer claim list (an apply whose
# update-initramfs did not run). Every expectation about modules comes from that kernel's
# modules.dep, so any kernel version works.
build=$(cd "${1:?usage: check-initramfs.sh BUILD_DIR [KERNEL_DIR...]}" && pwd)
shift
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/lib/generator.sh"
here=$TOP/tests/boot
cache=${GPT_BOOTCFG_CACHE:-$TOP/.cache}
# Per build directory (its full path: every work tree's is called "build").
work=$cache/boot/initramfs-$(echo "$build" | sha256sum | cut -c1-12)

bail() { echo "Bail out! $*"; exit 1; }
for t in mkinitramfs lsinitramfs unshare cpio zstd jq sha256sum; do
	command -v "$t" >/dev/null 2>&1 || bail "$t not found: install tests/deps.txt (make check-deps)"
done
for b in gpt-bootcfg gpt-bootcfg-claim; do
	[ -x "$build/$b" ] || bail "$build/$b not built"
done
need_fixture guide-server
mkdir -p "$work"
if [ $# -eq 0 ]; then
	# The kernels check-boot boots (GPT_BOOTCFG_KERNELS, fetch-kernel.sh SUITE).
	for suite in ${GPT_BOOTCFG_KERNELS:-bookworm bookworm-backports}; do
		kdir=$("$here/fetch-kernel.sh" "$suite") || bail "cannot fetch Debian's kernel ($suite)"
		set -- "$@" "$kdir"
	done
fi

# The list the image carries, as the generator writes it.
printf '# demo host targets\ngeneration 3\n0000:00:03.0 1b36:0010 1af4:1100 010802\n' >"$work/claim.list"

# image KDIR VARIANT: build (or reuse) the image, print its path.
image() {
	_v=$2
	_top=$TOP
	if [ "$_v" = nohook ]; then
		# A copy of the inputs whose hook ends by removing the init-top script.
		_top=$TAP_TMP/top-nohook
		rm -rf "$_top" && mkdir -p "$_top/tests"
		cp -a "$TOP/initramfs-tools" "$TOP/modprobe.d" "$_top/"
		cp -a "$TOP/tests/boot" "$_top/tests/"
		printf '\n# check-initramfs.sh: a hook that takes our script out again.\nrm -f "$DESTDIR/scripts/init-top/gpt-bootcfg"\n' \
			>>"$_top/initramfs-tools/hooks/gpt-bootcfg"
	fi
	_key=$(cat "$build/gpt-bootcfg-claim" "$work/claim.list" "$_top/initramfs-tools/hooks/gpt-bootcfg" \
		"$_top/initramfs-tools/scripts/init-top/gpt-bootcfg" "$_top/modprobe.d/gpt-bootcfg.conf.in" \
		"$here/report" "$here/build-initramfs.sh" "$1/version" | sha256sum | cut -c1-16)
	_img=$work/$_v-$(cat "$1/version")-$_key.img
	if [ ! -f "$_img" ]; then
		rm -f "$work/$_v-$(cat "$1/version")"-*.img
		"$_top/tests/boot/build-initramfs.sh" "$1" "$_img" "$build/gpt-bootcfg-claim" \
			"$work/claim.list" >"$work/mkinitramfs-$_v.log" 2>&1 ||
			{ sed 's/^/# /' "$work/mkinitramfs-$_v.log" >&2; return 1; }
	fi
	echo "$_img"
}

# host KDIR IMAGE: a host tree (the guide-server fixture) whose only kernel in /boot is
# KDIR's, booting IMAGE, with that kernel's modules.dep and modules.builtin, and the claim
# list the image was built with in /etc.
host() {
	_ver=$(cat "$1/version")
	_r=$(fixture_copy guide-server)
	rm -f "$_r"/boot/vmlinuz-* "$_r"/boot/initrd.img-*
	: >"$_r/boot/vmlinuz-$_ver"
	cp "$2" "$_r/boot/initrd.img-$_ver"
	mkdir -p "$_r/lib/modules/$_ver" "$_r/etc/gpt-bootcfg"
	cp "$1/lib/modules/$_ver/modules.dep" "$1/lib/modules/$_ver/modules.builtin" \
		"$_r/lib/modules/$_ver/"
	cp "$work/claim.list" "$_r/etc/gpt-bootcfg/claim.list"
	printf '[device gpu]\naddress = 0000:65:00.0\n[vm win]\ndevices = gpu\nmemory = 4G\n' \
		>"$_r/etc/gpt-bootcfg/gpt-bootcfg.conf"
	echo "$_r"
}

# status ROOT: the real binary's status, JSON in $TAP_TMP/s.json, text in $TAP_TMP/s.txt
status() {
	"$build/gpt-bootcfg" --root "$1" status --json >"$TAP_TMP/s.json" 2>"$TAP_TMP/s.err"
	"$build/gpt-bootcfg" --root "$1" status >"$TAP_TMP/s.txt" 2>>"$TAP_TMP/s.err"
}
problems() { jq -r '.initramfs[0].problems[]' "$TAP_TMP/s.json"; }

for kdir in "$@"; do
	ver=$(cat "$kdir/version") || bail "$kdir/version missing"
	echo "# kernel $ver"
	good=$(image "$kdir" good) || bail "mkinitramfs failed for $ver"
	nohook=$(image "$kdir" nohook) || bail "mkinitramfs failed for $ver (nohook)"

	# What the claim binary loads for vfio-pci on this kernel: its line in modules.dep.
	vline=$(grep -E '(^|/)vfio[-_]pci\.ko[^:]*:' "$kdir/lib/modules/$ver/modules.dep")
	if [ -n "$vline" ]; then
		n=$(echo "$vline" | tr ':' ' ' | wc -w)
		vfio="vfio-pci with $n module$([ "$n" = 1 ] || echo s)"
	else
		vfio="vfio-pci built into the kernel"
	fi
	# The image really holds what is checked (lsinitramfs is initramfs-tools' own reader).
	ok "$ver: lsinitramfs lists the claim binary and the init-top script in the good image" -- \
		sh -c "lsinitramfs '$good' | grep -qx 'usr/lib/gpt-bootcfg/gpt-bootcfg-claim' &&
			lsinitramfs '$good' | grep -qx 'scripts/init-top/gpt-bootcfg'"
	ok "$ver: and not the init-top script in the nohook image" -- \
		sh -c "! lsinitramfs '$nohook' | grep -qx 'scripts/init-top/gpt-bootcfg'"

	R=$(host "$kdir" "$good")
	status "$R"
	is "$(jq -c '.initramfs | map([.kernel, .ok, .problems])' "$TAP_TMP/s.json")" \
		"[[\"$ver\",true,[]]]" "$ver: the real image passes"
	ok "$ver: its ok line names the chain of this kernel ($vfio)" -- \
		grep -q "^  ok   /boot/initrd.img-$ver (.*zstd): claim binary, init-top script before udev, claim list of generation 3, $vfio\$" "$TAP_TMP/s.txt"

	# Stale: apply wrote a newer list, update-initramfs did not run.
	sed -i 's/^generation 3$/generation 4/' "$R/etc/gpt-bootcfg/claim.list"
	status "$R"
	is "$(jq -r '.initramfs[0].ok' "$TAP_TMP/s.json")" false "$ver: a stale list fails"
	is "$(problems)" "stale claim list: generation 3 in the image, 4 in /etc/gpt-bootcfg/claim.list" \
		"$ver: named with both generations"
	ok "$ver: FAIL in the text and on the last line" -- sh -c \
		"grep -qx '  FAIL /boot/initrd.img-$ver' '$TAP_TMP/s.txt' && tail -n1 '$TAP_TMP/s.txt' | grep -q '(FAIL)'"

	R=$(host "$kdir" "$nohook")
	status "$R"
	is "$(jq -r '.initramfs[0].ok' "$TAP_TMP/s.json")" false "$ver: the image without the hook's script fails"
	is "$(problems)" "no init-top script (/scripts/init-top/gpt-bootcfg)
/scripts/init-top/ORDER does not run the init-top script gpt-bootcfg" \
		"$ver: named: the script and its place in ORDER"
done
done_testing
