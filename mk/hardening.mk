# Hardening and measurement (issue 7): libFuzzer targets, static analysis, coverage,
# benchmarks. See docs/hardening.md and docs/performance.md.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_RUNS=N] [FUZZ_TARGETS="pci ..."]
#   make fuzz-smoke     replay the seed corpora, then a few seconds per target (in make check)
#   make lint           cppcheck and clang-tidy (.clang-tidy) over src/ and the C test tools
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
FUZZ_CFLAGS := -std=gnu17 -Wall -Wextra -D_GNU_SOURCE -Isrc -Isrc/gpt-bootcfg \
	-Ifuzz -DVERSION='"$(VERSION)"' -DPKGLIBDIR='"$(PKGLIBDIR)"' -MMD -MP -O1 -g $(FUZZ_SAN)
FUZZ_SHARED_OBJ := $(SHARED_SRC:src/%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_CLI_OBJ := $(patsubst src/%.c,$(FUZZ_DIR)/obj/%.o,$(filter-out src/gpt-bootcfg/main.c,$(CLI_SRC)))
FUZZ_CLAIM_OBJ := $(patsubst src/%.c,$(FUZZ_DIR)/obj/%.o,$(filter-out src/claim/claim.c,$(CLAIM_SRC)))

# Without clang the fuzzers cannot be built: say so and fail (make check must not skip).
fuzz-cc:
	$(Q)command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: $(FUZZ_CC) is not installed" \
		"(tests/deps.txt: clang, libclang-rt-14-dev; run tests/install-deps.sh)" >&2; exit 1; }

$(FUZZ_DIR)/obj/%.o: src/%.c | fuzz-cc
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $@ (fuzz)")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(LIB_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/fuzz/%.o: fuzz/%.c | fuzz-cc
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
fuzz: fuzz-cc fuzz-build
	$(Q)for t in $(FUZZ_TARGETS); do \
		fuzz/run.sh $(FUZZ_DIR) $$t $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS)) \
			|| exit 1; \
	done

# For make check: every seed must pass, then a short run per target (about 30 s in all
# once built).
CHECK_TARGETS += fuzz-smoke
fuzz-smoke: fuzz-cc fuzz-build
	$(Q)for t in $(FUZZ_TARGETS); do \
		fuzz/run.sh --replay $(FUZZ_DIR) $$t && \
		fuzz/run.sh $(FUZZ_DIR) $$t -max_total_time=$(FUZZ_SMOKE_SECONDS) || exit 1; \
	done

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-cc
.SECONDARY: $(FUZZ_SRC:fuzz/%.c=$(FUZZ_DIR)/fuzz/%.o) $(FUZZ_DIR)/fuzz/util.o

# --- Static analysis --------------------------------------------------------------------
CPPCHECK ?= cppcheck
CLANG_TIDY ?= clang-tidy
# The C test tools are held to the same rules: they run as root inside the boot guests
# (qmp-query, uinput-kbd) or inside every apply --now test (fakesysfs, LD_PRELOAD).
LINT_TOOLS := tests/boot/qmp-query.c tests/boot/uinput-kbd.c tests/lib/fakesysfs.c
LINT_SRC = $(sort $(shell find src -name "*.c")) $(LINT_TOOLS)
LINT_DEFS := -D_GNU_SOURCE -DVERSION='"$(VERSION)"' -DPKGLIBDIR='"$(PKGLIBDIR)"'
# cppcheck suppressions, all by id and each for a reason:
# - memleak, resourceLeak: cppcheck 2.10 does not run __attribute__((cleanup)) handlers, so
#   every _cleanup_free_/_cleanup_close_ variable looks leaked; LeakSanitizer checks leaks
#   in every test and fuzz run instead.
# - variableScope: the house (kernel) style declares locals at the top of a block.
# - missingIncludeSystem: cppcheck is not given the system include path on purpose.
CPPCHECK_FLAGS := -q --std=c11 --enable=warning,style,performance,portability \
	--inline-suppr --error-exitcode=1 $(LINT_DEFS) -Isrc -Isrc/gpt-bootcfg \
	--suppress=memleak --suppress=resourceLeak --suppress=variableScope \
	--suppress=missingIncludeSystem \
	--template='{file}:{line}:{column}: {severity}: {message} [{id}]'

lint: lint-includes lint-strto lint-cppcheck lint-clang-tidy

# The include graph of src/ runs one way, with no cycle between modules or folders, no include
# across the link rules and no file over 800 lines (docs/architecture.md).
lint-includes:
	$(if $(Q),@echo "  INCLUDES src/")
	$(Q)python3 tests/lint/include-graph.py .

# One parsing home (issue 29): no strto*()/ato*() in src/ but JSON's strtod() in qmp.c; numbers
# are read with the safe_ato*() family of src/basic/parse-util.h.
lint-strto:
	$(if $(Q),@echo "  STRTO   src/")
	$(Q)sh tests/lint/no-strto.sh .

lint-cppcheck:
	$(if $(Q),@echo "  CPPCHECK src/ fuzz/ $(LINT_TOOLS)")
	$(Q)command -v $(CPPCHECK) >/dev/null || { echo "lint: $(CPPCHECK) not installed" >&2; exit 1; }
	$(Q)$(CPPCHECK) $(CPPCHECK_FLAGS) src/ fuzz/ $(LINT_TOOLS)

# One clang-tidy per file, in parallel; the configuration is .clang-tidy.
lint-clang-tidy:
	$(if $(Q),@echo "  CLANG-TIDY src/ $(LINT_TOOLS)")
	$(Q)command -v $(CLANG_TIDY) >/dev/null || { echo "lint: $(CLANG_TIDY) not installed" >&2; exit 1; }
	$(Q)printf '%s\n' $(LINT_SRC) | xargs -P$$(nproc) -I{} $(CLANG_TIDY) --quiet {} -- \
		-std=gnu17 -Wall -Wextra $(LINT_DEFS) -Isrc -Isrc/gpt-bootcfg $(LIB_CFLAGS) 2>/dev/null

.PHONY: lint lint-includes lint-strto lint-cppcheck lint-clang-tidy

# --- Coverage ---------------------------------------------------------------------------
# The unit and integration tests once more, with the test build's sanitizers replaced by
# gcov instrumentation, in BUILD/cov; then line coverage of src/ (target: 80 %).
GCOVR ?= gcovr
COV_DIR := $(BUILD)/cov

coverage:
	$(Q)command -v $(GCOVR) >/dev/null || { echo "coverage: $(GCOVR) not installed" >&2; exit 1; }
	$(Q)find $(COV_DIR) -name '*.gcda' -delete 2>/dev/null || true
	$(Q)status=0; \
	$(MAKE) --no-print-directory BUILD=$(COV_DIR) SANITIZE='--coverage' check-unit check-integration \
		>$(BUILD)/coverage-tests.log 2>&1 || status=$$?; \
	mkdir -p $(BUILD)/coverage; \
	$(GCOVR) -r . --filter 'src/' --object-directory $(COV_DIR)/asan/obj \
		--html-details $(BUILD)/coverage/index.html --txt $(BUILD)/coverage/summary.txt \
		--print-summary $(COV_DIR)/asan/obj >/dev/null || exit 1; \
	cat $(BUILD)/coverage/summary.txt; \
	if [ $$status != 0 ]; then \
		echo "coverage: some tests failed, see $(BUILD)/coverage-tests.log" >&2; exit 1; fi

.PHONY: coverage
