# The fixture trees (tests/fixtures/<host>/) are captured from QEMU guests and committed
# (docs/fixtures-capture.md); "make check-fixtures" checks that each is self-consistent.
# Regenerating them is not part of "make check": tests/fixtures/capture/make-fixture.sh.

check-fixtures:
	$(Q)prove --exec 'python3' tests/fixtures/capture/check-fixtures.py

CHECK_TARGETS += check-fixtures

.PHONY: check-fixtures
