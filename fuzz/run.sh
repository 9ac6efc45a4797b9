#!/bin/sh
# Run one libFuzzer target: run.sh [--replay] BUILDDIR NAME [LIBFUZZER-OPTIONS...]
#   --replay  execute every committed seed in fuzz/corpus/NAME once (no mutation)
#   otherwise fuzz with the seeds plus BUILDDIR/corpus/NAME (new inputs land there),
#             and append "date target runs seconds exec/s" to BUILDDIR/results.txt
# Fails on any crash, leak, sanitizer report or timeout, naming the saved input.
set -eu
replay=0
[ "${1:-}" = --replay ] && { replay=1; shift; }
dir=$1 name=$2; shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$dir/fuzz-$name
seeds=$top/fuzz/corpus/$name
log=$dir/logs/$name.log
mkdir -p "$dir/logs" "$dir/artifacts" "$dir/corpus/$name"

[ -x "$bin" ] || { echo "fuzz: $bin not built" >&2; exit 1; }
n_seeds=$(find "$seeds" -type f 2>/dev/null | wc -l)
[ "$n_seeds" -gt 0 ] || { echo "fuzz: no seed corpus in fuzz/corpus/$name" >&2; exit 1; }

# Leaks count as findings (the default on x86-64 Linux, stated here so it stays so).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
dict=
[ -f "$top/fuzz/$name.dict" ] && dict=-dict=$top/fuzz/$name.dict

fail() {
	echo "fuzz: $name FAILED ($1), log: $log" >&2
	grep -E 'ERROR: |SUMMARY: |runtime error|invariant failed|Test unit written' "$log" | head -20 >&2
	exit 1
}

if [ "$replay" = 1 ]; then
	# shellcheck disable=SC2046
	"$bin" -timeout=10 $(find "$seeds" -type f | sort) >"$log" 2>&1 || fail "seed replay"
	ran=$(grep -c '^Running: ' "$log" || true)
	[ "$ran" = "$n_seeds" ] || fail "replayed $ran of $n_seeds seeds"
	printf 'fuzz %-12s replayed %d seeds: ok\n' "$name" "$n_seeds"
	exit 0
fi

"$bin" -timeout=10 -print_final_stats=1 -artifact_prefix="$dir/artifacts/$name-" $dict "$@" \
	"$dir/corpus/$name" "$seeds" >"$log" 2>&1 || fail "exit $?"
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n1)
[ -n "$runs" ] && [ -n "$secs" ] || fail "no statistics in the log"
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
printf 'fuzz %-12s %12s executions in %5ss (%s/s, cov %s): no crash, leak or UB\n' \
	"$name" "$runs" "$secs" "$rate" "${cov:-?}"
printf '%s %s %s %s %s\n' "$(date -u +%FT%TZ)" "$name" "$runs" "$secs" "$rate" >>"$dir/results.txt"
