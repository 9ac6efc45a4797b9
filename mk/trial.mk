# Trial boots (issue 8): unit tests of src/gpt-bootcfg/trial.c link its sanitizer object
# directly, since the generic unit-test rule links src/shared only.
TRIAL_UNIT_SRC := $(sort $(wildcard tests/unit/test-trial*.c))
TRIAL_UNIT_BIN := $(TRIAL_UNIT_SRC:tests/unit/%.c=$(BUILD)/asan/tests/%)

# A static pattern rule wins over the generic $(BUILD)/asan/tests/% rule.
$(TRIAL_UNIT_BIN): $(BUILD)/asan/tests/%: tests/unit/%.c $(AOBJ)/gpt-bootcfg/trial.o \
		$(BUILD)/asan/libshared.a
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) -Itests/unit -Isrc/gpt-bootcfg -O1 -g $(SANITIZE) \
		-o $@ $< $(AOBJ)/gpt-bootcfg/trial.o $(BUILD)/asan/libshared.a $(LIB_LIBS)
