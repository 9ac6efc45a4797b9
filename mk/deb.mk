# Installation of the non-C parts, the Debian package and the whole-system test (issue 6).
#
#   make install DESTDIR=... [PREFIX=/usr]   also installs what install-extra lists below
#   make deb              build/…/deb/gpt-bootcfg_VERSION_ARCH.deb (dpkg-buildpackage on a copy
#                         of the tree, so debian/ in the tree stays clean), then lintian
#   make check-system     the whole-system test: a Debian 12 image booted under QEMU
#                         (tests/system/run.sh; docs/install.md)

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
INST_DOCS := $(wildcard docs/config.md docs/vm.md docs/trial-boot.md docs/boot-claim.md docs/install.md)
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
DEB_DIR := $(BUILD)/deb
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE := $(DEB_DIR)/gpt-bootcfg_$(VERSION)_$(DEB_ARCH).deb
DEB_EXCLUDE := --exclude=./.git --exclude=./build --exclude=./.cache \
	--exclude=./$(patsubst $(CURDIR)/%,%,$(abspath $(BUILD))) --exclude=./debian/build

deb:
	$(Q)for t in dpkg-buildpackage dh lintian; do command -v $$t >/dev/null || \
		{ echo "deb: $$t is missing (apt-get install $$(case $$t in dh) echo debhelper;; \
		dpkg-buildpackage) echo dpkg-dev;; *) echo $$t;; esac))" >&2; exit 1; }; done
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/gpt-bootcfg-$(VERSION)
ifeq ($(DEB_FROM),head)
	$(Q)git archive --format=tar HEAD | tar -xf - -C $(DEB_DIR)/gpt-bootcfg-$(VERSION)
else
	$(Q)tar -cf - $(DEB_EXCLUDE) . | tar -xf - -C $(DEB_DIR)/gpt-bootcfg-$(VERSION)
endif
	$(if $(Q),@echo "  DEB     $(DEB_FILE)")
	$(Q)cd $(DEB_DIR)/gpt-bootcfg-$(VERSION) && dpkg-buildpackage -b -us -uc \
		>../build.log 2>&1 || { tail -n 40 ../build.log; exit 1; }
	$(Q)test -f $(DEB_FILE) || { echo "deb: $(DEB_FILE) was not produced" >&2; exit 1; }
	$(if $(Q),@echo "  LINTIAN $(DEB_FILE)")
	$(Q)lintian --fail-on error --tag-display-limit 0 $(DEB_FILE)

# The whole-system test; needs root (debootstrap) and takes minutes (cached runs: fewer).
check-system: deb
	$(Q)BUILD=$(abspath $(BUILD)) DEB=$(abspath $(DEB_FILE)) tests/system/run.sh

.PHONY: install-extra deb check-system
