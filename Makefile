# gpt-bootcfg — plain GNU make. Targets: all install check clean (see README.md).
# Area-specific rules live in mk/*.mk and are included below; they append to
# CHECK_TARGETS, INSTALL_TARGETS and CLEAN_FILES.

VERSION := 0.1.0

PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
PKGLIBDIR ?= $(PREFIX)/lib/gpt-bootcfg
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
DESTDIR ?=

CC ?= cc
MUSL_CC ?= musl-gcc
PKG_CONFIG ?= pkg-config
BUILD ?= build

CFLAGS ?= -O2 -g
LDFLAGS ?=
WERROR ?= -Werror
SANITIZE ?= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_PKGS := libkmod blkid libpci libzstd zlib liblzma
LIB_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIB_PKGS) 2>/dev/null)
# timer_create() (lockfile.c) is in librt before glibc 2.34 (Debian 11's 2.31); linked only
# where something needs it, so a newer glibc's binary names no librt.
LIB_LIBS = $(shell $(PKG_CONFIG) --libs $(LIB_PKGS) 2>/dev/null) \
	-Wl,--push-state,--as-needed -lrt -Wl,--pop-state

BASE_CFLAGS := -std=gnu17 -Wall -Wextra -Wformat-security $(WERROR) -D_GNU_SOURCE -Isrc -Isrc/gpt-bootcfg \
	-DVERSION='"$(VERSION)"' -DPKGLIBDIR='"$(PKGLIBDIR)"' -MMD -MP

