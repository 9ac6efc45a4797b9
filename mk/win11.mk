# Issue 24 (Windows 11: TPM 2.0 and Secure Boot), phase A: the feature's files live in
# src/gpt-bootcfg/features/ until the restructure (issue 29) picks that folder up. They are
# compiled into the binary and the unit-test library through extra prerequisites (the link
# recipes use $^). Remove this file when the main Makefile builds src/gpt-bootcfg/features/.
WIN11_SRC := $(sort $(wildcard src/gpt-bootcfg/features/*.c))
WIN11_OBJ := $(WIN11_SRC:src/%.c=$(OBJ)/%.o)
WIN11_AOBJ := $(WIN11_SRC:src/%.c=$(AOBJ)/%.o)

$(WIN11_OBJ) $(WIN11_AOBJ): CPPFLAGS += -Isrc/gpt-bootcfg -Isrc/gpt-bootcfg/features
$(BUILD)/gpt-bootcfg: $(WIN11_OBJ)
$(BUILD)/asan/gpt-bootcfg: $(WIN11_AOBJ)
$(BUILD)/asan/libgpt-bootcfg.a: $(WIN11_AOBJ)
