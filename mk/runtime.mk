# apply --now / revert --now under --root: the test library that plays the kernel's side of
# the PCI driver files in a fixture tree (tests/lib/fakesysfs.c, LD_PRELOAD; never installed).
$(BUILD)/asan/fakesysfs.so: tests/lib/fakesysfs.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) -std=gnu17 -Wall -Wextra $(WERROR) -Wno-format-truncation -O1 -g -shared -fPIC -o $@ $< -ldl

asan: $(BUILD)/asan/fakesysfs.so
