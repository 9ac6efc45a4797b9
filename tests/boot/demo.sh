#!/bin/sh
# demo.sh BUILD_DIR: boot the demo host (tests/boot/qemu-run.sh) with the real initramfs and
# show, per PCI device, who got it at boot: the claim list's targets should be on vfio-pci,
# their host drivers loaded but empty-handed, the control NVMe on nvme.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
# Debian 12's own kernel only; make check-boot also boots bookworm-backports' kernel.
suite=bookworm
work=${GPT_BOOTCFG_CACHE:-$top/.cache}/boot/$(basename "$build")-$(printf '%s' "$build" | cksum | cut -d' ' -f1)/$suite
echo "Booting Debian's kernel under QEMU (q35, TCG, Intel IOMMU) with the initramfs that"
echo "mkinitramfs builds with the gpt-bootcfg hook; about a minute (the first run downloads"
echo "the kernel)..."
mkdir -p "$work"
if ! GPT_BOOTCFG_KERNELS=$suite "$top/tests/boot/check-boot.sh" "$build" real >"$work/demo.tap" 2>&1; then
	cat "$work/demo.tap"
	echo "demo: the boot test failed, see above" >&2
	exit 1
fi
rm -f "$work/demo.tap"
r=$work/real.report
kdir=$("$top/tests/boot/fetch-kernel.sh" $suite) || exit 1
kver=$(cat "$kdir/version")
echo
echo "Claim list (/etc/gpt-bootcfg/claim.list in the image):"
sed -n 's/^/    /p' "$work/claim.list"
echo
printf '%-13s %-10s %-7s %-6s %-6s %-10s %s\n' DEVICE ID CLASS GROUP LISTED "AT BOOT" "HOST DRIVER MODULE"
sed -n 's/^DEV //p' "$r" | while read -r a id class drv grp; do
	id=$(echo "$id" | sed 's/0x//g') class=${class#0x} drv=${drv#driver=} grp=${grp#group=}
	listed=no
	grep -q "^$a " "$work/claim.list" && listed=yes
	# The host module that would take the device, from the test kernel's modules.alias.
	alias=$(sed -n "s/^ALIAS $a \(.*\)$/\1/p" "$r")
	host=$(modprobe -d "$kdir" -S "$kver" -R "$alias" 2>/dev/null | sort -u | tr '\n' ' ')
	hd=-
	for m in $host; do
		st="not loaded"
		grep -q "^MOD $m$" "$r" && st=loaded
		case $drv in
		vfio-pci) hd="$m: $st, did not get it" ;;
		none) hd="$m: $st" ;;
		*) hd="$m: $st, holds it" ;;
		esac
	done
	printf '%-13s %-10s %-7s %-6s %-6s %-10s %s\n' "$a" "$id" "$class" "$grp" "$listed" "$drv" "$hd"
done
echo
echo "Claim log (dmesg):"
sed -n 's/^LOG /    /p' "$r"
echo "init-top order in the image: $(sed -n 's/^ORDER //p' "$r" | tr '\n' ' ')"
