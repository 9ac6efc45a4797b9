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

# The trial-boot system test (tests/system/test-trial.sh): five boots of a Debian image
# through GRUB under QEMU; needs root and takes about 10 minutes. Not part of "make check"
# for the same reason as check-system; run it with "make check-trial-system".
$(BUILD)/test-trial-arm: tests/system/test-trial-arm.c $(OBJ)/gpt-bootcfg/trial.o $(BUILD)/libshared.a
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) -Isrc/gpt-bootcfg $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(OBJ)/gpt-bootcfg/trial.o $(BUILD)/libshared.a $(LIB_LIBS)

check-trial-system: all $(BUILD)/test-trial-arm
	$(Q)BUILD=$(abspath $(BUILD)) tests/system/test-trial.sh

.PHONY: check-trial-system
