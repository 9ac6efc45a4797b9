#!/bin/sh
# bench/vm-bench.sh BUILD_DIR: the runner's start-up ("make bench-vm"). "gpt-bootcfg vm run"
# until it sends READY=1 (config and device checks, prepare hook, QEMU started paused, vCPUs
# pinned over QMP, "cont") against plain qemu-system-x86_64 with the same argv (without -S)
# until its QMP answers query-status "running"; interleaved rounds, BENCH_VM_RUNS (default
# 21) of each: medians, and the median, interquartile range and 95 % confidence interval of
# the per-round differences (bench/vm-bench.py). Then one more "vm run" under strace, which
# times the runner's phases: preflight, hooks, the QMP connection and round trips, pinning.
#
# The VM is test-vm-qemu.sh's t1 on a copy of the guide-server fixture with the same test
# switches: TCG, memory in a /dev/shm file, emulated stand-ins for the GPU, its audio
# function and the USB card; OVMF, 256 MiB, 2 vCPUs pinned to CPUs 1 and 0, an NVMe and a
# virtio disk, a CD-ROM; plus one prepare and one release hook that only exit 0.
# Prints a Markdown table (also in WORK/table.md); raw times in WORK/times.txt.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
TOP=$top
. "$top/tests/lib/setup.sh"
build=$(cd "${1:?usage: bench/vm-bench.sh BUILD_DIR}" && pwd)
runs=${BENCH_VM_RUNS:-21}
gen=$build/gpt-bootcfg
work=$build/bench-vm

die() {
	echo "vm-bench: $*" >&2
	exit 1
}
for t in qemu-system-x86_64 python3 strace; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found: install tests/deps.txt (make check-deps)"
done
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || die "OVMF is not installed (package ovmf, tests/deps.txt)"
[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs to pin to"
[ -x "$gen" ] || die "$gen not built"

rm -rf "$work"
mkdir -p "$work"
r=$work/root
mkdir -p "$r"
cp -a "$top/tests/fixtures/guide-server/." "$r/"
qemu_root "$r"
{
	standin_devices_conf
	standin_vm_conf bench
} | write_conf "$r"
for phase in prepare release; do
	d=$r/etc/gpt-bootcfg/hooks.d/bench/$phase.d
	mkdir -p "$d"
	printf '#!/bin/sh\nexit 0\n' >"$d/10-noop"
	chmod +x "$d/10-noop"
done

shm=$(mktemp -d /dev/shm/gpt-bootcfg-bench.XXXXXX)
cleanup() {
	for p in "$r"/run/gpt-bootcfg/*.pid; do
		[ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$shm"
}
trap cleanup EXIT
export GPT_BOOTCFG_TEST_ACCEL=tcg GPT_BOOTCFG_TEST_MEM_PATH="$shm" GPT_BOOTCFG_TEST_STANDINS=1

# The argv "vm run" executes, less the -S it appends.
"$gen" --root "$r" vm command bench --json --run-paths >"$work/argv.json" 2>"$work/argv.err" ||
	die "vm command failed: $(cat "$work/argv.err")"

python3 "$top/bench/vm-bench.py" "$runs" "$gen" "$r" bench "$work" >"$work/table.md" ||
	die "bench/vm-bench.py failed"
cat "$work/table.md"
