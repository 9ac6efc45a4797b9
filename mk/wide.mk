# The widest checks: what does not fit .ci/run's hour on 2 cores (README, "Tests"). Run
# "make check-wide" as root on a clean clone before resolving anything that touches the builds
# for other releases, the boot on Debian 13, dracut without systemd or systemd-boot. Each area
# adds its targets to WIDE_TARGETS (Makefile); these are the other releases':
#   make check-dist                        the build and unit tests in Debian 11, then its package
#   make check-system SUITE=trixie         the whole-system test on Debian 13
#   make check-trial-system SUITE=trixie   trial boots through Debian 13's GRUB 2.12
#   make check-system-handover             the one-GPU hand-off booted (install, handover)
check-system-trixie:
	$(Q)$(MAKE) --no-print-directory check-system SUITE=trixie

check-trial-system-trixie:
	$(Q)$(MAKE) --no-print-directory check-trial-system SUITE=trixie

# The one-GPU hand-off (issue 27) booted: install, then the handover stage (a bochs-display
# handed to a nested VM and back), tests/system/run.sh.
check-system-handover:
	$(Q)SYSTEM_STAGES="install handover" $(MAKE) --no-print-directory check-system

WIDE_TARGETS += check-dist check-system-trixie check-trial-system-trixie check-system-handover

.PHONY: check-system-trixie check-trial-system-trixie check-system-handover
