# The trial-boot system test (tests/system/test-trial.sh): five boots of a Debian image
# through GRUB under QEMU; needs root and takes about 10 minutes. Not part of "make check"
# for the same reason as check-system; run it with "make check-trial-system".
# The trial module is src/gpt-bootcfg/trial/: trial.c (state), trial-check.c, trial-grub.c (grubenv).
TRIAL_OBJ = $(filter $(OBJ)/gpt-bootcfg/trial/%.o,$(CLI_OBJ))
$(BUILD)/test-trial-arm: tests/system/test-trial-arm.c $(TRIAL_OBJ) $(BUILD)/libshared.a
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(TRIAL_OBJ) $(BUILD)/libshared.a $(LIB_LIBS)

check-trial-system: all $(BUILD)/test-trial-arm
	$(Q)BUILD=$(abspath $(BUILD)) tests/system/test-trial.sh

.PHONY: check-trial-system
