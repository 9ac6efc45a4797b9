#!/bin/sh
# bench/run.sh BUILD_DIR: the benchmark table of docs/performance.md ("make bench").
#
# Everything runs on trees below BUILD_DIR/bench-work with --root; nothing here reads from
# or writes to the real /sys, /etc, /boot or /lib/modules except what lspci itself reads
# (its libraries, pci.ids, udev's hwdb). Measured in one run, side by side:
#
#   1. "gpt-bootcfg list" against "lspci -nnk" and against the guide's iommu_group shell
#      function (one lspci per device), on a generated tree of 1,000 PCI functions in 300
#      IOMMU groups (bench/gen-tree.py);
#   2. a no-op "apply" on a copy of the guide-server fixture: wall time, writes, rebuild;
#   3. the claim binary against a busybox-sh claim loop in a QEMU guest
#      (bench/claim-bench.sh; BENCH_SKIP_CLAIM=1 leaves it out);
#   4. the claim binary's size and linkage;
#   5. the boot path of our claim against the guide's method, per kernel of BENCH_KERNELS
#      (bench/boot-bench.sh; BENCH_SKIP_BOOT=1 leaves it out);
#   6. "vm run" until READY=1 against plain QEMU (bench/vm-bench.sh; BENCH_SKIP_VM=1);
#   7. CPU placement quality, vcpu-pins = auto against the guide's pins, on the three
#      fixture topologies (bench/placement.sh): shares, not times.
#
# Rounds: BENCH_RUNS (default 21) for list, lspci and apply; BENCH_SHELL_RUNS (default 3)
# for the shell function, which takes minutes per round; BENCH_BOOT_RUNS (default 5) boots
# of each image; BENCH_VM_RUNS (default 21) VM starts. Each figure is the median.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
TOP=$top
. "$top/tests/lib/setup.sh"
build=$(cd "${1:?usage: bench/run.sh BUILD_DIR}" && pwd)
gen=$build/gpt-bootcfg
claim=$build/gpt-bootcfg-claim
runs=${BENCH_RUNS:-21}
shell_runs=${BENCH_SHELL_RUNS:-3}
work=$build/bench-work
timeit="python3 $top/bench/timeit.py"

die() {
	echo "bench: $*" >&2
	exit 1
}

for t in python3 lspci file; do
	command -v "$t" >/dev/null || die "$t is not installed (tests/deps.txt)"
done
if [ ! -x "$gen" ] || [ ! -x "$claim" ]; then
	die "build $build first (make BUILD=... all)"
fi

rm -rf "$work"
mkdir -p "$work"

# --- the host ---------------------------------------------------------------------------
host_line() {
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
	[ -n "$cpu" ] || cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
	mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	echo "host: $(nproc) CPUs, ${cpu:-unknown CPU}, $mem RAM, Linux $(uname -r)," \
		"load average $(cut -d' ' -f1-3 /proc/loadavg) at the start, $(date -u '+%Y-%m-%d %H:%M UTC')"
}
host_line >"$work/host.txt"
cat "$work/host.txt"

# --- 1. list on 1,000 devices -----------------------------------------------------------
tree=$work/tree
echo "bench: generating the tree ($tree)" >&2
python3 "$top/bench/gen-tree.py" "$tree" >"$work/gen.txt"
ndev=$(find "$tree/sys/bus/pci/devices/" -mindepth 1 -maxdepth 1 | wc -l)
ngrp=$(find "$tree/sys/kernel/iommu_groups/" -mindepth 1 -maxdepth 1 | wc -l)

