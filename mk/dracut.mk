# The boot-time claim in images built by Debian's real dracut (issue 26):
# tests/boot/check-boot-dracut.sh, scenarios real, mismatch, off, image by default (part of
# "make check"); nosystemd, builtin and image-zstd in "make check-wide"
# (check-boot-dracut-wide) or on request:
#   make check-boot-dracut [DRACUT_SCENARIOS="real nosystemd builtin"]
DRACUT_SCENARIOS ?=

check-boot-dracut: $(BUILD)/gpt-bootcfg $(BUILD)/gpt-bootcfg-claim
	$(Q)prove --exec '' -v tests/boot/check-boot-dracut.sh :: $(abspath $(BUILD)) $(DRACUT_SCENARIOS)

check-boot-dracut-wide: $(BUILD)/gpt-bootcfg $(BUILD)/gpt-bootcfg-claim
	$(Q)prove --exec '' -v tests/boot/check-boot-dracut.sh :: $(abspath $(BUILD)) nosystemd builtin image-zstd

CHECK_TARGETS += check-boot-dracut
WIDE_TARGETS += check-boot-dracut-wide

.PHONY: check-boot-dracut check-boot-dracut-wide
