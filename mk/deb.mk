# Installation of the non-C parts, the Debian package and the whole-system test (issue 6).
#
#   make install DESTDIR=... [PREFIX=/usr]   also installs what install-extra lists below
#   make deb              build/…/deb/gpt-bootcfg_VERSION_ARCH.deb (dpkg-buildpackage on a copy
#                         of the tree, so debian/ in the tree stays clean), then lintian
#   make deb DIST=bullseye   the same in a debootstrapped Debian 11, into build/deb-bullseye:
#                         the package for Debian 11 and Ubuntu 22.04/24.04 (docs/install.md)
#   make check-dist       the build and unit tests in that Debian 11, then its package
#   make check-system     the whole-system test: a Debian 12 image booted under QEMU
#                         (tests/system/run.sh; docs/install.md); SUITE=trixie: Debian 13

INITRAMFSDIR ?= $(DATADIR)/initramfs-tools
# dracut's modules (Debian, Fedora, openSUSE, Arch: /usr/lib/dracut/modules.d).
DRACUTMODDIR ?= $(PREFIX)/lib/dracut/modules.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
DOCDIR ?= $(DATADIR)/doc/gpt-bootcfg

# Whatever of these exists in the tree is installed; other areas add them as they land.
INST_HOOKS := $(wildcard initramfs-tools/hooks/*)
INST_INITTOP := $(wildcard initramfs-tools/scripts/init-top/*)
INST_DRACUT := $(wildcard dracut/90gpt-bootcfg/*)
INST_UNITS := $(wildcard systemd/*.service systemd/*.target systemd/*.timer)
INST_COMPLETION := $(wildcard completion/gpt-bootcfg)
INST_EXAMPLES := $(wildcard examples/*.conf docs/examples/*.conf)
INST_GRUBD := $(wildcard grub.d/*)
# Every document the installed ones refer to (docs/X.md, [..](X.md)) is installed too:
# tests/integration/test-deb-docs.sh follows the references from the installed set.
INST_DOCS := $(wildcard docs/config.md docs/vm.md docs/trial-boot.md docs/boot-claim.md docs/install.md \
	docs/runtime-claim.md docs/performance.md docs/fixtures.md docs/fixtures-capture.md)
# Example VM hooks: documentation, not run from there (copied to /etc/gpt-bootcfg/hooks.d/).
INST_HOOK_PREPARE := $(wildcard hooks/prepare.d/*)
INST_HOOK_RELEASE := $(wildcard hooks/release.d/*)

install-extra:
	$(Q)set -e; \
	inst() { mode=$$1; dir=$$2; shift 2; [ $$# = 0 ] && return 0; \
		install -d "$(DESTDIR)$$dir"; install -m "$$mode" "$$@" "$(DESTDIR)$$dir/"; }; \
	inst 0755 $(INITRAMFSDIR)/hooks $(INST_HOOKS); \
	inst 0755 $(INITRAMFSDIR)/scripts/init-top $(INST_INITTOP); \
	inst 0755 $(DRACUTMODDIR)/90gpt-bootcfg $(INST_DRACUT); \
	inst 0644 $(SYSTEMDUNITDIR) $(INST_UNITS); \
	inst 0644 $(BASHCOMPDIR) $(INST_COMPLETION); \
	inst 0644 $(DOCDIR)/examples $(INST_EXAMPLES); \
	inst 0644 $(DOCDIR) $(INST_DOCS); \
	inst 0644 $(DOCDIR)/examples/hooks/prepare.d $(INST_HOOK_PREPARE); \
	inst 0644 $(DOCDIR)/examples/hooks/release.d $(INST_HOOK_RELEASE); \
	inst 0755 $(SYSCONFDIR)/grub.d $(INST_GRUBD)

INSTALL_TARGETS += install-extra
# The Makefile's install rule expanded INSTALL_TARGETS before this file was read.
install: install-extra

# The package is built from a copy of the sources: dpkg-buildpackage writes into debian/ and
# into the parent directory, and neither may be the shared tree. In a git clone the copy is the
# committed tree (HEAD), so half-edited files never end up in a package; DEB_FROM=worktree
# packages the working tree instead (also used outside git, e.g. from a release tarball).
DEB_FROM ?= $(if $(wildcard .git),head,worktree)
# DIST=SUITE builds the package for another Debian suite: in a debootstrapped SUITE
# (tests/dist/run.sh) unless this machine runs SUITE, into $(BUILD)/deb-SUITE. A build for
# an older suite gets a version that sorts before the main one (0.1.0~deb11 < 0.1.0), so an
# upgrade of the system to a newer suite moves to that suite's build.
DIST ?=
HOST_DIST := $(shell . /etc/os-release 2>/dev/null && echo "$$VERSION_CODENAME")
DEB_SUFFIX_bullseye := ~deb11
# Debian 11's lintian still wants unit files in /lib/systemd/system; systemd reads
# /usr/lib/systemd/system on every system, and the package puts them there (apply links VM
# units to that path).
LINTIAN_SUPPRESS_bullseye := --suppress-tags systemd-service-file-outside-lib
DEB_VERSION := $(VERSION)$(DEB_SUFFIX_$(DIST))
DEB_DIR := $(BUILD)/deb$(if $(DIST),-$(DIST))
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE := $(DEB_DIR)/gpt-bootcfg_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_EXCLUDE := --exclude=./.git --exclude=./build --exclude=./.cache \
	--exclude=./$(patsubst $(CURDIR)/%,%,$(abspath $(BUILD))) --exclude=./debian/build

deb: $(if $(filter-out $(HOST_DIST),$(DIST)),deb-chroot,deb-native)

deb-chroot:
	$(if $(Q),@echo "  DEB     $(DEB_FILE) (in a debootstrapped $(DIST))")
	$(Q)GPT_BOOTCFG_DIST_OUT=$(abspath $(DEB_DIR)) DEB_FROM=$(DEB_FROM) \
		tests/dist/run.sh $(DIST) "make deb DIST=$(DIST)"
	$(Q)test -f $(DEB_FILE) || { echo "deb: $(DEB_FILE) was not produced" >&2; exit 1; }

deb-native:
	$(Q)for t in dpkg-buildpackage dh lintian; do command -v $$t >/dev/null || \
		{ echo "deb: $$t is missing (apt-get install $$(case $$t in dh) echo debhelper;; \
		dpkg-buildpackage) echo dpkg-dev;; *) echo $$t;; esac))" >&2; exit 1; }; done
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/gpt-bootcfg-$(VERSION)
ifeq ($(DEB_FROM),head)
	$(Q)git archive --format=tar HEAD | tar -xf - -C $(DEB_DIR)/gpt-bootcfg-$(VERSION)
else
	$(Q)tar -cf - $(DEB_EXCLUDE) . | tar -xf - -C $(DEB_DIR)/gpt-bootcfg-$(VERSION)
endif
ifneq ($(DEB_SUFFIX_$(DIST)),)
	@# The suite's own changelog entry, signed as the one it builds on, a second later. The
	@# lintian of older suites (Debian 11's 2.104) reads override contexts without brackets.
	$(Q)cd $(DEB_DIR)/gpt-bootcfg-$(VERSION)/debian && \
		last=$$(sed -n '/^ -- /{p;q}' changelog) && \
		{ printf 'gpt-bootcfg (%s) %s; urgency=medium\n\n  * Built for %s.\n\n%s  %s\n\n' \
		'$(DEB_VERSION)' '$(DIST)' '$(DIST)' "$${last%%>*}>" \
		"$$(LC_ALL=C date -R -u -d "$${last#*>  } + 1 second")"; \
		cat changelog; } >changelog.new && mv changelog.new changelog && \
		sed -i 's/ \[\([^]]*\)\]$$/ \1/' gpt-bootcfg.lintian-overrides
endif
	$(if $(Q),@echo "  DEB     $(DEB_FILE)")
	$(Q)cd $(DEB_DIR)/gpt-bootcfg-$(VERSION) && dpkg-buildpackage -b -us -uc \
		>../build.log 2>&1 || { tail -n 40 ../build.log; exit 1; }
	$(Q)test -f $(DEB_FILE) || { echo "deb: $(DEB_FILE) was not produced" >&2; exit 1; }
	$(if $(Q),@echo "  LINTIAN $(DEB_FILE)")
	$(Q)lintian --fail-on error --tag-display-limit 0 $(LINTIAN_SUPPRESS_$(DIST)) $(DEB_FILE)

# The build and the unit tests on the oldest suite gpt-bootcfg supports, then its package
# (build/deb-bullseye); needs root (debootstrap) and minutes, so "make check" leaves it out.
check-dist:
	$(Q)GPT_BOOTCFG_DIST_OUT=$(abspath $(BUILD))/deb-$(or $(DIST),bullseye) DEB_FROM=$(DEB_FROM) \
		tests/dist/run.sh $(or $(DIST),bullseye) "make check-unit" "make deb DIST=$(or $(DIST),bullseye)"

# The whole-system test; needs root (debootstrap) and takes minutes (cached runs: fewer).
# SUITE=trixie: on Debian 13, with the same package (its Depends hold there; docs/install.md).
SUITE ?= bookworm
check-system: deb
	$(Q)BUILD=$(abspath $(BUILD)) DEB=$(abspath $(DEB_FILE)) SYSTEM_SUITE=$(SUITE) tests/system/run.sh

.PHONY: install-extra deb deb-chroot deb-native check-dist check-system
