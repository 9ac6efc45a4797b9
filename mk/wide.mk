# The widest checks: what does not fit .ci/run's hour on 2 cores (README, "Tests"). Run it as
# root on a clean clone before resolving anything that touches the builds for other releases
# or the boot on Debian 13.
#   make check-dist                        the build and unit tests in Debian 11, then its package
#   make check-trial-system SUITE=trixie   trial boots through Debian 13's GRUB 2.12
check-wide:
	$(Q)$(MAKE) --no-print-directory check-dist
	$(Q)$(MAKE) --no-print-directory check-trial-system SUITE=trixie

.PHONY: check-wide
