# Benchmarks (issue 7): "make bench" prints the table of docs/performance.md, measured in
# one run on generated and copied trees below $(BUILD)/bench-work (bench/run.sh): list
# against lspci and the guide's shell function on 1,000 devices, a no-op apply, the claim
# binary against a shell loop in a QEMU guest (bench/claim-bench.sh), the binary's size.
# Measure the optimized build, not the sanitizer one:
#
#   make BUILD=build/bench bench [BENCH_RUNS=21] [BENCH_SHELL_RUNS=3] [BENCH_SKIP_CLAIM=1]

BENCH_RUNS ?= 21
BENCH_SHELL_RUNS ?= 3
BENCH_SKIP_CLAIM ?= 0

bench: all $(BUILD)/boot/qmp-query
	$(Q)BENCH_RUNS=$(BENCH_RUNS) BENCH_SHELL_RUNS=$(BENCH_SHELL_RUNS) \
		BENCH_SKIP_CLAIM=$(BENCH_SKIP_CLAIM) bench/run.sh $(abspath $(BUILD))

.PHONY: bench