list_cmd="'$gen' --root '$tree' list"
lspci_cmd="lspci -nnk -A linux-sysfs -O sysfs.path='$tree/sys/bus/pci'"
# The guide's function, word for word, except that the glob and lspci look at the tree.
cat >"$work/iommu_group.sh" <<EOF
T='$tree'
iommu_group() { for i in \$T/sys/kernel/iommu_groups/*/devices/*;do printf "%-12s %-4s" "IOMMU_GROUP" "\`echo \$i | sed 's|^.*iommu_groups/\([0-9]*\)/dev.*\$|\1 |'\`"; lspci -A linux-sysfs -O sysfs.path=\$T/sys/bus/pci -nns \${i##*/} ;done }
iommu_group
EOF
# It takes minutes: the timed rounds' output (each the same) is kept and checked after.
shell_cmd="bash '$work/iommu_group.sh' >'$work/shell.out' 2>/dev/null"

# All three must see every device before their times mean anything.
sh -c "$list_cmd" >"$work/list.out"
[ "$(grep -c '^  0000:' "$work/list.out")" = "$ndev" ] || die "list does not show $ndev devices"
[ "$(grep -c '^IOMMU group' "$work/list.out")" = "$ngrp" ] || die "list does not show $ngrp groups"
sh -c "$lspci_cmd" >"$work/lspci.out" 2>"$work/lspci.err"
[ "$(grep -c '^[0-9a-f]' "$work/lspci.out")" = "$ndev" ] || die "lspci does not show $ndev devices"

echo "bench: list and lspci, $runs rounds" >&2
$timeit "$runs" "list=$list_cmd" "lspci=$lspci_cmd" >"$work/t-list.txt"
echo "bench: the shell function, $shell_runs rounds (minutes each)" >&2
# No warm-up round: list and lspci have just read the same tree.
$timeit --no-warmup "$shell_runs" "shell=$shell_cmd" >"$work/t-shell.txt"
[ "$(grep -c '^IOMMU_GROUP' "$work/shell.out")" = "$ndev" ] || die "the shell function does not show $ndev devices"

# --- 2. apply with nothing to do --------------------------------------------------------
root=$work/apply
mkdir -p "$root"
cp -a "$top/tests/fixtures/guide-server/." "$root/"
guide_conf | write_conf "$root"
"$gen" --root "$root" apply --yes --no-trial >"$work/apply-first.out" 2>&1 ||
	die "the first apply failed: $(cat "$work/apply-first.out")"
snap() { (cd "$root" && find . -printf '%T@ %C@ %y %m %s %p -> %l\n' | LC_ALL=C sort -k6); }
snap >"$work/apply-before.txt"
sleep 1 # a write in the same clock tick as the snapshot could hide in its mtime
apply_cmd="'$gen' --root '$root' apply --yes"
sh -c "$apply_cmd" >"$work/apply.out" 2>&1 || die "apply failed: $(cat "$work/apply.out")"
grep -q '^Nothing to do' "$work/apply.out" || die "the second apply had work to do: $(cat "$work/apply.out")"
rebuild=none
grep -q 'update-initramfs\|update-grub\|Rebuild' "$work/apply.out" && rebuild=yes

echo "bench: apply with nothing to do, $runs rounds" >&2
$timeit "$runs" "apply=$apply_cmd" >"$work/t-apply.txt"

# Writes: mtimes, ctimes, modes, sizes and links of the whole tree after all the runs, and
# under strace one more run's file system calls that create, change or remove anything.
snap >"$work/apply-after.txt"
if cmp -s "$work/apply-before.txt" "$work/apply-after.txt"; then
	tree_changes=0
else
	tree_changes=$(diff "$work/apply-before.txt" "$work/apply-after.txt" | grep -c '^>' || true)
fi
writes=n/a
execs=n/a
if command -v strace >/dev/null; then
	strace -f -qq -o "$work/apply.strace" \
		-e trace=%file,%desc,execve,fork,vfork,clone,clone3 -e signal=none \
		"$gen" --root "$root" apply --yes >/dev/null 2>&1 || die "apply under strace failed"
	grep -E '^[0-9]+ +(open|openat|openat2)\(.*(O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND)' \
		"$work/apply.strace" >"$work/apply-writes.txt" || true
	grep -E '^[0-9]+ +(creat|rename|renameat|renameat2|unlink|unlinkat|rmdir|mkdir|mkdirat|symlink|symlinkat|link|linkat|truncate|ftruncate|chmod|fchmod|fchmodat|chown|fchown|fchownat|lchown|utimensat|utimes|futimesat|mknod|mknodat|setxattr|lsetxattr|fsetxattr|removexattr)\(' \
		"$work/apply.strace" >>"$work/apply-writes.txt" || true
	writes=$(wc -l <"$work/apply-writes.txt")
	# The first execve is apply itself; any other is a process it started (a rebuild).
	execs=$(($(grep -cE '^[0-9]+ +execve\(' "$work/apply.strace") - 1))
fi

# --- 3. the claim binary in a guest -----------------------------------------------------
if [ "${BENCH_SKIP_CLAIM:-0}" = 1 ]; then
	echo "skipped (BENCH_SKIP_CLAIM=1)" >"$work/claim.txt"
else
	echo "bench: the claim binary in a QEMU guest (bench/claim-bench.sh, about a minute)" >&2
	"$top/bench/claim-bench.sh" "$build" >"$work/claim.txt" 2>&1 || {
		cat "$work/claim.txt" >&2
		die "bench/claim-bench.sh failed"
	}
fi

# --- 4. size ----------------------------------------------------------------------------
size=$(stat -c %s "$claim")
linkage=$(file -b "$claim")
case $linkage in *"statically linked"* | *"static-pie linked"*) static=yes ;; *) static=no ;; esac

# --- the table --------------------------------------------------------------------------
awk -v ndev="$ndev" -v ngrp="$ngrp" -v runs="$runs" -v shell_runs="$shell_runs" \
	-v size="$size" -v static="$static" -v tree_changes="$tree_changes" -v writes="$writes" \
	-v execs="$execs" -v rebuild="$rebuild" '
function ms(s) { return sprintf("%.1f ms", s * 1000) }
function verdict(ok) { return ok ? "met" : "**missed**" }
FILENAME ~ /t-(list|shell|apply)\.txt$/ { wall[$1] = $2; lo[$1] = $3; hi[$1] = $4; cpu[$1] = $5 + $6 }
FILENAME ~ /claim\.txt$/ && $1 ~ /^[0-9a-f]+:[0-9a-f]+:[0-9a-f]+\.[0-9a-f]$/ {
	nclaim++; cdev[nclaim] = $1; cbin[nclaim] = $2; csh[nclaim] = $3
}
FILENAME ~ /claim\.txt$/ && /^whole binary run/ { sub(/ us$/, ""); cproc = $NF }
FILENAME ~ /claim\.txt$/ && /rounds:$/ { crounds = $(NF - 1) }
FILENAME ~ /claim\.txt$/ && /^skipped/ { cskip = 1 }
END {
	printf "\n| measurement | gpt-bootcfg | baseline | ratio | target | result |\n"
	printf "| --- | --- | --- | --- | --- | --- |\n"
	r = wall["list"] / wall["lspci"]; rc = cpu["list"] / cpu["lspci"]
	printf "| `list`, %d devices in %d groups: wall, median of %d (min-max) | %s (%s-%s) | `lspci -nnk`: %s (%s-%s) | %.2fx | <= 1.0x | %s |\n", \
		ndev, ngrp, runs, ms(wall["list"]), ms(lo["list"]), ms(hi["list"]), \
		ms(wall["lspci"]), ms(lo["lspci"]), ms(hi["lspci"]), r, verdict(r <= 1.0)
	printf "| same, CPU time (user+sys), median | %s | `lspci -nnk`: %s | %.2fx | <= 1.0x | %s |\n", \
		ms(cpu["list"]), ms(cpu["lspci"]), rc, verdict(rc <= 1.0)
	r = wall["shell"] / wall["list"]; rc = cpu["shell"] / cpu["list"]
	printf "| `list` against the guide'"'"'s `iommu_group` (one lspci per device): wall, median of %d | %s | %s | %.0fx faster | >= 50x | %s |\n", \
		shell_runs, ms(wall["list"]), sprintf("%.1f s", wall["shell"]), r, verdict(r >= 50)
	printf "| same, CPU time (user+sys) | %s | %s | %.0fx less | >= 50x | %s |\n", \
		ms(cpu["list"]), sprintf("%.1f s", cpu["shell"]), rc, verdict(rc >= 50)
	printf "| `apply` with nothing to do (guide-server copy): wall, median of %d (min-max) | %s (%s-%s) | | | <= 200 ms | %s |\n", \
		runs, ms(wall["apply"]), ms(lo["apply"]), ms(hi["apply"]), verdict(wall["apply"] <= 0.2)
	printf "| same: files written (strace: opens for writing, renames, unlinks, ...; tree: changed mtime/ctime/mode/size) | %s (strace), %d (tree, after %d runs) | | | 0 | %s |\n", \
		writes, tree_changes, runs + 1, verdict((writes == "n/a" || writes == 0) && tree_changes == 0)
	printf "| same: rebuild (initramfs/GRUB commands run or printed; processes started) | %s; %s processes | | | none | %s |\n", \
		rebuild, execs, verdict(rebuild == "none" && (execs == "n/a" || execs == 0))
	if (cskip)
		printf "| claim binary against a busybox-sh loop (QEMU guest) | skipped | | | | |\n"
	for (i = 1; i <= nclaim; i++)
		printf "| claim of %s (host driver -> vfio-pci), median of %d in a TCG guest | %.1f ms | sh loop: %.1f ms | sh/binary %.1fx | | |\n", \
			cdev[i], crounds, cbin[i] / 1000, csh[i] / 1000, csh[i] / cbin[i]
	if (nclaim) {
		for (i = 1; i <= nclaim; i++) { tb += cbin[i]; ts += csh[i] }
		printf "| claim of all %d devices, sum of the per-device medians | %.1f ms | sh loop: %.1f ms | sh/binary %.1fx | | |\n", \
			nclaim, tb / 1000, ts / 1000, ts / tb
	}
	if (cproc)
		printf "| whole claim binary run in the guest (exec, claim list, 3 devices), median | %.1f ms | | | | |\n", cproc / 1000
	printf "| claim binary size | %d bytes (%.1f KiB) | | | <= 100 KiB | %s |\n", \
		size, size / 1024, verdict(size <= 102400)
	printf "| claim binary linkage (`file`) | %s | | | statically linked | %s |\n", \
		static == "yes" ? "statically linked" : "dynamic", verdict(static == "yes")
}' "$work/t-list.txt" "$work/t-shell.txt" "$work/t-apply.txt" "$work/claim.txt" | tee "$work/table.md"