# Folders are link rules (docs/architecture.md): src/basic is libc-only and every binary may
# link it; src/claimproto is the claim protocol both binaries share (libc-only too);
# src/shared is the host model and what needs libblkid/libpci/libkmod/zstd (the CLI only).
BASIC_SRC := $(sort $(wildcard src/basic/*.c))
CLAIMPROTO_SRC := $(sort $(wildcard src/claimproto/*.c))
SHARED_SRC := $(BASIC_SRC) $(CLAIMPROTO_SRC) $(sort $(wildcard src/shared/*.c))
CLI_SRC := $(sort $(shell find src/gpt-bootcfg -name '*.c'))
CLAIM_SRC := $(sort $(wildcard src/claim/*.c))
# The claim binary is libc-only: the folders it may link, as an archive (only what it uses).
CLAIM_LIB_SRC := $(BASIC_SRC) $(CLAIMPROTO_SRC)
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))

# Normal build.
OBJ := $(BUILD)/obj
SHARED_OBJ := $(SHARED_SRC:src/%.c=$(OBJ)/%.o)
CLI_OBJ := $(CLI_SRC:src/%.c=$(OBJ)/%.o)
CLAIM_OBJ := $(CLAIM_SRC:src/%.c=$(BUILD)/claim-obj/%.o)
CLAIM_LIB_OBJ := $(CLAIM_LIB_SRC:src/%.c=$(BUILD)/claim-obj/%.o)

# Sanitizer build for tests.
AOBJ := $(BUILD)/asan/obj
ASHARED_OBJ := $(SHARED_SRC:src/%.c=$(AOBJ)/%.o)
ACLI_OBJ := $(CLI_SRC:src/%.c=$(AOBJ)/%.o)
ACLAIM_OBJ := $(CLAIM_SRC:src/%.c=$(AOBJ)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/asan/tests/%)

CHECK_TARGETS :=
WIDE_TARGETS :=
INSTALL_TARGETS :=
CLEAN_FILES :=

all: $(BUILD)/gpt-bootcfg $(BUILD)/gpt-bootcfg-claim

# Without the build dependencies the compiler would stop at "libkmod.h: No such file": name
# the way out instead. "make check" and "make demo" install them first (check-deps).
build-deps:
	$(Q)$(PKG_CONFIG) --exists $(LIB_PKGS) 2>/dev/null || { echo "gpt-bootcfg: the build needs" \
		"the pkg-config files of $(LIB_PKGS) (tests/deps.txt): run 'make check-deps' as root" \
		"(or tests/install-deps.sh)" >&2; exit 1; }

$(OBJ)/%.o: src/%.c | build-deps
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libshared.a: $(SHARED_OBJ)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/gpt-bootcfg: $(CLI_OBJ) $(BUILD)/libshared.a
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIB_LIBS)

# Static, libc only, small: musl when available, glibc static otherwise.
CLAIM_CC := $(shell command -v $(MUSL_CC) >/dev/null 2>&1 && echo $(MUSL_CC) || echo $(CC))
CLAIM_CFLAGS := -std=gnu17 -Wall -Wextra -Wformat-security $(WERROR) -D_GNU_SOURCE -Isrc -Os \
	-ffunction-sections -fdata-sections -DVERSION='"$(VERSION)"' -MMD -MP

$(BUILD)/claim-obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $@ (static)")
	$(Q)$(CLAIM_CC) $(CLAIM_CFLAGS) $(CPPFLAGS) -c -o $@ $<

$(BUILD)/claim-obj/libclaim.a: $(CLAIM_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/gpt-bootcfg-claim: $(CLAIM_OBJ) $(BUILD)/claim-obj/libclaim.a
	$(if $(Q),@echo "  CCLD    $@ (static)")
	$(Q)$(CLAIM_CC) -static -Wl,--gc-sections -s $(LDFLAGS) -o $@ $^

# Sanitizer build: same sources, used by every test.
$(AOBJ)/%.o: src/%.c | build-deps
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $@ (asan)")
	$(Q)$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) $(CPPFLAGS) -O1 -g $(SANITIZE) -c -o $@ $<

$(BUILD)/asan/libshared.a: $(ASHARED_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/asan/gpt-bootcfg: $(ACLI_OBJ) $(BUILD)/asan/libshared.a
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LIB_LIBS)

# The claim binary's logic under the sanitizers (glibc, dynamic) for the --root tests.
$(BUILD)/asan/gpt-bootcfg-claim: $(ACLAIM_OBJ) $(BUILD)/asan/libshared.a
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LIB_LIBS)

# Every CLI object but main.c, so unit tests link the generator's engines the one way the
# binary does: no test includes a .c file and no source is copied to be linked alone.
$(BUILD)/asan/libgpt-bootcfg.a: $(filter-out $(AOBJ)/gpt-bootcfg/main.o,$(ACLI_OBJ))
	$(Q)rm -f $@ && ar rcs $@ $^

# One link scheme for every unit test: the CLI library, then the shared one.
$(BUILD)/asan/tests/%: tests/unit/%.c $(BUILD)/asan/libgpt-bootcfg.a $(BUILD)/asan/libshared.a
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) -Itests/unit -O1 -g $(SANITIZE) \
		-o $@ $< $(BUILD)/asan/libgpt-bootcfg.a $(BUILD)/asan/libshared.a $(LIB_LIBS)

asan: $(BUILD)/asan/gpt-bootcfg $(if $(CLAIM_SRC),$(BUILD)/asan/gpt-bootcfg-claim) $(UNIT_BIN)

# Installs any missing Debian package as root, or names them and fails.
check-deps:
	$(Q)tests/install-deps.sh

# Unit tests (TAP, C) and integration tests (TAP, shell) under prove.
check-unit: all asan
	$(Q)prove --exec '' $(UNIT_BIN)

check-integration: all asan
	$(Q)BUILD=$(abspath $(BUILD)) prove --exec '' --ext .sh -r tests/integration/

check: check-deps
	$(Q)$(MAKE) --no-print-directory check-unit check-integration $(CHECK_TARGETS)

# What takes too long for CI (README, "Tests"): the areas add to WIDE_TARGETS.
check-wide: check-deps
	$(Q)$(MAKE) --no-print-directory $(WIDE_TARGETS)

install: all $(INSTALL_TARGETS)
	install -Dm0755 $(BUILD)/gpt-bootcfg $(DESTDIR)$(SBINDIR)/gpt-bootcfg
	install -Dm0755 $(BUILD)/gpt-bootcfg-claim $(DESTDIR)$(PKGLIBDIR)/gpt-bootcfg-claim

clean:
	rm -rf $(BUILD) $(CLEAN_FILES)

-include $(sort $(wildcard mk/*.mk))
-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)

.PHONY: all asan build-deps install check check-deps check-unit check-integration check-wide clean
.DELETE_ON_ERROR:
