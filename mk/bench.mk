# Benchmarks (issues 7 and 18): "make bench" prints the tables of docs/performance.md,
# measured in one run (bench/run.sh): list against lspci and the guide's shell function on
# 1,000 devices, a no-op apply, the claim binary against a shell loop in a QEMU guest
# (bench/claim-bench.sh), the binary's size; then the boot path of our claim against the
# guide's method per kernel (bench/boot-bench.sh) and "vm run" against plain QEMU
# (bench/vm-bench.sh). They print figures; "make check" does not run them. Measure the
# optimized build, not the sanitizer one:
#
#   make BUILD=build/bench bench [BENCH_RUNS=21] [BENCH_SHELL_RUNS=3] [BENCH_SKIP_CLAIM=1]
#        [BENCH_SKIP_BOOT=1] [BENCH_SKIP_VM=1] [BENCH_KERNELS="bookworm bookworm-backports"]
#        [BENCH_BOOT_RUNS=5] [BENCH_VM_RUNS=21]
#   make BUILD=build/bench bench-boot [BENCH_KERNELS=...] [BENCH_BOOT_RUNS=5]
#   make BUILD=build/bench bench-vm [BENCH_VM_RUNS=21]

BENCH_RUNS ?= 21
BENCH_SHELL_RUNS ?= 3
BENCH_SKIP_CLAIM ?= 0
BENCH_SKIP_BOOT ?= 0
BENCH_SKIP_VM ?= 0
BENCH_KERNELS ?= bookworm bookworm-backports
BENCH_BOOT_RUNS ?= 5
BENCH_VM_RUNS ?= 21

BENCH_ENV = BENCH_RUNS=$(BENCH_RUNS) BENCH_SHELL_RUNS=$(BENCH_SHELL_RUNS) \
	BENCH_SKIP_CLAIM=$(BENCH_SKIP_CLAIM) BENCH_SKIP_BOOT=$(BENCH_SKIP_BOOT) \
	BENCH_SKIP_VM=$(BENCH_SKIP_VM) BENCH_KERNELS="$(BENCH_KERNELS)" \
	BENCH_BOOT_RUNS=$(BENCH_BOOT_RUNS) BENCH_VM_RUNS=$(BENCH_VM_RUNS)

bench: all $(BUILD)/boot/qmp-query
	$(Q)$(BENCH_ENV) bench/run.sh $(abspath $(BUILD))

bench-boot: $(BUILD)/gpt-bootcfg-claim
	$(Q)for k in $(BENCH_KERNELS); do \
		BENCH_BOOT_RUNS=$(BENCH_BOOT_RUNS) bench/boot-bench.sh $(abspath $(BUILD)) $$k || exit 1; \
	done

bench-vm: $(BUILD)/gpt-bootcfg
	$(Q)BENCH_VM_RUNS=$(BENCH_VM_RUNS) bench/vm-bench.sh $(abspath $(BUILD))

.PHONY: bench bench-boot bench-vm
