# Shared by tests/boot/check-boot.sh (initramfs-tools) and tests/boot/check-boot-dracut.sh:
# booting the demo host and reading the report. Sourced after tests/lib/tap.sh; the callers set
#   here     tests/boot          kdir, kver  the kernel (fetch-kernel.sh) and its release
#   work     the scenario logs    base        the image overlays are appended to
#   limit    the boot timeout     K           the TAP label prefix ("[6.1.0-57-amd64]")

# modules_expected: the modules the claim binary must report as loaded on this kernel, derived
# from the kernel's own modules.dep and softdeps (modprobe, an independent reader): vfio-pci's
# chain, then vfio_iommu_type1's, each once, as names; built-in ones are not loaded.
modules_expected() {
	for m in vfio-pci vfio_iommu_type1; do
		modprobe -d "$kdir" -S "$kver" --show-depends "$m" 2>/dev/null
	done | sed -n 's|^insmod .*/\([^/ ]*\)\.ko[^/ ]* *$|\1|p' | tr - _ | LC_ALL=C sort -u | tr '\n' ' '
}
# modules_order_ok LIST: each module of the comma-separated LIST comes after every module it
# needs according to the kernel's modules.dep.
modules_order_ok() {
	python3 - "$kdir/lib/modules/$kver/modules.dep" "$1" <<'PY'
import re, sys
name = lambda p: re.sub(r"\.ko.*$", "", p.rsplit("/", 1)[-1]).replace("-", "_")
deps = {}
for l in open(sys.argv[1]):
    k, _, v = l.partition(":")
    deps[name(k)] = [name(d) for d in v.split()]
order = [m.strip() for m in sys.argv[2].split(",")]
for i, m in enumerate(order):
    late = [d for d in deps.get(m, []) if d in order and order.index(d) > i]
    assert not late, f"{m} loaded before {late}"
print("order ok:", ", ".join(order))
PY
}

# overlay NAME DIR: base image + newc cpio of DIR -> $work/NAME.img
overlay() {
	(cd "$2" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$TAP_TMP/ov.cpio" || return 1
	cat "$base" "$TAP_TMP/ov.cpio" >"$work/$1.img"
}

# boot NAME INITRD ARGS: serial log in $work/NAME.log, lines of the report in $TAP_TMP/NAME
boot() {
	_t0=$(date +%s)
	"$here/qemu-run.sh" "$kdir" "$2" "$work/$1.log" "$limit" "$3"
	_rc=$?
	tr -d '\r' <"$work/$1.log" | sed -n 's/^.*GBTEST //p' >"$TAP_TMP/$1"
	cp "$TAP_TMP/$1" "$work/$1.report"
	echo "# $1: QEMU exit $_rc after $(($(date +%s) - _t0)) s"
	_fail0=$_tap_fail
	is "$(grep -c '^END$' "$TAP_TMP/$1")" 1 "$K $1: boot reached the report and powered off (QEMU exit $_rc)"
}
# Print the serial log when anything of the scenario failed.
finish() {
	[ "$_tap_fail" = "$_fail0" ] && return 0
	echo "# serial log of $1 ($work/$1.log):"
	tr -d '\r' <"$work/$1.log" | grep -av '^GBTEST STEP {' | sed 's/^/#   /' | tail -150
}
drv() { sed -n "s/^DEV $2 .* driver=\([^ ]*\) .*/\1/p" "$TAP_TMP/$1"; }
grp() { sed -n "s/^DEV $2 .* group=\([^ ]*\)$/\1/p" "$TAP_TMP/$1"; }
has() { grep -qF -- "$2" "$TAP_TMP/$1" || { echo "no line '$2' in the report"; grep -v '^STEP {' "$TAP_TMP/$1"; false; }; }
# "ADDRESS RESULT " of each claim log record, in the order written.
claimlog() { sed -n "s/^CLAIMLOG \([0-9a-f:.]*\) \([a-z]*\) .*/\1 \2/p" "$TAP_TMP/$1" | tr "\n" " "; }

targets_claimed() { # NAME
	is "$(drv "$1" 0000:00:03.0) $(drv "$1" 0000:00:04.0) $(drv "$1" 0000:00:05.0)" \
		"vfio-pci vfio-pci vfio-pci" "$K $1: NVMe, xHCI and HDA targets end on vfio-pci"
	is "$(drv "$1" 0000:00:06.0)" nvme "$K $1: control NVMe stays on nvme"
	for a in 0000:00:03.0 0000:00:04.0 0000:00:05.0; do
		g=$(grp "$1" $a)
		ok "$K $1: /dev/vfio/$g exists for $a" -- has "$1" "VFIO " # group list checked below
		ok "$K $1: group $g of $a in /dev/vfio" -- sh -c "grep -q '^VFIO .* $g ' '$TAP_TMP/$1' || grep -q '^VFIO $g ' '$TAP_TMP/$1'"
	done
	for m in nvme xhci_pci snd_hda_intel; do
		ok "$K $1: host driver $m present and loaded" -- has "$1" "MOD $m"
	done
	is "$(grep -c ' driver=\(xhci_hcd\|snd_hda_intel\)' "$TAP_TMP/$1")" 0 "$K $1: xhci_hcd and snd_hda_intel hold no device"
	is "$(grep -c ' driver=nvme' "$TAP_TMP/$1")" 1 "$K $1: nvme holds only the control device"
}
