# The boot-time claim in images built by Debian's real dracut (issue 26):
# tests/boot/check-boot-dracut.sh, scenarios real, mismatch, off by default (part of "make
# check"); nosystemd and builtin on request:
#   make check-boot-dracut [DRACUT_SCENARIOS="real nosystemd builtin"]
DRACUT_SCENARIOS ?=

check-boot-dracut: $(BUILD)/gpt-bootcfg-claim
	$(Q)prove --exec '' -v tests/boot/check-boot-dracut.sh :: $(abspath $(BUILD)) $(DRACUT_SCENARIOS)

CHECK_TARGETS += check-boot-dracut

.PHONY: check-boot-dracut
