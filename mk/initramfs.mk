# The image check of status and apply on images built by the real mkinitramfs (issue 13,
# part 3): tests/boot/check-initramfs.sh, no QEMU. Part of "make check".
#   make check-initramfs [INITRAMFS_KERNELS="KERNEL_DIR..."]   (default: the kernels of
#   tests/boot/kernels.sh: Debian 12's 6.1, bookworm-backports' 6.12, Debian 11's 5.10, forky's 7.x)
INITRAMFS_KERNELS ?=

check-initramfs: $(BUILD)/gpt-bootcfg $(BUILD)/gpt-bootcfg-claim
	$(Q)prove --exec '' -v tests/boot/check-initramfs.sh :: $(abspath $(BUILD)) $(INITRAMFS_KERNELS)

CHECK_TARGETS += check-initramfs

.PHONY: check-initramfs