# --- 7.: CPU placement quality (a figure, seconds) ----------------------------------------
echo "bench: CPU placement on the fixture topologies (bench/placement.sh)" >&2
"$top/bench/placement.sh" "$build" >"$work/placement.md" || die "bench/placement.sh failed"
tee -a "$work/table.md" <"$work/placement.md"

# --- 5. and 6.: the boot path and the runner's start-up, tables of their own -------------
if [ "${BENCH_SKIP_BOOT:-0}" != 1 ]; then
	for k in ${BENCH_KERNELS:-bookworm bookworm-backports}; do
		echo "bench: the boot path on $k (bench/boot-bench.sh, minutes)" >&2
		"$top/bench/boot-bench.sh" "$build" "$k" >"$work/boot-$k.md" ||
			die "bench/boot-bench.sh $k failed"
		tee -a "$work/table.md" <"$work/boot-$k.md"
	done
fi
if [ "${BENCH_SKIP_VM:-0}" != 1 ]; then
	echo "bench: the runner's start-up (bench/vm-bench.sh)" >&2
	"$top/bench/vm-bench.sh" "$build" >"$work/vm.md" || die "bench/vm-bench.sh failed"
	tee -a "$work/table.md" <"$work/vm.md"
fi
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "claim binary: $linkage"
echo "files: $work (table.md, raw timings t-*.txt, claim.txt, apply.strace)"
