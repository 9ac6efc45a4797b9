#!/bin/sh
# claim-bench.sh BUILD_DIR: time per device of gpt-bootcfg-claim against an equivalent
# busybox-sh loop, on the same emulated devices in the same boot (the guest side is
# claim-bench-guest.sh, run by the boot test's "bench" scenario), and the binary's size.
# Numbers are from a TCG guest: compare them with each other, not with real hardware.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
work=${GPT_BOOTCFG_CACHE:-$top/.cache}/boot/$(basename "$build")-$(printf '%s' "$build" | cksum | cut -d' ' -f1)
bin=$build/gpt-bootcfg-claim
size=$(stat -c %s "$bin")
echo "gpt-bootcfg-claim: $size bytes ($(awk "BEGIN{printf \"%.1f\", $size / 1024}") KiB, limit 100 KiB); $(file -b "$bin" | cut -d, -f1-5)"
mkdir -p "$work"
# One kernel: Debian 12's (check-boot.sh runs every kernel of GPT_BOOTCFG_KERNELS, each in
# a directory of its own, where it knows several).
if ! GPT_BOOTCFG_KERNELS=bookworm "$top/tests/boot/check-boot.sh" "$build" bench >"$work/bench.tap" 2>&1; then
	cat "$work/bench.tap"
	echo "claim-bench: the bench boot failed" >&2
	exit 1
fi
rm -f "$work/bench.tap"
r=$work/bookworm/bench.report
[ -f "$r" ] || r=$work/bench.report
grep -q '^BENCH sh-' "$r" && { grep '^BENCH sh-' "$r"; echo "claim-bench: the shell loop failed" >&2; exit 1; }
echo
echo "Time per device claim (host driver bound -> vfio-pci), microseconds, $(grep -c '^BENCH binproc' "$r") rounds:"
awk '
$1 == "BENCH" && ($2 == "sh" || $2 == "bin") { v[$2, $3] = v[$2, $3] " " $4; devs[$3] = 1 }
$1 == "BENCH" && $2 == "binproc" { p = p " " $4 }
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n ? a[int((n + 1) / 2)] : -1
}
END {
	printf "%-14s %12s %12s\n", "DEVICE", "binary", "sh loop"
	for (d in devs) printf "%-14s %12d %12d\n", d, median(v["bin", d]), median(v["sh", d])
	printf "whole binary run (exec, list, 3 devices, median): %d us\n", median(p)
}' "$r"
