# Hardening and measurement (issue 7): libFuzzer targets, static analysis, coverage,
# benchmarks. See docs/hardening.md and docs/performance.md.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_RUNS=N] [FUZZ_TARGETS="pci ..."]
#   make fuzz-smoke     replay the seed corpora, then a few seconds per target (in make check)
#   make lint           cppcheck and clang-tidy (.clang-tidy) over src/
#   make coverage       line coverage of src/ from the unit and integration tests (gcovr)
#   make bench          the benchmark table (bench/run.sh)

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_DIR := $(BUILD)/fuzz

# Every fuzz/fuzz-NAME.c is a target NAME with its seed corpus in fuzz/corpus/NAME/.
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz-*.c))
FUZZ_ALL := $(FUZZ_SRC:fuzz/fuzz-%.c=%)
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BIN := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz-%)

# Our sources are instrumented for coverage feedback but linked without libFuzzer's main;
# only the target file brings LLVMFuzzerTestOneInput. main.c is left out: libFuzzer has one.
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# Other areas' code is still landing; clang warnings in it must not stop the fuzzers, lint
# reports them. fuzz/ itself is held to -Werror.
FUZZ_CFLAGS := -std=gnu17 -Wall -Wextra -D_GNU_SOURCE -Isrc/shared -Isrc/gpt-bootcfg \
	-Ifuzz -DVERSION='"$(VERSION)"' -DPKGLIBDIR='"$(PKGLIBDIR)"' -MMD -MP -O1 -g $(FUZZ_SAN)
FUZZ_SHARED_OBJ := $(SHARED_SRC:src/%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_CLI_OBJ := $(patsubst src/%.c,$(FUZZ_DIR)/obj/%.o,$(filter-out src/gpt-bootcfg/main.c,$(CLI_SRC)))
FUZZ_CLAIM_OBJ := $(patsubst src/%.c,$(FUZZ_DIR)/obj/%.o,$(filter-out src/claim/claim.c,$(CLAIM_SRC)))

$(FUZZ_DIR)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $@ (fuzz)")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(LIB_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/fuzz/%.o: fuzz/%.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $@ (fuzz)")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(WERROR) $(LIB_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/libshared.a: $(FUZZ_SHARED_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# The verbs' code (config parser, generator) minus main(); pulled in only when referenced.
$(FUZZ_DIR)/libcli.a: $(FUZZ_CLI_OBJ) $(FUZZ_CLAIM_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz-%: $(FUZZ_DIR)/fuzz/fuzz-%.o $(FUZZ_DIR)/fuzz/util.o $(FUZZ_DIR)/libcli.a \
		$(FUZZ_DIR)/libshared.a
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $(filter %.o,$^) \
		-Wl,--start-group $(filter %.a,$^) -Wl,--end-group $(LIB_LIBS)

fuzz-build: $(FUZZ_BIN)

# Long runs: FUZZ_SECONDS per target (or FUZZ_RUNS executions), figures appended to
# $(FUZZ_DIR)/results.txt. The committed corpus is only read; new inputs go to the build dir.
fuzz: fuzz-build
	$(Q)for t in $(FUZZ_TARGETS); do \
		fuzz/run.sh $(FUZZ_DIR) $$t $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS)) \
			|| exit 1; \
	done

# For make check: every seed must pass, then a short run per target.
fuzz-smoke: fuzz-build
	$(Q)for t in $(FUZZ_TARGETS); do \
		fuzz/run.sh --replay $(FUZZ_DIR) $$t && \
		fuzz/run.sh $(FUZZ_DIR) $$t -max_total_time=$(FUZZ_SMOKE_SECONDS) || exit 1; \
	done

.PHONY: fuzz fuzz-build fuzz-smoke
.SECONDARY: $(FUZZ_SRC:fuzz/%.c=$(FUZZ_DIR)/fuzz/%.o) $(FUZZ_DIR)/fuzz/util.o
