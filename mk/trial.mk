# The trial-boot system test (tests/system/test-trial.sh): five boots of a Debian image
# through GRUB under QEMU; needs root and takes about 10 minutes. Not part of "make check"
# for the same reason as check-system; run it with "make check-trial-system".
# The trial module is src/gpt-bootcfg/trial/: trial.c (state), trial-check.c, trial-grub.c
# (grubenv), trial-sdboot.c; it uses other parts of the CLI (core/kcmdline.c: systemd-boot's
# line), so the helper links the CLI's objects as an archive, as the unit tests do: the
# linker takes what the trial needs and nothing else.
$(BUILD)/libgpt-bootcfg.a: $(filter-out $(OBJ)/gpt-bootcfg/main.o,$(CLI_OBJ))
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/test-trial-arm: tests/system/test-trial-arm.c $(BUILD)/libgpt-bootcfg.a $(BUILD)/libshared.a
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(BUILD)/libgpt-bootcfg.a $(BUILD)/libshared.a $(LIB_LIBS)

check-trial-system: all $(BUILD)/test-trial-arm
	$(Q)BUILD=$(abspath $(BUILD)) SYSTEM_SUITE=$(SUITE) tests/system/test-trial.sh

.PHONY: check-trial-system
