# systemd-boot (issue 26): tests/sdboot/, a Debian 12 image booted through OVMF and
# systemd-boot; needs root, and minutes (the image is cached in $GPT_BOOTCFG_CACHE/sdboot).
#   make check-sdboot-harness   the image boots through systemd-boot into kernel-install's entry
#   make check-sdboot-system    dpkg -i, apply, the one-shot trial promoted, a panicking trial
#                               falling back by itself, revert byte for byte (five boots)
# Both are part of "make check-wide" (Makefile), not of "make check".
check-sdboot-harness:
	$(Q)prove --exec '' -v tests/sdboot/check-harness.sh

check-sdboot-system: deb
	$(Q)BUILD=$(abspath $(BUILD)) DEB=$(abspath $(DEB_FILE)) prove --exec '' -v tests/sdboot/run.sh

WIDE_TARGETS += check-sdboot-system

.PHONY: check-sdboot-harness check-sdboot-system
