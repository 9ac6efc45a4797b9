# The boot-time claim under QEMU: Debian's own kernel, the real initramfs built by
# mkinitramfs with our hook, emulated target devices (tests/boot/, docs/boot-claim.md).
# "make check-boot" is part of "make check"; "make demo" is the README's main job command.

# A static QMP client the nested QEMU inside the guest is asked through.
$(BUILD)/boot/qmp-query: tests/boot/qmp-query.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CCLD    $@ (static)")
	$(Q)$(CLAIM_CC) -std=gnu17 -Wall -Wextra $(WERROR) -Os -static -s -o $@ $<

# A static uinput keyboard for the "input" scenario (made inside the guest only).
$(BUILD)/boot/uinput-kbd: tests/boot/uinput-kbd.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CCLD    $@ (static)")
	$(Q)$(CLAIM_CC) -std=gnu17 -Wall -Wextra $(WERROR) -Os -static -s -o $@ $<

BOOT_DEPS := $(BUILD)/gpt-bootcfg-claim $(BUILD)/gpt-bootcfg $(BUILD)/boot/qmp-query \
	$(BUILD)/boot/uinput-kbd

check-boot: $(BOOT_DEPS)
	$(Q)file $(BUILD)/gpt-bootcfg-claim | grep -q 'statically linked' || \
		{ echo "$(BUILD)/gpt-bootcfg-claim is not statically linked" >&2; exit 1; }
	$(Q)prove --exec '' -v tests/boot/check-boot.sh :: $(abspath $(BUILD))

# Every claim scenario on Debian 11's 5.10 and forky's 7.x (tests/boot/kernels.sh; make
# check boots only "real" there): part of make check-wide.
check-boot-wide: $(BOOT_DEPS)
	$(Q)GPT_BOOTCFG_KERNELS="$$(. tests/boot/kernels.sh && echo "$$BOOT_KERNELS_WIDE")" \
		prove --exec '' -v tests/boot/check-boot.sh :: $(abspath $(BUILD))

WIDE_TARGETS += check-boot-wide

# One scenario or several: make check-boot-one SCENARIOS="real off"
check-boot-one: $(BOOT_DEPS)
	$(Q)tests/boot/check-boot.sh $(abspath $(BUILD)) $(SCENARIOS)

# Like "make check", the README's first command installs tests/deps.txt first (as root; else
# it names what is missing and stops): the build itself needs libkmod.h and the others. The
# build runs in a second make, so that it sees the freshly installed pkg-config files.
demo: check-deps
	$(Q)$(MAKE) --no-print-directory demo-run

demo-run: $(BOOT_DEPS)
	$(Q)tests/boot/demo.sh $(abspath $(BUILD))

bench-claim: $(BOOT_DEPS)
	$(Q)bench/claim-bench.sh $(abspath $(BUILD))

# tpm = yes (issue 24): a guest booted by the real vm run uses its swtpm TPM 2.0, which
# persists across runs and survives a killed runner (tests/boot/check-tpm.sh, ~2 min).
check-tpm: all asan
	$(Q)BUILD=$(abspath $(BUILD)) prove --exec '' -v tests/boot/check-tpm.sh

CHECK_TARGETS += check-boot check-tpm

.PHONY: check-boot check-boot-wide check-boot-one check-tpm demo demo-run bench-claim
