# Manual pages (issue 6): man/gpt-bootcfg.8 and man/gpt-bootcfg.conf.5, plain man(7) roff,
# installed compressed (gzip -9n: no name or time stamp, so the package is reproducible).
#
#   make install DESTDIR=... [PREFIX=/usr]   also runs install-man
#   make install-man DESTDIR=...            $(MANDIR)/man8/gpt-bootcfg.8.gz, man5/...conf.5.gz

MAN_PAGES := $(wildcard man/*.[1-8])

install-man:
	$(Q)set -e; for p in $(MAN_PAGES); do \
		s=$${p##*.}; d="$(DESTDIR)$(MANDIR)/man$$s"; \
		install -d "$$d"; \
		gzip -9n -c "$$p" >"$$d/$${p##*/}.gz"; \
		chmod 0644 "$$d/$${p##*/}.gz"; \
	done

INSTALL_TARGETS += install-man
# The Makefile's install rule expanded INSTALL_TARGETS before this file was read.
install: install-man

.PHONY: install-man
