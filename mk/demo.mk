# "make demo": the quick start's first command. Shows the guide server fixture's IOMMU
# groups and devices (a later demo may boot QEMU instead; keep this target replaceable).
demo: $(BUILD)/gpt-bootcfg
	$(BUILD)/gpt-bootcfg --root tests/fixtures/guide-server list

.PHONY: demo
