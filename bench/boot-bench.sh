#!/bin/sh
# bench/boot-bench.sh BUILD_DIR [SUITE]: the boot path of our claim against the guide's method
# ("make bench-boot"). Same QEMU (tests/boot/qemu-run.sh: q35, TCG, intel-iommu, the three
# emulated targets and a control NVMe), same Debian kernel (tests/boot/fetch-kernel.sh
# SUITE, default bookworm), two images made by the real mkinitramfs
# (tests/boot/build-initramfs.sh):
#   ours   our hook and init-top claim (the image of "make check-boot");
#   guide  GBTEST_METHOD=guide: the vfio modules in the modules list, "options vfio-pci
#          ids=..." and "softdep <driver> pre: vfio-pci" in modprobe.d, no claim binary.
# Booted alternately (ours, guide, ours, guide, ...) so that a change in the machine's load
# hits both, BENCH_BOOT_RUNS times each (default 5). The figure is the kernel's own clock:
# the driver core's "bound device ... to driver vfio-pci" debug messages (dyndbg for
# drivers/base/dd.c on the command line of both, kept in the ring buffer and not printed on
# the console), read back with dmesg by a step of the report script (bench/boot-bench-guest.sh);
# the latest of the three targets' first binds is when every target is on vfio-pci.
# Prints a Markdown table (also in WORK/table.md) and the raw times (WORK/times.txt).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/boot-bench.sh BUILD_DIR [SUITE]}" && pwd)
suite=${2:-bookworm}
runs=${BENCH_BOOT_RUNS:-5}
limit=${GPT_BOOTCFG_BOOT_TIMEOUT:-300}
here=$top/tests/boot
work=$build/bench-boot/$suite

die() {
	echo "boot-bench: $*" >&2
	exit 1
}
for t in qemu-system-x86_64 mkinitramfs unshare cpio python3 zstd timeout; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found: install tests/deps.txt (make check-deps)"
done
[ -x "$build/gpt-bootcfg-claim" ] || die "$build/gpt-bootcfg-claim not built"

kdir=$("$here/fetch-kernel.sh" "$suite") || die "cannot fetch the kernel of $suite"
kver=$(cat "$kdir/version")
if [ "$suite" != bookworm ]; then
	# A fetch-kernel.sh without suites ignores the argument and hands out Debian 12's kernel.
	k12=$("$here/fetch-kernel.sh" bookworm) || die "cannot fetch Debian 12's kernel"
	[ "$kdir" != "$k12" ] || die "tests/boot/fetch-kernel.sh gave Debian 12's kernel for $suite"
fi
rm -rf "$work"
mkdir -p "$work"
echo "boot-bench: kernel $kver ($suite), $runs boots per image, work in $work" >&2

# The targets of tests/boot/check-boot.sh; the guide's image takes their ids from here.
cat >"$work/claim.list" <<'LIST'
# demo host targets
generation 3
0000:00:03.0 1b36:0010 1af4:1100 010802
0000:00:04.0 1b36:000d 1af4:1100 0c0330
0000:00:05.0 8086:293e 1af4:1100 040300
LIST

# The timing step, appended to both images as a small cpio (later archives override files of
# earlier ones; the sizes below are of the images without it).
mkdir -p "$work/ov/gbtest"
cp "$top/bench/boot-bench-guest.sh" "$work/ov/gbtest/scenario"
chmod 0755 "$work/ov/gbtest/scenario"
(cd "$work/ov" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
	>"$work/ov.cpio"

for m in ours guide; do
	echo "boot-bench: mkinitramfs, $m" >&2
	GBTEST_METHOD=$m "$here/build-initramfs.sh" "$kdir" "$work/$m.img" "$build/gpt-bootcfg-claim" \
		"$work/claim.list" >"$work/mkinitramfs-$m.log" 2>&1 || {
		sed 's/^/  /' "$work/mkinitramfs-$m.log" >&2
		die "mkinitramfs failed ($m)"
	}
	# What the image holds that the other does not.
	zstd -dc "$work/$m.img" | cpio -t --quiet 2>/dev/null | LC_ALL=C sort >"$work/$m.files" || true
	cp "$work/$m.img" "$work/$m-boot.img"
	truncate -s %4 "$work/$m-boot.img" # concatenated archives start on a 4-byte boundary
	cat "$work/ov.cpio" >>"$work/$m-boot.img"
done

# Both get the same command line. dd.c's debug messages go to the ring buffer only
# (loglevel=4 in qemu-run.sh); log_buf_len keeps the whole boot.
args="gpt_bootcfg.generation=3 log_buf_len=4M dyndbg=\"file drivers/base/dd.c +p\""
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
: >"$work/times.txt"
i=1
while [ "$i" -le "$runs" ]; do
	for m in ours guide; do
		log=$work/$m-$i.log
		tb=$(date +%s)
		rc=0
		"$here/qemu-run.sh" "$kdir" "$work/$m-boot.img" "$log" "$limit" "$args" || rc=$?
		tr -d '\r' <"$log" | sed -n 's/^.*GBTEST //p' >"$work/$m-$i.report"
		grep -q '^END$' "$work/$m-$i.report" || {
			tail -n 60 "$log" >&2
			die "$m boot $i did not reach the report (QEMU exit $rc; serial log $log)"
		}
		load=$(cut -d' ' -f1 /proc/loadavg)
		python3 "$top/bench/boot-times.py" "$m" "$i" "$load" <"$work/$m-$i.report" >>"$work/times.txt" ||
			die "$m boot $i: no bind times (report $work/$m-$i.report)"
		echo "boot-bench: $(tail -n1 "$work/times.txt") ($(($(date +%s) - tb)) s wall)" >&2
	done
	i=$((i + 1))
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

python3 "$top/bench/boot-times.py" --summary "$kver" "$suite" "$load0" "$load1" \
	"$(($(date +%s) - t0))" "$(stat -c %s "$work/ours.img")" "$(stat -c %s "$work/guide.img")" \
	"$(zstd -dc "$work/ours.img" | wc -c)" "$(zstd -dc "$work/guide.img" | wc -c)" \
	"$work/ours.files" "$work/guide.files" <"$work/times.txt" >"$work/table.md" ||
	die "bench/boot-times.py --summary failed"
cat "$work/table.md"
